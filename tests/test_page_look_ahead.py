"""The Look-ahead page (6-4-2) in AppTest on the 3-month demo store: every trust, one trust's
lists with their flags, and each control bound to the URL."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from tests.conftest import app_page, chart_specs as charts, open_tab, page_tab_sets

FIRST_DAY = dt.date(2026, 11, 2)  # the demo's bookings start on the first Monday after October


@pytest.fixture
def page(demo_url, monkeypatch):
    return app_page(monkeypatch, demo_url, "Look_ahead.py", from_entrypoint=True)


def lists(at) -> pd.DataFrame:
    return next(d.value for d in at.dataframe if "fill_with" in d.value.columns)


def test_every_trust_links_to_its_own_look_ahead(page):
    at = page()
    assert not at.exception
    overview = next(d.value for d in at.dataframe if "flagged_6" in d.value.columns)
    assert len(overview) == 12
    assert overview.set_index("trust_code").loc["RBL", "link"] == "Look_ahead?trust=RBL"
    assert (overview["as_of"] == FIRST_DAY).all()
    drilled = page(trust="RBL")
    assert not drilled.exception and drilled.selectbox(key="trust").value == "RBL"


def test_a_trusts_lists_with_flags_tiles_chart_and_download(page):
    at = page(trust="RBL")
    assert not at.exception
    assert at.date_input(key="as_of").value == FIRST_DAY
    labels = [m.label for m in at.metric]
    assert labels == [
        "Lists in the next six weeks", "Flagged 6 weeks out", "Flagged 4 weeks out",
        "Flagged 2 weeks out", "Cases in the history",
    ]  # fmt: skip
    table = lists(at)
    assert set(table["weeks_out"]) == {2, 4, 6}
    flagged = table[table["flag"].str.startswith("⚑")]
    assert len(flagged) and (flagged["expected_utilisation"] < 0.85).all()
    assert (flagged["fill_with"] != "").all()
    assert any("history" in c.value and "completed cases" in c.value for c in at.caption)
    downloads = [d.proto.id for d in at.get("download_button")]  # keyed by the file's name
    assert any(d.endswith("download-lookahead-RBL-2026-11-02") for d in downloads)
    assert not charts(at), "the chart is drawn in its own tab only"
    at = open_tab(at, "Expected utilisation")
    assert not at.exception
    (chart,) = [c for c in charts(at) if "Expected utilisation" in str(c)]
    assert "benchmark 85%" in str(chart)
    windows = next(d.value for d in at.dataframe if "unfilled_hours" in d.value.columns)
    assert windows["weeks_out"].tolist() == [6, 4, 2]
    assert windows["lists"].sum() == len(table) and windows["flagged"].sum() == len(flagged)
    assert not [d for d in at.dataframe if "fill_with" in d.value.columns]


def test_the_lists_open_first_and_the_chart_tab_is_in_the_url(page):
    at = page(trust="RBL")
    assert page_tab_sets(at) == {"tab": ["Lists for the meeting", "Expected utilisation"]}
    assert at.subheader[0].value == "The lists, for the scheduling meeting"
    at = page(trust="RBL", tab="Expected utilisation", window="2 weeks out")
    assert not at.exception
    (chart,) = charts(at)
    shown = next(iter(chart["frames"].values()))
    assert len(shown) and set(shown["weeks_out"]) == {2}, "the window applies to the chart"


def test_the_window_and_flag_controls_are_in_the_url(page):
    at = page(trust="RBL", window="2 weeks out", flagged="true")
    assert not at.exception
    assert at.segmented_control(key="window").value == "2 weeks out"
    assert at.toggle(key="flagged").value is True
    table = lists(at)
    assert set(table["weeks_out"]) == {2} and table["flag"].str.startswith("⚑").all()
    at.segmented_control(key="window").set_value("6 weeks out").run()
    at.toggle(key="flagged").set_value(False).run()
    assert not at.exception
    table = lists(at)
    assert set(table["weeks_out"]) == {6} and not table["flag"].str.startswith("⚑").all()


def test_as_of_in_the_url_moves_the_windows(page):
    later = FIRST_DAY + dt.timedelta(days=14)
    at = page(trust="RBL", as_of=later.isoformat())
    assert not at.exception
    assert at.date_input(key="as_of").value == later
    table = lists(at)
    assert table["session_date"].min() >= later.isoformat()  # the first fortnight is past
    at.date_input(key="as_of").set_value(FIRST_DAY).run()
    assert not at.exception
    assert lists(at)["session_date"].min() == FIRST_DAY.isoformat()
