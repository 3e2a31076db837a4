"""National benchmarks: load and validate ``benchmarks/national.toml`` and a local override.

>>> benchmarks = load_benchmarks(override=None)
>>> benchmarks.value("theatre_capped_utilisation")
0.85
>>> benchmarks["dm01_within_6_weeks"].meets(0.9), benchmarks.constitutional_within_6_weeks().value
(False, 0.99)

Every benchmark is data (SPEC §2). A value of ``nan`` means the measure has no target (the DNA
rate); turnaround entries add ``days`` and ``day_kind``. An override file
(``PRODUCTIVITY_BENCHMARKS=path``) has the same shape and needs only the keys and fields it
changes; the result records which values it replaced.
"""

from __future__ import annotations

import datetime as dt
import math
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pandas as pd

from productivity import settings

REQUIRED_KEYS: tuple[str, ...] = (
    "theatre_capped_utilisation", "ct_scans_per_hour", "mri_scans_per_hour",
    "nous_scans_per_hour", "endoscopy_list_utilisation", "echo_minutes_per_test",
    "dm01_within_6_weeks", "dm01_13_plus_weeks", "day_case_rate", "otd_cancellation_rate",
    "late_start_minutes", "early_finish_minutes", "overrun_minutes",
)  # fmt: skip
STATUSES = ("programme", "national", "assumed")
DIRECTIONS = ("higher", "lower")
DAY_KINDS = ("calendar", "working")  # of a turnaround benchmark's ``days``
FIELDS = ("label", "value", "unit", "direction", "source", "status", "effective")
# Modality → benchmark key, so callers never spell the key themselves.
SCAN_RATE_KEYS: dict[str, str] = {
    "CT": "ct_scans_per_hour",
    "MRI": "mri_scans_per_hour",
    "NOUS": "nous_scans_per_hour",
}
# The NHS Constitution's DM01 standard (SPEC §2: 99% waiting under 6 weeks), used only when the
# benchmark file gives no ``constitutional`` value beside ``dm01_within_6_weeks``.
CONSTITUTIONAL_WITHIN_6_WEEKS = 0.99


class BenchmarkError(ValueError):
    """A benchmark file is invalid; the message names the file and the key."""


@dataclass(frozen=True)
class Benchmark:
    key: str
    label: str
    value: float
    unit: str
    direction: str
    source: str
    status: str
    effective: dt.date
    extra: Mapping[str, Any] = field(default_factory=dict)
    overridden: bool = False
    national_value: float | None = None  # the value before a local override

    @property
    def higher_is_better(self) -> bool:
        return self.direction == "higher"

    def meets(self, value: object) -> bool | None:
        """Whether ``value`` meets the benchmark: at or above it when higher is better, at or
        below it when lower is; None for a missing value (no data, so no judgement).

        The judgement is on the value as computed, never a rounded one.
        """
        if value is None or pd.isna(value):  # type: ignore[call-overload]  # any scalar
            return None
        number = float(value)  # type: ignore[arg-type]  # a number, or pd.isna raised above
        return number >= self.value if self.higher_is_better else number <= self.value

    def meets_each(self, values: pd.Series) -> pd.Series:
        """:meth:`meets` for every value: a nullable boolean Series, <NA> where one is missing."""
        judged = values >= self.value if self.higher_is_better else values <= self.value
        return judged.astype("boolean").mask(values.isna())


@dataclass(frozen=True)
class Benchmarks:
    """The benchmark set in force, with the file(s) it came from."""

    items: Mapping[str, Benchmark]
    sources: tuple[Path, ...]

    def __getitem__(self, key: str) -> Benchmark:
        return self.items[key]

    def __iter__(self) -> Iterator[Benchmark]:
        return iter(self.items.values())

    def value(self, key: str) -> float:
        return self.items[key].value

    def scan_rates(self) -> dict[str, float]:
        """Benchmark scans per hour by modality (CT, MRI, NOUS)."""
        return {modality: self.value(key) for modality, key in SCAN_RATE_KEYS.items()}

    def constitutional_within_6_weeks(self) -> Benchmark:
        """The DM01 constitutional standard, as a benchmark beside the interim ambition.

        The one way to read it: ``constitutional`` of ``dm01_within_6_weeks`` in the file (an
        override may change it), else :data:`CONSTITUTIONAL_WITHIN_6_WEEKS`. The key is
        ``dm01_within_6_weeks.constitutional``; every other field is the interim ambition's.
        """
        within = self.items["dm01_within_6_weeks"]
        value = within.extra.get("constitutional", CONSTITUTIONAL_WITHIN_6_WEEKS)
        return replace(
            within,
            key="dm01_within_6_weeks.constitutional",
            label="DM01 constitutional standard (within 6 weeks)",
            value=float(value),
            overridden=False,
            national_value=None,
        )

    def endoscopy_points(self) -> dict[str, float]:
        """Points per procedure type, and per list under the key ``list``."""
        points = self.items["endoscopy_list_utilisation"].extra.get("points", {})
        return {str(k): float(v) for k, v in points.items()}

    def overridden(self) -> list[str]:
        return [b.key for b in self if b.overridden]

    def table(self) -> pd.DataFrame:
        """One row per benchmark, for the Methodology page and ``benchmarks`` CLI."""
        rows = [
            {
                "key": b.key,
                "label": b.label,
                "value": b.value,
                "unit": b.unit,
                "direction": b.direction,
                "status": b.status,
                "effective": b.effective.isoformat(),
                "source": b.source,
                "overridden": b.overridden,
                "national_value": b.national_value if b.overridden else None,
            }
            for b in self
        ]
        return pd.DataFrame(rows)


