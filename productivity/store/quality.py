"""The theatre data-quality report: what in the loaded data weakens the metrics, by trust and month.

Example::

    from productivity.store import quality
    report = quality.read_quality(engine)                  # from the quality mart
    mine = quality.read_quality(engine, ["RBL"], dt.date(2026, 4, 1), dt.date(2026, 5, 31))
    report = quality.quality_report(lists, cases)          # from normalised frames (pure)

Each count is a number of cases or lists (see :data:`QUALITY_CHECKS`), so an analyst can see how
much of a month's data a problem touches. The completed-case and fallback rules are those of
:func:`productivity.metrics.theatre.prepare_cases`, so the report and the metrics never disagree.
:func:`quality_report` is pure. Every count is of one trust and month, so the marts' build keeps
each trust-month's counts in the quality mart (:func:`mart_rows`, refreshed with the other
theatre marts after an import), and :func:`read_quality` sums a trust and period from it without
reading a case, adding the duplicate rows importers dropped (SQLAlchemy Core, bound parameters).
:func:`read_quality_from_cases` reads every list and case instead: what the mart must equal.
Imports no Streamlit.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy import ColumnElement, Connection, Engine, exists, func, select, type_coerce

from productivity.metrics.theatre import prepare_cases
from productivity.schema import LIST_COLUMNS
from productivity.store import db
from productivity.store.mart_reads import read_mart, records_frame
from productivity.store.mart_tables import QUALITY, Period

QUALITY_CHECKS: Mapping[str, str] = {
    "anaesthetic_fallback": "Cases with no anaesthetic start, timed from into theatre instead",
    "missing_timestamps": "Cases (not cancelled) missing into theatre, knife to skin or out of "
    "theatre",
    "impossible_sequences": "Cases whose milestones are out of order (anaesthetic start, into "
    "theatre, knife to skin, out of theatre)",
    "lists_without_cases": "Lists on which no case was completed (unused sessions)",
    "cases_outside_list": "Completed cases whose touch time does not overlap their planned session",
    "long_cases": "Completed cases with a touch time over 12 hours (possible, but often a mistyped "
    "date or time: the importer refuses only cases over 24 hours)",
    "duplicates_dropped": "Exact duplicate rows dropped on import",
    "unmapped_specialties": "Lists whose specialty is not a known specialty name",
    "lists_without_specialty_cases": "Lists whose trust and specialty have no completed case "
    "that month, so they get no opportunity figure",
}
REPORT_COLUMNS: tuple[str, ...] = ("trust_code", "month", "lists", "cases", *QUALITY_CHECKS)
# The quality mart's columns: every count read from the lists and cases (the duplicates dropped
# come from the import issues, read with the report).
MART_COLUMNS: tuple[str, ...] = tuple(c for c in REPORT_COLUMNS if c != "duplicates_dropped")
ISSUE_COLUMNS: tuple[str, ...] = ("trust_code", "month", "issue", "count")
_ORDER = ("anaesthetic_start", "into_theatre", "knife_to_skin", "out_of_theatre")
# Longer than any planned list: worth a look, though a free flap or transplant can run so long.
LONG_CASE = np.timedelta64(12, "h")
# The case columns the report uses (prepare_cases's and the milestones).
CASE_READ: tuple[str, ...] = ("list_id", "case_id", *_ORDER, "cancelled", "cancel_clinical")


def _month(values: pd.Series) -> pd.Series:
    return pd.to_datetime(values).dt.to_period("M").dt.start_time


def quality_report(
    lists: pd.DataFrame,
    cases: pd.DataFrame,
    issues: pd.DataFrame | None = None,
    specialties: Collection[str] | None = None,
) -> pd.DataFrame:
    """Data-quality counts per trust and month (columns :data:`REPORT_COLUMNS`).

    ``lists``/``cases`` are the normalised theatre frames (schema.LIST_COLUMNS/CASE_COLUMNS);
    ``issues`` holds counts found on import (:data:`ISSUE_COLUMNS`, e.g. duplicates dropped);
    ``specialties`` are the known names (default: ``data/maps/specialties.toml``). The month is
    that of the list's session date, as a first-of-month timestamp.
    """
    # Imported here: the ingest package imports the marts' refresh, which builds this report.
    from productivity.ingest.checks import known_specialties

    known = known_specialties() if specialties is None else frozenset(specialties)
    # Positions index everything below (a refresh passes some trust-months of a month's read).
    lists, cases = lists.reset_index(drop=True), cases.reset_index(drop=True)
    month = _month(lists["session_date"])
    keys = pd.DataFrame({"trust_code": lists["trust_code"].astype("str"), "month": month})
    prepared = prepare_cases(lists, cases)
    position = prepared["list_position"].to_numpy()
    on_list = position >= 0
    case_keys = keys.iloc[position[on_list]].reset_index(drop=True)
    c = cases[on_list].reset_index(drop=True)
    p = prepared[on_list].reset_index(drop=True)
    times = {name: pd.to_datetime(c[name]) for name in _ORDER}
    cancelled = p["cancelled"].to_numpy()
    live = p["has_case"].to_numpy() & ~cancelled
    missing = np.zeros(len(c), dtype=bool)
    for name in _ORDER[1:]:
        missing |= times[name].isna().to_numpy()
    out_of_order = np.zeros(len(c), dtype=bool)
    for i, early in enumerate(_ORDER):
        for late in _ORDER[i + 1 :]:
            out_of_order |= (times[early] > times[late]).to_numpy()
    starts = lists["planned_start"].to_numpy()[position[on_list]]
    ends = lists["planned_end"].to_numpy()[position[on_list]]
    completed = p["completed"].to_numpy()
    touch = p["touch_end"].to_numpy() - p["touch_start"].to_numpy()
    outside = completed & (
        (p["touch_end"].to_numpy() <= starts) | (p["touch_start"].to_numpy() >= ends)
    )
    per_case = case_keys.assign(
        cases=p["has_case"].to_numpy().astype(int),
        anaesthetic_fallback=p["anaesthetic_fallback"].to_numpy().astype(int),
        missing_timestamps=(live & missing).astype(int),
        impossible_sequences=(p["has_case"].to_numpy() & out_of_order).astype(int),
        cases_outside_list=outside.astype(int),
        long_cases=(completed & (touch > LONG_CASE)).astype(int),
    )
    done = np.bincount(position[on_list][completed], minlength=len(lists)) > 0
    specialty = lists["specialty"].fillna("").astype("str")
    group_done = (
        pd.Series(done)
        .groupby([keys["trust_code"], keys["month"], specialty.to_numpy()])
        .transform("any")
        .to_numpy()
    )
    per_list = keys.assign(
        lists=1,
        lists_without_cases=(~done).astype(int),
        unmapped_specialties=(~specialty.isin(list(known))).to_numpy().astype(int),
        lists_without_specialty_cases=(~group_done).astype(int),
    )
    by = ["trust_code", "month"]
    report = per_list.groupby(by).sum().join(per_case.groupby(by).sum(), how="outer")
    return _with_issues(report, issues)


def _with_issues(report: pd.DataFrame, issues: pd.DataFrame | None) -> pd.DataFrame:
    """``report`` (counts indexed by trust and first-of-month) with the duplicates dropped
    joined in, as :data:`REPORT_COLUMNS` rows sorted by trust and month."""
    by = ["trust_code", "month"]
    if issues is not None and not issues.empty:
        dropped = issues[issues["issue"] == "duplicates_dropped"].assign(
            month=lambda f: _month(f["month"])
        )
        report = report.join(
            dropped.groupby(by)["count"].sum().rename("duplicates_dropped"), how="outer"
        )
    report = report.reindex(columns=list(REPORT_COLUMNS[2:])).fillna(0).astype("int64")
    return report.reset_index()[list(REPORT_COLUMNS)].sort_values(by, ignore_index=True)


def mart_rows(
    lists: pd.DataFrame, cases: pd.DataFrame, specialties: Collection[str] | None = None
) -> pd.DataFrame:
    """The quality mart's rows (:data:`MART_COLUMNS`) of whole trust-months of lists and their
    cases: :func:`quality_report`'s counts, ``month`` as ``YYYY-MM`` text. Every count is of one
    trust and month, so any trust and period is the sum of its rows."""
    if lists.empty:
        return empty_mart()
    report = quality_report(lists, cases, specialties=specialties)
    return report.assign(month=report["month"].dt.strftime("%Y-%m"))[list(MART_COLUMNS)]


def empty_mart() -> pd.DataFrame:
    """The quality mart of a store without lists, typed (PostgreSQL makes an empty object
    column TEXT, and a later append of counts would then fail)."""
    counts = {c: pd.Series(dtype="int64") for c in MART_COLUMNS[2:]}
    return pd.DataFrame({"trust_code": pd.Series(dtype="str"), "month": pd.Series(dtype="str"),
                         **counts})  # fmt: skip


def quality_long(report: pd.DataFrame) -> pd.DataFrame:
    """The report as one row per trust, month and check, with the check's description."""
    long = report.melt(
        id_vars=["trust_code", "month", "lists", "cases"],
        value_vars=list(QUALITY_CHECKS),
        var_name="check",
        value_name="count",
    )
    long["description"] = long["check"].map(QUALITY_CHECKS)
    return long.sort_values(["trust_code", "month", "check"], ignore_index=True)


