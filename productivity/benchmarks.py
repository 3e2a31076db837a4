"""National benchmarks: load and validate ``benchmarks/national.toml`` and a local override.

>>> benchmarks = load_benchmarks(override=None)
>>> benchmarks.value("theatre_capped_utilisation")
0.85
>>> benchmarks["dm01_within_6_weeks"].meets(0.9), benchmarks.constitutional_within_6_weeks().value
(False, 0.99)

Every benchmark is data (SPEC §2). A value of ``nan`` means the measure has no target (the DNA
rate); turnaround entries add ``days`` and ``day_kind``. An entry may add a ``peer_groups``
table: a value for each peer group (:mod:`productivity.peers`) that should not be held to the
national one, e.g. ``children = { value = 2.5, status = "assumed", source = "…" }`` (a bare
number is an ``assumed`` value); :meth:`Benchmarks.for_trusts` gives each trust its group's
(:mod:`productivity.benchmark_basis`, whose names this module re-exports, says which value a
trust is held to: national or its peer group's).
An override file (``PRODUCTIVITY_BENCHMARKS=path``) has the same shape and needs only the keys,
fields and peer groups it changes; the result records which values it replaced.

>>> benchmarks.for_trusts("ct_scans_per_hour", ["RBL", "RBS"]).to_dict()
{'RBL': 4.0, 'RBS': 2.5}
"""

from __future__ import annotations

import datetime as dt
import math
import tomllib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pandas as pd

from productivity import benchmark_basis, peers, settings
from productivity.benchmark_basis import (
    BENCHMARK_BASES as BENCHMARK_BASES,
    SCAN_RATE_KEYS as SCAN_RATE_KEYS,
    check_basis as check_basis,
)

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
PEER_TABLE = "peer_groups"  # an entry's per-peer-group values
PEER_FIELDS = ("value", "status", "source")
# The NHS Constitution's DM01 standard (SPEC §2: 99% waiting under 6 weeks), used only when the
# benchmark file gives no ``constitutional`` value beside ``dm01_within_6_weeks``.
CONSTITUTIONAL_WITHIN_6_WEEKS = 0.99


class BenchmarkError(ValueError):
    """A benchmark file is invalid; the message names the file and the key."""


@dataclass(frozen=True)
class PeerValue:
    """A peer group's own value of a benchmark, with its status and source."""

    group: str
    value: float
    status: str
    source: str
    overridden: bool = False
    national_value: float | None = None  # the file's value before a local override


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
    peer_values: Mapping[str, PeerValue] = field(default_factory=dict)

    @property
    def higher_is_better(self) -> bool:
        return self.direction == "higher"

    def for_group(self, group: str) -> float:
        """The value a trust of peer ``group`` is held to: its group's, else the national one."""
        own = self.peer_values.get(group)
        return self.value if own is None else own.value

    def peer_text(self) -> str:
        """The peer groups' own values in words (:func:`benchmark_basis.peer_text`)."""
        return benchmark_basis.peer_text(self)

    def as_peer(self, group: str) -> Benchmark:
        """This benchmark as peer ``group`` is held to it (key ``key.peer_groups.group``)."""
        own = self.peer_values[group]
        return replace(
            self,
            key=f"{self.key}.{PEER_TABLE}.{group}",
            label=f"{self.label}: {peers.PEER_GROUPS[group]} peer group",
            value=own.value,
            status=own.status,
            source=own.source,
            overridden=own.overridden,
            national_value=own.national_value,
            # The national entry's notes and peer-group list describe it, not this group.
            extra={k: v for k, v in self.extra.items() if k not in ("notes", PEER_TABLE)},
            peer_values={},
        )

    def for_groups(self, groups: pd.Series) -> pd.Series:
        """:meth:`for_group` for each peer-group key in ``groups`` (same index), as floats."""
        values = {g: v.value for g, v in self.peer_values.items()}
        return groups.map(values).astype("float64").fillna(self.value).rename(self.key)

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
        """A benchmark by key; ``key.peer_groups.group`` (a :meth:`table` row) gives the
        peer group's value as a benchmark of its own, so every row can be looked up."""
        base, _, group = key.partition(f".{PEER_TABLE}.")
        if group and base in self.items and group in self.items[base].peer_values:
            return self.items[base].as_peer(group)
        return self.items[key]

    def __iter__(self) -> Iterator[Benchmark]:
        return iter(self.items.values())

    def value(self, key: str) -> float:
        return self.items[key].value

    def scan_rates(self) -> dict[str, float]:
        """Benchmark scans per hour by modality (:func:`benchmark_basis.scan_rates`)."""
        return benchmark_basis.scan_rates(self)

    def trust_scan_rates(self, trust_codes: Iterable[str], basis: str) -> pd.Series:
        """The scans-per-hour rate each trust is held to for each modality, on ``basis``
        (:func:`benchmark_basis.trust_scan_rates`).

        Raises:
            ValueError: an unknown basis.
        """
        return benchmark_basis.trust_scan_rates(self, trust_codes, basis)

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

    def for_trusts(
        self, key: str, trust_codes: Iterable[str], trusts_file: Path | None = None
    ) -> pd.Series:
        """The value of benchmark ``key`` each trust is held to, indexed by ``trust_code``: its
        peer group's where the entry has one, else the national value
        (:func:`benchmark_basis.for_trusts`)."""
        return benchmark_basis.for_trusts(self, key, trust_codes, trusts_file)

    def overridden(self) -> list[str]:
        """Keys whose value was overridden, and ``key.peer_groups.group`` for a peer value."""
        found = []
        for b in self:
            if b.overridden:
                found.append(b.key)
            found += [b.as_peer(g).key for g, v in b.peer_values.items() if v.overridden]
        return found

    def table(self) -> pd.DataFrame:
        """One row per benchmark, for the Methodology page and ``benchmarks`` CLI.

        ``peer_groups`` lists the peer groups held to their own value, in words with each
        value's status ("Children's 2.5 (assumed)"); ✎ marks one a local file overrode.
        """
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
                "peer_groups": b.peer_text(),
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
    _check_value(path, f"[{key}]", value, str(raw["unit"]))
    if "day_kind" in raw and raw["day_kind"] not in DAY_KINDS:
        raise BenchmarkError(
            f"{path}: [{key}] day_kind must be one of {DAY_KINDS}, not {raw['day_kind']!r}"
        )
    days = raw.get("days", 0)
    if isinstance(days, bool) or not isinstance(days, int) or days < 0:
        raise BenchmarkError(f"{path}: [{key}] days must be a whole number of days, not {days!r}")
    extra = {k: v for k, v in raw.items() if k not in (*FIELDS, "notes", PEER_TABLE)}
    if "notes" in raw:
        extra["notes"] = raw["notes"]
    peer_values = _parse_peers(path, key, raw.get(PEER_TABLE, {}), str(raw["unit"]))
    return _with_peer_words(
        Benchmark(
            key=key,
            label=str(raw["label"]),
            value=float(value),
            unit=str(raw["unit"]),
            direction=str(raw["direction"]),
            source=str(raw["source"]),
            status=str(raw["status"]),
            effective=effective,
            extra=extra,
            peer_values=peer_values,
        )
    )


