"""A Theatres unit's improvement opportunity (SPEC §4: pooled and realisable additional cases)
without a pandas frame of every list, and without any list at all for the default view.

>>> sorted(set(marts.OPPORTUNITY_COLUMNS) - set(LIST_KEYS + OPPORTUNITY_FIGURES))
[]

:func:`opportunity_of` is :func:`productivity.planning.opportunity.theatre_opportunity` (``by``
none) on arrays. Everything but the realisable cases (and the gap minutes behind them) comes from
each trust × specialty's sums of whole minutes and counts, which the weekly mart holds exactly;
the realisable cases need each list's own minutes. So :func:`unit_opportunity` takes:

- for every month of the unit's trusts and every specialty, the realisable cases the marts build
  counted per trust (``mart_theatre_trust``, against the same target) and the rest from the
  weekly mart: no list is read, which is the page's first render (seconds at region scale);
- otherwise each list's minutes, held as arrays per build: a trust's (read by its index), a
  site's (its theatres'), or every trust's for the whole system.

The page shows neither gap minutes nor lists without a case length; the second comes from sums,
the first only where lists are read (:data:`SUMMARY_COLUMNS` are what every path gives). No
Streamlit import.
"""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd
from sqlalchemy import Engine

from productivity.planning import opportunity
from productivity.store import marts
from productivity.views import theatre_held
from productivity.views.theatre_held import Held
from productivity.views.theatres import Unit

LIST_KEYS = ("trust_code", "specialty", "month")
OPPORTUNITY_FIGURES = (
    "planned_minutes", "capped_touch_minutes", "completed_cases", "case_touch_minutes",
)  # fmt: skip
# What the headline's summary takes of the opportunity (gap minutes need every list's own).
SUMMARY_COLUMNS = (
    "pooled_additional_cases", "realisable_additional_cases", "lists_without_case_length",
    "pooled_share_of_cases", "realisable_share_of_cases",
)  # fmt: skip
_CELL_FIGURES = ("lists", *OPPORTUNITY_FIGURES)


