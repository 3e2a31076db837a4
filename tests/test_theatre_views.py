"""Hand-computed shaping for the Theatres page: the shift in words, the ranking and its links,
and trends that leave out partial weeks."""

from __future__ import annotations

import pandas as pd
import pytest

from productivity.metrics import lost_time
from productivity.stats import spc
from productivity.store.marts import Period
from productivity.views import theatre_change as change, theatre_measures, theatre_ranking

MONDAYS = pd.date_range("2026-03-02", periods=14, freq="7D")
# 6 weeks at 60.0% / 61.0% in turn, then 8 weeks at 70.0% / 71.0%, 1,000 planned minutes each.
VALUES = [0.60, 0.61] * 3 + [0.70, 0.71] * 4


def weekly(values: list[float] = VALUES) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "period": MONDAYS[: len(values)].strftime("%Y-%m-%d"),
            "whole": True,
            "planned_minutes": 1000.0,
            "capped_touch_minutes": [v * 1000 for v in values],
        }
    )


def test_a_shift_is_found_and_said_with_ratios_of_sums():
    # Mean (6 × 0.605 + 8 × 0.705) ÷ 14 = 0.662: the first 6 weeks are below it (a run of 6,
    # not a shift), the last 8 above (a shift of 8) starting on the 7th Monday, 13 April 2026.
    result = spc.xmr(VALUES, MONDAYS, direction="higher", target=0.85)
    shift = change.latest_shift(result)
    assert shift is not None
    assert (shift.start, shift.weeks, shift.direction) == (pd.Timestamp("2026-04-13"), 8,
                                                          change.IMPROVING)  # fmt: skip
    # Before: (600 + 610) × 3 ÷ 6,000 = 60.5%; after: (700 + 710) × 4 ÷ 8,000 = 70.5%.
    assert change.before_and_after(shift, weekly()) == pytest.approx((0.605, 0.705))
    assert change.shift_sentence(shift, weekly()) == (
        "Since the week of 13 April 2026, capped utilisation is 70.5% against 60.5% before "
        "(special cause, improving: 8 weeks in a row on one side of the mean)."
    )


def test_a_fall_is_concerning_and_partial_weeks_are_left_out():
    falling = [0.71, 0.70] * 3 + [0.61, 0.60] * 4  # 6 high, then 8 low from 13 April
    shift = change.latest_shift(spc.xmr(falling, MONDAYS, direction="higher"))
    assert shift is not None and shift.direction == change.CONCERNING
    rows = weekly(falling).assign(whole=[False] + [True] * 13)  # the first week is partial
    # Before without week 1: (700 + 710 + 700 + 710 + 700) ÷ 5,000 = 70.4%.
    assert change.before_and_after(shift, rows)[0] == pytest.approx(0.704)


def test_no_shift_when_the_run_starts_the_period():
    # Rebased at 13 April: the new period's points all sit at its own mean ± noise.
    result = spc.xmr(VALUES, MONDAYS, direction="higher", rebase_dates=["2026-04-13"])
    assert change.latest_shift(result) is None
    assert "No shift" in change.no_shift_sentence(result)


def ranked_lists() -> pd.DataFrame:
    """Four lists of RBL: Theatre 1 loses 40 minutes to late starts, Theatre 2 only 10, but
    Theatre 2 has an unused session (240 minutes)."""
    gs, uro = "General Surgery", "Urology"
    rows = pd.DataFrame(
        [
            # site, theatre, specialty, day, session, planned, capped, unused, late, early,
            # overrun, gaps
            ("RBL01", "Theatre 1", gs, "Monday", "AM", 240, 180, False, 25, 5, 0, 30),
            ("RBL01", "Theatre 1", uro, "Monday", "PM", 240, 215, False, 15, 10, 20, 0),
            ("RBL01", "Theatre 2", gs, "Tuesday", "AM", 240, 0, True, None, None, None, 0),
            ("RBL01", "Theatre 2", uro, "Tuesday", "PM", 240, 220, False, 10, 10, 0, 0),
        ],
        columns=["site", "theatre", "specialty", "weekday", "session", "planned_minutes",
                 "capped_touch_minutes", "unused", "late_start_minutes", "early_finish_minutes",
                 "overrun_minutes", lost_time.IN_SESSION_GAPS],
    )  # fmt: skip
    causes = lost_time.lost_minutes_by_cause(rows)
    keep = rows.drop(columns=["late_start_minutes", "early_finish_minutes", "overrun_minutes"])
    return pd.concat([keep, causes], axis=1).assign(
        trust_code="RBL", session_date=["2026-05-04", "2026-05-04", "2026-05-05", "2026-05-05"],
        month="2026-05", completed_cases=[3, 4, 0, 4], realisable_additional_cases=[1.0, 0, 2, 0],
    )  # fmt: skip


