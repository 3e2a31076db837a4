"""The 6-4-2 look-ahead of booked theatre lists (SPEC §4), as pure, vectorised functions.

Example::

    history = history_from_cases(lists, cases)             # completed cases, touch minutes
    per_case = expected_case_minutes(bookings, history, as_of="2026-06-01")
    per_list = lookahead(bookings, history, as_of="2026-06-01", target=0.85)
    per_list[per_list["flagged"]]                          # lists to fill, by weeks_out

``bookings`` is the "Theatre bookings" format (SPEC §3): one row per booked case, with the list's
``trust_code, site, theatre, session_date, session, planned_start, planned_end, specialty`` and the
case's ``case_id, procedure_code, priority`` and optional ``booked_minutes``; an unbooked list is
one row with empty case fields. ``planned_start``/``planned_end`` may be full date-times (the
normalised lists) or ``HH:MM`` times (an end at or before the start is the next day). A
``list_id`` column, if present, is kept with the list key.

``history`` has one row per completed case: ``trust_code, specialty, procedure_code,
touch_minutes, session_date`` (see :func:`history_from_cases`). The history's window and
medians live in :mod:`productivity.metrics.lookahead_history`; their names are re-exported here.

Definitions:

- History window: cases with as_of − 12 months < session_date ≤ as_of (calendar months, so
  as_of 2026-06-01 takes 2025-06-02 to 2026-06-01). Older (and later) history is ignored.
- Expected minutes of a booked case, first that applies (``expected_source``):
  ``booked`` = its booked_minutes when given; ``procedure`` = the trust's median touch minutes
  for that procedure code (codes normalised as in :mod:`productivity.metrics.daycase`, so
  "T20.1" = "T201") when the window holds at least 5 such cases; ``specialty`` = the trust's
  median touch minutes for the list's specialty (any number of cases ≥ 1); ``none`` = NaN,
  and the list is marked ``estimate_incomplete``. ``history_cases`` is the number of cases
  behind the median used (0 for booked and none).
- Expected utilisation of a list = min(Σ expected, planned) ÷ planned, where Σ expected adds the
  cases that have an estimate (an unbooked list has Σ = 0). unfilled_minutes = max(0,
  t × planned − Σ expected).
- Weeks out, from days_out = session_date − as_of in whole days: 0-14 days → 2, 15-28 → 4,
  29-42 → 6; a list in the past or more than 42 days ahead has no window (<NA>).
- A list is ``flagged`` when it is in a window and its expected utilisation < t (strictly: a list
  exactly at the benchmark is not flagged). A list with a case that has no estimate counts that
  case as 0 minutes, so it is flagged unless its other cases already reach t, and it carries
  ``estimate_incomplete`` so the scheduling meeting checks it.
- cases_to_fill = floor(unfilled ÷ the trust's specialty median touch minutes): how many cases of
  that specialty's typical length would fill the gap (<NA> where the specialty has no history).

This module owns the look-ahead arithmetic only; it does not read files or the store. Pure:
imports only numpy, pandas, :mod:`productivity.schema` and the pure metrics modules.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
import pandas as pd

from productivity.metrics.daycase import normalise_codes
from productivity.metrics.lookahead_history import (
    HISTORY_COLUMNS as HISTORY_COLUMNS,
    HISTORY_MONTHS as HISTORY_MONTHS,
    AsOf as AsOf,
    AsOfs as AsOfs,
    Medians as Medians,
    as_dates,
    as_day,
    history_from_cases as history_from_cases,
    history_medians as history_medians,
    history_window as history_window,
    latest_as_of as latest_as_of,
)
from productivity.schema import THEATRE_LIST_KEY

DEFAULT_TARGET = 0.85
MIN_PROCEDURE_CASES = 5
# (last day out, weeks) of each look-ahead window, nearest first.
WINDOWS: tuple[tuple[int, int], ...] = ((14, 2), (28, 4), (42, 6))
SOURCES: tuple[str, ...] = ("booked", "procedure", "specialty", "none")
# Columns expected_case_minutes adds to the booking rows.
CASE_COLUMNS: tuple[str, ...] = (
    "expected_minutes", "expected_source", "history_cases", "procedure_history_cases",
    "procedure_median_minutes", "specialty_history_cases", "specialty_median_minutes",
)  # fmt: skip
# Columns lookahead adds after the list key, specialty, planned_start and planned_end.
LIST_COLUMNS: tuple[str, ...] = (
    "planned_minutes", "booked_cases", "booked_minutes", "expected_minutes",
    "unestimated_cases", "estimate_incomplete", "expected_utilisation", "unfilled_minutes",
    "days_out", "weeks_out", "below_benchmark", "flagged", "specialty_median_minutes",
    "specialty_history_cases", "cases_to_fill",
)  # fmt: skip
# What list_sums gives each list after its key: neither the as-of date nor the target changes it.
SUM_COLUMNS: tuple[str, ...] = (
    "planned_minutes", "booked_cases", "booked_minutes", "expected_minutes",
    "unestimated_cases", "specialty_median_minutes", "specialty_history_cases",
)  # fmt: skip
_HH_MM = re.compile(r"^\s*\d{1,2}:\d{2}(:\d{2})?\s*$")
# Float noise guard for "strictly below the benchmark" and for whole minutes.
_EPSILON = 1e-9


def _text(values: pd.Series) -> pd.Series:
    """Strings stripped, with empty strings as <NA>."""
    text = values.astype("string").str.strip()
    return text.mask(text == "")


def weeks_out(session_dates: pd.Series, as_of: AsOf) -> pd.Series:
    """2, 4 or 6 for a list 0-14, 15-28 or 29-42 days after ``as_of``; <NA> otherwise (Int64)."""
    return _weeks((as_dates(session_dates) - as_day(as_of)).dt.days)


def _weeks(days: pd.Series) -> pd.Series:
    """2, 4 or 6 for 0-14, 15-28 or 29-42 days out; <NA> otherwise (Int64)."""
    weeks = pd.Series(pd.NA, index=days.index, dtype="Int64", name="weeks_out")
    low = 0
    for last, week in WINDOWS:
        weeks = weeks.mask(days.between(low, last), week)
        low = last + 1
    return weeks


def _lookup(
    table: pd.DataFrame, keys: Sequence[str], frame_keys: Sequence[pd.Series], *columns: str
) -> list[np.ndarray]:
    """Each of ``table[columns]`` for each row's (keys) in ``frame_keys`` (NaN where absent),
    matched once for every column."""
    index = pd.MultiIndex.from_frame(table[list(keys)].astype("string"))
    wanted = pd.MultiIndex.from_arrays([k.astype("string") for k in frame_keys])
    at = index.get_indexer(wanted)
    found = at >= 0
    out = []
    for column in columns:
        values = np.full(len(at), np.nan)
        values[found] = table[column].to_numpy(dtype="float64")[at[found]]
        out.append(values)
    return out


def _has_case(bookings: pd.DataFrame) -> pd.Series:
    """A row is a booked case when any case field is filled (else it is an unbooked list)."""
    has = pd.Series(False, index=bookings.index)
    for column in ("case_id", "procedure_code"):
        if column in bookings.columns:
            has |= _text(bookings[column]).notna()
    if "booked_minutes" in bookings.columns:
        has |= pd.to_numeric(bookings["booked_minutes"], errors="coerce").notna()
    return has


def expected_case_minutes(
    bookings: pd.DataFrame,
    history: pd.DataFrame | None,
    as_of: AsOf,
    *,
    min_procedure_cases: int = MIN_PROCEDURE_CASES,
    months: int = HISTORY_MONTHS,
    medians: Medians | None = None,
) -> pd.DataFrame:
    """One row per booked case (unbooked-list rows dropped): the booking columns plus
    expected_minutes, expected_source (booked | procedure | specialty | none), history_cases
    (cases behind the median used; 0 for booked and none), procedure_history_cases,
    procedure_median_minutes, specialty_history_cases and specialty_median_minutes.

    ``medians`` (as :func:`history_medians` returns them, e.g. read from a mart) replaces
    ``history``, ``as_of`` and ``months`` as the source of the medians.
    """
    cases = bookings.loc[_has_case(bookings).to_numpy()].copy()
    if medians is None:
        if history is None:
            raise ValueError("expected_case_minutes needs a history or its medians")
        medians = history_medians(history, as_of, months)
    by_procedure, by_specialty = medians
    trust = cases["trust_code"]
    code = normalise_codes(cases["procedure_code"]) if "procedure_code" in cases else None
    if code is None:
        code = pd.Series(pd.NA, index=cases.index, dtype="string")
    keys = ["trust_code", "procedure_key"]
    proc_median, proc_counts = _lookup(
        by_procedure, keys, [trust, code], "procedure_median_minutes", "procedure_history_cases"
    )
    proc_cases = np.nan_to_num(proc_counts).astype(np.int64)
    keys = ["trust_code", "specialty"]
    spec_median, spec_counts = _lookup(
        by_specialty, keys, [trust, cases["specialty"]], "specialty_median_minutes",
        "specialty_history_cases",
    )  # fmt: skip
    spec_cases = np.nan_to_num(spec_counts).astype(np.int64)
    if "booked_minutes" in cases.columns:
        booked = pd.to_numeric(cases["booked_minutes"], errors="coerce").to_numpy(dtype="float64")
    else:
        booked = np.full(len(cases), np.nan)
    conditions = [
        ~np.isnan(booked),
        (proc_cases >= min_procedure_cases) & ~np.isnan(proc_median),
        ~np.isnan(spec_median),
    ]
    cases["expected_minutes"] = np.select(conditions, [booked, proc_median, spec_median], np.nan)
    cases["expected_source"] = pd.Series(
        np.select(conditions, list(SOURCES[:3]), SOURCES[3]), index=cases.index, dtype="string"
    )
    cases["history_cases"] = np.select(conditions, [0, proc_cases, spec_cases], 0).astype(np.int64)
    cases["procedure_history_cases"] = proc_cases
    cases["procedure_median_minutes"] = proc_median
    cases["specialty_history_cases"] = spec_cases
    cases["specialty_median_minutes"] = spec_median
    return cases


def _clock(values: pd.Series) -> pd.Series | None:
    """``HH:MM`` times of day as Timedeltas, or None when the values are date-times."""
    if pd.api.types.is_datetime64_any_dtype(values):
        return None
    text = values.astype("string")
    if not text.dropna().str.match(_HH_MM).all():
        return None
    padded = text.where(text.str.count(":") == 2, text + ":00")
    return pd.Series(pd.to_timedelta(padded), index=values.index)


def planned_minutes(lists: pd.DataFrame) -> pd.Series:
    """planned_end − planned_start in minutes (``planned_minutes`` if the frame already has it).

    Full date-times are subtracted as they are; ``HH:MM`` times of day wrap past midnight when
    the end is at or before the start.
    """
    if "planned_minutes" in lists.columns:
        return pd.to_numeric(lists["planned_minutes"], errors="coerce").astype("float64")
    start, end = _clock(lists["planned_start"]), _clock(lists["planned_end"])
    if start is not None and end is not None:
        minutes = (end - start).dt.total_seconds() / 60
        return minutes.where(minutes > 0, minutes + 24 * 60).astype("float64")
    begin = pd.to_datetime(lists["planned_start"])
    finish = pd.to_datetime(lists["planned_end"])
    return ((finish - begin).dt.total_seconds() / 60).astype("float64")


def lookahead(
    bookings: pd.DataFrame,
    history: pd.DataFrame | None,
    as_of: AsOf,
    target: float = DEFAULT_TARGET,
    *,
    min_procedure_cases: int = MIN_PROCEDURE_CASES,
    months: int = HISTORY_MONTHS,
    medians: Medians | None = None,
    cases: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """One row per booked list (in order of first appearance): the 6-4-2 look-ahead.

    Columns: the list key (``list_id`` if present, then trust_code, site, theatre,
    session_date, session), specialty, planned_start and planned_end (where present), then
    planned_minutes, booked_cases, booked_minutes (Σ booked_minutes given), expected_minutes
    (Σ over cases with an estimate), unestimated_cases, estimate_incomplete,
    expected_utilisation, unfilled_minutes, days_out, weeks_out (2 | 4 | 6 | <NA>),
    below_benchmark (expected utilisation < target), flagged (below_benchmark and in a window),
    specialty_median_minutes, specialty_history_cases and cases_to_fill (Int64).
    ``medians`` replaces ``history`` as in :func:`expected_case_minutes`; ``as_of`` still sets
    the weeks out. ``cases``, when given, is :func:`expected_case_minutes` of these bookings
    with these medians (it does not depend on ``as_of`` then), worked out once by the caller.
    """
    if medians is None:
        if history is None:
            raise ValueError("lookahead needs a history or its medians")
        medians = history_medians(history, as_of, months)
    if cases is None:
        cases = expected_case_minutes(
            bookings, None, as_of, min_procedure_cases=min_procedure_cases, medians=medians
        )
    return list_outlook(list_sums(bookings, medians, cases), as_of, target)


def list_sums(bookings: pd.DataFrame, medians: Medians, cases: pd.DataFrame) -> pd.DataFrame:
    """What :func:`lookahead` gives each list that depends on neither the as-of date nor the
    target: the list key, specialty, planned_start and planned_end (where present), then
    :data:`SUM_COLUMNS`. ``cases`` is :func:`expected_case_minutes` of ``bookings`` with
    ``medians``. One row per booked list, in order of first appearance."""
    key = [c for c in ("list_id", *THEATRE_LIST_KEY) if c in bookings.columns]
    carried = [c for c in ("specialty", "planned_start", "planned_end") if c in bookings.columns]
    if "planned_minutes" in bookings.columns:
        carried.append("planned_minutes")
    lists = bookings[key + carried].drop_duplicates(subset=key).reset_index(drop=True)
    if "booked_minutes" in cases.columns:
        booked = pd.to_numeric(cases["booked_minutes"], errors="coerce")
    else:
        booked = pd.Series(np.nan, index=cases.index)
    per_case = cases[key].assign(
        booked_cases=1,
        booked_minutes=booked.fillna(0.0).astype("float64"),
        expected_minutes=cases["expected_minutes"].fillna(0.0),
        unestimated_cases=cases["expected_minutes"].isna().astype(np.int64),
    )
    sums = per_case.groupby(key, dropna=False, sort=False).sum().reset_index()
    out = lists.merge(sums, on=key, how="left")
    for column in ("booked_cases", "unestimated_cases"):
        out[column] = out[column].fillna(0).astype(np.int64)
    for column in ("booked_minutes", "expected_minutes"):
        out[column] = out[column].fillna(0.0).astype("float64")
    out["planned_minutes"] = planned_minutes(out)
    keys = ["trust_code", "specialty"]
    median, counts = _lookup(
        medians[1], keys, [out["trust_code"], out["specialty"]], "specialty_median_minutes",
        "specialty_history_cases",
    )  # fmt: skip
    out["specialty_median_minutes"] = median
    out["specialty_history_cases"] = np.nan_to_num(counts).astype(np.int64)
    front = [*key, *[c for c in carried if c != "planned_minutes"]]
    return out[[*front, *SUM_COLUMNS]]


def list_outlook(sums: pd.DataFrame, as_of: AsOf | pd.Series, target: float) -> pd.DataFrame:
    """:func:`lookahead`'s rows from :func:`list_sums`' at ``target`` as of ``as_of`` (one
    date, or one per row: a Series aligned with ``sums``)."""
    out = sums.copy()
    planned, expected = out["planned_minutes"], out["expected_minutes"]
    out["estimate_incomplete"] = out["unestimated_cases"] > 0
    out["expected_utilisation"] = np.minimum(expected, planned) / planned.where(planned > 0)
    out["unfilled_minutes"] = np.maximum(0.0, target * planned - expected).round(6)
    day = as_dates(as_of) if isinstance(as_of, pd.Series) else as_day(as_of)
    days = (as_dates(out["session_date"]) - day).dt.days
    out["days_out"] = days.astype("Int64")
    out["weeks_out"] = _weeks(days)
    below = (out["expected_utilisation"] < target - _EPSILON).fillna(False).astype(bool)
    out["below_benchmark"] = below
    out["flagged"] = below & out["weeks_out"].notna().to_numpy()
    median = out["specialty_median_minutes"].to_numpy(dtype="float64")
    with np.errstate(divide="ignore", invalid="ignore"):
        fill = np.floor(out["unfilled_minutes"].to_numpy() / median + _EPSILON)
    usable = ~np.isnan(median) & (median > 0)
    out["cases_to_fill"] = pd.array(np.where(usable, fill, 0), dtype="Int64")
    out["cases_to_fill"] = out["cases_to_fill"].where(usable)
    front = [c for c in sums.columns if c not in SUM_COLUMNS]
    return out[[*front, *LIST_COLUMNS]]
