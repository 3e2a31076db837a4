"""The store: one SQLAlchemy engine per URL, transactions, and schema creation and upgrades.

SQLite (the default file ``data/productivity.db``) gets WAL, a busy timeout and foreign keys on
every connection, so readers never block the importer and the importer never sees "database is
locked" under normal load. PostgreSQL is used through psycopg 3 when ``DATABASE_URL`` says so
(``postgres://`` and ``postgresql://`` URLs are rewritten to that driver).

Schema versions. ``init_db`` creates any missing table with ``create_all`` and then brings an
older store up to :data:`SCHEMA_VERSION` by running, in order, each entry of :data:`MIGRATIONS`
newer than the highest version in the ``schema_version`` table (a store without that table, or
with it empty, is version 0). Each applied version is recorded in the same transaction as its
change, so an upgrade is all-or-nothing and never deletes rows. To change the schema, edit
``models.py``, append a :class:`Migration` and record the new columns in ``tests/test_db.py``
(a test fails until both are done): a new table needs no code (``create_all`` makes it); a new
column that is nullable or has a scalar default is added by :func:`add_missing_columns`; a
rename, a type change or a dropped index needs its own SQL in the migration.

Bulk writes live in :mod:`productivity.store.bulk`; :func:`bulk_insert` is re-exported here.
This module may import pandas, SQLAlchemy and SQLModel, never Streamlit.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import Column, Connection, Engine, Table, event, inspect, literal, text
from sqlalchemy.engine import make_url
from sqlalchemy.sql.schema import CallableColumnDefault, ScalarElementColumnDefault
from sqlmodel import Session, SQLModel, create_engine

from productivity import settings
from productivity.settings import normalise_url
from productivity.store.bulk import (
    CHUNK_ROWS as CHUNK_ROWS,
    Progress as Progress,
    bulk_insert as bulk_insert,
    factory_value,
    schema_table,
)

SQLITE_BUSY_TIMEOUT_MS = 30_000
# Any constant works: it only has to be the same in every process that upgrades the schema.
_SCHEMA_LOCK_KEY = 4_242_001


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
    return _engine_for(normalise_url(url or settings.database_url()))


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


# --- schema versions -------------------------------------------------------------------------


@dataclass(frozen=True)
class Migration:
    """One step of the schema's history: ``apply`` runs inside the upgrade's transaction."""

    version: int
    summary: str
    apply: Callable[[Connection], None]


def add_missing_columns(conn: Connection, tables: Sequence[str] | None = None) -> list[str]:
    """Add every column (and index) the models declare that an existing table lacks.

    ``tables`` limits this to those tables (default: all of them).

    A column with a scalar default gets it as its SQL ``DEFAULT`` (and keeps ``NOT NULL``), so
    rows already stored take that value; a column with a callable default (an audit time) is
    added as nullable and existing rows get the value computed once; any other column is added
    as nullable. Foreign keys and unique constraints are not added (SQLite cannot alter them).
    Returns the ``table.column`` names added.
    """
    from productivity.store import models  # noqa: F401  (registers the tables)

    inspector = inspect(conn)
    existing = set(inspector.get_table_names())
    added: list[str] = []
    for table in SQLModel.metadata.sorted_tables:
        if table.name not in existing or (tables is not None and table.name not in tables):
            continue
        present = {c["name"] for c in inspector.get_columns(table.name)}
        for column in table.columns:
            if column.name not in present:
                _add_column(conn, table, column)
                added.append(f"{table.name}.{column.name}")
        for index in table.indexes:
            index.create(conn, checkfirst=True)
    return added


def _add_column(conn: Connection, table: Table, column: Column[Any]) -> None:
    quote = conn.dialect.identifier_preparer.quote
    ddl = f"ALTER TABLE {quote(table.name)} ADD COLUMN {quote(column.name)} "
    ddl += column.type.compile(dialect=conn.dialect)
    default = column.default
    if isinstance(default, ScalarElementColumnDefault):
        value = literal(default.arg, type_=column.type).compile(
            dialect=conn.dialect, compile_kwargs={"literal_binds": True}
        )
        ddl += f" DEFAULT {value}" + ("" if column.nullable else " NOT NULL")
    conn.execute(text(ddl))
    if isinstance(default, CallableColumnDefault):
        conn.execute(table.update().values({column.name: factory_value(default)}))


def _v1_baseline(conn: Connection) -> None:
    """Stores from before schema versions: give every table every column the models declare."""
    add_missing_columns(conn)


def _v2_dm01_imd_week_bands(conn: Connection) -> None:
    """The deprivation table gained the 14 optional waiting-time bands (NULL where not given)."""
    add_missing_columns(conn, ["dm01_imd"])


def _v3_theatre_booking(conn: Connection) -> None:
    """The theatre_booking table (6-4-2 look-ahead) is new: create_all has made it; nothing else
    changes, so an older store keeps every row."""
    add_missing_columns(conn, ["theatre_booking"])


def _v4_drop_case_list_index(conn: Connection) -> None:
    """theatre_case lost its index on list_id alone: the unique (list_id, case_id) index
    answers the same lookups, and the extra one slowed every import. Rows are untouched."""
    conn.execute(text("DROP INDEX IF EXISTS ix_theatre_case_list_id"))


MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "baseline: every table and column of models.py", _v1_baseline),
    Migration(2, "dm01_imd: optional weeks_00 ... weeks_13_plus bands", _v2_dm01_imd_week_bands),
    Migration(3, "theatre_booking: booked cases on future lists", _v3_theatre_booking),
    Migration(
        4,
        "theatre_case: drop the list_id index the unique index makes redundant",
        _v4_drop_case_list_index,
    ),
)
SCHEMA_VERSION = MIGRATIONS[-1].version


def schema_version(conn: Connection) -> int:
    """The store's schema version: the highest recorded, or 0 when none is."""
    if not inspect(conn).has_table("schema_version"):
        return 0
    return int(conn.execute(text("SELECT max(version) FROM schema_version")).scalar() or 0)


