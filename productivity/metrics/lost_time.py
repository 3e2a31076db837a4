"""The lost-time breakdown of a unit's planned theatre minutes (the Theatres page's waterfall).

Example::

    steps = lost_time_steps(per_list, gap_minutes=histogram_total(gaps))

Planned minutes fall, step by step, to capped touch time::

    planned − unused sessions − late start − gaps − early finish − other = capped touch

Every step is a whole number of minutes and ``other`` is the remainder, so the steps add up
exactly. ``other`` absorbs what the named steps cannot explain on their own: a case that starts
before the planned start (touch time that is not late, yet falls outside the session), a list that
starts after its planned end, nested cases (a case inside another's interval makes the next
changeover look longer than the idle time), and changeovers that fall outside the planned
session. It may be negative. Overrun minutes are reported beside the waterfall, not in it: they are
touch time *outside* the session, so they cannot be part of the planned minutes' breakdown.

Pure: imports only numpy and pandas.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

# The list-level column holding each list's changeover minutes inside its planned session
# (see lost_time_steps); preferred over a gap total when the mart has it.
IN_SESSION_GAPS = "in_session_gap_minutes"
PLANNED, UNUSED, LATE, GAPS, EARLY, OTHER, CAPPED, OVERRUN = (
    "Planned",
    "Unused sessions",
    "Late start",
    "Gaps",
    "Early finish",
    "Other",
    "Capped touch",
    "Overrun (beside)",
)
STEP_COLUMNS = ("step", "minutes", "kind", "share_of_planned")
# Per-list minutes lost to each cause (lost_minutes_by_cause), in the waterfall's order.
CAUSE_COLUMNS: dict[str, str] = {
    "unused_minutes": UNUSED,
    "late_start_minutes": LATE,
    "gap_minutes": GAPS,
    "early_finish_minutes": EARLY,
    "other_minutes": OTHER,
    "overrun_minutes": OVERRUN,
}


def histogram_total(gaps: pd.DataFrame) -> float:
    """Σ gap minutes × count over a gap histogram (``gap_minutes``, ``gaps`` columns)."""
    if gaps.empty:
        return 0.0
    return float((gaps["gap_minutes"].astype(float) * gaps["gaps"].astype(float)).sum())


def lost_time_steps(per_list: pd.DataFrame, gap_minutes: float | None = None) -> pd.DataFrame:
    """Waterfall steps from list-level rows: planned minutes down to capped touch time.

    ``per_list`` has the list-level columns of :func:`productivity.metrics.theatre.list_metrics`
    (``planned_minutes``, ``capped_touch_minutes``, ``unused``, ``late_start_minutes``,
    ``early_finish_minutes``, ``overrun_minutes``; NaN start/finish measures on unused lists).

    - unused sessions = Σ planned minutes of lists with no completed case;
    - late start = Σ late start minutes; early finish = Σ early finish minutes (used lists);
    - gaps = Σ ``in_session_gap_minutes`` when ``per_list`` has that column (each changeover's
      part inside [planned start, planned end]); otherwise ``gap_minutes`` (for example the total
      of the unit's gap histogram, which also counts changeovers outside the session);
    - other = planned − unused − late − gaps − early − capped touch (the remainder);
    - overrun = Σ overrun minutes, a ``beside`` row after the waterfall.

    Each figure is rounded to whole minutes before ``other`` is formed, so the rows add up
    exactly. Returns the columns ``step, minutes, kind, share_of_planned`` (kind is ``total``,
    ``loss`` or ``beside``); an empty frame when there are no lists.
    """
    if per_list.empty:
        return pd.DataFrame(columns=list(STEP_COLUMNS))
    unused = per_list["unused"].astype(bool)

    def total(values: pd.Series) -> float:
        return float(np.round(values.astype(float).fillna(0.0).sum()))

    planned = total(per_list["planned_minutes"])
    gaps = (
        total(per_list[IN_SESSION_GAPS])
        if IN_SESSION_GAPS in per_list.columns
        else float(np.round(gap_minutes or 0.0))
    )
    figures = {
        PLANNED: (planned, "total"),
        UNUSED: (total(per_list["planned_minutes"].where(unused, 0.0)), "loss"),
        LATE: (total(per_list["late_start_minutes"]), "loss"),
        GAPS: (gaps, "loss"),
        EARLY: (total(per_list["early_finish_minutes"]), "loss"),
    }
    capped = total(per_list["capped_touch_minutes"])
    losses = sum(minutes for minutes, kind in figures.values() if kind == "loss")
    figures[OTHER] = (planned - losses - capped, "loss")
    figures[CAPPED] = (capped, "total")
    figures[OVERRUN] = (total(per_list["overrun_minutes"]), "beside")
    steps = pd.DataFrame(
        [(step, minutes, kind) for step, (minutes, kind) in figures.items()],
        columns=["step", "minutes", "kind"],
    )
    steps["share_of_planned"] = steps["minutes"] / planned if planned > 0 else np.nan
    return steps


def lost_minutes_by_cause(per_list: pd.DataFrame) -> pd.DataFrame:
    """Each list's minutes lost to each cause, as the waterfall counts them (unrounded).

    Columns (same index): unused_minutes (planned minutes of an unused session),
    late_start_minutes, gap_minutes (``in_session_gap_minutes``), early_finish_minutes (0 on an
    unused session), other_minutes = planned − unused − late − gaps − early − capped touch,
    overrun_minutes (beside the waterfall: not part of the planned minutes), and lost_minutes =
    planned − capped touch (unused + late + gaps + early + other). Sums of these over lists give
    the waterfall's steps before rounding.
    """
    unused = per_list["unused"].astype(bool)
    planned = per_list["planned_minutes"].astype(float)
    capped = per_list["capped_touch_minutes"].astype(float)

    def minutes(column: str) -> pd.Series:
        return per_list[column].astype(float).fillna(0.0)

    out = pd.DataFrame(
        {
            "unused_minutes": planned.where(unused, 0.0),
            "late_start_minutes": minutes("late_start_minutes"),
            "gap_minutes": minutes(IN_SESSION_GAPS),
            "early_finish_minutes": minutes("early_finish_minutes"),
        },
        index=per_list.index,
    )
    out["other_minutes"] = planned - out.sum(axis=1) - capped
    out["overrun_minutes"] = minutes("overrun_minutes")
    out["lost_minutes"] = planned - capped
    return out
