"""The one-click board pack button (Overview): a PDF of the chosen trust and period."""

from __future__ import annotations

import streamlit as st

from productivity import pack
from productivity.ui.frame import View, engine


def board_pack_button(view: View) -> None:
    """One click for a board pack (PDF) of the chosen trust, or the collaborative."""
    if not view.period.end:
        return
    st.subheader("Board pack")
    who = view.trust or "the whole collaborative"
    st.caption(
        f"A PDF for {who}, 12 months to {view.period.end}: headline tiles, ranking, SPC, "
        "funnel plots, DM01 waits and the methodology, with counts of 1 to 4 shown as *."
    )
    if st.button("Prepare the board pack", icon=":material/picture_as_pdf:", key="pack"):
        with st.spinner("Building the board pack (charts are drawn at print quality)…"):
            content = pack.build_pack(engine(), trust=view.trust, period=view.period.end, fmt="pdf")
        name = pack.pack_filename(trust=view.trust, period=view.period.end, fmt="pdf")
        st.download_button(
            "Download the board pack",
            content,
            file_name=name,
            mime="application/pdf",
            icon=":material/download:",
            key="pack-file",
        )