def upgrade(engine: Engine, migrations: Sequence[Migration] = MIGRATIONS) -> list[int]:
    """Create missing tables and apply every migration newer than the store, in one transaction.

    A brand-new store gets the newest schema from ``create_all`` and records only the newest
    version. Concurrent callers (several app replicas starting at once) queue on SQLite's write
    lock or a PostgreSQL advisory lock, so each migration runs once. Returns the versions
    applied, oldest first (empty when the store was up to date or brand new).
    """
    from productivity.store import models  # noqa: F401  (registers the tables)

    newest = max((m.version for m in migrations), default=0)
    applied: list[int] = []
    with write_transaction(engine) as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _SCHEMA_LOCK_KEY})
        ours = set(SQLModel.metadata.tables)
        brand_new = not ours & set(inspect(conn).get_table_names())
        current = schema_version(conn)
        SQLModel.metadata.create_all(conn)
        steps = (
            []
            if brand_new
            else sorted((m for m in migrations if m.version > current), key=lambda m: m.version)
        )
        for step in steps:
            step.apply(conn)
            _record_version(conn, step.version)
            applied.append(step.version)
        if brand_new and newest:
            _record_version(conn, newest)
    return applied


def _record_version(conn: Connection, version: int) -> None:
    conn.execute(schema_table("schema_version").insert().values(version=version))


def _up_to_date(engine: Engine) -> bool:
    from productivity.store import models  # noqa: F401  (registers the tables)

    with engine.connect() as conn:
        names = set(inspect(conn).get_table_names())
        if not set(SQLModel.metadata.tables) <= names:
            return False
        return schema_version(conn) >= SCHEMA_VERSION


def init_db(engine: Engine | None = None) -> Engine:
    """Make the store's schema current (see :func:`upgrade`); cheap when it already is."""
    engine = engine or get_engine()
    if not _up_to_date(engine):  # read-only check first: no write lock on every app start
        upgrade(engine)
    return engine


# --- reads -----------------------------------------------------------------------------------


def read_frame(
    sql: str, params: dict[str, Any] | None = None, engine: Engine | None = None
) -> pd.DataFrame:
    """Run a parameterised SELECT and return a DataFrame."""
    with (engine or get_engine()).connect() as conn:
        return pd.read_sql_query(text(sql), conn, params=params or {})


def has_table(name: str, engine: Engine | None = None) -> bool:
    return inspect(engine or get_engine()).has_table(name)
