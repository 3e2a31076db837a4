"""What the marts are: their table names and keys, the build table, and the period filter.

The leaf of the mart modules (:mod:`~productivity.store.mart_build` writes the tables,
:mod:`~productivity.store.mart_reads` reads them, :mod:`~productivity.store.theatre_report`
sums them into the report), so each of those can import it without a cycle. Period columns are
ISO text (``month`` = ``YYYY-MM``, ``week`` = the Monday's date), which compares the same way on
SQLite and PostgreSQL. Pure apart from its place in the store: pandas and the benchmarks only,
no SQLAlchemy, no Streamlit.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

from productivity.benchmarks import Benchmarks
from productivity.metrics import theatre
from productivity.metrics.turnaround_measures import (
    MEASURE_FILTERS,
    TurnaroundMeasure,
    build_measures,
)

THEATRE_LIST = "mart_theatre_list"
THEATRE_GAP = "mart_theatre_gap"
IMAGING = "mart_imaging"
ENDOSCOPY = "mart_endoscopy"
ECHO = "mart_echo"
THEATRE_MONTH = "mart_theatre_month"  # sums per trust, site, theatre, specialty and month
THEATRE_WEEK = "mart_theatre_week"  # sums per trust, specialty and week (SPC, trends)
THEATRE_GAP_TRUST = "mart_theatre_gap_trust"  # gap histogram per trust, specialty and month
# The theatre report by trust over each trust's every month: what the default period (every
# month held) shows, so a first render need not read every list (theatre_report.whole_trust_rows).
THEATRE_TRUST = "mart_theatre_trust"
# Completed elective and day cases per trust, site, specialty, month and BADS procedure group.
DAYCASE = "mart_daycase"
# The 6-4-2 look-ahead's history: median touch minutes over each trust's last 12 months, per
# procedure code and per specialty (metrics.lookahead.history_medians).
EXPECTED_PROCEDURE = "mart_expected_procedure"
EXPECTED_SPECIALTY = "mart_expected_specialty"
# Every booked list's look-ahead figures that depend on neither the as-of date nor the target
# (store/mart_lookahead.py): what the Look-ahead page's default view starts from.
LOOKAHEAD_LIST = "mart_lookahead_list"
# Reporting and pathology turnaround (built by store/turnaround.py) and attendance
# (store/attendance.py).
TURNAROUND = "mart_turnaround"  # counts by trust, measure, month and drill-down keys
TURNAROUND_DAYS = "mart_turnaround_days"  # reported events by turnaround days (medians)
BACKLOG = "mart_backlog"  # unreported events at the as-at moment, by age band
ATTENDANCE = "mart_attendance"  # appointments and DNAs by trust, service, month and quintile
# The data-quality report's counts per trust and month (store/quality.py: mart_rows).
QUALITY = "mart_quality"
MARTS = (
    THEATRE_LIST,
    THEATRE_GAP,
    THEATRE_MONTH,
    THEATRE_WEEK,
    THEATRE_GAP_TRUST,
    THEATRE_TRUST,
    IMAGING,
    ENDOSCOPY,
    ECHO,
    DAYCASE,
    EXPECTED_PROCEDURE,
    EXPECTED_SPECIALTY,
    LOOKAHEAD_LIST,
    TURNAROUND,
    TURNAROUND_DAYS,
    BACKLOG,
    ATTENDANCE,
    QUALITY,
)
DAYCASE_KEYS = ("trust_code", "site", "specialty", "month")
DAYCASE_COUNTS = ("procedure_group", "elective_cases", "daycase_cases")
MONTH_KEYS = ("trust_code", "site", "theatre", "specialty", "month")
WEEK_KEYS = ("trust_code", "specialty", "month", "week")
TRUST_GAP_KEYS = ("trust_code", "specialty", "month")
GAP_KEYS = ("trust_code", "site", "theatre", "specialty", "month")
# One row saying when the marts were built (the readers' cache key), with which thresholds, and
# from which data (the data stamp), so stale marts are found and rebuilt.
BUILD_TABLE = "mart_build"


@dataclass(frozen=True)
class Period:
    """An inclusive month range, ``YYYY-MM`` each end; ``None`` leaves that end open."""

    start: str | None = None
    end: str | None = None

    def dates(self) -> tuple[dt.date | None, dt.date | None]:
        """The first day of the start month and the last day of the end month."""
        start = dt.date.fromisoformat(f"{self.start}-01") if self.start else None
        end = None
        if self.end:
            end = (pd.Timestamp(f"{self.end}-01") + pd.offsets.MonthEnd(0)).date()
        return start, end

    def where(self, column: str = "month") -> tuple[str, dict[str, str]]:
        """A SQL condition on ``column`` with its bound parameters (``1=1`` when open)."""
        clauses: list[str] = []
        params: dict[str, str] = {}
        if self.start:
            clauses.append(f"{column} >= :period_start")
            params["period_start"] = self.start
        if self.end:
            clauses.append(f"{column} <= :period_end")
            params["period_end"] = self.end
        return (" AND ".join(clauses) or "1=1"), params


def thresholds_from(benchmarks: Benchmarks) -> theatre.Thresholds:
    """The late-start, early-finish and overrun thresholds in the benchmark file."""
    return theatre.Thresholds(
        late_start_minutes=benchmarks.value("late_start_minutes"),
        early_finish_minutes=benchmarks.value("early_finish_minutes"),
        overrun_minutes=benchmarks.value("overrun_minutes"),
    )


def measures_from(benchmarks: Benchmarks) -> tuple[TurnaroundMeasure, ...]:
    """The six turnaround measures with their share, days and day kind from the benchmark file
    (a local override included)."""
    entries: dict[str, Mapping[str, object]] = {
        key: {"value": item.value, **item.extra}
        for key, item in benchmarks.items.items()
        if key in MEASURE_FILTERS
    }
    return build_measures(entries)


def thresholds_text(benchmarks: Benchmarks) -> str:
    """The thresholds as the build table records them, e.g. ``5/15/15 7c/28c/7c/7c/28c/10w``:
    the theatre flags' minutes, then each turnaround measure's days and day kind, since the
    turnaround statuses were classified against them."""
    thresholds = thresholds_from(benchmarks)
    days = "/".join(f"{m.days}{m.day_kind[0]}" for m in measures_from(benchmarks))
    return (
        f"{thresholds.late_start_minutes:g}/{thresholds.early_finish_minutes:g}/"
        f"{thresholds.overrun_minutes:g} {days}"
    )
