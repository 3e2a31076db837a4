"""The Diagnostics page's DM01 section: one test's waits per trust, their monthly trend, the
waiting-time bands and every test at the trust.

A fragment: choosing another DM01 test reruns only this section, not the modality's charts
above it. Numbers come from :mod:`productivity.views.dm01`.
"""

from __future__ import annotations

import streamlit as st

from productivity import charts, schema
from productivity.store import marts
from productivity.ui.frame import CACHE_TTL, View, benchmarks, engine
from productivity.ui.widgets import chart_with_table, plain, section, show_table
from productivity.views import diagnostics as dv, dm01


@st.cache_data(ttl=CACHE_TTL, show_spinner=False)
def period_waits(start: str | None, end: str | None) -> dm01.PeriodWaits:
    """Every test's waits at every trust: worked out once, whichever test and trust."""
    return dm01.period_waits(engine(), marts.Period(start, end), benchmarks())


@st.cache_data(ttl=CACHE_TTL, show_spinner=False)
def waits_view(test: str, trust: str | None, start: str | None, end: str | None) -> dm01.WaitsView:
    every, period = period_waits(start, end), marts.Period(start, end)
    return dm01.waits_view(engine(), period, test, trust, benchmarks(), every)


@st.fragment
def dm01_section(view: View, where: str) -> None:
    """The DM01 section of the Diagnostics page for the chosen modality, trust and period."""
    bench = benchmarks()
    tests = list(schema.DM01_TESTS)
    asked = st.query_params.get("dm01_test")
    if asked is not None and asked not in tests:
        st.warning(f"The link asks for DM01 test {plain(asked)}, which is not a DM01 test.")
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
    if section(title, waits.per_trust, "No DM01 return for this test in the chosen period."):
        st.caption(
            f"Dashed lines: the interim ambition {within.value:.0%} and the constitutional "
            f"standard {constitutional.value:.0%}. ✓/✗ in the chart are against the interim "
            "one. DM01 standards are national for every trust: the benchmark basis applies to "
            "scan rates."
        )
        chart = charts.metric_vs_benchmark(
            waits.per_trust, "trust", "within_6_weeks", "% waiting under 6 weeks", within.value,
            fmt=waits.label_format(bench), benchmark_label="interim ambition",
            also={f"constitutional standard {constitutional.value:.0%}": constitutional.value},
        )  # fmt: skip
        table = dm01.dm01_table(waits.per_trust, bench)
        chart_with_table(chart, table, f"dm01-{test.lower()}", raw=waits.per_trust, deferred=True)

    empty = f"No monthly DM01 return for this test {where} in the chosen period."
    if section(f"DM01 trend by month {where}", waits.trend, empty):
        nobody = bench.value("dm01_13_plus_weeks")
        for column, label, target, fmt in (
            ("within_6_weeks", "% under 6 weeks at each month end", within.value, ".1%"),
            ("waiting_13_plus", "Waiting 13+ weeks at each month end", nobody, ",.0f"),
        ):
            trend = charts.trend(
                waits.trend, "month", column, label, benchmark=target, colour="trust", fmt=fmt
            )
            table = dm01.trend_table(waits.trend, column)
            name = f"dm01-{test.lower()}-{column}"
            chart_with_table(trend, table, name, raw=waits.trend, deferred=True)

    empty = f"Nobody is recorded as waiting for this test {where} in the chosen period."
    if section(f"Waiting-time distribution {where}", waits.bands, empty):
        chart = charts.ordered_bars(
            waits.bands, "band_label", "patients", "patients", colour="wait"
        )
        table = dm01.band_table(waits.bands)
        name = f"dm01-{test.lower()}-bands"
        chart_with_table(chart, table, name, raw=waits.bands, deferred=True)
    if not waits.all_tests.empty:
        with st.expander(f"Every DM01 test {where}"):
            table = dm01.dm01_table(waits.all_tests, bench)
            show_table(table, "dm01-all-tests", raw=waits.all_tests, deferred=True)
