"""The scheduler worker, run as a real ``python -m productivity.scheduler`` subprocess.

The worker and the test share one store (the ``engine`` fixture: a SQLite file in ``tmp_path``,
or PostgreSQL under ``TEST_DATABASE_URL``). Nothing sleeps a fixed time: each wait polls a
condition until a deadline. The retry tests use a real SQLite file that is unreachable until the
test's own sleep function brings its directory back.
"""

from __future__ import annotations

import csv
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy import Engine, exc as sa_exc

from productivity import scheduler, settings
from productivity.ingest import dropfolder
from productivity.store import db, marts

DEADLINE_SECONDS = 20
ECHO_HEADER = "trust_code,site,date,tests,scheduled_minutes\n"
GOOD_ECHO = ECHO_HEADER + (
    "RBL,RBL01,2026-05-04,30,600\nRBL,RBL01,2026-05-05,28,600\nRBL,RBL02,2026-05-04,12,300\n"
)
# Row 3 of the file (the second data row) has a word where a count belongs.
BAD_ECHO = ECHO_HEADER + "RJR,RJR01,2026-05-04,30,600\nRJR,RJR01,2026-05-05,many,600\n"


def _wait_for(condition: Callable[[], object], what: str, worker=None, log: Path | None = None):
    deadline = time.monotonic() + DEADLINE_SECONDS
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        if worker is not None and worker.poll() is not None:
            break
        time.sleep(0.1)
    shown = log.read_text() if log is not None and log.exists() else ""
    pytest.fail(f"timed out waiting for {what}; worker log:\n{shown}")


def _env(engine: Engine, drop: Path) -> dict[str, str]:
    env = dict(os.environ)
    env |= {
        "DATABASE_URL": engine.url.render_as_string(hide_password=False),
        "PRODUCTIVITY_DROP_DIR": str(drop),
        "PRODUCTIVITY_SCAN_SECONDS": "1",
        "PRODUCTIVITY_SETTLE_SECONDS": "0.2",
    }
    return env


def _rows(engine: Engine, sql: str, **params: object) -> list[tuple]:
    with engine.connect() as conn:
        return [tuple(row) for row in conn.execute(sa.text(sql), params)]


@pytest.fixture
def store(engine: Engine) -> Engine:
    """The empty store, with no status left by an earlier test (PostgreSQL keeps the table)."""
    scheduler.ensure_status_table(engine)
    with db.write_transaction(engine) as conn:
        conn.execute(scheduler.STATUS.delete())
    return engine


