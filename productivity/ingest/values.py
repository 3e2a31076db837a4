"""Vectorised parsing of text cells into dates, times, numbers and flags.

Each parser takes a Series of stripped text (index = spreadsheet row) and returns the parsed
Series plus a boolean mask of cells that are not empty but could not be parsed, so the caller
can turn the mask into located problems. Only shapes that a regular expression accepts reach
pandas' parsers, so odd input (time zones, free text) is reported, never raised.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Final

import numpy as np
import pandas as pd

from productivity import settings
from productivity.ingest.tabular import norm

DATETIME_UNIT: Final = "datetime64[us]"

# (regular expression of accepted text, strptime format or None for ISO 8601)
_ISO = r"\d{4}-\d{2}-\d{2}(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?)?"
_DMY = r"\d{1,2}/\d{1,2}/\d{4}"
DATETIME_SHAPES: tuple[tuple[str, str | None], ...] = (
    (_ISO, None),
    (_DMY + r" \d{1,2}:\d{2}", "%d/%m/%Y %H:%M"),
    (_DMY + r" \d{1,2}:\d{2}:\d{2}", "%d/%m/%Y %H:%M:%S"),
    (_DMY, "%d/%m/%Y"),
    (r"\d{1,2}-\d{1,2}-\d{4} \d{1,2}:\d{2}", "%d-%m-%Y %H:%M"),
    (r"\d{1,2}-\d{1,2}-\d{4}", "%d-%m-%Y"),
)
NUMBER_SHAPE = r"[-+]?(?:\d{1,3}(?:,\d{3})+(?:\.\d*)?|\d+\.?\d*|\.\d+)(?:[eE][-+]?\d{1,3})?"
DATETIME_EXPECTED = "a date-time such as 2026-05-01 08:30 or 01/05/2026 08:30"
DATE_EXPECTED = "a date such as 2026-05-01 or 01/05/2026"
TIME_EXPECTED = "a time HH:MM (e.g. 08:30), or a full date-time"


# Dates outside this window are typing errors or "no date" placeholders (9999-12-31, 1900-01-01)
# that NHS systems export: SPEC §3 makes anything before 2000, or more than a year after the
# import, a located error, so no placeholder ever reaches the store or the marts.
EARLIEST = pd.Timestamp("2000-01-01")


def latest(today: dt.date | None = None) -> pd.Timestamp:
    """The last acceptable day: a year after ``today`` (default: the day of the import)."""
    return pd.Timestamp(today or dt.date.today()) + pd.DateOffset(years=1)


def window_text(today: dt.date | None = None) -> str:
    return f"from {EARLIEST:%Y-%m-%d} to {latest(today):%Y-%m-%d} (a year ahead of the import)"


def outside_window(values: pd.Series, today: dt.date | None = None) -> pd.Series:
    """True where a parsed date-time falls before 2000 or after :func:`latest` (its whole day)."""
    end = latest(today) + pd.Timedelta(days=1)
    return values.notna() & ((values < EARLIEST) | (values >= end))


Parts = tuple[pd.Series, ...]


def _by_unique(text: pd.Series, parse: Callable[[pd.Series], Parts]) -> Parts:
    """Parse each distinct text once: codes, flags, planned times and dates repeat on every
    case row. ``parse`` gets the distinct texts (index 0..n-1) and must strip them itself."""
    codes, uniques = pd.factorize(text.astype("str"), use_na_sentinel=False)
    if len(uniques) * 2 > len(text):
        return parse(text)
    parsed = parse(pd.Series(uniques, dtype="str"))
    return tuple(
        pd.Series(part.array.take(codes), index=text.index, dtype=part.dtype) for part in parsed
    )


def parse_datetimes(text: pd.Series, *, window: bool = True) -> tuple[pd.Series, pd.Series]:
    """Date-times (naive, microsecond resolution), and the mask of cells that are not empty but
    are not a date-time or (with ``window``) fall outside the sane window (see :data:`EARLIEST`)."""
    values, bad = _by_unique(text, _parse_datetimes)
    if window:
        outside = outside_window(values)
        values, bad = values.where(~outside), bad | outside
    return values, bad


def _parse_datetimes(text: pd.Series) -> Parts:
    text = text.astype("str").str.strip()
    out = pd.Series(pd.NaT, index=text.index, dtype=DATETIME_UNIT)
    todo = text != ""
    for pattern, fmt in DATETIME_SHAPES:
        if not todo.any():
            break
        shaped = todo & text.str.fullmatch(pattern)
        if shaped.any():
            parsed = pd.to_datetime(text[shaped], format=fmt or "ISO8601", errors="coerce").astype(
                DATETIME_UNIT
            )
            out[shaped] = parsed
            todo &= ~shaped
    bad = (text != "") & out.isna()
    return out, bad


def parse_dates(text: pd.Series, *, window: bool = True) -> tuple[pd.Series, pd.Series]:
    """Dates (as midnight datetimes); a date-time is accepted only at midnight."""
    values, bad = parse_datetimes(text, window=window)
    not_midnight = values.notna() & (values != values.dt.normalize())
    return values.dt.normalize(), bad | not_midnight


def parse_times(text: pd.Series) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Times of day as timedeltas since midnight, full date-times where given, and the bad mask.

    Returns ``(time_of_day, full_datetime, bad)``: a cell is either a time (``HH:MM`` or
    ``HH:MM:SS``, with ``.`` also accepted as separator) or a full date-time in the sane window.
    """
    time_of_day, full, bad = _by_unique(text, _parse_times)
    outside = outside_window(full)
    return time_of_day, full.where(~outside), bad | outside


