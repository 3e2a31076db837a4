"""Turnaround of imaging reports and histopathology: days elapsed, within / breach / pending.

Pure functions over the canonical imaging reporting events (``trust_code, modality, priority,
test_datetime, report_datetime``, ...) and histopathology specimens (``trust_code,
cancer_pathway, received_datetime, authorised_datetime``, ...) of SPEC §3, as SPEC §4
"Turnaround (reporting and pathology)" defines them:

- calendar days = end date − start date in whole days (same day 0), on Europe/London dates;
- working days = the England working days d with start date < d ≤ end date; weekends and England
  bank holidays, substitute days included, are not working days. The holidays come from the
  maintained ``holidays`` package (``GB``, subdivision ``ENG``), never a typed-in list;
- against a benchmark of N days an event is *within* (reported within N), a *breach* (reported
  later, or unreported and already older than N at the as-at moment) or *pending* (unreported and
  not yet older than N); pending events are in neither the numerator nor the denominator;
- the as-at moment is the latest timestamp of that trust and kind; an event counts in the month
  of its test (or receipt); the unreported backlog is banded 0–7, 8–14, 15–28 and 29+ days.

Timestamps may be naive (taken as Europe/London wall-clock time), tz-aware, or ISO 8601 strings
with or without an offset (``2025-04-14T22:00:00+01:00``); all are compared as London dates.
Benchmarks (days, day kind, target share) are parameters built from the benchmark file by
:func:`build_measures`. The calendar (London dates, England working days) is in
:mod:`productivity.metrics.dates` and the measures in
:mod:`productivity.metrics.turnaround_measures`; this module classifies and sums events and
re-exports their public names. It imports only the stdlib, numpy, pandas and the helpers of
:mod:`productivity.metrics.diagnostics`: never Streamlit or the database layer.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import TypeAlias

import numpy as np
import numpy.typing as npt
import pandas as pd

from productivity.metrics.dates import (
    DAY_KINDS as DAY_KINDS,
    TIMEZONE as TIMEZONE,
    DayKind as DayKind,
    Moment as Moment,
    Times as Times,
    calendar_days as calendar_days,
    check_days,
    elapsed_days as elapsed_days,
    england_bank_holidays as england_bank_holidays,
    local_dates as local_dates,
    to_local as to_local,
    working_days as working_days,
)
from productivity.metrics.diagnostics import as_keys, require_columns, safe_ratio
from productivity.metrics.turnaround_measures import (
    DEFAULT_BENCHMARKS as DEFAULT_BENCHMARKS,
    EVENT_KINDS as EVENT_KINDS,
    MEASURE_FILTERS as MEASURE_FILTERS,
    YES_VALUES as YES_VALUES,
    EventKind as EventKind,
    TurnaroundMeasure as TurnaroundMeasure,
    build_measures as build_measures,
    is_yes as is_yes,
)

# The (start, end) timestamp columns of each kind of event (SPEC §3).
EVENT_TIMES: dict[str, tuple[str, str]] = {
    "reporting": ("test_datetime", "report_datetime"),
    "pathology": ("received_datetime", "authorised_datetime"),
}
WITHIN, BREACH, PENDING = "within", "breach", "pending"
STATUSES: tuple[str, ...] = (WITHIN, BREACH, PENDING)
# Unreported backlog age bands in calendar days: 0–7, 8–14, 15–28, 29+ (upper edges inclusive).
AGE_BANDS: tuple[str, ...] = ("0-7", "8-14", "15-28", "29+")
AGE_BAND_UPPER_DAYS: tuple[int, ...] = (7, 14, 28)
SUMMARY_COLUMNS: tuple[str, ...] = (
    "trust_code", "measure", "events", "within_target", "breaches", "pending",
    "share_within_target", "target_share", "target_days", "day_kind", "median_days",
)  # fmt: skip

AsAt: TypeAlias = "pd.Timestamp | dt.datetime | str | pd.Series | Mapping[str, object] | None"


def event_month(events: pd.DataFrame, *, kind: EventKind = "reporting") -> pd.Series:
    """The month an event counts in: that of its test (or receipt), by its Europe/London date.

    Returns the first day of the month as a midnight Timestamp, in a Series named ``month`` on
    ``events``' index (NaT where the start is missing), so it groups and charts as a date.

    Raises:
        ValueError: ``kind`` is unknown or its start column is missing.
    """
    start_col, _ = _time_columns(events, kind)
    dates = to_local(events[start_col]).dt.normalize()
    month: pd.Series = dates - pd.to_timedelta(dates.dt.day - 1, unit="D")
    return month.rename("month")


def add_month(events: pd.DataFrame, *, kind: EventKind = "reporting") -> pd.DataFrame:
    """A copy of ``events`` with the ``month`` column of :func:`event_month`."""
    return events.assign(month=event_month(events, kind=kind))


def as_at_by_trust(events: pd.DataFrame, *, kind: EventKind = "reporting") -> pd.Series:
    """The as-at moment of each trust: its latest timestamp of this kind (SPEC §4).

    The maximum over both the start and the end timestamps (test and report, or receipt and
    authorisation) of the trust's events, as naive Europe/London time. Pass the whole store's
    events, not a month's, so that a period filter does not move the as-at moment. Returns a
    Series named ``as_at`` indexed by ``trust_code`` (sorted); empty for empty input.

    Raises:
        ValueError: ``kind`` is unknown or a column is missing.
    """
    start_col, end_col = _time_columns(events, kind)
    require_columns(events, ["trust_code"], kind)
    start, end = to_local(events[start_col]), to_local(events[end_col])
    latest = pd.Series(
        np.fmax(start.to_numpy("datetime64[ns]"), end.to_numpy("datetime64[ns]")),
        index=events.index,
    )
    out = latest.groupby(events["trust_code"], sort=True).max()
    return out.rename("as_at").rename_axis("trust_code")


def classify_events(
    events: pd.DataFrame,
    days: int,
    day_kind: DayKind,
    *,
    as_at: AsAt = None,
    kind: EventKind = "reporting",
) -> pd.Series:
    """Each event's status against a benchmark of ``days`` ``day_kind`` days (SPEC §4).

    - ``within``: reported, and reported within ``days`` (elapsed ≤ N);
    - ``breach``: reported later (elapsed > N), or unreported and already older than N at the
      as-at moment (age in ``day_kind`` days at as-at > N);
    - ``pending``: unreported and not yet older than N (age ≤ N), so age exactly N is pending
      and N + 1 a breach.

    ``as_at`` is None (each trust's :func:`as_at_by_trust` over ``events``), one moment for all,
    or a Series or mapping of moments by ``trust_code``. A report is a report even if a given
    ``as_at`` precedes it. Returns a str Series named ``status`` on ``events``' index.

    Raises:
        ValueError: a column is missing, an event has no start timestamp, a trust has no as-at
            moment, or ``days``/``day_kind`` is invalid.
    """
    check_days(days, day_kind)
    frame, (start_col, end_col) = _localised(events, kind)
    as_at_rows = _as_at_rows(frame, as_at, kind)
    status, _ = _classify(frame[start_col], frame[end_col], as_at_rows, days, day_kind)
    return pd.Series(status, index=events.index, name="status")


def turnaround_summary(
    events: pd.DataFrame,
    measures: Sequence[TurnaroundMeasure],
    *,
    kind: EventKind = "reporting",
    as_at: AsAt = None,
    by: Sequence[str] = (),
) -> pd.DataFrame:
    """One row per trust (× any ``by`` keys) × measure: events within, breaching and pending.

    Only the ``measures`` of this ``kind`` are used, so all six can be passed. For each group
    present in ``events`` and each measure (a group with none of the measure's events gets a row
    of zeros):

    - ``events`` = ``within_target`` + ``breaches`` + ``pending``, as :func:`classify_events`;
    - ``share_within_target`` = within ÷ (within + breaches), a fraction; NaN (empty, not 0) when
      nothing is decided;
    - ``target_share``, ``target_days`` and ``day_kind`` repeat the measure's benchmark;
    - ``median_days`` is the median turnaround of the reported events only, in the measure's day
      kind (NaN when none is reported).

    ``as_at`` is as for :func:`classify_events`; None takes each trust's latest timestamp in
    ``events``. When ``events`` is one period of the store, pass the store-wide
    :func:`as_at_by_trust`. ``by`` may include ``month`` (of the test or receipt, see
    :func:`event_month`), derived when ``events`` has no such column.

    Returns:
        ``trust_code``, the other ``by`` keys, then ``measure, events, within_target, breaches,
        pending, share_within_target, target_share, target_days, day_kind, median_days``, sorted
        by the keys and then in ``measures`` order.

    Raises:
        ValueError: a column is missing, or as for :func:`classify_events`.
    """
    keys = ["trust_code", *(k for k in as_keys(by) if k != "trust_code")]
    frame = events
    if "month" in keys and "month" not in frame.columns:
        frame = add_month(frame, kind=kind)
    frame, (start_col, end_col) = _localised(frame, kind)
    require_columns(frame, keys, kind)
    columns = [*keys, *SUMMARY_COLUMNS[1:]]
    chosen = [m for m in measures if m.kind == kind]
    if frame.empty or not chosen:
        return pd.DataFrame({c: pd.Series(dtype=_summary_dtype(c)) for c in columns})

    as_at_rows = _as_at_rows(frame, as_at, kind)
    groups = frame[keys].drop_duplicates()
    parts = []
    for order, measure in enumerate(chosen):  # a handful of measures, never a loop over events
        rows = measure.select(frame).to_numpy()
        chosen_rows = frame.loc[rows]
        status, elapsed = _classify(
            chosen_rows[start_col],
            chosen_rows[end_col],
            as_at_rows[rows],
            measure.days,
            measure.day_kind,
        )
        flags = chosen_rows[keys].assign(
            within_target=status == WITHIN,
            breaches=status == BREACH,
            pending=status == PENDING,
            median_days=elapsed,  # NaN for the unreported, so the median is over reported only
        )
        counted = flags.groupby(keys, dropna=False, sort=False).agg(
            within_target=("within_target", "sum"),
            breaches=("breaches", "sum"),
            pending=("pending", "sum"),
            median_days=("median_days", "median"),
        )
        part = groups.merge(counted.reset_index(), on=keys, how="left")
        for count in ("within_target", "breaches", "pending"):
            part[count] = part[count].fillna(0).astype("int64")
        part["events"] = part["within_target"] + part["breaches"] + part["pending"]
        part["share_within_target"] = safe_ratio(
            part["within_target"].astype(float), (part["within_target"] + part["breaches"])
        )
        part["median_days"] = part["median_days"].astype(float)
        part = part.assign(
            measure=measure.key,
            target_share=float(measure.target_share),
            target_days=int(measure.days),
            day_kind=measure.day_kind,
            _order=order,
        )
        parts.append(part)
    out = pd.concat(parts, ignore_index=True)
    out = out.sort_values([*keys, "_order"], kind="stable", na_position="last")
    return out[columns].reset_index(drop=True)


def unreported_backlog(
    events: pd.DataFrame,
    as_at: AsAt = None,
    *,
    kind: EventKind = "reporting",
    by: Sequence[str] = (),
) -> pd.DataFrame:
    """Unreported events at the as-at moment, by calendar age band, per trust (× ``by`` keys).

    An event is in the backlog when it has no report (authorisation) and its test (receipt) is
    not after the as-at moment. Its age is :func:`calendar_days` from the test to the as-at
    moment, banded 0–7, 8–14, 15–28 and 29+ (:data:`AGE_BANDS`). ``as_at`` is as for
    :func:`classify_events` (None: each trust's latest timestamp). For reporting events pass
    ``by=["modality"]`` for the per-modality backlog.

    Returns:
        A long frame: ``trust_code``, the other ``by`` keys, ``age_band`` (in band order, every
        band for every group in ``events``, zeros included) and ``unreported``.

    Raises:
        ValueError: a column is missing, or a trust has no as-at moment.
    """
    keys = ["trust_code", *(k for k in as_keys(by) if k != "trust_code")]
    frame = events
    if "month" in keys and "month" not in frame.columns:
        frame = add_month(frame, kind=kind)
    frame, (start_col, end_col) = _localised(frame, kind)
    require_columns(frame, keys, kind)
    bands = pd.DataFrame({"age_band": list(AGE_BANDS), "_band": np.arange(len(AGE_BANDS))})
    if frame.empty:
        empty = {k: pd.Series(dtype=object) for k in keys}
        return pd.DataFrame({**empty, "age_band": pd.Series(dtype=str), "unreported": 0})

    as_at_rows = _as_at_rows(frame, as_at, kind)
    start = to_local(frame[start_col]).to_numpy("datetime64[ns]")
    unreported = to_local(frame[end_col]).isna().to_numpy() & (start <= as_at_rows)
    age = calendar_days(frame[start_col], pd.Series(as_at_rows, index=frame.index)).to_numpy()
    band = np.searchsorted(np.asarray(AGE_BAND_UPPER_DAYS), age, side="left")
    backlog = frame.loc[unreported, keys].assign(_band=band[unreported])
    counts = backlog.groupby([*keys, "_band"], dropna=False).size().rename("unreported")
    grid = frame[keys].drop_duplicates().merge(bands, how="cross")
    out = grid.merge(counts.reset_index(), on=[*keys, "_band"], how="left")
    out["unreported"] = out["unreported"].fillna(0).astype("int64")
    out = out.sort_values([*keys, "_band"], kind="stable", na_position="last")
    return out[[*keys, "age_band", "unreported"]].reset_index(drop=True)


def _classify(
    start: pd.Series,
    end: pd.Series,
    as_at: npt.NDArray[np.datetime64],
    days: int,
    day_kind: DayKind,
) -> tuple[npt.NDArray[np.str_], npt.NDArray[np.float64]]:
    """Each event's status, and its elapsed days (NaN when unreported)."""
    started = to_local(start)
    if started.isna().any():
        raise ValueError(
            f"{int(started.isna().sum())} event(s) have no start timestamp (test or receipt)"
        )
    reported = to_local(end).notna().to_numpy()
    elapsed = elapsed_days(start, end, day_kind).to_numpy()
    age = elapsed_days(start, pd.Series(as_at, index=start.index), day_kind).to_numpy()
    with np.errstate(invalid="ignore"):
        status = np.select(
            [reported & (elapsed <= days), reported, age > days],
            [WITHIN, BREACH, BREACH],
            default=PENDING,
        )
    return status, elapsed


def _as_at_rows(events: pd.DataFrame, as_at: AsAt, kind: EventKind) -> npt.NDArray[np.datetime64]:
    """The as-at moment of each event's trust, as naive London ``datetime64[ns]``."""
    if as_at is None:
        moments: pd.Series | Mapping[str, object] = as_at_by_trust(events, kind=kind)
    elif isinstance(as_at, pd.Series | Mapping):
        moments = as_at
    else:
        moment = to_local(pd.Series([as_at])).to_numpy("datetime64[ns]")[0]
        if np.isnat(moment):
            raise ValueError(f"as_at must be a date-time, got {as_at!r}")
        return np.full(len(events), moment, dtype="datetime64[ns]")
    require_columns(events, ["trust_code"], kind)
    table = to_local(pd.Series(dict(moments)) if isinstance(moments, Mapping) else moments)
    rows = events["trust_code"].map(table)
    missing = events.loc[rows.isna().to_numpy(), "trust_code"].drop_duplicates()
    if len(missing):
        named = ", ".join(sorted(map(str, missing)))
        raise ValueError(f"no as-at moment for trust(s) {named}")
    moment_of_row: npt.NDArray[np.datetime64] = to_local(rows).to_numpy("datetime64[ns]")
    return moment_of_row


def _localised(events: pd.DataFrame, kind: str) -> tuple[pd.DataFrame, tuple[str, str]]:
    """``events`` with its start and end converted once to naive London time, and their names."""
    start_col, end_col = _time_columns(events, kind)
    local = events.assign(
        **{start_col: to_local(events[start_col]), end_col: to_local(events[end_col])}
    )
    return local, (start_col, end_col)


def _time_columns(events: pd.DataFrame, kind: str) -> tuple[str, str]:
    if kind not in EVENT_TIMES:
        raise ValueError(f"kind must be one of {EVENT_KINDS}, got {kind!r}")
    start_col, end_col = EVENT_TIMES[kind]
    require_columns(events, [start_col, end_col], kind)
    return start_col, end_col


def _summary_dtype(column: str) -> str:
    if column in ("events", "within_target", "breaches", "pending", "target_days"):
        return "int64"
    if column in ("share_within_target", "target_share", "median_days"):
        return "float64"
    return "object"
