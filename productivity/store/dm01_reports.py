"""DM01 returns read for a period, and their waits as ``report dm01`` gives them.

:mod:`productivity.store.reports` re-exports these names (the CLI and the pages import them
from there).
"""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Engine, select

from productivity.benchmarks import Benchmarks
from productivity.metrics import waits
from productivity.schema import DM01_COLUMNS
from productivity.store import marts, models

# --by LEVEL -> keys for ``report dm01`` (a return is per provider and test: no site or theatre).
DM01_LEVELS = {
    "trust": ["provider_code", "test_code"],
    "site": ["provider_code", "test_code"],
    "theatre": ["provider_code", "test_code"],
    "specialty": ["test_code"],
    "month": ["provider_code", "test_code", "month"],
}


def read_dm01(engine: Engine, period: marts.Period | None = None) -> pd.DataFrame:
    """DM01 returns (a small table: one row per month × provider × test) with a ``month``."""
    table = models.table_of(models.DM01Return)
    with engine.connect() as conn:
        rows = pd.read_sql_query(select(*[table.c[c] for c in DM01_COLUMNS]), conn)
    rows["period"] = pd.to_datetime(rows["period"])
    rows["month"] = rows["period"].dt.strftime("%Y-%m")
    period = period or marts.Period()
    if period.start:
        rows = rows[rows["month"] >= period.start]
    if period.end:
        rows = rows[rows["month"] <= period.end]
    return rows.reset_index(drop=True)


def latest_dm01(engine: Engine, period: marts.Period | None = None) -> pd.DataFrame:
    """Each provider's latest DM01 month in the period: a waiting list is a snapshot, not a sum.

    Per provider, so a trust whose latest return is a month behind the others still shows.
    """
    rows = read_dm01(engine, period)
    if rows.empty:
        return rows
    latest = rows.groupby("provider_code")["month"].transform("max")
    return rows[rows["month"] == latest].reset_index(drop=True)


def dm01_report(
    engine: Engine, by: str, period: marts.Period, benchmarks: Benchmarks
) -> pd.DataFrame:
    """DM01 waits per provider and test, at the latest month in the period (or per month)."""
    keys = DM01_LEVELS[by]
    rows = read_dm01(engine, period) if by == "month" else latest_dm01(engine, period)
    return dm01_waits(rows, keys, benchmarks)


def dm01_waits(rows: pd.DataFrame, keys: list[str], benchmarks: Benchmarks) -> pd.DataFrame:
    """DM01 waits per group of ``keys`` of DM01 rows against the benchmark file's standards
    (:func:`productivity.metrics.waits.dm01_waits`), for rows read here or kept in memory."""
    return waits.dm01_waits(
        rows,
        keys,
        within_6_weeks_target=benchmarks.value("dm01_within_6_weeks"),
        constitutional_target=benchmarks.constitutional_within_6_weeks().value,
        waiting_13_plus_target=benchmarks.value("dm01_13_plus_weeks"),
    )
