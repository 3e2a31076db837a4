"""Exports: small-number suppression and formula neutralising for every CSV the project writes.

Counts from 1 to 4 are shown as ``*`` so that no export can identify a handful of patients
(NHS Digital small-number guidance). Zero is shown, as it identifies nobody.

A text cell that a spreadsheet would run as a formula (it begins with ``=``, ``+``, ``-``, ``@``,
a tab or a carriage return: OWASP "CSV injection") is prefixed with a single quote by
:func:`neutralise_formulas`, so a theatre named ``=HYPERLINK(...)`` is shown, never run. Numbers,
and text that is a plain number (``-1.5``), are left as they are. Every CSV or workbook the
project writes goes through it: the CLI's reports, the page downloads and the problem reports
beside refused files. Pure: pandas only.
"""

from __future__ import annotations

import pandas as pd

SUPPRESS_BELOW = 5  # counts 1..4 are suppressed
SUPPRESSED = "*"
# Columns that count patients, cases or tests; ratios and minutes are not counts.
COUNT_WORDS = ("waiting", "cases", "tests", "patients", "scans", "procedures", "transfers")
# What a spreadsheet treats as the start of a formula (OWASP CSV injection), and the prefix
# that makes it text.
FORMULA_START: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r")
QUOTE = "'"
_PLAIN_NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?%?"


def is_count_column(name: str, series: pd.Series) -> bool:
    lowered = name.lower()
    if not pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series):
        return False
    if any(
        word in lowered for word in ("share", "rate", "utilisation", "per_", "minutes", "weeks_to")
    ):
        return False
    return any(word in lowered for word in COUNT_WORDS) or lowered.startswith("weeks_")


def suppress_small_numbers(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy with counts from 1 to 4 in count columns replaced by ``*``."""
    out = frame.copy()
    for column in out.columns:
        series = out[column]
        if not is_count_column(str(column), series):
            continue
        small = series.notna() & (series >= 1) & (series < SUPPRESS_BELOW)
        if small.any():
            shown = series.astype(object)
            shown[small] = SUPPRESSED
            out[column] = shown
    return out


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
