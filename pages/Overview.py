"""Overview for SROs: which trusts have the biggest opportunity, and who is truly an outlier?"""

import streamlit as st

from productivity import charts, ui
from productivity.store import marts, reports
from productivity.views import overview as ov, reporting as rv

view = ui.frame("Overview")


@st.cache_data(ttl=ui.CACHE_TTL, show_spinner=False)
def load_outliers(start: str | None, end: str | None, measure: str, overdispersion: bool):
    period = marts.Period(start, end)
    return ov.outliers(ui.engine(), period, ui.benchmarks(), measure, overdispersion)


@st.cache_data(ttl=ui.CACHE_TTL, show_spinner=False)
def load_ratio_outliers(start: str | None, end: str | None, overdispersion: bool):
    period = marts.Period(start, end)
    return ov.scan_ratio_outliers(ui.engine(), period, ui.benchmarks(), overdispersion)


@st.cache_data(ttl=ui.CACHE_TTL, show_spinner=False)
def load_turnaround(start: str | None, end: str | None):
    period, names = marts.Period(start, end), ui.store_facts().trust_names
    return rv.turnaround_scorecard(ui.engine(), period, ui.benchmarks(), names)


# Plain option labels (no format_func), so the URL holds what the user sees: ?ranking=Share.
MEASURES = {"Theatre cases": "theatre", "Imaging scans": "scans"}
RANKINGS = {"Count": "absolute", "Share of current activity": "percent"}
controls = st.columns(2)
measure = MEASURES[
    controls[0].segmented_control(
        "Opportunity in",
        list(MEASURES),
        default="Theatre cases",
        key="opportunity",
        bind="query-params",
    )
    or "Theatre cases"
]
ranking = RANKINGS[
    controls[1].segmented_control(
        "Rank trusts by", list(RANKINGS), default="Count", key="ranking", bind="query-params"
    )
    or "Count"
]
card = ui.trust_scorecard(view.period.start, view.period.end, ranking, measure)
if view.trust:
    card = card[card["trust_code"] == view.trust]
if card.empty:
    ui.empty_state("No trust has data for the chosen filters. Widen the period or pick all trusts.")
    st.stop()

per_year = 12 / max(1, len(ov.months_between(view.period, view.months)))
target = ui.benchmarks().value("theatre_capped_utilisation")
tiles = st.columns(3)
tiles[0].metric(
    "Additional theatre cases a year (realisable)",
    f"{card['realisable_additional_cases'].sum() * per_year:,.0f}",
    help=f"Whole cases that fit inside a list at the {target:.0%} benchmark, annualised.",
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

what = reports.OPPORTUNITY_MEASURES[measure][2]
st.subheader(f"Trusts ranked by {what} ({card['ranking'].iloc[0]})")
value, label, fmt = ov.ranking_axis(ranking, what)
card = card.assign(label=ov.gap_labels(card, measure, ui.benchmarks()))
chart = charts.ranking_bars(card, value, label, fmt=fmt)
ui.chart_with_table(chart, ov.ranking_table(card), "trust-ranking", raw=card, widths=(1, 1))

st.subheader("Outlier or opportunity?")
st.markdown(
    "A trust is an **outlier** only if it is outside the 99.8% funnel limits or its SPC "
    "chart shows special cause; it is an **opportunity** if it is short of the benchmark. "
    "Most trusts below the benchmark are typical of the system, not outliers."
)
measure = st.radio(
    "Measure", list(ov.OUTLIER_MEASURES), horizontal=True, key="measure",
    format_func=ov.OUTLIER_MEASURES.get,
)  # fmt: skip
overdispersion = st.toggle(
    "Adjust for overdispersion (DerSimonian–Laird)", value=True, key="overdispersion"
)
label, volume = ov.OUTLIER_AXES[measure]
if measure in ov.RATIO_MEASURES:
    units, ratio_curve, ratios = load_ratio_outliers(
        view.period.start, view.period.end, overdispersion
    )
    chart = charts.ratio_funnel_chart(units, ratio_curve, label=label, volume_label=volume)
    table, caption = ov.ratio_outlier_table(units), ov.ratio_caption(ratios)
    ui.chart_with_table(
        chart, table, f"outliers-{measure}", raw=units, caption=caption, widths=(1, 1)
    )
else:
    table, curve, result = load_outliers(
        view.period.start, view.period.end, measure, overdispersion
    )
    chart = charts.funnel_chart(
        table, curve, target=result.target, label=label, volume_label=volume, unit="trust_code"
    )
    name, caption = f"outliers-{measure}", ov.funnel_caption(result)
    ui.chart_with_table(
        chart, ov.outlier_table(table), name, raw=table, caption=caption, widths=(1, 1)
    )

st.subheader("Every trust against the national benchmarks")
st.caption("✓ meets the benchmark · ✗ short of it · – no data. Colour only repeats the mark.")
ui.show_table(ov.scorecard_table(card, ui.benchmarks()))

st.subheader("Reporting, pathology and missed appointments")
st.caption(
    "Share within each turnaround target (✓/✗), the DNA rate and the standardised DNA ratio "
    "(1 = as expected for the trust's deprivation mix). Details on the Reporting and pathology "
    "and Health inequalities pages."
)
turnaround = load_turnaround(view.period.start, view.period.end)
if view.trust:
    turnaround = turnaround[turnaround["Trust"].str.startswith(view.trust)]
ui.show_table(turnaround, "turnaround-scorecard")

ui.what_if_section(view)
ui.board_pack_button(view)
