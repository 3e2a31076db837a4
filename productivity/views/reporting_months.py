"""The Reporting page's turnaround marts summed per month, once per build, for its tabs.

A period's every-trust shares, monthly share and turnaround days are sums over months, so they
are summed here from a kind's marts already summed per trust × measure × month (and whole day):
the same integer sums as from the marts, so exactly :mod:`productivity.views.reporting`'s
figures (:func:`kind_trust_shares`, :func:`monthly_trend`, :func:`chosen_days`), without a read
of the period or the drill-down keys' rows. Imports no Streamlit and no charts.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd
from sqlalchemy import Engine

from productivity.benchmarks import Benchmarks
from productivity.stats import spc
from productivity.store import marts
from productivity.store.mart_reads import in_period, read_mart
from productivity.store.mart_tables import TURNAROUND, TURNAROUND_DAYS
from productivity.views.reporting import (
    COUNTS,
    measures_of,
    monthly_share,
    share_spc,
    trust_shares,
)


@dataclass(frozen=True)
class KindMonths:
    """A kind's turnaround marts summed per trust × measure × month (the counts) and per whole
    day too (the days): a period's every-trust shares, monthly share and days are summed from
    them, exactly as from the marts (the same integer sums), with no read and little work."""

    counts: pd.DataFrame  # trust_code, measure, month, COUNTS
    days: pd.DataFrame  # trust_code, measure, month, days, events
    cube: Cube | None  # the same sums as arrays (None where the counts are not plain numbers)


@dataclass(frozen=True)
class Cube:
    """:class:`KindMonths` as arrays by trust × measure (``groups``, sorted as ``with_share``
    sorts them) and month, so a period's sums are a sum over an axis."""

    groups: pd.DataFrame  # trust_code, measure: one row per group
    months: npt.NDArray[np.str_]  # sorted YYYY-MM
    present: npt.NDArray[np.bool_]  # group × month: the group has counts that month
    counts: dict[str, npt.NDArray[np.generic]]  # each of COUNTS: group × month
    days: npt.NDArray[np.int64]  # the whole days with events, sorted
    events: npt.NDArray[np.generic]  # group × month × day


def kind_months(engine: Engine, kind: str) -> KindMonths:
    keys = ["trust_code", "measure", "month"]
    # Without the drill-down keys' columns: their text is most of a read, and no sum needs it.
    counts = read_mart(engine, TURNAROUND, columns=["kind", *keys, *COUNTS])
    days = read_mart(engine, TURNAROUND_DAYS, columns=["kind", *keys, "days", "events"])
    counts = counts[counts["kind"] == kind].groupby(keys, sort=True)[COUNTS].sum().reset_index()
    by_day = days[days["kind"] == kind].groupby([*keys, "days"], sort=True)["events"].sum()
    day_sums = by_day.reset_index()
    return KindMonths(counts, day_sums, _cube(counts, day_sums, kind))


def _cube(counts: pd.DataFrame, days: pd.DataFrame, kind: str) -> Cube | None:
    numbers = [counts[c].dtype for c in COUNTS] + [days["events"].dtype, days["days"].dtype]
    if counts.empty or not all(isinstance(d, np.dtype) and d.kind in "iuf" for d in numbers):
        return None
    group_keys = ["trust_code", "measure"]
    groups = counts[group_keys].drop_duplicates()
    # In trust, then the kind's measure order: the order trust_shares gives its rows.
    order = {m: i for i, m in enumerate(measures_of(kind))}
    groups = groups.sort_values(
        group_keys, key=lambda s: s.map(order) if s.name == "measure" else s
    ).reset_index(drop=True)
    index = pd.MultiIndex.from_frame(groups)
    months = np.unique(np.concatenate([counts["month"].to_numpy(str), days["month"].to_numpy(str)]))
    g = index.get_indexer(pd.MultiIndex.from_frame(counts[group_keys]))
    m = np.searchsorted(months, counts["month"].to_numpy(str))
    present = np.zeros((len(groups), len(months)), dtype=bool)
    present[g, m] = True
    sums = {}
    for column in COUNTS:
        values = counts[column].to_numpy()
        sums[column] = np.zeros((len(groups), len(months)), dtype=values.dtype)
        sums[column][g, m] = values
    whole_days = np.unique(days["days"].to_numpy())
    shape = (len(groups), len(months), len(whole_days))
    events = np.zeros(shape, dtype=days["events"].to_numpy().dtype)
    dg = index.get_indexer(pd.MultiIndex.from_frame(days[group_keys]))
    known = dg >= 0  # days of a trust × measure with no counts are never shown
    dm = np.searchsorted(months, days["month"].to_numpy(str))
    dd = np.searchsorted(whole_days, days["days"].to_numpy())
    events[dg[known], dm[known], dd[known]] = days["events"].to_numpy()[known]
    return Cube(groups, months, present, sums, whole_days, events)


