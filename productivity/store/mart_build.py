"""Building the marts from the case-level tables, and knowing when they are stale.

Marts are rebuilt month by month (so memory stays bounded), written to ``<mart>__new`` tables and
swapped in one transaction, so a reader sees the old marts or the new ones, never half of each.
The build table records when they were built, with which thresholds, and from which data: the
*data stamp* of the loaded import runs. :func:`marts_current` compares all three with the store
now, so marts left behind by an import killed after its commit (or by a rebuild that failed) are
found, and :func:`ensure_marts` (what the CLI, the app and the worker call) rebuilds them. Metric
arithmetic lives in ``metrics/`` and ``planning/``; this module only sums, and
:mod:`~productivity.store.mart_write` (whose names it re-exports) writes. Imports no Streamlit.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager

import pandas as pd
from sqlalchemy import Connection, Engine, func, inspect, select, text
from sqlmodel import SQLModel

from productivity.benchmarks import Benchmarks, load_benchmarks
from productivity.metrics import theatre
from productivity.schema import CASE_COLUMNS, LIST_COLUMNS
from productivity.store import models
from productivity.store.attendance import build_attendance_mart
from productivity.store.db import get_engine, init_db, write_transaction
from productivity.store.mart_cases import CaseMarts
from productivity.store.mart_lookahead import mart_frame as lookahead_frame
from productivity.store.mart_tables import (
    BUILD_TABLE,
    ECHO,
    ENDOSCOPY,
    EXPECTED_PROCEDURE,
    EXPECTED_SPECIALTY,
    GAP_KEYS,
    IMAGING,
    LOOKAHEAD_LIST,
    MARTS,
    MONTH_KEYS,
    THEATRE_GAP,
    THEATRE_GAP_TRUST,
    THEATRE_LIST,
    THEATRE_MONTH,
    THEATRE_TRUST,
    THEATRE_WEEK,
    TRUST_GAP_KEYS,
    WEEK_KEYS,
    thresholds_from,
)
from productivity.store.mart_write import (
    build_inputs_text,
    index_mart as index_mart,
    insert_rows as insert_rows,
    write_build_row as write_build_row,
    write_mart as write_mart,
)
from productivity.store.theatre_report import whole_trust_rows
from productivity.store.turnaround import build_turnaround_marts

Bind = Engine | Connection


@contextmanager
def connected(bind: Bind) -> Iterator[Connection]:
    """A connection of an engine, or the caller's own (inside its transaction, so the reads
    see what the transaction wrote)."""
    if isinstance(bind, Connection):
        yield bind
    else:
        with bind.connect() as conn:
            yield conn


def _month_bounds(
    bind: Bind, trusts: Collection[str] | None = None
) -> list[tuple[dt.date, dt.date]]:
    lists_table = models.table_of(models.TheatreList)
    query = select(func.min(lists_table.c.session_date), func.max(lists_table.c.session_date))
    if trusts is not None:
        query = query.where(lists_table.c.trust_code.in_(sorted(trusts)))
    with connected(bind) as conn:
        low, high = conn.execute(query).one()
    if low is None:
        return []
    months = pd.date_range(pd.Timestamp(low).replace(day=1), pd.Timestamp(high), freq="MS")
    return [(m.date(), (m + pd.offsets.MonthBegin(1)).date()) for m in months]


def _read_theatre_month(
    bind: Bind, start: dt.date, end: dt.date, trusts: Collection[str] | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    lists_table = models.table_of(models.TheatreList)
    cases_table = models.table_of(models.TheatreCase)
    in_month = (lists_table.c.session_date >= start) & (lists_table.c.session_date < end)
    if trusts is not None:
        in_month = in_month & lists_table.c.trust_code.in_(sorted(trusts))
    list_query = select(*[lists_table.c[c] for c in LIST_COLUMNS]).where(in_month)
    case_query = (
        select(*[cases_table.c[c] for c in CASE_COLUMNS])
        .join(lists_table, lists_table.c.list_id == cases_table.c.list_id)
        .where(in_month)
    )
    with connected(bind) as conn:
        lists = pd.read_sql_query(list_query, conn)
        cases = pd.read_sql_query(case_query, conn)
    for frame, columns in (
        (lists, ("session_date", "planned_start", "planned_end")),
        (cases, ("anaesthetic_start", "into_theatre", "knife_to_skin", "out_of_theatre")),
    ):
        for column in columns:
            frame[column] = pd.to_datetime(frame[column], format="ISO8601")
    for column in ("cancelled", "cancel_clinical"):
        cases[column] = cases[column].astype(bool)
    return lists, cases


def _period_text(dates: pd.Series) -> tuple[pd.Series, pd.Series]:
    dates = pd.to_datetime(dates)
    month = dates.dt.strftime("%Y-%m")
    week = (dates - pd.to_timedelta(dates.dt.day_of_week, unit="D")).dt.strftime("%Y-%m-%d")
    return month, week


def build_theatre_marts(
    engine: Engine, benchmarks: Benchmarks
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """List-level metrics and gap histograms for every list in the store, a month at a time."""
    per_list, gaps, _ = theatre_frames(engine, benchmarks)
    return per_list, gaps


def theatre_frames(
    bind: Bind, benchmarks: Benchmarks, scope: Mapping[str, Collection[str]] | None = None
) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, pd.DataFrame]]:
    """The list mart, the gap histograms and the marts read from the cases
    (:mod:`~productivity.store.mart_cases`), from one read of each month (memory stays
    bounded by a month).

    ``scope`` (trust -> ``YYYY-MM`` months) limits them to those trusts: the list-level marts
    and day cases to those trust-months, the look-ahead history to those trusts' windows (what
    :mod:`~productivity.store.mart_refresh` swaps in after an import).
    """
    thresholds = thresholds_from(benchmarks)
    per_list_parts: list[pd.DataFrame] = []
    gap_parts: list[pd.DataFrame] = []
    trusts = None if scope is None else set(scope)
    from_cases = CaseMarts(bind, trusts)
    chunks = _month_bounds(bind, trusts)
    if scope is not None:
        # A refresh reads a few trusts: from the first month it needs (refreshed, or in a
        # look-ahead window) to the last, in one read.
        touched = {m for months in scope.values() for m in months}
        needed = [
            (start, end)
            for start, end in chunks
            if f"{start:%Y-%m}" in touched or from_cases.in_window(start, end)
        ]
        chunks = [(needed[0][0], needed[-1][1])] if needed else []
        pairs = {f"{t}|{m}" for t, months in scope.items() for m in months}
    for start, end in chunks:
        lists, cases = _read_theatre_month(bind, start, end, trusts)
        if lists.empty:
            continue
        from_cases.add_history(lists, cases)
        if scope is not None:
            key = lists["trust_code"] + "|" + lists["session_date"].dt.strftime("%Y-%m")
            lists = lists[key.isin(pairs).to_numpy()]
            cases = cases[cases["list_id"].isin(lists["list_id"]).to_numpy()]
            if lists.empty:
                continue
        per_list = theatre.list_metrics(lists, cases, thresholds)
        per_list["month"], per_list["week"] = _period_text(per_list["session_date"])
        per_list["weekday"] = pd.to_datetime(per_list["session_date"]).dt.day_name()
        per_list["session_date"] = pd.to_datetime(per_list["session_date"]).dt.strftime("%Y-%m-%d")
        gaps = theatre.case_gaps(lists, cases).merge(per_list[["list_id", *GAP_KEYS]], on="list_id")
        gap_parts.append(
            gaps.groupby([*GAP_KEYS, "gap_minutes"], as_index=False, observed=True)
            .size()
            .rename(columns={"size": "gaps"})
        )
        per_list_parts.append(
            per_list.drop(columns=["planned_start", "planned_end"]).assign(
                planned_start=per_list["planned_start"].dt.strftime("%H:%M"),
                planned_end=per_list["planned_end"].dt.strftime("%H:%M"),
            )
        )
        from_cases.add_counts(lists, cases, per_list["month"])
    # Typed, so that a mart first written empty gets numeric columns (PostgreSQL would make
    # object columns TEXT, and SUM(gaps) or a later append of numbers then fails).
    empty_gaps = pd.DataFrame(
        {**{k: pd.Series(dtype=object) for k in GAP_KEYS},
         "gap_minutes": pd.Series(dtype="float64"), "gaps": pd.Series(dtype="int64")}
    )  # fmt: skip
    if not per_list_parts:  # an empty store still gets a mart with the right columns
        per_list_parts.append(_empty_list_mart(thresholds))
    per_list_all = pd.concat(per_list_parts, ignore_index=True)
    gaps_all = pd.concat(gap_parts, ignore_index=True) if gap_parts else empty_gaps
    return per_list_all, gaps_all, from_cases.frames()


_EMPTY_TYPES = {"list_id": "int64"}  # numeric columns of an empty store's frames


def _empty_list_mart(thresholds: theatre.Thresholds) -> pd.DataFrame:
    lists = pd.DataFrame(
        {
            c: pd.Series(
                dtype=_EMPTY_TYPES.get(c, "datetime64[us]" if c.startswith("planned") else object)
            )
            for c in LIST_COLUMNS
        }
    )
    cases = pd.DataFrame({c: pd.Series(dtype=_EMPTY_TYPES.get(c, object)) for c in CASE_COLUMNS})
    for column in ("anaesthetic_start", "into_theatre", "knife_to_skin", "out_of_theatre"):
        cases[column] = cases[column].astype("datetime64[us]")
    per_list = theatre.list_metrics(lists, cases, thresholds)
    return per_list.assign(month="", week="", weekday="").astype(
        {"planned_start": str, "planned_end": str}
    )


def _read_table(bind: Bind, model: type[SQLModel], columns: Sequence[str]) -> pd.DataFrame:
    table = models.table_of(model)
    with connected(bind) as conn:
        return pd.read_sql_query(select(*[table.c[c] for c in columns]), conn)


def _with_period_text(frame: pd.DataFrame) -> pd.DataFrame:
    month, week = _period_text(frame["date"])
    return frame.assign(month=month, week=week)


def build_diagnostic_marts(engine: Bind) -> dict[str, pd.DataFrame]:
    """Scanner × week × month, and site × week × month sums for endoscopy and echo."""
    imaging = _with_period_text(
        _read_table(
            engine,
            models.ScannerDay,
            ("trust_code", "site", "scanner_id", "modality", "date", "operational_hours", "scans"),
        )
    )
    imaging_keys = ["trust_code", "site", "scanner_id", "modality", "month", "week"]
    imaging_mart = (
        imaging.assign(days=1)
        .groupby(imaging_keys, as_index=False)[["operational_hours", "scans", "days"]]
        .sum()
    )
    endoscopy = _with_period_text(
        _read_table(
            engine,
            models.EndoscopyList,
            ("trust_code", "site", "date", "planned_points", "used_points", "procedures"),
        )
    )
    site_keys = ["trust_code", "site", "month", "week"]
    endoscopy_mart = (
        endoscopy.assign(lists=1, procedures=endoscopy["procedures"].fillna(0))
        .groupby(site_keys, as_index=False)[
            ["lists", "planned_points", "used_points", "procedures"]
        ]
        .sum()
    )
    echo = _with_period_text(
        _read_table(
            engine,
            models.EchoActivity,
            ("trust_code", "site", "date", "tests", "scheduled_minutes"),
        )
    )
    echo_mart = echo.groupby(site_keys, as_index=False)[["tests", "scheduled_minutes"]].sum()
    return {IMAGING: imaging_mart, ENDOSCOPY: endoscopy_mart, ECHO: echo_mart}


def data_stamp(engine: Bind) -> str:
    """What the case-level data is now, as the loaded import runs say.

    Every write of case-level rows (an import, the demo) records a ``loaded`` import run in the
    same transaction, so the count of loaded runs and the newest one's id, file hash and finish
    time change with every commit. The hash and time matter on SQLite, which reuses the ids of
    deleted rows: a second demo replaces the first with run id 1 again. ``""`` when nothing was
    ever loaded (or before the schema).
    """
    with connected(engine) as conn:
        if not inspect(conn).has_table("import_run"):
            return ""
    run = models.table_of(models.ImportRun)
    loaded = run.c.status == "loaded"
    with connected(engine) as conn:
        count = conn.execute(select(func.count()).select_from(run).where(loaded)).scalar_one()
        newest = conn.execute(
            select(run.c.id, run.c.file_hash, run.c.finished_at)
            .where(loaded)
            .order_by(run.c.id.desc())
            .limit(1)
        ).first()
    if newest is None:
        return ""
    return f"{count} {newest.id} {newest.file_hash} {newest.finished_at}"


def theatre_marts(bind: Bind, benchmarks: Benchmarks) -> dict[str, pd.DataFrame]:
    """Every mart read from the theatre lists and cases, by name."""
    per_list, gaps, from_cases = theatre_frames(bind, benchmarks)
    trust_gaps = gaps.groupby([*TRUST_GAP_KEYS, "gap_minutes"], as_index=False)[["gaps"]].sum()
    target = benchmarks.value("theatre_capped_utilisation")
    sums, trust_gaps = theatre.sum_lists(per_list, MONTH_KEYS), trust_gaps.astype({"gaps": "int64"})
    medians = (from_cases[EXPECTED_PROCEDURE], from_cases[EXPECTED_SPECIALTY])
    with connected(bind) as conn:
        booked = lookahead_frame(conn, medians)  # the bookings with the medians just built
    return {
        THEATRE_LIST: per_list,
        THEATRE_GAP: gaps,
        **from_cases,
        LOOKAHEAD_LIST: booked,
        THEATRE_MONTH: sums,
        THEATRE_WEEK: theatre.sum_lists(per_list, WEEK_KEYS),
        THEATRE_GAP_TRUST: trust_gaps,
        THEATRE_TRUST: whole_trust_rows(sums, trust_gaps, per_list, target),
    }


def rebuild_marts(
    engine: Engine | None = None, benchmarks: Benchmarks | None = None
) -> dict[str, int]:
    """Rebuild every mart from the store and swap them in atomically. Returns rows per mart."""
    engine = engine or get_engine()
    benchmarks = benchmarks or load_benchmarks()
    # Stamped before reading: an import committed (or the map edited) while the marts are built
    # leaves them older than the data, so the next check rebuilds them, rather than marking them
    # current. The map is read anew, as a long-running app or worker keeps the one it first read.
    stamp, inputs = data_stamp(engine), build_inputs_text(benchmarks)
    from productivity.ingest.checks import specialty_names  # the ingest package imports marts

    specialty_names.cache_clear()
    frames = {
        **theatre_marts(engine, benchmarks),
        **build_diagnostic_marts(engine),
        **build_turnaround_marts(engine, benchmarks),
        **build_attendance_mart(engine),
    }
    with write_transaction(engine) as conn:
        for name, frame in frames.items():
            conn.execute(text(f'DROP TABLE IF EXISTS "{name}__new"'))
            write_mart(conn, f"{name}__new", frame)
        existing = set(inspect(conn).get_table_names())
        for name, frame in frames.items():
            if name in existing:
                conn.execute(text(f'DROP TABLE "{name}"'))
            conn.execute(text(f'ALTER TABLE "{name}__new" RENAME TO "{name}"'))
            index_mart(conn, name, frame)
        write_build_row(conn, benchmarks, stamp, inputs)
    return {name: len(frame) for name, frame in frames.items()}


def marts_exist(engine: Bind | None = None) -> bool:
    """True when every mart table exists (whatever it was built from)."""
    with connected(engine or get_engine()) as conn:
        names = set(inspect(conn).get_table_names())
    return all(m in names for m in MARTS)


def marts_current(engine: Bind | None = None) -> bool:
    """True when the marts are what a rebuild now would write.

    Every mart exists with the columns this version of the code writes, the flags were counted
    with the thresholds in force and unmapped specialties with the specialty map now
    (:func:`~productivity.store.mart_write.build_inputs_text`), and the marts hold the data in
    the store now (their data stamp is :func:`data_stamp`). A store built by an older version
    keeps its data but gets its marts rebuilt; so does a store whose last import committed and
    never got its marts.
    """
    engine = engine or get_engine()
    if not marts_exist(engine):
        return False
    with connected(engine) as conn:
        columns = {c["name"] for c in inspect(conn).get_columns(THEATRE_LIST)}
    if not (set(theatre.SUM_COLUMNS) <= columns and set(theatre.FLAG_COLUMNS) <= columns):
        return False
    with connected(engine) as conn:
        if not inspect(conn).has_table(BUILD_TABLE):
            return False
        names = {c["name"] for c in inspect(conn).get_columns(BUILD_TABLE)}
        if not {"thresholds", "data_stamp"} <= names:
            return False
        used, built_from = conn.execute(
            text(f'SELECT max(thresholds), max(data_stamp) FROM "{BUILD_TABLE}"')
        ).one()
    # Flags were counted with the thresholds in force at the build, and unmapped specialties
    # with the specialty map then; a changed benchmark file (e.g. a local override) or map
    # needs a rebuild.
    if used != build_inputs_text(load_benchmarks()):
        return False
    return bool(built_from == data_stamp(engine))


def ensure_marts(engine: Engine | None = None) -> bool:
    """Create the schema if needed, and rebuild the marts unless :func:`marts_current`.

    The one entry point before reading marts (the CLI's ``report`` and ``pack``, the app's
    engine, the worker's scans). Returns True when it rebuilt them.
    """
    engine = init_db(engine or get_engine())
    if marts_current(engine):
        return False
    rebuild_marts(engine)
    return True
