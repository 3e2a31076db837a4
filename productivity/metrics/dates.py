"""Europe/London dates and the England working-day calendar, for turnaround in days.

As SPEC §4 "Turnaround (reporting and pathology)" defines them: calendar days = end date −
start date in whole days (same day 0), on Europe/London dates; working days = the England
working days d with start date < d ≤ end date, weekends and England bank holidays (substitute
days included) not counted. The holidays come from the maintained ``holidays`` package (``GB``,
subdivision ``ENG``), never a typed-in list. Timestamps may be naive (taken as Europe/London
wall-clock time), tz-aware, or ISO 8601 strings with or without an offset; all are compared as
London dates. :mod:`productivity.metrics.turnaround` uses it and re-exports its public names.
Imports only the stdlib, numpy, pandas and ``holidays``: never Streamlit or the database layer.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from typing import Any, Literal, TypeAlias, cast, get_args, overload

import holidays
import numpy as np
import numpy.typing as npt
import pandas as pd

DayKind: TypeAlias = Literal["calendar", "working"]
DAY_KINDS: tuple[str, ...] = get_args(DayKind)
TIMEZONE = "Europe/London"
Times: TypeAlias = "pd.Series | pd.Index | npt.NDArray[Any] | list[Any] | tuple[Any, ...]"
# One moment: calendar_days and friends give a float for two moments, a Series otherwise.
Moment: TypeAlias = "pd.Timestamp | dt.date | np.datetime64 | str | None"


def to_local(values: Times) -> pd.Series:
    """Timestamps as naive Europe/London wall-clock times (datetime64), NaT where missing.

    tz-aware values are converted to London time; naive values are taken to be London time
    already. Strings are parsed as ISO 8601, each with its own offset if it has one, so a column
    mixing ``+00:00`` (GMT) and ``+01:00`` (BST) rows, or offset and naive rows, is fine. A
    Series keeps its index.

    Raises:
        ValueError: a value is not a date-time.
    """
    series = values if isinstance(values, pd.Series) else pd.Series(values)
    if isinstance(series.dtype, pd.DatetimeTZDtype):
        return series.dt.tz_convert(TIMEZONE).dt.tz_localize(None)
    if pd.api.types.is_datetime64_dtype(series.dtype):
        return series
    try:
        parsed = pd.to_datetime(series, format="ISO8601")
    except ValueError:
        return _parse_mixed_offsets(series)
    return to_local(parsed)


def local_dates(values: Times) -> npt.NDArray[np.datetime64]:
    """The Europe/London calendar date of each timestamp, as ``datetime64[D]`` (NaT if missing)."""
    dates: npt.NDArray[np.datetime64] = (
        to_local(values).to_numpy(dtype="datetime64[ns]").astype("datetime64[D]")
    )
    return dates


@overload
def calendar_days(start: Moment, end: Moment) -> float: ...
@overload
def calendar_days(start: Times, end: Times | Moment) -> pd.Series: ...
@overload
def calendar_days(start: Moment, end: Times) -> pd.Series: ...
def calendar_days(start: Times | Moment, end: Times | Moment) -> pd.Series | float:
    """Calendar days from ``start`` to ``end``: end date − start date in whole days (SPEC §4).

    Dates are Europe/London dates, so the same day is 0 and 23:50 → 00:10 the next morning is 1.
    Returns a float Series named ``calendar_days`` on the index of ``start`` (or of ``end``, or a
    fresh one), NaN where either timestamp is missing. ``start`` and ``end`` match by position;
    one of them may be a single moment (an as-at moment), and two moments give a float.
    """
    first, last, index, scalar = _date_pair(start, end)
    valid = ~(np.isnat(first) | np.isnat(last))
    days = np.full(first.shape, np.nan)
    days[valid] = (last[valid] - first[valid]).astype(np.int64)
    return _shaped(days, index, "calendar_days", scalar)


@overload
def working_days(start: Moment, end: Moment) -> float: ...
@overload
def working_days(start: Times, end: Times | Moment) -> pd.Series: ...
@overload
def working_days(start: Moment, end: Times) -> pd.Series: ...
def working_days(start: Times | Moment, end: Times | Moment) -> pd.Series | float:
    """England working days from ``start`` to ``end``: days d with start date < d ≤ end date.

    Weekends and England bank holidays (substitute days included) are not working days, so the
    same day is 0, a Friday test reported on Monday is 1, and a receipt on a bank holiday starts
    counting from the next working day. An end before the start gives a negative count. Returns
    a float Series named ``working_days`` as :func:`calendar_days` does (a float for two
    moments), NaN where either is missing.
    """
    first, last, index, scalar = _date_pair(start, end)
    valid = ~(np.isnat(first) | np.isnat(last))
    days = np.full(first.shape, np.nan)
    if valid.any():
        begin, finish = first[valid], last[valid]
        years = np.concatenate([begin, finish]).astype("datetime64[Y]").astype(int) + 1970
        bank_holidays = _holiday_dates(int(years.min()), int(years.max()))
        one = np.timedelta64(1, "D")
        # busday_count counts [begin, end); shifting both by a day counts (start, end].
        days[valid] = np.busday_count(begin + one, finish + one, holidays=bank_holidays)
    return _shaped(days, index, "working_days", scalar)


@overload
def elapsed_days(start: Moment, end: Moment, day_kind: DayKind) -> float: ...
@overload
def elapsed_days(start: Times, end: Times | Moment, day_kind: DayKind) -> pd.Series: ...
@overload
def elapsed_days(start: Moment, end: Times, day_kind: DayKind) -> pd.Series: ...
def elapsed_days(
    start: Times | Moment, end: Times | Moment, day_kind: DayKind
) -> pd.Series | float:
    """:func:`calendar_days` or :func:`working_days`, as ``day_kind`` says (a Series: ``days``).

    Raises:
        ValueError: ``day_kind`` is not ``calendar`` or ``working``.
    """
    check_days(0, day_kind)
    days = (calendar_days if day_kind == "calendar" else working_days)(start, end)
    return days.rename("days") if isinstance(days, pd.Series) else days


def england_bank_holidays(first_year: int, last_year: int) -> list[dt.date]:
    """England bank holidays from ``first_year`` to ``last_year``, substitute days included.

    From the maintained ``holidays`` package (``GB``, subdivision ``ENG``), sorted; one-off
    holidays such as 19 September 2022 are there too. For charts and the synthetic demo.
    """
    return [dt.date.fromisoformat(str(day)) for day in _holiday_dates(first_year, last_year)]


def check_days(days: int, day_kind: str, name: str = "benchmark") -> None:
    """Raise unless ``days`` is a whole number of days ≥ 0 and ``day_kind`` a known kind.

    Raises:
        ValueError: either is invalid; the message names ``name`` (the benchmark).
    """
    if day_kind not in DAY_KINDS:
        raise ValueError(f"{name}: day kind must be one of {DAY_KINDS}, got {day_kind!r}")
    if isinstance(days, bool) or not isinstance(days, int | np.integer) or days < 0:
        raise ValueError(f"{name}: days must be a whole number of days ≥ 0, got {days!r}")


def _parse_mixed_offsets(series: pd.Series) -> pd.Series:
    # Rows with an offset are parsed as instants and brought to London time; the rest are local.
    text = series.astype("string").str.strip()
    has_offset = text.str.contains(r"(?:Z|[+-]\d{2}:?\d{2})$", regex=True).fillna(False)
    has_offset = has_offset.astype(bool)
    aware = pd.to_datetime(text[has_offset], format="ISO8601", utc=True)
    naive = pd.to_datetime(text[~has_offset], format="ISO8601")
    local = aware.dt.tz_convert(TIMEZONE).dt.tz_localize(None).astype("datetime64[ns]")
    combined = pd.concat([local, naive.astype("datetime64[ns]")])
    return combined.reindex(series.index)


def _date_pair(
    start: Times | Moment, end: Times | Moment
) -> tuple[npt.NDArray[np.datetime64], npt.NDArray[np.datetime64], pd.Index | None, bool]:
    """London dates of both sides, one broadcast if it is a single moment; the result's index."""
    start_one, end_one = _is_moment(start), _is_moment(end)
    first = local_dates([start] if start_one else cast(Times, start))
    last = local_dates([end] if end_one else cast(Times, end))
    if start_one and not end_one:
        first = np.broadcast_to(first, last.shape)
    elif end_one and not start_one:
        last = np.broadcast_to(last, first.shape)
    if first.shape != last.shape:
        raise ValueError(f"start and end differ in length: {len(first)} and {len(last)}")
    index = None
    if isinstance(start, pd.Series):
        index = start.index
    elif start_one and isinstance(end, pd.Series):
        index = end.index
    return first, last, index, start_one and end_one


def _is_moment(value: object) -> bool:
    return value is None or isinstance(value, str | dt.date | np.datetime64)


def _shaped(
    days: npt.NDArray[np.float64], index: pd.Index | None, name: str, scalar: bool
) -> pd.Series | float:
    return float(days[0]) if scalar else pd.Series(days, index=index, name=name)


@lru_cache(maxsize=32)
def _holiday_dates(first_year: int, last_year: int) -> npt.NDArray[np.datetime64]:
    calendar = holidays.country_holidays("GB", subdiv="ENG", years=range(first_year, last_year + 1))
    days = np.array(sorted(calendar.keys()), dtype="datetime64[D]")
    days.setflags(write=False)
    return days
