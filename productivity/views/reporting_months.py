"""The Reporting page's turnaround marts summed per month, once per build, for its tabs.

A period's every-trust shares, monthly share and turnaround days are sums over months, so they
are summed here from a kind's marts already summed per trust × measure × month (and whole day):
the same integer sums as from the marts, so exactly :mod:`productivity.views.reporting`'s
figures (:func:`kind_trust_shares`, :func:`monthly_trend`, :func:`chosen_days`), without a read
of the period or the drill-down keys' rows. Imports no Streamlit and no charts.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from sqlalchemy import Engine

from productivity.benchmarks import Benchmarks
from productivity.stats import spc
from productivity.store import marts
from productivity.store.mart_reads import in_period, read_mart
from productivity.store.mart_tables import TURNAROUND, TURNAROUND_DAYS
from productivity.views.reporting import COUNTS, monthly_share, share_spc, trust_shares


@dataclass(frozen=True)
class KindMonths:
    """A kind's turnaround marts summed per trust × measure × month (the counts) and per whole
    day too (the days): a period's every-trust shares, monthly share and days are summed from
    them, exactly as from the marts (the same integer sums), with no read and little work."""

    counts: pd.DataFrame  # trust_code, measure, month, COUNTS
    days: pd.DataFrame  # trust_code, measure, month, days, events


def kind_months(engine: Engine, kind: str) -> KindMonths:
    counts = read_mart(engine, TURNAROUND)
    days = read_mart(engine, TURNAROUND_DAYS)
    keys = ["trust_code", "measure", "month"]
    return KindMonths(
        counts[counts["kind"] == kind].groupby(keys, sort=True)[COUNTS].sum().reset_index(),
        days[days["kind"] == kind]
        .groupby([*keys, "days"], sort=True)["events"]
        .sum()
        .reset_index(),
    )


def _months_in(frame: pd.DataFrame, period: marts.Period) -> pd.DataFrame:
    return in_period(frame, period) if period.start or period.end else frame


def shares_in(
    months: KindMonths, period: marts.Period, kind: str, benchmarks: Benchmarks
) -> pd.DataFrame:
    """:func:`kind_trust_shares` of the period, from :func:`kind_months`."""
    return trust_shares(
        _months_in(months.counts, period), _months_in(months.days, period), kind, benchmarks
    )


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
