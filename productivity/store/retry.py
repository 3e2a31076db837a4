"""Retrying the store through a transient outage, with capped exponential backoff.

Owns which errors count as a store fault worth retrying (:func:`is_transient`: lost
connections, locks, a PostgreSQL restart, a locked SQLite file), the backoff (1, 2, 4 ... capped
at 60 s), :func:`retry`, and :data:`STOP`, the worker's stop signal that cuts every wait short.
The scheduler and the drop folder both use it. It must not import Streamlit, pandas or any
``productivity`` module.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy import exc as sa_exc

# The worker's log: retries, scans and jobs all log under the scheduler's name.
log = logging.getLogger("productivity.scheduler")
T = TypeVar("T")

BACKOFF_BASE_SECONDS = 1.0
BACKOFF_CAP_SECONDS = 60.0
# Within one job: waits of 1, 2, 4 ... 32, 60 s (about 2 minutes), then the job gives up until
# its next run. The scheduler's own loop and start-up retry without a limit.
RETRY_ATTEMPTS = 8
SQLITE_TRANSIENT = ("locked", "busy", "unable to open", "disk i/o")

STOP = threading.Event()  # set by SIGTERM/SIGINT: retry waits and scans end early


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
    return min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * 2.0 ** max(failures - 1, 0))


def retry(
    func: Callable[[], T],
    *,
    what: str,
    attempts: int = RETRY_ATTEMPTS,
    sleep: Callable[[float], object] = STOP.wait,  # a stop signal cuts the wait short
) -> T:
    """Call ``func``; on a transient store error log it, wait :func:`backoff_delay` and retry.

    Other exceptions propagate at once. After ``attempts`` calls (or when the worker is told
    to stop) the last transient error is raised.
    """
    for attempt in range(1, attempts + 1):
        try:
            return func()
        except sa_exc.SQLAlchemyError as error:
            if not is_transient(error) or attempt == attempts or STOP.is_set():
                raise
            delay = backoff_delay(attempt)
            log.warning("%s: store unavailable (%s); retry %d in %.0f s",
                        what, first_line(error), attempt, delay)  # fmt: skip
            sleep(delay)
    raise AssertionError("unreachable")  # the loop returns or raises


def first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
