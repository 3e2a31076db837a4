"""The Overview scorecard's per-build arrays: a mart's rows held as numbers, and each theatre
list's opportunity figures, read only when a period other than the whole store is first asked
for (issue 17).

The scorecard of the whole store comes from ``mart_theatre_trust``; any other period needs each
list's own minutes (its whole additional cases at the target use its trust × specialty's mean
case length over the period), some 400k lists at region scale. They are read once per build as
arrays (:func:`productivity.store.mart_reads.mart_arrays`: no frame of Python strings), in the
order :func:`marts.read_mart` reads them, and every sum (:func:`group_sums`) is the report's
groupby sum, bit for bit: a bincount for whole numbers (exact in any order), else the groupby
itself over the same rows in the same order (minutes with fractions); :func:`cell_opportunity`
is :func:`opportunity.theatre_opportunity` by trust, the same arithmetic on arrays. Reading the
lists can start in the background once the page is drawn (:class:`HeldLists`). No Streamlit
import.
"""

from __future__ import annotations

import logging
import threading
import time
import weakref
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sqlalchemy import Engine

from productivity.planning import opportunity
from productivity.store import marts
from productivity.store.mart_reads import mart_arrays, months_within

# Each list's figures the opportunity sums (its trust, specialty and month are its keys).
LIST_FIGURES = ("case_touch_minutes", "completed_cases", "planned_minutes", "capped_touch_minutes")


@dataclass(frozen=True)
class Rows:
    """A mart's rows as arrays: ``trust`` numbers a trust code (the caller's numbering, -1 for
    one it does not number), ``month`` codes ``months`` (sorted; -1 for none), and each figure
    one float64 column (NaN for none)."""

    trust: np.ndarray
    month: np.ndarray
    months: np.ndarray
    figures: Mapping[str, np.ndarray]

    def keep(self, period: marts.Period) -> np.ndarray | None:
        """The rows a read of ``period`` keeps (as ``in_period``: a month within it, compared as
        text); None: every row, with a month or not (a read without a period)."""
        if not (period.start or period.end):
            return None
        return months_within(self.month, self.months, period)


def held_rows(
    engine: Engine, mart: str, trust_codes: pd.Index, keys: Sequence[str], figures: Sequence[str]
) -> tuple[Rows, dict[str, np.ndarray], dict[str, np.ndarray]]:
    """``mart``'s rows as :class:`Rows` (trusts numbered by their place in ``trust_codes``), with
    the codes and sorted values of its other ``keys``."""
    codes, labels, values = mart_arrays(engine, mart, ["trust_code", "month", *keys], figures)
    numbers = trust_codes.get_indexer(pd.Index(labels["trust_code"], dtype=object))
    trust = np.where(codes["trust_code"] >= 0, numbers[codes["trust_code"]], -1)
    others = {key: codes[key] for key in keys}, {key: labels[key] for key in keys}
    return Rows(trust, codes["month"], labels["month"].astype(str), values), *others


def kept(values: np.ndarray, keep: np.ndarray | None) -> np.ndarray:
    """``values`` of the rows ``keep`` keeps (every one for None)."""
    return values if keep is None else values[keep]


def group_sums(groups: np.ndarray, figures: Mapping[str, np.ndarray]) -> pd.DataFrame:
    """Each figure summed per group number, groups sorted (those with a row only), as pandas'
    groupby sum gives it (NaN skipped): its compensated sum, in row order, as the reports'
    groupby. Figures of whole numbers (minutes, cases, points: the usual) are summed by
    ``np.bincount``, which is exact for them in any order and so gives the same bits, at a
    fraction of the cost of a groupby; any other figure by the groupby itself."""
    if not len(groups):
        return pd.DataFrame(dict(figures)).groupby(pd.Index(groups), sort=True).sum()
    low = int(groups.min())
    codes = groups - low
    present = np.flatnonzero(np.bincount(codes))
    sums: dict[str, np.ndarray] = {}
    inexact: dict[str, np.ndarray] = {}
    for name, values in figures.items():
        known = np.where(np.isnan(values), 0.0, values)
        if np.array_equal(known, np.floor(known)) and np.abs(known).sum() < _EXACT:
            sums[name] = np.bincount(codes, known)[present]
        else:
            inexact[name] = values
    if inexact:
        # Keyed by an Index, not the bare array, which pandas would first try (and fail) to
        # look up as a column label, printing the array for the error.
        summed = pd.DataFrame(inexact).groupby(pd.Index(groups), sort=True).sum()
        sums |= {name: summed[name].to_numpy() for name in inexact}
    return pd.DataFrame({name: sums[name] for name in figures}, index=present + low)


# Whole numbers add up exactly in float64 while every partial sum stays below 2**53.
_EXACT = float(2**53)


@dataclass(frozen=True)
class ListSources:
    """Each theatre list's :data:`LIST_FIGURES` (``rows``), with ``cell``, the number of its
    trust × specialty in the report's group order; ``cell_trust``: each cell's trust number,
    ``cell_specialty``: whether it has a specialty (a list without one has no mean case length).
    """

    rows: Rows
    cell: np.ndarray
    cell_trust: np.ndarray
    cell_specialty: np.ndarray


