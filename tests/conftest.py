"""Shared fixtures: a real store (SQLite file, or PostgreSQL when TEST_DATABASE_URL is set).

Store tests take the ``engine`` fixture and go through the app's own ``db`` functions, so the
same tests run on both stores (``.ci/run`` runs the suite a second time against PostgreSQL).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, inspect, text
from sqlmodel import SQLModel

from productivity import db


def fresh_store(url: str) -> Engine:
    """An engine on ``url`` with every table dropped and the schema created anew."""
    from productivity import models  # noqa: F401  (registers the tables)

    engine = db.get_engine(url)
    if engine.dialect.name != "sqlite":
        with db.write_transaction(engine) as conn:
            for name in inspect(conn).get_table_names():
                if name.startswith("mart_") or name.startswith("apscheduler"):
                    conn.execute(text(f'DROP TABLE IF EXISTS "{name}" CASCADE'))
        SQLModel.metadata.drop_all(engine)
    return db.init_db(engine)


def store_url(tmp_path: Path, name: str = "store.db") -> str:
    return os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{tmp_path / name}"


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    """An empty store with the schema created."""
    url = store_url(tmp_path)
    yield fresh_store(url)
    db.get_engine(url).dispose()


@pytest.fixture(scope="session")
def demo_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A small synthetic demo store (3 months), built once for the whole session.

    On PostgreSQL it shares the test database, so tests that need an empty store and tests
    that need the demo must not interleave: the demo is rebuilt if something wiped it.
    """
    from productivity import demo

    url = store_url(tmp_path_factory.mktemp("demo"), "demo.db")
    engine = fresh_store(url)
    demo.build_demo(engine=engine, seed=1, months=3)
    return url


@pytest.fixture
def demo_engine(demo_url: str) -> Engine:
    from productivity import demo

    engine = db.get_engine(demo_url)
    if demo.store_is_empty(engine):  # another test reset the shared PostgreSQL database
        demo.build_demo(engine=fresh_store(demo_url), seed=1, months=3)
    return engine
