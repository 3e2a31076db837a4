"""Diagnostics for programme leads: each modality against its benchmark, SPC, and DM01 waits."""

import streamlit as st

from productivity import charts, schema, ui
from productivity.benchmarks import BENCHMARK_BASES
from productivity.store import marts
from productivity.views import diagnostics as dv, diagnostics_text as dt, dm01

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


@st.cache_data(ttl=ui.CACHE_TTL, show_spinner=False)
def waits_view(test: str, trust: str | None, start: str | None, end: str | None):
    return dm01.waits_view(ui.engine(), marts.Period(start, end), test, trust, ui.benchmarks())


# The basis is bound to the URL by its label (?benchmark=national+rates), and a link may name
# it as the CLI does (?benchmark=national); the peer basis first, as the page's default.
labels = {BENCHMARK_BASES[b]: b for b in (dv.PEER, dv.NATIONAL)}
asked = st.query_params.get("benchmark")
if asked in BENCHMARK_BASES and "benchmark" not in st.session_state:
    st.session_state["benchmark"] = BENCHMARK_BASES[asked]
elif asked is not None and asked not in labels and asked not in BENCHMARK_BASES:
    st.warning(f"The link asks for benchmark {ui.plain(asked)}: showing {list(labels)[0]}.")
choice = st.radio("Benchmark", list(labels), key="benchmark", bind="query-params", horizontal=True)
basis = labels[choice]
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
tests = list(schema.DM01_TESTS)
asked = st.query_params.get("dm01_test")
if asked is not None and asked not in tests:
    st.warning(f"The link asks for DM01 test {ui.plain(asked)}, which is not a DM01 test.")
# Bound to the URL by code (?dm01_test=MRI), its name in a caption as ui.choose does; a new
# modality chooses its own test again.
default = tests.index(dv.default_test(view.modality))
if st.session_state.get("dm01_modality", view.modality) != view.modality:
    st.session_state["dm01_test"] = tests[default]
st.session_state["dm01_modality"] = view.modality
test = st.selectbox("DM01 test", tests, index=default, key="dm01_test", bind="query-params")
st.caption(schema.DM01_TESTS[test])
waits = waits_view(test, view.trust, view.period.start, view.period.end)
within, constitutional = bench["dm01_within_6_weeks"], bench.constitutional_within_6_weeks()
title = f"DM01 waits: {schema.DM01_TESTS[test]}, {waits.month or 'no return'}"
if ui.section(title, waits.per_trust, "No DM01 return for this test in the chosen period."):
    st.caption(
        f"Dashed lines: the interim ambition {within.value:.0%} and the constitutional standard "
        f"{constitutional.value:.0%}. ✓/✗ in the chart are against the interim one. DM01 "
        "standards are national for every trust: the benchmark basis applies to scan rates."
    )
    chart = charts.metric_vs_benchmark(
        waits.per_trust, "trust", "within_6_weeks", "% waiting under 6 weeks", within.value,
        fmt=waits.label_format(bench), benchmark_label="interim ambition",
        also={f"constitutional standard {constitutional.value:.0%}": constitutional.value},
    )  # fmt: skip
    table = dm01.dm01_table(waits.per_trust, bench)
    ui.chart_with_table(chart, table, f"dm01-{test.lower()}", raw=waits.per_trust)

empty = f"No monthly DM01 return for this test {where} in the chosen period."
if ui.section(f"DM01 trend by month {where}", waits.trend, empty):
    nobody = bench.value("dm01_13_plus_weeks")
    for column, label, target, fmt in (
        ("within_6_weeks", "% under 6 weeks at each month end", within.value, ".1%"),
        ("waiting_13_plus", "Waiting 13+ weeks at each month end", nobody, ",.0f"),
    ):
        chart = charts.trend(
            waits.trend, "month", column, label, benchmark=target, colour="trust", fmt=fmt
        )
        table = dm01.trend_table(waits.trend, column)
        ui.chart_with_table(chart, table, f"dm01-{test.lower()}-{column}", raw=waits.trend)

empty = f"Nobody is recorded as waiting for this test {where} in the chosen period."
if ui.section(f"Waiting-time distribution {where}", waits.bands, empty):
    chart = charts.ordered_bars(waits.bands, "band_label", "patients", "patients", colour="wait")
    table = dm01.band_table(waits.bands)
    ui.chart_with_table(chart, table, f"dm01-{test.lower()}-bands", raw=waits.bands)
if not waits.all_tests.empty:
    with st.expander(f"Every DM01 test {where}"):
        table = dm01.dm01_table(waits.all_tests, bench)
        ui.show_table(table, "dm01-all-tests", raw=waits.all_tests)

st.subheader("Weeks to clear the 6-week backlog at benchmark productivity")
st.caption(dt.backlog_caption(spec, basis))
if data.backlog.empty:
    ui.empty_state("No DM01 waits and activity to set against each other in the chosen period.")
else:
    ui.show_table(dt.backlog_table(data.backlog, bench), f"{slug}-backlog", raw=data.backlog)

ui.what_if_section(view)
