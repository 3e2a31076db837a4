"""The drop folder: import each complete file, move it to ``done/`` or ``failed/``, report why.

Owns the safe hand-off from whoever writes into the folder: a file is taken when it has a
``<name>.done`` marker beside it, or when it has been untouched for the quiet time
(``PRODUCTIVITY_SETTLE_SECONDS``, default 30) and is complete to its last line (a CSV ends with
a line break, a workbook or zip with its closing record; one that never completes is taken after
ten quiet times, and its half row is then a located error). Partial uploads (``.part``...),
dotfiles and Office lock files are never taken, so a writer that uploads under such a name and
renames it is always safe. Links are refused (they could point anywhere), and so are names with
control characters or a leading ``..``: each is quarantined in ``failed/`` under a safe name,
with the reason beside it, and never logged raw. Importing goes through
:func:`productivity.ingest.import_file`; the marts are rebuilt after a load (:func:`rebuild`,
which the nightly job calls too). Store faults are retried through
:mod:`productivity.store.retry`. Library functions only: it must not import Streamlit or
APScheduler.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import re
import threading
import time
import traceback
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Engine

from productivity import export, settings
from productivity.errors import InputError
from productivity.store import db, marts
from productivity.store.retry import STOP, is_transient, retry

# The worker's log: retries, scans and jobs all log under the scheduler's name.
log = logging.getLogger("productivity.scheduler")

DEFAULT_SCAN_SECONDS = 30.0
# The quiet time: a file untouched this long (and complete) is taken. Long enough that a writer
# pausing mid-file (a slow network share, a report server flushing in bursts) is not cut short.
DEFAULT_SETTLE_SECONDS = 30.0
# A file that never looks complete (a CSV with no final line break) is taken after this many
# quiet times; a half-written last row is then refused as a row with too few fields.
INCOMPLETE_QUIET_TIMES = 10
# Partial uploads (browsers, WinSCP, rsync-style writers) and Office lock files.
PARTIAL_SUFFIXES = (".tmp", ".part", ".partial", ".crdownload", ".filepart")
DONE_SUFFIX = ".done"  # "<name>.done" beside a file: the writer says it has finished
ZIP_END = b"PK\x05\x06"  # a zip (.zip, .xlsx) ends with this record, within its last 64 KiB
ZIP_TAIL = 65_536 + 22
OLE_SECTOR = 512  # a legacy .xls is whole 512-byte sectors

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
    """``PRODUCTIVITY_SETTLE_SECONDS``: the quiet time a file must stay untouched (default 30)."""
    return _seconds_from_env("PRODUCTIVITY_SETTLE_SECONDS", DEFAULT_SETTLE_SECONDS)


CONTROL_CATEGORIES = ("Cc", "Cf", "Zl", "Zp")  # line breaks, tabs, bidi overrides...


def _control(char: str) -> bool:
    return unicodedata.category(char) in CONTROL_CATEGORIES


def safe_name(name: str) -> str:
    """A file name fit to log and to keep: control characters as ``_``, no leading dots."""
    shown = "".join("_" if _control(c) else c for c in name)
    return re.sub(r"^\.+", "_", shown) or "_"


def unsafe_reason(path: Path) -> str | None:
    """Why a drop-folder entry must be quarantined rather than read, or None."""
    if path.name.startswith("..") or any(_control(c) for c in path.name):
        return (
            "the file name has control characters (such as a line break) or starts with '..': "
            "rename the file and drop it again"
        )
    if path.is_symlink():
        return (
            "a symbolic link: the drop folder takes only files written into it, since a link "
            "could point anywhere"
        )
    # A second name for a file kept elsewhere (a hard link) could expose that file just as a
    # symbolic link would, and importing it would hand its contents to whoever made the link.
    if path.is_file() and path.stat().st_nlink > 1:
        return (
            "a hard link (the same file has another name outside the drop folder): copy the "
            "file into the folder instead of linking it"
        )
    return None


def _ignored(name: str) -> bool:
    lowered = name.lower()
    return (
        name.startswith((".", "~$"))
        or lowered.endswith(PARTIAL_SUFFIXES)
        or lowered.endswith(DONE_SUFFIX)
        or name in ("done", "failed")
    )


def _candidates(folder: Path) -> tuple[dict[Path, tuple[int, int]], list[tuple[Path, str]]]:
    """Files that may be taken, with (size, mtime); and entries to quarantine, with why."""
    found, refused = {}, []
    for path in folder.iterdir():
        reason = unsafe_reason(path)
        if reason is not None:
            refused.append((path, reason))
            continue
        if _ignored(path.name):
            continue
        try:
            if not path.is_file():
                continue
            stat = path.stat()
        except OSError:  # vanished or unreadable between listing and looking
            continue
        found[path] = (stat.st_size, stat.st_mtime_ns)
    return found, refused


def looks_complete(path: Path) -> bool:
    """Whether a file is whole to its end: a CSV ends with a line break, a zip or workbook with
    its closing record, a legacy workbook with a whole sector."""
    suffix = path.suffix.lower()
    try:
        size = path.stat().st_size
        if size == 0:
            return False
        with path.open("rb") as handle:
            handle.seek(max(0, size - ZIP_TAIL))
            tail = handle.read()
    except OSError:
        return False
    if suffix in (".csv", ".txt"):
        return tail.endswith((b"\n", b"\r"))
    if suffix in (".zip", ".xlsx", ".xlsm"):
        return ZIP_END in tail
    if suffix == ".xls":
        return size % OLE_SECTOR == 0
    return True


def _marker(path: Path) -> Path:
    return path.with_name(path.name + DONE_SUFFIX)


def complete_files(folder: Path, settle: float) -> list[Path]:
    """Files in ``folder`` that are ready to import, oldest first.

    Ready: a ``<name>.done`` marker is beside it; or it is complete (:func:`looks_complete`),
    untouched for ``settle`` seconds and unchanged while this scan waited; or it has been
    untouched for :data:`INCOMPLETE_QUIET_TIMES` quiet times. Dotfiles, Office lock files,
    partial uploads (``.tmp``, ``.part``...), links and unsafe names are never returned.
    Oldest first, so a corrected file dropped after the original replaces it.
    """
    first, _ = _candidates(folder)
    if not first:
        return []
    if not all(_marker(path).exists() for path in first):
        STOP.wait(settle)
    second, _ = _candidates(folder)
    now = time.time()
    ready = []
    for path, look in second.items():
        quiet = now - look[1] / 1e9
        settled = first.get(path) == look and quiet >= settle
        whole = looks_complete(path) or quiet >= settle * INCOMPLETE_QUIET_TIMES
        if _marker(path).exists() or (settled and whole):
            ready.append(path)
    return sorted(ready, key=lambda path: (second[path][1], path.name))


def quarantine(folder: Path, summary: ScanSummary | None = None) -> list[Path]:
    """Move links and unsafely named entries to ``failed/`` under a safe name, each with a
    ``.errors.csv`` saying why; returns where they went."""
    _, refused = _candidates(folder)
    moved = []
    for path, reason in refused:
        shown = safe_name(path.name)
        if path.name in ("done", "failed"):  # a link in place of our own folder: just drop it
            path.unlink()
            log.warning("%s was a link, not a folder: removed", shown)
            continue
        try:
            target = _move(path, folder / "failed", shown)
        except OSError as error:
            log.warning("%s could not be quarantined (%s)", shown, type(error).__name__)
            continue
        write_problems(InputError.single(shown, reason), _report_path(target))
        log.warning("%s refused: %s; moved to %s", shown, reason, target.name)
        moved.append(target)
        if summary is not None:
            summary.failed.append(shown)
    return moved


def _report_path(target: Path) -> Path:
    return target.with_name(target.name + ".errors.csv")


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


def _move(path: Path, folder: Path, name: str | None = None) -> Path:
    """Move ``path`` (a link itself, never its target) into ``folder`` under a free name."""
    folder.mkdir(parents=True, exist_ok=True)
    target = _free_name(folder, name or path.name)
    path.replace(target)
    return target


PROBLEM_COLUMNS = ["file", "row", "column", "value", "message"]


def write_problems(error: InputError, path: Path) -> None:
    """Write an :class:`InputError`'s problems as CSV: file, row, column, value, message (values
    a spreadsheet would run as formulas are neutralised: they come from the refused file)."""
    frame = pd.DataFrame([p.as_dict() for p in error.problems], columns=PROBLEM_COLUMNS)
    frame["row"] = frame["row"].astype("Int64")
    path.write_text(export.to_csv(frame), encoding="utf-8")


def _import_one(path: Path, engine: Engine, summary: ScanSummary) -> None:
    """Import one file and move it; a transient store error leaves it in place and propagates."""
    from productivity import ingest

    failed_dir = path.parent / "failed"
    marker = _marker(path)
    if unsafe_reason(path) is not None:  # replaced by a link since it was listed
        quarantine(path.parent, summary)
        return
    try:
        result = retry(lambda: ingest.import_file(path, engine=engine, source="scheduler"),
                       what=f"import {path.name}")  # fmt: skip
    except InputError as error:
        target = _move(path, failed_dir)
        marker.unlink(missing_ok=True)
        write_problems(error, _report_path(target))
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
        marker.unlink(missing_ok=True)
        report = "".join(traceback.format_exception(error))
        target.with_name(target.name + ".error.txt").write_text(report, encoding="utf-8")
        log.exception("%s could not be imported; moved to %s", path.name, target)
        summary.failed.append(path.name)
        return
    target = _move(path, path.parent / "done")
    marker.unlink(missing_ok=True)
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
        quarantine(folder, summary)
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