def _parse_times(text: pd.Series) -> Parts:
    text = text.astype("str").str.strip()
    parts = text.str.extract(r"^(\d{1,2})[:.](\d{2})(?:[:.](\d{2}))?$")
    hours = pd.to_numeric(parts[0], errors="coerce")
    minutes = pd.to_numeric(parts[1], errors="coerce")
    seconds = pd.to_numeric(parts[2], errors="coerce").fillna(0)
    valid = hours.notna() & (hours < 24) & (minutes < 60) & (seconds < 60)
    total = (hours * 3600 + minutes * 60 + seconds).where(valid)
    time_of_day = pd.to_timedelta(total, unit="s")
    rest = (text != "") & ~valid & parts[0].isna()
    full, full_bad = _parse_datetimes(text.where(rest, ""))
    bad = ((text != "") & ~valid & ~rest) | full_bad
    return time_of_day, full, bad


def parse_numbers(text: pd.Series, *, integer: bool = False) -> tuple[pd.Series, pd.Series]:
    """Numbers (float64; NaN where empty) and the mask of non-numeric or non-integer cells.

    A comma is read only as a thousands separator (``1,234.5``): ``1,5`` is refused rather
    than read as 15 (a ``;``-delimited file's decimal commas are rewritten on reading).
    """
    text = text.astype("str").str.strip()
    shaped = text.str.fullmatch(NUMBER_SHAPE)
    text = text.str.replace(",", "", regex=False)
    values = pd.to_numeric(text.where(shaped), errors="coerce").astype("float64")
    bad = (text != "") & (values.isna() | ~np.isfinite(values.fillna(0)))
    if integer:
        bad |= values.notna() & (values != values.round())
    return values.where(~bad), bad


FLAG_VALUES: Mapping[str, bool] = {
    "y": True,
    "yes": True,
    "true": True,
    "1": True,
    "t": True,
    "n": False,
    "no": False,
    "false": False,
    "0": False,
    "f": False,
    "": False,
}
FLAG_EXPECTED = "Y or N"


def parse_flags(text: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Y/N flags as bool (empty = N) and the mask of anything else."""
    flags, bad = _by_unique(text, _parse_flags)
    return flags, bad


def _parse_flags(text: pd.Series) -> Parts:
    key = text.astype("str").str.strip().str.lower()
    mapped = key.map(FLAG_VALUES)
    bad = mapped.isna()
    return mapped.where(~bad, False).astype(bool), bad


def map_values(
    text: pd.Series, mapping: Mapping[str, str], *, keep_unknown: bool = False
) -> tuple[pd.Series, pd.Series]:
    """Values through a normalised lookup (keys compared as :func:`tabular.norm` does).

    Returns the mapped text (empty stays empty) and the mask of unknown non-empty values; with
    ``keep_unknown`` those keep their original text.
    """
    lookup = {norm(k): v for k, v in mapping.items()}

    def lookup_each(text: pd.Series) -> Parts:
        text = text.astype("str").str.strip()
        key = text.str.lower().str.replace(r"[^a-z0-9+<]+", " ", regex=True).str.strip()
        mapped = key.map(lookup)
        bad = mapped.isna() & (text != "")
        filled = mapped.where(mapped.notna(), text if keep_unknown else "")
        return filled.astype("str"), bad

    filled, bad = _by_unique(text, lookup_each)
    return filled, bad


# An ISO 8601 date-time with a UTC offset or Z: 2025-04-14T22:00:00+01:00, 2025-04-14 21:00Z.
_ISO_OFFSET = r"\d{4}-\d{2}-\d{2}[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?(?:Z|[+-]\d{2}:?\d{2})"
LOCAL_DATETIME_EXPECTED = (
    "a date-time such as 2026-05-01 08:30, 01/05/2026 08:30 or 2026-05-01T08:30:00+01:00"
)


def parse_local_datetimes(text: pd.Series) -> tuple[pd.Series, pd.Series]:
    """As :func:`parse_datetimes`, and ISO 8601 instants with an offset, as London wall-clock.

    ``2025-04-14T22:00:00+01:00`` (BST) becomes 22:00 on 14 April; ``2025-01-14T22:00:00Z``
    becomes 22:00 (GMT), so every value is the naive Europe/London time the store keeps. A
    column may mix offsets, offsets and naive values, and the other accepted shapes.
    """
    values, bad = _by_unique(text, _parse_local_datetimes)
    return values, bad


def _parse_local_datetimes(text: pd.Series) -> Parts:
    text = text.astype("str").str.strip()
    offset = text.str.fullmatch(_ISO_OFFSET).fillna(False).astype(bool)
    values, bad = _parse_datetimes(text.where(~offset, ""))  # the window is the caller's
    if offset.any():
        instants = pd.to_datetime(text[offset], format="ISO8601", utc=True, errors="coerce")
        local = instants.dt.tz_convert(settings.TIMEZONE).dt.tz_localize(None)
        values[offset] = local.astype("datetime64[us]")
        bad = bad | (offset & values.isna())
    return values, bad
