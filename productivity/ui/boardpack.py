"""The one-click board pack button (Overview): a PDF of the chosen trust and months."""

from __future__ import annotations

import streamlit as st

from productivity import pack
from productivity.pack.build import period_text
from productivity.ui.frame import View, engine


def pack_months(view: View) -> tuple[str, str] | None:
    """The first and last month of the page's period, as the pack covers them.

    An open start means every month the store holds up to the end, as the pages read it.
    """
    end = view.period.end or (view.months[-1] if view.months else None)
    start = view.period.start or (view.months[0] if view.months else None)
    if not (start and end):
        return None
    return start, end


def board_pack_button(view: View, basis: str = "peer") -> None:
    """One click for a board pack (PDF) of the chosen trust, or the collaborative, on the
    page's scan-rate benchmark ``basis`` (``national`` or ``peer``)."""
    months = pack_months(view)
    if months is None:
        return
    start, end = months
    st.subheader("Board pack")
    who = view.trust or "the whole collaborative"
    st.caption(
        f"A tagged PDF for {who}, {period_text(start, end)} (the months chosen above): an "
        "executive summary, the scorecard and ranking, SPC, funnel plots, theatre lost time, "
        "DM01 waits and trends, the inequalities gap, mutual aid and the methodology, with "
        "counts of 1 to 4 shown as *."
    )
    if st.button("Prepare the board pack", icon=":material/picture_as_pdf:", key="pack"):
        with st.spinner("Building the board pack (charts are drawn at print quality)…"):
            content = pack.build_pack(
                engine(), trust=view.trust, period=end, fmt="pdf", start=start, basis=basis
            )
        name = pack.pack_filename(trust=view.trust, period=end, fmt="pdf", start=start)
        st.download_button(
            "Download the board pack",
            content,
            file_name=name,
            mime="application/pdf",
            icon=":material/download:",
            key="pack-file",
        )
