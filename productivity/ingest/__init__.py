"""Importers: read a file, refuse what is wrong with every problem located, store it in one go.

Example::

    from productivity import ingest
    result = ingest.import_file(Path("theatre-may.csv"))          # kind sniffed
    result = ingest.import_file(Path("export.csv"), map_path=Path("data/maps/cerner.toml"))

:func:`read_file` parses and validates without touching the store; :func:`import_file` also
stores the result in one transaction per file and records an ``import_run``. A file already
loaded (same SHA-256) is reported as a duplicate and adds nothing; a corrected file replaces, per
trust, the whole calendar months it covers, and the result lists each trust-month with the rows
it lost and gained (a bookings plan replaces the dates it covers). A file whose dates stray from
the bulk of its rows is refused unless the months are named (``period="2026-05"`` or
``"2026-04..2026-06"``; see :mod:`productivity.ingest.months`). A bad file raises
:class:`~productivity.errors.InputError` with up to 50 located problems, and a ``failed`` run is
recorded so the Data page history shows it. Reading (:mod:`~productivity.ingest.reading`,
:mod:`~productivity.ingest.excel`) and the checks (:mod:`~productivity.ingest.checks`) are
shared by every kind; one module per source (``theatre``, ``bookings``, ``imaging``,
``endoscopy``, ``echo``, ``dm01``, ``dm01_workbook``, ``deprivation``, ``reporting``,
``pathology``, ``appointments``); ``store`` is the only write path. With ``drop_identifiers`` a
record-level extract's patient-identifiable columns are removed in memory before anything else,
and the import record names them. Imports no Streamlit.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Collection
from dataclasses import replace
from pathlib import Path

import pandas as pd
from sqlalchemy import Connection, Engine, select

from productivity.benchmarks import BenchmarkError, Benchmarks, load_benchmarks
from productivity.errors import InputError
from productivity.ingest import dm01, dm01_workbook
from productivity.ingest.appointments import parse_appointments
from productivity.ingest.bookings import parse_bookings
from productivity.ingest.checks import ParsedFile, reference_trust_codes
from productivity.ingest.deprivation import looks_like_deprivation, parse_deprivation
from productivity.ingest.echo import parse_echo
from productivity.ingest.endoscopy import parse_endoscopy
from productivity.ingest.imaging import parse_imaging
from productivity.ingest.maps import ColumnMap, load_map
from productivity.ingest.months import MonthSpan, check_months, parse_period
from productivity.ingest.pathology import parse_pathology
from productivity.ingest.pid import check_pid, drop_identifiers as drop_identifiers_from
from productivity.ingest.reading import read_bytes
from productivity.ingest.reporting import parse_reporting
from productivity.ingest.runs import ImportResult, duplicate, loaded_run, message_for, record_failed
from productivity.ingest.scopes import SCOPES, MonthChange, month_changes
from productivity.ingest.sniff import KINDS, Source, open_source, sniff, sniff_kind
from productivity.ingest.store import (
    finish_run,
    meta_table,
    start_run,
    store_dm01,
    store_dm01_imd,
    store_echo,
    store_endoscopy,
    store_frames,
    store_imaging,
    store_issues,
    store_theatre,
)
from productivity.ingest.tabular import ProblemLog, max_bytes
from productivity.ingest.theatre import parse_theatre
from productivity.store import db, mart_refresh, marts, reference

__all__ = [
    "KINDS",
    "ImportResult",
    "MonthChange",
    "MonthSpan",
    "ParsedFile",
    "import_file",
    "max_file_mb",
    "parse_period",
    "read_file",
    "seed_reference",
    "sniff_kind",
    "store_dm01",
    "store_dm01_imd",
    "store_echo",
    "store_endoscopy",
    "store_frames",
    "store_imaging",
    "store_theatre",
]


def max_file_mb() -> int:
    """The largest file (or zip contents) an import reads, in whole megabytes (at least 1)."""
    return max(1, max_bytes() // 1_000_000)


def _period(period: str | MonthSpan | None) -> MonthSpan | None:
    return parse_period(period) if isinstance(period, str) else period


def read_file(
    path: Path,
    kind: str | None = None,
    map_path: Path | None = None,
    *,
    known_trusts: Collection[str] | None = None,
    sessions_path: Path | None = None,
    data: bytes | None = None,
    period: str | MonthSpan | None = None,
    drop_identifiers: bool = False,
) -> ParsedFile:
    """Parse and validate a file without storing it.

    ``known_trusts`` are the trust codes a row may carry (default: ``data/trusts.csv``);
    ``sessions_path`` gives operational hours for an exam-level imaging file; ``period``
    (``"2026-05"`` or ``"2026-04..2026-06"``) names the months the file is about, so that dates
    far from the bulk of its rows are accepted (and any outside the period refused). With
    ``drop_identifiers`` the columns that would be refused as patient-identifiable (NHS number,
    birth date, postcode, ...) are removed in memory first, and a note names them.

    Raises:
        InputError: every located problem found (up to 50), an unknown kind, a file with no
            rows to load, or rows whose dates stray from the rest (see
            :func:`~productivity.ingest.months.check_months`).
    """
    span = _period(period)
    path = Path(path)
    cmap = load_map(Path(map_path)) if map_path else ColumnMap()
    kind = kind or cmap.kind
    if kind is not None and kind not in KINDS:
        raise InputError.single(
            path.name, f"unknown kind {kind!r}: expected one of {', '.join(KINDS)}"
        )
    source = open_source(path, data)
    dropped: tuple[str, ...] = ()
    if drop_identifiers and not (
        source.sheets and dm01_workbook.looks_like_workbook(source.sheets)
    ):
        # Before sniffing or parsing: nothing downstream ever sees an identifier.
        source.table, dropped = drop_identifiers_from(source.first_table())
    kind = kind or sniff(source)
    try:
        parsed = _parse(source, kind, cmap, known_trusts, sessions_path)
        if parsed.rows == 0:
            raise InputError.single(
                parsed.file_name,
                f"no {kind} rows to load: expected at least one row of data (rows that are "
                "totals, notes or of other kinds are skipped)",
            )
        check_months(_row_dates(parsed), parsed.file_name, parsed.date_label, span)
    except InputError as exc:
        exc.kind = kind  # type: ignore[attr-defined]  # for the failed run's history row
        raise
    if dropped:
        note = f"dropped identifier column(s) {', '.join(dropped)} before reading"
        parsed = replace(parsed, notes=(*parsed.notes, note))
    return parsed


def _row_dates(parsed: ParsedFile) -> pd.Series:
    """The date that decides each row's month: located when the parser gave them, else the
    stored frames' dates (unlocated)."""
    if parsed.row_dates is not None:
        return parsed.row_dates
    dates = [
        pd.to_datetime(frame[SCOPES[name].date])
        for name, frame in parsed.frames.items()
        if name in SCOPES
    ]
    joined = pd.concat(dates, ignore_index=True) if dates else pd.Series(dtype="datetime64[us]")
    return joined.set_axis([0] * len(joined))


