"""What the Diagnostics page shows for one modality: its productivity against the benchmark.

>>> from productivity.benchmarks import load_benchmarks
>>> spec = metric_spec("Echo", load_benchmarks(override=None))
>>> spec.column, spec.benchmark, spec.direction, spec.modality.unit_keys
('minutes_per_test', 45.0, 'lower', ['trust_code', 'site'])

For the chosen modality (the registry of :mod:`productivity.modalities`) it gives each trust's
rate against the benchmark, the distribution per scanner (per site for endoscopy and echo), the
monthly trend, the weekly series put through :func:`productivity.stats.spc.xmr`, and the weeks
to clear the 6-week backlog at benchmark productivity; the DM01 waits are
:mod:`productivity.views.dm01`. Rows come from :mod:`productivity.store.readers`, every number
from the modality's metric function in ``metrics/`` (the one ``python -m productivity report``
uses, so the page and the report agree), headings, formats and ✓/✗ from the column catalogue.
No Streamlit import.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypedDict

import pandas as pd
from sqlalchemy import Engine

from productivity.benchmarks import Benchmark, Benchmarks, check_basis
from productivity.columns import COLUMNS
from productivity.formats import format_value
from productivity.metrics import diagnostics
from productivity.modalities import ECHO as ECHO, Modality, modality
from productivity.planning import opportunity
from productivity.schema import DM01_TESTS
from productivity.stats import spc
from productivity.store import marts, readers, rebase
from productivity.views.clearance import (
    BACKLOG_COLUMNS as BACKLOG_COLUMNS,
    NATIONAL,
    SYSTEM,
    backlog_clearance as backlog_clearance,
    clearance_report as clearance_report,
    clearance_words as clearance_words,
)

DAYS_PER_WEEK = 7
PEER = "peer"  # the other benchmark basis (:data:`BENCHMARK_BASES`)


class BarArgs(TypedDict):
    """:meth:`MetricSpec.bar_args`, typed so that a chart call can unpack it."""

    value: str
    label: str
    benchmark: float
    higher_is_better: bool
    fmt: str


@dataclass(frozen=True)
class MetricSpec:
    """A modality's productivity metric with the benchmark in force for it."""

    modality: Modality
    bench: Benchmark

    @property
    def key(self) -> str:  # the benchmark key
        return self.bench.key

    @property
    def column(self) -> str:  # the value column of the report
        return self.modality.column

    @property
    def label(self) -> str:  # axis title
        return self.modality.axis

    @property
    def benchmark(self) -> float:
        return self.bench.value

    @property
    def direction(self) -> str:
        return self.bench.direction

    @property
    def higher_is_better(self) -> bool:
        return self.bench.higher_is_better

    @property
    def fmt(self) -> str:
        return COLUMNS[self.column].fmt

    @property
    def unit(self) -> str:  # the finest unit the distribution shows: "scanner" or "site"
        return self.modality.unit

    def format(self, value: float) -> str:
        return format_value(value, self.fmt)

    def bar_args(self) -> BarArgs:
        """Keyword arguments of ``charts.metric_vs_benchmark`` for this metric."""
        return {
            "value": self.column,
            "label": self.label,
            "benchmark": self.benchmark,
            "higher_is_better": self.higher_is_better,
            "fmt": self.fmt,
        }


def metric_spec(key: str, benchmarks: Benchmarks) -> MetricSpec:
    """The metric and benchmark of a modality (CT, MRI, NOUS, Endoscopy, Echo).

    Raises:
        ValueError: an unknown modality.
    """
    found = modality(key)
    return MetricSpec(found, benchmarks[found.benchmark])


def _summary(
    rows: pd.DataFrame, found: Modality, by: list[str], benchmarks: Benchmarks, basis: str
) -> pd.DataFrame:
    """The modality's summary per group, only the groups with a value."""
    if rows.empty:
        return pd.DataFrame(columns=[*by, found.column])
    out = found.summarise(rows, by, benchmarks, basis)
    return out[out[found.column].notna()].reset_index(drop=True)


def _own(rows: pd.DataFrame, trust: str | None) -> pd.DataFrame:
    return rows[rows["trust_code"] == trust] if trust else rows


def trust_rates(
    engine: Engine, key: str, period: marts.Period, benchmarks: Benchmarks, basis: str = NATIONAL
) -> pd.DataFrame:
    """Each trust's rate for the modality over the period: the ``report --by trust`` rows
    (``report imaging --benchmark-basis`` ``basis``)."""
    found = modality(key)
    return _trust_rates(readers.modality_rows(engine, found, period), found, benchmarks, basis)


def _trust_rates(
    rows: pd.DataFrame, found: Modality, benchmarks: Benchmarks, basis: str
) -> pd.DataFrame:
    by = ["trust_code", "modality"] if found.imaging else ["trust_code"]
    return _summary(rows, found, by, benchmarks, basis)


