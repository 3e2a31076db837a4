"""The one write path into the store's case-level tables: replace whole trust-months, then insert.

Every function takes an open connection inside the caller's transaction (see
:func:`productivity.store.db.write_transaction`) and never commits, so a file is all-or-nothing. A
corrected file replaces, per trust (DM01: per provider), the whole calendar months it covers
(SPEC §3): the months its rows fall in, or every month of the ``period`` the user named. Never a
date range: one mistyped date must not take the months between with it. :data:`SCOPES` says
which table, date and key each frame replaces by; :func:`month_changes` counts, before the
write, the rows each trust-month loses and gains, for the import report. Each store function
returns ``(rows written, rows replaced)``. The demo loader calls these directly with synthetic
frames. SQL is SQLAlchemy Core with bound parameters.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import (
    ColumnElement,
    Connection,
    Table,
    and_,
    case as when,
    delete,
    exists,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlmodel import SQLModel

from productivity.ingest.months import MonthSpan, month_starts
from productivity.schema import (
    CASE_COLUMNS,
    DM01_BANDS,
    DM01_COLUMNS,
    ECHO_COLUMNS,
    ENDOSCOPY_COLUMNS,
    LIST_COLUMNS,
)
from productivity.store import db

Progress = Callable[[float], None] | None


@dataclass(frozen=True)
class Scope:
    """What a parsed frame replaces: rows of ``table`` with the same ``key`` in the same months
    of ``date``."""

    table: str
    date: str
    key: str = "trust_code"


# Frame name (ParsedFile.frames) -> what it replaces. A new kind adds its frame here.
SCOPES: dict[str, Scope] = {
    "lists": Scope("theatre_list", "session_date"),
    "scanner_day": Scope("scanner_day", "date"),
    "endoscopy_list": Scope("endoscopy_list", "date"),
    "echo_activity": Scope("echo_activity", "date"),
    "dm01": Scope("dm01_return", "period", "provider_code"),
    "dm01_imd": Scope("dm01_imd", "period", "provider_code"),
}


@dataclass(frozen=True)
class MonthChange:
    """One trust-month a file touches: rows the store held for it (lost) and rows it now holds."""

    trust_code: str
    month: dt.date
    lost: int
    gained: int

    def __str__(self) -> str:
        return f"{self.trust_code} {self.month:%Y-%m} (lost {self.lost:,}, gained {self.gained:,})"


def meta_table(name: str) -> Table:
    from productivity.store import models  # noqa: F401  (registers the tables)

    return SQLModel.metadata.tables[name]


def _as_dates(frame: pd.DataFrame, columns: tuple[str, ...]) -> pd.DataFrame:
    out = frame.copy()
    for column in columns:
        out[column] = pd.to_datetime(out[column]).dt.date
    return out


def trust_months(
    frame: pd.DataFrame, date: str, key: str = "trust_code", period: MonthSpan | None = None
) -> dict[str, list[MonthSpan]]:
    """Per key (trust), the runs of whole months to replace: ``period`` when the user named
    one, else the months the frame's rows fall in."""
    if frame.empty:
        return {}
    if period is not None:
        return {str(k): [period] for k in sorted(frame[key].unique())}
    months = pd.DataFrame({"key": frame[key].astype("str"), "month": month_starts(frame[date])})
    spans: dict[str, list[MonthSpan]] = {}
    for k, group in months.dropna().drop_duplicates().groupby("key", sort=True):
        starts = group["month"].sort_values()
        run = (starts.dt.to_period("M").diff().map(lambda d: getattr(d, "n", 0)) != 1).cumsum()
        spans[str(k)] = [
            MonthSpan(days.min().date(), days.max().date()) for _, days in starts.groupby(run)
        ]
    return spans


def _in_scope(
    table: Table, scope: Scope, spans: Mapping[str, list[MonthSpan]]
) -> ColumnElement[bool]:
    """The rows of ``table`` in those trusts' months (keys sharing their months are grouped)."""
    by_spans: dict[tuple[MonthSpan, ...], list[str]] = defaultdict(list)
    for key, key_spans in spans.items():
        by_spans[tuple(key_spans)].append(key)
    clauses = [
        and_(
            table.c[scope.key].in_(sorted(keys)),
            or_(*(table.c[scope.date].between(s.first, s.end) for s in key_spans)),
        )
        for key_spans, keys in by_spans.items()
    ]
    return or_(*clauses)


