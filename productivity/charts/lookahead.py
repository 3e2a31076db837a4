"""The 6-4-2 look-ahead: each booked list's expected utilisation against the benchmark."""

from __future__ import annotations

import altair as alt
import pandas as pd

from productivity.charts.theme import NHS_BLUE, NHS_ORANGE, TEXT, benchmark_rule, layer_chart

__all__ = ["LOOKAHEAD_STATUS", "lookahead_chart"]

# Flag -> (legend text, colour, shape): colour is never the only cue.
LOOKAHEAD_STATUS: dict[bool, tuple[str, str, str]] = {
    True: ("⚑ below the benchmark", NHS_ORANGE, "triangle-down"),
    False: ("✓ at or above", NHS_BLUE, "circle"),
}


def lookahead_chart(lists: pd.DataFrame, target: float, *, as_of: str) -> alt.LayerChart:
    """One point per list: its date and expected utilisation, flagged lists marked by colour
    *and* shape; the benchmark line, and the 2-, 4- and 6-week boundaries from ``as_of``."""
    # Only the fields the chart encodes: the lists carry some 30 columns, which the page would
    # otherwise serialise into the chart on every rerun.
    data = pd.DataFrame(
        {
            "session_date": pd.to_datetime(lists["session_date"]).dt.strftime("%Y-%m-%d"),
            "expected_utilisation": lists["expected_utilisation"],
            "status": lists["flagged"].map({k: v[0] for k, v in LOOKAHEAD_STATUS.items()}),
            "list": lists["site"] + " " + lists["theatre"] + " " + lists["session"],
            "specialty": lists["specialty"],
            "unfilled_minutes": lists["unfilled_minutes"],
            "weeks_out": lists["weeks_out"],
        }
    )
    domain = [v[0] for v in LOOKAHEAD_STATUS.values()]
    points = (
        alt.Chart(data)
        .mark_point(filled=True, size=60, opacity=0.8)
        .encode(
            x=alt.X("session_date:T", title=None, axis=alt.Axis(format="%-d %b")),
            y=alt.Y(
                "expected_utilisation:Q",
                title="Expected utilisation",
                axis=alt.Axis(format=".0%"),
                scale=alt.Scale(domain=[0, 1]),
            ),
            color=alt.Color(
                "status:N",
                title=None,
                scale=alt.Scale(domain=domain, range=[v[1] for v in LOOKAHEAD_STATUS.values()]),
                legend=alt.Legend(orient="top", labelLimit=0),
            ),
            shape=alt.Shape(
                "status:N",
                scale=alt.Scale(domain=domain, range=[v[2] for v in LOOKAHEAD_STATUS.values()]),
            ),
            tooltip=[
                alt.Tooltip("session_date:T", title="Date"),
                alt.Tooltip("list:N", title="List"),
                alt.Tooltip("specialty:N"),
                alt.Tooltip("expected_utilisation:Q", format=".0%", title="Expected"),
                alt.Tooltip("unfilled_minutes:Q", format=",.0f", title="Unfilled min"),
                alt.Tooltip("weeks_out:Q", title="Weeks out"),
            ],
        )
    )
    start = pd.Timestamp(as_of)
    bounds = pd.DataFrame(
        {
            "date": [(start + pd.Timedelta(days=d)).strftime("%Y-%m-%d") for d in (15, 29)],
            "label": ["4 weeks out ›", "6 weeks out ›"],
        }
    )
    rules = alt.Chart(bounds).mark_rule(color=TEXT, strokeDash=[2, 3]).encode(x=alt.X("date:T"))
    labels = (  # at the foot of the chart, clear of the lists near 100%
        alt.Chart(bounds)
        .mark_text(align="left", dx=3, dy=-6, y="height", color=TEXT)
        .encode(x=alt.X("date:T"), text=alt.Text("label:N"))
    )
    rule = benchmark_rule(target, f"benchmark {target:.0%}", in_legend=True)  # clear of points
    return layer_chart(layer=[points, rules, labels, rule], height=320)
