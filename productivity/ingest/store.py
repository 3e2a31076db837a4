"""The one write path into the store's case-level tables: replace by trust and period, then insert.

Every function takes an open connection inside the caller's transaction (see
:func:`productivity.store.db.write_transaction`) and never commits, so a file is all-or-nothing. A
corrected file replaces what the store holds for the same trust over the file's date range (DM01:
the same period and provider); each function returns ``(rows written, rows replaced)``. The demo
loader calls these directly with synthetic frames. SQL is SQLAlchemy Core with bound parameters.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping

import pandas as pd
from sqlalchemy import Connection, Table, and_, delete, exists, func, insert, select, update
from sqlmodel import SQLModel

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


def meta_table(name: str) -> Table:
    from productivity.store import models  # noqa: F401  (registers the tables)

    return SQLModel.metadata.tables[name]


def _as_dates(frame: pd.DataFrame, columns: tuple[str, ...]) -> pd.DataFrame:
    out = frame.copy()
    for column in columns:
        out[column] = pd.to_datetime(out[column]).dt.date
    return out


def _trust_ranges(frame: pd.DataFrame, date_column: str) -> list[tuple[str, dt.date, dt.date]]:
    if frame.empty:
        return []
    dates = pd.to_datetime(frame[date_column])
    spans = dates.groupby(frame["trust_code"]).agg(["min", "max"])
    return [(str(t), lo.date(), hi.date()) for t, lo, hi in spans.itertuples()]


def _replace_by_trust(conn: Connection, name: str, frame: pd.DataFrame, date_column: str) -> int:
    table = meta_table(name)
    replaced = 0
    for trust, lo, hi in _trust_ranges(frame, date_column):
        result = conn.execute(
            delete(table).where(table.c.trust_code == trust, table.c[date_column].between(lo, hi))
        )
        replaced += result.rowcount or 0
    return replaced


def store_theatre(
    conn: Connection,
    lists: pd.DataFrame,
    cases: pd.DataFrame,
    run_id: int | None,
    progress: Progress = None,
) -> tuple[int, int]:
    """Store normalised theatre ``lists`` and ``cases`` (schema.LIST_COLUMNS / CASE_COLUMNS).

    List ids are reassigned after the store's highest one; cases follow their list. Rows counts
    are extract rows: one per case plus one per list with no case.
    """
    lst, case = meta_table("theatre_list"), meta_table("theatre_case")
    replaced = 0
    for trust, lo, hi in _trust_ranges(lists, "session_date"):
        in_scope = and_(lst.c.trust_code == trust, lst.c.session_date.between(lo, hi))
        no_case = ~exists().where(case.c.list_id == lst.c.list_id)
        unused = conn.execute(select(func.count()).where(in_scope, no_case)).scalar_one()
        scope_ids = select(lst.c.list_id).where(in_scope)
        replaced += unused + (
            conn.execute(delete(case).where(case.c.list_id.in_(scope_ids))).rowcount or 0
        )
        conn.execute(delete(lst).where(in_scope))
    offset = conn.execute(select(func.coalesce(func.max(lst.c.list_id), 0))).scalar_one()
    new_id = {old: offset + i + 1 for i, old in enumerate(lists["list_id"])}
    lists_out = _as_dates(lists[list(LIST_COLUMNS)], ("session_date",)).assign(
        list_id=lists["list_id"].map(new_id).to_numpy(), import_run_id=run_id
    )
    cases_out = cases[list(CASE_COLUMNS)].assign(list_id=cases["list_id"].map(new_id))
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
) -> tuple[int, int]:
    replaced = _replace_by_trust(conn, name, frame, "date")
    out = _as_dates(frame[list(columns)], ("date",)).assign(import_run_id=run_id)
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
    conn: Connection, frame: pd.DataFrame, run_id: int | None, progress: Progress = None
) -> tuple[int, int]:
    """Store scanner-day rows (schema.IMAGING_COLUMNS), replacing each trust's date range."""
    return _store_dated(conn, "scanner_day", frame, IMAGING_STORED, run_id, progress)


def store_endoscopy(
    conn: Connection, frame: pd.DataFrame, run_id: int | None, progress: Progress = None
) -> tuple[int, int]:
    """Store endoscopy list rows (schema.ENDOSCOPY_COLUMNS), replacing each trust's date range."""
    return _store_dated(conn, "endoscopy_list", frame, ENDOSCOPY_STORED, run_id, progress)


def store_echo(
    conn: Connection, frame: pd.DataFrame, run_id: int | None, progress: Progress = None
) -> tuple[int, int]:
    """Store echo activity rows (schema.ECHO_COLUMNS), replacing each trust's date range."""
    return _store_dated(conn, "echo_activity", frame, ECHO_STORED, run_id, progress)


