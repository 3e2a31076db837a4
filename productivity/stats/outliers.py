"""Outlier versus opportunity (SPEC §5): who is statistically unusual, and who is short.

>>> totals = pd.DataFrame({"trust_code": ["A", "B", "C"], "touch": [850, 700, 9000],
...                        "planned": [1000, 1000, 10000]})
>>> weekly = pd.DataFrame({"trust_code": "A", "week": ["2026-01-05", "2026-01-12", "2026-01-19"],
...                        "value": [0.84, 0.85, 0.86]})
>>> found = trust_outliers(totals, weekly, numerator="touch", denominator="planned",
...                        value="value", target=0.85)
>>> found.trusts[["trust_code", "flag", "outlier", "below_benchmark"]].to_numpy().tolist()
[['A', 'within', False, False], ['B', 'below_95', False, True], ['C', 'within', False, False]]

A trust is an *outlier* only if it lies outside the 99.8% funnel limits or its SPC chart shows
special cause; it is an *opportunity* if it falls short of the benchmark. The two are kept apart
because a trust can be below 85% and entirely typical of the system, or above it and unusual.
Pure: pandas plus :mod:`funnel` and :mod:`spc`.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from productivity.stats import funnel, spc

OUTLIER_FLAGS = ("above_998", "below_998")


@dataclass(frozen=True)
class OutlierResult:
    """Every trust's flags, and the funnel they were judged against (drawn, never recomputed).

    ``trusts``: ``trust_code``, the funnel's columns (``proportion``, ``denominator``, limits,
    ``flag``), ``spc_variation``, ``spc_assurance``, ``funnel_outlier``, ``spc_special_cause``,
    ``outlier`` and ``below_benchmark``.
    """

    trusts: pd.DataFrame
    funnel: funnel.FunnelResult


def trust_outliers(
    totals: pd.DataFrame,
    weekly: pd.DataFrame,
    *,
    numerator: str,
    denominator: str,
    value: str,
    target: float,
    direction: str = "higher",
    overdispersion: bool = True,
    method: str = "normal",
) -> OutlierResult:
    """Per trust: funnel flag, SPC variation of its weekly series, outlier and opportunity.

    ``totals`` has one row per ``trust_code`` with the numerator and denominator of the
    proportion (e.g. capped touch and planned minutes); ``weekly`` has ``trust_code``, ``week``
    and ``value``. The funnel centre is the pooled system proportion; ``target`` is the
    benchmark, used for the opportunity flag and the SPC assurance icon.
    """
    usable = totals[totals[denominator] > 0]
    result = funnel.funnel(
        usable["trust_code"],
        usable[numerator],
        usable[denominator],
        method=method,
        overdispersion=overdispersion,
    )
    out = result.units.rename(columns={"unit": "trust_code"})
    variations = []
    for code, series in weekly.groupby("trust_code", sort=True):
        series = series.dropna(subset=[value]).sort_values("week")
        if len(series) < 2:
            continue
        chart = spc.xmr(
            series[value], pd.to_datetime(series["week"]), direction=direction, target=target
        )
        variations.append(
            {"trust_code": code, "spc_variation": chart.variation, "spc_assurance": chart.assurance}
        )
    spc_frame = pd.DataFrame(variations, columns=["trust_code", "spc_variation", "spc_assurance"])
    out = out.merge(spc_frame, on="trust_code", how="left")
    special = out["spc_variation"].fillna("common_cause") != "common_cause"
    out["funnel_outlier"] = out["flag"].isin(OUTLIER_FLAGS)
    out["spc_special_cause"] = special
    out["outlier"] = out["funnel_outlier"] | special
    short = out["proportion"] < target if direction == "higher" else out["proportion"] > target
    out["below_benchmark"] = short
    return OutlierResult(out, result)
