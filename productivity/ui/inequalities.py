"""The Health inequalities page's tabs: DM01 waits, then missed appointments (DNAs), by IMD
quintile. The page draws :data:`TABS` and calls :func:`draw_tab` for the open one, which works
out that tab's frames alone (a cached loader per tab: ``views.inequalities``, ``views.dna``),
the parts every trust shares cached on keys without the trust. Each half is a fragment, so that
its own controls (the DM01 test; the service and the overdispersion toggle) rerun only it.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from productivity import charts, schema
from productivity.stats import spc
from productivity.stats.ratio_funnel import RatioFunnel
from productivity.store import marts, readers
from productivity.ui.frame import CACHE_TTL, benchmarks, engine, store_facts
from productivity.ui.spc_section import spc_section
from productivity.ui.widgets import chart_with_table, choose, empty_state, section
from productivity.views import dna, inequalities as dd

WAITS_TABS = (
    "Waits by deprivation", "Waiting-time bands", "Waits gap by trust", "Waits gap over time",
)  # fmt: skip
DNA_TABS = ("DNAs by deprivation", "DNA ratio by trust", "DNA gap over time")
TABS = (*WAITS_TABS, *DNA_TABS)


@st.cache_data(ttl=CACHE_TTL, show_spinner=False)
def load_test_rows(test: str) -> pd.DataFrame:
    """Every month's rows of one test: the waits tabs pick a period's from them."""
    return readers.dm01_by_imd(engine(), marts.Period(), test)


@st.cache_data(ttl=CACHE_TTL, show_spinner=False)
def load_sliceable(test: str) -> bool:
    """True when a period's rows picked from every month's are exactly what a read of the
    period gives (:func:`dd.sliceable`), so each tab can work per month, once for every trust."""
    rows = load_test_rows(test)
    return dd.sliceable(rows) and not rows.empty


@st.cache_data(ttl=CACHE_TTL, show_spinner=False)
def load_rows(test: str, start: str | None, end: str | None) -> pd.DataFrame:
    if load_sliceable(test):
        return dd.in_months(load_test_rows(test), start, end)
    return readers.dm01_by_imd(engine(), marts.Period(start, end), test)


@st.cache_data(ttl=CACHE_TTL, show_spinner=False)
def load_month(test: str, start: str | None, end: str | None) -> str | None:
    return dd.latest_month_in(load_test_rows(test), start, end)


@st.cache_data(ttl=CACHE_TTL, show_spinner=False)
def load_quintiles_by_unit(test: str) -> pd.DataFrame:
    """Every trust's and the system's waits by quintile at every month (when sliceable): a
    trust or period change picks from it."""
    return dd.quintiles_by_unit(load_test_rows(test))


@st.cache_data(ttl=CACHE_TTL, show_spinner=False)
def load_bands_by_unit(test: str, month: str) -> pd.DataFrame:
    """Every trust's and the system's waiting-time bands at the month (when sliceable)."""
    return dd.bands_by_unit(dd.in_months(load_test_rows(test), month, month))


@st.cache_data(ttl=CACHE_TTL, show_spinner=False)
def load_latest(
    test: str, trust: str | None, start: str | None, end: str | None, bands: bool
) -> dd.LatestWaits:
    """The unit's waits by quintile at the period's latest month (``bands``: and its bands)."""
    month = load_month(test, start, end) if load_sliceable(test) else None
    if month is None:
        return dd.latest_waits(load_rows(test, start, end), trust)
    by_unit = load_bands_by_unit(test, month) if bands else None
    return dd.latest_of(load_quintiles_by_unit(test), by_unit, trust, month)


@st.cache_data(ttl=CACHE_TTL, show_spinner=False)
def load_forest(test: str, start: str | None, end: str | None) -> pd.DataFrame:
    """Every trust's Q1:Q5 ratio at the period's latest month: worked out once per month when
    sliceable (whichever trust, and whatever the period's start), else once per period."""
    month = load_month(test, start, end) if load_sliceable(test) else None
    if month is not None:
        return load_month_forest(test, month)
    return dd.forest_rows(load_rows(test, start, end))


@st.cache_data(ttl=CACHE_TTL, show_spinner=False)
def load_month_forest(test: str, month: str) -> pd.DataFrame:
    return dd.forest_rows(dd.in_months(load_test_rows(test), month, month))


@st.cache_data(ttl=CACHE_TTL, show_spinner=False)
def load_trend(test: str, trust: str | None, start: str | None, end: str | None) -> dd.RatioTrend:
    return dd.ratio_trend(load_rows(test, start, end), trust)


@st.cache_data(ttl=CACHE_TTL, show_spinner=False)
def load_services() -> list[str]:
    return dna.services(engine())


def dna_rows(start: str | None, end: str | None, service: str | None) -> pd.DataFrame:
    """The attendance rows of the period and service (the store keeps the mart in memory)."""
    return dna.service_rows(engine(), marts.Period(start, end), service)


@st.cache_data(ttl=CACHE_TTL, show_spinner=False)
def load_dna_by_unit(start: str | None, end: str | None, service: str | None) -> pd.DataFrame:
    """Every trust's and the system's DNA rate per quintile: worked out once, whichever trust
    is chosen (the two frames below are picked from it)."""
    return dna.quintiles_by_unit(dna_rows(start, end, service))


@st.cache_data(ttl=CACHE_TTL, show_spinner=False)
def load_dna_quintiles(
    trust: str | None, start: str | None, end: str | None, service: str | None
) -> pd.DataFrame:
    return dna.unit_of(load_dna_by_unit(start, end, service), trust)


@st.cache_data(ttl=CACHE_TTL, show_spinner=False)
def load_dna_by_trust(start: str | None, end: str | None, service: str | None) -> pd.DataFrame:
    """Every trust's DNA rate per quintile: worked out once, whichever trust is chosen."""
    return dna.trusts_of(load_dna_by_unit(start, end, service))


@st.cache_data(ttl=CACHE_TTL, show_spinner=False)
def load_dna_funnel(
    start: str | None, end: str | None, service: str | None, adjust: bool
) -> tuple[pd.DataFrame, RatioFunnel | None, pd.DataFrame]:
    """Every trust's standardised DNA ratio on its funnel: the same whichever trust is chosen."""
    return dna.ratio_funnel_of(dna_rows(start, end, service), adjust)


@st.cache_data(ttl=CACHE_TTL, show_spinner=False)
def load_dna_gap(
    trust: str | None, start: str | None, end: str | None, service: str | None
) -> tuple[pd.DataFrame, spc.SPCResult | None]:
    return dna.gap_trend(dna_rows(start, end, service), trust)


def draw_tab(tab: str, trust: str | None, start: str | None, end: str | None, where: str) -> None:
    """The open tab's sections (one of :data:`TABS`)."""
    if tab in DNA_TABS:
        dna_sections(tab, trust, start, end, where)
    else:
        waits_sections(tab, trust, start, end, where)


@st.fragment
def waits_sections(
    tab: str, trust: str | None, start: str | None, end: str | None, where: str
) -> None:
    """The DM01 test changes only the waits tab: a fragment reruns it alone."""
    test: str = st.selectbox(
        "DM01 test", list(schema.DM01_TESTS), key="test", bind="query-params",
        format_func=lambda code: schema.DM01_TESTS.get(code, code),
    )  # fmt: skip
    month = load_month(test, start, end)
    st.caption(
        "Patients on the DM01 waiting list by the IMD 2019 quintile of where they live: Q1 is the "
        "most deprived fifth of England's neighbourhoods (LSOAs), Q5 the least deprived. Waiting "
        f"lists are month-end snapshots, so the figures are for the latest month, {month or '–'}."
    )
    # File names as before the tabs: the test and the unit (the chosen trust, or the system).
    slug = f"inequalities-{test.lower()}-{(trust or dd.SYSTEM).lower()}"
    if tab == WAITS_TABS[1]:
        bands_section(test, trust, start, end, where, slug)
    elif tab == WAITS_TABS[2]:
        forest_section(test, trust, start, end, month, slug)
    elif tab == WAITS_TABS[3]:
        ratio_spc_section(test, trust, start, end, where, slug)
    else:
        quintiles_section(test, trust, start, end, where, slug)


def nobody_waiting(test: str, where: str) -> str:
    return (
        f"Nobody is recorded by IMD quintile as waiting for {schema.DM01_TESTS[test]} {where} in "
        "the chosen period."
    )


def quintiles_section(
    test: str, trust: str | None, start: str | None, end: str | None, where: str, slug: str
) -> None:
    data, name = load_latest(test, trust, start, end, False), schema.DM01_TESTS[test]
    within = benchmarks()["dm01_within_6_weeks"]
    title = f"{name}: % within 6 weeks by IMD quintile {where}"
    if not section(title, data.quintiles, nobody_waiting(test, where)):
        return
    chart = charts.quintile_bars(
        data.quintiles, within.value, f"interim ambition {within.value:.0%}"
    )
    table = dd.quintile_table(data.quintiles, benchmarks())
    chart_with_table(chart, table, f"{slug}-quintiles", raw=data.quintiles, deferred=True)


def bands_section(
    test: str, trust: str | None, start: str | None, end: str | None, where: str, slug: str
) -> None:
    data, name = load_latest(test, trust, start, end, True), schema.DM01_TESTS[test]
    title = f"{name}: waiting-time distribution by IMD quintile {where}"
    if not section(title, data.quintiles, nobody_waiting(test, where)):
        return
    if data.bands.empty:
        st.caption(
            "The waiting-time distribution by quintile needs the 14 waiting-time bands, and the "
            "store holds only totals by quintile for this month."
        )
        return
    chart_with_table(
        charts.band_lines(data.bands), dd.band_table(data.bands), f"{slug}-bands",
        raw=data.bands, like=dd.BAND_FORMATS, deferred=True,
    )  # fmt: skip


def forest_section(
    test: str, trust: str | None, start: str | None, end: str | None, month: str | None, slug: str
) -> None:
    st.subheader(f"Most against least deprived: the Q1:Q5 ratio for every trust, {month or '–'}")
    st.caption(
        "The ratio of the share waiting 6+ weeks in Q1 to that in Q5, with its 95% confidence "
        "interval (Katz log method); 1 means no gap. ▲ *wider gap*: the whole interval is above 1, "
        "so the most deprived are more likely to wait 6+ weeks. ● *no evidence of a gap*: it spans "
        "1. ▼ *reverse gap*: it is below 1, the least deprived wait longer. Gap = Q1's share minus "
        "Q5's, in percentage points. † ½ added to each count: one quintile had no 6+ week waiter. "
        "Trusts are in order of the lower end of their interval: the clearest gaps first."
    )
    forest = dd.marked_forest(load_forest(test, start, end), trust)
    if not forest["ratio"].notna().any():
        empty_state(
            f"Too few patients by IMD quintile for {schema.DM01_TESTS[test]} to compare Q1 with Q5."
        )
        return
    chart, table = charts.forest_chart(forest), dd.forest_table(forest)
    chart_with_table(
        chart, table, f"{slug}-ratio", raw=forest, like=dd.FOREST_FORMATS, deferred=True
    )


def ratio_spc_section(
    test: str, trust: str | None, start: str | None, end: str | None, where: str, slug: str
) -> None:
    data, name = load_trend(test, trust, start, end), schema.DM01_TESTS[test]
    empty = (
        f"Fewer than {dd.MIN_SPC_MONTHS} months with a Q1:Q5 ratio for {name} {where}: "
        "widen the period or pick a larger test."
    )
    spc_section(
        f"Is the gap widening? Monthly Q1:Q5 ratio {where}: SPC", data.spc, empty,
        label=charts.RATIO_AXIS, fmt=".2f", table=dd.spc_table, name=f"{slug}-spc",
        raw=data.monthly, caption=dd.spc_caption, like=dd.SPC_FORMATS,
    )  # fmt: skip


@st.fragment
def dna_sections(
    tab: str, trust: str | None, start: str | None, end: str | None, where: str
) -> None:
    """The service and overdispersion controls change only the DNA tab: a fragment reruns it
    alone."""
    controls = st.columns(2)
    service = choose(controls[0], "Service", load_services())
    what = f"{service} appointments" if service else "CT, MRI and endoscopy appointments"
    st.caption(
        f"{what}: DNA rate = did not attend (codes 3 and 7) ÷ appointments that were due (codes 5, "
        "6, 7 and 3). Q1 is the most deprived fifth of neighbourhoods, Q5 the least."
    )
    empty = f"No {what} {where} in the chosen period."
    if tab == DNA_TABS[1]:
        adjust = controls[1].toggle(
            "Adjust the funnel for overdispersion", value=True, key="dna_overdispersion",
            bind="query-params",
        )  # fmt: skip
        dna_funnel_section(start, end, service, adjust, empty)
    elif tab == DNA_TABS[2]:
        dna_gap_section(trust, start, end, service, where)
    else:
        dna_quintiles_section(trust, start, end, service, where, empty)


def dna_quintiles_section(
    trust: str | None, start: str | None, end: str | None, service: str | None, where: str,
    empty: str,
) -> None:  # fmt: skip
    quintiles = load_dna_quintiles(trust, start, end, service)
    if not section(f"DNA rate by IMD quintile {where}", quintiles, empty):
        return
    names = dna.QUINTILE_NAMES
    shown = quintiles.assign(quintile=quintiles["imd_quintile"].map(names).fillna("unknown"))
    chart = charts.ordered_bars(
        shown, "quintile", "dna_rate", "DNA rate", colour="quintile", fmt=".1%"
    )
    by_trust = load_dna_by_trust(start, end, service)
    table = dna.quintile_table(by_trust, store_facts().trust_names)
    chart_with_table(
        chart, table, "dna-by-quintile", raw=by_trust, like=dna.QUINTILE_FORMATS, deferred=True
    )


def dna_funnel_section(
    start: str | None, end: str | None, service: str | None, adjust: bool, empty: str
) -> None:
    ratios, funnel, curve = load_dna_funnel(start, end, service, adjust)
    if not section("Standardised DNA ratio by trust: funnel", ratios, empty) or funnel is None:
        return
    chart = charts.ratio_funnel_chart(
        funnel.units, curve, label="Standardised DNA ratio",
        volume_label="Expected DNAs (log axis)",
    )  # fmt: skip
    names = store_facts().trust_names
    table, caption = dna.funnel_numbers(funnel, names), dna.funnel_caption(funnel)
    chart_with_table(
        chart, table, "dna-ratio-funnel", raw=ratios, caption=caption,
        like=dna.FUNNEL_FORMATS, deferred=True,
    )  # fmt: skip


def dna_gap_section(
    trust: str | None, start: str | None, end: str | None, service: str | None, where: str
) -> None:
    gap, result = load_dna_gap(trust, start, end, service)
    empty = f"Fewer than {dna.MIN_SPC_MONTHS} months with Q1 and Q5 appointments {where}."
    spc_section(
        f"Is the DNA gap widening? Q1 − Q5 DNA rate {where}: SPC", result, empty,
        label="Q1 − Q5 DNA rate (points)", fmt=".1%", table=lambda _: dna.gap_table(gap),
        name="dna-gap-spc", raw=gap, like=dna.QUINTILE_FORMATS,
    )  # fmt: skip
