"""Values in words: the one ✓/✗ helper and the formats every table, chart label and pack cell
shares (what :mod:`productivity.columns` defines, these show).

>>> mark(0.8496, False, ".1%", benchmark=0.85)
'✗ 84.96%'
>>> format_value(None, ".1%")
'–'

Pure: pandas and :mod:`productivity.benchmarks`; no Streamlit, no store.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable

import pandas as pd

from productivity.benchmarks import Benchmark

MISSING = "–"
MEETS, MISSES = "✓", "✗"
MAX_EXTRA_DIGITS = 4  # digits mark() may add so a value short of its benchmark never reads as it


def is_missing(value: object) -> bool:
    """None, NaN, NaT or pandas' NA: a value that is not there."""
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float) and math.isnan(value)


def format_value(value: object, fmt: str) -> str:
    """``value`` in the format spec ``fmt`` (``".1%"``, ``",.0f"``); – for a missing value."""
    return MISSING if is_missing(value) else format(value, fmt)


def benchmark_text(benchmark: Benchmark) -> str:
    """A benchmark's value as a heading shows it: ``85%``, ``99.5%``, ``4``, ``45``, ``0``."""
    if benchmark.unit == "fraction":
        whole = round(benchmark.value * 100, 6).is_integer()
        return f"{benchmark.value:.0%}" if whole else f"{benchmark.value:.1%}"
    return f"{benchmark.value:g}"


def against(heading: str, benchmark: Benchmark) -> str:
    """``heading`` with the benchmark it is judged against: ``Within 6 weeks (≥95%)``."""
    sign = "≥" if benchmark.direction == "higher" else "≤"
    return f"{heading} ({sign}{benchmark_text(benchmark)})"


def mark(value: object, meets: object, fmt: str, benchmark: float | None = None) -> str:
    """✓ or ✗ before the formatted value, so colour is never the only cue; – for no value.

    ``meets`` is judged on the unrounded value (:meth:`Benchmark.meets`, or a report's
    ``meets_*`` column); a missing ``meets`` shows the value unmarked. Given the ``benchmark``,
    a value short of it is shown with as many more digits as it takes not to read as the
    benchmark itself, so 84.96% against 85% is never "✗ 85.0%":

    >>> mark(0.8496, False, ".1%", benchmark=0.85)
    '✗ 84.96%'
    >>> mark(45.04, False, ".1f", benchmark=45.0)
    '✗ 45.04'
    >>> mark(0.85, True, ".1%", benchmark=0.85), mark(3, False, ",.0f"), mark(None, None, ".1%")
    ('✓ 85.0%', '✗ 3', '–')
    """
    if is_missing(value):
        return MISSING
    text = format(value, fmt)
    if is_missing(meets):
        return text
    if not meets and benchmark is not None:
        text = _apart(value, benchmark, fmt)
    return f"{MEETS if meets else MISSES} {text}"


def _apart(value: object, benchmark: float, fmt: str) -> str:
    """``value`` in ``fmt``, with digits added while it reads the same as ``benchmark``."""
    found = re.fullmatch(r"(.*\.)(\d+)([f%])", fmt)
    text = format(value, fmt)
    if found is None:
        return text
    head, digits, kind = found.group(1), int(found.group(2)), found.group(3)
    for extra in range(1, MAX_EXTRA_DIGITS + 1):
        if text != format(benchmark, f"{head}{digits + extra - 1}{kind}"):
            break
        text = format(value, f"{head}{digits + extra}{kind}")
    return text


def agreeing_format(values: Iterable[object], fmt: str, benchmark: Benchmark) -> str:
    """``fmt`` with the fewest extra digits that keep every value's label on its side of the
    benchmark, for a chart whose labels share one format (a bar labelled ✗ never reads 95%).

    A value short of the benchmark must be more than half a shown unit from it, so that no
    rounding (Python's, or Vega's half-up) lifts it to the benchmark: 84.5% against 85% is
    "84.5%" in ``".0%"`` plus a digit, never "85%". Values that meet it cannot round below a
    benchmark of fewer digits. At most :data:`MAX_EXTRA_DIGITS` are added.

    >>> from productivity.benchmarks import load_benchmarks
    >>> ambition = load_benchmarks(override=None)["dm01_within_6_weeks"]
    >>> agreeing_format([0.80, 0.949], ".0%", ambition), agreeing_format([0.9496], ".1%", ambition)
    ('.1%', '.2%')
    """
    found = re.fullmatch(r"(.*\.)(\d+)([f%])", fmt)
    if found is None:
        return fmt
    head, digits, kind = found.group(1), int(found.group(2)), found.group(3)
    scale = 100.0 if kind == "%" else 1.0
    gaps = [abs(float(v) - benchmark.value) for v in values if benchmark.meets(v) is False]  # type: ignore[arg-type]  # meets() is False only for a number
    for extra in range(MAX_EXTRA_DIGITS + 1):
        # A margin over exactly half a unit: 0.85 − 0.845 is 0.0050000000000000044 in floats.
        half = 0.5 * 10 ** -(digits + extra) / scale * (1 + 1e-6)
        if all(gap > half for gap in gaps):
            return f"{head}{digits + extra}{kind}"
    return f"{head}{digits + MAX_EXTRA_DIGITS}{kind}"


def judgements(values: pd.Series, benchmark: Benchmark) -> pd.Series:
    """✓, ✗ or – (no value) for each value against ``benchmark``: a column of its own beside
    the value, which stays a number (so it sorts as one).

    >>> from productivity.benchmarks import load_benchmarks
    >>> ambition = load_benchmarks(override=None)["dm01_within_6_weeks"]
    >>> judgements(pd.Series([0.96, 0.9, None]), ambition).tolist()
    ['✓', '✗', '–']
    """
    judged = benchmark.meets_each(pd.to_numeric(values, errors="coerce").astype("float64"))
    return judged.map({True: MEETS, False: MISSES}).astype("object").fillna(MISSING)


def marked(values: Iterable[object], fmt: str, benchmark: Benchmark) -> list[str]:
    """Each value judged against ``benchmark`` (:meth:`Benchmark.meets`) and marked ✓/✗."""
    return [mark(v, benchmark.meets(v), fmt, benchmark.value) for v in values]
