"""Theatres for Theatre Academy graduates: how is my unit doing against 85%, where is time lost,
and has my change worked? Drill down trust → site → theatre → specialty."""

import streamlit as st

from productivity import charts, ui
from productivity.columns import COLUMNS
from productivity.errors import InputError
from productivity.store import rebase
from productivity.store.marts import Period
from productivity.ui import auth, unit_lead
from productivity.views import theatre_measures as measures, theatres as drilldown
from productivity.views.theatres import Unit

view = ui.frame("Theatres", filters=("trust", "period", "specialty"))
bench = ui.benchmarks()[drilldown.UTILISATION_METRIC]


# Cached loaders keyed by plain values: the unit and period as strings, and the benchmark.
@st.cache_data(ttl=ui.CACHE_TTL, show_spinner="Reading the unit's lists…")
def load_unit(start, end, trust, site, theatre, specialty, target):
    unit, period = Unit(trust, site, theatre, specialty), Period(start, end)
    return drilldown.unit_view(ui.engine(), unit, period, target)


@st.cache_data(ttl=ui.CACHE_TTL, show_spinner="Reading the unit's lists…")
def load_lists(start, end, trust, site, theatre, specialty, benchmark):
    unit, period = Unit(trust, site, theatre, specialty), Period(start, end)
    return drilldown.list_table(ui.engine(), unit, period, benchmark)


@st.cache_data(ttl=ui.CACHE_TTL, show_spinner=False)
def load_comparison(start, end, trust, specialty, benchmark):
    unit, period = Unit(trust, specialty=specialty), Period(start, end)
    return drilldown.specialty_comparison(ui.engine(), unit, period, benchmark)


@st.cache_data(ttl=ui.CACHE_TTL, show_spinner=False)
def options(trust):
    return drilldown.unit_options(ui.engine(), trust)


@st.cache_data(ttl=ui.CACHE_TTL, show_spinner=False)
def rebases(unit_key, metric):
    return rebase.list_rebases(ui.engine(), unit_key, metric)


def rebase_form(unit):
    """Data managers add a rebase (date + reason); everyone else is told why they cannot."""
    st.markdown("**Rebase the limits** at the date of a change")
    user = auth.current_user()
    if not auth.require_data_manager(user):
        return
    with st.form("rebase", clear_on_submit=True, border=False):
        day = st.date_input("Date of the change", value=None, max_value=ui.today())
        reason = st.text_input("Reason", placeholder="e.g. new start-time huddle")
        if st.form_submit_button("Add rebase", icon=":material/add:"):
            try:
                rebase.add_rebase(ui.engine(), unit.key, bench.key, day, reason, user.name)
                rebases.clear()
                st.success(f"Rebase from {day} stored: everyone now sees it.")
            except InputError as error:
                st.error("\n\n".join(ui.plain(p.message) for p in error.problems))


site = theatre = None
if view.trust:
    found = options(view.trust)
    names = dict(zip(found["site"], found["site_name"], strict=True))
    left, right = st.columns(2)
    site = ui.choose(left, "Site", names, names)
    theatres = found.loc[found["site"] == site, "theatre"] if site else []
    theatre = ui.choose(right, "Theatre", theatres, disabled=not site)
unit = Unit(view.trust, site, theatre, view.specialty)
args = (view.period.start, view.period.end, unit.trust, unit.site, unit.theatre, unit.specialty)
data = load_unit(*args, bench.value)
if data.empty:
    ui.empty_state(
        f"No theatre lists for {ui.plain(unit.label)} in the chosen period. Widen the filters."
    )
    st.stop()

st.subheader(measures.headline(ui.plain(unit.label), data.summary))
unit_lead.tiles(measures.unit_tiles(data.summary, data.weekly, ui.benchmarks()))
unit_lead.trend_section(data.weekly, data.monthly, unit, view.period)

st.subheader("Where the planned minutes went")
steps = measures.waterfall_hours(data.waterfall, int(data.summary["lists"].iloc[0]))
waterfall = charts.waterfall(steps, "hours", "hours")
columns = measures.WATERFALL_COLUMNS
ui.chart_with_table(
    waterfall, steps, "lost-time", columns=columns, caption=drilldown.WATERFALL_NOTE,
    title="Lost time: planned minutes down to capped touch time, in hours",
)  # fmt: skip

st.subheader("Late starts and early finishes (share of lists with a case)")
bands = charts.bands(data.bands, "measure", "share", "band")
ui.chart_with_table(
    bands, data.bands, "bands", columns=drilldown.BAND_COLUMNS,
    title="Share of lists starting late and finishing early, by minutes",
)  # fmt: skip

capped = COLUMNS["capped_utilisation"]
if view.trust:
    unit_lead.ranking_section(unit, view.period, bench.value)
else:
    st.subheader("Capped utilisation by day of week and session")
    heat = charts.heatmap(data.heatmap, "weekday", "session", capped.key, capped.short)
    ui.chart_with_table(
        heat, data.heatmap, "heatmap", columns=drilldown.HEATMAP_COLUMNS,
        title="Capped utilisation by day of week and session",
    )  # fmt: skip
    st.caption("Choose a trust to rank its theatres, specialties and lists by lost time.")
unit_lead.daycase_section(unit, view.period)

st.subheader(f"{ui.plain(view.specialty or 'All specialties')}: every trust against the benchmark")
# A site or theatre does not change the comparison: every trust, the unit's specialty.
compare = load_comparison(view.period.start, view.period.end, view.trust, view.specialty, bench)
bars = charts.metric_vs_benchmark(
    compare, "trust", capped.key, capped.heading, bench.value, fmt=".0%"
)
ui.chart_with_table(
    bars, compare, "trust-comparison", columns=drilldown.COMPARISON_COLUMNS,
    title=f"Capped utilisation of every trust against the {bench.value:.0%} benchmark",
)  # fmt: skip

st.subheader("Has a change worked? Weekly capped utilisation (SPC)")
chart_col, form_col = st.columns([3, 1])
shift_box = form_col.container()
with form_col:
    rebase_form(unit)
stored = rebases(unit.key, bench.key)
series = drilldown.spc_series(data.weekly)
with chart_col:
    if len(series) < 2:
        ui.empty_state("An SPC chart needs at least 2 weeks of lists: widen the period.")
    else:
        result = drilldown.unit_spc(series, stored["date"], bench)
        if unit_lead.change_in_words(shift_box, chart_col, unit, result, data.weekly, bench):
            rebases.clear()
            st.rerun()
        markers = drilldown.rebase_markers(stored, series)
        chart = charts.spc_chart(result, label=capped.heading, rebases=markers)
        note = drilldown.spc_note(result, bench.value)
        ui.show_chart(chart, "Weekly capped utilisation, SPC chart", note)
        st.caption(note)
        with st.expander("SPC points and rebases"):
            ui.show_table(result.points, "spc-weekly-capped-utilisation", title="SPC points")
            ui.show_table(stored, title="Rebases")

if view.trust:
    st.subheader("The lists")
    st.caption("Every list of the unit in the period, newest first. Sort by any column.")
    ui.show_table(load_lists(*args, bench), "lists", title="Every list of the unit")
else:
    st.caption("Choose a trust to see its individual lists.")
