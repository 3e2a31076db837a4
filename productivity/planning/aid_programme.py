"""The mutual-aid programme: the sending → taking pairs, the solved programme, whole patients.

The matcher (:mod:`~productivity.planning.mutual_aid`, whose module says what the programme
is) calls :func:`candidate_pairs`, :func:`solve` and :func:`whole_patients`. A dozen trusts and
a few dozen pairs: numpy arrays and plain Python, each frame built once, as pandas' cost is per
operation. Pure: numpy, pandas and scipy; no Streamlit, no database.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy.optimize import linprog

from productivity.planning.aid_constraints import SENDS, TAKES, TOLERANCE

if TYPE_CHECKING:  # the matcher imports this module, so its types are named for types only
    from productivity.planning.aid_eligibility import AidEligibility
    from productivity.planning.mutual_aid import MatchParameters


def candidate_pairs(
    roles: pd.DataFrame,
    distances: pd.DataFrame,
    params: MatchParameters,
    rules: AidEligibility,
    test_code: str,
) -> pd.DataFrame:
    """Every sending → taking pair: its km, weight, and whether it is ``eligible`` and ``near``."""
    codes, role = roles["trust_code"].to_numpy(), roles["role"].to_numpy()
    group = dict(zip(codes, roles["peer_group"].to_numpy(), strict=True))
    pairs = [(i, j) for i in codes[role == SENDS] for j in codes[role == TAKES] if i != j]
    senders, takers = [i for i, _ in pairs], [j for _, j in pairs]
    km = _km(distances, senders, takers)
    weight = 1 - params.distance_penalty_per_km * km
    eligible = [rules.allows(test_code, group[i], group[j]) for i, j in pairs]
    return pd.DataFrame(
        {
            "from_trust": pd.array(senders, dtype="str"),
            "to_trust": pd.array(takers, dtype="str"),
            "distance_km": km,
            "weight": weight,
            "eligible": np.array(eligible, dtype=bool),
            "near": (km <= params.max_distance_km) & (weight > 0),
        }
    )


def _km(distances: pd.DataFrame, senders: list[str], takers: list[str]) -> npt.NDArray[np.float64]:
    """Km between each pair's trusts, inf when either is unknown or unlocated (as
    :func:`~productivity.planning.distances.distance_between` gives it)."""
    rows = distances.index.get_indexer(pd.Index(senders, dtype=object))
    cols = distances.columns.get_indexer(pd.Index(takers, dtype=object))
    found = (rows >= 0) & (cols >= 0)
    km = np.full(len(senders), np.inf)
    km[found] = distances.to_numpy(float)[rows[found], cols[found]]
    return np.where(np.isnan(km), np.inf, km)


def solve(roles: pd.DataFrame, pairs: pd.DataFrame) -> tuple[npt.NDArray[np.float64], str]:
    """Maximise Σ weight × x subject to each sender's need and each taker's two limits."""
    if pairs.empty:
        return np.zeros(0), "no eligible pair of a sending and a taking trust within reach"
    codes = roles["trust_code"].to_numpy()
    senders, takers = pairs["from_trust"].to_numpy(), pairs["to_trust"].to_numpy()
    rows: list[npt.NDArray[np.float64]] = []
    limits: list[float] = []
    # The rows in the order the programme has always had them (trusts sorted by code), so the
    # solver's answer does not move.
    for column, ends in (
        ("need_per_week", senders),
        ("share_cap_per_week", takers),
        ("surplus_per_week", takers),
    ):
        limit = dict(zip(codes, roles[column].to_numpy(float), strict=True))
        for code in sorted(set(ends)):
            rows.append((ends == code).astype(float))
            limits.append(float(limit[code]))
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


def whole_patients(
    usable: pd.DataFrame, x: npt.NDArray[np.float64], test_code: str
) -> pd.DataFrame:
    """The whole patients a week of each used pair, most first (then by sender and km)."""
    patients = np.floor(x + TOLERANCE).astype(int)
    km = np.round(usable["distance_km"].to_numpy(float), 1)
    moved = [
        (patients[k], sender, taker, km[k])
        for k, (sender, taker) in enumerate(
            zip(usable["from_trust"].to_numpy(), usable["to_trust"].to_numpy(), strict=True)
        )
        if patients[k] >= 1
    ]
    moved.sort(key=lambda row: (-row[0], row[1], row[3]))  # stable, as pandas' sort on 3 keys
    return pd.DataFrame(
        {
            "from_trust": pd.array([row[1] for row in moved], dtype="str"),
            "to_trust": pd.array([row[2] for row in moved], dtype="str"),
            "test_code": pd.array([test_code] * len(moved), dtype="str"),
            "patients_per_week": np.array([row[0] for row in moved], dtype=np.int64),
            "distance_km": np.array([row[3] for row in moved], dtype=float),
        }
    )
