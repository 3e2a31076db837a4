"""What every perf step shares: the scales, the synthetic months, a step's Result, and clocks.

Owns the definitions of ``tiny|trust|region|national`` and the helpers that time a block and
measure its peak memory. Imports ``productivity.synth`` for data; nothing in ``productivity``
imports this (nor anything in ``perf``).
"""

from __future__ import annotations

import dataclasses
import gc
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from productivity.synth import frames as synth

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "perf" / "results" / "latest.json"
GROUP_KEYS = ["trust_code", "month"]


@dataclass(frozen=True)
class Scale:
    """How much data a scale generates.

    ``cases`` (a year's theatre cases, as in the issue) fixes the size where given: the number
    of theatres is then calibrated from synth's own throughput (about 1,500 cases per theatre a
    year, where England's 12m cases in 3,200 theatres imply about 3,750), so the case volume,
    which is what the timings depend on, is the issue's. Otherwise ``theatres`` is used as is.
    """

    theatres: int
    months: int
    scanners: int
    import_cases: int  # whole months are taken until the import CSV holds at least this many
    page_rounds: int  # page step: first renders (each followed by every filter change) per page
    store_all: bool = True  # load every month into the store (else only the import months)
    cases: int | None = None  # calibrate ``theatres`` to give this many cases over the months


SCALES: dict[str, Scale] = {
    "tiny": Scale(theatres=4, months=1, scanners=4, import_cases=1_000, page_rounds=1),
    "trust": Scale(theatres=50, months=12, scanners=20, import_cases=50_000, page_rounds=3),
    "region": Scale(theatres=400, months=12, scanners=140, import_cases=1_000_000,
                    page_rounds=3, cases=1_500_000),
    "national": Scale(theatres=3_200, months=12, scanners=1_100, import_cases=1_000_000,
                      page_rounds=1, store_all=False, cases=12_000_000),
}  # fmt: skip
CALIBRATION_THEATRES = 200


def calibrated(scale: Scale, seed: int) -> Scale:
    """``scale`` with ``theatres`` set to give about ``scale.cases`` cases (see :class:`Scale`)."""
    if scale.cases is None:
        return scale
    month = month_labels(scale)[0]
    _, cases = synth.theatre_frames(CALIBRATION_THEATRES, 1, seed, start_month=month)
    per_theatre_month = len(cases) / CALIBRATION_THEATRES
    theatres = round(scale.cases / (per_theatre_month * scale.months))
    return dataclasses.replace(scale, theatres=max(1, theatres))


class MismatchError(Exception):
    """Our results differ from the baseline's: the message is the diff."""


@dataclass
class Result:
    step: str
    ours_s: float
    baseline_s: float | None
    rows: int
    baseline: str
    ours_peak_mb: float | None = None  # peak RSS of the process during the step
    baseline_peak_mb: float | None = None
    ours_delta_mb: float | None = None  # that peak minus the RSS when the step began
    baseline_delta_mb: float | None = None
    note: str = ""
    target: str = ""
    met: bool | None = None
    extra: dict[str, object] = field(default_factory=dict)
    applies: bool = True  # False when the target is set for another scale (indicative only)

    @property
    def ratio(self) -> float | None:
        return self.ours_s / self.baseline_s if self.baseline_s else None


# ---------------------------------------------------------------------------------------------
# Memory: peak resident set size of this process over a block, after resetting the high-water
# mark (Linux /proc/self/clear_refs). This counts numpy/pandas buffers and DuckDB's C++ heap
# alike, which tracemalloc would not.


def _status_mb(key: str) -> float | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def _reset_peak() -> bool:
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


@dataclass
class Peak:
    start_mb: float = 0.0
    peak_mb: float = 0.0

    @property
    def delta_mb(self) -> float:
        return max(0.0, self.peak_mb - self.start_mb)


@contextmanager
def peak_rss() -> Iterator[Peak]:
    """Measure the peak RSS (MB) of the block; falls back to ru_maxrss where /proc is missing."""
    import resource

    gc.collect()
    box = Peak()
    if _reset_peak():
        box.start_mb = _status_mb("VmRSS") or 0.0
        yield box
        box.peak_mb = _status_mb("VmHWM") or 0.0
    else:  # the all-time maximum: only meaningful when the block sets a new one
        box.start_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        yield box
        box.peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@contextmanager
def timed() -> Iterator[list[float]]:
    box: list[float] = []
    start = time.perf_counter()
    yield box
    box.append(time.perf_counter() - start)


# ---------------------------------------------------------------------------------------------
# Data


def month_labels(scale: Scale) -> list[str]:
    end = pd.Period(synth.DEMO_END_MONTH, freq="M")
    return [str(p) for p in pd.period_range(end=end, periods=scale.months, freq="M")]


def theatre_month(scale: Scale, seed: int, month: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One month of lists and cases; case ids carry the month so months can share a file."""
    lists, cases = synth.theatre_frames(scale.theatres, 1, seed, start_month=month)
    cases["case_id"] = month.replace("-", "") + "-" + cases["case_id"]
    return lists, cases
