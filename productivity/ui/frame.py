"""The page frame every page calls first: config, store, banners, auth and shared filters.

A page starts ``view = ui.frame("Theatres", filters=("trust", "period"))`` and reads its
filters from ``view``.

``frame()`` is what makes a deep link on a cold server look the same as navigating from the
entrypoint: whichever script Streamlit runs first, the frame draws the same navigation, title,
banners and filters (bound to query parameters, so a URL reproduces the view).
"""

from __future__ import annotations

import contextvars
import datetime as dt
import gc
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pandas as pd
import streamlit as st
from sqlalchemy import Engine
from streamlit.delta_generator import DeltaGenerator

from productivity.benchmarks import Benchmarks, load_benchmarks
from productivity.charts.theme import SECONDARY_TEXT
from productivity.modalities import KEYS as MODALITY_KEYS
from productivity.store import facts, marts, readers, reports
from productivity.store.db import get_engine, init_db
from productivity.ui import auth
from productivity.ui.widgets import plain

ROOT = Path(__file__).resolve().parents[2]
PAGES: tuple[tuple[str, str, str], ...] = (
    ("pages/Overview.py", "Overview", ":material/dashboard:"),
    ("pages/Theatres.py", "Theatres", ":material/surgical:"),
    ("pages/Look_ahead.py", "Look-ahead", ":material/event_upcoming:"),
    ("pages/Diagnostics.py", "Diagnostics", ":material/radiology:"),
    ("pages/Reporting.py", "Reporting and pathology", ":material/assignment_turned_in:"),
    ("pages/Mutual_aid.py", "Mutual aid", ":material/swap_horiz:"),
    ("pages/Inequalities.py", "Health inequalities", ":material/diversity_3:"),
    ("pages/Data.py", "Data", ":material/upload_file:"),
    ("pages/Methodology.py", "Methodology", ":material/menu_book:"),
)
ALL = "All trusts"
# Set while the entrypoint runs a page, so frame() knows navigation is already registered.
_UNDER_NAVIGATION: contextvars.ContextVar[bool] = contextvars.ContextVar("nav", default=False)
# Streamlit draws captions, widget help and tile notes in the text colour at 60% opacity: about
# 3.9:1 on the sidebar's grey (4.3:1 on white), short of WCAG AA's 4.5:1 for small text. NHS
# secondary text instead, solid: 5.8:1 on #F0F4F5 and 6.4:1 on white.
READABLE_CSS = f"""<style>
[data-testid="stCaptionContainer"], [data-testid="stCaptionContainer"] *,
[data-testid="stWidgetLabel"] small, [data-testid="stMetricDelta"],
[data-testid="stMetricDelta"] * {{ color: {SECONDARY_TEXT} !important; opacity: 1 !important; }}
</style>"""
CACHE_TTL = 300  # seconds: marts change only after an import, and each import clears caches


_FROZEN = threading.Event()


def _freeze_long_lived_objects() -> None:
    """Once per process, on the first page run: hide every object alive then (the modules of
    Streamlit, pandas, Altair, SQLAlchemy and ours, some 300,000) from the cyclic garbage
    collector. Otherwise each full collection walks them all, a 0.1-0.2 s pause that lands on
    whichever click happens to trigger it (issue 17). They live as long as the process anyway,
    and reference counting still frees any that are dropped."""
    if _FROZEN.is_set():
        return
    _FROZEN.set()
    gc.collect()  # so no garbage cycle alive now is frozen with them
    gc.freeze()


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
    from productivity.synth import demo

    store = init_db(get_engine())
    if facts.store_is_empty(store):
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
def store_facts() -> facts.StoreFacts:
    """Trusts, months, specialties and whether the data is synthetic (for the filters)."""
    return facts.store_facts(engine())


