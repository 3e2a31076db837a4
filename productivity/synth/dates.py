"""The synthetic demo's calendar and random streams: when the data happens, and from which seed.

Owns the anchor month (:data:`DEMO_END_MONTH`), the window of whole calendar months, its days,
weekdays, working days and England bank holidays (from :mod:`productivity.metrics.dates`), and
:func:`source_rng`, which gives one independent generator per source and trust keyed by name, so
adding a source or trust never shifts the others. Numpy over int day numbers: it must not import
the database, SQLModel or Streamlit, nor any other ``synth`` module.
"""

from __future__ import annotations

import zlib

import numpy as np

from productivity.metrics.dates import england_bank_holidays

DEMO_END_MONTH = "2026-10"  # fixed anchor: the same seed always gives an identical store


def bank_holidays(days: np.ndarray) -> np.ndarray:
    """England bank holidays (int days since 1970) in the years ``days`` spans: no elective
    lists, no routine diagnostics. From the maintained calendar turnaround uses, so a demo of
    any window has them, not just the years someone typed in."""
    if days.size == 0:
        return np.array([], dtype=np.int64)
    years = days.astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970
    found = england_bank_holidays(int(years.min()), int(years.max()))
    return np.array(found, dtype="datetime64[D]").astype(np.int64)


def source_rng(seed: int, *names: str) -> np.random.Generator:
    """An independent generator for one source/trust, keyed by name rather than by order."""
    key = tuple(zlib.crc32(name.encode()) for name in names)
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=key))


def _month(value: str) -> np.datetime64:
    try:
        return np.datetime64(value, "M")
    except ValueError as exc:
        raise ValueError(f"month must look like 'YYYY-MM', got {value!r}") from exc


def month_window(months: int, end_month: str | None, start_month: str | None) -> np.ndarray:
    """The calendar months of the window (datetime64[M]), oldest first."""
    if months < 1:
        raise ValueError(f"months must be at least 1, got {months}")
    if start_month is not None:
        return _month(start_month) + np.arange(months)
    return _month(end_month or DEMO_END_MONTH) - np.arange(months)[::-1]


def window_days(window: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every day of the window as int days since 1970, and its month's index in the window."""
    first = window[0].astype("datetime64[D]").astype(np.int64)
    last = (window[-1] + 1).astype("datetime64[D]").astype(np.int64)
    days = np.arange(first, last)
    month = days.astype("datetime64[D]").astype("datetime64[M]") - window[0]
    return days, month.astype(np.int64)


def weekday_of(days: np.ndarray) -> np.ndarray:
    """Weekday of int days since 1970, Monday = 0."""
    return (days + 3) % 7  # 1970-01-01 was a Thursday; Monday = 0


def is_working_day(days: np.ndarray) -> np.ndarray:
    """True for Monday to Friday, bank holidays excepted."""
    return (weekday_of(days) < 5) & ~np.isin(days, bank_holidays(days))
