"""Theatres for Theatre Academy graduates: how is my unit doing against 85%, where is time lost,
and has my change worked? Drill down trust → site → theatre → specialty.

The headline and tiles sit above the tabs; only the open tab's section runs (issue 17)."""

import streamlit as st

from productivity import ui
from productivity.ui import unit_lead
from productivity.views import theatre_measures as measures, theatres as drilldown

view = ui.frame("Theatres", filters=("trust", "period", "specialty"))
bench = ui.benchmarks()[drilldown.UTILISATION_METRIC]
unit = unit_lead.choose_unit(view.trust, view.specialty)
period = view.period
keys = (unit.trust, unit.site, unit.theatre, unit.specialty, period.start, period.end)
head = unit_lead.headline(*keys, bench.value)
if head.empty:
    ui.empty_state(
        f"No theatre lists for {ui.plain(unit.label)} in the chosen period. Widen the filters."
    )
    st.stop()

st.subheader(measures.headline(ui.plain(unit.label), head.summary))
unit_lead.tiles(measures.unit_tiles(head.summary, head.weekly, ui.benchmarks()))
tab = ui.page_tabs(unit_lead.TABS, key="tab")
with tab.container:
    unit_lead.draw_tab(tab.open, unit, period, head, bench)
