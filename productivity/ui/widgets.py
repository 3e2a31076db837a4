"""Shared page widgets: tables with their downloads, charts with their tables, empty states.

Streamlit only; no SQL and no metric arithmetic (pages pass shaped frames in). Text from data
(trust, site, theatre and specialty names, file names, import messages) goes through
:func:`plain` before it reaches a caption, header, label or message, since Streamlit renders
those as Markdown: a site named ``[click me](http://…)`` must show as text, not a link.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import altair as alt
import pandas as pd
import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from productivity.columns import COLUMNS
from productivity.errors import InputError
from productivity.export import suppress_small_numbers, to_csv

# Every ASCII punctuation mark that Markdown or Streamlit's directives (:material/x:, :red[x],
# $math$) give a meaning; CommonMark lets any of them be escaped with a backslash.
_MARKDOWN = re.compile(r"([\\`*_{}\[\]()<>#+\-.!|~$:=^&@\"'])")


def plain(text: object) -> str:
    """Text from data made safe for Markdown: every special character escaped, line breaks as
    spaces, so it shows literally (no link, image, heading, icon or autolinked address)."""
    one_line = re.sub(r"[\r\n]+", " ", str(text))
    return _MARKDOWN.sub(r"\\\1", one_line)


# What st.column_config takes for a Python format spec: fractions as percent, others printf.
_PRINTF = re.compile(r"(,?)\.(\d+)f")
Chart = alt.Chart | alt.LayerChart | alt.HConcatChart | alt.VConcatChart | alt.FacetChart


def empty_state(message: str) -> None:
    """Say plainly that a filter selects nothing (instead of an empty chart)."""
    st.info(f":material/filter_alt_off: {message}")


def download(frame: pd.DataFrame, name: str, label: str = "Download CSV") -> None:
    """A CSV download of a chart's table, with small-number suppression applied and text that a
    spreadsheet would run as a formula neutralised (:func:`productivity.export.to_csv`)."""
    st.download_button(
        label,
        to_csv(suppress_small_numbers(frame)).encode(),
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
        where.caption(plain(names[chosen]))
    return None if chosen == every else chosen


def section(title: str, frame: pd.DataFrame | None, empty: str) -> bool:
    """A section heading; False (after saying why, plainly) when there is nothing to draw."""
    st.subheader(title)
    if frame is None or frame.empty:
        empty_state(empty)
        return False
    return True


# Column names ending so hold fractions: a table shows them as percentages (when the column
# catalogue does not know the column, e.g. a band's share).
RATIO_SUFFIXES = ("utilisation", "share", "of_planned", "within_6_weeks", "_rate")
# A column named ``…link`` holds a relative URL (``Theatres?trust=RBL&site=RBL01``): a table
# shows it as a link that opens that view; downloads leave it out.
LINK_SUFFIX, LINK_TEXT = "link", "Open ›"


def number_format(fmt: str) -> str | None:
    """A catalogue format spec as ``st.column_config.NumberColumn`` takes it.

    ``".1%"`` → ``"percent"``, ``",.0f"`` → ``"%,.0f"``, ``"d"`` → ``"%d"``; None for any other.
    """
    if fmt.endswith("%"):
        return "percent"
    found = _PRINTF.fullmatch(fmt)
    if found:
        return f"%{found.group(1)}.{found.group(2)}f"
    return "%d" if fmt == "d" else None


def column_config(frame: pd.DataFrame) -> dict[str, Any]:
    """Headings and number formats for report-style columns (``planned_minutes``).

    A column in the catalogue (:mod:`productivity.columns`) gets its short heading, its full
    heading as help, and its format; another lower-case name is headed in words, and shown as a
    percentage when its name says it is a fraction; a ``…link`` column is a link. Headings
    already in words are left alone.
    """
    config: dict[str, Any] = {}
    for name in map(str, frame.columns):
        if name.endswith(LINK_SUFFIX) and name.islower():  # a relative URL into the row's unit
            config[name] = st.column_config.LinkColumn(
                name.replace("_", " ").capitalize(), display_text=LINK_TEXT
            )
            continue
        numeric = pd.api.types.is_numeric_dtype(frame[name]) and not (
            pd.api.types.is_bool_dtype(frame[name])
        )
        column = COLUMNS.get(name)
        if column is not None:
            help_text = column.heading if column.heading != column.short else None
            fmt = number_format(column.fmt) if numeric else None
            config[name] = (
                st.column_config.NumberColumn(column.short, help=help_text, format=fmt)
                if fmt
                else st.column_config.Column(column.short, help=help_text)
            )
        elif name.isidentifier() and name.islower():
            heading = name.replace("_", " ").capitalize()
            ratio = name.endswith(RATIO_SUFFIXES) and pd.api.types.is_float_dtype(frame[name])
            config[name] = (
                st.column_config.NumberColumn(heading, format="percent")
                if ratio
                else st.column_config.Column(heading)
            )
    return config


def show_table(
    frame: pd.DataFrame,
    name: str | None = None,
    *,
    raw: pd.DataFrame | None = None,
    columns: list[str] | None = None,
) -> None:
    """A sortable table and, given a ``name``, its CSV download (of ``raw`` when given).

    Report-style column names (``planned_minutes``) are headed and formatted from the column
    catalogue (:func:`column_config`); the data, and so the download, keep the names (the CSV
    header is the catalogue key) and the fractions. ``columns`` picks the columns shown (the
    download keeps them all but the links).
    """
    st.dataframe(
        frame,
        hide_index=True,
        width="stretch",
        column_config=column_config(frame),
        column_order=columns,
    )
    if name:
        shown = frame if raw is None else raw
        download(
            shown.drop(columns=[c for c in shown.columns if str(c).endswith(LINK_SUFFIX)]), name
        )


def chart_with_table(
    chart: Chart,
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


def problems_table(error: InputError) -> pd.DataFrame:
    """An import's located problems: file, row, column, value and what was expected."""
    return pd.DataFrame([p.as_dict() for p in error.problems]).rename(columns=str.capitalize)
