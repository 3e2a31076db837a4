"""The Theatres page's measures: every SPEC §4 theatre measure as a tile and as a trend.

>>> TREND_MEASURES["On-the-day cancellations"].series
{'Non-clinical': 'otd_cancellation_rate', 'Clinical': 'clinical_cancellation_rate'}
>>> SMALL_NUMBERS_LISTS
10

:func:`unit_tiles` turns the unit's summary (``theatres.unit_view``) into rows of tiles, and
:func:`measure_trend` any of :data:`TREND_MEASURES` into a trend's rows.

Every value comes from :func:`productivity.metrics.theatre.ratios` (ratios of sums) on the
unit's summed rows, so a tile, its sparkline and its trend are the same definition at every drill
level (trust, site, theatre, specialty). Lost time is shown in hours and in minutes per list.
Fewer than :data:`SMALL_NUMBERS_LISTS` lists in scope is *small numbers*: values are shown but not
marked against a benchmark. No Streamlit import.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sqlalchemy import Engine

from productivity.benchmarks import Benchmarks
from productivity.metrics.theatre import median_from_counts
from productivity.store import marts

SMALL_NUMBERS_LISTS = 10  # fewer lists than this and one list moves a share by 10 points or more
UTILISATION_KEY = "theatre_capped_utilisation"
OTD_KEY = "otd_cancellation_rate"


@dataclass(frozen=True)
class Measure:
    """A trend the page can draw: one or two series of the summed rows, and how to show them."""

    series: dict[str, str]  # series name on the chart -> column of metrics.theatre.ratios
    axis: str  # the y axis title
    fmt: str  # d3 format of a value
    benchmark: str | None = None  # benchmark key drawn as a line
    monthly_only: bool = False  # only the monthly rows have it (gaps are stored by month)


# Plain labels as options, so the URL holds what the user sees (?trend=Late+starts).
TREND_MEASURES: dict[str, Measure] = {
    "Utilisation": Measure(
        {"Capped": "capped_utilisation", "Uncapped": "uncapped_utilisation"}, "Utilisation",
        ".1%", UTILISATION_KEY,
    ),
    "Lost minutes per list": Measure(
        {"Lost minutes per list": "lost_minutes_per_list"}, "Minutes per list", ",.0f"
    ),
    "Late starts": Measure({"Lists starting late": "late_start_share"}, "Share of lists", ".0%"),
    "Late start minutes": Measure(
        {"Mean minutes late": "mean_late_start_minutes"}, "Minutes", ",.1f"
    ),
    "Early finishes": Measure(
        {"Lists finishing early": "early_finish_share"}, "Share of lists", ".0%"
    ),
    "Early finish minutes": Measure(
        {"Mean minutes early": "mean_early_finish_minutes"}, "Minutes", ",.1f"
    ),
    "Overruns": Measure({"Lists overrunning": "overrun_share"}, "Share of lists", ".0%"),
    "Overrun minutes": Measure({"Mean minutes over": "mean_overrun_minutes"}, "Minutes", ",.1f"),
    "Median changeover gap": Measure(
        {"Median gap": "median_gap_minutes"}, "Minutes", ",.1f", monthly_only=True
    ),
    "Cases per list": Measure({"Cases per list": "cases_per_list"}, "Cases", ",.2f"),
    "Touch minutes per case": Measure({"Touch minutes": "mean_case_minutes"}, "Minutes", ",.0f"),
    "On-the-day cancellations": Measure(
        {"Non-clinical": "otd_cancellation_rate", "Clinical": "clinical_cancellation_rate"},
        "Share of scheduled cases", ".1%", OTD_KEY,
    ),
    "Unused sessions": Measure(
        {"Unused sessions": "unused_session_share"}, "Share of lists", ".1%"
    ),
}  # fmt: skip


@dataclass(frozen=True)
class Tile:
    """One headline tile: a value, a grey note under it, a tooltip and a sparkline."""

    label: str
    value: str
    note: str | None
    help: str
    trend: list[float]


def small_numbers(summary: pd.DataFrame) -> bool:
    """True when the unit has fewer than :data:`SMALL_NUMBERS_LISTS` lists in scope."""
    return summary.empty or int(summary["lists"].iloc[0]) < SMALL_NUMBERS_LISTS


def _number(value: object, fmt: str, unit: str = "") -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{format(value, fmt)}{unit}"


def _marked(value: float, target: float, higher: bool, small: bool, fmt: str) -> str:
    """The value with ✓ (meets) or ✗ (misses) against the target; unmarked for small numbers."""
    if value is None or math.isnan(value):
        return "–"
    if small:
        return format(value, fmt)
    meets = value >= target if higher else value <= target
    return f"{'✓' if meets else '✗'} {format(value, fmt)}"


def _trend(whole: pd.DataFrame, column: str) -> list[float]:
    """A sparkline's series: ``column`` of the whole weeks (:func:`whole_periods`)."""
    if column not in whole.columns:
        return []
    values = whole[column].to_numpy(dtype=float)
    shown: list[float] = values[~np.isnan(values)].tolist()
    return shown


