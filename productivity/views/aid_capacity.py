"""Spare diagnostic capacity a week for the mutual-aid matcher: tests a week at benchmark
productivity beyond those done, over the last whole weeks of the period.

Kept per build and per last weeks (:data:`SPARE_KEPT` of them): a "From" month that leaves the
last whole weeks where they were does no benchmark arithmetic again. Split from
:mod:`productivity.views.mutual_aid`, which reads the rest of the matcher's inputs.
"""

from __future__ import annotations

import pickle
from collections.abc import Callable

import numpy as np
import numpy.typing as npt
import pandas as pd
from sqlalchemy import Engine

from productivity.benchmarks import Benchmarks
from productivity.metrics import waits
from productivity.modalities import Modality, for_test
from productivity.store import marts, readers
from productivity.store.mart_reads import in_period
from productivity.views.diagnostics import whole_weeks

RECENT_WEEKS = 4  # spare capacity is the mean over this many whole weeks at the period's end


def spare_capacity(
    engine: Engine,
    test: str,
    period: marts.Period,
    benchmarks: Benchmarks,
    latest_dm01: pd.DataFrame,
    recent_weeks: int = RECENT_WEEKS,
    basis: str = "national",
    point_share: pd.Series | None = None,
    stamp: str | None = None,
) -> pd.DataFrame:
    """``trust_code`` and ``spare_per_week``: tests a week at benchmark beyond those done.

    A scan rate's benchmark is on ``basis`` (:func:`productivity.modalities.scans_at_benchmark`:
    ``national``, or each trust's own peer-group rate on ``peer``), as on the Diagnostics page.
    ``point_share``, for an endoscopy test, is :func:`endoscopy_point_share` of ``latest_dm01``
    when the caller has it (:func:`productivity.views.aid_waits.point_share`). ``stamp`` is the
    marts' build stamp when the caller has read it.
    """
    serving = for_test(test)
    stamp = marts.build_stamp(engine) if stamp is None else stamp
    weeks, whole = _period_weeks(engine, serving, period, recent_weeks, stamp)
    edge = None if whole else (period.start, period.end)  # cut weeks differ with the period

    def rows() -> pd.DataFrame:  # read only when the sums are not kept
        return readers.modality_rows(engine, serving, period)

    spare = _benchmark_spare(
        stamp, engine, serving, rows, weeks, edge, benchmarks, basis, recent_weeks
    )
    if spare.empty:
        return pd.DataFrame(columns=["trust_code", "spare_per_week"])
    if len(serving.dm01_tests) == 1:
        spare["spare"] = spare[serving.additional]
    else:
        # Endoscopy lists serve several tests: their unused points are shared between them.
        points = benchmarks.endoscopy_points()
        share = (
            endoscopy_point_share(latest_dm01, test, points) if point_share is None else point_share
        )
        test_share = spare["trust_code"].map(share).fillna(1 / len(serving.dm01_tests))
        spare["spare"] = spare["additional_points"] * test_share / points[test]
    spare["spare_per_week"] = spare["spare"].fillna(0.0) / len(weeks)
    return spare[["trust_code", "spare_per_week"]]


# The last benchmark sums per trust, by what they depend on: (build stamp, modality, weeks,
# basis, the period when no week is whole) and the benchmarks (pickled: the page's copy is a
# new object each rerun, and a benchmark without a value is NaN, which equals nothing, not even
# itself). A "From" month that leaves the last whole weeks where they were (most changes) then
# does no benchmark arithmetic again, nor does a "To" month (every month's are kept at once).
_SPARE: list[tuple[tuple[str, str, tuple[str, ...], str, object], bytes, pd.DataFrame]] = []
SPARE_KEPT = 64  # a few tests' and bases' every month


# Each modality's (week, month) pairs, by (build stamp, modality): a period's last whole weeks
# depend only on the weeks and months it holds, so a new period finds them without cutting and
# copying the mart's rows (which are read only when the period's sums are not kept).
_PAIRS: list[tuple[tuple[str, str], pd.DataFrame]] = []
PAIRS_KEPT = 8


