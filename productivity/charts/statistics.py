"""SPC (XmR) and funnel charts: they draw ``spc``/``funnel`` results and never recompute them."""

from __future__ import annotations

import altair as alt
import pandas as pd

from productivity.charts.theme import (
    NHS_BLUE,
    NHS_DARK_BLUE,
    NHS_GREY,
    NHS_ORANGE,
    NHS_PURPLE,
    NHS_RED,
    TEXT,
    benchmark_rule,
    layer_chart,
)
from productivity.stats.outliers import WITHIN_TEXT, benchmark_text
from productivity.stats.spc import SPCResult

__all__ = [
    "ASSURANCE_TEXT",
    "FUNNEL_FLAG_TEXT",
    "SPC_STYLES",
    "VARIATION_TEXT",
    "funnel_chart",
    "ratio_funnel_chart",
    "spc_chart",
]


# SPC point types -> (legend text with its icon letter, colour, shape): colour is never alone.
SPC_STYLES: dict[str, tuple[str, str, str]] = {
    "special_cause_improvement": ("I: special cause – improvement", NHS_BLUE, "diamond"),
    "special_cause_concern": ("C: special cause – concern", NHS_ORANGE, "square"),
    "special_cause_neutral_high": ("H: special cause – high", NHS_PURPLE, "triangle-up"),
    "special_cause_neutral_low": ("L: special cause – low", NHS_PURPLE, "triangle-down"),
    "common_cause": ("common cause", NHS_GREY, "circle"),
}
VARIATION_TEXT = {
    "improvement": "Variation: special cause improvement (I)",
    "concern": "Variation: special cause concern (C)",
    "neutral_high": "Variation: special cause, high (H)",
    "neutral_low": "Variation: special cause, low (L)",
    "common_cause": "Variation: common cause (no signal)",
}
ASSURANCE_TEXT = {
    "consistent_pass": "Assurance: consistently passing (P)",
    "consistent_fail": "Assurance: consistently failing (F)",
    "hit_and_miss": "Assurance: hit and miss (?)",
    None: "Assurance: no target",
}


