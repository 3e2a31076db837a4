"""The parts of the Health inequalities and Reporting views that a page works out once for
every trust (and passes back in) give exactly the views worked out whole."""

from __future__ import annotations

import pandas.testing as pdt
import pytest

from productivity.benchmarks import load_benchmarks
from productivity.store import marts, readers
from productivity.views import dna, inequalities as dd, reporting as rv

PERIODS = [marts.Period(None, None), marts.Period("2025-05", None)]


@pytest.mark.parametrize("period", PERIODS)
@pytest.mark.parametrize("trust", [None, "RBL", "REN"])
def test_the_inequalities_view_with_its_forest_given_is_the_same(demo_engine, period, trust):
    for test in ("MRI", "BARIUM_ENEMA"):
        rows = readers.dm01_by_imd(demo_engine, period, test)
        whole = dd.inequalities_view(demo_engine, period, test, trust)
        split = dd.view_from_rows(rows, test, trust, dd.forest_rows(rows))
        pdt.assert_frame_equal(whole.forest, split.forest, check_exact=True)
        pdt.assert_frame_equal(whole.monthly, split.monthly, check_exact=True)


@pytest.mark.parametrize("period", PERIODS)
@pytest.mark.parametrize(("trust", "service"), [(None, None), ("RBL", None), ("REN", "MRI")])
def test_the_dna_view_with_every_trust_given_is_the_same(demo_engine, period, trust, service):
    whole = dna.dna_view(demo_engine, period, trust, service, True)
    system = dna.every_trust_view(demo_engine, period, service, True)
    split = dna.dna_view(demo_engine, period, trust, service, True, system)
    assert split.services == whole.services == dna.services(demo_engine)
    for name in ("by_quintile", "unit_quintiles", "ratios", "curve", "gap"):
        pdt.assert_frame_equal(getattr(whole, name), getattr(split, name), check_exact=True)
    assert whole.funnel is not None and split.funnel is not None
    pdt.assert_frame_equal(whole.funnel.units, split.funnel.units, check_exact=True)


@pytest.mark.parametrize("period", [*PERIODS, marts.Period("2031-01", None)])
def test_the_trust_ratios_alone_are_the_dna_views_ratios(demo_engine, period):
    whole = dna.dna_view(demo_engine, period, None, None)
    pdt.assert_frame_equal(whole.ratios, dna.trust_ratios(demo_engine, period), check_exact=True)


@pytest.mark.parametrize("period", PERIODS)
@pytest.mark.parametrize("measure", ["reporting_ct_urgent", "pathology_cancer_10_days"])
def test_the_reporting_view_with_its_trusts_given_is_the_same(demo_engine, period, measure):
    bench = load_benchmarks(override=None)
    kind = rv.measure_kind(measure)
    for trust in (None, "RBN"):
        whole = rv.reporting_view(demo_engine, period, measure, trust, bench)
        trusts = rv.kind_trust_shares(demo_engine, period, kind, bench)
        split = rv.reporting_view(demo_engine, period, measure, trust, bench, None, trusts)
        pdt.assert_frame_equal(whole.trusts, split.trusts, check_exact=True)
        drill, drill_by = rv.drill_view(demo_engine, period, measure, trust, None)
        assert drill_by == whole.drill_by
        pdt.assert_frame_equal(whole.drill, drill, check_exact=True)


@pytest.mark.parametrize("period", [*PERIODS, marts.Period("2031-01", None)])
@pytest.mark.parametrize("service", [None, "MRI", "CT"])
def test_the_dna_quintiles_picked_from_one_grouping_are_the_same(demo_engine, period, service):
    """The DNA tab's frames picked from :func:`dna.quintiles_by_unit` (the system grouped with
    the trusts) are exactly the ones worked out apart, for the system and every trust."""
    rows = dna.service_rows(demo_engine, period, service)
    by_unit = dna.quintiles_by_unit(rows)
    pdt.assert_frame_equal(dna.trusts_of(by_unit), dna.trust_quintiles(rows), check_exact=True)
    trusts = sorted(rows["trust_code"].unique()) if not rows.empty else []
    for trust in (None, *trusts, "NO_SUCH_TRUST"):
        apart, picked = dna.unit_quintiles(rows, trust), dna.unit_of(by_unit, trust)
        if apart.empty:
            assert picked.empty
            continue
        pdt.assert_frame_equal(picked, apart, check_exact=True)
