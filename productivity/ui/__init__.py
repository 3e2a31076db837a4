"""The Streamlit layer: the page frame, shared widgets, the what-if panel and sign-in.

Only ``pages/``, ``streamlit_app.py`` and this package import Streamlit. A page starts with
``view = ui.frame("Title")`` and draws with the widgets re-exported here.
"""

from productivity.ui.boardpack import board_pack_button
from productivity.ui.frame import (
    CACHE_TTL,
    PAGES,
    View,
    benchmarks,
    engine,
    frame,
    run,
    store_facts,
    today,
    trust_scorecard,
)
from productivity.ui.tabs import PageTab, page_tabs
from productivity.ui.whatif import what_if_section
from productivity.ui.widgets import (
    chart_with_table,
    choose,
    download,
    empty_state,
    plain,
    problems_table,
    section,
    show_chart,
    show_table,
)

__all__ = [
    "CACHE_TTL",
    "PAGES",
    "PageTab",
    "View",
    "benchmarks",
    "board_pack_button",
    "chart_with_table",
    "choose",
    "download",
    "empty_state",
    "engine",
    "frame",
    "page_tabs",
    "plain",
    "problems_table",
    "run",
    "section",
    "show_chart",
    "show_table",
    "store_facts",
    "today",
    "trust_scorecard",
    "what_if_section",
]
