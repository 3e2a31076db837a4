"""Opening an input file once, and telling which kind of file it is from its type and headers.

A ``.zip`` is the DM01 full extract; a workbook with a ``Provider`` or ``Provider by Test`` sheet
is the DM01 provider web file; otherwise the headers are matched against each format's column
names and aliases. A file whose headers fit several formats, or none, is an
:class:`~productivity.errors.InputError` that says which kinds it might be.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from productivity.errors import InputError
from productivity.ingest import dm01, dm01_workbook
from productivity.ingest.appointments import SPEC as APPOINTMENTS_SPEC
from productivity.ingest.bookings import SPEC as BOOKINGS_SPEC
from productivity.ingest.deprivation import looks_like_deprivation
from productivity.ingest.echo import SPEC as ECHO_SPEC
from productivity.ingest.endoscopy import SPEC as ENDOSCOPY_SPEC
from productivity.ingest.excel import read_sheets, rows_table
from productivity.ingest.imaging import SPEC as IMAGING_SPEC
from productivity.ingest.pathology import SPEC as PATHOLOGY_SPEC
from productivity.ingest.reading import (
    CSV_SUFFIXES,
    EXCEL_SUFFIXES,
    SUFFIXES,
    csv_table,
    decode,
    read_bytes,
    unzip_csv,
)
from productivity.ingest.reporting import SPEC as REPORTING_SPEC
from productivity.ingest.tabular import ColumnSpec, Table, norm
from productivity.ingest.theatre import SPEC as THEATRE_SPEC, milestone_code
from productivity.ingest.theatre_columns import MILESTONES

KINDS: tuple[str, ...] = (
    "theatre", "imaging", "endoscopy", "echo", "dm01", "reporting", "pathology", "appointments",
    "bookings",
)  # fmt: skip
_SPECS: dict[str, tuple[ColumnSpec, Callable[[str], str | None] | None]] = {
    "theatre": (THEATRE_SPEC, milestone_code),
    "bookings": (BOOKINGS_SPEC, None),
    "imaging": (IMAGING_SPEC, None),
    "endoscopy": (ENDOSCOPY_SPEC, None),
    "echo": (ECHO_SPEC, None),
    "reporting": (REPORTING_SPEC, None),
    "pathology": (PATHOLOGY_SPEC, None),
    "appointments": (APPOINTMENTS_SPEC, None),
}


@dataclass
class Source:
    """A file opened once: its bytes, and either its sheets (Excel) or its table (CSV/zip)."""

    path: Path
    data: bytes
    sheets: dict[str, list[list[str]]] | None = None
    table: Table | None = None

    def first_table(self) -> Table:
        if self.table is None:
            assert self.sheets is not None
            name, rows = next(iter(self.sheets.items()), ("", []))
            self.table = rows_table(rows, self.path.name, name if len(self.sheets) > 1 else None)
        return self.table


def open_source(path: Path, data: bytes | None = None) -> Source:
    if data is None:
        data = read_bytes(path)
    suffix = path.suffix.lower()
    if suffix == ".zip":
        inner, text = unzip_csv(path, data)
        return Source(path, data, table=csv_table(text, f"{path.name}/{inner}"))
    if suffix in CSV_SUFFIXES:
        return Source(path, data, table=csv_table(decode(data, path.name), path.name, data))
    if suffix in EXCEL_SUFFIXES:
        sheets = read_sheets(data, path.name)
        if not sheets or not any(any(c for c in r) for rows in sheets.values() for r in rows):
            raise InputError.single(path.name, "the workbook is empty: expected a header and rows")
        return Source(path, data, sheets=sheets)
    raise InputError.single(
        path.name,
        f"unsupported file type {suffix or '(none)'}: expected one of {', '.join(SUFFIXES)}",
    )


def _matches(headers: list[str], kind: str) -> tuple[list[str], set[str]]:
    """A kind's required columns missing from ``headers``, and the columns that are there."""
    spec, fallback = _SPECS[kind]
    lookup = spec.lookup()
    found = {lookup.get(norm(h)) or (fallback(norm(h)) if fallback else None) for h in headers}
    found.discard(None)
    missing = [c for c in spec.required if c not in found]
    missing += [" or ".join(g) for g in spec.one_of if not found & set(g)]
    return missing, found  # type: ignore[return-value]  # None was discarded


def sniff(source: Source) -> str:
    if source.path.suffix.lower() == ".zip":
        return "dm01"
    if source.sheets is not None and dm01_workbook.looks_like_workbook(source.sheets):
        return "dm01"
    table = source.first_table()
    headers = [str(h) for h in table.frame.columns]
    if dm01.looks_like_extract(headers) or looks_like_deprivation(headers):
        return "dm01"
    scored = {kind: _matches(headers, kind) for kind in _SPECS}
    complete = [kind for kind, (missing, _) in scored.items() if not missing]
    if "theatre" in complete:  # an extract has every bookings column too: its times decide
        complete = [kind for kind in complete if kind != "bookings"]
    elif "bookings" in complete and scored["theatre"][1] & set(MILESTONES):
        # Bookings carry no milestone times: a file with some is a theatre extract missing a
        # column, and importing it as a plan would silently replace the look-ahead.
        missing = ", ".join(repr(c) for c in scored["theatre"][0])
        raise InputError.single(
            source.path.name,
            f"cannot tell which kind of file this is: it has theatre milestone times, so it looks "
            f"like a theatre extract, but it lacks the column(s) {missing}; add them, or give "
            "the kind (--kind bookings) if it really is a bookings file",
            row=table.header_row,
        )
    if len(complete) == 1:
        return complete[0]
    if complete:
        raise InputError.single(
            source.path.name,
            f"cannot tell which kind of file this is: it could be {' or '.join(complete)}; "
            "give the kind explicitly (--kind)",
            row=table.header_row,
        )
    # Columns every kind has say nothing about which kind a file is.
    shared = {"trust_code", "site", "date", "session"}
    distinct = {kind: len(found - shared) for kind, (_, found) in scored.items()}
    best = max(distinct, key=lambda kind: distinct[kind])
    if distinct[best] >= 2:
        missing = ", ".join(repr(c) for c in scored[best][0])
        hint = f"it looks like a {best} file but lacks the column(s) {missing}"
    else:
        hint = f"its headers match none of the known layouts ({', '.join(KINDS)})"
    raise InputError.single(
        source.path.name,
        f"cannot tell which kind of file this is: {hint}; rename the headers or give a column "
        "map (--map) and the kind (--kind)",
        row=table.header_row,
    )


def sniff_kind(path: Path) -> str:
    """The kind of an input file, from its type, sheets and headers.

    Raises:
        InputError: the file is unreadable, or could be several kinds or none (the message
            lists the candidates).
    """
    return sniff(open_source(Path(path)))
