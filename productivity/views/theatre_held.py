"""Theatre mart rows held as arrays, read cheaply: what lets the Theatres page answer a filter
change with numpy on a few thousand rows instead of a pandas frame of every list.

>>> held = held_of([("2025-01", 2.0), ("2024-12", None)], ("month",), ("lists",))
>>> held.labels["month"].tolist(), held.codes["month"].tolist(), held.figures["lists"].tolist()
(['2024-12', '2025-01'], [1, 0], [2.0, nan])

A :class:`Held` keeps each key column as integer codes into its sorted distinct values and each
figure as one float64 array. :func:`fetch_held` fills one from a query through the driver's
plain tuples (no ``Row`` objects, no pandas frame, no string dtype), which is what made the
opportunity's read of every list take seconds at region scale.

Below a trust the summed marts have no week and the list mart is the only source, so a site's
or theatre's figures are summed in SQL (:func:`site_sums`: one row per month and week, the
grain of the weekly mart), its gap histogram is grouped in SQL (:func:`unit_gaps`), and its
lists' opportunity columns are read per site (:func:`site_lists`): each kept per build, so
choosing a theatre, a specialty or the months within a site is numpy work. Sums of the lists'
whole minutes and counts are exact in any order, as ``theatre_report`` relies on. No Streamlit.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from sqlalchemy import Engine, text

from productivity.metrics import theatre
from productivity.store import marts
from productivity.store.mart_reads import mart_arrays, months_within, rows_as_arrays

if TYPE_CHECKING:  # theatres' views read through this module (specialty_comparison)
    from productivity.views.theatres import Unit

CACHED_UNITS = 16  # sites (and theatres, specialties within them) kept per process


@dataclass(frozen=True)
class Held:
    """A mart's rows as arrays for one build: each key column as codes into its sorted distinct
    values (-1 where empty), and the figures as one float64 column each."""

    codes: dict[str, np.ndarray]
    labels: dict[str, np.ndarray]
    figures: dict[str, np.ndarray]

    def mask(self, unit: Unit, period: marts.Period) -> np.ndarray:
        """The rows of ``unit`` in ``period`` (as ``read_mart`` and ``_where`` keep them)."""
        return self.kept(unit.filters, period)

    def kept(self, filters: Mapping[str, str | None], period: marts.Period) -> np.ndarray:
        """The rows with each of ``filters`` (column: value, None for any) in ``period``."""
        keep = months_within(self.codes["month"], self.labels["month"], period)
        for column, value in filters.items():
            if value is None:
                continue
            found = np.flatnonzero(self.labels[column] == value)
            keep &= self.codes[column] == (found[0] if len(found) else -2)
        return keep

    def sums(self, keep: np.ndarray, by: str) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """The kept rows' figures summed per value of ``by``: the values (sorted, those with a
        row only, as ``groupby`` gives them) and each figure's sums."""
        codes, size = self.codes[by][keep], len(self.labels[by])
        present = np.flatnonzero(np.bincount(codes, minlength=size))
        summed = {
            name: np.bincount(codes, values[keep], minlength=size)[present]
            for name, values in self.figures.items()
        }
        return self.labels[by][present], summed


def held_of(rows: Sequence[Sequence[object]], keys: Sequence[str], figures: Sequence[str]) -> Held:
    """A :class:`Held` of rows given as tuples: ``keys`` first, then ``figures`` (None: NaN)."""
    return Held(*rows_as_arrays(rows, keys, figures))


def fetch_held(
    engine: Engine, query: str, params: Mapping[str, object], keys: Sequence[str],
    figures: Sequence[str],
) -> Held:  # fmt: skip
    """:func:`held_of` the rows of ``query`` (which selects ``keys`` then ``figures``)."""
    with engine.connect() as conn:
        result = conn.execute(text(query), dict(params))
        # the driver's own tuples: text SQL on SQLite and PostgreSQL has no result processor
        rows = result.cursor.fetchall() if result.cursor is not None else []
        result.close()
    return held_of(rows, keys, figures)


def held_mart(engine: Engine, mart: str, keys: tuple[str, ...], figures: tuple[str, ...]) -> Held:
    """``mart``'s ``keys`` and ``figures`` (every row), held once per marts build."""
    return _held_mart(engine, marts.build_stamp(engine), mart, keys, figures)


@functools.lru_cache(maxsize=8)
def _held_mart(
    engine: Engine, stamp: str, mart: str, keys: tuple[str, ...], figures: tuple[str, ...]
) -> Held:
    return Held(*mart_arrays(engine, mart, keys, figures))


def weeks(engine: Engine) -> Held:
    """The weekly mart (trust, specialty, month, week): what ``sum_lists`` gives its lists."""
    return held_mart(engine, marts.THEATRE_WEEK, marts.WEEK_KEYS, theatre.SUMMED_COLUMNS)


def _flag(column: str) -> str:
    """A 0/1 flag (SQLite integer, PostgreSQL boolean) as a count, an empty flag as 0, as
    ``astype(bool)`` reads it."""
    return f'CASE WHEN "{column}" THEN 1 ELSE 0 END'


