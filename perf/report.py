"""The harness's report: the machine it ran on, the steps' table, and the results JSON.

Formatting only; the numbers come from :mod:`perf.steps` and :mod:`perf.pages`.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
from pathlib import Path

import numpy as np
import pandas as pd

from perf.common import SCALES, Result


def machine() -> dict[str, object]:
    import duckdb
    import sqlalchemy
    import streamlit

    memory = "unknown"
    cpu = platform.processor() or platform.machine()
    try:
        meminfo = Path("/proc/meminfo").read_text().split()
        memory = f"{int(meminfo[meminfo.index('MemTotal:') + 1]) / 1024**2:.1f} GiB"
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except (OSError, ValueError):
        pass
    return {
        "cores": os.cpu_count(), "ram": memory, "cpu": cpu, "os": platform.platform(),
        "python": platform.python_version(), "pandas": pd.__version__, "numpy": np.__version__,
        "duckdb": duckdb.__version__, "sqlalchemy": sqlalchemy.__version__,
        "streamlit": streamlit.__version__, "date": dt.datetime.now().isoformat(timespec="seconds"),
    }  # fmt: skip


def _num(value: float | None, fmt: str) -> str:
    return "-" if value is None else format(value, fmt)


def _memory(peak: float | None, delta: float | None) -> str:
    return "-" if peak is None else f"{peak:,.0f} (+{delta or 0:,.0f})"


def table(results: list[Result]) -> str:
    """The results as a fixed-width text table (also pasted into the README)."""
    head = ("step", "ours s", "base s", "ours/base", "rows", "ours rows/s", "base rows/s",
            "ours MB", "base MB", "target")  # fmt: skip
    body = []
    for r in results:
        met = "" if r.met is None else (" MET" if r.met else " MISSED")
        if r.met is not None and not r.applies:
            met = met.lower() + "*"
        body.append((
            r.step, _num(r.ours_s, ".2f"), _num(r.baseline_s, ".2f"), _num(r.ratio, ".2f"),
            f"{r.rows:,}" if r.rows else "-",
            _num(r.rows / r.ours_s if r.ours_s and r.rows else None, ",.0f"),
            _num(r.rows / r.baseline_s if r.baseline_s and r.rows else None, ",.0f"),
            _memory(r.ours_peak_mb, r.ours_delta_mb),
            _memory(r.baseline_peak_mb, r.baseline_delta_mb),
            (r.target + met) if r.target else "",
        ))  # fmt: skip
    widths = [max(len(row[i]) for row in (head, *body)) for i in range(len(head))]
    lines = ["  ".join(c.ljust(w) if i in (0, 9) else c.rjust(w)
                       for i, (c, w) in enumerate(zip(row, widths, strict=True))).rstrip()
             for row in (head, *body)]  # fmt: skip
    lines.insert(1, "-" * max(len(line) for line in lines))
    return "\n".join(lines)


def write_results(path: Path, scale: str, payload: dict[str, object]) -> None:
    """Keep one entry per scale in the JSON file, replacing this scale's."""
    existing: dict[str, object] = {}
    if path.exists():
        try:
            existing = json.loads(path.read_text())
        except ValueError:
            existing = {}
    runs = existing.get("runs") if isinstance(existing.get("runs"), dict) else {}
    runs = {**runs, scale: payload}  # type: ignore[dict-item]
    path.parent.mkdir(parents=True, exist_ok=True)
    ordered = {k: runs[k] for k in SCALES if k in runs}
    path.write_text(json.dumps({"runs": ordered}, indent=2, default=str) + "\n")
