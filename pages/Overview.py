"""Overview for SROs: which trusts have the biggest opportunity, and who is truly an outlier?

The headline tiles sit above tabs, of which only the open one runs (``ui.page_tabs``): the
ranking of improvement opportunity first, then the scorecard against every benchmark, the
outliers, reporting turnaround and DNAs, and the what-if scenario.
"""

import streamlit as st

from productivity import charts, ui
from productivity.store import reports
from productivity.ui import basis as ui_basis, outliers, overview as loaders
from productivity.views import overview as ov, overview_outliers as oo

view = ui.frame("Overview")
TABS = ("Opportunity", "Scorecard", "Outliers", "Reporting and DNAs", "What if?")


# Plain option labels (no format_func), so the URL holds what the user sees: ?ranking=Share.
MEASURES = {"Theatre cases": "theatre", "Imaging scans": "scans"}
RANKINGS = {"Count": "absolute", "Share of current activity": "percent"}
controls = st.columns(4)
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
# The scan rate each trust is held to: the same control and ?benchmark= as Diagnostics.
basis = ui_basis.benchmark_basis(controls[3])
card = loaders.load_card(view.period.start, view.period.end, ranking, measure, basis)
peer_label = controls[2].selectbox(
    "Peer group",
    oo.peer_options(card["trust_code"]),
    key="peer",
    bind="query-params",
    help="Rank and compare trusts only with others of the same type (data/trusts.csv).",
)
peer = oo.peer_key(peer_label)
card = ov.peer_ranking(card, peer, measure, ranking)
if view.trust:
    card = card[card["trust_code"] == view.trust]
if card.empty:
    ui.empty_state(
        f"{view.trust} is not in the {peer_label} peer group: choose {oo.ALL_PEERS} or its own."
        if peer and view.trust
        else "No trust has data for the chosen filters. Widen the period or pick all trusts."
    )
    st.stop()

# Period totals, like the table beside them; each tile says which months it covers.
period = ov.period_text(view.period, view.months)
for tile, shown in zip(
    st.columns(3),
    ov.headline_tiles(card, view.period, view.months, ui.benchmarks(), basis),
    strict=True,
):
    tile.metric(shown.label, shown.value, help=shown.help)
scans_said = ov.basis_caption(ui.benchmarks(), basis)

tab = ui.page_tabs(TABS, key="tab")
with tab.container:
    if tab.open == "Opportunity":
        what = reports.OPPORTUNITY_MEASURES[measure][2]
        within = f" within the {peer_label} peer group" if peer else ""
        st.subheader(f"Trusts ranked by {what}{within} ({card['ranking'].iloc[0]}), {period}")
        value, label, fmt = ov.ranking_axis(ranking, what)
        card = card.assign(label=ov.gap_labels(card, measure, ui.benchmarks()))
        ui.chart_with_table(
            charts.ranking_bars(card, value, label, fmt=fmt, name="trust_label"),
            ov.ranking_table(card),
            "trust-ranking",
            raw=card,
            widths=(1, 1),
            deferred=True,
            caption=scans_said,
        )
    elif tab.open == "Scorecard":
        st.subheader(
            "Every trust against the national benchmarks"
            if basis == "national"
            else "Every trust against its benchmarks"
        )
        st.caption(
            "✓ meets the benchmark · ✗ short of it · – no data. Colour only repeats the mark. "
            + scans_said
        )
        ui.show_table(
            ov.scorecard_table(card, ui.benchmarks(), basis),
            like=ov.scorecard_formats(card, ui.benchmarks(), basis),
        )
    elif tab.open == "Outliers":
        outliers.outlier_section(view, peer)
    elif tab.open == "Reporting and DNAs":
        st.subheader("Reporting, pathology and missed appointments")
        st.caption(
            "Share within each turnaround target (✓/✗), the DNA rate and the standardised DNA "
            "ratio (1 = as expected for the trust's deprivation mix). Details on the Reporting "
            "and pathology and Health inequalities pages."
        )
        turnaround = loaders.load_turnaround(view.period.start, view.period.end)
        if view.trust:
            turnaround = turnaround[turnaround["Trust"].str.startswith(view.trust)]
        ui.show_table(turnaround, "turnaround-scorecard", deferred=True)
    else:
        ui.what_if_section(view, basis)

ui.board_pack_button(view, basis)
# Another period needs each list's figures: read them now, while the page is looked at.
loaders.prefetch_lists()
