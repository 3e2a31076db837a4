"""The Health inequalities page's sections: DM01 waits and missed appointments (DNAs) by IMD
quintile, each a fragment, so that its own controls (the DM01 test; the service and the
overdispersion toggle) rerun only its sections. The page calls :func:`waits_sections` and
:func:`dna_sections`; the loaders cache the views (``views.inequalities``, ``views.dna``), with
the parts every trust shares cached on keys of their own.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from productivity import charts, schema
from productivity.store import marts, readers
from productivity.ui.frame import CACHE_TTL, benchmarks, engine, store_facts
from productivity.ui.widgets import chart_with_table, choose, empty_state, section
from productivity.views import dna, inequalities as dd


@st.cache_data(ttl=CACHE_TTL, show_spinner=False)
def load_rows(test: str, start: str | None, end: str | None) -> pd.DataFrame:
    return readers.dm01_by_imd(engine(), marts.Period(start, end), test)


@st.cache_data(ttl=CACHE_TTL, show_spinner=False)
def load_forest(test: str, start: str | None, end: str | None) -> pd.DataFrame:
    """Every trust's Q1:Q5 ratio: worked out once, whichever trust is chosen."""
    return dd.forest_rows(load_rows(test, start, end))


@st.cache_data(ttl=CACHE_TTL, show_spinner=False)
def load(test: str, trust: str | None, start: str | None, end: str | None) -> dd.InequalitiesView:
    forest = load_forest(test, start, end)
    return dd.view_from_rows(load_rows(test, start, end), test, trust, forest)


@st.cache_data(ttl=CACHE_TTL, show_spinner=False)
def load_services() -> list[str]:
    return dna.services(engine())


@st.cache_data(ttl=CACHE_TTL, show_spinner=False)
def load_dna(
    trust: str | None, start: str | None, end: str | None, service: str | None, adjust: bool
) -> dna.DnaView:
    system = load_every_trust(start, end, service, adjust)
    return dna.dna_view(engine(), marts.Period(start, end), trust, service, adjust, system)


@st.cache_data(ttl=CACHE_TTL, show_spinner=False)
def load_every_trust(
    start: str | None, end: str | None, service: str | None, adjust: bool
) -> dna.DnaView:
    """The DNA funnel and rates of every trust: worked out once, whichever trust is chosen."""
    return dna.every_trust_view(engine(), marts.Period(start, end), service, adjust)


@st.fragment
def waits_sections(trust: str | None, start: str | None, end: str | None, where: str) -> None:
    """The DM01 test changes only the waits sections: a fragment reruns them alone."""
    test: str = st.selectbox(
        "DM01 test", list(schema.DM01_TESTS), key="test", bind="query-params",
        format_func=lambda code: schema.DM01_TESTS.get(code, code),
    )  # fmt: skip
    data = load(test, trust, start, end)
    name = schema.DM01_TESTS[test]
    slug = f"inequalities-{test.lower()}-{data.unit.lower()}"
    st.caption(
        "Patients on the DM01 waiting list by the IMD 2019 quintile of where they live: Q1 is the "
        "most deprived fifth of England's neighbourhoods (LSOAs), Q5 the least deprived. Waiting "
        "lists are month-end snapshots, so the figures are for the latest month, "
        f"{data.month or '–'}."
    )

    within = benchmarks()["dm01_within_6_weeks"]
    empty = (
        f"Nobody is recorded by IMD quintile as waiting for {name} {where} in the chosen period."
    )
    if section(f"{name}: % within 6 weeks by IMD quintile {where}", data.quintiles, empty):
        chart = charts.quintile_bars(
            data.quintiles, within.value, f"interim ambition {within.value:.0%}"
        )
        table = dd.quintile_table(data.quintiles, benchmarks())
        chart_with_table(chart, table, f"{slug}-quintiles", raw=data.quintiles)
        if not data.bands.empty:
            st.markdown("**Waiting-time distribution by quintile**")
            bands = charts.band_lines(data.bands)
            chart_with_table(
                bands, dd.band_table(data.bands), f"{slug}-bands", raw=data.bands,
                like=dd.BAND_FORMATS,
            )  # fmt: skip
        else:
            st.caption(
                "The waiting-time distribution by quintile needs the 14 waiting-time bands, and "
                "the store holds only totals by quintile for this month."
            )

    st.subheader(
        f"Most against least deprived: the Q1:Q5 ratio for every trust, {data.month or '–'}"
    )
    st.caption(
        "The ratio of the share waiting 6+ weeks in Q1 to that in Q5, with its 95% confidence "
        "interval (Katz log method); 1 means no gap. ▲ *wider gap*: the whole interval is above 1, "
        "so the most deprived are more likely to wait 6+ weeks. ● *no evidence of a gap*: it spans "
        "1. ▼ *reverse gap*: it is below 1, the least deprived wait longer. Gap = Q1's share minus "
        "Q5's, in percentage points. † ½ added to each count: one quintile had no 6+ week waiter. "
        "Trusts are in order of the lower end of their interval: the clearest gaps first."
    )
    if not data.forest["ratio"].notna().any():
        empty_state(f"Too few patients by IMD quintile for {name} to compare Q1 with Q5.")
    else:
        chart, table = charts.forest_chart(data.forest), dd.forest_table(data.forest)
        chart_with_table(chart, table, f"{slug}-ratio", raw=data.forest, like=dd.FOREST_FORMATS)

    empty = (
        f"Fewer than {dd.MIN_SPC_MONTHS} months with a Q1:Q5 ratio for {name} {where}: "
        "widen the period or pick a larger test."
    )
    points = data.spc.points if data.spc else None
    if (
        section(f"Is the gap widening? Monthly Q1:Q5 ratio {where}: SPC", points, empty)
        and data.spc
    ):
        chart = charts.spc_chart(data.spc, label=charts.RATIO_AXIS, fmt=".2f")
        table, caption = dd.spc_table(data.spc), dd.spc_caption(data.spc)
        chart_with_table(
            chart, table, f"{slug}-spc", raw=data.monthly, caption=caption, below=True,
            like=dd.SPC_FORMATS,
        )  # fmt: skip


