"""Fuzzing the importers: any input ends in a parsed file or a located InputError, never a crash;
and (the property of issue 13) any mutation of a valid file of each kind either loads exactly or
is refused with located problems, leaving the store unchanged."""

from __future__ import annotations

import csv
import io
import os
import tempfile
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from productivity import ingest
from productivity.errors import InputError
from productivity.ingest.dm01_workbook import parse_workbook
from productivity.ingest.excel import read_sheets
from productivity.ingest.imaging import SPEC as IMAGING_SPEC
from productivity.ingest.tabular import ProblemLog
from productivity.ingest.theatre_columns import MILESTONES
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
    "DM01-JUL-2027",
    "2026-07-20",
    "2027-05-04",
    "1900-01-01",
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


# --- the property: a mutated valid file loads exactly, or is refused and changes nothing --------

PROPERTY = settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    derandomize=True,
    database=None,
)
DATE_COLUMNS = frozenset(
    {"session_date", "date", "period", "planned_start", "planned_end", *MILESTONES}
)


def _valid_files() -> dict[str, tuple[str, pd.DataFrame]]:
    """Small valid files, one per kind: (file name, its cells as text)."""

    def sample(name: str) -> pd.DataFrame:
        return pd.read_csv(SAMPLES / name, dtype=str, keep_default_na=False)

    theatre = sample("theatre-extract-RBL-May-2026.csv")
    extract = EXTRACT[EXTRACT["Provider Org Code"].isin(EXTRACT["Provider Org Code"].unique()[:2])]
    return {
        "theatre": ("theatre.csv", theatre[theatre["session_date"] == "2026-05-04"]),
        "imaging": ("imaging.csv", sample("imaging-scanner-days-May-2026.csv").head(12)),
        "endoscopy": ("endoscopy.csv", sample("endoscopy-lists-RBL-May-2026.csv").head(10)),
        "echo": ("echo.csv", sample("echo-activity-May-2026.csv").head(10)),
        "dm01": ("DM01-MAY-2026-full-extract.csv", extract.reset_index(drop=True)),
    }


VALID = _valid_files()


@st.composite
def mutated(draw, kind: str) -> bytes:
    """The valid file of ``kind`` with a few edits: cells, rows, columns, headers or bytes."""
    frame = VALID[kind][1].copy().reset_index(drop=True)
    for _ in range(draw(st.integers(1, 3))):
        op = draw(st.sampled_from(["cell", "cell", "cell", "drop_row", "copy_row", "drop_col",
                                   "copy_col", "rename"]))  # fmt: skip
        rows, cols = len(frame), frame.shape[1]
        if op == "cell" and rows:
            frame.iloc[draw(st.integers(0, rows - 1)), draw(st.integers(0, cols - 1))] = draw(cell)
        elif op == "drop_row" and rows > 1:
            frame = frame.drop(index=frame.index[draw(st.integers(0, rows - 1))])
        elif op == "copy_row" and rows:
            frame = pd.concat([frame, frame.iloc[[draw(st.integers(0, rows - 1))]]])
        elif op == "drop_col" and cols > 1:
            frame = frame.drop(columns=frame.columns[draw(st.integers(0, cols - 1))])
        elif op == "copy_col":
            at = draw(st.integers(0, cols - 1))  # by position: a name may already be doubled
            frame.insert(cols, f"{frame.columns[at]} ", frame.iloc[:, at], allow_duplicates=True)
        elif op == "rename":
            frame = frame.rename(columns={frame.columns[draw(st.integers(0, cols - 1))]:
                                          draw(st.sampled_from(TRICKY))})  # fmt: skip
    data = frame.to_csv(index=False).encode()
    if draw(st.booleans()):  # now and then, damage the bytes themselves
        at = draw(st.integers(0, len(data)))
        data = data[:at] + draw(st.binary(max_size=4)) + data[at + draw(st.integers(0, 3)) :]
    return data


def _canon(frame: pd.DataFrame, columns: list[str]) -> list[tuple]:
    """Rows as comparable tuples: dates and times as ISO text, numbers as floats, None for
    missing; sorted, so order does not matter."""
    out = pd.DataFrame(index=frame.index)
    for column in columns:
        values = frame[column]
        if column in DATE_COLUMNS:
            out[column] = pd.to_datetime(values, format="mixed").dt.strftime("%Y-%m-%d %H:%M")
        elif pd.api.types.is_bool_dtype(values) or column in ("cancelled", "cancel_clinical"):
            out[column] = values.astype("float")
        else:
            numeric = pd.to_numeric(values, errors="coerce")
            out[column] = numeric.where(numeric.notna() | values.isna(), values)
    rows = [tuple(None if pd.isna(v) else v for v in row) for row in out.itertuples(index=False)]
    return sorted(rows, key=repr)


def _months(frame: pd.DataFrame, date: str, key: str) -> pd.Series:
    return frame[key].astype(str) + "|" + pd.to_datetime(frame[date]).dt.strftime("%Y-%m")


def _touched(stored: pd.DataFrame, frame: pd.DataFrame, scope) -> pd.Series:
    """Stored rows a file of ``frame`` replaces: its trust-months, or (a bookings plan) each
    trust's rows between the file's first and last date."""
    if scope.by_month:
        touched = set(_months(frame, scope.date, scope.key))
        return _months(stored, scope.date, scope.key).isin(touched)
    spans = pd.to_datetime(frame[scope.date]).groupby(frame[scope.key]).agg(["min", "max"])
    when = pd.to_datetime(stored[scope.date])
    first, last = stored[scope.key].map(spans["min"]), stored[scope.key].map(spans["max"])
    return ((when >= first) & (when <= last)).fillna(False).astype(bool)


