"""The Theatres page's "has a change worked?" section: the unit's weekly capped utilisation as
an SPC chart, its stored rebases, the form that adds one, and the change in words.

Rebases are shared by every user of the store, so the form checks the data-manager role first
and the cached list of rebases is cleared after any change.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from productivity import charts
from productivity.benchmarks import Benchmark
from productivity.columns import COLUMNS
from productivity.errors import InputError
from productivity.stats import spc
from productivity.store import rebase
from productivity.ui import auth
from productivity.ui.frame import CACHE_TTL, engine, today
from productivity.ui.widgets import empty_state, plain, show_chart, show_table
from productivity.views import theatre_change as change, theatres as drilldown
from productivity.views.theatres import Unit

FLASH = "unit_lead_rebased"  # a one-click rebase's confirmation, shown after the rerun


@st.cache_data(ttl=CACHE_TTL, show_spinner=False)
def _rebases(unit_key: str, metric: str) -> pd.DataFrame:
    return rebase.list_rebases(engine(), unit_key, metric)


def _rebase_form(unit: Unit, bench: Benchmark) -> None:
    """Data managers add a rebase (date + reason); everyone else is told why they cannot."""
    st.markdown("**Rebase the limits** at the date of a change")
    user = auth.current_user()
    if not auth.require_data_manager(user):
        return
    with st.form("rebase", clear_on_submit=True, border=False):
        day = st.date_input("Date of the change", value=None, max_value=today())
        reason = st.text_input("Reason", placeholder="e.g. new start-time huddle")
        if st.form_submit_button("Add rebase", icon=":material/add:"):
            try:
                # No date chosen reaches the store's own check as "", a located problem.
                when = day if day is not None else ""
                rebase.add_rebase(engine(), unit.key, bench.key, when, reason, user.name)
                _rebases.clear()
                st.success(f"Rebase from {day} stored: everyone now sees it.")
            except InputError as error:
                st.error("\n\n".join(plain(p.message) for p in error.problems))


def spc_section(unit: Unit, weekly: pd.DataFrame, bench: Benchmark) -> None:
    """The SPC chart of ``weekly`` capped utilisation with its rebases, beside the rebase form."""
    capped = COLUMNS["capped_utilisation"]
    st.subheader("Has a change worked? Weekly capped utilisation (SPC)")
    chart_col, form_col = st.columns([3, 1])
    shift_box = form_col.container()
    with form_col:
        _rebase_form(unit, bench)
    stored = _rebases(unit.key, bench.key)
    series = drilldown.spc_series(weekly)
    with chart_col:
        if len(series) < 2:
            empty_state("An SPC chart needs at least 2 weeks of lists: widen the period.")
            return
        result = drilldown.unit_spc(series, stored["date"], bench)
        if change_in_words(shift_box, chart_col, unit, result, weekly, bench):
            _rebases.clear()
            st.rerun()
        markers = drilldown.rebase_markers(stored, series)
        chart = charts.spc_chart(result, label=capped.heading, rebases=markers)
        note = drilldown.spc_note(result, bench.value)
        show_chart(chart, "Weekly capped utilisation, SPC chart", note)
        st.caption(note)
        with st.expander("SPC points and rebases"):
            show_table(
                result.points, "spc-weekly-capped-utilisation", title="SPC points", deferred=True
            )
            show_table(stored, title="Rebases")


def change_in_words(
    shift_box: DeltaGenerator,
    words_box: DeltaGenerator,
    unit: Unit,
    result: spc.SPCResult,
    weekly: pd.DataFrame,
    bench: Benchmark,
) -> bool:
    """Say whether the unit's SPC chart shows a shift, and offer a one-click rebase at its start.

    Returns True when a rebase was stored (the page then clears its rebase cache and reruns).
    """
    if FLASH in st.session_state:
        words_box.success(st.session_state.pop(FLASH), icon=":material/check:")
    shift = change.latest_shift(result)
    if shift is None:
        words_box.info(change.no_shift_sentence(result), icon=":material/timeline:")
        return False
    words_box.info(f"**{change.shift_sentence(shift, weekly)}**", icon=":material/timeline:")
    with shift_box:
        st.markdown(f"**Rebase at the shift** (week of {shift.start:%-d %b %Y})")
        user = auth.current_user()
        if not auth.require_data_manager(user):
            return False
        with st.form("rebase_shift", clear_on_submit=True, border=False):
            reason = st.text_input(
                "Reason for the change",
                placeholder="e.g. new start-time huddle",
                key="shift_reason",
            )
            clicked = st.form_submit_button(
                f"Rebase from {shift.start:%-d %b %Y}", icon=":material/restart_alt:"
            )
        if not clicked:
            return False
        try:
            day = min(shift.start.date(), today())
            rebase.add_rebase(engine(), unit.key, bench.key, day, reason, user.name)
        except InputError as error:
            st.error("\n\n".join(p.message for p in error.problems))
            return False
    st.session_state[FLASH] = f"Rebase from the week of {shift.start:%-d %b %Y} stored: {reason}"
    return True
