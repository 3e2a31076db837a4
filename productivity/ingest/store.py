"""The one write path into the store's case-level tables: replace whole trust-months, then insert.

Every function takes an open connection inside the caller's transaction (see
:func:`productivity.store.db.write_transaction`) and never commits, so a file is all-or-nothing. A
corrected file replaces, per trust (DM01: per provider), the whole calendar months it covers
(SPEC §3): the months its rows fall in, or every month of the ``period`` the user named (see
:mod:`productivity.ingest.scopes`, which also counts what each trust-month loses and gains).
Each store function returns ``(rows written, rows replaced)``. The demo loader calls these
directly with synthetic frames. SQL is SQLAlchemy Core with bound parameters.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np
import pandas as pd
from sqlalchemy import (
    Connection,
    delete,
    exists,
    func,
    insert,
    select,
    update,
)

from productivity.ingest.months import MonthSpan
from productivity.ingest.scopes import (
    SCOPES,
    Scope,
    in_scope,
    meta_table as meta_table,
    replace,
    replace_date_range,
    trust_months,
)
from productivity.schema import (
    APPOINTMENT_COLUMNS,
    BOOKING_COLUMNS,
    CASE_COLUMNS,
    DM01_BANDS,
    DM01_COLUMNS,
    ECHO_COLUMNS,
    ENDOSCOPY_COLUMNS,
    LIST_COLUMNS,
    PATHOLOGY_SPECIMEN_COLUMNS,
    REPORTING_EVENT_COLUMNS,
)
from productivity.store import db

Progress = Callable[[float], None] | None


def _as_dates(frame: pd.DataFrame, columns: tuple[str, ...]) -> pd.DataFrame:
    out = frame.copy()
    for column in columns:
        out[column] = pd.to_datetime(out[column]).dt.date
    return out


def store_theatre(
    conn: Connection,
    lists: pd.DataFrame,
    cases: pd.DataFrame,
    run_id: int | None,
    progress: Progress = None,
    *,
    period: MonthSpan | None = None,
) -> tuple[int, int]:
    """Store normalised theatre ``lists`` and ``cases`` (schema.LIST_COLUMNS / CASE_COLUMNS).

    List ids are reassigned after the store's highest one; cases follow their list. Rows counts
    are extract rows: one per case plus one per list with no case.
    """
    lst, case = meta_table("theatre_list"), meta_table("theatre_case")
    replaced = 0
    spans = trust_months(lists, "session_date", period=period)
    if spans:
        scoped = in_scope(lst, SCOPES["lists"], spans)
        no_case = ~exists().where(case.c.list_id == lst.c.list_id)
        unused = conn.execute(select(func.count()).where(scoped, no_case)).scalar_one()
        scope_ids = select(lst.c.list_id).where(scoped)
        replaced = unused + (
            conn.execute(delete(case).where(case.c.list_id.in_(scope_ids))).rowcount or 0
        )
        conn.execute(delete(lst).where(scoped))
    offset = conn.execute(select(func.coalesce(func.max(lst.c.list_id), 0))).scalar_one()
    # The n-th list gets offset + n; a case finds its list's position (ids are unique per file).
    new_ids = np.arange(offset + 1, offset + len(lists) + 1, dtype=np.int64)
    position = pd.Index(lists["list_id"]).get_indexer(cases["list_id"])
    lists_out = _as_dates(lists[list(LIST_COLUMNS)], ("session_date",)).assign(
        list_id=new_ids, import_run_id=run_id
    )
    case_ids = pd.Series(new_ids.take(position), index=cases.index, dtype="Int64")
    cases_out = cases[list(CASE_COLUMNS)].assign(list_id=case_ids.mask(position < 0))
    half = (lambda f: progress(f / 2)) if progress else None
    rest = (lambda f: progress(0.5 + f / 2)) if progress else None
    db.bulk_insert(conn, "theatre_list", lists_out, half)
    db.bulk_insert(conn, "theatre_case", cases_out, rest)
    unused_new = int((~lists["list_id"].isin(cases["list_id"])).sum())
    return len(cases_out) + unused_new, replaced


def _store_dated(
    conn: Connection,
    name: str,
    frame: pd.DataFrame,
    columns: tuple[str, ...],
    run_id: int | None,
    progress: Progress,
    period: MonthSpan | None = None,
    date: str = "date",
) -> tuple[int, int]:
    """Replace the trust-months of ``frame`` in table ``name`` and insert it."""
    replaced = replace(conn, Scope(name, date), frame, period)
    out = _as_dates(frame[list(columns)], (date,)).assign(import_run_id=run_id)
    return db.bulk_insert(conn, name, out, progress), replaced


IMAGING_STORED = (
    "trust_code",
    "site",
    "scanner_id",
    "modality",
    "date",
    "operational_hours",
    "scans",
)
ENDOSCOPY_STORED = ENDOSCOPY_COLUMNS
ECHO_STORED = ECHO_COLUMNS


def store_imaging(
    conn: Connection,
    frame: pd.DataFrame,
    run_id: int | None,
    progress: Progress = None,
    *,
    period: MonthSpan | None = None,
) -> tuple[int, int]:
    """Store scanner-day rows (schema.IMAGING_COLUMNS), replacing each trust's months."""
    return _store_dated(conn, "scanner_day", frame, IMAGING_STORED, run_id, progress, period)


