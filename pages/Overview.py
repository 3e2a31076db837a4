"""Overview for SROs: which trusts have the biggest opportunity, and who is truly an outlier?"""

import streamlit as st

from productivity import charts, funnel, marts, reports, ui

view = ui.frame("Overview")


@st.cache_data(ttl=ui.CACHE_TTL, show_spinner=False)
def load_outliers(start: str | None, end: str | None, measure: str, overdispersion: bool):
    reader = reports.trust_theatre_outliers if measure == "theatre" else reports.trust_dm01_outliers
    table, result = reader(
        ui.engine(), marts.Period(start, end), ui.benchmarks(), overdispersion=overdispersion
    )
    curve = funnel.funnel_curve(
        result.target,
        max(1.0, table["denominator"].min() / 2),
        table["denominator"].max() * 2,
        tau2=result.tau2,
    )
    return table, curve, result.target, result.tau2


controls = st.columns(2)
measure = controls[0].segmented_control(
    "Opportunity in",
    ["theatre", "scans"],
    default="theatre",
    key="opportunity",
    bind="query-params",
    format_func={"theatre": "Theatres (cases)", "scans": "Imaging (scans)"}.get,
)
ranking = controls[1].segmented_control(
    "Rank trusts by",
    ["absolute", "percent"],
    default="absolute",
    key="ranking",
    bind="query-params",
    format_func={"absolute": "Count", "percent": "% of current activity"}.get,
)
card = ui.trust_scorecard(
    view.period.start, view.period.end, ranking or "absolute", measure or "theatre"
)
if view.trust:
    card = card[card["trust_code"] == view.trust]
if card.empty:
    ui.empty_state("No trust has data for the chosen filters. Widen the period or pick all trusts.")
    st.stop()

per_year = 12 / max(1, len(ui.months_between(view.period, view.months)))
tiles = st.columns(3)
tiles[0].metric(
    "Additional theatre cases a year (realisable)",
    f"{card['realisable_additional_cases'].sum() * per_year:,.0f}",
    help="Whole cases that fit inside a list at the 85% benchmark, annualised.",
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

what = reports.OPPORTUNITY_MEASURES[measure or "theatre"][2]
st.subheader(f"Trusts ranked by {what} ({card['ranking'].iloc[0]})")
value, label, fmt = (
    ("opportunity", f"{what.capitalize()} in the period", ",.0f")
    if ranking != "percent"
    else ("opportunity_share", f"{what.capitalize()} as % of current", ".1%")
)
card = card.assign(label=ui.gap_labels(card, measure or "theatre", ui.benchmarks()))
left, right = st.columns([3, 2])
left.altair_chart(charts.ranking_bars(card, value, label, fmt=fmt), width="stretch")
right.dataframe(ui.ranking_table(card), hide_index=True, width="stretch")
ui.download(card, "trust-ranking")

st.subheader("Outlier or opportunity?")
st.markdown(
    "A trust is an **outlier** only if it is outside the 99.8% funnel limits or its SPC "
    "chart shows special cause; it is an **opportunity** if it is short of the benchmark. "
    "Most trusts below the benchmark are typical of the system, not outliers."
)
measure = st.radio(
    "Measure",
    ["theatre", "dm01"],
    horizontal=True,
    key="measure",
    format_func={"theatre": "Theatre capped utilisation", "dm01": "DM01 % within 6 weeks"}.get,
)
overdispersion = st.toggle(
    "Adjust for overdispersion (DerSimonian–Laird)", value=True, key="overdispersion"
)
table, curve, centre, tau2 = load_outliers(
    view.period.start, view.period.end, measure, overdispersion
)
left, right = st.columns([3, 2])
left.altair_chart(
    charts.funnel_chart(
        table,
        curve,
        target=centre,
        label={"theatre": "capped utilisation", "dm01": "% within 6 weeks"}[measure],
        volume_label={"theatre": "planned minutes", "dm01": "patients waiting"}[measure],
        unit="trust_code",
    ),
    width="stretch",
)
left.caption(
    f"Centre: system {centre:.1%}. "
    + (f"τ² = {tau2:.5f}." if tau2 is not None else "No overdispersion adjustment.")
)
right.dataframe(ui.outlier_table(table), hide_index=True, width="stretch")
ui.download(table, f"outliers-{measure}")

st.subheader("Every trust against the national benchmarks")
st.caption("✓ meets the benchmark · ✗ short of it · – no data. Colour only repeats the mark.")
st.dataframe(ui.scorecard_table(card, ui.benchmarks()), hide_index=True, width="stretch")

st.subheader("What if?")
with st.expander("Scenario: change the targets and see the opportunity and backlog weeks"):
    scenario, changes = ui.scenario_controls(ui.benchmarks())
    ui.show_scenario_changes(changes)
    what_if = ui.scenario_report(view.period.start, view.period.end, scenario)
    if view.trust:
        what_if = what_if[what_if["trust_code"] == view.trust]
    st.dataframe(ui.scenario_table(what_if), hide_index=True, width="stretch")
    ui.download(what_if, "what-if")
