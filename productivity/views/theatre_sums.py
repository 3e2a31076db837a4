"""A unit's headline figures from the summed marts: the Theatres page's tiles, trends, waterfall
and bands without reading every list of the system.

>>> sorted(set(marts.OPPORTUNITY_COLUMNS) - set(LIST_KEYS + OPPORTUNITY_FIGURES))
[]

The monthly mart (trust, site, theatre, specialty, month) and the weekly mart (trust, specialty,
month, week) hold what :func:`productivity.metrics.theatre.sum_lists` gives for their lists, so
adding up their rows over a unit gives the unit's sums (sums of sums are exact, as
:func:`productivity.store.theatre_report.summary_from_aggregates` relies on); ratios, the median
gap and the opportunity then come from the same functions as :func:`marts.theatre_summary`.
Each mart is read once per marts build (:func:`marts.read_mart` keeps it) and the unit and
period are kept in memory, so a filter change reads no SQL. What needs each list's own figures
reads lists: the opportunity (each list's whole cases at the target) and the weeks of a site or
theatre (the weekly mart has no site); a chosen trust's lists are held by :mod:`theatre_rows`.
No Streamlit import.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sqlalchemy import Engine

from productivity.metrics import lost_time, theatre
from productivity.planning import opportunity
from productivity.store import marts
from productivity.views import theatre_rows
from productivity.views.theatres import (
    UNIT_VIEW_COLUMNS,
    Unit,
    heatmap,
    periods_of,
    utilisation_over_time,
)

# What the opportunity reads of each list: what a unit above a site is kept by, and the
# figures it sums (a site's or theatre's lists come from its trust's, held per trust).
LIST_KEYS = ("trust_code", "specialty", "month")
OPPORTUNITY_FIGURES = (
    "planned_minutes", "capped_touch_minutes", "completed_cases", "case_touch_minutes",
)  # fmt: skip
OPPORTUNITY_READ = (*LIST_KEYS, *OPPORTUNITY_FIGURES)
# What the weekday × session heatmap reads of each list (every trust's, once per build).
HEATMAP_READ = (
    "trust_code", "site", "theatre", "specialty", "month", "weekday", "session",
    "planned_minutes", "capped_touch_minutes",
)  # fmt: skip


@dataclass(frozen=True)
class Headline:
    """The unit's one-row summary (the theatre report's columns) and its weekly rows."""

    summary: pd.DataFrame
    weekly: pd.DataFrame

    @property
    def empty(self) -> bool:
        return self.summary.empty


@dataclass(frozen=True)
class Held:
    """A mart's rows as arrays for one build: each key column as codes into its sorted distinct
    values (-1 where empty), and the figures as one float64 column each."""

    codes: dict[str, np.ndarray]
    labels: dict[str, np.ndarray]
    figures: dict[str, np.ndarray]

    def mask(self, unit: Unit, period: marts.Period) -> np.ndarray:
        """The rows of ``unit`` in ``period`` (as ``read_mart`` and ``_where`` keep them)."""
        month, months = self.codes["month"], self.labels["month"]
        keep = month >= 0
        if period.start:
            keep &= month >= np.searchsorted(months, period.start, "left")
        if period.end:
            keep &= month < np.searchsorted(months, period.end, "right")
        for column, value in unit.filters.items():
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


def clear_read_cache() -> None:
    """Forget every mart held as arrays (the next read goes to the database again)."""
    _held.cache_clear()


@functools.lru_cache(maxsize=8)
def _held(
    engine: Engine, stamp: str, mart: str, keys: tuple[str, ...], figures: tuple[str, ...]
) -> Held:
    """``mart``'s key columns and figures, read once per build (``stamp`` keys the cache)."""
    rows = marts.read_mart(engine, mart, columns=[*keys, *figures])
    codes, labels = {}, {}
    for key in keys:
        found, distinct = pd.factorize(rows[key], sort=True)
        codes[key], labels[key] = found, np.asarray(distinct, dtype=object)
    values = {name: rows[name].to_numpy(dtype=float, na_value=np.nan) for name in figures}
    return Held(codes, labels, values)


