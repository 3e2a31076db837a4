"""The Data page in AppTest on the 3-month demo store: its three tabs, and the data-quality
report of a trust and period as the report command reads it."""

from __future__ import annotations

import pandas as pd
import pytest

from productivity.store import marts, reports
from tests.conftest import app_page, every_tab, page_tab_sets

TABS = ["Import", "Data quality", "Drop folder"]


@pytest.fixture
def page(demo_url, monkeypatch):
    return app_page(monkeypatch, demo_url, "Data.py")


def subheaders(at) -> list[str]:
    return [s.value for s in at.subheader]


def test_the_import_tab_opens_first_and_each_tab_draws_only_its_section(page):
    at = page()
    assert not at.exception
    assert page_tab_sets(at) == {"tab": TABS}
    drawn = {label: subheaders(run) for label, run in every_tab(at)}
    assert drawn == {
        "Import": ["Load a file", "Import history"],
        "Data quality": ["Data quality"],
        "Drop folder": ["Scheduled drop folder"],
    }


def test_the_import_tab_has_the_uploader_and_the_history(page):
    at = page()
    assert [u.label for u in at.get("file_uploader")] == ["File", "Column map (TOML, optional)"]
    history = at.dataframe[0].value
    assert len(history) and {"kind", "status", "rows"} <= set(history.columns)


def test_the_quality_tab_shows_the_report_of_the_trust_and_period(page, demo_engine):
    months = sorted(marts.read_mart(demo_engine, marts.THEATRE_MONTH)["month"].unique())
    at = page(tab="Data quality", trust="RBL", **{"from": months[1], "to": months[-1]})
    assert not at.exception
    (table,) = [d.value for d in at.dataframe]
    expected = reports.quality_table(demo_engine, marts.Period(months[1], months[-1]), "RBL")
    assert table["trust_code"].tolist() == expected["trust_code"].tolist() == ["RBL"] * 2
    assert table["month"].tolist() == expected["month"].tolist() == months[1:]
    counts = ["lists", "cases", "anaesthetic_fallback", "lists_without_cases", "long_cases"]
    pd.testing.assert_frame_equal(
        table[counts].reset_index(drop=True), expected[counts], check_dtype=False
    )
    assert expected["lists"].gt(0).all() and expected["cases"].gt(0).all()


def test_the_drop_folder_tab_says_when_no_worker_has_run(page):
    at = page(tab="Drop folder")
    assert not at.exception
    assert any("No scheduler worker has run" in i.value for i in at.info)
