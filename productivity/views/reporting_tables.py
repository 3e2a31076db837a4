"""The Reporting and pathology page's tables and words: its turnaround figures laid out to read.

>>> bars = days_bars(pd.DataFrame({"days": [0, 7, 50], "events": [3, 2, 1]}), target_days=7)
>>> bars[["turnaround", "events", "against"]].to_numpy().tolist()
[['0', 3, 'within target'], ['7', 2, 'within target'], ['42+', 1, 'beyond target']]

The figures are :mod:`productivity.views.reporting`'s (summed from the turnaround marts); here
they become the page's tables (every trust against the targets, one measure per trust, the SPC
points, the turnaround days, the backlog by age band) and its caption. Numbers stay numbers,
headed and formatted by the column catalogue in the table widget. Imports no Streamlit, no
charts and no store.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from productivity.benchmarks import Benchmarks
from productivity.formats import judgements
from productivity.metrics.turnaround import AGE_BANDS
from productivity.stats import spc
from productivity.views.reporting import COUNTS, trust_name
from productivity.views.spc_points import limit_formats, monthly_points


def benchmark_table(
    trusts: pd.DataFrame, benchmarks: Benchmarks, names: Mapping[str, str]
) -> pd.DataFrame:
    """Every trust against every turnaround benchmark of the kind: each measure's share within
    target (a fraction under the measure's key, which the column catalogue heads with its
    target) followed by its ✓/✗ column."""
    shares = trusts.pivot(index="trust_code", columns="measure", values="share_within_target")
    out = pd.DataFrame({"Trust": trust_name(pd.Series(shares.index), names)})
    for measure in dict.fromkeys(trusts["measure"]):
        values = pd.Series(shares[measure].to_numpy(dtype="float64"))
        out[measure] = values
        out[f"{measure}_meets"] = judgements(values, benchmarks[measure])
    return out


def measure_table(trusts: pd.DataFrame, measure: str, names: Mapping[str, str]) -> pd.DataFrame:
    """One measure per trust, numeric (formatted by the column catalogue in the table)."""
    rows = trusts[trusts["measure"] == measure]
    columns = [*COUNTS, "share_within_target", "median_days"]
    out = rows[["trust_code", *columns]].reset_index(drop=True)
    # The code first and the name last, so the numbers stay in view beside the chart.
    out["Name"] = out["trust_code"].map(lambda c: names.get(c, "")).to_numpy()
    return out


# The SPC table's mean and limits are shown as the share they bound.
SPC_FORMATS: dict[str, str] = limit_formats("share_within_target")


def spc_table(result: spc.SPCResult) -> pd.DataFrame:
    """The SPC points: month, share, mean, limits (fractions) and the point type in words."""
    point = result.points["point_type"].str.removeprefix("special_cause_").str.replace("_", " ")
    return monthly_points(result, "share_within_target").assign(Point=point)


def caption(measure: str, benchmarks: Benchmarks) -> str:
    bench = benchmarks[measure]
    days = bench.extra.get("days")
    kind = bench.extra.get("day_kind", "calendar")
    return (
        f"**{bench.label}**: target {bench.value:.0%} of events within {days} {kind} days "
        f"({bench.status}). Source: {bench.source}. Share within target = within ÷ (within + "
        "breaches); events still unreported and not yet past the deadline are *pending* and "
        "left out of the share."
    )


def days_bars(days: pd.DataFrame, target_days: int, cap: int = 42) -> pd.DataFrame:
    """Reported events per whole day, the tail from ``cap`` days folded into one bar, each
    bar labelled within or beyond the target's days (``days`` the number, ``turnaround`` the
    bar's label)."""
    capped = days.assign(days=days["days"].clip(upper=cap))
    out = capped.groupby("days", sort=True)["events"].sum().reset_index()
    out["turnaround"] = out["days"].map(lambda d: f"{d}+" if d >= cap else str(d))
    out["against"] = np.where(out["days"] <= target_days, "within target", "beyond target")
    return out[["days", "turnaround", "events", "against"]]


def days_table(bars: pd.DataFrame) -> pd.DataFrame:
    """:func:`days_bars` as a table: whole days as a number (so it sorts as one; the last row
    holds every event from its day on), events (examinations, not patients: shown in full)."""
    return pd.DataFrame(
        {
            "turnaround_days": bars["days"].astype("int64"),
            "events": bars["events"],
            "Against the target": bars["against"],
        }
    )


def backlog_wide(backlog: pd.DataFrame, names: Mapping[str, str]) -> pd.DataFrame:
    """One row per trust, one column per age band (:data:`BACKLOG_FORMATS`): unreported events,
    and their total (``unreported``)."""
    wide = backlog.pivot_table(
        index="trust_code", columns="age_band", values="unreported", aggfunc="sum", sort=False
    )
    wide = wide.reindex(columns=list(AGE_BANDS), fill_value=0).fillna(0).astype("int64")
    out = (
        wide.reset_index(drop=True).rename(columns=lambda b: f"{b} days").rename_axis(columns=None)
    )
    out.insert(0, "Trust", list(wide.index))
    out["unreported"] = wide.sum(axis=1).to_numpy()
    out["Name"] = [names.get(c, "") for c in wide.index]  # last: the counts stay in view
    return out


# The backlog table's age bands, counted as the unreported backlog is.
BACKLOG_FORMATS: dict[str, str] = {f"{band} days": "unreported" for band in AGE_BANDS}