def unit_tiles(
    summary: pd.DataFrame, weekly: pd.DataFrame, benchmarks: Benchmarks
) -> list[list[Tile]]:
    """Every theatre measure of the unit, in three rows of tiles (see :data:`TREND_MEASURES`)."""
    row = summary.iloc[0]
    small = small_numbers(summary)
    target = benchmarks.value(UTILISATION_KEY)
    otd = benchmarks[OTD_KEY]
    mark = "" if small else f"; ✓ at or above {target:.0%}"
    note = "small numbers: not marked" if small else f"benchmark {target:.0%}"
    used = int(row["used_lists"])
    hours = row["lost_minutes"] / 60

    whole = whole_periods(weekly)  # once, not once per tile

    def tile(label: str, value: str, note: str | None, help: str, column: str) -> Tile:
        return Tile(label, value, note, help, _trend(whole, column))

    return [
        [
            tile("Capped utilisation",
                 _marked(row["capped_utilisation"], target, True, small, ".1%"), note,
                 f"Σ capped touch ÷ Σ planned minutes{mark}.", "capped_utilisation"),
            tile("Uncapped utilisation",
                 _marked(row["uncapped_utilisation"], target, True, small, ".1%"), note,
                 "Σ touch time, overruns included, ÷ Σ planned minutes (may pass 100%).",
                 "uncapped_utilisation"),
            tile("Additional cases (realisable)", _number(row.get("realisable_additional_cases"),
                 ",.0f"), f"pooled {_number(row.get('pooled_additional_cases'), ',.0f')}",
                 f"Whole cases that fit inside a list at {target:.0%} capped utilisation; pooled "
                 "divides every minute short by the mean case length.", ""),
            tile("Lost time", _number(hours, ",.0f", " h"),
                 f"{_number(row['lost_minutes_per_list'], ',.0f')} min per list",
                 "Planned minutes not used for capped touch time (the waterfall below), in "
                 "hours and per list.", "lost_minutes_per_list"),
        ],
        [
            tile("Late starts", _number(row["late_start_share"], ".0%"),
                 f"mean {_number(row['mean_late_start_minutes'], ',.0f')} min late",
                 f"Share of the {used:,} lists with a case whose first case started more than "
                 f"{benchmarks.value('late_start_minutes'):g} minutes after the planned start; "
                 "the mean is over the same lists.", "late_start_share"),
            tile("Early finishes", _number(row["early_finish_share"], ".0%"),
                 f"mean {_number(row['mean_early_finish_minutes'], ',.0f')} min early",
                 f"Share of lists with a case finishing more than "
                 f"{benchmarks.value('early_finish_minutes'):g} minutes before the planned end.",
                 "early_finish_share"),
            tile("Overruns", _number(row["overrun_share"], ".0%"),
                 f"mean {_number(row['mean_overrun_minutes'], ',.0f')} min over",
                 f"Share of lists with a case whose last case left more than "
                 f"{benchmarks.value('overrun_minutes'):g} minutes after the planned end.",
                 "overrun_share"),
            tile("Median changeover gap", _number(row.get("median_gap_minutes"), ".0f", " min"),
                 "between cases", "Median of every gap between one case leaving and the next "
                 "case's anaesthetic start (parallel induction counts as 0).", ""),
        ],
        [
            tile("Cases per list", _number(row["cases_per_list"], ",.1f"),
                 f"{int(row['completed_cases']):,} completed",
                 "Completed (not cancelled) cases ÷ lists, unused sessions included.",
                 "cases_per_list"),
            tile("Touch minutes per case", _number(row["mean_case_minutes"], ",.0f", " min"),
                 "anaesthetic to out",
                 "Mean touch time (anaesthetic start to out of theatre) per completed case.",
                 "mean_case_minutes"),
            tile("Unused sessions", _number(int(row["unused_lists"]), ",d"),
                 f"{_number(row['unused_session_share'], '.1%')} of lists",
                 f"Lists on which no case was done: {row['unused_planned_minutes'] / 60:,.0f} "
                 "planned hours, counted in utilisation at 0 touch.", "unused_session_share"),
            tile("On-the-day cancellations", _marked(row["otd_cancellation_rate"], otd.value,
                 otd.direction == "higher", small, ".1%"),
                 f"clinical {_number(row['clinical_cancellation_rate'], '.1%')}",
                 f"Cases cancelled on the day for non-clinical reasons ÷ scheduled cases, "
                 f"{'' if small else '✓ at or below '}the {otd.value:.0%} benchmark "
                 f"({otd.source}). Clinical reasons (e.g. patient unfit) are shown beside, with "
                 f"no benchmark: {int(row['cancelled_cases']):,} cases cancelled in all.",
                 "otd_cancellation_rate"),
        ],
    ]  # fmt: skip


