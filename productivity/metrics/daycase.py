"""Day-case rates against the British Association of Day Surgery (BADS) list (SPEC §4).

Example::

    groups = load_bads(DEFAULT_BADS_FILE)                     # benchmarks/bads.toml
    rates = daycase_rates(cases, groups, by=("trust_code",))  # one row per trust × group
    rates = daycase_rates(cases, groups, by=("trust_code", "specialty"), lists=lists)

For each procedure group (OPCS-4 code groups in ``benchmarks/bads.toml``):

- only *completed* cases count, decided by :func:`productivity.metrics.theatre.prepare_cases`
  (a case with a case id, not cancelled, with a touch interval: out_of_theatre and an
  anaesthetic_start or into_theatre, out ≥ start), and emergencies are excluded;
- day-case rate = daycase ÷ (daycase + elective); NaN when that denominator is 0;
- additional day cases = max(0, target rate × (daycase + elective) − daycase).

Matching: a code is normalised by upper-casing it and dropping everything but letters and
digits, so ``"T20.1"``, ``"t20.1"`` and ``"T201"`` are the same code. A case belongs to a group
when its normalised code starts with one of the group's normalised prefixes (a 3-character
category such as ``T20`` or a 4-character subcategory such as ``M42.1``); the longest matching
prefix wins, and a prefix may belong to one group only.

This module owns the BADS group data type, its parser and loader, the code matching and the
day-case arithmetic. Pure: imports only the stdlib (tomllib, pathlib), numpy, pandas and
:mod:`productivity.metrics.theatre`; never Streamlit, the database or the settings module.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from productivity.metrics.theatre import prepare_cases

DEFAULT_BADS_FILE = Path(__file__).resolve().parents[2] / "benchmarks" / "bads.toml"
STATUSES: tuple[str, ...] = ("national", "programme", "assumed")
# Columns of daycase_rates after the ``by`` keys.
RATE_COLUMNS: tuple[str, ...] = (
    "procedure_group", "elective_cases", "daycase_cases", "daycase_rate", "target_rate",
    "additional_daycases",
)  # fmt: skip
# A normalised OPCS-4 prefix: chapter letter, two digits, optionally the subcategory digit.
_PREFIX = re.compile(r"^[A-Z][0-9]{2}[0-9]?$")
_NOT_CODE = r"[^A-Z0-9]"
_TRUE = frozenset({"Y", "YES", "TRUE", "T", "1", "1.0"})


class BadsError(ValueError):
    """The BADS procedure file is invalid; the message names the file and the group key."""


@dataclass(frozen=True)
class ProcedureGroup:
    """One BADS procedure group: OPCS-4 code prefixes and the target day-case rate."""

    key: str
    name: str
    codes: tuple[str, ...]  # OPCS-4 prefixes as written in the file, e.g. ("T20",), ("M42.1",)
    target_rate: float  # fraction, 0-1
    status: str  # national | programme | assumed
    source: str
    specialty: str = ""
    notes: str = ""

    @property
    def prefixes(self) -> tuple[str, ...]:
        """The normalised prefixes used for matching (``"M42.1"`` → ``"M421"``)."""
        return tuple(normalise_code(code) for code in self.codes)


def normalise_code(code: str) -> str:
    """One OPCS-4 code upper-cased, without dots, spaces or other punctuation."""
    return re.sub(_NOT_CODE, "", str(code).upper())


def normalise_codes(codes: pd.Series) -> pd.Series:
    """OPCS-4 codes upper-cased without punctuation (``"t20.1 "`` → ``"T201"``); empty → <NA>."""
    text = codes.astype("string").str.upper().str.replace(_NOT_CODE, "", regex=True)
    return text.mask(text == "")


def parse_bads(raw: Mapping[str, Any], source: str = "bads.toml") -> tuple[ProcedureGroup, ...]:
    """Procedure groups from the parsed TOML mapping (one top-level table per group).

    Each table needs ``name``, ``codes`` (a non-empty list of OPCS-4 prefixes), ``target_rate``
    (0-1), ``status`` (national | programme | assumed) and ``source``; ``specialty`` and
    ``notes`` are optional. Raises :class:`BadsError` naming ``source`` and the key.
    """
    groups: list[ProcedureGroup] = []
    owner: dict[str, str] = {}
    for key, entry in raw.items():
        where = f"{source}: [{key}]"
        if not isinstance(entry, Mapping):
            raise BadsError(f"{where} must be a table of fields")
        missing = [
            f for f in ("name", "codes", "target_rate", "status", "source") if f not in entry
        ]
        if missing:
            raise BadsError(f"{where} is missing {', '.join(missing)}")
        codes = entry["codes"]
        if isinstance(codes, str) or not isinstance(codes, list) or not codes:
            raise BadsError(f"{where} codes must be a non-empty list of OPCS-4 prefixes")
        for code in codes:
            prefix = normalise_code(code) if isinstance(code, str) else ""
            if not _PREFIX.match(prefix):
                raise BadsError(
                    f"{where} code {code!r} is not an OPCS-4 prefix such as 'T20' or 'M42.1'"
                )
            if prefix in owner:
                raise BadsError(f"{where} code {code!r} is already in [{owner[prefix]}]")
            owner[prefix] = str(key)
        rate = entry["target_rate"]
        if isinstance(rate, bool) or not isinstance(rate, int | float) or not 0 <= rate <= 1:
            raise BadsError(f"{where} target_rate must be a fraction 0-1, not {rate!r}")
        if entry["status"] not in STATUSES:
            raise BadsError(f"{where} status must be one of {STATUSES}, not {entry['status']!r}")
        groups.append(
            ProcedureGroup(
                key=str(key),
                name=str(entry["name"]),
                codes=tuple(str(c) for c in codes),
                target_rate=float(rate),
                status=str(entry["status"]),
                source=str(entry["source"]),
                specialty=str(entry.get("specialty", "")),
                notes=str(entry.get("notes", "")),
            )
        )
    if not groups:
        raise BadsError(f"{source}: no procedure groups")
    return tuple(groups)


def load_bads(path: str | Path = DEFAULT_BADS_FILE) -> tuple[ProcedureGroup, ...]:
    """Read and validate a BADS procedure file (default ``benchmarks/bads.toml``)."""
    path = Path(path)
    try:
        with path.open("rb") as handle:
            raw = tomllib.load(handle)
    except FileNotFoundError:
        raise BadsError(f"{path}: BADS procedure file not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise BadsError(f"{path}: not valid TOML: {exc}") from None
    return parse_bads(raw, source=str(path))


def groups_table(groups: Iterable[ProcedureGroup]) -> pd.DataFrame:
    """One row per group (key, name, specialty, codes, target_rate, status, source, notes)."""
    return pd.DataFrame(
        [
            {
                "procedure_group": g.key,
                "name": g.name,
                "specialty": g.specialty,
                "codes": ", ".join(g.codes),
                "target_rate": g.target_rate,
                "status": g.status,
                "source": g.source,
                "notes": g.notes,
            }
            for g in groups
        ],
        columns=[
            "procedure_group", "name", "specialty", "codes", "target_rate", "status", "source",
            "notes",
        ],
    )  # fmt: skip


def procedure_group_of(codes: pd.Series, groups: Iterable[ProcedureGroup]) -> pd.Series:
    """The key of the BADS group each OPCS-4 code falls in (<NA> where none), same index.

    Vectorised: one dictionary lookup per prefix length (3 and 4 characters), the longest match
    winning, so ``"M42.1"`` can sit in one group while ``"M42"`` sits in another. Each distinct
    code is matched once (a month of cases holds a few hundred codes, repeated thousands of times).
    """
    position, distinct = pd.factorize(codes.astype("string"), use_na_sentinel=True)
    normalised = normalise_codes(pd.Series(distinct, dtype="string"))
    by_prefix = {prefix: g.key for g in groups for prefix in g.prefixes}
    found = pd.Series(pd.NA, index=normalised.index, dtype="string")
    for length in sorted({len(p) for p in by_prefix}):
        mapping = {p: k for p, k in by_prefix.items() if len(p) == length}
        longer = normalised.str.slice(0, length).map(mapping).astype("string")
        found = longer.fillna(found)  # a longer prefix (later in the loop) wins
    taken = found.reindex(position).to_numpy()  # position -1 (a missing code) gives <NA>
    return pd.Series(taken, index=codes.index, dtype="string", name="procedure_group")


def _flag(values: pd.Series) -> pd.Series:
    """A Y/N, yes/no, true/false, 1/0 or boolean column as booleans (empty → False)."""
    if pd.api.types.is_bool_dtype(values):
        return values.fillna(False).astype(bool)
    text = values.astype("string").str.strip().str.upper()
    return text.isin(_TRUE).fillna(False).astype(bool)


def _times(cases: pd.DataFrame, column: str) -> pd.Series:
    if column in cases.columns:
        return pd.Series(pd.to_datetime(cases[column]), index=cases.index)
    return pd.Series(pd.NaT, index=cases.index, dtype="datetime64[s]")


def completed_cases(cases: pd.DataFrame, lists: pd.DataFrame | None = None) -> pd.Series:
    """Boolean Series (same index as ``cases``): is each case completed?

    Decided by :func:`productivity.metrics.theatre.prepare_cases`, after normalising
    ``cancelled`` (bool or Y/N). With ``lists`` the cases are matched to them by ``list_id``
    (a case on no known list is not completed); without, each case stands alone. A frame
    without a ``case_id`` column counts every row as a case; a frame with neither
    anaesthetic_start nor into_theatre treats out_of_theatre as the touch start, so a case is
    then completed when it is not cancelled and has an out_of_theatre time.
    """
    n = len(cases)
    out = _times(cases, "out_of_theatre")
    has_start = "anaesthetic_start" in cases.columns or "into_theatre" in cases.columns
    if "case_id" in cases.columns:
        case_id = cases["case_id"]
    else:
        case_id = pd.Series("case", index=cases.index, dtype="string")
    if lists is None:
        list_ids: Any = np.arange(n)
        frame_of_lists = pd.DataFrame({"list_id": list_ids})
    else:
        list_ids = cases["list_id"].to_numpy()
        frame_of_lists = lists.reset_index(drop=True)
    shim = pd.DataFrame(
        {
            "list_id": list_ids,
            "case_id": case_id.to_numpy(),
            "anaesthetic_start": _times(cases, "anaesthetic_start") if has_start else out,
            "into_theatre": _times(cases, "into_theatre"),
            "out_of_theatre": out,
            "cancelled": (
                _flag(cases["cancelled"])
                if "cancelled" in cases.columns
                else pd.Series(False, index=cases.index)
            ),
            "cancel_clinical": False,
        },
        index=cases.index,
    )
    return prepare_cases(frame_of_lists, shim)["completed"].astype(bool)


def _with_list_columns(cases: pd.DataFrame, lists: pd.DataFrame, by: Sequence[str]) -> pd.DataFrame:
    """The cases with each ``by`` key taken from their list where the list has it."""
    keyed = cases.copy()
    position = pd.Index(lists["list_id"]).get_indexer(cases["list_id"])
    found = position >= 0
    for key in by:
        if key in lists.columns:
            values = lists[key].to_numpy(dtype=object)[np.where(found, position, 0)]
            keyed[key] = pd.Series(values, index=cases.index).where(found)
    return keyed


def daycase_rates(
    cases: pd.DataFrame,
    groups: Sequence[ProcedureGroup],
    by: Sequence[str] = ("trust_code",),
    *,
    lists: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Day-case rate per ``by`` × BADS procedure group (SPEC §4).

    ``cases`` has ``procedure_code``, ``priority`` (elective | daycase | emergency), ``cancelled``
    (bool or Y/N), the milestones (``out_of_theatre`` and ``anaesthetic_start`` or
    ``into_theatre``; see :func:`completed_cases`), optionally ``case_id``, and the ``by``
    columns. With ``lists`` (:data:`productivity.schema.LIST_COLUMNS`), cases are matched to
    their list by ``list_id`` and any ``by`` key the lists have (site, specialty, ...) comes from
    the list.

    Columns: the ``by`` keys, then procedure_group, elective_cases, daycase_cases,
    daycase_rate (= daycase ÷ (daycase + elective), NaN if that is 0), target_rate and
    additional_daycases (= max(0, target × (daycase + elective) − daycase)). Counts are
    completed cases only; emergencies are excluded. There is a row for every ``by`` × group
    with at least one case of the group in ``cases`` (cancelled or emergency included, so a
    group with none that counts shows a NaN rate). Rows are sorted by the ``by`` keys, then by
    the groups' order in the file.
    """
    by = list(by)
    keyed = cases if lists is None else _with_list_columns(cases, lists, by)
    group = procedure_group_of(keyed["procedure_code"], groups)
    matched = group.notna().to_numpy()
    completed = completed_cases(cases, lists).to_numpy()
    priority = keyed["priority"].astype("string").str.strip().str.lower().fillna("")
    counted = matched & completed
    frame = pd.DataFrame(
        {
            **{key: keyed[key].to_numpy()[matched] for key in by},
            "procedure_group": group.to_numpy()[matched],
            "elective_cases": (counted & (priority == "elective").to_numpy())[matched],
            "daycase_cases": (counted & (priority == "daycase").to_numpy())[matched],
        }
    )
    keys = [*by, "procedure_group"]
    sums = (
        frame.groupby(keys, observed=True, dropna=False, sort=False)[
            ["elective_cases", "daycase_cases"]
        ]
        .sum()
        .reset_index()
    )
    return rates_from_counts(sums, groups, by)


