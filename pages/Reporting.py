"""Reporting and pathology turnaround: each trust against the RCR, NHS England and RCPath targets.

Its own page rather than a section of Diagnostics: Diagnostics is filtered by modality and asks
"how productive is the scanner", while turnaround asks "how long until the result", covers
pathology (which has no modality) and is read by reporting and lab managers, not scanning leads.
"""

import pandas as pd
import streamlit as st

from productivity import charts, ui
from productivity.metrics.turnaround import MEASURE_FILTERS
from productivity.store import marts
from productivity.store.turnaround import DRILL_KEYS
from productivity.views import reporting as rv

view = ui.frame("Reporting and pathology", filters=("trust", "period"))
bench, names = ui.benchmarks(), ui.store_facts().trust_names
where = f"at {view.trust}" if view.trust else "across the system"


@st.cache_data(ttl=ui.CACHE_TTL, show_spinner=False)
def load_trusts(kind: str, start: str | None, end: str | None) -> pd.DataFrame:
    """Every trust against the kind's targets: the same whichever trust or target is chosen."""
    return rv.kind_trust_shares(ui.engine(), marts.Period(start, end), kind, ui.benchmarks())


@st.cache_data(ttl=ui.CACHE_TTL, show_spinner=False)
def load(measure: str, trust: str | None, start: str | None, end: str | None, by: str | None):
    period, trusts = marts.Period(start, end), load_trusts(rv.measure_kind(measure), start, end)
    return rv.reporting_view(ui.engine(), period, measure, trust, ui.benchmarks(), by, trusts)


@st.cache_data(ttl=ui.CACHE_TTL, show_spinner=False)
def load_drill(
    measure: str, trust: str | None, start: str | None, end: str | None, by: str | None
) -> tuple[pd.DataFrame, str]:
    return rv.drill_view(ui.engine(), marts.Period(start, end), measure, trust, by)


controls = st.columns(2)
measure = controls[0].selectbox(
    "Turnaround target", list(MEASURE_FILTERS), key="measure", bind="query-params",
    format_func=lambda m: bench[m].label,
)  # fmt: skip
kind = rv.measure_kind(measure)
data = load(measure, view.trust, view.period.start, view.period.end, None)
target, label = bench[measure], bench[measure].label.split(":")[0]
slug = f"turnaround-{measure.replace('_', '-')}"
st.caption(rv.caption(measure, bench))

empty = f"No {kind} events in the chosen period. Widen the period."
if ui.section(f"Every trust against the {kind} targets", data.trusts, empty):
    st.caption("✓ meets the target · ✗ short of it · – nothing decided yet.")
    table = rv.benchmark_table(data.trusts, bench, names)
    ui.show_table(table, f"turnaround-{kind}-trusts", raw=data.trusts)
    chosen = data.trusts[data.trusts["measure"] == measure]
    chart = charts.metric_vs_benchmark(
        chosen, "trust_code", "share_within_target", "Share within target", target.value,
        fmt=".1%", benchmark_label="target",
    )  # fmt: skip
    ui.chart_with_table(chart, rv.measure_table(data.trusts, measure, names), f"{slug}-trusts")

empty_spc = f"Fewer than {rv.MIN_SPC_MONTHS} months with decided events {where}."
points = data.spc.points if data.spc else None
if ui.section(f"{label} {where}: monthly share within target, SPC", points, empty_spc):
    assert data.spc is not None
    chart = charts.spc_chart(data.spc, label="Share within target", fmt=".1%")
    caption = charts.VARIATION_TEXT.get(data.spc.variation, data.spc.variation)
    ui.chart_with_table(
        chart, rv.spc_table(data.spc), f"{slug}-spc", raw=data.monthly, caption=caption,
        below=True, like=rv.SPC_FORMATS,
    )  # fmt: skip

empty = f"Nothing reported for this target {where} in the chosen period."
if ui.section(f"Turnaround distribution {where}", data.days, empty):
    shown = rv.days_bars(data.days, int(target.extra.get("days", 0)))
    chart = charts.ordered_bars(shown, "turnaround", "events", "reported events", colour="against")
    st.caption(
        f"Reported events by whole {target.extra.get('day_kind', 'calendar')} days; the last "
        "bar (and row) holds every event from its number of days on."
    )
    ui.chart_with_table(chart, rv.days_table(shown), f"{slug}-days", raw=data.days)

empty = f"No {kind} event is waiting for a report {where}."
total = rv.backlog_total(data.backlog)
if ui.section(f"Unreported backlog by age {where}, now", total, empty):
    st.caption(
        "Events not yet reported at each trust's latest timestamp (its as-at moment), by "
        "calendar days since the test (receipt). The backlog is a snapshot, so the period "
        "filter does not apply."
    )
    chart = charts.ordered_bars(total, "age_band", "unreported", "unreported", colour="age_band")
    wide = rv.backlog_wide(data.backlog, names)
    ui.chart_with_table(
        chart, wide, f"turnaround-{kind}-backlog", raw=data.backlog, like=rv.BACKLOG_FORMATS
    )


@st.fragment
def drill_section(measure: str, trust: str | None, start: str | None, end: str | None) -> None:
    """The drill-down key changes only this section: a fragment reruns it alone."""
    kind, target = rv.measure_kind(measure), bench[measure]
    label = target.label.split(":")[0]
    by = st.selectbox(
        "Drill down by", list(DRILL_KEYS[kind]), index=len(DRILL_KEYS[kind]) - 1,
        key=f"{kind}_by", bind="query-params", format_func=rv.DRILL_HEADINGS.get,
    )  # fmt: skip
    drill, drill_by = load_drill(measure, trust, start, end, by)
    heading = rv.DRILL_HEADINGS[drill_by]
    empty = f"No events for this target {where} in the chosen period."
    if ui.section(f"{label} {where} by {heading.lower()}", drill, empty):
        chart = charts.metric_vs_benchmark(
            drill, "group", "share_within_target", "Share within target", target.value,
            fmt=".1%", benchmark_label="target",
        )  # fmt: skip
        table = drill.rename(columns={"group": heading})
        slug = f"turnaround-{measure.replace('_', '-')}"
        ui.chart_with_table(chart, table, f"{slug}-by-{drill_by.replace('_', '-')}")


drill_section(measure, view.trust, view.period.start, view.period.end)
