"""Spare diagnostic capacity a week for the mutual-aid matcher: tests a week at benchmark
productivity beyond those done, over the last whole weeks of the period.

Kept per build and per last weeks (:data:`SPARE_KEPT` of them): a "From" month that leaves the
last whole weeks where they were does no benchmark arithmetic again. Split from
:mod:`productivity.views.mutual_aid`, which reads the rest of the matcher's inputs.
"""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Engine

from productivity.benchmarks import Benchmarks
from productivity.metrics import waits
from productivity.modalities import Modality, for_test
from productivity.store import marts, readers
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
) -> pd.DataFrame:
    """``trust_code`` and ``spare_per_week``: tests a week at benchmark beyond those done.

    A scan rate's benchmark is on ``basis`` (:func:`productivity.modalities.scans_at_benchmark`:
    ``national``, or each trust's own peer-group rate on ``peer``), as on the Diagnostics page.
    """
    serving = for_test(test)
    rows = readers.modality_rows(engine, serving, period)
    weeks, whole = _last_weeks(rows, recent_weeks)
    edge = None if whole else (period.start, period.end)  # cut weeks differ with the period
    spare = _benchmark_spare(engine, serving, rows, weeks, edge, benchmarks, basis)
    if spare.empty:
        return pd.DataFrame(columns=["trust_code", "spare_per_week"])
    if len(serving.dm01_tests) == 1:
        spare["spare"] = spare[serving.additional]
    else:
        # Endoscopy lists serve several tests: their unused points are shared between them.
        points = benchmarks.endoscopy_points()
        share = endoscopy_point_share(latest_dm01, test, points)
        test_share = spare["trust_code"].map(share).fillna(1 / len(serving.dm01_tests))
        spare["spare"] = spare["additional_points"] * test_share / points[test]
    spare["spare_per_week"] = spare["spare"].fillna(0.0) / len(weeks)
    return spare[["trust_code", "spare_per_week"]]


# The last benchmark sums per trust, by what they depend on: (build stamp, modality, weeks,
# basis, the period when no week is whole) and the benchmarks. A "From" month that leaves the
# last whole weeks where they were (most changes) then does no benchmark arithmetic again.
_SPARE: list[tuple[tuple[str, str, tuple[str, ...], str, object], Benchmarks, pd.DataFrame]] = []
SPARE_KEPT = 16


def _benchmark_spare(
    engine: Engine,
    serving: Modality,
    rows: pd.DataFrame,
    weeks: list[str],
    edge: tuple[str | None, str | None] | None,
    benchmarks: Benchmarks,
    basis: str,
) -> pd.DataFrame:
    """``serving.summarise`` of ``rows`` in ``weeks`` per trust (a copy), or the one kept.

    The rows of a whole week are the same whatever month the period starts at (the mart is
    read once per build and cut to the period in its stored order), so its sums are too; when
    no week is whole (``weeks`` are then every week present) the period's ``edge`` counts too.
    """
    stamp = marts.build_stamp(engine)
    key = (stamp, serving.key, tuple(weeks), basis, edge)
    for was, used, spare in reversed(_SPARE[:]):  # a copy: another session may replace it
        if stamp and was == key and used == benchmarks:
            return spare.copy()
    rows = rows[rows["week"].isin(weeks)] if len(rows) else rows
    if rows.empty:
        return pd.DataFrame(columns=["trust_code"])
    spare = serving.summarise(rows, ["trust_code"], benchmarks, basis)
    _SPARE[:] = [*_SPARE[-(SPARE_KEPT - 1) :], (key, benchmarks, spare)]
    return spare.copy()


def endoscopy_point_share(
    latest_dm01: pd.DataFrame, test: str, points: dict[str, float]
) -> pd.Series:
    """Per trust, ``test``'s share of the points of its DM01 endoscopy activity.

    Unused list points serve colonoscopy, gastroscopy and flexi sigmoidoscopy alike; sharing
    them by each test's points of activity keeps the three tests' capacities from overlapping.
    """
    shared = for_test(test).dm01_tests
    rows = latest_dm01[latest_dm01["test_code"].isin(shared)]
    activity = waits.dm01_waits(rows, ["provider_code", "test_code"])
    activity["points"] = activity["weekly_activity"] * activity["test_code"].map(points)
    by_trust = activity.pivot_table(
        index="provider_code", columns="test_code", values="points", aggfunc="sum", fill_value=0
    ).reindex(columns=list(shared), fill_value=0)
    total = by_trust.sum(axis=1)
    return (by_trust[test] / total.where(total > 0)).dropna()


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
