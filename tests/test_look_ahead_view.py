"""The 6-4-2 look-ahead through the store: bookings imported, history medians from the marts,
flags worked out by hand (SPEC §4).

History at RBL in May 2026, General Surgery: T20.1 five cases of 51 minutes (median 51, used),
J18.3 six cases of 90 minutes (median 90); the specialty's eleven cases sorted are 51 × 5 then
90 × 6, so its median is the 6th: 90. Lists run 08:30-12:30, 240 minutes, so the 85% benchmark
is 0.85 × 240 = 204 minutes. As of Monday 1 June 2026:

    A 2 Jun (1 day out → 2 weeks): 4 × T20.1 = 4 × 51 = 204 → exactly 0.85, not flagged.
    B 20 Jun (19 days → 4 weeks): one case booked at 203 minutes → 203 ÷ 240 < 0.85, flagged;
      unfilled 204 − 203 = 1 minute; floor(1 ÷ 90) = 0 cases fill it.
    C 10 Jul (39 days → 6 weeks): T27.1, no history at RBL → the specialty's 90 minutes;
      90 ÷ 240 = 0.375, flagged; unfilled 204 − 90 = 114; floor(114 ÷ 90) = 1 case of ~90 min.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import Engine

from productivity import ingest
from productivity.store import marts, reference
from productivity.store.db import bulk_insert, write_transaction
from productivity.views import look_ahead as la
from tests.test_metrics_theatre import make_cases

T = pd.Timestamp
AS_OF = dt.date(2026, 6, 1)
HEADER = (
    "trust_code,site,theatre,session_date,session,planned_start,planned_end,specialty,case_id,"
    "procedure_code,priority,booked_minutes"
)
BOOKINGS = f"""{HEADER}
RBL,RBL01,Theatre 1,2026-06-02,AM,08:30,12:30,General Surgery,A1,T20.1,daycase,
RBL,RBL01,Theatre 1,2026-06-02,AM,08:30,12:30,General Surgery,A2,T20.1,daycase,
RBL,RBL01,Theatre 1,2026-06-02,AM,08:30,12:30,General Surgery,A3,T20.1,daycase,
RBL,RBL01,Theatre 1,2026-06-02,AM,08:30,12:30,General Surgery,A4,T20.1,daycase,
RBL,RBL01,Theatre 1,2026-06-20,AM,08:30,12:30,General Surgery,B1,J18.3,elective,203
RBL,RBL01,Theatre 1,2026-07-10,AM,08:30,12:30,General Surgery,C1,T27.1,elective,
"""


def history() -> tuple[pd.DataFrame, pd.DataFrame]:
    days = [f"2026-05-{d:02d}" for d in range(4, 15)]  # 11 days, one list each
    lists = pd.DataFrame(
        [
            {
                "list_id": i + 1,
                "trust_code": "RBL",
                "site": "RBL01",
                "theatre": "Theatre 2",
                "session_date": T(day).date(),
                "session": "AM",
                "specialty": "General Surgery",
                "planned_start": T(f"{day} 08:30"),
                "planned_end": T(f"{day} 12:30"),
            }  # fmt: skip
            for i, day in enumerate(days)
        ]
    )
    cases = [
        {
            "list_id": i + 1,
            "case_id": f"H{i}",
            "procedure_code": code,
            "priority": "elective",
            "anaesthetic_start": T(f"{day} 09:00"),
            "into_theatre": T(f"{day} 09:00"),
            "out_of_theatre": T(f"{day} 09:00") + pd.Timedelta(minutes=minutes),
        }  # fmt: skip
        for i, (day, (code, minutes)) in enumerate(
            zip(days, [("T20.1", 51)] * 5 + [("J18.3", 90)] * 6, strict=True)
        )
    ]
    return lists, make_cases(cases)


def hand_store(engine: Engine, tmp_path: Path, bookings_csv: str = BOOKINGS) -> Engine:
    """The history above and ``bookings_csv`` imported, with the marts built."""
    lists, cases = history()
    with write_transaction(engine) as conn:
        reference.seed_reference(conn)
        bulk_insert(conn, "theatre_list", lists)
        bulk_insert(conn, "theatre_case", cases)
    path = tmp_path / "bookings.csv"
    path.write_text(bookings_csv)
    assert ingest.import_file(path, engine=engine).kind == "bookings"
    marts.rebuild_marts(engine)
    return engine


@pytest.fixture
def store(engine: Engine, tmp_path: Path) -> Engine:
    return hand_store(engine, tmp_path)


def test_flags_at_the_benchmark_one_minute_below_and_without_history(store: Engine):
    view = la.look_ahead(store, "RBL", AS_OF, 0.85)
    rows = view.lists.set_index(pd.to_datetime(view.lists["session_date"]).dt.strftime("%d %b"))
    a, b, c = rows.loc["02 Jun"], rows.loc["20 Jun"], rows.loc["10 Jul"]
    assert (a["weeks_out"], b["weeks_out"], c["weeks_out"]) == (2, 4, 6)
    assert a["expected_minutes"] == 204 and a["expected_utilisation"] == pytest.approx(0.85)
    assert not a["flagged"] and a["unfilled_minutes"] == 0
    assert b["expected_minutes"] == 203 and b["flagged"] and b["unfilled_minutes"] == 1
    assert b["cases_to_fill"] == 0
    assert c["expected_minutes"] == 90 and c["flagged"] and c["unfilled_minutes"] == 114
    assert c["cases_to_fill"] == 1 and c["specialty_median_minutes"] == 90
    # Sources: 4 procedure medians (T20.1), 1 booked, 1 specialty (T27.1); history 11 cases.
    sources = dict(zip(view.sources["expected_source"], view.sources["cases"], strict=True))
    assert sources == {"booked": 1, "procedure": 4, "specialty": 1, "none": 0}
    assert view.history.cases == 11
    assert (view.history.first_day, view.history.last_day) == ("2026-05-04", "2026-05-14")
    note = la.history_note(view)
    assert "11 completed cases from 4 May 2026 to 14 May 2026" in note
    assert "1 from the surgeon's booked minutes" in note


def test_the_meeting_table_says_the_flags_and_the_gap_in_cases(store: Engine):
    view = la.look_ahead(store, "RBL", AS_OF, 0.85)
    table = la.meeting_table(view.lists)
    assert list(table.columns) == list(la.MEETING_COLUMNS)
    assert table["flag"].tolist() == [la.OK, la.FLAG, la.FLAG]
    assert table["fill_with"].tolist() == [
        "", "less than one typical case", "1 case of about 90 min (most often J18.3)",
    ]  # fmt: skip
    summary = la.window_summary(view.lists)
    # 6 weeks: C (114 min = 1.9 h, 1 case); 4 weeks: B (1 min); 2 weeks: A, not flagged.
    assert summary["weeks_out"].tolist() == [6, 4, 2]
    assert summary["flagged"].tolist() == [1, 1, 0]
    assert summary["unfilled_hours"].tolist() == [1.9, 0.02, 0]  # 114 and 1 minutes, to 0.01 h
    assert summary["cases_to_fill"].tolist() == [1, 0, 0]
    assert la.window_tile(summary.set_index("weeks_out"), 6)[0] == "1 of 1"


def test_windows_filter_and_as_of_moves_the_windows(store: Engine):
    view = la.look_ahead(store, "RBL", AS_OF, 0.85)
    assert len(la.filter_lists(view.lists, 4, False)) == 1
    assert len(la.filter_lists(view.lists, None, True)) == 2
    later = la.look_ahead(store, "RBL", dt.date(2026, 6, 10), 0.85)
    # From 10 June the 2 June list is past (out of every window); 20 June is 10 days out (2
    # weeks) and 10 July 30 days (6 weeks).
    assert later.outside == 1 and len(later.lists) == 2
    assert later.lists["weeks_out"].tolist() == [2, 6]


def test_trust_overview_and_default_as_of(store: Engine):
    overview = la.trust_overview(la.every_trust(store, 0.85, dt.date(2026, 12, 3)))
    row = overview.set_index("trust_code").loc["RBL"]
    assert row["as_of"] == dt.date(2026, 6, 2)  # the first booked day
    assert row["lists"] == 3 and row["link"] == "Look_ahead?trust=RBL"
    assert la.default_as_of(None, dt.date(2026, 12, 3)) == dt.date(2026, 12, 3)


def test_each_trusts_default_look_ahead_is_taken_from_every_trusts(demo_engine: Engine):
    """The page runs the look-ahead of every trust once; a trust's, as of its first booked day,
    is then a slice of it, equal to running it for the trust alone."""
    every = la.every_trust(demo_engine, 0.85, dt.date(2026, 12, 3))
    assert len(every.as_of) == 12
    for trust, day in every.as_of.items():
        taken, run = (
            la.trust_look_ahead(demo_engine, every, trust, day),
            la.look_ahead(demo_engine, trust, day, 0.85),
        )
        assert len(taken.lists) and taken.lists["flagged"].any()
        pd.testing.assert_frame_equal(taken.lists, run.lists)
        pd.testing.assert_frame_equal(taken.sources, run.sources)
        for window, flagged_only in ((None, False), (4, False), (None, True), (2, True)):
            pd.testing.assert_frame_equal(
                la.meeting_rows(taken, window, flagged_only),
                la.meeting_table(la.filter_lists(run.lists, window, flagged_only)),
            )
        assert (taken.outside, taken.history, taken.as_of, taken.target) == (
            run.outside, run.history, run.as_of, run.target,
        )  # fmt: skip
    later = la.trust_look_ahead(demo_engine, every, "RBL", every.as_of["RBL"] + dt.timedelta(7))
    assert later.as_of == every.as_of["RBL"] + dt.timedelta(7), "another day is run for it"
    pd.testing.assert_frame_equal(
        later.lists, la.look_ahead(demo_engine, "RBL", later.as_of, 0.85).lists
    )


def test_a_trust_without_bookings_is_not_run_and_shows_what_running_it_shows(demo_engine):
    """A trust without a single booking has no list whatever the date: its view is made
    without running the look-ahead, and says what running it says (no list, no case, its
    history). Only the empty table's column types may differ (SQL types an empty read)."""
    from productivity.store import facts

    every = la.every_trust(demo_engine, 0.85, dt.date(2026, 12, 3))
    others = sorted(set(facts.store_facts(demo_engine).trusts) - set(every.as_of))
    for trust in [*others[:1], "ZZZ"]:  # the demo's trusts all have bookings
        for day in (dt.date(2026, 12, 3), dt.date(2026, 6, 2)):
            taken, run = (
                la.trust_look_ahead(demo_engine, every, trust, day),
                la.look_ahead(demo_engine, trust, day, 0.85),
            )
            assert taken.empty and run.empty
            assert list(taken.lists.columns) == list(run.lists.columns)
            pd.testing.assert_frame_equal(taken.sources, run.sources)
            assert (taken.outside, taken.history, taken.as_of, taken.target) == (
                run.outside, run.history, run.as_of, run.target,
            )  # fmt: skip
            assert run.history == la.store.read_medians(demo_engine, trust)[1]


