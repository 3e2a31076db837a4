"""Theatre metrics (SPEC §4), as pure, vectorised functions over the normalised frames.

Example::

    per_list = list_metrics(lists, cases)            # one row per list
    gaps = case_gaps(lists, cases)                    # one row per changeover
    summary = summarise(per_list, gaps, by=["trust_code"])

``lists`` has :data:`productivity.schema.LIST_COLUMNS` and ``cases`` has
:data:`productivity.schema.CASE_COLUMNS`. Times are naive local datetimes; a case or an evening
list may cross midnight because every time is a full date-time. Every aggregate is a ratio of
sums, never a mean of list ratios. Imports only numpy and pandas.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

# Late-start and early-finish bands reported beside the thresholded share (SPEC §4):
# (column suffix, minutes, strictly greater?) -> ">10", ">15", ">=30".
BANDS: tuple[tuple[str, float, bool], ...] = (
    ("gt10", 10, True),
    ("gt15", 15, True),
    ("ge30", 30, False),
)
# Group offset for the vectorised running maximum: 2**40 s (~35,000 years) keeps lists apart.
_GROUP_STRIDE = np.int64(2**40)


@dataclass(frozen=True)
class Thresholds:
    """Minutes beyond which a list starts late, finishes early or overruns (benchmark file)."""

    late_start_minutes: float = 15
    early_finish_minutes: float = 30
    overrun_minutes: float = 30


def _seconds(values: pd.Series) -> np.ndarray:
    """Datetimes as int64 whole seconds since the epoch (NaT becomes the int64 minimum)."""
    return values.to_numpy(dtype="datetime64[s]").astype(np.int64)


def prepare_cases(lists: pd.DataFrame, cases: pd.DataFrame) -> pd.DataFrame:
    """Cases with their touch interval and flags, joined to their list's position.

    A case's touch interval is [anaesthetic_start, out_of_theatre]; where anaesthetic_start is
    missing, into_theatre is used and ``anaesthetic_fallback`` is set (for the data-quality
    report). A case is *completed* when it is not cancelled and has a touch interval.
    """
    position = pd.Index(lists["list_id"]).get_indexer(cases["list_id"])
    anaesthetic = pd.to_datetime(cases["anaesthetic_start"])
    into = pd.to_datetime(cases["into_theatre"])
    out = pd.to_datetime(cases["out_of_theatre"])
    touch_start = anaesthetic.fillna(into)
    cancelled = cases["cancelled"].fillna(False).astype(bool)
    has_case = cases["case_id"].notna() & (cases["case_id"].astype("str") != "")
    completed = has_case & ~cancelled & touch_start.notna() & out.notna() & (position >= 0)
    completed &= out >= touch_start
    return pd.DataFrame(
        {
            "list_position": position,
            "has_case": has_case.to_numpy(),
            "touch_start": touch_start,
            "touch_end": out,
            "completed": completed.to_numpy(),
            "cancelled": (cancelled & has_case).to_numpy(),
            "cancel_non_clinical": (
                cancelled & has_case & ~cases["cancel_clinical"].fillna(False).astype(bool)
            ).to_numpy(),
            "anaesthetic_fallback": (
                has_case & ~cancelled & anaesthetic.isna() & into.notna()
            ).to_numpy(),
        },
        index=cases.index,
    )


def _sorted_intervals(lists: pd.DataFrame, prepared: pd.DataFrame) -> tuple[np.ndarray, ...]:
    """Completed intervals sorted by (list, touch start, touch end), relative to planned start."""
    done = prepared[prepared["completed"]]
    position = done["list_position"].to_numpy(dtype=np.int64)
    planned_start = _seconds(lists["planned_start"])[position]
    start = _seconds(done["touch_start"]) - planned_start
    end = _seconds(done["touch_end"]) - planned_start
    order = np.lexsort((end, start, position))
    return position[order], start[order], end[order]


def list_metrics(
    lists: pd.DataFrame, cases: pd.DataFrame, thresholds: Thresholds | None = None
) -> pd.DataFrame:
    """One row per list: planned and touch minutes, start/finish measures and case counts.

    - planned_minutes = planned_end − planned_start.
    - uncapped_touch_minutes = length of the union of the completed cases' touch intervals
      (parallel induction is not counted twice); capped_touch_minutes clips that union to
      [planned_start, planned_end].
    - late_start_minutes = max(0, first touch start − planned_start); early_finish_minutes =
      max(0, planned_end − last out_of_theatre); overrun_minutes = max(0, last out − planned_end).
      These are NaN for an unused session (no completed case), which is left out of them.
    - starts_late / finishes_early / overruns compare with the thresholds (strictly greater).
    - case_touch_minutes = Σ of each completed case's own touch time (for mean case minutes).
    """
    thresholds = thresholds or Thresholds()
    lists = lists.reset_index(drop=True)
    prepared = prepare_cases(lists, cases)
    n = len(lists)
    planned_seconds = (_seconds(lists["planned_end"]) - _seconds(lists["planned_start"])).astype(
        np.float64
    )
    position, start, end = _sorted_intervals(lists, prepared)

    # Union of intervals per list: a running maximum of end times, kept apart between lists by a
    # per-list offset, marks where a new disjoint segment begins.
    offset = position * _GROUP_STRIDE
    running_end = np.maximum.accumulate(end + offset) - offset
    previous_end = np.empty_like(running_end)
    previous_end[:1] = np.iinfo(np.int64).min
    previous_end[1:] = running_end[:-1]
    new_list = np.ones(len(position), dtype=bool)
    new_list[1:] = position[1:] != position[:-1]
    new_segment = new_list | (start > previous_end)
    segment_first = np.flatnonzero(new_segment)
    segment_last = np.append(segment_first[1:] - 1, len(position) - 1).astype(np.int64)
    segment_list = position[segment_first]
    segment_start = start[segment_first]
    segment_end = running_end[segment_last] if len(position) else running_end
    planned_end_rel = planned_seconds[segment_list]
    capped = np.clip(
        np.minimum(segment_end, planned_end_rel) - np.maximum(segment_start, 0), 0, None
    )
    uncapped_seconds = np.bincount(segment_list, weights=segment_end - segment_start, minlength=n)
    capped_seconds = np.bincount(segment_list, weights=capped, minlength=n)

    # Changeover minutes inside the planned session (for the lost-time waterfall): each gap
    # [previous out, next touch start], as in case_gaps, clipped to [planned start, end].
    same_list = position[1:] == position[:-1]
    gap_list = position[1:][same_list]
    gap_from = np.maximum(end[:-1][same_list], 0)
    gap_to = np.minimum(start[1:][same_list], planned_seconds[gap_list])
    in_session_gap = np.bincount(gap_list, weights=np.clip(gap_to - gap_from, 0, None), minlength=n)

    completed = np.bincount(position, minlength=n)
    first_start = np.full(n, np.nan)
    last_end = np.full(n, np.nan)
    list_first = np.flatnonzero(new_list)
    first_start[position[list_first]] = start[list_first]
    last_end[segment_list] = segment_end  # the last segment of each list is written last
    case_touch = np.bincount(position, weights=end - start, minlength=n)

    valid = prepared["list_position"].to_numpy() >= 0
    counted = prepared[valid]
    pos_all = counted["list_position"].to_numpy(dtype=np.int64)
    scheduled = np.bincount(pos_all, weights=counted["has_case"].to_numpy(), minlength=n)
    cancelled = np.bincount(pos_all, weights=counted["cancelled"].to_numpy(), minlength=n)
    non_clinical = np.bincount(
        pos_all, weights=counted["cancel_non_clinical"].to_numpy(), minlength=n
    )
    fallback = np.bincount(pos_all, weights=counted["anaesthetic_fallback"].to_numpy(), minlength=n)

    used = completed > 0
    late = np.where(used, np.maximum(0.0, first_start) / 60, np.nan)
    early = np.where(used, np.maximum(0.0, planned_seconds - last_end) / 60, np.nan)
    over = np.where(used, np.maximum(0.0, last_end - planned_seconds) / 60, np.nan)

    out = lists[[c for c in lists.columns if c not in ("planned_start", "planned_end")]].copy()
    out["planned_start"] = lists["planned_start"]
    out["planned_end"] = lists["planned_end"]
    out["planned_minutes"] = planned_seconds / 60
    out["capped_touch_minutes"] = capped_seconds / 60
    out["uncapped_touch_minutes"] = uncapped_seconds / 60
    out["unused"] = ~used
    out["completed_cases"] = completed
    out["scheduled_cases"] = scheduled.astype(np.int64)
    out["cancelled_cases"] = cancelled.astype(np.int64)
    out["cancelled_non_clinical"] = non_clinical.astype(np.int64)
    out["anaesthetic_fallback_cases"] = fallback.astype(np.int64)
    out["case_touch_minutes"] = case_touch / 60
    out["in_session_gap_minutes"] = in_session_gap / 60
    out["late_start_minutes"] = late
    out["early_finish_minutes"] = early
    out["overrun_minutes"] = over
    out = apply_thresholds(out, thresholds)
    for suffix, minutes, strict in BANDS:
        out[f"late_start_{suffix}"] = used & ((late > minutes) if strict else (late >= minutes))
        out[f"early_finish_{suffix}"] = used & ((early > minutes) if strict else (early >= minutes))
    return out


def apply_thresholds(per_list: pd.DataFrame, thresholds: Thresholds) -> pd.DataFrame:
    """(Re)derive starts_late, finishes_early and overruns from the stored minutes.

    Marts keep the minutes, so a changed threshold in the benchmark file applies at once,
    without rebuilding anything. Each flag is strictly greater than its threshold; unused
    sessions (NaN minutes) are never flagged.
    """
    return per_list.assign(
        starts_late=per_list["late_start_minutes"] > thresholds.late_start_minutes,
        finishes_early=per_list["early_finish_minutes"] > thresholds.early_finish_minutes,
        overruns=per_list["overrun_minutes"] > thresholds.overrun_minutes,
    )


def case_gaps(lists: pd.DataFrame, cases: pd.DataFrame) -> pd.DataFrame:
    """One row per changeover: next case's touch start − previous case's out_of_theatre.

    Cases are taken in order of anaesthetic start within a list; a negative gap (parallel
    induction) counts as 0. Unused sessions have no gaps.
    """
    lists = lists.reset_index(drop=True)
    position, start, end = _sorted_intervals(lists, prepare_cases(lists, cases))
    same_list = position[1:] == position[:-1]
    gap_seconds = np.maximum(0, start[1:] - end[:-1])[same_list]
    return pd.DataFrame(
        {
            "list_id": lists["list_id"].to_numpy()[position[1:][same_list]],
            "gap_minutes": gap_seconds / 60,
        }
    )


def capped_utilisation(capped_touch_minutes: pd.Series, planned_minutes: pd.Series) -> pd.Series:
    """Σ capped touch ÷ Σ planned for already-summed columns (NaN where nothing was planned)."""
    return capped_touch_minutes / planned_minutes.where(planned_minutes > 0)


def uncapped_utilisation(
    uncapped_touch_minutes: pd.Series, planned_minutes: pd.Series
) -> pd.Series:
    """Σ uncapped touch ÷ Σ planned; may exceed 1 when lists overrun."""
    return uncapped_touch_minutes / planned_minutes.where(planned_minutes > 0)


def median_from_counts(values: np.ndarray, counts: np.ndarray) -> float:
    """The median of a multiset given as distinct values and their counts (NaN if empty).

    Lets a mart store gap histograms and still give the exact median of every gap in scope.
    """
    total = int(np.sum(counts))
    if total == 0:
        return float("nan")
    order = np.argsort(values, kind="stable")
    sorted_values = np.asarray(values, dtype=float)[order]
    cumulative = np.cumsum(np.asarray(counts)[order])
    lower = sorted_values[np.searchsorted(cumulative, (total + 1) // 2)]
    upper = sorted_values[np.searchsorted(cumulative, total // 2 + 1)]
    return float((lower + upper) / 2)


# Flag columns of list_metrics (stored as 0/1 integers by SQLite, so readers restore the dtype).
FLAG_COLUMNS: tuple[str, ...] = (
    "unused", "starts_late", "finishes_early", "overruns",
    *(f"late_start_{suffix}" for suffix, _, _ in BANDS),
    *(f"early_finish_{suffix}" for suffix, _, _ in BANDS),
)  # fmt: skip

# Columns of list_metrics that add up across lists (ratios are formed after summing).
SUM_COLUMNS: tuple[str, ...] = (
    "planned_minutes", "capped_touch_minutes", "uncapped_touch_minutes", "completed_cases",
    "scheduled_cases", "cancelled_cases", "cancelled_non_clinical", "anaesthetic_fallback_cases",
    "case_touch_minutes", "in_session_gap_minutes", "starts_late", "finishes_early", "overruns",
    *(f"late_start_{suffix}" for suffix, _, _ in BANDS),
    *(f"early_finish_{suffix}" for suffix, _, _ in BANDS),
)  # fmt: skip


# What sum_lists adds up: list counts, minutes and flags (ratios are formed after summing).
SUMMED_COLUMNS: tuple[str, ...] = (
    "lists", "used_lists", "unused_lists", "unused_planned_minutes",
    "late_start_minutes_sum", "early_finish_minutes_sum", "overrun_minutes_sum", *SUM_COLUMNS,
)  # fmt: skip


def sum_lists(per_list: pd.DataFrame, by: Sequence[str]) -> pd.DataFrame:
    """Sum list-level columns to ``by`` (lists, used lists and the additive columns).

    The result is what marts store: ratios are computed later by :func:`ratios`.
    """
    frame = per_list.assign(
        lists=1,
        used_lists=~per_list["unused"],
        unused_lists=per_list["unused"],
        unused_planned_minutes=per_list["planned_minutes"].where(per_list["unused"], 0.0),
        late_start_minutes_sum=per_list["late_start_minutes"].fillna(0.0),
        early_finish_minutes_sum=per_list["early_finish_minutes"].fillna(0.0),
        overrun_minutes_sum=per_list["overrun_minutes"].fillna(0.0),
    )
    numeric = frame[list(by) + list(SUMMED_COLUMNS)]
    return resum(numeric.astype(dict.fromkeys(SUMMED_COLUMNS, "float64")), by)


def resum(sums: pd.DataFrame, by: Sequence[str]) -> pd.DataFrame:
    """Add up already-summed rows (:func:`sum_lists` output, e.g. a monthly mart) to ``by``.

    Sums of sums are exact, so a report can be built from a small aggregate rather than from
    every list.
    """
    columns = list(SUMMED_COLUMNS)
    if not by:
        return sums[columns].sum().to_frame().T
    return sums.groupby(list(by), as_index=False, observed=True, dropna=False)[columns].sum()


def ratios(sums: pd.DataFrame) -> pd.DataFrame:
    """Add the report's ratios to summed columns (every one a ratio of sums).

    late_start_share and early_finish_share have as denominator the lists with at least one
    completed case; so do mean_late_start_minutes, mean_early_finish_minutes, overrun_share and
    mean_overrun_minutes. cases_per_list divides by all lists, unused sessions included;
    otd_cancellation_rate = non-clinical cancellations ÷ scheduled cases, and
    clinical_cancellation_rate = clinical cancellations ÷ scheduled cases.
    unused_session_share = unused sessions ÷ lists. lost_minutes = planned − capped touch (the
    minutes the waterfall breaks down), and lost_minutes_per_list divides it by all lists.
    """
    out = sums.copy()
    used = out["used_lists"].where(out["used_lists"] > 0)
    out["capped_utilisation"] = capped_utilisation(
        out["capped_touch_minutes"], out["planned_minutes"]
    )
    out["uncapped_utilisation"] = uncapped_utilisation(
        out["uncapped_touch_minutes"], out["planned_minutes"]
    )
    out["late_start_share"] = out["starts_late"] / used
    out["mean_late_start_minutes"] = out["late_start_minutes_sum"] / used
    out["early_finish_share"] = out["finishes_early"] / used
    out["mean_early_finish_minutes"] = out["early_finish_minutes_sum"] / used
    out["overrun_share"] = out["overruns"] / used
    out["mean_overrun_minutes"] = out["overrun_minutes_sum"] / used
    for suffix, _, _ in BANDS:
        out[f"late_start_{suffix}_share"] = out[f"late_start_{suffix}"] / used
        out[f"early_finish_{suffix}_share"] = out[f"early_finish_{suffix}"] / used
    out["cases_per_list"] = out["completed_cases"] / out["lists"].where(out["lists"] > 0)
    scheduled = out["scheduled_cases"].where(out["scheduled_cases"] > 0)
    out["otd_cancellation_rate"] = out["cancelled_non_clinical"] / scheduled
    out["clinical_cancellation_rate"] = (
        out["cancelled_cases"] - out["cancelled_non_clinical"]
    ) / scheduled
    out["unused_session_share"] = out["unused_lists"] / out["lists"].where(out["lists"] > 0)
    out["lost_minutes"] = out["planned_minutes"] - out["capped_touch_minutes"]
    out["lost_minutes_per_list"] = out["lost_minutes"] / out["lists"].where(out["lists"] > 0)
    out["mean_case_minutes"] = out["case_touch_minutes"] / out["completed_cases"].where(
        out["completed_cases"] > 0
    )
    return out


def median_gap_minutes(
    per_list: pd.DataFrame, gaps: pd.DataFrame, by: Sequence[str]
) -> pd.DataFrame:
    """Median changeover gap over all gaps in each ``by`` group (NaN where a group has none)."""
    keyed = gaps.merge(per_list[["list_id", *by]], on="list_id", how="inner")
    if not by:
        return pd.DataFrame({"median_gap_minutes": [keyed["gap_minutes"].median()]})
    medians = keyed.groupby(list(by), observed=True, dropna=False)["gap_minutes"].median()
    return medians.rename("median_gap_minutes").reset_index()


def summarise(per_list: pd.DataFrame, gaps: pd.DataFrame, by: Sequence[str]) -> pd.DataFrame:
    """The theatre report at any level: sums, ratios of sums and the median gap."""
    summary = ratios(sum_lists(per_list, by))
    medians = median_gap_minutes(per_list, gaps, by)
    if by:
        summary = summary.merge(medians, on=list(by), how="left")
    else:
        summary["median_gap_minutes"] = medians["median_gap_minutes"].iloc[0]
    return summary
