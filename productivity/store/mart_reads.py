"""Reading the marts: filtered, column-limited SELECTs, kept in this process per build.

Pages and reports re-read the same period many times per render, and the list mart is the
expensive one at region scale, so reads are cached in memory keyed by the marts' build stamp: a
rebuild changes the stamp, and a new build is never served stale rows. Every filter value is a
bound parameter and every column name is checked against the mart's own columns. Reads never
rebuild: :func:`productivity.store.mart_build.ensure_marts` does, before reading. Imports no
Streamlit.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import CursorResult, Engine, inspect, text

from productivity.benchmarks import load_benchmarks
from productivity.metrics import theatre
from productivity.store.mart_tables import BUILD_TABLE, MARTS, THEATRE_LIST, Period, thresholds_from

# Mart reads kept in this process, keyed by the build stamp.
READ_CACHE_SIZE = 16
# The columns besides period and trust that a read may filter on, by exact match.
FILTER_COLUMNS = ("site", "theatre", "specialty", "modality", "scanner_id")


def read_mart(
    engine: Engine,
    mart: str,
    period: Period | None = None,
    trusts: Sequence[str] | None = None,
    extra: dict[str, str] | None = None,
    columns: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Rows of one mart, filtered in SQL by period, trust and exact-match columns.

    ``columns`` limits what is read (all columns by default); names are checked against the
    mart's own columns, so they can never inject SQL.

    Raises:
        ValueError: an unknown mart, filter column or column.
    """
    asked = None if columns is None else list(columns)
    if mart not in MARTS:
        raise ValueError(f"unknown mart {mart!r}")
    # The period is applied in memory to the rows cached for this build (every period, every
    # filter change, reads SQL once per build); every other filter stays in the SQL.
    clause, params = "1=1", dict[str, str]()
    limited = period is not None and bool(period.start or period.end)
    if limited and columns and "month" not in columns:
        columns = [*columns, "month"]
    if trusts:
        names = [f":trust_{i}" for i in range(len(trusts))]
        clause += f" AND trust_code IN ({', '.join(names)})"
        params |= {f"trust_{i}": code for i, code in enumerate(trusts)}
    for i, (column, value) in enumerate((extra or {}).items()):
        if column not in FILTER_COLUMNS:
            raise ValueError(f"cannot filter a mart on {column!r}")
        clause += f" AND {column} = :extra_{i}"
        params[f"extra_{i}"] = value
    stamp = build_stamp(engine)
    # Marts built before stamps existed are read afresh every time rather than cached.
    reader = _cached_read if stamp else _cached_read.__wrapped__
    rows = reader(engine, stamp, mart, clause, tuple(sorted(params.items())), tuple(columns or ()))
    if limited and period is not None:
        rows = in_period(rows, period)
        if asked is not None and "month" not in asked:
            rows = rows.drop(columns="month")
    rows = rows.copy()  # callers may add columns
    if mart != THEATRE_LIST:  # the summed marts hold counts of these flags, not flags
        return rows
    return list_rows(rows)


def list_rows(rows: pd.DataFrame) -> pd.DataFrame:
    """List-mart rows as read: stored 0/1 flags as booleans, and the late-start, early-finish
    and overrun flags counted again with the benchmark file's thresholds."""
    flags = [c for c in theatre.FLAG_COLUMNS if c in rows.columns]
    rows = rows.astype(dict.fromkeys(flags, "bool")) if flags else rows
    if {"starts_late", "late_start_minutes"} <= set(rows.columns):
        # Thresholds come from the benchmark file in force now, not when the mart was built.
        rows = theatre.apply_thresholds(rows, thresholds_from(load_benchmarks()))
    return rows


def in_period(rows: pd.DataFrame, period: Period) -> pd.DataFrame:
    """The rows whose ``month`` (``YYYY-MM`` text) is within ``period``, as the SQL condition of
    :meth:`Period.where` would select them, index renumbered."""
    month = rows["month"]
    keep = month.notna().to_numpy().copy()
    text = month.where(month.notna(), "").astype(str)
    if period.start:
        keep &= (text >= period.start).to_numpy()
    if period.end:
        keep &= (text <= period.end).to_numpy()
    return rows.loc[keep].reset_index(drop=True)


def build_stamp(engine: Engine) -> str:
    """The current marts' build stamp ("" before the first build with a stamp)."""
    with engine.connect() as conn:
        if not inspect(conn).has_table(BUILD_TABLE):
            return ""
        return str(conn.execute(text(f'SELECT max(built_at) FROM "{BUILD_TABLE}"')).scalar() or "")


def clear_reads() -> None:
    """Forget every cached mart read."""
    _cached_read.cache_clear()


@functools.lru_cache(maxsize=READ_CACHE_SIZE)
def _cached_read(
    engine: Engine,
    stamp: str,
    mart: str,
    clause: str,
    params: tuple[tuple[str, str], ...],
    columns: tuple[str, ...],
) -> pd.DataFrame:
    """One parameterised SELECT on a mart; ``stamp`` only keys the cache."""
    with engine.connect() as conn:
        selected = "*"
        if columns:
            known = {c["name"] for c in inspect(conn).get_columns(mart)}
            unknown = [c for c in columns if c not in known]
            if unknown:
                raise ValueError(f"{mart} has no column(s) {', '.join(unknown)}")
            selected = ", ".join(f'"{c}"' for c in columns)
        result = conn.execute(text(f'SELECT {selected} FROM "{mart}" WHERE {clause}'), dict(params))
        return records_frame(result)


