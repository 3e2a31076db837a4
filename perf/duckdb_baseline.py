"""The theatre metrics of SPEC §4 written as DuckDB SQL: the baseline the harness times us against.

Example::

    base = TheatreBaseline(thresholds, target=0.85)
    per_list, gaps, trust_month = base.compute(lists, cases)

It computes, from the same normalised ``lists`` and ``cases`` frames that
:func:`productivity.metrics.theatre.list_metrics` takes, the per-list measures (the union of each
list's touch intervals by window functions, capped/uncapped touch, late start, early finish,
overrun, case counts), the changeovers, and the per trust × month report (ratios of sums, the
median gap and pooled/realisable opportunity). It is written independently of our pandas code,
from the spec, so that agreement between the two is evidence that both are right.

DuckDB is a dev/perf dependency only: nothing in ``productivity`` imports this module.
"""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from productivity.metrics.theatre import BANDS, Thresholds

# Float noise such as 0.85 × 240 = 203.99999999999997 must not lose a whole case to floor()
# (the same guard as productivity.planning.opportunity, restated here because the baseline is
# independent).
EPSILON = 1e-9

# Whole seconds since the epoch, as the pandas code truncates datetimes to seconds.
_SECONDS = "(epoch_us({0}) // 1000000)"


def _s(column: str) -> str:
    return _SECONDS.format(column)


def _band_sql(value: str, name: str) -> str:
    parts = []
    for suffix, minutes, strict in BANDS:
        op = ">" if strict else ">="
        parts.append(f"coalesce({value} {op} {minutes}, false) AS {name}_{suffix}")
    return ",\n       ".join(parts)


