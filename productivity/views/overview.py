"""What the Overview page shows: the trust scorecard, ranking and outlier tables in words.

Example::

    card = reports.trust_scorecard(engine, period, bench, "absolute", "theatre")
    table = scorecard_table(card, bench)      # every value with ✓/✗ against its benchmark

Pure shaping of ``reports`` results for the page's tables, bar labels and funnel plot; every
number comes from ``reports``/``funnel``, every benchmark from the benchmark file. No Streamlit
import: the page wraps the readers in ``st.cache_data``.
"""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Engine

from productivity.benchmarks import Benchmarks
from productivity.charts import FUNNEL_FLAG_TEXT
from productivity.stats import funnel
from productivity.store import marts, reports

OUTLIER_MEASURES = {"theatre": "Theatre capped utilisation", "dm01": "DM01 % within 6 weeks"}
OUTLIER_AXES = {  # measure -> (proportion label, volume label)
    "theatre": ("capped utilisation", "planned minutes"),
    "dm01": ("% within 6 weeks", "patients waiting"),
}


def outliers(
    engine: Engine, period: marts.Period, bench: Benchmarks, measure: str, overdispersion: bool
) -> tuple[pd.DataFrame, pd.DataFrame, funnel.FunnelResult]:
    """Each trust's funnel flag and SPC signal, the funnel's limit curves and its result.

    The curves run from half the smallest volume to twice the largest, so every trust sits
    inside the drawn funnel.
    """
    reader = reports.trust_theatre_outliers if measure == "theatre" else reports.trust_dm01_outliers
    table, result = reader(engine, period, bench, overdispersion=overdispersion)
    low, high = max(1.0, table["denominator"].min() / 2), table["denominator"].max() * 2
    return table, funnel.funnel_curve(result.target, low, high, tau2=result.tau2), result


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


# Scorecard column -> (heading, format) for the Overview table.
SCORECARD_DISPLAY: dict[str, tuple[str, str]] = {
    "capped_utilisation": ("Theatre capped util.", "{:.1%}"),
    "uncapped_utilisation": ("Theatre uncapped util.", "{:.1%}"),
    "ct_scans_per_hour": ("CT scans/hr", "{:.2f}"),
    "mri_scans_per_hour": ("MRI scans/hr", "{:.2f}"),
    "nous_scans_per_hour": ("NOUS scans/hr", "{:.2f}"),
    "endoscopy_utilisation": ("Endoscopy util.", "{:.1%}"),
    "echo_minutes_per_test": ("Echo min/test", "{:.1f}"),
    "dm01_within_6_weeks": ("DM01 <6 weeks", "{:.1%}"),
    "dm01_13_plus_weeks": ("DM01 13+ weeks", "{:,.0f}"),
}


def _with_mark(value: object, meets: object, fmt: str) -> str:
    if pd.isna(value):  # type: ignore[call-overload]
        return "–"
    mark = "✓" if meets is True or meets == 1 else "✗"
    return f"{mark} {fmt.format(value)}"


def scorecard_table(card: pd.DataFrame, bench: Benchmarks) -> pd.DataFrame:
    """The Overview's trust table: each value with ✓/✗ against its benchmark, not colour alone."""
    out = pd.DataFrame({"Trust": card["trust_code"] + " · " + card["name"]})
    for column, (heading, fmt) in SCORECARD_DISPLAY.items():
        key, higher = reports.SCORECARD_METRICS[column]
        target = bench.value(key)
        shown = fmt.format(target) if "%" not in fmt else f"{target:.0%}"
        out[f"{heading} ({'≥' if higher else '≤'}{shown})"] = [
            _with_mark(v, m, fmt)
            for v, m in zip(card[column], card[f"{column}_meets"], strict=True)
        ]
    return out


def ranking_table(card: pd.DataFrame) -> pd.DataFrame:
    """The ranking beside its chart: extra cases (whole and pooled) and scans, and the share."""
    return pd.DataFrame(
        {
            "Rank": card["rank"],
            "Trust": card["trust_code"],
            "Cases (realisable)": card["realisable_additional_cases"].fillna(0).round(0),
            "Cases (pooled)": card["pooled_additional_cases"].fillna(0).round(0),
            "Scans": card["additional_scans"].fillna(0).round(0),
            "% of activity": (card["opportunity_share"] * 100).round(1),
        }
    )


def outlier_table(table: pd.DataFrame) -> pd.DataFrame:
    """Outlier (statistics) and below-benchmark (opportunity) flags side by side, as text.

    "Outlier?" is outside the 99.8% funnel limits or special cause on SPC; "Benchmark" says
    whether the trust meets it (short of it is an opportunity, not an outlier).
    """
    return pd.DataFrame(
        {
            "Trust": table["trust_code"],
            "Value": (table["proportion"] * 100).round(1).astype(str) + "%",
            "Funnel": table["flag"].map(FUNNEL_FLAG_TEXT),
            "SPC": table["spc_variation"].fillna("–").str.replace("_", " "),
            "Outlier?": table["outlier"].map({True: "⚠ outlier", False: "no"}),
            "Benchmark": table["below_benchmark"].map({True: "✗ below", False: "✓ meets"}),
        }
    )


def gap_labels(card: pd.DataFrame, measure: str, bench: Benchmarks) -> pd.Series:
    """Bar labels that name the benchmark gap, e.g. '6,019 · 62% vs 85%'."""
    if measure == "theatre":
        target = bench.value("theatre_capped_utilisation")
        return card["opportunity"].map("{:,.0f}".format) + card["capped_utilisation"].map(
            lambda u: f" · {u:.0%} vs {target:.0%}" if pd.notna(u) else ""
        )
    rates = bench.scan_rates()

    def below(row: pd.Series) -> str:
        short = [
            m
            for m in rates
            if pd.notna(row.get(f"{m.lower()}_scans_per_hour"))
            and row[f"{m.lower()}_scans_per_hour"] < rates[m]
        ]
        return f" · below on {', '.join(short)}" if short else ""

    return card["opportunity"].map("{:,.0f}".format) + card.apply(below, axis=1)


def scenario_table(what_if: pd.DataFrame) -> pd.DataFrame:
    """The what-if result for display: extra activity a week and weeks to clear each backlog."""
    shown = {"trust_code": "Trust", "additional_cases_per_week": "Extra cases/week"}
    for name, label in (("ct", "CT"), ("mri", "MRI"), ("nous", "NOUS"), ("echo", "Echo")):
        shown[f"additional_{name}_per_week"] = f"Extra {label}/week"
        shown[f"weeks_to_clear_{name}"] = f"Weeks to clear {label} 6+ wk backlog"
    table = what_if[[c for c in shown if c in what_if]].round(1)
    for column in [c for c in table if c.startswith("weeks_to_clear_")]:
        table[column] = table[column].map(_weeks_text)
    return table.rename(columns=shown)


def _weeks_text(weeks: float) -> str:
    if pd.isna(weeks):
        return "–"
    return "never at this rate" if weeks == float("inf") else f"{weeks:.1f}"
