"""The Theatres page's headline from the summed marts equals the same frames from every list.

``theatre_sums`` sums the weekly and monthly marts (and list arrays held per build) in place of
reading every list of the unit; :func:`productivity.views.theatres.unit_view` shapes the same
frames from the unit's lists. On the demo store they must be equal, value for value, at every
drill level and period.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from productivity.planning import opportunity
from productivity.store import marts
from productivity.views import theatre_opportunity, theatre_sums as sums, theatres as drilldown
from productivity.views.theatres import Unit

TARGET = 0.85
UNITS = (
    Unit(), Unit(specialty="ENT"), Unit("RBL"), Unit("RBL", "RBL01"),
    Unit("RBL", "RBL02", "Theatre 1"), Unit("RBL", specialty="ENT"),
    Unit("RBL", "RBL02", specialty="ENT"),
)  # fmt: skip


def same(got: pd.DataFrame, expected: pd.DataFrame) -> None:
    """Equal values, dtypes and order (the column index's dtype aside: see over_time)."""
    assert_frame_equal(got, expected, check_exact=True, check_column_type=False)


@pytest.fixture
def months(demo_engine) -> list[str]:
    return sorted(marts.read_mart(demo_engine, marts.THEATRE_MONTH)["month"].unique())


@pytest.mark.parametrize("unit", UNITS, ids=lambda u: u.key)
@pytest.mark.parametrize("span", ["all", "first", "last two"])
def test_the_headline_equals_the_unit_view_of_every_list(demo_engine, months, unit, span):
    period = {
        "all": marts.Period(),
        "first": marts.Period(months[0], months[0]),
        "last two": marts.Period(months[-2], None),
    }[span]
    expected = drilldown.unit_view(demo_engine, unit, period, TARGET)
    head = sums.headline(demo_engine, unit, period, TARGET)
    if expected.empty:  # the page then says so and draws nothing
        assert head.empty and head.weekly.empty and expected.weekly.empty
        return
    # gap_minutes of the opportunity: the page shows none, and it needs every list's minutes
    same(head.summary, expected.summary.drop(columns="gap_minutes"))
    same(head.weekly, expected.weekly)
    same(sums.unit_monthly(demo_engine, unit, period), expected.monthly)
    same(sums.waterfall(head.summary), expected.waterfall)
    same(drilldown.bands_of(head.summary), expected.bands)
    if not unit.trust:  # the page draws every trust's heatmap (a trust's is its ranking's)
        same(sums.unit_heatmap(demo_engine, unit, period), expected.heatmap)


def test_an_empty_unit_has_an_empty_headline(demo_engine):
    head = sums.headline(demo_engine, Unit("RBL", specialty="No such"), marts.Period(), TARGET)
    assert head.empty and head.weekly.empty
    assert sums.waterfall(head.summary).empty
    assert sums.unit_monthly(demo_engine, Unit("XXX"), marts.Period()).empty


@pytest.mark.parametrize("target", [0.5, 0.85, 1.0])
def test_the_opportunity_on_arrays_equals_the_planning_function(target):
    rng = np.random.default_rng(17)
    n = 500
    lists = pd.DataFrame(
        {
            "trust_code": rng.choice(["A", "B", "C"], n),
            "specialty": rng.choice(["ENT", "Urology", None], n, p=[0.45, 0.45, 0.1]),
            "planned_minutes": rng.choice([240.0, 480.0, 210.0], n),
            "capped_touch_minutes": rng.integers(0, 480, n).astype(float),
            "completed_cases": rng.integers(0, 5, n).astype(float),
            "case_touch_minutes": rng.integers(0, 400, n).astype(float),
        }
    )
    expected = opportunity.theatre_opportunity(lists, target, []).iloc[0]
    trust = pd.factorize(lists["trust_code"], sort=True)[0]
    specialty = pd.factorize(lists["specialty"], sort=True)[0]
    figures = {n: lists[n].to_numpy(dtype=float) for n in theatre_opportunity.OPPORTUNITY_FIGURES}
    got = theatre_opportunity.opportunity_of(trust, specialty, figures, target)
    for column, value in got.items():
        assert value == pytest.approx(expected[column], rel=1e-12), column
    assert got["realisable_additional_cases"] == expected["realisable_additional_cases"]


@pytest.mark.parametrize("unit", [Unit(), Unit("RBL")], ids=lambda u: u.key)
def test_every_month_of_a_trust_reads_no_list_and_equals_its_lists(demo_engine, monkeypatch, unit):
    """The default view's opportunity: the realisable cases the marts build counted per trust
    and the rest from the weekly mart, equal to the same figures from every list."""
    weeks = sums._weeks(demo_engine)
    found, keep, trust = theatre_opportunity._lists(demo_engine, unit, marts.Period())
    figures = {n: values[keep] for n, values in found.figures.items()}
    specialty = found.codes["specialty"][keep]
    expected = theatre_opportunity.opportunity_of(trust, specialty, figures, TARGET)

    def no_lists(*_: object) -> None:
        raise AssertionError("the default view read lists")

    monkeypatch.setattr(theatre_opportunity, "_lists", no_lists)
    got = theatre_opportunity.unit_opportunity(demo_engine, unit, marts.Period(), TARGET, weeks)
    assert got == {c: expected[c] for c in theatre_opportunity.SUMMARY_COLUMNS}
    assert got["realisable_additional_cases"] > 0


def test_another_target_or_a_part_of_the_months_reads_lists(demo_engine, months):
    weeks = sums._weeks(demo_engine)
    period = marts.Period(months[1], None)
    for unit, when, target in [(Unit(), marts.Period(), 0.9), (Unit("RBL"), period, TARGET)]:
        found, keep, trust = theatre_opportunity._lists(demo_engine, unit, when)
        figures = {n: values[keep] for n, values in found.figures.items()}
        specialty = found.codes["specialty"][keep]
        expected = theatre_opportunity.opportunity_of(trust, specialty, figures, target)
        got = theatre_opportunity.unit_opportunity(demo_engine, unit, when, target, weeks)
        assert got == {c: expected[c] for c in theatre_opportunity.SUMMARY_COLUMNS}


def test_a_trust_the_whole_period_mart_lacks_reads_lists(demo_engine, monkeypatch):
    every = theatre_opportunity._trust_rows(demo_engine, marts.build_stamp(demo_engine))
    monkeypatch.setattr(
        theatre_opportunity, "_trust_rows", lambda *_: every[every["trust_code"] != "RBL"]
    )
    found, keep, trust = theatre_opportunity._lists(demo_engine, Unit(), marts.Period())
    figures = {n: values[keep] for n, values in found.figures.items()}
    specialty = found.codes["specialty"][keep]
    expected = theatre_opportunity.opportunity_of(trust, specialty, figures, TARGET)
    weeks = sums._weeks(demo_engine)
    got = theatre_opportunity.unit_opportunity(demo_engine, Unit(), marts.Period(), TARGET, weeks)
    assert got == {c: expected[c] for c in theatre_opportunity.SUMMARY_COLUMNS}
