"""Mutual aid for one diagnostic test: which trust sends how many patients a week to which.

Example::

    distances = trust_distances(sites)                    # km between the trusts' nearest sites
    plan = match(trusts, distances, "MRI", MatchParameters(within_6_weeks_target=0.95))
    plan.proposals      # from_trust, to_trust, test_code, patients_per_week, distance_km
    plan.projection     # weeks, waiting_6_plus_before, waiting_6_plus_after, reduction

The matcher is a linear programme solved by HiGHS (:func:`scipy.optimize.linprog`). Each trust
brings, for one DM01 test, its waiting list, the number waiting 6+ weeks (``B``), its weekly
activity and its spare capacity a week at benchmark productivity (``S``). Over a horizon of
``H`` weeks (12 by default):

- a **donor** cannot clear its own 6+ week backlog with its own spare capacity; it may send up
  to ``need = B ÷ H − S`` patients a week (the backlog rate its own capacity leaves over);
- a **receiver** has spare capacity beyond what its own 6+ week backlog needs, ``S − B ÷ H``,
  so taking patients never costs it its own 6-week performance. A trust below the interim
  ambition (``dm01_within_6_weeks``, 95%) with a backlog its spare capacity cannot clear is
  never a receiver (it has no such surplus). A receiver offers at most ``capacity_share`` (50%)
  of its spare capacity;
- a transfer needs the two trusts' nearest sites within ``max_distance_km`` (haversine).

The programme maximises Σ (1 − penalty × km) × patients a week: each patient moved a week is one
fewer 6+ week waiter a week, and the distance penalty makes nearer receivers win a tie. At the
default penalty (0.1% per km) it never gives up a patient for distance; a larger penalty trades
patients against travel, and a pair whose weight is not positive is never used. The answer is
rounded down to whole patients a week; ``lp_patients_per_week`` keeps the unrounded total.

Flow model of the projection (stated assumptions):

1. Without mutual aid each trust's 6+ week backlog stays as it is: the DM01 list is taken to be
   in steady state, patients crossing 6 weeks balanced by those seen.
2. With it, each week a donor's 6+ backlog falls by the patients it sends (the longest waiters
   go first), never below 0: after ``t`` weeks it is max(0, B − t × sent a week).
3. A receiver sees transferred patients in the same week within its spare capacity and does not
   add them to its own list, so its own backlog is unchanged.
4. Spare capacity and the donor's own activity stay as measured over the horizon.

Distances between trusts are in :mod:`~productivity.planning.distances`, and the programme's
constraints as a table (limit, use, binding) in :mod:`~productivity.planning.aid_constraints`;
their public names are re-exported here. Pure: numpy, pandas and scipy; no Streamlit, no
database.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import cast

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy.optimize import linprog

from productivity.planning.aid_constraints import (
    CONSTRAINT_COLUMNS as CONSTRAINT_COLUMNS,
    DONOR_LIMIT as DONOR_LIMIT,
    MAX_DISTANCE as MAX_DISTANCE,
    OWN_PERFORMANCE as OWN_PERFORMANCE,
    SHARE_CAP as SHARE_CAP,
    TOLERANCE,
    binding_constraints,
)
from productivity.planning.distances import (
    distance_between,
    haversine_km as haversine_km,
    trust_distances as trust_distances,
)

DEFAULT_MAX_DISTANCE_KM = 40.0
DEFAULT_CAPACITY_SHARE = 0.5
DEFAULT_HORIZON_WEEKS = 12
# Weight lost per km, as a share of the benefit of moving one patient: 4% at 40 km.
DEFAULT_DISTANCE_PENALTY_PER_KM = 0.001
PROJECTION_WEEKS: tuple[int, ...] = (4, 8, 12)

TRUST_COLUMNS: tuple[str, ...] = (
    "trust_code", "total_waiting", "waiting_6_plus", "weekly_activity", "spare_per_week",
)  # fmt: skip
PROPOSAL_COLUMNS: tuple[str, ...] = (
    "from_trust", "to_trust", "test_code", "patients_per_week", "distance_km",
)  # fmt: skip
PROJECTION_COLUMNS: tuple[str, ...] = (
    "weeks", "waiting_6_plus_before", "waiting_6_plus_after", "reduction",
)  # fmt: skip


@dataclass(frozen=True)
class MatchParameters:
    """The matcher's settings. ``within_6_weeks_target`` is the benchmark ``dm01_within_6_weeks``.

    Raises:
        ValueError: a share or target outside (0, 1], a negative distance or penalty, or a
            horizon or projection week under 1.
    """

    within_6_weeks_target: float
    max_distance_km: float = DEFAULT_MAX_DISTANCE_KM
    capacity_share: float = DEFAULT_CAPACITY_SHARE
    horizon_weeks: int = DEFAULT_HORIZON_WEEKS
    distance_penalty_per_km: float = DEFAULT_DISTANCE_PENALTY_PER_KM
    projection_weeks: tuple[int, ...] = PROJECTION_WEEKS

    def __post_init__(self) -> None:
        for name in ("within_6_weeks_target", "capacity_share"):
            value = getattr(self, name)
            if not 0 < value <= 1:
                raise ValueError(f"{name} must be a fraction in (0, 1], got {value!r}")
        if not self.max_distance_km >= 0 or not self.distance_penalty_per_km >= 0:
            raise ValueError("max_distance_km and distance_penalty_per_km must not be negative")
        if self.horizon_weeks < 1 or any(w < 1 for w in self.projection_weeks):
            raise ValueError("horizon_weeks and projection_weeks must be at least 1 week")


@dataclass(frozen=True)
class MutualAidPlan:
    """The matcher's answer for one test.

    ``proposals``: one row per transfer (:data:`PROPOSAL_COLUMNS`), whole patients a week.
    ``projection``: system 6+ week waiters at each projection week, without and with the plan.
    ``trusts``: each trust's inputs, role (donor / receiver / neither) and the reason, what it
    sends and receives a week, and its 6+ week waiters before and after the last projection week.
    ``constraints``: every constraint of the programme, its limit, what the optimum uses and
    whether it binds (:data:`CONSTRAINT_COLUMNS`).
    """

    test_code: str
    parameters: MatchParameters
    proposals: pd.DataFrame
    projection: pd.DataFrame
    trusts: pd.DataFrame
    constraints: pd.DataFrame
    lp_patients_per_week: float
    solver_status: str
    reason: str = field(default="")

    @property
    def no_transfer(self) -> bool:
        return self.proposals.empty

    @property
    def binding(self) -> pd.DataFrame:
        """The constraints that bound the optimum."""
        return self.constraints[self.constraints["binding"]].reset_index(drop=True)


def trust_roles(trusts: pd.DataFrame, params: MatchParameters) -> pd.DataFrame:
    """Each trust's need (donor) or offer (receiver) a week, and why, before any matching.

    Adds ``within_6_weeks`` (NaN with nobody waiting), ``backlog_weeks`` (B ÷ weekly activity),
    ``own_backlog_per_week`` (B ÷ H), ``need_per_week`` = max(0, B ÷ H − S),
    ``share_cap_per_week`` = share × S, ``surplus_per_week`` = max(0, S − B ÷ H),
    ``offer_per_week`` = min(share cap, surplus) for an eligible receiver, ``role`` and ``reason``.

    Raises:
        ValueError: a column is missing, a trust appears twice, or a count is negative.
    """
    _check_trusts(trusts)
    out = trusts.loc[:, list(TRUST_COLUMNS)].copy()
    out["spare_per_week"] = out["spare_per_week"].fillna(0.0).astype(float)
    waiting, backlog = out["total_waiting"].astype(float), out["waiting_6_plus"].astype(float)
    activity = out["weekly_activity"].astype(float)
    spare = out["spare_per_week"]
    out["within_6_weeks"] = (waiting - backlog) / waiting.where(waiting > 0)
    out["backlog_weeks"] = backlog / activity.where(activity > 0)
    out["own_backlog_per_week"] = backlog / params.horizon_weeks
    out["need_per_week"] = (out["own_backlog_per_week"] - spare).clip(lower=0)
    out["share_cap_per_week"] = params.capacity_share * spare
    out["surplus_per_week"] = (spare - out["own_backlog_per_week"]).clip(lower=0)
    below = out["within_6_weeks"] < params.within_6_weeks_target
    cannot_clear = spare * params.horizon_weeks < backlog
    eligible = ~(below & cannot_clear)
    # numpy's ufuncs return a Series for Series (pandas-stubs types them as arrays).
    offer = cast(pd.Series, np.minimum(out["share_cap_per_week"], out["surplus_per_week"]))
    out["offer_per_week"] = offer.where(eligible, 0.0)
    donor = out["need_per_week"] > TOLERANCE
    receiver = ~donor & (out["offer_per_week"] > TOLERANCE)
    out["role"] = np.select([donor, receiver], ["donor", "receiver"], "neither")
    h = params.horizon_weeks
    out["reason"] = np.select(
        [
            donor & (spare <= TOLERANCE),
            donor,
            receiver,
            backlog <= 0,
            spare <= TOLERANCE,
        ],
        [
            f"waits 6+ weeks and has no spare capacity: clears nothing in {h} weeks",
            f"its own spare capacity cannot clear its 6+ week backlog in {h} weeks",
            f"spare capacity beyond its own 6+ week backlog over {h} weeks",
            "nobody waits 6+ weeks, and no spare capacity",
            "no spare capacity",
        ],
        f"its spare capacity just clears its own 6+ week backlog in {h} weeks",
    )
    return out.reset_index(drop=True)


def match(
    trusts: pd.DataFrame, distances: pd.DataFrame, test_code: str, params: MatchParameters
) -> MutualAidPlan:
    """Propose transfers for one test that minimise the system's 6+ week waiters (see module).

    ``trusts`` has :data:`TRUST_COLUMNS`, one row per trust; ``distances`` is
    :func:`trust_distances` (a trust missing from it is never paired).

    Raises:
        ValueError: invalid trust inputs, or the solver fails (which a feasible, bounded
            programme like this one should never do).
    """
    roles = trust_roles(trusts, params)
    pairs = _candidate_pairs(roles, distances, params)
    x, status = _solve(roles, pairs)
    pairs["lp_patients_per_week"] = x
    pairs["patients_per_week"] = np.floor(x + TOLERANCE).astype(int)
    moved = pairs[pairs["patients_per_week"] >= 1]
    proposals = pd.DataFrame(
        {
            "from_trust": moved["from_trust"],
            "to_trust": moved["to_trust"],
            "test_code": test_code,
            "patients_per_week": moved["patients_per_week"],
            "distance_km": moved["distance_km"].round(1),
        },
        columns=list(PROPOSAL_COLUMNS),
    )
    proposals = proposals.sort_values(
        ["patients_per_week", "from_trust", "distance_km"], ascending=[False, True, True]
    ).reset_index(drop=True)
    by_trust = _flows(roles, proposals, params)
    constraints = binding_constraints(roles, pairs, distances, params)
    plan = MutualAidPlan(
        test_code=test_code,
        parameters=params,
        proposals=proposals,
        projection=project(by_trust, params.projection_weeks),
        trusts=by_trust,
        constraints=constraints,
        lp_patients_per_week=float(x.sum()),
        solver_status=status,
    )
    return replace(plan, reason=explain(plan))


def project(by_trust: pd.DataFrame, weeks: tuple[int, ...] = PROJECTION_WEEKS) -> pd.DataFrame:
    """System 6+ week waiters after each number of ``weeks``, without and with the transfers.

    Flow model (module docstring): before = Σ B; after = Σ max(0, B − weeks × sent a week).
    ``by_trust`` has ``waiting_6_plus`` and ``sends_per_week``.
    """
    backlog = by_trust["waiting_6_plus"].to_numpy(float)
    sent = by_trust["sends_per_week"].to_numpy(float)
    rows = []
    for week in weeks:
        before = backlog.sum()
        after = np.clip(backlog - week * sent, 0, None).sum()
        rows.append((week, before, after, before - after))
    out = pd.DataFrame(rows, columns=list(PROJECTION_COLUMNS))
    return out.astype(dict.fromkeys(PROJECTION_COLUMNS, "int64"))


def explain(plan: MutualAidPlan) -> str:
    """One plain sentence: why there is no transfer, or what the plan achieves."""
    roles, params = plan.trusts, plan.parameters
    h, km = params.horizon_weeks, f"{params.max_distance_km:g} km"
    if not plan.no_transfer:
        last = plan.projection.iloc[-1]
        return (
            f"{plan.proposals['patients_per_week'].sum():,} patients a week move in "
            f"{len(plan.proposals)} transfer(s); after {last['weeks']} weeks "
            f"{last['reduction']:,} fewer people wait 6+ weeks."
        )
    if roles["waiting_6_plus"].sum() == 0:
        return "Nobody waits 6+ weeks for this test at any trust, so no one needs to move."
    if not (roles["role"] == "donor").any():
        return (
            f"Every trust with 6+ week waiters could clear them within {h} weeks with its own "
            "spare capacity at the benchmark rate, so no one needs to move."
        )
    if not (roles["role"] == "receiver").any():
        return (
            "No trust has spare capacity beyond what it needs for its own 6+ week backlog "
            f"over {h} weeks, so there is nowhere to send patients."
        )
    if plan.lp_patients_per_week < TOLERANCE:
        return (
            f"No trust with spare capacity to offer is within {km} of a trust that needs help "
            "(or the distance penalty outweighs the benefit)."
        )
    return (
        "The best plan moves less than one patient a week between any two trusts, "
        "so no whole-patient transfer is proposed."
    )


def _check_trusts(trusts: pd.DataFrame) -> None:
    missing = [c for c in TRUST_COLUMNS if c not in trusts.columns]
    if missing:
        raise ValueError(f"mutual-aid trust frame is missing column(s): {', '.join(missing)}")
    duplicated = trusts["trust_code"][trusts["trust_code"].duplicated()].unique()
    if len(duplicated):
        raise ValueError(f"each trust must appear once, not: {', '.join(map(str, duplicated))}")
    counts = trusts[list(TRUST_COLUMNS[1:])]
    if (counts < 0).any().any():
        raise ValueError("waiting lists, activity and spare capacity must not be negative")


def _candidate_pairs(
    roles: pd.DataFrame, distances: pd.DataFrame, params: MatchParameters
) -> pd.DataFrame:
    donors = roles.loc[roles["role"] == "donor", "trust_code"]
    receivers = roles.loc[roles["role"] == "receiver", "trust_code"]
    rows = [(i, j, distance_between(distances, i, j)) for i in donors for j in receivers if i != j]
    pairs = pd.DataFrame(rows, columns=["from_trust", "to_trust", "distance_km"])
    pairs["weight"] = 1 - params.distance_penalty_per_km * pairs["distance_km"]
    usable = (pairs["distance_km"] <= params.max_distance_km) & (pairs["weight"] > 0)
    return pairs[usable].reset_index(drop=True)


def _solve(roles: pd.DataFrame, pairs: pd.DataFrame) -> tuple[npt.NDArray[np.float64], str]:
    """Maximise Σ weight × x subject to each donor's need and each receiver's two limits."""
    if pairs.empty:
        return np.zeros(0), "no pair of a donor and a receiver to match"
    indexed = roles.set_index("trust_code")
    rows: list[npt.NDArray[np.float64]] = []
    limits: list[float] = []
    for column, trust_column in (
        ("need_per_week", "from_trust"),
        ("share_cap_per_week", "to_trust"),
        ("surplus_per_week", "to_trust"),
    ):
        for code, members in pairs.groupby(trust_column).groups.items():
            row = np.zeros(len(pairs))
            row[pairs.index.get_indexer(members)] = 1.0
            rows.append(row)
            limits.append(float(cast(float, indexed.at[code, column])))  # a float column
    result = linprog(
        -pairs["weight"].to_numpy(float),
        A_ub=np.vstack(rows),
        b_ub=np.array(limits),
        bounds=(0, None),
        method="highs",
    )
    if result.status != 0:
        raise ValueError(f"the mutual-aid programme could not be solved: {result.message}")
    return np.clip(result.x, 0, None), str(result.message)


def _flows(roles: pd.DataFrame, proposals: pd.DataFrame, params: MatchParameters) -> pd.DataFrame:
    sends = proposals.groupby("from_trust")["patients_per_week"].sum()
    receives = proposals.groupby("to_trust")["patients_per_week"].sum()
    out = roles.assign(
        sends_per_week=roles["trust_code"].map(sends).fillna(0).astype(int),
        receives_per_week=roles["trust_code"].map(receives).fillna(0).astype(int),
    )
    last = max(params.projection_weeks)
    after = (out["waiting_6_plus"] - last * out["sends_per_week"]).clip(lower=0)
    return out.assign(
        waiting_6_plus_before=out["waiting_6_plus"].astype(int),
        waiting_6_plus_after=after.astype(int),
    )
