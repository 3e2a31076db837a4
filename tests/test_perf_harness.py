"""The perf harness's correctness check: our theatre metrics equal the DuckDB baseline's.

No timing is asserted here (timings live in ``perf/``); this checks that the harness compares
like with like, and that its check would catch a difference.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

pytest.importorskip("duckdb")

from perf import run  # noqa: E402  (after the skip: duckdb is a dev/perf dependency only)
from perf.duckdb_baseline import TheatreBaseline, compare_theatre  # noqa: E402
from productivity.metrics import theatre  # noqa: E402
from productivity.schema import CASE_COLUMNS, LIST_COLUMNS  # noqa: E402

T = pd.Timestamp
THRESHOLDS = theatre.Thresholds()
TARGET = 0.85


def edge_lists() -> pd.DataFrame:
    """Parallel induction, an overrun, a case past midnight, an unused session, a fallback."""
    rows = [
        (1, "AM", "2026-03-02 08:30", "2026-03-02 12:30", "General Surgery"),
        (2, "PM", "2026-03-02 13:30", "2026-03-02 17:30", "General Surgery"),
        (3, "EVE", "2026-03-02 18:00", "2026-03-02 22:00", "Urology"),
        (4, "AM", "2026-03-03 08:30", "2026-03-03 12:30", "Urology"),
        (5, "PM", "2026-03-03 13:30", "2026-03-03 17:30", "ENT"),
    ]
    return pd.DataFrame(
        [
            {"list_id": i, "trust_code": "RBL", "site": "RBL01", "theatre": "Theatre 1",
             "session_date": T(start[:10]), "session": s, "specialty": spec,
             "planned_start": T(start), "planned_end": T(end)}
            for i, s, start, end, spec in rows
        ],
        columns=list(LIST_COLUMNS),
    )  # fmt: skip


def edge_cases() -> pd.DataFrame:
    def case(list_id, case_id, start, out, into=None, cancelled=False, clinical=False):
        return {"list_id": list_id, "case_id": case_id, "specialty": None,
                "procedure_code": None, "priority": "elective",
                "anaesthetic_start": T(start) if start else pd.NaT,
                "into_theatre": T(into or start), "knife_to_skin": pd.NaT,
                "out_of_theatre": T(out), "cancelled": cancelled, "cancel_reason": None,
                "cancel_clinical": clinical}  # fmt: skip

    rows = [
        case(1, "a", "2026-03-02 08:40", "2026-03-02 10:00"),
        case(1, "b", "2026-03-02 09:50", "2026-03-02 11:00"),  # parallel induction
        case(1, "c", "2026-03-02 11:20", "2026-03-02 12:10"),
        case(2, "d", "2026-03-02 13:50", "2026-03-02 15:30"),
        case(2, "e", "2026-03-02 15:45", "2026-03-02 18:10"),  # overrun
        case(3, "f", "2026-03-02 18:05", "2026-03-02 21:00"),
        case(3, "g", "2026-03-02 21:15", "2026-03-03 00:45"),  # crosses midnight
        case(4, "h", "2026-03-03 08:30", "2026-03-03 09:30", cancelled=True, clinical=True),
        case(5, "i", None, "2026-03-03 15:00", into="2026-03-03 14:00"),  # fallback
        case(5, "j", "2026-03-03 15:10", "2026-03-03 16:00", cancelled=True),
    ]
    return pd.DataFrame(rows, columns=list(CASE_COLUMNS))


def test_edge_cases_equal_duckdb():
    lists, cases = edge_lists(), edge_cases()
    ours = run.ours_theatre(lists, cases, THRESHOLDS, TARGET, "2026-03")
    theirs = TheatreBaseline(THRESHOLDS, TARGET).compute(lists, cases)
    assert compare_theatre(ours, theirs) == []
    # Sanity: the baseline really computed the union (08:40-11:00 + 11:20-12:10 = 190 min).
    assert theirs[0].set_index("list_id").loc[1, "uncapped_touch_minutes"] == 190


def test_tiny_scale_equal_duckdb():
    scale = run.SCALES["tiny"]
    month = run.month_labels(scale)[0]
    lists, cases = run.theatre_month(scale, 1, month)
    ours = run.ours_theatre(lists, cases, THRESHOLDS, TARGET, month)
    theirs = TheatreBaseline(THRESHOLDS, TARGET).compute(lists, cases)
    assert len(theirs[0]) == len(lists) > 0
    assert compare_theatre(ours, theirs) == []


def test_check_reports_a_difference():
    lists, cases = edge_lists(), edge_cases()
    per_list, gaps, trust_month = run.ours_theatre(lists, cases, THRESHOLDS, TARGET, "2026-03")
    theirs = TheatreBaseline(THRESHOLDS, TARGET).compute(lists, cases)
    off = per_list.assign(capped_touch_minutes=per_list["capped_touch_minutes"] + 1e-6)
    problems = compare_theatre((off, gaps, trust_month), theirs)
    assert len(problems) == 1 and problems[0].startswith("per_list.capped_touch_minutes: 5 of 5")


def test_tiny_run_in_process(tmp_path: Path, capsys):
    """The smoke run `.ci/run` makes, minus the page step (tested in test_pages)."""
    out = tmp_path / "latest.json"
    args = ["--scale", "tiny", "--steps", "metrics,import,marts", "--workdir", str(tmp_path)]
    code = run.main([*args, "--out", str(out)])
    assert code == 0
    printed = capsys.readouterr().out
    assert "theatre metrics" in printed and "marts rebuild" in printed
    assert out.exists()