def _replace(conn: Connection, scope: Scope, frame: pd.DataFrame, period: MonthSpan | None) -> int:
    spans = trust_months(frame, scope.date, scope.key, period)
    if not spans:
        return 0
    table = meta_table(scope.table)
    return conn.execute(delete(table).where(_in_scope(table, scope, spans))).rowcount or 0


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
        in_scope = _in_scope(lst, SCOPES["lists"], spans)
        no_case = ~exists().where(case.c.list_id == lst.c.list_id)
        unused = conn.execute(select(func.count()).where(in_scope, no_case)).scalar_one()
        scope_ids = select(lst.c.list_id).where(in_scope)
        replaced = unused + (
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
    period: MonthSpan | None = None,
    date: str = "date",
) -> tuple[int, int]:
    """Replace the trust-months of ``frame`` in table ``name`` and insert it."""
    replaced = _replace(conn, Scope(name, date), frame, period)
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


def _store_by_provider(
    conn: Connection,
    name: str,
    frame: pd.DataFrame,
    columns: tuple[str, ...],
    run_id: int | None,
    progress: Progress,
    period: MonthSpan | None,
) -> tuple[int, int]:
    replaced = _replace(conn, Scope(name, "period", "provider_code"), frame, period)
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
    single = {
        "imaging": ("scanner_day", store_imaging),
        "endoscopy": ("endoscopy_list", store_endoscopy),
        "echo": ("echo_activity", store_echo),
    }
    if kind in single:
        key, store = single[kind]
        return store(conn, frames[key], run_id, progress, period=period)
    if kind == "dm01":
        rows = replaced = 0
        for key, store in (("dm01", store_dm01), ("dm01_imd", store_dm01_imd)):
            if key in frames:
                written, gone = store(conn, frames[key], run_id, progress, period=period)
                rows, replaced = rows + written, replaced + gone
        return rows, replaced
    raise ValueError(f"unknown kind {kind!r}")


def month_changes(
    conn: Connection, frames: Mapping[str, pd.DataFrame], period: MonthSpan | None = None
) -> list[MonthChange]:
    """Every trust-month a file's frames touch: the rows the store holds for it now (lost when
    the file is stored) and the rows the file brings (gained), counted as
    :func:`store_frames` counts them (theatre: a case, or a list with no case)."""
    lost: dict[tuple[str, dt.date], int] = defaultdict(int)
    gained: dict[tuple[str, dt.date], int] = defaultdict(int)
    for name, scope in SCOPES.items():
        frame = frames.get(name)
        if frame is None or frame.empty:
            continue
        weights = _theatre_weights(frames) if name == "lists" else None
        for key, month, count in _month_counts(frame, scope, weights):
            gained[key, month] += count
        spans = trust_months(frame, scope.date, scope.key, period)
        for key, month, count in _stored_counts(conn, scope, spans):
            lost[key, month] += count
    return [
        MonthChange(key, month, lost.get((key, month), 0), gained.get((key, month), 0))
        for key, month in sorted(set(lost) | set(gained))
    ]


def _theatre_weights(frames: Mapping[str, pd.DataFrame]) -> pd.Series:
    """Extract rows per list: its cases, or 1 for a list with none."""
    cases = frames["cases"]["list_id"].value_counts()
    return frames["lists"]["list_id"].map(cases).fillna(1).astype("int64")


def _month_counts(
    frame: pd.DataFrame, scope: Scope, weights: pd.Series | None
) -> list[tuple[str, dt.date, int]]:
    rows = pd.DataFrame(
        {
            "key": frame[scope.key].astype("str"),
            "month": month_starts(frame[scope.date]).dt.date,
            "n": 1 if weights is None else weights.to_numpy(),
        }
    )
    summed = rows.groupby(["key", "month"], sort=True, as_index=False)["n"].sum()
    return [(str(k), m, int(n)) for k, m, n in summed.itertuples(index=False)]


def _stored_counts(
    conn: Connection, scope: Scope, spans: Mapping[str, Sequence[MonthSpan]]
) -> list[tuple[str, dt.date, int]]:
    """Rows the store holds per key and month within ``spans`` (theatre: extract rows)."""
    if not spans:
        return []
    table = meta_table(scope.table)
    where = _in_scope(table, scope, {k: list(v) for k, v in spans.items()})
    if scope.table == "theatre_list":
        case = meta_table("theatre_case")
        cases = (
            select(func.count())
            .where(case.c.list_id == table.c.list_id)
            .correlate(table)
            .scalar_subquery()
        )
        # A list with no case is one extract row (an unused session); GREATEST is not SQLite.
        rows = when((cases > 0, cases), else_=1)
        query = select(table.c[scope.key], table.c[scope.date], rows).where(where)
    else:
        query = (
            select(table.c[scope.key], table.c[scope.date], func.count())
            .where(where)
            .group_by(table.c[scope.key], table.c[scope.date])
        )
    found = pd.DataFrame(conn.execute(query).all(), columns=["key", "date", "n"])
    if found.empty:
        return []
    found["month"] = month_starts(found["date"]).dt.date
    summed = found.groupby(["key", "month"], sort=True, as_index=False)["n"].sum()
    return [(str(k), m, int(n)) for k, m, n in summed.itertuples(index=False)]


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
