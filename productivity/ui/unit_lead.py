"""The Theatres page's unit-lead sections: every measure as tiles and a trend, where the minutes
went, the ranking within the trust, day-case rates against BADS and every trust alongside (SPC
and "has my change worked?" are :mod:`productivity.ui.unit_spc`'s).

Each section reads through a cached loader over the marts (``views`` shape the rows), draws with
``charts`` and puts a table with its download beside every chart. Controls are bound to the URL.
The page's tabs (:data:`TABS`) each draw one section (:func:`draw_tab`), so a filter change
computes only the open tab's frames; the headline and tiles above them read the unit's sums.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from productivity import charts
from productivity.benchmarks import Benchmark
from productivity.columns import COLUMNS
from productivity.store import marts
from productivity.ui import unit_spc
from productivity.ui.frame import CACHE_TTL, benchmarks, engine
from productivity.ui.widgets import chart_with_table, choose, empty_state, plain, show_table
from productivity.views import (
    theatre_daycase as daycase,
    theatre_measures as measures,
    theatre_ranking as ranking,
    theatre_sums as sums,
    theatres as drilldown,
)
from productivity.views.theatres import Unit

TABS = (
    "Trend", "Where the minutes went", "Ranking", "Day case", "Against other trusts", "SPC",
    "Lists",
)  # fmt: skip
TILES_PER_ROW, TILE_HEIGHT = 4, 190  # four fit their labels on a laptop screen


# Cached loaders keyed by plain values: the unit and period as strings, and the benchmark.
@st.cache_data(ttl=CACHE_TTL, show_spinner="Summing the unit's lists…")
def headline(
    trust: str | None, site: str | None, theatre: str | None, specialty: str | None,
    start: str | None, end: str | None, target: float,
) -> sums.Headline:  # fmt: skip
    """The unit's summary (the tiles) and weekly rows (their sparklines, the trend, SPC)."""
    unit = Unit(trust, site, theatre, specialty)
    return sums.headline(engine(), unit, marts.Period(start, end), target)


@st.cache_data(ttl=CACHE_TTL, show_spinner=False)
def _options(trust: str) -> pd.DataFrame:
    return drilldown.unit_options(engine(), trust)


def choose_unit(trust: str | None, specialty: str | None) -> Unit:
    """The unit chosen: the sidebar's trust and specialty, and a site and theatre within the
    trust (pickers bound to the URL, drawn once a trust is chosen)."""
    site = theatre = None
    if trust:
        found = _options(trust)
        names = dict(zip(found["site"], found["site_name"], strict=True))
        left, right = st.columns(2)
        site = choose(left, "Site", names, names)
        theatres: list[str] = found.loc[found["site"] == site, "theatre"].tolist() if site else []
        theatre = choose(right, "Theatre", theatres, disabled=not site)
    return Unit(trust, site, theatre, specialty)


def draw_tab(
    label: str, unit: Unit, period: marts.Period, head: sums.Headline, bench: Benchmark
) -> None:
    """The section of the open tab (one of :data:`TABS`), and only that one."""
    if label == "Trend":
        trend_section(head.weekly, unit, period)
    elif label == "Where the minutes went":
        minutes_section(head.summary)
    elif label == "Ranking" and unit.trust:
        ranking_section(unit, period, bench.value)
    elif label == "Ranking":
        heatmap_section(unit, period)
    elif label == "Day case":
        daycase_section(unit, period)
    elif label == "Against other trusts":
        comparison_section(unit, period, bench)
    elif label == "SPC":
        unit_spc.spc_section(unit, head.weekly, bench)
    else:
        lists_section(unit, period, bench)


def minutes_section(summary: pd.DataFrame) -> None:
    """The lost-time waterfall and the late-start and early-finish bands, from the unit's sums."""
    st.subheader("Where the planned minutes went")
    steps = measures.waterfall_hours(sums.waterfall(summary), int(summary["lists"].iloc[0]))
    chart_with_table(
        charts.waterfall(steps, "hours", "hours"), steps, "lost-time",
        columns=measures.WATERFALL_COLUMNS, caption=drilldown.WATERFALL_NOTE, deferred=True,
        title="Lost time: planned minutes down to capped touch time, in hours",
    )  # fmt: skip
    st.subheader("Late starts and early finishes (share of lists with a case)")
    bands = drilldown.bands_of(summary)
    chart_with_table(
        charts.bands(bands, "measure", "share", "band"), bands, "bands",
        columns=drilldown.BAND_COLUMNS, deferred=True,
        title="Share of lists starting late and finishing early, by minutes",
    )  # fmt: skip


@st.cache_data(ttl=CACHE_TTL, show_spinner="Reading every trust's lists…")
def _heatmap(specialty: str | None, start: str | None, end: str | None) -> pd.DataFrame:
    return sums.unit_heatmap(engine(), Unit(specialty=specialty), marts.Period(start, end))


