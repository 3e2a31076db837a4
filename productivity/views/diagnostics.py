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

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sqlalchemy import Engine

from productivity.benchmarks import Benchmark, Benchmarks
from productivity.charts import ASSURANCE_TEXT, VARIATION_TEXT
from productivity.columns import COLUMNS, MISSING, against, benchmark_text, format_value, marked
from productivity.metrics import diagnostics, waits
from productivity.modalities import ECHO, MODALITIES, Modality, modality
from productivity.planning import opportunity
from productivity.schema import DM01_TESTS
from productivity.stats import spc
from productivity.store import marts, readers, rebase, reports

DAYS_PER_WEEK = 7
SYSTEM = "System"
KEY_HEADINGS = {"trust_code": "Trust", "trust": "Trust", "site": "Site", "scanner_id": "Scanner"}
# The sums a rate table shows beside each productivity column.
TABLE_COLUMNS: dict[str, tuple[str, ...]] = {
    "scans_per_hour": ("scans", "operational_hours", "additional_scans"),
    "utilisation": ("planned_points", "used_points", "additional_points", "additional_procedures"),
    "minutes_per_test": ("tests", "scheduled_minutes", "capacity_released"),
}


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


def trust_rates(
    engine: Engine, key: str, period: marts.Period, benchmarks: Benchmarks
) -> pd.DataFrame:
    """Each trust's rate for the modality over the period: the ``report --by trust`` rows."""
    found = modality(key)
    rows = readers.modality_rows(engine, found, period)
    by = ["trust_code", "modality"] if found.imaging else ["trust_code"]
    if rows.empty:
        return pd.DataFrame(columns=[*by, found.column])
    rates = found.summarise(rows, by, benchmarks)
    return rates[rates[found.column].notna()].reset_index(drop=True)


def unit_rates(
    engine: Engine, key: str, period: marts.Period, trust: str | None, benchmarks: Benchmarks
) -> pd.DataFrame:
    """The rate of each scanner (imaging) or site (endoscopy, echo), for the distribution."""
    found = modality(key)
    rows = readers.modality_rows(engine, found, period, trust)
    if rows.empty:
        return pd.DataFrame(columns=[*found.unit_keys, found.column])
    out = found.summarise(rows, found.unit_keys, benchmarks)
    return out[out[found.column].notna()].reset_index(drop=True)


def monthly_trend(
    engine: Engine, key: str, period: marts.Period, trust: str | None, benchmarks: Benchmarks
) -> pd.DataFrame:
    """The rate by month for the system and, when one is chosen, the trust (``series``)."""
    found = modality(key)
    rows = readers.modality_rows(engine, found, period)
    empty = pd.DataFrame(columns=["month", "series", found.column])
    if rows.empty:
        return empty
    parts = [found.summarise(rows, ["month"], benchmarks).assign(series=SYSTEM)]
    if trust:
        own = rows[rows["trust_code"] == trust]
        if own.empty:
            return empty
        parts.append(found.summarise(own, ["month"], benchmarks).assign(series=trust))
    out = pd.concat(parts, ignore_index=True)
    out["month"] = pd.to_datetime(out["month"] + "-01")
    out = out[out[found.column].notna()]
    return out[["month", "series", found.column]].reset_index(drop=True)


