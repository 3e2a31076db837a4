"""Hand-computed lost-time waterfalls: every step is worked out in a comment.

planned − unused − late start − gaps − early finish − other = capped touch, exactly.
"""

from __future__ import annotations

import math
import subprocess
import sys

import pandas as pd
import pytest

from productivity.metrics import lost_time, theatre
from productivity.metrics.lost_time import (
    CAPPED,
    EARLY,
    GAPS,
    LATE,
    OTHER,
    OVERRUN,
    PLANNED,
    UNUSED,
)
from productivity.schema import CASE_COLUMNS, LIST_COLUMNS

T = pd.Timestamp
NAN = math.nan


def rows(*lists: tuple) -> pd.DataFrame:
    """(planned, capped, unused, late, early, overrun[, in-session gaps]) per list."""
    columns = ["planned_minutes", "capped_touch_minutes", "unused", "late_start_minutes",
               "early_finish_minutes", "overrun_minutes", lost_time.IN_SESSION_GAPS]  # fmt: skip
    width = len(lists[0])
    return pd.DataFrame([r[:width] for r in lists], columns=columns[:width])


def steps(frame: pd.DataFrame, gap_minutes: float | None = None) -> dict[str, float]:
    result = lost_time.lost_time_steps(frame, gap_minutes)
    return dict(zip(result["step"], result["minutes"], strict=True))


def adds_up(found: dict[str, float]) -> bool:
    losses = (UNUSED, LATE, GAPS, EARLY, OTHER)
    return found[PLANNED] - sum(found[s] for s in losses) == found[CAPPED]


def test_one_list_with_every_loss_and_nothing_unexplained():
    # 240 planned: 20 late, 30 of changeovers inside the session, 10 early -> 180 touched
    found = steps(rows((240, 180, False, 20, 10, 0, 30)))
    assert found == {PLANNED: 240, UNUSED: 0, LATE: 20, GAPS: 30, EARLY: 10, OTHER: 0,
                     CAPPED: 180, OVERRUN: 0}  # fmt: skip
    assert adds_up(found)


def test_unused_session_is_its_own_step():
    # a used list (240: 200 touched, 40 early) and an unused one (240 planned, no case)
    found = steps(rows((240, 200, False, 0, 40, 0, 0), (240, 0, True, NAN, NAN, NAN, NAN)))
    assert found[PLANNED] == 480
    assert found[UNUSED] == 240  # the unused list's planned minutes
    assert found[EARLY] == 40 and found[OTHER] == 0 and found[CAPPED] == 200
    assert adds_up(found)


def test_gap_total_is_used_when_lists_lack_in_session_gaps():
    # 240 planned, 180 touched, 20 late, 10 early; the histogram says 40 min of gaps,
    # 10 of which fell outside the session -> other = 240 - 20 - 40 - 10 - 180 = -10
    found = steps(rows((240, 180, False, 20, 10, 0)), gap_minutes=40)
    assert found[GAPS] == 40
    assert found[OTHER] == -10
    assert adds_up(found)


def test_overrun_is_beside_and_not_a_loss():
    result = lost_time.lost_time_steps(rows((240, 240, False, 0, 0, 45, 0)))
    overrun = result.set_index("step").loc[OVERRUN]
    assert overrun["minutes"] == 45 and overrun["kind"] == "beside"
    assert list(result["kind"]) == ["total", "loss", "loss", "loss", "loss", "loss", "total",
                                    "beside"]  # fmt: skip


def test_fractions_are_rounded_before_other_so_the_steps_add_up_exactly():
    # 240 planned; 100.4 touched -> 100; late 10.3 -> 10; gaps 20.6 -> 21; early 0.5 -> 0 (even)
    # other = 240 - 10 - 21 - 0 - 100 = 109
    found = steps(rows((240, 100.4, False, 10.3, 0.5, 0, 20.6)))
    assert (found[CAPPED], found[LATE], found[GAPS], found[EARLY]) == (100, 10, 21, 0)
    assert found[OTHER] == 109
    assert adds_up(found)


def test_share_of_planned():
    result = lost_time.lost_time_steps(rows((200, 150, False, 50, 0, 0, 0)))
    shares = dict(zip(result["step"], result["share_of_planned"], strict=True))
    assert shares[PLANNED] == 1.0 and shares[LATE] == 0.25 and shares[CAPPED] == 0.75


def test_no_lists_gives_an_empty_frame():
    result = lost_time.lost_time_steps(rows((240, 0, True, NAN, NAN, NAN)).iloc[0:0])
    assert result.empty
    assert list(result.columns) == list(lost_time.STEP_COLUMNS)


@pytest.mark.parametrize(
    ("histogram", "expected"),
    [
        (pd.DataFrame({"gap_minutes": [5.0, 10.0], "gaps": [2, 1]}), 20.0),  # 5×2 + 10×1
        (pd.DataFrame({"gap_minutes": [], "gaps": []}), 0.0),
    ],
)
def test_histogram_total(histogram, expected):
    assert lost_time.histogram_total(histogram) == expected


