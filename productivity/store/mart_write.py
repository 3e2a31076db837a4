"""Writing marts and the build row, inside the caller's transaction.

:func:`write_mart` creates a table from a frame's columns and fills it through the driver's
executemany (:func:`insert_rows`), :func:`index_mart` indexes it by trust (and month), and
:func:`write_build_row` records the build: what :func:`productivity.store.mart_build.rebuild_marts`
and :mod:`productivity.store.mart_refresh` swap in. Nothing here commits: the caller's
transaction does, so a reader sees the marts before or after, never half. Imports no Streamlit.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from typing import Any

import pandas as pd
from sqlalchemy import Connection, text

from productivity.benchmarks import Benchmarks
from productivity.store.mart_tables import BUILD_TABLE, thresholds_text


def write_build_row(conn: Connection, benchmarks: Benchmarks, stamp: str) -> None:
    """Record a new build (inside the caller's transaction): a fresh build stamp, the thresholds
    and the data stamp of the marts now."""
    # The build stamp keys the readers' cache (a new build is never served stale rows); the
    # thresholds say which benchmark values the summed flags were counted with, and the data
    # stamp which import runs the marts hold.
    conn.execute(text(f'DROP TABLE IF EXISTS "{BUILD_TABLE}"'))
    conn.execute(
        text(
            f'CREATE TABLE "{BUILD_TABLE}" '
            "(built_at VARCHAR(100), thresholds VARCHAR(100), data_stamp TEXT)"
        )
    )
    conn.execute(
        text(
            f'INSERT INTO "{BUILD_TABLE}" (built_at, thresholds, data_stamp) '
            "VALUES (:built, :used, :data)"
        ),
        {
            "built": f"{dt.datetime.now(dt.UTC).isoformat()} {uuid.uuid4().hex}",
            "used": thresholds_text(benchmarks),
            "data": stamp,
        },
    )


def write_mart(conn: Connection, name: str, frame: pd.DataFrame) -> None:
    """Write ``frame`` as table ``name`` (created from its columns) inside the transaction."""
    frame.to_sql(name, conn, index=False, chunksize=100_000, method=insert_rows)


def index_mart(conn: Connection, name: str, frame: pd.DataFrame) -> None:
    """Index a mart by trust (and month): a trust's rows are read on their own (the Theatres
    page's drill-down below a trust) and replaced on their own (a refresh), and without an index
    each of those scans the whole mart (418k lists at region scale). Made after the table takes
    its name, so the index's name is free (the old table's went with it)."""
    keys = [key for key in ("trust_code", "month") if key in frame.columns]
    if keys and keys[0] == "trust_code":
        columns = ", ".join(f'"{key}"' for key in keys)
        conn.execute(text(f'CREATE INDEX IF NOT EXISTS "ix_{name}_trust" ON "{name}" ({columns})'))


def insert_rows(
    table: Any, conn: Connection, keys: list[str], rows: Iterable[tuple[Any, ...]]
) -> int:
    """pandas ``to_sql`` insert method: the driver's executemany with plain tuples.

    Much faster than pandas' default for the list mart; names come from the frame's own
    columns, and every value is still a bound parameter. ``table`` is pandas' ``SQLTable``
    (private to pandas, so typed ``Any``).
    """
    quote = conn.dialect.identifier_preparer.quote
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    statement = (
        f"INSERT INTO {quote(table.name)} ({', '.join(quote(k) for k in keys)}) "
        f"VALUES ({', '.join(mark for _ in keys)})"
    )
    data = list(rows)
    conn.exec_driver_sql(statement, data)
    return len(data)
