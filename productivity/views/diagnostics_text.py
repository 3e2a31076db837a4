"""The Diagnostics page in words: its tables, captions and notes, on either benchmark basis.

Headings, formats and ✓/✗ come from the column catalogue; every number from
:mod:`productivity.views.diagnostics`. A scan rate on the ``peer`` basis is judged against each
trust's own rate (``benchmark_scans_per_hour``, a column of each imaging table), and every
caption names the basis. No Streamlit import.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypedDict

import numpy as np
import pandas as pd

from productivity.benchmarks import BENCHMARK_BASES, Benchmarks
from productivity.charts import ASSURANCE_TEXT, VARIATION_TEXT
from productivity.columns import COLUMNS
from productivity.formats import MEETS, MISSES, MISSING, judgements
from productivity.schema import DM01_TESTS
from productivity.stats import spc
from productivity.views.clearance import NATIONAL, clearance_words
from productivity.views.diagnostics import MetricSpec

KEY_HEADINGS = {"trust_code": "Trust", "trust": "Trust", "site": "Site", "scanner_id": "Scanner"}
# The sums a rate table shows beside each productivity column.
TABLE_COLUMNS: dict[str, tuple[str, ...]] = {
    "scans_per_hour": ("scans", "operational_hours", "additional_scans"),
    "utilisation": ("planned_points", "used_points", "additional_points", "additional_procedures"),
    "minutes_per_test": ("tests", "scheduled_minutes", "capacity_released"),
}


RATE = "benchmark_scans_per_hour"  # the rate each trust (group) is held to


def rate_table(
    frame: pd.DataFrame, spec: MetricSpec, keys: Sequence[str], basis: str = NATIONAL
) -> pd.DataFrame:
    """A table of rates that keeps its numbers numeric (so each column sorts as numbers): the
    keys, the rate under its catalogue key, its ✓/✗ in a ``<key>_meets`` column of its own, and
    the sums, all headed and formatted from the column catalogue by ``ui.show_table``.

    A scan rate is judged against the rate each row is held to (its ``benchmark_scans_per_hour``,
    shown beside it): the national one, or on the ``peer`` basis the trust's peer-group rate.
    """
    out = frame[list(keys)].rename(columns=KEY_HEADINGS)
    if "rank" in frame.columns:
        out.insert(0, "rank", frame["rank"])
    values = frame[spec.column].astype("float64")
    out[spec.column] = values
    if RATE in frame.columns:
        rates = frame[RATE].astype("float64")
        # Scan rates: higher is better, against each row's own rate.
        meets = pd.Series(np.where(values >= rates, MEETS, MISSES), index=frame.index)
        out[f"{spec.column}_meets"] = meets.where(values.notna() & rates.notna(), MISSING)
        out[RATE] = rates
    else:
        out[f"{spec.column}_meets"] = judgements(values, spec.bench)
    for key in TABLE_COLUMNS[spec.column]:
        if key in frame.columns:
            out[key] = frame[key]
    return out


def backlog_table(frame: pd.DataFrame, benchmarks: Benchmarks) -> pd.DataFrame:
    """The weeks-to-clear table: numbers stay numbers (headed and formatted from the column
    catalogue by ``ui.show_table``); a week count only where it is finite, the reason in words."""
    weeks = frame["weeks_to_clear_backlog"].astype(float)
    return pd.DataFrame(
        {
            "Trust": frame["trust_code"],
            "waiting_6_plus": frame["waiting_6_plus"],
            "within_6_weeks": frame["within_6_weeks"],
            **({RATE: frame[RATE]} if RATE in frame.columns else {}),
            "additional_per_week": frame["additional_per_week"],
            "weeks_to_clear_backlog": weeks.where(np.isfinite(weeks)),
            "clearance": clearance_words(frame["clearance"], benchmarks),
        }
    )


def trend_table(trend: pd.DataFrame, spec: MetricSpec) -> pd.DataFrame:
    """The monthly trend as a month × series table of formatted values, with the benchmark rate
    each series is held to that month (imaging: ``<series> benchmark``)."""
    months = trend.assign(Month=trend["month"].dt.strftime("%Y-%m"))
    wide = months.pivot(index="Month", columns="series", values=spec.column).map(spec.format)
    if RATE in trend.columns:
        rates = months.pivot(index="Month", columns="series", values=RATE)
        rates = rates.map(COLUMNS[RATE].format).add_suffix(" benchmark")
        wide = wide.join(rates)
    return wide.reset_index().rename_axis(columns=None)


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


def ranking_words(spec: MetricSpec, basis: str) -> str:
    """What the trusts' table is ranked by, on which basis (SPEC §4: say which ranking)."""
    on = BENCHMARK_BASES[basis] if spec.modality.imaging else "the national benchmark"
    return (
        f"The table ranks trusts by {spec.modality.additional_label.lower()} (an absolute count, "
        f"biggest first) on {on}; the chart orders them by the rate, best first."
    )


class OwnRateArgs(TypedDict, total=False):
    """:func:`own_rate_args`, typed so that a chart call can unpack it."""

    per_unit: str
    per_unit_label: str


def own_rate_args(spec: MetricSpec, basis: str) -> OwnRateArgs:
    """Keyword arguments of the trusts' and units' charts that mark each trust's own rate (the
    peer basis of a scan rate); none on the national basis, where one line is every trust's."""
    if basis == NATIONAL or not spec.modality.imaging:
        return {}
    return {"per_unit": RATE, "per_unit_label": "own peer-group rate"}


def basis_words(spec: MetricSpec, basis: str) -> str:
    """Which benchmark basis is in use, in words: every caption on the page says it."""
    national = spec.format(spec.benchmark)
    if not spec.modality.imaging:
        return (
            f"Benchmark: the national {national} for every trust (the benchmark basis applies "
            "to scan rates; the benchmark file sets no peer-group value here)."
        )
    if basis == NATIONAL:
        return f"Benchmark: {BENCHMARK_BASES[basis]}, {national} for every trust."
    own = spec.bench.peer_text() or "none set"
    return (
        f"Benchmark: {BENCHMARK_BASES[basis]} (peer groups' own values: {own}; every other "
        f"trust the national {national}); the rate each trust is held to is in the table."
    )


def line_words(spec: MetricSpec, basis: str, line: float, where: str) -> str:
    """The caption of a trend or SPC chart: the one benchmark line it is drawn against."""
    if basis == NATIONAL or not spec.modality.imaging:
        return f"{basis_words(spec, basis)} The line is {spec.format(line)}."
    return (
        f"{basis_words(spec, basis)} The line is the rate {where} is held to on this basis, "
        f"{spec.format(line)} (a system's is its trusts' rates weighted by their hours)."
    )


def benchmark_caption(spec: MetricSpec, basis: str = NATIONAL) -> str:
    better = "higher" if spec.higher_is_better else "lower"
    return (
        f"**{spec.bench.label}**: benchmark {spec.format(spec.benchmark)} ({spec.bench.status}; "
        f"{better} is better). Source: {spec.bench.source}. {basis_words(spec, basis)}"
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


def backlog_caption(spec: MetricSpec, basis: str = NATIONAL) -> str:
    names = ", ".join(DM01_TESTS[t] for t in spec.modality.dm01_tests) or "no DM01 test"
    return (
        f"{basis_words(spec, basis)} "
        f"{spec.modality.additional_label} a week over the period (its total ÷ the weeks of its "
        f"months), set against the number waiting 6+ weeks for {names} at the latest month. "
        "A trust that already meets the benchmark has no extra capacity to offer: it either meets "
        "the interim ambition already, or never clears its backlog at this rate."
    )
