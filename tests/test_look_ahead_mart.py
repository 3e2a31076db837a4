"""The Look-ahead page's default view from the look-ahead list mart equals the run over every
booking (``every_trust_from_bookings``, the look-ahead over ``read_bookings``), value for value.

The hand-made store has, as of each trust's first booked day: RBL's list exactly at the
benchmark (4 × 51 of 240 minutes at 85%), a list without cases, a case with no estimate (a
specialty without history), lists more than six weeks out; REM has bookings but no history
(every case booked or without an estimate) and a later first day (a second as-of date).
Runs on PostgreSQL too under TEST_DATABASE_URL.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import Engine

from productivity.metrics import lookahead
from productivity.store import bookings, marts, reference
from productivity.store.db import write_transaction
from productivity.views import look_ahead as la
from tests.test_look_ahead_view import BOOKINGS, hand_store

TODAY = dt.date(2026, 12, 3)
MORE = """RBL,RBL01,Theatre 2,2026-06-03,PM,13:30,17:30,General Surgery,,,,
RBL,RBL01,Theatre 2,2026-06-04,AM,08:30,12:30,Urology,U1,M45.1,elective,
RBL,RBL01,Theatre 2,2026-06-04,AM,08:30,12:30,Urology,U2,M45.1,elective,30
RBL,RBL01,Theatre 1,2026-07-20,AM,08:30,12:30,General Surgery,D1,T20.1,daycase,
RBL,RBL01,Theatre 1,2026-08-28,PM,13:30,17:30,General Surgery,,,,
REM,REM01,Theatre 1,2026-06-08,AM,08:30,12:30,Ophthalmology,E1,C71.2,daycase,
REM,REM01,Theatre 1,2026-06-08,AM,08:30,12:30,Ophthalmology,E2,C71.2,daycase,45
REM,REM01,Theatre 1,2026-06-29,PM,13:30,17:30,Ophthalmology,,,,
REM,REM01,Theatre 1,2026-07-30,AM,08:30,12:30,Ophthalmology,E3,C75.1,daycase,240
"""


@pytest.fixture
def hand_made(engine: Engine, tmp_path: Path) -> Engine:
    return hand_store(engine, tmp_path, BOOKINGS + MORE)


def assert_same(every: la.EveryTrust, run: la.EveryTrust) -> None:
    pd.testing.assert_frame_equal(every.lists, run.lists, check_exact=True)
    pd.testing.assert_frame_equal(every.sources, run.sources, check_exact=True)
    pd.testing.assert_frame_equal(every.dates, run.dates, check_exact=True)
    pd.testing.assert_series_equal(every.outside, run.outside, check_exact=True)
    assert every.as_of == run.as_of and every.target == run.target


@pytest.mark.parametrize("target", [0.85, 0.5])
def test_the_mart_gives_what_running_every_booking_gives(hand_made: Engine, target: float):
    every = la.every_trust(hand_made, target, TODAY)
    assert_same(every, la.every_trust_from_bookings(hand_made, target, TODAY))
    assert every.as_of == {"RBL": dt.date(2026, 6, 2), "REM": dt.date(2026, 6, 8)}
    lists = every.lists.set_index(["trust_code", "session_date", "theatre", "session"])
    exact = lists.loc[("RBL", pd.Timestamp("2026-06-02"), "Theatre 1", "AM")]
    assert exact["expected_utilisation"] == pytest.approx(0.85) and not exact["flagged"]
    assert lists.loc[("RBL", pd.Timestamp("2026-06-03"), "Theatre 2", "PM"), "booked_cases"] == 0
    assert lists.loc[("RBL", pd.Timestamp("2026-06-04"), "Theatre 2", "AM"), "unestimated_cases"]
    assert every.outside.to_dict() == {"RBL": 2, "REM": 1}  # more than six weeks out
    sources = every.sources.set_index(["trust_code", "expected_source"])["cases"]
    assert sources[("REM", "none")] == 1 and sources[("REM", "booked")] == 2


def test_the_lists_are_the_look_ahead_of_each_trusts_bookings(hand_made: Engine):
    every = la.every_trust(hand_made, 0.85, TODAY)
    medians, _ = bookings.read_medians(hand_made)
    for trust, day in every.as_of.items():
        run = lookahead.lookahead(bookings.read_bookings(hand_made, trust), None, day, 0.85,
                                  medians=medians)  # fmt: skip
        run = run[run["weeks_out"].notna().to_numpy()].reset_index(drop=True)
        mine = every.lists[(every.lists["trust_code"] == trust).to_numpy()]
        mine = mine[list(run.columns)].reset_index(drop=True)
        pd.testing.assert_frame_equal(mine, run, check_exact=True)


def test_the_demo_store_from_the_mart_equals_the_run(demo_engine: Engine):
    every = la.every_trust(demo_engine, 0.85, TODAY)
    assert not every.lists.empty
    assert_same(every, la.every_trust_from_bookings(demo_engine, 0.85, TODAY))


def test_without_bookings_the_mart_is_empty_and_so_is_the_view(engine: Engine):
    with write_transaction(engine) as conn:
        reference.seed_reference(conn)
    marts.rebuild_marts(engine)
    assert marts.mart_row_count(engine, marts.LOOKAHEAD_LIST) == 0
    every = la.every_trust(engine, 0.85, TODAY)
    assert every.lists.empty and every.sources.empty and la.trust_overview(every).empty
    assert_same(every, la.every_trust_from_bookings(engine, 0.85, TODAY))
