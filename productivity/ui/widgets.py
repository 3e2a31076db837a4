"""Shared page widgets: charts with their tables, drill-down choices, sections, empty states.

Streamlit only; no SQL and no metric arithmetic (pages pass shaped frames in). Text from data
(trust, site, theatre and specialty names, file names, import messages) goes through
:func:`plain` before it reaches a caption, header, label or message, since Streamlit renders
those as Markdown: a site named ``[click me](http://…)`` must show as text, not a link.
Tables and their downloads are :mod:`productivity.ui.tables`'s, re-exported here (as is
:func:`plain`, from :mod:`productivity.ui.plain_text`), so pages import every widget from here.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import altair as alt
import pandas as pd
import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from productivity.errors import InputError
from productivity.ui import chart_draw
from productivity.ui.plain_text import plain as plain
from productivity.ui.tables import (
    JUDGED_HEADING as JUDGED_HEADING,
    JUDGED_PREFIX as JUDGED_PREFIX,
    JUDGED_SUFFIX as JUDGED_SUFFIX,
    LARGE as LARGE,
    LINK_SUFFIX as LINK_SUFFIX,
    LINK_TEXT as LINK_TEXT,
    MISSING_TEXT as MISSING_TEXT,
    RATIO_SUFFIXES as RATIO_SUFFIXES,
    column_config as column_config,
    csv_bytes as csv_bytes,
    download as download,
    inferred_format as inferred_format,
    number_format as number_format,
    show_table as show_table,
)

Chart = alt.Chart | alt.LayerChart | alt.HConcatChart | alt.VConcatChart | alt.FacetChart


def empty_state(message: str) -> None:
    """Say plainly that a filter selects nothing (instead of an empty chart)."""
    st.info(f":material/filter_alt_off: {message}")


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
        where.caption(plain(names[chosen]))
    return None if chosen == every else chosen


def section(title: str, frame: pd.DataFrame | None, empty: str) -> bool:
    """A section heading; False (after saying why, plainly) when there is nothing to draw."""
    st.subheader(title)
    if frame is None or frame.empty:
        empty_state(empty)
        return False
    return True


# A table with more shown columns than this goes under its chart at full width, not beside it,
# so that no column has to scroll out of view.
BESIDE_MAX_COLUMNS = 4


def describe(chart: Chart, title: str, caption: str | None = None) -> Chart:
    """The chart with an accessible description (Vega-Lite ``description``, which becomes the
    chart's ``aria-label``): its title, what it shows and where its numbers are. A chart that
    has a description of its own keeps it."""
    # Read the property, not to_dict(): that would serialise the chart's data on every rerun.
    if getattr(chart, "description", alt.Undefined) is not alt.Undefined:
        return chart
    # The caption's first sentence says what the chart shows; the rest is read under it.
    first = re.split(r"(?<=[.!?])\s", re.sub(r"[*_`]", "", caption or ""), maxsplit=1)[0]
    words = f"{title}: {first}" if first else f"{title}."
    text = f"{words} Chart; its numbers are in the table with it."
    # Set on the chart itself, as draw() sets its to_dict: .properties() would deep-copy every
    # layer (and its data) on every rerun. Charts are built afresh for each draw.
    chart.description = text
    return chart


def draw(chart: Chart, where: DeltaGenerator | None = None) -> None:
    """Draw a chart at full width, in ``where`` (the page's main body when None).

    Streamlit's ``st.altair_chart`` turns the chart into Vega-Lite with Altair's ``to_dict``,
    5 to 25 ms a chart on every rerun; :mod:`productivity.ui.chart_draw` makes the same spec
    (checked chart by chart, page by page, in ``tests/test_chart_draw.py``) several times
    faster and draws it with ``st.vega_lite_chart``. Neither checks the spec against the
    Vega-Lite JSON schema (it costs more than the drawing): ``tests/test_chart_specs.py`` checks
    every chart of every page instead.
    """
    chart_draw.draw(chart, where)


def show_chart(chart: Chart, title: str, caption: str | None = None) -> None:
    """Draw a chart (full width) with its accessible description (:func:`describe`)."""
    draw(describe(chart, title, caption))


def chart_with_table(
    chart: Chart,
    table: pd.DataFrame,
    name: str,
    *,
    raw: pd.DataFrame | Callable[[], pd.DataFrame] | None = None,
    columns: list[str] | None = None,
    caption: str | None = None,
    below: bool = False,
    widths: tuple[int, int] = (3, 2),
    title: str | None = None,
    withheld: pd.DataFrame | None = None,
    deferred: bool = False,
    like: Mapping[str, str] | None = None,
) -> None:
    """A chart with its table and CSV download beside it (every chart has one, SPEC §6;
    ``deferred``: written on click, see :func:`download`).

    ``raw`` is what the download holds when ``table`` is formatted for reading; ``caption``
    goes under the chart. ``widths`` share the row between chart and table; a table of more
    than :data:`BESIDE_MAX_COLUMNS` columns goes under the chart at full width instead, so none
    scrolls out of view. ``below`` gives a long chart (an SPC chart) the full width and folds
    its table, with the download, into an expander under it. ``title`` names the chart for a
    screen reader (its ``name`` in words when not given; see :func:`describe`). ``withheld``,
    ``deferred`` and ``like`` are :func:`show_table`'s.
    """
    label = title or name.replace("-", " ").capitalize()
    chart = describe(chart, label, caption)

    def _table() -> None:
        show_table(
            table, name, raw=raw, columns=columns, title=label, withheld=withheld,
            deferred=deferred, like=like,
        )  # fmt: skip

    if below:
        draw(chart)
        if caption:
            st.caption(caption)
        with st.expander("The chart's table"):
            _table()
        return
    if len(columns or table.columns) > BESIDE_MAX_COLUMNS:
        draw(chart)
        if caption:
            st.caption(caption)
        _table()
        return
    left, right = st.columns(list(widths))
    draw(chart, left)
    if caption:
        left.caption(caption)
    with right:
        _table()


def problems_table(error: InputError) -> pd.DataFrame:
    """An import's located problems: file, row, column, value and what was expected."""
    return pd.DataFrame([p.as_dict() for p in error.problems]).rename(columns=str.capitalize)
