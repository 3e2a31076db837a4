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
    sent = usable.groupby("from_trust")["lp_patients_per_week"].sum()
    taken = usable.groupby("to_trust")["lp_patients_per_week"].sum()
    share = f"{params.capacity_share:.0%}"
    h = params.horizon_weeks
    rows = []
    for trust in roles.itertuples(index=False):
        if trust.role == SENDS:
            used = float(sent.get(trust.trust_code, 0.0))
            rows.append(
                (SENDER_LIMIT, trust.trust_code, trust.need_per_week, used,
                 f"6+ week backlog ÷ {h} weeks, less its own spare capacity")
            )  # fmt: skip
        elif trust.role == TAKES:
            used = float(taken.get(trust.trust_code, 0.0))
            rows.append(
                (SHARE_CAP, trust.trust_code, trust.share_cap_per_week, used,
                 f"at most {share} of its spare capacity is offered")
            )  # fmt: skip
            rows.append(
                (OWN_PERFORMANCE, trust.trust_code, trust.surplus_per_week, used,
                 f"its own 6+ week backlog over {h} weeks comes first")
            )  # fmt: skip
    out = pd.DataFrame(rows, columns=["constraint", "trust_code", "limit", "used", "note"])
    out["binding"] = (out["limit"] > TOLERANCE) & (out["used"] >= out["limit"] - TOLERANCE)
    parts = [out, _pair_limits(roles, sent, taken, pairs, params)]
    parts = [p for p in parts if not p.empty]  # concatenating an empty frame warns
    if not parts:
        return pd.DataFrame(columns=list(CONSTRAINT_COLUMNS)).astype({"binding": bool})
    return pd.concat(parts, ignore_index=True).loc[:, list(CONSTRAINT_COLUMNS)]


def _pair_limits(
    roles: pd.DataFrame,
    sent: pd.Series,
    taken: pd.Series,
    pairs: pd.DataFrame,
    params: MatchParameters,
) -> pd.DataFrame:
    """The pairs kept apart while both could still trade: by distance, or by peer group."""
    indexed = roles.set_index("trust_code")
    unmet = indexed["need_per_week"] - sent.reindex(indexed.index).fillna(0)
    left = indexed["offer_per_week"] - taken.reindex(indexed.index).fillna(0)
    senders = unmet[(indexed["role"] == SENDS) & (unmet > TOLERANCE)].index
    takers = left[(indexed["role"] == TAKES) & (left > TOLERANCE)].index
    open_pairs = pairs[pairs["from_trust"].isin(senders) & pairs["to_trust"].isin(takers)]
    far = open_pairs[open_pairs["eligible"] & (open_pairs["distance_km"] > params.max_distance_km)]
    far = far[far["distance_km"] < float("inf")]
    rows = [
        (MAX_DISTANCE, f"{p.from_trust} → {p.to_trust}", params.max_distance_km, p.distance_km,
         True, f"nearest sites {p.distance_km:.1f} km apart")
        for p in far.itertuples(index=False)
    ]  # fmt: skip
    barred = open_pairs[~open_pairs["eligible"]].groupby("from_trust")["to_trust"].nunique()
    for code, count in barred.items():
        rule = str(indexed.at[code, "eligibility"])
        rows.append(
            (PEER_GROUP, str(code), 0.0, 0.0, True,
             f"{rule}: {count} trust(s) with room left may not take them")
        )  # fmt: skip
    return pd.DataFrame(rows, columns=list(CONSTRAINT_COLUMNS))
