"""The import history: what one import did (:class:`ImportResult`), and its ``import_run`` rows.

A loaded file, a duplicate of one already loaded (found by its SHA-256) and a refused file each
leave one ``import_run`` row, so the Data page's history shows every attempt; the message names
the trust-months a load replaced with the rows each lost and gained. Used by
:func:`productivity.ingest.import_file` only; imports no Streamlit.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Engine, RowMapping, select

from productivity import settings
from productivity.errors import InputError
from productivity.ingest.checks import ParsedFile
from productivity.ingest.maps import load_map
from productivity.ingest.scopes import MonthChange
from productivity.ingest.store import meta_table, start_run
from productivity.store import db


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
    changes: tuple[MonthChange, ...] = ()

    def report(self) -> str:
        """The message, then one line per trust-month the file replaced or added."""
        lines = [self.message]
        lines += [f"  {'replaced' if c.lost else 'added'} {c}" for c in self.changes]
        return "\n".join(lines)


def loaded_run(conn: Connection, file_hash: str) -> RowMapping | None:
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


def duplicate(
    conn: Connection, earlier: RowMapping, path: Path, file_hash: str, source: str
) -> ImportResult:
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


SHOWN_CHANGES = 12  # trust-months named in the one-line message (the report lists them all)


def message_for(
    parsed: ParsedFile, rows: int, replaced: int, changes: tuple[MonthChange, ...]
) -> str:
    span = ""
    if parsed.period_from is not None:
        span = f" from {parsed.period_from} to {parsed.period_to}"
    who = ", ".join(parsed.trust_codes[:12]) + (" ..." if len(parsed.trust_codes) > 12 else "")
    text = f"loaded {rows} {parsed.kind} rows for {who}{span}"
    hit = [c for c in changes if c.lost]
    if replaced or hit:
        named = ", ".join(map(str, hit[:SHOWN_CHANGES]))
        more = f" and {len(hit) - SHOWN_CHANGES} more" if len(hit) > SHOWN_CHANGES else ""
        text += (
            f"; replaced {replaced} rows previously loaded for the same trust-months: {named}{more}"
        )
    return "; ".join([text, *parsed.notes])


def record_failed(
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