@dataclass(frozen=True)
class TheatreBaseline:
    """The DuckDB baseline for one run: thresholds and the opportunity target (fraction)."""

    thresholds: Thresholds
    target: float
    threads: int | None = None

    def connect(self) -> duckdb.DuckDBPyConnection:
        con = duckdb.connect()
        if self.threads:
            con.execute(f"SET threads = {int(self.threads)}")
        return con

    def load(
        self, con: duckdb.DuckDBPyConnection, lists: pd.DataFrame, cases: pd.DataFrame
    ) -> None:
        """Copy the frames into native DuckDB tables (not timed: DuckDB at its best)."""
        con.register("lists_frame", lists)
        con.register("cases_frame", cases)
        con.execute("CREATE OR REPLACE TABLE lists AS SELECT * FROM lists_frame")
        con.execute("CREATE OR REPLACE TABLE cases AS SELECT * FROM cases_frame")
        con.unregister("lists_frame")
        con.unregister("cases_frame")

    def run(
        self, con: duckdb.DuckDBPyConnection
    ) -> tuple[tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame], dict[str, float]]:
        """Compute over the loaded tables: ((per_list, gaps, trust_month), seconds by phase).

        The phases are ``sql`` (every statement, results kept as DuckDB tables) and ``fetch``
        (the three results as pandas DataFrames, the form our code returns them in).
        """
        start = time.perf_counter()
        for statement in self.statements():
            con.execute(statement)
        middle = time.perf_counter()
        per_list = con.execute("SELECT * FROM per_list ORDER BY list_id").df()
        gaps = con.execute("SELECT * FROM gaps ORDER BY list_id, gap_minutes").df()
        trust_month = con.execute("SELECT * FROM trust_month ORDER BY trust_code, month").df()
        end = time.perf_counter()
        return (per_list, gaps, trust_month), {"sql": middle - start, "fetch": end - middle}

    def compute(
        self, lists: pd.DataFrame, cases: pd.DataFrame
    ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
        """Load and run on a fresh in-memory database (convenience for tests)."""
        con = self.connect()
        try:
            self.load(con, lists, cases)
            return self.run(con)[0]
        finally:
            con.close()

    def statements(self) -> list[str]:
        th, target = self.thresholds, float(self.target)
        return [
            # Each case's flags and its touch interval in seconds relative to planned start.
            f"""
CREATE OR REPLACE TEMP TABLE flagged AS
SELECT c.list_id,
       has_case,
       has_case AND NOT cancelled_raw AND touch_start IS NOT NULL
           AND c.out_of_theatre IS NOT NULL AND c.out_of_theatre >= touch_start AS completed,
       has_case AND cancelled_raw AS cancelled,
       has_case AND cancelled_raw AND NOT coalesce(c.cancel_clinical, false) AS non_clinical,
       has_case AND NOT cancelled_raw AND c.anaesthetic_start IS NULL
           AND c.into_theatre IS NOT NULL AS fallback,
       {_s("touch_start")} - {_s("l.planned_start")} AS s,
       {_s("c.out_of_theatre")} - {_s("l.planned_start")} AS e
FROM (
    SELECT *,
           coalesce(anaesthetic_start, into_theatre) AS touch_start,
           coalesce(cancelled, false) AS cancelled_raw,
           (case_id IS NOT NULL AND case_id <> '') AS has_case
    FROM cases
) c
JOIN lists l USING (list_id)
""",
            # Union of intervals: a case opens a new segment when it starts after every earlier
            # case of its list has ended (the running maximum of end times).
            """
CREATE OR REPLACE TEMP TABLE ordered AS
SELECT list_id, s, e,
       lag(e) OVER w AS previous_e,
       max(e) OVER (w ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS running_e
FROM flagged
WHERE completed
WINDOW w AS (PARTITION BY list_id ORDER BY s, e)
""",
            """
CREATE OR REPLACE TEMP TABLE segments AS
SELECT list_id, min(s) AS seg_start, max(e) AS seg_end
FROM (
    SELECT list_id, s, e,
           sum(CASE WHEN running_e IS NULL OR s > running_e THEN 1 ELSE 0 END)
               OVER (PARTITION BY list_id ORDER BY s, e ROWS UNBOUNDED PRECEDING) AS segment
    FROM ordered
)
GROUP BY list_id, segment
""",
            f"""
CREATE OR REPLACE TEMP TABLE per_list AS
WITH planned AS (
    SELECT *, {_s("planned_end")} - {_s("planned_start")} AS planned_s,
           strftime(session_date, '%Y-%m') AS month
    FROM lists
),
touch AS (
    SELECT g.list_id,
           sum(seg_end - seg_start) AS uncapped_s,
           sum(greatest(least(seg_end, p.planned_s) - greatest(seg_start, 0), 0)) AS capped_s,
           min(seg_start) AS first_s,
           max(seg_end) AS last_e
    FROM segments g JOIN planned p USING (list_id)
    GROUP BY g.list_id
),
counts AS (
    SELECT list_id,
           count(*) FILTER (WHERE completed) AS completed_cases,
           count(*) FILTER (WHERE has_case) AS scheduled_cases,
           count(*) FILTER (WHERE cancelled) AS cancelled_cases,
           count(*) FILTER (WHERE non_clinical) AS cancelled_non_clinical,
           count(*) FILTER (WHERE fallback) AS anaesthetic_fallback_cases,
           coalesce(sum(e - s) FILTER (WHERE completed), 0) AS case_touch_s
    FROM flagged
    GROUP BY list_id
),
measured AS (
    SELECT p.* EXCLUDE (planned_s),
           p.planned_s / 60.0 AS planned_minutes,
           coalesce(t.capped_s, 0) / 60.0 AS capped_touch_minutes,
           coalesce(t.uncapped_s, 0) / 60.0 AS uncapped_touch_minutes,
           coalesce(k.completed_cases, 0) = 0 AS unused,
           coalesce(k.completed_cases, 0) AS completed_cases,
           coalesce(k.scheduled_cases, 0) AS scheduled_cases,
           coalesce(k.cancelled_cases, 0) AS cancelled_cases,
           coalesce(k.cancelled_non_clinical, 0) AS cancelled_non_clinical,
           coalesce(k.anaesthetic_fallback_cases, 0) AS anaesthetic_fallback_cases,
           coalesce(k.case_touch_s, 0) / 60.0 AS case_touch_minutes,
           -- greatest() skips NULLs, so an unused session (no segment) is kept NULL explicitly.
           CASE WHEN t.list_id IS NOT NULL THEN greatest(0, t.first_s) / 60.0 END
               AS late_start_minutes,
           CASE WHEN t.list_id IS NOT NULL THEN greatest(0, p.planned_s - t.last_e) / 60.0 END
               AS early_finish_minutes,
           CASE WHEN t.list_id IS NOT NULL THEN greatest(0, t.last_e - p.planned_s) / 60.0 END
               AS overrun_minutes
    FROM planned p
    LEFT JOIN touch t USING (list_id)
    LEFT JOIN counts k USING (list_id)
)
SELECT *,
       coalesce(late_start_minutes > {th.late_start_minutes}, false) AS starts_late,
       coalesce(early_finish_minutes > {th.early_finish_minutes}, false) AS finishes_early,
       coalesce(overrun_minutes > {th.overrun_minutes}, false) AS overruns,
       {_band_sql("late_start_minutes", "late_start")},
       {_band_sql("early_finish_minutes", "early_finish")}
FROM measured
""",
            # Changeovers: next case's start − previous case's end, in order of start; ≥ 0.
            """
CREATE OR REPLACE TEMP TABLE gaps AS
SELECT list_id, greatest(0, s - previous_e) / 60.0 AS gap_minutes
FROM ordered
WHERE previous_e IS NOT NULL
""",
            self._trust_month_sql(target),
        ]

    @staticmethod
    def _trust_month_sql(target: float) -> str:
        bands = ",\n       ".join(
            f"count_if(late_start_{s}) AS late_start_{s}, "
            f"count_if(early_finish_{s}) AS early_finish_{s}"
            for s, _, _ in BANDS
        )
        shares = ",\n       ".join(
            f"late_start_{s} / nullif(used_lists, 0) AS late_start_{s}_share, "
            f"early_finish_{s} / nullif(used_lists, 0) AS early_finish_{s}_share"
            for s, _, _ in BANDS
        )
        return f"""
CREATE OR REPLACE TEMP TABLE trust_month AS
WITH sums AS (
    SELECT trust_code, month,
           count(*) AS lists,
           count_if(NOT unused) AS used_lists,
           count_if(unused) AS unused_lists,
           sum(CASE WHEN unused THEN planned_minutes ELSE 0 END) AS unused_planned_minutes,
           coalesce(sum(late_start_minutes), 0) AS late_start_minutes_sum,
           coalesce(sum(early_finish_minutes), 0) AS early_finish_minutes_sum,
           coalesce(sum(overrun_minutes), 0) AS overrun_minutes_sum,
           sum(planned_minutes) AS planned_minutes,
           sum(capped_touch_minutes) AS capped_touch_minutes,
           sum(uncapped_touch_minutes) AS uncapped_touch_minutes,
           sum(completed_cases) AS completed_cases,
           sum(scheduled_cases) AS scheduled_cases,
           sum(cancelled_cases) AS cancelled_cases,
           sum(cancelled_non_clinical) AS cancelled_non_clinical,
           sum(anaesthetic_fallback_cases) AS anaesthetic_fallback_cases,
           sum(case_touch_minutes) AS case_touch_minutes,
           count_if(starts_late) AS starts_late,
           count_if(finishes_early) AS finishes_early,
           count_if(overruns) AS overruns,
           {bands}
    FROM per_list
    GROUP BY trust_code, month
),
medians AS (
    SELECT p.trust_code, p.month, median(g.gap_minutes) AS median_gap_minutes
    FROM gaps g JOIN per_list p USING (list_id)
    GROUP BY p.trust_code, p.month
),
case_length AS (
    SELECT trust_code, month, specialty,
           sum(case_touch_minutes) / nullif(sum(completed_cases), 0) AS mean_case_minutes
    FROM per_list
    GROUP BY trust_code, month, specialty
),
list_gap AS (
    SELECT p.trust_code, p.month, p.specialty, p.planned_minutes, p.capped_touch_minutes,
           m.mean_case_minutes,
           greatest(0, {target} * p.planned_minutes - p.capped_touch_minutes) AS gap_minutes
    FROM per_list p JOIN case_length m USING (trust_code, month, specialty)
),
cells AS (
    SELECT trust_code, month, specialty,
           coalesce(greatest(0, {target} * sum(planned_minutes) - sum(capped_touch_minutes))
                    / any_value(mean_case_minutes), 0) AS pooled_additional_cases,
           coalesce(sum(floor(gap_minutes / mean_case_minutes + {EPSILON})), 0)
               AS realisable_additional_cases,
           sum(gap_minutes) AS gap_minutes,
           count(*) FILTER (WHERE mean_case_minutes IS NULL) AS lists_without_case_length
    FROM list_gap
    GROUP BY trust_code, month, specialty
),
opportunity AS (
    SELECT trust_code, month,
           sum(pooled_additional_cases) AS pooled_additional_cases,
           sum(realisable_additional_cases) AS realisable_additional_cases,
           sum(gap_minutes) AS gap_minutes,
           sum(lists_without_case_length) AS lists_without_case_length
    FROM cells
    GROUP BY trust_code, month
)
SELECT s.*,
       capped_touch_minutes / nullif(planned_minutes, 0) AS capped_utilisation,
       uncapped_touch_minutes / nullif(planned_minutes, 0) AS uncapped_utilisation,
       starts_late / nullif(used_lists, 0) AS late_start_share,
       late_start_minutes_sum / nullif(used_lists, 0) AS mean_late_start_minutes,
       finishes_early / nullif(used_lists, 0) AS early_finish_share,
       early_finish_minutes_sum / nullif(used_lists, 0) AS mean_early_finish_minutes,
       overruns / nullif(used_lists, 0) AS overrun_share,
       {shares},
       completed_cases / nullif(lists, 0) AS cases_per_list,
       cancelled_non_clinical / nullif(scheduled_cases, 0) AS otd_cancellation_rate,
       case_touch_minutes / nullif(completed_cases, 0) AS mean_case_minutes,
       m.median_gap_minutes,
       o.pooled_additional_cases,
       o.realisable_additional_cases,
       o.gap_minutes,
       o.lists_without_case_length,
       o.pooled_additional_cases / nullif(completed_cases, 0) AS pooled_share_of_cases,
       o.realisable_additional_cases / nullif(completed_cases, 0) AS realisable_share_of_cases
FROM sums s
LEFT JOIN medians m USING (trust_code, month)
LEFT JOIN opportunity o USING (trust_code, month)
"""


# ---------------------------------------------------------------------------------------------
# The check: our results against DuckDB's, to 1e-9.

TOLERANCE = 1e-9
LIST_CHECKS: tuple[str, ...] = (
    "planned_minutes", "capped_touch_minutes", "uncapped_touch_minutes", "unused",
    "completed_cases", "scheduled_cases", "cancelled_cases", "cancelled_non_clinical",
    "anaesthetic_fallback_cases", "case_touch_minutes", "late_start_minutes",
    "early_finish_minutes", "overrun_minutes", "starts_late", "finishes_early", "overruns",
    *(f"{kind}_{suffix}" for kind in ("late_start", "early_finish") for suffix, _, _ in BANDS),
)  # fmt: skip
TRUST_MONTH_CHECKS: tuple[str, ...] = (
    "lists", "used_lists", "unused_lists", "unused_planned_minutes", "late_start_minutes_sum",
    "early_finish_minutes_sum", "overrun_minutes_sum", "planned_minutes", "capped_touch_minutes",
    "uncapped_touch_minutes", "completed_cases", "scheduled_cases", "cancelled_cases",
    "cancelled_non_clinical", "anaesthetic_fallback_cases", "case_touch_minutes", "starts_late",
    "finishes_early", "overruns", "capped_utilisation", "uncapped_utilisation",
    "late_start_share", "mean_late_start_minutes", "early_finish_share",
    "mean_early_finish_minutes", "overrun_share", "cases_per_list", "otd_cancellation_rate",
    "mean_case_minutes", "median_gap_minutes", "pooled_additional_cases",
    "realisable_additional_cases", "gap_minutes", "lists_without_case_length",
    "pooled_share_of_cases", "realisable_share_of_cases",
    *(f"{kind}_{suffix}{share}" for kind in ("late_start", "early_finish")
      for suffix, _, _ in BANDS for share in ("", "_share")),
)  # fmt: skip


def diff_frames(
    name: str, ours: pd.DataFrame, theirs: pd.DataFrame, keys: list[str], columns: tuple[str, ...]
) -> list[str]:
    """Lines describing every difference (rows missing on one side, values off by > 1e-9)."""
    problems = []
    for side, frame in (("ours", ours), ("DuckDB", theirs)):
        absent = [c for c in (*keys, *columns) if c not in frame.columns]
        if absent:
            problems.append(f"{name}: {side} lacks columns {absent}")
    if problems:
        return problems
    merged = ours[[*keys, *columns]].merge(
        theirs[[*keys, *columns]], on=keys, how="outer", suffixes=("_ours", "_duckdb"),
        indicator=True,
    )  # fmt: skip
    lonely = merged[merged["_merge"] != "both"]
    if len(lonely):
        sample = lonely[[*keys, "_merge"]].head(5).to_string(index=False)
        problems.append(f"{name}: {len(lonely)} rows on one side only "
                        f"({len(ours)} ours, {len(theirs)} DuckDB):\n{sample}")  # fmt: skip
    both = merged[merged["_merge"] == "both"]
    for column in columns:
        a = both[f"{column}_ours"].to_numpy(dtype=float, na_value=np.nan)
        b = both[f"{column}_duckdb"].to_numpy(dtype=float, na_value=np.nan)
        same = np.isclose(a, b, rtol=TOLERANCE, atol=TOLERANCE) | (np.isnan(a) & np.isnan(b))
        if not same.all():
            bad = both.loc[~same, [*keys, f"{column}_ours", f"{column}_duckdb"]]
            problems.append(
                f"{name}.{column}: {len(bad)} of {len(both)} rows differ by more than "
                f"{TOLERANCE:g}:\n{bad.head(5).to_string(index=False)}"
            )
    return problems


def compare_theatre(
    ours: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame],
    theirs: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame],
) -> list[str]:
    """Compare (per_list, gaps, trust_month) from our code and from DuckDB; [] when equal."""
    problems = diff_frames("per_list", ours[0], theirs[0], ["list_id"], LIST_CHECKS)
    problems += diff_frames(
        "trust_month", ours[2], theirs[2], ["trust_code", "month"], TRUST_MONTH_CHECKS
    )
    a = ours[1].sort_values(["list_id", "gap_minutes"], kind="stable")
    b = theirs[1].sort_values(["list_id", "gap_minutes"], kind="stable")
    if len(a) != len(b) or not np.array_equal(a["list_id"].to_numpy(), b["list_id"].to_numpy()):
        problems.append(f"gaps: {len(a)} changeovers ours, {len(b)} DuckDB, or on other lists")
    elif not np.allclose(a["gap_minutes"], b["gap_minutes"], rtol=TOLERANCE, atol=TOLERANCE):
        problems.append("gaps: gap minutes differ by more than 1e-9")
    return problems


