"""Writing marts and the build row, inside the caller's transaction.

:func:`write_mart` creates a table from a frame's columns and fills it through the driver's
executemany (:func:`insert_rows`), :func:`index_mart` indexes it by trust (and month), and
:func:`write_build_row` records the build (with :func:`build_inputs_text`, what a build counts
with besides the data): what :func:`productivity.store.mart_build.rebuild_marts`
and :mod:`productivity.store.mart_refresh` swap in. Nothing here commits: the caller's
transaction does, so a reader sees the marts before or after, never half. Imports no Streamlit.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from collections.abc import Iterable
from typing import Any

import pandas as pd
from sqlalchemy import Connection, text

from productivity.benchmarks import Benchmarks
from productivity.store.mart_tables import BUILD_TABLE, thresholds_text


def specialty_map_text() -> str:
    """A fingerprint of the specialty map (``data/maps/specialties.toml``): the quality mart
    counts the lists whose specialty it does not name, so a changed map changes the marts.

    Of the file's bytes, so any edit counts (a comment too: a rebuild too many, never a stale
    count); ``none`` without a map.
    """
    # Imported here: the ingest package imports the marts' refresh, which imports this module.
    from productivity.ingest.checks import SPECIALTIES_FILE

    try:
        content = SPECIALTIES_FILE.read_bytes()
    except FileNotFoundError:
        return "none"
    return hashlib.sha256(content).hexdigest()[:16]


def build_inputs_text(benchmarks: Benchmarks) -> str:
    """What the marts were counted with besides the data, as the build row records it (its
    ``thresholds`` column): :func:`thresholds_text` and :func:`specialty_map_text`."""
    return f"{thresholds_text(benchmarks)} specialties {specialty_map_text()}"


def write_build_row(
    conn: Connection, benchmarks: Benchmarks, stamp: str, inputs: str | None = None
) -> None:
    """Record a new build (inside the caller's transaction): a fresh build stamp, what the marts
    were counted with (``inputs``, default :func:`build_inputs_text` now) and their data stamp."""
    # The build stamp keys the readers' cache (a new build is never served stale rows); the
    # thresholds (and specialty map) say what the summed flags and counts were counted with, and
    # the data stamp which import runs the marts hold.
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
            "used": build_inputs_text(benchmarks) if inputs is None else inputs,
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
