"""Theatres for Theatre Academy graduates: how is my unit doing against 85%, where is time lost,
and has my change worked? Drill down trust → site → theatre → specialty."""

import streamlit as st

from productivity import charts, ui
from productivity.columns import COLUMNS
from productivity.store.marts import Period
from productivity.ui import unit_lead, unit_spc
from productivity.views import theatre_measures as measures, theatres as drilldown
from productivity.views.theatres import Unit

view = ui.frame("Theatres", filters=("trust", "period", "specialty"))
bench = ui.benchmarks()[drilldown.UTILISATION_METRIC]


# Cached loaders keyed by plain values: the unit and period as strings, and the benchmark.
@st.cache_data(ttl=ui.CACHE_TTL, show_spinner="Reading the unit's lists…")
def load_unit(start, end, trust, site, theatre, specialty, target):
    unit, period = Unit(trust, site, theatre, specialty), Period(start, end)
    # With a trust chosen the page draws the ranking's heatmap, not the unit view's.
    return drilldown.unit_view(ui.engine(), unit, period, target, with_heatmap=not trust)


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
    title="Lost time: planned minutes down to capped touch time, in hours", deferred=True,
)  # fmt: skip

st.subheader("Late starts and early finishes (share of lists with a case)")
bands = charts.bands(data.bands, "measure", "share", "band")
ui.chart_with_table(
    bands, data.bands, "bands", columns=drilldown.BAND_COLUMNS,
    title="Share of lists starting late and finishing early, by minutes", deferred=True,
)  # fmt: skip

capped = COLUMNS["capped_utilisation"]
if view.trust:
    unit_lead.ranking_section(unit, view.period, bench.value)
else:
    st.subheader("Capped utilisation by day of week and session")
    heat = charts.heatmap(data.heatmap, "weekday", "session", capped.key, capped.short)
    ui.chart_with_table(
        heat, data.heatmap, "heatmap", columns=drilldown.HEATMAP_COLUMNS,
        title="Capped utilisation by day of week and session", deferred=True,
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
    deferred=True,
)  # fmt: skip

unit_spc.spc_section(unit, data.weekly, bench)

if view.trust:
    st.subheader("The lists")
    st.caption("Every list of the unit in the period, newest first. Sort by any column.")
    ui.show_table(load_lists(*args, bench), "lists", title="Every list of the unit", deferred=True)
else:
    st.caption("Choose a trust to see its individual lists.")
