"""The Diagnostics page's tabs: each trust against the modality's benchmark, each scanner (or
site), the trend and SPC, DM01 waits, and the backlog with the what-if scenario.

The page draws the open tab only (:func:`productivity.ui.tabs.page_tabs`), and each tab loads
its own figures: a loader per tab, cached on plain values, with the parts every trust shares
cached on keys without the trust, so a change of trust recomputes only the trust's own. Numbers
come from :mod:`productivity.views.diagnostics` (the DM01 tab is
:mod:`productivity.ui.dm01_section`).
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from productivity import charts
from productivity.store import marts
from productivity.ui.frame import CACHE_TTL, View, benchmarks, engine
from productivity.ui.spc_section import spc_section
from productivity.ui.whatif import what_if_section
from productivity.ui.widgets import chart_with_table, empty_state, section, show_table
from productivity.views import diagnostics as dv, diagnostics_text as dt

AGAINST, UNITS, TREND, DM01, BACKLOG = (
    "Against the benchmark", "By scanner or site", "Trend and SPC", "DM01 waits",
    "Backlog and what if",
)  # fmt: skip
TABS = (AGAINST, UNITS, TREND, DM01, BACKLOG)


@st.cache_data(ttl=CACHE_TTL, show_spinner=False)
def load_rates(modality: str, start: str | None, end: str | None, basis: str) -> pd.DataFrame:
    """Every trust's rate, ranked: worked out once, whichever trust is chosen."""
    return dv.ranked_rates(engine(), modality, marts.Period(start, end), benchmarks(), basis)


@st.cache_data(ttl=CACHE_TTL, show_spinner=False)
def load_units(modality: str, start: str | None, end: str | None, basis: str) -> pd.DataFrame:
    """Every scanner's (site's) rate: worked out once, whichever trust is chosen."""
    return dv.unit_rates(engine(), modality, marts.Period(start, end), benchmarks(), basis)


@st.cache_data(ttl=CACHE_TTL, show_spinner=False)
def load_ai_scenario(
    trust: str | None, start: str | None, end: str | None
) -> tuple[float, float] | None:
    return dv.ai_scenario(engine(), marts.Period(start, end), trust, benchmarks())


@st.cache_data(ttl=CACHE_TTL, show_spinner=False)
def load_system_trend(
    modality: str, start: str | None, end: str | None, basis: str
) -> dv.SystemTrend:
    """The system's trend and benchmark line: worked out once, whichever trust is chosen."""
    return dv.system_trend(engine(), modality, marts.Period(start, end), benchmarks(), basis)


@st.cache_data(ttl=CACHE_TTL, show_spinner=False)
def load_trend(
    modality: str, trust: str | None, start: str | None, end: str | None, basis: str
) -> dv.TrendView:
    period, system = marts.Period(start, end), load_system_trend(modality, start, end, basis)
    return dv.trend_view(engine(), modality, period, trust, benchmarks(), basis, system)


@st.cache_data(ttl=CACHE_TTL, show_spinner=False)
def load_backlog(modality: str, start: str | None, end: str | None, basis: str) -> pd.DataFrame:
    """Every trust's weeks to clear and the system's: worked out once, whichever trust."""
    return dv.backlog_clearance(engine(), modality, marts.Period(start, end), benchmarks(), basis)


