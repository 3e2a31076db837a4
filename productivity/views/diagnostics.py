"""What the Diagnostics page shows: mart rows and reports shaped for its charts and tables.

Example::

    spec = metric_spec("MRI", benchmarks)
    rates = trust_rates(engine, "MRI", Period("2026-01", "2026-06"), benchmarks)
    chart = spc_series(engine, "MRI", period, "RBT", benchmarks)   # an spc.SPCResult

For the chosen modality (CT, MRI, NOUS, Endoscopy, Echo) it gives each trust's rate against the
benchmark, the distribution per scanner (per site for endoscopy and echo), the monthly trend, the
weekly series put through :func:`productivity.stats.spc.xmr`, and the DM01 waits, waiting-time bands and
weeks to clear the 6-week backlog at benchmark productivity. Every number comes from a metric
function in ``metrics/`` (or from ``reports``, so the page and ``python -m productivity report``
agree) over the marts; benchmark values come from the benchmark file. No Streamlit import.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import Engine

from productivity import schema
from productivity.benchmarks import SCAN_RATE_KEYS, Benchmarks
from productivity.charts import ASSURANCE_TEXT, VARIATION_TEXT
from productivity.metrics import diagnostics, waits
from productivity.stats import spc
from productivity.store import marts, rebase, reports

IMAGING_MODALITIES: tuple[str, ...] = tuple(SCAN_RATE_KEYS)
MODALITIES: tuple[str, ...] = (*IMAGING_MODALITIES, "Endoscopy", "Echo")
# DM01 has no "endoscopy" test: the three endoscopy tests together are what endoscopy lists serve.
# schema.MODALITY_DM01_TEST names one test per modality and has no endoscopy entry yet.
ENDOSCOPY_DM01_TESTS: tuple[str, ...] = ("COLONOSCOPY", "GASTROSCOPY", "FLEXI_SIGMOIDOSCOPY")
DAYS_PER_WEEK = 7
SYSTEM = "System"
WAITS: tuple[str, ...] = ("under 6 weeks", "6 to under 13 weeks", "13 weeks or more")


@dataclass(frozen=True)
class MetricSpec:
    """How one modality's productivity metric is named, formatted and judged."""

    modality: str
    key: str  # the benchmark key
    column: str  # the value column of the report
    label: str  # axis title
    short: str  # table heading
    benchmark: float
    direction: str  # "higher" or "lower" is better
    fmt: str  # d3/Python format of a value
    unit: str  # the finest unit the distribution shows: "scanner" or "site"
    additional: str  # the report column of additional activity at the benchmark
    additional_label: str
    mart: str

    @property
    def higher_is_better(self) -> bool:
        return self.direction != "lower"

    @property
    def unit_keys(self) -> list[str]:
        return ["trust_code", "site", *(["scanner_id"] if self.unit == "scanner" else [])]

    def format(self, value: float) -> str:
        return "–" if pd.isna(value) else f"{value:{self.fmt}}"

    def bar_args(self) -> dict[str, object]:
        """Keyword arguments of ``charts.metric_vs_benchmark`` for this metric."""
        return {
            "value": self.column,
            "label": self.label,
            "benchmark": self.benchmark,
            "higher_is_better": self.higher_is_better,
            "fmt": self.fmt,
        }


def metric_spec(modality: str, benchmarks: Benchmarks) -> MetricSpec:
    """The metric, benchmark and labels for a modality.

    Raises:
        ValueError: an unknown modality.
    """
    if modality in IMAGING_MODALITIES:
        key = SCAN_RATE_KEYS[modality]
        values = ("scans_per_hour", f"{modality} scans per operational hour", "Scans/hr", ".2f")
        extra = ("additional_scans", "Additional scans at benchmark", marts.IMAGING)
    elif modality == "Endoscopy":
        key = "endoscopy_list_utilisation"
        values = ("utilisation", "Endoscopy list utilisation (points)", "Utilisation", ".1%")
        extra = ("additional_procedures", "Additional procedures at benchmark", marts.ENDOSCOPY)
    elif modality == "Echo":
        key = "echo_minutes_per_test"
        values = ("minutes_per_test", "Echo minutes per test", "Minutes/test", ".1f")
        extra = ("additional_tests", "Capacity released at benchmark (tests)", marts.ECHO)
    else:
        raise ValueError(f"modality must be one of {', '.join(MODALITIES)}, not {modality!r}")
    bench = benchmarks[key]
    column, label, short, fmt = values
    unit = "scanner" if modality in IMAGING_MODALITIES else "site"
    return MetricSpec(
        modality, key, column, label, short, bench.value, bench.direction, fmt, unit, *extra
    )


