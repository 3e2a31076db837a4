"""The marts: precomputed aggregates that pages, the pack and ``report`` read. One import.

>>> from productivity.store import marts
>>> sorted(marts.THEATRE_LEVELS)
['month', 'site', 'specialty', 'system', 'theatre', 'trust']
>>> marts.Period("2026-01").where()
('month >= :period_start', {'period_start': '2026-01'})

Callers use ``marts.ensure_marts(engine)`` before reading (it rebuilds stale marts),
``marts.rebuild_marts(engine)`` after an import, ``marts.read_mart(...)`` and
``marts.theatre_report(...)``. The work is done in four modules this one gathers:

- :mod:`~productivity.store.mart_tables`: names, keys, :class:`Period`, thresholds;
- :mod:`~productivity.store.mart_build`: building, swapping in, the data stamp and freshness
  (:mod:`~productivity.store.mart_cases` adds the day-case counts and the look-ahead's history
  medians from the same monthly reads of the cases);
- :mod:`~productivity.store.mart_reads`: cached, parameterised reads;
- :mod:`~productivity.store.theatre_report`: the theatre report summed from them.

Imports no Streamlit.
"""

from __future__ import annotations

from productivity.store.mart_build import (
    build_diagnostic_marts as build_diagnostic_marts,
    build_theatre_marts as build_theatre_marts,
    data_stamp as data_stamp,
    ensure_marts as ensure_marts,
    marts_current as marts_current,
    marts_exist as marts_exist,
    rebuild_marts as rebuild_marts,
)
from productivity.store.mart_reads import (
    READ_CACHE_SIZE as READ_CACHE_SIZE,
    build_stamp as build_stamp,
    clear_reads,
    distinct_values as distinct_values,
    mart_row_count as mart_row_count,
    read_mart as read_mart,
)
from productivity.store.mart_tables import (
    ATTENDANCE as ATTENDANCE,
    BACKLOG as BACKLOG,
    BUILD_TABLE as BUILD_TABLE,
    DAYCASE as DAYCASE,
    DAYCASE_KEYS as DAYCASE_KEYS,
    ECHO as ECHO,
    ENDOSCOPY as ENDOSCOPY,
    EXPECTED_PROCEDURE as EXPECTED_PROCEDURE,
    EXPECTED_SPECIALTY as EXPECTED_SPECIALTY,
    GAP_KEYS as GAP_KEYS,
    IMAGING as IMAGING,
    LOOKAHEAD_LIST as LOOKAHEAD_LIST,
    MARTS as MARTS,
    MONTH_KEYS as MONTH_KEYS,
    THEATRE_GAP as THEATRE_GAP,
    THEATRE_GAP_TRUST as THEATRE_GAP_TRUST,
    THEATRE_LIST as THEATRE_LIST,
    THEATRE_MONTH as THEATRE_MONTH,
    THEATRE_TRUST as THEATRE_TRUST,
    THEATRE_WEEK as THEATRE_WEEK,
    TRUST_GAP_KEYS as TRUST_GAP_KEYS,
    TURNAROUND as TURNAROUND,
    TURNAROUND_DAYS as TURNAROUND_DAYS,
    WEEK_KEYS as WEEK_KEYS,
    Period as Period,
    measures_from as measures_from,
    thresholds_from as thresholds_from,
)
from productivity.store.theatre_report import (
    OPPORTUNITY_COLUMNS as OPPORTUNITY_COLUMNS,
    THEATRE_LEVELS as THEATRE_LEVELS,
    THEATRE_REPORT_COLUMNS as THEATRE_REPORT_COLUMNS,
    clear_summaries,
    summary_from_aggregates as summary_from_aggregates,
    theatre_report as theatre_report,
    theatre_summary as theatre_summary,
    whole_trust_rows as whole_trust_rows,
)


def clear_read_cache() -> None:
    """Forget every cached mart read and report (for measurements of a cold first render)."""
    clear_reads()
    clear_summaries()
