"""A chosen trust's theatre list and gap rows, read once per marts build and then filtered in
memory: the Theatres page's filter changes within a trust (months, specialty, site, theatre)
run no SQL.

Each function returns what its SQL twin in :mod:`productivity.store.readers` (or
:func:`productivity.store.marts.read_mart`) returns for the same unit and period: the same
rows in the same order (the mart's own), the same columns and the same flag types, so every
figure drawn from them is the same. Whole-system reads (no trust) stay in SQL, where the
database filters and sums every trust's rows. No Streamlit import.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from sqlalchemy import Engine, inspect, text

from productivity.benchmarks import load_benchmarks
from productivity.metrics import theatre
from productivity.store import marts, readers
from productivity.store.mart_reads import build_stamp, records_frame

CACHED_TRUSTS = 8  # trusts kept in memory per process (a few thousand lists each)


def clear_read_cache() -> None:
    """Forget every trust's rows (the next read goes to the database again)."""
    _trust_rows.cache_clear()
    _sums_by_trust.cache_clear()
    _sites_and_theatres.cache_clear()


@functools.lru_cache(maxsize=3 * CACHED_TRUSTS)  # a page's few column sets per trust
def _trust_rows(
    engine: Engine,
    stamp: str,
    mart: str,
    trust: str,
    site: str | None,
    columns: tuple[str, ...],
) -> pd.DataFrame:
    """One trust's rows in a mart (one site's, when given), as stored: ``columns`` of them
    (those the mart has, with what a unit is kept by), or all when empty. ``stamp`` only keys
    the cache. A site is read on its own: choosing one reads a third of its trust's lists, not
    all of them (the worst filter change on the Theatres page)."""
    selected = "*"
    if columns:
        present = {c["name"] for c in inspect(engine).get_columns(mart)}
        kept = dict.fromkeys([*readers.UNIT_FILTERS, "month", *columns])
        selected = ", ".join(f'"{c}"' for c in kept if c in present)
    where, params = "trust_code = :trust", {"trust": trust}
    if site:
        where, params = f"{where} AND site = :site", params | {"site": site}
    query = text(f'SELECT {selected} FROM "{mart}" WHERE {where}')
    with engine.connect() as conn:
        # records_frame: read_sql_query's frame, without a Row object per row
        return records_frame(conn.execute(query, params))


def _unit_rows(
    engine: Engine,
    mart: str,
    period: marts.Period,
    filters: Mapping[str, str | None],
    columns: Sequence[str] | None = None,
) -> pd.DataFrame:
    """The rows of the unit (``filters``, a trust among them) in the period, index renumbered:
    only ``columns`` (all when None) are read (once per build and trust) and copied out."""
    trust = filters.get("trust_code")
    if not trust:
        raise ValueError("rows are held in memory per trust: choose one")
    wanted = () if columns is None else tuple(columns)
    site = filters.get("site")
    rows = _trust_rows(engine, build_stamp(engine), mart, trust, site, wanted)
    month = rows["month"]
    keep = month.notna().to_numpy(dtype=bool).copy()  # as in_period and Period.where
    if period.start:
        keep &= (month >= period.start).to_numpy(dtype=bool, na_value=False)
    if period.end:
        keep &= (month <= period.end).to_numpy(dtype=bool, na_value=False)
    for column, value in filters.items():
        if column not in readers.UNIT_FILTERS:
            raise ValueError(f"cannot filter theatre lists on {column!r}")
        if value and column != "trust_code":
            keep &= (rows[column] == value).to_numpy(dtype=bool, na_value=False)
    chosen = rows.columns if columns is None else [c for c in columns if c in rows.columns]
    return rows.loc[keep, chosen].reset_index(drop=True)


def theatre_lists(
    engine: Engine,
    period: marts.Period,
    filters: Mapping[str, str | None],
    columns: Sequence[str] | None = None,
) -> pd.DataFrame:
    """:func:`readers.theatre_lists` of a unit within a trust: with ``columns``, those columns
    as stored (flags as booleans); without, every column with the flags re-derived from the
    benchmark file's thresholds, as :func:`marts.read_mart` gives them."""
    chosen = None if columns is None else list(dict.fromkeys(columns))
    rows = _unit_rows(engine, marts.THEATRE_LIST, period, filters, chosen)
    flags = [c for c in theatre.FLAG_COLUMNS if c in rows.columns]
    rows = rows.astype(dict.fromkeys(flags, "bool")) if flags else rows.copy()
    if columns is None and {"starts_late", "late_start_minutes"} <= set(rows.columns):
        rows = theatre.apply_thresholds(rows, marts.thresholds_from(load_benchmarks()))
    return rows


def theatre_gaps(
    engine: Engine, period: marts.Period, filters: Mapping[str, str | None]
) -> pd.DataFrame:
    """:func:`readers.theatre_gaps` of a unit within a trust: ``gap_minutes, gaps`` summed
    over equal gaps, in order of the gap."""
    rows = _unit_rows(engine, marts.THEATRE_GAP, period, filters, ["gap_minutes", "gaps"])
    sums = rows.groupby("gap_minutes", sort=True)["gaps"].sum()
    return pd.DataFrame(
        {"gap_minutes": sums.index.to_numpy(dtype=float), "gaps": sums.to_numpy(dtype=np.int64)}
    )


def theatre_sums_by_trust(
    engine: Engine, period: marts.Period, specialty: str | None = None
) -> pd.DataFrame:
    """:func:`readers.theatre_sums_by_trust`, kept per build: choosing another trust, site or
    theatre compares the same trusts again, so only the months or the specialty read afresh."""
    stamp = build_stamp(engine)
    return _sums_by_trust(engine, stamp, period.start, period.end, specialty).copy()


@functools.lru_cache(maxsize=CACHED_TRUSTS)
def _sums_by_trust(
    engine: Engine, stamp: str, start: str | None, end: str | None, specialty: str | None
) -> pd.DataFrame:
    return readers.theatre_sums_by_trust(engine, marts.Period(start, end), specialty)


def trust_sites_and_theatres(engine: Engine, trust: str) -> pd.DataFrame:
    """:func:`readers.trust_sites_and_theatres`, from every trust's read once per build (so
    choosing another trust reads nothing), by site and then theatre in natural order."""
    every = _sites_and_theatres(engine, build_stamp(engine))
    chosen = every[every["trust_code"] == trust]
    return chosen[["site", "site_name", "theatre"]].reset_index(drop=True)


@functools.lru_cache(maxsize=2)
def _sites_and_theatres(engine: Engine, stamp: str) -> pd.DataFrame:
    """Every trust's sites and theatres, by site and then theatre in natural order."""
    found = readers.sites_and_theatres(engine)
    # "Theatre 2" before "Theatre 10": sort on the name with its numbers zero-padded
    natural = found["theatre"].str.replace(r"\d+", lambda m: m.group().zfill(6), regex=True)
    order = found.assign(_natural=natural).sort_values(["site", "_natural"]).index
    return found.loc[order].reset_index(drop=True)