@pytest.fixture
def worker(store: Engine, tmp_path: Path) -> Iterator[tuple[subprocess.Popen, Path, Path]]:
    """A running worker: (process, drop folder, log file). Killed if a test leaves it running."""
    drop, log = tmp_path / "drop", tmp_path / "worker.log"
    with log.open("w") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "productivity.scheduler"], cwd=settings.ROOT,
            env=_env(store, drop), stdout=subprocess.DEVNULL, stderr=stderr,
        )  # fmt: skip
    try:
        yield process, drop, log
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_worker_imports_good_file_refuses_bad_one_and_stops_cleanly(worker, store):
    process, drop, log = worker
    _wait_for(drop.is_dir, "the worker to create the drop folder", process, log)
    (drop / ".hidden.csv").write_text(GOOD_ECHO)
    (drop / "upload.csv.part").write_text(GOOD_ECHO)
    (drop / "good.csv").write_text(GOOD_ECHO)
    (drop / "bad.csv").write_text(BAD_ECHO)

    done, failed = drop / "done" / "good.csv", drop / "failed" / "bad.csv"
    _wait_for(lambda: done.exists() and failed.exists(), "both files to move", process, log)

    # The good file is stored, by the scheduler, and the marts were rebuilt from it.
    stored = _rows(store, "SELECT site, date, tests FROM echo_activity ORDER BY site, date")
    assert [(site, str(day)[:10], tests) for site, day, tests in stored] == [
        ("RBL01", "2026-05-04", 30), ("RBL01", "2026-05-05", 28), ("RBL02", "2026-05-04", 12),
    ]  # fmt: skip
    runs = _rows(store, "SELECT file_name, status, source FROM import_run ORDER BY file_name")
    assert runs == [("bad.csv", "failed", "scheduler"), ("good.csv", "loaded", "scheduler")]
    _wait_for(lambda: marts.marts_exist(store), "the marts", process, log)
    assert marts.read_mart(store, marts.ECHO)["tests"].sum() == 30 + 28 + 12

    # Nothing of the bad file is stored; its report names the row and column.
    assert _rows(store, "SELECT count(*) FROM echo_activity WHERE trust_code = 'RJR'") == [(0,)]
    with (drop / "failed" / "bad.csv.errors.csv").open(newline="") as handle:
        problems = list(csv.DictReader(handle))
    assert [(p["file"], p["row"], p["column"], p["value"]) for p in problems] == [
        ("bad.csv", "3", "tests", "many")
    ]
    # Dotfiles and partial uploads are left alone.
    assert sorted(p.name for p in drop.iterdir() if p.is_file()) == [
        ".hidden.csv", "upload.csv.part",
    ]  # fmt: skip

    # The Data page can show the last run and the next one; the jobs are in the job store.
    def status_recorded():
        status = scheduler.read_status(store)
        return set(status["job"]) == {scheduler.SCAN_JOB, scheduler.REBUILD_JOB, "worker"} and (
            status.loc[status["job"] != "worker", "next_run_at"].notna().all()
        )

    _wait_for(status_recorded, "the jobs' status", process, log)
    status = scheduler.read_status(store).set_index("job")
    assert status.loc[scheduler.SCAN_JOB, "last_status"] == "ok"
    assert "scan_drop_folder: 2 file(s): 1 loaded, 0 duplicate, 1 failed" in log.read_text()
    assert status.loc[scheduler.WORKER, "last_status"] == "running"
    nightly = status.loc[scheduler.REBUILD_JOB, "next_run_at"]
    assert (nightly.hour, nightly.minute, str(nightly.tz)) == (2, 0, "Europe/London")
    jobs = _rows(store, "SELECT id FROM apscheduler_jobs ORDER BY id")
    assert jobs == [(scheduler.REBUILD_JOB,), (scheduler.SCAN_JOB,)]

    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=DEADLINE_SECONDS) == 0
    text = log.read_text()
    assert "worker stopped" in text and "Traceback" not in text
    assert scheduler.read_status(store).set_index("job").loc["worker", "last_status"] == "stopped"


def _run_once(store: Engine, drop: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "productivity.scheduler", "--once"], cwd=settings.ROOT,
        env=_env(store, drop), capture_output=True, text=True, timeout=60,
    )  # fmt: skip


def test_once_imports_rebuilds_and_exits(store, tmp_path):
    drop = tmp_path / "drop"
    drop.mkdir()
    (drop / "echo.csv").write_text(GOOD_ECHO)

    first = _run_once(store, drop)
    assert first.returncode == 0, first.stderr
    assert (drop / "done" / "echo.csv").exists() and not (drop / "echo.csv").exists()
    assert _rows(store, "SELECT count(*) FROM echo_activity") == [(3,)]
    assert marts.marts_exist(store)

    # The same file again is a duplicate: moved to done/ under a new name, nothing added; with
    # nothing loaded the scan did not rebuild the marts, so --once rebuilds them itself.
    (drop / "echo.csv").write_text(GOOD_ECHO)
    second = _run_once(store, drop)
    assert second.returncode == 0, second.stderr
    names = sorted(p.name for p in (drop / "done").iterdir())
    assert len(names) == 2 and "echo.csv" in names and not (drop / "echo.csv").exists()
    assert re.fullmatch(r"echo\.\d{8}-\d{6}\.csv", names[0])  # the second one, time-stamped
    assert _rows(store, "SELECT count(*) FROM echo_activity") == [(3,)]
    status = scheduler.read_status(store).set_index("job")
    assert status.loc[scheduler.SCAN_JOB, "last_message"] == (
        "1 file(s): 0 loaded, 1 duplicate, 0 failed"
    )
    assert status.loc[scheduler.REBUILD_JOB, "last_status"] == "ok"
    assert status["next_run_at"].isna().all()  # no worker has scheduled anything


def test_a_scan_rebuilds_marts_left_older_than_the_data(store, tmp_path, monkeypatch):
    """An import elsewhere committed and never got its marts: the next scan rebuilds them."""
    from productivity import ingest

    monkeypatch.setenv("DATABASE_URL", store.url.render_as_string(hide_password=False))
    monkeypatch.setenv("PRODUCTIVITY_DROP_DIR", str(tmp_path / "drop"))
    assert not scheduler.scan_and_refresh().marts_rebuilt  # an empty store needs no marts
    assert not marts.marts_exist(store)

    echo = tmp_path / "echo.csv"
    echo.write_text(GOOD_ECHO)
    ingest.import_file(echo, engine=store)  # committed; no rebuild, as if killed here
    summary = scheduler.scan_and_refresh()
    assert summary.marts_rebuilt and str(summary) == "no files"
    assert marts.read_mart(store, marts.ECHO)["tests"].sum() == 30 + 28 + 12
    assert not scheduler.scan_and_refresh().marts_rebuilt  # current now: no second build


