"""The look-ahead's history: completed cases and their medians over a 12-month window (SPEC §4).

Example::

    history = history_from_cases(lists, cases)              # completed cases, touch minutes
    by_procedure, by_specialty = history_medians(history, "2026-06-01")

``history`` has one row per completed case: ``trust_code, specialty, procedure_code,
touch_minutes, session_date`` (:data:`HISTORY_COLUMNS`). The window is as_of − 12 calendar months
< session_date ≤ as_of. :mod:`productivity.metrics.lookahead` turns the medians into each booked
case's expected minutes. Pure: numpy, pandas and the pure metrics modules only.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import TypeAlias

import numpy as np
import pandas as pd

from productivity.metrics.daycase import normalise_codes
from productivity.metrics.theatre import prepare_cases

HISTORY_MONTHS = 12
HISTORY_COLUMNS: tuple[str, ...] = (
    "trust_code", "specialty", "procedure_code", "touch_minutes", "session_date",
)  # fmt: skip

AsOf: TypeAlias = str | dt.date | pd.Timestamp
# One as-of for every trust, or one per trust code (e.g. each trust's latest list).
AsOfs: TypeAlias = AsOf | Mapping[str, AsOf]
# (per trust × procedure_key, per trust × specialty), as history_medians returns them.
Medians: TypeAlias = tuple[pd.DataFrame, pd.DataFrame]


def as_day(as_of: AsOf) -> pd.Timestamp:
    """A date as a Timestamp at midnight."""
    return pd.Timestamp(as_of).normalize()


def as_dates(values: pd.Series) -> pd.Series:
    """Dates or date-times as datetimes at midnight."""
    return pd.Series(pd.to_datetime(values), index=values.index).dt.normalize()


def history_window(
    history: pd.DataFrame, as_of: AsOfs, months: int = HISTORY_MONTHS
) -> pd.DataFrame:
    """History rows with as_of − ``months`` < session_date ≤ as_of and a touch time.

    ``as_of`` is one date for every trust, or a mapping of trust code to date (a trust missing
    from the mapping keeps no rows). Adds ``procedure_key`` (the normalised procedure code).
    """
    dates = as_dates(history["session_date"])
    ends = (
        as_of
        if isinstance(as_of, Mapping)
        else dict.fromkeys(history["trust_code"].unique(), as_of)
    )
    bounds = {
        code: (as_day(day) - pd.DateOffset(months=months), as_day(day))
        for code, day in ends.items()
    }
    trust = history["trust_code"]
    start = pd.to_datetime(trust.map({code: low for code, (low, _) in bounds.items()}))
    end = pd.to_datetime(trust.map({code: high for code, (_, high) in bounds.items()}))
    minutes = pd.to_numeric(history["touch_minutes"], errors="coerce")
    keep = (dates > start) & (dates <= end) & minutes.notna()
    window = history.loc[keep.to_numpy()].copy()
    window["touch_minutes"] = minutes[keep].astype("float64")
    window["procedure_key"] = normalise_codes(window["procedure_code"])
    return window


def latest_as_of(history: pd.DataFrame) -> dict[str, pd.Timestamp]:
    """Each trust's latest session date in ``history``: the end of its own 12-month window."""
    if history.empty:
        return {}
    latest = as_dates(history["session_date"]).groupby(history["trust_code"]).max()
    return {str(code): pd.Timestamp(day) for code, day in latest.items()}


def history_medians(history: pd.DataFrame, as_of: AsOfs, months: int = HISTORY_MONTHS) -> Medians:
    """Median touch minutes and case counts over the window, by procedure and by specialty.

    Returns (per trust × procedure_key: procedure_median_minutes, procedure_history_cases;
    per trust × specialty: specialty_median_minutes, specialty_history_cases,
    typical_procedure (the specialty's most frequent procedure code in the window, the first
    in code order on a tie, as first written) and typical_procedure_cases).
    """
    window = history_window(history, as_of, months)
    by_procedure = (
        window.dropna(subset=["procedure_key"])
        .groupby(["trust_code", "procedure_key"], observed=True)["touch_minutes"]
        .agg(procedure_median_minutes="median", procedure_history_cases="size")
        .reset_index()
    )
    by_specialty = (
        window.dropna(subset=["specialty"])
        .groupby(["trust_code", "specialty"], observed=True)["touch_minutes"]
        .agg(specialty_median_minutes="median", specialty_history_cases="size")
        .reset_index()
    )
    counts = (
        window.dropna(subset=["specialty", "procedure_key"])
        .groupby(["trust_code", "specialty", "procedure_key"], observed=True)
        .agg(
            typical_procedure_cases=("touch_minutes", "size"),
            typical_code=("procedure_code", "first"),
        )
        .reset_index()
        .sort_values(
            ["trust_code", "specialty", "typical_procedure_cases", "procedure_key"],
            ascending=[True, True, False, True],
        )
        .drop_duplicates(["trust_code", "specialty"])
        .rename(columns={"typical_code": "typical_procedure"})
        .drop(columns="procedure_key")
    )
    by_specialty = by_specialty.merge(counts, on=["trust_code", "specialty"], how="left")
    by_specialty["typical_procedure_cases"] = (
        by_specialty["typical_procedure_cases"].fillna(0).astype(np.int64)
    )
    return by_procedure, by_specialty


def history_from_cases(lists: pd.DataFrame, cases: pd.DataFrame) -> pd.DataFrame:
    """Completed cases as look-ahead history, from the normalised theatre frames.

    ``lists`` has :data:`productivity.schema.LIST_COLUMNS` and ``cases``
    :data:`productivity.schema.CASE_COLUMNS`. Completed and touch time are as in
    :func:`productivity.metrics.theatre.prepare_cases`: touch_minutes = out_of_theatre −
    (anaesthetic_start, else into_theatre). trust_code, specialty and session_date come from
    the case's list.
    """
    lists = lists.reset_index(drop=True)
    prepared = prepare_cases(lists, cases)
    done = prepared["completed"].to_numpy()
    position = prepared["list_position"].to_numpy()[done]
    touch = (prepared["touch_end"] - prepared["touch_start"]).dt.total_seconds() / 60
    return pd.DataFrame(
        {
            "trust_code": lists["trust_code"].to_numpy()[position],
            "specialty": lists["specialty"].to_numpy()[position],
            "procedure_code": cases["procedure_code"].to_numpy()[done],
            "touch_minutes": touch.to_numpy(dtype="float64")[done],
            "session_date": pd.to_datetime(lists["session_date"]).to_numpy()[position],
        },
        columns=list(HISTORY_COLUMNS),
    )
