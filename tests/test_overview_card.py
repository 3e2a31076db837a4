"""The Overview's fast scorecard is ``reports.trust_scorecard``, frame for frame (issue 17),
and its theatre funnel from the minutes held per build is ``reports.trust_theatre_outliers``'s.

Every period of the demo store, on both benchmark bases, each ranking and measure: the same
rows, columns, dtypes and bits. Then on a store whose marts hold minutes with fractions (where
the order of a sum matters) and lists without a specialty (which have no mean case length).
"""

from __future__ import annotations

import itertools

import pandas as pd
import pytest
from sqlalchemy import text

from productivity.benchmarks import load_benchmarks
from productivity.stats.funnel import FunnelResult
from productivity.store import db, facts, marts, reports, theatre_report
from productivity.views import overview_card as oc, overview_outliers as oo
from tests.conftest import fresh_store, store_url


def periods(engine) -> list[marts.Period]:
    months = facts.store_facts(engine).months
    return [marts.Period(a, b) for a, b in itertools.combinations_with_replacement(months, 2)]


def assert_same_scorecards(engine, cases, monkeypatch) -> None:
    """Each case's fast scorecard equals the report's, and was computed, not delegated."""
    bench = load_benchmarks(override=None)
    sources = oc.card_sources(engine)
    report_of = reports.trust_scorecard
    delegated = []
    monkeypatch.setattr(reports, "trust_scorecard", lambda *a: delegated.append(a))
    for period, basis, ranking, measure in cases:
        fast = oc.trust_scorecard(sources, engine, period, bench, ranking, measure, basis)
        assert not delegated, period
        report = report_of(engine, period, bench, ranking, measure, basis)
        pd.testing.assert_frame_equal(fast, report, check_exact=True, obj=f"{period} {basis}")


def test_every_period_and_basis_gives_the_report_s_scorecard(demo_engine, monkeypatch):
    cases = [
        (period, basis, ranking, measure)
        for period in periods(demo_engine)
        for basis in ("national", "peer")
        for ranking, measure in (("absolute", "theatre"), ("percent", "scans"))
    ]
    assert_same_scorecards(demo_engine, cases, monkeypatch)


def test_fractions_of_minutes_and_lists_without_a_specialty(tmp_path, monkeypatch):
    from productivity.synth import demo

    url = store_url(tmp_path, "fractions.db")
    engine = fresh_store(url)
    demo.build_demo(engine=engine, seed=3, months=2)
    with db.write_transaction(engine) as conn:
        for mart in (marts.THEATRE_LIST, marts.THEATRE_MONTH):
            conn.execute(
                text(
                    f'UPDATE "{mart}" SET planned_minutes = planned_minutes + 0.1, '
                    "capped_touch_minutes = capped_touch_minutes * 0.97"
                )
            )
        conn.execute(
            text(
                f'UPDATE "{marts.THEATRE_LIST}" SET specialty = NULL WHERE specialty = '
                f'(SELECT min(specialty) FROM "{marts.THEATRE_LIST}")'
            )
        )
        # The report by trust over every month is built from these marts: made again from
        # the edited ones, as a rebuild would make it.
        target = load_benchmarks(override=None).value("theatre_capped_utilisation")
        trusts = conn.execute(text(f'SELECT DISTINCT trust_code FROM "{marts.THEATRE_LIST}"'))
        whole = theatre_report.refreshed_trust_rows(conn, list(trusts.scalars()), target)
        conn.execute(text(f'DELETE FROM "{marts.THEATRE_TRUST}"'))
        whole.to_sql(marts.THEATRE_TRUST, conn, if_exists="append", index=False)
    marts.clear_read_cache()
    try:
        cases = [(p, "peer", "absolute", "theatre") for p in periods(engine)]
        assert_same_scorecards(engine, cases, monkeypatch)
    finally:
        marts.clear_read_cache()
        db.get_engine(url).dispose()


def test_a_period_without_data_takes_the_report_s_own_path(demo_engine):
    bench = load_benchmarks(override=None)
    sources = oc.card_sources(demo_engine)
    empty = marts.Period("1990-01", "1990-02")
    fast = oc.trust_scorecard(sources, demo_engine, empty, bench)
    pd.testing.assert_frame_equal(fast, reports.trust_scorecard(demo_engine, empty, bench))


@pytest.mark.parametrize("basis", ["national", "peer"])
def test_the_whole_store_unfiltered(demo_engine, basis, monkeypatch):
    whole = [(marts.Period(), basis, "absolute", "theatre")]
    assert_same_scorecards(demo_engine, whole, monkeypatch)


@pytest.mark.parametrize("overdispersion", [True, False])
def test_the_theatre_funnel_from_the_held_minutes_is_the_report_s(demo_engine, overdispersion):
    bench = load_benchmarks(override=None)
    sources = oc.card_sources(demo_engine)
    for period in [*periods(demo_engine), marts.Period()]:
        held = oc.theatre_minutes(sources, period)
        fast = oo.judged(demo_engine, period, bench, "theatre", overdispersion, held)
        report = oo.judged(demo_engine, period, bench, "theatre", overdispersion)
        assert fast is not None and report is not None
        pd.testing.assert_frame_equal(fast.trusts, report.trusts, check_exact=True)
        assert fast.funnels.keys() == report.funnels.keys()
        for group, result in report.funnels.items():
            drawn = fast.funnels[group]
            assert isinstance(drawn, FunnelResult) and isinstance(result, FunnelResult)
            assert (drawn.target, drawn.method, drawn.tau2) == (
                result.target, result.method, result.tau2,
            ), (period, group)  # fmt: skip
            pd.testing.assert_frame_equal(drawn.units, result.units, check_exact=True)


def test_pool_rates_are_kept_for_equal_benchmarks_and_made_again_for_others(demo_engine):
    import dataclasses
    import pickle

    import numpy as np

    from productivity.benchmarks import SCAN_RATE_KEYS

    sources = oc.card_sources(demo_engine)
    bench = load_benchmarks(override=None)
    first = oc.pool_rates(sources, bench, "peer")
    # the ui's cached benchmarks are equal copies, not the same object
    assert oc.pool_rates(sources, pickle.loads(pickle.dumps(bench)), "peer") is first
    key = next(iter(SCAN_RATE_KEYS.values()))
    raised = dataclasses.replace(bench.items[key], value=bench.value(key) + 1)
    other = dataclasses.replace(bench, items={**bench.items, key: raised})
    national = oc.pool_rates(sources, bench, "national")
    again = oc.pool_rates(sources, other, "national")  # another rate: made again
    assert not np.array_equal(again, national)
    np.testing.assert_array_equal(
        again, oc.pool_rates(oc.card_sources(demo_engine), other, "national")
    )
