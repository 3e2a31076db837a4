"""A page's sections as tabs, of which only the open one runs.

A page that drew every section on every rerun paid for all of them on each filter change,
though a reader looks at one at a time (issue 17: 5 to 8 charts and as many tables a change).
``st.tabs`` with ``on_change="rerun"`` tells the script which tab is open, so a page draws that
one only; opening another is a rerun that draws it. The open tab is bound to the URL
(``?<key>=<label>``), so a link opens the page on that section and a filter change keeps it::

    tab = ui.page_tabs(("Trend", "Where the minutes went", "SPC"), key="view")
    with tab.container:
        if tab.open == "Trend":
            ...
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import streamlit as st
from streamlit.delta_generator import DeltaGenerator


@dataclass(frozen=True)
class PageTab:
    """The open tab: its label, and the container to draw its section in."""

    open: str
    container: DeltaGenerator


def page_tabs(labels: Sequence[str], key: str) -> PageTab:
    """Draw ``labels`` as tabs and return the open one (the first, unless the URL or a click
    chose another). A label the URL names that is not a tab opens the first."""
    if not labels:
        raise ValueError("a page needs at least one tab")
    containers = st.tabs(list(labels), key=key, on_change="rerun", bind="query-params")
    for label, container in zip(labels, containers, strict=True):
        if container.open:
            return PageTab(label, container)
    return PageTab(labels[0], containers[0])
