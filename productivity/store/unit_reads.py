"""The Theatres page's SQL below the summed marts: one unit's (trust's, site's, theatre's,
specialty's) lists and gaps, as the rows the views hold per build.

:mod:`productivity.views.theatre_held` keeps these as arrays (a site's sums by month and week,
its gap histogram, its heatmap sums, a site's or trust's or every list's figures) and
:mod:`productivity.views.theatre_rows` keeps a trust's mart rows as a frame; both cache them
keyed by the marts' build stamp and shape them in memory, so nothing here is cached. Rows come
back as read: the driver's own tuples where no ``Row`` is needed (text SQL on SQLite and
PostgreSQL has no result processor), else ``Row`` tuples, or :func:`records_frame`'s frame.

Every filter value is a bound parameter; a unit's filter columns are checked against
:data:`~productivity.store.readers.UNIT_FILTERS`, a trust's read columns against the mart's
own, a list's columns are plain identifiers and every mart name one of the marts, so no
caller's value reaches SQL text. Sums of the lists' whole minutes and counts are exact in any
order, as ``theatre_report`` relies on. No Streamlit.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd
from sqlalchemy import Engine, inspect, text

from productivity.metrics import theatre
from productivity.store.mart_reads import records_frame
from productivity.store.mart_tables import (
    MARTS,
    THEATRE_GAP,
    THEATRE_GAP_TRUST,
    THEATRE_LIST,
    Period,
)
from productivity.store.readers import UNIT_FILTERS


def _flag(column: str) -> str:
    """A 0/1 flag (SQLite integer, PostgreSQL boolean) as a count, an empty flag as 0, as
    ``astype(bool)`` reads it."""
    return f'CASE WHEN "{column}" THEN 1 ELSE 0 END'


# What sum_lists adds up for each list, as SQL (its assign, in its order).
SUMMED_SQL: dict[str, str] = {
    "lists": "1",
    "used_lists": 'CASE WHEN "unused" THEN 0 ELSE 1 END',
    "unused_lists": _flag("unused"),
    "unused_planned_minutes": 'CASE WHEN "unused" THEN "planned_minutes" ELSE 0.0 END',
    "late_start_minutes_sum": '"late_start_minutes"',
    "early_finish_minutes_sum": '"early_finish_minutes"',
    "overrun_minutes_sum": '"overrun_minutes"',
} | {
    c: _flag(c) if c in theatre.FLAG_COLUMNS else f'"{c}"' for c in theatre.SUM_COLUMNS
}  # fmt: skip
# What week_sums selects: these keys, then each of SUMMED_SQL's sums.
WEEK_SUM_KEYS = ("month", "week")
# What heatmap_rows selects after weekday and session: a count of lists and two sums.
HEATMAP_SUMS = ("lists", "planned_minutes", "capped_touch_minutes")


def _unit_clause(filters: Mapping[str, str | None]) -> tuple[str, dict[str, object]]:
    """Exact-match conditions on the unit's columns (every value a bound parameter)."""
    clause, params = "1=1", dict[str, object]()
    for i, (column, value) in enumerate((c, v) for c, v in filters.items() if v):
        if column not in UNIT_FILTERS:
            raise ValueError(f"cannot filter theatre lists on {column!r}")
        clause += f' AND "{column}" = :unit_{i}'
        params[f"unit_{i}"] = value
    return clause, params


def _tuples(engine: Engine, query: str, params: Mapping[str, object]) -> Sequence[Any]:
    """The rows of ``query`` as the driver's own tuples (no ``Row`` object per row)."""
    with engine.connect() as conn:
        result = conn.execute(text(query), dict(params))
        # text SQL on SQLite and PostgreSQL has no result processor: the values are the driver's
        rows = result.cursor.fetchall() if result.cursor is not None else []
        result.close()
    return rows


