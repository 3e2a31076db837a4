"""DM01 returns for the Diagnostics page, read once per marts build and kept in this process.

The page reads the same small table (one row per month × provider × test) several times a rerun
and again on every filter change; reading it once per build stamp (the stamp changes after every
import, so a new return is never missed) and filtering the months in memory gives the same rows
as :func:`productivity.store.reports.read_dm01` and :func:`~productivity.store.reports.latest_dm01`
without a query per filter change. ``clear_read_cache`` forgets them (a cold render's
measurement and tests call it). No Streamlit import.
"""

from __future__ import annotations

import threading

import pandas as pd
from sqlalchemy import Engine

from productivity.store import marts, reports

_LOCK = threading.Lock()
_CACHE: dict[tuple[str, str], pd.DataFrame] = {}


def clear_read_cache() -> None:
    """Forget the DM01 returns kept in memory."""
    with _LOCK:
        _CACHE.clear()


def _all_returns(engine: Engine) -> pd.DataFrame:
    key = (engine.url.render_as_string(hide_password=False), marts.build_stamp(engine))
    with _LOCK:
        found = _CACHE.get(key)
    if found is None:
        found = reports.read_dm01(engine)
        with _LOCK:
            _CACHE.clear()  # one build of one store: an older build is never read again
            _CACHE[key] = found
    return found


def read_dm01(engine: Engine, period: marts.Period | None = None) -> pd.DataFrame:
    """:func:`productivity.store.reports.read_dm01`'s rows, from memory (a copy)."""
    rows = _all_returns(engine)
    period = period or marts.Period()
    keep = pd.Series(True, index=rows.index)
    if period.start:
        keep &= rows["month"] >= period.start
    if period.end:
        keep &= rows["month"] <= period.end
    return rows[keep].reset_index(drop=True)


def latest_dm01(engine: Engine, period: marts.Period | None = None) -> pd.DataFrame:
    """:func:`productivity.store.reports.latest_dm01`'s rows: each provider's latest month."""
    rows = read_dm01(engine, period)
    if rows.empty:
        return rows
    latest = rows.groupby("provider_code")["month"].transform("max")
    return rows[rows["month"] == latest].reset_index(drop=True)
