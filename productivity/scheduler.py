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
keeps running. Each scan also rebuilds marts found stale (:func:`productivity.store.marts.
ensure_marts`: an import killed after its commit, a rebuild that failed). Run exactly one worker
per store; the Streamlit app never starts a scheduler. This module owns the worker, its jobs and
the CLI; scanning the folder lives in :mod:`productivity.ingest.dropfolder`, the retry in
:mod:`productivity.store.retry` and the status table in :mod:`productivity.store.worker_status`,
whose public names it re-exports. It imports library functions only, never Streamlit.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import logging
import os
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from apscheduler import events
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers import SchedulerNotRunningError
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Engine, make_url

from productivity import settings
from productivity.ingest.dropfolder import (
    DEFAULT_SCAN_SECONDS,
    DEFAULT_SETTLE_SECONDS,
    PARTIAL_SUFFIXES,
    ScanSummary,
    complete_files,
    rebuild,
    scan,
    scan_seconds,
    settle_seconds,
    write_problems,
)
from productivity.store import db, marts
from productivity.store.retry import (
    BACKOFF_BASE_SECONDS,
    BACKOFF_CAP_SECONDS,
    RETRY_ATTEMPTS,
    SQLITE_TRANSIENT,
    STOP,
    backoff_delay,
    first_line,
    is_transient,
    retry,
)
from productivity.store.worker_status import (
    STATUS,
    STATUS_COLUMNS,
    ensure_status_table,
    now,
    read_status,
    record_quietly,
    record_status,
)

__all__ = [
    # the worker, its jobs and status (this module)
    "JOB_TABLE", "NIGHTLY_GRACE_SECONDS", "NIGHTLY_REBUILD", "REBUILD_JOB", "SCAN_JOB",
    "SQLITE_JOBSTORE_TIMEOUT_SECONDS", "WORKER", "build_scheduler", "main", "prepare_store",
    "rebuild_marts_nightly", "run_once", "run_worker", "scan_and_refresh", "scan_drop_folder",
    # re-exported from productivity.ingest.dropfolder
    "DEFAULT_SCAN_SECONDS", "DEFAULT_SETTLE_SECONDS", "PARTIAL_SUFFIXES", "ScanSummary",
    "complete_files", "rebuild", "scan", "scan_seconds", "settle_seconds", "write_problems",
    # re-exported from productivity.store.retry
    "BACKOFF_BASE_SECONDS", "BACKOFF_CAP_SECONDS", "RETRY_ATTEMPTS", "SQLITE_TRANSIENT",
    "backoff_delay", "is_transient", "retry",
    # re-exported from productivity.store.worker_status
    "STATUS", "STATUS_COLUMNS", "ensure_status_table", "read_status", "record_status",
]  # fmt: skip

# Jobs are stored by this textual reference, which must not be "__main__" when the worker
# runs as `python -m productivity.scheduler`: another process must be able to load it.
JOB_MODULE = "productivity.scheduler"
log = logging.getLogger("productivity.scheduler")
T = TypeVar("T")

SCAN_JOB = "scan_drop_folder"
REBUILD_JOB = "rebuild_marts"
WORKER = "worker"  # the status row of the process itself: running / stopped
JOB_TABLE = "apscheduler_jobs"
NIGHTLY_REBUILD = {"hour": 2, "minute": 0}
# A 02:00 rebuild missed while the worker or store was down still runs if it can by 06:00.
NIGHTLY_GRACE_SECONDS = 4 * 3600
SQLITE_JOBSTORE_TIMEOUT_SECONDS = 30

_CURRENT: dict[str, BlockingScheduler] = {}

# --- jobs (module-level: the job store pickles them by textual reference) ---------------------


def _run_recorded(job: str, body: Callable[[], T]) -> T | None:
    """Run a job body, log the outcome and record it in ``scheduler_status``. Never raises."""
    engine = db.get_engine()
    started = now()
    try:
        result = body()
    except Exception as error:
        log.error("%s failed: %s", job, first_line(error), exc_info=not is_transient(error))
        record_quietly(engine, job, last_run_at=started, last_status="error",
                       last_message=first_line(error)[:1000])  # fmt: skip
        return None
    message = str(result)
    if message != "no files":
        log.info("%s: %s", job, message)
    record_quietly(engine, job, last_run_at=started, last_status="ok", last_message=message)
    return result


def scan_and_refresh() -> ScanSummary:
    """:func:`scan`, then a marts rebuild if they are stale and the scan did not rebuild them.

    Marts go stale when another process (the CLI, an upload) commits an import and is killed
    before its rebuild, or its rebuild fails; checking costs a few small queries a scan.
    """
    summary = scan()
    if not summary.marts_rebuilt and retry(_marts_stale, what="check the marts"):
        log.info("the marts are older than the data in the store: %s", rebuild())
        summary.marts_rebuilt = True
    return summary


def _marts_stale() -> bool:
    # A store that never held data needs no marts from the worker (readers build their own).
    engine = db.get_engine()
    if marts.marts_current(engine):
        return False
    return marts.marts_exist(engine) or bool(marts.data_stamp(engine))


def scan_drop_folder() -> None:
    """The interval job: :func:`scan_and_refresh` with the settings from the environment."""
    _run_recorded(SCAN_JOB, scan_and_refresh)


def rebuild_marts_nightly() -> None:
    """The 02:00 job: :func:`rebuild`."""
    _run_recorded(REBUILD_JOB, rebuild)


