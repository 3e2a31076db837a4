"""Reporting and pathology turnaround: each trust against the RCR, NHS England and RCPath targets.

Its own page rather than a section of Diagnostics: Diagnostics is filtered by modality and asks
"how productive is the scanner", while turnaround asks "how long until the result", covers
pathology (which has no modality) and is read by reporting and lab managers, not scanning leads.
Each section is a tab, of which only the open one is worked out and drawn (issue 17).
"""

import streamlit as st

from productivity import ui
from productivity.metrics.turnaround import MEASURE_FILTERS
from productivity.ui import reporting as sections
from productivity.views import reporting_tables as rt

view = ui.frame("Reporting and pathology", filters=("trust", "period"))
bench = ui.benchmarks()
where = f"at {view.trust}" if view.trust else "across the system"

controls = st.columns(2)
measure = controls[0].selectbox(
    "Turnaround target", list(MEASURE_FILTERS), key="measure", bind="query-params",
    format_func=lambda m: bench[m].label,
)  # fmt: skip
st.caption(rt.caption(measure, bench))

tab = ui.page_tabs(sections.TABS, key="tab")
with tab.container:
    chosen = sections.Chosen(measure, view.trust, view.period.start, view.period.end, where)
    sections.draw_tab(tab.open, chosen)
