"""The Diagnostics page's DM01 section over time, its test in the URL, labels that agree with ✓/✗.

AppTest on the 3-month demo store (August to October 2026), plus the view function by hand.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import pandas as pd
import pytest

from productivity.benchmarks import load_benchmarks
from productivity.store import marts, reports
from productivity.views import dm01
from tests.conftest import app_page, chart_specs, spec_text

ALL = marts.Period()


@pytest.fixture
def page(demo_url, monkeypatch):
    return app_page(monkeypatch, demo_url, "Diagnostics.py")


@pytest.fixture(scope="module")
def bench():
    return load_benchmarks(override=None)


def trend_charts(at) -> list[dict]:
    return [s for s in chart_specs(at) if "at each month end" in spec_text(s)]


def test_monthly_waits_are_the_month_end_snapshots(demo_engine, bench):
    trend = dm01.monthly_waits(demo_engine, ALL, "MRI", None, bench)
    assert list(trend.columns) == dm01.TREND_COLUMNS
    assert set(trend["test_code"]) == {"MRI"}
    assert sorted(trend["month"].dt.strftime("%Y-%m").unique()) == ["2026-08", "2026-09", "2026-10"]
    # RBT's September row by hand from the DM01 return: (Total WL - 6+) / Total WL and 13+.
    rows = reports.read_dm01(demo_engine, ALL)
    ret = rows[
        (rows["provider_code"] == "RBT")
        & (rows["test_code"] == "MRI")
        & (rows["month"] == "2026-09")
    ].iloc[0]
    rbt = trend[(trend["trust_code"] == "RBT") & (trend["month"] == "2026-09-01")].iloc[0]
    assert rbt["within_6_weeks"] == pytest.approx(
        (ret["total_waiting"] - ret["waiting_6_plus"]) / ret["total_waiting"]
    )
    assert rbt["waiting_13_plus"] == ret["weeks_13_plus"]
    assert rbt["trust"].startswith("RBT · ")  # code and name in the legend
    # The latest month is the per-trust table's snapshot.
    latest = dm01.waits_view(demo_engine, ALL, "MRI", None, bench).per_trust
    last = trend[trend["month"] == trend["month"].max()].set_index("trust_code")
    merged = latest.set_index("provider_code")["within_6_weeks"]
    assert last["within_6_weeks"].to_dict() == pytest.approx(merged[last.index].to_dict())


def test_monthly_waits_for_one_trust(demo_engine, bench):
    trend = dm01.monthly_waits(demo_engine, ALL, "CT", "RBT", bench)
    assert set(trend["trust_code"]) == {"RBT"} and len(trend) == 3
    table = dm01.trend_table(trend, "waiting_13_plus")
    assert list(table.columns) == ["Month", "Trust", "waiting_13_plus"]  # a number, for sorting
    assert table["Month"].iloc[0] == "2026-10"  # newest first
    assert pd.api.types.is_numeric_dtype(table["waiting_13_plus"])


def test_the_trend_charts_draw_both_measures_with_their_benchmarks(page):
    at = page(modality="MRI", tab="DM01 waits")
    assert not at.exception
    assert any(h.value == "DM01 trend by month across the system" for h in at.subheader)
    within, over_13 = trend_charts(at)
    assert "% under 6 weeks" in spec_text(within) and "13+ weeks" in spec_text(over_13)
    for chart, target in ((within, 0.95), (over_13, 0.0)):
        frames = chart["frames"].values()
        (rules,) = [f for f in frames if "value" in f and "month" not in f]
        assert target in set(rules["value"])  # the benchmark line is drawn
        (data,) = [f for f in frames if "month" in f]
        assert data["trust_code"].nunique() >= 10 and data["month"].nunique() == 3
    # A table (with its download) beside each chart.
    tables = [d.value for d in at.dataframe if {"Month", "Trust"} <= set(d.value.columns)]
    assert [list(t.columns)[2] for t in tables] == ["within_6_weeks", "waiting_13_plus"]
    downloads = [d.proto.id for d in at.get("download_button")]  # keyed by the file's name
    for name in ("dm01-mri-within_6_weeks", "dm01-mri-waiting_13_plus"):
        assert any(d.endswith(f"download-{name}") for d in downloads)


def test_the_trend_follows_the_trust_filter(page):
    at = page(modality="CT", trust="RBT", tab="DM01 waits")
    data = next(f for f in trend_charts(at)[0]["frames"].values() if "month" in f)
    assert set(data["trust_code"]) == {"RBT"}
    assert any(h.value == "DM01 trend by month at RBT" for h in at.subheader)


def test_the_dm01_test_is_read_from_the_url(page):
    # AppTest does not write the URL back; the browser test does the round trip.
    at = page(modality="CT", dm01_test="DEXA_SCAN", tab="DM01 waits")
    assert not at.exception
    assert at.selectbox(key="dm01_test").value == "DEXA_SCAN"
    assert any(c.value == "DEXA Scan" for c in at.caption)  # its name beside the code
    assert any(h.value.startswith("DM01 waits: DEXA Scan") for h in at.subheader)
    at.selectbox(key="dm01_test").select("MRI").run()
    at.run()  # a query-parameter-bound widget may settle on the second run
    assert not at.exception
    assert at.selectbox(key="dm01_test").value == "MRI"
    assert any(h.value.startswith("DM01 waits: Magnetic Resonance") for h in at.subheader)


def test_a_bad_dm01_test_in_the_link_says_so(page):
    at = page(modality="MRI", dm01_test="XYZ", tab="DM01 waits")
    assert not at.exception
    assert any("XYZ" in w.value and "not a DM01 test" in w.value for w in at.warning)
    assert at.selectbox(key="dm01_test").value == "MRI"  # the modality's own test instead


def half_up(value: float, digits: int) -> Decimal:
    """A percentage as Vega's labels round it (half up), at ``digits`` decimals."""
    quantum = Decimal(1).scaleb(-digits)
    return (Decimal(repr(value)) * 100).quantize(quantum, rounding=ROUND_HALF_UP)


@pytest.mark.parametrize("test", ["CT", "MRI", "ECHOCARDIOGRAPHY"])
def test_bar_labels_agree_with_their_judgement(page, test):
    at = page(dm01_test=test, tab="DM01 waits")
    (chart,) = [s for s in chart_specs(at) if "Against interim ambition" in spec_text(s)]
    texts = [layer["encoding"]["text"] for layer in chart["layer"] if "text" in layer["encoding"]]
    fmt = texts[0]["format"]
    digits = int(fmt.strip(".%"))
    (data,) = [f for f in chart["frames"].values() if "within_6_weeks" in f and "status" in f]
    for value, status in zip(data["within_6_weeks"], data["status"], strict=True):
        shown = half_up(value, digits)
        python = Decimal(format(value * 100, f".{digits}f"))
        if status.startswith("✗"):
            assert shown < 95 and python < 95, (value, fmt)
        else:
            assert shown >= 95 and python >= 95, (value, fmt)
