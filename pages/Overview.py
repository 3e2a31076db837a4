"""Overview for SROs: which trusts have the biggest improvement opportunity?"""

import streamlit as st

from productivity import charts, ui

view = ui.frame("Overview")
ranking = st.segmented_control(
    "Rank trusts by",
    ["absolute", "percent"],
    default="absolute",
    key="ranking",
    bind="query-params",
    format_func={"absolute": "Additional activity (count)", "percent": "% of current activity"}.get,
)
card = ui.trust_scorecard(view.period.start, view.period.end, ranking or "absolute")
if view.trust:
    card = card[card["trust_code"] == view.trust]
if card.empty:
    ui.empty_state("No trust has data for the chosen filters. Widen the period or pick all trusts.")
    st.stop()

months = max(1, len(ui.months_between(view.period, view.months)))
per_year = 12 / months
tiles = st.columns(3)
tiles[0].metric(
    "Additional theatre cases a year (realisable)",
    f"{card['realisable_additional_cases'].sum() * per_year:,.0f}",
    help="Whole cases that fit inside a list at 85% capped utilisation, annualised.",
)
tiles[1].metric(
    "Additional scans a year (CT, MRI, NOUS)",
    f"{card['additional_scans'].sum() * per_year:,.0f}",
    help="Scans at the benchmark rate in the hours already run, annualised.",
)
tiles[2].metric(
    "People waiting 6+ weeks for a diagnostic test",
    f"{card['dm01_waiting_6_plus'].sum():,.0f}",
    help="DM01, latest month in the period.",
)


st.subheader(f"Trusts ranked by opportunity ({card['ranking'].iloc[0]})")
value, label = (
    ("opportunity", "Additional cases + scans in the period")
    if ranking != "percent"
    else ("opportunity_share", "Additional activity as % of current")
)
left, right = st.columns([3, 2])
left.altair_chart(
    charts.ranking_bars(card, value, label, fmt=",.0f" if ranking != "percent" else ".1%"),
    width="stretch",
)
right.dataframe(ui.ranking_table(card), hide_index=True, width="stretch")
ui.download(card, "trust-ranking")

st.subheader("Every trust against the national benchmarks")
st.caption("✓ meets the benchmark · ✗ short of it · – no data. Colour only repeats the mark.")
st.dataframe(ui.scorecard_table(card, ui.benchmarks()), hide_index=True, width="stretch")
