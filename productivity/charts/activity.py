"""How activity went: trends over time, the lost-time waterfall, heatmaps and banded bars.

Every encoding is a typed channel (``alt.Y2("top:Q")``, ``alt.Tooltip("step")``), never a bare
string or dict: Altair turns those into channels through its schema on every call, about 9 ms
each, which made these charts several times slower to build than to draw.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from productivity.charts.theme import (
    BENCHMARK,
    BENCHMARK_DASHES,
    NHS_BLUE,
    NHS_GREY,
    NHS_ORANGE,
    NHS_PURPLE,
    NHS_RED,
    SERIES_STYLES,
    TEXT,
    axis_format,
    layer_chart,
)

__all__ = [
    "bands",
    "heatmap",
    "trend",
    "waterfall",
]


def trend(
    frame: pd.DataFrame,
    x: str,
    value: str,
    label: str,
    *,
    benchmark: float | None = None,
    colour: str | None = None,
    fmt: str = ".1%",
) -> alt.LayerChart | alt.Chart:
    """A line over time with points and the benchmark line.

    Series (``colour``) differ by colour *and* dash pattern; one legend names each series and
    the benchmark, so no label sits on the lines.
    """
    series = sorted(frame[colour].dropna().unique()) if colour else []
    styles = [SERIES_STYLES[i % len(SERIES_STYLES)] for i in range(len(series))]
    names, colours, dashes = list(series), [c for c, _ in styles], [d for _, d in styles]
    if benchmark is not None:
        names.append(f"benchmark {benchmark:{fmt}}")
        colours.append(BENCHMARK)
        dashes.append(BENCHMARK_DASHES[0])
    legend = alt.Legend(
        title=None, orient="top", symbolType="stroke", symbolSize=500, symbolStrokeWidth=2,
        labelLimit=0,
    )  # fmt: skip

    def styled(field: str) -> dict[str, alt.Color | alt.StrokeDash]:
        return {
            "color": alt.Color(field, scale=alt.Scale(domain=names, range=colours), legend=legend),
            "strokeDash": alt.StrokeDash(
                field, scale=alt.Scale(domain=names, range=dashes), legend=legend
            ),
        }

    tooltip = [alt.Tooltip(f"{x}:T"), alt.Tooltip(f"{value}:Q", format=fmt)]
    line = (
        alt.Chart(frame)
        .mark_line(point=True, strokeWidth=2)
        .encode(
            x=alt.X(f"{x}:T", title=None),
            y=alt.Y(f"{value}:Q", title=label, axis=alt.Axis(format=axis_format(fmt))),
            tooltip=[*tooltip, alt.Tooltip(colour)] if colour else tooltip,
            **(styled(f"{colour}:N") if colour else {}),
        )
    )
    if benchmark is None:
        plain: alt.Chart = line.properties(height=300)
        return plain
    # The rule's name column is called as the series' one: only then do the colour and dash
    # legends merge into one in the browser's Vega-Lite.
    name = colour or "label"
    rule = (
        alt.Chart(pd.DataFrame({"value": [benchmark], name: [names[-1]]}))
        .mark_rule(size=2)
        .encode(y=alt.Y("value:Q"), **styled(f"{name}:N"))
    )
    return layer_chart(layer=[line, rule], height=300)  # as alt.layer(…).properties(…)


def layered(data: pd.DataFrame, layers: list[alt.Chart], height: int) -> alt.LayerChart:
    """Layers drawn from one frame, the frame and the height given once, on the layered chart.

    The same spec as ``(a + b).properties(height=...)`` on layers that each carry the frame
    (Altair moves a frame that every layer shares up to the layered chart), without the copies
    and hashes of every layer that adding layers and setting a property make.
    """
    return layer_chart(data=data, layer=layers, height=height)


def waterfall(
    steps: pd.DataFrame, value: str = "minutes", title: str = "minutes"
) -> alt.LayerChart:
    """Lost-time waterfall: ``steps`` has step, ``value`` (minutes or hours) and kind
    (total|loss|beside) in order; a ``label`` column, if present, is written on each bar."""
    data = steps.copy()
    data["order"] = range(len(data))
    end = data[value].where(data["kind"] == "total").ffill()
    losses = data[value].where(data["kind"] == "loss", 0).cumsum()
    data["top"] = (end - losses + data[value].where(data["kind"] == "loss", 0)).where(
        data["kind"] == "loss", data[value]
    )
    data["bottom"] = (data["top"] - data[value]).where(data["kind"] == "loss", 0)
    if "label" not in data:
        data["label"] = data[value].map(lambda m: f"{m:,.0f}")
    base = alt.Chart().encode(
        x=alt.X(
            "step:N",
            sort=list(data["step"]),
            title=None,
            axis=alt.Axis(labelAngle=-35, labelOverlap=False),
        )
    )
    bars = base.mark_bar().encode(
        y=alt.Y("bottom:Q", title=title),
        y2=alt.Y2("top:Q"),
        color=alt.Color(
            "kind:N",
            scale=alt.Scale(
                domain=["total", "loss", "beside"], range=[NHS_BLUE, NHS_ORANGE, NHS_GREY]
            ),
            legend=None,
        ),
        tooltip=[
            alt.Tooltip("step"),
            alt.Tooltip(f"{value}:Q", format=",.0f"),
            alt.Tooltip("label:N"),
        ],
    )
    # A label may run over two lines ("\n"); it sits above the bar's top.
    lines = int(data["label"].str.count("\n").max()) + 1
    text = base.mark_text(
        dy=-6 - 11 * (lines - 1), color=TEXT, fontSize=10 if lines > 1 else 11, lineBreak="\n"
    ).encode(y=alt.Y("top:Q"), text=alt.Text("label:N"))
    return layered(data, [bars, text], 300)


def heatmap(
    frame: pd.DataFrame,
    x: str,
    y: str,
    value: str,
    label: str,
    fmt: str = ".0%",
    *,
    height: int | None = None,
) -> alt.LayerChart:
    """Cells coloured by ``value`` and labelled with it; the label turns white on dark cells."""
    rows = frame[y].nunique() if len(frame) else 1
    low, high = (frame[value].min(), frame[value].max()) if len(frame) else (0.0, 1.0)
    dark = float(low + (high - low) * 0.6)  # the "blues" scheme's cells are dark above this
    base = alt.Chart().encode(
        x=alt.X(
            f"{x}:N",
            title=None,
            sort=["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"],
            axis=alt.Axis(labelAngle=0, labelExpr="slice(datum.label, 0, 3)", labelOverlap=False),
        ),
        y=alt.Y(f"{y}:N", title=None, sort=["AM", "PM", "ALL", "EVE"]),
    )
    rects = base.mark_rect().encode(
        color=alt.Color(
            f"{value}:Q",
            title=label,
            scale=alt.Scale(scheme="blues"),
            legend=alt.Legend(format=axis_format(fmt)),
        ),
        tooltip=[alt.Tooltip(x), alt.Tooltip(y), alt.Tooltip(f"{value}:Q", format=fmt)],
    )
    text = base.mark_text().encode(
        text=alt.Text(f"{value}:Q", format=fmt),
        color=alt.ColorValue(
            value=TEXT, condition={"test": f"datum['{value}'] > {dark}", "value": "white"}
        ),
    )
    return layered(frame, [rects, text], height or max(160, 56 * rows))


def bands(frame: pd.DataFrame, category: str, value: str, colour: str) -> alt.LayerChart:
    """Grouped bars (e.g. late-start bands per measure): each bar names its group and value."""
    groups = list(dict.fromkeys(frame[colour]))
    palette = [NHS_BLUE, NHS_ORANGE, NHS_RED, NHS_PURPLE, NHS_GREY]
    base = alt.Chart().encode(
        x=alt.X(f"{category}:N", title=None, sort=None, axis=alt.Axis(labelAngle=0)),
        y=alt.Y(f"{value}:Q", title="share of lists", axis=alt.Axis(format=".0%")),
        xOffset=alt.XOffset(f"{colour}:N", sort=groups),
        tooltip=[
            alt.Tooltip(category),
            alt.Tooltip(colour),
            alt.Tooltip(f"{value}:Q", format=".1%"),
        ],
    )
    bars = base.mark_bar().encode(
        color=alt.Color(
            f"{colour}:N",
            title=None,
            sort=groups,
            scale=alt.Scale(domain=groups, range=palette[: len(groups)]),
            legend=alt.Legend(orient="top"),
        )
    )
    share = base.mark_text(dy=-6, color=TEXT).encode(text=alt.Text(f"{value}:Q", format=".0%"))
    group = base.mark_text(dy=-20, color=TEXT, fontSize=10).encode(text=alt.Text(f"{colour}:N"))
    return layered(frame, [bars, share, group], 300)
