"""Diagnostics for programme leads: each modality against its benchmark, SPC, and DM01 waits."""

import streamlit as st

from productivity import charts, ui
from productivity.store import marts
from productivity.ui import basis as ui_basis, dm01_section as ui_dm01
from productivity.views import diagnostics as dv, diagnostics_text as dt

view = ui.frame("Diagnostics", filters=("trust", "period", "modality"))
where = f"at {ui.plain(view.trust)}" if view.trust else "across the system"
slug = f"diagnostics-{view.modality.lower()}"


@st.cache_data(ttl=ui.CACHE_TTL, show_spinner=False)
def system_figures(modality: str, start: str | None, end: str | None, basis: str):
    period = marts.Period(start, end)
    return dv.system_figures(ui.engine(), modality, period, ui.benchmarks(), basis)


@st.cache_data(ttl=ui.CACHE_TTL, show_spinner=False)
def modality_view(modality: str, trust: str | None, start: str | None, end: str | None, basis: str):
    period, system = marts.Period(start, end), system_figures(modality, start, end, basis)
    return dv.modality_view(ui.engine(), modality, period, trust, ui.benchmarks(), basis, system)


basis = ui_basis.benchmark_basis()
data = modality_view(view.modality, view.trust, view.period.start, view.period.end, basis)
spec, bench = data.spec, ui.benchmarks()
said = dt.basis_words(spec, basis)
own = dt.own_rate_args(spec, basis)
st.caption(dt.benchmark_caption(spec, basis))
if ui.section(
    f"{view.modality}: each trust against the benchmark",
    data.rates,
    f"No {view.modality} activity in the chosen period. Widen the period.",
):
    chart = charts.metric_vs_benchmark(
        data.rates, "trust", **spec.bar_args(), benchmark_label="national", **own
    )
    table = dt.rate_table(data.rates, spec, ["trust"], basis)
    ranks = f"{said} {dt.ranking_words(spec, basis)}"
    ui.chart_with_table(chart, table, f"{slug}-trusts", raw=data.rates, caption=ranks)
    if data.ai_scenario:
        st.info(dt.ai_note(data.ai_scenario, where), icon=":material/lightbulb:")

empty = f"No {view.modality} activity {where} in the chosen period."
if ui.section(f"Distribution per {spec.unit} {where}", data.units, empty):
    chart = charts.distribution(
        data.units, spec.column, spec.label, spec.benchmark, fmt=spec.fmt,
        benchmark_label="national", **own,
    )  # fmt: skip
    table = dt.rate_table(data.units, spec, spec.modality.unit_keys, basis)
    ui.chart_with_table(chart, table, f"{slug}-{spec.unit}s", raw=data.units, caption=said)

line = dt.line_words(spec, basis, data.line, view.trust or "the system")
if ui.section("Monthly trend, with the benchmark", data.trend, empty):
    chart = charts.trend(
        data.trend, "month", spec.column, spec.label, benchmark=data.line, colour="series",
        fmt=spec.fmt,
    )  # fmt: skip
    table = dt.trend_table(data.trend, spec)
    ui.chart_with_table(chart, table, f"{slug}-trend", raw=data.trend, caption=line)

empty_spc = f"No whole week of {view.modality} activity {where} in the chosen period."
points = data.spc.points if data.spc else None
if ui.section(f"Weekly {spec.label} {where}: SPC", points, empty_spc) and data.spc:
    chart = charts.spc_chart(data.spc, label=spec.label, fmt=spec.fmt, rebases=data.rebases)
    table, caption = dt.spc_table(data.spc, spec), f"{dt.spc_caption(data.spc)} {line}"
    ui.chart_with_table(chart, table, f"{slug}-spc", raw=points, caption=caption, below=True)

st.divider()
ui_dm01.dm01_section(view, where)

st.subheader("Weeks to clear the 6-week backlog at benchmark productivity")
st.caption(dt.backlog_caption(spec, basis))
if data.backlog.empty:
    ui.empty_state("No DM01 waits and activity to set against each other in the chosen period.")
else:
    ui.show_table(dt.backlog_table(data.backlog, bench), f"{slug}-backlog", raw=data.backlog)

ui.what_if_section(view, basis)
