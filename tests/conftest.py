"""Shared fixtures: a real store (SQLite file, or PostgreSQL when TEST_DATABASE_URL is set).

Store tests take the ``engine`` fixture and go through the app's own ``db`` functions, so the
same tests run on both stores (``.ci/run`` runs the suite a second time against PostgreSQL).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
import pytest
from sqlalchemy import Engine, inspect, text
from sqlalchemy.engine import make_url
from sqlmodel import SQLModel

from productivity.settings import normalise_url
from productivity.store import db

if TYPE_CHECKING:
    from streamlit.testing.v1 import AppTest


def fresh_store(url: str) -> Engine:
    """An engine on ``url`` with every table dropped and the schema created anew."""
    from productivity.store import models  # noqa: F401  (registers the tables)

    engine = db.get_engine(url)
    if engine.dialect.name != "sqlite":
        with db.write_transaction(engine) as conn:
            for name in inspect(conn).get_table_names():
                if name.startswith(("mart_", "apscheduler")):
                    conn.execute(text(f'DROP TABLE IF EXISTS "{name}" CASCADE'))
        SQLModel.metadata.drop_all(engine)
    return db.init_db(engine)


def store_url(tmp_path: Path, name: str = "store.db") -> str:
    """A store for ``name``: a SQLite file in ``tmp_path``, or under ``TEST_DATABASE_URL`` a
    PostgreSQL database of its own (``<database>_<name>``), created on first use.

    Separate databases keep the session's demo store apart from the stores that tests wipe.
    """
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        return f"sqlite:///{tmp_path / name}"
    url = make_url(normalise_url(base))
    database = f"{url.database}_{Path(name).stem}".lower()
    admin = db.get_engine(url.render_as_string(hide_password=False))
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        exists = conn.execute(
            text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": database}
        ).scalar()
        if not exists:
            conn.execute(text(f'CREATE DATABASE "{database}"'))
    return url.set(database=database).render_as_string(hide_password=False)


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    """An empty store with the schema created."""
    url = store_url(tmp_path)
    yield fresh_store(url)
    db.get_engine(url).dispose()


@pytest.fixture(scope="session")
def demo_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A small synthetic demo store (3 months), built once for the whole session.

    On PostgreSQL it lives in a database of its own, which no other fixture wipes.
    """
    from productivity.synth import demo

    url = store_url(tmp_path_factory.mktemp("demo"), "demo.db")
    engine = fresh_store(url)
    demo.build_demo(engine=engine, seed=1, months=3)
    return url


@pytest.fixture
def demo_engine(demo_url: str) -> Engine:
    from productivity.store.facts import store_is_empty
    from productivity.synth import demo

    engine = db.get_engine(demo_url)
    if store_is_empty(engine):  # another test reset the shared PostgreSQL database
        demo.build_demo(engine=fresh_store(demo_url), seed=1, months=3)
    return engine


# Page tests (AppTest): shared helpers, imported as ``from tests.conftest import ...``.
PAGE_TIMEOUT = 60  # seconds: the first run of a session reads the marts
ROOT = Path(__file__).resolve().parent.parent


def app_page(
    monkeypatch: pytest.MonkeyPatch, demo_url: str, page: str, *, from_entrypoint: bool = False
) -> Callable[..., AppTest]:
    """``start(**query)``: a fresh AppTest of ``page`` (a file in ``pages/``) on the demo store.

    By default it runs the page file, as a deep link to a cold server does; AppTest has no URL
    path, so ``switch_page`` picks the page as a real path (/Diagnostics) would. With
    ``from_entrypoint`` it starts from ``streamlit_app.py`` and switches to the page.
    """
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("DATABASE_URL", demo_url)
    monkeypatch.delenv("PRODUCTIVITY_BENCHMARKS", raising=False)
    st.cache_data.clear()
    st.cache_resource.clear()  # ui.engine() may hold another test's store
    script = ROOT / ("streamlit_app.py" if from_entrypoint else f"pages/{page}")

    def start(**query: str) -> AppTest:
        at = AppTest.from_file(str(script), default_timeout=PAGE_TIMEOUT)
        for key, value in query.items():
            at.query_params[key] = value
        at.switch_page(f"pages/{page}" if from_entrypoint else page)
        return at.run()

    return start


def chart_specs(at: AppTest) -> list[dict[str, Any]]:
    """Each Vega-Lite chart's spec, with its datasets decoded into DataFrames (``frames``)."""
    import pyarrow as pa

    found = []
    for element in at.get("vega_lite_chart"):
        spec = json.loads(element.proto.spec)
        spec["frames"] = {
            d.name: pa.ipc.open_stream(d.data.data).read_all().to_pandas()
            for d in element.proto.datasets
        }
        found.append(spec)
    return found


def spec_text(spec: dict[str, Any]) -> str:
    """A chart's spec without its data, as text to search for titles and labels."""
    return json.dumps(
        {k: v for k, v in spec.items() if k not in ("frames", "datasets")}, ensure_ascii=False
    )


def table_with(at: AppTest, column_start: str) -> pd.DataFrame:
    """The first table with a column whose heading starts with ``column_start``."""
    return next(
        d.value for d in at.dataframe if any(str(c).startswith(column_start) for c in d.value)
    )


def page_tab_sets(at: AppTest) -> dict[str, list[str]]:
    """Each set of page tabs (``ui.page_tabs``) the run drew: its key (bound to the URL) and
    its labels, in order."""
    found: dict[str, list[str]] = {}

    def walk(node: Any) -> None:
        proto = getattr(node, "proto", None)
        if proto is not None and hasattr(proto, "HasField") and _is_tab_set(proto):
            key = proto.tab_container.query_param_key
            found[key] = [child.label for child in node.children.values()]
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(at._tree)
    return found


def _is_tab_set(proto: Any) -> bool:
    try:
        return bool(proto.HasField("tab_container")) and bool(proto.tab_container.query_param_key)
    except ValueError:  # an element's proto, not a block's
        return False


def open_tab(at: AppTest, label: str) -> AppTest:
    """Open the page tab called ``label`` (as a click on it does) and rerun."""
    for key, labels in page_tab_sets(at).items():
        if label in labels:
            _choose_tab(at, key, label, labels[0])
            return at.run()
    raise AssertionError(f"no page tab {label!r}: {page_tab_sets(at)}")


def every_tab(at: AppTest) -> Iterator[tuple[str, AppTest]]:
    """The page as run, then with each other page tab open in turn: ``(label, at)``; a page
    without tabs gives itself once, labelled ``""``."""
    sets = page_tab_sets(at)
    if not sets:
        yield "", at
        return
    for key, labels in sets.items():
        for label in labels:
            _choose_tab(at, key, label, labels[0])
            yield label, at.run()


def _choose_tab(at: AppTest, key: str, label: str, default: str) -> None:
    """The tab for the next run, in the session and the URL, as a click sets it: a browser's URL
    drops a bound widget's default value, AppTest's keeps the last one written (which would win
    over the session on the next run)."""
    at.session_state[key] = label
    if label == default:
        at.query_params.pop(key, None)
    else:
        at.query_params[key] = label
