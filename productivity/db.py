"""The store: one SQLAlchemy engine per URL, sessions, schema creation and bulk writes.

SQLite (the default file ``data/productivity.db``) gets WAL, a busy timeout and foreign keys on
every connection, so readers never block the importer and the importer never sees "database is
locked" under normal load. PostgreSQL is used through psycopg 3 when ``DATABASE_URL`` says so.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import Connection, Engine, event, inspect, text
from sqlalchemy.engine import make_url
from sqlmodel import Session, SQLModel, create_engine

from productivity import settings

SQLITE_BUSY_TIMEOUT_MS = 30_000
SCHEMA_VERSION = 1


@functools.cache
def _engine_for(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000, "check_same_thread": False}
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            # Python's sqlite3 opens transactions lazily; let SQLAlchemy's BEGIN control them.
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn: Connection) -> None:
            # IMMEDIATE takes the write lock up front, so two writers queue on busy_timeout
            # instead of failing mid-transaction with "database is locked".
            conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.info.get("write") else "BEGIN")

        return engine
    return create_engine(url, pool_pre_ping=True)


def get_engine(url: str | None = None) -> Engine:
    """The engine for ``url`` (default: :func:`settings.database_url`), created once per URL."""
    return _engine_for(url or settings.database_url())


def init_db(engine: Engine | None = None) -> Engine:
    """Create every table that does not exist yet and record the schema version."""
    from productivity import models  # noqa: F401  (registers the tables on SQLModel.metadata)

    engine = engine or get_engine()
    SQLModel.metadata.create_all(engine)
    with write_transaction(engine) as conn:
        current = conn.execute(text("SELECT max(version) FROM schema_version")).scalar()
        if current is None:
            conn.execute(
                text("INSERT INTO schema_version (version, applied_at) VALUES (:version, :at)"),
                {"version": SCHEMA_VERSION, "at": dt.datetime.now(dt.UTC)},
            )
    return engine


@contextmanager
def write_transaction(engine: Engine) -> Iterator[Connection]:
    """One write transaction: committed on success, rolled back on any exception."""
    with engine.connect() as conn:
        conn.info["write"] = True
        try:
            with conn.begin():
                yield conn
        finally:
            conn.info.pop("write", None)


@contextmanager
def session(engine: Engine | None = None) -> Iterator[Session]:
    with Session(engine or get_engine()) as db_session:
        yield db_session


def bulk_insert(conn: Connection, table: str, frame: pd.DataFrame) -> int:
    """Insert a DataFrame's rows into an existing table with one parameterised executemany.

    NaN/NaT become NULL. Returns the number of rows written.
    """
    if frame.empty:
        return 0
    meta_table = SQLModel.metadata.tables[table]
    records = frame.astype(object).where(frame.notna(), None).to_dict("records")
    conn.execute(meta_table.insert(), records)
    return len(records)


def read_frame(
    sql: str, params: dict[str, Any] | None = None, engine: Engine | None = None
) -> pd.DataFrame:
    """Run a parameterised SELECT and return a DataFrame."""
    with (engine or get_engine()).connect() as conn:
        return pd.read_sql_query(text(sql), conn, params=params or {})


def has_table(name: str, engine: Engine | None = None) -> bool:
    return inspect(engine or get_engine()).has_table(name)
