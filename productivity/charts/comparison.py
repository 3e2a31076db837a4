"""Units side by side: ranked bars, bars against a benchmark, a strip of units, before/after."""

from __future__ import annotations

import altair as alt
import pandas as pd

from productivity.charts.theme import (
    BACKGROUND,
    NHS_BLUE,
    NHS_DARK_BLUE,
    NHS_GREEN,
    NHS_GREY,
    NHS_ORANGE,
    NHS_PURPLE,
    NHS_RED,
    TEXT,
    axis_format,
    benchmark_lines,
    benchmark_rule,
    category_axis,
    layer_chart,
)

__all__ = [
    "MEETS",
    "MISSES",
    "before_after",
    "distribution",
    "metric_vs_benchmark",
    "ordered_bars",
    "ranking_bars",
    "rates_against_targets",
]


# Bar-status legend text: words beside the colour, and generic for either direction.
MEETS, MISSES = "✓ meets", "✗ misses"


def ranking_bars(
    frame: pd.DataFrame, value: str, label: str, *, fmt: str = ",.0f", name: str = "trust_code"
) -> alt.LayerChart:
    """Trusts ranked by an opportunity value; each bar carries its ``label`` text (the gap).

    Bars are named by the ``name`` column (a trust's name and code, where the caller has it).
    """
    order = frame.sort_values(value, ascending=False)[name].tolist()
    data = frame.assign(label=frame["label"]) if "label" in frame else frame.assign(label="")
    base = alt.Chart(data).encode(
        y=alt.Y(
            f"{name}:N", sort=order, title=None, axis=alt.Axis(labelOverlap=False, labelLimit=320)
        ),
        x=alt.X(f"{value}:Q", title=label, axis=alt.Axis(format=axis_format(fmt))),
        tooltip=[
            alt.Tooltip(f"{name}:N", title="Trust"),
            alt.Tooltip(f"{value}:Q", title=label, format=fmt),
            alt.Tooltip("label:N", title="Gap"),
        ],
    )
    bars = base.mark_bar(color=NHS_BLUE)
    text = base.mark_text(align="left", dx=3, color=TEXT).encode(text=alt.Text("label:N"))
    # As (bars + text).properties(height=...) gives it, without copying the layers.
    return layer_chart(layer=[bars, text], height=max(160, 28 * len(frame)))


def metric_vs_benchmark(
    frame: pd.DataFrame,
    category: str,
    value: str,
    label: str,
    benchmark: float,
    *,
    higher_is_better: bool = True,
    fmt: str = ".2f",
    benchmark_label: str = "benchmark",
    also: dict[str, float] | None = None,
    per_unit: str | None = None,
    per_unit_label: str = "own benchmark",
) -> alt.LayerChart:
    """Bars per unit, best first, marked ✓/✗ against the benchmark line.

    Each bar is coloured *and* labelled by whether it meets the benchmark (the legend says
    which way: ≥ or ≤); the benchmark and any ``also`` lines (label -> value) are named in
    the legend, so their labels never sit on the bars' own. Units without a value are left
    out (their tables say "–"). With ``per_unit`` (a column of each unit's own benchmark, e.g.
    its peer group's rate) each bar is judged against its own value, drawn as a tick on it and
    named ``per_unit_label`` in the legend; the ``benchmark`` line stays for reference.
    """
    data = frame[frame[value].notna()]
    target = data[per_unit] if per_unit else benchmark
    meets = data[value] >= target if higher_is_better else data[value] <= target
    data = data.assign(status=meets.map({True: MEETS, False: MISSES}))
    order = data.sort_values(value, ascending=not higher_is_better)[category].tolist()
    sign = "≥" if higher_is_better else "≤"
    base = alt.Chart(data).encode(
        x=alt.X(f"{category}:N", sort=order, title=None, axis=category_axis(data[category])),
        y=alt.Y(f"{value}:Q", title=label, axis=alt.Axis(format=axis_format(fmt))),
        tooltip=[
            alt.Tooltip(category),
            alt.Tooltip(f"{value}:Q", format=fmt),
            alt.Tooltip("status"),
        ],
    )
    bars = base.mark_bar().encode(
        color=alt.Color(
            "status:N",
            scale=alt.Scale(domain=[MEETS, MISSES], range=[NHS_BLUE, NHS_ORANGE]),
            legend=alt.Legend(
                title=(
                    f"Against {per_unit_label} ({sign})"
                    if per_unit
                    else f"Against {benchmark_label} ({sign}{benchmark:{fmt}})"
                ),
                orient="top",
                titleLimit=0,
            ),
        ),
    )
    # A halo in the background colour under each value keeps it legible where a line crosses.
    shown = alt.Text(f"{value}:Q", format=fmt)
    halo = base.mark_text(dy=-6, stroke=BACKGROUND, strokeWidth=4).encode(text=shown)
    text = base.mark_text(dy=-6, color=TEXT).encode(text=shown)
    lines = {f"{benchmark_label} {benchmark:{fmt}}": benchmark, **(also or {})}
    rules = benchmark_lines(lines, in_legend=True)
    layers = [bars, rules, halo, text]
    if per_unit:
        layers.insert(2, _own_ticks(base, per_unit, per_unit_label, fmt))
    # As as_layer(alt.layer(...)).properties(height=300) gives it, without copying the layers.
    return layer_chart(layer=layers, height=300)


