"""Excel workbooks (.xlsx, .xls) as rows of cell text, and a :class:`Table` from such rows.

A cell is rendered as a CSV export would hold it (dates ISO, whole numbers without ``.0``), so
every importer parses Excel and CSV alike. A workbook is refused, before it is opened, when its
parts would expand past the size limit (:func:`~productivity.ingest.tabular.max_bytes`).
Imports only the stdlib, pandas and the Excel readers.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from collections.abc import Callable, Sequence

import pandas as pd

from productivity.errors import InputError
from productivity.ingest.tabular import (
    Table,
    check_headers,
    check_size,
    drop_blank_rows,
    require_rows,
)

HEADER_SEARCH_ROWS = 40  # a title block above the header is never longer than this


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
        InputError: the workbook is empty, expands past :func:`max_bytes`, or cannot be opened.
    """
    if not data:
        raise InputError.single(file, "the file is empty (0 bytes): expected an Excel workbook")
    try:
        if data[:4] == b"PK\x03\x04":
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                expanded = sum(info.file_size for info in archive.infolist())
            check_size(expanded, file, "the workbook, once expanded,")
            return _xlsx_sheets(data)
        return _xls_sheets(data)
    except InputError:
        raise
    except Exception as exc:  # openpyxl/xlrd raise many unrelated types for a corrupt file
        reason = str(exc).strip()[:200] or type(exc).__name__
        raise InputError.single(
            file,
            f"the workbook cannot be opened ({reason}): expected an .xlsx or .xls file saved "
            "by Excel",
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
        InputError: no header row is found, a header is duplicated or too long, or no data row
            follows the header.
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
    header = [c.strip() for c in padded[header_at]]
    check_headers(header, where, header_at + 1)
    keep = [i for i, name in enumerate(header) if name]
    body = [[r[i] for i in keep] for r in padded[header_at + 1 :]]
    frame = pd.DataFrame(body, columns=[header[i] for i in keep], dtype="str")
    frame.index = pd.RangeIndex(header_at + 2, header_at + 2 + len(frame))
    return require_rows(Table(file, drop_blank_rows(frame), header_row=header_at + 1, sheet=sheet))
