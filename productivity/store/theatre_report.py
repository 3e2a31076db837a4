"""The theatre report (``report theatre --by LEVEL``, SPEC §7) summed from the marts.

Two ways to the same rows: :func:`theatre_summary` from list-level mart rows and their gaps,
and :func:`summary_from_aggregates` from the small monthly marts and gap histograms (what the
CLI and pages use; a test keeps the two equal). Ratios, the median gap and the opportunity come
from ``metrics/`` and ``planning/``; this module only picks the rows and joins. Imports no
Streamlit.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

import pandas as pd
from sqlalchemy import Connection, Engine, bindparam, text

from productivity.benchmarks import Benchmarks, load_benchmarks
from productivity.metrics import theatre
from productivity.planning import opportunity
from productivity.store.db import get_engine
from productivity.store.mart_reads import (
    READ_CACHE_SIZE,
    build_stamp,
    list_rows,
    read_mart,
    records_frame,
)
from productivity.store.mart_tables import (
    MONTH_KEYS,
    THEATRE_GAP,
    THEATRE_GAP_TRUST,
    THEATRE_LIST,
    THEATRE_MONTH,
    THEATRE_TRUST,
    TRUST_GAP_KEYS,
    Period,
)

# What the opportunity needs from each list (pooled and realisable depend on the period).
OPPORTUNITY_COLUMNS = (
    "trust_code",
    "specialty",
    "planned_minutes",
    "capped_touch_minutes",
    "completed_cases",
    "case_touch_minutes",
)
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


def theatre_summary(
    per_list: pd.DataFrame, gaps: pd.DataFrame, by: Sequence[str], target: float
) -> pd.DataFrame:
    """The theatre report from mart rows: sums, ratios of sums, median gap and opportunity."""
    keys = list(by)
    if per_list.empty:
        return pd.DataFrame(columns=[*keys, *THEATRE_REPORT_COLUMNS])
    summary = theatre.ratios(theatre.sum_lists(per_list, keys))
    if keys:
        summary = summary.merge(_group_medians(gaps, keys), on=keys, how="left")
        extra = _opportunity(per_list, target, keys)
        summary = summary.merge(extra.drop(columns=["completed_cases"]), on=keys, how="left")
    else:
        summary["median_gap_minutes"] = _median(gaps)
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
    gap_mart = THEATRE_GAP_TRUST if set(keys) <= set(TRUST_GAP_KEYS) else THEATRE_GAP
    gaps = read_mart(engine, gap_mart, period, trusts)
    lists = read_mart(
        engine,
        THEATRE_LIST,
        period,
        trusts,
        columns=list(dict.fromkeys([*keys, *OPPORTUNITY_COLUMNS])),
    )
    return summary_of(sums, gaps, lists, keys, target)


def summary_of(
    sums: pd.DataFrame, gaps: pd.DataFrame, lists: pd.DataFrame, keys: Sequence[str], target: float
) -> pd.DataFrame:
    """:func:`summary_from_aggregates` of rows already read: monthly sums, a gap histogram and
    each list's opportunity columns."""
    keys = list(keys)
    summary = theatre.ratios(theatre.resum(sums, keys))
    extra = _opportunity(lists, target, keys).drop(columns=["completed_cases"])
    if keys:
        summary = summary.merge(_group_medians(gaps, keys), on=keys, how="left")
        return summary.merge(extra, on=keys, how="left")
    summary["median_gap_minutes"] = _median(gaps)
    for column in extra.columns:
        summary[column] = extra[column].iloc[0]
    return summary


def _opportunity(lists: pd.DataFrame, target: float, keys: Sequence[str]) -> pd.DataFrame:
    """Pooled and realisable additional cases summed to ``keys``.

    By month, each month is its own period (SPEC §4: mean case minutes "for the same trust and
    specialty over the period"), so a month's row is what a report of that month alone gives,
    and does not move when later months are loaded.
    """
    if "month" not in keys or lists.empty:
        return opportunity.theatre_opportunity(lists, target, keys)
    months = [
        opportunity.theatre_opportunity(month_lists, target, keys)
        for _, month_lists in lists.groupby("month", sort=True)
    ]
    return pd.concat(months, ignore_index=True)


def _median(gaps: pd.DataFrame) -> float:
    """The median of every gap in a histogram (value, count)."""
    values = gaps["gap_minutes"].to_numpy(dtype=float)
    return theatre.median_from_counts(values, gaps["gaps"].to_numpy(dtype=float))


def _group_medians(gaps: pd.DataFrame, keys: Sequence[str]) -> pd.DataFrame:
    """Median gap per group from a histogram (value, count), exactly as over every gap."""
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


def clear_summaries() -> None:
    """Forget every cached report."""
    _cached_summary.cache_clear()


