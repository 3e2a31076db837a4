"""Diagnostics for programme leads: each modality against its benchmark, SPC, and DM01 waits.

One tab is drawn at a time (``?tab=``), each loading only its own figures
(:mod:`productivity.ui.diagnostics`)."""

import streamlit as st

from productivity import ui
from productivity.ui import basis as ui_basis, diagnostics as tabs, dm01_section as ui_dm01
from productivity.views import diagnostics as dv, diagnostics_text as dt

view = ui.frame("Diagnostics", filters=("trust", "period", "modality"))
where = f"at {ui.plain(view.trust)}" if view.trust else "across the system"

basis = ui_basis.benchmark_basis()
st.caption(dt.benchmark_caption(dv.metric_spec(view.modality, ui.benchmarks()), basis))
tab = ui.page_tabs(tabs.TABS, key="tab")
with tab.container:
    if tab.open == tabs.AGAINST:
        tabs.against_benchmark(view, basis, where)
    elif tab.open == tabs.UNITS:
        tabs.by_unit(view, basis, where)
    elif tab.open == tabs.TREND:
        tabs.trend_and_spc(view, basis, where)
    elif tab.open == tabs.DM01:
        ui_dm01.dm01_section(view, where)
    else:
        tabs.backlog_and_what_if(view, basis)