def rates_from_counts(
    counts: pd.DataFrame, groups: Sequence[ProcedureGroup], by: Sequence[str] = ("trust_code",)
) -> pd.DataFrame:
    """Day-case rates from counts already summed (e.g. a mart of trust × site × month counts).

    ``counts`` has the ``by`` keys, ``procedure_group``, ``elective_cases`` and
    ``daycase_cases`` (completed cases, emergencies excluded); rows of the same ``by`` × group
    are added up first, so finer counts give the same rates as the cases themselves (a ratio
    of sums). Returns the columns of :func:`daycase_rates`, sorted the same way.
    """
    by = list(by)
    keys = [*by, "procedure_group"]
    if counts.empty:
        return pd.DataFrame(columns=[*by, *RATE_COLUMNS])
    sums = (
        counts.groupby(keys, observed=True, dropna=False, sort=False)[
            ["elective_cases", "daycase_cases"]
        ]
        .sum()
        .reset_index()
    )
    sums = sums.astype({"elective_cases": "int64", "daycase_cases": "int64"})
    target = {g.key: g.target_rate for g in groups}
    order = {g.key: i for i, g in enumerate(groups)}
    total = sums["elective_cases"] + sums["daycase_cases"]
    sums["daycase_rate"] = sums["daycase_cases"] / total.where(total > 0)
    sums["target_rate"] = sums["procedure_group"].map(target).astype("float64")
    # Rounded to 1e-9 so that, e.g., 0.8 × 4 − 3 is 0.2 and not 0.20000000000000018.
    sums["additional_daycases"] = np.maximum(
        0.0, sums["target_rate"] * total - sums["daycase_cases"]
    ).round(9)
    sums["procedure_group"] = sums["procedure_group"].astype("string")
    sums = sums.assign(_order=sums["procedure_group"].map(order))
    sums = sums.sort_values([*by, "_order"], kind="stable", na_position="last")
    return sums[[*by, *RATE_COLUMNS]].reset_index(drop=True)
