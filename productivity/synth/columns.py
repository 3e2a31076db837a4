"""Turning the synthetic generators' integer arrays into the demo frames' columns, fast.

Owns the int64-minutes convention (:data:`NAT` for missing), conversion to datetimes, categories
by code as pandas' ``str`` dtype, and ``YYYY-MM-DD``/``HH:MM`` text built straight into Arrow
buffers (about 20 times faster than formatting row by row, which matters at national scale).
Pure numpy/pandas (pyarrow when present): it must not import the database, SQLModel or
Streamlit, nor any other ``synth_*`` module.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

NAT = np.iinfo(np.int64).min  # missing, in int64 minutes (the same bits as NaT)


def text_array(
    categories: tuple[str, ...] | list[str], codes: np.ndarray
) -> pd.api.extensions.ExtensionArray:
    """Categories by integer code as pandas' ``str`` dtype; code -1 gives a missing value."""
    return pd.array(list(categories), dtype="str").take(codes, allow_fill=True)


def ascii_text(
    buf: np.ndarray, valid: np.ndarray | None = None
) -> pd.api.extensions.ExtensionArray:
    """Rows of an (n, width) uint8 ASCII buffer as a ``str`` array, missing where not ``valid``.

    Building the Arrow buffers directly is ~20x faster than formatting strings row by row, which
    matters at national scale (12 million case ids).
    """
    n, width = buf.shape
    try:
        import pyarrow as pa
    except ImportError:  # pragma: no cover - pandas' str dtype normally brings pyarrow
        values = np.ascontiguousarray(buf).view(f"S{width}").ravel().astype(f"U{width}")
        out = values.astype(object)
        if valid is not None:
            out[~valid] = None
        return as_text(out)
    large = n * width >= 2**31 - 1
    offsets = np.arange(n + 1, dtype=np.int64 if large else np.int32) * width
    bitmap = None if valid is None else pa.py_buffer(np.packbits(valid, bitorder="little"))
    array_type = pa.LargeStringArray if large else pa.StringArray
    arrow = array_type.from_buffers(
        n, pa.py_buffer(offsets), pa.py_buffer(np.ascontiguousarray(buf)), bitmap
    )
    return as_text(arrow)


def as_text(values: object) -> pd.api.extensions.ExtensionArray:
    """``values`` (a Series, an array or an Arrow array) as a pandas ``str`` array.

    Missing values stay missing.
    """
    # pandas takes any array-like here; pandas-stubs types only sequences and numpy arrays, and
    # an untyped Arrow array comes back as Any.
    text: pd.api.extensions.ExtensionArray = pd.array(values, dtype="str")  # type: ignore[call-overload]
    return text


_DIGIT_PAIRS = np.array([[48 + i // 10, 48 + i % 10] for i in range(100)], dtype=np.uint8)


def decimal_digits(values: np.ndarray, width: int) -> np.ndarray:
    """Zero-padded decimal digits of non-negative integers as an (n, width) uint8 buffer.

    ``width`` is even: two digits at a time from a lookup table.
    """
    pairs = [_DIGIT_PAIRS[(values // 10**p) % 100] for p in range(width - 2, -1, -2)]
    return np.concatenate(pairs, axis=1)


def to_minutes(values: pd.Series) -> np.ndarray:
    """Datetimes as int64 minutes since 1970 (NaT stays the int64 minimum)."""
    return values.to_numpy(dtype="datetime64[ns]").astype("datetime64[m]").astype(np.int64)


def to_datetimes(minutes: np.ndarray) -> np.ndarray:
    """Int64 minutes since 1970 (``NAT`` for missing) as datetime64[us], converted in place:
    pass an array nobody else holds."""
    nat = minutes == NAT
    minutes *= 60_000_000
    minutes[nat] = NAT
    return minutes.view("datetime64[us]")


def format_minutes(minutes: np.ndarray, part: str) -> pd.api.extensions.ExtensionArray:
    """Minutes since 1970 as ``YYYY-MM-DDTHH:MM`` (part "datetime"), ``YYYY-MM-DD`` or ``HH:MM``."""
    valid = minutes != NAT
    m = np.where(valid, minutes, 0)
    day = m // 1440
    hour, minute = divmod(m - day * 1440, 60)
    d64 = day.astype("datetime64[D]")
    month_start = d64.astype("datetime64[M]")
    year = month_start.astype("datetime64[Y]").astype(np.int64) + 1970
    month = month_start.astype(np.int64) % 12 + 1
    dom = (d64 - month_start.astype("datetime64[D]")).astype(np.int64) + 1

    def char(c: str) -> np.ndarray:
        return np.full((m.size, 1), ord(c), dtype=np.uint8)

    date = [
        decimal_digits(year, 4),
        char("-"),
        decimal_digits(month, 2),
        char("-"),
        decimal_digits(dom, 2),
    ]
    time = [decimal_digits(hour, 2), char(":"), decimal_digits(minute, 2)]
    pieces = {"date": date, "time": time, "datetime": [*date, char("T"), *time]}[part]
    return ascii_text(np.concatenate(pieces, axis=1), None if valid.all() else valid)