# ---------------------------------------------------------------------------------------------
# The marts baseline: read the store's tables with pandas, compute with the SQL above, write back.
# (DuckDB's sqlite scanner would read SQLite directly, but it is an extension that needs a
# download, which this machine cannot do; pandas read_sql over sqlite3 stands in for it.)

_READS = {
    "lists_raw": "SELECT list_id, trust_code, site, theatre, session_date, session, specialty, "
    "planned_start, planned_end FROM theatre_list",
    "cases_raw": "SELECT list_id, case_id, anaesthetic_start, into_theatre, out_of_theatre, "
    "cancelled, cancel_clinical FROM theatre_case",
    "imaging_raw": "SELECT trust_code, site, scanner_id, modality, date, operational_hours, scans "
    "FROM scanner_day",
    "endoscopy_raw": "SELECT trust_code, site, date, planned_points, used_points, procedures "
    "FROM endoscopy_list",
    "echo_raw": "SELECT trust_code, site, date, tests, scheduled_minutes FROM echo_activity",
}
_PERIOD = "strftime({0}, '%Y-%m') AS month, strftime(date_trunc('week', {0}), '%Y-%m-%d') AS week"
_MART_QUERIES = {
    "mart_theatre_list": f"SELECT * EXCLUDE (month), {_PERIOD.format('session_date')} "
    "FROM per_list",
    "mart_theatre_gap": "SELECT p.trust_code, p.site, p.theatre, p.specialty, p.month, "
    "g.gap_minutes, count(*) AS gaps FROM gaps g JOIN per_list p USING (list_id) GROUP BY ALL",
    "mart_imaging": f"SELECT trust_code, site, scanner_id, modality, {_PERIOD.format('d')}, "
    "sum(operational_hours) AS operational_hours, sum(scans) AS scans, count(*) AS days "
    "FROM (SELECT *, CAST(date AS DATE) AS d FROM imaging_raw) GROUP BY ALL",
    "mart_endoscopy": f"SELECT trust_code, site, {_PERIOD.format('d')}, count(*) AS lists, "
    "sum(planned_points) AS planned_points, sum(used_points) AS used_points, "
    "coalesce(sum(procedures), 0) AS procedures "
    "FROM (SELECT *, CAST(date AS DATE) AS d FROM endoscopy_raw) GROUP BY ALL",
    "mart_echo": f"SELECT trust_code, site, {_PERIOD.format('d')}, sum(tests) AS tests, "
    "sum(scheduled_minutes) AS scheduled_minutes "
    "FROM (SELECT *, CAST(date AS DATE) AS d FROM echo_raw) GROUP BY ALL",
}
BASELINE_PREFIX = "baseline_"


