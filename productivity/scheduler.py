"""``python -m productivity.scheduler``: the one background worker (drop folder, nightly marts).

Example::

    PRODUCTIVITY_DROP_DIR=/srv/drop python -m productivity.scheduler          # run until SIGTERM
    python -m productivity.scheduler --once                                  # one scan + rebuild

An APScheduler 3 ``BlockingScheduler`` in Europe/London time, with its own SQLAlchemy job store
(the ``apscheduler_jobs`` table in the same store), ``coalesce``, one instance per job and a
misfire grace time. Jobs are module-level functions named by textual reference, so the job
store can pickle them. Every ``PRODUCTIVITY_SCAN_SECONDS`` (default 30) it imports each complete
file in the drop folder through :func:`productivity.ingest.import_file` and moves it to
``done/`` or to ``failed/`` with an error report beside it; after a load, and nightly at 02:00,
it rebuilds the marts. Each job writes its last run and the next one to ``scheduler_status``,
which the Data page reads through :func:`read_status`. The store going away (a PostgreSQL
restart, a locked SQLite file) is logged and retried with capped exponential backoff; the worker
keeps running. Run exactly one worker per store; the Streamlit app never starts a scheduler.
This module imports library functions only, never Streamlit.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import logging
import os
import signal
import socket
import sqlite3
import sys
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import pandas as pd
import sqlalchemy as sa
from apscheduler import events
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers import SchedulerNotRunningError
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Engine, make_url
from sqlmodel.sql.sqltypes import UTCDateTime

from productivity import db, marts, settings
from productivity.errors import InputError

log = logging.getLogger("productivity.scheduler")
T = TypeVar("T")

SCAN_JOB = "scan_drop_folder"
REBUILD_JOB = "rebuild_marts"
WORKER = "worker"  # the status row of the process itself: running / stopped
JOB_TABLE = "apscheduler_jobs"
DEFAULT_SCAN_SECONDS = 30.0
DEFAULT_SETTLE_SECONDS = 2.0  # a file is complete when its size and mtime hold this long
NIGHTLY_REBUILD = {"hour": 2, "minute": 0}
# A 02:00 rebuild missed while the worker or store was down still runs if it can by 06:00.
NIGHTLY_GRACE_SECONDS = 4 * 3600
BACKOFF_BASE_SECONDS = 1.0
BACKOFF_CAP_SECONDS = 60.0
# Within one job: waits of 1, 2, 4 ... 32, 60 s (about 2 minutes), then the job gives up until
# its next run. The scheduler's own loop and start-up retry without a limit.
RETRY_ATTEMPTS = 8
# Partial uploads (browsers, WinSCP, rsync-style writers) and Office lock files.
PARTIAL_SUFFIXES = (".tmp", ".part", ".partial", ".crdownload", ".filepart")
SQLITE_JOBSTORE_TIMEOUT_SECONDS = 30
SQLITE_TRANSIENT = ("locked", "busy", "unable to open", "disk i/o")

_STOP = threading.Event()  # set by SIGTERM/SIGINT: retry waits and scans end early
_CURRENT: dict[str, BlockingScheduler] = {}
_SCAN_LOCK = threading.Lock()  # one scan at a time, even across a scheduler restart
_MARTS_LOCK = threading.Lock()

# Its own MetaData: the worker's heartbeat, not part of the models' schema. Times are UTC, like
# the other audit timestamps; read_status() shows them in Europe/London time.
STATUS = sa.Table(
    "scheduler_status",
    sa.MetaData(),
    sa.Column("job", sa.String(64), primary_key=True),
    sa.Column("last_run_at", UTCDateTime()),
    sa.Column("last_status", sa.String(16)),  # ok | error | missed | running | stopped
    sa.Column("last_message", sa.Text),
    sa.Column("next_run_at", UTCDateTime()),
)
STATUS_COLUMNS = tuple(c.name for c in STATUS.columns)


# --- retry -----------------------------------------------------------------------------------


def is_transient(error: BaseException) -> bool:
    """True for store faults worth retrying: lost connections, locks, a store restarting.

    SQLite reports syntax errors and missing tables as ``OperationalError`` too; only its
    lock, busy, open and I/O errors count as transient.
    """
    if isinstance(error, sa_exc.DBAPIError) and error.connection_invalidated:
        return True
    if isinstance(error, sa_exc.InterfaceError | sa_exc.TimeoutError):
        return True
    if not isinstance(error, sa_exc.OperationalError):
        return False
    if isinstance(error.orig, sqlite3.Error):
        return any(word in str(error.orig).lower() for word in SQLITE_TRANSIENT)
    return True


def backoff_delay(failures: int) -> float:
    """Seconds to wait after the ``failures``-th failure in a row: 1, 2, 4, ... capped at 60."""
    return min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * 2 ** max(failures - 1, 0))


def retry(
    func: Callable[[], T],
    *,
    what: str,
    attempts: int = RETRY_ATTEMPTS,
    sleep: Callable[[float], object] = _STOP.wait,  # a stop signal cuts the wait short
) -> T:
    """Call ``func``; on a transient store error log it, wait :func:`backoff_delay` and retry.

    Other exceptions propagate at once. After ``attempts`` calls (or when the worker is told
    to stop) the last transient error is raised.
    """
    for attempt in range(1, attempts + 1):
        try:
            return func()
        except sa_exc.SQLAlchemyError as error:
            if not is_transient(error) or attempt == attempts or _STOP.is_set():
                raise
            delay = backoff_delay(attempt)
            log.warning("%s: store unavailable (%s); retry %d in %.0f s",
                        what, _first_line(error), attempt, delay)  # fmt: skip
            sleep(delay)
    raise AssertionError("unreachable")  # the loop returns or raises


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


# --- status table ----------------------------------------------------------------------------


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def ensure_status_table(engine: Engine) -> None:
    STATUS.create(engine, checkfirst=True)


def record_status(engine: Engine, rows: dict[str, dict[str, Any]]) -> None:
    """Upsert ``scheduler_status`` rows (job -> columns) in one transaction.

    Only the columns given change, so a job's run and the scheduler's next run time are
    recorded independently.
    """
    with db.write_transaction(engine) as conn:
        for job, values in rows.items():
            changed = conn.execute(sa.update(STATUS).where(STATUS.c.job == job).values(**values))
            if changed.rowcount == 0:
                conn.execute(sa.insert(STATUS).values(job=job, **values))


def _record_quietly(engine: Engine, job: str, **values: Any) -> None:
    # The heartbeat must never take a job (or the worker) down with it.
    try:
        record_status(engine, {job: values})
    except sa_exc.SQLAlchemyError as error:
        log.warning("could not record status of %s: %s", job, _first_line(error))


def read_status(engine: Engine | None = None) -> pd.DataFrame:
    """The worker's status, one row per job: last run, its status and message, next run.

    Times are timezone-aware, in Europe/London. Empty (with these columns) before a worker ran.
    """
    engine = engine or db.get_engine()
    rows: list[Any] = []
    if db.has_table(STATUS.name, engine):
        with engine.connect() as conn:
            rows = list(conn.execute(sa.select(STATUS).order_by(STATUS.c.job)).mappings())
    frame = pd.DataFrame(rows, columns=list(STATUS_COLUMNS))
    for column in ("last_run_at", "next_run_at"):
        frame[column] = pd.to_datetime(frame[column], utc=True).dt.tz_convert(settings.TIMEZONE)
    return frame


# --- the drop folder -------------------------------------------------------------------------


@dataclass
class ScanSummary:
    loaded: list[str] = field(default_factory=list)
    duplicate: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    marts_rebuilt: bool = False

    def __str__(self) -> str:
        total = len(self.loaded) + len(self.duplicate) + len(self.failed)
        if not total:
            return "no files"
        return (f"{total} file(s): {len(self.loaded)} loaded, {len(self.duplicate)} duplicate, "
                f"{len(self.failed)} failed")  # fmt: skip


def _seconds_from_env(name: str, default: float) -> float:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"{name} must be a number of seconds, got {raw!r}") from None
    if value < 0:
        raise ValueError(f"{name} must not be negative, got {raw!r}")
    return value


def scan_seconds() -> float:
    """``PRODUCTIVITY_SCAN_SECONDS``: how often the drop folder is scanned (default 30)."""
    return max(_seconds_from_env("PRODUCTIVITY_SCAN_SECONDS", DEFAULT_SCAN_SECONDS), 1.0)


def settle_seconds() -> float:
    """``PRODUCTIVITY_SETTLE_SECONDS``: how long a file must stay unchanged (default 2)."""
    return _seconds_from_env("PRODUCTIVITY_SETTLE_SECONDS", DEFAULT_SETTLE_SECONDS)


def _candidates(folder: Path) -> dict[Path, tuple[int, int]]:
    found = {}
    for path in folder.iterdir():
        name = path.name
        if name.startswith((".", "~$")) or name.lower().endswith(PARTIAL_SUFFIXES):
            continue
        try:
            if not path.is_file():
                continue
            stat = path.stat()
        except OSError:  # vanished or unreadable between listing and looking
            continue
        found[path] = (stat.st_size, stat.st_mtime_ns)
    return found


def complete_files(folder: Path, settle: float) -> list[Path]:
    """Files in ``folder`` whose size and mtime did not change over ``settle`` seconds.

    Dotfiles, Office lock files and partial uploads (``.tmp``, ``.part``...) are ignored, so a
    writer that uploads to ``name.part`` and renames it when done is always safe. Oldest first,
    so a corrected file dropped after the original replaces it.
    """
    first = _candidates(folder)
    if not first:
        return []
    _STOP.wait(settle)
    second = _candidates(folder)
    stable = [path for path, look in second.items() if first.get(path) == look]
    return sorted(stable, key=lambda path: (second[path][1], path.name))


def _free_name(folder: Path, name: str) -> Path:
    target = folder / name
    if not target.exists():
        return target
    stem, suffix = Path(name).stem, Path(name).suffix
    stamp = dt.datetime.now(ZoneInfo(settings.TIMEZONE)).strftime("%Y%m%d-%H%M%S")
    for number in range(1, 1000):
        target = folder / f"{stem}.{stamp}{'' if number == 1 else f'-{number}'}{suffix}"
        if not target.exists():
            return target
    raise FileExistsError(f"no free name for {name} in {folder}")


def _move(path: Path, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    target = _free_name(folder, path.name)
    path.replace(target)
    return target


def write_problems(error: InputError, path: Path) -> None:
    """Write an :class:`InputError`'s problems as CSV: file, row, column, value, message."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=["file", "row", "column", "value", "message"])
        writer.writeheader()
        writer.writerows(problem.as_dict() for problem in error.problems)


