"""The synthetic demo's calendar and random streams: when the data happens, and from which seed.

Owns the anchor month (:data:`DEMO_END_MONTH`), the window of whole calendar months, its days,
weekdays, working days and England & Wales bank holidays, and :func:`source_rng`, which gives one
independent generator per source and trust keyed by name, so adding a source or trust never shifts
the others. Pure numpy and the stdlib: it must not import pandas, the database, SQLModel or
Streamlit, nor any other ``synth_*`` module.
"""

from __future__ import annotations

import zlib

import numpy as np

DEMO_END_MONTH = "2026-10"  # fixed anchor: the same seed always gives an identical store

# England & Wales bank holidays: no elective lists, no routine diagnostics.
BANK_HOLIDAYS = np.array([
    "2024-01-01", "2024-03-29", "2024-04-01", "2024-05-06", "2024-05-27", "2024-08-26",
    "2024-12-25", "2024-12-26", "2025-01-01", "2025-04-18", "2025-04-21", "2025-05-05",
    "2025-05-26", "2025-08-25", "2025-12-25", "2025-12-26", "2026-01-01", "2026-04-03",
    "2026-04-06", "2026-05-04", "2026-05-25", "2026-08-31", "2026-12-25", "2026-12-28",
    "2027-01-01", "2027-03-26", "2027-03-29", "2027-05-03", "2027-05-31", "2027-08-30",
    "2027-12-27", "2027-12-28",
], dtype="datetime64[D]").astype(np.int64)  # fmt: skip


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
    return (weekday_of(days) < 5) & ~np.isin(days, BANK_HOLIDAYS)
