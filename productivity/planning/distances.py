"""Distances between trusts: great-circle km between sites, and each pair's nearest sites.

Used by the mutual-aid matcher (a transfer needs the two trusts' nearest sites within a
maximum distance). Pure: numpy and pandas; no Streamlit, no database.
"""

from __future__ import annotations

import math
from typing import cast

import numpy as np
import numpy.typing as npt
import pandas as pd

EARTH_RADIUS_KM = 6371.0088  # mean Earth radius (IUGG)


def haversine_km(
    lat1: npt.ArrayLike, lon1: npt.ArrayLike, lat2: npt.ArrayLike, lon2: npt.ArrayLike
) -> npt.NDArray[np.float64]:
    """Great-circle distance in km between points in degrees (broadcasts like numpy)."""
    phi1, phi2 = np.radians(lat1), np.radians(lat2)
    dphi = phi2 - phi1
    dlambda = np.radians(lon2) - np.radians(lon1)
    a = np.sin(dphi / 2) ** 2 + np.cos(phi1) * np.cos(phi2) * np.sin(dlambda / 2) ** 2
    return np.asarray(2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0, 1))), dtype=float)


def trust_distances(sites: pd.DataFrame) -> pd.DataFrame:
    """Km between each pair of trusts' nearest sites: a square frame, trust codes both ways.

    ``sites`` has ``trust_code``, ``latitude`` and ``longitude`` (one row per site, as
    ``data/sites.csv``). A site without coordinates is ignored; a trust with none is absent.
    """
    located = sites.dropna(subset=["latitude", "longitude"])
    codes = sorted(located["trust_code"].unique())
    lat, lon = located["latitude"].to_numpy(float), located["longitude"].to_numpy(float)
    km = haversine_km(lat[:, None], lon[:, None], lat[None, :], lon[None, :])
    per_site = pd.DataFrame(km, index=located["trust_code"], columns=located["trust_code"])
    nearest = per_site.T.groupby(level=0).min().T.groupby(level=0).min()
    return nearest.reindex(index=codes, columns=codes).rename_axis(index=None, columns=None)


def distance_between(distances: pd.DataFrame, a: str, b: str) -> float:
    """Km between trusts ``a`` and ``b`` in a :func:`trust_distances` frame; inf when unknown."""
    if a in distances.index and b in distances.columns:
        # trust_distances builds a float frame, so the cell is a float (NaN when unlocated).
        value = float(cast(float, distances.at[a, b]))
        return math.inf if math.isnan(value) else value
    return math.inf
