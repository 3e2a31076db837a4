"""Mutual aid for one diagnostic test: which trust sends how many patients a week to which.

Example::

    distances = trust_distances(sites)                    # km between the trusts' nearest sites
    plan = match(trusts, distances, "MRI", MatchParameters(within_6_weeks_target=0.95))
    plan.proposals      # from_trust, to_trust, test_code, patients_per_week, distance_km
    plan.projection     # weeks, 6+ week waiters now, without aid, with aid, reduction

The matcher is a linear programme solved by HiGHS (:func:`scipy.optimize.linprog`). Each trust
brings, for one DM01 test, its peer group, its waiting list, the number waiting 6+ weeks
(``B``), its weekly activity and its spare capacity a week at benchmark productivity (``S``).
Over a horizon of ``H`` weeks (12 by default):

- a trust **sends patients** when its own spare capacity cannot clear its 6+ week backlog; it
  may send up to ``need = B ÷ H − S`` patients a week (the backlog rate its own capacity leaves
  over);
- a trust **takes patients** only with spare capacity beyond what its own 6+ week backlog needs,
  ``S − B ÷ H``: its own waiters come first, so taking patients never costs it its own 6-week
  performance. A trust below the interim ambition (``dm01_within_6_weeks``, 95%) with a backlog
  its spare capacity cannot clear never takes patients. It offers at most ``capacity_share``
  (50%) of its spare capacity;
- a transfer needs the taking trust's peer group to be allowed to take the sending trust's
  patients for this test (:mod:`~productivity.planning.aid_eligibility`, rules in
  ``data/mutual_aid_eligibility.toml``): a children's trust takes no adults, and a
  neurosciences centre's MRI patients go to no general list;
- and the two trusts' nearest sites within ``max_distance_km`` (haversine).

The programme maximises Σ (1 − penalty × km) × patients a week: each patient moved a week is one
fewer 6+ week waiter a week, and the distance penalty (0.1% per km by default) makes nearer
takers win a tie; a pair whose weight is not positive is never used. The answer is rounded
down to whole patients a week (``lp_patients_per_week`` keeps the unrounded total). The
projection's flow model is in :mod:`~productivity.planning.aid_projection`, the programme's
rows and solution in :mod:`~productivity.planning.aid_programme`, the constraints as a
table in :mod:`~productivity.planning.aid_constraints`, distances in
:mod:`~productivity.planning.distances`; their public names are re-exported here. Pure: numpy,
pandas and scipy; no Streamlit, no database.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import numpy.typing as npt
import pandas as pd

from productivity.export import SUPPRESS_BELOW, SUPPRESSED
from productivity.peers import PEER_GROUPS, peer_of
from productivity.planning.aid_constraints import (
    CONSTRAINT_COLUMNS as CONSTRAINT_COLUMNS,
    MAX_DISTANCE as MAX_DISTANCE,
    NEITHER as NEITHER,
    OWN_PERFORMANCE as OWN_PERFORMANCE,
    PEER_GROUP as PEER_GROUP,
    SENDER_LIMIT as SENDER_LIMIT,
    SENDS as SENDS,
    SHARE_CAP as SHARE_CAP,
    TAKES as TAKES,
    TOLERANCE,
    binding_constraints,
)
from productivity.planning.aid_eligibility import (
    AidEligibility as AidEligibility,
    EligibilityError as EligibilityError,
    load_eligibility as load_eligibility,
    with_eligibility,
)
from productivity.planning.aid_programme import candidate_pairs, solve, whole_patients
from productivity.planning.aid_projection import (
    PROJECTION_COLUMNS as PROJECTION_COLUMNS,
    backlog_after,
    project,
)
from productivity.planning.distances import (
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
    ``projection``: system 6+ week waiters at each projection week, now, without and with the
    plan (:data:`PROJECTION_COLUMNS`).
    ``trusts``: each trust's inputs, peer group, role (:data:`SENDS` / :data:`TAKES` /
    :data:`NEITHER`) and the reason, what it sends and takes a week, and its 6+ week waiters now
    and, without and with the plan, after the last projection week.
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
    """Each trust's need (sends) or offer (takes) a week, and why, before any matching.

    Adds ``peer_group`` (from :func:`productivity.peers.peer_of` unless given),
    ``within_6_weeks`` (NaN with nobody waiting), ``backlog_weeks`` (B ÷ weekly activity),
    ``own_backlog_per_week`` (B ÷ H), ``need_per_week`` = max(0, B ÷ H − S),
    ``share_cap_per_week`` = share × S, ``surplus_per_week`` = max(0, S − B ÷ H),
    ``offer_per_week`` = min(share cap, surplus) for an eligible taker, ``role`` and ``reason``.

    Raises:
        ValueError: a column is missing, a trust appears twice, a count is negative, or a peer
            group is unknown.
    """
    _check_trusts(trusts)
    # A dozen trusts: numpy arrays and one frame at the end, as pandas' cost is per operation.
    columns: dict[str, object] = {c: trusts[c].array for c in TRUST_COLUMNS}
    given = trusts["peer_group"] if "peer_group" in trusts.columns else None
    columns["peer_group"] = (
        given.to_numpy() if given is not None else peer_of(trusts["trust_code"]).to_numpy()
    )
    spare = trusts["spare_per_week"].to_numpy(float, na_value=np.nan)
    spare = np.where(np.isnan(spare), 0.0, spare)
    waiting = trusts["total_waiting"].to_numpy(float, na_value=np.nan)
    backlog = trusts["waiting_6_plus"].to_numpy(float, na_value=np.nan)
    activity = trusts["weekly_activity"].to_numpy(float, na_value=np.nan)
    h = params.horizon_weeks
    within = _ratio(waiting - backlog, waiting)
    own = backlog / h
    need, share_cap, surplus = (
        _at_least_0(own - spare),
        params.capacity_share * spare,
        _at_least_0(spare - own),
    )
    below = within < params.within_6_weeks_target
    cannot_clear = spare * h < backlog
    offer = np.where(~(below & cannot_clear), np.minimum(share_cap, surplus), 0.0)
    sends = need > TOLERANCE
    takes = ~sends & (offer > TOLERANCE)
    columns |= {
        "spare_per_week": spare,
        "within_6_weeks": within,
        "backlog_weeks": _ratio(backlog, activity),
        "own_backlog_per_week": own,
        "need_per_week": need,
        "share_cap_per_week": share_cap,
        "surplus_per_week": surplus,
        "offer_per_week": offer,
        "role": np.select([sends, takes], [SENDS, TAKES], NEITHER),
        "reason": np.select(
            [sends & (spare <= TOLERANCE), sends, takes, backlog <= 0, spare <= TOLERANCE],
            [
                f"waits 6+ weeks and has no spare capacity: clears nothing in {h} weeks",
                f"its own spare capacity cannot clear its 6+ week backlog in {h} weeks",
                f"spare capacity beyond its own 6+ week backlog over {h} weeks",
                "nobody waits 6+ weeks, and no spare capacity",
                "no spare capacity",
            ],
            f"its spare capacity just clears its own 6+ week backlog in {h} weeks",
        ),
    }
    return pd.DataFrame(columns, index=pd.RangeIndex(len(trusts)))


def match(
    trusts: pd.DataFrame,
    distances: pd.DataFrame,
    test_code: str,
    params: MatchParameters,
    eligibility: AidEligibility | None = None,
) -> MutualAidPlan:
    """Propose transfers for one test that minimise the system's 6+ week waiters (see module).

    ``trusts`` has :data:`TRUST_COLUMNS`, one row per trust, and may have ``peer_group``;
    ``distances`` is :func:`trust_distances` (a trust missing from it is never paired);
    ``eligibility`` defaults to the rules in ``data/mutual_aid_eligibility.toml``.

    Raises:
        ValueError: invalid trust inputs, or the solver fails (which a feasible, bounded
            programme like this one should never do).
        EligibilityError: the eligibility file is missing or invalid.
    """
    rules = eligibility or load_eligibility()
    roles = trust_roles(trusts, params)
    pairs = candidate_pairs(roles, distances, params, rules, test_code)
    roles = with_eligibility(roles, pairs, rules, test_code)
    usable = pairs[pairs["eligible"] & pairs["near"]].reset_index(drop=True)
    x, status = solve(roles, usable)
    proposals = whole_patients(usable, x, test_code)
    by_trust = _flows(roles, proposals, params)
    constraints = binding_constraints(roles, usable.assign(lp_patients_per_week=x), pairs, params)
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
    return replace(plan, reason=explain(plan, pairs))


def explain(plan: MutualAidPlan, pairs: pd.DataFrame | None = None) -> str:
    """One plain sentence: why there is no transfer, or what the plan achieves.

    ``pairs`` (every sending → taking pair, with ``eligible`` and ``near``) lets it say that
    the peer-group rules, not distance, stand in the way.
    """
    roles, params = plan.trusts, plan.parameters
    h, km = params.horizon_weeks, f"{params.max_distance_km:g} km"
    if not plan.no_transfer:
        last = plan.projection.iloc[-1]
        return (
            f"{count_text(plan.proposals['patients_per_week'].sum())} patients a week move in "
            f"{len(plan.proposals)} transfer(s); after {last['weeks']} weeks "
            f"{count_text(last['reduction'])} fewer people wait 6+ weeks than if each trust "
            "cleared its own list alone."
        )
    if roles["waiting_6_plus"].sum() == 0:
        return "Nobody waits 6+ weeks for this test at any trust, so no one needs to move."
    if not (roles["role"] == SENDS).any():
        return (
            f"Every trust with 6+ week waiters could clear them within {h} weeks with its own "
            "spare capacity at the benchmark rate, so no one needs to move."
        )
    if not (roles["role"] == TAKES).any():
        return (
            "No trust has spare capacity beyond what it needs for its own 6+ week backlog "
            f"over {h} weeks, so there is nowhere to send patients."
        )
    if pairs is not None and not pairs.empty and not pairs["eligible"].any():
        senders = roles[roles["role"] == SENDS]
        rules = sorted(set(senders["eligibility"].dropna()))
        return (
            "Every trust with spare capacity is in a peer group that may not take these "
            f"patients ({'; '.join(rules)}), so no transfer is proposed."
        )
    if plan.lp_patients_per_week < TOLERANCE:
        return (
            f"No trust with spare capacity that may take the patients is within {km} of a "
            "trust that needs help (or the distance penalty outweighs the benefit)."
        )
    return (
        "The best plan moves less than one patient a week between any two trusts, "
        "so no whole-patient transfer is proposed."
    )


def count_text(value: float) -> str:
    """A patient count as text: ``*`` from 1 to 4 (the small-number rule of
    :mod:`productivity.export`), else with thousands separators (``1,234``)."""
    return SUPPRESSED if 1 <= value < SUPPRESS_BELOW else f"{value:,.0f}"


def _check_trusts(trusts: pd.DataFrame) -> None:
    missing = [c for c in TRUST_COLUMNS if c not in trusts.columns]
    if missing:
        raise ValueError(f"mutual-aid trust frame is missing column(s): {', '.join(missing)}")
    seen: set[str] = set()
    duplicated: list[str] = []  # in the order of their second appearance, each once
    for code in trusts["trust_code"].to_numpy():
        if code in seen and code not in duplicated:
            duplicated.append(code)
        seen.add(code)
    if duplicated:
        raise ValueError(f"each trust must appear once, not: {', '.join(map(str, duplicated))}")
    if any((trusts[c].to_numpy(float, na_value=np.nan) < 0).any() for c in TRUST_COLUMNS[1:]):
        raise ValueError("waiting lists, activity and spare capacity must not be negative")
    if "peer_group" in trusts.columns:
        unknown = sorted(set(trusts["peer_group"]) - set(PEER_GROUPS))
        if unknown:
            raise ValueError(f"unknown peer group(s) {unknown}; use one of {list(PEER_GROUPS)}")


Floats = npt.NDArray[np.float64]


def _ratio(top: Floats, bottom: Floats) -> Floats:
    """top ÷ bottom, NaN where bottom is not positive (or unknown)."""
    out = np.full(len(top), np.nan)
    np.divide(top, bottom, out=out, where=bottom > 0)
    return out


def _at_least_0(values: Floats) -> Floats:
    """Negative values as 0 (NaN kept, as pandas' clip keeps it)."""
    return np.where((values >= 0) | np.isnan(values), values, 0.0)


def _flows(roles: pd.DataFrame, proposals: pd.DataFrame, params: MatchParameters) -> pd.DataFrame:
    sends: dict[str, int] = {}
    takes: dict[str, int] = {}
    for sender, taker, patients in zip(
        proposals["from_trust"], proposals["to_trust"], proposals["patients_per_week"], strict=True
    ):
        sends[sender] = sends.get(sender, 0) + int(patients)
        takes[taker] = takes.get(taker, 0) + int(patients)
    codes = roles["trust_code"].to_numpy()
    flows = pd.DataFrame(
        {
            "waiting_6_plus": roles["waiting_6_plus"].array,
            "spare_per_week": roles["spare_per_week"].array,
            "sends_per_week": np.array([sends.get(c, 0) for c in codes], dtype=np.int64),
            "takes_per_week": np.array([takes.get(c, 0) for c in codes], dtype=np.int64),
        },
        index=roles.index,
    )
    without, with_aid = backlog_after(flows, (max(params.projection_weeks),))
    added = pd.DataFrame(
        {
            "sends_per_week": flows["sends_per_week"].array,
            "takes_per_week": flows["takes_per_week"].array,
            "waiting_6_plus_before": roles["waiting_6_plus"].to_numpy().astype(int),
            "waiting_6_plus_without_aid": without[:, 0],
            "waiting_6_plus_after": with_aid[:, 0],
        },
        index=roles.index,
    )
    return pd.concat([roles, added], axis=1)
