"""Opportunity (SPEC §4): pooled vs realisable additional cases, and the ranking."""

from __future__ import annotations

import pandas as pd
import pytest

from productivity.planning import opportunity


def per_list(rows: list[tuple]) -> pd.DataFrame:
    """rows: (list_id, trust, specialty, planned, capped, completed_cases, case_touch)"""
    return pd.DataFrame(
        rows,
        columns=[
            "list_id", "trust_code", "specialty", "planned_minutes", "capped_touch_minutes",
            "completed_cases", "case_touch_minutes",
        ],
    )  # fmt: skip


def test_pooled_exceeds_realisable():
    # Four 240-minute lists, each with 150 capped minutes from 2.5 cases of 60 minutes on
    # average (10 cases, 600 minutes -> mean case 60 min).
    # Per list: gap = 0.85 x 240 - 150 = 54 min -> floor(54 / 60) = 0 whole cases.
    # Pooled: (0.85 x 960 - 600) / 60 = (816 - 600) / 60 = 3.6 cases.
    frame = per_list(
        [(i, "RBL", "ENT", 240.0, 150.0, c, 60.0 * c) for i, c in enumerate([2, 3, 2, 3])]
    )
    result = opportunity.theatre_opportunity(frame, 0.85, ["trust_code"]).iloc[0]
    assert result["pooled_additional_cases"] == pytest.approx(3.6)
    assert result["realisable_additional_cases"] == 0
    assert result["pooled_share_of_cases"] == pytest.approx(3.6 / 10)


def test_realisable_counts_whole_cases_per_list_and_sums_groups():
    frame = per_list(
        [
            # RBL ENT: mean case = (60 + 60) / 2 = 60. List 1: 0.85 x 480 - 120 = 288 -> 4 cases.
            (1, "RBL", "ENT", 480.0, 120.0, 2, 120.0),
            # RBL Urology: mean 100. 0.85 x 240 = 204 (float noise must not lose a case);
            # gap 204 - 4 = 200 -> 2 whole cases; pooled 200 / 100 = 2.
            (2, "RBL", "Urology", 240.0, 4.0, 1, 100.0),
            # RJR ENT: at 90% utilisation, no gap.
            (3, "RJR", "ENT", 100.0, 90.0, 1, 90.0),
        ]
    )
    result = opportunity.theatre_opportunity(frame, 0.85, ["trust_code"]).set_index("trust_code")
    assert result.loc["RBL", "realisable_additional_cases"] == 4 + 2
    assert result.loc["RBL", "pooled_additional_cases"] == pytest.approx(288 / 60 + 200 / 100)
    assert result.loc["RJR", "realisable_additional_cases"] == 0
    assert result.loc["RJR", "pooled_additional_cases"] == 0


def test_group_without_completed_case_gets_no_figure():
    frame = per_list([(1, "RBL", "ENT", 240.0, 0.0, 0, 0.0)])
    lists = opportunity.list_opportunity(frame, 0.85)
    assert lists["no_case_length"].iloc[0]
    result = opportunity.theatre_opportunity(frame, 0.85, ["trust_code"]).iloc[0]
    assert result["pooled_additional_cases"] == 0
    assert result["realisable_additional_cases"] == 0
    assert result["lists_without_case_length"] == 1


def test_rank_trusts_absolute_and_percent():
    frame = pd.DataFrame(
        {"trust_code": ["A", "B", "C"], "extra": [10.0, 50.0, 5.0], "cases": [100, 1000, 10]}
    )
    absolute = opportunity.rank_trusts(frame, "extra", "cases", ranking="absolute")
    assert list(absolute["trust_code"]) == ["B", "A", "C"]
    percent = opportunity.rank_trusts(frame, "extra", "cases", ranking="percent")
    # Shares: A 10%, B 5%, C 50%.
    assert list(percent["trust_code"]) == ["C", "A", "B"]
    assert percent["ranking"].iloc[0] == "% of current activity"
    with pytest.raises(ValueError, match="ranking"):
        opportunity.rank_trusts(frame, "extra", "cases", ranking="median")


def test_additional_activity():
    # CT: 4/hr x 18 h = 72 possible, 66 done -> 6 more; a scanner above benchmark gives 0.
    hours = pd.Series([18.0, 10.0])
    scans = pd.Series([66.0, 45.0])
    assert list(opportunity.additional_activity(4.0, hours, scans)) == [6.0, 0.0]
