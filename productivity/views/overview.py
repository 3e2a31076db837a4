"""What the Overview page shows: the trust scorecard, ranking and outlier tables in words.

>>> from productivity.benchmarks import load_benchmarks
>>> card = pd.DataFrame({"trust_code": ["RBL"], "name": ["Wirral"], "capped_utilisation": [0.8496]})
>>> scorecard_table(card, load_benchmarks(override=None)).iloc[0, :2].tolist()
['RBL · Wirral', '✗ 84.96%']

Pure shaping of ``reports`` results for the page's tables, bar labels and funnel plot; every
number comes from ``reports``/``funnel``, every benchmark from the benchmark file. No Streamlit
import: the page wraps the readers in ``st.cache_data``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sqlalchemy import Engine

from productivity.benchmarks import Benchmarks
from productivity.charts import FUNNEL_FLAG_TEXT
from productivity.columns import COLUMNS, MEETS, MISSES, MISSING, SCORECARD, mark, marked
from productivity.modalities import MODALITIES
from productivity.stats import funnel
from productivity.stats.ratio_funnel import RatioFunnel, ratio_funnel
from productivity.store import marts, reports

OUTLIER_MEASURES = {
    "theatre": "Theatre capped utilisation",
    "dm01": "DM01 % within 6 weeks",
    "scans": "Imaging scans ÷ scans at the benchmark rate",
}
OUTLIER_AXES = {  # measure -> (proportion or ratio label, volume label)
    "theatre": ("capped utilisation", "planned minutes"),
    "dm01": ("% within 6 weeks", "patients waiting"),
    "scans": ("scans ÷ expected at benchmark", "scans expected at the benchmark rate (log axis)"),
}
RATIO_MEASURES = frozenset({"scans"})  # drawn on a ratio funnel (observed ÷ expected)
CURVE_POINTS = 200


def outliers(
    engine: Engine, period: marts.Period, bench: Benchmarks, measure: str, overdispersion: bool
) -> tuple[pd.DataFrame, pd.DataFrame, funnel.FunnelResult]:
    """Each trust's funnel flag and SPC signal, the funnel's limit curves and its result.

    The curves run from half the smallest volume to twice the largest, so every trust sits
    inside the drawn funnel.
    """
    reader = reports.trust_theatre_outliers if measure == "theatre" else reports.trust_dm01_outliers
    found = reader(engine, period, bench, overdispersion=overdispersion)
    table, result = found.trusts, found.funnel
    low, high = max(1.0, table["denominator"].min() / 2), table["denominator"].max() * 2
    return table, funnel.funnel_curve(result.target, low, high, tau2=result.tau2), result


def scan_ratio_outliers(
    engine: Engine, period: marts.Period, bench: Benchmarks, overdispersion: bool
) -> tuple[pd.DataFrame, pd.DataFrame, RatioFunnel]:
    """Each trust's scans ÷ the scans its operational hours would hold at the benchmark rates
    (CT, MRI and NOUS each at its own), on a ratio funnel; with the funnel's limit curves.

    Expected = Σ over the trust's modalities of benchmark scans per hour × operational hours, so
    1 is exactly the benchmark; the curves run from half the smallest expected to twice the
    largest.
    """
    rows = reports.imaging_report(engine, "trust", period, bench)
    rows = rows.assign(expected_scans=rows["benchmark_scans_per_hour"] * rows["operational_hours"])
    per_trust = rows.groupby("trust_code", sort=True)[["scans", "expected_scans"]].sum()
    per_trust = per_trust[per_trust["expected_scans"] > 0].reset_index()
    result = ratio_funnel(per_trust, "trust_code", "scans", "expected_scans", overdispersion)
    low, high = per_trust["expected_scans"].min() / 2, per_trust["expected_scans"].max() * 2
    curve = result.curve(np.geomspace(max(1.0, low), high, CURVE_POINTS))
    return result.units, curve, result


def ratio_outlier_table(units: pd.DataFrame) -> pd.DataFrame:
    """A ratio funnel's units in words: observed, expected, the ratio and where it falls."""
    return pd.DataFrame(
        {
            "Trust": units["unit"],
            "Scans": units["observed"].map("{:,.0f}".format),
            "Expected at benchmark": units["expected"].map("{:,.0f}".format),
            "Funnel": units["position"],
            "Outlier?": units["outlier_998"].map({True: "⚠ outlier", False: "no"}),
            # ✓/✗ with digits enough that 0.999 never reads as the benchmark 1.00
            "Ratio": [mark(r, r >= 1, ".2f", benchmark=1.0) for r in units["ratio"]],
        }
    )


def ratio_caption(result: RatioFunnel) -> str:
    spread = (
        f"limits widened for overdispersion (φ = {result.phi:.1f}, τ² = {result.tau2:.4f})"
        if result.adjusted
        else "exact Poisson limits"
    )
    return (
        "Ratio = scans ÷ the scans the same operational hours would hold at the benchmark rate of "
        f"each modality; 1 is the benchmark. {spread.capitalize()}; an outlier is outside 99.8%."
    )


def funnel_caption(result: funnel.FunnelResult) -> str:
    tau2 = (
        f"τ² = {result.tau2:.5f}." if result.tau2 is not None else "No overdispersion adjustment."
    )
    return f"Centre: system {result.target:.1%}. {tau2}"