def records_frame(result: CursorResult[Any]) -> pd.DataFrame:
    """The frame ``pandas.read_sql_query`` makes of a query's rows, made more cheaply.

    ``read_sql`` fetches SQLAlchemy ``Row`` objects and converts them as
    ``DataFrame.from_records(rows, columns, coerce_float=True)`` does (an empty result is a frame
    of the bare columns). When SQLAlchemy applies no result processor (textual SQL on SQLite and
    PostgreSQL: the values are the driver's own), the driver's plain tuples are fetched instead,
    which skips building a ``Row`` per row: the same values, dtypes and columns, ~30% sooner.
    """
    columns = list(result.keys())
    processors = getattr(result._metadata, "_processors", None)
    plain = processors is not None and all(p is None for p in processors)
    rows: Sequence[Any] = result.cursor.fetchall() if plain else result.fetchall()
    result.close()
    if not rows:
        return pd.DataFrame(columns=columns)
    return pd.DataFrame.from_records(rows, columns=columns, coerce_float=True)


def distinct_values(engine: Engine, mart: str, columns: Sequence[str]) -> dict[str, list[object]]:
    """Each column's distinct non-null values in a mart (for filter options)."""
    if mart not in MARTS:
        raise ValueError(f"unknown mart {mart!r}")
    found: dict[str, list[object]] = {}
    with engine.connect() as conn:
        names = {c["name"] for c in inspect(conn).get_columns(mart)}
        for column in columns:
            if column not in names:
                found[column] = []
                continue
            rows = conn.execute(text(f'SELECT DISTINCT "{column}" FROM "{mart}"')).scalars().all()
            found[column] = [r for r in rows if r is not None]
    return found


def mart_arrays(
    engine: Engine, mart: str, keys: Sequence[str], figures: Sequence[str]
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Every row of a mart, in the order :func:`read_mart` reads them, as arrays: each of
    ``keys`` as codes into its sorted distinct values (-1 for none) with those values, and
    each of ``figures`` as float64 (NaN for none). Not cached: the caller holds it per build.

    For a mart read once per build at region scale (the list mart's 400k rows), where building
    a frame of Python strings first costs more than the SELECT itself (issue 17).

    Raises:
        ValueError: an unknown mart or column.
    """
    if mart not in MARTS:
        raise ValueError(f"unknown mart {mart!r}")
    columns = [*keys, *figures]
    with engine.connect() as conn:
        known = {c["name"] for c in inspect(conn).get_columns(mart)}
        unknown = [c for c in columns if c not in known]
        if unknown:
            raise ValueError(f"{mart} has no column(s) {', '.join(unknown)}")
        selected = ", ".join(f'"{c}"' for c in columns)
        result = conn.execute(text(f'SELECT {selected} FROM "{mart}"'))
        # The driver's own tuples where SQLAlchemy would not change them (as records_frame).
        processors = getattr(result._metadata, "_processors", None)
        plain = processors is not None and all(p is None for p in processors)
        rows: Sequence[Any] = result.cursor.fetchall() if plain else result.fetchall()
        result.close()
    return rows_as_arrays(rows, keys, figures)


def rows_as_arrays(
    rows: Sequence[Sequence[object]], keys: Sequence[str], figures: Sequence[str]
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Rows given as tuples (``keys`` first, then ``figures``) as :func:`mart_arrays` gives
    them: each key as int64 codes into its sorted distinct values (-1 for None) with those
    values, each figure as float64 (NaN for None)."""
    # One 2-D object array rather than a tuple per column: no Python object per row made twice.
    table = np.empty((len(rows), len(keys) + len(figures)), dtype=object)
    if len(rows):
        table[:] = rows  # one C loop over the tuples (zip(*rows) is twice as slow)
    codes, labels = {}, {}
    for i, key in enumerate(keys):
        found, distinct = pd.factorize(table[:, i], sort=True)
        codes[key], labels[key] = found.astype(np.int64), np.asarray(distinct, dtype=object)
    held = {}
    for i, name in enumerate(figures, start=len(keys)):
        values = table[:, i]
        values[pd.isna(values)] = np.nan  # a NULL read as None
        held[name] = values.astype(np.float64)
    return codes, labels, held


def months_within(month: np.ndarray, months: np.ndarray, period: Period) -> np.ndarray:
    """The rows whose month (codes into the sorted ``months``; -1 for none) is within
    ``period``, compared as text as :func:`in_period` compares them."""
    keep = month >= 0
    if period.start:
        keep &= month >= np.searchsorted(months, period.start, "left")
    if period.end:
        keep &= month < np.searchsorted(months, period.end, "right")
    return keep


def mart_row_count(engine: Engine, mart: str) -> int:
    """How many rows a mart holds (0 before it is built)."""
    if mart not in MARTS:
        raise ValueError(f"unknown mart {mart!r}")
    with engine.connect() as conn:
        if not inspect(conn).has_table(mart):
            return 0
        return int(conn.execute(text(f'SELECT count(*) FROM "{mart}"')).scalar_one())
