"""What-if scenarios: hand-computed extra activity and weeks to clear the backlog."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd
import pytest

from productivity.benchmarks import load_benchmarks
from productivity.planning.scenarios import Scenario, scenario_opportunity
from productivity.schema import DM01_BANDS


def dm01_row(provider: str, test: str, waiting_6_plus: int) -> dict:
    bands = dict.fromkeys(DM01_BANDS, 0) | {"weeks_00": 100, "weeks_06": waiting_6_plus}
    return {
        "period": pd.Timestamp("2026-03-01"),
        "provider_code": provider,
        "provider_name": provider,
        "test_code": test,
        "total_waiting": 100 + waiting_6_plus,
        "waiting_6_plus": waiting_6_plus,
        "waiting_13_plus": 0,
        **bands,
        "waiting_list_activity": 10,
        "planned_activity": 0,
        "unscheduled_activity": 0,
        "total_activity": 10,
    }


def test_default_scenario_equals_benchmarks():
    base = Scenario.from_benchmarks(load_benchmarks(override=None))
    assert base.target_utilisation == 0.85
    assert dict(base.scan_rates) == {"CT": 4.0, "MRI": 2.5, "NOUS": 3.0}
    assert base.changes(base) == {}
    ai_echo = replace(base, echo_minutes_per_test=20.0)
    assert ai_echo.changes(base) == {"echo minutes per test": (45.0, 20.0)}


def test_scenario_opportunity_by_hand():
    # Theatre: 2 lists of 240 min, 120 capped each, 2 cases of 60 min each -> mean case 60.
    # Target 0.85: gap 204 - 120 = 84 -> 1 whole case per list = 2 cases over 2 weeks = 1/week.
    # 2 extra sessions a week at 2 cases per list = 4/week. Cancellations 10% of 20 scheduled
    # cut to 0% = 2 cases over 2 weeks = 1/week. Total 1 + 4 + 1 = 6 a week.
    per_list = pd.DataFrame(
        {
            "list_id": [1, 2],
            "trust_code": ["RBL", "RBL"],
            "specialty": ["ENT", "ENT"],
            "planned_minutes": [240.0, 240.0],
            "capped_touch_minutes": [120.0, 120.0],
            "completed_cases": [2, 2],
            "case_touch_minutes": [120.0, 120.0],
            "scheduled_cases": [10, 10],
            "cancelled_non_clinical": [1, 1],
        }
    )
    # CT: 20 hours, 60 scans over the 2 weeks; at 5/hr -> 100 possible -> 40 extra = 20 a week.
    imaging = pd.DataFrame(
        {
            "trust_code": ["RBL"],
            "site": ["RBL01"],
            "scanner_id": ["CT1"],
            "modality": ["CT"],
            "operational_hours": [20.0],
            "scans": [60],
        }
    )
    # Echo: 900 minutes for 10 tests; at 30 min -> 30 tests -> 20 extra = 10 a week.
    echo = pd.DataFrame(
        {"trust_code": ["RBL"], "site": ["RBL01"], "tests": [10], "scheduled_minutes": [900.0]}
    )
    dm01 = pd.DataFrame([dm01_row("RBL", "CT", 50), dm01_row("RBL", "ECHOCARDIOGRAPHY", 25)])
    scenario = Scenario(
        target_utilisation=0.85,
        scan_rates={"CT": 5.0, "MRI": 2.5, "NOUS": 3.0},
        echo_minutes_per_test=30.0,
        extra_sessions_per_week=2,
        cancellation_rate=0.0,
    )
    row = scenario_opportunity(per_list, imaging, echo, dm01, scenario, weeks=2).iloc[0]
    assert row["additional_cases_per_week"] == pytest.approx(6.0)
    assert row["additional_ct_per_week"] == pytest.approx(20.0)
    assert row["weeks_to_clear_ct"] == pytest.approx(50 / 20)
    assert row["additional_echo_per_week"] == pytest.approx(10.0)
    assert row["weeks_to_clear_echo"] == pytest.approx(25 / 10)
    assert row["additional_mri_per_week"] == 0


def test_weeks_come_from_the_months_of_each_figure_and_never_is_only_said_when_true():
    # CT for two trusts over February 2026 (28 days = 4 weeks), at the benchmark 4 an hour:
    # A: 100 hours, 300 scans -> 100 extra = 25 a week; B: 100 hours, 450 scans -> none.
    imaging = pd.DataFrame(
        {
            "trust_code": ["A", "B"],
            "site": ["A1", "B1"],
            "scanner_id": ["CT1", "CT2"],
            "modality": ["CT", "CT"],
            "month": ["2026-02", "2026-02"],
            "operational_hours": [100.0, 100.0],
            "scans": [300, 450],
        }
    )
    # A: 50 waiting 6+ -> 2 weeks; B at 100/(100+50) = 66.7% within 6 weeks -> never clears;
    # C (no CT activity) at 100/101 = 99.0% within 6 weeks -> meets the 95% ambition.
    dm01 = pd.DataFrame([dm01_row("A", "CT", 50), dm01_row("B", "CT", 50), dm01_row("C", "CT", 1)])
    base = Scenario.from_benchmarks(load_benchmarks(override=None))
    assert base.within_6_weeks_target == 0.95
    empty = pd.DataFrame()
    out = scenario_opportunity(empty, imaging, empty, dm01, base).set_index("trust_code")
    assert out.loc["A", "additional_ct_per_week"] == pytest.approx(100 / 4)
    assert out.loc["A", "weeks_to_clear_ct"] == pytest.approx(2.0)
    assert out.loc["A", "clearance_ct"] == "clears"
    assert out.loc["B", "additional_ct_per_week"] == 0
    assert out.loc["B", "clearance_ct"] == "never"
    assert "C" not in out.index  # a trust with no capacity data is not in the what-if


def test_a_trust_that_meets_the_ambition_is_never_told_never():
    imaging = pd.DataFrame(
        {
            "trust_code": ["RBN"],
            "site": ["RBN1"],
            "scanner_id": ["CT1"],
            "modality": ["CT"],
            "month": ["2026-03"],
            "operational_hours": [100.0],
            "scans": [415],  # 4.15 an hour: faster than the benchmark, so no extra capacity
        }
    )
    # 25 of 1,732 waiting 6+ weeks: 98.6% within 6 weeks, as RBN's demo CT in issue 15.
    row = dm01_row("RBN", "CT", 25) | {"total_waiting": 1732, "weeks_00": 1707}
    base = Scenario.from_benchmarks(load_benchmarks(override=None))
    out = scenario_opportunity(pd.DataFrame(), imaging, pd.DataFrame(), pd.DataFrame([row]), base)
    assert out["within_6_weeks_ct"].item() == pytest.approx(1707 / 1732)
    assert out["clearance_ct"].item() == "meets_ambition"


def test_a_trusts_own_rate_replaces_the_scenario_rate_for_that_trust_only():
    # Two trusts, CT, February 2026 (4 weeks), 100 hours and 300 scans each. At the scenario's
    # 4 an hour each has 100 extra scans (25 a week). Trust B is held to its own 3 an hour
    # (its peer group's rate): 300 - 300 = 0 extra.
    imaging = pd.DataFrame(
        {
            "trust_code": ["A", "B"],
            "site": ["A1", "B1"],
            "scanner_id": ["CT1", "CT2"],
            "modality": ["CT", "CT"],
            "month": ["2026-02", "2026-02"],
            "operational_hours": [100.0, 100.0],
            "scans": [300, 300],
        }
    )
    base = Scenario.from_benchmarks(load_benchmarks(override=None))
    own = replace(base, trust_scan_rates=(("B", "CT", 3.0), ("B", "MRI", 1.0)))
    empty = pd.DataFrame()
    national = scenario_opportunity(empty, imaging, empty, empty, base).set_index("trust_code")
    peer = scenario_opportunity(empty, imaging, empty, empty, own).set_index("trust_code")
    assert national["additional_ct_per_week"].tolist() == pytest.approx([25.0, 25.0])
    assert peer["additional_ct_per_week"].tolist() == pytest.approx([25.0, 0.0])
    assert own.changes(base) == {}  # the basis is the page's, not a scenario value