def spc_chart(
    result: SPCResult,
    *,
    label: str,
    fmt: str = ".1%",
    rebases: pd.DataFrame | None = None,
) -> alt.LayerChart:
    """An XmR chart of an ``spc.xmr`` result: mean, limits, typed points, target, rebases.

    It draws the result's points, limits and icons as computed and never recomputes them.
    Special-cause points are marked by shape *and* colour, carry their icon letter (I, C, H or
    L) and are named in the legend; the title carries the variation and assurance icons as text.
    """
    variation, assurance = result.variation, result.assurance
    data = result.points.copy()
    data["type"] = data["point_type"].map(
        lambda t: SPC_STYLES.get(t, SPC_STYLES["common_cause"])[0]
    )
    data["limits"] = data["trial_limits"].map({True: "trial limits (<12 points)", False: "limits"})
    domain = [s[0] for s in SPC_STYLES.values()]
    x = alt.X("date:T", title=None)
    base = alt.Chart(data)
    line = base.mark_line(color=NHS_GREY, strokeWidth=1.5).encode(
        x=x, y=alt.Y("value:Q", title=label, axis=alt.Axis(format=fmt), scale=alt.Scale(zero=False))
    )
    mean = base.mark_line(color=TEXT, strokeWidth=1.5).encode(
        x=x, y=alt.Y("mean:Q"), detail=alt.Detail("period:N")
    )
    upper = base.mark_line(color=NHS_DARK_BLUE, strokeDash=[4, 3]).encode(
        x=x, y=alt.Y("upper_limit:Q"), detail=alt.Detail("period:N")
    )
    lower = base.mark_line(color=NHS_DARK_BLUE, strokeDash=[4, 3]).encode(
        x=x, y=alt.Y("lower_limit:Q"), detail=alt.Detail("period:N")
    )
    dots = base.mark_point(filled=True, size=80, opacity=1).encode(
        x=x,
        y=alt.Y("value:Q"),
        color=alt.Color(
            "type:N",
            title=None,
            scale=alt.Scale(domain=domain, range=[s[1] for s in SPC_STYLES.values()]),
            legend=alt.Legend(orient="bottom", columns=2, labelLimit=0),
        ),
        shape=alt.Shape(
            "type:N", scale=alt.Scale(domain=domain, range=[s[2] for s in SPC_STYLES.values()])
        ),
        tooltip=[
            alt.Tooltip("date:T"),
            alt.Tooltip("value:Q", format=fmt),
            alt.Tooltip("mean:Q", format=fmt),
            alt.Tooltip("lower_limit:Q", format=fmt),
            alt.Tooltip("upper_limit:Q", format=fmt),
            alt.Tooltip("type:N"),
            alt.Tooltip("rule:N"),
            alt.Tooltip("limits:N"),
        ],
    )
    # The icon letter on each special-cause point (I, C, H or L), as the legend names it.
    letters = (
        alt.Chart(data[data["special_cause"].astype(bool)].assign(icon=lambda f: f["type"].str[0]))
        # A serif face, so that "I" reads as a letter and not as a tick mark.
        .mark_text(dy=-13, fontSize=12, fontWeight="bold", color=TEXT, font="Georgia, serif")
        .encode(x=x, y=alt.Y("value:Q"), text=alt.Text("icon:N"))
    )
    layers: list[alt.Chart | alt.LayerChart] = [line, mean, upper, lower, dots, letters]
    target = data["target"].dropna()
    if not target.empty:
        layers.append(benchmark_rule(float(target.iloc[0]), f"target {target.iloc[0]:{fmt}}"))
    if rebases is not None and not rebases.empty:
        marks = alt.Chart(rebases).encode(x=alt.X("date:T"))
        layers.append(marks.mark_rule(color=NHS_PURPLE, strokeDash=[2, 2], size=2))
        layers.append(
            marks.mark_text(color=NHS_PURPLE, align="left", dx=3, dy=8, y=0).encode(
                text=alt.Text("label:N"), tooltip=[alt.Tooltip("date:T"), alt.Tooltip("reason:N")]
            )
        )
    # Two short lines, not one long one: a long title is cut at the chart's width.
    title = alt.Title(
        [VARIATION_TEXT.get(variation, variation), str(ASSURANCE_TEXT.get(assurance))],
        fontSize=13,
        lineHeight=18,
        offset=10,
    )
    # As as_layer(alt.layer(*layers)).properties(...) gives it, without copying every layer again.
    return layer_chart(layer=layers, title=title, height=400, padding={"top": 16, "left": 5})


# Funnel flags -> legend text: the position's words, as stats.outliers.judgements names it
# (outside 99.8% an outlier, outside 95% a warning); a trust with no peers is not drawn.
FUNNEL_FLAG_TEXT = {
    "above_998": "▲▲ above 99.8% limit: outlier",
    "above_95": "▲ above 95% limit: warning",
    "within": WITHIN_TEXT,
    "below_95": "▼ below 95% limit: warning",
    "below_998": "▼▼ below 99.8% limit: outlier",
}


