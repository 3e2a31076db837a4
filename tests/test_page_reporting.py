"""The Reporting and pathology page in AppTest on the 3-month demo, and its view's arithmetic."""

from __future__ import annotations

import pandas as pd
import pytest

from productivity.views import reporting as rv
from tests.conftest import app_page, table_with as table


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
    # trusts against the target, SPC, distribution, backlog, drill-down: a chart each
    assert len(at.get("vega_lite_chart")) == 5
    # the every-benchmark table's download, then one beside each chart
    assert len(at.get("download_button")) == 6
    marks = table(at, "reporting_ct_urgent_meets")  # each target's share, then its ✓/✗
    assert marks["reporting_ct_urgent_meets"].isin(["✓", "✗", "–"]).all()
    assert pd.api.types.is_float_dtype(marks["reporting_ct_urgent"])


def test_the_url_picks_the_target_trust_and_drill_down(page):
    # The selectboxes show words, and the URL carries the words shown.
    cancer = "Cancer histopathology reported within 10 working days of receipt"
    at = page(measure=cancer, trust="RBN", pathology_by="Laboratory")
    assert not at.exception
    assert at.selectbox(key="measure").value == "pathology_cancer_10_days"
    assert at.selectbox(key="trust").value == "RBN"
    assert at.selectbox(key="pathology_by").value == "lab"
    assert any(h.value.endswith("by laboratory") for h in at.subheader)
    assert at.query_params["measure"] == cancer


def test_choosing_another_target_changes_the_url(page):
    at = page()
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
    bars = rv.days_bars(days, target_days=7, cap=42)
    assert list(bars["turnaround"]) == ["0", "7", "8", "42+"]
    assert list(rv.days_table(bars)["turnaround_days"]) == [0, 7, 8, 42]  # sorts as numbers
    assert list(bars["events"]) == [5, 1, 2, 7]  # 3 + 4 in the tail
    assert list(bars["against"]) == ["within target"] * 2 + ["beyond target"] * 2