# What sum_lists adds up for each list, as SQL (its assign, in its order).
_SUMMED_SQL: dict[str, str] = {
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
SITE_KEYS = ("month", "week")


def _unit_clause(filters: Mapping[str, str | None]) -> tuple[str, dict[str, object]]:
    """Exact-match conditions on the unit's columns (every value a bound parameter)."""
    clause, params = "1=1", dict[str, object]()
    for i, (column, value) in enumerate((c, v) for c, v in filters.items() if v):
        if column not in ("trust_code", "site", "theatre", "specialty"):
            raise ValueError(f"cannot filter theatre lists on {column!r}")
        clause += f' AND "{column}" = :unit_{i}'
        params[f"unit_{i}"] = value
    return clause, params


def site_sums(engine: Engine, unit: Unit) -> Held:
    """:func:`theatre.sum_lists` of a site's (theatre's, specialty's) lists by month and week
    (every month: the period is kept in memory), summed in SQL: what the weekly mart holds for
    a trust. Empty sums are 0, as pandas sums them."""
    assert unit.trust and unit.site, "a site's lists are summed within its trust"
    return _site_sums(engine, marts.build_stamp(engine), tuple(unit.filters.items()))


@functools.lru_cache(maxsize=CACHED_UNITS)
def _site_sums(engine: Engine, stamp: str, filters: tuple[tuple[str, str], ...]) -> Held:
    clause, params = _unit_clause(dict(filters))
    sums = ", ".join(f"COALESCE(SUM({sql}), 0)" for sql in _SUMMED_SQL.values())
    query = (
        f'SELECT month, week, {sums} FROM "{marts.THEATRE_LIST}" WHERE {clause} '
        "GROUP BY month, week"
    )
    return fetch_held(engine, query, params, SITE_KEYS, tuple(_SUMMED_SQL))


def unit_gaps(engine: Engine, unit: Unit, period: marts.Period) -> tuple[np.ndarray, np.ndarray]:
    """The unit's changeover gaps as a histogram (values in order, counts), grouped in SQL: from
    the trust-level histogram mart, or the site-level one below a trust."""
    stamp = marts.build_stamp(engine)
    return _unit_gaps(engine, stamp, tuple(unit.filters.items()), period.start, period.end)


@functools.lru_cache(maxsize=4 * CACHED_UNITS)
def _unit_gaps(
    engine: Engine, stamp: str, filters: tuple[tuple[str, str], ...], start: str | None,
    end: str | None,
) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    chosen = dict(filters)
    mart = marts.THEATRE_GAP if "site" in chosen else marts.THEATRE_GAP_TRUST
    clause, params = _unit_clause(chosen)
    months, more = marts.Period(start, end).where()
    query = (
        f'SELECT gap_minutes, SUM(gaps) FROM "{mart}" WHERE {clause} AND month IS NOT NULL '
        f"AND {months} GROUP BY gap_minutes ORDER BY gap_minutes"
    )
    with engine.connect() as conn:
        rows = conn.execute(text(query), params | more).all()
    values = np.array([r[0] for r in rows], dtype=float)
    return values, np.array([r[1] for r in rows], dtype=float)


# What the opportunity reads of each list of a site (the period and theatre kept in memory).
SITE_LIST_KEYS = ("theatre", "specialty", "month")


def site_lists(engine: Engine, unit: Unit, figures: tuple[str, ...]) -> Held:
    """The ``figures`` of each list of the unit's site (every theatre and month), read once
    per build and site."""
    assert unit.trust and unit.site, "a site's lists are read within its trust"
    stamp = marts.build_stamp(engine)
    return _site_lists(engine, stamp, unit.trust, unit.site, figures)


@functools.lru_cache(maxsize=CACHED_UNITS)
def _site_lists(
    engine: Engine, stamp: str, trust: str, site: str, figures: tuple[str, ...]
) -> Held:
    chosen = ", ".join(f'"{c}"' for c in (*SITE_LIST_KEYS, *figures))
    where = "trust_code = :trust AND site = :site"
    query = f'SELECT {chosen} FROM "{marts.THEATRE_LIST}" WHERE {where}'
    return fetch_held(engine, query, {"trust": trust, "site": site}, SITE_LIST_KEYS, figures)


HEATMAP_SUMS = ("lists", "planned_minutes", "capped_touch_minutes")


def heatmap_sums(engine: Engine, unit: Unit, period: marts.Period) -> pd.DataFrame:
    """The unit's lists summed per weekday × session in SQL (every group, an empty key too, as
    ``groupby(dropna=False)``): ``weekday, session`` and :data:`HEATMAP_SUMS` as float64."""
    stamp = marts.build_stamp(engine)
    return _heatmap_sums(engine, stamp, tuple(unit.filters.items()), period).copy()


@functools.lru_cache(maxsize=CACHED_UNITS)
def _heatmap_sums(
    engine: Engine, stamp: str, filters: tuple[tuple[str, str], ...], period: marts.Period
) -> pd.DataFrame:
    clause, params = _unit_clause(dict(filters))
    months, more = period.where()
    query = (
        "SELECT weekday, session, COUNT(*), COALESCE(SUM(planned_minutes), 0), "
        f'COALESCE(SUM(capped_touch_minutes), 0) FROM "{marts.THEATRE_LIST}" '
        f"WHERE {clause} AND month IS NOT NULL AND {months} GROUP BY weekday, session"
    )
    with engine.connect() as conn:
        rows = conn.execute(text(query), params | more).all()
    columns = list(zip(*rows, strict=True)) or [()] * 5
    keys = {"weekday": columns[0], "session": columns[1]}
    sums = zip(HEATMAP_SUMS, columns[2:], strict=True)
    return pd.DataFrame(
        {name: pd.array(values, dtype="str") for name, values in keys.items()}
        | {name: np.array(values, dtype=float) for name, values in sums}
    )


def clear_read_cache() -> None:
    """Forget every unit's sums and lists (the next read goes to the database again)."""
    for cached in (_held_mart, _site_sums, _unit_gaps, _site_lists, _heatmap_sums):
        cached.cache_clear()
