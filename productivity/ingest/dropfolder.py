"""The drop folder: import each complete file, move it to ``done/`` or ``failed/``, report why.

Owns finding files that have settled (size and mtime unchanged over ``PRODUCTIVITY_SETTLE_SECONDS``,
partial uploads and lock files ignored), importing each through
:func:`productivity.ingest.import_file`, moving it under a free name, the error report written
beside a refused file, the scan interval and settle time from the environment, and the marts
rebuild after a load (:func:`rebuild`, which the nightly job calls too). Store faults are retried
through :mod:`productivity.store.retry`. Library functions only: it must not import Streamlit
or APScheduler.
"""

from __future__ import annotations

import csv
import datetime as dt
import logging
import os
import threading
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Engine

from productivity import settings
from productivity.errors import InputError
from productivity.store import db, marts
from productivity.store.retry import STOP, is_transient, retry

# The worker's log: retries, scans and jobs all log under the scheduler's name.
log = logging.getLogger("productivity.scheduler")

DEFAULT_SCAN_SECONDS = 30.0
DEFAULT_SETTLE_SECONDS = 2.0  # a file is complete when its size and mtime hold this long
# Partial uploads (browsers, WinSCP, rsync-style writers) and Office lock files.
PARTIAL_SUFFIXES = (".tmp", ".part", ".partial", ".crdownload", ".filepart")

_SCAN_LOCK = threading.Lock()  # one scan at a time, even across a scheduler restart
_MARTS_LOCK = threading.Lock()


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
    STOP.wait(settle)
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
            if STOP.is_set():
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
