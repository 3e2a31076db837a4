""" "Has my change worked?" in words: the latest SPC shift of a unit's weekly utilisation.

>>> import pandas as pd
>>> mondays = pd.date_range("2026-03-02", periods=14, freq="7D")
>>> values = [0.60, 0.61] * 3 + [0.70, 0.71] * 4
>>> shift = latest_shift(spc.xmr(values, mondays, direction="higher"))
>>> weekly = pd.DataFrame({"period": mondays.strftime("%Y-%m-%d"), "whole": True,
...                        "planned_minutes": 1000.0,
...                        "capped_touch_minutes": [v * 1000 for v in values]})
>>> print(shift_sentence(shift, weekly))
Since the week of 13 April 2026, capped utilisation is 70.5% against 60.5% before
(special cause, improving: 8 weeks in a row on one side of the mean).

A *shift* is the making-data-count rule already computed by :func:`productivity.stats.spc.xmr`:
7 or more points in a row on one side of the mean, within the current limits. Its first point is
where the change most likely took effect, so it is also the date offered for a rebase. The
figures either side are ratios of sums over the whole weeks of the current limits' period (never a
mean of weekly ratios). No Streamlit import.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from productivity.metrics import theatre
from productivity.stats import spc

IMPROVING, CONCERNING = "improving", "concerning"


@dataclass(frozen=True)
class Shift:
    """The latest run of shift points in the current limits' period."""

    start: pd.Timestamp  # the Monday of the run's first week
    end: pd.Timestamp  # the Monday of its last week
    weeks: int
    direction: str  # improving | concerning | high | low
    period_start: pd.Timestamp  # the first week of the current limits' period


def latest_shift(result: spc.SPCResult) -> Shift | None:
    """The latest shift in the last rebase period, or None.

    A shift is a run of at least :data:`productivity.stats.spc.RUN_LENGTH` points strictly on
    one side of the period's mean (points in it may carry a stronger rule's label too, such as
    outside the limits). A run that starts on the period's first point has no "before" to
    compare with (the limits were already recalculated there), so it is not reported.
    """
    points = result.points
    current = points[points["period"] == points["period"].max()].reset_index(drop=True)
    side = np.sign(current["value"] - current["mean"]).to_numpy()
    starts = np.flatnonzero(np.concatenate(([True], side[1:] != side[:-1])))
    lengths = np.diff(np.concatenate((starts, [len(side)])))
    long = [(s, n) for s, n in zip(starts, lengths, strict=True)
            if n >= spc.RUN_LENGTH and side[s] != 0]  # fmt: skip
    if not long or long[-1][0] == 0:
        return None
    first, length = long[-1]
    chosen = current.iloc[first : first + length]
    special = chosen[chosen["special_cause"].astype(bool)]
    kind = str((special if len(special) else chosen)["point_type"].iloc[0])
    kind = kind.removeprefix("special_cause_")
    direction = {"improvement": IMPROVING, "concern": CONCERNING}.get(
        kind, kind.removeprefix("neutral_")
    )
    return Shift(
        start=pd.Timestamp(chosen["date"].iloc[0]),
        end=pd.Timestamp(chosen["date"].iloc[-1]),
        weeks=int(length),
        direction=direction,
        period_start=pd.Timestamp(current["date"].iloc[0]),
    )


def before_and_after(shift: Shift, weekly: pd.DataFrame) -> tuple[float, float]:
    """Capped utilisation (Σ capped ÷ Σ planned) over the whole weeks of the current period
    before the shift's first week, and from it on."""
    whole = weekly["whole"].to_numpy(dtype=bool)
    monday = pd.to_datetime(weekly["period"]).to_numpy()[whole]
    current = monday >= np.datetime64(shift.period_start)
    after = current & (monday >= np.datetime64(shift.start))
    capped = weekly["capped_touch_minutes"].to_numpy(dtype=float)[whole]
    planned = weekly["planned_minutes"].to_numpy(dtype=float)[whole]

    def ratio(keep: np.ndarray) -> float:
        # as a Series sum: empty values left out
        sums = pd.Series([np.nansum(capped[keep])]), pd.Series([np.nansum(planned[keep])])
        return float(theatre.capped_utilisation(*sums).iloc[0])

    return ratio(current & ~after), ratio(after)


def shift_sentence(shift: Shift, weekly: pd.DataFrame) -> str:
    """The shift in one plain sentence, with the figures either side of it."""
    before, after = before_and_after(shift, weekly)
    return (
        f"Since the week of {shift.start:%-d %B %Y}, capped utilisation is {after:.1%} against "
        f"{before:.1%} before (special cause, {shift.direction}: {shift.weeks} weeks in a row "
        "on one side of the mean)."
    )


def no_shift_sentence(result: spc.SPCResult) -> str:
    """What to say when there is no shift to report."""
    if result.variation in ("improvement", "concern"):
        return (
            "Special cause in the latest weeks, but not yet a shift of 7 weeks on one side of "
            "the mean: keep watching before rebasing."
        )
    return "No shift: the weekly points stay within common-cause variation around one mean."
