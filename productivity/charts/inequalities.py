"""The deprivation lens: % within 6 weeks by IMD quintile, bands by quintile, Q1:Q5 ratios."""

from __future__ import annotations

import altair as alt
import pandas as pd

from productivity.charts.theme import (
    NHS_BLUE,
    NHS_DARK_BLUE,
    NHS_GREEN,
    NHS_GREY,
    NHS_ORANGE,
    NHS_PURPLE,
    TEXT,
    benchmark_rule,
    layer_chart,
)
from productivity.metrics import deprivation as dep, waits

__all__ = [
    "EVIDENCE_STYLE",
    "EVIDENCE_TEXT",
    "QUINTILE_LABELS",
    "RATIO_AXIS",
    "RATIO_LABEL",
    "band_lines",
    "forest_chart",
    "quintile_bars",
    "ratio_text",
]


# Deprivation lens display text and styles.
QUINTILE_LABELS: dict[int, str] = {
    1: "Q1 most deprived", 2: "Q2", 3: "Q3", 4: "Q4", 5: "Q5 least deprived",
}  # fmt: skip
EVIDENCE_TEXT: dict[str, str] = {  # the page's caption says what each one means
    "wider": "▲ wider gap",
    "none": "● no evidence of a gap",
    "reverse": "▼ reverse gap",
    "unknown": "– too few to compare",
}
EVIDENCE_STYLE: dict[str, tuple[str, str]] = {  # evidence -> (colour, shape): never colour alone
    "wider": (NHS_ORANGE, "triangle-up"),
    "none": (NHS_BLUE, "circle"),
    "reverse": (NHS_PURPLE, "triangle-down"),
}
RATIO_LABEL = "Q1:Q5 ratio of the share waiting 6+ weeks"
RATIO_AXIS = "Q1:Q5 ratio (6+ weeks)"  # on a vertical axis: a longer title squeezes the plot


def ratio_text(row: pd.Series) -> str:
    """'2.92 (2.17–3.93)', with † when a continuity correction was needed."""
    if pd.isna(row["ratio"]):
        return "–"
    dagger = " †" if row["continuity_corrected"] else ""
    return f"{row['ratio']:.2f} ({row['ratio_lower']:.2f}–{row['ratio_upper']:.2f}){dagger}"


def quintile_bars(quintiles: pd.DataFrame, target: float, label: str) -> alt.LayerChart:
    """% within 6 weeks per quintile, Q1 to Q5 in order, labelled ✓/✗ against the target line."""
    meets, below = f"✓ meets {target:.0%}", f"✗ below {target:.0%}"
    data = quintiles.assign(
        status=(quintiles["within_6_weeks"] >= target).map({True: meets, False: below})
    )
    base = alt.Chart().encode(
        x=alt.X(
            "quintile:N",
            sort=list(QUINTILE_LABELS.values()),
            title="IMD quintile",
            axis=alt.Axis(labelAngle=0),
        ),
        y=alt.Y(
            "within_6_weeks:Q",
            title="% waiting under 6 weeks",
            axis=alt.Axis(format="%"),
            scale=alt.Scale(domain=[0, 1]),
        ),
        tooltip=[
            alt.Tooltip("quintile:N"),
            alt.Tooltip("within_6_weeks:Q", format=".1%"),
            alt.Tooltip("total_waiting:Q", format=","),
            alt.Tooltip("status:N"),
        ],
    )
    bars = base.mark_bar().encode(
        color=alt.Color(
            "status:N",
            title=None,
            legend=alt.Legend(orient="top"),
            scale=alt.Scale(domain=[meets, below], range=[NHS_BLUE, NHS_ORANGE]),
        )
    )
    # Inside the bar's top, so a value near the target line never hides under its label.
    text = base.mark_text(baseline="top", dy=5, color="white", fontWeight="bold").encode(
        text=alt.Text("within_6_weeks:Q", format=".1%")
    )
    # As (bars + text + rule).properties(height=300) gives it (adding text to bars moves their
    # shared frame up to the layered chart), without copying the layers.
    rule = benchmark_rule(target, label)
    return layer_chart(data=data, layer=[bars, text, rule], height=300)


