"""The Methodology page's words: every SPEC §4 metric and the §5 statistics, as data.

Example::

    for d in definitions(load_benchmarks()):
        print(d.name, d.column, d.definition, d.formula)

Each metric is a :class:`Definition` named after its report column (``capped_utilisation``,
``backlog_weeks``), so ``tests/test_methodology.py`` can check that every column a report prints
is explained here. Benchmark values are never written into the text: a ``{key}`` placeholder
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
from productivity.stats import spc


@dataclass(frozen=True)
class Definition:
    """One metric in plain words: its area, name, report column (if any), meaning and formula."""

    area: str
    name: str
    column: str | None
    definition: str
    formula: str


AREAS = ("Theatres", "Theatre opportunity", "Diagnostics", "DM01 waits", "Ranking")
_TH, _OP, _DX, _WT, _RK = AREAS

DEFINITIONS: tuple[Definition, ...] = (
    # Theatres, per list (session)
    Definition(_TH, "Lists", "lists",
               "Theatre lists (sessions) in scope, including unused sessions.",
               "count of lists"),
    Definition(_TH, "Planned minutes", "planned_minutes",
               "The planned length of each list, added up.",
               "Σ (planned_end − planned_start)"),
    Definition(_TH, "Touch interval", None,
               "The time a case occupies the theatre team, from the start of anaesthesia until "
               "the patient leaves theatre. Where the anaesthetic start is missing, the time the "
               "patient went into theatre is used and the case is counted in the data-quality "
               "report.",
               "[anaesthetic_start, out_of_theatre]"),
    Definition(_TH, "Uncapped touch time", "uncapped_touch_minutes",
               "The length of the union of a list's touch intervals, so that cases anaesthetised "
               "in parallel are not counted twice. Not clipped to the planned session.",
               "Σ over lists of |∪ touch intervals|"),
    Definition(_TH, "Capped touch time", "capped_touch_minutes",
               "The union of a list's touch intervals clipped to the planned session: time "
               "before the planned start or after the planned end does not count.",
               "Σ over lists of |∪ touch intervals ∩ [planned_start, planned_end]|"),
    Definition(_TH, "Capped utilisation", "capped_utilisation",
               "The share of planned time used for patient care inside the session; never above "
               "100%. Benchmark {theatre_capped_utilisation}. Every aggregate is a ratio of sums, "
               "never a mean of list ratios.",
               "Σ capped touch ÷ Σ planned minutes"),
    Definition(_TH, "Uncapped utilisation", "uncapped_utilisation",
               "As capped utilisation, but counting time outside the session too, so it can "
               "exceed 100%. The original ambition ({theatre_uncapped_utilisation}) was set on "
               "this measure; both are shown.",
               "Σ uncapped touch ÷ Σ planned minutes"),
    Definition(_TH, "Late start", "mean_late_start_minutes",
               "How long after the planned start the first anaesthetic began (0 if on time), "
               "averaged over lists with at least one completed case.",
               "mean of max(0, first anaesthetic_start − planned_start)"),
    Definition(_TH, "Late-start share", "late_start_share",
               "Lists that start more than {late_start_minutes} late, out of lists with at least "
               "one completed case. Also banded as more than 10, more than 15 and 30 minutes or "
               "more.",
               "lists with late start > {late_start_minutes} ÷ lists with a completed case"),
    Definition(_TH, "Early finish", "early_finish_share",
               "Lists whose last patient left theatre more than {early_finish_minutes} before the "
               "planned end, out of lists with at least one completed case; banded as late "
               "starts.",
               "early finish = max(0, planned_end − last out_of_theatre)"),
    Definition(_TH, "Overrun", None,
               "A list overruns when its last patient leaves theatre more than "
               "{overrun_minutes} after the planned end.",
               "max(0, last out_of_theatre − planned_end) > {overrun_minutes}"),
    Definition(_TH, "Unused session", None,
               "A list on which no case was completed (as the NHS Data Dictionary counts a "
               "session with no operation as cancelled). Its planned minutes count in utilisation "
               "at 0 touch time; it is left out of late start, early finish, overrun and gap "
               "figures, and shown as its own bar in the lost-time breakdown.",
               "completed cases on the list = 0"),
    Definition(_TH, "Gap (changeover)", "median_gap_minutes",
               "Within a list, with cases in order of anaesthetic start, the time from one "
               "patient leaving theatre to the next anaesthetic starting. A negative gap "
               "(parallel induction) counts as 0. The median over all gaps in scope.",
               "median of max(0, next anaesthetic_start − previous out_of_theatre)"),
    Definition(_TH, "Completed cases", "completed_cases",
               "Cases that ran (not cancelled).",
               "count of cases not cancelled"),
    Definition(_TH, "Cases per list", "cases_per_list",
               "Completed cases per list.",
               "completed cases ÷ lists"),
    Definition(_TH, "On-the-day cancellation rate", "otd_cancellation_rate",
               "Scheduled cases cancelled on the day for non-clinical reasons. Benchmark at most "
               "{otd_cancellation_rate}.",
               "non-clinical cancellations ÷ scheduled cases"),
    # Theatre opportunity
    Definition(_OP, "Gap minutes", None,
               "Planned minutes a list falls short of the target utilisation "
               "{theatre_capped_utilisation}.",
               "max(0, target × planned − capped touch)"),
    Definition(_OP, "Mean case minutes", None,
               "The mean touch time of a completed case, for the same trust and specialty over "
               "the period. A list whose trust and specialty completed no case gets no "
               "opportunity figure and is counted in the data-quality report.",
               "Σ case touch minutes ÷ completed cases (per trust × specialty)"),
    Definition(_OP, "Pooled additional cases", "pooled_additional_cases",
               "The Model Health-style figure: all the minutes short of the target, pooled "
               "within each trust and specialty, divided by the mean case length, then summed to "
               "the level shown.",
               "max(0, target × Σ planned − Σ capped) ÷ mean case minutes"),
    Definition(_OP, "Realisable additional cases", "realisable_additional_cases",
               "The headline: only whole cases that fit inside one list. Pooling minutes "
               "scattered over many lists overstates what can be booked, so both are shown.",
               "Σ over lists of floor(gap minutes ÷ mean case minutes)"),
    Definition(_OP, "Pooled additional cases as a share", "pooled_share_of_cases",
               "Pooled additional cases as a share of current completed cases.",
               "pooled additional cases ÷ completed cases"),
    Definition(_OP, "Realisable additional cases as a share", "realisable_share_of_cases",
               "Realisable additional cases as a share of current completed cases.",
               "realisable additional cases ÷ completed cases"),
    # Diagnostics
    Definition(_DX, "Scans", "scans", "Imaging examinations done.", "Σ scans"),
    Definition(_DX, "Operational hours", "operational_hours",
               "Hours each scanner was staffed and available to scan.",
               "Σ operational hours"),
    Definition(_DX, "Scans per hour", "scans_per_hour",
               "Imaging throughput, per scanner and then per modality and trust. Benchmarks: CT "
               "{ct_scans_per_hour}, MRI {mri_scans_per_hour}, non-obstetric ultrasound "
               "{nous_scans_per_hour}.",
               "Σ scans ÷ Σ operational hours"),
    Definition(_DX, "Benchmark scans per hour", "benchmark_scans_per_hour",
               "The benchmark rate of the group's modality (hours-weighted when a group spans "
               "modalities).",
               "Σ (benchmark rate × hours) ÷ Σ hours"),
    Definition(_DX, "Additional scans", "additional_scans",
               "Scans the same hours would hold at the benchmark rate; a fast scanner offsets a "
               "slow one of the same modality, never of another.",
               "max(0, benchmark × Σ hours − Σ scans)"),
    Definition(_DX, "Planned points", "planned_points",
               "Endoscopy list capacity in points, from the benchmark file's point table (points "
               "per list and per procedure type; see the benchmarks below).",
               "Σ planned points"),
    Definition(_DX, "Used points", "used_points", "Points of the procedures done.",
               "Σ used points"),
    Definition(_DX, "Procedures", "procedures", "Endoscopy procedures done.", "Σ procedures"),
    Definition(_DX, "Endoscopy utilisation", "utilisation",
               "The share of planned endoscopy points used. Benchmark "
               "{endoscopy_list_utilisation}.",
               "Σ used points ÷ Σ planned points"),
    Definition(_DX, "Benchmark utilisation", "benchmark_utilisation",
               "The endoscopy benchmark, {endoscopy_list_utilisation}.",
               "endoscopy_list_utilisation"),
    Definition(_DX, "Additional points", "additional_points",
               "Points the planned lists would use at the benchmark.",
               "max(0, benchmark × Σ planned − Σ used)"),
    Definition(_DX, "Points per procedure", "points_per_procedure",
               "The mean points of a procedure done.",
               "Σ used points ÷ Σ procedures"),
    Definition(_DX, "Additional procedures", "additional_procedures",
               "Additional points shown as procedures at the mean points per procedure.",
               "additional points ÷ points per procedure"),
    Definition(_DX, "Tests", "tests", "Echocardiograms done.", "Σ tests"),
    Definition(_DX, "Scheduled minutes", "scheduled_minutes",
               "Echo slot time booked.", "Σ scheduled minutes"),
    Definition(_DX, "Echo minutes per test", "minutes_per_test",
               "Scheduled minutes per echocardiogram; lower is better. Benchmark "
               "{echo_minutes_per_test} (a routine transthoracic echo slot).",
               "Σ scheduled minutes ÷ Σ tests"),
    Definition(_DX, "Benchmark minutes per test", "benchmark_minutes_per_test",
               "The echo benchmark slot length, {echo_minutes_per_test}.",
               "echo_minutes_per_test"),
    Definition(_DX, "Capacity released", "capacity_released",
               "Extra tests the same minutes would hold at the benchmark slot length; negative "
               "when already faster than the benchmark. The page also shows the AI-assisted "
               "scenario slot length from the benchmark file.",
               "Σ scheduled minutes ÷ benchmark minutes − Σ tests"),
    Definition(_DX, "Additional tests", "additional_tests",
               "Capacity released, where it is positive.",
               "max(0, capacity released)"),
    # DM01 waits
    Definition(_WT, "Total waiting", "total_waiting",
               "Patients on the diagnostic waiting list at the month end (DM01 Total WL). A "
               "waiting list is a snapshot: pages use the latest month in the period.",
               "Σ of the 14 waiting-time bands"),
    Definition(_WT, "Waiting 6+ weeks", "waiting_6_plus",
               "Patients waiting 6 weeks or more.",
               "Σ of the bands 06 < 07 Weeks … 13+ Weeks"),
    Definition(_WT, "Waiting 13+ weeks", "waiting_13_plus",
               "Patients waiting 13 weeks or more. Benchmark {dm01_13_plus_weeks}.",
               "the 13+ Weeks band"),
    Definition(_WT, "% within 6 weeks", "within_6_weeks",
               "The share of the waiting list waiting under 6 weeks. Interim ambition "
               "{dm01_within_6_weeks}; the constitutional standard is {constitutional}.",
               "(Total WL − waiting 6+) ÷ Total WL"),
    Definition(_WT, "Meets the interim ambition", "meets_within_6_weeks_target",
               "Whether % within 6 weeks reaches {dm01_within_6_weeks}.",
               "within_6_weeks ≥ {dm01_within_6_weeks}"),
    Definition(_WT, "Meets the constitutional standard", "meets_constitutional_target",
               "Whether % within 6 weeks reaches {constitutional}.",
               "within_6_weeks ≥ {constitutional}"),
    Definition(_WT, "Meets the 13-week standard", "meets_13_plus_target",
               "Whether the number waiting 13+ weeks is at most {dm01_13_plus_weeks}.",
               "waiting_13_plus ≤ {dm01_13_plus_weeks}"),
    Definition(_WT, "Total activity", "total_activity",
               "Tests done in the month: waiting-list, planned and unscheduled.",
               "waiting list + planned + unscheduled activity"),
    Definition(_WT, "Weekly activity", "weekly_activity",
               "The month's activity spread evenly over its days, as tests a week.",
               "total activity × 7 ÷ days in the month"),
    Definition(_WT, "Backlog (weeks)", "backlog_weeks",
               "How many weeks of current activity the 6-week backlog represents.",
               "waiting 6+ weeks ÷ weekly activity"),
    Definition(_WT, "Weeks to clear the 6-week backlog", "weeks_to_clear_backlog",
               "Opportunity set against waits: the additional scans or tests a week a trust "
               "would do at benchmark productivity, against the number waiting 6+ weeks for "
               "that test at that trust. 0 when nobody waits 6+ weeks; no figure when there is "
               "no additional capacity.",
               "waiting 6+ weeks ÷ additional scans (tests) a week at benchmark"),
    # Ranking
    Definition(_RK, "Opportunity", "opportunity",
               "Realisable additional theatre cases plus additional scans, over the period.",
               "realisable additional cases + additional scans"),
    Definition(_RK, "Opportunity as % of activity", "opportunity_share",
               "The opportunity as a share of current activity (completed cases plus scans).",
               "opportunity ÷ (completed cases + scans)"),
    Definition(_RK, "Rank", "rank",
               "Trusts ranked by realisable opportunity, as an absolute count or as a % of "
               "current activity; tables and charts say which ranking is in use.",
               "1 = the biggest opportunity"),
)  # fmt: skip

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
    within = benchmarks["dm01_within_6_weeks"]
    constitutional = within.extra.get("constitutional")
    words["constitutional"] = (
        format_benchmark(float(constitutional), within.unit) if constitutional else "not set"
    )
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
    parts = []
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
