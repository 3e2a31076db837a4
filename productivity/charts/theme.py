"""The one NHS theme: palette, Altair theme, axis formats and benchmark lines.

Every chart module draws with these colours and lines; colour is always paired with a text,
shape or dash cue (a legend names it), for accessibility.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import altair as alt
import pandas as pd

__all__ = [
    "BACKGROUND",
    "BENCHMARK",
    "BENCHMARK_DASHES",
    "NHS_BLUE",
    "NHS_DARK_BLUE",
    "NHS_GREEN",
    "NHS_GREY",
    "NHS_ORANGE",
    "NHS_PURPLE",
    "NHS_RED",
    "SECONDARY_TEXT",
    "SERIES_STYLES",
    "TEXT",
    "axis_format",
    "benchmark_lines",
    "benchmark_rule",
    "category_axis",
    "layer_chart",
    "nhs_theme",
]


NHS_BLUE = "#005EB8"
TEXT = "#212B32"
SECONDARY_TEXT = "#4C6272"  # NHS secondary text: captions and notes, 5.8:1 on BACKGROUND
BACKGROUND = "#F0F4F5"
NHS_DARK_BLUE = "#003087"
NHS_GREEN = "#009639"
NHS_RED = "#DA291C"
NHS_ORANGE = "#ED8B00"
NHS_GREY = "#768692"
NHS_PURPLE = "#330072"
BENCHMARK = NHS_RED


def nhs_theme() -> alt.theme.ThemeConfig:
    """The one theme: NHS Blue marks, NHS text colour, light grey background, Arial."""
    return {
        "config": {
            "background": BACKGROUND,
            "font": "Arial",
            "title": {"color": TEXT, "fontSize": 15, "anchor": "start"},
            "axis": {"labelColor": TEXT, "titleColor": TEXT, "gridColor": "#D8DDE0"},
            "legend": {"labelColor": TEXT, "titleColor": TEXT},
            "mark": {"color": NHS_BLUE},
            "bar": {"color": NHS_BLUE},
            "line": {"color": NHS_BLUE},
            "point": {"color": NHS_BLUE},
            "range": {
                "category": [
                    NHS_BLUE,
                    NHS_DARK_BLUE,
                    NHS_GREEN,
                    NHS_ORANGE,
                    NHS_PURPLE,
                    NHS_GREY,
                    NHS_RED,
                ]
            },
            "view": {"stroke": None},
        }
    }


alt.theme.register("nhs", enable=True)(nhs_theme)


# Benchmark lines: one dash pattern each, so two lines on a chart differ by more than position.
BENCHMARK_DASHES: tuple[list[int], ...] = ([6, 4], [2, 3], [10, 3, 2, 3])
# Series of a trend: colour *and* dash pattern differ, and the legend names each one.
SERIES_STYLES: tuple[tuple[str, list[int]], ...] = (
    (NHS_BLUE, [1, 0]),
    (NHS_GREEN, [7, 4]),
    (NHS_PURPLE, [2, 3]),
    (NHS_GREY, [10, 3, 2, 3]),
)


def axis_format(fmt: str) -> str:
    """The axis format for values shown as ``fmt``: whole percentages on a percent axis."""
    return ".0%" if fmt.endswith("%") else fmt


def benchmark_rule(
    value: float, label: str, axis: str = "y", *, in_legend: bool = False
) -> alt.LayerChart | alt.Chart:
    """A dashed benchmark line with its label: on the line, or (``in_legend``) in a legend.

    A label in the legend never collides with a bar's or a point's own label.
    """
    return benchmark_lines({label: value}, axis, in_legend=in_legend)


def benchmark_lines(
    lines: dict[str, float], axis: str = "y", *, in_legend: bool = False
) -> alt.LayerChart | alt.Chart:
    """Several benchmark lines (label -> value), each with its own dash pattern."""
    frame = pd.DataFrame({"value": list(lines.values()), "label": list(lines)})
    position = {axis: alt.X("value:Q") if axis == "x" else alt.Y("value:Q")}
    dashes = list(BENCHMARK_DASHES[: len(lines)])
    if in_legend:
        legend = alt.Legend(
            title=None, orient="top", symbolType="stroke", symbolStrokeColor=BENCHMARK,
            symbolStrokeWidth=2, symbolSize=400, labelLimit=0,
            direction="vertical" if len(lines) > 1 else "horizontal",
        )  # fmt: skip
        dash = alt.StrokeDash(
            "label:N", scale=alt.Scale(domain=list(lines), range=dashes), legend=legend
        )
        rule: alt.Chart = (
            alt.Chart(frame).mark_rule(color=BENCHMARK, size=2).encode(**position, strokeDash=dash)
        )
        return rule
    # On the line: a fixed dash per line (not an encoding, so it shares no scale with the chart).
    layers: list[alt.Chart] = []
    for i, pattern in enumerate(dashes):
        base = alt.Chart(frame.iloc[[i]])
        layers.append(
            base.mark_rule(color=BENCHMARK, size=2, strokeDash=pattern).encode(**position)
        )
        # XValue/YValue: alt.value(0) typed as its channel (Altair leaves them unannotated).
        other = (
            {"x": alt.XValue(0)}  # type: ignore[no-untyped-call]
            if axis == "y"
            else {"y": alt.YValue(0)}  # type: ignore[no-untyped-call]
        )
        layers.append(
            base.mark_text(color=BENCHMARK, align="left", dx=4, dy=-6).encode(
                **position, **other, text=alt.Text("label:N")
            )
        )
    # Typed channels, and the layered chart made once (as alt.layer(*layers) makes it): bare
    # strings and alt.value cost a schema lookup each, on most charts of every page.
    return layer_chart(layer=layers)


# Properties Altair moves from the layers up to the layered chart.
_LAYER_PROPS = ("height", "width", "view")


def layer_chart(
    *, layer: Sequence[alt.Chart | alt.LayerChart], data: Any = alt.Undefined, **props: Any
) -> alt.LayerChart:
    """``alt.LayerChart(data=data, layer=layer, **props)``: the same chart, without Altair's two
    deep copies of every layer when there is nothing to move up from the layers.

    Altair copies each layer (and its encodings) to lift a frame the layers share, their
    parameters, and their height, width or view up to the layered chart, so the caller's
    layers are never changed. Our layers are made for this chart alone and carry no parameter;
    when, besides, none has a height, width or view, and no frame would move up, the layered
    chart is made empty and given the layers as they are (the same spec, checked chart by
    chart). Otherwise Altair makes it as usual.
    """
    layers: list[Any] = list(layer)
    if not layers or any(_lifts(chart) for chart in layers) or _shared(data, layers):
        return alt.LayerChart(data=data, layer=layers, **props)
    chart = alt.LayerChart(data=data, **props)
    chart.layer = layers
    return chart


def _lifts(chart: alt.Chart | alt.LayerChart) -> bool:
    """Whether Altair would move something of ``chart`` up to a layered chart holding it."""
    if chart["params"] is not alt.Undefined:
        return True
    return any(chart[prop] is not alt.Undefined for prop in _LAYER_PROPS)


def _shared(data: Any, layers: list[alt.Chart | alt.LayerChart]) -> bool:
    """Whether a layer's frame is the layered chart's, or (none given) every layer's one frame."""
    if data is alt.Undefined:
        first = layers[0]["data"]
        return first is not alt.Undefined and all(c["data"] is first for c in layers)
    return any(c["data"] is data for c in layers)


def as_layer(chart: alt.LayerChart | alt.FacetChart) -> alt.LayerChart:
    """A layered chart (``a + b``, ``alt.layer``) typed as the ``LayerChart`` it is.

    Altair types layering as maybe facetted, which it is only when every layer has the same
    facet encoding; our layers never have one.

    Raises:
        TypeError: the layers were facetted (facet the layered chart instead).
    """
    if isinstance(chart, alt.LayerChart):
        return chart
    raise TypeError("layers with a shared facet encoding: facet the layered chart instead")


def category_axis(labels: pd.Series) -> alt.Axis:
    """Horizontal labels when they are short enough to sit side by side, slanted otherwise."""
    short = len(labels) <= 16 and labels.astype(str).str.len().max() <= 6
    return alt.Axis(labelAngle=0 if short else -40, labelOverlap=False)
