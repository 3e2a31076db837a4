"""String tables whose index is the spreadsheet row number, their problems, and their columns.

Every importer works on a :class:`Table` (read by :mod:`productivity.ingest.reading`): each cell
as text, indexed by the row number a spreadsheet user sees, so any boolean mask over it turns
straight into located problems in a :class:`ProblemLog`. Column headers are matched to canonical
names through a :class:`ColumnSpec` (aliases) and an optional TOML
:class:`~productivity.ingest.maps.ColumnMap`. Imports only the stdlib and pandas.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

import pandas as pd

from productivity.errors import MAX_PROBLEMS, InputError, Problem

# The longest text a stored name, code or header may be. The longest real values (trust and
# provider names, theatre and specialty descriptions) are well under 100 characters; a longer
# one is a pasted note or an attack on the store and the pages.
MAX_TEXT_LENGTH = 200
SHOWN_LENGTH = 80  # a problem repeats at most this much of the value it is about
MAX_SIZE_ENV = "PRODUCTIVITY_MAX_FILE_MB"
# The largest file, or zip/workbook contents once expanded, that an import reads. A full DM01
# extract (the biggest real input, ~150,000 rows) is about 40 MB of text; 500 MB leaves room
# for years of case-level theatre data while a 5 MB zip bomb that expands to 1.2 GB is refused
# before it can exhaust memory.
DEFAULT_MAX_MB = 500


def norm(text: object) -> str:
    """A header or value as lower-case words: ``'Anaes. Start_Time'`` -> ``'anaes start time'``."""
    return re.sub(r"[^a-z0-9+<]+", " ", str(text).lower()).strip()


def max_bytes() -> int:
    """``PRODUCTIVITY_MAX_FILE_MB`` (default 500) in bytes: the most a file may hold or expand to.

    Raises:
        ValueError: the variable is set but is not a positive number.
    """
    raw = os.environ.get(MAX_SIZE_ENV, "").strip()
    if not raw:
        return DEFAULT_MAX_MB * 1_000_000
    try:
        megabytes = float(raw)
    except ValueError:
        raise ValueError(f"{MAX_SIZE_ENV} must be a number of megabytes, got {raw!r}") from None
    if not megabytes > 0:
        raise ValueError(f"{MAX_SIZE_ENV} must be more than 0, got {raw!r}")
    return int(megabytes * 1_000_000)


def check_size(size: int, file: str, what: str = "the file") -> None:
    """Refuse ``size`` bytes over :func:`max_bytes`.

    Raises:
        InputError: naming the file, its size and the limit.
    """
    limit = max_bytes()
    if size > limit:
        raise InputError.single(
            file,
            f"{what} is {size / 1e6:,.3g} MB, more than the {limit / 1e6:,g} MB limit "
            f"({MAX_SIZE_ENV}): split the file, or raise the limit",
        )


@dataclass
class Table:
    """A sheet as text. ``frame.index`` is the spreadsheet row number of each data row."""

    file: str
    frame: pd.DataFrame
    header_row: int = 1
    sheet: str | None = None
    # Stripped text of the columns read so far (a copy with another frame starts afresh).
    _stripped: dict[object, pd.Series] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    @property
    def label(self) -> str:
        return f"{self.file} [{self.sheet}]" if self.sheet else self.file

    def stripped(self, header: object) -> pd.Series:
        """A column's cells as text without surrounding white space, worked out once: the
        identifier check and the canonical frame both read every column."""
        found = self._stripped.get(header)
        if found is None:
            found = self.frame[header].astype("str").str.strip()
            self._stripped[header] = found
        return found


class ProblemLog:
    """Collects located problems for one file, keeping the first :data:`MAX_PROBLEMS`."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.items: list[Problem] = []
        self.total = 0

    def __bool__(self) -> bool:
        return self.total > 0

    def add(self, row: int | None, column: str | None, value: object, message: str) -> None:
        self.total += 1
        if len(self.items) < MAX_PROBLEMS:
            self.items.append(Problem(self.file, row, column, _shown(value), message))

    def add_mask(
        self,
        mask: pd.Series,
        column: str | None,
        values: pd.Series | None,
        message: str | Callable[[int], str],
    ) -> None:
        """One problem per True row of ``mask`` (index = row numbers); counts all of them."""
        hits = mask[mask.fillna(False).astype(bool)]
        room = MAX_PROBLEMS - len(self.items)
        for row in hits.index[: max(room, 0)]:
            value = None if values is None else values.loc[row]
            text = message(row) if callable(message) else message
            where = int(row) if int(row) > 0 else None  # 0: a derived row with no source row
            self.items.append(Problem(self.file, where, column, _shown(value), text))
        self.total += len(hits)

    def error(self) -> InputError:
        problems = sorted(self.items, key=lambda p: p.row or 0)
        more = self.total - len(problems)
        if more > 0:
            problems = problems[: MAX_PROBLEMS - 1]
            more += 1
            problems.append(
                Problem(self.file, None, None, None, f"... and {more} more problems not listed")
            )
        return InputError(problems)

    def merge(self, other: ProblemLog) -> None:
        """Take another file's problems (e.g. a sessions file read beside the main one)."""
        room = MAX_PROBLEMS - len(self.items)
        self.items.extend(other.items[: max(room, 0)])
        self.total += other.total

    def raise_if_any(self) -> None:
        if self.total:
            raise self.error()


