"""Hand-computed theatre lists (SPEC §4): every expected number is worked out in a comment."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from productivity.metrics import theatre
from productivity.schema import CASE_COLUMNS, LIST_COLUMNS

T = pd.Timestamp


def make_lists(rows: list[tuple]) -> pd.DataFrame:
    """rows: (list_id, session, date, start, end, specialty, trust)"""
    records = []
    for list_id, session, date, start, end, specialty, trust in rows:
        planned_start = T(f"{date} {start}")
        planned_end = T(f"{date} {end}")
        if planned_end <= planned_start:  # an overnight session ends the next day
            planned_end += pd.Timedelta(days=1)
        records.append(
            {
                "list_id": list_id,
                "trust_code": trust,
                "site": f"{trust}01",
                "theatre": "Theatre 1",
                "session_date": T(date),
                "session": session,
                "specialty": specialty,
                "planned_start": planned_start,
                "planned_end": planned_end,
            }
        )
    return pd.DataFrame(records, columns=list(LIST_COLUMNS))


def make_cases(rows: list[dict]) -> pd.DataFrame:
    defaults = {
        "specialty": "General Surgery",
        "procedure_code": "T20.1",
        "priority": "elective",
        "anaesthetic_start": None,
        "into_theatre": None,
        "knife_to_skin": None,
        "out_of_theatre": None,
        "cancelled": False,
        "cancel_reason": None,
        "cancel_clinical": False,
    }
    frame = pd.DataFrame([defaults | r for r in rows], columns=list(CASE_COLUMNS))
    for column in ("anaesthetic_start", "into_theatre", "knife_to_skin", "out_of_theatre"):
        frame[column] = pd.to_datetime(frame[column])
    return frame


def case(list_id, case_id, start, out, *, into=None, cancelled=False, clinical=False):
    return {
        "list_id": list_id,
        "case_id": case_id,
        "anaesthetic_start": start,
        "into_theatre": into or start,
        "out_of_theatre": out,
        "cancelled": cancelled,
        "cancel_clinical": clinical,
    }


D = "2026-03-02"
LISTS = make_lists(
    [
        (1, "AM", D, "08:30", "12:30", "General Surgery", "RBL"),  # parallel induction
        (2, "PM", D, "13:30", "17:30", "General Surgery", "RBL"),  # overrun
        (3, "EVE", D, "18:00", "22:00", "General Surgery", "RBL"),  # crosses midnight
        (4, "AM", "2026-03-03", "08:30", "12:30", "General Surgery", "RBL"),  # unused session
        (5, "PM", "2026-03-03", "13:30", "17:30", "General Surgery", "RBL"),  # fallback, cancel
    ]
)
CASES = make_cases(
    [
        # List 1: 08:40-10:00 and 09:50-11:00 overlap (parallel induction), then 11:20-12:10.
        case(1, "A1", f"{D} 08:40", f"{D} 10:00"),
        case(1, "A2", f"{D} 09:50", f"{D} 11:00"),
        case(1, "A3", f"{D} 11:20", f"{D} 12:10"),
        # List 2: 13:50-15:30, then 15:45-18:10, past the 17:30 planned end.
        case(2, "B1", f"{D} 13:50", f"{D} 15:30"),
        case(2, "B2", f"{D} 15:45", f"{D} 18:10"),
        # List 3: 18:05-21:00, then 21:15 to 00:45 the next day.
        case(3, "C1", f"{D} 18:05", f"{D} 21:00"),
        case(3, "C2", f"{D} 21:15", "2026-03-03 00:45"),
        # List 4: a cancelled case only, so no case ran: an unused session.
        case(4, "D1", None, None, cancelled=True, clinical=True),
        # List 5: no anaesthetic start (into theatre 14:00 is used), and a non-clinical cancel.
        case(5, "E1", None, "2026-03-03 15:00", into="2026-03-03 14:00"),
        case(5, "E2", None, None, cancelled=True, clinical=False),
    ]
)


@pytest.fixture(scope="module")
def per_list() -> pd.DataFrame:
    return theatre.list_metrics(LISTS, CASES).set_index("list_id")


def test_parallel_induction_is_not_counted_twice(per_list):
    row = per_list.loc[1]
    # Union: 08:40-11:00 (140) + 11:20-12:10 (50) = 190, not 80 + 70 + 50 = 200.
    assert row["planned_minutes"] == 240
    assert row["uncapped_touch_minutes"] == 190
    assert row["capped_touch_minutes"] == 190
    assert row["case_touch_minutes"] == 200
    assert row["late_start_minutes"] == 10  # 08:40 - 08:30
    assert not row["starts_late"] and not row["late_start_gt10"]  # 10 is not > 10
    assert row["early_finish_minutes"] == 20  # 12:30 - 12:10
    assert not row["finishes_early"]
    assert row["overrun_minutes"] == 0
    assert row["completed_cases"] == 3
    # Changeovers inside the session: 10:00 -> 09:50 is negative (0); 11:00 -> 11:20 = 20.
    assert row["in_session_gap_minutes"] == 20


def test_overrun_capped_and_uncapped_differ(per_list):
    row = per_list.loc[2]
    # Uncapped: 100 + 145 = 245 -> 245/240 > 1. Capped clips 18:10 to 17:30: 100 + 105 = 205.
    assert row["uncapped_touch_minutes"] == 245
    assert row["capped_touch_minutes"] == 205
    assert row["overrun_minutes"] == 40 and row["overruns"]  # 18:10 - 17:30 = 40 > 30
    assert row["late_start_minutes"] == 20 and row["starts_late"]  # 13:50 - 13:30 = 20 > 15
    assert row["late_start_gt10"] and row["late_start_gt15"] and not row["late_start_ge30"]
    assert row["early_finish_minutes"] == 0


def test_case_crossing_midnight(per_list):
    row = per_list.loc[3]
    # 18:05-21:00 (175) + 21:15-00:45 (210) = 385 uncapped; capped at 22:00: 175 + 45 = 220.
    assert row["planned_minutes"] == 240
    assert row["uncapped_touch_minutes"] == 385
    assert row["capped_touch_minutes"] == 220
    assert row["overrun_minutes"] == 165  # 00:45 - 22:00
    assert row["late_start_minutes"] == 5
    assert row["in_session_gap_minutes"] == 15  # 21:00 -> 21:15, inside 18:00-22:00


def test_gap_outside_the_session_is_not_counted_inside_it():
    lists = make_lists([(1, "AM", D, "08:30", "12:30", "ENT", "RJR")])
    # 08:30-12:40 overruns; the 12:40 -> 13:00 changeover lies wholly after the 12:30 end.
    cases = make_cases(
        [case(1, "X1", f"{D} 08:30", f"{D} 12:40"), case(1, "X2", f"{D} 13:00", f"{D} 13:30")]
    )
    row = theatre.list_metrics(lists, cases).iloc[0]
    assert row["in_session_gap_minutes"] == 0
    assert theatre.case_gaps(lists, cases)["gap_minutes"].tolist() == [20]


def test_unused_session(per_list):
    row = per_list.loc[4]
    assert row["unused"]
    assert row["capped_touch_minutes"] == 0 and row["planned_minutes"] == 240
    assert math.isnan(row["late_start_minutes"]) and math.isnan(row["early_finish_minutes"])
    assert not row["starts_late"] and not row["finishes_early"] and not row["overruns"]
    assert row["scheduled_cases"] == 1 and row["cancelled_cases"] == 1
    assert row["cancelled_non_clinical"] == 0  # a clinical cancellation


def test_missing_anaesthetic_start_falls_back_and_is_counted(per_list):
    row = per_list.loc[5]
    # Into theatre 14:00 -> out 15:00 = 60 minutes; late start 14:00 - 13:30 = 30 (>= 30 band).
    assert row["capped_touch_minutes"] == 60
    assert row["anaesthetic_fallback_cases"] == 1
    assert row["late_start_minutes"] == 30 and row["late_start_ge30"]
    assert row["early_finish_minutes"] == 150 and row["finishes_early"]  # 17:30 - 15:00
    assert row["completed_cases"] == 1
    assert row["scheduled_cases"] == 2 and row["cancelled_non_clinical"] == 1


def test_gaps_in_order_of_anaesthetic_start():
    gaps = theatre.case_gaps(LISTS, CASES)
    by_list = gaps.groupby("list_id")["gap_minutes"].apply(list).to_dict()
    # List 1: 09:50 - 10:00 = -10 -> 0 (parallel induction); 11:20 - 11:00 = 20.
    assert by_list[1] == [0, 20]
    assert by_list[2] == [15]  # 15:45 - 15:30
    assert by_list[3] == [15]  # 21:15 - 21:00
    assert 4 not in by_list and 5 not in by_list  # unused list and single case: no gap


def test_trust_summary_is_ratio_of_sums(per_list):
    per = theatre.list_metrics(LISTS, CASES)
    gaps = theatre.case_gaps(LISTS, CASES)
    row = theatre.summarise(per, gaps, ["trust_code"]).iloc[0]
    # planned 5 x 240 = 1200; capped 190 + 205 + 220 + 0 + 60 = 675; uncapped 190+245+385+0+60.
    assert row["lists"] == 5
    assert row["planned_minutes"] == 1200
    assert row["capped_touch_minutes"] == 675
    assert row["capped_utilisation"] == pytest.approx(675 / 1200)
    assert row["uncapped_utilisation"] == pytest.approx(880 / 1200)
    # Lists with a completed case: 1, 2, 3, 5. Late (>15): list 2 (20) and 5 (30) -> 2 of 4.
    assert row["late_start_share"] == pytest.approx(2 / 4)
    assert row["mean_late_start_minutes"] == pytest.approx((10 + 20 + 5 + 30) / 4)
    # Early (>30): only list 5 (150) -> 1 of 4.
    assert row["early_finish_share"] == pytest.approx(1 / 4)
    # Gaps 0, 20, 15, 15 -> median (15 + 15) / 2 = 15.
    assert row["median_gap_minutes"] == 15
    assert row["completed_cases"] == 3 + 2 + 2 + 0 + 1
    assert row["cases_per_list"] == pytest.approx(8 / 5)
    # Scheduled cases 10; non-clinical cancellations 1 (E2) -> 0.1.
    assert row["otd_cancellation_rate"] == pytest.approx(1 / 10)


def test_the_unit_leads_other_measures(per_list):
    per = theatre.list_metrics(LISTS, CASES)
    row = theatre.summarise(per, theatre.case_gaps(LISTS, CASES), ["trust_code"]).iloc[0]
    # Cancellations: 2 of 10 scheduled (D1 clinical, E2 not) -> clinical 1 / 10.
    assert row["cancelled_cases"] == 2
    assert row["clinical_cancellation_rate"] == pytest.approx(1 / 10)
    # One unused session (list 4) of 5 lists.
    assert row["unused_session_share"] == pytest.approx(1 / 5)
    # Lost = planned − capped = 1200 − 675 = 525 minutes, 105 per list.
    assert row["lost_minutes"] == 525 and row["lost_minutes_per_list"] == pytest.approx(105)
    # Overruns over the 4 used lists: list 2 ends 40 min late, list 3 165 min, lists 1 and 5
    # on time -> mean (40 + 165) / 4 = 51.25; both are more than 30 minutes over -> 2 of 4.
    assert row["mean_overrun_minutes"] == pytest.approx(51.25)
    assert row["overrun_share"] == pytest.approx(2 / 4)


def test_ratio_of_sums_not_mean_of_ratios():
    lists = make_lists(
        [
            (1, "AM", D, "08:00", "09:00", "ENT", "RJR"),  # 60 planned, 60 touch: 100%
            (2, "ALL", D, "08:00", "18:00", "ENT", "RJR"),  # 600 planned, 300 touch: 50%
        ]
    )
    cases = make_cases(
        [case(1, "X1", f"{D} 08:00", f"{D} 09:00"), case(2, "Y1", f"{D} 08:00", f"{D} 13:00")]
    )
    per = theatre.list_metrics(lists, cases)
    summary = theatre.summarise(per, theatre.case_gaps(lists, cases), ["trust_code"]).iloc[0]
    # Mean of ratios would be (1.0 + 0.5) / 2 = 0.75; the ratio of sums is 360 / 660.
    assert summary["capped_utilisation"] == pytest.approx(360 / 660)
    assert summary["capped_utilisation"] != pytest.approx(0.75)


def test_capped_utilisation_never_above_one():
    lists = make_lists([(1, "AM", D, "08:30", "12:30", "ENT", "RJR")])
    cases = make_cases([case(1, "Z1", f"{D} 07:00", f"{D} 14:00")])
    row = theatre.summarise(theatre.list_metrics(lists, cases), theatre.case_gaps(lists, cases), [])
    assert row["capped_utilisation"].iloc[0] == 1.0
    assert row["uncapped_utilisation"].iloc[0] == pytest.approx(420 / 240)


def test_thresholds_come_from_the_caller():
    strict = theatre.Thresholds(late_start_minutes=5, early_finish_minutes=10, overrun_minutes=10)
    row = theatre.list_metrics(LISTS, CASES, strict).set_index("list_id").loc[1]
    assert row["starts_late"]  # 10 > 5
    assert row["finishes_early"]  # 20 > 10


def test_list_with_no_case_rows_at_all():
    lists = make_lists([(9, "AM", D, "08:30", "12:30", "ENT", "RJR")])
    per = theatre.list_metrics(lists, make_cases([]))
    assert per["unused"].iloc[0] and per["capped_touch_minutes"].iloc[0] == 0
    summary = theatre.summarise(per, theatre.case_gaps(lists, make_cases([])), ["trust_code"])
    assert summary["capped_utilisation"].iloc[0] == 0
    assert np.isnan(summary["late_start_share"].iloc[0])
    assert np.isnan(summary["median_gap_minutes"].iloc[0])


@pytest.mark.parametrize(
    ("values", "counts", "expected"),
    [([5.0, 10.0, 20.0], [1, 1, 1], 10.0), ([20.0, 0.0, 15.0], [1, 1, 2], 15.0), ([], [], None)],
)
def test_median_from_counts(values, counts, expected):
    result = theatre.median_from_counts(np.array(values), np.array(counts, dtype=int))
    assert (math.isnan(result) and expected is None) or result == expected