def _import_one(path: Path, engine: Engine, summary: ScanSummary) -> None:
    """Import one file and move it; a transient store error leaves it in place and propagates."""
    from productivity import ingest

    failed_dir = path.parent / "failed"
    try:
        result = retry(lambda: ingest.import_file(path, engine=engine, source="scheduler"),
                       what=f"import {path.name}")  # fmt: skip
    except InputError as error:
        target = _move(path, failed_dir)
        write_problems(error, target.with_name(target.name + ".errors.csv"))
        log.warning(
            "%s refused (problems: %d); moved to %s", path.name, len(error.problems), target
        )
        summary.failed.append(path.name)
        return
    except Exception as error:
        if is_transient(error):
            raise
        if not path.exists():
            log.warning("%s disappeared while it was being imported", path.name)
            return
        target = _move(path, failed_dir)
        report = "".join(traceback.format_exception(error))
        target.with_name(target.name + ".error.txt").write_text(report, encoding="utf-8")
        log.exception("%s could not be imported; moved to %s", path.name, target)
        summary.failed.append(path.name)
        return
    target = _move(path, path.parent / "done")
    log.info("%s: %s; moved to %s", path.name, result.message, target)
    (summary.loaded if result.status == "loaded" else summary.duplicate).append(path.name)


def scan(
    folder: Path | None = None, engine: Engine | None = None, settle: float | None = None
) -> ScanSummary:
    """Import every complete file in the drop folder, then rebuild the marts if any loaded.

    Raises the store's error if it stays unavailable; files not yet imported stay in the folder
    for the next scan.
    """
    folder = folder or settings.drop_dir()
    engine = engine or db.get_engine()
    summary = ScanSummary()
    folder.mkdir(parents=True, exist_ok=True)
    if not _SCAN_LOCK.acquire(blocking=False):
        log.info("previous scan still running; skipping this one")
        return summary
    try:
        store_error: BaseException | None = None
        wait = settle_seconds() if settle is None else settle
        for path in complete_files(folder, wait):
            if _STOP.is_set():
                break
            try:
                _import_one(path, engine, summary)
            except sa_exc.SQLAlchemyError as error:
                store_error = error
                break
        if summary.loaded:
            rebuild(engine)
            summary.marts_rebuilt = True
        if store_error is not None:
            raise store_error
        return summary
    finally:
        _SCAN_LOCK.release()


