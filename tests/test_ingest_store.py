"""Importing into the store: one transaction per file, idempotent, replace by trust and period.

Includes a real SIGKILL of an import subprocess part-way through its write.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import func, select, text

from productivity import ingest
from productivity.errors import InputError
from productivity.store import db, models

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "data" / "samples"
THEATRE = SAMPLES / "theatre-extract-RBL-May-2026.csv"
DATA_TABLES = (
    "theatre_list",
    "theatre_case",
    "scanner_day",
    "endoscopy_list",
    "echo_activity",
    "dm01_return",
    "dm01_imd",
    "import_issue",
)


def snapshot(engine) -> dict[str, list[tuple]]:
    """Every row of every data table, sorted: two snapshots are equal iff the data is."""
    with engine.connect() as conn:
        return {
            name: sorted(
                map(tuple, conn.execute(select(models.SQLModel.metadata.tables[name]))), key=repr
            )
            for name in DATA_TABLES
        }


def count(engine, table: str) -> int:
    with engine.connect() as conn:
        return conn.execute(
            select(func.count()).select_from(models.SQLModel.metadata.tables[table])
        ).scalar_one()


def runs(engine) -> list[tuple]:
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT status, kind, file_name, rows, replaced_rows FROM import_run ORDER BY id")
        )
        return [tuple(r) for r in rows]


def big_theatre_csv(path: Path, n_lists: int, cases_per_list: int = 3) -> int:
    """A canonical theatre extract of ``n_lists`` × ``cases_per_list`` cases (vectorised)."""
    rng = np.random.default_rng(0)
    li = np.arange(n_lists)
    day = pd.Timestamp("2025-01-01") + pd.to_timedelta(li // 40, unit="D")
    am = (li // 20) % 2 == 0
    start = day + pd.to_timedelta(np.where(am, 510, 810), unit="min")
    rows = np.repeat(li, cases_per_list)
    k = np.tile(np.arange(cases_per_list), n_lists)
    anaes = pd.Series(
        start[rows] + pd.to_timedelta(k * 75 + rng.integers(0, 10, rows.size), unit="min")
    )

    def stamp(minutes: int) -> pd.Series:
        return (anaes + pd.Timedelta(minutes=minutes)).dt.strftime("%Y-%m-%dT%H:%M")

    frame = pd.DataFrame(
        {
            "trust_code": np.array(["RBL", "REM", "RBN", "RWW"])[rows % 4],
            "site": "S1",
            "theatre": "T" + pd.Series(li[rows] % 20).astype(str),
            "session_date": pd.Series(day[rows]).dt.strftime("%Y-%m-%d"),
            "session": np.where(am[rows], "AM", "PM"),
            "planned_start": np.where(am[rows], "08:30", "13:30"),
            "planned_end": np.where(am[rows], "12:30", "17:30"),
            "specialty": "General Surgery",
            "case_id": "C" + pd.Series(np.arange(rows.size)).astype(str),
            "procedure_code": "T20.1",
            "priority": "elective",
            "anaesthetic_start": stamp(0),
            "into_theatre": stamp(10),
            "knife_to_skin": stamp(20),
            "out_of_theatre": stamp(60),
            "cancelled": "N",
            "cancel_reason": "",
            "cancel_clinical": "N",
        }
    )
    frame.to_csv(path, index=False)
    return len(frame)


def test_a_file_is_loaded_once_and_the_same_file_again_adds_nothing(engine):
    first = ingest.import_file(THEATRE, engine=engine)
    assert (first.status, first.kind, first.rows, first.replaced_rows) == (
        "loaded",
        "theatre",
        144,
        0,
    )
    assert first.trust_codes == ("RBL",) and "loaded 144 theatre rows for RBL" in first.message
    before = snapshot(engine)
    again = ingest.import_file(THEATRE, engine=engine, source="upload")
    assert (again.status, again.rows) == ("duplicate", 0)
    assert f"already loaded as import run {first.run_id}" in again.message
    assert snapshot(engine) == before
    assert [r[0] for r in runs(engine)] == ["loaded", "duplicate"]


def test_a_corrected_file_replaces_the_same_trust_and_period_and_says_how_much(engine, tmp_path):
    ingest.import_file(THEATRE, engine=engine)
    frame = pd.read_csv(THEATRE, dtype=str, keep_default_na=False)
    corrected = tmp_path / "corrected.csv"
    frame[frame["theatre"] != "Theatre 3"].to_csv(corrected, index=False)  # a theatre withdrawn
    result = ingest.import_file(corrected, engine=engine)
    kept = int((frame["theatre"] != "Theatre 3").sum())
    assert (result.status, result.rows, result.replaced_rows) == ("loaded", kept, 144)
    assert "replaced 144 rows" in result.message
    assert count(engine, "theatre_case") == kept - 1  # the unused session has no case
    cases = db.read_frame("SELECT DISTINCT l.theatre FROM theatre_list l", engine=engine)
    assert "Theatre 3" not in set(cases["theatre"])


def test_another_period_or_trust_is_not_replaced(engine, tmp_path):
    ingest.import_file(THEATRE, engine=engine)
    frame = pd.read_csv(THEATRE, dtype=str, keep_default_na=False)
    later = frame.assign(session_date=frame["session_date"].str.replace("2026-05-0", "2026-06-1"))
    for column in ("anaesthetic_start", "into_theatre", "knife_to_skin", "out_of_theatre"):
        later[column] = later[column].str.replace("2026-05-0", "2026-06-1")
    path = tmp_path / "june.csv"
    later.to_csv(path, index=False)
    result = ingest.import_file(path, engine=engine)
    assert result.replaced_rows == 0
    assert count(engine, "theatre_case") == 2 * 143
    # new list ids continue after the store's highest
    ids = db.read_frame("SELECT list_id FROM theatre_list ORDER BY list_id", engine=engine)[
        "list_id"
    ]
    assert ids.tolist() == list(range(1, 113))


def test_a_bad_last_row_changes_nothing_and_is_recorded_as_failed(engine, tmp_path):
    ingest.import_file(SAMPLES / "echo-activity-May-2026.csv", engine=engine)
    before = snapshot(engine)
    frame = pd.read_csv(THEATRE, dtype=str, keep_default_na=False)
    frame.loc[len(frame) - 1, "out_of_theatre"] = "2026-05-01T00:00"  # before its start
    path = tmp_path / "bad-last-row.csv"
    frame.to_csv(path, index=False)
    with pytest.raises(InputError) as caught:
        ingest.import_file(path, engine=engine)
    [problem] = caught.value.problems
    assert (problem.row, problem.column) == (len(frame) + 1, "out_of_theatre")
    assert snapshot(engine) == before
    status, kind, name, rows, _ = runs(engine)[-1]
    assert (status, kind, name, rows) == ("failed", "theatre", "bad-last-row.csv", 0)
    with engine.connect() as conn:
        message = conn.execute(text("SELECT message FROM import_run ORDER BY id DESC")).scalar()
    assert "out_of_theatre" in message


def test_a_failure_while_writing_rolls_the_whole_file_back(engine, tmp_path):
    ingest.import_file(THEATRE, engine=engine)
    before = snapshot(engine)
    frame = pd.read_csv(THEATRE, dtype=str, keep_default_na=False)
    path = tmp_path / "corrected.csv"
    frame["procedure_code"] = frame["procedure_code"].where(frame["case_id"] == "", "X")
    frame.to_csv(path, index=False)
    calls = []

    def fail_late(fraction: float) -> None:  # the import has already deleted and inserted rows
        calls.append(fraction)
        if fraction > 0.9:
            raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        ingest.import_file(path, engine=engine, progress=fail_late)
    assert snapshot(engine) == before
    assert [r[0] for r in runs(engine)] == ["loaded"]


def test_progress_runs_from_zero_to_one(engine):
    seen: list[float] = []
    ingest.import_file(THEATRE, engine=engine, progress=seen.append)
    assert seen[0] == 0 and seen[-1] == 1 and seen == sorted(seen)


def test_every_sample_imports_and_kinds_are_sniffed(engine):
    loaded = {}
    for name in sorted(
        p.name for p in SAMPLES.iterdir() if p.suffix in (".csv", ".zip", ".xls", ".xlsx")
    ):
        if name.startswith(("cerner", "imaging-exams", "imaging-sessions", "DID-")):
            continue  # need a map or a sessions file: tested on their own
        loaded[name] = ingest.import_file(SAMPLES / name, engine=engine).kind
    assert loaded["echo-activity-May-2026.csv"] == "echo"
    assert loaded["imaging-scanner-days-May-2026.csv"] == "imaging"
    assert loaded["endoscopy-lists-RBL-May-2026.csv"] == "endoscopy"
    assert loaded["DM01-MAY-2026-full-extract.zip"] == "dm01"
    assert count(engine, "dm01_return") == 170 and count(engine, "dm01_imd") > 0


def test_unknown_trust_is_a_clear_error_not_a_foreign_key_crash(engine, tmp_path):
    frame = pd.read_csv(SAMPLES / "echo-activity-May-2026.csv", dtype=str)
    frame.loc[3, "trust_code"] = "RXX"
    path = tmp_path / "echo.csv"
    frame.to_csv(path, index=False)
    with pytest.raises(InputError) as caught:
        ingest.import_file(path, engine=engine)
    [problem] = caught.value.problems
    assert (problem.row, problem.column, problem.value) == (5, "trust_code", "RXX")
    assert "unknown trust code" in problem.message


def test_seed_reference_is_idempotent(engine):
    ingest.seed_reference(engine)
    trusts = count(engine, "trust")
    ingest.seed_reference(engine)
    assert count(engine, "trust") == trusts == len(pd.read_csv(ROOT / "data" / "trusts.csv"))


def test_store_theatre_is_the_shared_write_path(engine):
    parsed = ingest.read_file(THEATRE)
    ingest.seed_reference(engine)
    with db.write_transaction(engine) as conn:
        rows, replaced = ingest.store_theatre(
            conn, parsed.frames["lists"], parsed.frames["cases"], None
        )
    assert (rows, replaced) == (144, 0)
    with db.write_transaction(engine) as conn:
        rows, replaced = ingest.store_frames(conn, "theatre", parsed.frames, None)
    assert (rows, replaced) == (144, 144)
    assert count(engine, "theatre_list") == len(parsed.frames["lists"])


def test_dm01_replaces_by_period_and_provider(engine, tmp_path):
    ingest.import_file(
        SAMPLES / "Monthly-Diagnostics-Web-File-Provider-May-2026.xlsx", engine=engine
    )
    again = ingest.import_file(SAMPLES / "DM01-MAY-2026-full-extract.zip", engine=engine)
    assert (again.rows, again.replaced_rows) == (170, 170)
    assert count(engine, "dm01_return") == 170


@pytest.mark.skipif(os.environ.get("TEST_DATABASE_URL") is not None, reason="SQLite WAL recovery")
def test_sigkill_during_the_write_leaves_the_store_exactly_as_before(tmp_path):
    url = f"sqlite:///{tmp_path / 'store.db'}"
    engine = db.init_db(db.get_engine(url))
    ingest.import_file(THEATRE, engine=engine)
    before = snapshot(engine)
    big = tmp_path / "big.csv"
    big_theatre_csv(big, 25_000)  # 75,000 cases: a few seconds of writing
    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "from productivity import ingest\n"
        "from productivity.store import db\n"
        "def report(fraction):\n"
        "    print(f'{fraction:.3f}', flush=True)\n"
        f"ingest.import_file(Path({str(big)!r}), engine=db.get_engine({url!r}), progress=report)\n"
    )
    child = subprocess.Popen(
        [sys.executable, "-c", script], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    try:
        assert child.stdout is not None
        deadline = time.monotonic() + 120
        for line in child.stdout:  # the progress beyond 0.4 is reported from inside the write
            if float(line) > 0.6 or time.monotonic() > deadline:
                break
        wal = tmp_path / "store.db-wal"
        assert wal.exists() and wal.stat().st_size > 0  # rows really were written to the WAL
        child.send_signal(signal.SIGKILL)
    finally:
        child.wait(timeout=30)
        if child.stdout is not None:
            child.stdout.close()
    assert child.returncode == -signal.SIGKILL
    engine.dispose()
    after = db.get_engine(url)
    with after.connect() as conn:
        assert conn.execute(text("PRAGMA integrity_check")).scalar() == "ok"
    assert snapshot(after) == before
    assert [r[0] for r in runs(after)] == ["loaded"]