def funnel_chart(
    units: pd.DataFrame,
    curve: pd.DataFrame,
    *,
    label: str,
    target: float,
    volume_label: str,
    fmt: str = ".0%",
    unit: str = "unit",
    name: str | None = None,
    benchmark: float | None = None,
    centre_label: str = "centre",
) -> alt.LayerChart:
    """A funnel plot: units' proportions against volume, with 95% and 99.8% limits.

    ``target`` is the funnel's centre (a solid line); ``benchmark``, when given, is drawn as
    the dashed benchmark line, so "typical of the peers" and "meets the benchmark" are apart.
    Points are labelled with the ``name`` column (default ``unit``). Units whose flag is not a
    funnel position (a trust with no peers) have no limits here and are left out.
    """
    name = name or unit
    units = units[units["flag"].isin(list(FUNNEL_FLAG_TEXT))]
    long = curve.melt("denominator", var_name="limit", value_name="proportion")
    long["level"] = long["limit"].map(lambda c: "99.8%" if c.endswith("998") else "95%")
    long["side"] = long["limit"].str.split("_").str[0]
    lines = (
        alt.Chart(long)
        .mark_line()
        .encode(
            x=alt.X("denominator:Q", title=volume_label, scale=alt.Scale(type="log", nice=False)),
            y=alt.Y(
                "proportion:Q", title=label, axis=alt.Axis(format=fmt), scale=alt.Scale(zero=False)
            ),
            strokeDash=alt.StrokeDash(
                "level:N",
                title="Control limits",
                scale=alt.Scale(domain=["95%", "99.8%"], range=[[5, 3], [1, 0]]),
                legend=alt.Legend(orient="bottom", symbolType="stroke", symbolSize=400),
            ),
            detail=alt.Detail("limit:N"),
            color=alt.ColorValue(NHS_DARK_BLUE),
        )
    )
    # Only the fields drawn: a trust's row carries every statistic and judgement besides.
    data = units[list(dict.fromkeys([name, "denominator", "proportion"]))].assign(
        flag_text=units["flag"].map(FUNNEL_FLAG_TEXT)
    )
    dots = (
        alt.Chart(data)
        .mark_point(filled=True, size=90)
        .encode(
            x=alt.X("denominator:Q"),
            y=alt.Y("proportion:Q"),
            color=alt.Color(
                "flag_text:N",
                title=None,
                legend=alt.Legend(orient="bottom", columns=1, labelLimit=0),
                scale=alt.Scale(
                    domain=list(FUNNEL_FLAG_TEXT.values()),
                    range=[NHS_PURPLE, NHS_BLUE, NHS_GREY, NHS_ORANGE, NHS_RED],
                ),
            ),
            shape=alt.Shape(
                "flag_text:N",
                scale=alt.Scale(
                    domain=list(FUNNEL_FLAG_TEXT.values()),
                    range=[
                        "triangle-up",
                        "triangle-up",
                        "circle",
                        "triangle-down",
                        "triangle-down",
                    ],
                ),
            ),
            tooltip=[
                alt.Tooltip(f"{name}:N", title="Trust"),
                alt.Tooltip("proportion:Q", format=".2%"),
                alt.Tooltip("denominator:Q", format=",.0f"),
                alt.Tooltip("flag_text:N"),
            ],
        )
    )
    names = (
        alt.Chart(data)
        .mark_text(align="left", dx=7, color=TEXT, limit=220)
        .encode(x=alt.X("denominator:Q"), y=alt.Y("proportion:Q"), text=alt.Text(f"{name}:N"))
    )
    layers = [lines, dots, names, _centre_line(target, f"{centre_label} {target:.1%}")]
    if benchmark is not None:
        layers.append(benchmark_rule(benchmark, f"benchmark {benchmark_text(benchmark, fmt)}"))
    return layer_chart(layer=layers, height=440)  # as layer(*layers).properties(height=440)


def _centre_line(value: float, label: str) -> alt.LayerChart:
    """The funnel's centre: a solid line, labelled at its right end (the benchmark's is left)."""
    frame = pd.DataFrame({"value": [value], "label": [label]})
    rule = alt.Chart(frame).mark_rule(color=TEXT, size=1).encode(y=alt.Y("value:Q"))
    text = (
        alt.Chart(frame)
        .mark_text(align="right", dy=-6, color=TEXT)
        .encode(
            y=alt.Y("value:Q"),
            x=alt.XValue("width"),  # type: ignore[no-untyped-call]  # as alt.value, typed
            text=alt.Text("label:N"),
        )
    )
    return layer_chart(layer=[rule, text])  # as rule + text


# A ratio funnel's positions (stats.ratio_funnel.POSITIONS) -> legend text (the funnel's own
# words: outlier, warning), colour and shape, never colour alone.
RATIO_POSITION_STYLES: dict[str, tuple[str, str, str]] = {
    "above 99.8%": (FUNNEL_FLAG_TEXT["above_998"], NHS_RED, "triangle-up"),
    "above 95%": (FUNNEL_FLAG_TEXT["above_95"], NHS_ORANGE, "triangle-up"),
    "within": (FUNNEL_FLAG_TEXT["within"], NHS_GREY, "circle"),
    "below 95%": (FUNNEL_FLAG_TEXT["below_95"], NHS_BLUE, "triangle-down"),
    "below 99.8%": (FUNNEL_FLAG_TEXT["below_998"], NHS_PURPLE, "triangle-down"),
}


