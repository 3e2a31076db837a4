"""Mutual aid for diagnostics programme leads: which trust could send how many patients a week
to which trust that can take them.

The plan's tiles and projection head the page; its transfers, each trust's waiters (the chart)
and what limits the plan are lazy tabs, of which only the open one is drawn.
"""

import streamlit as st

from productivity import charts, ui
from productivity.planning import mutual_aid
from productivity.store import marts
from productivity.ui import basis as ui_basis
from productivity.views import mutual_aid as mad

view = ui.frame("Mutual aid", filters=("period",))


# A resource, not data: the same plan object on every rerun, so the tables made of it are kept
# (views.aid_tables); a new build of the marts (every import makes one) is a new key.
@st.cache_resource(ttl=ui.CACHE_TTL, max_entries=64, show_spinner=False)
def load_plan(
    build: str,
    test: str,
    start: str | None,
    end: str | None,
    max_km: float,
    share: float,
    basis: str,
) -> mutual_aid.MutualAidPlan:
    period = marts.Period(start, end)
    return mad.propose(
        ui.engine(),
        test,
        period,
        ui.benchmarks(),
        max_distance_km=max_km,
        capacity_share=share,
        basis=basis,
    )


controls = st.columns([2, 1, 1])
# Plain DM01 codes as options, so that ?test=MRI works in a shared URL.
test = controls[0].selectbox("Diagnostic test", list(mad.TESTS), key="test", bind="query-params")
controls[0].caption(mad.test_label(test))
max_km = controls[1].slider(
    "Maximum distance between nearest sites (km)",
    5,
    100,
    int(mutual_aid.DEFAULT_MAX_DISTANCE_KM),
    step=5,
    key="max_km",
    bind="query-params",
)
share = controls[2].slider(
    "Cap on the share of spare capacity offered (%)",
    10,
    100,
    int(mutual_aid.DEFAULT_CAPACITY_SHARE * 100),
    step=10,
    key="share",
    bind="query-params",
)
# The scan rate spare capacity is counted at: the same control and ?benchmark= as Diagnostics.
basis = ui_basis.benchmark_basis()
try:
    plan = load_plan(
        marts.build_stamp(ui.engine()),
        test,
        view.period.start,
        view.period.end,
        float(max_km),
        share / 100,
        basis,
    )
except mutual_aid.EligibilityError as error:
    st.error(f"The mutual-aid eligibility rules cannot be read: {ui.plain(error)}")
    st.stop()
if plan.trusts.empty:
    ui.empty_state(f"No trust reports {mad.test_label(test)} waits in the chosen period.")
    st.stop()

horizon = max(plan.parameters.projection_weeks)
tiles = st.columns(1 + len(plan.projection))
for tile, (label, value, delta, help_text) in zip(tiles, mad.tiles(plan), strict=True):
    tile.metric(label, value, delta=delta, delta_color="inverse", help=help_text or None)
ui.show_table(mad.projection_table(plan), withheld=mad.projection_withheld(plan))


def transfers_section() -> None:
    st.subheader(f"Proposed transfers: {mad.test_label(test)}")
    if plan.no_transfer:
        ui.empty_state(f"No transfer is proposed. {plan.reason}")
        return
    st.caption(f"{mad.reason(plan)} {mad.basis_caption(test, basis)}")
    ui.show_table(
        mad.proposal_table(plan),
        f"mutual-aid-{test.lower()}",
        raw=mad.proposals_export(plan),
        withheld=mad.proposal_withheld(plan),
        deferred=True,
    )


def waiters_section() -> None:
    st.subheader(f"6+ week waiters per trust, now and after {horizon} weeks with mutual aid")
    chart = charts.before_after(mad.before_after(plan), f"After {horizon} weeks")
    ui.chart_with_table(
        chart,
        mad.trust_table(plan),
        f"mutual-aid-{test.lower()}-trusts",
        raw=mad.trusts_export(plan),
        caption="A count from 1 to 4, or one that would give such a count away, is not drawn. "
        + mad.basis_caption(test, basis),
        withheld=mad.trust_withheld(plan),
        deferred=True,
    )


def limits_section() -> None:
    st.subheader("What limits the plan")
    binding = mad.constraint_table(plan)
    if binding.empty:
        st.caption("No constraint binds: every transfer that helps is made.")
    else:
        ui.show_table(binding, withheld=mad.constraint_withheld(plan))
    with st.expander("Who may take whose patients"):
        ui.show_table(mad.eligibility_table(test))
        st.caption(
            "Rules by peer group, read from data/mutual_aid_eligibility.toml (its comments say "
            "why): a children's trust takes only children, and a specialist centre's patients "
            "stay with centres like it."
        )


SECTIONS = {"Proposed transfers": transfers_section, "Waiters per trust": waiters_section,
            "What limits the plan": limits_section}  # fmt: skip
tab = ui.page_tabs(tuple(SECTIONS), key="tab")
with tab.container:
    SECTIONS[tab.open]()
st.caption(
    f"Spare capacity is activity at the benchmark rate beyond what was done, a week, over the "
    f"last {mad.RECENT_WEEKS} whole weeks of the period. {mad.basis_caption(test, basis)} "
    "Each trust's spare capacity goes to its own longest waiters first. A trust takes patients "
    "only with the spare capacity left "
    f"after what it needs to clear its own 6+ week backlog in {horizon} weeks, so its own "
    "waiters still fall; a trust that sends patients sees as many of its own 6+ week waiters "
    "as its spare capacity allows, and sends more. The projection compares that with each "
    "trust clearing its own list alone, and assumes each list would otherwise hold steady "
    "and that transferred patients are the longest waiters, seen within the week. Transfers "
    "are whole patients a week, rounded down from the optimum of a linear programme (HiGHS). "
    "Counts of patients from 1 to 4 are shown as *, and so is a total that would give one away."
)
