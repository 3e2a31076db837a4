"""Altair charts with one NHS theme. Charts draw results; they never compute a metric.

Every chart takes a tidy DataFrame already computed by ``metrics``/``marts``/``spc``/``funnel``
and returns an ``alt.Chart``. Benchmark lines are drawn on the chart; colour is always paired with
a text or shape cue, for accessibility.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from productivity.metrics import deprivation as dep, waits

NHS_BLUE = "#005EB8"
TEXT = "#212B32"
BACKGROUND = "#F0F4F5"
NHS_DARK_BLUE = "#003087"
NHS_GREEN = "#009639"
NHS_RED = "#DA291C"
NHS_ORANGE = "#ED8B00"
NHS_GREY = "#768692"
NHS_PURPLE = "#330072"
BENCHMARK = NHS_RED


def nhs_theme() -> dict[str, object]:
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


def benchmark_rule(value: float, label: str, axis: str = "y") -> alt.LayerChart:
    """A dashed benchmark line with its label."""
    frame = pd.DataFrame({"value": [value], "label": [label]})
    base = alt.Chart(frame)
    if axis == "y":
        rule = base.mark_rule(color=BENCHMARK, strokeDash=[6, 4], size=2).encode(y="value:Q")
        text = base.mark_text(color=BENCHMARK, align="left", dx=4, dy=-6).encode(
            y="value:Q", x=alt.value(0), text="label:N"
        )
    else:
        rule = base.mark_rule(color=BENCHMARK, strokeDash=[6, 4], size=2).encode(x="value:Q")
        text = base.mark_text(color=BENCHMARK, align="left", dx=4, dy=-6, angle=0).encode(
            x="value:Q", y=alt.value(0), text="label:N"
        )
    return rule + text


def ranking_bars(
    frame: pd.DataFrame, value: str, label: str, *, fmt: str = ",.0f"
) -> alt.LayerChart:
    """Trusts ranked by an opportunity value; each bar carries its ``label`` text (the gap)."""
    order = frame.sort_values(value, ascending=False)["trust_code"].tolist()
    data = frame.assign(label=frame["label"]) if "label" in frame else frame.assign(label="")
    base = alt.Chart(data).encode(
        y=alt.Y("trust_code:N", sort=order, title=None, axis=alt.Axis(labelOverlap=False)),
        x=alt.X(f"{value}:Q", title=label, axis=alt.Axis(format=fmt)),
        tooltip=[
            alt.Tooltip("trust_code:N", title="Trust"),
            alt.Tooltip(f"{value}:Q", title=label, format=fmt),
            alt.Tooltip("label:N", title="Gap"),
        ],
    )
    bars = base.mark_bar(color=NHS_BLUE)
    text = base.mark_text(align="left", dx=3, color=TEXT).encode(text="label:N")
    return (bars + text).properties(height=max(160, 28 * len(frame)))


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
) -> alt.LayerChart:
    """Bars per unit coloured and labelled by whether they meet the benchmark, with the line."""
    meets = frame[value] >= benchmark if higher_is_better else frame[value] <= benchmark
    data = frame.assign(status=meets.map({True: "✓ meets", False: "✗ below"}))
    base = alt.Chart(data).encode(
        x=alt.X(f"{category}:N", sort="-y" if higher_is_better else "y", title=None),
        y=alt.Y(f"{value}:Q", title=label),
        tooltip=[category, alt.Tooltip(f"{value}:Q", format=fmt), "status"],
    )
    bars = base.mark_bar().encode(
        color=alt.Color(
            "status:N",
            scale=alt.Scale(domain=["✓ meets", "✗ below"], range=[NHS_BLUE, NHS_ORANGE]),
            legend=alt.Legend(title="Against benchmark", orient="top"),
        ),
    )
    text = base.mark_text(dy=-6, color=TEXT).encode(text=alt.Text(f"{value}:Q", format=fmt))
    return bars + text + benchmark_rule(benchmark, f"{benchmark_label} {benchmark:{fmt}}")


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
    """A line over time with points, an optional series colour and the benchmark line."""
    encoding = {
        "x": alt.X(f"{x}:T", title=None),
        "y": alt.Y(f"{value}:Q", title=label, axis=alt.Axis(format=fmt)),
        "tooltip": [alt.Tooltip(f"{x}:T"), alt.Tooltip(f"{value}:Q", format=fmt)],
    }
    if colour:
        encoding["color"] = alt.Color(f"{colour}:N", title=None)
        encoding["tooltip"].append(colour)
    line = alt.Chart(frame).mark_line(point=True).encode(**encoding)
    if benchmark is None:
        return line
    return line + benchmark_rule(benchmark, f"benchmark {benchmark:{fmt}}")


def waterfall(steps: pd.DataFrame) -> alt.LayerChart:
    """Lost-time waterfall: ``steps`` has step, minutes, kind (total|loss) in order."""
    data = steps.copy()
    data["order"] = range(len(data))
    end = data["minutes"].where(data["kind"] == "total").ffill()
    losses = data["minutes"].where(data["kind"] == "loss", 0).cumsum()
    data["top"] = (end - losses + data["minutes"].where(data["kind"] == "loss", 0)).where(
        data["kind"] == "loss", data["minutes"]
    )
    data["bottom"] = (data["top"] - data["minutes"]).where(data["kind"] == "loss", 0)
    data["label"] = data["minutes"].map(lambda m: f"{m:,.0f}")
    base = alt.Chart(data).encode(x=alt.X("step:N", sort=list(data["step"]), title=None))
    bars = base.mark_bar().encode(
        y=alt.Y("bottom:Q", title="minutes"),
        y2="top:Q",
        color=alt.Color(
            "kind:N",
            scale=alt.Scale(
                domain=["total", "loss", "beside"], range=[NHS_BLUE, NHS_ORANGE, NHS_GREY]
            ),
            legend=None,
        ),
        tooltip=["step", alt.Tooltip("minutes:Q", format=",.0f")],
    )
    text = base.mark_text(dy=-6, color=TEXT).encode(y="top:Q", text="label:N")
    return bars + text


def heatmap(
    frame: pd.DataFrame, x: str, y: str, value: str, label: str, fmt: str = ".0%"
) -> alt.LayerChart:
    base = alt.Chart(frame).encode(
        x=alt.X(
            f"{x}:N",
            title=None,
            sort=["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"],
        ),
        y=alt.Y(f"{y}:N", title=None, sort=["AM", "PM", "ALL", "EVE"]),
    )
    rects = base.mark_rect().encode(
        color=alt.Color(f"{value}:Q", title=label, scale=alt.Scale(scheme="blues")),
        tooltip=[x, y, alt.Tooltip(f"{value}:Q", format=fmt)],
    )
    text = base.mark_text(color=TEXT).encode(text=alt.Text(f"{value}:Q", format=fmt))
    return rects + text


def bands(frame: pd.DataFrame, category: str, value: str, colour: str) -> alt.Chart:
    return (
        alt.Chart(frame)
        .mark_bar()
        .encode(
            x=alt.X(f"{category}:N", title=None, sort=None),
            y=alt.Y(f"{value}:Q", title="share of lists", axis=alt.Axis(format=".0%")),
            xOffset=f"{colour}:N",
            color=alt.Color(f"{colour}:N", title=None),
            tooltip=[category, colour, alt.Tooltip(f"{value}:Q", format=".1%")],
        )
    )


def distribution(frame: pd.DataFrame, value: str, label: str, benchmark: float) -> alt.LayerChart:
    """A strip of units (e.g. scanners) per trust, with the benchmark line."""
    points = (
        alt.Chart(frame)
        .mark_circle(size=70, opacity=0.75)
        .encode(
            x=alt.X("trust_code:N", title=None),
            y=alt.Y(f"{value}:Q", title=label),
            tooltip=list(frame.columns),
        )
    )
    return points + benchmark_rule(benchmark, f"benchmark {benchmark:g}")


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
    points: pd.DataFrame,
    *,
    variation: str,
    assurance: str | None,
    label: str,
    fmt: str = ".1%",
    rebases: pd.DataFrame | None = None,
) -> alt.LayerChart:
    """An XmR chart from ``spc.xmr(...).points``: mean, limits, typed points, target, rebases.

    Special-cause points are marked by shape *and* colour and named in the legend; the title
    carries the variation and assurance icons as text.
    """
    data = points.copy()
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
    mean = base.mark_line(color=TEXT, strokeWidth=1.5).encode(x=x, y="mean:Q", detail="period:N")
    upper = base.mark_line(color=NHS_DARK_BLUE, strokeDash=[4, 3]).encode(
        x=x, y="upper_limit:Q", detail="period:N"
    )
    lower = base.mark_line(color=NHS_DARK_BLUE, strokeDash=[4, 3]).encode(
        x=x, y="lower_limit:Q", detail="period:N"
    )
    dots = base.mark_point(filled=True, size=80, opacity=1).encode(
        x=x,
        y="value:Q",
        color=alt.Color(
            "type:N",
            title=None,
            scale=alt.Scale(domain=domain, range=[s[1] for s in SPC_STYLES.values()]),
            legend=alt.Legend(orient="bottom", columns=3),
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
            "type:N",
            "rule:N",
            "limits:N",
        ],
    )
    layers: list[alt.Chart | alt.LayerChart] = [line, mean, upper, lower, dots]
    target = data["target"].dropna()
    if not target.empty:
        layers.append(benchmark_rule(float(target.iloc[0]), f"target {target.iloc[0]:{fmt}}"))
    if rebases is not None and not rebases.empty:
        marks = alt.Chart(rebases).encode(x="date:T")
        layers.append(marks.mark_rule(color=NHS_PURPLE, strokeDash=[2, 2], size=2))
        layers.append(
            marks.mark_text(color=NHS_PURPLE, align="left", dx=3, dy=8, y=0).encode(
                text="label:N", tooltip=["date:T", "reason:N"]
            )
        )
    title = f"{VARIATION_TEXT.get(variation, variation)} · {ASSURANCE_TEXT.get(assurance)}"
    return alt.layer(*layers).properties(title=title, height=320)


FUNNEL_FLAG_TEXT = {
    "above_998": "▲▲ above 99.8% (outlier)",
    "above_95": "▲ above 95%",
    "within": "● within limits",
    "below_95": "▼ below 95%",
    "below_998": "▼▼ below 99.8% (outlier)",
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
) -> alt.LayerChart:
    """A funnel plot: units' proportions against volume, with 95% and 99.8% limits."""
    long = curve.melt("denominator", var_name="limit", value_name="proportion")
    long["level"] = long["limit"].map(lambda c: "99.8%" if c.endswith("998") else "95%")
    long["side"] = long["limit"].str.split("_").str[0]
    lines = (
        alt.Chart(long)
        .mark_line()
        .encode(
            x=alt.X("denominator:Q", title=volume_label, scale=alt.Scale(type="log")),
            y=alt.Y(
                "proportion:Q", title=label, axis=alt.Axis(format=fmt), scale=alt.Scale(zero=False)
            ),
            strokeDash=alt.StrokeDash(
                "level:N",
                title="Control limits",
                scale=alt.Scale(domain=["95%", "99.8%"], range=[[5, 3], [1, 0]]),
            ),
            detail="limit:N",
            color=alt.value(NHS_DARK_BLUE),
        )
    )
    data = units.assign(flag_text=units["flag"].map(FUNNEL_FLAG_TEXT))
    dots = (
        alt.Chart(data)
        .mark_point(filled=True, size=90)
        .encode(
            x="denominator:Q",
            y="proportion:Q",
            color=alt.Color(
                "flag_text:N",
                title=None,
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
                f"{unit}:N",
                alt.Tooltip("proportion:Q", format=".1%"),
                alt.Tooltip("denominator:Q", format=",.0f"),
                "flag_text:N",
            ],
        )
    )
    names = (
        alt.Chart(data)
        .mark_text(align="left", dx=7, color=TEXT)
        .encode(x="denominator:Q", y="proportion:Q", text=f"{unit}:N")
    )
    centre = benchmark_rule(target, f"centre {target:{fmt}}")
    return (lines + dots + names + centre).properties(height=340)


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
        y=alt.Y(f"{value}:Q", title=label),
        tooltip=[category, colour, alt.Tooltip(f"{value}:Q", format=fmt)],
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
    return bars + text


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
    base = alt.Chart(data).encode(
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
            "quintile:N",
            alt.Tooltip("within_6_weeks:Q", format=".1%"),
            alt.Tooltip("total_waiting:Q", format=","),
            "status:N",
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
    return (bars + text + benchmark_rule(target, label)).properties(height=300)


def band_lines(bands: pd.DataFrame) -> alt.Chart:
    """The share of each quintile's list in each waiting-time band: one line per quintile.

    Quintiles differ by colour *and* dash pattern, and the legend names them.
    """
    order = list(QUINTILE_LABELS.values())
    dashes = [[1, 0], [6, 2], [2, 2], [8, 3, 2, 3], [1, 3]]
    return (
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
            ),
            tooltip=[
                "quintile:N",
                "band_label:O",
                alt.Tooltip("share:Q", format=".1%"),
                alt.Tooltip("patients:Q", format=","),
            ],
        )
        .properties(height=300)
    )


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
    base = alt.Chart(data).encode(y=y)
    whiskers = base.mark_rule(color=NHS_DARK_BLUE, size=2).encode(
        x=alt.X("ratio_lower:Q", title=title, scale=log), x2="ratio_upper:Q"
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
            "trust:N",
            "ratio_text:N",
            "evidence_text:N",
            alt.Tooltip("gap:Q", format="+.1%", title="gap (Q1 − Q5)"),
        ],
    )
    labels = base.mark_text(align="left", dx=5, color=TEXT, fontSize=10).encode(
        x="ratio_upper:Q", text="ratio_text:N"
    )
    parity = benchmark_rule(dep.NO_GAP, "1 = no gap", axis="x")
    return (whiskers + points + labels + parity).properties(height=max(180, 30 * len(data)))
