"""The Reporting and pathology page in AppTest on the 3-month demo, each section in its tab;
its view's arithmetic; and the month sums its tabs use, equal to the view's figures."""

from __future__ import annotations

import pandas as pd
import pandas.testing as pdt
import pytest

from productivity.benchmarks import load_benchmarks
from productivity.store import marts
from productivity.views import reporting as rv, reporting_months as rm, reporting_tables as rt
from tests.conftest import app_page, every_tab, open_tab, table_with as table

TABS = ["Trusts against targets", "Month by month", "Turnaround days", "Backlog", "Drill-down"]


@pytest.fixture
def page(demo_url, monkeypatch):
    """A fresh AppTest of the page file (as a deep link runs it), on the demo store."""
    return app_page(monkeypatch, demo_url, "Reporting.py")


def test_the_page_draws_every_section_with_a_download(page):
    at = page()
    assert not at.exception
    assert at.title[0].value == "Reporting and pathology"
    assert any("Synthetic demo data" in w.value for w in at.warning)
    assert at.selectbox(key="measure").value == "reporting_ct_urgent"
    # trusts against the target, SPC, distribution, backlog, drill-down: a chart each, in a tab
    # each, the open one only drawn; the every-benchmark table's download, then one beside
    # each chart
    drawn = {}
    for label, shown in every_tab(at):
        assert not shown.exception, label
        drawn[label] = (len(shown.get("vega_lite_chart")), len(shown.get("download_button")))
    assert list(drawn) == TABS
    assert drawn == {TABS[0]: (1, 2), **dict.fromkeys(TABS[1:], (1, 1))}
    marks = table(
        open_tab(at, TABS[0]), "reporting_ct_urgent_meets"
    )  # each target's share, then its ✓/✗
    assert marks["reporting_ct_urgent_meets"].isin(["✓", "✗", "–"]).all()
    assert pd.api.types.is_float_dtype(marks["reporting_ct_urgent"])


def test_the_url_picks_the_target_trust_and_drill_down(page):
    # The selectboxes show words, and the URL carries the words shown.
    cancer = "Cancer histopathology reported within 10 working days of receipt"
    at = page(measure=cancer, trust="RBN", pathology_by="Laboratory", tab="Drill-down")
    assert not at.exception
    assert at.selectbox(key="measure").value == "pathology_cancer_10_days"
    assert at.selectbox(key="trust").value == "RBN"
    assert at.selectbox(key="pathology_by").value == "lab"
    assert any(h.value.endswith("by laboratory") for h in at.subheader)
    assert at.query_params["measure"] == cancer


def test_choosing_another_target_changes_the_url(page):
    at = page(tab="Month by month")
    at.selectbox(key="measure").select("reporting_all_28_days").run()
    at.run()  # a query-parameter-bound widget may settle on the second run
    assert not at.exception
    assert at.selectbox(key="measure").value == "reporting_all_28_days"
    assert any("Every examination" in h.value for h in at.subheader)


def test_median_from_a_histogram():
    # 1, 2, 2, 5, 7, 7: the middle two are 2 and 5, so (2 + 5) / 2 = 3.5
    days = pd.DataFrame({"days": [1, 2, 5, 7], "events": [1, 2, 1, 2]})
    assert rv.median_from_histogram(days) == 3.5
    assert pd.isna(rv.median_from_histogram(days.assign(events=0)))


def test_a_share_with_nothing_decided_is_empty_not_zero():
    counts = pd.DataFrame(
        {"month": ["2025-04", "2025-05"], "events": [4, 2], "within_target": [3, 0],
         "breaches": [1, 0], "pending": [0, 2]}
    )  # fmt: skip
    shares = rv.with_share(counts, ["month"])
    # April: 3 ÷ (3 + 1) = 0.75; May: all pending, 0 ÷ 0 is empty
    assert shares["share_within_target"].iloc[0] == 0.75
    assert pd.isna(shares["share_within_target"].iloc[1])
    assert list(rv.monthly_share(counts)["month"]) == ["2025-04"]


def test_days_bars_fold_the_tail_and_say_within_or_beyond():
    days = pd.DataFrame({"days": [0, 7, 8, 50, 60], "events": [5, 1, 2, 3, 4]})
    bars = rt.days_bars(days, target_days=7, cap=42)
    assert list(bars["turnaround"]) == ["0", "7", "8", "42+"]
    assert list(rt.days_table(bars)["turnaround_days"]) == [0, 7, 8, 42]  # sorts as numbers
    assert list(bars["events"]) == [5, 1, 2, 7]  # 3 + 4 in the tail
    assert list(bars["against"]) == ["within target"] * 2 + ["beyond target"] * 2


def test_the_backlog_tab_ignores_the_period(page):
    at = page(tab="Backlog", **{"from": "2025-06"})
    assert not at.exception
    assert any(h.value.startswith("Unreported backlog by age") for h in at.subheader)
    assert any("the period filter does not apply" in c.value for c in at.caption)


@pytest.mark.parametrize(
    "period",
    [marts.Period(None, None), marts.Period("2025-05", None), marts.Period(None, "2025-05"),
     marts.Period("2025-06", "2025-06"), marts.Period("2031-01", None)],
)  # fmt: skip
def test_the_month_sums_give_the_views_figures_exactly(demo_engine, period):
    bench = load_benchmarks(override=None)
    for kind in ("reporting", "pathology"):
        months = rm.kind_months(demo_engine, kind)
        pdt.assert_frame_equal(
            rv.kind_trust_shares(demo_engine, period, kind, bench),
            rm.shares_in(months, period, kind, bench),
            check_exact=True,
        )
        for measure in rv.measures_of(kind):
            for trust in (None, "RBL", "RBN"):
                whole = rv.reporting_view(demo_engine, period, measure, trust, bench)
                monthly, result = rm.monthly_in(
                    months, period, measure, trust, bench[measure].value
                )
                pdt.assert_frame_equal(whole.monthly, monthly, check_exact=True)
                assert (whole.spc is None) == (result is None)
                if whole.spc is not None and result is not None:
                    pdt.assert_frame_equal(whole.spc.points, result.points, check_exact=True)
                days = rm.days_in(months, period, measure, trust)
                pdt.assert_frame_equal(whole.days, days, check_exact=True)
                backlog = rv.trust_backlog(demo_engine, kind, trust)
                pdt.assert_frame_equal(whole.backlog, backlog, check_exact=True)
