"""Tables: a frame shown sortable, headed and formatted from the column catalogue, with the
same small patient counts hidden on screen as in its CSV download.

Streamlit only; no SQL and no metric arithmetic (pages pass shaped frames in).
:mod:`productivity.ui.widgets` re-exports the public names, so pages import them from there.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping
from typing import Any

import pandas as pd
import streamlit as st

from productivity.benchmarks import Benchmarks
from productivity.columns import COLUMNS
from productivity.export import (
    SUPPRESS_BELOW,
    SUPPRESSED,
    hide_small_numbers,
    hide_withheld,
    suppress_small_numbers,
    to_csv,
)
from productivity.ui.plain_text import plain

# What st.column_config takes for a Python format spec: fractions as percent, others printf.
_PRINTF = re.compile(r"(,?)\.(\d+)f")


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """What a table's download holds: :func:`download`'s CSV, as bytes."""
    return to_csv(suppress_small_numbers(frame)).encode()


def download(
    frame: pd.DataFrame | Callable[[], pd.DataFrame],
    name: str,
    label: str = "Download CSV",
    *,
    deferred: bool = False,
) -> None:
    """A CSV download of a chart's table, with counts of 1 to 4 patients shown as ``*``
    (:func:`productivity.export.suppress_small_numbers`) and text that a spreadsheet would run
    as a formula neutralised (:func:`productivity.export.to_csv`).

    ``deferred`` makes the CSV when the button is clicked, not on every rerun: a page with many
    tables otherwise writes every CSV each time a filter changes. ``frame`` may be a function
    that makes the table: called on click when ``deferred``, else now.
    """
    st.download_button(
        label,
        functools.partial(_csv_of, frame) if deferred else _csv_of(frame),
        file_name=f"{name}.csv",
        mime="text/csv",
        key=f"download-{name}",
        icon=":material/download:",
    )


def _csv_of(frame: pd.DataFrame | Callable[[], pd.DataFrame]) -> bytes:
    return csv_bytes(frame() if callable(frame) else frame)


# Column names ending so hold fractions: a table shows them as percentages (when the column
# catalogue does not know the column, e.g. a band's share).
RATIO_SUFFIXES = ("utilisation", "share", "of_planned", "within_6_weeks", "_rate")
# A column named ``…link`` holds a relative URL (``Theatres?trust=RBL&site=RBL01``): a table
# shows it as a link that opens that view; downloads leave it out.
LINK_SUFFIX, LINK_TEXT = "link", "Open ›"
# A text column named ``<catalogue key>_meets`` (or ``meets_…``) holds ✓, ✗ or – for the value
# column beside it: the value stays a number (so it sorts), the judgement is text of its own.
JUDGED_SUFFIX, JUDGED_PREFIX, JUDGED_HEADING = "_meets", "meets_", "✓/✗"
LARGE = 1000  # from here a fraction's second decimal no longer matters; separators do
MISSING_TEXT = "–"  # what a table shows for a value that is not there


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


def inferred_format(series: pd.Series) -> str | None:
    """A format for a numeric column the catalogue does not know: thousands separators for
    whole numbers (``6,027``) and for large ones (``1,234.5``); None (Streamlit's own) for
    small fractions, whose digits matter."""
    if pd.api.types.is_integer_dtype(series):
        return "%,d"
    values = series.dropna()
    if not pd.api.types.is_float_dtype(series) or values.empty:
        return None
    if (values % 1 == 0).all():
        return "%,.0f"
    return "%,.1f" if values.abs().max() >= LARGE else None


def _is_number(series: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)


def _judged_key(name: str) -> str | None:
    """The catalogue key a ✓/✗ column judges (``capped_utilisation_meets``), else None."""
    if name.endswith(JUDGED_SUFFIX) and name.removesuffix(JUDGED_SUFFIX) in COLUMNS:
        return name.removesuffix(JUDGED_SUFFIX)
    return None


def _heading(name: str, benchmarks: Benchmarks | None) -> tuple[str | None, str | None]:
    """A column's label and help: the catalogue's (with its benchmark when it has one), words
    for another report-style name, or None to keep a heading already in words."""
    column = COLUMNS.get(name)
    if column is not None:
        help_text = column.heading if column.heading != column.short else None
        if column.benchmark and benchmarks is not None:
            return column.heading_against(benchmarks), column.heading
        return column.short, help_text
    judged = _judged_key(name)
    if judged is not None:
        return JUDGED_HEADING, f"✓ {COLUMNS[judged].heading} meets its benchmark, ✗ falls short."
    if name.startswith(JUDGED_PREFIX) and name.islower():
        return name.replace("_", " ").capitalize(), "✓ meets the benchmark, ✗ falls short."
    if name.isidentifier() and name.islower():
        return name.replace("_", " ").capitalize(), None
    return None, None


def _fraction(name: str, series: pd.Series) -> bool:
    column = COLUMNS.get(name)
    if column is not None:
        return column.fmt.endswith("%")
    return name.endswith(RATIO_SUFFIXES) and pd.api.types.is_float_dtype(series)


def column_config(
    frame: pd.DataFrame,
    shown: list[str] | None = None,
    benchmarks: Benchmarks | None = None,
    like: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Headings and number formats for a table, and its first shown column pinned.

    Numbers stay numbers, so a column sorts as numbers; only the display is formatted. A column
    in the catalogue (:mod:`productivity.columns`) gets its short heading (with its benchmark,
    given ``benchmarks``), its full heading as help, and its format: counts with thousands
    separators, fractions as percentages (a progress bar for a fraction judged against a
    benchmark that stays within 0–100%). Another numeric column gets thousands separators when it
    holds whole numbers. A lower-case name is headed in words; a ``…link`` column is a link; a
    ``<key>_meets`` column is the ✓/✗ of its value column. The first column of ``shown`` (or of
    the frame) is pinned, so the row's name stays in view however far a wide table scrolls.
    ``like`` gives a numeric column headed in words the format of a catalogue column (``{"Lower
    limit": "quintile_ratio"}``: an SPC limit is shown as the value it bounds).
    """
    config: dict[str, Any] = {}
    order = shown or [str(c) for c in frame.columns]
    first = order[0] if order else None
    for name in map(str, frame.columns):
        pinned = True if name == first else None
        if name.endswith(LINK_SUFFIX) and name.islower():  # a relative URL into the row's unit
            config[name] = st.column_config.LinkColumn(
                name.replace("_", " ").capitalize(), display_text=LINK_TEXT, pinned=pinned
            )
            continue
        series = frame[name]
        label, help_text = _heading(name, benchmarks)
        if not _is_number(series):
            if label is not None or pinned:
                config[name] = st.column_config.Column(label, help=help_text, pinned=pinned)
            continue
        column = COLUMNS.get(name)
        model = COLUMNS.get((like or {}).get(name, ""))
        if column is None and model is not None:  # the format of the catalogue column named
            fmt = "percent" if model.fmt.endswith("%") else number_format(model.fmt)
            config[name] = st.column_config.NumberColumn(
                label, help=help_text, format=fmt or inferred_format(series), pinned=pinned
            )
            continue
        fraction = _fraction(name, series)
        judged = fraction and column is not None and column.benchmark
        # Checked only for a judged fraction: it costs a pass over the column.
        if judged and series.dropna().between(0, 1).all():
            config[name] = st.column_config.ProgressColumn(
                label, help=help_text, format="percent", min_value=0.0, max_value=1.0,
                pinned=pinned,
            )  # fmt: skip
            continue
        fmt = "percent" if fraction else None
        if column is not None and not fraction:
            fmt = number_format(column.fmt)
        config[name] = st.column_config.NumberColumn(
            label, help=help_text, format=fmt or inferred_format(series), pinned=pinned
        )
    return config


def _benchmarks() -> Benchmarks:
    """The benchmark set in force (the frame's cached copy; imported here, as frame imports
    widgets, which imports this module)."""
    from productivity.ui.frame import benchmarks

    return benchmarks()


def show_table(
    frame: pd.DataFrame,
    name: str | None = None,
    *,
    raw: pd.DataFrame | Callable[[], pd.DataFrame] | None = None,
    columns: list[str] | None = None,
    title: str | None = None,
    withheld: pd.DataFrame | None = None,
    deferred: bool = False,
    like: Mapping[str, str] | None = None,
) -> None:
    """A sortable table and, given a ``name``, its CSV download (of ``raw`` when given;
    ``deferred``: written on click, see :func:`download`, and ``raw`` may then be a function
    that makes the download's table, so that it too is made only on click).

    Report-style column names (``planned_minutes``) are headed and formatted from the column
    catalogue (:func:`column_config`); the data, and so the download, keep the names (the CSV
    header is the catalogue key) and the numbers. ``columns`` picks the columns shown (the
    download keeps them all but the links). Counts of 1 to 4 patients are hidden, the same
    cells the download shows as ``*`` (:mod:`productivity.export`); a note under the table says
    so. ``title`` is the table's accessible name (its ``name`` in words when not given).
    ``withheld`` (True by cell, same index and columns) hides more cells alike: a total that
    would give a hidden count away (secondary suppression); ``raw`` should show them as ``*``.
    ``deferred``: the CSV is written when its button is clicked (:func:`download`).
    ``like`` formats columns headed in words as catalogue columns (:func:`column_config`).
    """
    shown, hidden = hide_small_numbers(frame)
    extra = 0
    if withheld is not None:
        shown, extra = hide_withheld(shown, withheld)
    visible = columns or [str(c) for c in frame.columns]
    # A hidden count shows as *, unless the table has values that are simply missing: then
    # both show as – and the note says so, rather than a * that could be mistaken for one.
    gaps = frame[[c for c in visible if c in frame.columns]].isna().to_numpy().any()
    placeholder = SUPPRESSED if (hidden or extra) and not gaps else MISSING_TEXT
    label = title or (name.replace("-", " ").capitalize() if name else None)
    st.dataframe(
        shown,
        hide_index=True,
        width="stretch",
        column_config=column_config(frame, visible, _benchmarks(), like),
        column_order=columns,
        placeholder=placeholder,
        alt=label,
    )
    if hidden or extra:
        cells = hidden + extra
        st.caption(
            f"{plain(placeholder)}: a count of 1 to {SUPPRESS_BELOW - 1} patients"
            + (", or a figure that would give one away," if extra else "")
            + f" hidden ({cells:,} {'cell' if cells == 1 else 'cells'}; the rule is on the "
            "Methodology page)."
            + (" – also marks a value that is not there." if placeholder == MISSING_TEXT else "")
        )
    if name:
        kept = frame if raw is None else raw
        made = functools.partial(_without_links, kept)
        download(made if callable(kept) else made(), name, deferred=deferred)


def _without_links(kept: pd.DataFrame | Callable[[], pd.DataFrame]) -> pd.DataFrame:
    """A table's download: ``kept`` (made now, if a function) without its link columns."""
    frame = kept() if callable(kept) else kept
    return frame.drop(columns=[c for c in frame.columns if str(c).endswith(LINK_SUFFIX)])