def against_benchmark(view: View, basis: str, where: str) -> None:
    """Each trust against the benchmark, the chosen one marked."""
    spec, slug = dv.metric_spec(view.modality, benchmarks()), _slug(view)
    every = load_rates(view.modality, view.period.start, view.period.end, basis)
    rates = dv.marked(every, view.trust)
    said, own = dt.basis_words(spec, basis), dt.own_rate_args(spec, basis)
    if section(
        f"{view.modality}: each trust against the benchmark",
        rates,
        f"No {view.modality} activity in the chosen period. Widen the period.",
    ):
        chart = charts.metric_vs_benchmark(
            rates, "trust", **spec.bar_args(), benchmark_label="national", **own
        )
        table = dt.rate_table(rates, spec, ["trust"], basis)
        ranks = f"{said} {dt.ranking_words(spec, basis)}"
        chart_with_table(chart, table, f"{slug}-trusts", raw=rates, caption=ranks, deferred=True)
        scenario = (
            load_ai_scenario(view.trust, view.period.start, view.period.end)
            if spec.modality == dv.ECHO
            else None
        )
        if scenario:
            st.info(dt.ai_note(scenario, where), icon=":material/lightbulb:")


def by_unit(view: View, basis: str, where: str) -> None:
    """The distribution per scanner (imaging) or site (endoscopy, echo) at the trust."""
    spec, slug = dv.metric_spec(view.modality, benchmarks()), _slug(view)
    every = load_units(view.modality, view.period.start, view.period.end, basis)
    units = dv.units_of(every, view.trust)
    said, own = dt.basis_words(spec, basis), dt.own_rate_args(spec, basis)
    empty = f"No {view.modality} activity {where} in the chosen period."
    if section(f"Distribution per {spec.unit} {where}", units, empty):
        chart = charts.distribution(
            units, spec.column, spec.label, spec.benchmark, fmt=spec.fmt,
            benchmark_label="national", **own,
        )  # fmt: skip
        table = dt.rate_table(units, spec, spec.modality.unit_keys, basis)
        chart_with_table(
            chart, table, f"{slug}-{spec.unit}s", raw=units, caption=said, deferred=True
        )


def trend_and_spc(view: View, basis: str, where: str) -> None:
    """The monthly trend with its benchmark, and the weekly rate as an SPC chart."""
    spec, slug = dv.metric_spec(view.modality, benchmarks()), _slug(view)
    data = load_trend(view.modality, view.trust, view.period.start, view.period.end, basis)
    line = dt.line_words(spec, basis, data.line, view.trust or "the system")
    empty = f"No {view.modality} activity {where} in the chosen period."
    if section("Monthly trend, with the benchmark", data.trend, empty):
        chart = charts.trend(
            data.trend, "month", spec.column, spec.label, benchmark=data.line, colour="series",
            fmt=spec.fmt,
        )  # fmt: skip
        table = dt.trend_table(data.trend, spec)
        chart_with_table(chart, table, f"{slug}-trend", raw=data.trend, caption=line, deferred=True)

    empty_spc = f"No whole week of {view.modality} activity {where} in the chosen period."
    spc_section(
        f"Weekly {spec.label} {where}: SPC", data.spc, empty_spc, label=spec.label,
        fmt=spec.fmt, table=lambda result: dt.spc_table(result, spec), name=f"{slug}-spc",
        raw=data.spc.points if data.spc else None,
        caption=lambda result: f"{dt.spc_caption(result)} {line}", rebases=data.rebases,
    )  # fmt: skip


def backlog_and_what_if(view: View, basis: str) -> None:
    """Weeks to clear the 6-week backlog at benchmark productivity, and the what-if panel that
    moves the benchmarks and shows the weeks again."""
    spec, bench = dv.metric_spec(view.modality, benchmarks()), benchmarks()
    st.subheader("Weeks to clear the 6-week backlog at benchmark productivity")
    st.caption(dt.backlog_caption(spec, basis))
    every = load_backlog(view.modality, view.period.start, view.period.end, basis)
    backlog = dv.backlog_for_trust(every, view.trust)
    if backlog.empty:
        empty_state("No DM01 waits and activity to set against each other in the chosen period.")
    else:
        table = dt.backlog_table(backlog, bench)
        show_table(table, f"{_slug(view)}-backlog", raw=backlog, deferred=True)
    what_if_section(view, basis)


def _slug(view: View) -> str:
    return f"diagnostics-{view.modality.lower()}"