def ranking_axis(ranking: str | None, what: str) -> tuple[str, str, str]:
    """The ranking chart's value column, axis title and format: a count or a % of activity."""
    if ranking == "percent":
        return "opportunity_share", f"{what.capitalize()} as % of current", ".1%"
    return "opportunity", f"{what.capitalize()} in the period", ",.0f"


def months_between(period: marts.Period, months: tuple[str, ...]) -> list[str]:
    """The months of the store inside ``period`` (for annualising period totals)."""
    return [
        m
        for m in months
        if (not period.start or m >= period.start) and (not period.end or m <= period.end)
    ]


def scorecard_table(card: pd.DataFrame, bench: Benchmarks) -> pd.DataFrame:
    """The Overview's trust table: each value with ✓/✗ against its benchmark, not colour alone.

    Headings, formats and benchmarks are the column catalogue's scorecard (the pack's too).
    """
    out = pd.DataFrame({"Trust": card["trust_code"] + " · " + card["name"]})
    for column in SCORECARD:
        if column.key in card:
            target = column.judged_by(bench)
            out[column.heading_against(bench)] = marked(card[column.key], column.fmt, target)
    return out


def ranking_table(card: pd.DataFrame) -> pd.DataFrame:
    """The ranking beside its chart: extra cases (whole and pooled) and scans, and the share."""
    counts = ["realisable_additional_cases", "pooled_additional_cases", "additional_scans"]
    table = card[["rank", "trust_code", *counts, "opportunity_share"]].rename(
        columns={"trust_code": "Trust"}
    )
    # Whole cases and scans, and the share as a percentage, so the table sorts by number.
    table[counts] = table[counts].fillna(0).round(0)
    table["opportunity_share"] = (table["opportunity_share"] * 100).round(1)
    return table.rename(columns={c: COLUMNS[c].short for c in ["rank", *counts]}).rename(
        columns={"opportunity_share": COLUMNS["opportunity_share"].short}
    )


def outlier_flags(table: pd.DataFrame) -> pd.DataFrame:
    """An outlier table's flags as text: ``funnel_flag``, ``spc``, ``outlier_text`` and
    ``benchmark_text`` (✓ meets, ✗ below), beside its columns (the pack's table too)."""
    return table.assign(
        funnel_flag=table["flag"].map(FUNNEL_FLAG_TEXT),
        spc=table["spc_variation"].fillna(MISSING).str.replace("_", " "),
        outlier_text=table["outlier"].map({True: "⚠ outlier", False: "no"}),
        benchmark_text=table["below_benchmark"].map(
            {True: f"{MISSES} below", False: f"{MEETS} meets"}
        ),
    )


def outlier_table(table: pd.DataFrame) -> pd.DataFrame:
    """Outlier (statistics) and below-benchmark (opportunity) flags side by side, as text.

    "Outlier?" is outside the 99.8% funnel limits or special cause on SPC; "Benchmark" says
    whether the trust meets it (short of it is an opportunity, not an outlier).
    """
    shown = outlier_flags(table)
    return pd.DataFrame(
        {
            "Trust": shown["trust_code"],
            "Value": (shown["proportion"] * 100).round(1).astype(str) + "%",
            "Funnel": shown["funnel_flag"],
            "SPC": shown["spc"],
            "Outlier?": shown["outlier_text"],
            "Benchmark": shown["benchmark_text"],
        }
    )


def gap_labels(card: pd.DataFrame, measure: str, bench: Benchmarks) -> pd.Series:
    """Bar labels that name the benchmark gap, e.g. '6,019 · 62% vs 85%'."""
    if measure == "theatre":
        target = bench.value("theatre_capped_utilisation")
        return card["opportunity"].map("{:,.0f}".format) + card["capped_utilisation"].map(
            lambda u: f" · {u:.0%} vs {target:.0%}" if pd.notna(u) else ""
        )
    # The imaging modalities each trust is short of its scans-per-hour benchmark on.
    below = pd.Series("", index=card.index, dtype=object)
    for m in (m for m in MODALITIES if m.imaging and m.scorecard in card):
        short = bench[m.benchmark].meets_each(card[m.scorecard]).eq(False).fillna(False)
        below = below.mask(short.astype(bool), below.where(below == "", below + ", ") + m.key)
    suffix = below.map(lambda names: f" · below on {names}" if names else "")
    return card["opportunity"].map("{:,.0f}".format) + suffix


def scenario_table(what_if: pd.DataFrame) -> pd.DataFrame:
    """The what-if result for display: extra activity a week and weeks to clear each backlog."""
    shown = {"trust_code": "Trust", "additional_cases_per_week": "Extra cases/week"}
    for m in MODALITIES:  # those the scenario covers have columns in ``what_if``
        shown[f"additional_{m.key.lower()}_per_week"] = f"Extra {m.key}/week"
        shown[f"weeks_to_clear_{m.key.lower()}"] = f"Weeks to clear {m.key} 6+ wk backlog"
    table = what_if[[c for c in shown if c in what_if]].round(1)
    for column in [c for c in shown if c.startswith("weeks_to_clear_") and c in table]:
        table[column] = table[column].map(_weeks_text)
    return table.rename(columns=shown)


def _weeks_text(weeks: float) -> str:
    if pd.isna(weeks):
        return "–"
    return "never at this rate" if weeks == float("inf") else f"{weeks:.1f}"