def marts_baseline(path: Path, baseline: TheatreBaseline) -> dict[str, pd.DataFrame]:
    """Rebuild the marts' content from the SQLite store at ``path`` into ``baseline_*`` tables.

    Returns the frames written, keyed by the mart they stand for.
    """
    with sqlite3.connect(path) as src:
        raw = {name: pd.read_sql_query(sql, src) for name, sql in _READS.items()}
    con = baseline.connect()
    try:
        for name, frame in raw.items():
            con.register(name, frame)
        con.execute(
            "CREATE TABLE lists AS SELECT list_id, trust_code, site, theatre, "
            "CAST(session_date AS DATE) AS session_date, session, specialty, "
            "CAST(planned_start AS TIMESTAMP) AS planned_start, "
            "CAST(planned_end AS TIMESTAMP) AS planned_end FROM lists_raw"
        )
        con.execute(
            "CREATE TABLE cases AS SELECT list_id, case_id, "
            "CAST(anaesthetic_start AS TIMESTAMP) AS anaesthetic_start, "
            "CAST(into_theatre AS TIMESTAMP) AS into_theatre, "
            "CAST(out_of_theatre AS TIMESTAMP) AS out_of_theatre, "
            "CAST(cancelled AS BOOLEAN) AS cancelled, "
            "CAST(cancel_clinical AS BOOLEAN) AS cancel_clinical FROM cases_raw"
        )
        del raw
        for statement in baseline.statements():
            con.execute(statement)
        out = {mart: con.execute(sql).df() for mart, sql in _MART_QUERIES.items()}
    finally:
        con.close()
    with sqlite3.connect(path) as dst:
        for mart, frame in out.items():
            frame.to_sql(BASELINE_PREFIX + mart, dst, index=False, if_exists="replace")
    return out


def drop_baseline_marts(path: Path) -> None:
    with sqlite3.connect(path) as con:
        for mart in _MART_QUERIES:
            con.execute(f'DROP TABLE IF EXISTS "{BASELINE_PREFIX}{mart}"')
