"""The Overview's "outlier, warning or opportunity?" section: each trust's funnel position
among its peer group, its SPC variation and its gap to the benchmark, three judgements kept
apart (SPEC §5), on the funnel of one peer group with the table beside it.

The measure and the overdispersion switch are bound to the URL, so a link reproduces them; the
section is a fragment, so changing them reruns it alone. The statistics of every trust are
cached per period, measure and switch, so a change of trust or peer group only redraws.
"""

from __future__ import annotations

import streamlit as st

from productivity import charts
from productivity.charts.statistics import with_point_labels
from productivity.store import marts
from productivity.ui.frame import CACHE_TTL, View, benchmarks, engine
from productivity.ui.overview import theatre_minutes
from productivity.ui.widgets import chart_with_table, empty_state, show_table
from productivity.views import overview_outliers as oo

# Plain option labels (no format_func), so the URL holds what the user sees: ?measure=DM01.
OUTLIER_MEASURES = {"Theatre utilisation": "theatre", "DM01": "dm01", "Imaging scan rate": "scans"}


@st.cache_data(ttl=CACHE_TTL, show_spinner=False)
def _judged(
    start: str | None, end: str | None, measure: str, overdispersion: bool
) -> oo.Judged | None:
    """Every trust judged (funnels, SPC, benchmark gap): the same for any peer group or trust.
    The theatre funnel's totals come from the minutes the scorecard holds per build."""
    held = theatre_minutes(start, end) if measure == "theatre" else None
    period = marts.Period(start, end)
    return oo.judged(engine(), period, benchmarks(), measure, overdispersion, held)


@st.cache_data(ttl=CACHE_TTL, show_spinner=False)
def _outliers(
    start: str | None,
    end: str | None,
    measure: str,
    overdispersion: bool,
    peer: str | None,
    trust: str | None,
) -> oo.OutlierView | None:
    found = _judged(start, end, measure, overdispersion)
    return None if found is None else oo.view_of(found, peer, trust)


@st.fragment
def outlier_section(view: View, peer: str | None) -> None:
    """The section for the page's filters and chosen ``peer`` group (None: every trust).

    A fragment: its own controls (measure, overdispersion) rerun this section alone.
    """
    st.subheader("Outlier, warning or opportunity?")
    st.markdown(
        "Three separate judgements, never one flag. **Funnel position** among the trust's "
        "peer group: outside the 99.8% limits is an *outlier*, outside 95% a *warning*. **SPC "
        "variation** of its own series (NHS Making Data Count): special cause improving (I) is "
        "good news, concerning (C) is not, common cause is no signal; the assurance letter says "
        "whether it reliably meets its benchmark. **Benchmark**: short of it is an "
        "*opportunity*. Most trusts short of a benchmark are typical of their peers, not "
        "outliers."
    )
    outlier_controls = st.columns(2)
    outlier_label = outlier_controls[0].radio(
        "Measure", list(OUTLIER_MEASURES), horizontal=True, key="measure", bind="query-params"
    )
    overdispersion = outlier_controls[1].toggle(
        "Adjust for overdispersion (DerSimonian–Laird)",
        value=True,
        key="overdispersion",
        bind="query-params",
    )
    outlier_measure = OUTLIER_MEASURES[outlier_label or "Theatre utilisation"]
    found = _outliers(
        view.period.start, view.period.end, outlier_measure, overdispersion, peer, view.trust
    )
    if found is None:
        source = oo.OUTLIER_SOURCES[outlier_measure]
        empty_state(
            f"No trust has {source} data in the chosen period, so there is nothing to judge on "
            "this measure: load it on the Data page or choose another measure."
        )
        return
    axis, volume = oo.OUTLIER_AXES[outlier_measure]
    name, caption = f"outliers-{outlier_measure}", oo.funnel_caption(found)
    if found.curve is None:
        st.info(f":material/group_off: {oo.no_funnel_text(found)}")
        show_table(oo.outlier_table(found), name, raw=found.trusts, deferred=True)
        return
    chart = (
        charts.ratio_funnel_chart(
            found.drawn, found.curve, label=axis, volume_label=volume, name="trust_name"
        )
        if outlier_measure in oo.RATIO_MEASURES
        else charts.funnel_chart(
            found.drawn, found.curve, target=found.centre or 0.0, label=axis,
            volume_label=volume, unit="trust_code", name="trust_name",
            benchmark=found.benchmark, centre_label="peer centre",
        )
    )  # fmt: skip
    # Points labelled by trust code: the names (in the tooltips and the table) overlapped.
    codes = found.drawn.set_index("trust_name")["trust_code"]
    chart = with_point_labels(chart, codes)
    table = oo.outlier_table(found)
    chart_with_table(
        chart, table, name, raw=found.trusts, caption=caption, widths=(1, 1), deferred=True
    )
