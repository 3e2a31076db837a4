"""Peer groups: who is compared with whom (SPEC §5, "peer groups (trust type)").

>>> groups = peer_groups()
>>> groups.loc["RBS", ["peer_group", "peer_label"]].tolist()
['children', "Children's"]
>>> groups.loc["RBL", "peer_label"], groups.loc["RBL", "trust_name"]
('Acute', 'Wirral University Teaching Hospital NHS Foundation Trust')
>>> peer_of(["RET", "REM", "XXX"]).tolist()
['neuro', 'acute', 'acute']

A children's hospital is not held to an adult CT rate, and a cancer centre's theatres are not an
acute trust's. Each trust's group is data: the ``peer_group`` column of ``data/trusts.csv``.
A trust missing from the file counts as acute, the largest group, so a new trust is compared
with the many rather than with nobody. Pure: pandas and the settings path only.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from pathlib import Path

import pandas as pd

from productivity import settings

# Key -> label, in the order tables and filters list them.
PEER_GROUPS: dict[str, str] = {
    "acute": "Acute",
    "children": "Children's",
    "women": "Women's",
    "cancer": "Cancer",
    "neuro": "Neurosciences",
    "heart": "Heart and chest",
    "ambulance": "Ambulance",
}
DEFAULT_PEER_GROUP = "acute"


@cache
def _read(path: Path) -> pd.DataFrame:
    trusts = pd.read_csv(path, dtype="str", keep_default_na=False)
    if "peer_group" not in trusts.columns:
        # An older trusts.csv without the column: its type (acute/specialist) is the best guess.
        trusts["peer_group"] = trusts["type"].where(trusts["type"].isin(list(PEER_GROUPS)), "")
    unknown = sorted(set(trusts["peer_group"]) - set(PEER_GROUPS) - {""})
    if unknown:
        raise ValueError(
            f"{path.name}: column peer_group has unknown value(s) {unknown}; "
            f"use one of {sorted(PEER_GROUPS)}"
        )
    groups = trusts["peer_group"].replace("", DEFAULT_PEER_GROUP)
    return pd.DataFrame(
        {
            "trust_name": trusts["name"].to_numpy(),
            "type": trusts["type"].to_numpy(),
            "peer_group": groups.to_numpy(),
            "peer_label": groups.map(PEER_GROUPS).to_numpy(),
        },
        index=pd.Index(trusts["trust_code"], name="trust_code"),
    )


def peer_groups(path: Path | None = None) -> pd.DataFrame:
    """One row per trust (index ``trust_code``): ``trust_name``, ``type``, ``peer_group``,
    ``peer_label``. A copy, so callers may add columns."""
    return _read(path or settings.TRUSTS_FILE).copy()


def peer_of(trust_codes: Iterable[str], path: Path | None = None) -> pd.Series:
    """The peer-group key of each trust code, in order (acute for a code not in the file)."""
    codes = pd.Series(list(trust_codes), dtype="str")
    known = _read(path or settings.TRUSTS_FILE)["peer_group"]
    return codes.map(known).fillna(DEFAULT_PEER_GROUP).rename("peer_group")


def trust_names(trust_codes: Iterable[str], path: Path | None = None) -> pd.Series:
    """Each trust's name, in order (the code itself where the file does not name it)."""
    codes = pd.Series(list(trust_codes), dtype="str")
    names = _read(path or settings.TRUSTS_FILE)["trust_name"]
    return codes.map(names).fillna(codes).rename("trust_name")
