"""After an import, refreshing only what it touched gives exactly the marts of a full rebuild.

Each test builds a store through the importer, has the full rebuild make its marts current,
imports one more file with ``refresh_marts=True`` (the touched trust-months refreshed inside the
import's transaction), and then compares every mart table, row for row and value for value,
with a fresh full rebuild of the same store. Runs on PostgreSQL too under TEST_DATABASE_URL.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import Engine, text

from productivity import ingest, settings
from productivity.store import db, marts
from productivity.synth.extracts import theatre_extract
from productivity.synth.theatre import theatre_frames

SAMPLES = settings.DATA_DIR / "samples"


@pytest.fixture(scope="module")
def frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Three months (Aug-Oct 2026) of lists and cases for REM, RBL and RBN."""
    return theatre_frames(8, 3, 1, trusts=3)


def month_of(
    frames: tuple[pd.DataFrame, pd.DataFrame], trusts: set[str], month: str
) -> tuple[pd.DataFrame, pd.DataFrame]:
    lists, cases = frames
    chosen = lists[
        lists["trust_code"].isin(trusts).to_numpy()
        & (lists["session_date"].dt.strftime("%Y-%m") == month).to_numpy()
    ]
    return chosen, cases[cases["list_id"].isin(chosen["list_id"]).to_numpy()]


def import_theatre(
    engine: Engine,
    path: Path,
    lists: pd.DataFrame,
    cases: pd.DataFrame,
    period: str,
    refresh: bool = False,
) -> None:
    theatre_extract(lists, cases).to_csv(path, index=False)
    result = ingest.import_file(
        path, kind="theatre", engine=engine, period=period, refresh_marts=refresh
    )
    assert result.status == "loaded"


def mart_tables(engine: Engine) -> dict[str, pd.DataFrame]:
    """Every mart, its columns in name order and its rows sorted by every column."""
    out = {}
    with engine.connect() as conn:
        for name in marts.MARTS:
            frame = pd.read_sql_query(text(f'SELECT * FROM "{name}"'), conn)
            frame = frame[sorted(frame.columns)]
            out[name] = frame.sort_values(list(frame.columns)).reset_index(drop=True)
    return out


def assert_equals_full_rebuild(engine: Engine) -> dict[str, pd.DataFrame]:
    """The marts as refreshed equal a full rebuild's, table for table; returns them."""
    assert marts.marts_current(engine)  # the refresh stamped them with the store's data
    refreshed = mart_tables(engine)
    marts.rebuild_marts(engine)
    rebuilt = mart_tables(engine)
    assert list(refreshed) == list(rebuilt) == list(marts.MARTS)
    for name in marts.MARTS:
        pd.testing.assert_frame_equal(refreshed[name], rebuilt[name], check_exact=True, obj=name)
    return rebuilt


@pytest.fixture
def base_store(engine: Engine, frames, tmp_path: Path) -> Engine:
    """August and September of all three trusts but RBN's September, marts current."""
    for month, trusts in (("2026-08", {"REM", "RBL", "RBN"}), ("2026-09", {"REM", "RBL"})):
        lists, cases = month_of(frames, trusts, month)
        import_theatre(engine, tmp_path / f"base-{month}.csv", lists, cases, month)
    marts.rebuild_marts(engine)
    return engine


def test_a_new_trust_month_refreshed_equals_a_full_rebuild(base_store, frames, tmp_path):
    before = mart_tables(base_store)
    lists, cases = month_of(frames, {"RBN"}, "2026-09")
    import_theatre(base_store, tmp_path / "rbn-sep.csv", lists, cases, "2026-09", refresh=True)
    after = assert_equals_full_rebuild(base_store)
    month = after["mart_theatre_month"]
    added = month[(month["trust_code"] == "RBN") & (month["month"] == "2026-09")]
    assert added["lists"].sum() == len(lists)  # the file's lists are in, not only unchanged rows
    assert len(after["mart_theatre_list"]) == len(before["mart_theatre_list"]) + len(lists)


