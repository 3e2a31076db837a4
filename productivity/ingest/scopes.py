"""What a corrected file replaces: whole trust-months (SPEC §3), and the report of each one.

:data:`SCOPES` says, for each parsed frame, which table, date and key it replaces by;
:func:`replace` deletes the stored rows of the file's trust-months (or of every month of the
user's ``--period``), never a date range, so one mistyped date cannot take the months between
with it; :func:`month_changes` counts, before the write, the rows each trust-month loses and
gains, for the import report. A bookings plan is the one exception SPEC §3 makes: it replaces
the dates it covers (:func:`replace_date_range`). Takes an open connection in the caller's
transaction and never commits. SQL is SQLAlchemy Core with bound parameters.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import (
    ColumnElement,
    Connection,
    DateTime,
    Table,
    and_,
    case as when,
    delete,
    func,
    or_,
    select,
)
from sqlmodel import SQLModel

from productivity.ingest.months import MonthSpan, month_starts


@dataclass(frozen=True)
class Scope:
    """What a parsed frame replaces: rows of ``table`` with the same ``key`` in the same months
    of ``date`` (a date or date-time column). ``by_month=False`` is the bookings plan, which SPEC
    §3 replaces over the file's date range instead; its dates are still checked for strays."""

    table: str
    date: str
    key: str = "trust_code"
    by_month: bool = True


# Frame name (ParsedFile.frames) -> what it replaces. A new kind adds its frame here.
SCOPES: dict[str, Scope] = {
    "lists": Scope("theatre_list", "session_date"),
    "scanner_day": Scope("scanner_day", "date"),
    "endoscopy_list": Scope("endoscopy_list", "date"),
    "echo_activity": Scope("echo_activity", "date"),
    "dm01": Scope("dm01_return", "period", "provider_code"),
    "dm01_imd": Scope("dm01_imd", "period", "provider_code"),
    # A reporting event counts in the month of its test, a specimen in that of its receipt.
    "reporting_event": Scope("reporting_event", "test_datetime"),
    "pathology_specimen": Scope("pathology_specimen", "received_datetime"),
    "appointment": Scope("appointment", "appointment_date"),
    "theatre_booking": Scope("theatre_booking", "session_date", by_month=False),
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


def in_scope(
    table: Table, scope: Scope, spans: Mapping[str, list[MonthSpan]]
) -> ColumnElement[bool]:
    """The rows of ``table`` in those trusts' months (keys sharing their months are grouped)."""
    by_spans: dict[tuple[MonthSpan, ...], list[str]] = defaultdict(list)
    for key, key_spans in spans.items():
        by_spans[tuple(key_spans)].append(key)
    column = table.c[scope.date]
    # [first day, the day after the last): a date-time on the last day is in, whatever its time.
    timed = isinstance(column.type, DateTime)

    def bound(day: dt.date) -> dt.date | dt.datetime:
        return dt.datetime.combine(day, dt.time()) if timed else day

    clauses = [
        and_(
            table.c[scope.key].in_(sorted(keys)),
            or_(
                *(
                    and_(column >= bound(s.first), column < bound(s.end + dt.timedelta(days=1)))
                    for s in key_spans
                )
            ),
        )
        for key_spans, keys in by_spans.items()
    ]
    return or_(*clauses)


def replace(
    conn: Connection, scope: Scope, frame: pd.DataFrame, period: MonthSpan | None = None
) -> int:
    spans = trust_months(frame, scope.date, scope.key, period)
    if not spans:
        return 0
    table = meta_table(scope.table)
    return conn.execute(delete(table).where(in_scope(table, scope, spans))).rowcount or 0


def replace_date_range(conn: Connection, scope: Scope, frame: pd.DataFrame) -> int:
    """Delete each trust's rows between the frame's first and last date (bookings only)."""
    if frame.empty:
        return 0
    table = meta_table(scope.table)
    dates = pd.to_datetime(frame[scope.date])
    spans = dates.groupby(frame[scope.key]).agg(["min", "max"])
    replaced = 0
    for key, lo, hi in spans.itertuples():
        in_range = table.c[scope.date].between(lo.date(), hi.date())
        replaced += conn.execute(delete(table).where(table.c[scope.key] == key, in_range)).rowcount
    return replaced


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
        if frame is None or frame.empty or not scope.by_month:
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
    where = in_scope(table, scope, {k: list(v) for k, v in spans.items()})
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