def week_sums(engine: Engine, filters: Mapping[str, str | None]) -> Sequence[Any]:
    """:func:`theatre.sum_lists` of a unit's lists per month and week (every month), summed in
    SQL: :data:`WEEK_SUM_KEYS` then each of :data:`SUMMED_SQL`, an empty sum 0 as pandas sums
    it. In no particular order."""
    clause, params = _unit_clause(filters)
    sums = ", ".join(f"COALESCE(SUM({sql}), 0)" for sql in SUMMED_SQL.values())
    query = f'SELECT month, week, {sums} FROM "{THEATRE_LIST}" WHERE {clause} GROUP BY month, week'
    return _tuples(engine, query, params)


def gap_counts(
    engine: Engine, mart: str, filters: Mapping[str, str | None], period: Period
) -> Sequence[Sequence[Any]]:
    """A unit's changeover gaps in the period from a gap histogram mart (the site-level
    ``mart_theatre_gap`` or the trust-level one): ``gap_minutes, SUM(gaps)`` in order of gap.

    Raises:
        ValueError: a mart that is not a gap histogram, or an unknown filter column.
    """
    if mart not in (THEATRE_GAP, THEATRE_GAP_TRUST):
        raise ValueError(f"{mart!r} is not a gap histogram mart")
    clause, params = _unit_clause(filters)
    months, more = period.where()
    query = (
        f'SELECT gap_minutes, SUM(gaps) FROM "{mart}" WHERE {clause} AND month IS NOT NULL '
        f"AND {months} GROUP BY gap_minutes ORDER BY gap_minutes"
    )
    with engine.connect() as conn:
        return conn.execute(text(query), params | more).all()


def heatmap_rows(
    engine: Engine, filters: Mapping[str, str | None], period: Period
) -> Sequence[Sequence[Any]]:
    """A unit's lists in the period summed per weekday × session (every group, an empty key
    too): ``weekday, session`` then :data:`HEATMAP_SUMS`, empty sums 0. In no particular
    order."""
    clause, params = _unit_clause(filters)
    months, more = period.where()
    query = (
        "SELECT weekday, session, COUNT(*), COALESCE(SUM(planned_minutes), 0), "
        f'COALESCE(SUM(capped_touch_minutes), 0) FROM "{THEATRE_LIST}" '
        f"WHERE {clause} AND month IS NOT NULL AND {months} GROUP BY weekday, session"
    )
    with engine.connect() as conn:
        return conn.execute(text(query), params | more).all()


def list_columns(
    engine: Engine, columns: Sequence[str], trust: str | None = None, site: str | None = None
) -> Sequence[Any]:
    """Each list's ``columns`` in the list mart's order: a trust's (by its index), a site's
    within it, or every list when ``trust`` is None; the driver's own tuples.

    Raises:
        ValueError: a column that is not a plain name.
    """
    odd = [c for c in columns if not c.isidentifier()]
    if odd:
        raise ValueError(f"not a column name: {', '.join(map(repr, odd))}")
    chosen = ", ".join(f'"{c}"' for c in columns)
    query, params = f'SELECT {chosen} FROM "{THEATRE_LIST}"', dict[str, object]()
    if trust is not None:
        query, params = f"{query} WHERE trust_code = :trust", {"trust": trust}
        if site is not None:
            query, params = f"{query} AND site = :site", params | {"site": site}
    elif site is not None:
        raise ValueError("a site's lists are read within its trust")
    return _tuples(engine, query, params)


def trust_frame(
    engine: Engine, mart: str, trust: str, site: str | None, columns: Sequence[str]
) -> pd.DataFrame:
    """One trust's rows in a mart (one site's, when given), as stored and in the mart's order:
    those of ``columns`` the mart has, or every column when ``columns`` is empty.

    Raises:
        ValueError: an unknown mart.
    """
    if mart not in MARTS:
        raise ValueError(f"unknown mart {mart!r}")
    selected = "*"
    if columns:
        present = {c["name"] for c in inspect(engine).get_columns(mart)}
        selected = ", ".join(f'"{c}"' for c in columns if c in present)
    where, params = "trust_code = :trust", {"trust": trust}
    if site:
        where, params = f"{where} AND site = :site", params | {"site": site}
    query = text(f'SELECT {selected} FROM "{mart}" WHERE {where}')
    with engine.connect() as conn:
        # records_frame: read_sql_query's frame, without a Row object per row
        return records_frame(conn.execute(query, params))
