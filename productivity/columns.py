"""One column catalogue: every report column's heading, format, benchmark and meaning, once.

>>> column = COLUMNS["capped_utilisation"]
>>> column.short, column.fmt, column.benchmark
('Capped util.', '.1%', 'theatre_capped_utilisation')

A report column (``capped_utilisation``, ``backlog_weeks``) is a :class:`Column`: its key (the
column's name in every report and CSV), a heading in words and a short one for narrow tables
and axes, the unit and display format of a value, the benchmark it is judged against (which
also says whether higher or lower is better) and its meaning in plain words with a formula. The
Methodology page, ``ui.show_table``, the Overview scorecard and the board pack all read it, so
a heading cannot drift between them. A :class:`Term` is a defined idea with no column of its own
(the touch interval). Meanings name benchmarks by ``{benchmark_key}`` placeholders, never by
value: :mod:`productivity.views.methodology` fills them from the benchmark set in force.
Values are shown and judged by :mod:`productivity.formats`. Pure: pandas and
:mod:`productivity.benchmarks`; no Streamlit, no store.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from productivity.benchmarks import Benchmark, Benchmarks
from productivity.formats import against, format_value


@dataclass(frozen=True)
class Unit:
    """What a value counts, and the Python format spec it is shown with."""

    name: str
    fmt: str


FRACTION = Unit("fraction", ".1%")
COUNT = Unit("count", ",.0f")
POINTS = Unit("points", ",.0f")
MINUTES = Unit("minutes", ",.0f")
MINUTES_EACH = Unit("minutes", ".1f")  # a mean or a rate: minutes per list, per test
HOURS = Unit("hours", ",.0f")
SCAN_RATE = Unit("scans/hour", ".2f")
RATIO = Unit("ratio", ".2f")
PER_WEEK = Unit("per week", ",.1f")
WEEKS = Unit("weeks", ".1f")
FLAG = Unit("flag", "")  # True/False: the reports' meets_* columns
RANK = Unit("rank", "d")
DAYS = Unit("days", ".1f")
WHOLE_DAYS = Unit("days", ",.0f")
KM = Unit("km", ",.1f")
LABEL = Unit("label", "")  # a key in words (a measure, a day kind, a quintile)
PERCENTAGE_POINTS = Unit("percentage points", ".1f")  # a difference of two percentages


@dataclass(frozen=True)
class Column:
    """One report column. ``better`` is for a column with no benchmark (whose file says it)."""

    key: str  # the column's name in reports, marts and CSV downloads
    heading: str  # in words: the Methodology page and wide tables
    short: str  # narrow tables, the scorecard, axis titles
    area: str  # the Methodology page's tab
    unit: Unit
    meaning: str  # plain words, with {benchmark_key} placeholders
    formula: str
    benchmark: str | None = None  # the benchmark key it is judged against
    better: str | None = None  # "higher" or "lower" is better, when there is no benchmark
    alias_of: str | None = None  # the column this one is defined as (a scorecard name)

    @property
    def fmt(self) -> str:
        return self.unit.fmt

    def direction(self, benchmarks: Benchmarks) -> str | None:
        """Which way is better: the benchmark's direction, or ``better`` without one."""
        return benchmarks[self.benchmark].direction if self.benchmark else self.better

    def format(self, value: object) -> str:
        return format_value(value, self.fmt)

    def judged_by(self, benchmarks: Benchmarks) -> Benchmark:
        """The benchmark in force for this column.

        Raises:
            KeyError: the column has no benchmark.
        """
        if self.benchmark is None:
            raise KeyError(f"{self.key} has no benchmark")
        return benchmarks[self.benchmark]

    def heading_against(self, benchmarks: Benchmarks) -> str:
        """The short heading with its benchmark, e.g. ``Capped util. (≥85%)``."""
        return against(self.short, self.judged_by(benchmarks))


@dataclass(frozen=True)
class Term:
    """A defined idea that has no report column of its own (the touch interval, an overrun)."""

    heading: str
    area: str
    meaning: str
    formula: str