def _period_weeks(
    engine: Engine, serving: Modality, period: marts.Period, count: int, stamp: str
) -> tuple[list[str], bool]:
    """:func:`_last_weeks` of the modality's rows in ``period``, from the build's pairs."""
    if not stamp:
        return _last_weeks(readers.modality_rows(engine, serving, period), count)
    key = (stamp, serving.key)
    pairs = next((p for was, p in reversed(_PAIRS[:]) if was == key), None)  # a copy: see _kept
    if pairs is None:
        every = readers.modality_rows(engine, serving, marts.Period())
        pairs = every[["week", "month"]].drop_duplicates() if len(every) else every
        _PAIRS[:] = [*_PAIRS[-(PAIRS_KEPT - 1) :], (key, pairs)]
    if len(pairs) and (period.start or period.end):
        pairs = in_period(pairs, period)  # as the read would cut the rows
    return _last_weeks(pairs, count)


def _benchmark_spare(
    stamp: str,
    engine: Engine,
    serving: Modality,
    rows_of: Callable[[], pd.DataFrame],
    weeks: list[str],
    edge: tuple[str | None, str | None] | None,
    benchmarks: Benchmarks,
    basis: str,
    count: int = RECENT_WEEKS,
) -> pd.DataFrame:
    """``serving.summarise`` of the rows (``rows_of()``, read only when needed) in ``weeks`` per
    trust (a copy), or the one kept (``stamp``: the build stamp).

    The rows of a whole week are the same whatever month the period starts at (the mart is
    read once per build and cut to the period in its stored order), so its sums are too; when
    no week is whole (``weeks`` are then every week present) the period's ``edge`` counts too.
    Whole weeks not kept are worked out with the last ``count`` whole weeks of every "To"
    month at once (:func:`_every_end_month`), so another "To" month finds its sums kept.
    """
    key = (stamp, serving.key, tuple(weeks), basis, edge)
    used_now = pickle.dumps(benchmarks)
    if (kept := _kept(key, used_now)) is not None:
        return kept
    if stamp and edge is None and weeks:
        _every_end_month(engine, serving, benchmarks, basis, count, key, used_now)
        if (kept := _kept(key, used_now)) is not None:
            return kept
    rows = rows_of()
    rows = rows[rows["week"].isin(weeks)] if len(rows) else rows
    if rows.empty:
        return pd.DataFrame(columns=["trust_code"])
    spare = serving.summarise(rows, ["trust_code"], benchmarks, basis)
    _keep(key, used_now, spare)
    return spare.copy()


def _kept(key: tuple[str, str, tuple[str, ...], str, object], used: bytes) -> pd.DataFrame | None:
    for was, used_then, spare in reversed(_SPARE[:]):  # a copy: another session may replace it
        if was == key and used_then == used:
            return spare.copy()
    return None


def _keep(
    key: tuple[str, str, tuple[str, ...], str, object], used: bytes, spare: pd.DataFrame
) -> None:
    _SPARE[:] = [*_SPARE[-(SPARE_KEPT - 1) :], (key, used, spare)]


WINDOW = "_weeks_of_month"  # a column name no mart has


def _every_end_month(
    engine: Engine,
    serving: Modality,
    benchmarks: Benchmarks,
    basis: str,
    count: int,
    asked: tuple[str, str, tuple[str, ...], str, object],
    used: bytes,
) -> None:
    """Keep the benchmark sums per trust of the last ``count`` whole weeks of each month of the
    build (a period from the first month to it) not kept yet, when the weeks ``asked`` for are
    one month's, from one ``summarise`` grouped by those weeks as well: each group's figures are
    worked out from its own rows, in the same order, so they are the ones a period ending that
    month gets alone (``tests/test_mutual_aid_fast.py``)."""
    every = readers.modality_rows(engine, serving, marts.Period())
    if every.empty:
        return
    week_of_row, windows = _month_windows(every, count)
    stamp = asked[0]
    if asked[2] not in windows:
        return  # a period whose first month cuts its last weeks: worked out alone
    windows = {
        weeks: codes
        for weeks, codes in windows.items()
        if _kept((stamp, serving.key, weeks, basis, None), used) is None
    }
    # Each window's rows in their stored order, one window after another.
    taken = [np.flatnonzero(np.isin(week_of_row, codes)) for codes in windows.values()]
    window = np.repeat(np.arange(len(taken)), [len(t) for t in taken])
    rows = every.take(np.concatenate(taken)).assign(**{WINDOW: window})
    spares = serving.summarise(rows, [WINDOW, "trust_code"], benchmarks, basis)
    group = spares[WINDOW].to_numpy()
    spares = spares.drop(columns=WINDOW)
    for i, weeks in enumerate(windows):
        spare = spares[group == i].reset_index(drop=True)
        if len(spare):
            _keep((stamp, serving.key, weeks, basis, None), used, spare)