def test_complete_files_skips_partial_uploads_and_lock_files(tmp_path):
    for name in ("b.csv", "a.xlsx", ".hidden.csv", "x.csv.part", "y.tmp", "~$a.xlsx"):
        (tmp_path / name).write_text("trust_code\n")
    (tmp_path / "done").mkdir()
    os.utime(tmp_path / "a.xlsx", ns=(1_000_000_000, 1_000_000_000))  # the older file first
    assert [p.name for p in scheduler.complete_files(tmp_path, 0)] == ["a.xlsx", "b.csv"]


def _store_that_is_down(tmp_path: Path) -> tuple[Engine, Path]:
    # SQLite cannot open a file whose directory does not exist: a real OperationalError.
    missing = tmp_path / "restarting"
    return sa.create_engine(f"sqlite:///{missing / 'store.db'}"), missing


def _select_one(engine: Engine, calls: list[int]) -> Callable[[], int]:
    def query() -> int:
        calls.append(1)
        with engine.connect() as conn:
            return conn.execute(sa.text("SELECT 1")).scalar_one()

    return query


def test_retry_backs_off_until_the_store_comes_back(tmp_path):
    engine, missing = _store_that_is_down(tmp_path)
    calls: list[int] = []
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        if len(waits) == 2:  # the store is back after the second wait
            missing.mkdir()

    try:
        assert scheduler.retry(_select_one(engine, calls), what="test", sleep=sleep) == 1
    finally:
        engine.dispose()
    assert waits == [1.0, 2.0]  # failed twice: waited 1 s, then 2 s; the third call worked
    assert len(calls) == 3


def test_retry_is_bounded_and_then_raises_the_store_error(tmp_path):
    engine, _missing = _store_that_is_down(tmp_path)
    calls: list[int] = []
    waits: list[float] = []
    try:
        with pytest.raises(sa_exc.OperationalError, match="unable to open database file"):
            scheduler.retry(_select_one(engine, calls), what="test", sleep=waits.append)
    finally:
        engine.dispose()
    assert waits == [1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 60.0]  # doubling, capped at 60 s
    assert len(calls) == scheduler.RETRY_ATTEMPTS == 8


@pytest.mark.parametrize(
    ("statement", "error"),
    [
        ("INSERT INTO t VALUES (1), (1)", sa_exc.IntegrityError),
        # SQLite raises OperationalError for a syntax error too; it is not a store fault.
        ("INSERT INTO t VALUES (1", sa_exc.OperationalError),
    ],
)
def test_retry_does_not_retry_a_bad_statement(tmp_path, statement, error):
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'store.db'}")
    calls: list[int] = []
    waits: list[float] = []

    def run() -> None:
        calls.append(1)
        with engine.begin() as conn:
            conn.execute(sa.text("CREATE TABLE IF NOT EXISTS t (x INTEGER PRIMARY KEY)"))
            conn.execute(sa.text(statement))

    try:
        with pytest.raises(error):
            scheduler.retry(run, what="test", sleep=waits.append)
    finally:
        engine.dispose()
    assert (len(calls), waits) == (1, [])


# --- the drop folder's hand-off (issue 13, item 7) ------------------------------------------------


def _age(path: Path, seconds: float) -> None:
    """Make ``path`` look untouched for ``seconds``."""
    then = time.time() - seconds
    os.utime(path, (then, then))


def _runs(store: Engine) -> list[tuple]:
    return _rows(store, "SELECT file_name, status FROM import_run ORDER BY id")


def test_links_are_quarantined_and_never_read(store, tmp_path, caplog):
    drop = tmp_path / "drop"
    drop.mkdir()
    secret = tmp_path / "secret.csv"
    secret.write_text(GOOD_ECHO)
    (drop / "passwd.csv").symlink_to("/etc/passwd")
    (drop / "echo.csv").symlink_to(secret)
    (drop / "folder").symlink_to(tmp_path, target_is_directory=True)
    summary = scheduler.scan(drop, store, settle=0)
    assert _runs(store) == [] and summary.loaded == []
    failed = sorted(p.name for p in (drop / "failed").iterdir())
    assert failed == sorted([
        "echo.csv", "echo.csv.errors.csv", "folder", "folder.errors.csv",
        "passwd.csv", "passwd.csv.errors.csv",
    ])  # fmt: skip
    assert (drop / "failed" / "echo.csv").is_symlink(), "the link moved, not its target"
    assert secret.read_text() == GOOD_ECHO
    with (drop / "failed" / "passwd.csv.errors.csv").open(newline="") as handle:
        [problem] = list(csv.DictReader(handle))
    assert "symbolic link" in problem["message"]


