"""Look-ahead for the scheduling meeting: the 6-4-2 review of the next six weeks' booked lists.

Which lists are below the benchmark 6, 4 and 2 weeks out, by how many minutes, and how many
cases of the specialty's typical length would fill each gap.
"""

import datetime as dt

import pandas as pd
import streamlit as st

from productivity import charts, ui
from productivity.views import look_ahead as la

view = ui.frame("Look-ahead", filters=("trust",))
bench = ui.benchmarks()["theatre_capped_utilisation"]
TABS = ("Lists for the meeting", "Expected utilisation")


@st.cache_data(ttl=ui.CACHE_TTL, show_spinner="Looking ahead for every trust…")
def every_trust(target: float, today: dt.date) -> la.EveryTrust:
    return la.every_trust(ui.engine(), target, today)


@st.cache_data(ttl=ui.CACHE_TTL, show_spinner="Reading the bookings…")
def load(trust: str, as_of: dt.date, target: float) -> la.LookAheadView:
    # As of the trust's first booked day (the default), the look-ahead of every trust holds it.
    return la.trust_look_ahead(ui.engine(), every_trust(target, ui.today()), trust, as_of)


st.caption(
    f"Lists are reviewed 6, 4 and 2 weeks before the day. A list is flagged when the cases "
    f"booked on it are expected to fill less than the {bench.value:.0%} benchmark "
    f"({bench.source}). Import bookings on the Data page (kind *bookings*)."
)
every = every_trust(bench.value, ui.today())
if not view.trust:
    table = la.trust_overview(every)
    if table.empty:
        ui.empty_state("No bookings in the store: import a bookings file on the Data page.")
        st.stop()
    st.subheader("Every trust's next six weeks")
    ui.show_table(table, "lookahead-trusts", deferred=True)
    st.caption("Each trust as of the first day of its bookings. Choose a trust for its lists.")
    st.stop()

first = la.default_as_of(every.as_of.get(view.trust), ui.today())
as_of = st.date_input(
    "As of (the scheduling meeting's date)", value=first, key="as_of", bind="query-params",
    help="Weeks out are counted from this date. It starts at the first day of the bookings.",
)  # fmt: skip
data = load(view.trust, as_of, bench.value)
if data.empty:
    ui.empty_state(f"No booked lists for {view.trust} in the six weeks from {as_of:%-d %b %Y}.")
    st.stop()

summary = la.window_summary(data.lists).set_index("weeks_out")
tiles = st.columns(5)
tiles[0].metric("Lists in the next six weeks", f"{len(data.lists):,}")
for tile, weeks in zip(tiles[1:4], (6, 4, 2), strict=True):
    value, note = la.window_tile(summary, weeks)
    tile.metric(f"Flagged {weeks} weeks out", value, help=note)
tiles[4].metric("Cases in the history", f"{data.history.cases:,}", help=la.history_note(data))
st.caption(la.history_note(data))


@st.fragment
def booked_lists(section: str, data: la.LookAheadView, summary: pd.DataFrame, trust: str) -> None:
    """The window and flag controls change only the open section: a fragment reruns it alone."""
    controls = st.columns([2, 1])
    window = controls[0].segmented_control(
        "Window", list(la.WINDOW_CHOICES), default="All six weeks", key="window",
        bind="query-params",
    )  # fmt: skip
    flagged_only = controls[1].toggle("Only flagged lists", key="flagged", bind="query-params")
    weeks = la.WINDOW_CHOICES[window or "All six weeks"]
    as_of = data.as_of
    if section == "Expected utilisation":
        st.subheader("Expected utilisation of each booked list")
        shown = la.filter_lists(data.lists, weeks, flagged_only)
        chart = charts.lookahead_chart(shown, bench.value, as_of=as_of.isoformat())
        ui.chart_with_table(
            chart, summary.reset_index(), "lookahead-windows", widths=(3, 2), deferred=True
        )
        return
    st.subheader("The lists, for the scheduling meeting")
    st.caption(
        "In date order. *Fill with* says how many cases of the specialty's median length fit "
        "the unfilled minutes; *check* marks lists with a case the history cannot estimate."
    )
    table = la.meeting_rows(data, weeks, flagged_only)
    ui.show_table(table, f"lookahead-{trust}-{as_of:%Y-%m-%d}", deferred=True)


tab = ui.page_tabs(TABS, key="tab")
with tab.container:
    booked_lists(tab.open, data, summary, view.trust)
