"""The page frame every page calls first: config, store, banners, auth and shared filters.

Example (a page)::

    from productivity import ui
    view = ui.frame("Theatres")
    rows = ui.load_theatre_lists(view.period, view.trusts)

``frame()`` is what makes a deep link on a cold server look the same as navigating from the
entrypoint: whichever script Streamlit runs first, the frame draws the same navigation, title,
banners and filters (bound to query parameters, so a URL reproduces the view).
"""

from __future__ import annotations

import contextvars
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st
from sqlalchemy import Engine
from streamlit.delta_generator import DeltaGenerator
from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

from productivity import auth, marts, reports, scenarios
from productivity.benchmarks import Benchmarks, load_benchmarks
from productivity.db import get_engine, init_db
from productivity.errors import InputError

ROOT = Path(__file__).resolve().parent.parent
PAGES: tuple[tuple[str, str, str], ...] = (
    ("pages/Overview.py", "Overview", ":material/dashboard:"),
    ("pages/Theatres.py", "Theatres", ":material/surgical:"),
    ("pages/Diagnostics.py", "Diagnostics", ":material/radiology:"),
    ("pages/Mutual_aid.py", "Mutual aid", ":material/swap_horiz:"),
    ("pages/Inequalities.py", "Health inequalities", ":material/diversity_3:"),
    ("pages/Data.py", "Data", ":material/upload_file:"),
    ("pages/Methodology.py", "Methodology", ":material/menu_book:"),
)
ALL = "All trusts"
# Set while the entrypoint runs a page, so frame() knows navigation is already registered.
_UNDER_NAVIGATION: contextvars.ContextVar[bool] = contextvars.ContextVar("nav", default=False)
CACHE_TTL = 300  # seconds: marts change only after an import, and each import clears caches


@dataclass(frozen=True)
class View:
    """The filters in force on a page."""

    trust: str | None  # None = all trusts
    period: marts.Period
    specialty: str | None
    modality: str
    months: tuple[str, ...]
    synthetic: bool

    @property
    def trusts(self) -> list[str] | None:
        return [self.trust] if self.trust else None


def existing_pages(default: str = "Overview") -> list[st.Page]:
    """The app's pages; ``default`` (a title) is the one an address without a path shows."""
    return [
        st.Page(
            str(ROOT / path),
            title=title,
            icon=icon,
            url_path=Path(path).stem,
            default=title == default,
        )
        for path, title, icon in PAGES
        if (ROOT / path).exists()
    ]


@st.cache_resource(show_spinner=False)
def engine() -> Engine:
    """The store, created once per process; an empty store gets the synthetic demo."""
    from productivity import demo

    store = init_db(get_engine())
    if demo.store_is_empty(store):
        with st.spinner("The store is empty: generating the synthetic demo data (about a minute)…"):
            demo.build_demo(engine=store)
    elif not marts.marts_current(store):
        with st.spinner("Rebuilding the precomputed aggregates for this version…"):
            marts.rebuild_marts(store)
    return store


@st.cache_data(ttl=CACHE_TTL, show_spinner=False)
def benchmarks() -> Benchmarks:
    return load_benchmarks()


@st.cache_data(ttl=CACHE_TTL, show_spinner=False)
def store_facts() -> dict[str, object]:
    """Trusts, months, specialties and whether the data is synthetic (for the filters)."""
    from productivity import demo

    return demo.store_facts(engine())


