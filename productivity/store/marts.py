"""Precomputed aggregates ("marts") that pages and ``report`` read, and their readers.

Example::

    rebuild_marts(engine)                                   # after an import, and nightly
    theatre_report(engine, by="trust")                      # the CLI report's rows

Marts are rebuilt from the case-level tables month by month (so memory stays bounded), written
to ``<mart>__new`` tables and swapped in one transaction, so a reader sees the old marts or the
new ones, never half of each. Period columns are ISO text (``month`` = ``YYYY-MM``, ``week`` =
the Monday's date), which compares the same way on SQLite and PostgreSQL. Metric arithmetic
lives in ``metrics/`` and ``opportunity``; this module only sums, stores and reads.
"""

from __future__ import annotations

import datetime as dt
import functools
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd
from sqlalchemy import Connection, Engine, inspect, select, text

from productivity.benchmarks import Benchmarks, load_benchmarks
from productivity.metrics import theatre
from productivity.planning import opportunity
from productivity.schema import CASE_COLUMNS, LIST_COLUMNS
from productivity.store import models
from productivity.store.attendance import ATTENDANCE, build_attendance_mart
from productivity.store.db import get_engine, init_db, write_transaction
from productivity.store.turnaround import (
    TURNAROUND_MARTS,
    build_turnaround_marts,
    measures_from,
)

THEATRE_LIST = "mart_theatre_list"
THEATRE_GAP = "mart_theatre_gap"
IMAGING = "mart_imaging"
ENDOSCOPY = "mart_endoscopy"
ECHO = "mart_echo"
THEATRE_MONTH = "mart_theatre_month"  # sums per trust, site, theatre, specialty and month
THEATRE_WEEK = "mart_theatre_week"  # sums per trust, specialty and week (SPC, trends)
THEATRE_GAP_TRUST = "mart_theatre_gap_trust"  # gap histogram per trust, specialty and month
MARTS = (
    THEATRE_LIST,
    THEATRE_GAP,
    THEATRE_MONTH,
    THEATRE_WEEK,
    THEATRE_GAP_TRUST,
    IMAGING,
    ENDOSCOPY,
    ECHO,
    *TURNAROUND_MARTS,  # reporting and pathology turnaround (store/turnaround.py)
    ATTENDANCE,  # appointments and DNAs (store/attendance.py)
)
MONTH_KEYS = ("trust_code", "site", "theatre", "specialty", "month")
WEEK_KEYS = ("trust_code", "specialty", "month", "week")
TRUST_GAP_KEYS = ("trust_code", "specialty", "month")
# What the opportunity needs from each list (pooled and realisable depend on the period).
OPPORTUNITY_COLUMNS = (
    "trust_code",
    "specialty",
    "planned_minutes",
    "capped_touch_minutes",
    "completed_cases",
    "case_touch_minutes",
)
BUILD_TABLE = "mart_build"
# Mart reads kept in this process, keyed by the build stamp (pages and reports re-read the
# same period many times per render; the list mart is the expensive one at region scale).
READ_CACHE_SIZE = 16
GAP_KEYS = ("trust_code", "site", "theatre", "specialty", "month")
# --by for the theatre report -> group keys (a theatre is named within its trust and site).
THEATRE_LEVELS: dict[str, tuple[str, ...]] = {
    "trust": ("trust_code",),
    "site": ("trust_code", "site"),
    "theatre": ("trust_code", "site", "theatre"),
    "specialty": ("specialty",),
    "month": ("month",),
    "system": (),
}
THEATRE_REPORT_COLUMNS: tuple[str, ...] = (
    "lists",
    "planned_minutes",
    "capped_touch_minutes",
    "uncapped_touch_minutes",
    "capped_utilisation",
    "uncapped_utilisation",
    "late_start_share",
    "mean_late_start_minutes",
    "early_finish_share",
    "median_gap_minutes",
    "completed_cases",
    "cases_per_list",
    "otd_cancellation_rate",
    "pooled_additional_cases",
    "realisable_additional_cases",
)


