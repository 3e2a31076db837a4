"""Fuzzing the parsers: any input ends in a parsed file or a located InputError, never a crash."""

from __future__ import annotations

import csv
import io
import tempfile
import zipfile
from pathlib import Path

import pandas as pd
from hypothesis import HealthCheck, given, settings, strategies as st

from productivity import ingest
from productivity.errors import InputError
from productivity.ingest.dm01_workbook import parse_workbook
from productivity.ingest.excel import read_sheets
from productivity.ingest.imaging import SPEC as IMAGING_SPEC
from productivity.ingest.tabular import ProblemLog
from productivity.schema import ECHO_COLUMNS, ENDOSCOPY_COLUMNS, THEATRE_COLUMNS

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "data" / "samples"
COLUMNS = {
    "theatre": THEATRE_COLUMNS,
    "imaging": IMAGING_SPEC.columns,
    "endoscopy": (*ENDOSCOPY_COLUMNS, "procedure_type"),
    "echo": ECHO_COLUMNS,
}
TRICKY = [
    "",
    " ",
    "RBL",
    "rem",
    "ZZZ",
    "AM",
    "eve",
    "ALL",
    "2026-05-04",
    "04/05/2026",
    "2026-05-04T08:30",
    "04/05/2026 23:59",
    "2026-05-04T08:30+01:00",
    "2026-02-30",
    "9999-12-31T23:59",
    "0001-01-01",
    "08:30",
    "23:59",
    "24:00",
    "8.30",
    "00:00",
    "-1",
    "0",
    "3",
    "1e309",
    "NaN",
    "inf",
    "-0",
    "1,000",
    "1.5",
    "Y",
    "N",
    "yes",
    "CT",
    "MRI",
    "MR",
    "NOUS",
    "OGD",
    "COLONOSCOPY",
    "9434765919",
    "CH49 5PE",
    "DM01-MAY-2026",
    "TOTAL",
    "16",
    '"',
    ",",
    "\n",
    "\x00",
    "é",
    "🙂",
    "=1+1",
    "General Surgery",
    "elective",
    "daycase",
]
cell = st.one_of(
    st.sampled_from(TRICKY),
    st.text(max_size=12),
    st.integers(-(10**12), 10**12).map(str),
    st.floats().map(str),
)
FEW = settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    derandomize=True,
    database=None,
)
SETTINGS = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    derandomize=True,
    database=None,
)


def outcome(path: Path, kind: str | None, **kwargs) -> None:
    """Parse; the only acceptable failure is an InputError whose problems name the file."""
    try:
        parsed = ingest.read_file(path, kind, **kwargs)
    except InputError as exc:
        assert exc.problems and all(p.file.startswith(path.name) for p in exc.problems)
        assert all(p.row is None or p.row >= 1 for p in exc.problems)
    else:
        assert parsed.kind in ingest.KINDS and parsed.rows >= 0


def headers(kind: str) -> st.SearchStrategy[list[str]]:
    names = list(COLUMNS[kind])
    return st.one_of(
        st.permutations(names),
        st.lists(
            st.sampled_from([*names, "notes", "NHS Number", ""]),
            min_size=1,
            max_size=len(names) + 2,
        ),
    )


@st.composite
def table(draw, kind: str) -> list[list[str]]:
    header = draw(headers(kind))
    rows = draw(st.lists(st.lists(cell, min_size=len(header), max_size=len(header)), max_size=6))
    return [header, *rows]


def write_csv(directory: Path, rows: list[list[str]]) -> Path:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    path = directory / "fuzz.csv"
    path.write_text(buffer.getvalue(), encoding="utf-8")
    return path


@SETTINGS
@given(kind=st.sampled_from(sorted(COLUMNS)), data=st.data())
def test_csv_parsers_never_crash(kind, data):
    rows = data.draw(table(kind))
    sniff = data.draw(st.booleans())
    with tempfile.TemporaryDirectory() as directory:
        outcome(write_csv(Path(directory), rows), None if sniff else kind)


@SETTINGS
@given(
    base=st.sampled_from(
        [
            "theatre-extract-RBL-May-2026.csv",
            "imaging-scanner-days-May-2026.csv",
            "endoscopy-procedures-RBL-May-2026.csv",
            "echo-activity-May-2026.csv",
        ]
    ),
    edits=st.lists(st.tuples(st.integers(0, 40), st.integers(0, 20), cell), min_size=1, max_size=6),
)
def test_malformed_cells_in_real_files_never_crash(base, edits):
    frame = pd.read_csv(SAMPLES / base, dtype=str, keep_default_na=False).head(40)
    for row, column, value in edits:
        frame.iloc[row % len(frame), column % frame.shape[1]] = value
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / base
        frame.to_csv(path, index=False)
        outcome(path, None)


@SETTINGS
@given(content=st.binary(max_size=300), name=st.sampled_from(["f.csv", "f.xlsx", "f.xls", "f.zip"]))
def test_arbitrary_bytes_never_crash(content, name):
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / name
        path.write_bytes(content)
        outcome(path, "echo" if name == "f.csv" else None)


def _extract_rows() -> pd.DataFrame:
    with zipfile.ZipFile(SAMPLES / "DM01-MAY-2026-full-extract.zip") as archive:
        return pd.read_csv(io.BytesIO(archive.read(archive.namelist()[0])), dtype=str).head(40)


EXTRACT = _extract_rows()


@FEW
@given(
    edits=st.lists(st.tuples(st.integers(0, 39), st.integers(0, 29), cell), min_size=1, max_size=6),
    drop=st.lists(st.integers(0, 29), max_size=2),
)
def test_dm01_extract_never_crashes(edits, drop):
    frame = EXTRACT.copy()
    for row, column, value in edits:
        frame.iloc[row, column] = value
    frame = frame.drop(columns=[frame.columns[i] for i in set(drop)])
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "DM01-MAY-2026-full-extract.csv"
        frame.to_csv(path, index=False)
        outcome(path, "dm01")


SHEETS = read_sheets(
    (SAMPLES / "Monthly-Diagnostics-Web-File-Provider-May-2026.xlsx").read_bytes(), "x"
)


@FEW
@given(
    edits=st.lists(
        st.tuples(
            st.sampled_from(["Provider", "Provider by Test"]),
            st.integers(0, 60),
            st.integers(0, 26),
            cell,
        ),
        min_size=1,
        max_size=6,
    ),
    cut=st.integers(5, 80),
)
def test_dm01_workbook_never_crashes(edits, cut):
    """Edits the sheet cells as read (text), so the workbook layer itself is fuzzed quickly."""
    sheets = {name: [list(row) for row in rows[:cut]] for name, rows in SHEETS.items()}
    for sheet, row, column, value in edits:
        rows = sheets[sheet]
        if row < len(rows) and column < len(rows[row]):
            rows[row][column] = value
    name = "Monthly-Diagnostics-Web-File-Provider-May-2026.xlsx"
    try:
        parsed = parse_workbook(sheets, name, ProblemLog(name))
    except InputError as exc:
        assert exc.problems and all(p.file.startswith(name) for p in exc.problems)
    else:
        assert parsed.kind == "dm01"
