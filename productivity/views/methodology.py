"""The Methodology page's words: every report column and term of SPEC §4, and the §5 statistics.

>>> from productivity.benchmarks import load_benchmarks
>>> words = {d.column: d for d in definitions(load_benchmarks(override=None))}
>>> words["capped_utilisation"].formula
'Σ capped touch ÷ Σ planned minutes'
>>> "Benchmark 85%" in words["capped_utilisation"].definition
True

The words themselves live in the column catalogue (:mod:`productivity.columns`), one entry per
report column, so ``tests/test_methodology.py`` can check that every column a report prints is
explained. Benchmark values are never written into the text: a ``{key}`` placeholder
(``{theatre_capped_utilisation}``) is filled from the benchmark set in force, so a local override
shows on the page. The SPC constants come from :mod:`productivity.stats.spc`. Pure: no Streamlit,
no store.
"""

from __future__ import annotations

import math
import string
from dataclasses import dataclass

import pandas as pd

from productivity.benchmarks import Benchmark, Benchmarks
from productivity.columns import AREAS, CATALOGUE, COLUMNS, Column, Term
from productivity.export import PATIENT_COUNTS, SUPPRESSION_RULE
from productivity.planning.aid_disclosure import RULE as AID_TOTALS_RULE
from productivity.schema import DM01_BANDS
from productivity.stats import spc

__all__ = [
    "AREAS", "DEFINITIONS", "STATISTICS", "Definition", "benchmark_table", "benchmark_words",
    "definitions", "definitions_table", "documented_columns", "format_benchmark", "notes",
    "placeholders", "small_number_rule",
]  # fmt: skip


@dataclass(frozen=True)
class Definition:
    """One catalogue entry in words: its area, name, report column (if any), meaning, formula."""

    area: str
    name: str
    column: str | None
    definition: str
    formula: str


def _definition(entry: Column | Term) -> Definition:
    column = entry.key if isinstance(entry, Column) else None
    return Definition(entry.area, entry.heading, column, entry.meaning, entry.formula)


# The catalogue's entries, placeholders unfilled, in the page's order.
DEFINITIONS: tuple[Definition, ...] = tuple(_definition(entry) for entry in CATALOGUE)

STATISTICS: tuple[tuple[str, str], ...] = (
    ("SPC (XmR) chart.",
     "Statistical process control as in NHS England's Making Data Count, matching the NHS-R "
     "community's NHSRplotthedots package point for point. The centre line is the mean; the "
     f"process limits are the mean ± {spc.LIMIT_FACTOR} × the mean moving range (the "
     "difference between consecutive points). Moving ranges of "
     f"{spc.SCREEN_FACTOR} × their mean or more are screened out before the limits are "
     "worked out, so one unusual jump does not widen them."),
    ("Special cause.",
     "A point is special cause when it is outside the limits; when it is one of "
     f"{spc.RUN_LENGTH} or more points in a row on the same side of the mean (a point exactly "
     f"on the mean breaks the run); when it is one of {spc.RUN_LENGTH} or more points each "
     "higher (or each lower) than the one before (a tie breaks the trend); or when 2 of 3 "
     "points in a row are close to a limit (beyond two thirds of the way to it) with all 3 on "
     "the same side of the mean. Everything else is common cause: the noise of a stable "
     "process."),
    ("Variation and assurance icons.",
     "Each special-cause point is improvement or concern, according to whether higher or lower "
     "is better for the metric (from the benchmark file). The variation icon of a chart is the "
     "type of its last point. The assurance icon compares the benchmark with the limits: a "
     "process whose limits are all on the right side of the target is consistently passing, "
     "all on the wrong side consistently failing, and otherwise hit and miss. Colour always "
     "comes with a letter or a word."),
    ("Rebasing.",
     "When a process has changed (a new way of working, a new scanner) the limits can be "
     "recalculated from a date, which is stored with its reason and shown to everyone. Each "
     f"period has its own mean and limits; a period of fewer than {spc.MIN_POINTS} points has "
     "trial limits."),
    ("Funnel plots.",
     "For proportions (capped utilisation, % within 6 weeks, endoscopy points used), each "
     "trust's proportion is plotted against its volume. The limits narrow as volume grows: "
     "95% and 99.8% limits around the pooled proportion, by the normal approximation or on "
     "the arcsine scale. An optional overdispersion adjustment (DerSimonian–Laird additive "
     "random effects) widens the limits when trusts differ more than chance allows; the "
     "estimated between-trust variance τ² is shown."),
    ("Outlier or opportunity?",
     "A trust is an outlier only when it is outside the 99.8% funnel limits or its SPC chart "
     "shows special cause: it is statistically unusual. It has an opportunity when it falls "
     "short of the benchmark. A trust can have a large opportunity and be no outlier (every "
     "trust is short), or be an outlier and meet the benchmark. The app keeps the two apart."),
)  # fmt: skip


# Secondary suppression of the mutual-aid totals, which sit beside counts that may be hidden.
TOTALS_RULE = (
    f"On the Mutual aid page, in its downloads and in the board pack's mutual-aid section: "
    f"{AID_TOTALS_RULE}"
)


