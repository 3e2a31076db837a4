"""The look-ahead list mart: what every booked list's 6-4-2 look-ahead is before a target.

``LOOKAHEAD_LIST`` holds one row per list in the bookings table (in or out of any window): its
key, specialty, planned times and :data:`productivity.metrics.lookahead.SUM_COLUMNS` (booked and
expected minutes, the specialty's median), the cases per source of their expected minutes
(``source_<name>``) and ``list_order``, the list's place among its trust's lists in
:func:`productivity.store.bookings.read_bookings` order. None of it depends on the as-of date
or the benchmark target, so the Look-ahead page's default view
(:func:`productivity.views.look_ahead.every_trust`) applies those to this mart instead of
running the look-ahead over every booking at its first render.

It depends on the bookings and on the look-ahead's history medians (``EXPECTED_PROCEDURE`` and
``EXPECTED_SPECIALTY``): a full rebuild builds it from those frames, a theatre import's refresh
and a bookings import's refresh replace the touched trusts' rows
(:mod:`productivity.store.mart_refresh`). Arithmetic lives in ``metrics/lookahead``. Imports no
Streamlit.
"""

from __future__ import annotations

import functools
from collections.abc import Collection

import numpy as np
import pandas as pd
from sqlalchemy import Connection, Engine, text

from productivity.metrics import lookahead
from productivity.store.bookings import bookings_rows, datetimes
from productivity.store.mart_reads import build_stamp, records_frame
from productivity.store.mart_tables import LOOKAHEAD_LIST

SOURCE_COLUMNS = tuple(f"source_{source}" for source in lookahead.SOURCES)
DATE_COLUMNS = ("session_date", "planned_start", "planned_end")


def lookahead_lists(bookings: pd.DataFrame, medians: lookahead.Medians) -> pd.DataFrame:
    """The mart's rows of ``bookings`` (as ``read_bookings`` gives them) with ``medians``."""
    cases = lookahead.expected_case_minutes(bookings, None, "2000-01-01", medians=medians)
    sums = lookahead.list_sums(bookings, medians, cases)
    key = list(sums.columns[: sums.columns.get_loc("specialty")])
    counts = (
        cases.groupby([*key, "expected_source"], dropna=False, sort=False, observed=True)
        .size()
        .unstack("expected_source", fill_value=0)
        .reindex(columns=list(lookahead.SOURCES), fill_value=0)
        .set_axis(list(SOURCE_COLUMNS), axis=1)
        .reset_index()
    )
    out = sums.merge(counts, on=key, how="left")
    out[list(SOURCE_COLUMNS)] = out[list(SOURCE_COLUMNS)].fillna(0).astype(np.int64)
    out["list_order"] = out.groupby("trust_code", sort=False).cumcount().astype(np.int64)
    # Stored as the bookings table stores them (a DATE, two timestamps), so they read back as
    # read_bookings reads them, on either database.
    out["session_date"] = pd.Series(
        [d.date() for d in out["session_date"]], index=out.index, dtype=object
    )
    return out


def mart_frame(
    conn: Connection, medians: lookahead.Medians, trusts: Collection[str] | None = None
) -> pd.DataFrame:
    """The mart's rows of every trust (or of ``trusts``) from the bookings the connection sees
    and ``medians`` (the expected-minutes marts' frames)."""
    return lookahead_lists(bookings_rows(conn, trusts), medians)


def read_lookahead_lists(conn: Connection) -> pd.DataFrame:
    """Every row of the mart, typed as :func:`lookahead.list_sums` types them."""
    rows = records_frame(conn.execute(text(f'SELECT * FROM "{LOOKAHEAD_LIST}"')))
    for column in DATE_COLUMNS:
        rows[column] = datetimes(rows[column])
    floats = ("planned_minutes", "booked_minutes", "expected_minutes", "specialty_median_minutes")
    ints = ("booked_cases", "unestimated_cases", "specialty_history_cases", "list_order")
    return rows.astype(dict.fromkeys(floats, "float64") | dict.fromkeys(
        (*ints, *SOURCE_COLUMNS), "int64"))  # fmt: skip


def every_list(engine: Engine) -> pd.DataFrame:
    """Every row of the mart (:func:`read_lookahead_lists`), read once per build in this
    process; a copy, so callers may add columns."""
    return _every_list(engine, build_stamp(engine)).copy()


def clear_read_cache() -> None:
    """Forget the mart kept in this process (for measurements of a cold first render)."""
    _every_list.cache_clear()


@functools.lru_cache(maxsize=2)
def _every_list(engine: Engine, stamp: str) -> pd.DataFrame:
    """The mart's rows; ``stamp`` (the build stamp) only keys the cache."""
    with engine.connect() as conn:
        return read_lookahead_lists(conn)
