"""Exports: the small-number rule and formula neutralising for every table the project shows or
writes.

The small-number rule (NHS Digital small-number guidance), in one place: a count of *patients*
from 1 to :data:`SUPPRESS_BELOW` − 1 is suppressed, so that no table can identify a handful of
people. Zero is shown, as it identifies nobody. Counts of activity (cases, scans, tests, lists),
minutes and rates are not patients and are always shown. :data:`PATIENT_COUNTS` names the
patient-count columns by their catalogue key (:mod:`productivity.columns`); a table headed in
words matches through the catalogue's headings. The same cells are suppressed everywhere: a CSV
or the board pack shows ``*`` (:func:`suppress_small_numbers`); a table on screen keeps the
column numeric, so it still sorts, and leaves the cell empty (:func:`hide_small_numbers`).
A total beside them that would give one away (secondary suppression, worked out by the page)
is hidden alike (:func:`hide_withheld`).

A text cell that a spreadsheet would run as a formula (it begins with ``=``, ``+``, ``-``, ``@``,
a tab or a carriage return: OWASP "CSV injection") is prefixed with a single quote by
:func:`neutralise_formulas`, so a theatre named ``=HYPERLINK(...)`` is shown, never run. Numbers,
and text that is a plain number (``-1.5``), are left as they are. Every CSV or workbook the
project writes goes through it: the CLI's reports, the page downloads and the problem reports
beside refused files. Pure: pandas, :mod:`productivity.schema` and :mod:`productivity.columns`.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np
import pandas as pd

from productivity.columns import COLUMNS
from productivity.schema import DM01_BANDS

SUPPRESS_BELOW = 5  # counts of 1..4 patients are suppressed
SUPPRESSED = "*"
# Columns that count people, by catalogue key: the DM01 waiting list and its bands, people who
# missed an appointment, and patients proposed for transfer. Activity (cases, scans, tests),
# lists and minutes are not here: they identify nobody.
PATIENT_COUNTS: frozenset[str] = frozenset(
    {
        "total_waiting", "waiting_6_plus", "waiting_13_plus", *DM01_BANDS,
        "dm01_13_plus_weeks", "dm01_waiting_6_plus", "dm01_waiting_13_plus",  # the scorecard's
        "patients", "dnas", "patients_per_week",
    }
)  # fmt: skip
# The same columns as a table may head them in words (the catalogue's headings), lower case.
_PATIENT_HEADINGS: frozenset[str] = frozenset(
    heading.lower()
    for key in PATIENT_COUNTS
    if key in COLUMNS
    for heading in (COLUMNS[key].heading, COLUMNS[key].short)
)
SUPPRESSION_RULE = (
    f"Counts of 1 to {SUPPRESS_BELOW - 1} patients (people waiting, people who did not attend, "
    f"patients proposed for transfer) are suppressed so that no one can be identified: shown as "
    f"{SUPPRESSED} in tables on screen, in downloads and in the board pack (a table on screen "
    "that also has missing values shows both as –, with a note under it). Zero is shown. Counts "
    "of activity (cases, scans, tests), lists, minutes and rates identify nobody and are shown "
    "in full."
)
# What a spreadsheet treats as the start of a formula (OWASP CSV injection), and the prefix
# that makes it text.
FORMULA_START: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r")
QUOTE = "'"
_PLAIN_NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?%?"


def is_patient_count(name: str) -> bool:
    """Whether a column (by catalogue key, or headed in words) counts patients.

    >>> is_patient_count("waiting_13_plus"), is_patient_count("13+ weeks")
    (True, True)
    >>> is_patient_count("waiting_13_plus_2026-08"), is_patient_count("within_6_weeks_2026-08")
    (True, False)
    >>> is_patient_count("completed_cases"), is_patient_count("planned_minutes")
    (False, False)
    """
    return _patient_count(name)


# A table's column names recur on every rerun: the string checks are worked out once a name.
@functools.lru_cache(maxsize=4096)
def _patient_count(name: str) -> bool:
    lowered = name.strip().lower()
    return (
        lowered in PATIENT_COUNTS
        or lowered in _PATIENT_HEADINGS
        or lowered.startswith("patients")
        or lowered.replace(" ", "_") in PATIENT_COUNTS
        # one slice of a patient count: waiting_13_plus_2026-08 (a month of a wide table)
        or any(lowered.startswith(f"{key}_") for key in PATIENT_COUNTS)
    )


def small_counts(frame: pd.DataFrame) -> pd.DataFrame:
    """True where a cell holds a count of 1 to 4 patients (:func:`is_patient_count`)."""
    mask = pd.DataFrame(False, index=frame.index, columns=frame.columns)
    for column in frame.columns:
        series: pd.Series = frame[column]
        if not is_patient_count(str(column)) or pd.api.types.is_bool_dtype(series):
            continue
        mask[column] = _small_in(series)
    return mask


def _small_in(series: pd.Series) -> np.ndarray:
    """True where ``series`` (a patient count) holds 1 to 4; a column of plain numpy numbers is
    compared as it is, anything else as :func:`pandas.to_numeric` reads it."""
    if isinstance(series.dtype, np.dtype) and series.dtype.kind in "iuf":
        values = series.to_numpy()
        return (values >= 1) & (values < SUPPRESS_BELOW)  # NaN compares False
    numbers = pd.to_numeric(series, errors="coerce")
    return (numbers.notna() & (numbers >= 1) & (numbers < SUPPRESS_BELOW)).to_numpy(bool)


def _small_masks(frame: pd.DataFrame) -> dict[object, np.ndarray]:
    """:func:`small_counts`' True cells as one array per column that has any (none: empty)."""
    found: dict[object, np.ndarray] = {}
    for position, column in enumerate(frame.columns):
        if not is_patient_count(str(column)):
            continue
        series: pd.Series = frame.iloc[:, position]
        if pd.api.types.is_bool_dtype(series):
            continue
        small = _small_in(series)
        if small.any():
            found[column] = small
    return found