def small_number_rule() -> str:
    """The small-number rule in words (:data:`productivity.export.SUPPRESSION_RULE`) and the
    columns it applies to, by heading: the same rule the tables, CSVs and board pack apply.

    >>> "Waiting 13+ weeks" in small_number_rule() and "Completed cases" not in small_number_rule()
    True
    """
    named = sorted(
        {COLUMNS[key].heading for key in PATIENT_COUNTS if key in COLUMNS and not
         COLUMNS[key].alias_of}
    )  # fmt: skip
    others = {"patients": "patients in a DM01 waiting-time band",
              "patients_per_week": "patients a week proposed for mutual aid"}  # fmt: skip
    extra = [w for key, w in others.items() if key in PATIENT_COUNTS and key not in COLUMNS]
    bands = ["each DM01 waiting-time band"] if set(DM01_BANDS) <= PATIENT_COUNTS else []
    return (
        f"{SUPPRESSION_RULE} The patient counts: {', '.join([*named, *bands, *extra])}. "
        f"{TOTALS_RULE}"
    )


def format_benchmark(value: float, unit: str) -> str:
    """A benchmark value in words: fractions as %, counts and rates with their unit."""
    if math.isnan(value):  # a measure with no target (dna_rate)
        return "no target"
    if unit == "fraction":
        return f"{value:.0%}" if round(value * 100, 6).is_integer() else f"{value:.1%}"
    if unit == "minutes":
        return f"{value:g} minutes"
    if unit == "scans/hour":
        return f"{value:g} scans an hour"
    return f"{value:g}" if unit == "patients" else f"{value:g} {unit}"


def benchmark_words(benchmarks: Benchmarks) -> dict[str, str]:
    """Each benchmark key (and ``constitutional``) → its value in words, for the placeholders."""
    words = {b.key: format_benchmark(b.value, b.unit) for b in benchmarks}
    constitutional = benchmarks.constitutional_within_6_weeks()
    words["constitutional"] = format_benchmark(constitutional.value, constitutional.unit)
    return words


def placeholders(text: str) -> set[str]:
    """The ``{name}`` placeholders in a text."""
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def definitions(benchmarks: Benchmarks) -> list[Definition]:
    """The definitions with every ``{key}`` filled from the benchmark set in force."""
    words = benchmark_words(benchmarks)
    return [
        Definition(
            d.area,
            d.name,
            d.column,
            d.definition.format_map(words),
            d.formula.format_map(words),
        )
        for d in DEFINITIONS
    ]


def definitions_table(benchmarks: Benchmarks) -> pd.DataFrame:
    """The definitions as a table: area, metric, report column, in plain words, formula."""
    return pd.DataFrame(
        [
            {
                "Area": d.area,
                "Metric": d.name,
                "Report column": d.column or "–",
                "In plain words": d.definition,
                "Formula": d.formula,
            }
            for d in definitions(benchmarks)
        ]
    )


def documented_columns() -> set[str]:
    return {d.column for d in DEFINITIONS if d.column}


def notes(benchmark: Benchmark) -> str:
    """A benchmark's extra fields in words (notes, the constitutional standard, scenarios)."""
    parts: list[str] = []
    for name, value in benchmark.extra.items():
        if name == "notes":
            parts.insert(0, str(value))
        elif name == "days":  # a turnaround target: within N calendar or working days
            kind = benchmark.extra.get("day_kind", "calendar")
            parts.append(f"within {value} {kind} days")
        elif name == "day_kind":
            continue
        elif isinstance(value, dict):
            table = ", ".join(f"{k} {v:g}" for k, v in value.items())
            parts.append(f"{name.replace('_', ' ')}: {table}")
        elif isinstance(value, int | float):
            shown = format_benchmark(float(value), benchmark.unit)
            parts.append(f"{name.replace('_', ' ')}: {shown}")
        else:
            parts.append(f"{name.replace('_', ' ')}: {value}")
    return "; ".join(parts)


def benchmark_table(benchmarks: Benchmarks) -> pd.DataFrame:
    """``Benchmarks.table()`` for display: an overridden value is marked ✎ with the national one.

    Columns: key, label, value, unit, direction, status, effective date, source, and (when any
    value is overridden) the national value beside it.
    """
    table = benchmarks.table()
    shown = pd.DataFrame(
        {
            "Key": table["key"],
            "Label": table["label"],
            "Value": [
                ("✎ " if over else "") + format_benchmark(value, unit)
                for value, unit, over in zip(
                    table["value"], table["unit"], table["overridden"], strict=True
                )
            ],
            "Unit": table["unit"],
            "Direction": table["direction"].map(lambda d: f"{d} is better"),
            "Status": table["status"],
            "Effective date": table["effective"],
            "Source": table["source"],
            "Notes": [notes(benchmarks[key]) for key in table["key"]],
        }
    )
    if table["overridden"].any():
        shown.insert(
            3,
            "National value",
            [
                format_benchmark(national, unit) if over else ""
                for national, unit, over in zip(
                    table["national_value"], table["unit"], table["overridden"], strict=True
                )
            ],
        )
    return shown
