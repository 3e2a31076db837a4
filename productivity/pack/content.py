"""What a board pack is made of, before it is drawn: tables as text, sections and the cover.

Owns :class:`Column`, :class:`PackTable`, :class:`Section` and :class:`Cover`, the data that
:mod:`productivity.pack` builds and :mod:`productivity.pack.pdf` and :mod:`productivity.pack.slides`
draw, and :func:`pack_table`, which puts every table through
:func:`productivity.export.suppress_small_numbers` (counts from 1 to 4 become ``*``) and formats
each cell. Pure pandas: it must not import Streamlit, the store, or either renderer's library.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from productivity.export import SUPPRESSED, suppress_small_numbers

MISSING = "–"


@dataclass(frozen=True)
class Column:
    """A pack table column: the frame's ``key``, its heading, format and an optional ✓/✗ key."""

    key: str
    heading: str
    fmt: str = "{}"
    meets: str | None = None
    width: float = 1.0


@dataclass(frozen=True)
class PackTable:
    """A table as text, ready to draw: headings, rows, relative widths, rows in bold."""

    headings: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    widths: tuple[float, ...]
    highlight: frozenset[int] = frozenset()


@dataclass(frozen=True)
class Section:
    """One page or slide: a heading, notes, and a chart, a table and/or tiles (value, label).

    Notes of a section with nothing else are paragraphs that may open with a ``**bold**`` lead.
    """

    heading: str
    notes: tuple[str, ...] = ()
    chart: bytes | None = None
    table: PackTable | None = None
    tiles: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Cover:
    title: str
    period_text: str
    synthetic: bool
    built_at: str
    contents: tuple[str, ...] = ()


def pack_table(
    frame: pd.DataFrame, columns: Sequence[Column], *, highlight: Sequence[bool] = ()
) -> PackTable:
    """Suppress small numbers (counts 1–4 become ``*``), then format every cell as text.

    A ``meets`` column puts ✓ or ✗ before the value, so colour is never the only cue; a missing
    value is shown as –. ``highlight`` marks rows to draw in bold (the pack's own trust).
    """
    frame = frame.reset_index(drop=True)
    shown = suppress_small_numbers(frame[list(dict.fromkeys(c.key for c in columns))])

    def cell(i: int, column: Column) -> str:
        value = shown.at[i, column.key]
        if isinstance(value, str) and value == SUPPRESSED:
            text = SUPPRESSED
        elif not isinstance(value, str) and pd.isna(value):
            return MISSING
        else:
            text = column.fmt.format(value)
        if column.meets is None or pd.isna(frame.at[i, column.meets]):
            return text
        return f"{'✓' if bool(frame.at[i, column.meets]) else '✗'} {text}"

    rows = tuple(tuple(cell(i, c) for c in columns) for i in range(len(frame)))
    return PackTable(
        tuple(c.heading for c in columns),
        rows,
        tuple(c.width for c in columns),
        frozenset(i for i, marked in enumerate(highlight) if marked),
    )