def rebuild(engine: Engine | None = None) -> str:
    """Rebuild the marts (retrying store faults); returns a one-line summary."""
    engine = engine or db.get_engine()
    with _MARTS_LOCK:
        rows = retry(lambda: marts.rebuild_marts(engine), what="rebuild marts")
    return f"rebuilt {len(rows)} marts ({sum(rows.values()):,} rows)"


# --- jobs (module-level: the job store pickles them by textual reference) ---------------------


def _run_recorded(job: str, body: Callable[[], T]) -> T | None:
    """Run a job body, log the outcome and record it in ``scheduler_status``. Never raises."""
    engine = db.get_engine()
    started = _now()
    try:
        result = body()
    except Exception as error:
        log.error("%s failed: %s", job, _first_line(error), exc_info=not is_transient(error))
        _record_quietly(engine, job, last_run_at=started, last_status="error",
                        last_message=_first_line(error)[:1000])  # fmt: skip
        return None
    message = str(result)
    if message != "no files":
        log.info("%s: %s", job, message)
    _record_quietly(engine, job, last_run_at=started, last_status="ok", last_message=message)
    return result


def scan_drop_folder() -> None:
    """The interval job: :func:`scan` with the settings from the environment."""
    _run_recorded(SCAN_JOB, scan)


def rebuild_marts_nightly() -> None:
    """The 02:00 job: :func:`rebuild`."""
    _run_recorded(REBUILD_JOB, rebuild)