def store_endoscopy(
    conn: Connection,
    frame: pd.DataFrame,
    run_id: int | None,
    progress: Progress = None,
    *,
    period: MonthSpan | None = None,
) -> tuple[int, int]:
    """Store endoscopy list rows (schema.ENDOSCOPY_COLUMNS), replacing each trust's months."""
    return _store_dated(conn, "endoscopy_list", frame, ENDOSCOPY_STORED, run_id, progress, period)


def store_echo(
    conn: Connection,
    frame: pd.DataFrame,
    run_id: int | None,
    progress: Progress = None,
    *,
    period: MonthSpan | None = None,
) -> tuple[int, int]:
    """Store echo activity rows (schema.ECHO_COLUMNS), replacing each trust's months."""
    return _store_dated(conn, "echo_activity", frame, ECHO_STORED, run_id, progress, period)


def store_bookings(
    conn: Connection, frame: pd.DataFrame, run_id: int | None, progress: Progress = None
) -> tuple[int, int]:
    """Store theatre bookings (schema.BOOKING_COLUMNS); a newer file replaces each trust's
    bookings over the dates it covers (the 6-4-2 look-ahead reads the latest plan)."""
    replaced = replace_date_range(conn, SCOPES["theatre_booking"], frame)
    out = _as_dates(frame[list(BOOKING_COLUMNS)], ("session_date",)).assign(import_run_id=run_id)
    return db.bulk_insert(conn, "theatre_booking", out, progress), replaced


def _store_by_provider(
    conn: Connection,
    name: str,
    frame: pd.DataFrame,
    columns: tuple[str, ...],
    run_id: int | None,
    progress: Progress,
    period: MonthSpan | None,
) -> tuple[int, int]:
    replaced = replace(conn, Scope(name, "period", "provider_code"), frame, period)
    out = _as_dates(frame[list(columns)], ("period",)).assign(import_run_id=run_id)
    return db.bulk_insert(conn, name, out, progress), replaced


DM01_IMD_STORED = (
    "period",
    "provider_code",
    "test_code",
    "imd_quintile",
    "total_waiting",
    "waiting_6_plus",
    "waiting_13_plus",
)


def store_dm01(
    conn: Connection,
    frame: pd.DataFrame,
    run_id: int | None,
    progress: Progress = None,
    *,
    period: MonthSpan | None = None,
) -> tuple[int, int]:
    """Store DM01 provider × test rows (schema.DM01_COLUMNS), replacing each provider's months."""
    return _store_by_provider(conn, "dm01_return", frame, DM01_COLUMNS, run_id, progress, period)


