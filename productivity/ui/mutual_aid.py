"""The Mutual aid page's sections: the controls, the plan's tiles and projection, and the lazy
tabs (the proposed transfers, each trust's waiters, what limits the plan), of which only the
open one is drawn. Numbers and tables come from :mod:`productivity.views.mutual_aid`; the
matcher is :mod:`productivity.planning.mutual_aid`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

import streamlit as st

from productivity import charts
from productivity.planning import mutual_aid
from productivity.store import marts
from productivity.ui import basis as ui_basis
from productivity.ui.frame import CACHE_TTL, View, benchmarks, engine
from productivity.ui.tabs import page_tabs
from productivity.ui.widgets import chart_with_table, empty_state, plain, show_table
from productivity.views import mutual_aid as mad


# A resource, not data: the same plan object on every rerun, so the tables made of it are kept
# (views.aid_tables); a new build of the marts (every import makes one) is a new key.
@st.cache_resource(ttl=CACHE_TTL, max_entries=64, show_spinner=False)
def load_plan(
    build: str,
    test: str,
    start: str | None,
    end: str | None,
    max_km: float,
    share: float,
    basis: str,
) -> mutual_aid.MutualAidPlan:
    return mad.propose(
        engine(),
        test,
        marts.Period(start, end),
        benchmarks(),
        max_distance_km=max_km,
        capacity_share=share,
        basis=basis,
        stamp=build,
    )


@dataclass(frozen=True)
class Choice:
    """The page's own controls: the test, the distance and share limits, the benchmark basis."""

    test: str
    max_km: int
    share: int  # %
    basis: str


def controls() -> Choice:
    """The diagnostic test, the distance and share sliders and the benchmark basis (all in the
    URL, so a shared link opens the same plan)."""
    row = st.columns([2, 1, 1])
    # Plain DM01 codes as options, so that ?test=MRI works in a shared URL.
    test = row[0].selectbox("Diagnostic test", list(mad.TESTS), key="test", bind="query-params")
    row[0].caption(mad.test_label(test))
    max_km = row[1].slider(
        "Maximum distance between nearest sites (km)",
        5,
        100,
        int(mutual_aid.DEFAULT_MAX_DISTANCE_KM),
        step=5,
        key="max_km",
        bind="query-params",
    )
    share = row[2].slider(
        "Cap on the share of spare capacity offered (%)",
        10,
        100,
        int(mutual_aid.DEFAULT_CAPACITY_SHARE * 100),
        step=10,
        key="share",
        bind="query-params",
    )
    # The scan rate spare capacity is counted at: the same control and ?benchmark= as
    # Diagnostics.
    return Choice(test, max_km, share, ui_basis.benchmark_basis())


def plan_for(view: View, choice: Choice) -> mutual_aid.MutualAidPlan:
    """The plan for the chosen test and period; stops the page with a message when the rules
    cannot be read or no trust reports the test."""
    try:
        plan = load_plan(
            marts.build_stamp(engine()),
            choice.test,
            view.period.start,
            view.period.end,
            float(choice.max_km),
            choice.share / 100,
            choice.basis,
        )
    except mutual_aid.EligibilityError as error:
        st.error(f"The mutual-aid eligibility rules cannot be read: {plain(error)}")
        st.stop()
    if plan.trusts.empty:
        empty_state(f"No trust reports {mad.test_label(choice.test)} waits in the chosen period.")
        st.stop()
    return plan


def headline(plan: mutual_aid.MutualAidPlan) -> None:
    """The plan's tiles and its projection table."""
    tiles = st.columns(1 + len(plan.projection))
    for tile, (label, value, delta, help_text) in zip(tiles, mad.tiles(plan), strict=True):
        tile.metric(label, value, delta=delta, delta_color="inverse", help=help_text or None)
    show_table(mad.projection_table(plan), withheld=mad.projection_withheld(plan))


def transfers_section(plan: mutual_aid.MutualAidPlan, choice: Choice) -> None:
    test = choice.test
    st.subheader(f"Proposed transfers: {mad.test_label(test)}")
    if plan.no_transfer:
        empty_state(f"No transfer is proposed. {plan.reason}")
        return
    st.caption(f"{mad.reason(plan)} {mad.basis_caption(test, choice.basis)}")
    show_table(
        mad.proposal_table(plan),
        f"mutual-aid-{test.lower()}",
        raw=functools.partial(mad.proposals_export, plan),  # made on click
        withheld=mad.proposal_withheld(plan),
        deferred=True,
    )


def waiters_section(plan: mutual_aid.MutualAidPlan, choice: Choice) -> None:
    horizon = max(plan.parameters.projection_weeks)
    st.subheader(f"6+ week waiters per trust, now and after {horizon} weeks with mutual aid")
    chart = charts.before_after(mad.before_after(plan), f"After {horizon} weeks")
    chart_with_table(
        chart,
        mad.trust_table(plan),
        f"mutual-aid-{choice.test.lower()}-trusts",
        raw=functools.partial(mad.trusts_export, plan),  # made on click
        caption="A count from 1 to 4, or one that would give such a count away, is not drawn. "
        + mad.basis_caption(choice.test, choice.basis),
        withheld=mad.trust_withheld(plan),
        deferred=True,
    )


def limits_section(plan: mutual_aid.MutualAidPlan, choice: Choice) -> None:
    st.subheader("What limits the plan")
    binding = mad.constraint_table(plan)
    if binding.empty:
        st.caption("No constraint binds: every transfer that helps is made.")
    else:
        show_table(binding, withheld=mad.constraint_withheld(plan))
    with st.expander("Who may take whose patients"):
        show_table(mad.eligibility_table(choice.test))
        st.caption(
            "Rules by peer group, read from data/mutual_aid_eligibility.toml (its comments say "
            "why): a children's trust takes only children, and a specialist centre's patients "
            "stay with centres like it."
        )


SECTIONS: dict[str, Callable[[mutual_aid.MutualAidPlan, Choice], None]] = {
    "Proposed transfers": transfers_section,
    "Waiters per trust": waiters_section,
    "What limits the plan": limits_section,
}


def sections(plan: mutual_aid.MutualAidPlan, choice: Choice) -> None:
    """The lazy tabs (only the open one runs) and the method note under them."""
    tab = page_tabs(tuple(SECTIONS), key="tab")
    with tab.container:
        SECTIONS[tab.open](plan, choice)
    horizon = max(plan.parameters.projection_weeks)
    st.caption(
        f"Spare capacity is activity at the benchmark rate beyond what was done, a week, over "
        f"the last {mad.RECENT_WEEKS} whole weeks of the period. "
        f"{mad.basis_caption(choice.test, choice.basis)} "
        "Each trust's spare capacity goes to its own longest waiters first. A trust takes "
        "patients only with the spare capacity left "
        f"after what it needs to clear its own 6+ week backlog in {horizon} weeks, so its own "
        "waiters still fall; a trust that sends patients sees as many of its own 6+ week "
        "waiters as its spare capacity allows, and sends more. The projection compares that "
        "with each trust clearing its own list alone, and assumes each list would otherwise "
        "hold steady and that transferred patients are the longest waiters, seen within the "
        "week. Transfers are whole patients a week, rounded down from the optimum of a linear "
        "programme (HiGHS). Counts of patients from 1 to 4 are shown as *, and so is a total "
        "that would give one away."
    )