def test_a_hard_link_is_quarantined_and_its_other_name_untouched(store, tmp_path):
    drop = tmp_path / "drop"
    drop.mkdir()
    secret = tmp_path / "secret.csv"
    secret.write_text(GOOD_ECHO)
    os.link(secret, drop / "echo.csv")
    summary = scheduler.scan(drop, store, settle=0)
    assert _runs(store) == [] and summary.loaded == []
    assert sorted(p.name for p in (drop / "failed").iterdir()) == [
        "echo.csv",
        "echo.csv.errors.csv",
    ]
    assert secret.read_text() == GOOD_ECHO
    with (drop / "failed" / "echo.csv.errors.csv").open(newline="") as handle:
        [problem] = list(csv.DictReader(handle))
    assert "hard link" in problem["message"]


def test_unsafe_names_are_quarantined_under_a_safe_name(store, tmp_path, caplog):
    drop = tmp_path / "drop"
    drop.mkdir()
    (drop / "bad\nname.csv").write_text(GOOD_ECHO)
    (drop / "..evil.csv").write_text(GOOD_ECHO)
    (drop / ".hidden.csv").write_text(GOOD_ECHO)  # a dotfile is still just ignored
    with caplog.at_level("WARNING", logger="productivity.scheduler"):
        scheduler.scan(drop, store, settle=0)
    assert _runs(store) == []
    failed = sorted(p.name for p in (drop / "failed").iterdir())
    assert failed == [
        "_evil.csv",
        "_evil.csv.errors.csv",
        "bad_name.csv",
        "bad_name.csv.errors.csv",
    ]
    assert "bad\nname" not in caplog.text and "bad_name.csv refused" in caplog.text
    assert (drop / ".hidden.csv").exists()


def test_a_file_being_written_waits_for_its_quiet_time_and_last_line(tmp_path):
    drop = tmp_path / "drop"
    drop.mkdir()
    writing = drop / "writing.csv"
    writing.write_text(GOOD_ECHO + "RBL,RBL03,2026-05-0")  # paused in the middle of a row
    whole = drop / "whole.csv"
    whole.write_text(GOOD_ECHO)
    _age(writing, 2)
    _age(whole, 2)
    # Both are quiet for the 0.5 s quiet time; the half row is not complete to its last line.
    assert scheduler.complete_files(drop, 0.5) == [whole]
    _age(writing, 0.5 * dropfolder.INCOMPLETE_QUIET_TIMES + 1)  # the writer never came back
    assert writing in scheduler.complete_files(drop, 0.5)


def test_a_done_marker_hands_a_file_over_at_once(store, tmp_path):
    drop = tmp_path / "drop"
    drop.mkdir()
    (drop / "echo.csv").write_text(GOOD_ECHO)
    (drop / "echo.csv.done").write_text("")
    assert scheduler.complete_files(drop, 60) == [drop / "echo.csv"]
    summary = scheduler.scan(drop, store, settle=60)
    assert summary.loaded == ["echo.csv"]
    assert not (drop / "echo.csv.done").exists() and (drop / "done" / "echo.csv").exists()


def test_a_half_written_row_is_refused_and_replaces_nothing(store, tmp_path):
    """A pause mid-row used to load a corrupt case and replace the month's good rows."""
    drop = tmp_path / "drop"
    drop.mkdir()
    (drop / "echo.csv").write_text(GOOD_ECHO)
    _age(drop / "echo.csv", 10)
    scheduler.scan(drop, store, settle=0)
    half = drop / "again.csv"
    half.write_text(GOOD_ECHO.replace("RBL,RBL02,2026-05-04,12,300\n", "RBL,RBL0"))
    _age(half, 1000)
    summary = scheduler.scan(drop, store, settle=0)
    assert summary.failed == ["again.csv"]
    assert _rows(store, "SELECT count(*) FROM echo_activity") == [(3,)]
    with (drop / "failed" / "again.csv.errors.csv").open(newline="") as handle:
        [problem] = list(csv.DictReader(handle))
    assert problem["row"] == "4" and "of 5 fields" in problem["message"]