def spc_series(
    engine: Engine, key: str, period: marts.Period, trust: str | None, benchmarks: Benchmarks
) -> spc.SPCResult | None:
    """The weekly rate of the trust (or the system) as an XmR chart; None with no weeks.

    The direction and the target are the benchmark's; stored rebases for the unit and metric
    (unit ``trust:<code>`` or ``system``, metric the benchmark key) split the limits.
    """
    spec = metric_spec(key, benchmarks)
    rows = readers.modality_rows(engine, spec.modality, period, trust)
    if rows.empty:
        return None
    weekly = spec.modality.summarise(rows, ["week"], benchmarks)
    weekly = weekly[weekly[spec.column].notna() & whole_weeks(weekly["week"], rows["month"])]
    if weekly.empty:
        return None
    stored = rebases(engine, spc_unit(trust), spec.key)
    return spc.xmr(
        weekly[spec.column],
        pd.to_datetime(weekly["week"]),
        direction=spec.direction,
        target=spec.benchmark,
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
    minutes = benchmarks[ECHO.benchmark].extra.get("scenario_ai_assisted")
    rows = readers.modality_rows(engine, ECHO, period, trust)
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
    engine: Engine, key: str, period: marts.Period, benchmarks: Benchmarks
) -> pd.DataFrame:
    """Weeks to clear the 6-week backlog at benchmark productivity, per trust and for the system.

    SPEC §4 "Opportunity → waits": the trust's additional scans (procedures, tests) at the
    benchmark over the period, a week by :func:`opportunity.additional_per_week` over the weeks
    of the period's months (:func:`opportunity.weeks_covered`), set against the number waiting
    6+ weeks for the modality's DM01 test(s) at the latest month, by
    :func:`waits.backlog_clearance` (whose ``clearance`` says when "never" is true). The system
    row sums the counts across trusts. The what-if panel and ``report clearance`` use the same
    functions, so the figures agree.
    """
    found = modality(key)
    latest = reports.latest_dm01(engine, period)
    rows = readers.modality_rows(engine, found, period)
    if not found.dm01_tests or latest.empty or rows.empty:
        return pd.DataFrame(columns=BACKLOG_COLUMNS)
    extra = found.summarise(rows, ["trust_code"], benchmarks)
    weeks = opportunity.weeks_covered(rows["month"])
    extra["additional_per_week"] = opportunity.additional_per_week(extra[found.additional], weeks)
    extra = extra[["trust_code", "additional_per_week"]]
    extra = pd.concat(
        [pd.DataFrame({"trust_code": [SYSTEM], "additional_per_week": [extra.iloc[:, 1].sum()]})]
        + [extra],
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
    return out.join(cleared)[BACKLOG_COLUMNS]


def clearance_report(engine: Engine, period: marts.Period, benchmarks: Benchmarks) -> pd.DataFrame:
    """``report clearance``: :func:`backlog_clearance` of every modality, one row per trust."""
    parts = [
        backlog_clearance(engine, found.key, period, benchmarks).assign(modality=found.key)
        for found in MODALITIES
    ]
    out = pd.concat([p for p in parts if not p.empty] or parts[:1], ignore_index=True)
    return out[["modality", *BACKLOG_COLUMNS]]


def rate_table(frame: pd.DataFrame, spec: MetricSpec, keys: Sequence[str]) -> pd.DataFrame:
    """A readable table of rates: keys, the rate with ✓/✗ against the benchmark, and the sums."""
    out = frame[list(keys)].rename(columns=KEY_HEADINGS)
    heading = against(COLUMNS[spec.column].short, spec.bench)
    out[heading] = marked(frame[spec.column], spec.fmt, spec.bench)
    for key in TABLE_COLUMNS[spec.column]:
        if key in frame.columns:
            column = COLUMNS[key]
            out[column.short] = frame[key].map(column.format)
    return out


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


def backlog_table(frame: pd.DataFrame, benchmarks: Benchmarks) -> pd.DataFrame:
    """The weeks-to-clear table: numbers stay numbers (headed and formatted from the column
    catalogue by ``ui.show_table``); a week count only where it is finite, the reason in words."""
    weeks = frame["weeks_to_clear_backlog"].astype(float)
    return pd.DataFrame(
        {
            "Trust": frame["trust_code"],
            "waiting_6_plus": frame["waiting_6_plus"],
            "within_6_weeks": frame["within_6_weeks"],
            "additional_per_week": frame["additional_per_week"],
            "weeks_to_clear_backlog": weeks.where(np.isfinite(weeks)),
            "clearance": clearance_words(frame["clearance"], benchmarks),
        }
    )


@dataclass(frozen=True)
class ModalityView:
    """Everything the page draws for one modality, trust and period (picklable, for caching)."""

    spec: MetricSpec
    rates: pd.DataFrame  # per trust, with a ``trust`` label that marks the chosen one
    units: pd.DataFrame  # per scanner or site
    trend: pd.DataFrame  # per month and series
    spc: spc.SPCResult | None
    rebases: pd.DataFrame
    ai_scenario: tuple[float, float] | None
    backlog: pd.DataFrame


def trust_label(codes: pd.Series, chosen: str | None) -> pd.Series:
    """Trust codes, with the chosen trust marked by ▶ (a text cue, not colour)."""
    return codes.where(codes != chosen, "▶ " + codes.astype(str))


def modality_view(
    engine: Engine, key: str, period: marts.Period, trust: str | None, benchmarks: Benchmarks
) -> ModalityView:
    spec = metric_spec(key, benchmarks)
    rates = trust_rates(engine, key, period, benchmarks)
    backlog = backlog_clearance(engine, key, period, benchmarks)
    echo = spec.modality == ECHO
    return ModalityView(
        spec=spec,
        rates=rates.assign(trust=trust_label(rates["trust_code"], trust)),
        units=unit_rates(engine, key, period, trust, benchmarks),
        trend=monthly_trend(engine, key, period, trust, benchmarks),
        spc=spc_series(engine, key, period, trust, benchmarks),
        rebases=rebases(engine, spc_unit(trust), spec.key),
        ai_scenario=ai_scenario(engine, period, trust, benchmarks) if echo else None,
        backlog=_for_trust(backlog, trust),
    )


def _for_trust(backlog: pd.DataFrame, trust: str | None) -> pd.DataFrame:
    """The chosen trust's row beside the system's; nothing when the trust has no row."""
    if not trust:
        return backlog
    if trust not in set(backlog["trust_code"]):
        return backlog.iloc[0:0]
    return backlog[backlog["trust_code"].isin([trust, SYSTEM])].reset_index(drop=True)


def trend_table(trend: pd.DataFrame, spec: MetricSpec) -> pd.DataFrame:
    """The monthly trend as a month × series table of formatted values."""
    wide = trend.assign(Month=trend["month"].dt.strftime("%Y-%m")).pivot(
        index="Month", columns="series", values=spec.column
    )
    return wide.map(spec.format).reset_index().rename_axis(columns=None)


def spc_table(result: spc.SPCResult, spec: MetricSpec) -> pd.DataFrame:
    """The SPC points in words: week, value, mean, limits, point type and the rule that fired."""
    points = result.points
    return pd.DataFrame(
        {
            "Week": points["date"].dt.strftime("%Y-%m-%d"),
            "Value": points["value"].map(spec.format),
            "Mean": points["mean"].map(spec.format),
            "Lower limit": points["lower_limit"].map(spec.format),
            "Upper limit": points["upper_limit"].map(spec.format),
            "Point": points["point_type"].str.removeprefix("special_cause_").str.replace("_", " "),
            "Rule": points["rule"].str.replace("_", " "),
        }
    )


def benchmark_caption(spec: MetricSpec) -> str:
    better = "higher" if spec.higher_is_better else "lower"
    return (
        f"**{spec.bench.label}**: benchmark {spec.format(spec.benchmark)} ({spec.bench.status}; "
        f"{better} is better). Source: {spec.bench.source}."
    )


def spc_caption(result: spc.SPCResult) -> str:
    trial = result.points["trial_limits"].iloc[-1]
    few = (
        f" Fewer than {spc.MIN_POINTS} weeks since the last rebase: trial limits." if trial else ""
    )
    run = spc.RUN_LENGTH
    return (
        f"{VARIATION_TEXT.get(result.variation, result.variation)} · "
        f"{ASSURANCE_TEXT.get(result.assurance)}. Special cause (a point outside the limits, a "
        f"run of {run} on one side of the mean, a trend of {run}, or 2 of 3 near a limit) is a "
        "statistical signal; falling short of the benchmark is an opportunity, not an outlier."
        + few
    )


def ai_note(scenario: tuple[float, float], where: str) -> str:
    minutes, tests = scenario
    return (
        f"AI-assisted scenario: at {minutes:g} minutes a test (the benchmark file's scenario), the "
        f"same scheduled minutes would hold {tests:,.0f} more tests {where} in the period."
    )


def backlog_caption(spec: MetricSpec) -> str:
    names = ", ".join(DM01_TESTS[t] for t in spec.modality.dm01_tests) or "no DM01 test"
    return (
        f"{spec.modality.additional_label} a week over the period (its total ÷ the weeks of its "
        f"months), set against the number waiting 6+ weeks for {names} at the latest month. "
        "A trust that already meets the benchmark has no extra capacity to offer: it either meets "
        "the interim ambition already, or never clears its backlog at this rate."
    )
