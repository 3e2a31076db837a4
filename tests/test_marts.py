"""Marts: rebuilt and swapped whole; readers never see stale rows after a rebuild."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Engine, delete

from productivity.benchmarks import load_benchmarks
from productivity.store import marts, models, reference
from productivity.store.db import bulk_insert, write_transaction
from productivity.store.theatre_report import whole_period_report
from tests.test_metrics_theatre import CASES, LISTS


def load_hand_lists(engine: Engine, list_ids: list[int]) -> None:
    lists = LISTS[LISTS["list_id"].isin(list_ids)]
    with write_transaction(engine) as conn:
        conn.execute(delete(models.TheatreCase))
        conn.execute(delete(models.TheatreList))
        reference.seed_reference(conn)
        bulk_insert(conn, "theatre_list", lists.assign(session_date=lists["session_date"].dt.date))
        bulk_insert(conn, "theatre_case", CASES[CASES["list_id"].isin(list_ids)])


def test_a_rebuild_is_never_served_from_the_read_cache(engine: Engine):
    load_hand_lists(engine, [1, 2])
    marts.rebuild_marts(engine)
    first = marts.read_mart(engine, marts.THEATRE_LIST)
    assert sorted(first["list_id"]) == [1, 2]
    first["scribble"] = 1  # a caller adding a column must not change what others read
    again = marts.read_mart(engine, marts.THEATRE_LIST)
    assert "scribble" not in again.columns
    load_hand_lists(engine, [3, 4, 5])
    marts.rebuild_marts(engine)
    assert sorted(marts.read_mart(engine, marts.THEATRE_LIST)["list_id"]) == [3, 4, 5]


def test_read_mart_filters_and_limits_columns(engine: Engine):
    load_hand_lists(engine, [1, 2, 3, 4, 5])
    marts.rebuild_marts(engine)
    rows = marts.read_mart(
        engine,
        marts.THEATRE_LIST,
        marts.Period("2026-03", "2026-03"),
        trusts=["RBL"],
        columns=["list_id", "planned_minutes"],
    )
    assert list(rows.columns) == ["list_id", "planned_minutes"]
    assert rows["planned_minutes"].sum() == 1200
    assert marts.read_mart(engine, marts.THEATRE_LIST, marts.Period("2026-04")).empty
    assert isinstance(rows, pd.DataFrame)


def test_stale_marts_are_rebuilt(engine: Engine):
    load_hand_lists(engine, [1])
    marts.rebuild_marts(engine)
    assert marts.marts_current(engine)
    with write_transaction(engine) as conn:
        conn.exec_driver_sql(f'DROP TABLE "{marts.THEATRE_LIST}"')
    assert not marts.marts_current(engine)
    marts.ensure_marts(engine)
    assert marts.marts_current(engine)


def test_the_report_from_small_marts_equals_the_report_from_every_list(demo_engine: Engine):
    """Sums of monthly sums and gap histograms give exactly the list-level report."""
    period = marts.Period()
    lists = marts.read_mart(demo_engine, marts.THEATRE_LIST, period)
    gaps = marts.read_mart(demo_engine, marts.THEATRE_GAP, period)
    for level, keys in marts.THEATRE_LEVELS.items():
        slow = marts.theatre_summary(lists, gaps, list(keys), 0.85)
        fast = marts.summary_from_aggregates(demo_engine, keys, period, 0.85)
        columns = [*keys, *marts.THEATRE_REPORT_COLUMNS]
        slow = (
            slow[columns].sort_values(list(keys)).reset_index(drop=True) if keys else slow[columns]
        )
        fast = (
            fast[columns].sort_values(list(keys)).reset_index(drop=True) if keys else fast[columns]
        )
        pd.testing.assert_frame_equal(
            fast, slow, check_dtype=False, rtol=1e-9, obj=f"report by {level}"
        )


def test_the_default_period_report_by_trust_is_the_precomputed_one(demo_engine: Engine):
    """Every month held: the report by trust comes from ``mart_theatre_trust`` (no list read)
    and equals the one summed from the marts for that period."""
    bench = load_benchmarks()
    target = bench.value("theatre_capped_utilisation")
    lists = marts.read_mart(demo_engine, marts.THEATRE_LIST, columns=["month"])
    whole = marts.Period(lists["month"].min(), lists["month"].max())
    for period in (marts.Period(), whole, marts.Period("2000-01", "9999-12")):
        assert whole_period_report(demo_engine, ["trust_code"], period, target) is not None
        shown = marts.theatre_report(demo_engine, by="trust", period=period, benchmarks=bench)
        summed = marts.summary_from_aggregates(demo_engine, ["trust_code"], period, target)
        summed = summed[shown.columns].sort_values("trust_code", ignore_index=True)
        pd.testing.assert_frame_equal(shown, summed, check_dtype=False, rtol=1e-12)
        assert (shown["realisable_additional_cases"] == summed["realisable_additional_cases"]).all()


def test_a_period_short_of_any_trusts_months_is_summed_afresh(demo_engine: Engine):
    target = load_benchmarks().value("theatre_capped_utilisation")
    months = sorted(marts.read_mart(demo_engine, marts.THEATRE_LIST, columns=["month"])["month"])
    for period in (marts.Period(months[-1]), marts.Period(None, months[0])):
        assert whole_period_report(demo_engine, ["trust_code"], period, target) is None
    assert whole_period_report(demo_engine, ["trust_code"], marts.Period(), 0.9) is None
    assert whole_period_report(demo_engine, ["site"], marts.Period(), target) is None
