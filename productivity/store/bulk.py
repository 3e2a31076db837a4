"""Bulk writes: a DataFrame's rows into a table of the store, inside the caller's transaction.

PostgreSQL (psycopg 3) gets one ``COPY ... FROM STDIN``; SQLite gets parameterised
``executemany`` in chunks. Values are converted a whole column at a time (dates as ISO text on
SQLite, time-zone aware date-times as UTC, NaN/NaT/None as NULL), and columns the frame lacks
get the model's default. :mod:`productivity.store.db` re-exports :func:`bulk_insert`. This
module may import pandas, SQLAlchemy and SQLModel, never Streamlit.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Column, Connection, Table
from sqlalchemy.sql.schema import CallableColumnDefault, ScalarElementColumnDefault
from sqlalchemy.types import TypeDecorator, TypeEngine
from sqlmodel import SQLModel

CHUNK_ROWS = 20_000  # rows per executemany (SQLite) or per progress report (COPY)
BULK_CACHE_KIB = 256 * 1024  # the most page cache a big SQLite insert asks for
Progress = Callable[[float], None] | None


def bulk_insert(
    conn: Connection, table: str, frame: pd.DataFrame, progress: Progress = None
) -> int:
    """Insert a DataFrame's rows into a table of the schema, inside the caller's transaction.

    PostgreSQL (psycopg 3) streams the rows with one ``COPY ... FROM STDIN`` on the
    connection's own DBAPI connection, so they commit or roll back with everything else the
    transaction did; SQLite uses parameterised ``executemany`` in chunks of ``CHUNK_ROWS``.
    Columns the frame lacks get the model's default; NaN, NaT and None become NULL; time-zone
    aware date-times are stored as UTC (naive ones in an audit ``timestamptz`` column are taken
    to be UTC). ``progress`` gets the fraction written.
    Returns the number of rows written.

    Raises:
        ValueError: the frame has a column the table does not.
    """
    meta = schema_table(table)
    unknown = [str(c) for c in frame.columns if c not in meta.c]
    if unknown:
        raise ValueError(f"table {table!r} has no column(s) {', '.join(unknown)}")
    total = len(frame)
    if not total:
        return 0
    sqlite = conn.dialect.name == "sqlite"
    names = [str(c) for c in frame.columns]
    values = [_column_values(frame[name], meta.c[name], sqlite) for name in names]
    for column in meta.columns:
        if column.name in frame.columns:
            continue
        filled = _default_values(column, total, sqlite)
        if filled is not None:
            names.append(column.name)
            values.append(filled)
    if conn.dialect.name == "postgresql" and conn.dialect.driver == "psycopg":
        _copy(conn, meta, names, values, total, progress)
    else:
        _executemany(conn, meta, names, values, total, progress)
    return total


def schema_table(name: str) -> Table:
    """The store's table ``name`` as the models declare it."""
    from productivity.store import models  # noqa: F401  (registers the tables)

    return SQLModel.metadata.tables[name]


def _storage_type(column: Column[Any]) -> TypeEngine[Any]:
    """The SQL type under any TypeDecorator (SQLModel's ``UTCDateTime`` is one)."""
    kind = column.type
    return kind.impl_instance if isinstance(kind, TypeDecorator) else kind


def _python_type(column: Column[Any]) -> type:
    try:
        return _storage_type(column).python_type
    except NotImplementedError:
        return object


def _column_values(values: pd.Series, column: Column[Any], sqlite: bool) -> list[Any]:
    """One column as DB-API values, converted a whole column at a time (not value by value in
    SQLAlchemy's type processors): SQLite stores dates and date-times as ISO text."""
    kind = _python_type(column)
    if kind is dt.datetime or pd.api.types.is_datetime64_any_dtype(values):
        stamps = pd.to_datetime(values)
        if stamps.dt.tz is not None:
            stamps = stamps.dt.tz_convert("UTC").dt.tz_localize(None)
        if kind is dt.date:
            return _dates(stamps, sqlite)
        if sqlite:
            return _iso_datetimes(stamps)
        zone = dt.UTC if getattr(_storage_type(column), "timezone", False) else None
        return [None if pd.isna(v) else v.to_pydatetime().replace(tzinfo=zone) for v in stamps]
    if kind is dt.date:
        return _dates(pd.to_datetime(values), sqlite)
    if kind is int and pd.api.types.is_float_dtype(values):  # ints with NaN arrive as floats
        values = values.astype("Int64")
    elif kind is bool and pd.api.types.is_numeric_dtype(values):
        values = values.astype("boolean")
    missing = values.isna()
    plain = values.astype(object)
    if missing.any():  # most columns have no gaps: no second pass over them
        plain = plain.where(~missing, None)
    if values.dtype == object and any(isinstance(v, np.generic) for v in plain.unique()):
        # numpy scalars inside object columns: neither driver binds them
        plain = plain.map(lambda v: v.item() if isinstance(v, np.generic) else v)
    out: list[Any] = plain.tolist()
    return out


