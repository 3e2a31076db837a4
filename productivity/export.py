"""Exports: small-number suppression for every CSV download and board pack.

Counts from 1 to 4 are shown as ``*`` so that no export can identify a handful of patients
(NHS Digital small-number guidance). Zero is shown, as it identifies nobody.
"""

from __future__ import annotations

import pandas as pd

SUPPRESS_BELOW = 5  # counts 1..4 are suppressed
SUPPRESSED = "*"
# Columns that count patients, cases or tests; ratios and minutes are not counts.
COUNT_WORDS = ("waiting", "cases", "tests", "patients", "scans", "procedures", "transfers")


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
