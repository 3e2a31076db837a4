"""The board pack's funnel plots, each beside a table of the three judgements of SPEC §5.

A trust's funnel position, its SPC variation (with assurance) and its gap to the benchmark are
shown in separate columns, in words, and never merged into one "outlier" flag: an improving
trust is good news, and most trusts short of the benchmark are typical of the system. The
funnels and flags are the Overview's (:func:`productivity.store.reports.trust_theatre_outliers`
and ``trust_dm01_outliers``), read once per pack through the :class:`~.scope.Scope`.
"""

from __future__ import annotations

import pandas as pd

from productivity import charts
from productivity.charts import ASSURANCE_TEXT, FUNNEL_FLAG_TEXT, VARIATION_TEXT
from productivity.columns import MEETS, MISSES, MISSING
from productivity.pack.content import Column, Section, pack_table
from productivity.pack.labels import point_labels
from productivity.pack.scope import Scope, png
from productivity.stats import funnel
from productivity.stats.outliers import OUTLIER_FLAGS
from productivity.views.overview import OUTLIER_AXES, OUTLIER_MEASURES

FUNNEL_WIDTH = 330  # px: the funnel plot beside its table


def funnels(scope: Scope) -> list[Section]:
    """The Overview's two funnel plots (95% and 99.8% limits), each with its judgements table."""
    present = {
        "theatre": scope.card["capped_utilisation"].notna().any(),
        "dm01": scope.card["dm01_within_6_weeks"].notna().any(),
    }
    found: list[Section] = []
    for measure, has_data in present.items():
        title, (label, volume) = OUTLIER_MEASURES[measure], OUTLIER_AXES[measure]
        if not has_data:
            found.append(Section(f"Funnel, SPC and benchmark: {title}", ("No data.",)))
            continue
        outliers = scope.theatre_outliers if measure == "theatre" else scope.dm01_outliers
        found.append(_funnel(scope, outliers.trusts, outliers.funnel, title, label, volume))
    return found


def judgements(table: pd.DataFrame) -> pd.DataFrame:
    """The three judgements of SPEC §5 in words, each in its own column and never merged:
    ``funnel_position``, ``spc_variation_text``, ``spc_assurance_text`` and ``benchmark_gap``.

    >>> row = pd.DataFrame({"flag": ["within"], "spc_variation": ["improvement"],
    ...     "spc_assurance": ["consistent_fail"], "below_benchmark": [True]})
    >>> judgements(row).iloc[0, -4:].tolist()  # doctest: +NORMALIZE_WHITESPACE
    ['● within limits', 'special cause improvement (I)', 'consistently failing (F)',
     '✗ falls short']
    """
    variation = table["spc_variation"].map(VARIATION_TEXT)
    assurance = table["spc_assurance"].map(lambda a: ASSURANCE_TEXT.get(a if pd.notna(a) else None))
    return table.assign(
        funnel_position=table["flag"].map(FUNNEL_FLAG_TEXT).fillna(MISSING),
        spc_variation_text=variation.str.removeprefix("Variation: ")
        .str.replace(" (no signal)", "", regex=False)
        .fillna("– too few points"),
        spc_assurance_text=assurance.str.removeprefix("Assurance: ").where(
            table["spc_variation"].notna(), MISSING
        ),
        benchmark_gap=table["below_benchmark"].map({True: f"{MISSES} falls short",
                                                    False: f"{MEETS} meets"}).fillna(MISSING),
    )  # fmt: skip


def _funnel(
    scope: Scope,
    table: pd.DataFrame,
    result: funnel.FunnelResult,
    title: str,
    label: str,
    volume: str,
) -> Section:
    low, high = max(1.0, table["denominator"].min() / 2), table["denominator"].max() * 2
    curve = funnel.funnel_curve(result.target, low, high, tau2=result.tau2)
    # Where the chart's scales will put each point, so that no two printed labels touch; the y
    # domain is padded because Vega-Lite rounds it outward ("nice"), bringing points closer.
    values = pd.concat([table["proportion"], *(curve[c] for c in curve if c != "denominator")])
    pad = (values.max() - values.min()) * 0.1
    labelled = table.assign(
        point_label=point_labels(
            table, "denominator", "proportion", x_domain=(low, high),
            y_domain=(values.min() - pad, values.max() + pad), width=FUNNEL_WIDTH,
        )
    )  # fmt: skip
    chart = charts.funnel_chart(
        labelled, curve, target=result.target, label=label, volume_label=volume,
        unit="point_label",
    )  # fmt: skip
    shown = judgements(table)
    spread = f"τ² = {result.tau2:.5f}" if result.tau2 is not None else "no overdispersion"
    columns = [
        Column("trust_code", "Trust", width=0.5),
        Column("proportion", "Value", ".1%", width=0.6),
        Column("funnel_position", "Funnel position", width=1.25),
        Column("spc_variation_text", "SPC variation", width=1.6),
        Column("spc_assurance_text", "SPC assurance", width=1.2),
        Column("benchmark_gap", "Benchmark gap", width=0.95),
    ]
    outside = table[table["flag"].isin(OUTLIER_FLAGS)]["trust_code"].tolist()
    special = table[table["spc_special_cause"]]["trust_code"].tolist()
    short = int(table["below_benchmark"].sum())
    alt_text = (
        f"Funnel plot of {label} against {volume} for {len(table)} trusts, centre "
        f"{result.target:.1%}. Outside the 99.8% limits: {', '.join(outside) or 'none'}. "
        f"{short} of {len(table)} trusts fall short of the benchmark."
    )
    return Section(
        f"Funnel, SPC and benchmark: {title}",
        (
            f"Three separate judgements. Funnel position: centre the system's {result.target:.1%};"
            f" 95% and 99.8% limits widened for overdispersion (DerSimonian–Laird, {spread}); "
            "outside 99.8% is an outlier, outside 95% a warning. SPC variation (Making Data "
            "Count): special cause improving or concerning, or common cause, with assurance "
            "against the benchmark. Benchmark gap: short of it is an opportunity, not an outlier. "
            f"Special cause: {', '.join(special) or 'none'}.",
        ),
        chart=png(chart, FUNNEL_WIDTH),
        table=pack_table(shown, columns, highlight=scope.mine(table["trust_code"])),
        alt=alt_text,
    )
