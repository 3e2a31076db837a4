"""Theatre mart rows held as arrays, read cheaply: what lets the Theatres page answer a filter
change with numpy on a few thousand rows instead of a pandas frame of every list.

>>> held = held_of([("2025-01", 2.0), ("2024-12", None)], ("month",), ("lists",))
>>> held.labels["month"].tolist(), held.codes["month"].tolist(), held.figures["lists"].tolist()
(['2024-12', '2025-01'], [1, 0], [2.0, nan])

A :class:`Held` keeps each key column as integer codes into its sorted distinct values and each
figure as one float64 array. :func:`held_of` fills one from the driver's plain tuples (no
``Row`` objects, no pandas frame, no string dtype), which is what made the opportunity's read of
every list take seconds at region scale.

Below a trust the summed marts have no week and the list mart is the only source, so a site's
or theatre's figures are summed in SQL (:func:`site_sums`: one row per month and week, the
grain of the weekly mart), its gap histogram is grouped in SQL (:func:`unit_gaps`), and its
lists' opportunity columns are read per site (:func:`site_lists`): each kept per build, so
choosing a theatre, a specialty or the months within a site is numpy work. That SQL lives in
:mod:`productivity.store.unit_reads` (the whole marts' in :mod:`~productivity.store.mart_reads`);
this module holds and shapes what it returns. No SQL, no Streamlit.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from sqlalchemy import Engine

from productivity.metrics import theatre
from productivity.store import marts, unit_reads
from productivity.store.mart_reads import mart_arrays, months_within, rows_as_arrays

if TYPE_CHECKING:  # theatres' views read through this module (specialty_comparison)
    from productivity.views.theatres import Unit

CACHED_UNITS = 16  # sites (and theatres, specialties within them) kept per process


@dataclass(frozen=True)
class Held:
    """A mart's rows as arrays for one build: each key column as codes into its sorted distinct
    values (-1 where empty), and the figures as one float64 column each."""

    codes: dict[str, np.ndarray]
    labels: dict[str, np.ndarray]
    figures: dict[str, np.ndarray]

    def mask(self, unit: Unit, period: marts.Period) -> np.ndarray:
        """The rows of ``unit`` in ``period`` (as ``read_mart`` and ``_where`` keep them)."""
        return self.kept(unit.filters, period)

    def kept(self, filters: Mapping[str, str | None], period: marts.Period) -> np.ndarray:
        """The rows with each of ``filters`` (column: value, None for any) in ``period``."""
        keep = months_within(self.codes["month"], self.labels["month"], period)
        for column, value in filters.items():
            if value is None:
                continue
            found = np.flatnonzero(self.labels[column] == value)
            keep &= self.codes[column] == (found[0] if len(found) else -2)
        return keep

    def sums(self, keep: np.ndarray, by: str) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """The kept rows' figures summed per value of ``by``: the values (sorted, those with a
        row only, as ``groupby`` gives them) and each figure's sums."""
        codes, size = self.codes[by][keep], len(self.labels[by])
        present = np.flatnonzero(np.bincount(codes, minlength=size))
        summed = {
            name: np.bincount(codes, values[keep], minlength=size)[present]
            for name, values in self.figures.items()
        }
        return self.labels[by][present], summed


def held_of(rows: Sequence[Sequence[object]], keys: Sequence[str], figures: Sequence[str]) -> Held:
    """A :class:`Held` of rows given as tuples: ``keys`` first, then ``figures`` (None: NaN)."""
    return Held(*rows_as_arrays(rows, keys, figures))


def lists_held(
    engine: Engine, keys: Sequence[str], figures: Sequence[str], trust: str | None = None,
    site: str | None = None,
) -> Held:  # fmt: skip
    """:func:`held_of` each list's ``keys`` and ``figures``: a trust's, a site's within it, or
    every list when ``trust`` is None (:func:`unit_reads.list_columns`)."""
    return held_of(unit_reads.list_columns(engine, (*keys, *figures), trust, site), keys, figures)


def held_mart(engine: Engine, mart: str, keys: tuple[str, ...], figures: tuple[str, ...]) -> Held:
    """``mart``'s ``keys`` and ``figures`` (every row), held once per marts build."""
    return _held_mart(engine, marts.build_stamp(engine), mart, keys, figures)


@functools.lru_cache(maxsize=8)
def _held_mart(
    engine: Engine, stamp: str, mart: str, keys: tuple[str, ...], figures: tuple[str, ...]
) -> Held:
    return Held(*mart_arrays(engine, mart, keys, figures))


