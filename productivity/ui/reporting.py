"""The Reporting and pathology page's tabs: every trust against the targets, the chosen trust's
month-by-month SPC, its turnaround days, the unreported backlog and a drill-down.

The page draws :data:`TABS` and calls :func:`draw_tab` for the open one, which works out that
tab's frames alone. The period's figures are summed from each kind's marts summed per month
once per build (``views.reporting_months``: the same sums, so the same figures), and what does
not depend on the trust (every trust's shares and their table) is cached without it.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import streamlit as st

from productivity import charts
from productivity.benchmarks import Benchmark
from productivity.stats import spc
from productivity.store import marts
from productivity.store.turnaround import DRILL_KEYS
from productivity.ui.frame import CACHE_TTL, benchmarks, engine, store_facts
from productivity.ui.spc_section import spc_section
from productivity.ui.widgets import chart_with_table, section, show_table
from productivity.views import (
    reporting as rv,
    reporting_months as rm,
    reporting_tables as rt,
)

TABS = ("Trusts against targets", "Month by month", "Turnaround days", "Backlog", "Drill-down")


@st.cache_data(ttl=CACHE_TTL, show_spinner=False)
def load_months(kind: str) -> rm.KindMonths:
    """The kind's marts summed per month: every period's figures are summed from them."""
    return rm.kind_months(engine(), kind)


@st.cache_data(ttl=CACHE_TTL, show_spinner=False)
def load_trusts(kind: str, start: str | None, end: str | None) -> pd.DataFrame:
    """Every trust against the kind's targets: the same whichever trust or target is chosen."""
    return rm.shares_in(load_months(kind), marts.Period(start, end), kind, benchmarks())


@st.cache_data(ttl=CACHE_TTL, show_spinner=False)
def load_benchmark_table(kind: str, start: str | None, end: str | None) -> pd.DataFrame:
    trusts = load_trusts(kind, start, end)
    return rt.benchmark_table(trusts, benchmarks(), store_facts().trust_names)


@st.cache_data(ttl=CACHE_TTL, show_spinner=False)
def load_monthly(
    measure: str, trust: str | None, start: str | None, end: str | None
) -> tuple[pd.DataFrame, spc.SPCResult | None]:
    months, target = load_months(rv.measure_kind(measure)), benchmarks()[measure].value
    return rm.monthly_in(months, marts.Period(start, end), measure, trust, target)


@st.cache_data(ttl=CACHE_TTL, show_spinner=False)
def load_days(measure: str, trust: str | None, start: str | None, end: str | None) -> pd.DataFrame:
    months = load_months(rv.measure_kind(measure))
    return rm.days_in(months, marts.Period(start, end), measure, trust)


@st.cache_data(ttl=CACHE_TTL, show_spinner=False)
def load_backlog(kind: str, trust: str | None) -> pd.DataFrame:
    """The unreported backlog now: a snapshot, the same whatever the period."""
    return rv.trust_backlog(engine(), kind, trust)


@st.cache_data(ttl=CACHE_TTL, show_spinner=False)
def load_drill(
    measure: str, trust: str | None, start: str | None, end: str | None, by: str | None
) -> tuple[pd.DataFrame, str]:
    return rv.drill_view(engine(), marts.Period(start, end), measure, trust, by)


@dataclass(frozen=True)
class Chosen:
    """What the sidebar and the target selector chose, as every tab reads it."""

    measure: str
    trust: str | None
    start: str | None
    end: str | None
    where: str  # "at RBL" or "across the system"

    @property
    def kind(self) -> str:
        return rv.measure_kind(self.measure)

    @property
    def target(self) -> Benchmark:
        return benchmarks()[self.measure]

    @property
    def label(self) -> str:
        return self.target.label.split(":")[0]

    @property
    def slug(self) -> str:
        return f"turnaround-{self.measure.replace('_', '-')}"


def draw_tab(tab: str, chosen: Chosen) -> None:
    """The open tab's section (one of :data:`TABS`)."""
    if tab == TABS[1]:
        monthly_section(chosen)
    elif tab == TABS[2]:
        days_section(chosen)
    elif tab == TABS[3]:
        backlog_section(chosen)
    elif tab == TABS[4]:
        drill_section(chosen)
    else:
        trusts_section(chosen)


