"""The Look ahead page's sections: every trust's next six weeks, or one trust's tiles and its
booked lists (the meeting's table, or the expected utilisation chart) in lazy tabs. Numbers and
tables come from :mod:`productivity.views.look_ahead`.
"""

from __future__ import annotations

import datetime as dt
from typing import NoReturn

import pandas as pd
import streamlit as st

from productivity import charts
from productivity.ui.frame import CACHE_TTL, engine, today
from productivity.ui.tabs import page_tabs
from productivity.ui.widgets import chart_with_table, empty_state, show_table
from productivity.views import look_ahead as la

TABS = ("Lists for the meeting", "Expected utilisation")


# A resource, not data: every rerun reads it (a trust's default view is a slice of it), and
# st.cache_data would unpickle a copy of every trust's lists each time (80 ms at region scale).
# Nothing changes it in place.
@st.cache_resource(ttl=CACHE_TTL, max_entries=4, show_spinner="Looking ahead for every trust…")
def every_trust(target: float, today: dt.date) -> la.EveryTrust:
    return la.every_trust(engine(), target, today)


@st.cache_data(ttl=CACHE_TTL, show_spinner="Reading the bookings…")
def load(trust: str, as_of: dt.date, target: float) -> la.LookAheadView:
    # As of the trust's first booked day (the default), the look-ahead of every trust holds it.
    return la.trust_look_ahead(engine(), every_trust(target, today()), trust, as_of)


def every_trust_section(every: la.EveryTrust) -> NoReturn:
    """Every trust's next six weeks (no trust chosen); stops the page."""
    table = la.trust_overview(every)
    if table.empty:
        empty_state("No bookings in the store: import a bookings file on the Data page.")
        st.stop()
    st.subheader("Every trust's next six weeks")
    show_table(table, "lookahead-trusts", deferred=True)
    st.caption("Each trust as of the first day of its bookings. Choose a trust for its lists.")
    st.stop()


def trust_view(every: la.EveryTrust, trust: str, target: float) -> la.LookAheadView:
    """The meeting's date (in the URL) and the trust's look-ahead as of it; stops the page
    when the trust has no booked list in the six weeks."""
    first = la.default_as_of(every.as_of.get(trust), today())
    as_of = st.date_input(
        "As of (the scheduling meeting's date)", value=first, key="as_of", bind="query-params",
        help="Weeks out are counted from this date. It starts at the first day of the bookings.",
    )  # fmt: skip
    data = load(trust, as_of, target)
    if data.empty:
        empty_state(f"No booked lists for {trust} in the six weeks from {as_of:%-d %b %Y}.")
        st.stop()
    return data


def tiles(data: la.LookAheadView) -> pd.DataFrame:
    """The lists, flagged 6, 4 and 2 weeks out, and the history's cases; the window summary
    (indexed by weeks out) they were read from."""
    summary = la.window_summary(data.lists).set_index("weeks_out")
    row = st.columns(5)
    row[0].metric("Lists in the next six weeks", f"{len(data.lists):,}")
    for tile, weeks in zip(row[1:4], (6, 4, 2), strict=True):
        value, note = la.window_tile(summary, weeks)
        tile.metric(f"Flagged {weeks} weeks out", value, help=note)
    row[4].metric("Cases in the history", f"{data.history.cases:,}", help=la.history_note(data))
    st.caption(la.history_note(data))
    return summary


@st.fragment
def booked_lists(
    section: str, data: la.LookAheadView, summary: pd.DataFrame, trust: str, target: float
) -> None:
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
        chart = charts.lookahead_chart(shown, target, as_of=as_of.isoformat())
        chart_with_table(
            chart, summary.reset_index(), "lookahead-windows", widths=(3, 2), deferred=True
        )
        return
    st.subheader("The lists, for the scheduling meeting")
    st.caption(
        "In date order. *Fill with* says how many cases of the specialty's median length fit "
        "the unfilled minutes; *check* marks lists with a case the history cannot estimate."
    )
    table = la.meeting_rows(data, weeks, flagged_only)
    show_table(table, f"lookahead-{trust}-{as_of:%Y-%m-%d}", deferred=True)


def sections(data: la.LookAheadView, summary: pd.DataFrame, trust: str, target: float) -> None:
    """The lazy tabs: only the open one runs."""
    tab = page_tabs(TABS, key="tab")
    with tab.container:
        booked_lists(tab.open, data, summary, trust, target)