@st.fragment
def dna_sections(trust: str | None, start: str | None, end: str | None, where: str) -> None:
    """The service and overdispersion controls change only these sections: a fragment reruns
    them alone."""
    names = store_facts().trust_names
    services = load_services()
    controls = st.columns(2)
    service = choose(controls[0], "Service", services)
    adjust = controls[1].toggle(
        "Adjust the funnel for overdispersion", value=True, key="dna_overdispersion",
        bind="query-params",
    )  # fmt: skip
    dnas = load_dna(trust, start, end, service, adjust)
    what = f"{service} appointments" if service else "CT, MRI and endoscopy appointments"
    st.caption(
        f"{what}: DNA rate = did not attend (codes 3 and 7) ÷ appointments that were due (codes 5, "
        "6, 7 and 3). Q1 is the most deprived fifth of neighbourhoods, Q5 the least."
    )
    empty = f"No {what} {where} in the chosen period."
    if section(f"DNA rate by IMD quintile {where}", dnas.unit_quintiles, empty):
        shown = dnas.unit_quintiles.assign(quintile=dnas.unit_quintiles["imd_quintile"].map(
            dna.QUINTILE_NAMES).fillna("unknown"))  # fmt: skip
        chart = charts.ordered_bars(shown, "quintile", "dna_rate", "DNA rate", colour="quintile",
                                    fmt=".1%")  # fmt: skip
        table = dna.quintile_table(dnas.by_quintile, names)
        chart_with_table(
            chart, table, "dna-by-quintile", raw=dnas.by_quintile, like=dna.QUINTILE_FORMATS
        )

    if section("Standardised DNA ratio by trust: funnel", dnas.ratios, empty) and dnas.funnel:
        chart = charts.ratio_funnel_chart(
            dnas.funnel.units, dnas.curve, label="Standardised DNA ratio",
            volume_label="Expected DNAs (log axis)",
        )  # fmt: skip
        table, caption = dna.funnel_numbers(dnas.funnel, names), dna.funnel_caption(dnas.funnel)
        chart_with_table(
            chart, table, "dna-ratio-funnel", raw=dnas.ratios, caption=caption,
            like=dna.FUNNEL_FORMATS,
        )  # fmt: skip

    empty = f"Fewer than {dna.MIN_SPC_MONTHS} months with Q1 and Q5 appointments {where}."
    points = dnas.spc.points if dnas.spc else None
    if section(f"Is the DNA gap widening? Q1 − Q5 DNA rate {where}: SPC", points, empty):
        assert dnas.spc is not None
        chart = charts.spc_chart(dnas.spc, label="Q1 − Q5 DNA rate (points)", fmt=".1%")
        caption = charts.VARIATION_TEXT.get(dnas.spc.variation, dnas.spc.variation)
        chart_with_table(
            chart, dna.gap_table(dnas.gap), "dna-gap-spc", raw=dnas.gap, caption=caption,
            below=True, like=dna.QUINTILE_FORMATS,
        )  # fmt: skip