def store_bookings(
    conn: Connection, frame: pd.DataFrame, run_id: int | None, progress: Progress = None
) -> tuple[int, int]:
    """Store theatre bookings (schema.BOOKING_COLUMNS); a newer file replaces each trust's
    bookings over the dates it covers (the 6-4-2 look-ahead reads the latest plan)."""
    replaced = _replace_by_trust(conn, "theatre_booking", frame, "session_date")
    out = _as_dates(frame[list(BOOKING_COLUMNS)], ("session_date",)).assign(import_run_id=run_id)
    return db.bulk_insert(conn, "theatre_booking", out, progress), replaced


def _store_by_provider(
    conn: Connection,
    name: str,
    frame: pd.DataFrame,
    columns: tuple[str, ...],
    run_id: int | None,
    progress: Progress,
) -> tuple[int, int]:
    table = meta_table(name)
    out = _as_dates(frame[list(columns)], ("period",))
    replaced = 0
    for period, group in out.groupby("period", sort=True):
        codes = sorted(group["provider_code"].unique().tolist())
        result = conn.execute(
            delete(table).where(table.c.period == period, table.c.provider_code.in_(codes))
        )
        replaced += result.rowcount or 0
    return db.bulk_insert(conn, name, out.assign(import_run_id=run_id), progress), replaced


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
    conn: Connection, frame: pd.DataFrame, run_id: int | None, progress: Progress = None
) -> tuple[int, int]:
    """Store DM01 provider × test rows (schema.DM01_COLUMNS), replacing each period × provider."""
    return _store_by_provider(conn, "dm01_return", frame, DM01_COLUMNS, run_id, progress)


def store_dm01_imd(
    conn: Connection, frame: pd.DataFrame, run_id: int | None, progress: Progress = None
) -> tuple[int, int]:
    """Store DM01 waiting lists by IMD quintile, replacing each period × provider.

    The 14 waiting-time bands are kept when the source gives them (the Health inequalities
    page then draws the distribution by quintile); totals alone are enough otherwise.
    """
    columns = (*DM01_IMD_STORED, *(b for b in DM01_BANDS if b in frame.columns))
    return _store_by_provider(conn, "dm01_imd", frame, columns, run_id, progress)


def _trust_months(frame: pd.DataFrame, column: str) -> list[tuple[str, dt.datetime, dt.datetime]]:
    """Each (trust, calendar month) the rows of ``frame`` fall in: [first day, next first day)."""
    if frame.empty:
        return []
    month = pd.to_datetime(frame[column]).dt.to_period("M")
    pairs = pd.DataFrame({"trust": frame["trust_code"], "month": month}).drop_duplicates()
    return [
        (str(t), m.start_time.to_pydatetime(), (m + 1).start_time.to_pydatetime())
        for t, m in pairs.sort_values(["trust", "month"]).itertuples(index=False)
    ]


def _replace_trust_months(
    conn: Connection, name: str, frame: pd.DataFrame, column: str, as_date: bool = False
) -> int:
    """Delete the stored rows of every whole calendar month, per trust, that ``frame`` covers
    (SPEC §3: a corrected file replaces those trust-months). Returns the rows deleted."""
    table = meta_table(name)
    replaced = 0
    for trust, start, end in _trust_months(frame, column):
        low, high = (start.date(), end.date()) if as_date else (start, end)
        in_month = and_(table.c.trust_code == trust, table.c[column] >= low, table.c[column] < high)
        replaced += conn.execute(delete(table).where(in_month)).rowcount or 0
    return replaced


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
) -> tuple[int, int]:
    """Store reporting events, pathology specimens or appointments (``kind``), replacing the
    whole calendar months per trust that the rows cover (a row counts in the month of its test,
    receipt or appointment)."""
    name, columns, month_column = MONTHLY_KINDS[kind]
    as_date = month_column == "appointment_date"
    replaced = _replace_trust_months(conn, name, frame, month_column, as_date)
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
) -> tuple[int, int]:
    """Store a parsed file's frames by kind; returns (rows written, rows replaced)."""
    if kind == "theatre":
        return store_theatre(conn, frames["lists"], frames["cases"], run_id, progress)
    single = {
        "imaging": ("scanner_day", store_imaging),
        "endoscopy": ("endoscopy_list", store_endoscopy),
        "echo": ("echo_activity", store_echo),
        "bookings": ("theatre_booking", store_bookings),
    }
    if kind in single:
        key, store = single[kind]
        return store(conn, frames[key], run_id, progress)
    if kind in MONTHLY_KINDS:
        return store_monthly(conn, kind, frames[MONTHLY_KINDS[kind][0]], run_id, progress)
    if kind == "dm01":
        rows = replaced = 0
        for key, store in (("dm01", store_dm01), ("dm01_imd", store_dm01_imd)):
            if key in frames:
                written, gone = store(conn, frames[key], run_id, progress)
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
    return int(result.inserted_primary_key[0])


def finish_run(conn: Connection, run_id: int, **fields: object) -> None:
    table = meta_table("import_run")
    conn.execute(update(table).where(table.c.id == run_id).values(**fields))
