"""The six turnaround measures of SPEC §4: which events each covers, and its benchmark.

A :class:`TurnaroundMeasure` says which reporting events (a modality and a priority) or
pathology specimens (cancer pathway) it covers, and the N days they must be reported within, as
calendar or working days, with the target share. :func:`build_measures` builds the six from the
benchmark file, with SPEC §2 defaults. :mod:`productivity.metrics.turnaround` classifies events
against them and re-exports these names. Pure: numpy and pandas; never Streamlit or the database.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal, TypeAlias, cast, get_args

import numpy as np
import pandas as pd

from productivity.metrics.dates import DayKind, check_days
from productivity.metrics.diagnostics import check_fraction, require_columns

EventKind: TypeAlias = Literal["reporting", "pathology"]
EVENT_KINDS: tuple[str, ...] = get_args(EventKind)
YES_VALUES: frozenset[str] = frozenset({"Y", "YES", "TRUE", "1"})


@dataclass(frozen=True)
class TurnaroundMeasure:
    """One turnaround benchmark: which events it covers and the days they must be reported within.

    ``modality`` (``CT``, ``MRI``, ...) and ``priority`` (``urgent``, ``routine``) filter reporting
    events, case-insensitively; None takes every value. ``cancer_only`` keeps specimens with
    ``cancer_pathway`` = Y. ``kind`` says which events the measure applies to (reporting events or
    pathology specimens). ``target_share`` is a fraction (0.95), ``days`` the N of "within N
    days", counted as ``day_kind`` days.
    """

    key: str
    days: int
    day_kind: DayKind
    target_share: float
    modality: str | None = None
    priority: str | None = None
    cancer_only: bool = False
    kind: EventKind = "reporting"

    def __post_init__(self) -> None:
        check_days(self.days, self.day_kind)
        check_fraction(self.target_share, f"{self.key} target share")
        if self.kind not in EVENT_KINDS:
            raise ValueError(f"{self.key}: kind must be one of {EVENT_KINDS}, got {self.kind!r}")

    def select(self, events: pd.DataFrame) -> pd.Series:
        """A boolean Series on ``events``' index: the events this measure covers.

        Raises:
            ValueError: a column the measure filters on is missing.
        """
        keep = pd.Series(True, index=events.index)
        for column, wanted in (("modality", self.modality), ("priority", self.priority)):
            if wanted is not None:
                require_columns(events, [column], self.kind)
                keep &= _equals_ignoring_case(events[column], wanted)
        if self.cancer_only:
            require_columns(events, ["cancer_pathway"], self.kind)
            keep &= is_yes(events["cancer_pathway"])
        return keep


# key -> (kind, modality, priority, cancer_only): which events each measure covers (SPEC §4).
MEASURE_FILTERS: dict[str, tuple[EventKind, str | None, str | None, bool]] = {
    "reporting_ct_urgent": ("reporting", "CT", "urgent", False),
    "reporting_ct_routine": ("reporting", "CT", "routine", False),
    "reporting_mri_urgent": ("reporting", "MRI", "urgent", False),
    "reporting_mri_routine": ("reporting", "MRI", "routine", False),
    "reporting_all_28_days": ("reporting", None, None, False),
    "pathology_cancer_10_days": ("pathology", None, None, True),
}
# SPEC §2 defaults. The routine MRI 7 days is exactly as the workplan states it (possibly a typo
# for 28): kept, flagged on the Methodology page, overridable in the benchmark file.
DEFAULT_BENCHMARKS: dict[str, dict[str, object]] = {
    "reporting_ct_urgent": {"value": 0.95, "days": 7, "day_kind": "calendar"},
    "reporting_ct_routine": {"value": 0.95, "days": 28, "day_kind": "calendar"},
    "reporting_mri_urgent": {"value": 0.90, "days": 7, "day_kind": "calendar"},
    "reporting_mri_routine": {"value": 0.95, "days": 7, "day_kind": "calendar"},
    "reporting_all_28_days": {"value": 1.0, "days": 28, "day_kind": "calendar"},
    "pathology_cancer_10_days": {"value": 0.80, "days": 10, "day_kind": "working"},
}


def build_measures(
    entries: Mapping[str, Mapping[str, object]] | None = None,
) -> tuple[TurnaroundMeasure, ...]:
    """The six turnaround measures of SPEC §4, with their benchmarks from the benchmark file.

    ``entries`` maps a benchmark key to a mapping with ``value`` (the target share, a fraction),
    ``days`` and ``day_kind`` (``calendar`` or ``working``). A key or field that is absent takes
    the SPEC §2 default (:data:`DEFAULT_BENCHMARKS`); keys of other benchmarks are ignored, so the
    whole benchmark file can be passed. The measures come back in :data:`MEASURE_FILTERS` order:
    five reporting measures, then ``pathology_cancer_10_days``.

    Raises:
        ValueError: a value is not a fraction in (0, 1], days is not a whole number ≥ 0, or a day
            kind is unknown.
    """
    given = entries or {}
    measures = []
    for key, (kind, modality, priority, cancer_only) in MEASURE_FILTERS.items():
        entry = {**DEFAULT_BENCHMARKS[key], **dict(given.get(key, {}))}
        days = _whole_days(entry["days"], key)
        day_kind = str(entry["day_kind"]).strip().lower()
        check_days(days, day_kind, key)
        measures.append(
            TurnaroundMeasure(
                key=key,
                days=days,
                day_kind=cast(DayKind, day_kind),
                target_share=_as_float(entry["value"], key),
                modality=modality,
                priority=priority,
                cancer_only=cancer_only,
                kind=kind,
            )
        )
    return tuple(measures)


def is_yes(values: pd.Series) -> pd.Series:
    """A boolean Series: True where a Y/N flag is yes (Y, YES, TRUE, 1 or a true bool)."""
    if pd.api.types.is_bool_dtype(values.dtype):
        return values.fillna(False).astype(bool)
    text = values.astype("string").str.strip().str.upper()
    return text.isin(YES_VALUES).fillna(False).astype(bool)


def _equals_ignoring_case(values: pd.Series, wanted: str) -> pd.Series:
    # Compare each distinct value once (a handful of modalities), then spread by the codes.
    codes, uniques = pd.factorize(values)
    target = wanted.strip().casefold()
    hits = np.array([str(u).strip().casefold() == target for u in uniques] + [False], dtype=bool)
    return pd.Series(hits[codes], index=values.index)  # code -1 (missing) picks the last False


def _whole_days(value: object, key: str) -> int:
    number = _as_float(value, key, "days")
    if not number.is_integer():
        raise ValueError(f"{key}: days must be a whole number, got {value!r}")
    return int(number)


def _as_float(value: object, key: str, field: str = "value") -> float:
    try:
        return float(cast(float, value))
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{key}: {field} must be a number, got {value!r}") from exc