def held(engine: Engine, mart: str, keys: tuple[str, ...], figures: tuple[str, ...]) -> Held:
    """:func:`_held` for the marts' current build."""
    return _held(engine, marts.build_stamp(engine), mart, keys, figures)


def _summed(mart: str, keys: tuple[str, ...]) -> Callable[[Engine], Held]:
    return lambda engine: held(engine, mart, keys, theatre.SUMMED_COLUMNS)


_months = _summed(marts.THEATRE_MONTH, marts.MONTH_KEYS)
_weeks = _summed(marts.THEATRE_WEEK, marts.WEEK_KEYS)


# The columns theatre.ratios adds, in its order. A frame that has them already (empty) has them
# filled in place, which costs less than adding some 35 columns one at a time.
RATIO_COLUMNS = tuple(
    c
    for c in theatre.ratios(pd.DataFrame({c: [1.0] for c in theatre.SUMMED_COLUMNS})).columns
    if c not in theatre.SUMMED_COLUMNS
)


def _rated(key: str, labels: np.ndarray, sums: dict[str, np.ndarray]) -> pd.DataFrame:
    """Summed rows as ``sum_lists`` gives them (the key, then every summed column), with
    :func:`theatre.ratios` added."""
    empty = np.full(len(labels), np.nan)
    columns = pd.Index([key, *theatre.SUMMED_COLUMNS, *RATIO_COLUMNS], dtype=object)
    data = {key: pd.array(labels, dtype="str"), **sums} | dict.fromkeys(RATIO_COLUMNS, empty)
    return theatre.ratios(pd.DataFrame(data, columns=columns))


def _summary(
    rated: pd.DataFrame, engine: Engine, unit: Unit, period: marts.Period, target: float
) -> pd.DataFrame:
    """:func:`marts.theatre_summary` of the unit's lists from its one summed and rated row: the
    median gap and the opportunity added."""
    summary = rated.drop(columns=rated.columns[0]).reset_index(drop=True)
    summary["median_gap_minutes"] = theatre.median_from_counts(*_gaps(engine, unit, period))
    for column, value in _opportunity(engine, unit, period, target).items():
        summary[column] = value
    return summary


def unit_summary(engine: Engine, unit: Unit, period: marts.Period, target: float) -> pd.DataFrame:
    """:func:`marts.theatre_summary` of the unit's lists (``by`` none): summed from the weekly
    mart (half the monthly's rows), or from the monthly for a site or theatre."""
    summed = _months(engine) if unit.site else _weeks(engine)
    keep = summed.mask(unit, period)
    if not keep.any():
        return pd.DataFrame(columns=list(marts.THEATRE_REPORT_COLUMNS))
    total = {name: values[keep].sum(keepdims=True) for name, values in summed.figures.items()}
    return _summary(_rated("unit", np.array([None]), total), engine, unit, period, target)


def _gaps(engine: Engine, unit: Unit, period: marts.Period) -> tuple[np.ndarray, np.ndarray]:
    """The unit's changeover-gap histogram (values, counts; a value may repeat): the trust-level
    histogram mart, or a site's or theatre's own (held per trust)."""
    if unit.site:
        gaps = theatre_rows.theatre_gaps(engine, period, unit.filters)
        return gaps["gap_minutes"].to_numpy(dtype=float), gaps["gaps"].to_numpy(dtype=float)
    found = held(engine, marts.THEATRE_GAP_TRUST, marts.TRUST_GAP_KEYS, ("gap_minutes", "gaps"))
    keep = found.mask(unit, period)
    return found.figures["gap_minutes"][keep], found.figures["gaps"][keep]