def _own_ticks(base: alt.Chart, column: str, label: str, fmt: str) -> alt.Chart:
    """A dark dash at each unit's own benchmark, named in a legend of its own (shape)."""
    marks: alt.Chart = base.mark_point(color=TEXT, strokeWidth=3, size=500, opacity=1)
    return marks.encode(
        y=alt.Y(f"{column}:Q"),
        shape=alt.Shape(
            "own:N",
            scale=alt.Scale(domain=[label], range=["stroke"]),
            legend=alt.Legend(title=None, orient="top"),
        ),
        tooltip=[alt.Tooltip(f"{column}:Q", title=label, format=fmt)],
    ).transform_calculate(own=f"'{label}'")


def distribution(
    frame: pd.DataFrame,
    value: str,
    label: str,
    benchmark: float,
    *,
    fmt: str = ".2f",
    benchmark_label: str = "benchmark",
    per_unit: str | None = None,
    per_unit_label: str = "own benchmark",
) -> alt.LayerChart:
    """A strip of units (e.g. scanners) per trust, with the benchmark line (in the legend).

    With ``per_unit`` (a column of each unit's own benchmark, e.g. its trust's peer-group
    rate) a tick marks each trust's own value too, named ``per_unit_label`` in the legend.
    """
    points = (
        alt.Chart(frame)
        .mark_circle(size=70, opacity=0.75)
        .encode(
            x=alt.X("trust_code:N", title=None, axis=category_axis(frame["trust_code"])),
            y=alt.Y(f"{value}:Q", title=label, axis=alt.Axis(format=axis_format(fmt))),
            tooltip=[alt.Tooltip(column) for column in frame.columns],
        )
    )
    rule = benchmark_rule(benchmark, f"{benchmark_label} {benchmark:{fmt}}", in_legend=True)
    if not per_unit:
        return layer_chart(layer=[points, rule], height=300)  # as layer().properties()
    own = frame[["trust_code", per_unit]].drop_duplicates("trust_code")
    base = alt.Chart(own).encode(x=alt.X("trust_code:N"))
    ticks = _own_ticks(base, per_unit, per_unit_label, fmt)
    return layer_chart(layer=[points, rule, ticks], height=300)


def ordered_bars(
    frame: pd.DataFrame, category: str, value: str, label: str, *, colour: str, fmt: str = ",.0f"
) -> alt.LayerChart:
    """Bars in the frame's own order (e.g. DM01 waiting-time bands), each labelled with its value.

    ``colour`` groups the bars (e.g. under 6 weeks / 6 to 13 / 13+); the legend names each group,
    so colour is never the only cue.
    """
    groups = list(dict.fromkeys(frame[colour]))
    palette = [NHS_BLUE, NHS_ORANGE, NHS_RED, NHS_PURPLE, NHS_GREY, NHS_GREEN, NHS_DARK_BLUE]
    base = alt.Chart(frame).encode(
        x=alt.X(f"{category}:N", sort=list(frame[category]), title=None),
        y=alt.Y(f"{value}:Q", title=label, axis=alt.Axis(format=axis_format(fmt))),
        tooltip=[alt.Tooltip(category), alt.Tooltip(colour), alt.Tooltip(f"{value}:Q", format=fmt)],
    )
    bars = base.mark_bar().encode(
        color=alt.Color(
            f"{colour}:N",
            title=None,
            scale=alt.Scale(domain=groups, range=palette[: len(groups)]),
            legend=alt.Legend(orient="top"),
        )
    )
    text = base.mark_text(dy=-6, color=TEXT).encode(text=alt.Text(f"{value}:Q", format=fmt))
    return layer_chart(layer=[bars, text])  # as bars + text