def frame(title: str, *, filters: tuple[str, ...] = ("trust", "period")) -> View:
    """Draw the common frame and return the filters. Call it first on every page."""
    _navigation_when_run_directly(title)
    st.set_page_config(page_title=f"{title} · Productivity monitor", page_icon="🏥", layout="wide")
    user = auth.current_user()
    if user.must_sign_in:
        auth.sign_in_screen()
        st.stop()
    facts = store_facts()
    st.title(title)
    if facts["synthetic"]:
        st.warning(
            "**Synthetic demo data.** Every figure on this page comes from generated data, "
            "not from any trust's records. Import real data on the Data page.",
            icon=":material/science:",
        )
    if not user.authenticated:
        st.caption(
            ":material/lock_open: Local single-user mode: sign-in is not configured, so anyone "
            "who can open this app can view and import data."
        )
    months: tuple[str, ...] = tuple(facts["months"])  # type: ignore[arg-type]
    with st.sidebar:
        st.header("Filters")
        trust = None
        if "trust" in filters:
            trust_codes: list[str] = list(facts["trusts"])  # type: ignore[arg-type]
            names: dict[str, str] = dict(facts["trust_names"])  # type: ignore[arg-type]
            # Plain ODS codes as options, so that ?trust=RBL works in a shared URL.
            choice = st.selectbox("Trust", [ALL, *trust_codes], key="trust", bind="query-params")
            if choice != ALL:
                st.caption(names.get(choice, choice))
            trust = None if choice == ALL else choice
        period = marts.Period()
        if "period" in filters and months:
            start = st.selectbox("From", months, index=0, key="from", bind="query-params")
            end = st.selectbox("To", months, index=len(months) - 1, key="to", bind="query-params")
            if start > end:
                st.error("'From' is after 'To': showing the whole range instead.")
                start, end = months[0], months[-1]
            period = marts.Period(start, end)
        specialty = None
        if "specialty" in filters:
            specialties: list[str] = list(facts["specialties"])  # type: ignore[arg-type]
            chosen = st.selectbox(
                "Specialty", ["All specialties", *specialties], key="specialty", bind="query-params"
            )
            specialty = None if chosen == "All specialties" else chosen
        modality = "CT"
        if "modality" in filters:
            modality = st.selectbox(
                "Modality",
                ["CT", "MRI", "NOUS", "Endoscopy", "Echo"],
                key="modality",
                bind="query-params",
            )
        st.caption(f"Data built {facts['built_at']}")
        if user.authenticated:
            st.caption(
                f":material/person: Signed in as {user.name} ({user.role.replace('_', ' ')})"
            )
            st.button("Sign out", on_click=st.logout, icon=":material/logout:", key="sign_out")
    return View(trust, period, specialty, modality, months, bool(facts["synthetic"]))


def run() -> None:
    """The entrypoint's whole job: register the pages and run the chosen one."""
    token = _UNDER_NAVIGATION.set(True)
    try:
        st.navigation(existing_pages()).run()
    finally:
        _UNDER_NAVIGATION.reset(token)


def _navigation_when_run_directly(title: str) -> None:
    """Give a page that Streamlit ran without the entrypoint the same navigation.

    With a ``pages/`` folder, a deep link that reaches a cold server runs the page file on its
    own, and Streamlit then shows its old folder-based menu. Registering the same pages here
    replaces that menu; if Streamlit picks another page than this file, run that one instead.
    """
    if _UNDER_NAVIGATION.get():
        return
    token = _UNDER_NAVIGATION.set(True)
    try:
        # An address with a page path (/Theatres) resolves to that page; one without a path
        # (AppTest, or `streamlit run pages/X.py`) stays on this file rather than the Overview.
        ctx = get_script_run_ctx()
        requested = ctx.pages_manager.intended_page_name if ctx is not None else None
        page = st.navigation(existing_pages(default="Overview" if requested else title))
        if page.title != title:
            page.run()
            st.stop()
    finally:
        _UNDER_NAVIGATION.reset(token)


def empty_state(message: str) -> None:
    """Say plainly that a filter selects nothing (instead of an empty chart)."""
    st.info(f":material/filter_alt_off: {message}")


def download(frame: pd.DataFrame, name: str, label: str = "Download CSV") -> None:
    """A CSV download of a chart's table, with small-number suppression applied."""
    from productivity.export import suppress_small_numbers

    st.download_button(
        label,
        suppress_small_numbers(frame).to_csv(index=False).encode(),
        file_name=f"{name}.csv",
        mime="text/csv",
        key=f"download-{name}",
        icon=":material/download:",
    )


def choose(
    where: DeltaGenerator,
    label: str,
    choices: Iterable[str],
    names: dict[str, str] | None = None,
    **options: Any,
) -> str | None:
    """A drill-down selectbox bound to the URL by raw value (a code), its name in a caption.

    The first option is "All <label>s"; choosing it returns None.
    """
    every = f"All {label.lower()}s"
    chosen = where.selectbox(
        label, [every, *choices], key=label.lower(), bind="query-params", **options
    )
    if names and chosen in names:
        where.caption(names[chosen])
    return None if chosen == every else chosen


def section(title: str, frame: pd.DataFrame | None, empty: str) -> bool:
    """A section heading; False (after saying why, plainly) when there is nothing to draw."""
    st.subheader(title)
    if frame is None or frame.empty:
        empty_state(empty)
        return False
    return True


# Column names ending so hold fractions: a table shows them as percentages.
RATIO_SUFFIXES = ("utilisation", "share", "of_planned", "within_6_weeks")


