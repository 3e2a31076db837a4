"""Which value of a benchmark each trust is held to: the national one, or its peer group's.

>>> from productivity.benchmarks import load_benchmarks
>>> benchmarks = load_benchmarks(override=None)
>>> for_trusts(benchmarks, "ct_scans_per_hour", ["RBL", "RBS"]).to_dict()
{'RBL': 4.0, 'RBS': 2.5}
>>> trust_scan_rates(benchmarks, ["RBS"], "national").tolist()
[4.0, 2.5, 3.0]

A benchmark entry may set a value for a peer group (:mod:`productivity.peers`) that should not
be held to the national one; a trust gets its group's value where the file sets one, else the
national value. The *basis* of a diagnostics rate (:data:`BENCHMARK_BASES`) says which of the two
a page, report or pack uses. Loading and checking the file is
:mod:`productivity.benchmarks`' (which re-exports these names and calls them from its methods).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from productivity import peers

if TYPE_CHECKING:  # benchmarks imports this module to give its classes these methods
    from productivity.benchmarks import Benchmark, Benchmarks

# Modality → benchmark key, so callers never spell the key themselves.
SCAN_RATE_KEYS: dict[str, str] = {
    "CT": "ct_scans_per_hour",
    "MRI": "mri_scans_per_hour",
    "NOUS": "nous_scans_per_hour",
}
# The benchmark basis of a diagnostics rate: ``national`` holds every trust to SPEC §2's value,
# ``peer`` each trust to its peer group's value where the file sets one (else the national one).
BENCHMARK_BASES: dict[str, str] = {
    "national": "national rates",
    "peer": "each trust's peer-group rate",
}


def check_basis(basis: str) -> None:
    """Check a benchmark basis (:data:`BENCHMARK_BASES`).

    Raises:
        ValueError: naming the bases there are.
    """
    if basis not in BENCHMARK_BASES:
        raise ValueError(
            f"benchmark basis must be one of {', '.join(BENCHMARK_BASES)}, not {basis!r}"
        )


def peer_text(benchmark: Benchmark) -> str:
    """The peer groups' own values in words, e.g. "Children's 80% (assumed)"; "" if none.

    ✎ marks a value a local file overrode.
    """
    return "; ".join(
        f"{'✎ ' if v.overridden else ''}{peers.PEER_GROUPS[g]} "
        f"{_in_words(v.value, benchmark.unit)} ({v.status})"
        for g, v in benchmark.peer_values.items()
    )


def _in_words(value: float, unit: str) -> str:
    return (
        f"{value:.0%}"
        if unit == "fraction" and round(value * 100, 6).is_integer()
        else (f"{value:.1%}" if unit == "fraction" else f"{value:g}")
    )


def scan_rates(benchmarks: Benchmarks) -> dict[str, float]:
    """The national scans-per-hour benchmark by modality (CT, MRI, NOUS)."""
    return {modality: benchmarks.value(key) for modality, key in SCAN_RATE_KEYS.items()}


def trust_scan_rates(benchmarks: Benchmarks, trust_codes: Iterable[str], basis: str) -> pd.Series:
    """The scans-per-hour rate each trust is held to for each modality, on ``basis``.

    Indexed by (``trust_code``, ``modality``): under ``national`` every trust gets
    :func:`scan_rates`; under ``peer`` each gets its peer group's value where the file sets one,
    else the national one (as :func:`for_trusts`).

    Raises:
        ValueError: an unknown basis.
    """
    check_basis(basis)
    codes = list(dict.fromkeys(str(c) for c in trust_codes))
    # A handful of trusts × three modalities: plain Python, once per trust's group.
    groups = peers.peer_of(codes).tolist() if basis == "peer" else [None] * len(codes)
    rates = {
        (code, modality): (
            benchmarks.items[key].value if group is None else benchmarks.items[key].for_group(group)
        )
        for code, group in zip(codes, groups, strict=True)
        for modality, key in SCAN_RATE_KEYS.items()
    }
    index = pd.MultiIndex.from_tuples(list(rates), names=["trust_code", "modality"])
    out = pd.Series(list(rates.values()), index=index, dtype="float64")
    return out.sort_index().rename("benchmark_scans_per_hour")


def for_trusts(
    benchmarks: Benchmarks, key: str, trust_codes: Iterable[str], trusts_file: Path | None = None
) -> pd.Series:
    """The value of benchmark ``key`` each trust is held to, indexed by ``trust_code``.

    A trust gets its peer group's value (``data/trusts.csv`` says which group) where the entry
    has one, else the national value; a trust not in the file counts as acute.
    """
    codes = pd.Index(list(trust_codes), dtype="str", name="trust_code")
    groups = peers.peer_of(codes, trusts_file).set_axis(codes)
    return benchmarks.items[key].for_groups(groups)