def run_once() -> int:
    """One scan, then a marts rebuild unless the scan already did one. Exit code 0 or 1."""
    engine = db.get_engine()
    try:
        retry(lambda: prepare_store(engine), what="prepare the store")
    except sa_exc.SQLAlchemyError as error:
        log.error("store unavailable: %s", first_line(error))
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


class _Scheduler(BlockingScheduler):  # type: ignore[misc]  # APScheduler 3 has no types
    """A ``BlockingScheduler`` whose main loop outlives its job store going away.

    APScheduler retries a failed due-jobs query itself, but an error while saving a job's next
    run time would end ``start()``; here a transient store error waits with backoff instead.
    """

    _store_failures = 0

    def _process_jobs(self) -> float | None:
        try:
            wait_seconds: float | None = super()._process_jobs()
        except sa_exc.SQLAlchemyError as error:
            if not is_transient(error):
                raise
            self._store_failures += 1
            delay = backoff_delay(self._store_failures)
            log.warning("job store unavailable (%s); retrying in %.0f s", first_line(error), delay)
            return delay
        self._store_failures = 0
        return wait_seconds


class _JobStore(SQLAlchemyJobStore):  # type: ignore[misc]  # APScheduler 3 has no types
    """The SQLAlchemy job store, with the scheduler's retry interval backing off (1, 2 ... 60 s).

    APScheduler catches a failed due-jobs query and tries again after a fixed interval; this
    doubles the interval on each failure in a row, so an outage is neither hammered nor missed.
    """

    _failures = 0

    def get_due_jobs(self, now: dt.datetime) -> list[Any]:
        try:
            jobs: list[Any] = super().get_due_jobs(now)
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
    if (
        existing is not None
        and existing.next_run_time is not None
        and _trigger_key(existing.trigger) == _trigger_key(nightly)
    ):
        # Keep the stored next run, so a 02:00 missed while the worker was down still runs.
        keep["next_run_time"] = existing.next_run_time
    scheduler.add_job(f"{JOB_MODULE}:rebuild_marts_nightly", nightly, id=REBUILD_JOB,
                      name="rebuild marts nightly", replace_existing=True,
                      misfire_grace_time=NIGHTLY_GRACE_SECONDS, **keep)  # fmt: skip
    # The first scan runs at once: files may have arrived while the worker was down.
    scheduler.add_job(f"{JOB_MODULE}:scan_drop_folder", IntervalTrigger(seconds=every),
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
    if event.code == events.EVENT_SCHEDULER_STARTED and STOP.is_set():
        _request_shutdown()  # the signal came before start() finished
    if STOP.is_set():
        return
    engine = db.get_engine()
    if isinstance(event, events.JobEvent) and event.code == events.EVENT_JOB_MISSED:
        due = f"{event.scheduled_run_time:%Y-%m-%d %H:%M %Z}"
        record_quietly(engine, event.job_id, last_status="missed",
                       last_message=f"the run due at {due} was missed")  # fmt: skip
    try:
        jobs = scheduler.get_jobs()
        record_status(engine, {j.id: {"next_run_at": j.next_run_time} for j in jobs})
    except sa_exc.SQLAlchemyError as error:
        log.warning("could not record next run times: %s", first_line(error))


def _request_shutdown() -> None:
    scheduler = _CURRENT.get("scheduler")
    if scheduler is None:
        return

    def stop() -> None:
        log.info("stopping")
        with contextlib.suppress(SchedulerNotRunningError):
            scheduler.shutdown(wait=False)

    # Not from the signal handler itself: shutdown() takes the scheduler's locks, which the
    # interrupted main thread may be holding.
    threading.Thread(target=stop, name="shutdown", daemon=True).start()


def _on_signal(_signum: int, _frame: object) -> None:
    STOP.set()
    _request_shutdown()


def run_worker() -> int:
    """Run the scheduler until SIGTERM/SIGINT. Store faults are retried; returns 0 on a stop."""
    url, every = settings.database_url(), scan_seconds()
    engine = db.get_engine(url)
    failures = 0
    while not STOP.is_set():
        scheduler: _Scheduler | None = None
        started = time.monotonic()
        try:
            prepare_store(engine)
            scheduler = build_scheduler(url, every)
            _CURRENT["scheduler"] = scheduler
            log.info("worker started: drop folder %s, scan every %g s, marts nightly at 02:00 %s",
                     settings.drop_dir(), every, settings.TIMEZONE)  # fmt: skip
            host = f"pid {os.getpid()} on {socket.gethostname()}"
            record_quietly(engine, WORKER, last_run_at=now(), last_status="running",
                           last_message=host)  # fmt: skip
            scheduler.start()  # blocks until shutdown
        except sa_exc.SQLAlchemyError as error:
            # A store that was down at start-up, or an error the scheduler's loop cannot retry
            # (its job table dropped): start again with a fresh scheduler, after a backoff.
            failures = 1 if time.monotonic() - started > BACKOFF_CAP_SECONDS else failures + 1
            delay = backoff_delay(failures)
            log.warning("store unavailable (%s); restarting the scheduler in %.0f s",
                        first_line(error), delay)  # fmt: skip
            if scheduler is not None and scheduler.running:
                scheduler.shutdown(wait=False)
            STOP.wait(delay)
            continue
        break
    _CURRENT.pop("scheduler", None)
    record_quietly(engine, WORKER, last_status="stopped", last_message="stopped by a signal")
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
