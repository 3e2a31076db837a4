"""The Overview's cached loaders: the scorecard's inputs held per build, the scorecard of a
period, and the reporting turnaround tiles (issue 17: a filter change computes only the open
tab's frames, each in milliseconds)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from productivity.store import marts
from productivity.ui.frame import CACHE_TTL, benchmarks, engine, store_facts, trust_scorecard
from productivity.views import overview_card as oc, reporting as rv


@st.cache_resource(show_spinner=False, max_entries=1)
def card_sources(stamp: str) -> oc.CardSources:
    """The scorecard's period-free inputs, once per build (``stamp`` keys the cache)."""
    return oc.card_sources(engine())


def held_sources() -> oc.CardSources | None:
    """The current build's :func:`card_sources`; None for marts from before build stamps
    (nothing to hold per build: the report's own path reads them)."""
    stamp = marts.build_stamp(engine())
    return card_sources(stamp) if stamp else None


@st.cache_data(ttl=CACHE_TTL, show_spinner=False)
def load_card(
    start: str | None, end: str | None, ranking: str, measure: str, basis: str
) -> pd.DataFrame:
    """The trust scorecard (``reports.trust_scorecard``'s rows) in milliseconds a period."""
    sources = held_sources()
    if sources is None:
        return trust_scorecard(start, end, ranking, measure, basis)
    period = marts.Period(start, end)
    return oc.trust_scorecard(sources, engine(), period, benchmarks(), ranking, measure, basis)


# Up to this many lists, reading each list's figures takes a few tenths of a second (the
# collaborative's 73k: about 0.2 s), so they are read with the first render and the first other
# period is as quick as any change; above it (region: 418k, about 2 s) they are read in the
# background.
EAGER_LISTS = 150_000


@st.cache_resource(show_spinner=False, max_entries=1)
def list_count(stamp: str) -> int:
    """How many lists the build holds (``stamp`` keys the cache)."""
    return marts.mart_row_count(engine(), marts.THEATRE_LIST)


def prefetch_lists() -> None:
    """Have each list's figures read, if not held yet: the whole store's scorecard (the default
    view) does not need them, any other period does (issue 17). Called once the page is drawn:
    a store of the collaborative's size reads them now, a larger one in the background."""
    sources = held_sources()
    if sources is None:
        return
    if list_count(marts.build_stamp(engine())) <= EAGER_LISTS:
        sources.lists()
    else:
        sources.lists.prefetch()


def theatre_minutes(start: str | None, end: str | None) -> pd.DataFrame | None:
    """Each trust's planned and capped touch minutes in the period (the theatre funnel's
    totals), or None where nothing is held per build."""
    sources = held_sources()
    return None if sources is None else oc.theatre_minutes(sources, marts.Period(start, end))


@st.cache_data(ttl=CACHE_TTL, show_spinner=False)
def load_turnaround(start: str | None, end: str | None) -> pd.DataFrame:
    """The reporting turnaround and DNA tiles of every trust (the Reporting page's figures)."""
    period, names = marts.Period(start, end), store_facts().trust_names
    return rv.turnaround_scorecard(engine(), period, benchmarks(), names)