@dataclass(frozen=True)
class Period:
    """An inclusive month range, ``YYYY-MM`` each end; ``None`` leaves that end open."""

    start: str | None = None
    end: str | None = None

    def dates(self) -> tuple[dt.date | None, dt.date | None]:
        """The first day of the start month and the last day of the end month."""
        start = dt.date.fromisoformat(f"{self.start}-01") if self.start else None
        end = None
        if self.end:
            end = (pd.Timestamp(f"{self.end}-01") + pd.offsets.MonthEnd(0)).date()
        return start, end

    def where(self, column: str = "month") -> tuple[str, dict[str, str]]:
        clauses, params = [], {}
        if self.start:
            clauses.append(f"{column} >= :period_start")
            params["period_start"] = self.start
        if self.end:
            clauses.append(f"{column} <= :period_end")
            params["period_end"] = self.end
        return (" AND ".join(clauses) or "1=1"), params


def _month_bounds(engine: Engine) -> list[tuple[dt.date, dt.date]]:
    with engine.connect() as conn:
        low, high = conn.execute(
            select(
                models.TheatreList.__table__.c.session_date.label("low"),
                models.TheatreList.__table__.c.session_date.label("high"),
            )
            .with_only_columns(text("min(session_date)"), text("max(session_date)"))
            .select_from(models.TheatreList.__table__)
        ).one()
    if low is None:
        return []
    low, high = pd.Timestamp(low), pd.Timestamp(high)
    months = pd.date_range(low.replace(day=1), high, freq="MS")
    return [(m.date(), (m + pd.offsets.MonthBegin(1)).date()) for m in months]


def _read_theatre_month(engine: Engine, start: dt.date, end: dt.date) -> tuple[pd.DataFrame, ...]:
    lists_table = models.TheatreList.__table__
    cases_table = models.TheatreCase.__table__
    in_month = (lists_table.c.session_date >= start) & (lists_table.c.session_date < end)
    list_query = select(*[lists_table.c[c] for c in LIST_COLUMNS]).where(in_month)
    case_query = (
        select(*[cases_table.c[c] for c in CASE_COLUMNS])
        .join(lists_table, lists_table.c.list_id == cases_table.c.list_id)
        .where(in_month)
    )
    with engine.connect() as conn:
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


def thresholds_from(benchmarks: Benchmarks) -> theatre.Thresholds:
    """The late-start, early-finish and overrun thresholds in the benchmark file."""
    return theatre.Thresholds(
        late_start_minutes=benchmarks.value("late_start_minutes"),
        early_finish_minutes=benchmarks.value("early_finish_minutes"),
        overrun_minutes=benchmarks.value("overrun_minutes"),
    )


