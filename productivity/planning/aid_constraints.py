"""The mutual-aid programme's constraints as a table: each limit, what the optimum uses, binds.

One row per donor (its backlog rate), two per receiver (the capacity-share cap and its own
6-week performance), and one per donor → receiver pair that the maximum distance rules out while
both could still trade. The matcher (:mod:`~productivity.planning.mutual_aid`) calls
:func:`binding_constraints` and shows the rows that bind. Pure: pandas; no Streamlit, no
database.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import pandas as pd

from productivity.planning.distances import distance_between

if TYPE_CHECKING:  # the matcher imports this module, so its parameters are named for types only
    from productivity.planning.mutual_aid import MatchParameters

# Float noise such as 14.999999999 must not lose a whole patient to floor(), nor make a limit
# look binding or a trust look like a donor.
TOLERANCE = 1e-6
CONSTRAINT_COLUMNS: tuple[str, ...] = (
    "constraint", "trust_code", "limit", "used", "binding", "note",
)  # fmt: skip
DONOR_LIMIT = "donor backlog rate"
SHARE_CAP = "capacity share cap"
OWN_PERFORMANCE = "receiver's own 6-week performance"
MAX_DISTANCE = "maximum distance"


def binding_constraints(
    roles: pd.DataFrame, pairs: pd.DataFrame, distances: pd.DataFrame, params: MatchParameters
) -> pd.DataFrame:
    """Every row of the programme with its limit and use, plus the distance limits that bite."""
    sent = pairs.groupby("from_trust")["lp_patients_per_week"].sum()
    taken = pairs.groupby("to_trust")["lp_patients_per_week"].sum()
    share = f"{params.capacity_share:.0%}"
    h = params.horizon_weeks
    rows = []
    for trust in roles.itertuples(index=False):
        if trust.role == "donor":
            used = float(sent.get(trust.trust_code, 0.0))
            rows.append(
                (DONOR_LIMIT, trust.trust_code, trust.need_per_week, used,
                 f"6+ week backlog ÷ {h} weeks, less its own spare capacity")
            )  # fmt: skip
        elif trust.role == "receiver":
            used = float(taken.get(trust.trust_code, 0.0))
            rows.append(
                (SHARE_CAP, trust.trust_code, trust.share_cap_per_week, used,
                 f"at most {share} of its spare capacity is offered")
            )  # fmt: skip
            rows.append(
                (OWN_PERFORMANCE, trust.trust_code, trust.surplus_per_week, used,
                 f"spare capacity beyond its own 6+ week backlog over {h} weeks")
            )  # fmt: skip
    out = pd.DataFrame(rows, columns=["constraint", "trust_code", "limit", "used", "note"])
    out["binding"] = (out["limit"] > TOLERANCE) & (out["used"] >= out["limit"] - TOLERANCE)
    parts = [out, _distance_limits(roles, sent, taken, distances, params)]
    parts = [p for p in parts if not p.empty]  # concatenating an empty frame warns
    if not parts:
        return pd.DataFrame(columns=list(CONSTRAINT_COLUMNS)).astype({"binding": bool})
    return pd.concat(parts, ignore_index=True).loc[:, list(CONSTRAINT_COLUMNS)]


def _distance_limits(
    roles: pd.DataFrame,
    sent: pd.Series,
    taken: pd.Series,
    distances: pd.DataFrame,
    params: MatchParameters,
) -> pd.DataFrame:
    """Donor → receiver pairs the maximum distance rules out while both could still trade."""
    indexed = roles.set_index("trust_code")
    unmet = indexed["need_per_week"] - sent.reindex(indexed.index).fillna(0)
    left = indexed["offer_per_week"] - taken.reindex(indexed.index).fillna(0)
    donors = unmet[(indexed["role"] == "donor") & (unmet > TOLERANCE)].index
    receivers = left[(indexed["role"] == "receiver") & (left > TOLERANCE)].index
    rows = [
        (MAX_DISTANCE, f"{i} → {j}", params.max_distance_km, km, True,
         f"nearest sites {km:.1f} km apart")
        for i in donors
        for j in receivers
        if params.max_distance_km < (km := distance_between(distances, i, j)) < math.inf
    ]  # fmt: skip
    return pd.DataFrame(rows, columns=list(CONSTRAINT_COLUMNS))