def summarise(
    rows: pd.DataFrame, modality: str, by: Sequence[str], benchmarks: Benchmarks
) -> pd.DataFrame:
    """The modality's metric for each group of mart rows (a ratio of sums, from ``metrics``)."""
    keys = list(by)
    if modality in IMAGING_MODALITIES:
        return diagnostics.scans_per_hour(rows, keys, benchmark_rates=benchmarks.scan_rates())
    if modality == "Endoscopy":
        target = benchmarks.value("endoscopy_list_utilisation")
        return diagnostics.endoscopy_utilisation(rows, keys, target=target)
    minutes = benchmarks.value("echo_minutes_per_test")
    return diagnostics.echo_minutes_per_test(rows, keys, benchmark_minutes=minutes)


def mart_rows(
    engine: Engine, modality: str, period: marts.Period, trust: str | None = None
) -> pd.DataFrame:
    """The modality's mart rows in the period (imaging rows of that modality only)."""
    spec_mart = {"Endoscopy": marts.ENDOSCOPY, "Echo": marts.ECHO}.get(modality, marts.IMAGING)
    extra = {"modality": modality} if spec_mart == marts.IMAGING else None
    return marts.read_mart(engine, spec_mart, period, [trust] if trust else None, extra)


def trust_rates(
    engine: Engine, modality: str, period: marts.Period, benchmarks: Benchmarks
) -> pd.DataFrame:
    """Each trust's rate for the modality over the period: the ``report --by trust`` rows."""
    if modality in IMAGING_MODALITIES:
        rows = reports.imaging_report(engine, "trust", period, benchmarks)
        rows = rows[rows["modality"] == modality]
    elif modality == "Endoscopy":
        rows = reports.endoscopy_report(engine, "trust", period, benchmarks)
    else:
        rows = reports.echo_report(engine, "trust", period, benchmarks)
    column = metric_spec(modality, benchmarks).column
    return rows[rows[column].notna()].reset_index(drop=True) if not rows.empty else rows


def unit_rates(
    engine: Engine,
    modality: str,
    period: marts.Period,
    trust: str | None,
    benchmarks: Benchmarks,
) -> pd.DataFrame:
    """The rate of each scanner (imaging) or site (endoscopy, echo), for the distribution."""
    rows = mart_rows(engine, modality, period, trust)
    spec = metric_spec(modality, benchmarks)
    keys = spec.unit_keys
    if rows.empty:
        return pd.DataFrame(columns=[*keys, spec.column])
    out = summarise(rows, modality, keys, benchmarks)
    return out[out[spec.column].notna()].reset_index(drop=True)


def monthly_trend(
    engine: Engine,
    modality: str,
    period: marts.Period,
    trust: str | None,
    benchmarks: Benchmarks,
) -> pd.DataFrame:
    """The rate by month for the system and, when one is chosen, the trust (``series``)."""
    rows = mart_rows(engine, modality, period)
    spec = metric_spec(modality, benchmarks)
    if rows.empty:
        return pd.DataFrame(columns=["month", "series", spec.column])
    parts = [summarise(rows, modality, ["month"], benchmarks).assign(series=SYSTEM)]
    if trust:
        own = rows[rows["trust_code"] == trust]
        if own.empty:
            return pd.DataFrame(columns=["month", "series", spec.column])
        parts.append(summarise(own, modality, ["month"], benchmarks).assign(series=trust))
    out = pd.concat(parts, ignore_index=True)
    out["month"] = pd.to_datetime(out["month"] + "-01")
    out = out[out[spec.column].notna()]
    return out[["month", "series", spec.column]].reset_index(drop=True)


def spc_series(
    engine: Engine,
    modality: str,
    period: marts.Period,
    trust: str | None,
    benchmarks: Benchmarks,
) -> spc.SPCResult | None:
    """The weekly rate of the trust (or the system) as an XmR chart; None with no weeks.

    The direction and the target are the benchmark's; stored rebases for the unit and metric
    (unit ``trust:<code>`` or ``system``, metric the benchmark key) split the limits.
    """
    rows = mart_rows(engine, modality, period, trust)
    if rows.empty:
        return None
    spec = metric_spec(modality, benchmarks)
    weekly = summarise(rows, modality, ["week"], benchmarks)
    weekly = weekly[weekly[spec.column].notna() & _whole_weeks(weekly["week"], rows["month"])]
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