def trusts_section(c: Chosen) -> None:
    trusts = load_trusts(c.kind, c.start, c.end)
    empty = f"No {c.kind} events in the chosen period. Widen the period."
    if not section(f"Every trust against the {c.kind} targets", trusts, empty):
        return
    st.caption("✓ meets the target · ✗ short of it · – nothing decided yet.")
    table = load_benchmark_table(c.kind, c.start, c.end)
    show_table(table, f"turnaround-{c.kind}-trusts", raw=trusts, deferred=True)
    chosen = trusts[trusts["measure"] == c.measure]
    chart = charts.metric_vs_benchmark(
        chosen, "trust_code", "share_within_target", "Share within target", c.target.value,
        fmt=".1%", benchmark_label="target",
    )  # fmt: skip
    shown = rt.measure_table(trusts, c.measure, store_facts().trust_names)
    chart_with_table(chart, shown, f"{c.slug}-trusts", deferred=True)


def monthly_section(c: Chosen) -> None:
    monthly, result = load_monthly(c.measure, c.trust, c.start, c.end)
    empty = f"Fewer than {rv.MIN_SPC_MONTHS} months with decided events {c.where}."
    spc_section(
        f"{c.label} {c.where}: monthly share within target, SPC", result, empty,
        label="Share within target", fmt=".1%", table=rt.spc_table, name=f"{c.slug}-spc",
        raw=monthly, like=rt.SPC_FORMATS,
    )  # fmt: skip


def days_section(c: Chosen) -> None:
    days = load_days(c.measure, c.trust, c.start, c.end)
    empty = f"Nothing reported for this target {c.where} in the chosen period."
    if not section(f"Turnaround distribution {c.where}", days, empty):
        return
    shown = rt.days_bars(days, int(c.target.extra.get("days", 0)))
    chart = charts.ordered_bars(shown, "turnaround", "events", "reported events", colour="against")
    st.caption(
        f"Reported events by whole {c.target.extra.get('day_kind', 'calendar')} days; the last "
        "bar (and row) holds every event from its number of days on."
    )
    chart_with_table(chart, rt.days_table(shown), f"{c.slug}-days", raw=days, deferred=True)


def backlog_section(c: Chosen) -> None:
    backlog = load_backlog(c.kind, c.trust)
    total = rv.backlog_total(backlog)
    empty = f"No {c.kind} event is waiting for a report {c.where}."
    if not section(f"Unreported backlog by age {c.where}, now", total, empty):
        return
    st.caption(
        "Events not yet reported at each trust's latest timestamp (its as-at moment), by "
        "calendar days since the test (receipt). The backlog is a snapshot, so the period "
        "filter does not apply."
    )
    chart = charts.ordered_bars(total, "age_band", "unreported", "unreported", colour="age_band")
    wide = rt.backlog_wide(backlog, store_facts().trust_names)
    chart_with_table(
        chart, wide, f"turnaround-{c.kind}-backlog", raw=backlog, like=rt.BACKLOG_FORMATS,
        deferred=True,
    )  # fmt: skip


@st.fragment
def drill_section(c: Chosen) -> None:
    """The drill-down key changes only this section: a fragment reruns it alone."""
    keys = DRILL_KEYS[c.kind]
    by = st.selectbox(
        "Drill down by", list(keys), index=len(keys) - 1, key=f"{c.kind}_by",
        bind="query-params", format_func=lambda k: rv.DRILL_HEADINGS.get(k, k),
    )  # fmt: skip
    drill, drill_by = load_drill(c.measure, c.trust, c.start, c.end, by)
    heading = rv.DRILL_HEADINGS[drill_by]
    empty = f"No events for this target {c.where} in the chosen period."
    if not section(f"{c.label} {c.where} by {heading.lower()}", drill, empty):
        return
    chart = charts.metric_vs_benchmark(
        drill, "group", "share_within_target", "Share within target", c.target.value,
        fmt=".1%", benchmark_label="target",
    )  # fmt: skip
    table = drill.rename(columns={"group": heading})
    name = f"{c.slug}-by-{drill_by.replace('_', '-')}"
    chart_with_table(chart, table, name, deferred=True)
