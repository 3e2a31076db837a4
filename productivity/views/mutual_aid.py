"""The mutual-aid matcher's inputs, read from the store, and the plan for one DM01 test.

>>> list(TESTS)[:3], TESTS["GASTROSCOPY"]
(['CT', 'MRI', 'NON_OBSTETRIC_ULTRASOUND'], 'Endoscopy')

:func:`propose` (``propose(engine, "MRI", period, benchmarks, max_distance_km=40)``) gives the
plan. Per trust, for the chosen test: the DM01 waiting list and the number waiting 6+ weeks at the
latest month of the period, the weekly activity (:func:`productivity.metrics.waits.weekly_activity`)
and the spare capacity a week at benchmark productivity over the last whole weeks of the period:

- CT, MRI, non-obstetric ultrasound: scanner hours at the benchmark scans per hour minus the
  scans done (``additional_scans`` of :func:`~productivity.metrics.diagnostics.scans_per_hour`);
- colonoscopy, gastroscopy, flexi sigmoidoscopy: the unused points to the 95% list target
  (``additional_points``), shared between the three tests in proportion to the points of each
  test's DM01 activity at the trust, then turned into procedures at the point table;
- echocardiography: the tests the scheduled minutes would hold at the benchmark slot length.

Which modality serves a test is the registry's (:mod:`productivity.modalities`). Distances come
from the site coordinates in the store (``data/sites.csv`` when it has none). Metric arithmetic
stays in ``metrics/`` and the matcher in :mod:`productivity.planning.mutual_aid`.
"""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Engine

from productivity.benchmarks import Benchmarks
from productivity.metrics import waits
from productivity.modalities import BY_TEST, for_test
from productivity.planning import mutual_aid
from productivity.schema import DM01_TESTS
from productivity.store import marts, readers, reports
from productivity.views.diagnostics import whole_weeks

# DM01 test -> the modality whose capacity serves it (the page's options, in this order).
TESTS: dict[str, str] = {test: serving.key for test, serving in BY_TEST.items()}
# The per-trust CSV: raw column names, so the export's small-number suppression recognises counts.
TRUST_EXPORT_COLUMNS: tuple[str, ...] = (
    "trust_code", "role", "total_waiting", "waiting_6_plus_before", "waiting_6_plus_after",
    "within_6_weeks", "weekly_activity", "spare_per_week", "need_per_week", "offer_per_week",
    "sends_per_week", "receives_per_week", "reason",
)  # fmt: skip
RECENT_WEEKS = 4  # spare capacity is the mean over this many whole weeks at the period's end


def trust_inputs(
    engine: Engine,
    test: str,
    period: marts.Period,
    benchmarks: Benchmarks,
    recent_weeks: int = RECENT_WEEKS,
) -> pd.DataFrame:
    """One row per trust that reports ``test`` to DM01: :data:`mutual_aid.TRUST_COLUMNS`.

    A trust with nobody waiting and no activity for the test is left out; a trust without
    capacity data has no spare capacity (0).

    Raises:
        ValueError: ``test`` is not one of :data:`TESTS`.
    """
    if test not in TESTS:
        raise ValueError(f"mutual aid covers {', '.join(TESTS)}, not {test!r}")
    latest = reports.latest_dm01(engine, period)
    columns = list(mutual_aid.TRUST_COLUMNS)
    rows = latest[latest["test_code"] == test]
    if rows.empty:
        return pd.DataFrame(columns=columns)
    dm01 = waits.dm01_waits(rows, ["provider_code"]).rename(columns={"provider_code": "trust_code"})
    dm01 = dm01[(dm01["total_waiting"] > 0) | (dm01["weekly_activity"] > 0)]
    spare = spare_capacity(engine, test, period, benchmarks, latest, recent_weeks)
    out = dm01.merge(spare, on="trust_code", how="left")
    out["spare_per_week"] = out["spare_per_week"].fillna(0.0)
    return out[columns].reset_index(drop=True)


def spare_capacity(
    engine: Engine,
    test: str,
    period: marts.Period,
    benchmarks: Benchmarks,
    latest_dm01: pd.DataFrame,
    recent_weeks: int = RECENT_WEEKS,
) -> pd.DataFrame:
    """``trust_code`` and ``spare_per_week``: tests a week at benchmark beyond those done."""
    serving = for_test(test)
    rows = readers.modality_rows(engine, serving, period)
    weeks = last_whole_weeks(rows, recent_weeks)
    rows = rows[rows["week"].isin(weeks)] if len(rows) else rows
    if rows.empty:
        return pd.DataFrame(columns=["trust_code", "spare_per_week"])
    spare = serving.summarise(rows, ["trust_code"], benchmarks)
    if len(serving.dm01_tests) == 1:
        spare["spare"] = spare[serving.additional]
    else:
        # Endoscopy lists serve several tests: their unused points are shared between them.
        points = benchmarks.endoscopy_points()
        share = endoscopy_point_share(latest_dm01, test, points)
        test_share = spare["trust_code"].map(share).fillna(1 / len(serving.dm01_tests))
        spare["spare"] = spare["additional_points"] * test_share / points[test]
    spare["spare_per_week"] = spare["spare"].fillna(0.0) / len(weeks)
    return spare[["trust_code", "spare_per_week"]]


