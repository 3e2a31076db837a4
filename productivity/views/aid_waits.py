"""The mutual-aid matcher's DM01 inputs for any period, worked out once per build of the marts.

A period's inputs are each provider's latest DM01 return in it, the waits per provider and test
of those returns, and (for the endoscopy tests) each test's share of a trust's activity points.
Each of them is a function of one provider's rows of one month: a DM01 return is a snapshot,
never summed across months. So the waits and the shares are worked out once per build for every
provider × month (the same arithmetic on the same rows in the same order, grouped by month as
well), and a new "From" or "To" month only picks, per provider, the month that is its latest
in the period: numpy on a few thousand rows, no pandas group-by per filter change.

``tests/test_mutual_aid_fast.py`` holds every pick equal, to the last bit, to the calculation
it replaces (:func:`productivity.metrics.waits.dm01_waits` of the latest rows, and
:func:`productivity.views.aid_capacity.endoscopy_point_share`).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import pandas as pd
from sqlalchemy import Engine

from productivity.metrics import waits
from productivity.store import marts, reports
from productivity.views.aid_capacity import shares_of_activity

Codes = npt.NDArray[np.int64]
KEYS = ["provider_code", "test_code", "month"]


@dataclass
class Dm01Months:
    """Every DM01 return of one build, and its waits per provider, test and month.

    ``provider`` and ``month`` code each row (-1: no provider, which no latest return has);
    ``waits_provider`` and ``waits_month`` code each row of ``waits`` alike.
    """

    stamp: str
    rows: pd.DataFrame
    providers: pd.Index  # the providers present, in the order first met
    months: npt.NDArray[np.str_]  # the months present, sorted
    provider: Codes
    month: Codes
    waits: pd.DataFrame
    waits_provider: Codes
    waits_month: Codes
    # (test, endoscopy points) -> (provider code, month code, share) of every provider × month
    shares: dict[tuple[str, tuple[tuple[str, float], ...]], tuple[Codes, Codes, pd.Series]] = field(
        default_factory=dict
    )


_LOCK = threading.Lock()
_BUILD: list[Dm01Months] = []


def clear_read_cache() -> None:
    """Forget the DM01 returns and waits kept for the build."""
    with _LOCK:
        _BUILD.clear()


def dm01_months(engine: Engine, stamp: str | None = None) -> Dm01Months:
    """The build's DM01 returns and their waits per provider × test × month (worked out once);
    ``stamp`` is the marts' build stamp when the caller has read it."""
    stamp = marts.build_stamp(engine) if stamp is None else stamp
    with _LOCK:
        kept = _BUILD[-1] if _BUILD else None
    if kept is not None and stamp and kept.stamp == stamp:
        return kept
    made = _months_of(stamp, reports.read_dm01(engine))
    with _LOCK:
        _BUILD[:] = [made]
    return made


def _months_of(stamp: str, rows: pd.DataFrame) -> Dm01Months:
    months = np.sort(rows["month"].unique().astype(str))
    every = pd.Index(rows["provider_code"].dropna().unique())
    by = waits.dm01_waits(rows, KEYS) if len(rows) else rows
    return Dm01Months(
        stamp=stamp,
        rows=rows,
        providers=every,
        months=months,
        provider=_code(every, rows["provider_code"]),
        month=_month_code(months, rows["month"]),
        waits=by,
        waits_provider=_code(every, by["provider_code"]),
        waits_month=_month_code(months, by["month"]),
    )


def _code(index: pd.Index, values: pd.Series | pd.Index) -> Codes:
    """Each value's position in ``index`` (-1 for a missing value)."""
    return index.get_indexer(pd.Index(values)).astype(np.int64)


def _month_code(months: npt.NDArray[np.str_], values: pd.Series | pd.Index) -> Codes:
    """Each month's position in the sorted ``months`` it is one of."""
    return np.searchsorted(months, values.to_numpy(str)).astype(np.int64)


def _latest_month(build: Dm01Months, period: marts.Period) -> Codes:
    """Per provider code, the code of its latest month in ``period`` (-1: none in it)."""
    first = np.searchsorted(build.months, period.start, "left") if period.start else 0
    last = np.searchsorted(build.months, period.end, "right") if period.end else len(build.months)
    inside = (build.month >= first) & (build.month < last) & (build.provider >= 0)
    latest = np.full(int(build.provider.max(initial=-1)) + 1, -1, dtype=np.int64)
    np.maximum.at(latest, build.provider[inside], build.month[inside])
    return latest


def _at_latest(provider: Codes, month: Codes, latest: Codes) -> npt.NDArray[np.bool_]:
    """Where a row (``provider``, ``month``) is its provider's latest month in the period."""
    known = provider >= 0
    out = np.zeros(len(provider), dtype=bool)
    out[known] = month[known] == latest[provider[known]]
    return out & (month >= 0)


def period_waits(
    engine: Engine, period: marts.Period, stamp: str | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Each provider's latest DM01 rows in ``period`` (as
    :func:`productivity.store.reports.latest_dm01`) and their waits per provider and test (as
    :func:`productivity.metrics.waits.dm01_waits` of them), from the build's months."""
    build = dm01_months(engine, stamp)
    if not len(build.rows):
        return build.rows.copy(), build.rows.copy()
    latest = _latest_month(build, period)
    rows = build.rows[_at_latest(build.provider, build.month, latest)].reset_index(drop=True)
    if rows.empty:
        return rows, rows
    keep = _at_latest(build.waits_provider, build.waits_month, latest)
    by_test = build.waits[keep].drop(columns="month").reset_index(drop=True)
    return rows, by_test


def point_share(
    engine: Engine,
    period: marts.Period,
    test: str,
    points: dict[str, float],
    stamp: str | None = None,
) -> pd.Series:
    """:func:`productivity.views.aid_capacity.endoscopy_point_share` of the period's latest DM01
    returns: per provider, ``test``'s share of its endoscopy activity points."""
    build = dm01_months(engine, stamp)
    key = (test, tuple(sorted(points.items())))
    found = build.shares.get(key)
    if found is None:  # every test sharing the capacity at once: the next one finds its own
        for each, made in _shares(build, test, points).items():
            # a dict item set once: another session may set the same
            build.shares[(each, key[1])] = made
        found = build.shares[key]
    provider, month, shares = found
    if not len(shares):
        return shares
    keep = _at_latest(provider, month, _latest_month(build, period))
    picked = shares[keep]
    return picked.set_axis(pd.Index(picked.index.get_level_values(0), name="provider_code"))


def _shares(
    build: Dm01Months, test: str, points: dict[str, float]
) -> dict[str, tuple[Codes, Codes, pd.Series]]:
    # The build's waits per provider × test × month are dm01_waits of these tests' rows too.
    keys = ["provider_code", "month"]
    out: dict[str, tuple[Codes, Codes, pd.Series]] = {}
    activity = (
        build.waits if len(build.rows) else waits.dm01_waits(build.rows, [*keys, "test_code"])
    )
    for each, shares in shares_of_activity(activity, test, points, keys).items():
        if shares.empty:
            none = np.array([], dtype=np.int64)
            out[each] = (none, none, shares)
            continue
        provider = _code(build.providers, shares.index.get_level_values(0))
        month = _month_code(build.months, shares.index.get_level_values(1))
        out[each] = (provider, month, shares)
    return out
