"""Health inequalities: DM01 waits and missed appointments (DNAs) by IMD quintile, and the gaps."""

import streamlit as st

from productivity import ui
from productivity.ui import inequalities as sections

view = ui.frame("Health inequalities", filters=("trust", "period"))
where = f"at {ui.plain(view.trust)}" if view.trust else "across the system"

sections.waits_sections(view.trust, view.period.start, view.period.end, where)

st.divider()
st.header("Missed appointments (DNAs) by deprivation")

sections.dna_sections(view.trust, view.period.start, view.period.end, where)