def _whole_weeks(weeks: pd.Series, months: pd.Series) -> pd.Series:
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
    minutes = benchmarks["echo_minutes_per_test"].extra.get("scenario_ai_assisted")
    rows = mart_rows(engine, "Echo", period, trust)
    if minutes is None or rows.empty:
        return None
    scenario = diagnostics.echo_minutes_per_test(rows, [], benchmark_minutes=float(minutes))
    return float(minutes), float(scenario["additional_tests"].iloc[0])


def dm01_tests(modality: str) -> tuple[str, ...]:
    """The DM01 test codes a modality's activity serves (CT → CT, Echo → ECHOCARDIOGRAPHY)."""
    if modality == "Endoscopy":
        return ENDOSCOPY_DM01_TESTS
    found = schema.MODALITY_DM01_TEST.get(modality) or schema.MODALITY_DM01_TEST.get(
        modality.lower()
    )
    return (found,) if found else ()


def default_test(modality: str) -> str:
    """The DM01 test the page preselects for a modality (the first it serves)."""
    return (dm01_tests(modality) or tuple(schema.DM01_TESTS))[0]


def waiting_bands(
    engine: Engine, period: marts.Period, test: str, trust: str | None
) -> pd.DataFrame:
    """Patients in each waiting-time band for one test at the trust (or the whole system).

    At the latest month in the period; empty when nobody is recorded as waiting.
    """
    latest = reports.latest_dm01(engine, period)
    latest = latest[latest["test_code"] == test]
    if trust:
        latest = latest[latest["provider_code"] == trust]
    if latest.empty or latest["total_waiting"].sum() == 0:
        return pd.DataFrame(columns=["band", "band_label", "patients", "share", "wait"])
    out = waits.waiting_distribution(latest, [])
    six = out["band"].isin(schema.DM01_BANDS_6_PLUS)
    thirteen = out["band"] == schema.DM01_BANDS[-1]
    out["wait"] = WAITS[0]
    out.loc[six, "wait"] = WAITS[1]
    out.loc[thirteen, "wait"] = WAITS[2]
    return out


def backlog_clearance(
    engine: Engine, modality: str, period: marts.Period, benchmarks: Benchmarks
) -> pd.DataFrame:
    """Weeks to clear the 6-week backlog at benchmark productivity, per trust and for the system.

    SPEC §4 "Opportunity → waits": the trust's additional scans (procedures, tests) at the
    benchmark over the period, spread over the weeks of the period's months, set against the
    number waiting 6+ weeks for the modality's DM01 test(s) at the latest month. The system row
    sums both across trusts.
    """
    columns = ["trust_code", "waiting_6_plus", "additional_per_week", "weeks_to_clear_backlog"]
    tests = dm01_tests(modality)
    latest = reports.latest_dm01(engine, period)
    rows = mart_rows(engine, modality, period)
    if not tests or latest.empty or rows.empty:
        return pd.DataFrame(columns=columns)
    spec = metric_spec(modality, benchmarks)
    extra = summarise(rows, modality, ["trust_code"], benchmarks)
    weeks = sum(pd.Period(m, "M").days_in_month for m in rows["month"].unique()) / DAYS_PER_WEEK
    extra["additional_per_week"] = extra[spec.additional].fillna(0) / weeks
    waiting = (
        waits.dm01_waits(latest[latest["test_code"].isin(tests)], ["provider_code"])
        .rename(columns={"provider_code": "trust_code"})
        .loc[:, ["trust_code", "waiting_6_plus"]]
    )
    out = waiting.merge(extra[["trust_code", "additional_per_week"]], on="trust_code", how="inner")
    system = pd.DataFrame(
        {
            "trust_code": [SYSTEM],
            "waiting_6_plus": [out["waiting_6_plus"].sum()],
            "additional_per_week": [out["additional_per_week"].sum()],
        }
    )
    out = pd.concat([system, out], ignore_index=True)
    out["weeks_to_clear_backlog"] = waits.weeks_to_clear_backlog(
        out["waiting_6_plus"], out["additional_per_week"]
    )
    return out[columns]