def _check_value(path: Path, where: str, value: Any, unit: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise BenchmarkError(f"{path}: {where} value must be a number, not {value!r}")
    # nan (TOML's own spelling) marks a measure with no target, such as dna_rate (SPEC §2).
    if unit == "fraction" and not (0 <= value <= 1 or math.isnan(value)):
        raise BenchmarkError(f"{path}: {where} is a fraction, so value must be 0-1, not {value}")
    if value < 0:
        raise BenchmarkError(f"{path}: {where} value must not be negative, not {value}")


def _parse_peers(path: Path, key: str, raw: Any, unit: str) -> dict[str, PeerValue]:
    """An entry's ``peer_groups`` table: group -> a number, or a table of value/status/source."""
    where = f"[{key}.{PEER_TABLE}]"
    if not isinstance(raw, dict):
        raise BenchmarkError(f"{path}: {where} must be a table of peer groups")
    found: dict[str, PeerValue] = {}
    for group, entry in raw.items():
        if group not in peers.PEER_GROUPS:
            raise BenchmarkError(
                f"{path}: {where} {group!r} is not a peer group; use one of "
                f"{sorted(peers.PEER_GROUPS)}"
            )
        # A bare number has no published source: it is a working (assumed) value.
        fields = entry if isinstance(entry, dict) else {"value": entry}
        unknown = sorted(set(fields) - set(PEER_FIELDS))
        if unknown or "value" not in fields:
            raise BenchmarkError(
                f"{path}: {where} {group} needs a value (and may give status and source), "
                f"not {sorted(fields)}"
            )
        _check_value(path, f"{where} {group}", fields["value"], unit)
        status = fields.get("status", "assumed")
        if status not in STATUSES:
            raise BenchmarkError(
                f"{path}: {where} {group} status must be one of {STATUSES}, not {status!r}"
            )
        source = fields.get("source", "Working value for this peer group: no published source")
        found[group] = PeerValue(group, float(fields["value"]), str(status), str(source))
    return found


def _override(path: Path, base: Benchmark, changes: dict[str, Any]) -> Benchmark:
    """``base`` with an override file's fields and peer values applied, each marked overridden.

    Peer groups merge one by one: the override names only the groups it changes.
    """
    peer_changes = changes.get(PEER_TABLE, {})
    if not isinstance(peer_changes, dict):
        raise BenchmarkError(f"{path}: [{base.key}.{PEER_TABLE}] must be a table of peer groups")
    kept = {
        g: {"value": v.value, "status": v.status, "source": v.source}
        for g, v in base.peer_values.items()
    }
    for group, entry in peer_changes.items():
        if not isinstance(entry, dict) and group in kept:  # a bare number keeps status, source
            entry = kept[group] | {"value": entry}
        kept[group] = entry
    merged = {f: getattr(base, f) for f in FIELDS} | dict(base.extra) | changes | {PEER_TABLE: kept}
    parsed = _parse_entry(path, base.key, merged)
    peer_values = {
        g: replace(v, overridden=True, national_value=base.for_group(g)) if g in peer_changes else v
        for g, v in parsed.peer_values.items()
    }
    if set(changes) - {PEER_TABLE}:
        parsed = replace(parsed, overridden=True, national_value=base.value)
    return _with_peer_words(replace(parsed, peer_values=peer_values))


def _with_peer_words(benchmark: Benchmark) -> Benchmark:
    """The peer-group values in words among the entry's extra fields, so that whatever lists
    an entry's notes (the Methodology page) lists them too."""
    extra = {k: v for k, v in benchmark.extra.items() if k != PEER_TABLE}
    if benchmark.peer_values:
        extra[PEER_TABLE] = benchmark.peer_text()
    return replace(benchmark, extra=extra)


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
            items[key] = _override(override, base, changes)
        sources = (path, override)
    return Benchmarks(items=items, sources=sources)