def build_theatre_marts(
    engine: Engine, benchmarks: Benchmarks
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """List-level metrics and gap histograms for every list in the store, a month at a time."""
    thresholds = thresholds_from(benchmarks)
    per_list_parts, gap_parts = [], []
    for start, end in _month_bounds(engine):
        lists, cases = _read_theatre_month(engine, start, end)
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
    empty_gaps = pd.DataFrame(columns=[*GAP_KEYS, "gap_minutes", "gaps"])
    if not per_list_parts:  # an empty store still gets a mart with the right columns
        per_list_parts.append(_empty_list_mart(thresholds))
    per_list_all = pd.concat(per_list_parts, ignore_index=True)
    gaps_all = pd.concat(gap_parts, ignore_index=True) if gap_parts else empty_gaps
    return per_list_all, gaps_all


def _empty_list_mart(thresholds: theatre.Thresholds) -> pd.DataFrame:
    lists = pd.DataFrame(
        {
            c: pd.Series(dtype="datetime64[us]" if c.startswith("planned") else object)
            for c in LIST_COLUMNS
        }
    )
    cases = pd.DataFrame({c: pd.Series(dtype=object) for c in CASE_COLUMNS})
    for column in ("anaesthetic_start", "into_theatre", "knife_to_skin", "out_of_theatre"):
        cases[column] = cases[column].astype("datetime64[us]")
    per_list = theatre.list_metrics(lists, cases, thresholds)
    return per_list.assign(month="", week="", weekday="").astype(
        {"planned_start": str, "planned_end": str}
    )


def _read_table(engine: Engine, table: str, columns: Sequence[str]) -> pd.DataFrame:
    meta = models.SQLModel.metadata.tables[table]
    with engine.connect() as conn:
        return pd.read_sql_query(select(*[meta.c[c] for c in columns]), conn)


def _with_period_text(frame: pd.DataFrame) -> pd.DataFrame:
    month, week = _period_text(frame["date"])
    return frame.assign(month=month, week=week)


def build_diagnostic_marts(engine: Engine) -> dict[str, pd.DataFrame]:
    """Scanner × week × month, and site × week × month sums for endoscopy and echo."""
    imaging = _with_period_text(
        _read_table(
            engine,
            "scanner_day",
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
            "endoscopy_list",
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
            engine, "echo_activity", ("trust_code", "site", "date", "tests", "scheduled_minutes")
        )
    )
    echo_mart = echo.groupby(site_keys, as_index=False)[["tests", "scheduled_minutes"]].sum()
    return {IMAGING: imaging_mart, ENDOSCOPY: endoscopy_mart, ECHO: echo_mart}


def rebuild_marts(
    engine: Engine | None = None, benchmarks: Benchmarks | None = None
) -> dict[str, int]:
    """Rebuild every mart from the store and swap them in atomically. Returns rows per mart."""
    engine = engine or get_engine()
    benchmarks = benchmarks or load_benchmarks()
    per_list, gaps = build_theatre_marts(engine, benchmarks)
    trust_gaps = gaps.groupby([*TRUST_GAP_KEYS, "gap_minutes"], as_index=False)["gaps"].sum()
    frames = {
        THEATRE_LIST: per_list,
        THEATRE_GAP: gaps,
        THEATRE_MONTH: theatre.sum_lists(per_list, MONTH_KEYS),
        THEATRE_WEEK: theatre.sum_lists(per_list, WEEK_KEYS),
        THEATRE_GAP_TRUST: trust_gaps.astype({"gaps": "int64"}),
        **build_diagnostic_marts(engine),
        **build_turnaround_marts(engine, benchmarks),
        **build_attendance_mart(engine),
    }
    with write_transaction(engine) as conn:
        for name, frame in frames.items():
            conn.execute(text(f'DROP TABLE IF EXISTS "{name}__new"'))
            frame.to_sql(f"{name}__new", conn, index=False, chunksize=100_000, method=_insert_rows)
        existing = set(inspect(conn).get_table_names())
        for name in frames:
            if name in existing:
                conn.execute(text(f'DROP TABLE "{name}"'))
            conn.execute(text(f'ALTER TABLE "{name}__new" RENAME TO "{name}"'))
        # The build stamp keys the readers' cache: a new build is never served stale rows.
        # The stamp keys the readers' cache (a new build is never served stale rows); the
        # thresholds say which benchmark values the summed flags were counted with.
        conn.execute(text(f'DROP TABLE IF EXISTS "{BUILD_TABLE}"'))
        conn.execute(
            text(f'CREATE TABLE "{BUILD_TABLE}" (built_at VARCHAR(100), thresholds VARCHAR(100))')
        )
        conn.execute(
            text(f'INSERT INTO "{BUILD_TABLE}" (built_at, thresholds) VALUES (:stamp, :used)'),
            {
                "stamp": f"{dt.datetime.now(dt.UTC).isoformat()} {uuid.uuid4().hex}",
                "used": _thresholds_text(benchmarks),
            },
        )
    return {name: len(frame) for name, frame in frames.items()}


def _insert_rows(table: Any, conn: Connection, keys: list[str], rows: Iterable[tuple]) -> int:
    """pandas ``to_sql`` insert method: the driver's executemany with plain tuples.

    Much faster than pandas' default for the list mart; names come from the frame's own
    columns, and every value is still a bound parameter.
    """
    quote = conn.dialect.identifier_preparer.quote
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    statement = (
        f"INSERT INTO {quote(table.name)} ({', '.join(quote(k) for k in keys)}) "
        f"VALUES ({', '.join(mark for _ in keys)})"
    )
    data = list(rows)
    conn.exec_driver_sql(statement, data)
    return len(data)


def marts_exist(engine: Engine | None = None) -> bool:
    names = set(inspect(engine or get_engine()).get_table_names())
    return all(m in names for m in MARTS)


def marts_current(engine: Engine | None = None) -> bool:
    """True when every mart exists with the columns this version of the code writes.

    A store built by an older version keeps its data but gets its marts rebuilt.
    """
    engine = engine or get_engine()
    if not marts_exist(engine):
        return False
    columns = {c["name"] for c in inspect(engine).get_columns(THEATRE_LIST)}
    if not (set(theatre.SUM_COLUMNS) <= columns and set(theatre.FLAG_COLUMNS) <= columns):
        return False
    with engine.connect() as conn:
        if not inspect(conn).has_table(BUILD_TABLE):
            return False
        names = {c["name"] for c in inspect(conn).get_columns(BUILD_TABLE)}
        if "thresholds" not in names:
            return False
        used = conn.execute(text(f'SELECT max(thresholds) FROM "{BUILD_TABLE}"')).scalar()
    # Flags were counted with the thresholds in force at the build; a changed benchmark file
    # (e.g. a local override) needs a rebuild.
    return used == _thresholds_text(load_benchmarks())


def _thresholds_text(benchmarks: Benchmarks) -> str:
    thresholds = thresholds_from(benchmarks)
    # Turnaround statuses were classified against each measure's days and day kind.
    days = "/".join(f"{m.days}{m.day_kind[0]}" for m in measures_from(benchmarks))
    return (
        f"{thresholds.late_start_minutes:g}/{thresholds.early_finish_minutes:g}/"
        f"{thresholds.overrun_minutes:g} {days}"
    )


def ensure_marts(engine: Engine | None = None) -> None:
    """Create the schema if needed; rebuild the marts if missing or built by an older version."""
    engine = init_db(engine or get_engine())
    if not marts_current(engine):
        rebuild_marts(engine)


def read_mart(
    engine: Engine,
    mart: str,
    period: Period | None = None,
    trusts: Sequence[str] | None = None,
    extra: dict[str, str] | None = None,
    columns: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Rows of one mart, filtered in SQL by period, trust and exact-match columns.

    ``columns`` limits what is read (all columns by default); names are checked against the
    mart's own columns, so they can never inject SQL.
    """
    if mart not in MARTS:
        raise ValueError(f"unknown mart {mart!r}")
    clause, params = (period or Period()).where()
    if trusts:
        names = [f":trust_{i}" for i in range(len(trusts))]
        clause += f" AND trust_code IN ({', '.join(names)})"
        params |= {f"trust_{i}": code for i, code in enumerate(trusts)}
    for i, (column, value) in enumerate((extra or {}).items()):
        if column not in ("site", "theatre", "specialty", "modality", "scanner_id"):
            raise ValueError(f"cannot filter a mart on {column!r}")
        clause += f" AND {column} = :extra_{i}"
        params[f"extra_{i}"] = value
    stamp = _build_stamp(engine)
    # Marts built before stamps existed are read afresh every time rather than cached.
    reader = _cached_read if stamp else _cached_read.__wrapped__
    key = (tuple(sorted(params.items())), tuple(columns or ()))
    rows = reader(engine, stamp, mart, clause, *key).copy()  # callers may add columns
    if mart != THEATRE_LIST:  # the summed marts hold counts of these flags, not flags
        return rows
    flags = [c for c in theatre.FLAG_COLUMNS if c in rows.columns]
    rows = rows.astype(dict.fromkeys(flags, "bool")) if flags else rows
    if {"starts_late", "late_start_minutes"} <= set(rows.columns):
        # Thresholds come from the benchmark file in force now, not when the mart was built.
        rows = theatre.apply_thresholds(rows, thresholds_from(load_benchmarks()))
    return rows


def clear_read_cache() -> None:
    """Forget every cached mart read (for measurements of a cold first render)."""
    _cached_read.cache_clear()
    _cached_summary.cache_clear()


def _build_stamp(engine: Engine) -> str:
    """The current marts' build stamp ("" before the first build with a stamp)."""
    with engine.connect() as conn:
        if not inspect(conn).has_table(BUILD_TABLE):
            return ""
        return str(conn.execute(text(f'SELECT max(built_at) FROM "{BUILD_TABLE}"')).scalar() or "")


@functools.lru_cache(maxsize=READ_CACHE_SIZE)
def _cached_read(
    engine: Engine,
    stamp: str,
    mart: str,
    clause: str,
    params: tuple[tuple[str, object], ...],
    columns: tuple[str, ...],
) -> pd.DataFrame:
    """One parameterised SELECT on a mart; ``stamp`` only keys the cache."""
    with engine.connect() as conn:
        selected = "*"
        if columns:
            known = {c["name"] for c in inspect(conn).get_columns(mart)}
            unknown = [c for c in columns if c not in known]
            if unknown:
                raise ValueError(f"{mart} has no column(s) {', '.join(unknown)}")
            selected = ", ".join(f'"{c}"' for c in columns)
        return pd.read_sql_query(
            text(f'SELECT {selected} FROM "{mart}" WHERE {clause}'), conn, params=dict(params)
        )


def theatre_summary(
    per_list: pd.DataFrame, gaps: pd.DataFrame, by: Sequence[str], target: float
) -> pd.DataFrame:
    """The theatre report from mart rows: sums, ratios of sums, median gap and opportunity."""
    keys = list(by)
    if per_list.empty:
        return pd.DataFrame(columns=[*keys, *THEATRE_REPORT_COLUMNS])
    summary = theatre.ratios(theatre.sum_lists(per_list, keys))
    if keys:
        medians = (
            (
                gaps.groupby(keys, observed=True)[["gap_minutes", "gaps"]]
                .apply(
                    lambda g: theatre.median_from_counts(
                        g["gap_minutes"].to_numpy(), g["gaps"].to_numpy()
                    )
                )
                .rename("median_gap_minutes")
                .reset_index()
            )
            if not gaps.empty
            else pd.DataFrame(columns=[*keys, "median_gap_minutes"])
        )
        summary = summary.merge(medians, on=keys, how="left")
        extra = opportunity.theatre_opportunity(per_list, target, keys)
        summary = summary.merge(extra.drop(columns=["completed_cases"]), on=keys, how="left")
    else:
        summary["median_gap_minutes"] = theatre.median_from_counts(
            gaps["gap_minutes"].to_numpy(dtype=float), gaps["gaps"].to_numpy(dtype=float)
        )
        extra = opportunity.theatre_opportunity(per_list, target, [])
        for column in extra.columns.drop("completed_cases"):
            summary[column] = extra[column].iloc[0]
    return summary


def summary_from_aggregates(
    engine: Engine,
    keys: Sequence[str],
    period: Period | None,
    target: float,
    trusts: Sequence[str] | None = None,
) -> pd.DataFrame:
    """The theatre report at ``keys`` from the small marts, equal to :func:`theatre_summary`.

    Sums come from the monthly mart, the median gap from a gap histogram, and the opportunity
    (whose mean case length depends on the period) from six columns of each list.
    """
    keys = list(keys)
    sums = read_mart(engine, THEATRE_MONTH, period, trusts)
    if sums.empty:
        return pd.DataFrame(columns=[*keys, *THEATRE_REPORT_COLUMNS])
    summary = theatre.ratios(theatre.resum(sums, keys))
    gap_mart = THEATRE_GAP_TRUST if set(keys) <= set(TRUST_GAP_KEYS) else THEATRE_GAP
    gaps = read_mart(engine, gap_mart, period, trusts)
    lists = read_mart(
        engine,
        THEATRE_LIST,
        period,
        trusts,
        columns=list(dict.fromkeys([*keys, *OPPORTUNITY_COLUMNS])),
    )
    extra = opportunity.theatre_opportunity(lists, target, keys).drop(columns=["completed_cases"])
    if keys:
        summary = summary.merge(_medians(gaps, keys), on=keys, how="left")
        return summary.merge(extra, on=keys, how="left")
    summary["median_gap_minutes"] = _medians(gaps, [])
    for column in extra.columns:
        summary[column] = extra[column].iloc[0]
    return summary


def _medians(gaps: pd.DataFrame, keys: Sequence[str]) -> pd.DataFrame | float:
    """Median gap per group from a histogram (value, count), exactly as over every gap."""
    if not keys:
        values = gaps["gap_minutes"].to_numpy(dtype=float)
        return theatre.median_from_counts(values, gaps["gaps"].to_numpy(dtype=float))
    if gaps.empty:
        return pd.DataFrame(columns=[*keys, "median_gap_minutes"])
    return (
        gaps.groupby(list(keys), observed=True)[["gap_minutes", "gaps"]]
        .apply(
            lambda g: theatre.median_from_counts(g["gap_minutes"].to_numpy(), g["gaps"].to_numpy())
        )
        .rename("median_gap_minutes")
        .reset_index()
    )


@functools.lru_cache(maxsize=READ_CACHE_SIZE)
def _cached_summary(
    engine: Engine, stamp: str, keys: tuple[str, ...], period: Period, target: float
) -> pd.DataFrame:
    """:func:`summary_from_aggregates`, kept per build stamp (``stamp`` only keys the cache)."""
    return summary_from_aggregates(engine, keys, period, target)


def theatre_report(
    engine: Engine | None = None,
    by: str = "trust",
    period: Period | None = None,
    benchmarks: Benchmarks | None = None,
) -> pd.DataFrame:
    """Rows of ``python -m productivity report theatre --by LEVEL`` (SPEC §7 columns)."""
    engine = engine or get_engine()
    benchmarks = benchmarks or load_benchmarks()
    if by not in THEATRE_LEVELS:
        raise ValueError(f"--by must be one of {', '.join(THEATRE_LEVELS)}, not {by!r}")
    keys = list(THEATRE_LEVELS[by])
    target = benchmarks.value("theatre_capped_utilisation")
    stamp = _build_stamp(engine)
    # The scorecard and the outlier section ask for the same report in one render.
    build = _cached_summary if stamp else _cached_summary.__wrapped__
    summary = build(engine, stamp, tuple(keys), period or Period(), target).copy()
    out = summary[[*keys, *THEATRE_REPORT_COLUMNS]]
    for column in ("lists", "completed_cases"):
        out = out.astype({column: "int64"})
    return out.sort_values(keys).reset_index(drop=True) if keys else out


def distinct_values(engine: Engine, mart: str, columns: Sequence[str]) -> dict[str, list[object]]:
    """Each column's distinct non-null values in a mart (for filter options)."""
    if mart not in MARTS:
        raise ValueError(f"unknown mart {mart!r}")
    found: dict[str, list[object]] = {}
    with engine.connect() as conn:
        names = {c["name"] for c in inspect(conn).get_columns(mart)}
        for column in columns:
            if column not in names:
                found[column] = []
                continue
            rows = conn.execute(text(f'SELECT DISTINCT "{column}" FROM "{mart}"')).scalars().all()
            found[column] = [r for r in rows if r is not None]
    return found