def heatmap_section(unit: Unit, period: marts.Period) -> None:
    """Every trust's capped utilisation by weekday and session (a trust's is its ranking's)."""
    capped = COLUMNS["capped_utilisation"]
    st.subheader("Capped utilisation by day of week and session")
    heat = _heatmap(unit.specialty, period.start, period.end)
    chart_with_table(
        charts.heatmap(heat, "weekday", "session", capped.key, capped.short), heat, "heatmap",
        columns=drilldown.HEATMAP_COLUMNS, deferred=True,
        title="Capped utilisation by day of week and session",
    )  # fmt: skip
    st.caption("Choose a trust to rank its theatres, specialties and lists by lost time.")


@st.cache_data(ttl=CACHE_TTL, show_spinner=False)
def _comparison(
    trust: str | None, specialty: str | None, start: str | None, end: str | None,
    benchmark: Benchmark,
) -> pd.DataFrame:  # fmt: skip
    unit, period = Unit(trust, specialty=specialty), marts.Period(start, end)
    return drilldown.specialty_comparison(engine(), unit, period, benchmark)


def comparison_section(unit: Unit, period: marts.Period, bench: Benchmark) -> None:
    """Every trust's capped utilisation in the unit's specialty, against the benchmark."""
    capped = COLUMNS["capped_utilisation"]
    st.subheader(f"{plain(unit.specialty or 'All specialties')}: every trust against the benchmark")
    # A site or theatre does not change the comparison: every trust, the unit's specialty.
    compare = _comparison(unit.trust, unit.specialty, period.start, period.end, bench)
    bars = charts.metric_vs_benchmark(
        compare, "trust", capped.key, capped.heading, bench.value, fmt=".0%"
    )
    chart_with_table(
        bars, compare, "trust-comparison", columns=drilldown.COMPARISON_COLUMNS, deferred=True,
        title=f"Capped utilisation of every trust against the {bench.value:.0%} benchmark",
    )  # fmt: skip


@st.cache_data(ttl=CACHE_TTL, show_spinner="Reading the unit's lists…")
def _lists(
    trust: str, site: str | None, theatre: str | None, specialty: str | None,
    start: str | None, end: str | None, benchmark: Benchmark,
) -> pd.DataFrame:  # fmt: skip
    unit, period = Unit(trust, site, theatre, specialty), marts.Period(start, end)
    return drilldown.list_table(engine(), unit, period, benchmark)


def lists_section(unit: Unit, period: marts.Period, bench: Benchmark) -> None:
    """Every list of a unit within a trust, newest first."""
    if not unit.trust:
        st.caption("Choose a trust to see its individual lists.")
        return
    st.subheader("The lists")
    st.caption("Every list of the unit in the period, newest first. Sort by any column.")
    keys = (unit.trust, unit.site, unit.theatre, unit.specialty, period.start, period.end)
    show_table(_lists(*keys, bench), "lists", title="Every list of the unit", deferred=True)


def tiles(rows: list[list[measures.Tile]]) -> None:
    """Rows of metric tiles, each with its note, tooltip and a sparkline of its weekly trend."""
    for row in rows:
        for column, tile in zip(st.columns(TILES_PER_ROW), row, strict=False):
            column.metric(
                tile.label, tile.value, tile.note, delta_color="off", delta_arrow="off",
                help=tile.help, border=True, chart_data=tile.trend or None, chart_type="line",
                height=TILE_HEIGHT,  # the same with or without a sparkline
            )  # fmt: skip


@st.cache_data(ttl=CACHE_TTL, show_spinner=False)
def _monthly(
    trust: str | None, site: str | None, theatre: str | None, specialty: str | None,
    start: str | None, end: str | None,
) -> pd.DataFrame:  # fmt: skip
    unit = Unit(trust, site, theatre, specialty)
    return sums.unit_monthly(engine(), unit, marts.Period(start, end))


@st.cache_data(ttl=CACHE_TTL, show_spinner=False)
def _gap_months(
    trust: str | None, site: str | None, theatre: str | None, specialty: str | None,
    start: str | None, end: str | None,
) -> pd.DataFrame:  # fmt: skip
    unit, period = Unit(trust, site, theatre, specialty), marts.Period(start, end)
    monthly = _monthly(trust, site, theatre, specialty, start, end)
    return measures.with_gap_medians(engine(), monthly, unit.trusts, unit.extra, period)


def trend_section(weekly: pd.DataFrame, unit: Unit, period: marts.Period) -> None:
    """Any measure over time: a picker and the weekly/monthly toggle, both in the URL. The
    monthly rows are summed only when asked for."""
    st.subheader("Over time")
    left, right = st.columns([2, 1])
    name = left.selectbox(
        "Measure", list(measures.TREND_MEASURES), key="trend", bind="query-params"
    )
    measure = measures.TREND_MEASURES[name]
    by_month = right.toggle("Monthly (weekly when off)", key="monthly", bind="query-params")
    monthly = by_month or measure.monthly_only
    keys = (unit.trust, unit.site, unit.theatre, unit.specialty, period.start, period.end)
    over = weekly
    if measure.monthly_only:
        over = _gap_months(*keys)
    elif monthly:
        over = _monthly(*keys)
    lines = measures.measure_trend(over, measure)
    if lines.empty:
        empty_state("No values of this measure in the period.")
        return
    target = benchmarks()[measure.benchmark].value if measure.benchmark else None
    chart = charts.trend(
        lines, "period", "value", measure.axis, benchmark=target, colour="measure",
        fmt=measure.fmt,
    )  # fmt: skip
    columns = ["period", *measure.series.values()]
    note = measures.trend_note(measure, benchmarks(), weekly=not monthly)
    grain = "monthly" if monthly else "weekly"
    shown = measures.whole_periods(over)  # the table has the chart's points, no partial weeks
    title = f"{name}, {grain}"
    # The table sends only the columns it shows; its download keeps every measure.
    chart_with_table(
        chart, shown[columns], f"trend-{grain}", raw=shown, columns=columns, caption=note,
        title=title, deferred=True,
    )  # fmt: skip