# Through the real list metrics: cases that the named steps cannot explain land in "other".


def one_list(start: str, end: str, cases: list[tuple[str, str]]) -> tuple[pd.DataFrame, ...]:
    lists = pd.DataFrame(
        [{"list_id": 1, "trust_code": "RBL", "site": "RBL01", "theatre": "Theatre 1",
          "session_date": T("2026-03-02"), "session": "AM", "specialty": "ENT",
          "planned_start": T(f"2026-03-02 {start}"), "planned_end": T(f"2026-03-02 {end}")}],
        columns=list(LIST_COLUMNS),
    )  # fmt: skip
    frame = pd.DataFrame(
        [{"list_id": 1, "case_id": f"C{i}", "specialty": "ENT", "procedure_code": None,
          "priority": "elective", "anaesthetic_start": T(f"2026-03-02 {a}"),
          "into_theatre": pd.NaT, "knife_to_skin": pd.NaT,
          "out_of_theatre": T(f"2026-03-02 {b}"), "cancelled": False, "cancel_reason": None,
          "cancel_clinical": False} for i, (a, b) in enumerate(cases)],
        columns=list(CASE_COLUMNS),
    )  # fmt: skip
    per_list = theatre.list_metrics(lists, frame)
    gaps = theatre.case_gaps(lists, frame).assign(gaps=1)
    return per_list, gaps


def test_nested_case_makes_the_next_gap_look_longer_than_the_idle_time():
    # planned 08:00-12:00 (240). A 08:00-09:40, B 08:10-08:50 (inside A), C 10:00-11:20.
    # Touch union: 08:00-09:40 (100) + 10:00-11:20 (80) = 180. Late 0; early 12:00-11:20 = 40.
    # Gaps in order of start: B - A = max(0, 08:10 - 09:40) = 0; C - B = 10:00 - 08:50 = 70.
    # Other = 240 - 0 - 0 - 70 - 40 - 180 = -50 (the real idle gap was 20, not 70).
    per_list, gaps = one_list("08:00", "12:00", [("08:00", "09:40"), ("08:10", "08:50"),
                                                 ("10:00", "11:20")])  # fmt: skip
    found = steps(per_list, lost_time.histogram_total(gaps))
    assert found == {PLANNED: 240, UNUSED: 0, LATE: 0, GAPS: 70, EARLY: 40, OTHER: -50,
                     CAPPED: 180, OVERRUN: 0}  # fmt: skip


def test_case_starting_before_the_session_is_not_late_and_touch_is_clipped():
    # planned 08:00-12:00 (240). One case 07:30-11:00: capped 08:00-11:00 = 180, late 0,
    # early 60, overrun 0 -> other = 240 - 0 - 0 - 60 - 180 = 0 (the 30 early minutes are
    # outside the session, so they are neither a loss nor capped touch).
    per_list, gaps = one_list("08:00", "12:00", [("07:30", "11:00")])
    found = steps(per_list, lost_time.histogram_total(gaps))
    assert (found[LATE], found[EARLY], found[CAPPED], found[OTHER]) == (0, 60, 180, 0)


def test_list_starting_after_its_planned_end():
    # planned 08:00-09:00 (60). One case 09:30-10:00: capped 0, late 90 (more than planned),
    # early 0, overrun 60 -> other = 60 - 90 - 0 - 0 - 0 = -30
    per_list, gaps = one_list("08:00", "09:00", [("09:30", "10:00")])
    found = steps(per_list, lost_time.histogram_total(gaps))
    assert (found[LATE], found[CAPPED], found[OTHER], found[OVERRUN]) == (90, 0, -30, 60)
    assert adds_up(found)


def test_lost_time_imports_no_streamlit_or_database():
    code = (
        "import sys, productivity.metrics.lost_time\n"
        "print([m for m in ('streamlit', 'sqlmodel', 'sqlalchemy') if m in sys.modules])"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


def test_lost_minutes_by_cause_per_list_add_up_to_the_waterfall():
    frame = rows(
        (240, 180, False, 20, 10, 0, 30),  # 240 − 20 − 30 − 10 − 180 = 0 other
        (240, 0, True, NAN, NAN, NAN, NAN),  # unused: 240 lost to the unused session
        (240, 200, False, 0, 0, 45, 50),  # 240 − 50 − 200 = −10 other (a nested case), 45 over
    )
    causes = lost_time.lost_minutes_by_cause(frame)
    assert causes["unused_minutes"].tolist() == [0, 240, 0]
    assert causes["late_start_minutes"].tolist() == [20, 0, 0]
    assert causes["gap_minutes"].tolist() == [30, 0, 50]
    assert causes["early_finish_minutes"].tolist() == [10, 0, 0]
    assert causes["other_minutes"].tolist() == [0, 0, -10]
    assert causes["overrun_minutes"].tolist() == [0, 0, 45]
    assert causes["lost_minutes"].tolist() == [60, 240, 40]  # planned − capped
    found = steps(frame)
    for column, step in lost_time.CAUSE_COLUMNS.items():
        assert causes[column].sum() == found[step], step
