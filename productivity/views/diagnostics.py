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

import pandas as pd
from sqlalchemy import Engine

from productivity.benchmarks import Benchmark, Benchmarks, check_basis
from productivity.columns import COLUMNS, MISSING, benchmark_text, format_value
from productivity.metrics import diagnostics, waits
from productivity.modalities import ECHO, MODALITIES, Modality, modality
from productivity.planning import opportunity
from productivity.schema import DM01_TESTS
from productivity.stats import spc
from productivity.store import marts, readers, rebase, reports

DAYS_PER_WEEK = 7
NATIONAL, PEER = "national", "peer"  # the benchmark bases (:data:`BENCHMARK_BASES`)
SYSTEM = "System"


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

    def bar_args(self) -> dict[str, object]:
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


def unit_rates(
    engine: Engine,
    key: str,
    period: marts.Period,
    trust: str | None,
    benchmarks: Benchmarks,
    basis: str = NATIONAL,
) -> pd.DataFrame:
    """The rate of each scanner (imaging) or site (endoscopy, echo), for the distribution."""
    found = modality(key)
    rows = readers.modality_rows(engine, found, period, trust)
    return _summary(rows, found, found.unit_keys, benchmarks, basis)


def monthly_trend(
    engine: Engine,
    key: str,
    period: marts.Period,
    trust: str | None,
    benchmarks: Benchmarks,
    basis: str = NATIONAL,
) -> pd.DataFrame:
    """The rate by month for the system and, when one is chosen, the trust (``series``), with
    the benchmark each is held to that month on ``basis`` (imaging: hours-weighted over the
    system's trusts)."""
    found = modality(key)
    return _monthly_trend(
        readers.modality_rows(engine, found, period), found, trust, benchmarks, basis
    )


def _monthly_trend(
    rows: pd.DataFrame, found: Modality, trust: str | None, benchmarks: Benchmarks, basis: str
) -> pd.DataFrame:
    extra = ["benchmark_scans_per_hour"] if found.imaging else []
    empty = pd.DataFrame(columns=["month", "series", found.column, *extra])
    if rows.empty:
        return empty
    parts = [found.summarise(rows, ["month"], benchmarks, basis).assign(series=SYSTEM)]
    if trust:
        own = _own(rows, trust)
        if own.empty:
            return empty
        parts.append(found.summarise(own, ["month"], benchmarks, basis).assign(series=trust))
    out = pd.concat(parts, ignore_index=True)
    out["month"] = pd.to_datetime(out["month"] + "-01")
    out = out[out[found.column].notna()]
    return out[["month", "series", found.column, *extra]].reset_index(drop=True)


def benchmark_line(
    rows: pd.DataFrame, spec: MetricSpec, trust: str | None, benchmarks: Benchmarks, basis: str
) -> float:
    """The one benchmark a trend or SPC chart of the trust (or the system) is drawn against.

    The benchmark file's national value, except for a scan rate on the peer basis: the chosen
    trust's own rate, or for the system the hours-weighted rate of its trusts over the period.
    """
    own = _own(rows, trust)
    if basis == NATIONAL or not spec.modality.imaging or own.empty:
        return spec.benchmark
    whole = spec.modality.summarise(own, [], benchmarks, basis)["benchmark_scans_per_hour"]
    return spec.benchmark if pd.isna(whole.iloc[0]) else float(whole.iloc[0])


def spc_series(
    engine: Engine,
    key: str,
    period: marts.Period,
    trust: str | None,
    benchmarks: Benchmarks,
    basis: str = NATIONAL,
) -> spc.SPCResult | None:
    """The weekly rate of the trust (or the system) as an XmR chart; None with no weeks.

    The direction is the benchmark's and the target :func:`benchmark_line`'s; stored rebases
    for the unit and metric (unit ``trust:<code>`` or ``system``, metric the benchmark key)
    split the limits.
    """
    spec = metric_spec(key, benchmarks)
    rows = readers.modality_rows(engine, spec.modality, period)
    stored = rebases(engine, spc_unit(trust), spec.key)
    return _spc_series(rows, spec, trust, benchmarks, basis, stored)