def _iso_datetimes(stamps: pd.Series) -> list[Any]:
    """``YYYY-MM-DD HH:MM:SS.ffffff`` text (as SQLAlchemy writes SQLite date-times), None for NaT.

    Each distinct value is formatted once (case times repeat: a year has half a million
    minutes) by numpy in C (``strftime`` goes value by value); its ``T`` between date and time
    becomes a space in the text's fixed-width buffer.
    """
    values = stamps.to_numpy("datetime64[us]")
    codes, uniques = pd.factorize(values.view("int64"))
    text = np.datetime_as_string(uniques.view("datetime64[us]"), unit="us")  # 26 chars or "NaT"
    if text.dtype.itemsize // 4 >= 26:
        chars = text.view(np.uint32).reshape(len(text), -1)
        chars[:, 10] = np.where(chars[:, 10] == ord("T"), ord(" "), chars[:, 10])
    return _text_or_none(text.astype(object).take(codes), np.isnat(values))


def _text_or_none(text: np.ndarray, missing: np.ndarray) -> list[Any]:
    out = text.astype(object, copy=False)  # no copy when it is one already
    out[missing] = None
    values: list[Any] = out.tolist()
    return values


def _dates(days: pd.Series, sqlite: bool) -> list[Any]:
    if sqlite:
        values = days.to_numpy("datetime64[D]")
        return _text_or_none(np.datetime_as_string(values, unit="D"), np.isnat(values))
    out: list[Any] = days.dt.date.astype(object).where(days.notna(), None).tolist()
    return out


def _default_values(column: Column[Any], rows: int, sqlite: bool) -> list[Any] | None:
    """The model's Python-side default for a column the frame lacks (None: let SQL decide)."""
    default = column.default
    if isinstance(default, ScalarElementColumnDefault):
        value = default.arg
    elif isinstance(default, CallableColumnDefault):
        value = factory_value(default)
    else:
        return None
    return _column_values(pd.Series([value] * rows, dtype=object), column, sqlite)


def _executemany(
    conn: Connection,
    meta: Table,
    names: list[str],
    values: list[list[Any]],
    total: int,
    progress: Progress,
) -> None:
    quote = conn.dialect.identifier_preparer.quote
    # Identifiers come from the schema; every value is a bound parameter (qmark on SQLite).
    # Rows go straight to the driver's executemany, zipped as it reads them: SQLAlchemy's
    # per-row processing (and a list of every row) would be most of the cost of a large import;
    # values are already converted per column. The cursor is the connection's own, so the rows
    # belong to the caller's transaction.
    statement = (
        f"INSERT INTO {quote(meta.name)} ({', '.join(quote(n) for n in names)}) "
        f"VALUES ({', '.join(_placeholder(conn, i) for i in range(len(names)))})"
    )
    if not conn.in_transaction():
        conn.begin()  # as conn.execute would
    rows = zip(*values, strict=True)
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    cache = _sqlite_cache(cursor, total) if conn.dialect.name == "sqlite" else None
    try:
        for start in range(0, total, CHUNK_ROWS):
            cursor.executemany(statement, itertools.islice(rows, CHUNK_ROWS))
            if progress is not None:
                progress(min(start + CHUNK_ROWS, total) / total)
    finally:
        if cache is not None:
            cursor.execute(f"PRAGMA cache_size={cache}")
        cursor.close()


def _sqlite_cache(cursor: Any, rows: int) -> int | None:
    """Give SQLite a page cache for a big insert (about 256 bytes a row, at most
    :data:`BULK_CACHE_KIB`), so the transaction's new pages are not spilled and read back as
    it grows; returns the setting to restore afterwards (None: the cache was big enough)."""
    before = int(cursor.execute("PRAGMA cache_size").fetchone()[0])
    want = min(BULK_CACHE_KIB, rows // 4)
    have = -before if before < 0 else before * 4  # pages of (at most) 4 KiB
    if want <= have:
        return None
    cursor.execute(f"PRAGMA cache_size={-want}")
    return before


def _placeholder(conn: Connection, position: int) -> str:
    """A positional placeholder in the driver's own paramstyle."""
    style = conn.dialect.paramstyle
    if style == "qmark":
        return "?"
    if style == "numeric":
        return f":{position + 1}"
    return "%s"  # format / pyformat


def _copy(
    conn: Connection,
    meta: Table,
    names: list[str],
    values: list[list[Any]],
    total: int,
    progress: Progress,
) -> None:
    from psycopg import sql

    if not conn.in_transaction():
        conn.begin()  # as conn.execute would: the COPY then belongs to the caller's transaction
    raw = conn.connection.driver_connection
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(meta.name), sql.SQL(", ").join(sql.Identifier(n) for n in names)
    )
    with raw.cursor() as cursor, cursor.copy(statement) as copy:  # type: ignore[union-attr]
        for done, row in enumerate(zip(*values, strict=True), start=1):
            copy.write_row(row)
            if progress is not None and done % CHUNK_ROWS == 0:
                progress(done / total)
    if progress is not None:
        progress(1.0)


def factory_value(default: CallableColumnDefault) -> Any:
    """The value of a model's ``default_factory``, outside any statement."""
    # SQLAlchemy wraps the zero-argument factory in a function of an execution context that it
    # never reads, so None stands in for the context there is none of here.
    return default.arg(None)  # type: ignore[arg-type]