def _months_in(frame: pd.DataFrame, period: marts.Period) -> pd.DataFrame:
    return in_period(frame, period) if period.start or period.end else frame


def shares_in(
    months: KindMonths, period: marts.Period, kind: str, benchmarks: Benchmarks
) -> pd.DataFrame:
    """:func:`kind_trust_shares` of the period, from :func:`kind_months`: summed over the
    cube's months (the same sums, share and median as ``trust_shares`` works out)."""
    cube = months.cube
    inside = None if cube is None else _month_mask(cube.months, period)
    chosen = None if cube is None or inside is None else cube.present[:, inside].any(axis=1)
    if cube is None or inside is None or chosen is None or not chosen.any():
        return trust_shares(
            _months_in(months.counts, period), _months_in(months.days, period), kind, benchmarks
        )
    groups = cube.groups.iloc[np.flatnonzero(chosen)]
    sums = {column: cube.counts[column][chosen][:, inside].sum(axis=1) for column in COUNTS}
    decided = sums["within_target"] + sums["breaches"]
    share = sums["within_target"].astype(float) / np.where(decided != 0, decided, np.nan)
    measure = groups["measure"].tolist()
    # One frame at once, in the order with_targets sorts (the cube's groups are in it).
    return pd.DataFrame(
        {
            "trust_code": groups["trust_code"].to_numpy(),
            "measure": groups["measure"].to_numpy(),
            **sums,
            "share_within_target": share,
            "median_days": _medians(cube.events[chosen][:, inside].sum(axis=1), cube.days),
            "target_share": [benchmarks[m].value for m in measure],
            "label": [benchmarks[m].label for m in measure],
        }
    )


def _month_mask(months: npt.NDArray[np.str_], period: marts.Period) -> npt.NDArray[np.bool_]:
    return (months >= (period.start or "")) & (months <= (period.end or "9999-99"))


def _medians(
    histogram: npt.NDArray[np.generic], days: npt.NDArray[np.int64]
) -> npt.NDArray[np.float64]:
    """Each row's median whole day, as :func:`median_from_histogram` (NaN with no events)."""
    ends = np.cumsum(histogram, axis=1)
    total = ends[:, -1] if ends.shape[1] else np.zeros(len(ends))
    # The 0-based positions (total − 1) // 2 and total // 2 of each row's sorted events.
    low = days[np.argmax(ends > ((total - 1) // 2)[:, None], axis=1)] if len(days) else total
    high = days[np.argmax(ends > (total // 2)[:, None], axis=1)] if len(days) else total
    return np.where(total > 0, (low + high) / 2, np.nan).astype(float)


def monthly_in(
    months: KindMonths, period: marts.Period, measure: str, trust: str | None, target: float
) -> tuple[pd.DataFrame, spc.SPCResult | None]:
    """:func:`monthly_trend` (``target``: the measure's), from :func:`kind_months`."""
    mine = _chosen(_months_in(months.counts, period), measure, trust)
    monthly = monthly_share(mine)
    return monthly, share_spc(monthly, target)


def days_in(
    months: KindMonths, period: marts.Period, measure: str, trust: str | None
) -> pd.DataFrame:
    """:func:`chosen_days`, from :func:`kind_months`."""
    days = _chosen(_months_in(months.days, period), measure, trust)
    return days.groupby("days", sort=True)["events"].sum().reset_index()


def _chosen(frame: pd.DataFrame, measure: str, trust: str | None) -> pd.DataFrame:
    mine = frame[frame["measure"] == measure]
    return mine[mine["trust_code"] == trust] if trust else mine
