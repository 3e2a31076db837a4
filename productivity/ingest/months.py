"""Which calendar months a file is about: the ``--period`` option and the stray-date check.

A corrected file replaces, per trust, the whole calendar months it covers (SPEC §3), so one
mistyped date must not decide what is deleted: a list typed as 2027 in a May 2026 file would
otherwise replace May 2027, and under a date-range rule everything from May 2026 to May 2027.
:func:`check_months` refuses a file whose rows stray from the bulk of its dates, naming each
stray row, unless the user names the months with ``--period YYYY-MM[..YYYY-MM]``; then every
row must fall inside them, and those months are what gets replaced. Pure: pandas and the stdlib.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import pandas as pd

from productivity.errors import InputError
from productivity.ingest.tabular import ProblemLog

# A month at either end of a file's run of months holding fewer rows than this share of its
# busiest month is a stray too: one list typed as 2026-06-15 in a May file of 5,000 rows would
# otherwise replace all of June. A real part-month (a weekly extract that spans two months)
# holds far more than 5% of the other month's rows.
SPARSE_SHARE = 0.05
# Months with rows this many empty months apart still belong to one run (a room closed for a
# month in a year's file); farther apart, the smaller run strays (a year typed wrong).
MAX_GAP_MONTHS = 1
PERIOD_EXPECTED = "YYYY-MM or YYYY-MM..YYYY-MM, e.g. 2026-05 or 2026-04..2026-06"


@dataclass(frozen=True)
class MonthSpan:
    """Whole calendar months from ``first`` to ``last`` (each the first day of its month)."""

    first: dt.date
    last: dt.date

    def __post_init__(self) -> None:
        if self.first.day != 1 or self.last.day != 1 or self.last < self.first:
            raise ValueError(f"not a span of months: {self.first} to {self.last}")

    def __str__(self) -> str:
        if self.first == self.last:
            return f"{self.first:%Y-%m}"
        return f"{self.first:%Y-%m}..{self.last:%Y-%m}"

    @property
    def end(self) -> dt.date:
        """The last day of the span."""
        return (pd.Timestamp(self.last) + pd.offsets.MonthEnd(0)).date()

    def months(self) -> list[dt.date]:
        """The first day of every month in the span."""
        return [d.date() for d in pd.date_range(self.first, self.last, freq="MS")]

    def holds(self, dates: pd.Series) -> pd.Series:
        """True where a date falls inside the span (NaT is False)."""
        values = pd.to_datetime(dates)
        return (values >= pd.Timestamp(self.first)) & (values < pd.Timestamp(self.end) + _DAY)


_DAY = pd.Timedelta(days=1)


def parse_period(text: str, where: str = "--period") -> MonthSpan:
    """``2026-05`` or ``2026-04..2026-06`` as a :class:`MonthSpan`.

    Raises:
        InputError: not in that form, a month outside 01-12, or the end before the start.
    """
    match = re.fullmatch(r"\s*(\d{4})-(\d{2})\s*(?:\.\.\s*(\d{4})-(\d{2})\s*)?", text or "")
    if match is None:
        raise InputError.single(where, f"not a period: expected {PERIOD_EXPECTED}", value=text)
    y1, m1, y2, m2 = match.groups()
    y2, m2 = y2 or y1, m2 or m1
    if not (1 <= int(m1) <= 12 and 1 <= int(m2) <= 12):
        raise InputError.single(where, "a month must be 01-12", value=text)
    first, last = dt.date(int(y1), int(m1), 1), dt.date(int(y2), int(m2), 1)
    if last < first:
        raise InputError.single(where, "the period ends before it starts", value=text)
    return MonthSpan(first, last)


def month_starts(dates: pd.Series) -> pd.Series:
    """First-of-month timestamps of ``dates`` (NaT stays NaT)."""
    return pd.to_datetime(dates).dt.to_period("M").dt.start_time


def bulk_months(dates: pd.Series) -> MonthSpan | None:
    """The months that hold the bulk of a file's rows (None for a file with no dates).

    Months with rows are split into runs (no more than :data:`MAX_GAP_MONTHS` empty months
    between two months of a run); the run with the most rows is the bulk, less any month at
    either end with under :data:`SPARSE_SHARE` of the busiest month's rows.
    """
    months = pd.to_datetime(dates).dropna().dt.to_period("M")
    if months.empty:
        return None
    counts = months.value_counts().sort_index()
    ordinals = pd.Series([p.ordinal for p in counts.index], index=counts.index)
    run = (ordinals.diff() > MAX_GAP_MONTHS + 1).cumsum()
    bulk = counts[run == counts.groupby(run.to_numpy()).sum().idxmax()]
    floor = SPARSE_SHARE * bulk.max()
    while len(bulk) > 1 and bulk.iloc[0] < floor:
        bulk = bulk.iloc[1:]
    while len(bulk) > 1 and bulk.iloc[-1] < floor:
        bulk = bulk.iloc[:-1]
    return MonthSpan(bulk.index[0].start_time.date(), bulk.index[-1].start_time.date())


def check_months(dates: pd.Series, file: str, label: str, period: MonthSpan | None = None) -> None:
    """Refuse rows whose dates stray from the bulk of the file, or fall outside ``period``.

    ``dates`` holds each source row's date (the date that decides its month: a theatre list's
    session date, an imaging day, a DM01 period), indexed by spreadsheet row (0: no row).

    Raises:
        InputError: each stray row, located, with the ``--period`` that would accept them all.
    """
    values = pd.to_datetime(dates)
    log = ProblemLog(file)
    if period is not None:
        log.add_mask(
            values.notna() & ~period.holds(values),
            label,
            values.dt.strftime("%Y-%m-%d"),
            f"outside the period named (--period {period}): expected a date in it, or name "
            "a period that holds every row",
        )
        log.raise_if_any()
        return
    bulk = bulk_months(values)
    if bulk is None:
        return
    present = values.dropna()
    whole = MonthSpan(month_starts(present).min().date(), month_starts(present).max().date())
    log.add_mask(
        values.notna() & ~bulk.holds(values),
        label,
        values.dt.strftime("%Y-%m-%d"),
        f"strays from the bulk of the file ({bulk}): a corrected file replaces the whole "
        "months it covers, so a mistyped date would replace that month; correct the date, "
        f"or confirm the months with --period {whole}",
    )
    log.raise_if_any()