def before_after(frame: pd.DataFrame, after: str) -> alt.LayerChart:
    """6+ week waiters per trust now and ``after`` a plan, side by side, each bar labelled.

    ``frame`` has ``trust_code, when, waiting`` with ``when`` either "Now" or ``after``; trusts
    run from the longest list now. The two bars differ in colour and order, and the legend
    names them.
    """
    when = ["Now", after]
    order = frame[frame["when"] == "Now"].sort_values("waiting", ascending=False)["trust_code"]
    base = alt.Chart(frame).encode(
        y=alt.Y("trust_code:N", sort=list(order), title=None),
        yOffset=alt.YOffset("when:N", sort=when),
        x=alt.X("waiting:Q", title="People waiting 6+ weeks"),
        tooltip=[
            alt.Tooltip("trust_code"),
            alt.Tooltip("when"),
            alt.Tooltip("waiting:Q", format=",.0f"),
        ],
    )
    bars = base.mark_bar().encode(
        color=alt.Color(
            "when:N",
            title=None,
            sort=when,
            scale=alt.Scale(domain=when, range=[NHS_GREY, NHS_BLUE]),
            legend=alt.Legend(orient="top"),
        )
    )
    text = base.mark_text(align="left", dx=3, color=TEXT).encode(
        text=alt.Text("waiting:Q", format=",.0f")
    )
    height = max(200, 44 * frame["trust_code"].nunique())
    return layer_chart(layer=[bars, text], height=height)  # as (bars + text).properties()


def rates_against_targets(
    frame: pd.DataFrame, category: str, value: str, target: str, label: str, *, fmt: str = ".0%"
) -> alt.LayerChart:
    """Horizontal bars (e.g. day-case rate per procedure), each with its own target as a tick.

    Each bar is coloured *and* labelled ✓ or ✗ against its own target (a row whose status is
    neither, e.g. small numbers, is grey); the tick's value is in the tooltip.
    """
    data = frame[frame[value].notna()]
    meets = data[value] >= data[target]
    small = data.get("meets_target", pd.Series("", index=data.index)) == "small numbers"
    data = data.assign(
        status=meets.map({True: MEETS, False: MISSES}).where(~small, "small numbers"),
        text=[
            f"{'' if s else ('✓ ' if m else '✗ ')}{v:{fmt}}"
            for m, s, v in zip(meets, small, data[value], strict=True)
        ],
        # The label starts after the bar or the tick, whichever ends later, so neither hides it.
        text_at=data[[value, target]].max(axis=1),
    )
    order = data.sort_values(value)[category].tolist()
    y = alt.Y(f"{category}:N", sort=order, title=None, axis=alt.Axis(labelLimit=260))
    # Only the statuses present: a legend entry with nothing behind it is clipped, not read.
    domain = [d for d in (MEETS, MISSES, "small numbers") if d in set(data["status"])]
    colours = dict(zip((MEETS, MISSES, "small numbers"), (NHS_BLUE, NHS_ORANGE, NHS_GREY),
                       strict=True))  # fmt: skip
    bars = (
        alt.Chart(data)
        .mark_bar()
        .encode(
            y=y,
            x=alt.X(f"{value}:Q", title=label,
                    axis=alt.Axis(format=".0%", values=[0, 0.25, 0.5, 0.75, 1]),
                    scale=alt.Scale(domain=[0, 1.2])),  # room for the label after a bar
            color=alt.Color(
                "status:N", title=None,
                scale=alt.Scale(domain=domain, range=[colours[d] for d in domain]),
                legend=alt.Legend(orient="bottom", labelLimit=0),
            ),
            tooltip=[
                alt.Tooltip(f"{category}:N"),
                alt.Tooltip(f"{value}:Q", format=fmt, title=label),
                alt.Tooltip(f"{target}:Q", format=fmt, title="Target"),
            ],
        )
    )  # fmt: skip
    ticks = (
        alt.Chart(data)
        .mark_tick(color=TEXT, thickness=3, size=22)
        .encode(y=y, x=alt.X(f"{target}:Q"), tooltip=[alt.Tooltip(f"{target}:Q", format=fmt)])
    )
    text = (
        alt.Chart(data)
        .mark_text(align="left", dx=6, color=TEXT)
        .encode(y=y, x=alt.X("text_at:Q"), text=alt.Text("text:N"))
    )
    return layer_chart(layer=[bars, ticks, text], height=max(120, 30 * len(data)))