def store_dm01_imd(
    conn: Connection,
    frame: pd.DataFrame,
    run_id: int | None,
    progress: Progress = None,
    *,
    period: MonthSpan | None = None,
) -> tuple[int, int]:
    """Store DM01 waiting lists by IMD quintile, replacing each provider's months.

    The 14 waiting-time bands are kept when the source gives them (the Health inequalities
    page then draws the distribution by quintile); totals alone are enough otherwise.
    """
    columns = (*DM01_IMD_STORED, *(b for b in DM01_BANDS if b in frame.columns))
    return _store_by_provider(conn, "dm01_imd", frame, columns, run_id, progress, period)


# kind -> (frame key and table, stored columns, the column whose month a row counts in)
MONTHLY_KINDS: dict[str, tuple[str, tuple[str, ...], str]] = {
    "reporting": ("reporting_event", REPORTING_EVENT_COLUMNS, "test_datetime"),
    "pathology": ("pathology_specimen", PATHOLOGY_SPECIMEN_COLUMNS, "received_datetime"),
    "appointments": ("appointment", APPOINTMENT_COLUMNS, "appointment_date"),
}


def store_monthly(
    conn: Connection,
    kind: str,
    frame: pd.DataFrame,
    run_id: int | None,
    progress: Progress = None,
    *,
    period: MonthSpan | None = None,
) -> tuple[int, int]:
    """Store reporting events, pathology specimens or appointments (``kind``), replacing the
    whole calendar months per trust that the rows cover (a row counts in the month of its test,
    receipt or appointment), or every month of ``period``."""
    name, columns, month_column = MONTHLY_KINDS[kind]
    as_date = month_column == "appointment_date"
    replaced = replace(conn, SCOPES[name], frame, period)
    out = frame[list(columns)]
    if as_date:
        out = _as_dates(out, (month_column,))
    return db.bulk_insert(conn, name, out.assign(import_run_id=run_id), progress), replaced


def store_frames(
    conn: Connection,
    kind: str,
    frames: Mapping[str, pd.DataFrame],
    run_id: int | None,
    progress: Progress = None,
    *,
    period: MonthSpan | None = None,
) -> tuple[int, int]:
    """Store a parsed file's frames by kind; returns (rows written, rows replaced).

    ``period`` (the user's ``--period``) replaces those whole months for each trust in the
    file; without it, the months the rows fall in.
    """
    if kind == "theatre":
        return store_theatre(
            conn, frames["lists"], frames["cases"], run_id, progress, period=period
        )
    if kind == "bookings":  # the plan is replaced by date range, not by month (SPEC §3)
        return store_bookings(conn, frames["theatre_booking"], run_id, progress)
    single = {
        "imaging": ("scanner_day", store_imaging),
        "endoscopy": ("endoscopy_list", store_endoscopy),
        "echo": ("echo_activity", store_echo),
    }
    if kind in single:
        key, store = single[kind]
        return store(conn, frames[key], run_id, progress, period=period)
    if kind in MONTHLY_KINDS:
        frame = frames[MONTHLY_KINDS[kind][0]]
        return store_monthly(conn, kind, frame, run_id, progress, period=period)
    if kind == "dm01":
        rows = replaced = 0
        for key, store in (("dm01", store_dm01), ("dm01_imd", store_dm01_imd)):
            if key in frames:
                written, gone = store(conn, frames[key], run_id, progress, period=period)
                rows, replaced = rows + written, replaced + gone
        return rows, replaced
    raise ValueError(f"unknown kind {kind!r}")


def store_issues(conn: Connection, issues: pd.DataFrame, run_id: int) -> None:
    """Record the data-quality counts a parser found (e.g. duplicates dropped) for this run."""
    if issues.empty:
        return
    out = _as_dates(issues, ("month",)).assign(import_run_id=run_id)
    db.bulk_insert(conn, "import_issue", out)


def start_run(conn: Connection, **fields: object) -> int:
    """Insert an ``import_run`` row and return its id."""
    result = conn.execute(insert(meta_table("import_run")).values(**fields))
    key = result.inserted_primary_key
    assert key is not None  # an INSERT of one row always has one
    return int(key[0])


def finish_run(conn: Connection, run_id: int, **fields: object) -> None:
    table = meta_table("import_run")
    conn.execute(update(table).where(table.c.id == run_id).values(**fields))
