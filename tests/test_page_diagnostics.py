"""The Diagnostics page in AppTest on the 3-month demo store: modalities, filters, empty states."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import (
    app_page,
    chart_specs as specs,
    every_tab,
    open_tab,
    page_tab_sets,
    spec_text,
    table_with as table,
)

TABS = [
    "Against the benchmark", "By scanner or site", "Trend and SPC", "DM01 waits",
    "Backlog and what if",
]  # fmt: skip


@pytest.fixture
def page(demo_url, monkeypatch):
    """A fresh AppTest of the Diagnostics page file (as a deep link runs it), on the demo store."""
    return app_page(monkeypatch, demo_url, "Diagnostics.py")


def axis_titles(at: AppTest) -> str:
    return " ".join(spec_text(s) for s in specs(at))


def test_query_parameter_preselects_the_modality(page):
    at = page(modality="MRI", benchmark="national")
    assert not at.exception
    assert at.title[0].value == "Diagnostics"
    assert at.selectbox(key="modality").value == "MRI"
    assert at.radio(key="benchmark").value == "national rates"
    assert "MRI scans per operational hour" in axis_titles(at)
    rates = table(at, "scans_per_hour")  # numbers stay numbers; the ✓/✗ beside them
    assert pd.api.types.is_float_dtype(rates["scans_per_hour"])
    assert set(rates["scans_per_hour_meets"]) <= {"✓", "✗", "–"}
    assert page_tab_sets(at) == {"tab": TABS}
    # Only the open tab is drawn: trusts; scanners; the trend and SPC; DM01 % within 6 weeks,
    # its two monthly trends and the bands; the backlog table (no chart).
    charts = {label: len(tab.get("vega_lite_chart")) for label, tab in every_tab(at)}
    assert charts == dict(zip(TABS, [1, 1, 2, 4, 0], strict=True))
    downloads = {label: len(tab.get("download_button")) for label, tab in every_tab(at)}
    assert downloads == dict(zip(TABS, [1, 1, 2, 5, 1], strict=True))
    assert open_tab(at, "DM01 waits").selectbox(key="dm01_test").value == "MRI"


def test_the_modality_filter_changes_the_charts_and_tables(page):
    at = page(modality="CT")
    ct = axis_titles(at)
    assert "CT scans per operational hour" in ct
    at.selectbox(key="modality").select("Echo").run()
    assert not at.exception
    echo = axis_titles(at)
    assert echo != ct and "Echo minutes per test" in echo
    assert "minutes_per_test_meets" in table(at, "minutes_per_test").columns
    assert any("AI-assisted scenario" in i.value for i in at.info)
    assert open_tab(at, "DM01 waits").selectbox(key="dm01_test").value == "ECHOCARDIOGRAPHY"
    open_tab(at, "Against the benchmark")
    at.selectbox(key="modality").select("Endoscopy").run()
    assert not at.exception
    assert "utilisation_meets" in table(at, "utilisation").columns
    open_tab(at, "By scanner or site")
    assert "Scanner" not in table(at, "Site").columns  # per site, not per scanner


def test_the_trust_filter_narrows_the_distribution_and_marks_the_trust(page):
    at = page(modality="MRI", trust="RBT")
    assert not at.exception
    rates = table(at, "scans_per_hour")
    assert "▶ RBT" in set(rates["Trust"]) and len(rates) > 1  # every trust, the chosen marked
    scanners = table(open_tab(at, "By scanner or site"), "Scanner")
    assert set(scanners["Trust"]) == {"RBT"}
    open_tab(at, "Trend and SPC")
    (frame,) = [f for s in specs(at) for f in s["frames"].values() if {"series", "month"} <= set(f)]
    assert set(frame["series"]) == {"RBT", "System"}
    assert any(h.value.endswith("at RBT: SPC") for h in at.subheader)


def test_the_spc_chart_names_its_variation_and_assurance(page):
    at = page(modality="Echo", trust="RBT", tab="Trend and SPC")
    (chart,) = [s for s in specs(at) if "Variation" in json.dumps(s.get("title", ""))]
    assert "Assurance" in json.dumps(chart["title"])
    assert any("Variation:" in c.value and "Assurance:" in c.value for c in at.caption)


def test_a_filter_that_selects_nothing_says_so(page):
    at = page(modality="Endoscopy", trust="RBQ")  # a heart and chest trust: no endoscopy
    assert not at.exception
    charts = axis_titles(at)
    assert "Endoscopy list utilisation" in charts  # the all-trust comparison still shows
    units = open_tab(at, "By scanner or site")
    assert any("No Endoscopy activity at RBQ" in i.value for i in units.info)
    assert not units.dataframe and not units.get("vega_lite_chart")
    messages = [i.value for i in open_tab(at, "Trend and SPC").info]
    assert any("No Endoscopy activity at RBQ" in m for m in messages)
    assert any("No whole week of Endoscopy activity at RBQ" in m for m in messages)
    backlog = open_tab(at, "Backlog and what if")
    assert any("No DM01 waits and activity" in i.value for i in backlog.info)


def test_the_dm01_section_shows_both_standards(page):
    at = page(modality="NOUS", tab="DM01 waits")
    dm01 = table(at, "within_6_weeks_meets")  # numbers, each with its own ✓/✗ column
    expected = {"within_6_weeks", "within_6_weeks_meets", "meets_constitutional_99%"}
    assert expected | {"waiting_13_plus", "waiting_13_plus_meets"} <= set(dm01)
    assert set(dm01["meets_constitutional_99%"]) <= {"✓", "✗", "–"}
    rules = {v for s in specs(at) for f in s["frames"].values() if "label" in f for v in f["value"]}
    assert {0.95, 0.99} <= rules  # both standards are drawn
    assert any("constitutional standard 99%" in c.value for c in at.caption)
    assert any(h.value.startswith("DM01 waits: Non-obstetric Ultrasound") for h in at.subheader)
    weeks = table(page(modality="NOUS", tab="Backlog and what if"), "weeks_to_clear_backlog")
    assert weeks["Trust"].iloc[0] == "System"
    at.selectbox(key="dm01_test").select("DEXA_SCAN").run()
    assert not at.exception
    assert any(h.value.startswith("DM01 waits: DEXA Scan") for h in at.subheader)


def bar_layer(at: AppTest, axis_title: str) -> dict:
    """The bar layer of the metric-against-benchmark chart with this y-axis title."""
    (chart,) = [s for s in specs(at) if "Against " in spec_text(s) and axis_title in spec_text(s)]
    return chart["layer"][0]


def test_bars_run_best_first_and_the_legend_says_which_way(page):
    at = page(modality="Echo")  # minutes per test: lower is better
    bars = bar_layer(at, "Echo minutes per test")
    shown = table(at, "minutes_per_test")
    minutes = dict(zip(shown["Trust"], shown["minutes_per_test"], strict=True))
    order = bars["encoding"]["x"]["sort"]
    assert order == sorted(order, key=minutes.get)  # ascending: the best first
    legend = bars["encoding"]["color"]
    assert legend["scale"]["domain"] == ["✓ meets", "✗ misses"]
    assert legend["legend"]["title"] == "Against national (≤45.0)"


def test_dm01_bars_have_a_percent_axis_and_both_standards_in_the_legend(page):
    at = page(modality="MRI", tab="DM01 waits")
    bars = bar_layer(at, "% waiting under 6 weeks")
    assert bars["encoding"]["y"]["axis"]["format"] == ".0%"
    (chart,) = [s for s in specs(at) if "% waiting under 6 weeks" in spec_text(s)]
    (rules,) = [f for f in chart["frames"].values() if {"label", "value"} <= set(f)]
    # The labels take a digit more where one is needed so that a ✗ never reads as 95%.
    assert list(rules["label"]) == ["interim ambition 95.0%", "constitutional standard 99%"]
    texts = [layer["encoding"]["text"] for layer in chart["layer"] if "text" in layer["encoding"]]
    assert all(t["field"] == "within_6_weeks" for t in texts)  # no line label sits on the bars
