"""Readers for the 6-4-2 look-ahead: a trust's stored bookings and its history medians.

Example::

    bookings = read_bookings(engine, "RBL")                 # schema.BOOKING_COLUMNS
    medians, history = read_medians(engine, "RBL")          # from the look-ahead marts

Bookings are a small planning table (six weeks of future cases), read per trust with an index;
the history behind the expected case minutes is never read case by case here: the marts hold its
medians (:data:`productivity.store.EXPECTED_PROCEDURE` and ``EXPECTED_SPECIALTY``), built
with every other mart after each import. No Streamlit import.

Every trust's bookings are read once and kept in this process while the table is unchanged (its
row count, last id and last import run), and each mart once per build (``marts.read_mart``), so
choosing another trust filters in memory instead of reading SQL again.
"""

from __future__ import annotations

import functools
from collections.abc import Collection
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import Connection, Engine, func, select, text

from productivity.metrics.lookahead import Medians
from productivity.schema import BOOKING_COLUMNS
from productivity.store import models
from productivity.store.mart_reads import read_mart, records_frame
from productivity.store.mart_tables import EXPECTED_PROCEDURE, EXPECTED_SPECIALTY

_TABLE = models.table_of(models.TheatreBooking)


@dataclass(frozen=True)
class History:
    """The history behind a trust's expected minutes: cases and the window they came from."""

    cases: int  # completed cases in the window (every specialty)
    first_day: str | None  # YYYY-MM-DD, the window's first day
    last_day: str | None  # YYYY-MM-DD, the trust's latest list

    @property
    def empty(self) -> bool:
        return self.cases == 0


def read_bookings(engine: Engine, trust: str | None = None) -> pd.DataFrame:
    """Stored bookings of one trust (or all), in date, list and booking order.

    ``session_date`` is a datetime at midnight, ``planned_start``/``planned_end`` datetimes,
    ``booked_minutes`` float.
    """
    every = _every_booking(engine, _bookings_stamp(engine))
    if not trust:
        return every.copy()
    rows = every[(every["trust_code"] == trust).to_numpy()]
    if rows.empty:  # as SQL gives it: the empty frame's types are the query's own
        return _read_bookings(engine, trust)
    return _as_read(rows)


def clear_read_cache() -> None:
    """Forget the bookings kept in this process (for measurements of a cold first render)."""
    _every_booking.cache_clear()


def _bookings_stamp(engine: Engine) -> tuple[int, int, int]:
    """What changes whenever bookings are replaced: rows, the last id and the last import run."""
    query = select(func.count(), func.max(_TABLE.c.id), func.max(_TABLE.c.import_run_id))
    with engine.connect() as conn:
        count, last_id, last_run = conn.execute(query).one()
    return int(count), int(last_id or 0), int(last_run or 0)


@functools.lru_cache(maxsize=2)
def _every_booking(engine: Engine, stamp: tuple[int, int, int]) -> pd.DataFrame:
    """Every trust's bookings; ``stamp`` only keys the cache."""
    return _read_bookings(engine, None)


def _read_bookings(engine: Engine, trust: str | None) -> pd.DataFrame:
    with engine.connect() as conn:
        return bookings_rows(conn, None if not trust else [trust])


def bookings_rows(conn: Connection, trusts: Collection[str] | None = None) -> pd.DataFrame:
    """Stored bookings of every trust (or of ``trusts``) as :func:`read_bookings` gives them,
    read through ``conn`` (inside a transaction, what it has written)."""
    # Textual SQL, so SQLAlchemy makes no date objects row by row: the driver's values (ISO text
    # on SQLite) are parsed once per column below, which halves a read of every booking.
    selected = ", ".join(BOOKING_COLUMNS)
    where, params = "", {}
    if trusts is not None:
        names = [f":trust_{i}" for i in range(len(trusts))]
        where = f"WHERE trust_code IN ({', '.join(names) or 'NULL'})"
        params = {f"trust_{i}": t for i, t in enumerate(sorted(trusts))}
    query = text(
        f"SELECT {selected} FROM {_TABLE.name} {where} "
        "ORDER BY trust_code, session_date, site, theatre, planned_start, id"
    )
    rows = records_frame(conn.execute(query, params))
    for column in ("session_date", "planned_start", "planned_end"):
        rows[column] = datetimes(rows[column])
    return rows.astype({"booked_minutes": "float64"})


def datetimes(values: pd.Series) -> pd.Series:
    """ISO text (SQLite) or the driver's date and datetime objects (PostgreSQL) as datetimes."""
    if pd.api.types.is_string_dtype(values.dtype):
        return pd.to_datetime(values, format="ISO8601")
    return pd.to_datetime(values)


def booking_dates(engine: Engine) -> pd.DataFrame:
    """Per trust with bookings: ``trust_code, first_day, last_day`` (dates) and ``rows``."""
    query = select(
        _TABLE.c.trust_code,
        func.min(_TABLE.c.session_date).label("first_day"),
        func.max(_TABLE.c.session_date).label("last_day"),
        func.count().label("rows"),
    ).group_by(_TABLE.c.trust_code)
    with engine.connect() as conn:
        found = pd.read_sql_query(query, conn)
    for column in ("first_day", "last_day"):
        found[column] = pd.to_datetime(found[column]).dt.date
    return found.sort_values("trust_code", ignore_index=True)


def read_medians(engine: Engine, trust: str | None = None) -> tuple[Medians, History]:
    """A trust's (or every trust's) look-ahead medians from the marts, and its history's size."""
    by_procedure = _mart_rows(engine, EXPECTED_PROCEDURE, trust)
    by_specialty = _mart_rows(engine, EXPECTED_SPECIALTY, trust)
    cases = int(by_specialty["specialty_history_cases"].sum()) if len(by_specialty) else 0
    first = by_specialty["history_from"].min() if len(by_specialty) else None
    last = by_specialty["history_to"].max() if len(by_specialty) else None
    return (by_procedure, by_specialty), History(cases, first, last)


def _mart_rows(engine: Engine, mart: str, trust: str | None) -> pd.DataFrame:
    """A mart's rows of one trust (or all), taken from the whole mart read once per build."""
    every = read_mart(engine, mart)
    if not trust:
        return every
    rows = every[(every["trust_code"] == trust).to_numpy()]
    if rows.empty:  # as SQL gives it: the empty frame's types are the query's own
        return read_mart(engine, mart, trusts=[trust])
    return _as_read(rows)


def _as_read(rows: pd.DataFrame) -> pd.DataFrame:
    """Rows taken from a larger read, typed as a query of them alone would type them: a text
    column with no value in these rows holds ``None`` (object), as ``read_sql`` gives it."""
    out = rows.reset_index(drop=True)
    for column in out.columns:
        values = out[column]
        if pd.api.types.is_string_dtype(values.dtype) and values.isna().all():
            out[column] = pd.Series([None] * len(out), dtype=object)
    return out


def has_bookings(engine: Engine, trust: str) -> bool:
    """Whether ``trust`` has any stored booking (from every trust's bookings kept in this
    process while the table is unchanged): a trust without any has nothing to look ahead."""
    every = _every_booking(engine, _bookings_stamp(engine))
    return bool((every["trust_code"] == trust).any())