KEY_HEADINGS = {"trust_code": "Trust", "trust": "Trust", "site": "Site", "scanner_id": "Scanner"}
# Report column -> (heading, format) for the page's tables.
COLUMN_DISPLAY: dict[str, tuple[str, str]] = {
    "scans": ("Scans", "{:,.0f}"),
    "operational_hours": ("Operational hours", "{:,.0f}"),
    "additional_scans": ("Additional scans", "{:,.0f}"),
    "planned_points": ("Planned points", "{:,.0f}"),
    "used_points": ("Used points", "{:,.0f}"),
    "additional_points": ("Additional points", "{:,.0f}"),
    "additional_procedures": ("Additional procedures", "{:,.0f}"),
    "tests": ("Tests", "{:,.0f}"),
    "scheduled_minutes": ("Scheduled minutes", "{:,.0f}"),
    "capacity_released": ("Capacity released (tests)", "{:,.0f}"),
}
TABLE_COLUMNS: dict[str, tuple[str, ...]] = {
    "scans_per_hour": ("scans", "operational_hours", "additional_scans"),
    "utilisation": ("planned_points", "used_points", "additional_points", "additional_procedures"),
    "minutes_per_test": ("tests", "scheduled_minutes", "capacity_released"),
}


def mark(value: float, meets: object, fmt: str) -> str:
    """✓ or ✗ before the formatted value (never colour alone); – for no value."""
    if pd.isna(value):
        return "–"
    return f"{'✓' if meets else '✗'} {value:{fmt}}"


def _marks(values: pd.Series, meets: pd.Series, fmt: str) -> list[str]:
    return [mark(v, m, fmt) for v, m in zip(values, meets, strict=True)]


def rate_table(frame: pd.DataFrame, spec: MetricSpec, keys: Sequence[str]) -> pd.DataFrame:
    """A readable table of rates: keys, the rate with ✓/✗ against the benchmark, and the sums."""
    sign = "≥" if spec.higher_is_better else "≤"
    heading = f"{spec.short} ({sign}{spec.format(spec.benchmark)})"
    out = frame[list(keys)].rename(columns=KEY_HEADINGS)
    values = frame[spec.column]
    meets = values >= spec.benchmark if spec.higher_is_better else values <= spec.benchmark
    out[heading] = [mark(v, m, spec.fmt) for v, m in zip(values, meets, strict=True)]
    for column in TABLE_COLUMNS[spec.column]:
        if column in frame.columns:
            name, fmt = COLUMN_DISPLAY[column]
            out[name] = frame[column].map(lambda v, f=fmt: "–" if pd.isna(v) else f.format(v))
    return out


def dm01_table(table: pd.DataFrame, benchmarks: Benchmarks) -> pd.DataFrame:
    """DM01 waits with ✓/✗ against the interim ambition, the constitutional standard and 13+."""
    within = benchmarks["dm01_within_6_weeks"]
    constitutional = float(within.extra.get("constitutional", within.value))
    zero = benchmarks.value("dm01_13_plus_weeks")
    within_6, over_13 = table["within_6_weeks"], table["waiting_13_plus"]
    out = pd.DataFrame(
        {
            "Trust": table["provider_code"],
            "Test": table["test_name"].fillna(table["test_code"]),
            "Waiting": table["total_waiting"].map("{:,.0f}".format),
            "Waiting 6+ weeks": table["waiting_6_plus"].map("{:,.0f}".format),
            f"Within 6 weeks (≥{within.value:.0%})": _marks(
                within_6, within_6 >= within.value, ".1%"
            ),
            f"Within 6 weeks (≥{constitutional:.0%})": _marks(
                within_6, within_6 >= constitutional, ".1%"
            ),
            f"13+ weeks (≤{zero:g})": _marks(over_13, over_13 <= zero, ",.0f"),
            "Backlog (weeks)": table["backlog_weeks"].map(
                lambda v: "–" if pd.isna(v) else f"{v:.1f}"
            ),
        }
    )
    # One test's table names the test in its heading; a column of one repeated name is noise.
    return out if table["test_code"].nunique() > 1 else out.drop(columns="Test")


