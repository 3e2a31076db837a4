"""The Theatres page's SPC chart of a unit: its weekly series, XmR limits, caption and rebases.

Shaped from :func:`productivity.views.theatres.utilisation_over_time`'s weekly frame;
:mod:`productivity.views.theatres` re-exports these names. No Streamlit import.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from productivity import charts
from productivity.benchmarks import Benchmark
from productivity.stats import spc

SPC_NOTE = (
    "{variation}. {assurance}. Each point is one week's capped utilisation (Σ capped touch ÷ "
    "Σ planned). Limits are the mean ± {factor} × the mean moving range (making data count), "
    "recalculated from each rebase; a period of fewer than {min_points} weeks has trial limits. "
    "Weeks cut by the edges of the chosen months are left out. "
    "Target "
    "{target:.0%} from the benchmark file. Special-cause points carry a letter and a shape, "
    "not colour alone."
)


def spc_series(weekly: pd.DataFrame) -> pd.DataFrame:
    """Weekly capped utilisation as an SPC input: ``date`` (the Monday) and ``value``.

    Weeks cut by the period's edges (``whole`` False) are left out: a week with only its
    weekend inside the period would be a point made of a handful of lists.
    """
    frame = weekly[weekly["whole"].astype(bool)].dropna(subset=["capped_utilisation"])
    return pd.DataFrame(
        {
            "date": pd.to_datetime(frame["period"]),
            "value": frame["capped_utilisation"].astype(float),
        }
    ).reset_index(drop=True)


def unit_spc(
    series: pd.DataFrame, rebase_dates: pd.Series | Sequence[object], benchmark: Benchmark
) -> spc.SPCResult:
    """An XmR chart of ``series`` with the benchmark's direction and value as the target."""
    return spc.xmr(
        series["value"],
        series["date"],
        direction=benchmark.direction,
        target=benchmark.value,
        rebase_dates=list(rebase_dates),
    )


def spc_note(result: spc.SPCResult, target: float) -> str:
    """The SPC chart's caption: its variation and assurance in words, and how to read it."""
    return SPC_NOTE.format(
        variation=charts.VARIATION_TEXT.get(result.variation, result.variation),
        assurance=charts.ASSURANCE_TEXT.get(result.assurance),
        target=target,
        factor=spc.LIMIT_FACTOR,
        min_points=spc.MIN_POINTS,
    )


def rebase_markers(rebases: pd.DataFrame, series: pd.DataFrame) -> pd.DataFrame:
    """Rebases inside the series' dates, shaped for ``charts.spc_chart`` (date, label, reason)."""
    if rebases.empty or series.empty:
        return pd.DataFrame(columns=["date", "label", "reason"])
    dates = pd.to_datetime(rebases["date"])
    inside = (dates > series["date"].min()) & (dates <= series["date"].max())
    shown = rebases[inside]
    return pd.DataFrame(
        {
            "date": pd.to_datetime(shown["date"]).dt.strftime("%Y-%m-%d"),
            "label": "rebase",
            "reason": shown["reason"],
        }
    ).reset_index(drop=True)