def _small_columns(mask: pd.DataFrame) -> list[object]:
    return [column for column in mask.columns if mask[column].any()]


def suppress_small_numbers(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy with counts of 1 to 4 patients replaced by ``*`` (for CSVs and the pack)."""
    out = frame.copy()
    mask = small_counts(frame)
    for column in _small_columns(mask):
        shown = out[column].astype(object)
        shown[mask[column]] = SUPPRESSED
        out[column] = shown
    return out


def hide_small_numbers(frame: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """A copy with counts of 1 to 4 patients made missing, and how many cells that hid.

    For a table on screen: a numeric column stays numeric (so it still sorts as numbers) and
    the table shows the missing cell as its placeholder; a text column shows ``*``.
    """
    if not frame.columns.is_unique:  # a column name twice: the frame-wide mask handles it
        return hide_cells(frame, small_counts(frame))
    # Column by column, arrays only: every table on screen passes here on every rerun.
    return hide_masked(frame, _small_masks(frame))


def hide_cells(frame: pd.DataFrame, mask: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """``frame`` with the cells that ``mask`` marks True hidden as :func:`hide_small_numbers`
    hides them (missing in a numeric column, ``*`` in any other), and how many it hid.

    ``mask`` has ``frame``'s index and columns (a smaller one is widened with False).
    """
    mask = mask.reindex(index=frame.index, columns=frame.columns, fill_value=False).astype(bool)
    hidden = int(mask.to_numpy().sum())
    if not hidden:
        return frame, 0
    out = frame.copy()
    for column in _small_columns(mask):
        out[column] = _hidden(out[column], mask[column].to_numpy())
    return out, hidden


def hide_masked(frame: pd.DataFrame, masks: dict[object, np.ndarray]) -> tuple[pd.DataFrame, int]:
    """:func:`hide_cells` with the mask as one boolean array (in row order) per column of
    ``frame`` (its names unique) that has cells to hide; a column not named hides none."""
    hidden = sum(int(cells.sum()) for cells in masks.values())
    if not hidden:
        return frame, 0
    out = frame.copy()
    for column, cells in masks.items():
        if cells.any():
            out[column] = _hidden(out[column], cells)
    return out, hidden


def hide_withheld(shown: pd.DataFrame, withheld: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """``shown`` (as :func:`hide_small_numbers` left it) with the ``withheld`` cells (True; a
    total that would give a hidden count away) not yet hidden hidden too, and how many that was."""
    same = withheld.index.equals(shown.index) and shown.columns.is_unique
    if not (same and withheld.columns.is_unique):  # align them as frames (the general case)
        mask = withheld.reindex(index=shown.index, columns=shown.columns, fill_value=False)
        return hide_cells(
            shown, mask.astype(bool) & shown.notna() & (shown.astype(object) != SUPPRESSED)
        )
    # Column by column, arrays only, and only the columns with a cell withheld: every rerun.
    masks: dict[object, np.ndarray] = {}
    for column in withheld.columns:
        if column not in shown.columns:
            continue
        cells = withheld[column].astype(bool).to_numpy()
        if not cells.any():
            continue
        series: pd.Series = shown[column]
        cells = cells & series.notna().to_numpy()
        if not (isinstance(series.dtype, np.dtype) and series.dtype.kind != "O"):  # may hold *
            cells &= (series.astype(object) != SUPPRESSED).to_numpy(bool)
        masks[column] = cells
    return hide_masked(shown, masks)


def _hidden(series: pd.Series, cells: np.ndarray) -> pd.Series:
    """``series`` with ``cells`` (True) hidden: missing in a number column, else ``*``."""
    if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
        return series.astype("float64").mask(cells)
    return series.astype(object).mask(cells, SUPPRESSED)  # text (or flags): a * says the same


def neutralise_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy in which every text cell a spreadsheet would run as a formula starts with ``'``.

    Only text is touched: numbers, dates and missing values are not, nor is text that is a
    plain number such as ``-1.5`` (it cannot be a formula).
    """
    out = frame.copy()
    for column in out.columns:
        series = out[column]
        if not (pd.api.types.is_object_dtype(series) or pd.api.types.is_string_dtype(series)):
            continue
        text = series.where(series.map(type) == str)  # noqa: E721 (exactly text, not subclasses)
        risky = text.str.startswith(FORMULA_START).fillna(False).astype(bool)
        risky &= ~text.str.fullmatch(_PLAIN_NUMBER).fillna(False).astype(bool)
        if risky.any():
            shown = series.astype(object)
            shown[risky] = QUOTE + text[risky]
            out[column] = shown
    return out


def to_csv(frame: pd.DataFrame, **options: object) -> str:
    """``frame`` as CSV text with formulas neutralised (:func:`neutralise_formulas`)."""
    text: str = neutralise_formulas(frame).to_csv(index=False, **options)  # type: ignore[call-overload]
    return text


def json_records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """``frame``'s rows as plain Python values for ``json.dumps``: every float in full (its
    repr reads back as the same number; ``DataFrame.to_json`` keeps at most 15 digits), a
    missing or non-finite value as null, and date-times as ISO text (as ``to_json`` writes them).
    """
    out = frame.copy()
    for column in out.columns:
        values = out[column]
        if pd.api.types.is_datetime64_any_dtype(values.dtype):
            out[column] = values.dt.strftime("%Y-%m-%dT%H:%M:%S.%f").str.slice(0, -3)
        elif pd.api.types.is_float_dtype(values.dtype):
            out[column] = values.where(np.isfinite(values.to_numpy(dtype="float64")))
    # astype(object) gives Python's own int, float and bool for numpy columns.
    plain = out.astype(object).where(out.notna(), None)
    return [{str(key): value for key, value in row.items()} for row in plain.to_dict("records")]