def headline(label: str, summary: pd.DataFrame) -> str:
    """The unit's headline, with a *small numbers* marker when there are fewer than 10 lists."""
    lists = int(summary["lists"].iloc[0]) if len(summary) else 0
    text = f"{label}: {lists:,} {'list' if lists == 1 else 'lists'}"
    if small_numbers(summary):
        text += " :gray-badge[:material/info: small numbers]"
    return text


def whole_periods(over_time: pd.DataFrame) -> pd.DataFrame:
    """The rows of whole weeks (or months): weeks cut by the period's edges are left out."""
    if "whole" not in over_time:
        return over_time
    return over_time[over_time["whole"].astype(bool)].reset_index(drop=True)


def measure_trend(over_time: pd.DataFrame, measure: Measure) -> pd.DataFrame:
    """One row per period × series (``period, measure, value``) for ``charts.trend``.

    Weekly rows cut by the edges of the chosen months (``whole`` False) are left out: a week
    with two days in the period would be a point made of a handful of lists.
    """
    columns = ["period", "measure", "value"]
    present = {name: c for name, c in measure.series.items() if c in over_time.columns}
    whole = ["whole"] if "whole" in over_time.columns else []
    rows = whole_periods(over_time[["period", *present.values(), *whole]])
    if rows.empty or not present:
        return pd.DataFrame(columns=columns)
    # As DataFrame.melt lays them out (one series after another), without melting a frame.
    long = pd.DataFrame(
        {
            "period": np.tile(rows["period"].to_numpy(), len(present)),
            "measure": np.repeat(list(present), len(rows)),
            "value": rows[list(present.values())].to_numpy(dtype=float).T.ravel(),
        }
    )
    return long[long["value"].notna()].reset_index(drop=True)


def with_gap_medians(
    engine: Engine,
    monthly: pd.DataFrame,
    trusts: list[str] | None,
    extra: dict[str, str],
    period: marts.Period,
) -> pd.DataFrame:
    """The monthly rows with each month's median changeover gap, from the gap mart."""
    gaps = marts.read_mart(engine, marts.THEATRE_GAP, period, trusts, extra or None)
    return monthly.merge(monthly_gap_medians(gaps), on="period", how="left")


def monthly_gap_medians(gaps: pd.DataFrame) -> pd.DataFrame:
    """``period, median_gap_minutes`` from a gap histogram by month (month, gap_minutes, gaps)."""
    if gaps.empty:
        return pd.DataFrame(columns=["period", "median_gap_minutes"])
    medians = (
        gaps.groupby("month")[["gap_minutes", "gaps"]]
        .apply(lambda g: median_from_counts(g["gap_minutes"].to_numpy(), g["gaps"].to_numpy()))
        .rename("median_gap_minutes")
        .reset_index()
    )
    return medians.assign(period=medians["month"] + "-01")[["period", "median_gap_minutes"]]


def trend_note(measure: Measure, benchmarks: Benchmarks, weekly: bool) -> str:
    """The trend's caption: its benchmark line and what the weekly points leave out."""
    parts = []
    if measure.benchmark:
        bench = benchmarks[measure.benchmark]
        parts.append(f"Dashed line: the {bench.value:.0%} benchmark ({bench.source}).")
    if measure.monthly_only:
        parts.append("Changeover gaps are stored by month, so this measure is monthly.")
    elif weekly:
        parts.append("Weeks cut by the edges of the chosen months are left out.")
    parts.append("Each point is a ratio of sums over the period's lists.")
    return " ".join(parts)


WATERFALL_COLUMNS = ["step", "hours", "minutes_per_list", "share_of_planned"]


def waterfall_hours(steps: pd.DataFrame, lists: int) -> pd.DataFrame:
    """The lost-time steps in hours and in minutes per list, labelled "1,234 h", "45 min/list"
    (the steps keep their whole minutes, so they still add up exactly)."""
    if steps.empty:
        return steps.assign(hours=[], minutes_per_list=[], label=[])
    out = steps.assign(
        hours=(steps["minutes"] / 60).round(1),
        minutes_per_list=(steps["minutes"] / max(lists, 1)).round(1),
    )
    # Two lines per bar ("1,234 h" over "45 min/list"), so neighbouring labels never touch.
    out["label"] = [
        f"{h:,.0f} h\n{m:,.0f} min/list" for h, m in zip(out["hours"], out["minutes_per_list"],
                                                          strict=True)
    ]  # fmt: skip
    return out