def test_fill_with_a_list_without_history_says_so():
    """Nullable counts with a missing value (a trust with bookings and no case history)."""
    lists = pd.DataFrame(
        {
            "cases_to_fill": pd.array([pd.NA, 1, 0, 3], dtype="Int64"),
            "specialty_median_minutes": [None, 65.0, 40.0, 30.4],
            "typical_procedure": [None, "T20.1", None, None],
            "flagged": [True, True, True, False],
        }
    )
    assert la.fill_with(lists).tolist() == [
        "no history for the specialty: fill by hand",
        "1 case of about 65 min (most often T20.1)",
        "less than one typical case",
        "",
    ]


def test_bookings_read_again_after_a_newer_file_replaces_them(store: Engine, tmp_path: Path):
    from productivity.store import bookings

    before = bookings.read_bookings(store, "RBL")
    assert len(before) == 6 and bookings.read_bookings(store, "RWW").empty
    path = tmp_path / "newer.csv"  # the same dates, one case fewer: replaces the trust's rows
    path.write_text("\n".join(line for line in BOOKINGS.splitlines() if ",A4," not in line))
    ingest.import_file(path, engine=store)
    after = bookings.read_bookings(store, "RBL")
    assert len(after) == 5 and after.equals(bookings._read_bookings(store, "RBL"))