def _spc_series(
    rows: pd.DataFrame,
    spec: MetricSpec,
    trust: str | None,
    benchmarks: Benchmarks,
    basis: str,
    stored: pd.DataFrame,
) -> spc.SPCResult | None:
    own = _own(rows, trust)
    if own.empty:
        return None
    # Scans per hour of a week do not depend on the basis; only the target does.
    weekly = spec.modality.summarise(own, ["week"], benchmarks)
    weekly = weekly[weekly[spec.column].notna() & whole_weeks(weekly["week"], own["month"])]
    if weekly.empty:
        return None
    return spc.xmr(
        weekly[spec.column],
        pd.to_datetime(weekly["week"]),
        direction=spec.direction,
        target=benchmark_line(rows, spec, trust, benchmarks, basis),
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


BACKLOG_COLUMNS = [
    "trust_code", "total_waiting", "waiting_6_plus", "within_6_weeks", "additional_per_week",
    "weeks_to_clear_backlog", "clearance",
]  # fmt: skip


def backlog_clearance(
    engine: Engine,
    key: str,
    period: marts.Period,
    benchmarks: Benchmarks,
    basis: str = NATIONAL,
) -> pd.DataFrame:
    """Weeks to clear the 6-week backlog at benchmark productivity, per trust and for the system.

    SPEC §4 "Opportunity → waits": the trust's additional scans (procedures, tests) at the
    benchmark (on ``basis``: national rates, or each trust's peer-group rate) over the period,
    a week by :func:`opportunity.additional_per_week` over the weeks of the period's months
    (:func:`opportunity.weeks_covered`), set against the number waiting 6+ weeks for the
    modality's DM01 test(s) at the latest month, by :func:`waits.backlog_clearance` (whose
    ``clearance`` says when "never" is true). The system row sums the counts across trusts.
    The what-if panel and ``report clearance`` use the same functions, so the figures agree.
    Imaging adds ``benchmark_scans_per_hour``, the rate each trust is held to (the system's
    hours-weighted).
    """
    found = modality(key)
    latest = reports.latest_dm01(engine, period)
    return _backlog(readers.modality_rows(engine, found, period), found, latest, benchmarks, basis)


def _backlog(
    rows: pd.DataFrame,
    found: Modality,
    latest: pd.DataFrame,
    benchmarks: Benchmarks,
    basis: str,
) -> pd.DataFrame:
    rate = ["benchmark_scans_per_hour"] if found.imaging else []
    if not found.dm01_tests or latest.empty or rows.empty:
        return pd.DataFrame(columns=[*BACKLOG_COLUMNS, *rate])
    extra = found.summarise(rows, ["trust_code"], benchmarks, basis)
    weeks = opportunity.weeks_covered(rows["month"])
    extra["additional_per_week"] = opportunity.additional_per_week(extra[found.additional], weeks)
    system = found.summarise(rows, [], benchmarks, basis).assign(trust_code=SYSTEM)
    system["additional_per_week"] = extra["additional_per_week"].sum()
    extra = pd.concat(
        [
            system[["trust_code", "additional_per_week", *rate]],
            extra[["trust_code", "additional_per_week", *rate]],
        ],
        ignore_index=True,
    )
    # The system is one more unit of the same DM01 rows: waits of trusts with capacity data.
    tests = latest[
        latest["test_code"].isin(found.dm01_tests)
        & latest["provider_code"].isin(extra["trust_code"])
    ]
    units = pd.concat(
        [tests.assign(trust_code=tests["provider_code"]), tests.assign(trust_code=SYSTEM)]
    )
    waiting = waits.dm01_waits(units, ["trust_code"])
    out = extra.merge(waiting, on="trust_code", how="inner")
    cleared = waits.backlog_clearance(
        out["waiting_6_plus"],
        out["additional_per_week"],
        out["within_6_weeks"],
        benchmarks.value("dm01_within_6_weeks"),
    )
    return out.join(cleared)[[*BACKLOG_COLUMNS, *rate]]


def clearance_report(
    engine: Engine, period: marts.Period, benchmarks: Benchmarks, basis: str = NATIONAL
) -> pd.DataFrame:
    """``report clearance [--benchmark-basis]``: :func:`backlog_clearance` of every modality,
    one row per trust."""
    parts = [
        backlog_clearance(engine, found.key, period, benchmarks, basis)[BACKLOG_COLUMNS].assign(
            modality=found.key
        )
        for found in MODALITIES
    ]
    out = pd.concat([p for p in parts if not p.empty] or parts[:1], ignore_index=True)
    return out[["modality", *BACKLOG_COLUMNS]]


def clearance_words(clearance: pd.Series, benchmarks: Benchmarks) -> pd.Series:
    """:func:`waits.backlog_clearance`'s ``clearance`` in words, for tables and the what-if."""
    ambition = benchmark_text(benchmarks["dm01_within_6_weeks"])
    words = {
        waits.NO_BACKLOG: "nobody waits 6+ weeks",
        waits.CLEARS: "clears with the extra capacity",
        waits.MEETS_AMBITION: f"meets the {ambition} ambition: no extra capacity needed",
        waits.NEVER: f"never at this rate: below {ambition}, no extra capacity at benchmark",
        waits.NO_DATA: MISSING,
    }
    return clearance.map(words).fillna(MISSING)


@dataclass(frozen=True)
class ModalityView:
    """Everything the page draws for one modality, trust and period (picklable, for caching)."""

    spec: MetricSpec
    basis: str  # the benchmark basis of the scan rates: national or peer
    line: float  # the benchmark the trend and SPC charts are drawn against
    rates: pd.DataFrame  # per trust, with a ``trust`` label that marks the chosen one
    units: pd.DataFrame  # per scanner or site
    trend: pd.DataFrame  # per month and series
    spc: spc.SPCResult | None
    rebases: pd.DataFrame
    ai_scenario: tuple[float, float] | None
    backlog: pd.DataFrame


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


def modality_view(
    engine: Engine,
    key: str,
    period: marts.Period,
    trust: str | None,
    benchmarks: Benchmarks,
    basis: str = NATIONAL,
) -> ModalityView:
    """The page's figures for a modality, every one from the same mart rows (read once)."""
    check_basis(basis)
    spec = metric_spec(key, benchmarks)
    rows = readers.modality_rows(engine, spec.modality, period)
    own = _own(rows, trust)
    rates = ranked(_trust_rates(rows, spec.modality, benchmarks, basis), spec.modality)
    stored = rebases(engine, spc_unit(trust), spec.key)
    latest = reports.latest_dm01(engine, period)
    return ModalityView(
        spec=spec,
        basis=basis,
        line=benchmark_line(rows, spec, trust, benchmarks, basis),
        rates=rates.assign(trust=trust_label(rates["trust_code"], trust)),
        units=_summary(own, spec.modality, spec.modality.unit_keys, benchmarks, basis),
        trend=_monthly_trend(rows, spec.modality, trust, benchmarks, basis),
        spc=_spc_series(rows, spec, trust, benchmarks, basis, stored),
        rebases=stored,
        ai_scenario=_ai_scenario(own, benchmarks) if spec.modality == ECHO else None,
        backlog=_for_trust(_backlog(rows, spec.modality, latest, benchmarks, basis), trust),
    )


def _for_trust(backlog: pd.DataFrame, trust: str | None) -> pd.DataFrame:
    """The chosen trust's row beside the system's; nothing when the trust has no row."""
    if not trust:
        return backlog
    if trust not in set(backlog["trust_code"]):
        return backlog.iloc[0:0]
    return backlog[backlog["trust_code"].isin([trust, SYSTEM])].reset_index(drop=True)