def backlog_table(frame: pd.DataFrame, spec: MetricSpec) -> pd.DataFrame:
    """The weeks-to-clear table in words: ∞ where there is no additional capacity."""

    def weeks(value: float) -> str:
        if pd.isna(value):
            return "–"
        return "no extra capacity at benchmark" if math.isinf(value) else f"{value:,.1f}"

    return pd.DataFrame(
        {
            "Trust": frame["trust_code"],
            "Waiting 6+ weeks": frame["waiting_6_plus"].map("{:,.0f}".format),
            f"{spec.additional_label} a week": frame["additional_per_week"].map("{:,.1f}".format),
            "Weeks to clear the 6-week backlog": frame["weeks_to_clear_backlog"].map(weeks),
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


@dataclass(frozen=True)
class WaitsView:
    """The DM01 section for one test: the month, per-trust waits, all tests, and the bands."""

    month: str | None
    test: str
    per_trust: pd.DataFrame  # the chosen test, every trust, with a ``trust`` label
    all_tests: pd.DataFrame  # every test, at the chosen trust (or every trust)
    bands: pd.DataFrame


def trust_label(codes: pd.Series, chosen: str | None) -> pd.Series:
    """Trust codes, with the chosen trust marked by ▶ (a text cue, not colour)."""
    return codes.where(codes != chosen, "▶ " + codes.astype(str))


def modality_view(
    engine: Engine,
    modality: str,
    period: marts.Period,
    trust: str | None,
    benchmarks: Benchmarks,
) -> ModalityView:
    spec = metric_spec(modality, benchmarks)
    rates = trust_rates(engine, modality, period, benchmarks)
    backlog = backlog_clearance(engine, modality, period, benchmarks)
    return ModalityView(
        spec=spec,
        rates=rates.assign(trust=trust_label(rates["trust_code"], trust)),
        units=unit_rates(engine, modality, period, trust, benchmarks),
        trend=monthly_trend(engine, modality, period, trust, benchmarks),
        spc=spc_series(engine, modality, period, trust, benchmarks),
        rebases=rebases(engine, spc_unit(trust), spec.key),
        ai_scenario=ai_scenario(engine, period, trust, benchmarks) if modality == "Echo" else None,
        backlog=_for_trust(backlog, trust),
    )


def _for_trust(backlog: pd.DataFrame, trust: str | None) -> pd.DataFrame:
    """The chosen trust's row beside the system's; nothing when the trust has no row."""
    if not trust:
        return backlog
    if trust not in set(backlog["trust_code"]):
        return backlog.iloc[0:0]
    return backlog[backlog["trust_code"].isin([trust, SYSTEM])].reset_index(drop=True)


def waits_view(
    engine: Engine, period: marts.Period, test: str, trust: str | None, benchmarks: Benchmarks
) -> WaitsView:
    """DM01 waits per trust and test (``report dm01 --by trust``) at the latest month."""
    latest = reports.latest_dm01(engine, period)
    if latest.empty:
        return WaitsView(None, test, pd.DataFrame(), pd.DataFrame(), pd.DataFrame())
    month = str(latest["month"].iloc[0])
    table = reports.dm01_report(engine, "trust", period, benchmarks)
    table.insert(2, "test_name", table["test_code"].map(schema.DM01_TESTS))
    per_trust = table[table["test_code"] == test].reset_index(drop=True)
    all_tests = table[table["provider_code"] == trust] if trust else table
    return WaitsView(
        month=month,
        test=test,
        per_trust=per_trust.assign(trust=trust_label(per_trust["provider_code"], trust)),
        all_tests=all_tests.reset_index(drop=True),
        bands=waiting_bands(engine, period, test, trust),
    )


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


def band_table(bands: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "Weeks waiting": bands["band_label"],
            "Patients": bands["patients"].map("{:,.0f}".format),
            "Share": bands["share"].map(lambda v: "–" if pd.isna(v) else f"{v:.1%}"),
        }
    )


def benchmark_caption(spec: MetricSpec, benchmarks: Benchmarks) -> str:
    bench = benchmarks[spec.key]
    better = "higher" if spec.higher_is_better else "lower"
    return (
        f"**{bench.label}**: benchmark {spec.format(spec.benchmark)} ({bench.status}; {better} "
        f"is better). Source: {bench.source}."
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
    names = ", ".join(schema.DM01_TESTS[t] for t in dm01_tests(spec.modality)) or "no DM01 test"
    return (
        f"{spec.additional_label} a week over the period, set against the number waiting 6+ weeks "
        f"for {names} at the latest month. A trust that already meets the benchmark has no "
        "extra capacity to offer."
    )
