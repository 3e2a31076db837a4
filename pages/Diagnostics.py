"""Diagnostics for programme leads: each modality against its benchmark, SPC, and DM01 waits."""

import streamlit as st

from productivity import charts, diagnostics_view as dv, marts, schema, ui

view = ui.frame("Diagnostics", filters=("trust", "period", "modality"))
where = f"at {view.trust}" if view.trust else "across the system"
slug = f"diagnostics-{view.modality.lower()}"


@st.cache_data(ttl=ui.CACHE_TTL, show_spinner=False)
def modality_view(modality: str, trust: str | None, start: str | None, end: str | None):
    period = marts.Period(start, end)
    return dv.modality_view(ui.engine(), modality, period, trust, ui.benchmarks())


@st.cache_data(ttl=ui.CACHE_TTL, show_spinner=False)
def waits_view(test: str, trust: str | None, start: str | None, end: str | None):
    return dv.waits_view(ui.engine(), marts.Period(start, end), test, trust, ui.benchmarks())


def heading(title: str, frame, empty: str) -> bool:
    """A section heading; False (after saying why, plainly) when there is nothing to draw."""
    st.subheader(title)
    if frame is None or frame.empty:
        ui.empty_state(empty)
        return False
    return True


def beside(chart, table, raw, name: str) -> None:
    """A chart with its table and CSV download beside it."""
    left, right = st.columns([3, 2])
    left.altair_chart(chart, width="stretch")
    right.dataframe(table, hide_index=True, width="stretch")
    with right:
        ui.download(raw, name)


data = modality_view(view.modality, view.trust, view.period.start, view.period.end)
spec, bench = data.spec, ui.benchmarks()
st.caption(dv.benchmark_caption(spec, bench))
if heading(
    f"{view.modality}: each trust against the benchmark",
    data.rates,
    f"No {view.modality} activity in the chosen period. Widen the period.",
):
    chart = charts.metric_vs_benchmark(data.rates, "trust", **spec.bar_args())
    beside(chart, dv.rate_table(data.rates, spec, ["trust"]), data.rates, f"{slug}-trusts")
    if data.ai_scenario:
        st.info(dv.ai_note(data.ai_scenario, where), icon=":material/lightbulb:")

empty = f"No {view.modality} activity {where} in the chosen period."
if heading(f"Distribution per {spec.unit} {where}", data.units, empty):
    chart = charts.distribution(data.units, spec.column, spec.label, spec.benchmark)
    table = dv.rate_table(data.units, spec, spec.unit_keys)
    beside(chart, table, data.units, f"{slug}-{spec.unit}s")

if heading("Monthly trend, with the benchmark", data.trend, empty):
    chart = charts.trend(
        data.trend, "month", spec.column, spec.label, benchmark=spec.benchmark, colour="series",
        fmt=spec.fmt,
    )  # fmt: skip
    beside(chart, dv.trend_table(data.trend, spec), data.trend, f"{slug}-trend")

points = data.spc.points if data.spc else None
empty_spc = f"No whole week of {view.modality} activity {where} in the chosen period."
if heading(f"Weekly {spec.label} {where}: SPC", points, empty_spc):
    st.caption(dv.spc_caption(data.spc))
    chart = charts.spc_chart(
        points, variation=data.spc.variation, assurance=data.spc.assurance, label=spec.label,
        fmt=spec.fmt, rebases=data.rebases,
    )  # fmt: skip
    beside(chart, dv.spc_table(data.spc, spec), points, f"{slug}-spc")

st.divider()
tests = list(schema.DM01_TESTS)
test = st.selectbox(
    "DM01 test",
    tests,
    index=tests.index(dv.default_test(view.modality)),
    key=f"dm01-test-{view.modality}",
    format_func=schema.DM01_TESTS.get,
)
waits = waits_view(test, view.trust, view.period.start, view.period.end)
within = bench["dm01_within_6_weeks"]
constitutional = float(within.extra.get("constitutional", within.value))
title = f"DM01 waits: {schema.DM01_TESTS[test]}, {waits.month or 'no return'}"
if heading(title, waits.per_trust, "No DM01 return for this test in the chosen period."):
    st.caption(
        f"Dashed lines: the interim ambition {within.value:.0%} (lower) and the constitutional "
        f"standard {constitutional:.0%} (upper). ✓/✗ in the chart are against the interim one."
    )
    chart = charts.metric_vs_benchmark(
        waits.per_trust, "trust", "within_6_weeks", "% waiting under 6 weeks", within.value,
        fmt=".0%", benchmark_label="interim",
    ) + charts.benchmark_rule(constitutional, "")  # fmt: skip
    table = dv.dm01_table(waits.per_trust, bench)
    beside(chart, table, waits.per_trust, f"dm01-{test.lower()}")

empty = f"Nobody is recorded as waiting for this test {where} in the chosen period."
if heading(f"Waiting-time distribution {where}", waits.bands, empty):
    chart = charts.ordered_bars(waits.bands, "band_label", "patients", "patients", colour="wait")
    beside(chart, dv.band_table(waits.bands), waits.bands, f"dm01-{test.lower()}-bands")
if not waits.all_tests.empty:
    with st.expander(f"Every DM01 test {where}"):
        st.dataframe(dv.dm01_table(waits.all_tests, bench), hide_index=True, width="stretch")
        ui.download(waits.all_tests, "dm01-all-tests")

st.subheader("Weeks to clear the 6-week backlog at benchmark productivity")
st.caption(dv.backlog_caption(spec))
if data.backlog.empty:
    ui.empty_state("No DM01 waits and activity to set against each other in the chosen period.")
else:
    st.dataframe(dv.backlog_table(data.backlog, spec), hide_index=True, width="stretch")
    ui.download(data.backlog, f"{slug}-backlog")
