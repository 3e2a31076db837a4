"""Statistical process control: "making data count" XmR charts, point for point as NHSRplotthedots.

This module owns the XmR calculation of the NHS-R community's NHSRplotthedots package (``ptd_spc``:
``ptd_spc_standard`` then ``ptd_calculate_point_type``): the mean and process limits of each rebase
period, the special-cause rules (outside the limits, a trend of 7, 2 of 3 close to the limits, a
shift of 7), the point types, and the variation and assurance icons of a series. It returns fixed
columns that ``charts.py`` draws and never recomputes. It is pure: it imports only the standard
library, numpy and pandas (never Streamlit or the store).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

# 3 / d2 with d2 = 1.128 (the bias constant of a moving range of 2): mean ± 2.66 mMR is mean ± 3σ.
# NHSRplotthedots `ptd_spc_standard`: `limit <- 2.66`.
LIMIT_FACTOR = 2.66
# 2σ, written exactly as ptd's `limitclose <- 2 * (limit / 3)` so the floats agree.
CLOSE_FACTOR = 2 * (LIMIT_FACTOR / 3)
# D4 for subgroups of 2: the upper limit of a moving-range chart. ptd drops moving ranges at or
# above 3.267 × the mean moving range, then recomputes the mean (`screen_outliers = TRUE`).
SCREEN_FACTOR = 3.267
# Making Data Count: a shift is 7 points on one side of the mean; a trend, 7 rising or falling.
RUN_LENGTH = 7
# ptd_add_short_group_warnings: a period of fewer than 12 points has trial limits; ptd also refuses
# to fix the limits on fewer than 12 points (ptd_spc_options).
MIN_POINTS = 12

DIRECTIONS = ("higher", "lower", "neutral")
RULES = ("outside_limits", "trend", "two_in_three", "shift", "none")
POINT_COLUMNS = (
    "date", "value", "mean", "lower_limit", "upper_limit", "lower_2sigma", "upper_2sigma",
    "moving_range", "special_cause", "point_type", "rule", "period", "trial_limits", "target",
)  # fmt: skip
PERIOD_COLUMNS = (
    "period", "start", "end", "n_points", "mean", "mean_moving_range", "lower_limit",
    "upper_limit", "trial_limits",
)  # fmt: skip


@dataclass(frozen=True)
class SPCResult:
    """An XmR chart: one row per point, one row per rebase period, and the two icons.

    ``variation`` is the type of the last point without its ``special_cause_`` prefix
    (``improvement``, ``concern``, ``common_cause``, ``neutral_high``, ``neutral_low``).
    ``assurance`` is ``consistent_pass``, ``consistent_fail``, ``hit_and_miss`` or ``None``.
    """

    points: pd.DataFrame
    periods: pd.DataFrame
    variation: str
    assurance: str | None


def xmr(
    values: pd.Series | Sequence[float],
    dates: Sequence[Any] | pd.Series,
    *,
    direction: str = "higher",
    target: float | None = None,
    rebase_dates: Sequence[Any] = (),
    screen_outliers: bool = True,
    fix_after_n_points: int | None = None,
) -> SPCResult:
    """Compute a making-data-count XmR chart, as NHSRplotthedots ``ptd_spc`` does.

    Points are sorted by date (values and dates are paired by position; a Series index is
    ignored). Each rebase period (a new one starts at the first point on or after each rebase
    date) gets its own mean and limits: mean ± 2.66 × mean moving range, where a moving range is
    |x_i − x_{i−1}| within the period. With ``screen_outliers`` moving ranges ≥ 3.267 × their mean
    are dropped and the mean recomputed once. With ``fix_after_n_points`` the mean and mean moving
    range come from the first n points of each period only. A period of fewer than 12 points has
    ``trial_limits``.

    Special cause, within each period: a point strictly beyond a limit (``outside_limits``); 7 or
    more points each strictly above (or below) the one before, all of them flagged (``trend``); 2
    of 3 consecutive points beyond 2σ but inside the limits, all 3 strictly on one side of the
    mean, with the points beyond 2σ flagged (``two_in_three``); 7 or more points strictly on one
    side of the mean, all flagged (``shift``). Labels take that order of precedence. The side of a
    trend point is the direction of the trend; of any other, its side of the mean. With
    ``direction`` "higher" or "lower" a side is ``special_cause_improvement`` or
    ``special_cause_concern``; with "neutral" it is ``special_cause_neutral_high``/``_low``.

    Two deliberate differences from ptd, both where ptd gives no usable answer: a rebase date
    that is not a data date moves to the next point (ptd ignores it), and a period whose moving
    ranges are all 0 keeps mMR 0 under screening (ptd screens them all out and has no limits).

    Raises:
        ValueError: no values; values and dates of different lengths; a missing or infinite
            value; a missing or repeated date; an unknown direction; a non-finite target; or
            ``fix_after_n_points`` not a whole number of at least 12 (as ptd requires).
    """
    if direction not in DIRECTIONS:
        raise ValueError(f"direction must be one of {DIRECTIONS}, not {direction!r}")
    if target is not None and not math.isfinite(target):
        raise ValueError(f"target must be a finite number, not {target!r}")
    if fix_after_n_points is not None and (
        isinstance(fix_after_n_points, bool)
        or not isinstance(fix_after_n_points, int | np.integer)
        or fix_after_n_points < MIN_POINTS
    ):
        raise ValueError(
            f"fix_after_n_points must be a whole number of at least {MIN_POINTS}, "
            f"not {fix_after_n_points!r}"
        )
    y, when = _clean_inputs(values, dates)
    order = np.argsort(when.to_numpy(), kind="stable")
    y = y[order]
    when = when[order]
    period = _periods(when, rebase_dates)

    calc = pd.concat(
        [
            _period_points(y[period == p], fix_after_n_points, screen_outliers, direction)
            for p in np.unique(period)
        ],
        ignore_index=True,
    )
    calc.insert(0, "date", when)
    calc.insert(1, "value", y)
    calc["period"] = period
    calc["trial_limits"] = calc.groupby("period")["value"].transform("size") < MIN_POINTS
    calc["target"] = math.nan if target is None else float(target)
    points = calc.loc[:, list(POINT_COLUMNS)]

    periods = (
        calc.groupby("period", sort=True)
        .agg(
            start=("date", "first"),
            end=("date", "last"),
            n_points=("value", "size"),
            mean=("mean", "first"),
            mean_moving_range=("mean_moving_range", "first"),
            lower_limit=("lower_limit", "first"),
            upper_limit=("upper_limit", "first"),
            trial_limits=("trial_limits", "first"),
        )
        .reset_index()
    )
    periods = periods.loc[:, list(PERIOD_COLUMNS)]

    last_type = str(points["point_type"].iloc[-1])
    variation = last_type.removeprefix("special_cause_")
    last = periods.iloc[-1]
    assurance = _assurance(
        direction, target, float(last["lower_limit"]), float(last["upper_limit"])
    )
    return SPCResult(points=points, periods=periods, variation=variation, assurance=assurance)


def signals(
    values: np.ndarray, *, direction: str = "higher", target: float | None = None
) -> tuple[str, str | None]:
    """The variation and assurance icons of one series already in date order, with distinct
    dates and no rebase: exactly ``xmr(values, dates, direction=..., target=...)``'s
    ``variation`` and ``assurance``, without building its tables (the Overview judges every
    trust's series on each change of period).

    Raises:
        ValueError: as :func:`xmr` for no values, a missing or infinite value, an unknown
            direction or a non-finite target.
    """
    if direction not in DIRECTIONS:
        raise ValueError(f"direction must be one of {DIRECTIONS}, not {direction!r}")
    if target is not None and not math.isfinite(target):
        raise ValueError(f"target must be a finite number, not {target!r}")
    y = np.asarray(values, dtype=float)
    if y.size == 0:
        raise ValueError("xmr needs at least one value")
    bad = np.flatnonzero(~np.isfinite(y))
    if bad.size:
        raise ValueError(f"value at position {bad[0]} is {y[bad[0]]}: SPC needs every value")
    calc = _period_arrays(y, None, True, direction)
    variation = str(calc["point_type"][-1]).removeprefix("special_cause_")
    lower, upper = float(calc["lower_limit"][-1]), float(calc["upper_limit"][-1])
    return variation, _assurance(direction, target, lower, upper)


def to_records(result: SPCResult) -> dict[str, Any]:
    """Turn a result into JSON-safe values for ``--format json``.

    Returns ``{"points": [...], "variation": ..., "assurance": ..., "periods": [...]}``: one dict
    per row, dates as ISO strings (``YYYY-MM-DD`` when there is no time of day), numpy scalars as
    Python ones, and NaN (a missing moving range, limit or target) as ``None``.
    """
    return {
        "points": _frame_records(result.points),
        "variation": result.variation,
        "assurance": result.assurance,
        "periods": _frame_records(result.periods),
    }


def _clean_inputs(
    values: pd.Series | Sequence[float], dates: Sequence[Any] | pd.Series
) -> tuple[np.ndarray, pd.DatetimeIndex]:
    """Validate and convert the inputs: finite float values, distinct dates, same length."""
    y = pd.Series(values).to_numpy(dtype=float, na_value=np.nan)
    when = pd.DatetimeIndex(pd.to_datetime(pd.Series(dates)))
    if y.size == 0:
        raise ValueError("xmr needs at least one value")
    if y.size != len(when):
        raise ValueError(f"got {y.size} values but {len(when)} dates")
    bad = np.flatnonzero(~np.isfinite(y))
    if bad.size:
        raise ValueError(f"value at position {bad[0]} is {y[bad[0]]}: SPC needs every value")
    if when.hasnans:
        raise ValueError(f"date at position {int(np.flatnonzero(when.isna())[0])} is missing")
    if when.has_duplicates:
        raise ValueError(f"date {when[when.duplicated()][0].date()} appears more than once")
    return y, when


def _periods(when: pd.DatetimeIndex, rebase_dates: Sequence[Any]) -> np.ndarray:
    """Period number (0, 1, ...) of each sorted point.

    ptd only rebases at a date present in the data; a rebase date between two points is moved
    to the next point here rather than silently ignored. Dates before the first point or after
    the last change nothing.
    """
    if isinstance(rebase_dates, str | dt.date | np.datetime64):
        rebase_dates = [rebase_dates]
    if len(rebase_dates) == 0:
        return np.zeros(len(when), dtype=int)
    rebase = pd.DatetimeIndex(pd.to_datetime(pd.Series(list(rebase_dates))))
    starts = np.unique(when.searchsorted(rebase, side="left"))
    starts = starts[(starts > 0) & (starts < len(when))]
    return np.searchsorted(starts, np.arange(len(when)), side="right")


def _mean_moving_range(y: np.ndarray, fix_after_n_points: int | None, screen: bool) -> float:
    """Mean moving range of one period (NaN with fewer than 2 points to compare).

    ptd screens with ``mr < 3.267 * amr``, which drops every moving range when they are all 0
    (a constant series), leaving no limits at all. Nothing can be an outlier among equal moving
    ranges, so here screening is skipped when the mean is 0 and the limits equal the mean.
    """
    mr = np.abs(np.diff(y[:fix_after_n_points]))
    if mr.size == 0:
        return math.nan
    amr = float(mr.mean())
    if screen and amr > 0:
        # never empty: the smallest moving range is at most the mean, below 3.267 × the mean
        amr = float(mr[mr < SCREEN_FACTOR * amr].mean())
    return amr


def _period_points(
    y: np.ndarray, fix_after_n_points: int | None, screen: bool, direction: str
) -> pd.DataFrame:
    """Limits, rules and point types of one rebase period (``y`` sorted by date)."""
    return pd.DataFrame(_period_arrays(y, fix_after_n_points, screen, direction))


def _period_arrays(
    y: np.ndarray, fix_after_n_points: int | None, screen: bool, direction: str
) -> dict[str, np.ndarray]:
    """:func:`_period_points`' columns as arrays (what :func:`signals` reads without a frame)."""
    n = y.size
    centre = float(y[:fix_after_n_points].mean())
    amr = _mean_moving_range(y, fix_after_n_points, screen)
    lower, upper = centre - LIMIT_FACTOR * amr, centre + LIMIT_FACTOR * amr
    lower_close, upper_close = centre - CLOSE_FACTOR * amr, centre + CLOSE_FACTOR * amr

    side = np.sign(y - centre)  # ptd `relative_to_mean`: a point on the mean is 0
    outside = (y > upper) | (y < lower)  # False when the limits are NaN (a one-point period)
    close = ~outside & ((y < lower_close) | (y > upper_close))

    trend, trend_up = _trend(y)
    two_in_three = _two_in_three(close, side)
    shift = _runs_flag(side, RUN_LENGTH) & (side != 0)

    rule = np.select([outside, trend, two_in_three, shift], list(RULES[:-1]), default=RULES[-1])
    # The side a point counts for: a trend by its direction, anything else by its side of the
    # mean (ptd_point_type reads "Above"/"Increasing" as high, everything else as low).
    high = np.where(rule == "trend", trend_up, side > 0)
    special = rule != RULES[-1]
    if direction == "neutral":
        kind = np.where(high, "special_cause_neutral_high", "special_cause_neutral_low")
    else:
        good = high if direction == "higher" else ~high
        kind = np.where(good, "special_cause_improvement", "special_cause_concern")
    return {
        "mean": np.full(n, centre),
        "mean_moving_range": np.full(n, amr),
        "lower_limit": np.full(n, lower),
        "upper_limit": np.full(n, upper),
        "lower_2sigma": np.full(n, lower_close),
        "upper_2sigma": np.full(n, upper_close),
        "moving_range": np.concatenate(([math.nan], np.abs(np.diff(y)))),
        "special_cause": special,
        "point_type": np.where(special, kind, "common_cause"),
        "rule": rule,
    }


def _runs_flag(a: np.ndarray, min_length: int) -> np.ndarray:
    """True for each element of a run of equal values at least ``min_length`` long."""
    if a.size == 0:
        return np.zeros(0, dtype=bool)
    starts = np.concatenate(([0], np.flatnonzero(a[1:] != a[:-1]) + 1))
    lengths = np.diff(np.concatenate((starts, [a.size])))
    return np.repeat(lengths >= min_length, lengths)


def _trend(y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Points in a trend of 7 (6 successive strict rises or falls), and whether each rises.

    A point where one trend ends and another begins takes the direction of the later one, as
    ptd does (it reads the step to the next point when that point is also in a trend).
    """
    n = y.size
    step = np.sign(np.diff(y))
    in_run = _runs_flag(step, RUN_LENGTH - 1) & (step != 0)
    trend = np.zeros(n, dtype=bool)
    trend[:-1] |= in_run
    trend[1:] |= in_run
    before = np.concatenate(([0.0], step))
    after = np.concatenate((step, [0.0]))
    next_in_trend = np.concatenate((trend[1:], [False]))
    direction = np.where(trend & next_in_trend, after, before)
    return trend, direction == 1


def _two_in_three(close: np.ndarray, side: np.ndarray) -> np.ndarray:
    """Points beyond 2σ that are 2 of 3 consecutive such points all on one side of the mean."""
    n = close.size
    if n < 3:
        return np.zeros(n, dtype=bool)
    c = close.astype(int)
    window = ((c[:-2] + c[1:-1] + c[2:]) >= 2) & (np.abs(side[:-2] + side[1:-1] + side[2:]) == 3)
    covered = np.zeros(n, dtype=bool)
    for offset in range(3):  # a window starting at i covers i, i + 1 and i + 2
        covered[offset : n - 2 + offset] |= window
    out: np.ndarray = covered & close
    return out


def _assurance(direction: str, target: float | None, lower: float, upper: float) -> str | None:
    """Assurance icon from the target and the last period's limits (ptd_calculate_assurance_type).

    ptd gives no assurance for a neutral direction. A target exactly on a limit, or limits that
    cannot be computed (a one-point period), give ``hit_and_miss``.
    """
    if target is None or direction == "neutral":
        return None
    higher = direction == "higher"
    if target > upper:
        return "consistent_fail" if higher else "consistent_pass"
    if target < lower:
        return "consistent_pass" if higher else "consistent_fail"
    return "hit_and_miss"


def _frame_records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [
        {str(column): _json_value(value) for column, value in row.items()}
        for row in frame.to_dict(orient="records")
    ]


def _json_value(value: Any) -> Any:
    if isinstance(value, pd.Timestamp):
        if value == value.normalize():
            return value.date().isoformat()
        return value.isoformat()
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