def run_once() -> int:
    """One scan, then a marts rebuild unless the scan already did one. Exit code 0 or 1."""
    engine = db.get_engine()
    try:
        retry(lambda: prepare_store(engine), what="prepare the store")
    except sa_exc.SQLAlchemyError as error:
        log.error("store unavailable: %s", _first_line(error))
        return 1
    summary = _run_recorded(SCAN_JOB, scan)
    if summary is None:
        return 1
    if not summary.marts_rebuilt and _run_recorded(REBUILD_JOB, rebuild) is None:
        return 1
    return 0


# --- the worker ------------------------------------------------------------------------------


def prepare_store(engine: Engine) -> None:
    """Create the store's tables (if new) and the status table."""
    db.init_db(engine)
    ensure_status_table(engine)


class _Scheduler(BlockingScheduler):
    """A ``BlockingScheduler`` whose main loop outlives its job store going away.

    APScheduler retries a failed due-jobs query itself, but an error while saving a job's next
    run time would end ``start()``; here a transient store error waits with backoff instead.
    """

    _store_failures = 0

    def _process_jobs(self) -> float | None:
        try:
            wait_seconds = super()._process_jobs()
        except sa_exc.SQLAlchemyError as error:
            if not is_transient(error):
                raise
            self._store_failures += 1
            delay = backoff_delay(self._store_failures)
            log.warning("job store unavailable (%s); retrying in %.0f s", _first_line(error), delay)
            return delay
        self._store_failures = 0
        return wait_seconds