def weeks(engine: Engine) -> Held:
    """The weekly mart (trust, specialty, month, week): what ``sum_lists`` gives its lists."""
    return held_mart(engine, marts.THEATRE_WEEK, marts.WEEK_KEYS, theatre.SUMMED_COLUMNS)


SITE_KEYS = unit_reads.WEEK_SUM_KEYS  # what site_sums holds its sums by


def site_sums(engine: Engine, unit: Unit) -> Held:
    """:func:`theatre.sum_lists` of a site's (theatre's, specialty's) lists by month and week
    (every month: the period is kept in memory), summed in SQL: what the weekly mart holds for
    a trust. Empty sums are 0, as pandas sums them."""
    assert unit.trust and unit.site, "a site's lists are summed within its trust"
    return _site_sums(engine, marts.build_stamp(engine), tuple(unit.filters.items()))


@functools.lru_cache(maxsize=CACHED_UNITS)
def _site_sums(engine: Engine, stamp: str, filters: tuple[tuple[str, str], ...]) -> Held:
    rows = unit_reads.week_sums(engine, dict(filters))
    return held_of(rows, SITE_KEYS, tuple(unit_reads.SUMMED_SQL))


def unit_gaps(engine: Engine, unit: Unit, period: marts.Period) -> tuple[np.ndarray, np.ndarray]:
    """The unit's changeover gaps as a histogram (values in order, counts), grouped in SQL: from
    the trust-level histogram mart, or the site-level one below a trust."""
    stamp = marts.build_stamp(engine)
    return _unit_gaps(engine, stamp, tuple(unit.filters.items()), period.start, period.end)


@functools.lru_cache(maxsize=4 * CACHED_UNITS)
def _unit_gaps(
    engine: Engine, stamp: str, filters: tuple[tuple[str, str], ...], start: str | None,
    end: str | None,
) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    chosen = dict(filters)
    mart = marts.THEATRE_GAP if "site" in chosen else marts.THEATRE_GAP_TRUST
    rows = unit_reads.gap_counts(engine, mart, chosen, marts.Period(start, end))
    values = np.array([r[0] for r in rows], dtype=float)
    return values, np.array([r[1] for r in rows], dtype=float)


# What the opportunity reads of each list of a site (the period and theatre kept in memory).
SITE_LIST_KEYS = ("theatre", "specialty", "month")


def site_lists(engine: Engine, unit: Unit, figures: tuple[str, ...]) -> Held:
    """The ``figures`` of each list of the unit's site (every theatre and month), read once
    per build and site."""
    assert unit.trust and unit.site, "a site's lists are read within its trust"
    stamp = marts.build_stamp(engine)
    return _site_lists(engine, stamp, unit.trust, unit.site, figures)


@functools.lru_cache(maxsize=CACHED_UNITS)
def _site_lists(
    engine: Engine, stamp: str, trust: str, site: str, figures: tuple[str, ...]
) -> Held:
    return lists_held(engine, SITE_LIST_KEYS, figures, trust, site)


HEATMAP_SUMS = unit_reads.HEATMAP_SUMS


def heatmap_sums(engine: Engine, unit: Unit, period: marts.Period) -> pd.DataFrame:
    """The unit's lists summed per weekday × session in SQL (every group, an empty key too, as
    ``groupby(dropna=False)``): ``weekday, session`` and :data:`HEATMAP_SUMS` as float64."""
    stamp = marts.build_stamp(engine)
    return _heatmap_sums(engine, stamp, tuple(unit.filters.items()), period).copy()


@functools.lru_cache(maxsize=CACHED_UNITS)
def _heatmap_sums(
    engine: Engine, stamp: str, filters: tuple[tuple[str, str], ...], period: marts.Period
) -> pd.DataFrame:
    rows = unit_reads.heatmap_rows(engine, dict(filters), period)
    columns = list(zip(*rows, strict=True)) or [()] * 5
    keys = {"weekday": columns[0], "session": columns[1]}
    sums = zip(HEATMAP_SUMS, columns[2:], strict=True)
    return pd.DataFrame(
        {name: pd.array(values, dtype="str") for name, values in keys.items()}
        | {name: np.array(values, dtype=float) for name, values in sums}
    )


def clear_read_cache() -> None:
    """Forget every unit's sums and lists (the next read goes to the database again)."""
    for cached in (_held_mart, _site_sums, _unit_gaps, _site_lists, _heatmap_sums):
        cached.cache_clear()
