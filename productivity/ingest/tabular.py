"""Reading CSV and Excel files into string tables whose index is the spreadsheet row number.

Every importer starts here: a :class:`Table` holds each cell as text (Excel dates and numbers are
rendered the same way a CSV would write them) and is indexed by the row number a spreadsheet user
sees, so any boolean mask over it turns straight into located problems. Column headers are
matched to canonical names through a :class:`ColumnSpec` (aliases) and an optional TOML
:class:`~productivity.ingest.maps.ColumnMap`. Imports only the stdlib, pandas and the Excel readers.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zipfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from productivity.errors import MAX_PROBLEMS, InputError, Problem

CSV_SUFFIXES = (".csv", ".txt")
EXCEL_SUFFIXES = (".xlsx", ".xlsm", ".xls")
SUFFIXES = (*CSV_SUFFIXES, *EXCEL_SUFFIXES, ".zip")
HEADER_SEARCH_ROWS = 40  # a title block above the header is never longer than this


def norm(text: object) -> str:
    """A header or value as lower-case words: ``'Anaes. Start_Time'`` -> ``'anaes start time'``."""
    return re.sub(r"[^a-z0-9+<]+", " ", str(text).lower()).strip()


@dataclass
class Table:
    """A sheet as text. ``frame.index`` is the spreadsheet row number of each data row."""

    file: str
    frame: pd.DataFrame
    header_row: int = 1
    sheet: str | None = None

    @property
    def label(self) -> str:
        return f"{self.file} [{self.sheet}]" if self.sheet else self.file


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
            shown = None if value is None else str(value)
            self.items.append(Problem(self.file, row, column, shown, message))

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
    if value is None:
        return None
    try:
        if pd.isna(value):  # type: ignore[call-overload]  # scalar check on an arbitrary cell
            return ""
    except (TypeError, ValueError):
        pass
    return str(value)


# --- reading -------------------------------------------------------------------------------------


def decode(data: bytes) -> str:
    """Text of a CSV: UTF-8 (with or without BOM), else Windows-1252, else Latin-1."""
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")


def csv_table(text: str, file: str) -> Table:
    """Parse CSV text (header on row 1) into a :class:`Table`.

    Raises:
        InputError: the CSV cannot be tokenised (e.g. a row with too many fields).
    """
    text = text.replace("\x00", "")
    if not text.strip():
        raise InputError.single(file, "the file is empty: expected a header row and data rows")
    sep = _sniff_delimiter(text)
    try:
        frame = pd.read_csv(
            io.StringIO(text),
            dtype=str,
            keep_default_na=False,
            na_filter=False,
            skip_blank_lines=False,
            sep=sep,
        )
    except (pd.errors.ParserError, csv.Error, ValueError) as exc:
        line = re.search(r"line (\d+)", str(exc))
        raise InputError.single(
            file,
            f"the CSV cannot be read ({str(exc).strip()}): expected the same number of "
            "fields on every row",
            row=int(line.group(1)) if line else None,
        ) from None
    frame.columns = [str(c).strip() for c in frame.columns]
    frame.index = pd.RangeIndex(2, len(frame) + 2)
    frame = _drop_blank_rows(frame)
    _refuse_truncated_last_row(text, sep, frame, file)
    return Table(file, frame, header_row=1)


def _refuse_truncated_last_row(text: str, sep: str, frame: pd.DataFrame, file: str) -> None:
    """A last row with fewer fields than the header was cut off (an interrupted copy): pandas
    would pad it with empty cells, and an empty report or end time would read as "not yet".

    Raises:
        InputError: naming that row.
    """
    last = text.rstrip("\r\n").rsplit("\n", 1)[-1]
    if frame.empty or '"' in last or not last.strip():
        return  # a quoted field may span lines: the row is not judged from its last line
    fields = len(next(csv.reader([last], delimiter=sep)))
    if fields < len(frame.columns):
        raise InputError.single(
            file,
            f"the last row has {fields} of {len(frame.columns)} fields: the file looks cut "
            "off (an interrupted copy or download); expected every field of the header",
            row=int(frame.index[-1]),
        )


def _sniff_delimiter(text: str) -> str:
    first = text.lstrip("\ufeff").split("\n", 1)[0]
    counts = {sep: first.count(sep) for sep in (",", ";", "\t", "|")}
    best = max(counts, key=lambda sep: counts[sep])
    return best if counts[best] > counts[","] else ","


def _drop_blank_rows(frame: pd.DataFrame) -> pd.DataFrame:
    if frame.empty:
        return frame
    blank = (frame.apply(lambda col: col.str.strip()) == "").all(axis=1)
    return frame[~blank]


def cell_text(value: object) -> str:
    """One Excel cell as the text a CSV export would hold."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return "Y" if value else "N"
    if isinstance(value, dt.datetime):
        if value.hour == value.minute == value.second == value.microsecond == 0:
            return value.date().isoformat()
        return value.replace(microsecond=0).isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return value.replace(microsecond=0).isoformat()
    if isinstance(value, dt.timedelta):
        seconds = int(value.total_seconds())
        return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"
    if isinstance(value, float):
        if value != value:  # NaN
            return ""
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value).strip()