def test_a_corrected_file_replacing_a_trust_month_equals_a_full_rebuild(
    base_store, frames, tmp_path
):
    lists, cases = month_of(frames, {"REM"}, "2026-08")
    # The correction drops a third of the lists and moves every remaining case 7 minutes later.
    kept = lists.iloc[::3]
    cases = cases[cases["list_id"].isin(kept["list_id"])].copy()
    for column in ("anaesthetic_start", "into_theatre", "knife_to_skin", "out_of_theatre"):
        cases[column] = cases[column] + pd.Timedelta(minutes=7)
    import_theatre(base_store, tmp_path / "rem-aug-v2.csv", kept, cases, "2026-08", refresh=True)
    after = assert_equals_full_rebuild(base_store)
    listed = after["mart_theatre_list"]
    assert ((listed["trust_code"] == "REM") & (listed["month"] == "2026-08")).sum() == len(kept)


def test_a_case_running_into_the_next_month_stays_with_its_list(base_store, frames, tmp_path):
    """October's lists for RBL, the last one's final case ending after midnight on 1 November,
    and the next month (a new latest list: RBL's look-ahead history window moves)."""
    lists, cases = month_of(frames, {"RBL"}, "2026-10")
    last = lists["session_date"].max()
    late_list = lists.loc[lists["session_date"] == last, "list_id"].iloc[-1]
    cases = cases.copy()
    late = cases.index[(cases["list_id"] == late_list).to_numpy()][-1]
    cases.loc[late, "out_of_theatre"] = last + pd.Timedelta(hours=24, minutes=40)
    import_theatre(base_store, tmp_path / "rbl-oct.csv", lists, cases, "2026-10", refresh=True)
    after = assert_equals_full_rebuild(base_store)
    assert set(after["mart_theatre_month"]["month"]) == {"2026-08", "2026-09", "2026-10"}
    specialty = after["mart_expected_specialty"]
    assert set(specialty.loc[specialty["trust_code"] == "RBL", "history_to"]) <= {
        f"{d:%Y-%m-%d}" for d in lists["session_date"]
    }


def test_a_period_emptying_a_trust_month_removes_its_mart_rows(base_store, frames, tmp_path):
    """A file naming Aug-Sep for RBL with rows only in September: RBL's August goes."""
    lists, cases = month_of(frames, {"RBL"}, "2026-09")
    kept = lists.iloc[::2]
    cases = cases[cases["list_id"].isin(kept["list_id"])]
    import_theatre(base_store, tmp_path / "rbl.csv", kept, cases, "2026-08..2026-09", refresh=True)
    after = assert_equals_full_rebuild(base_store)
    month = after["mart_theatre_month"]
    assert month[(month["trust_code"] == "RBL") & (month["month"] == "2026-08")].empty


def test_other_kinds_refresh_their_own_marts(base_store):
    for sample in ("endoscopy-lists-RBL-May-2026.csv", "reporting-events-RBL-May-2026.csv",
                   "appointments-RBL-May-2026.csv"):  # fmt: skip
        result = ingest.import_file(SAMPLES / sample, engine=base_store, refresh_marts=True)
        assert result.status == "loaded"
        after = assert_equals_full_rebuild(base_store)
    assert not after["mart_endoscopy"].empty and not after["mart_turnaround"].empty
    assert not after["mart_attendance"].empty


def test_stale_marts_are_left_for_the_next_rebuild(base_store, frames, tmp_path):
    """Marts behind the data before the import are not patched (they would stay wrong)."""
    lists, cases = month_of(frames, {"RBN"}, "2026-09")
    import_theatre(base_store, tmp_path / "a.csv", lists, cases, "2026-09")  # no refresh
    stale = mart_tables(base_store)
    lists, cases = month_of(frames, {"REM"}, "2026-10")
    import_theatre(base_store, tmp_path / "b.csv", lists, cases, "2026-10", refresh=True)
    assert not marts.marts_current(base_store)
    unchanged = mart_tables(base_store)
    for name in marts.MARTS:
        pd.testing.assert_frame_equal(unchanged[name], stale[name], obj=name)