def _opportunity(
    engine: Engine, unit: Unit, period: marts.Period, target: float
) -> dict[str, float]:
    """The unit's lists' opportunity (:func:`opportunity_of`): every trust's lists are held for
    the build, a site's or theatre's come from its trust's (held per trust)."""
    if unit.site:
        # the columns unit_weekly reads (they hold these): one read of the trust's lists
        lists = theatre_rows.theatre_lists(engine, period, unit.filters, UNIT_VIEW_COLUMNS)
        trust = pd.factorize(lists["trust_code"], sort=True)[0]
        specialty = pd.factorize(lists["specialty"], sort=True)[0]
        figures = {n: lists[n].to_numpy(dtype=float) for n in OPPORTUNITY_FIGURES}
        return opportunity_of(trust, specialty, figures, target)
    found = held(engine, marts.THEATRE_LIST, LIST_KEYS, OPPORTUNITY_FIGURES)
    keep = found.mask(unit, period)
    figures = {n: values[keep] for n, values in found.figures.items()}
    codes = found.codes["trust_code"][keep], found.codes["specialty"][keep]
    return opportunity_of(*codes, figures, target)


def opportunity_of(
    trust: np.ndarray, specialty: np.ndarray, figures: dict[str, np.ndarray], target: float
) -> dict[str, float]:
    """:func:`opportunity.theatre_opportunity` (``by`` none) on arrays: each list's whole cases
    at ``target`` in its trust × specialty's mean case length (over these lists), summed per
    trust × specialty (those with lists, in groupby's order) and then over them.

    ``trust`` and ``specialty`` are codes in the order of their values (-1: empty), as
    ``pd.factorize(sort=True)`` gives them; ``figures`` the lists' :data:`OPPORTUNITY_FIGURES`.
    """
    # One code per trust × specialty in groupby's order, an empty key last (dropna=False).
    sizes = int(trust.max(initial=-1)) + 2, int(specialty.max(initial=-1)) + 2
    trust = np.where(trust < 0, sizes[0] - 1, trust)
    specialty = np.where(specialty < 0, sizes[1] - 1, specialty)
    cell, cells = trust * sizes[1] + specialty, sizes[0] * sizes[1]
    planned, capped, completed, touch = (figures[n] for n in OPPORTUNITY_FIGURES)

    def by_cell(values: np.ndarray) -> np.ndarray:
        return np.bincount(cell, values, minlength=cells)

    case_minutes, case_count = by_cell(touch), by_cell(completed)
    # mean_case_minutes leaves out a trust or specialty that is empty
    keyed = (np.arange(cells) // sizes[1] < sizes[0] - 1) & (
        np.arange(cells) % sizes[1] < sizes[1] - 1
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = np.where(keyed & (case_count > 0), case_minutes / case_count, np.nan)
        gap = np.maximum(0.0, target * planned - capped)
        whole = np.floor(gap / mean[cell] + opportunity._EPSILON)
        present = np.flatnonzero(np.bincount(cell, minlength=cells))
        shortfall = np.maximum(0.0, target * by_cell(planned)[present] - by_cell(capped)[present])
        pooled = np.nan_to_num(shortfall / mean[present], nan=0.0)
    completed_cases = float(np.sum(case_count[present]))
    out = {
        "pooled_additional_cases": float(np.sum(pooled)),
        "realisable_additional_cases": float(np.sum(by_cell(np.nan_to_num(whole))[present])),
        "gap_minutes": float(np.sum(by_cell(gap)[present])),
        "lists_without_case_length": float(np.sum(np.isnan(mean[cell]))),
    }
    current = completed_cases if completed_cases > 0 else np.nan
    out["pooled_share_of_cases"] = out["pooled_additional_cases"] / current
    out["realisable_share_of_cases"] = out["realisable_additional_cases"] / current
    return out


def unit_weekly(engine: Engine, unit: Unit, period: marts.Period) -> pd.DataFrame:
    """:func:`utilisation_over_time` of the unit's lists by week: from the weekly mart, or a
    site's or theatre's own lists (the weekly mart is by trust and specialty)."""
    if unit.site:
        lists = theatre_rows.theatre_lists(engine, period, unit.filters, UNIT_VIEW_COLUMNS)
        return utilisation_over_time(lists, "week")
    weeks = _weeks(engine)
    keep = weeks.mask(unit, period)
    if not keep.any():
        return utilisation_over_time(pd.DataFrame(), "week")
    return periods_of(_rated("week", *weeks.sums(keep, "week")), "week", _months_of(weeks, keep))


def _months_of(summed: Held, keep: np.ndarray) -> pd.Series:
    """The month of each kept row (they mark a period's whole weeks)."""
    return pd.Series(summed.labels["month"][summed.codes["month"][keep]])


def unit_monthly(engine: Engine, unit: Unit, period: marts.Period) -> pd.DataFrame:
    """:func:`utilisation_over_time` of the unit's lists by month, from the monthly mart."""
    months = _months(engine)
    keep = months.mask(unit, period)
    if not keep.any():
        return utilisation_over_time(pd.DataFrame(), "month")
    labels, sums = months.sums(keep, "month")
    return periods_of(_rated("month", labels, sums), "month", pd.Series(labels))


def headline(engine: Engine, unit: Unit, period: marts.Period, target: float) -> Headline:
    """What the page shows above its tabs (the tiles) and its default tab draws. Above a site,
    the unit's total and its weeks are one frame, rated at once."""
    no_weeks = utilisation_over_time(pd.DataFrame(), "week")
    if unit.site:
        summary = unit_summary(engine, unit, period, target)
        return Headline(summary, unit_weekly(engine, unit, period) if len(summary) else no_weeks)
    weeks = _weeks(engine)
    keep = weeks.mask(unit, period)
    if not keep.any():
        return Headline(pd.DataFrame(columns=list(marts.THEATRE_REPORT_COLUMNS)), no_weeks)
    labels, summed = weeks.sums(keep, "week")
    rows = {
        name: np.concatenate((values[keep].sum(keepdims=True), summed[name]))
        for name, values in weeks.figures.items()
    }
    rated = _rated("week", np.concatenate((np.array([None]), labels)), rows)
    summary = _summary(rated.iloc[:1], engine, unit, period, target)
    weekly = periods_of(rated.iloc[1:].reset_index(drop=True), "week", _months_of(weeks, keep))
    return Headline(summary, weekly)


def waterfall(summary: pd.DataFrame) -> pd.DataFrame:
    """:func:`lost_time.lost_time_steps` of the unit's lists, from its summed minutes.

    The steps are sums over lists (unused sessions' planned minutes, late start, in-session
    gaps, early finish, capped touch, overrun), so two rows carry them: the unused sessions'
    planned minutes, and everything else on the used lists."""
    if summary.empty:
        return lost_time.lost_time_steps(pd.DataFrame())
    row = summary.iloc[0]
    unused, planned = row["unused_planned_minutes"], row["planned_minutes"]
    sums = pd.DataFrame(
        {
            "unused": [True, False],
            "planned_minutes": [unused, planned - unused],
            "capped_touch_minutes": [0.0, row["capped_touch_minutes"]],
            "late_start_minutes": [0.0, row["late_start_minutes_sum"]],
            "early_finish_minutes": [0.0, row["early_finish_minutes_sum"]],
            "overrun_minutes": [0.0, row["overrun_minutes_sum"]],
            lost_time.IN_SESSION_GAPS: [0.0, row[lost_time.IN_SESSION_GAPS]],
        }
    )
    return lost_time.lost_time_steps(sums)


def unit_heatmap(engine: Engine, unit: Unit, period: marts.Period) -> pd.DataFrame:
    """:func:`heatmap` of the unit's lists (every trust's read once per build)."""
    lists = marts.read_mart(engine, marts.THEATRE_LIST, period, columns=list(HEATMAP_READ))
    keep = np.ones(len(lists), dtype=bool)
    for column, value in unit.filters.items():
        keep &= (lists[column] == value).to_numpy(dtype=bool, na_value=False)
    return heatmap(lists.loc[keep].reset_index(drop=True))
