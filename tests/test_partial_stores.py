"""Pages and the board pack on a store that holds only some sources (issue 13, item 9).

A trust may load theatre extracts long before any imaging (or the reverse). Every page and the
pack must then work and say what is missing, never raise (``KeyError: 'additional_scans'`` on
the Overview and in ``pack`` was the bug).
"""

from __future__ import annotations

from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from productivity import ingest, pack, ui
from productivity.store import marts
from tests.conftest import fresh_store, store_url

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "data" / "samples"
SOURCES = {
    "theatres-only": ("theatre-extract-RBL-May-2026.csv",),
    "imaging-only": ("imaging-scanner-days-May-2026.csv",),
}
PAGES = [path for path, _title, _icon in ui.PAGES if (ROOT / path).exists()]
TIMEOUT = 90


@pytest.fixture(scope="module", params=sorted(SOURCES))
def partial_url(request, tmp_path_factory) -> str:
    """A store holding only the sample files of one source, with its marts built."""
    url = store_url(tmp_path_factory.mktemp(request.param), f"{request.param}.db")
    engine = fresh_store(url)
    for name in SOURCES[request.param]:
        ingest.import_file(SAMPLES / name, engine=engine)
    marts.rebuild_marts(engine)
    return url


def run_page(page: str, url: str, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.delenv("PRODUCTIVITY_BENCHMARKS", raising=False)
    st.cache_data.clear()
    st.cache_resource.clear()  # ui.engine() may hold another test's store
    at = AppTest.from_file(str(ROOT / page), default_timeout=TIMEOUT)
    at.secrets.update({"productivity": {}})
    at.switch_page(Path(page).name)
    return at.run()


@pytest.mark.parametrize("page", PAGES)
def test_every_page_works_on_a_partial_store(partial_url, page, monkeypatch):
    at = run_page(page, partial_url, monkeypatch)
    assert not at.exception, [e.value for e in at.exception]
    assert at.title, "the page drew its frame"


@pytest.mark.parametrize(("trust", "fmt"), [(None, "pdf"), ("RBL", "pptx")])
def test_the_board_pack_builds_on_a_partial_store(partial_url, trust, fmt):
    from productivity.store.db import get_engine

    content = pack.build_pack(get_engine(partial_url), trust=trust, period="2026-05", fmt=fmt)
    assert content[:4] in (b"%PDF", b"PK\x03\x04")


def test_the_scorecard_lists_the_stores_trusts_in_the_files_order(engine):
    """A trust in the store's trust table but not in data/trusts.csv (a deployment's own, or
    the performance harness's synthetic trusts) is one of the scorecard's trusts
    (``reports.trust_scorecard`` starts from :func:`reference.stored_trusts`)."""
    from sqlalchemy import insert

    from productivity.store import models, reference

    listed = reference.read_trusts()["trust_code"].tolist()
    assert reference.stored_trusts(engine)["trust_code"].tolist() == listed  # none stored yet
    with engine.begin() as conn:
        reference.seed_reference(conn)
        trust = models.table_of(models.Trust)
        conn.execute(insert(trust).values(trust_code="X01", name="Synthetic", type="acute"))
    stored = reference.stored_trusts(engine)
    assert stored["trust_code"].tolist() == [*listed, "X01"]  # the file's order, then others
    assert stored.set_index("trust_code").loc["X01", "name"] == "Synthetic"
