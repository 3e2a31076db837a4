"""A unit's headline figures from the summed marts: the Theatres page's tiles, trends, waterfall
and bands without reading every list of the system.

The weekly mart (trust, specialty, month, week) holds what
:func:`productivity.metrics.theatre.sum_lists` gives for its lists, so adding up its rows over a
unit gives the unit's sums by week, by month and in all (sums of the lists' whole minutes and
counts are exact, as :func:`productivity.store.theatre_report.summary_from_aggregates` relies
on); ratios, the median gap and the opportunity then come from the same functions as
:func:`marts.theatre_summary`. The mart is read once per marts build as arrays and the unit and
period are kept in memory. Below a trust the same sums by month and week come from SQL, once per
site or theatre (:mod:`theatre_held`). The opportunity is :mod:`theatre_opportunity`'s (it
reads lists only where the marts' per-trust figures do not serve); the gap histograms and the
heatmap are grouped in SQL.
No Streamlit import.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sqlalchemy import Engine

from productivity.metrics import lost_time, theatre
from productivity.store import marts
from productivity.views import theatre_held, theatre_opportunity
from productivity.views.theatre_held import Held
from productivity.views.theatres import Unit, heatmap_of, periods_of, utilisation_over_time


@dataclass(frozen=True)
class Headline:
    """The unit's one-row summary (the theatre report's columns) and its weekly rows."""

    summary: pd.DataFrame
    weekly: pd.DataFrame

    @property
    def empty(self) -> bool:
        return self.summary.empty


def _weeks(engine: Engine) -> Held:
    """The weekly mart (trust, specialty, month, week), every build's rows held."""
    return theatre_held.weeks(engine)


def _sums_of(engine: Engine, unit: Unit, period: marts.Period) -> tuple[Held, np.ndarray]:
    """The unit's summed rows by month and week (the weekly mart, or a site's own sums, whose
    unit filters are in their SQL) and which of them fall in the period."""
    if unit.site:
        found = theatre_held.site_sums(engine, unit)
        return found, found.kept({}, period)
    found = _weeks(engine)
    return found, found.mask(unit, period)


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
    found = theatre_opportunity.unit_opportunity(engine, unit, period, target, _weeks(engine))
    for column, value in found.items():
        summary[column] = value
    return summary


def unit_summary(engine: Engine, unit: Unit, period: marts.Period, target: float) -> pd.DataFrame:
    """:func:`marts.theatre_summary` of the unit's lists (``by`` none), summed by week."""
    summed, keep = _sums_of(engine, unit, period)
    if not keep.any():
        return pd.DataFrame(columns=list(marts.THEATRE_REPORT_COLUMNS))
    total = {name: values[keep].sum(keepdims=True) for name, values in summed.figures.items()}
    return _summary(_rated("unit", np.array([None]), total), engine, unit, period, target)


def _gaps(engine: Engine, unit: Unit, period: marts.Period) -> tuple[np.ndarray, np.ndarray]:
    """The unit's changeover-gap histogram (values, counts), grouped in SQL."""
    return theatre_held.unit_gaps(engine, unit, period)


def unit_weekly(engine: Engine, unit: Unit, period: marts.Period) -> pd.DataFrame:
    """:func:`utilisation_over_time` of the unit's lists by week, from its sums by week."""
    summed, keep = _sums_of(engine, unit, period)
    if not keep.any():
        return utilisation_over_time(pd.DataFrame(), "week")
    return periods_of(_rated("week", *summed.sums(keep, "week")), "week", _months_of(summed, keep))


def _months_of(summed: Held, keep: np.ndarray) -> pd.Series:
    """The month of each kept row (they mark a period's whole weeks)."""
    return pd.Series(summed.labels["month"][summed.codes["month"][keep]])


def unit_monthly(engine: Engine, unit: Unit, period: marts.Period) -> pd.DataFrame:
    """:func:`utilisation_over_time` of the unit's lists by month, from its sums by week (each
    row is one month's part of a week)."""
    summed, keep = _sums_of(engine, unit, period)
    if not keep.any():
        return utilisation_over_time(pd.DataFrame(), "month")
    labels, sums = summed.sums(keep, "month")
    return periods_of(_rated("month", labels, sums), "month", pd.Series(labels))


def headline(engine: Engine, unit: Unit, period: marts.Period, target: float) -> Headline:
    """What the page shows above its tabs (the tiles) and its default tab draws: the unit's
    total and its weeks are one frame, rated at once."""
    summed, keep = _sums_of(engine, unit, period)
    if not keep.any():
        no_weeks = utilisation_over_time(pd.DataFrame(), "week")
        return Headline(pd.DataFrame(columns=list(marts.THEATRE_REPORT_COLUMNS)), no_weeks)
    labels, weeks = summed.sums(keep, "week")
    rows = {
        name: np.concatenate((values[keep].sum(keepdims=True), weeks[name]))
        for name, values in summed.figures.items()
    }
    rated = _rated("week", np.concatenate((np.array([None]), labels)), rows)
    summary = _summary(rated.iloc[:1], engine, unit, period, target)
    weekly = periods_of(rated.iloc[1:].reset_index(drop=True), "week", _months_of(summed, keep))
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
    """:func:`heatmap` of the unit's lists, summed per weekday and session in SQL."""
    return heatmap_of(theatre_held.heatmap_sums(engine, unit, period))