def _tables() -> tuple[str, ...]:
    """Every table an import writes case-level data to."""
    from productivity.ingest.scopes import SCOPES

    return (*sorted({s.table for s in SCOPES.values()}), "theatre_case", "import_issue")


def _snapshot(engine) -> dict[str, list[tuple]]:
    """Every row of every table an import writes, sorted: equal iff the data is."""
    from sqlalchemy import select
    from sqlmodel import SQLModel

    with engine.connect() as conn:
        return {
            name: sorted(map(tuple, conn.execute(select(SQLModel.metadata.tables[name]))), key=repr)
            for name in _tables()
        }


def _stored(engine, table: str) -> pd.DataFrame:
    from productivity.store import db

    return db.read_frame(f'SELECT * FROM "{table}"', engine=engine)


def assert_loaded_exactly(engine, base: dict[str, pd.DataFrame], parsed) -> None:
    """The touched trust-months hold exactly the parsed rows; every other row is as before."""
    from productivity.ingest.scopes import SCOPES
    from productivity.schema import CASE_COLUMNS, LIST_COLUMNS

    for name, frame in parsed.frames.items():
        if name not in SCOPES:  # theatre cases are checked with their lists
            continue
        scope = SCOPES[name]
        now, before = _stored(engine, scope.table), base[scope.table]
        mine = _touched(now, frame, scope)
        kept = ~_touched(before, frame, scope)
        columns = [c for c in frame.columns if c in now.columns and c != "list_id"]
        assert _canon(now[mine], columns) == _canon(frame, columns)
        others = [c for c in before.columns if c not in ("list_id", "import_run_id")]
        assert _canon(now[~mine], others) == _canon(before[kept], others)
        if name == "lists":
            cases = _stored(engine, "theatre_case")
            ids = now.loc[mine, "list_id"]
            case_columns = [c for c in CASE_COLUMNS if c != "list_id"]
            assert _canon(cases[cases["list_id"].isin(ids)], case_columns) == _canon(
                parsed.frames["cases"], case_columns
            )
            assert len(cases) == len(parsed.frames["cases"]) + int(
                base["theatre_case"]["list_id"].isin(before.loc[kept, "list_id"]).sum()
            )
            assert set(LIST_COLUMNS) <= set(now.columns)


@pytest.fixture(scope="module")
def base_stores(tmp_path_factory):
    """Per kind: a store file holding the kind's valid file (checkpointed, ready to copy), its
    snapshot and its tables."""
    from tests.conftest import fresh_store

    folder = tmp_path_factory.mktemp("property")
    stores = {}
    for kind, (name, frame) in VALID.items():
        path = folder / name
        frame.to_csv(path, index=False)
        base = folder / f"{kind}-base.db"
        engine = fresh_store(f"sqlite:///{base}")
        ingest.import_file(path, engine=engine)
        # Another month of the same trusts, nine weeks on: a mutation must never touch it.
        later = folder / "later" / name
        later.parent.mkdir(exist_ok=True)
        _later(frame).to_csv(later, index=False)
        ingest.import_file(later, engine=engine)
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        tables = {t: _stored(engine, t) for t in _tables()}
        stores[kind] = (base, _snapshot(engine), tables)
        engine.dispose()
    return folder, stores


def _later(frame: pd.DataFrame) -> pd.DataFrame:
    """The same rows nine weeks later (DM01: two periods later)."""
    out = frame.copy()
    if "Period" in out:
        out["Period"] = out["Period"].str.replace("MAY", "JUL")
        return out
    for column in ("session_date", "date", *MILESTONES):
        if column in out:
            when = pd.to_datetime(out[column].replace("", None)) + pd.Timedelta(weeks=9)
            shape = "%Y-%m-%d" if column in ("session_date", "date") else "%Y-%m-%dT%H:%M"
            out[column] = when.dt.strftime(shape).fillna("")
    return out


def _fresh_copy(base: Path, work: Path):
    """An engine on a copy of ``base`` at ``work`` (the same cached engine, reconnected)."""
    import shutil

    from productivity.store import db

    engine = db.get_engine(f"sqlite:///{work}")
    engine.dispose()
    for suffix in ("", "-wal", "-shm"):
        Path(f"{work}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(base, work)
    return engine


@pytest.mark.skipif(
    os.environ.get("TEST_DATABASE_URL") is not None, reason="copies SQLite store files"
)
@pytest.mark.parametrize("kind", sorted(VALID))
def test_a_mutated_valid_file_loads_exactly_or_is_refused_unchanged(kind, base_stores):
    """200 mutations per kind: each either loads exactly (its trust-months hold exactly what
    the file says, nothing else moves) or is refused with located problems (exit 2) and the
    store unchanged."""
    folder, stores = base_stores
    name = VALID[kind][0]
    work = folder / f"{kind}-work.db"
    base_file, before, base = stores[kind]
    loaded = refused = 0

    @PROPERTY
    @given(data=mutated(kind))
    def check(data: bytes) -> None:
        nonlocal loaded, refused
        engine = _fresh_copy(base_file, work)
        path = folder / kind / name
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(data)
        try:
            result = ingest.import_file(path, engine=engine)
        except InputError as error:
            refused += 1
            assert error.problems and all(p.file.startswith(name) for p in error.problems)
            assert all(p.row is None or p.row >= 1 for p in error.problems)
            assert _snapshot(engine) == before
            return
        loaded += 1
        if result.status == "duplicate":
            assert _snapshot(engine) == before
            return
        assert_loaded_exactly(engine, base, ingest.read_file(path))

    check()
    assert loaded and refused, (loaded, refused)  # both outcomes were exercised