AREAS = (
    "Theatres", "Theatre opportunity", "Diagnostics", "DM01 waits", "Turnaround and attendance",
    "Ranking",
)  # fmt: skip
_TH, _OP, _DX, _WT, _TA, _RK = AREAS

# The order is the Methodology page's. A meaning says what the number is; a formula how.
CATALOGUE: tuple[Column | Term, ...] = (
    # Theatres
    Column("lists", "Lists", "Lists", _TH, COUNT,
           "Theatre lists (sessions) in scope, including unused sessions.", "count of lists"),
    Column("planned_minutes", "Planned minutes", "Planned minutes", _TH, MINUTES,
           "The planned length of each list, added up.", "Σ (planned_end − planned_start)"),
    Term("Touch interval", _TH,
         "The time a case occupies the theatre team, from the start of anaesthesia until the "
         "patient leaves theatre. Where the anaesthetic start is missing, the time the patient "
         "went into theatre is used and the case is counted in the data-quality report.",
         "[anaesthetic_start, out_of_theatre]"),
    Column("uncapped_touch_minutes", "Uncapped touch time", "Uncapped touch minutes", _TH, MINUTES,
           "The length of the union of a list's touch intervals, so that cases anaesthetised in "
           "parallel are not counted twice. Not clipped to the planned session.",
           "Σ over lists of |∪ touch intervals|"),
    Column("capped_touch_minutes", "Capped touch time", "Capped touch minutes", _TH, MINUTES,
           "The union of a list's touch intervals clipped to the planned session: time before the"
           " planned start or after the planned end does not count.",
           "Σ over lists of |∪ touch intervals ∩ [planned_start, planned_end]|"),
    Column("capped_utilisation", "Capped utilisation", "Capped util.", _TH, FRACTION,
           "The share of planned time used for patient care inside the session; never above 100%."
           " Benchmark {theatre_capped_utilisation}. Every aggregate is a ratio of sums, never a "
           "mean of list ratios.",
           "Σ capped touch ÷ Σ planned minutes", benchmark="theatre_capped_utilisation"),
    Column("uncapped_utilisation", "Uncapped utilisation", "Uncapped util.", _TH, FRACTION,
           "As capped utilisation, but counting time outside the session too, so it can exceed "
           "100%. The original ambition ({theatre_uncapped_utilisation}) was set on this measure;"
           " both are shown.",
           "Σ uncapped touch ÷ Σ planned minutes", benchmark="theatre_uncapped_utilisation"),
    Column("mean_late_start_minutes", "Late start", "Late start (min)", _TH, MINUTES_EACH,
           "How long after the planned start the first anaesthetic began (0 if on time), averaged"
           " over lists with at least one completed case.",
           "mean of max(0, first anaesthetic_start − planned_start)", better="lower"),
    Column("late_start_share", "Late-start share", "Late starts", _TH, FRACTION,
           "Lists that start more than {late_start_minutes} late, out of lists with at least one "
           "completed case. Also banded as more than 10, more than 15 and 30 minutes or more.",
           "lists with late start > {late_start_minutes} ÷ lists with a completed case",
           better="lower"),
    Column("early_finish_share", "Early finish", "Early finishes", _TH, FRACTION,
           "Lists whose last patient left theatre more than {early_finish_minutes} before the "
           "planned end, out of lists with at least one completed case; banded as late starts.",
           "early finish = max(0, planned_end − last out_of_theatre)", better="lower"),
    Term("Overrun", _TH,
         "A list overruns when its last patient leaves theatre more than {overrun_minutes} after "
         "the planned end.", "max(0, last out_of_theatre − planned_end) > {overrun_minutes}"),
    Term("Unused session", _TH,
         "A list on which no case was completed (as the NHS Data Dictionary counts a session with"
         " no operation as cancelled). Its planned minutes count in utilisation at 0 touch time; "
         "it is left out of late start, early finish, overrun and gap figures, and shown as its "
         "own bar in the lost-time breakdown.", "completed cases on the list = 0"),
    Column("median_gap_minutes", "Gap (changeover)", "Median gap (min)", _TH, MINUTES,
           "Within a list, with cases in order of anaesthetic start, the time from one patient "
           "leaving theatre to the next anaesthetic starting. A negative gap (parallel induction)"
           " counts as 0. The median over all gaps in scope.",
           "median of max(0, next anaesthetic_start − previous out_of_theatre)", better="lower"),
    Column("completed_cases", "Completed cases", "Completed cases", _TH, COUNT,
           "Cases that ran (not cancelled).", "count of cases not cancelled"),
    Column("cases_per_list", "Cases per list", "Cases per list", _TH, RATIO,
           "Completed cases per list.", "completed cases ÷ lists"),
    Column("otd_cancellation_rate", "On-the-day cancellation rate", "On-the-day cancellations",
           _TH, FRACTION,
           "Scheduled cases cancelled on the day for non-clinical reasons. Benchmark at most "
           "{otd_cancellation_rate}.",
           "non-clinical cancellations ÷ scheduled cases", benchmark="otd_cancellation_rate"),
    # Theatre opportunity
    Term("Gap minutes", _OP,
         "Planned minutes a list falls short of the target utilisation "
         "{theatre_capped_utilisation}.", "max(0, target × planned − capped touch)"),
    Term("Mean case minutes", _OP,
         "The mean touch time of a completed case, for the same trust and specialty over the "
         "period. A list whose trust and specialty completed no case gets no opportunity figure "
         "and is counted in the data-quality report.",
         "Σ case touch minutes ÷ completed cases (per trust × specialty)"),
    Column("pooled_additional_cases", "Pooled additional cases", "Cases (pooled)", _OP, COUNT,
           "The Model Health-style figure: all the minutes short of the target, pooled within "
           "each trust and specialty, divided by the mean case length, then summed to the level "
           "shown.", "max(0, target × Σ planned − Σ capped) ÷ mean case minutes"),
    Column("realisable_additional_cases", "Realisable additional cases", "Cases (realisable)",
           _OP, COUNT,
           "The headline: only whole cases that fit inside one list. Pooling minutes scattered "
           "over many lists overstates what can be booked, so both are shown.",
           "Σ over lists of floor(gap minutes ÷ mean case minutes)"),
    Column("pooled_share_of_cases", "Pooled additional cases as a share", "Pooled (% of cases)",
           _OP, FRACTION, "Pooled additional cases as a share of current completed cases.",
           "pooled additional cases ÷ completed cases"),
    Column("realisable_share_of_cases", "Realisable additional cases as a share",
           "Realisable (% of cases)", _OP, FRACTION,
           "Realisable additional cases as a share of current completed cases.",
           "realisable additional cases ÷ completed cases"),
    # Diagnostics
    Column("scans", "Scans", "Scans", _DX, COUNT,
           "Imaging examinations done.", "Σ scans"),
    Column("operational_hours", "Operational hours", "Operational hours", _DX, HOURS,
           "Hours each scanner was staffed and available to scan.", "Σ operational hours"),
    Column("scans_per_hour", "Scans per hour", "Scans/hr", _DX, SCAN_RATE,
           "Imaging throughput, per scanner and then per modality and trust. Benchmarks: CT "
           "{ct_scans_per_hour}, MRI {mri_scans_per_hour}, non-obstetric ultrasound "
           "{nous_scans_per_hour}.", "Σ scans ÷ Σ operational hours", better="higher"),
    Column("benchmark_scans_per_hour", "Benchmark scans per hour", "Benchmark scans/hr",
           _DX, SCAN_RATE,
           "The benchmark rate of the group's modality (hours-weighted when a group spans "
           "modalities).", "Σ (benchmark rate × hours) ÷ Σ hours"),
    Column("additional_scans", "Additional scans", "Additional scans", _DX, COUNT,
           "Scans the same hours would hold at the benchmark rate; a fast scanner offsets a slow "
           "one of the same modality, never of another.", "max(0, benchmark × Σ hours − Σ scans)"),
    Column("planned_points", "Planned points", "Planned points", _DX, POINTS,
           "Endoscopy list capacity in points, from the benchmark file's point table (points per "
           "list and per procedure type; see the benchmarks below).", "Σ planned points"),
    Column("used_points", "Used points", "Used points", _DX, POINTS,
           "Points of the procedures done.", "Σ used points"),
    Column("procedures", "Procedures", "Procedures", _DX, COUNT,
           "Endoscopy procedures done.", "Σ procedures"),
    Column("utilisation", "Endoscopy utilisation", "Utilisation", _DX, FRACTION,
           "The share of planned endoscopy points used. Benchmark {endoscopy_list_utilisation}.",
           "Σ used points ÷ Σ planned points", benchmark="endoscopy_list_utilisation"),
    Column("benchmark_utilisation", "Benchmark utilisation", "Benchmark utilisation", _DX, FRACTION,
           "The endoscopy benchmark, {endoscopy_list_utilisation}.", "endoscopy_list_utilisation"),
    Column("additional_points", "Additional points", "Additional points", _DX, POINTS,
           "Points the planned lists would use at the benchmark.",
           "max(0, benchmark × Σ planned − Σ used)"),
    Column("points_per_procedure", "Points per procedure", "Points/procedure", _DX, RATIO,
           "The mean points of a procedure done.", "Σ used points ÷ Σ procedures"),
    Column("additional_procedures", "Additional procedures", "Additional procedures", _DX, COUNT,
           "Additional points shown as procedures at the mean points per procedure.",
           "additional points ÷ points per procedure"),
    Column("tests", "Tests", "Tests", _DX, COUNT,
           "Echocardiograms done.", "Σ tests"),
    Column("scheduled_minutes", "Scheduled minutes", "Scheduled minutes", _DX, MINUTES,
           "Echo slot time booked.", "Σ scheduled minutes"),
    Column("minutes_per_test", "Echo minutes per test", "Minutes/test", _DX, MINUTES_EACH,
           "Scheduled minutes per echocardiogram; lower is better. Benchmark "
           "{echo_minutes_per_test} (a routine transthoracic echo slot).",
           "Σ scheduled minutes ÷ Σ tests", benchmark="echo_minutes_per_test"),
    Column("benchmark_minutes_per_test", "Benchmark minutes per test", "Benchmark minutes/test",
           _DX, MINUTES_EACH, "The echo benchmark slot length, {echo_minutes_per_test}.",
           "echo_minutes_per_test"),
    Column("capacity_released", "Capacity released", "Capacity released (tests)", _DX, COUNT,
           "Extra tests the same minutes would hold at the benchmark slot length; negative when "
           "already faster than the benchmark. The page also shows the AI-assisted scenario slot "
           "length from the benchmark file.", "Σ scheduled minutes ÷ benchmark minutes − Σ tests"),
    Column("additional_tests", "Additional tests", "Additional tests", _DX, COUNT,
           "Capacity released, where it is positive.", "max(0, capacity released)"),
    # DM01 waits
    Column("total_waiting", "Total waiting", "Waiting", _WT, COUNT,
           "Patients on the diagnostic waiting list at the month end (DM01 Total WL). A waiting "
           "list is a snapshot: pages use the latest month in the period.",
           "Σ of the 14 waiting-time bands"),
    Column("waiting_6_plus", "Waiting 6+ weeks", "Waiting 6+ weeks", _WT, COUNT,
           "Patients waiting 6 weeks or more.",
           "Σ of the bands 06 < 07 Weeks … 13+ Weeks", better="lower"),
    Column("waiting_13_plus", "Waiting 13+ weeks", "13+ weeks", _WT, COUNT,
           "Patients waiting 13 weeks or more. Benchmark {dm01_13_plus_weeks}.",
           "the 13+ Weeks band", benchmark="dm01_13_plus_weeks"),
    Column("within_6_weeks", "% within 6 weeks", "Within 6 weeks", _WT, FRACTION,
           "The share of the waiting list waiting under 6 weeks. Interim ambition "
           "{dm01_within_6_weeks}; the constitutional standard is {constitutional}.",
           "(Total WL − waiting 6+) ÷ Total WL", benchmark="dm01_within_6_weeks"),
    Column("meets_within_6_weeks_target", "Meets the interim ambition", "Meets interim", _WT, FLAG,
           "Whether % within 6 weeks reaches {dm01_within_6_weeks}.",
           "within_6_weeks ≥ {dm01_within_6_weeks}"),
    Column("meets_constitutional_target", "Meets the constitutional standard",
           "Meets constitutional", _WT, FLAG, "Whether % within 6 weeks reaches {constitutional}.",
           "within_6_weeks ≥ {constitutional}"),
    Column("meets_13_plus_target", "Meets the 13-week standard", "Meets 13-week", _WT, FLAG,
           "Whether the number waiting 13+ weeks is at most {dm01_13_plus_weeks}.",
           "waiting_13_plus ≤ {dm01_13_plus_weeks}"),
    # Waits by deprivation (the Health inequalities page): Q1 the most deprived quintile, Q5 the
    # least
    Column("total_waiting_most", "Total waiting in Q1", "Q1 waiting", _WT, COUNT,
           "Patients waiting for the test who live in the most deprived fifth of England's "
           "neighbourhoods (IMD 2019 quintile 1), at the month end.",
           "Total WL of IMD quintile 1"),
    Column("total_waiting_least", "Total waiting in Q5", "Q5 waiting", _WT, COUNT,
           "Patients waiting for the test who live in the least deprived fifth (quintile 5).",
           "Total WL of IMD quintile 5"),
    Column("share_6_plus_most", "Share waiting 6+ weeks in Q1", "Q1 6+ weeks", _WT, FRACTION,
           "The share of Q1's waiting list waiting 6 weeks or more.",
           "waiting 6+ in Q1 ÷ Total WL in Q1", better="lower"),
    Column("share_6_plus_least", "Share waiting 6+ weeks in Q5", "Q5 6+ weeks", _WT, FRACTION,
           "The share of Q5's waiting list waiting 6 weeks or more.",
           "waiting 6+ in Q5 ÷ Total WL in Q5", better="lower"),
    Column("quintile_ratio", "Q1:Q5 ratio of 6+ week waits", "Q1:Q5 ratio", _WT, RATIO,
           "How much more likely the most deprived are to wait 6+ weeks than the least deprived: "
           "1 means no gap. Shown with its 95% confidence interval (Katz log method); when one "
           "quintile has no 6+ week waiter, ½ is added to each count (Haldane-Anscombe).",
           "share waiting 6+ weeks in Q1 ÷ share in Q5", better="lower"),
    Column("quintile_gap", "Q1 − Q5 gap in 6+ week waits", "Gap (points)", _WT,
           PERCENTAGE_POINTS,
           "The share waiting 6+ weeks in Q1 minus that in Q5, in percentage points: 0 means no "
           "gap.", "(share 6+ in Q1 − share 6+ in Q5) × 100", better="lower"),
    Column("total_activity", "Total activity", "Activity", _WT, COUNT,
           "Tests done in the month: waiting-list, planned and unscheduled.",
           "waiting list + planned + unscheduled activity"),
    Column("weekly_activity", "Weekly activity", "Activity a week", _WT, PER_WEEK,
           "The month's activity spread evenly over its days, as tests a week.",
           "total activity × 7 ÷ days in the month"),
    Column("backlog_weeks", "Backlog in weeks of current activity", "Backlog (weeks of activity)",
           _WT, WEEKS,
           "The number waiting 6+ weeks as weeks of the test's current activity: its size, not a "
           "forecast. It is not the time to clear the backlog (that is weeks to clear the 6-week "
           "backlog at benchmark, which counts only the extra capacity).",
           "waiting 6+ weeks ÷ weekly activity", better="lower"),
    Column("additional_per_week", "Additional scans (tests) a week at benchmark",
           "Extra a week at benchmark", _WT, PER_WEEK,
           "The additional scans, procedures or tests the period's capacity would hold at the "
           "benchmark, a week: the period's total ÷ the weeks of its calendar months (days ÷ 7: "
           "12 months are 52.1 weeks, not the 53 ISO weeks they touch). The Diagnostics page, the "
           "what-if panel and report clearance share this one figure.",
           "additional at benchmark ÷ (Σ days of the period's months ÷ 7)"),
    Column("weeks_to_clear_backlog", "Weeks to clear the 6-week backlog at benchmark",
           "Weeks to clear (at benchmark)", _WT, WEEKS,
           "Opportunity set against waits: the number waiting 6+ weeks for a test at a trust "
           "(latest month) ÷ the additional scans or tests a week the trust would do at "
           "benchmark productivity. 0 when nobody waits 6+ weeks. With no additional capacity "
           "there is no figure: see backlog clearance.",
           "waiting 6+ weeks ÷ additional scans (tests) a week at benchmark", better="lower"),
    Column("clearance", "Backlog clearance", "Clearance", _WT, LABEL,
           "What a weeks-to-clear figure means: no 6-week backlog (nobody waits 6+ weeks); clears "
           "(there is extra capacity at the benchmark); meets the ambition (no extra capacity, "
           "but {dm01_within_6_weeks} or more already wait under 6 weeks); never at this rate "
           "(no extra capacity and short of {dm01_within_6_weeks}); no data.",
           "no_backlog | clears | meets_ambition | never | no_data"),
    # Mutual aid (the Mutual aid page and the board pack): patients moved, and the projection
    Column("patients_per_week", "Patients moved a week", "Patients a week", _WT, COUNT,
           "Whole patients a week that a trust which sends patients would send to a trust which "
           "takes them, in the mutual-aid plan for one test.",
           "⌊optimum of the mutual-aid linear programme⌋ for the pair"),
    Column("patients_in_horizon", "Patients moved over the projection",
           "Patients over the projection", _WT, COUNT,
           "The patients a transfer moves over the projection's last week (12 weeks).",
           "patients a week × weeks"),
    Column("distance_km", "Distance between the nearest sites", "Distance (km)", _WT, KM,
           "Kilometres between the two trusts' nearest sites, as the crow flies.",
           "haversine distance, nearest pair of sites"),
    Column("patients_sent_per_week", "Patients sent a week", "Sends a week", _WT, COUNT,
           "Patients a week the trust sends to others in the mutual-aid plan.",
           "Σ patients a week of its transfers out"),
    Column("patients_taken_per_week", "Patients taken a week", "Takes a week", _WT, COUNT,
           "Patients a week the trust takes from others in the mutual-aid plan.",
           "Σ patients a week of its transfers in"),
    Column("spare_per_week", "Spare capacity a week", "Spare a week", _WT, PER_WEEK,
           "Tests a week the trust's capacity would hold at the benchmark rate beyond those done, "
           "over the last whole weeks of the period.",
           "(capacity at benchmark − activity) ÷ weeks"),
    Column("waiting_6_plus_without_aid", "Waiting 6+ weeks, each trust on its own",
           "6+ weeks, on its own", _WT, COUNT,
           "Patients projected to wait 6+ weeks if each trust cleared its own list alone with its "
           "spare capacity (by the end of the projection in a trust's row).",
           "max(0, waiting 6+ weeks − weeks × spare a week), rounded up"),
    Column("waiting_6_plus_after", "Waiting 6+ weeks with mutual aid",
           "6+ weeks, with mutual aid", _WT, COUNT,
           "Patients projected to wait 6+ weeks with the mutual-aid plan (by the end of the "
           "projection in a trust's row).",
           "max(0, waiting 6+ weeks − weeks × (spare + sent − taken a week)), rounded up"),
    Column("waiting_6_plus_reduction", "Fewer waiting 6+ weeks with mutual aid",
           "Fewer with mutual aid", _WT, COUNT,
           "How many fewer patients wait 6+ weeks with the plan than with each trust on its own.",
           "waiting 6+ weeks on its own − with mutual aid"),
    # Turnaround and attendance (SPEC §4)
    Column("measure", "Turnaround measure", "Measure", _TA, LABEL,
           "Which turnaround target a row is judged against: CT urgent ({reporting_ct_urgent}) "
           "and routine ({reporting_ct_routine}), MRI urgent ({reporting_mri_urgent}) and routine "
           "({reporting_mri_routine}: 7 days exactly as the workplan states it, possibly a typo "
           "for 28; override it in a local benchmark file), every examination within 28 days "
           "({reporting_all_28_days}), and cancer histopathology within 10 working days "
           "({pathology_cancer_10_days}).",
           "a benchmark key: reporting_* or pathology_cancer_10_days"),
    Column("events", "Events", "Events", _TA, COUNT,
           "Imaging examinations (or histopathology specimens) the measure covers, counted in the "
           "month of the test (or receipt).", "within + breaches + pending"),
    Column("within_target", "Within target", "Within", _TA, COUNT,
           "Events reported within the measure's days.", "count of turnaround ≤ N days"),
    Column("breaches", "Breaches", "Breaches", _TA, COUNT,
           "Events reported later than the measure's days, or still unreported and already older "
           "than them at the as-at moment (the trust's latest timestamp of that kind).",
           "reported after N days + unreported and older than N days", better="lower"),
    Column("pending", "Pending", "Pending", _TA, COUNT,
           "Unreported events not yet older than the measure's days: left out of the share, and "
           "shown as a count.", "unreported and age ≤ N days"),
    Column("share_within_target", "Share within target", "Within target", _TA, FRACTION,
           "The share of decided events reported in time; empty (not 0) when nothing is decided."
           " Days are calendar days (report date − test date, same day 0) or, for pathology, "
           "England working days (weekends and bank holidays from a maintained calendar left "
           "out; a Friday test reported on Monday is 1).",
           "within ÷ (within + breaches)", better="higher"),
    Column("target_share", "Target share", "Target", _TA, FRACTION,
           "The share the benchmark file asks to be within target.", "the measure's value"),
    Column("target_days", "Target days", "Days", _TA, WHOLE_DAYS,
           "The N of \"within N days\", from the benchmark file.", "the measure's days"),
    Column("day_kind", "Day kind", "Day kind", _TA, LABEL,
           "Whether the target's days are calendar or working days.", "calendar | working"),
    Column("median_days", "Median turnaround", "Median days", _TA, DAYS,
           "The median turnaround of reported events only, in the measure's day kind.",
           "median of days over reported events", better="lower"),
    Column("turnaround_days", "Turnaround in whole days", "Turnaround (days)", _TA, WHOLE_DAYS,
           "How long a reported event took, in whole days of the measure's day kind. In a "
           "distribution the last row holds every event from its number of days on.",
           "report date − test (receipt) date, same day 0"),
    Column("unreported", "Unreported backlog", "Unreported", _TA, COUNT,
           "Events with no report at the as-at moment, by calendar age: 0–7, 8–14, 15–28 and 29+ "
           "days since the test (receipt).", "count of unreported events per age band",
           better="lower"),
    Column("appointments", "Appointments", "Appointments", _TA, COUNT,
           "Appointments that were due: attended (codes 5, 6), arrived late and not seen (7) or "
           "did not attend (3). Cancellations (2, 4) and future ones (0) are in neither count.",
           "codes 5 + 6 + 7 + 3"),
    Column("dnas", "Did not attend", "DNAs", _TA, COUNT,
           "Appointments missed: did not attend (3) or arrived too late to be seen (7).",
           "codes 3 + 7", better="lower"),
    Column("dna_rate", "DNA rate", "DNA rate", _TA, FRACTION,
           "The share of due appointments missed. No national target ({dna_rate}): compared with "
           "the system's own rate, by IMD quintile, and through the standardised ratio.",
           "DNAs ÷ appointments", benchmark="dna_rate"),
    Column("imd_quintile", "IMD quintile", "IMD quintile", _TA, LABEL,
           "The IMD 2019 quintile of the patient's neighbourhood: 1 the most deprived fifth of "
           "England, 5 the least (from a decile, or an LSOA code through the same lookup as "
           "waits).", "ceil(decile ÷ 2)"),
    Column("expected_dnas", "Expected DNAs", "Expected DNAs", _TA, RATIO,
           "The DNAs a trust would have at the whole system's DNA rate in each IMD quintile, for "
           "the same services and period (indirect standardisation for deprivation mix).",
           "Σ over quintiles of appointments × the system's DNA rate in the quintile"),
    Column("standardised_ratio", "Standardised DNA ratio", "DNA ratio", _TA, RATIO,
           "Observed ÷ expected DNAs: 1 is as expected for the trust's deprivation mix. Shown "
           "on a ratio funnel with 95% and 99.8% limits (exact Poisson, or widened for "
           "overdispersion); over the whole system observed = expected.",
           "DNAs ÷ expected DNAs", better="lower"),
    # Ranking
    Column("opportunity", "Opportunity", "Opportunity", _RK, COUNT,
           "Realisable additional theatre cases plus additional scans, over the period.",
           "realisable additional cases + additional scans"),
    Column("opportunity_share", "Opportunity as % of activity", "% of activity", _RK, FRACTION,
           "The opportunity as a share of current activity (completed cases plus scans).",
           "opportunity ÷ (completed cases + scans)"),
    Column("rank", "Rank", "Rank", _RK, RANK,
           "Trusts ranked by realisable opportunity, as an absolute count or as a % of current "
           "activity; tables and charts say which ranking is in use.",
           "1 = the biggest opportunity"),
)  # fmt: skip