def test_a_failed_import_leaves_the_refreshed_marts_as_they_were(base_store, tmp_path):
    before = mart_tables(base_store)
    stamp = db.get_engine(base_store.url.render_as_string(hide_password=False))
    bad = tmp_path / "bad.csv"
    bad.write_text("trust_code,site\nREM,REM01\n")
    with pytest.raises(Exception):  # noqa: B017  (any refusal: nothing may change)
        ingest.import_file(bad, kind="theatre", engine=stamp, refresh_marts=True)
    assert marts.marts_current(base_store)
    after = mart_tables(base_store)
    for name in marts.MARTS:
        pd.testing.assert_frame_equal(after[name], before[name], obj=name)


def test_an_unreadable_benchmark_file_skips_the_refresh_not_the_import(
    base_store, frames, tmp_path, monkeypatch
):
    broken = tmp_path / "local.toml"
    broken.write_text("[late_start_minutes\n")  # a local override with a typo
    monkeypatch.setenv("PRODUCTIVITY_BENCHMARKS", str(broken))
    lists, cases = month_of(frames, {"RBN"}, "2026-09")
    import_theatre(base_store, tmp_path / "rbn.csv", lists, cases, "2026-09", refresh=True)
    monkeypatch.delenv("PRODUCTIVITY_BENCHMARKS")
    assert not marts.marts_current(base_store)  # left for the next ensure_marts
    assert marts.ensure_marts(base_store) is True


def test_theatres_refreshed_into_a_store_that_had_none_equal_a_full_rebuild(engine: Engine):
    # The marts were first written empty (an imaging-only store): their columns must still be
    # numeric, or PostgreSQL makes them TEXT and SUM(gaps), or appending the new rows, fails.
    ingest.import_file(SAMPLES / "imaging-scanner-days-May-2026.csv", engine=engine)
    marts.rebuild_marts(engine)
    with engine.connect() as conn:
        empty = conn.execute(text(f'SELECT SUM(gaps) FROM "{marts.THEATRE_GAP}"')).scalar()
    assert empty is None
    ingest.import_file(
        SAMPLES / "theatre-extract-RBL-May-2026.csv", engine=engine, refresh_marts=True
    )
    assert marts.marts_current(engine)
    assert_equals_full_rebuild(engine)


def test_bookings_and_then_theatres_refresh_the_look_ahead_mart(base_store, frames, tmp_path):
    """The look-ahead list mart reads the bookings and the history medians: a bookings import
    refreshes it (first into the mart written empty, then a trust's rows), and so does a theatre
    import that moves the trust's medians."""
    sample = SAMPLES / "theatre-bookings-RBL-Jun-2026.csv"
    result = ingest.import_file(sample, engine=base_store, refresh_marts=True)
    assert result.status == "loaded"
    after = assert_equals_full_rebuild(base_store)
    booked = after[marts.LOOKAHEAD_LIST]
    assert not booked.empty and set(booked["trust_code"]) == {"RBL"}
    lines = sample.read_text().splitlines()
    fewer = tmp_path / "bookings-v2.csv"  # a newer plan: every third case gone
    fewer.write_text("\n".join([lines[0], *[x for i, x in enumerate(lines[1:]) if i % 3]]) + "\n")
    ingest.import_file(fewer, engine=base_store, refresh_marts=True)
    again = assert_equals_full_rebuild(base_store)
    assert again[marts.LOOKAHEAD_LIST]["booked_cases"].sum() < booked["booked_cases"].sum()
    lists, cases = month_of(frames, {"RBL"}, "2026-10")
    import_theatre(base_store, tmp_path / "rbl-oct.csv", lists, cases, "2026-10", refresh=True)
    moved = assert_equals_full_rebuild(base_store)[marts.LOOKAHEAD_LIST]
    assert not moved["specialty_median_minutes"].equals(
        again[marts.LOOKAHEAD_LIST]["specialty_median_minutes"]
    )