def show_table(
    frame: pd.DataFrame,
    name: str | None = None,
    *,
    raw: pd.DataFrame | None = None,
    columns: list[str] | None = None,
) -> None:
    """A sortable table and, given a ``name``, its CSV download (of ``raw`` when given).

    Report-style column names (``planned_minutes``) are headed in words and ratios shown as
    percentages; the data, and so the download, keep the names and the fractions. ``columns``
    picks the columns shown (the download keeps them all).
    """
    config: dict[str, object] = {}
    for column in map(str, frame.columns):
        if not (column.isidentifier() and column.islower()):
            continue  # already a heading in words
        heading = column.replace("_", " ").capitalize()
        ratio = column.endswith(RATIO_SUFFIXES) and pd.api.types.is_float_dtype(frame[column])
        config[column] = (
            st.column_config.NumberColumn(heading, format="percent")
            if ratio
            else st.column_config.Column(heading)
        )
    st.dataframe(
        frame, hide_index=True, width="stretch", column_config=config, column_order=columns
    )
    if name:
        download(frame if raw is None else raw, name)


def chart_with_table(
    chart: object,
    table: pd.DataFrame,
    name: str,
    *,
    raw: pd.DataFrame | None = None,
    columns: list[str] | None = None,
    caption: str | None = None,
    below: bool = False,
    widths: tuple[int, int] = (3, 2),
) -> None:
    """A chart with its table and CSV download beside it (every chart has one, SPEC §6).

    ``raw`` is what the download holds when ``table`` is formatted for reading; ``caption``
    goes under the chart. ``widths`` share the row between chart and table; ``below`` gives a
    long chart (an SPC chart) the full width and folds its table, with the download, into an
    expander under it.
    """
    if below:
        st.altair_chart(chart, width="stretch")
        if caption:
            st.caption(caption)
        with st.expander("The chart's table"):
            show_table(table, name, raw=raw, columns=columns)
        return
    left, right = st.columns(list(widths))
    left.altair_chart(chart, width="stretch")
    if caption:
        left.caption(caption)
    with right:
        show_table(table, name, raw=raw, columns=columns)


def today() -> dt.date:
    return dt.date.today()


@st.cache_data(ttl=CACHE_TTL, show_spinner=False)
def trust_scorecard(
    start: str | None, end: str | None, ranking: str, measure: str = "theatre"
) -> pd.DataFrame:
    period = marts.Period(start, end)
    return reports.trust_scorecard(engine(), period, benchmarks(), ranking, measure)


def scenario_controls(
    bench: Benchmarks,
) -> tuple[scenarios.Scenario, dict[str, tuple[object, object]]]:
    """What-if sliders, bound to the URL so a scenario can be shared; defaults = benchmarks."""
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
    scenario = scenarios.Scenario(
        target_utilisation=target / 100,
        scan_rates=rates,
        echo_minutes_per_test=echo_minutes,
        extra_sessions_per_week=extra,
        cancellation_rate=cancel / 100,
    )
    reference = scenarios.Scenario(
        target_utilisation=base.target_utilisation,
        scan_rates=base.scan_rates,
        echo_minutes_per_test=base.echo_minutes_per_test,
        extra_sessions_per_week=0,
        cancellation_rate=bench.value("otd_cancellation_rate"),
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


def problems_table(error: InputError) -> pd.DataFrame:
    """An import's located problems: file, row, column, value and what was expected."""
    return pd.DataFrame([p.as_dict() for p in error.problems]).rename(columns=str.capitalize)


def what_if_section(view: View) -> None:
    """The what-if scenario (Overview and Diagnostics): sliders in the URL, results per trust."""
    from productivity.overview_view import scenario_table

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
        scenario, changes = scenario_controls(benchmarks())
        show_scenario_changes(changes)
        what_if = scenario_report(view.period.start, view.period.end, scenario)
        if view.trust:
            what_if = what_if[what_if["trust_code"] == view.trust]
        show_table(scenario_table(what_if), "what-if", raw=what_if)


def board_pack_button(view: View) -> None:
    """One click for a board pack (PDF) of the chosen trust, or the collaborative."""
    from productivity import pack

    if not view.period.end:
        return
    st.subheader("Board pack")
    who = view.trust or "the whole collaborative"
    st.caption(
        f"A PDF for {who}, 12 months to {view.period.end}: headline tiles, ranking, SPC, "
        "funnel plots, DM01 waits and the methodology, with counts of 1 to 4 shown as *."
    )
    if st.button("Prepare the board pack", icon=":material/picture_as_pdf:", key="pack"):
        with st.spinner("Building the board pack (charts are drawn at print quality)…"):
            content = pack.build_pack(engine(), trust=view.trust, period=view.period.end, fmt="pdf")
        name = pack.pack_filename(trust=view.trust, period=view.period.end, fmt="pdf")
        st.download_button(
            "Download the board pack",
            content,
            file_name=name,
            mime="application/pdf",
            icon=":material/download:",
            key="pack-file",
        )
