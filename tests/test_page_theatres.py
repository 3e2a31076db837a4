"""The Theatres page in AppTest on the 3-month demo store: drill-down, empty states, rebase."""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import app_page, chart_specs as charts, every_tab


@pytest.fixture
def page(demo_url, monkeypatch):
    """A fresh AppTest of the Theatres page, reached from the entrypoint, on the demo store."""
    return app_page(monkeypatch, demo_url, "Theatres.py", from_entrypoint=True)


def spc(at: AppTest) -> dict:
    (chart,) = [c for c in charts(at) if "Variation" in json.dumps(c.get("title", ""))]
    return chart


def list_rows(at: AppTest) -> pd.DataFrame:
    """The table of every list (the ranking's list table has no planned start)."""
    return next(d.value for d in at.dataframe if {"session_date", "planned_start"} <= set(d.value))


def selected(at: AppTest) -> dict[str, object]:
    return {s.key: s.value for s in at.selectbox}


def every_chart(at: AppTest) -> list[dict]:
    """The charts of every tab of the page, tab by tab."""
    return [chart for _, tab in every_tab(at) for chart in charts(tab)]


def test_all_trusts_renders_every_chart_but_no_list_table(page):
    at = page()
    assert not at.exception
    assert [t.label for t in at.tabs] == [
        "Trend", "Where the minutes went", "Ranking", "Day case", "Against other trusts", "SPC",
        "Lists",
    ]  # fmt: skip
    assert len(at.get("vega_lite_chart")) == 1  # only the open tab's section runs: the trend
    drawn, captions = {}, []
    for label, tab in every_tab(at):
        assert not tab.exception, label
        drawn[label] = len(tab.get("vega_lite_chart"))
        assert "site" not in selected(tab)
        assert not any("session_date" in d.value.columns for d in tab.dataframe)
        captions += [c.value for c in tab.caption]
    # trend, waterfall and bands, heatmap, day-case rates, trusts, SPC; no lists
    assert drawn == {
        "Trend": 1, "Where the minutes went": 2, "Ranking": 1, "Day case": 1,
        "Against other trusts": 1, "SPC": 1, "Lists": 0,
    }  # fmt: skip
    assert any("Choose a trust to rank" in c for c in captions)
    assert any("Choose a trust to see its individual lists" in c for c in captions)


def test_query_parameters_preselect_the_drill_down(page):
    at = page(trust="RBL", site="RBL02", theatre="Theatre 1", tab="Lists")
    assert not at.exception
    assert selected(at)["trust"] == "RBL"
    assert selected(at)["site"] == "RBL02"
    assert selected(at)["theatre"] == "Theatre 1"
    rows = list_rows(at)
    assert set(rows["site"]) == {"RBL02"} and set(rows["theatre"]) == {"Theatre 1"}
    assert at.subheader[0].value.startswith("RBL › RBL02 › Theatre 1")


def test_choosing_a_site_changes_the_table_and_the_charts(page):
    at = page(trust="RBL", tab="Lists")
    before_rows = list_rows(at)
    assert set(before_rows["site"]) == {"RBL01", "RBL02"}
    at.selectbox(key="site").select("RBL02").run()
    assert not at.exception
    after_rows = list_rows(at)
    # (a tab named in the URL stays open: the charts of every tab are read from fresh pages)
    before_charts = every_chart(page(trust="RBL"))
    after_charts = every_chart(page(trust="RBL", site="RBL02"))
    assert set(after_rows["site"]) == {"RBL02"} and len(after_rows) < len(before_rows)
    # the same charts, drawn from different data
    assert len(after_charts) == len(before_charts)
    assert [c["frames"].keys() for c in after_charts] != [c["frames"].keys() for c in before_charts]


def test_monthly_toggle_redraws_the_trend(page):
    at = page(trust="RBL")
    weekly = next(iter(charts(at)[0]["frames"].values()))
    at.toggle(key="monthly").set_value(True).run()
    assert not at.exception
    monthly = next(iter(charts(at)[0]["frames"].values()))
    assert len(monthly) == 2 * 3  # capped and uncapped for each of the 3 demo months
    assert len(weekly) > len(monthly)


def test_the_specialty_picker_offers_only_the_trusts_and_sites_specialties(page):
    # Alder Hey's paediatric cardiac surgery is not done at Wirral: not offered there, and a
    # URL naming it falls back to all specialties.
    at = page(trust="RBL", specialty="Paediatric Cardiac Surgery")
    assert not at.exception
    offered = at.selectbox(key="specialty").options
    assert "Paediatric Cardiac Surgery" not in offered and "General Surgery" in offered
    assert selected(at)["specialty"] == "All specialties"
    assert "Paediatric Cardiac Surgery" in page(trust="RBS").selectbox(key="specialty").options
    # RBL02 is the orthopaedic site: breast surgery is done only at RBL01.
    at = page(trust="RBL", site="RBL02")
    site_offers = at.selectbox(key="specialty").options
    assert "Breast Surgery" in offered and "Breast Surgery" not in site_offers
    assert set(site_offers) < set(offered)


def test_a_filter_that_selects_nothing_says_so(page, demo_engine):
    # Ophthalmology is done at RBL02, but never in Theatre 1 there.
    from productivity.store import marts

    rows = marts.read_mart(
        demo_engine, marts.THEATRE_MONTH, trusts=["RBL"], extra={"site": "RBL02"}
    )
    theatres = set(rows["theatre"])
    empty = next(t for t in sorted(theatres) if not (
        (rows["theatre"] == t) & (rows["specialty"] == "Ophthalmology")).any())  # fmt: skip
    at = page(trust="RBL", site="RBL02", theatre=empty, specialty="Ophthalmology")
    assert not at.exception
    assert selected(at)["specialty"] == "Ophthalmology"
    assert any("No theatre lists" in i.value for i in at.info)
    assert not at.get("vega_lite_chart")


def test_data_manager_adds_a_rebase_and_it_is_drawn(page):
    at = page(trust="RBL", site="RBL01", tab="SPC")  # no sign-in: a local data manager
    assert not at.exception
    points = next(iter(f for f in spc(at)["frames"].values() if "point_type" in f.columns))
    change = pd.Timestamp(points["date"].iloc[6]).date()
    at.date_input[0].set_value(change)
    at.text_input[0].input("New start-time huddle")
    at.button[0].click().run()
    assert not at.exception
    assert not at.error
    assert any("stored" in s.value for s in at.success)
    frames = spc(at)["frames"].values()
    markers = next(f for f in frames if "reason" in f.columns)
    assert markers["date"].tolist() == [change.isoformat()]
    assert markers["reason"].tolist() == ["New start-time huddle"]
    points = next(f for f in frames if "point_type" in f.columns)
    assert points["period"].nunique() == 2  # limits recalculated from the rebase

    # Everyone sees it: a new session on the same store draws the same marker.
    again = page(trust="RBL", site="RBL01", tab="SPC")
    markers = next(f for f in spc(again)["frames"].values() if "reason" in f.columns)
    assert markers["date"].tolist() == [change.isoformat()]


def test_a_bad_rebase_is_refused_with_a_message(page):
    at = page(trust="RBL", site="RBL01", tab="SPC")
    at.date_input[0].set_value(dt.date(2026, 1, 5))
    at.button[0].click().run()  # no reason given
    assert not at.exception
    assert any("reason" in e.value for e in at.error)
