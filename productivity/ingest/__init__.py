"""Importers: read a file, refuse what is wrong with every problem located, store it in one go.

Example::

    from productivity import ingest
    result = ingest.import_file(Path("theatre-may.csv"))          # kind sniffed
    result = ingest.import_file(Path("export.csv"), map_path=Path("data/maps/cerner.toml"))

:func:`read_file` parses and validates without touching the store; :func:`import_file` also
stores the result in one transaction per file and records an ``import_run``. A file already
loaded (same SHA-256) is reported as a duplicate and adds nothing; a corrected file for the same
trust and period replaces it. A bad file raises :class:`~productivity.errors.InputError` with up
to 50 located problems, and a ``failed`` run is recorded so the Data page history shows it. One
module per source (``theatre``, ``bookings``, ``imaging``, ``endoscopy``, ``echo``, ``dm01``,
``dm01_workbook``, ``deprivation``, ``reporting``, ``pathology``, ``appointments``); ``store``
is the only write path. With ``drop_identifiers`` a record-level extract's patient-identifiable
columns are removed in memory before anything else, and the import record names them.
Imports no Streamlit.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Collection
from dataclasses import dataclass, replace
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Engine, select

from productivity import settings
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
from productivity.ingest.pathology import parse_pathology
from productivity.ingest.pid import check_pid, drop_identifiers as drop_identifiers_from
from productivity.ingest.reporting import parse_reporting
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
from productivity.ingest.tabular import ProblemLog
from productivity.ingest.theatre import parse_theatre
from productivity.store import db, reference

__all__ = [
    "KINDS",
    "ImportResult",
    "ParsedFile",
    "import_file",
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


@dataclass(frozen=True)
class ImportResult:
    """What one import did. ``status`` is ``loaded`` or ``duplicate``."""

    run_id: int | None
    kind: str
    file_name: str
    status: str
    rows: int
    replaced_rows: int
    trust_codes: tuple[str, ...]
    period_from: dt.date | None
    period_to: dt.date | None
    message: str


def read_file(
    path: Path,
    kind: str | None = None,
    map_path: Path | None = None,
    *,
    known_trusts: Collection[str] | None = None,
    sessions_path: Path | None = None,
    data: bytes | None = None,
    drop_identifiers: bool = False,
) -> ParsedFile:
    """Parse and validate a file without storing it.

    ``known_trusts`` are the trust codes a row may carry (default: ``data/trusts.csv``);
    ``sessions_path`` gives operational hours for an exam-level imaging file. With
    ``drop_identifiers`` the columns that would be refused as patient-identifiable (NHS number,
    birth date, postcode, ...) are removed in memory first, and a note names them.

    Raises:
        InputError: every located problem found (up to 50), or an unknown kind.
    """
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
    except InputError as exc:
        exc.kind = kind  # type: ignore[attr-defined]  # for the failed run's history row
        raise
    if dropped:
        note = f"dropped identifier column(s) {', '.join(dropped)} before reading"
        parsed = replace(parsed, notes=(*parsed.notes, note))
    return parsed


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


def _loaded_run(conn: Connection, file_hash: str):
    run = meta_table("import_run")
    query = (
        select(run)
        .where(run.c.file_hash == file_hash, run.c.status == "loaded")
        .order_by(run.c.id.desc())
        .limit(1)
    )
    return conn.execute(query).mappings().first()


def _local(moment: dt.datetime | None) -> str:
    if moment is None:
        return "an earlier run"
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return f"{moment.astimezone(ZoneInfo(settings.TIMEZONE)):%Y-%m-%d %H:%M}"


def _duplicate(conn: Connection, earlier, path: Path, file_hash: str, source: str) -> ImportResult:
    message = (
        f"already loaded as import run {earlier['id']} "
        f"({_local(earlier['started_at'])}); nothing added"
    )
    now = dt.datetime.now(dt.UTC)
    run_id = start_run(
        conn,
        kind=earlier["kind"],
        file_name=path.name,
        file_hash=file_hash,
        status="duplicate",
        rows=0,
        replaced_rows=0,
        trust_codes=earlier["trust_codes"],
        period_from=earlier["period_from"],
        period_to=earlier["period_to"],
        message=message,
        started_at=now,
        finished_at=now,
        source=source,
    )
    codes = tuple(c for c in (earlier["trust_codes"] or "").split(",") if c)
    return ImportResult(
        run_id,
        earlier["kind"],
        path.name,
        "duplicate",
        0,
        0,
        codes,
        earlier["period_from"],
        earlier["period_to"],
        message,
    )


def import_file(
    path: Path,
    *,
    kind: str | None = None,
    map_path: Path | None = None,
    engine: Engine | None = None,
    source: str = "cli",
    progress: Callable[[float], None] | None = None,
    sessions_path: Path | None = None,
    drop_identifiers: bool = False,
) -> ImportResult:
    """Validate and store one file in one transaction, recording an ``import_run``.

    ``progress`` is called with the fraction done (0-1) as the file is read and written.
    ``drop_identifiers`` removes patient-identifiable columns before anything is read (see
    :func:`read_file`); the run's message says which were dropped.

    Raises:
        InputError: the file has problems; nothing is stored, a ``failed`` run is recorded.
    """
    path = Path(path)
    engine = engine or db.get_engine()
    report = progress or (lambda _fraction: None)
    if not db.has_table("import_run", engine):
        db.init_db(engine)
    report(0.0)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError.single(
            path.name, f"cannot read the file ({exc.strerror or exc})"
        ) from None
    file_hash = hashlib.sha256(data).hexdigest()
    known = _store_trusts(engine)
    if not known:
        seed_reference(engine)
        known = _store_trusts(engine)
    with engine.connect() as conn:
        earlier = _loaded_run(conn, file_hash)
    if earlier is not None:
        with db.write_transaction(engine) as conn:
            return _duplicate(conn, earlier, path, file_hash, source)
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
            drop_identifiers=drop_identifiers,
        )
    except InputError as exc:
        _record_failed(engine, kind, map_path, path, file_hash, exc, started, source)
        raise
    report(0.4)
    with db.write_transaction(engine) as conn:
        earlier = _loaded_run(conn, file_hash)  # another worker may have won the race
        if earlier is not None:
            return _duplicate(conn, earlier, path, file_hash, source)
        run_id = start_run(
            conn,
            kind=parsed.kind,
            file_name=path.name,
            file_hash=file_hash,
            status="loaded",
            started_at=started,
            source=source,
        )
        rows, replaced = store_frames(
            conn, parsed.kind, parsed.frames, run_id, lambda f: report(0.4 + 0.55 * f)
        )
        store_issues(conn, parsed.issues, run_id)
        message = _message(parsed, rows, replaced)
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
    )


def _message(parsed: ParsedFile, rows: int, replaced: int) -> str:
    span = ""
    if parsed.period_from is not None:
        span = f" from {parsed.period_from} to {parsed.period_to}"
    who = ", ".join(parsed.trust_codes[:12]) + (" ..." if len(parsed.trust_codes) > 12 else "")
    text = f"loaded {rows} {parsed.kind} rows for {who}{span}"
    if replaced:
        text += f"; replaced {replaced} rows previously loaded for the same trust and period"
    return "; ".join([text, *parsed.notes])


def _record_failed(
    engine: Engine,
    kind: str | None,
    map_path: Path | None,
    path: Path,
    file_hash: str,
    error: InputError,
    started: dt.datetime,
    source: str,
) -> None:
    """Record a refused file in its own transaction (its data is never stored)."""
    kind = kind or getattr(error, "kind", None)
    if kind is None and map_path is not None:
        try:
            kind = load_map(Path(map_path)).kind
        except InputError:
            kind = None
    with db.write_transaction(engine) as conn:
        start_run(
            conn,
            kind=kind or "unknown",
            file_name=path.name,
            file_hash=file_hash,
            status="failed",
            message=str(error)[:4000],
            started_at=started,
            finished_at=dt.datetime.now(dt.UTC),
            source=source,
        )
