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
