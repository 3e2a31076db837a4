"""The mutual-aid matcher's inputs, read from the store, and the plan for one DM01 test.

>>> list(TESTS)[:3], TESTS["GASTROSCOPY"]
(['CT', 'MRI', 'NON_OBSTETRIC_ULTRASOUND'], 'Endoscopy')

:func:`propose` (``propose(engine, "MRI", period, benchmarks, max_distance_km=40)``) gives the
plan. Per trust, for the chosen test: the DM01 waiting list and the number waiting 6+ weeks at the
latest month of the period, the weekly activity (:func:`productivity.metrics.waits.weekly_activity`)
and the spare capacity a week at benchmark productivity over the last whole weeks of the period:

- CT, MRI, non-obstetric ultrasound: scanner hours at the benchmark scans per hour minus the
  scans done (``additional_scans`` of :func:`productivity.modalities.scans_at_benchmark`, on
  the benchmark basis asked for: the national rates, or each trust's peer-group rate);
- colonoscopy, gastroscopy, flexi sigmoidoscopy: the unused points to the 95% list target
  (``additional_points``), shared between the three tests in proportion to the points of each
  test's DM01 activity at the trust, then turned into procedures at the point table;
- echocardiography: the tests the scheduled minutes would hold at the benchmark slot length.

Which modality serves a test is the registry's (:mod:`productivity.modalities`); each trust's
peer group, which decides who may take its patients (``data/mutual_aid_eligibility.toml``), and
its name are :mod:`productivity.peers`'. Distances come from the site coordinates in the store
(``data/sites.csv`` when it has none). Metric arithmetic stays in ``metrics/`` and the matcher
in :mod:`productivity.planning.mutual_aid`.

The tables (:func:`proposal_table`, :func:`trust_table`, :func:`projection_table`), their CSVs
(:func:`proposals_export`, :func:`trusts_export`) and the pack's are in
:mod:`productivity.views.aid_tables` (re-exported here): numeric, headed and formatted from the
column catalogue, with the project's one small-number rule (:mod:`productivity.export`) and the
totals that would give a hidden count away withheld (:mod:`productivity.planning.aid_disclosure`).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from sqlalchemy import Engine

from productivity.benchmarks import BENCHMARK_BASES, Benchmarks
from productivity.modalities import BY_TEST, for_test
from productivity.peers import PEER_GROUPS, peer_of
from productivity.planning import mutual_aid
from productivity.planning.mutual_aid import count_text as count_text  # the page's tiles
from productivity.store import marts, readers
from productivity.views import aid_capacity, aid_waits
from productivity.views.aid_capacity import (  # re-exported: the page and tests use them
    RECENT_WEEKS as RECENT_WEEKS,
    endoscopy_point_share as endoscopy_point_share,
    last_whole_weeks as last_whole_weeks,
    spare_capacity as spare_capacity,
)
from productivity.views.aid_tables import (  # the tables, re-exported for the page and pack
    TRUST_EXPORT_COLUMNS as TRUST_EXPORT_COLUMNS,
    before_after as before_after,
    moved_text as moved_text,
    projection_table as projection_table,
    projection_withheld as projection_withheld,
    proposal_table as proposal_table,
    proposal_withheld as proposal_withheld,
    proposals_export as proposals_export,
    reason as reason,
    test_label as test_label,
    tiles as tiles,
    trust_label as trust_label,
    trust_table as trust_table,
    trust_withheld as trust_withheld,
    trusts_export as trusts_export,
    withheld as withheld,
)

# DM01 test -> the modality whose capacity serves it (the page's options, in this order).
TESTS: dict[str, str] = {test: serving.key for test, serving in BY_TEST.items()}


def trust_inputs(
    engine: Engine,
    test: str,
    period: marts.Period,
    benchmarks: Benchmarks,
    recent_weeks: int = RECENT_WEEKS,
    basis: str = "national",
    stamp: str | None = None,
) -> pd.DataFrame:
    """One row per trust that reports ``test`` to DM01: :data:`mutual_aid.TRUST_COLUMNS` and
    ``peer_group`` (:func:`productivity.peers.peer_of`); spare capacity on the benchmark
    ``basis`` (:func:`spare_capacity`).

    A trust with nobody waiting and no activity for the test is left out; a trust without
    capacity data has no spare capacity (0).

    Raises:
        ValueError: ``test`` is not one of :data:`TESTS`.
    """
    if test not in TESTS:
        raise ValueError(f"mutual aid covers {', '.join(TESTS)}, not {test!r}")
    stamp = marts.build_stamp(engine) if stamp is None else stamp  # read once, used thrice
    latest, by_test = period_waits(engine, period, stamp)
    columns = list(mutual_aid.TRUST_COLUMNS)
    if not (latest["test_code"] == test).any():
        return pd.DataFrame(columns=[*columns, "peer_group"])
    # Each provider's waits for the test: its group of the waits per provider and test.
    dm01 = by_test[(by_test["test_code"] == test).to_numpy()].drop(columns="test_code")
    dm01 = dm01.rename(columns={"provider_code": "trust_code"})
    dm01 = dm01[(dm01["total_waiting"] > 0) | (dm01["weekly_activity"] > 0)]
    share = None
    if len(for_test(test).dm01_tests) > 1:  # endoscopy: the test's share of the list points
        points = benchmarks.endoscopy_points()
        share = aid_waits.point_share(engine, period, test, points, stamp)
    spare = spare_capacity(
        engine, test, period, benchmarks, latest, recent_weeks, basis, share, stamp
    )
    out = dm01.merge(spare, on="trust_code", how="left")
    out["spare_per_week"] = out["spare_per_week"].fillna(0.0)
    out["peer_group"] = peer_of(out["trust_code"]).to_numpy()
    return out[[*columns, "peer_group"]].reset_index(drop=True)


def latest_dm01(engine: Engine, period: marts.Period) -> pd.DataFrame:
    """:func:`productivity.store.reports.latest_dm01` of ``period``, from the build's rows
    (:mod:`productivity.views.aid_waits`)."""
    return aid_waits.period_waits(engine, period)[0]


# The last periods' latest returns and their waits per provider and test (another test of the
# same period picks neither again): (build stamp, start, end) -> (latest rows, waits).
_WAITS: list[tuple[tuple[str, str | None, str | None], pd.DataFrame, pd.DataFrame]] = []
WAITS_KEPT = 4


def period_waits(
    engine: Engine, period: marts.Period, stamp: str | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """:func:`latest_dm01` of ``period`` and its waits per provider and test
    (:func:`productivity.metrics.waits.dm01_waits`: each group is the same whatever else is in
    the frame, so a test's rows are its waits per provider), picked from the waits per
    provider × test × month worked out once per build (:mod:`productivity.views.aid_waits`);
    ``stamp`` is the marts' build stamp when the caller has read it."""
    stamp = marts.build_stamp(engine) if stamp is None else stamp
    key = (stamp, period.start, period.end)
    for was, latest, by_test in reversed(_WAITS[:]):  # a copy: another session may replace it
        if stamp and was == key:
            return latest, by_test
    latest, by_test = aid_waits.period_waits(engine, period, stamp)
    _WAITS[:] = [*_WAITS[-(WAITS_KEPT - 1) :], (key, latest, by_test)]
    return latest, by_test


# The last sites read and their distances: the sites rarely change, so a page's rerun reads
# them (a small query) and reuses the distances while they are the same.
_DISTANCES: list[tuple[pd.DataFrame, pd.DataFrame]] = []


def distances(engine: Engine) -> pd.DataFrame:
    """Km between the trusts' nearest sites, from the store's sites (or ``data/sites.csv``)."""
    sites = readers.site_locations(engine)
    last = _DISTANCES[-1] if _DISTANCES else None  # one read: another session may replace it
    if last is not None and last[0].equals(sites):
        return last[1].copy()
    found = mutual_aid.trust_distances(sites)
    _DISTANCES[:] = [(sites, found)]
    return found.copy()


def clear_read_cache() -> None:
    """Forget the DM01 rows, spare capacities, distances and plans kept between reruns (for
    measurements of a cold first render)."""
    aid_waits.clear_read_cache()
    _WAITS.clear()
    _DISTANCES.clear()
    aid_capacity.clear_read_cache()
    _PLANS.clear()


def propose(
    engine: Engine,
    test: str,
    period: marts.Period,
    benchmarks: Benchmarks,
    *,
    max_distance_km: float = mutual_aid.DEFAULT_MAX_DISTANCE_KM,
    capacity_share: float = mutual_aid.DEFAULT_CAPACITY_SHARE,
    recent_weeks: int = RECENT_WEEKS,
    eligibility: mutual_aid.AidEligibility | None = None,
    basis: str = "national",
    stamp: str | None = None,
) -> mutual_aid.MutualAidPlan:
    """The mutual-aid plan for ``test`` over ``period`` (see :func:`mutual_aid.match`), with
    spare capacity and need at the benchmark on ``basis`` (``national`` or ``peer``).

    ``eligibility`` defaults to the peer-group rules in ``data/mutual_aid_eligibility.toml``;
    ``stamp`` is the marts' build stamp when the caller has read it.

    Raises:
        ValueError: ``test`` is not a mutual-aid test.
        EligibilityError: the eligibility file is missing or invalid.
    """
    params = mutual_aid.MatchParameters(
        within_6_weeks_target=benchmarks.value("dm01_within_6_weeks"),
        max_distance_km=max_distance_km,
        capacity_share=capacity_share,
    )
    rules = eligibility or mutual_aid.load_eligibility()
    inputs = trust_inputs(engine, test, period, benchmarks, recent_weeks, basis, stamp)
    return _match(inputs, distances(engine), test, params, rules)


# Plans worked out, with what they were worked out from: a period whose inputs are the same
# (another "From" month with the same latest DM01 returns and last whole weeks) is given the
# same plan, and so the tables already made of it (aid_tables keeps them per plan).
@dataclass(frozen=True)
class _Worked:
    """A plan and what it was worked out from."""

    test: str
    params: mutual_aid.MatchParameters
    rules: mutual_aid.AidEligibility
    inputs: pd.DataFrame
    between: pd.DataFrame
    plan: mutual_aid.MutualAidPlan

    def of(
        self,
        test: str,
        params: mutual_aid.MatchParameters,
        rules: mutual_aid.AidEligibility,
        inputs: pd.DataFrame,
        between: pd.DataFrame,
    ) -> bool:
        """Whether this plan was worked out from these (equal frames, equal rules)."""
        same = (test, params, rules) == (self.test, self.params, self.rules)
        return same and inputs.equals(self.inputs) and between.equals(self.between)


_PLANS: list[_Worked] = []
PLANS_KEPT = 16


def _match(
    inputs: pd.DataFrame,
    between: pd.DataFrame,
    test: str,
    params: mutual_aid.MatchParameters,
    rules: mutual_aid.AidEligibility,
) -> mutual_aid.MutualAidPlan:
    """:func:`mutual_aid.match`, or the plan kept from the same inputs."""
    for worked in reversed(_PLANS[:]):  # a copy: another session may replace the list
        if worked.of(test, params, rules, inputs, between):
            return worked.plan
    plan = mutual_aid.match(inputs, between, test, params, rules)
    _PLANS[:] = [*_PLANS[-(PLANS_KEPT - 1) :], _Worked(test, params, rules, inputs, between, plan)]
    return plan


def basis_caption(test: str, basis: str) -> str:
    """Which benchmark spare capacity and need are counted at, in words (the basis applies to
    the scan rates of CT, MRI and non-obstetric ultrasound)."""
    serving = for_test(test)
    if not serving.imaging:
        return (
            f"Benchmark: the national {serving.name.lower()} benchmark for every trust (the "
            "benchmark basis applies to scan rates)."
        )
    return (
        f"Benchmark: spare capacity and need at {serving.key} scans per hour on "
        f"{BENCHMARK_BASES[basis]}."
    )


def constraint_table(plan: mutual_aid.MutualAidPlan) -> pd.DataFrame:
    """The constraints that bound the optimum: limit and use a week (km for distance)."""
    rows = plan.binding
    return pd.DataFrame(
        {
            "constraint": rows["constraint"],
            "trust": _pair_label(rows["trust_code"]),
            "limit": rows["limit"].astype(float),
            "used": rows["used"].astype(float),
            "why": rows["note"],
        }
    )


def constraint_withheld(plan: mutual_aid.MutualAidPlan) -> pd.DataFrame:
    """The cells of :func:`constraint_table` to hide: what a trust whose patients sent or taken
    are withheld uses (its flow), and a limit worked out from withheld 6+ week waiters."""
    rows, hide = plan.binding, withheld(plan)
    trusts = hide.trusts.set_index(plan.trusts["trust_code"])
    flow = trusts["sends_per_week"] | trusts["takes_per_week"]
    backlog = trusts["waiting_6_plus_before"]
    mask = pd.DataFrame(
        False, index=rows.index, columns=["constraint", "trust", "limit", "used", "why"]
    )
    mask["used"] = rows["trust_code"].isin(flow.index[flow.to_numpy()])
    from_backlog = rows["constraint"].isin([mutual_aid.SENDER_LIMIT, mutual_aid.OWN_PERFORMANCE])
    mask["limit"] = from_backlog & rows["trust_code"].isin(backlog.index[backlog.to_numpy()])
    return mask


def _pair_label(codes: pd.Series) -> pd.Series:
    """ "RBT → RWW" (a distance limit) or one code, as trust names with their codes."""
    if codes.empty:
        return codes.astype(object)
    parts = codes.astype(str).str.split(" → ", expand=True)
    labels = [trust_label(parts[c].fillna("")) for c in parts.columns]
    joined = labels[0]
    for label, column in zip(labels[1:], parts.columns[1:], strict=True):
        joined = joined.where(parts[column].isna().to_numpy(), joined + " → " + label)
    return joined.set_axis(codes.index)


def eligibility_table(
    test: str, eligibility: mutual_aid.AidEligibility | None = None
) -> pd.DataFrame:
    """For ``test``: each peer group and the peer groups that may take its patients."""
    rules = eligibility or mutual_aid.load_eligibility()
    return pd.DataFrame(
        {
            "Trusts in the peer group": list(PEER_GROUPS.values()),
            "May send patients to": [
                ", ".join(PEER_GROUPS[g] for g in PEER_GROUPS if g in rules.takers(test, key))
                or "no trust"
                for key in PEER_GROUPS
            ],
        }
    )