def _shown(value: object) -> str | None:
    """A cell as a problem shows it: empty for a missing value, cut short if long."""
    if value is None:
        return None
    try:
        if pd.isna(cast(Any, value)):  # a scalar cell; an array-like one falls through
            return ""
    except (TypeError, ValueError):
        pass
    text = str(value)
    return text if len(text) <= SHOWN_LENGTH else text[:SHOWN_LENGTH] + f"… ({len(text):,} chars)"


def check_headers(header: Sequence[str], file: str, row: int) -> None:
    """Refuse a header row with a name longer than :data:`MAX_TEXT_LENGTH` or a name given twice.

    Two headers that differ only in case or punctuation (``Site``, ``site``) name the same
    column: the file would give two values for one field, and we cannot tell which is right.

    Raises:
        InputError: each offending header, located on the header row.
    """
    log = ProblemLog(file)
    first: dict[str, int] = {}
    for position, name in enumerate(header, start=1):
        if len(name) > MAX_TEXT_LENGTH:
            log.add(
                row,
                f"column {position}",
                name,
                f"a header of {len(name):,} characters: expected a column name of at most "
                f"{MAX_TEXT_LENGTH}",
            )
            continue
        key = norm(name)
        if not key:
            continue
        if key in first:
            log.add(
                row,
                name,
                None,
                f"the column is given twice (columns {first[key]} and {position}): expected "
                "each column once, so that every value is unambiguous",
            )
        else:
            first[key] = position
    log.raise_if_any()


def drop_blank_rows(frame: pd.DataFrame) -> pd.DataFrame:
    if frame.empty:
        return frame
    # Only rows whose first cell is blank can be blank: the rest are checked on those alone.
    maybe = (frame.iloc[:, 0].str.strip() == "").to_numpy()
    if not maybe.any():
        return frame
    candidates = frame.loc[maybe]
    blank = (candidates.apply(lambda col: col.str.strip()) == "").all(axis=1)
    kept: pd.DataFrame = frame.drop(index=candidates.index[blank.to_numpy()])
    return kept


def require_rows(table: Table) -> Table:
    if table.frame.empty:
        raise InputError.single(
            table.label,
            "the file has a header row but no data rows: expected at least one row of data",
            row=table.header_row,
        )
    return table


# --- columns -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ColumnSpec:
    """The canonical columns of a format: which are required, and the header names they go by."""

    columns: tuple[str, ...]
    required: tuple[str, ...]
    aliases: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # Groups where at least one column must be present, e.g. (anaesthetic_start, into_theatre).
    one_of: tuple[tuple[str, ...], ...] = ()

    def lookup(self) -> dict[str, str]:
        """Normalised header -> canonical column."""
        names = {norm(c): c for c in self.columns}
        for canonical, aliases in self.aliases.items():
            for alias in aliases:
                names.setdefault(norm(alias), canonical)
        return names


@dataclass
class Columns:
    """Which source header feeds each canonical column."""

    source: dict[str, str]

    def __contains__(self, canonical: str) -> bool:
        return canonical in self.source

    def label(self, canonical: str) -> str:
        return self.source.get(canonical, canonical)


def match_columns(
    table: Table,
    spec: ColumnSpec,
    explicit: Mapping[str, Sequence[str]] | None = None,
    fallback: Callable[[str], str | None] | None = None,
    constants: Iterable[str] = (),
    log: ProblemLog | None = None,
) -> Columns:
    """Map the table's headers onto ``spec``: explicit map first, then names and aliases.

    Records a file-wide problem for each missing required column (in ``log``, or raises).

    Raises:
        InputError: when ``log`` is None and something required is missing.
    """
    headers = {norm(h): h for h in table.frame.columns}
    source: dict[str, str] = {}
    own = log if log is not None else ProblemLog(table.label)
    for canonical, candidates in (explicit or {}).items():
        for candidate in candidates:
            if norm(candidate) in headers:
                source[canonical] = headers[norm(candidate)]
                break
    lookup = spec.lookup()
    for key, header in headers.items():
        known: str | None = lookup.get(key) or (fallback(key) if fallback else None)
        if known and known not in source and header not in source.values():
            source[known] = header
    present = set(source) | set(constants)
    for column in spec.required:
        if column not in present:
            names = ", ".join(repr(a) for a in (column, *spec.aliases.get(column, ())[:3]))
            own.add(
                table.header_row,
                column,
                None,
                f"required column {column!r} is missing: expected a header such as {names} "
                "(or map it with a column-map TOML file)",
            )
    for group in spec.one_of:
        if not present & set(group):
            own.add(
                table.header_row,
                group[0],
                None,
                f"expected at least one of the columns {', '.join(map(repr, group))}",
            )
    if log is None:
        own.raise_if_any()
    return Columns(source)


def canonical_frame(
    table: Table,
    columns: Columns,
    names: Sequence[str],
    constants: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """The table's columns renamed to canonical ``names`` (stripped text; absent ones empty)."""
    constants = constants or {}
    data = {}
    empty = pd.Series("", index=table.frame.index, dtype="str")
    for name in names:
        if name in columns.source:
            data[name] = table.stripped(columns.source[name])
        elif name in constants:
            data[name] = pd.Series(str(constants[name]), index=table.frame.index, dtype="str")
        else:
            data[name] = empty
    return pd.DataFrame(data, index=table.frame.index)
