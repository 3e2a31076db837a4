"""The Theatres page's unit-lead sections: every measure as tiles and a trend, the ranking
within the trust, day-case rates against BADS, and "has my change worked?" in words.

Each section reads through a cached loader over the marts (``views`` shape the rows), draws with
``charts`` and puts a table with its download beside every chart. Controls are bound to the URL.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from productivity import charts
from productivity.benchmarks import Benchmark
from productivity.errors import InputError
from productivity.stats import spc
from productivity.store import marts, rebase
from productivity.ui import auth
from productivity.ui.frame import CACHE_TTL, benchmarks, engine, today
from productivity.ui.widgets import chart_with_table, empty_state, show_table
from productivity.views import (
    theatre_change as change,
    theatre_daycase as daycase,
    theatre_measures as measures,
    theatre_ranking as ranking,
)
from productivity.views.theatres import Unit

FLASH = "unit_lead_rebased"  # a one-click rebase's confirmation, shown after the rerun
TILES_PER_ROW, TILE_HEIGHT = 4, 190  # four fit their labels on a laptop screen


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
def _gap_months(
    monthly: pd.DataFrame,
    trust: str | None,
    extra: dict[str, str],
    start: str | None,
    end: str | None,
) -> pd.DataFrame:
    trusts = [trust] if trust else None
    return measures.with_gap_medians(engine(), monthly, trusts, extra, marts.Period(start, end))


def trend_section(
    weekly: pd.DataFrame, monthly: pd.DataFrame, unit: Unit, period: marts.Period
) -> None:
    """Any measure over time: a picker and the weekly/monthly toggle, both in the URL."""
    st.subheader("Over time")
    left, right = st.columns([2, 1])
    name = left.selectbox(
        "Measure", list(measures.TREND_MEASURES), key="trend", bind="query-params"
    )
    measure = measures.TREND_MEASURES[name]
    by_month = right.toggle("Monthly (weekly when off)", key="monthly", bind="query-params")
    over = monthly if by_month or measure.monthly_only else weekly
    if measure.monthly_only:
        over = _gap_months(monthly, unit.trust, unit.extra, period.start, period.end)
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
    note = measures.trend_note(measure, benchmarks(), weekly=over is weekly)
    grain = "monthly" if over is not weekly else "weekly"
    shown = measures.whole_periods(over)  # the table has the chart's points, no partial weeks
    title = f"{name}, {grain}"
    chart_with_table(
        chart, shown, f"trend-{grain}", columns=columns, caption=note, title=title, deferred=True
    )


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


def change_in_words(
    shift_box: DeltaGenerator,
    words_box: DeltaGenerator,
    unit: Unit,
    result: spc.SPCResult,
    weekly: pd.DataFrame,
    bench: Benchmark,
) -> bool:
    """Say whether the unit's SPC chart shows a shift, and offer a one-click rebase at its start.

    Returns True when a rebase was stored (the page then clears its rebase cache and reruns).
    """
    if FLASH in st.session_state:
        words_box.success(st.session_state.pop(FLASH), icon=":material/check:")
    shift = change.latest_shift(result)
    if shift is None:
        words_box.info(change.no_shift_sentence(result), icon=":material/timeline:")
        return False
    words_box.info(f"**{change.shift_sentence(shift, weekly)}**", icon=":material/timeline:")
    with shift_box:
        st.markdown(f"**Rebase at the shift** (week of {shift.start:%-d %b %Y})")
        user = auth.current_user()
        if not auth.require_data_manager(user):
            return False
        with st.form("rebase_shift", clear_on_submit=True, border=False):
            reason = st.text_input(
                "Reason for the change",
                placeholder="e.g. new start-time huddle",
                key="shift_reason",
            )
            clicked = st.form_submit_button(
                f"Rebase from {shift.start:%-d %b %Y}", icon=":material/restart_alt:"
            )
        if not clicked:
            return False
        try:
            day = min(shift.start.date(), today())
            rebase.add_rebase(engine(), unit.key, bench.key, day, reason, user.name)
        except InputError as error:
            st.error("\n\n".join(p.message for p in error.problems))
            return False
    st.session_state[FLASH] = f"Rebase from the week of {shift.start:%-d %b %Y} stored: {reason}"
    return True
