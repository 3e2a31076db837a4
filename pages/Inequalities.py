"""Health inequalities: DM01 waits by IMD quintile, the Q1:Q5 gap per trust, and its trend."""

import streamlit as st

from productivity import charts, schema, ui
from productivity.store import marts
from productivity.views import inequalities as dd

view = ui.frame("Health inequalities", filters=("trust", "period"))


@st.cache_data(ttl=ui.CACHE_TTL, show_spinner=False)
def load(test: str, trust: str | None, start: str | None, end: str | None) -> dd.InequalitiesView:
    return dd.inequalities_view(ui.engine(), marts.Period(start, end), test, trust)


test = st.selectbox(
    "DM01 test", list(schema.DM01_TESTS), key="test", bind="query-params",
    format_func=schema.DM01_TESTS.get,
)  # fmt: skip
data = load(test, view.trust, view.period.start, view.period.end)
name, where = (
    schema.DM01_TESTS[test],
    f"at {ui.plain(view.trust)}" if view.trust else "across the system",
)
slug = f"inequalities-{test.lower()}-{data.unit.lower()}"
st.caption(
    "Patients on the DM01 waiting list by the IMD 2019 quintile of where they live: Q1 is the "
    "most deprived fifth of England's neighbourhoods (LSOAs), Q5 the least deprived. Waiting "
    f"lists are month-end snapshots, so the figures are for the latest month, {data.month or '–'}."
)

within = ui.benchmarks()["dm01_within_6_weeks"]
empty = f"Nobody is recorded by IMD quintile as waiting for {name} {where} in the chosen period."
if ui.section(f"{name}: % within 6 weeks by IMD quintile {where}", data.quintiles, empty):
    chart = charts.quintile_bars(
        data.quintiles, within.value, f"interim ambition {within.value:.0%}"
    )
    table = dd.quintile_table(data.quintiles, ui.benchmarks())
    ui.chart_with_table(chart, table, f"{slug}-quintiles", raw=data.quintiles)
    if not data.bands.empty:
        st.markdown("**Waiting-time distribution by quintile**")
        chart, table = charts.band_lines(data.bands), dd.band_table(data.bands)
        ui.chart_with_table(chart, table, f"{slug}-bands", raw=data.bands)
    else:
        st.caption(
            "The waiting-time distribution by quintile needs the 14 waiting-time bands, and the "
            "store holds only totals by quintile for this month."
        )

st.subheader(f"Most against least deprived: the Q1:Q5 ratio for every trust, {data.month or '–'}")
st.caption(
    "The ratio of the share waiting 6+ weeks in Q1 to that in Q5, with its 95% confidence "
    "interval (Katz log method); 1 means no gap. ▲ *wider gap*: the whole interval is above 1, "
    "so the most deprived are more likely to wait 6+ weeks. ● *no evidence of a gap*: it spans "
    "1. ▼ *reverse gap*: it is below 1, the least deprived wait longer. Gap = Q1's share minus "
    "Q5's, in percentage points. † ½ added to each count: one quintile had no 6+ week waiter. "
    "Trusts are in order of the lower end of their interval: the clearest gaps first."
)
if not data.forest["ratio"].notna().any():
    ui.empty_state(f"Too few patients by IMD quintile for {name} to compare Q1 with Q5.")
else:
    chart, table = charts.forest_chart(data.forest), dd.forest_table(data.forest)
    ui.chart_with_table(chart, table, f"{slug}-ratio", raw=data.forest)

empty = (
    f"Fewer than {dd.MIN_SPC_MONTHS} months with a Q1:Q5 ratio for {name} {where}: "
    "widen the period or pick a larger test."
)
points = data.spc.points if data.spc else None
if ui.section(f"Is the gap widening? Monthly Q1:Q5 ratio {where}: SPC", points, empty) and data.spc:
    chart = charts.spc_chart(data.spc, label=charts.RATIO_AXIS, fmt=".2f")
    table, caption = dd.spc_table(data.spc), dd.spc_caption(data.spc)
    ui.chart_with_table(chart, table, f"{slug}-spc", raw=data.monthly, caption=caption, below=True)