log = logging.getLogger("productivity.overview")

# A person looks at a page for longer than this before changing a filter.
PREFETCH_DELAY_S = 0.25


class HeldLists:
    """Each list's figures, read on the first call (or by :meth:`prefetch`) and then held;
    calls meanwhile wait for the one read rather than make another."""

    def __init__(self, read: Callable[[], ListSources]) -> None:
        self._read = read
        self._reading = threading.Lock()  # held for the read: a call waits for it
        self._held: ListSources | None = None
        self._prefetched = threading.Event()  # set once a prefetch was started

    def __call__(self) -> ListSources:
        with self._reading:
            if self._held is None:
                self._held = self._read()
            return self._held

    def prefetch(self, delay_s: float = PREFETCH_DELAY_S) -> None:
        """Read them in a background thread (once, without waiting), so that the first filter
        change after a page's first render finds them held. The thread starts reading after
        ``delay_s``, and only if these lists are still wanted then (the page's cache still
        holds them): a store rebuilt, or caches cleared, meanwhile reads nothing."""
        if self._held is not None or self._prefetched.is_set():
            return
        self._prefetched.set()
        wanted = weakref.ref(self)
        threading.Thread(
            target=_prefetch, args=(wanted, delay_s), name="overview-lists", daemon=True
        ).start()

    def _read_quietly(self) -> None:
        try:
            self()
        except Exception:  # noqa: BLE001 - a failed prefetch is read again, loudly, on use
            # Logged, so a server's log shows why the first period change was slow.
            log.warning("reading every list in the background failed", exc_info=True)
            self._prefetched.clear()


def _prefetch(wanted: weakref.ref[HeldLists], delay_s: float) -> None:
    """:meth:`HeldLists.prefetch`'s thread: no hold on the lists while it waits."""
    time.sleep(delay_s)
    held = wanted()
    if held is not None:
        held._read_quietly()


def list_sources(engine: Engine, trust_codes: pd.Index) -> ListSources:
    """Every list's opportunity figures, from the store's current build."""
    rows, codes, labels = held_rows(
        engine, marts.THEATRE_LIST, trust_codes, ["specialty"], LIST_FIGURES
    )
    cell, cell_trust, cell_specialty = numbered_pairs(
        rows.trust, codes["specialty"], len(labels["specialty"])
    )
    return ListSources(rows, cell, cell_trust, cell_specialty < len(labels["specialty"]))


def numbered_pairs(
    trust: np.ndarray, code: np.ndarray, size: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each row's trust × key pair numbered as a groupby by trust code and key numbers them
    (sorted by trust, then key, no key last): the pair of each row (-1 for a row without a
    trust number), and each pair's trust number and key code (``size`` for none)."""
    width = size + 1
    pairs = np.where(trust >= 0, trust * width + np.where(code >= 0, code, size), -1)
    present, pair = np.unique(pairs, return_inverse=True)
    unknown = int(present[0] < 0) if len(present) else 0
    present = present[unknown:]
    return np.where(pairs >= 0, pair - unknown, -1), present // width, present % width


def cell_opportunity(lists: ListSources, period: marts.Period, target: float) -> pd.DataFrame:
    """Realisable and pooled additional cases per trust (by number, sorted) in ``period``, as
    :func:`opportunity.theatre_opportunity` gives them (cell sums, whole cases per list)."""
    keep = lists.rows.keep(period)
    known = lists.cell >= 0
    keep = known if keep is None else keep & known
    cell = lists.cell[keep]
    figures = {name: values[keep] for name, values in lists.rows.figures.items()}
    sums = group_sums(cell, figures)
    present = sums.index.to_numpy()
    completed = sums["completed_cases"].to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = sums["case_touch_minutes"].to_numpy() / np.where(completed > 0, completed, np.nan)
        # The report's mean case length has no group for a list without a specialty (so no
        # whole cases there, and no pooled ones), as opportunity.mean_case_minutes drops it.
        mean = np.where(lists.cell_specialty[present], mean, np.nan)
        of_cell = np.full(len(lists.cell_trust), np.nan)
        of_cell[present] = mean
        gap = np.maximum(0.0, target * figures["planned_minutes"] - figures["capped_touch_minutes"])
        whole = np.floor(gap / of_cell[cell] + opportunity._EPSILON)
        # Whole numbers (or NaN, which the report's sum skips, or inf for a mean of 0): their
        # sum is exact in any order, so a bincount gives the report's groupby sum.
        whole = np.where(np.isnan(whole), 0.0, whole)
        realisable = np.bincount(cell, whole, minlength=len(of_cell))[present]
        planned, capped = (sums[c].to_numpy() for c in ("planned_minutes", "capped_touch_minutes"))
        shortfall = target * planned - capped
        shortfall = np.where(shortfall < 0, 0.0, shortfall)  # clip(lower=0), NaN kept
        pooled = shortfall / mean
    found = {
        "realisable_additional_cases": realisable,
        "pooled_additional_cases": np.where(np.isnan(pooled), 0.0, pooled),
    }
    return group_sums(lists.cell_trust[present], found)