def test_theatres_ranked_by_late_start_minutes_with_their_links():
    ranked = theatre_ranking.rank(ranked_lists(), "theatre", "Late starts", Period("2026-05"))
    # Theatre 1: 25 + 15 = 40 late minutes; Theatre 2: 0 (unused) + 10 = 10.
    assert ranked["theatre"].tolist() == ["Theatre 1", "Theatre 2"]
    assert ranked["late_start_minutes"].tolist() == [40, 10]
    # Theatre 2 lost 240 (unused) + 10 + 10 = 260 of 480 planned; capped 220 ÷ 480.
    two = ranked.set_index("theatre").loc["Theatre 2"]
    assert two["lost_minutes"] == 260 and two["lost_minutes_per_list"] == 130
    assert two["capped_utilisation"] == pytest.approx(220 / 480)
    assert two["link"] == "Theatres?trust=RBL&site=RBL01&theatre=Theatre+2&from=2026-05"
    by_unused = theatre_ranking.rank(ranked_lists(), "theatre", "Unused sessions", Period())
    assert by_unused["theatre"].tolist() == ["Theatre 2", "Theatre 1"]
    # Capped utilisation ranks the lowest first: Theatre 2 (45.8%) before Theatre 1 (82.3%).
    by_util = theatre_ranking.rank(ranked_lists(), "theatre", "Capped utilisation", Period())
    assert by_util["theatre"].tolist() == ["Theatre 2", "Theatre 1"]


def test_specialties_and_lists_rank_and_link_too():
    lists = ranked_lists()
    specialties = theatre_ranking.rank(lists, "specialty", "Realisable additional cases", Period())
    # General Surgery 1 + 2 = 3 realisable cases; Urology 0.
    assert specialties[["specialty", "realisable_additional_cases"]].values.tolist() == [
        ["General Surgery", 3], ["Urology", 0],
    ]  # fmt: skip
    assert specialties["link"].iloc[0] == "Theatres?trust=RBL&specialty=General+Surgery"
    top = theatre_ranking.rank_lists(lists, "Overruns", limit=1)
    assert top[["theatre", "overrun_minutes"]].values.tolist() == [["Theatre 1", 20]]
    assert top["link"].iloc[0].endswith("theatre=Theatre+1&from=2026-05&to=2026-05")


def test_the_heatmap_is_per_list_and_utilisation_a_ratio_of_sums():
    lists = ranked_lists()
    late = theatre_ranking.heatmap(lists, "Late starts").set_index(["weekday", "session"])
    per_list = late["late_start_minutes_per_list"]
    assert per_list[("Monday", "AM")] == 25 and per_list[("Tuesday", "AM")] == 0
    util = theatre_ranking.heatmap(lists, "Capped utilisation").set_index(["weekday", "session"])
    assert util.loc[("Tuesday", "PM"), "capped_utilisation"] == pytest.approx(220 / 240)
    assert list(util.index.get_level_values(0)) == ["Monday", "Monday", "Tuesday", "Tuesday"]


def test_trends_leave_out_partial_weeks_and_keep_both_series():
    rows = pd.DataFrame(
        {
            "period": ["2026-04-27", "2026-05-04", "2026-05-11"],
            "whole": [False, True, True],
            "otd_cancellation_rate": [0.5, 0.01, 0.02],
            "clinical_cancellation_rate": [0.0, 0.005, 0.004],
        }
    )
    measure = theatre_measures.TREND_MEASURES["On-the-day cancellations"]
    long = theatre_measures.measure_trend(rows, measure)
    assert sorted(long["period"].unique()) == ["2026-05-04", "2026-05-11"]
    assert set(long["measure"]) == {"Non-clinical", "Clinical"}
