"""Look-ahead for the scheduling meeting: the 6-4-2 review of the next six weeks' booked lists.

Which lists are below the benchmark 6, 4 and 2 weeks out, by how many minutes, and how many
cases of the specialty's typical length would fill each gap (:mod:`productivity.ui.look_ahead`).
"""

import streamlit as st

from productivity import ui
from productivity.ui import look_ahead as la_ui

view = ui.frame("Look-ahead", filters=("trust",))
bench = ui.benchmarks()["theatre_capped_utilisation"]
st.caption(
    f"Lists are reviewed 6, 4 and 2 weeks before the day. A list is flagged when the cases "
    f"booked on it are expected to fill less than the {bench.value:.0%} benchmark "
    f"({bench.source}). Import bookings on the Data page (kind *bookings*)."
)
every = la_ui.every_trust(bench.value, ui.today())
if not view.trust:
    la_ui.every_trust_section(every)
data = la_ui.trust_view(every, view.trust, bench.value)
summary = la_ui.tiles(data)
la_ui.sections(data, summary, view.trust, bench.value)