def _parse(
    source: Source,
    kind: str,
    cmap: ColumnMap,
    known_trusts: Collection[str] | None,
    sessions_path: Path | None,
) -> ParsedFile:
    known = reference_trust_codes() if known_trusts is None else frozenset(known_trusts)
    workbook = source.sheets is not None and dm01_workbook.looks_like_workbook(source.sheets)
    if kind == "dm01" and workbook and source.sheets is not None:
        return dm01_workbook.parse_workbook(
            source.sheets, source.path.name, ProblemLog(source.path.name)
        )
    table = source.first_table()
    log = ProblemLog(table.label)
    check_pid(table, log)
    log.raise_if_any()
    if kind == "theatre":
        return parse_theatre(table, cmap, known, log)
    if kind == "bookings":
        return parse_bookings(table, cmap, known, log)
    if kind == "imaging":
        return parse_imaging(table, cmap, known, log, sessions_path)
    if kind == "endoscopy":
        return parse_endoscopy(table, cmap, known, log)
    if kind == "echo":
        return parse_echo(table, cmap, known, log)
    if kind == "reporting":
        return parse_reporting(table, cmap, known, log)
    if kind == "pathology":
        return parse_pathology(table, cmap, known, log)
    if kind == "appointments":
        return parse_appointments(table, cmap, known, log)
    if looks_like_deprivation([str(h) for h in table.frame.columns]):
        return parse_deprivation(table, cmap, log)
    return dm01.parse_extract(table, log)


def seed_reference(target: Engine | Connection) -> None:
    """Load the trusts of ``data/trusts.csv`` and the sites of ``data/sites.csv`` (if present)
    into the store, so rows can name them (see :func:`productivity.store.reference.seed_reference`).
    Takes an engine (its own transaction) or a connection inside the caller's transaction."""
    if isinstance(target, Engine):
        with db.write_transaction(target) as conn:
            reference.seed_reference(conn)
    else:
        reference.seed_reference(target)


def _store_trusts(engine: Engine) -> frozenset[str]:
    with engine.connect() as conn:
        return frozenset(conn.execute(select(meta_table("trust").c.trust_code)).scalars())