def endoscopy_point_share(
    latest_dm01: pd.DataFrame, test: str, points: dict[str, float]
) -> pd.Series:
    """Per trust, ``test``'s share of the points of its DM01 endoscopy activity.

    Unused list points serve colonoscopy, gastroscopy and flexi sigmoidoscopy alike; sharing
    them by each test's points of activity keeps the three tests' capacities from overlapping.
    """
    shared = for_test(test).dm01_tests
    rows = latest_dm01[latest_dm01["test_code"].isin(shared)]
    activity = waits.dm01_waits(rows, ["provider_code", "test_code"])
    activity["points"] = activity["weekly_activity"] * activity["test_code"].map(points)
    by_trust = activity.pivot_table(
        index="provider_code", columns="test_code", values="points", aggfunc="sum", fill_value=0
    ).reindex(columns=list(shared), fill_value=0)
    total = by_trust.sum(axis=1)
    return (by_trust[test] / total.where(total > 0)).dropna()


def last_whole_weeks(rows: pd.DataFrame, count: int) -> list[str]:
    """The last ``count`` weeks (Monday, ``YYYY-MM-DD``) lying wholly inside the months read.

    A week cut by the period's edge holds only some of its days, which would understate the
    capacity a week; with no whole week, every week present is used.
    """
    if rows.empty:
        return []
    weeks = sorted(rows["week"].unique())
    whole = whole_weeks(pd.Series(weeks), rows["month"])
    chosen = [w for w, ok in zip(weeks, whole, strict=True) if ok] or weeks
    return chosen[-count:]


def distances(engine: Engine) -> pd.DataFrame:
    """Km between the trusts' nearest sites, from the store's sites (or ``data/sites.csv``)."""
    return mutual_aid.trust_distances(readers.site_locations(engine))


def propose(
    engine: Engine,
    test: str,
    period: marts.Period,
    benchmarks: Benchmarks,
    *,
    max_distance_km: float = mutual_aid.DEFAULT_MAX_DISTANCE_KM,
    capacity_share: float = mutual_aid.DEFAULT_CAPACITY_SHARE,
    recent_weeks: int = RECENT_WEEKS,
) -> mutual_aid.MutualAidPlan:
    """The mutual-aid plan for ``test`` over ``period`` (see :func:`mutual_aid.match`)."""
    params = mutual_aid.MatchParameters(
        within_6_weeks_target=benchmarks.value("dm01_within_6_weeks"),
        max_distance_km=max_distance_km,
        capacity_share=capacity_share,
    )
    inputs = trust_inputs(engine, test, period, benchmarks, recent_weeks)
    return mutual_aid.match(inputs, distances(engine), test, params)


def test_label(test: str) -> str:
    """The DM01 name of a test, e.g. ``Magnetic Resonance Imaging``."""
    return DM01_TESTS.get(test, test)


def proposal_table(plan: mutual_aid.MutualAidPlan) -> pd.DataFrame:
    """The proposals with readable headings, and the patients each moves over the horizon."""
    weeks = max(plan.parameters.projection_weeks)
    rows = plan.proposals
    return pd.DataFrame(
        {
            "From trust": rows["from_trust"],
            "To trust": rows["to_trust"],
            "Test": rows["test_code"].map(test_label),
            "Patients a week": rows["patients_per_week"],
            f"Patients in {weeks} weeks": rows["patients_per_week"] * weeks,
            "Distance (km)": rows["distance_km"],
        }
    )


def trust_table(plan: mutual_aid.MutualAidPlan) -> pd.DataFrame:
    """Each trust's role and why, its flows, and its 6+ week waiters before and after."""
    rows, weeks = plan.trusts, max(plan.parameters.projection_weeks)
    return pd.DataFrame(
        {
            "Trust": rows["trust_code"],
            "Role": rows["role"],
            "Waiting 6+ weeks": rows["waiting_6_plus_before"],
            f"After {weeks} weeks": rows["waiting_6_plus_after"],
            "Sends a week": rows["sends_per_week"],
            "Receives a week": rows["receives_per_week"],
            "Spare a week": rows["spare_per_week"].round(1),
            "Within 6 weeks": rows["within_6_weeks"].map(
                lambda v: f"{v:.1%}" if pd.notna(v) else "–"
            ),
            "Why": rows["reason"],
        }
    )


def constraint_table(plan: mutual_aid.MutualAidPlan) -> pd.DataFrame:
    """The constraints that bound the optimum: limit and use a week (km for distance)."""
    rows = plan.binding
    return pd.DataFrame(
        {
            "Constraint": rows["constraint"],
            "Trust": rows["trust_code"],
            "Limit": rows["limit"].map(_tenths),
            "Used": rows["used"].map(_tenths),
            "Why": rows["note"],
        }
    )


def _tenths(value: float) -> str:
    # A limit of 0.03 a week printed as "0.0" would read as no limit at all.
    return f"{value:,.1f}" if value >= 0.05 or value == 0 else "<0.1"


def before_after(plan: mutual_aid.MutualAidPlan) -> pd.DataFrame:
    """Long frame for the chart: ``trust_code``, ``when`` (before / after N weeks), ``waiting``."""
    weeks = max(plan.parameters.projection_weeks)
    rows = plan.trusts
    labels = {"waiting_6_plus_before": "Now", "waiting_6_plus_after": f"After {weeks} weeks"}
    long = rows.melt(
        id_vars=["trust_code"], value_vars=list(labels), var_name="when", value_name="waiting"
    )
    return long.assign(when=long["when"].map(labels))
