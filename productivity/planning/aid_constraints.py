"""The mutual-aid programme's constraints as a table: each limit, what the optimum uses, binds.

One row per trust that sends patients (its backlog rate), two per trust that takes them (the
capacity-share cap and its own 6-week performance), one per sending → taking pair that the
maximum distance rules out while both could still trade, and one per sending trust whose
patients the peer-group rules keep from takers that still have room. The matcher
(:mod:`~productivity.planning.mutual_aid`) calls :func:`binding_constraints` and shows the rows
that bind. Pure: pandas; no Streamlit, no database.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
import pandas as pd

if TYPE_CHECKING:  # the matcher imports this module, so its parameters are named for types only
    from productivity.planning.mutual_aid import MatchParameters

# Float noise such as 14.999999999 must not lose a whole patient to floor(), nor make a limit
# look binding or a trust look as if it needs to send patients.
TOLERANCE = 1e-6
CONSTRAINT_COLUMNS: tuple[str, ...] = (
    "constraint", "trust_code", "limit", "used", "binding", "note",
)  # fmt: skip
SENDER_LIMIT = "sending trust's backlog rate"
SHARE_CAP = "capacity share cap"
OWN_PERFORMANCE = "taking trust's own 6-week performance"
MAX_DISTANCE = "maximum distance"
PEER_GROUP = "peer-group eligibility"
# A trust's role, in the words the page, tables and CSVs use.
SENDS, TAKES, NEITHER = "sends patients", "takes patients", "neither"


def binding_constraints(
    roles: pd.DataFrame, usable: pd.DataFrame, pairs: pd.DataFrame, params: MatchParameters
) -> pd.DataFrame:
    """Every row of the programme with its limit and use, plus the pair limits that bite.

    ``usable`` holds the pairs the programme used, with ``lp_patients_per_week``; ``pairs``
    every sending → taking pair with ``distance_km``, ``eligible`` and ``near``.
    """
    # A dozen trusts and their pairs: plain Python rows, as pandas' cost is per operation.
    lp = usable["lp_patients_per_week"].to_numpy(float)
    sent = _sums(usable["from_trust"].to_numpy(), lp)
    taken = _sums(usable["to_trust"].to_numpy(), lp)
    share = f"{params.capacity_share:.0%}"
    h = params.horizon_weeks
    rows: list[tuple[str, str, float, float, bool, str]] = []
    for code, role, need, cap, surplus in zip(
        *(roles[c].to_numpy() for c in ("trust_code", "role") + _LIMITS), strict=True
    ):
        if role == SENDS:
            used = sent.get(code, 0.0)
            rows.append(
                _row(SENDER_LIMIT, code, need, used,
                     f"6+ week backlog ÷ {h} weeks, less its own spare capacity")
            )  # fmt: skip
        elif role == TAKES:
            used = taken.get(code, 0.0)
            rows.append(
                _row(SHARE_CAP, code, cap, used,
                     f"at most {share} of its spare capacity is offered")
            )  # fmt: skip
            rows.append(
                _row(OWN_PERFORMANCE, code, surplus, used,
                     f"its own 6+ week backlog over {h} weeks comes first")
            )  # fmt: skip
    rows += _pair_limits(roles, sent, taken, pairs, params)
    if not rows:
        return pd.DataFrame(columns=list(CONSTRAINT_COLUMNS)).astype({"binding": bool})
    constraint, trust_code, limit, used_, binding, note = zip(*rows, strict=True)
    return pd.DataFrame(
        {
            "constraint": pd.array(constraint, dtype="str"),
            "trust_code": pd.array(trust_code, dtype="str"),
            "limit": np.array(limit, dtype=float),
            "used": np.array(used_, dtype=float),
            "binding": np.array(binding, dtype=bool),
            "note": pd.array(note, dtype="str"),
        }
    )


_LIMITS = ("need_per_week", "share_cap_per_week", "surplus_per_week")


def _row(
    constraint: str, code: str, limit: float, used: float, note: str
) -> tuple[str, str, float, float, bool, str]:
    """A trust's limit: it binds when it is positive and the optimum uses all of it."""
    limit = float(limit)
    return (constraint, code, limit, used, limit > TOLERANCE and used >= limit - TOLERANCE, note)


def _sums(codes: npt.NDArray[np.object_], values: npt.NDArray[np.float64]) -> dict[str, float]:
    """Each code's sum of ``values``, added as pandas' groupby sum adds them (Kahan summation),
    so a limit that binds to the last bit still does."""
    total: dict[str, float] = {}
    compensation: dict[str, float] = {}
    for code, value in zip(codes, values, strict=True):
        if value != value:  # NaN: skipped, as groupby skips it
            continue
        running, carried = total.get(code, 0.0), compensation.get(code, 0.0)
        y = float(value) - carried
        t = running + y
        carried = t - running - y
        compensation[code] = 0.0 if carried != carried else carried  # an infinity's NaN
        total[code] = t
    return total


def _pair_limits(
    roles: pd.DataFrame,
    sent: dict[str, float],
    taken: dict[str, float],
    pairs: pd.DataFrame,
    params: MatchParameters,
) -> list[tuple[str, str, float, float, bool, str]]:
    """The pairs kept apart while both could still trade: by distance, or by peer group."""
    senders, takers, rule = set(), set(), {}
    for code, role, need, offer, eligibility in zip(
        *(roles[c].to_numpy() for c in _ROLE_COLUMNS), strict=True
    ):
        if role == SENDS and need - sent.get(code, 0.0) > TOLERANCE:
            senders.add(code)
        if role == TAKES and offer - taken.get(code, 0.0) > TOLERANCE:
            takers.add(code)
        rule[code] = eligibility
    rows: list[tuple[str, str, float, float, bool, str]] = []
    barred: dict[str, set[str]] = {}
    limit = params.max_distance_km
    for sender, taker, km, eligible in zip(
        *(pairs[c].to_numpy() for c in ("from_trust", "to_trust", "distance_km", "eligible")),
        strict=True,
    ):
        if sender not in senders or taker not in takers:
            continue
        if not eligible:
            barred.setdefault(sender, set()).add(taker)
        elif limit < km < float("inf"):
            rows.append(
                (MAX_DISTANCE, f"{sender} → {taker}", float(limit), float(km), True,
                 f"nearest sites {km:.1f} km apart")
            )  # fmt: skip
    for code in sorted(barred):
        rows.append(
            (PEER_GROUP, str(code), 0.0, 0.0, True,
             f"{rule[code]}: {len(barred[code])} trust(s) with room left may not take them")
        )  # fmt: skip
    return rows


_ROLE_COLUMNS = ("trust_code", "role", "need_per_week", "offer_per_week", "eligibility")