@st.cache_data(ttl=CACHE_TTL, show_spinner="Ranking the trust's theatres and lists…")
def _trust_lists(
    trust: str, specialty: str | None, start: str | None, end: str | None, target: float
) -> pd.DataFrame:
    """Every list of the trust (and specialty): a site or theatre chosen within the trust is
    then kept from these (ranking.within), so changing it reads and shapes nothing again."""
    unit = Unit(trust, specialty=specialty)
    return ranking.trust_lists(engine(), unit, marts.Period(start, end), target)


def ranking_section(unit: Unit, period: marts.Period, target: float) -> None:
    """Theatres, specialties and lists of the trust ranked by a cause of lost time, each linked
    to its own view, and the weekday × session heatmap of the same measure."""
    assert unit.trust, "the ranking is within a chosen trust"
    st.subheader("Rank within the trust: where the minutes go")
    name = st.selectbox("Rank by", list(ranking.RANK_MEASURES), key="rank", bind="query-params")
    scope = _trust_lists(unit.trust, unit.specialty, period.start, period.end, target)
    lists = ranking.within(scope, unit)
    if lists.empty:
        empty_state("No lists to rank for these filters.")
        return
    st.caption(ranking.rank_note(name))
    theatres_tab, specialties_tab, lists_tab = st.tabs(["Theatres", "Specialties", "Lists"])
    with theatres_tab:
        theatres = ranking.rank(lists, "theatre", name, period)
        show_table(
            theatres, "ranking-theatres", title=f"Theatres ranked by {name.lower()}", deferred=True
        )
    with specialties_tab:
        specialties = ranking.rank(lists, "specialty", name, period)
        show_table(
            specialties,
            "ranking-specialties",
            title=f"Specialties by {name.lower()}",
            deferred=True,
        )
    with lists_tab:
        st.caption(f"The {ranking.LIST_LIMIT} lists that rank first; *Open* shows the theatre in "
                   "the list's month.")  # fmt: skip
        show_table(
            ranking.rank_lists(lists, name),
            "ranking-lists",
            title=f"Lists by {name.lower()}",
            deferred=True,
        )
    chosen = ranking.RANK_MEASURES[name]
    st.markdown(f"**{name} by day of week and session**")
    heat = ranking.heatmap(lists, name)
    value = ranking.heat_column(name)
    chart = charts.heatmap(heat, "weekday", "session", value, chosen.heat_label, chosen.heat_fmt)
    chart_with_table(
        chart, heat, "heatmap", title=f"{name} by day of week and session", deferred=True
    )


@st.cache_data(ttl=CACHE_TTL, show_spinner=False)
def _daycase(
    trust: str | None, site: str | None, theatre: str | None, specialty: str | None,
    start: str | None, end: str | None, breakdown: str,
) -> pd.DataFrame:  # fmt: skip
    unit = Unit(trust, site, theatre, specialty)
    return daycase.unit_daycase(engine(), unit, marts.Period(start, end), breakdown)


def daycase_section(unit: Unit, period: marts.Period) -> None:
    """Day-case rates of the unit against each BADS procedure's target, and the extra day cases."""
    st.subheader("Day-case rates against BADS")
    breakdown = st.segmented_control(
        "Rates by", list(daycase.BREAKDOWNS), default="Procedure", key="daycase_by",
        bind="query-params",
    ) or "Procedure"  # fmt: skip
    # Day cases are counted by site (the mart has no theatre): a theatre reads its site's.
    args = (unit.trust, unit.site, None, unit.specialty, period.start, period.end)
    overall = _daycase(*args, "Procedure")
    if overall.empty:
        empty_state("No procedures on the BADS list in the period for these filters.")
        return
    table = overall if breakdown == "Procedure" else _daycase(*args, breakdown)
    chart = charts.rates_against_targets(
        overall, "procedure", "daycase_rate", "target_rate", "Day-case rate"
    )
    name = f"daycase-{breakdown.lower()}"
    columns = [*daycase.BREAKDOWNS[breakdown], *daycase.SHOWN]
    chart_with_table(
        chart, table, name, columns=columns, caption=daycase.daycase_note(unit), widths=(1, 1),
        title="Day-case rate of each BADS procedure against its target", deferred=True,
    )  # fmt: skip
