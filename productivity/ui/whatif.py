"""The what-if panel (Overview and Diagnostics): scenario sliders bound to the URL."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from productivity import peers
from productivity.benchmarks import Benchmarks
from productivity.planning import scenarios
from productivity.store import marts, reports
from productivity.ui.frame import CACHE_TTL, View, benchmarks, engine
from productivity.ui.widgets import show_table
from productivity.views.whatif import scenario_table


def scenario_controls(
    bench: Benchmarks, basis: str = "national"
) -> tuple[scenarios.Scenario, dict[str, tuple[object, object]]]:
    """What-if sliders, bound to the URL so a scenario can be shared; defaults = benchmarks.

    On the ``peer`` basis a scan-rate slider left at the national rate holds each trust to its
    own peer group's rate, as the Diagnostics tables do; a slider moved sets that rate for
    every trust."""
    base = scenarios.Scenario.from_benchmarks(bench)
    echo = bench["echo_minutes_per_test"]
    cols = st.columns(3)
    target = cols[0].slider(
        "Target capped utilisation (%)",
        60,
        100,
        int(round(base.target_utilisation * 100)),
        key="wi_target",
        bind="query-params",
    )
    extra = cols[0].slider(
        "Extra theatre sessions per week (per trust)",
        0,
        20,
        0,
        key="wi_sessions",
        bind="query-params",
    )
    cancel = cols[0].slider(
        "On-the-day cancellation rate (%)",
        0.0,
        5.0,
        float(bench.value("otd_cancellation_rate") * 100),
        0.5,
        key="wi_cancel",
        bind="query-params",
    )
    rates = {
        modality: cols[1].slider(
            f"{modality} scans per hour",
            1.0,
            6.0,
            float(rate),
            0.1,
            key=f"wi_{modality.lower()}",
            bind="query-params",
        )
        for modality, rate in base.scan_rates.items()
    }
    echo_minutes = cols[2].slider(
        "Echo minutes per test",
        15.0,
        60.0,
        float(echo.value),
        1.0,
        key="wi_echo",
        bind="query-params",
        help=f"{echo.value:g} is the benchmark; "
        f"{float(echo.extra.get('scenario_ai_assisted', 20)):g} is the AI-assisted scenario.",
    )
    unmoved = [m for m, rate in rates.items() if rate == base.scan_rates.get(m)]
    trust_rates: tuple[tuple[str, str, float], ...] = ()
    if basis != "national":
        own = bench.trust_scan_rates(peers.peer_groups().index, basis).reset_index()
        own = own[own["modality"].isin(unmoved)]
        trust_rates = tuple(
            zip(
                own["trust_code"].astype(str),
                own["modality"].astype(str),
                own["benchmark_scans_per_hour"].astype(float),
                strict=True,
            )
        )
    scenario = scenarios.Scenario(
        target_utilisation=target / 100,
        scan_rates=rates,
        trust_scan_rates=trust_rates,
        echo_minutes_per_test=echo_minutes,
        extra_sessions_per_week=extra,
        cancellation_rate=cancel / 100,
        within_6_weeks_target=base.within_6_weeks_target,
    )
    reference = scenarios.Scenario(
        target_utilisation=base.target_utilisation,
        scan_rates=base.scan_rates,
        echo_minutes_per_test=base.echo_minutes_per_test,
        extra_sessions_per_week=0,
        cancellation_rate=bench.value("otd_cancellation_rate"),
        within_6_weeks_target=base.within_6_weeks_target,
    )
    return scenario, scenario.changes(reference)


def show_scenario_changes(changes: dict[str, tuple[object, object]]) -> None:
    if not changes:
        st.caption("All values are the national benchmarks (the defaults).")
        return
    listed = "; ".join(f"{name}: {new} (benchmark {old})" for name, (old, new) in changes.items())
    st.info(f"**Scenario, not a benchmark.** Changed: {listed}.", icon=":material/tune:")


@st.cache_data(ttl=CACHE_TTL, show_spinner=False)
def scenario_report(
    start: str | None, end: str | None, scenario: scenarios.Scenario
) -> pd.DataFrame:
    return reports.scenario_report(engine(), marts.Period(start, end), scenario)


def what_if_section(view: View, basis: str = "national") -> None:
    """The what-if scenario (Overview and Diagnostics): sliders in the URL, results per trust.

    ``basis``: the scan-rate benchmark basis of the page (``national`` or ``peer``)."""
    st.subheader("What if?")
    # A toggle rather than an always-computed expander: the scenario costs a pass over every
    # list, so a first render does not pay for it; the toggle is in the URL with the sliders.
    if not st.toggle(
        "Explore a scenario: change the targets and see the opportunity and backlog weeks",
        key="what_if",
        bind="query-params",
    ):
        return
    with st.container(border=True):
        scenario, changes = scenario_controls(benchmarks(), basis)
        show_scenario_changes(changes)
        what_if = scenario_report(view.period.start, view.period.end, scenario)
        if view.trust:
            what_if = what_if[what_if["trust_code"] == view.trust]
        own = (
            " A scan rate left at its national value holds each trust to its own peer group's "
            "rate, as the tables above do; a rate you change applies to every trust."
            if basis != "national"
            else ""
        )
        st.caption(
            "Extra activity a week over the period's weeks, at the scenario's values (the "
            f"benchmarks unless changed above), as on the Diagnostics page.{own}"
        )
        table = scenario_table(what_if, benchmarks())
        show_table(table, "what-if", raw=what_if, deferred=True)