def _read(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        raise BenchmarkError(f"{path}: benchmark file not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise BenchmarkError(f"{path}: not valid TOML: {exc}") from None


def _parse_entry(path: Path, key: str, raw: Any) -> Benchmark:
    if not isinstance(raw, dict):
        raise BenchmarkError(f"{path}: [{key}] must be a table of fields")
    missing = [f for f in FIELDS if f not in raw]
    if missing:
        raise BenchmarkError(f"{path}: [{key}] is missing {', '.join(missing)}")
    value = raw["value"]
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise BenchmarkError(f"{path}: [{key}] value must be a number, not {value!r}")
    if raw["direction"] not in DIRECTIONS:
        raise BenchmarkError(
            f"{path}: [{key}] direction must be one of {DIRECTIONS}, not {raw['direction']!r}"
        )
    if raw["status"] not in STATUSES:
        raise BenchmarkError(
            f"{path}: [{key}] status must be one of {STATUSES}, not {raw['status']!r}"
        )
    effective = raw["effective"]
    if isinstance(effective, str):
        try:
            effective = dt.date.fromisoformat(effective)
        except ValueError:
            raise BenchmarkError(
                f"{path}: [{key}] effective must be a date YYYY-MM-DD, not {effective!r}"
            ) from None
    if not isinstance(effective, dt.date):
        raise BenchmarkError(f"{path}: [{key}] effective must be a date, not {effective!r}")
    # nan (TOML's own spelling) marks a measure with no target, such as dna_rate (SPEC §2).
    if raw["unit"] == "fraction" and not (0 <= value <= 1 or math.isnan(value)):
        raise BenchmarkError(f"{path}: [{key}] is a fraction, so value must be 0-1, not {value}")
    if value < 0:
        raise BenchmarkError(f"{path}: [{key}] value must not be negative, not {value}")
    if "day_kind" in raw and raw["day_kind"] not in DAY_KINDS:
        raise BenchmarkError(
            f"{path}: [{key}] day_kind must be one of {DAY_KINDS}, not {raw['day_kind']!r}"
        )
    days = raw.get("days", 0)
    if isinstance(days, bool) or not isinstance(days, int) or days < 0:
        raise BenchmarkError(f"{path}: [{key}] days must be a whole number of days, not {days!r}")
    extra = {k: v for k, v in raw.items() if k not in FIELDS and k != "notes"}
    if "notes" in raw:
        extra["notes"] = raw["notes"]
    return Benchmark(
        key=key,
        label=str(raw["label"]),
        value=float(value),
        unit=str(raw["unit"]),
        direction=str(raw["direction"]),
        source=str(raw["source"]),
        status=str(raw["status"]),
        effective=effective,
        extra=extra,
    )


def load_benchmarks(path: Path | None = None, override: Path | None = None) -> Benchmarks:
    """Load the national file and apply the override (default: ``PRODUCTIVITY_BENCHMARKS``).

    Raises:
        BenchmarkError: a file is missing or invalid; the message names the file and key.
    """
    path = path or settings.BENCHMARKS_FILE
    override = override if override is not None else settings.benchmarks_override()
    raw = _read(path)
    items = {key: _parse_entry(path, key, entry) for key, entry in raw.items()}
    missing = [k for k in REQUIRED_KEYS if k not in items]
    if missing:
        raise BenchmarkError(f"{path}: missing benchmark(s) {', '.join(missing)}")
    sources: tuple[Path, ...] = (path,)
    if override is not None:
        for key, changes in _read(override).items():
            if key not in items:
                raise BenchmarkError(f"{override}: [{key}] is not a known benchmark")
            if not isinstance(changes, dict):
                raise BenchmarkError(f"{override}: [{key}] must be a table of fields")
            base = items[key]
            merged = {f: getattr(base, f) for f in FIELDS} | dict(base.extra) | changes
            parsed = _parse_entry(override, key, merged)
            items[key] = replace(parsed, overridden=True, national_value=base.value)
        sources = (path, override)
    return Benchmarks(items=items, sources=sources)
