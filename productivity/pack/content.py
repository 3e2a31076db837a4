"""What a board pack is made of, before it is drawn: tables as text, sections and the cover.

Owns :class:`Column`, :class:`PackTable`, :class:`Section` and :class:`Cover`, the data that
:mod:`productivity.pack` builds and :mod:`productivity.pack.pdf` and :mod:`productivity.pack.slides`
draw, and :func:`pack_table`, which puts every table through
:func:`productivity.export.suppress_small_numbers` (counts from 1 to 4 become ``*``) and formats
each cell, marking a judged value ✓/✗ with :func:`productivity.formats.mark` as the app does.
:meth:`Column.of` takes a report column's heading and format from the column catalogue. Pure
pandas: it must not import Streamlit, the store, or either renderer's library.

>>> rows = pd.DataFrame({"trust_code": ["RBL"], "waiting_13_plus": [3], "meets": [False]})
>>> pack_table(rows, [Column("trust_code", "Trust"), Column("waiting_13_plus", "13+", ",.0f",
...                                                          "meets")]).rows
(('RBL', '✗ *'),)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import pandas as pd

from productivity import columns
from productivity.export import SUPPRESSED, suppress_small_numbers
from productivity.formats import MEETS, MISSES, MISSING, is_missing, mark

__all__ = ["MISSING", "Column", "Cover", "PackTable", "Section", "count_text", "pack_table"]


@dataclass(frozen=True)
class Column:
    """A pack table column: the frame's ``key``, its heading, its format spec (``",.0f"``) and
    an optional ✓/✗ column; ``benchmark`` (its value) keeps a ✗ value from reading as it."""

    key: str
    heading: str
    fmt: str = ""
    meets: str | None = None
    width: float = 1.0
    benchmark: float | None = None

    @classmethod
    def of(
        cls,
        column: columns.Column,
        heading: str | None = None,
        *,
        key: str | None = None,
        meets: str | None = None,
        benchmark: float | None = None,
        width: float = 1.0,
    ) -> Column:
        """A catalogue column: its key, short heading (unless given) and format."""
        return cls(key or column.key, heading or column.short, column.fmt, meets, width, benchmark)


@dataclass(frozen=True)
class PackTable:
    """A table as text, ready to draw: headings, rows, relative widths, rows in bold."""

    headings: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    widths: tuple[float, ...]
    highlight: frozenset[int] = frozenset()

    def split(self, shown: int) -> tuple[PackTable, PackTable | None]:
        """The first ``shown`` rows, and the rest (None when none are left) for a page of
        their own; bold rows stay bold."""
        first = replace(self, rows=self.rows[:shown])
        if shown >= len(self.rows):
            return first, None
        rest = frozenset(i - shown for i in self.highlight if i >= shown)
        return first, replace(self, rows=self.rows[shown:], highlight=rest)


@dataclass(frozen=True)
class Section:
    """One page or slide: a heading, notes, and a chart, a table and/or tiles (value, label).

    Notes of a section with nothing else are paragraphs that may open with a ``**bold**`` lead.
    ``alt`` is the chart's alternative text, read out by a screen reader in its place: what the
    chart shows and its main finding, in words.
    """

    heading: str
    notes: tuple[str, ...] = ()
    chart: bytes | None = None
    table: PackTable | None = None
    tiles: tuple[tuple[str, str], ...] = ()
    alt: str = ""

    def __post_init__(self) -> None:
        if self.chart is not None and not self.alt.strip():
            raise ValueError(f"section {self.heading!r}: a chart needs alternative text")


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
        value: object = shown.at[i, column.key]
        meets: object = frame.at[i, column.meets] if column.meets else None
        if isinstance(value, str) and value == SUPPRESSED:
            return SUPPRESSED if is_missing(meets) else f"{MEETS if meets else MISSES} {SUPPRESSED}"
        if isinstance(value, str):
            return format(value, column.fmt)
        return mark(value, None if is_missing(value) else meets, column.fmt, column.benchmark)

    rows = tuple(tuple(cell(i, c) for c in columns) for i in range(len(frame)))
    return PackTable(
        tuple(c.heading for c in columns),
        rows,
        tuple(c.width for c in columns),
        frozenset(i for i, marked in enumerate(highlight) if marked),
    )


def count_text(value: float, key: str, fmt: str = ",.0f") -> str:
    """One figure as a pack table shows it: a count named by ``key`` (``waiting_13_plus``)
    from 1 to 4 becomes ``*``, a missing value –."""
    return pack_table(pd.DataFrame({key: [value]}), [Column(key, key, fmt)]).rows[0][0]
