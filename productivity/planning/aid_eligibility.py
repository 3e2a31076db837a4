"""Who may take whose patients in mutual aid: rules by peer group, read from a data file.

>>> rules = load_eligibility()
>>> rules.allows("MRI", "neuro", "children"), rules.allows("MRI", "acute", "acute")
(False, True)
>>> sorted(rules.takers("ECHOCARDIOGRAPHY", "acute"))
['acute', 'heart']

The rules live in ``data/mutual_aid_eligibility.toml`` (its comments say why each default is
what it is), not in code, so a programme board can change them. A rule maps a sending peer
group (:data:`productivity.peers.PEER_GROUPS`) to the peer groups that may take its patients;
``[default]`` names every group, and ``[modality.<key>]`` then ``[test.<code>]`` replace the rule
for the groups they name. Pure: tomllib, pandas and the pure registries; no Streamlit, no
database.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from productivity import settings
from productivity.modalities import BY_TEST, KEYS as MODALITY_KEYS
from productivity.peers import PEER_GROUPS
from productivity.planning.aid_constraints import SENDS

ELIGIBILITY_FILE = settings.DATA_DIR / "mutual_aid_eligibility.toml"
SECTIONS: tuple[str, ...] = ("default", "modality", "test")

Rule = Mapping[str, frozenset[str]]  # sending peer group -> peer groups that may take


class EligibilityError(ValueError):
    """The eligibility file is missing, not TOML, or names an unknown key (file and key named)."""


@dataclass(frozen=True)
class AidEligibility:
    """Mutual-aid eligibility by peer group: the default rule and its overrides."""

    source: str  # the file the rules came from, for messages
    default: Rule
    by_modality: Mapping[str, Rule]
    by_test: Mapping[str, Rule]

    def takers(self, test: str, sender_group: str) -> frozenset[str]:
        """The peer groups that may take ``test`` patients from a ``sender_group`` trust."""
        modality = BY_TEST[test].key if test in BY_TEST else None
        for rule in (self.by_test.get(test, {}), self.by_modality.get(modality or "", {})):
            if sender_group in rule:
                return rule[sender_group]
        return self.default.get(sender_group, frozenset())

    def allows(self, test: str, sender_group: str, taker_group: str) -> bool:
        """Whether a ``taker_group`` trust may take a ``sender_group`` trust's ``test`` patients."""
        return taker_group in self.takers(test, sender_group)

    def allows_each(self, test: str, senders: pd.Series, takers: pd.Series) -> pd.Series:
        """Element-wise :meth:`allows` over two aligned Series of peer groups."""
        allowed = [self.allows(test, s, t) for s, t in zip(senders, takers, strict=True)]
        return pd.Series(allowed, index=senders.index, dtype=bool)

    def describe(self, test: str, sender_group: str) -> str:
        """In words: where a ``sender_group`` trust's ``test`` patients may go."""
        label = PEER_GROUPS.get(sender_group, sender_group)
        groups = [PEER_GROUPS[g] for g in PEER_GROUPS if g in self.takers(test, sender_group)]
        if not groups:
            return f"{label} trusts' patients may not be sent to any trust"
        return f"{label} trusts' patients may go only to {_words(groups)} trusts"


def load_eligibility(path: Path | None = None) -> AidEligibility:
    """The rules in ``path`` (default ``data/mutual_aid_eligibility.toml``), checked.

    Raises:
        EligibilityError: the file is missing or not TOML; a section, peer group, modality or
            test is unknown; a rule is not a list of peer groups; ``[default]`` leaves out a
            peer group. The message names the file and the key.
    """
    path = path or ELIGIBILITY_FILE
    raw = _read(path)
    name = path.name
    unknown = sorted(set(raw) - set(SECTIONS))
    if unknown:
        raise EligibilityError(
            f"{name}: unknown section(s) {unknown}; use [default], [modality.<key>] or "
            "[test.<code>]"
        )
    default = _rule(name, "default", raw.get("default"))
    missing = [g for g in PEER_GROUPS if g not in default]
    if missing:
        raise EligibilityError(
            f"{name}: [default] must give a rule for every peer group; missing {missing}"
        )
    return AidEligibility(
        source=name,
        default=default,
        by_modality=_overrides(name, "modality", raw.get("modality", {}), MODALITY_KEYS),
        by_test=_overrides(name, "test", raw.get("test", {}), tuple(BY_TEST)),
    )


def with_eligibility(
    roles: pd.DataFrame, pairs: pd.DataFrame, rules: AidEligibility, test_code: str
) -> pd.DataFrame:
    """``roles`` plus ``eligibility``: in words, where a sending trust's patients may go.

    A trust that needs to send patients, when no trust with spare capacity may take them, has
    that added to its ``reason``. ``pairs`` has ``from_trust`` and ``eligible`` for every
    sending → taking pair.
    """
    # Plain values: a dozen trusts' Series operations cost more than the words themselves.
    senders = (roles["role"] == SENDS).to_numpy()
    allowed = set(pairs["from_trust"].to_numpy()[pairs["eligible"].to_numpy(bool)])
    eligibility: list[object] = []
    reason: list[object] = []
    for sends, trust, group, why in zip(
        senders, roles["trust_code"], roles["peer_group"], roles["reason"], strict=True
    ):
        words = rules.describe(test_code, group) if sends else None
        eligibility.append(words)
        shut_out = sends and trust not in allowed
        reason.append(
            f"{why}; no trust with spare capacity may take its patients ({words})"
            if shut_out
            else why
        )
    index = roles.index
    return roles.assign(
        eligibility=pd.Series(eligibility, index=index, dtype=roles["reason"].dtype).where(senders),
        reason=pd.Series(reason, index=index, dtype=roles["reason"].dtype),
    )


def _read(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        raise EligibilityError(f"{path}: mutual-aid eligibility file not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise EligibilityError(f"{path.name}: not valid TOML: {exc}") from None


def _overrides(name: str, section: str, raw: object, known: tuple[str, ...]) -> dict[str, Rule]:
    if not isinstance(raw, dict):
        raise EligibilityError(f"{name}: [{section}] must hold tables such as [{section}.KEY]")
    out: dict[str, Rule] = {}
    for key, table in raw.items():
        if key not in known:
            raise EligibilityError(
                f"{name}: [{section}.{key}]: unknown {section} {key!r}; use one of {list(known)}"
            )
        out[key] = _rule(name, f"{section}.{key}", table)
    return out


def _rule(name: str, where: str, raw: object) -> dict[str, frozenset[str]]:
    if not isinstance(raw, dict):
        raise EligibilityError(f"{name}: [{where}] must be a table of peer group = [peer groups]")
    rule: dict[str, frozenset[str]] = {}
    for group, takers in raw.items():
        if group not in PEER_GROUPS:
            raise EligibilityError(
                f"{name}: [{where}] {group}: unknown peer group {group!r}; "
                f"use one of {list(PEER_GROUPS)}"
            )
        if not isinstance(takers, list) or not all(isinstance(t, str) for t in takers):
            raise EligibilityError(f"{name}: [{where}] {group}: must be a list of peer groups")
        bad = [t for t in takers if t not in PEER_GROUPS]
        if bad:
            raise EligibilityError(
                f"{name}: [{where}] {group}: unknown peer group(s) {bad}; "
                f"use one of {list(PEER_GROUPS)}"
            )
        rule[group] = frozenset(takers)
    return rule


def _words(items: list[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} or {items[-1]}"