def _month_windows(
    rows: pd.DataFrame, count: int
) -> tuple[npt.NDArray[np.int64], dict[tuple[str, ...], npt.NDArray[np.int64]]]:
    """Each row's week (a code), and for each month the last ``count`` whole weeks of a period
    from the first month to it (:func:`last_whole_weeks`, on arrays) with their codes."""
    weeks, week_of_row = np.unique(rows["week"].to_numpy(str), return_inverse=True)
    week_of_row = week_of_row.reshape(-1)
    months, month_of_row = np.unique(rows["month"].to_numpy(str), return_inverse=True)
    first_month = np.full(len(weeks), len(months), dtype=np.int64)
    np.minimum.at(first_month, week_of_row, month_of_row.reshape(-1))
    monday = weeks.astype("datetime64[D]")
    start = np.datetime64(months[0], "M").astype("datetime64[D]")
    windows: dict[tuple[str, ...], npt.NDArray[np.int64]] = {}
    for code, month in enumerate(months):
        end = (np.datetime64(month, "M") + 1).astype("datetime64[D]") - 1
        whole = (first_month <= code) & (monday >= start) & (monday + 6 <= end)
        codes = np.flatnonzero(whole)[-count:]
        if len(codes):
            windows.setdefault(tuple(weeks[codes].tolist()), codes)
    return week_of_row.astype(np.int64), windows


def endoscopy_point_share(
    latest_dm01: pd.DataFrame, test: str, points: dict[str, float]
) -> pd.Series:
    """Per trust, ``test``'s share of the points of its DM01 endoscopy activity.

    Unused list points serve colonoscopy, gastroscopy and flexi sigmoidoscopy alike; sharing
    them by each test's points of activity keeps the three tests' capacities from overlapping.
    """
    rows = latest_dm01[latest_dm01["test_code"].isin(for_test(test).dm01_tests)]
    return point_shares(rows, test, points, ["provider_code"])


def point_shares(
    dm01: pd.DataFrame, test: str, points: dict[str, float], keys: list[str]
) -> pd.Series:
    """Per group of ``keys`` (a provider, or a provider and month), ``test``'s share of the
    points of the endoscopy activity in the ``dm01`` rows: each group's share is worked out
    from its own rows alone, so grouping by month as well picks out the same numbers."""
    return every_point_share(dm01, test, points, keys)[test]


def every_point_share(
    dm01: pd.DataFrame, test: str, points: dict[str, float], keys: list[str]
) -> dict[str, pd.Series]:
    """:func:`point_shares` of each test whose capacity serves ``test``'s, from one sum of the
    points per group and test."""
    return shares_of_activity(waits.dm01_waits(dm01, [*keys, "test_code"]), test, points, keys)


def shares_of_activity(
    activity: pd.DataFrame, test: str, points: dict[str, float], keys: list[str]
) -> dict[str, pd.Series]:
    """:func:`every_point_share` from the DM01 waits already worked out per group of ``keys``
    and test (:func:`productivity.metrics.waits.dm01_waits`; rows of other tests are ignored)."""
    shared = for_test(test).dm01_tests
    activity = activity[activity["test_code"].isin(shared).to_numpy()]
    activity = activity.assign(
        points=activity["weekly_activity"] * activity["test_code"].map(points)
    )
    by_trust = activity.pivot_table(
        index=keys, columns="test_code", values="points", aggfunc="sum", fill_value=0
    ).reindex(columns=list(shared), fill_value=0)
    total = by_trust.sum(axis=1)
    return {each: (by_trust[each] / total.where(total > 0)).dropna() for each in shared}


def last_whole_weeks(rows: pd.DataFrame, count: int) -> list[str]:
    """The last ``count`` weeks (Monday, ``YYYY-MM-DD``) lying wholly inside the months read.

    A week cut by the period's edge holds only some of its days, which would understate the
    capacity a week; with no whole week, every week present is used.
    """
    return _last_weeks(rows, count)[0]


def _last_weeks(rows: pd.DataFrame, count: int) -> tuple[list[str], bool]:
    """:func:`last_whole_weeks` and whether they are whole (not every week present)."""
    if rows.empty:
        return [], False
    weeks = sorted(rows["week"].unique())
    whole = whole_weeks(pd.Series(weeks), rows["month"])
    chosen = [w for w, ok in zip(weeks, whole, strict=True) if ok]
    return (chosen or weeks)[-count:], bool(chosen)


def clear_read_cache() -> None:
    """Forget the spare capacities kept between reruns."""
    _SPARE.clear()
    _PAIRS.clear()