def band_lines(bands: pd.DataFrame) -> alt.Chart:
    """The share of each quintile's list in each waiting-time band: one line per quintile.

    Quintiles differ by colour *and* dash pattern, and the legend names them.
    """
    order = list(QUINTILE_LABELS.values())
    dashes = [[1, 0], [6, 2], [2, 2], [8, 3, 2, 3], [1, 3]]
    # One legend for colour and dash (the same one on both, so they merge), drawn as line samples.
    legend = alt.Legend(symbolType="stroke", symbolSize=500, symbolStrokeWidth=2)
    chart: alt.Chart = (
        alt.Chart(bands)
        .mark_line(point=True)
        .encode(
            x=alt.X(
                "band_label:O",
                sort=list(waits.BAND_LABELS.values()),
                title="weeks waiting",
                axis=alt.Axis(labelAngle=0),
            ),
            y=alt.Y(
                "share:Q", title="share of the quintile's waiting list", axis=alt.Axis(format="%")
            ),
            color=alt.Color(
                "quintile:N",
                sort=order,
                title="IMD quintile",
                legend=legend,
                scale=alt.Scale(
                    domain=order,
                    range=[
                        NHS_DARK_BLUE,
                        NHS_BLUE,
                        NHS_GREY,
                        NHS_GREEN,
                        NHS_ORANGE,
                    ],
                ),
            ),
            strokeDash=alt.StrokeDash(
                "quintile:N",
                sort=order,
                scale=alt.Scale(domain=order, range=dashes),
                title="IMD quintile",
                legend=legend,
            ),
            tooltip=[
                alt.Tooltip("quintile:N"),
                alt.Tooltip("band_label:O"),
                alt.Tooltip("share:Q", format=".1%"),
                alt.Tooltip("patients:Q", format=","),
            ],
        )
        .properties(height=300)
    )
    return chart


def forest_chart(forest: pd.DataFrame) -> alt.LayerChart:
    """Each trust's Q1:Q5 ratio as a point with its 95% interval, on a log scale, and a rule at 1.

    The point's shape and colour, and the legend's words, say what the interval shows.
    """
    data = forest[forest["ratio"].notna()].assign(
        evidence_text=lambda f: f["evidence"].map(EVIDENCE_TEXT),
        ratio_text=lambda f: f.apply(ratio_text, axis=1),
    )
    order = list(data["trust"])  # the view's order: the system, then the clearest gap first
    domain = [EVIDENCE_TEXT[k] for k in EVIDENCE_STYLE]
    colours, shapes = zip(*EVIDENCE_STYLE.values(), strict=True)
    y = alt.Y("trust:N", sort=order, title=None, axis=alt.Axis(labelOverlap=False))
    title, log = f"{RATIO_LABEL} (log scale)", alt.Scale(type="log")
    x = alt.X("ratio:Q", title=title, scale=log)
    base = alt.Chart().encode(y=y)
    whiskers = base.mark_rule(color=NHS_DARK_BLUE, size=2).encode(
        x=alt.X("ratio_lower:Q", title=title, scale=log), x2=alt.X2("ratio_upper:Q")
    )
    points = base.mark_point(filled=True, size=110, opacity=1).encode(
        x=x,
        color=alt.Color(
            "evidence_text:N",
            title=None,
            legend=alt.Legend(orient="top"),
            scale=alt.Scale(domain=domain, range=list(colours)),
        ),
        shape=alt.Shape("evidence_text:N", scale=alt.Scale(domain=domain, range=list(shapes))),
        tooltip=[
            alt.Tooltip("trust:N"),
            alt.Tooltip("ratio_text:N"),
            alt.Tooltip("evidence_text:N"),
            alt.Tooltip("gap:Q", format="+.1%", title="gap (Q1 − Q5)"),
        ],
    )
    labels = base.mark_text(align="left", dx=5, color=TEXT, fontSize=10).encode(
        x=alt.X("ratio_upper:Q"), text=alt.Text("ratio_text:N")
    )
    parity = benchmark_rule(dep.NO_GAP, "1 = no gap", axis="x")
    height = max(180, 30 * len(data))
    # As (whiskers + points + labels + parity).properties(height=...) gives it (the frame the
    # first three share moved up to the layered chart), without copying the layers.
    return layer_chart(data=data, layer=[whiskers, points, labels, parity], height=height)
