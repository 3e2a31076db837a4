"""The Overview page in AppTest: ranking, outliers beside benchmarks, what-if, board pack."""

from __future__ import annotations

import pytest

from tests.conftest import app_page, chart_specs, table_with


@pytest.fixture
def page(monkeypatch, demo_engine, demo_url):
    return app_page(monkeypatch, demo_url, "Overview.py")


def test_the_overview_ranks_trusts_and_keeps_outliers_apart(page):
    at = page()
    assert not at.exception
    assert at.title[0].value == "Overview"
    assert [m.label for m in at.metric][0].startswith("Additional theatre cases a year")
    ranking = table_with(at, "Rank")
    assert len(ranking) >= 10 and list(ranking["Rank"])[:1] == [1]
    outliers = table_with(at, "Funnel")
    assert {"Outlier?", "Benchmark"} <= set(outliers.columns) or len(outliers.columns) >= 5
    assert len(chart_specs(at)) >= 2  # the ranking bars and the funnel plot
    assert not at.slider  # the what-if scenario is computed only when asked for


def test_query_parameters_choose_the_trust_and_the_ranking(page):
    at = page(trust="RBL", ranking="Share of current activity")
    assert not at.exception
    assert at.selectbox(key="trust").value == "RBL"
    assert list(table_with(at, "Rank")["Trust"]) == ["RBL"]
    assert any("% of current activity" in s.value for s in at.subheader)


def test_a_scenario_is_labelled_as_a_scenario_not_a_benchmark(page):
    at = page(what_if="true", wi_echo="20")
    assert not at.exception
    notes = " ".join(i.value for i in at.info)
    assert "Scenario, not a benchmark" in notes and "echo minutes per test" in notes


def test_one_click_board_pack(page):
    at = page(trust="RBL")
    at.button(key="pack").click().run()
    assert not at.exception
    [download] = [
        d for d in at.get("download_button") if d.proto.label.startswith("Download the board")
    ]
    assert download.proto.label == "Download the board pack"


def test_scans_against_the_benchmark_rate_on_a_ratio_funnel(page):
    at = page()
    at.radio(key="measure").set_value("scans").run()
    assert not at.exception
    outliers = table_with(at, "Expected at benchmark")
    assert {"Scans", "Ratio", "Funnel", "Outlier?"} <= set(outliers.columns)
    assert outliers["Ratio"].str[0].isin(["✓", "✗"]).all()
    funnel = [s for s in chart_specs(at) if "scans ÷ expected at benchmark" in str(s)]
    assert len(funnel) == 1
    assert any("download-outliers-scans" in b.proto.id for b in at.get("download_button"))
    assert any("1 is the benchmark" in c.value for c in at.caption)