def ratio_funnel_chart(
    units: pd.DataFrame,
    curve: pd.DataFrame,
    *,
    label: str,
    volume_label: str,
    target: float = 1.0,
    name: str = "unit",
) -> alt.LayerChart:
    """A ratio funnel (``stats.ratio_funnel``): observed ÷ expected against expected, with the
    95% and 99.8% limits from ``RatioFunnel.curve`` and the benchmark line at ``target``.

    Points are labelled with the ``name`` column; a unit whose position is not one of the
    funnel's (a trust with no peers) has no limits here and is left out.
    """
    units = units[units["position"].isin(list(RATIO_POSITION_STYLES))]
    # Only the fields drawn: a trust's row carries every statistic and judgement besides.
    units = units[list(dict.fromkeys([name, "observed", "expected", "ratio"]))].assign(
        position_text=units["position"].map(lambda p: RATIO_POSITION_STYLES[p][0])
    )
    long = curve.melt("expected", var_name="limit", value_name="ratio")
    long = long[long["ratio"].notna() & (long["ratio"] < float("inf"))]
    long["level"] = long["limit"].map(lambda c: "99.8%" if c.endswith("998") else "95%")
    lines = (
        alt.Chart(long)
        .mark_line()
        .encode(
            x=alt.X("expected:Q", title=volume_label, scale=alt.Scale(type="log", nice=False)),
            y=alt.Y("ratio:Q", title=label, scale=alt.Scale(zero=False)),
            strokeDash=alt.StrokeDash(
                "level:N",
                title="Control limits",
                scale=alt.Scale(domain=["95%", "99.8%"], range=[[5, 3], [1, 0]]),
                legend=alt.Legend(orient="bottom", symbolType="stroke", symbolSize=400),
            ),
            detail=alt.Detail("limit:N"),
            color=alt.ColorValue(NHS_DARK_BLUE),
        )
    )
    domain = [text for text, _, _ in RATIO_POSITION_STYLES.values()]
    dots = (
        alt.Chart(units)
        .mark_point(filled=True, size=90)
        .encode(
            x=alt.X("expected:Q"),
            y=alt.Y("ratio:Q"),
            color=alt.Color(
                "position_text:N",
                title=None,
                legend=alt.Legend(orient="bottom", columns=1, labelLimit=0),
                scale=alt.Scale(
                    domain=domain, range=[c for _, c, _ in RATIO_POSITION_STYLES.values()]
                ),
            ),
            shape=alt.Shape(
                "position_text:N",
                scale=alt.Scale(
                    domain=domain, range=[s for _, _, s in RATIO_POSITION_STYLES.values()]
                ),
            ),
            tooltip=[
                alt.Tooltip(f"{name}:N", title="Trust"),
                alt.Tooltip("observed:Q", format=",.0f"),
                alt.Tooltip("expected:Q", format=",.1f"),
                alt.Tooltip("ratio:Q", format=".3f"),
                alt.Tooltip("position_text:N", title="Funnel position"),
            ],
        )
    )
    names = (
        alt.Chart(units)
        .mark_text(align="left", dx=7, color=TEXT, limit=220)
        .encode(x=alt.X("expected:Q"), y=alt.Y("ratio:Q"), text=alt.Text(f"{name}:N"))
    )
    centre = benchmark_rule(target, f"benchmark {target:g}")
    # As (lines + dots + names + centre).properties(height=440) gives it, without copies.
    return layer_chart(layer=[lines, dots, names, centre], height=440)


def with_point_labels(chart: alt.LayerChart, labels: pd.Series) -> alt.LayerChart:
    """A funnel (:func:`funnel_chart`, :func:`ratio_funnel_chart`) whose points are labelled
    with ``labels`` (name -> label, e.g. a trust's code) instead of their names: a dozen long
    names close together run into each other and over the limits. Each point's tooltip keeps
    its name; a name without a label keeps the name."""
    layers = list(chart.layer)
    at = next(
        i
        for i, layer in enumerate(layers)
        if isinstance(layer, alt.Chart) and getattr(layer.mark, "type", layer.mark) == "text"
    )
    names = layers[at]
    name = str(names.encoding.text.shorthand).split(":")[0]
    drawn = names.data
    if not isinstance(drawn, pd.DataFrame):  # names drawn from no frame: none to relabel
        return chart
    shown = drawn.assign(point_label=drawn[name].map(labels).fillna(drawn[name]))
    relabelled = names.encode(text=alt.Text("point_label:N"))
    relabelled.data = shown
    layers[at] = relabelled
    out = chart.copy(deep=False)
    out.layer = layers
    return out