class _JobStore(SQLAlchemyJobStore):
    """The SQLAlchemy job store, with the scheduler's retry interval backing off (1, 2 ... 60 s).

    APScheduler catches a failed due-jobs query and tries again after a fixed interval; this
    doubles the interval on each failure in a row, so an outage is neither hammered nor missed.
    """

    _failures = 0

    def get_due_jobs(self, now: dt.datetime) -> list[Any]:
        try:
            jobs = super().get_due_jobs(now)
        except Exception:
            self._failures += 1
            self._scheduler.jobstore_retry_interval = backoff_delay(self._failures)
            raise
        if self._failures:
            log.info("job store available again after %d failed attempts", self._failures)
            self._failures = 0
        return jobs


def _job_store(url: str) -> SQLAlchemyJobStore:
    # pool_pre_ping replaces connections a store restart has closed before they are used.
    options: dict[str, Any] = {"pool_pre_ping": True}
    if make_url(url).get_backend_name() == "sqlite":
        options["connect_args"] = {"timeout": SQLITE_JOBSTORE_TIMEOUT_SECONDS}
    return _JobStore(url=url, tablename=JOB_TABLE, engine_options=options)


def _trigger_key(trigger: Any) -> tuple[str, str]:
    return str(trigger), str(getattr(trigger, "timezone", ""))


def build_scheduler(url: str, every: float) -> _Scheduler:
    """The worker's scheduler with both jobs added (not started). Reads the job store."""
    timezone = ZoneInfo(settings.TIMEZONE)
    store = _job_store(url)
    scheduler = _Scheduler(
        jobstores={"default": store},
        executors={"default": ThreadPoolExecutor(max_workers=2)},
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": int(every) * 2},
        timezone=timezone,
    )
    store.start(scheduler, "default")  # creates the table; start() does it again, harmlessly
    nightly = CronTrigger(**NIGHTLY_REBUILD, timezone=timezone)
    existing = store.lookup_job(REBUILD_JOB)
    keep: dict[str, Any] = {}
    if existing is not None and existing.next_run_time is not None:
        if _trigger_key(existing.trigger) == _trigger_key(nightly):
            # Keep the stored next run, so a 02:00 missed while the worker was down still runs.
            keep["next_run_time"] = existing.next_run_time
    scheduler.add_job(f"{__name__}:rebuild_marts_nightly", nightly, id=REBUILD_JOB,
                      name="rebuild marts nightly", replace_existing=True,
                      misfire_grace_time=NIGHTLY_GRACE_SECONDS, **keep)  # fmt: skip
    # The first scan runs at once: files may have arrived while the worker was down.
    scheduler.add_job(f"{__name__}:scan_drop_folder", IntervalTrigger(seconds=every),
                      id=SCAN_JOB, name="scan drop folder", replace_existing=True,
                      next_run_time=dt.datetime.now(timezone))  # fmt: skip
    scheduler.add_listener(
        lambda event: _on_event(scheduler, event),
        events.EVENT_SCHEDULER_STARTED
        | events.EVENT_JOB_EXECUTED
        | events.EVENT_JOB_ERROR
        | events.EVENT_JOB_MISSED
        | events.EVENT_JOB_MAX_INSTANCES,
    )
    return scheduler