def _cells(trust: np.ndarray, specialty: np.ndarray) -> tuple[np.ndarray, int, np.ndarray]:
    """One code per trust × specialty in groupby's order, an empty key last (dropna=False):
    each row's cell, the number of cells, and which cells have both keys."""
    sizes = int(trust.max(initial=-1)) + 2, int(specialty.max(initial=-1)) + 2
    trust = np.where(trust < 0, sizes[0] - 1, trust)
    specialty = np.where(specialty < 0, sizes[1] - 1, specialty)
    cells = np.arange(sizes[0] * sizes[1])
    # mean_case_minutes leaves out a trust or specialty that is empty
    keyed = (cells // sizes[1] < sizes[0] - 1) & (cells % sizes[1] < sizes[1] - 1)
    return trust * sizes[1] + specialty, len(cells), keyed


def _from_cells(
    sums: dict[str, np.ndarray], keyed: np.ndarray, target: float
) -> tuple[dict[str, float], np.ndarray]:
    """Pooled cases, completed cases and lists without a case length from each cell's sums
    (``lists`` and :data:`OPPORTUNITY_FIGURES`), and each cell's mean case minutes."""
    planned, capped, completed, touch = (sums[n] for n in OPPORTUNITY_FIGURES)
    present = sums["lists"] > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = np.where(keyed & (completed > 0), touch / completed, np.nan)
        shortfall = np.maximum(0.0, target * planned[present] - capped[present])
        pooled = np.nan_to_num(shortfall / mean[present], nan=0.0)
    out = {
        "pooled_additional_cases": float(np.sum(pooled)),
        "completed_cases": float(np.sum(completed[present])),
        "lists_without_case_length": float(np.sum(sums["lists"][np.isnan(mean)])),
    }
    return out, mean


def _shares(out: dict[str, float]) -> dict[str, float]:
    current = out.pop("completed_cases")
    current = current if current > 0 else np.nan
    out["pooled_share_of_cases"] = out["pooled_additional_cases"] / current
    out["realisable_share_of_cases"] = out["realisable_additional_cases"] / current
    return out


def opportunity_of(
    trust: np.ndarray, specialty: np.ndarray, figures: dict[str, np.ndarray], target: float
) -> dict[str, float]:
    """:func:`opportunity.theatre_opportunity` (``by`` none) on arrays: each list's whole cases
    at ``target`` in its trust × specialty's mean case length (over these lists), summed per
    trust × specialty (those with lists, in groupby's order) and then over them.

    ``trust`` and ``specialty`` are codes in the order of their values (-1: empty), as
    ``pd.factorize(sort=True)`` gives them; ``figures`` the lists' :data:`OPPORTUNITY_FIGURES`.
    """
    cell, cells, keyed = _cells(trust, specialty)

    def by_cell(values: np.ndarray | None) -> np.ndarray:
        return np.bincount(cell, values, minlength=cells)

    sums = {"lists": by_cell(None).astype(float)} | {
        n: by_cell(figures[n]) for n in OPPORTUNITY_FIGURES
    }
    out, mean = _from_cells(sums, keyed, target)
    planned, capped = figures["planned_minutes"], figures["capped_touch_minutes"]
    present = sums["lists"] > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        gap = np.maximum(0.0, target * planned - capped)
        whole = np.floor(gap / mean[cell] + opportunity._EPSILON)
    out["realisable_additional_cases"] = float(np.sum(by_cell(np.nan_to_num(whole))[present]))
    out["gap_minutes"] = float(np.sum(by_cell(gap)[present]))
    return _shares(out)


def unit_opportunity(
    engine: Engine, unit: Unit, period: marts.Period, target: float, weeks: Held
) -> dict[str, float]:
    """The unit's :data:`SUMMARY_COLUMNS` in the period; ``weeks`` is the weekly mart held."""
    if not unit.site and not unit.specialty:
        keep = weeks.mask(unit, period)
        trust, specialty = weeks.codes["trust_code"][keep], weeks.codes["specialty"][keep]
        trusts = weeks.labels["trust_code"][np.unique(trust[trust >= 0])]
        realisable = _whole_period_realisable(engine, trusts, period, target)
        if realisable is not None:
            cell, cells, keyed = _cells(trust, specialty)
            sums = {
                n: np.bincount(cell, weeks.figures[n][keep], minlength=cells) for n in _CELL_FIGURES
            }
            out, _ = _from_cells(sums, keyed, target)
            counted = _shares(out | {"realisable_additional_cases": realisable})
            return {c: counted[c] for c in SUMMARY_COLUMNS}
    found, keep, trust = _lists(engine, unit, period)
    figures = {n: values[keep] for n, values in found.figures.items()}
    got = opportunity_of(trust, found.codes["specialty"][keep], figures, target)
    return {c: got[c] for c in SUMMARY_COLUMNS}


def _lists(engine: Engine, unit: Unit, period: marts.Period) -> tuple[Held, np.ndarray, np.ndarray]:
    """The unit's lists' opportunity columns held (a site's, a trust's, or every trust's), the
    unit's rows in the period, and their trust codes."""
    if unit.site:
        found = theatre_held.site_lists(engine, unit, OPPORTUNITY_FIGURES)
        keep = found.kept({"theatre": unit.theatre, "specialty": unit.specialty}, period)
    elif unit.trust:
        found = _trust_lists(engine, marts.build_stamp(engine), unit.trust)
        keep = found.kept({"specialty": unit.specialty}, period)
    else:
        found = _every_list(engine, marts.build_stamp(engine))
        keep = found.mask(unit, period)
        return found, keep, found.codes["trust_code"][keep]
    return found, keep, np.zeros(int(keep.sum()), dtype=np.int64)


@functools.lru_cache(maxsize=theatre_held.CACHED_UNITS)
def _trust_lists(engine: Engine, stamp: str, trust: str) -> Held:
    """A trust's lists' specialty, month and :data:`OPPORTUNITY_FIGURES` (``stamp`` keys it)."""
    keys = ("specialty", "month")
    return theatre_held.lists_held(engine, keys, OPPORTUNITY_FIGURES, trust)


@functools.lru_cache(maxsize=2)
def _every_list(engine: Engine, stamp: str) -> Held:
    """Every list's :data:`LIST_KEYS` and :data:`OPPORTUNITY_FIGURES` (``stamp`` keys it)."""
    return theatre_held.lists_held(engine, LIST_KEYS, OPPORTUNITY_FIGURES)


def _whole_period_realisable(
    engine: Engine, trusts: np.ndarray, period: marts.Period, target: float
) -> float | None:
    """``trusts``' realisable cases as the marts build counted them, when the mart has every
    one of them, the period holds every month of their lists and they were counted against
    ``target``; else None."""
    every = _trust_rows(engine, marts.build_stamp(engine))
    rows = every[every["trust_code"].isin(trusts)]
    if len(rows) != len(trusts) or rows.empty:
        return None
    if (rows["target"].astype(float) != target).any():
        return None
    if period.start and (rows["first_month"] < period.start).any():
        return None
    if period.end and (rows["last_month"] > period.end).any():
        return None
    return float(rows["realisable_additional_cases"].astype(float).sum())


@functools.lru_cache(maxsize=2)
def _trust_rows(engine: Engine, stamp: str) -> pd.DataFrame:
    """Each trust's whole-period realisable cases, its months and the target counted against."""
    columns = ["trust_code", "realisable_additional_cases", "first_month", "last_month", "target"]
    return marts.read_mart(engine, marts.THEATRE_TRUST, columns=columns)


def clear_read_cache() -> None:
    """Forget every list held (the next read goes to the database again)."""
    for cached in (_trust_lists, _every_list, _trust_rows):
        cached.cache_clear()