def _trend_part(
    rows: pd.DataFrame, found: Modality, series: str, benchmarks: Benchmarks, basis: str
) -> pd.DataFrame:
    """One series of the monthly trend (the system's, or a trust's own rows)."""
    columns = ["month", "series", found.column, *(["benchmark_scans_per_hour"] * found.imaging)]
    if rows.empty:
        return pd.DataFrame(columns=columns)
    out = found.summarise(rows, ["month"], benchmarks, basis).assign(series=series)
    out["month"] = pd.to_datetime(out["month"], format="%Y-%m")  # the month's first day
    return out.loc[out[found.column].notna(), columns].reset_index(drop=True)


def _with_trust_trend(
    system: pd.DataFrame,
    rows: pd.DataFrame,
    found: Modality,
    trust: str | None,
    benchmarks: Benchmarks,
    basis: str,
) -> pd.DataFrame:
    """The system's trend and, for a chosen trust, its own after it (none if it has no rows)."""
    if not trust:
        return system
    own = _own(rows, trust)
    if own.empty or system.empty:
        return system.iloc[0:0]
    mine = _trend_part(own, found, trust, benchmarks, basis)
    return pd.concat([system, mine], ignore_index=True) if len(mine) else system


def benchmark_line(
    rows: pd.DataFrame,
    spec: MetricSpec,
    trust: str | None,
    benchmarks: Benchmarks,
    basis: str,
    whole: pd.DataFrame | None = None,
) -> float:
    """The one benchmark a trend or SPC chart of the trust (or the system) is drawn against.

    The benchmark file's national value, except for a scan rate on the peer basis: the chosen
    trust's own rate, or for the system the hours-weighted rate of its trusts over the period.
    ``whole`` is the summary of the trust's (the system's) rows as one group, when the caller
    has it.
    """
    own = _own(rows, trust)
    if basis == NATIONAL or not spec.modality.imaging or own.empty:
        return spec.benchmark
    whole = spec.modality.summarise(own, [], benchmarks, basis) if whole is None else whole
    rate = whole["benchmark_scans_per_hour"].iloc[0]
    return spec.benchmark if pd.isna(rate) else float(rate)


def _spc_series(
    own: pd.DataFrame,
    spec: MetricSpec,
    line: float,
    benchmarks: Benchmarks,
    stored: pd.DataFrame,
) -> spc.SPCResult | None:
    if own.empty:
        return None
    # Scans per hour of a week do not depend on the basis; only the target (``line``) does.
    weekly = spec.modality.summarise(own, ["week"], benchmarks)
    weekly = weekly[weekly[spec.column].notna() & whole_weeks(weekly["week"], own["month"])]
    if weekly.empty:
        return None
    return spc.xmr(
        weekly[spec.column],
        pd.to_datetime(weekly["week"]),
        direction=spec.direction,
        target=line,
        rebase_dates=list(stored["date"]),
    )


def whole_weeks(weeks: pd.Series, months: pd.Series) -> pd.Series:
    """Weeks that lie wholly inside the months read.

    A week cut by the period's edge holds only some of its days (often just a weekend), and
    weekend lists run at another rate, which would show as a false special cause.
    """
    start = pd.Timestamp(f"{months.min()}-01")
    end = pd.Period(months.max(), "M").end_time.normalize()
    monday = pd.to_datetime(weeks)
    return (monday >= start) & (monday + pd.Timedelta(days=DAYS_PER_WEEK - 1) <= end)


def spc_unit(trust: str | None) -> str:
    return f"trust:{trust}" if trust else "system"


def rebases(engine: Engine, unit: str, metric: str) -> pd.DataFrame:
    """Stored SPC rebases of a unit and metric, with a ``label`` for the chart's marker."""
    found = rebase.list_rebases(engine, unit, metric)
    found["date"] = pd.to_datetime(found["date"])
    found["label"] = "rebase: " + found["reason"].astype(str)
    return found


def ai_scenario(
    engine: Engine, period: marts.Period, trust: str | None, benchmarks: Benchmarks
) -> tuple[float, float] | None:
    """Echo: the AI-assisted slot length and the tests the same minutes would hold at it.

    The slot length is the benchmark file's ``scenario_ai_assisted`` beside
    ``echo_minutes_per_test``; None when the file has none or there is no echo activity.
    """
    return _ai_scenario(readers.modality_rows(engine, ECHO, period, trust), benchmarks)


def _ai_scenario(rows: pd.DataFrame, benchmarks: Benchmarks) -> tuple[float, float] | None:
    minutes = benchmarks[ECHO.benchmark].extra.get("scenario_ai_assisted")
    if minutes is None or rows.empty:
        return None
    scenario = diagnostics.echo_minutes_per_test(rows, [], benchmark_minutes=float(minutes))
    return float(minutes), float(scenario["additional_tests"].iloc[0])


def default_test(key: str) -> str:
    """The DM01 test the page preselects for a modality (the first it serves)."""
    return (modality(key).dm01_tests or tuple(DM01_TESTS))[0]


# The current activity an opportunity is set against, by kind of activity.
CURRENT = {"imaging": "scans", "endoscopy": "procedures", "echo": "tests"}