def theatre_report(
    engine: Engine | None = None,
    by: str = "trust",
    period: Period | None = None,
    benchmarks: Benchmarks | None = None,
) -> pd.DataFrame:
    """Rows of ``python -m productivity report theatre --by LEVEL`` (SPEC §7 columns).

    Raises:
        ValueError: ``by`` is not one of :data:`THEATRE_LEVELS`.
    """
    engine = engine or get_engine()
    benchmarks = benchmarks or load_benchmarks()
    if by not in THEATRE_LEVELS:
        raise ValueError(f"--by must be one of {', '.join(THEATRE_LEVELS)}, not {by!r}")
    keys = list(THEATRE_LEVELS[by])
    target = benchmarks.value("theatre_capped_utilisation")
    stamp = build_stamp(engine)
    summary = whole_period_report(engine, keys, period or Period(), target) if stamp else None
    if summary is None:
        # The scorecard and the outlier section ask for the same report in one render.
        build = _cached_summary if stamp else _cached_summary.__wrapped__
        summary = build(engine, stamp, tuple(keys), period or Period(), target).copy()
    out = summary[[*keys, *THEATRE_REPORT_COLUMNS]]
    for column in ("lists", "completed_cases"):
        out = out.astype({column: "int64"})
    return out.sort_values(keys).reset_index(drop=True) if keys else out


# What the whole-period mart holds besides the report: each trust's first and last month (the
# periods it serves) and the target its opportunity was counted against.
WHOLE_TRUST_COLUMNS = ("trust_code", *THEATRE_REPORT_COLUMNS, "first_month", "last_month", "target")


def whole_trust_rows(
    sums: pd.DataFrame, gaps: pd.DataFrame, lists: pd.DataFrame, target: float
) -> pd.DataFrame:
    """The theatre report by trust over every month each trust has (the mart
    ``mart_theatre_trust``), from the monthly, trust-gap and list marts' rows: what the default
    period, every month held, shows.

    At region scale that report reads six columns of every list (the realisable opportunity
    needs each list's minutes and the period's mean case length), seconds of a cold first
    render; built with the marts, it is one small read. It is :func:`summary_of` of the same
    rows (equal to the report summed afresh, up to the order of float additions), and the
    report by trust of any period that holds every month of every trust is this mart's
    (:func:`whole_period_report`), so every caller shows the same figure.
    """
    lists = lists[lists["month"].fillna("") != ""]  # the empty store's placeholder row
    sums = sums[sums["month"].fillna("") != ""]
    if lists.empty or sums.empty:
        return pd.DataFrame(columns=list(WHOLE_TRUST_COLUMNS))
    # Rows in one order whatever order the marts hold them in (a refresh appends a trust's
    # months), so a refresh gives exactly what a full rebuild does.
    sums = sums.sort_values(list(MONTH_KEYS), kind="stable", ignore_index=True)
    gaps = gaps.sort_values([*TRUST_GAP_KEYS, "gap_minutes"], kind="stable", ignore_index=True)
    lists = lists.sort_values("list_id", kind="stable", ignore_index=True)
    summary = summary_of(sums, gaps, lists, ["trust_code"], target)
    months = lists.groupby("trust_code", as_index=False)["month"].agg(
        first_month="min", last_month="max"
    )
    out = summary[["trust_code", *THEATRE_REPORT_COLUMNS]].merge(months, on="trust_code")
    return out.assign(target=float(target))[list(WHOLE_TRUST_COLUMNS)]


def refreshed_trust_rows(conn: Connection, trusts: Sequence[str], target: float) -> pd.DataFrame:
    """:func:`whole_trust_rows` of ``trusts``, from the marts as the caller's transaction sees
    them (after a refresh replaced some of their months)."""
    rows = {}
    for mart in (THEATRE_MONTH, THEATRE_GAP_TRUST, THEATRE_LIST):
        query = text(f'SELECT * FROM "{mart}" WHERE trust_code IN :trusts')
        query = query.bindparams(bindparam("trusts", expanding=True))
        rows[mart] = records_frame(conn.execute(query, {"trusts": list(trusts)}))
    lists = list_rows(rows[THEATRE_LIST])
    return whole_trust_rows(rows[THEATRE_MONTH], rows[THEATRE_GAP_TRUST], lists, target)


def whole_period_report(
    engine: Engine, keys: Sequence[str], period: Period, target: float
) -> pd.DataFrame | None:
    """The report by trust from ``mart_theatre_trust`` when ``period`` holds every month of
    every trust's lists and the mart counted against ``target``; None otherwise."""
    if list(keys) != ["trust_code"]:
        return None
    rows = read_mart(engine, THEATRE_TRUST)
    if rows.empty or (rows["target"].astype(float) != target).any():
        return None
    if period.start and (rows["first_month"] < period.start).any():
        return None
    if period.end and (rows["last_month"] > period.end).any():
        return None
    return rows
