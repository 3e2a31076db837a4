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
from productivity.schema import THEATRE_LIST_KEY
from productivity.store.bookings import bookings_rows, datetimes
from productivity.store.mart_reads import build_stamp, records_frame
from productivity.store.mart_tables import LOOKAHEAD_LIST

SOURCE_COLUMNS = tuple(f"source_{source}" for source in lookahead.SOURCES)
DATE_COLUMNS = ("session_date", "planned_start", "planned_end")
FLOAT_COLUMNS = ("planned_minutes", "booked_minutes", "expected_minutes",
                 "specialty_median_minutes")  # fmt: skip
FIGURE_COLUMNS = (*lookahead.SUM_COLUMNS, *SOURCE_COLUMNS, "list_order")
# The mart's columns, in the order lookahead_lists writes them.
MART_COLUMNS = (*THEATRE_LIST_KEY, "specialty", "planned_start", "planned_end", *FIGURE_COLUMNS)


def lookahead_lists(bookings: pd.DataFrame, medians: lookahead.Medians) -> pd.DataFrame:
    """The mart's rows of ``bookings`` (as ``read_bookings`` gives them) with ``medians``."""
    # With the medians given, the as-of date is not used: a booked case's minutes do not move.
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
    out["session_date"] = out["session_date"].dt.date
    return out


def mart_frame(
    conn: Connection, medians: lookahead.Medians, trusts: Collection[str] | None = None
) -> pd.DataFrame:
    """The mart's rows of every trust (or of ``trusts``) from the bookings the connection sees
    and ``medians`` (the expected-minutes marts' frames)."""
    return lookahead_lists(bookings_rows(conn, trusts), medians)


def read_lookahead_lists(conn: Connection) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every list of the mart but its source counts, typed as :func:`lookahead_lists` types
    them, and the booked cases per trust and source (``source_<name>`` columns, indexed by
    trust_code): summed in SQL, so the per-list read has four columns fewer."""
    columns = [c for c in MART_COLUMNS if c not in SOURCE_COLUMNS]
    selected = ", ".join(f'"{c}"' for c in columns)
    rows = records_frame(conn.execute(text(f'SELECT {selected} FROM "{LOOKAHEAD_LIST}"')))
    for column in DATE_COLUMNS:
        rows[column] = datetimes(rows[column])
    figures = [c for c in FIGURE_COLUMNS if c not in SOURCE_COLUMNS]
    ints = [c for c in figures if c not in FLOAT_COLUMNS]
    rows = rows.astype(dict.fromkeys(FLOAT_COLUMNS, "float64") | dict.fromkeys(ints, "int64"))
    sums = ", ".join(f'SUM("{c}") AS "{c}"' for c in SOURCE_COLUMNS)
    query = f'SELECT trust_code, {sums} FROM "{LOOKAHEAD_LIST}" GROUP BY trust_code'
    counts = records_frame(conn.execute(text(query))).set_index("trust_code")
    return rows, counts.astype("int64")


def every_list(engine: Engine) -> tuple[pd.DataFrame, pd.DataFrame]:
    """:func:`read_lookahead_lists`, read once per build in this process; copies, so callers
    may add columns."""
    lists, counts = _every_list(engine, build_stamp(engine))
    return lists.copy(), counts.copy()


def clear_read_cache() -> None:
    """Forget the mart kept in this process (for measurements of a cold first render)."""
    _every_list.cache_clear()


@functools.lru_cache(maxsize=2)
def _every_list(engine: Engine, stamp: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The mart's rows and source counts; ``stamp`` (the build stamp) only keys the cache."""
    with engine.connect() as conn:
        return read_lookahead_lists(conn)