def _on_event(scheduler: BlockingScheduler, event: events.SchedulerEvent) -> None:
    if event.code == events.EVENT_SCHEDULER_STARTED and _STOP.is_set():
        _request_shutdown()  # the signal came before start() finished
    if _STOP.is_set():
        return
    engine = db.get_engine()
    if isinstance(event, events.JobEvent) and event.code == events.EVENT_JOB_MISSED:
        due = f"{event.scheduled_run_time:%Y-%m-%d %H:%M %Z}"
        _record_quietly(engine, event.job_id, last_status="missed",
                        last_message=f"the run due at {due} was missed")  # fmt: skip
    try:
        jobs = scheduler.get_jobs()
        record_status(engine, {j.id: {"next_run_at": j.next_run_time} for j in jobs})
    except sa_exc.SQLAlchemyError as error:
        log.warning("could not record next run times: %s", _first_line(error))


def _request_shutdown() -> None:
    scheduler = _CURRENT.get("scheduler")
    if scheduler is None:
        return

    def stop() -> None:
        log.info("stopping")
        try:
            scheduler.shutdown(wait=False)
        except SchedulerNotRunningError:
            pass

    # Not from the signal handler itself: shutdown() takes the scheduler's locks, which the
    # interrupted main thread may be holding.
    threading.Thread(target=stop, name="shutdown", daemon=True).start()


def _on_signal(_signum: int, _frame: object) -> None:
    _STOP.set()
    _request_shutdown()


def run_worker() -> int:
    """Run the scheduler until SIGTERM/SIGINT. Store faults are retried; returns 0 on a stop."""
    url, every = settings.database_url(), scan_seconds()
    engine = db.get_engine(url)
    failures = 0
    while not _STOP.is_set():
        scheduler: _Scheduler | None = None
        started = time.monotonic()
        try:
            prepare_store(engine)
            scheduler = build_scheduler(url, every)
            _CURRENT["scheduler"] = scheduler
            log.info("worker started: drop folder %s, scan every %g s, marts nightly at 02:00 %s",
                     settings.drop_dir(), every, settings.TIMEZONE)  # fmt: skip
            host = f"pid {os.getpid()} on {socket.gethostname()}"
            _record_quietly(engine, WORKER, last_run_at=_now(), last_status="running",
                            last_message=host)  # fmt: skip
            scheduler.start()  # blocks until shutdown
        except sa_exc.SQLAlchemyError as error:
            # A store that was down at start-up, or an error the scheduler's loop cannot retry
            # (its job table dropped): start again with a fresh scheduler, after a backoff.
            failures = 1 if time.monotonic() - started > BACKOFF_CAP_SECONDS else failures + 1
            delay = backoff_delay(failures)
            log.warning("store unavailable (%s); restarting the scheduler in %.0f s",
                        _first_line(error), delay)  # fmt: skip
            if scheduler is not None and scheduler.running:
                scheduler.shutdown(wait=False)
            _STOP.wait(delay)
            continue
        break
    _CURRENT.pop("scheduler", None)
    _record_quietly(engine, WORKER, last_status="stopped", last_message="stopped by a signal")
    log.info("worker stopped")
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m productivity.scheduler",
        description="Import files from the drop folder and rebuild the marts nightly.",
        epilog="Environment: DATABASE_URL, PRODUCTIVITY_DROP_DIR, PRODUCTIVITY_SCAN_SECONDS, "
        "PRODUCTIVITY_SETTLE_SECONDS.",
    )
    parser.add_argument("--once", action="store_true",
                        help="scan the drop folder once, rebuild the marts and exit")  # fmt: skip
    parser.add_argument("--log-level", default="INFO",
                        choices=("DEBUG", "INFO", "WARNING", "ERROR"))  # fmt: skip
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=args.log_level, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")  # fmt: skip
    # Our own log lines say what each run did; APScheduler's per-run lines would double them.
    logging.getLogger("apscheduler.executors").setLevel(logging.WARNING)
    try:
        scan_seconds(), settle_seconds()
    except ValueError as error:
        log.error("%s", error)
        return 2
    if args.once:
        return run_once()
    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)
    return run_worker()


if __name__ == "__main__":
    raise SystemExit(main())