def read_sheets(data: bytes, file: str) -> dict[str, list[list[str]]]:
    """Every sheet of an Excel workbook as rows of cell text (row 1 first, nothing skipped).

    Raises:
        InputError: the workbook cannot be opened.
    """
    try:
        if data[:4] == b"PK\x03\x04":
            return _xlsx_sheets(data)
        return _xls_sheets(data)
    except InputError:
        raise
    except Exception as exc:  # openpyxl/xlrd raise many unrelated types for a corrupt file
        raise InputError.single(
            file, f"the workbook cannot be opened ({type(exc).__name__}: {exc})"
        ) from None


def _xlsx_sheets(data: bytes) -> dict[str, list[list[str]]]:
    import openpyxl

    book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        sheets: dict[str, list[list[str]]] = {}
        for sheet in book.worksheets:
            rows = sheet.iter_rows(min_row=1, values_only=True)
            sheets[sheet.title] = [[cell_text(v) for v in row] for row in rows]
        return sheets
    finally:
        book.close()


def _xls_sheets(data: bytes) -> dict[str, list[list[str]]]:
    import xlrd

    book = xlrd.open_workbook(file_contents=data, on_demand=True)
    try:
        sheets: dict[str, list[list[str]]] = {}
        for sheet in book.sheets():
            rows: list[list[str]] = []
            for r in range(sheet.nrows):
                cells = []
                for cell in sheet.row(r):
                    value = cell.value
                    if cell.ctype == xlrd.XL_CELL_DATE:
                        value = xlrd.xldate_as_datetime(value, book.datemode)
                    elif cell.ctype == xlrd.XL_CELL_BOOLEAN:
                        value = bool(value)
                    cells.append(cell_text(value))
                rows.append(cells)
            sheets[sheet.name] = rows
        return sheets
    finally:
        book.release_resources()


def rows_table(
    rows: Sequence[Sequence[str]],
    file: str,
    sheet: str | None = None,
    is_header: Callable[[list[str]], bool] | None = None,
) -> Table:
    """A :class:`Table` from sheet rows, with the header found by ``is_header`` (default: the
    first non-empty row) within the first :data:`HEADER_SEARCH_ROWS` rows.

    Raises:
        InputError: no header row is found.
    """
    width = max((len(r) for r in rows), default=0)
    padded = [list(r) + [""] * (width - len(r)) for r in rows]
    header_at = None
    for i, row in enumerate(padded[:HEADER_SEARCH_ROWS]):
        if any(c.strip() for c in row) and (is_header is None or is_header(row)):
            header_at = i
            break
    where = f"{file} [{sheet}]" if sheet else file
    if header_at is None:
        raise InputError.single(
            where, "no header row found in the first rows: expected a row of column names"
        )
    header = _unique([c.strip() for c in padded[header_at]])
    keep = [i for i, name in enumerate(header) if name]
    body = [[r[i] for i in keep] for r in padded[header_at + 1 :]]
    frame = pd.DataFrame(body, columns=[header[i] for i in keep], dtype="str")
    frame.index = pd.RangeIndex(header_at + 2, header_at + 2 + len(frame))
    return Table(file, _drop_blank_rows(frame), header_row=header_at + 1, sheet=sheet)


def _unique(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for name in names:
        if name and name in seen:
            seen[name] += 1
            out.append(f"{name}.{seen[name]}")
        else:
            seen.setdefault(name, 0)
            out.append(name)
    return out


def read_table(path: Path, data: bytes | None = None, is_header=None) -> Table:
    """The first sheet of a CSV, Excel workbook or a zip holding one CSV, as a :class:`Table`.

    Raises:
        InputError: unsupported file type, unreadable file, or no header.
    """
    data = path.read_bytes() if data is None else data
    suffix = path.suffix.lower()
    if suffix == ".zip":
        inner, text = unzip_csv(path, data)
        return csv_table(text, f"{path.name}/{inner}")
    if suffix in CSV_SUFFIXES:
        return csv_table(decode(data), path.name)
    if suffix in EXCEL_SUFFIXES:
        sheets = read_sheets(data, path.name)
        name, rows = next(iter(sheets.items()), ("", []))
        return rows_table(rows, path.name, name if len(sheets) > 1 else None, is_header)
    raise InputError.single(
        path.name, f"unsupported file type {suffix or '(none)'}: expected {', '.join(SUFFIXES)}"
    )


def unzip_csv(path: Path, data: bytes) -> tuple[str, str]:
    """The one CSV inside a zip: (its name, its text).

    Raises:
        InputError: not a zip, or it does not hold exactly one CSV.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = [n for n in archive.namelist() if n.lower().endswith(CSV_SUFFIXES)]
            if len(names) != 1:
                raise InputError.single(
                    path.name, f"expected a zip holding exactly one CSV, found {len(names)}"
                )
            return names[0], decode(archive.read(names[0]))
    except (zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError) as exc:
        raise InputError.single(path.name, f"the zip cannot be opened ({exc})") from None


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
        canonical = lookup.get(key) or (fallback(key) if fallback else None)
        if canonical and canonical not in source and header not in source.values():
            source[canonical] = header
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
            data[name] = table.frame[columns.source[name]].astype("str").str.strip()
        elif name in constants:
            data[name] = pd.Series(str(constants[name]), index=table.frame.index, dtype="str")
        else:
            data[name] = empty
    return pd.DataFrame(data, index=table.frame.index)
