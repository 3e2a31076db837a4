"""Reporting and pathology turnaround from the store: events of a period, the as-at moment, marts.

Example::

    turnaround_report(engine, "reporting", start, end, benchmarks)   # report reporting's rows
    build_turnaround_marts(engine, benchmarks)                       # marts.rebuild_marts does

Reads the ``reporting_event`` and ``pathology_specimen`` tables with SQLAlchemy Core (bound
parameters). An event counts in the month of its test or receipt; the as-at moment of a trust is
its latest timestamp of that kind in the whole store, whatever period is asked for (SPEC §4).
Every status, share and median comes from :mod:`productivity.metrics.turnaround`; this module
only reads, filters and sums. The marts it builds (see :data:`TURNAROUND_MARTS`) hold counts by
trust × measure × month × drill-down keys, a histogram of turnaround days (so a page can take
an exact median over any period) and the unreported backlog by age band. Imports no Streamlit,
and not :mod:`productivity.store.marts` (which calls it).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import numpy as np
import pandas as pd
from sqlalchemy import Engine, func, select, text
from sqlmodel import SQLModel

from productivity.benchmarks import Benchmarks
from productivity.metrics.turnaround import (
    EVENT_TIMES,
    EventKind,
    TurnaroundMeasure,
    as_at_by_trust,
    elapsed_days,
    event_month,
    turnaround_summary,
    unreported_backlog,
)
from productivity.store import models  # noqa: F401  (registers the tables)
from productivity.store.mart_tables import BACKLOG, TURNAROUND, TURNAROUND_DAYS, measures_from

TURNAROUND_MARTS: tuple[str, ...] = (TURNAROUND, TURNAROUND_DAYS, BACKLOG)
EVENT_TABLES: dict[str, str] = {"reporting": "reporting_event", "pathology": "pathology_specimen"}
# The columns a page drills down by, per kind; the marts carry all of them ("" where n/a).
DRILL_KEYS: dict[str, tuple[str, ...]] = {
    "reporting": ("modality", "priority", "patient_source"),
    "pathology": ("lab", "specimen_type"),
}
ALL_DRILL_KEYS: tuple[str, ...] = ("modality", "priority", "patient_source", "lab", "specimen_type")
EVENT_COLUMNS: dict[str, tuple[str, ...]] = {
    "reporting": ("trust_code", "site", *DRILL_KEYS["reporting"], *EVENT_TIMES["reporting"]),
    "pathology": ("trust_code", *DRILL_KEYS["pathology"], "cancer_pathway",
                  *EVENT_TIMES["pathology"]),
}  # fmt: skip
COUNT_COLUMNS: tuple[str, ...] = ("within_target", "breaches", "pending", "events")


def read_events(
    engine: Engine,
    kind: EventKind,
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> pd.DataFrame:
    """The events of ``kind`` whose test (receipt) falls from ``start`` to ``end`` inclusive
    (London dates; either may be open), with the columns of :data:`EVENT_COLUMNS`."""
    started = EVENT_TIMES[kind][0]
    clauses, params = ["1=1"], {}
    if start is not None:
        clauses.append(f'"{started}" >= :low')
        params["low"] = dt.datetime.combine(start, dt.time())
    if end is not None:
        clauses.append(f'"{started}" < :high')
        params["high"] = dt.datetime.combine(end + dt.timedelta(days=1), dt.time())
    # Names come from the schema, values are bound. A plain-text query hands back the driver's
    # values (ISO text on SQLite), and parsing a column at a time is about three times faster
    # than SQLAlchemy converting each row's date-times.
    columns = ", ".join(f'"{c}"' for c in EVENT_COLUMNS[kind])
    sql = f'SELECT {columns} FROM "{EVENT_TABLES[kind]}" WHERE {" AND ".join(clauses)}'
    with engine.connect() as conn:
        events = pd.read_sql_query(text(sql), conn, params=params)
    for column in EVENT_TIMES[kind]:
        events[column] = pd.to_datetime(events[column], format="ISO8601")
    if "cancer_pathway" in events:
        events["cancer_pathway"] = events["cancer_pathway"].astype(bool)
    return events


def store_as_at(engine: Engine, kind: EventKind) -> pd.Series:
    """Each trust's as-at moment: its latest test, report, receipt or authorisation time of
    ``kind`` anywhere in the store (SPEC §4), as a Series indexed by ``trust_code``."""
    table = SQLModel.metadata.tables[EVENT_TABLES[kind]]
    first, last = (table.c[c] for c in EVENT_TIMES[kind])
    query = select(
        table.c.trust_code,
        func.max(first).label(EVENT_TIMES[kind][0]),
        func.max(last).label(EVENT_TIMES[kind][1]),
    ).group_by(table.c.trust_code)
    with engine.connect() as conn:
        latest = pd.read_sql_query(query, conn)
    return as_at_by_trust(latest, kind=kind)


def turnaround_report(
    engine: Engine,
    kind: EventKind,
    start: dt.date | None,
    end: dt.date | None,
    benchmarks: Benchmarks,
) -> pd.DataFrame:
    """``report reporting|pathology``: one row per trust × measure over the period (SPEC §7).

    Columns: trust_code, measure, events, within_target, breaches, pending,
    share_within_target (empty when nothing is decided), target_share, target_days, day_kind,
    median_days. Only trusts with events of ``kind`` in the period appear.
    """
    events = read_events(engine, kind, start, end)
    return turnaround_summary(
        events, measures_from(benchmarks), kind=kind, as_at=store_as_at(engine, kind)
    )


def build_turnaround_marts(engine: Engine, benchmarks: Benchmarks) -> dict[str, pd.DataFrame]:
    """The three turnaround marts (:data:`TURNAROUND_MARTS`) for both kinds of event."""
    measures = measures_from(benchmarks)
    counts, days, backlog = [], [], []
    for kind in ("reporting", "pathology"):
        events = read_events(engine, kind)
        if events.empty:
            continue
        keys = list(DRILL_KEYS[kind])
        events = events.assign(**{k: events[k].fillna("").astype(str) for k in keys})
        month = event_month(events, kind=kind).to_numpy("datetime64[M]")
        events["month"] = month.astype(str)  # YYYY-MM, as every mart's month
        as_at = as_at_by_trust(events, kind=kind)
        summary = turnaround_summary(events, measures, kind=kind, as_at=as_at, by=["month", *keys])
        counts.append(summary[summary["events"] > 0].drop(columns="median_days").assign(kind=kind))
        days.append(_days_histogram(events, measures, kind, ["trust_code", "month", *keys]))
        lagging = unreported_backlog(events, as_at, kind=kind, by=keys)
        stamp = as_at.dt.strftime("%Y-%m-%d %H:%M")
        backlog.append(lagging.assign(kind=kind, as_at=lagging["trust_code"].map(stamp)))
    return {
        TURNAROUND: _with_all_keys(counts, ["trust_code", "kind", "measure", "month"]),
        TURNAROUND_DAYS: _with_all_keys(
            days, ["trust_code", "kind", "measure", "day_kind", "month"], ["days", "events"]
        ),
        BACKLOG: _with_all_keys(
            backlog, ["trust_code", "kind"], ["age_band", "unreported", "as_at"]
        ),
    }


def _days_histogram(
    events: pd.DataFrame,
    measures: tuple[TurnaroundMeasure, ...],
    kind: EventKind,
    keys: list[str],
) -> pd.DataFrame:
    """Reported events per measure by whole turnaround days in the measure's day kind."""
    start, end = EVENT_TIMES[kind]
    parts = []
    for measure in (m for m in measures if m.kind == kind):  # a handful of measures
        chosen = events[measure.select(events).to_numpy() & events[end].notna().to_numpy()]
        elapsed = elapsed_days(chosen[start], chosen[end], measure.day_kind)
        counted = (
            chosen[keys]
            .assign(days=elapsed.to_numpy().astype(np.int64))
            .groupby([*keys, "days"], sort=True)
            .size()
            .rename("events")
            .reset_index()
        )
        parts.append(counted.assign(kind=kind, measure=measure.key, day_kind=measure.day_kind))
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


def _with_all_keys(
    parts: list[pd.DataFrame], front: list[str], back: Sequence[str] = COUNT_COLUMNS
) -> pd.DataFrame:
    """One mart from both kinds: every drill-down column present ("" where not applicable)."""
    columns = [*front, *ALL_DRILL_KEYS, *back]
    frames = [p for p in parts if not p.empty]
    if not frames:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
    out = pd.concat(frames, ignore_index=True)
    for key in ALL_DRILL_KEYS:
        out[key] = out[key].fillna("") if key in out else ""
    return out[columns]
