"""A chosen trust's theatre list and gap rows, read once per marts build and then filtered in
memory: the Theatres page's filter changes within a trust (months, specialty, site, theatre)
run no SQL.

Each function returns what its SQL twin in :mod:`productivity.store.readers` (or
:func:`productivity.store.marts.read_mart`) returns for the same unit and period: the same
rows in the same order (the mart's own), the same columns and the same flag types, so every
figure drawn from them is the same. Whole-system reads (no trust) stay in SQL, where the
database filters and sums every trust's rows; every trust's sums for the comparison come from
the weekly mart held per build (:func:`theatre_held.weeks`). A trust's rows are read by
:func:`productivity.store.unit_reads.trust_frame`, the SQL's home: this module holds and filters
them. No SQL, no Streamlit import.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from sqlalchemy import Engine

from productivity.benchmarks import load_benchmarks
from productivity.metrics import theatre
from productivity.store import marts, readers, unit_reads
from productivity.store.mart_reads import build_stamp
from productivity.views import theatre_held

CACHED_TRUSTS = 8  # trusts kept in memory per process (a few thousand lists each)


def clear_read_cache() -> None:
    """Forget every trust's rows (the next read goes to the database again)."""
    _trust_rows.cache_clear()
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
    kept = dict.fromkeys([*readers.UNIT_FILTERS, "month", *columns]) if columns else {}
    return unit_reads.trust_frame(engine, mart, trust, site, tuple(kept))


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
    """:func:`readers.theatre_sums_by_trust`, from the weekly mart held per build (sums of the
    lists' whole minutes and counts are exact in any order): no list is read."""
    weeks = theatre_held.weeks(engine)
    keep = weeks.kept({"specialty": specialty}, period)
    if not keep.any():
        return pd.DataFrame(columns=["trust_code", *_TRUST_SUMS])
    trusts, sums = weeks.sums(keep, "trust_code")
    out = pd.DataFrame({"trust_code": pd.array(trusts, dtype="str")} | sums)[
        ["trust_code", *_TRUST_SUMS]
    ]
    out["lists"] = out["lists"].astype(np.int64)
    return out


_TRUST_SUMS = ["lists", "planned_minutes", "capped_touch_minutes", "uncapped_touch_minutes"]


def trust_sites_and_theatres(engine: Engine, trust: str) -> pd.DataFrame:
    """:func:`readers.trust_sites_and_theatres`, by site and then theatre in natural order,
    kept per build and trust (a trust's are found by the list mart's index)."""
    return _sites_and_theatres(engine, build_stamp(engine), trust).copy()


@functools.lru_cache(maxsize=CACHED_TRUSTS)
def _sites_and_theatres(engine: Engine, stamp: str, trust: str) -> pd.DataFrame:
    found = readers.trust_sites_and_theatres(engine, trust)
    # "Theatre 2" before "Theatre 10": sort on the name with its numbers zero-padded
    natural = found["theatre"].str.replace(r"\d+", lambda m: m.group().zfill(6), regex=True)
    order = found.assign(_natural=natural).sort_values(["site", "_natural"]).index
    return found.loc[order].reset_index(drop=True)