def frame(title: str, *, filters: tuple[str, ...] = ("trust", "period")) -> View:
    """Draw the common frame and return the filters. Call it first on every page."""
    _freeze_long_lived_objects()
    _navigation_when_run_directly(title)
    st.set_page_config(page_title=f"{title} · Productivity monitor", page_icon="🏥", layout="wide")
    st.html(READABLE_CSS)
    try:
        user = auth.current_user()
    except auth.AuthConfigError as error:  # fail closed: no data, no local mode
        auth.config_error_screen(error)
        st.stop()
    if user.must_sign_in:
        auth.sign_in_screen()
        st.stop()
    held = store_facts()
    st.title(title)
    if held.synthetic:
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
    months = held.months
    notices = st.container()  # a bad link is reported here, above the page, not in the sidebar
    with st.sidebar:
        st.header("Filters")
        trust = None
        if "trust" in filters:
            unknown_link(notices, "trust", "trust", [ALL, *held.trusts], "all trusts")
            # Plain ODS codes as options, so that ?trust=RBL works in a shared URL.
            choice = st.selectbox("Trust", [ALL, *held.trusts], key="trust", bind="query-params")
            if choice != ALL:
                st.caption(plain(held.trust_names.get(choice, choice)))
            trust = None if choice == ALL else choice
        period = marts.Period()
        if "period" in filters and months:
            unknown_link(notices, "from", "month", months, "the first month")
            unknown_link(notices, "to", "month", months, "the latest month")
            start = st.selectbox("From", months, index=0, key="from", bind="query-params")
            end = st.selectbox("To", months, index=len(months) - 1, key="to", bind="query-params")
            if start > end:
                st.error("'From' is after 'To': showing the whole range instead.")
                start, end = months[0], months[-1]
            period = marts.Period(start, end)
        specialty = None
        if "specialty" in filters:
            # Only the specialties the chosen trust (and site, on a page that picks one) has.
            specialties = theatre_specialties(trust, _chosen_site() if trust else None)
            unknown_link(
                notices, "specialty", "specialty", ["All specialties", *specialties],
                "all specialties",
            )  # fmt: skip
            chosen = st.selectbox(
                "Specialty",
                ["All specialties", *specialties],
                key="specialty",
                bind="query-params",
            )
            specialty = None if chosen == "All specialties" else chosen
        modality = MODALITY_KEYS[0]
        if "modality" in filters:
            unknown_link(notices, "modality", "modality", MODALITY_KEYS, MODALITY_KEYS[0])
            modality = st.selectbox("Modality", MODALITY_KEYS, key="modality", bind="query-params")
        st.caption(f"Data built {held.built_at}")
        if user.authenticated:
            st.caption(
                f":material/person: Signed in as {user.name} ({user.role.replace('_', ' ')})"
            )
            st.button("Sign out", on_click=st.logout, icon=":material/logout:", key="sign_out")
    return View(trust, period, specialty, modality, months, held.synthetic)


def unknown_link(
    where: DeltaGenerator, key: str, what: str, options: Iterable[str], instead: str
) -> str | None:
    """Warn, naming it, when the address asks for a ``key`` that is not one of ``options``.

    A filter bound to the URL falls back to its default on a value it does not offer; without
    this a mistyped link (``?trust=XYZ``) would silently show every trust. ``instead`` says what
    is shown. Returns the unknown value, or None when the address is fine.
    """
    asked = st.query_params.get(key)
    if asked is None or asked in set(options):
        return None
    where.warning(
        f"The link asks for the {what} **{plain(asked)}**, which is not in the data: showing "
        f"{instead} instead. Check the address, or choose from the filters.",
        icon=":material/link_off:",
    )
    return str(asked)


@st.cache_data(ttl=CACHE_TTL, show_spinner=False)
def theatre_specialties(trust: str | None, site: str | None) -> list[str]:
    return readers.theatre_specialties(engine(), trust, site)


def _chosen_site() -> str | None:
    """The site a page's drill-down has chosen (its widget, else the URL), or None for all.

    The site picker is drawn after the frame, so its value is read from the session (it
    already holds a new choice when the page reruns) or, on a first visit, from the URL.
    """
    chosen = st.session_state.get("site", st.query_params.get("site"))
    return None if not chosen or str(chosen).startswith("All ") else str(chosen)


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
        # st.context.url is public API: it holds the page path the browser asked for.
        requested = urlsplit(st.context.url or "").path.strip("/")
        page = st.navigation(existing_pages(default="Overview" if requested else title))
        if page.title != title:
            page.run()
            st.stop()
    finally:
        _UNDER_NAVIGATION.reset(token)


def today() -> dt.date:
    return dt.date.today()


@st.cache_data(ttl=CACHE_TTL, show_spinner=False)
def trust_scorecard(
    start: str | None,
    end: str | None,
    ranking: str,
    measure: str = "theatre",
    basis: str = "national",
) -> pd.DataFrame:
    period = marts.Period(start, end)
    return reports.trust_scorecard(engine(), period, benchmarks(), ranking, measure, basis)