def _raw(column: ColumnElement[Any]) -> ColumnElement[Any]:
    """``column`` read without SQLAlchemy's per-value conversion (the SQL is unchanged)."""
    if isinstance(column.type, sa.Boolean):
        return type_coerce(column, sa.Integer).label(column.key)
    if isinstance(column.type, sa.Date | sa.DateTime):
        return type_coerce(column, sa.String).label(column.key)
    return column


def read_quality(
    engine: Engine | None = None,
    trust_codes: Collection[str] | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> pd.DataFrame:
    """:func:`quality_report` of the store's theatre lists of ``trust_codes`` (None = every
    trust) in the months from ``start``'s to ``end``'s, summed from the quality mart.

    The mart holds each trust-month's counts (:func:`mart_rows`, built and refreshed with the
    other theatre marts: call ``marts.ensure_marts`` first), so no case is read; the duplicates
    dropped come from the import issues, as :func:`read_quality_from_cases` reads them. The
    mart holds whole months, so ``start`` and ``end`` stand for their months (the callers pass a
    :class:`~productivity.store.mart_tables.Period`'s first and last days).
    """
    engine = engine or db.get_engine()
    period = Period(f"{start:%Y-%m}" if start else None, f"{end:%Y-%m}" if end else None)
    trusts = sorted(trust_codes) if trust_codes else None
    rows = read_mart(engine, QUALITY, period, trusts, columns=MART_COLUMNS)
    if rows.empty:
        return pd.DataFrame(columns=list(REPORT_COLUMNS))
    with engine.connect() as conn:
        issues = _read_issues(conn)
    issues = _issues_within(issues, rows["trust_code"].unique(), start, end)
    counts = rows.assign(month=_month(rows["month"]), trust_code=rows["trust_code"].astype("str"))
    return _with_issues(counts.set_index(["trust_code", "month"]), issues)


def _read_issues(conn: Connection) -> pd.DataFrame:
    """The import issues of runs whose theatre lists are still in the store, summed per trust,
    month and issue (a replaced file's dropped duplicates go with its lists)."""
    from productivity.store import models

    lst = models.table_of(models.TheatreList)
    issue = models.table_of(models.ImportIssue)
    surviving = exists().where(lst.c.import_run_id == issue.c.import_run_id)
    issue_query = (
        select(
            issue.c.trust_code, issue.c.month, issue.c.issue, func.sum(issue.c.count).label("count")
        )
        .where(surviving)
        .group_by(issue.c.trust_code, issue.c.month, issue.c.issue)
    )
    return pd.read_sql_query(issue_query, conn)


def _issues_within(
    issues: pd.DataFrame, listed: Collection[str], start: dt.date | None, end: dt.date | None
) -> pd.DataFrame:
    """The issues of the trusts with lists read (``listed``) in the months read."""
    if issues.empty:
        return issues
    months = _month(issues["month"])
    keep = issues["trust_code"].isin(list(listed))
    if start is not None:
        keep &= months >= _month(pd.Series([start]))[0]
    if end is not None:
        keep &= months <= pd.Timestamp(end)
    return issues[keep]


def read_quality_from_cases(
    engine: Engine | None = None,
    trust_codes: Collection[str] | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> pd.DataFrame:
    """:func:`quality_report` over the store's theatre lists between ``start`` and ``end``,
    read from every list and case (what the quality mart must sum to: the tests compare)."""
    from productivity.store import models

    engine = engine or db.get_engine()
    lst, case = models.table_of(models.TheatreList), models.table_of(models.TheatreCase)
    where: list[ColumnElement[bool]] = []
    if trust_codes:
        where.append(lst.c.trust_code.in_(sorted(trust_codes)))
    if start is not None:
        where.append(lst.c.session_date >= start)
    if end is not None:
        where.append(lst.c.session_date <= end)
    # Only the columns the report uses, read as the driver gives them (dates and times as text
    # on SQLite, flags as integers) and converted once per column below, not once per value.
    list_query = select(*(_raw(lst.c[n]) for n in LIST_COLUMNS)).where(*where)
    case_query = select(*(_raw(case.c[n]) for n in CASE_READ)).where(
        case.c.list_id.in_(select(lst.c.list_id).where(*where))
    )
    with engine.connect() as conn:
        lists = records_frame(conn.execute(list_query))
        cases = records_frame(conn.execute(case_query))
        issues = _read_issues(conn)
    if lists.empty:
        return pd.DataFrame(columns=list(REPORT_COLUMNS))
    for name in ("session_date", "planned_start", "planned_end"):
        lists[name] = pd.to_datetime(lists[name], format="ISO8601")
    for name in _ORDER:
        cases[name] = pd.to_datetime(cases[name], format="ISO8601")
    cases["cancelled"] = cases["cancelled"].astype(bool)
    cases["cancel_clinical"] = cases["cancel_clinical"].astype(bool)
    issues = _issues_within(issues, lists["trust_code"].unique(), start, end)
    return quality_report(lists, cases, issues)