def _refresh_benchmarks() -> Benchmarks | None:
    """The benchmarks a mart refresh counts flags with, or None (no refresh) when the file
    cannot be read: a typo in a local override never refuses an import; the next
    ``ensure_marts`` finds the marts stale and reports it."""
    try:
        return load_benchmarks()
    except BenchmarkError:
        return None


def import_file(
    path: Path,
    *,
    kind: str | None = None,
    map_path: Path | None = None,
    engine: Engine | None = None,
    source: str = "cli",
    progress: Callable[[float], None] | None = None,
    sessions_path: Path | None = None,
    period: str | MonthSpan | None = None,
    drop_identifiers: bool = False,
    refresh_marts: bool = False,
) -> ImportResult:
    """Validate and store one file in one transaction, recording an ``import_run``.

    ``progress`` is called with the fraction done (0-1) as the file is read and written.
    ``period`` (``"2026-05"``, ``"2026-04..2026-06"``) names the months the file replaces for
    each of its trusts; without it, the months its rows fall in, and a file whose dates stray
    from the bulk of its rows is refused.
    ``drop_identifiers`` removes patient-identifiable columns before anything is read (see
    :func:`read_file`); the run's message says which were dropped.
    ``refresh_marts``: when the marts were current before the file, refresh what it touched
    (its trust-months) in the same transaction, so they stay current (see
    :mod:`productivity.store.mart_refresh`); otherwise leave them to the next
    :func:`~productivity.store.marts.ensure_marts`.

    Raises:
        InputError: the file has problems; nothing is stored, a ``failed`` run is recorded.
    """
    path = Path(path)
    span = _period(period)
    engine = engine or db.get_engine()
    report = progress or (lambda _fraction: None)
    db.init_db(engine)  # a new or older store gets the current schema (cheap when it has it)
    report(0.0)
    data = read_bytes(path)
    file_hash = hashlib.sha256(data).hexdigest()
    known = _store_trusts(engine)
    if not known:
        seed_reference(engine)
        known = _store_trusts(engine)
    with engine.connect() as conn:
        earlier = loaded_run(conn, file_hash)
    if earlier is not None:
        with db.write_transaction(engine) as conn:
            return duplicate(conn, earlier, path, file_hash, source)
    started = dt.datetime.now(dt.UTC)
    report(0.05)
    try:
        parsed = read_file(
            path,
            kind,
            map_path,
            known_trusts=known,
            sessions_path=sessions_path,
            data=data,
            period=span,
            drop_identifiers=drop_identifiers,
        )
    except InputError as exc:
        record_failed(engine, kind, map_path, path, file_hash, exc, started, source)
        raise
    report(0.4)
    benchmarks = _refresh_benchmarks() if refresh_marts else None
    with db.write_transaction(engine) as conn:
        earlier = loaded_run(conn, file_hash)  # another worker may have won the race
        if earlier is not None:
            return duplicate(conn, earlier, path, file_hash, source)
        # Before the file's rows go in: only marts current until now can be patched.
        fresh = benchmarks is not None and marts.marts_current(conn)
        run_id = start_run(
            conn,
            kind=parsed.kind,
            file_name=path.name,
            file_hash=file_hash,
            status="loaded",
            started_at=started,
            source=source,
        )
        changes = tuple(month_changes(conn, parsed.frames, span))
        rows, replaced = store_frames(
            conn,
            parsed.kind,
            parsed.frames,
            run_id,
            lambda f: report(0.4 + 0.55 * f),
            period=span,
        )
        store_issues(conn, parsed.issues, run_id)
        message = message_for(parsed, rows, replaced, changes)
        finish_run(
            conn,
            run_id,
            rows=rows,
            replaced_rows=replaced,
            trust_codes=",".join(parsed.trust_codes),
            period_from=parsed.period_from,
            period_to=parsed.period_to,
            message=message,
            finished_at=dt.datetime.now(dt.UTC),
        )
        if fresh:
            touched: dict[str, set[str]] = {}
            for change in changes:
                touched.setdefault(change.trust_code, set()).add(f"{change.month:%Y-%m}")
            if parsed.kind == "bookings":  # the look-ahead mart of every trust in the file
                touched |= {t: touched.get(t, set()) for t in parsed.trust_codes}
            mart_refresh.refresh_marts(conn, parsed.kind, touched, benchmarks)
    report(1.0)
    return ImportResult(
        run_id,
        parsed.kind,
        path.name,
        "loaded",
        rows,
        replaced,
        parsed.trust_codes,
        parsed.period_from,
        parsed.period_to,
        message,
        changes,
    )