def ranked(rates: pd.DataFrame, found: Modality) -> pd.DataFrame:
    """Trusts ranked by the modality's additional activity at benchmark (an absolute count,
    biggest first: :func:`opportunity.rank_trusts`), on whatever basis ``rates`` were computed."""
    if rates.empty:
        return rates.assign(rank=pd.Series(dtype="int64"))
    return opportunity.rank_trusts(rates, found.additional, CURRENT[found.activity])


def trust_label(codes: pd.Series, chosen: str | None) -> pd.Series:
    """Trust codes, with the chosen trust marked by ▶ (a text cue, not colour)."""
    return codes.where(codes != chosen, "▶ " + codes.astype(str))


def ranked_rates(
    engine: Engine, key: str, period: marts.Period, benchmarks: Benchmarks, basis: str = NATIONAL
) -> pd.DataFrame:
    """Every trust's rate (:func:`trust_rates`), ranked: the same whichever trust is chosen,
    which :func:`marked` then marks."""
    return ranked(trust_rates(engine, key, period, benchmarks, basis), modality(key))


def marked(rates: pd.DataFrame, trust: str | None) -> pd.DataFrame:
    """Every trust's rate with a ``trust`` label that marks the chosen one."""
    return rates.assign(trust=trust_label(rates["trust_code"], trust))


def unit_rates(
    engine: Engine, key: str, period: marts.Period, benchmarks: Benchmarks, basis: str = NATIONAL
) -> pd.DataFrame:
    """The rate of every scanner (imaging) or site (endoscopy, echo), sorted by trust, site
    (and scanner), for the distribution; a trust's are :func:`units_of` these."""
    found = modality(key)
    rows = readers.modality_rows(engine, found, period)
    return _summary(rows, found, found.unit_keys, benchmarks, basis)


def units_of(units: pd.DataFrame, trust: str | None) -> pd.DataFrame:
    """The chosen trust's units of :func:`unit_rates` (every unit when none is chosen).

    The same figures as summarising the trust's own rows: a unit belongs to one trust, and on
    either basis its rate is its trust's, so working every unit out once serves every trust.
    """
    return units[units["trust_code"] == trust].reset_index(drop=True) if trust else units


@dataclass(frozen=True)
class SystemTrend:
    """The system's monthly series and the benchmark it is drawn against, whatever trust is
    chosen, so a change of trust recomputes only the trust's own (picklable, for caching)."""

    trend: pd.DataFrame  # the system's monthly series
    line: float  # the system's benchmark line (:func:`benchmark_line`)


def system_trend(
    engine: Engine, key: str, period: marts.Period, benchmarks: Benchmarks, basis: str = NATIONAL
) -> SystemTrend:
    """The system-wide part of :func:`trend_view`."""
    check_basis(basis)
    spec = metric_spec(key, benchmarks)
    rows = readers.modality_rows(engine, spec.modality, period)
    return SystemTrend(
        trend=_trend_part(rows, spec.modality, SYSTEM, benchmarks, basis),
        line=benchmark_line(rows, spec, None, benchmarks, basis),
    )


@dataclass(frozen=True)
class TrendView:
    """The "Trend and SPC" tab for a modality, trust and period (picklable, for caching)."""

    line: float  # the benchmark the trend and SPC charts are drawn against
    trend: pd.DataFrame  # per month and series: the system's, and the chosen trust's
    spc: spc.SPCResult | None  # the trust's (the system's) weekly rate
    rebases: pd.DataFrame


def trend_view(
    engine: Engine,
    key: str,
    period: marts.Period,
    trust: str | None,
    benchmarks: Benchmarks,
    basis: str = NATIONAL,
    system: SystemTrend | None = None,
) -> TrendView:
    """The monthly trend and the weekly SPC of the trust (or the system), from the same mart
    rows (read once); ``system`` is :func:`system_trend` of the same modality, period and basis
    when the caller has it."""
    check_basis(basis)
    spec = metric_spec(key, benchmarks)
    system = system or system_trend(engine, key, period, benchmarks, basis)
    rows = readers.modality_rows(engine, spec.modality, period)
    line = benchmark_line(rows, spec, trust, benchmarks, basis) if trust else system.line
    stored = rebases(engine, spc_unit(trust), spec.key)
    return TrendView(
        line=line,
        trend=_with_trust_trend(system.trend, rows, spec.modality, trust, benchmarks, basis),
        spc=_spc_series(_own(rows, trust), spec, line, benchmarks, stored),
        rebases=stored,
    )


def backlog_for_trust(backlog: pd.DataFrame, trust: str | None) -> pd.DataFrame:
    """:func:`backlog_clearance`'s rows for the page: the chosen trust's row beside the
    system's; nothing when the trust has no row; every row when none is chosen."""
    if not trust:
        return backlog
    if trust not in set(backlog["trust_code"]):
        return backlog.iloc[0:0]
    return backlog[backlog["trust_code"].isin([trust, SYSTEM])].reset_index(drop=True)