_DEFINED: dict[str, Column] = {c.key: c for c in CATALOGUE if isinstance(c, Column)}


def _alias(key: str, of: str, heading: str, short: str, benchmark: str) -> Column:
    """A column that is another under a name of its own (``ct_scans_per_hour``)."""
    base = _DEFINED[of]
    return replace(
        base, key=key, heading=heading, short=short, benchmark=benchmark, better=None, alias_of=of
    )


# The Overview's and the board pack's scorecard, in its order: one row per trust.
SCORECARD: tuple[Column, ...] = (
    _DEFINED["capped_utilisation"],
    _DEFINED["uncapped_utilisation"],
    _alias("ct_scans_per_hour", "scans_per_hour", "CT scans per hour", "CT scans/hr",
           "ct_scans_per_hour"),
    _alias("mri_scans_per_hour", "scans_per_hour", "MRI scans per hour", "MRI scans/hr",
           "mri_scans_per_hour"),
    _alias("nous_scans_per_hour", "scans_per_hour", "NOUS scans per hour", "NOUS scans/hr",
           "nous_scans_per_hour"),
    _alias("endoscopy_utilisation", "utilisation", "Endoscopy utilisation", "Endoscopy util.",
           "endoscopy_list_utilisation"),
    _alias("echo_minutes_per_test", "minutes_per_test", "Echo minutes per test", "Echo min/test",
           "echo_minutes_per_test"),
    _alias("dm01_within_6_weeks", "within_6_weeks", "DM01 % within 6 weeks", "DM01 <6 wks",
           "dm01_within_6_weeks"),
    _alias("dm01_13_plus_weeks", "waiting_13_plus", "DM01 waiting 13+ weeks", "DM01 13+ wks",
           "dm01_13_plus_weeks"),
)  # fmt: skip
# Each turnaround target's share within target, under the target's benchmark key: a table of
# every trust against every target (the Reporting page) heads and judges each by its own target.
TURNAROUND_TARGETS: tuple[Column, ...] = (
    _alias("reporting_ct_urgent", "share_within_target", "CT urgent reported in time",
           "CT urgent", "reporting_ct_urgent"),
    _alias("reporting_ct_routine", "share_within_target", "CT routine reported in time",
           "CT routine", "reporting_ct_routine"),
    _alias("reporting_mri_urgent", "share_within_target", "MRI urgent reported in time",
           "MRI urgent", "reporting_mri_urgent"),
    _alias("reporting_mri_routine", "share_within_target", "MRI routine reported in time",
           "MRI routine", "reporting_mri_routine"),
    _alias("reporting_all_28_days", "share_within_target", "Every examination in 28 days",
           "All in 28 days", "reporting_all_28_days"),
    _alias("pathology_cancer_10_days", "share_within_target",
           "Cancer histopathology in 10 working days", "Cancer histo. 10 wd",
           "pathology_cancer_10_days"),
)  # fmt: skip
# Every column by key: the catalogue's, the scorecard's and the turnaround targets' names.
COLUMNS: dict[str, Column] = (
    _DEFINED | {c.key: c for c in SCORECARD} | {c.key: c for c in TURNAROUND_TARGETS}
)
TERMS: tuple[Term, ...] = tuple(t for t in CATALOGUE if isinstance(t, Term))
