"""Which figures of a mutual-aid plan are withheld, so that no hidden count can be worked out.

The small-number rule (:mod:`productivity.export`) hides a count of 1 to 4 patients. A total shown
beside its parts would give a hidden part back by subtraction: 12 patients moved a week beside
transfers of * and 10 says the * is 2. So, for each total the plan shows (the patients moved a
week, each trust's patients sent and taken a week, the system's 6+ week waiters now and at the
projection's last week), the counts that add up to it are treated as one line:

1. the line's counts from 1 to 4 are hidden (the rule itself);
2. while what the hidden counts must add up to (the total less the counts shown) would pin any
   of them down (one hidden count, or a sum only one split explains), the smallest count shown
   is hidden too (*secondary suppression*);
3. when no count is left to hide, the total is withheld instead.

A figure worked out from a hidden count is hidden with it: a transfer's patients over the
projection, the patients sent and taken a week by each trust in a hidden transfer (and its
waiters with mutual aid, which follow from them), a trust's % within 6 weeks, need and offer a
week when its 6+ week waiters are hidden (each follows from them and figures shown beside it),
and, in the projection, a figure that the two shown beside it would give back
(on its own − with mutual aid = fewer). Pure: pandas.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from productivity.export import SUPPRESS_BELOW

SMALL = SUPPRESS_BELOW - 1  # the largest hidden count (4)
# The trust columns whose system totals the projection shows.
TRUST_TOTALS: tuple[str, ...] = (
    "waiting_6_plus_before", "waiting_6_plus_without_aid", "waiting_6_plus_after",
)  # fmt: skip
# Worked out from a trust's 6+ week waiters (with the list or spare capacity shown beside them).
FROM_BACKLOG: tuple[str, ...] = ("within_6_weeks", "need_per_week", "offer_per_week")
RULE = (
    "A total is never shown beside its parts in a way that would give a hidden count back: "
    "when subtracting the counts shown from a total would reveal a hidden one, the next smallest "
    "count is hidden too (shown as *), or, when none is left, the total itself. A figure worked "
    "out from a hidden count (patients over the projection, a trust's patients sent or taken, "
    "its % within 6 weeks) is hidden with it."
)


def small(values: pd.Series) -> pd.Series:
    """True where a value is a count the small-number rule hides (1 to 4)."""
    numbers = pd.to_numeric(values, errors="coerce")
    return numbers.notna() & (numbers >= 1) & (numbers <= SMALL)


def pinned(values: pd.Series, hidden: pd.Series, floor: int = 0) -> bool:
    """Whether the total of ``values`` would pin a hidden count from 1 to 4 down.

    A reader who subtracts the counts shown knows what the ``hidden`` ones add up to. Each
    other hidden count is at least ``floor`` (1 for a transfer, which exists only from 1, else
    0) and, when every hidden count is one from 1 to 4, at most 4. A hidden small count is safe
    when at least two values from 1 to 4 fit.
    """
    return _pinned(_numbers(values), hidden.to_numpy(bool), floor)


def protect(
    values: pd.Series, extra: pd.Series | None = None, floor: int = 0
) -> tuple[pd.Series, bool]:
    """The cells of one line to hide, and whether its total may be shown (see the module)."""
    numbers = _numbers(values)
    hidden = _small(numbers)
    if extra is not None:
        hidden |= extra.reindex(values.index, fill_value=False).astype(bool).to_numpy()
    hidden, total_shown = _protect(numbers, hidden, floor)
    return pd.Series(hidden, index=values.index, name=values.name), total_shown


Flags = npt.NDArray[np.bool_]


# The plan's tables are a dozen rows: the rule runs on numpy arrays, as pandas' cost is per
# operation. The public functions above take and give Series.
def _numbers(values: pd.Series) -> npt.NDArray[np.float64]:
    if pd.api.types.is_numeric_dtype(values.dtype):  # already numbers: no parsing needed
        return values.to_numpy(float, na_value=np.nan)
    return pd.to_numeric(values, errors="coerce").to_numpy(float, na_value=np.nan)


def _small(numbers: npt.NDArray[np.float64]) -> npt.NDArray[np.bool_]:
    return (numbers >= 1) & (numbers <= SMALL)  # NaN is neither


def _pinned(numbers: npt.NDArray[np.float64], hidden: npt.NDArray[np.bool_], floor: int) -> bool:
    if not hidden.any():
        return False
    parts = numbers[hidden]
    smalls = _small(parts)
    if not smalls.any():
        return False
    total, count, small_count = float(np.nansum(parts)), len(parts), int(smalls.sum())
    # The least the other hidden counts add up to: 1 for each other small one, floor for the rest.
    others_least = small_count - 1 + (count - small_count) * floor
    highest = min(SMALL, total - others_least)
    lowest = max(1.0, total - SMALL * (count - 1)) if smalls.all() else 1.0
    return highest - lowest < 1


def _protect(
    numbers: npt.NDArray[np.float64], hidden: npt.NDArray[np.bool_], floor: int
) -> tuple[npt.NDArray[np.bool_], bool]:
    hidden = hidden.copy()
    while _pinned(numbers, hidden, floor):
        shown = np.flatnonzero(~hidden & (numbers > SMALL))
        if not len(shown):
            return hidden, False
        hidden[shown[np.argmin(numbers[shown])]] = True  # the smallest shown, the first of ties
    return hidden, True


@dataclass(frozen=True)
class Withheld:
    """What to hide: ``transfers`` (a row of the proposals), ``trusts`` (a cell of the trusts'
    frame, by column), ``projection`` (a cell of the projection), ``moved`` (the patients moved
    a week in all)."""

    transfers: pd.Series
    trusts: pd.DataFrame
    projection: pd.DataFrame
    moved: bool

    @property
    def any(self) -> bool:
        return bool(
            self.moved or self.transfers.any() or self.trusts.to_numpy().any()
            or self.projection.to_numpy().any()
        )  # fmt: skip


def withheld(proposals: pd.DataFrame, trusts: pd.DataFrame, projection: pd.DataFrame) -> Withheld:
    """What a plan's tables, tiles, chart, CSVs and pack withhold (see the module).

    ``proposals``, ``trusts`` and ``projection`` are a :class:`MutualAidPlan`'s frames.
    """
    transfers, moved_shown = protect(proposals["patients_per_week"], floor=1)
    codes = trusts["trust_code"].to_numpy()
    in_hidden = transfers.to_numpy()
    sends = _small(_numbers(trusts["sends_per_week"])) | _among(
        codes, proposals["from_trust"].to_numpy()[in_hidden]
    )
    takes = _small(_numbers(trusts["takes_per_week"])) | _among(
        codes, proposals["to_trust"].to_numpy()[in_hidden]
    )
    no = np.zeros(len(trusts), dtype=bool)
    mask = dict.fromkeys(trusts.columns, no)
    mask["sends_per_week"], mask["takes_per_week"] = sends, takes
    mask["total_waiting"] = _small(_numbers(trusts["total_waiting"]))
    totals: dict[str, bool] = {}
    for column in TRUST_TOTALS:
        numbers = _numbers(trusts[column])
        derived = sends | takes if column == "waiting_6_plus_after" else no
        mask[column], totals[column] = _protect(numbers, _small(numbers) | derived, 0)
    for column in (c for c in FROM_BACKLOG if c in mask):
        mask[column] = mask["waiting_6_plus_before"]
    # The 12-week fewer is 12 × the patients moved: withholding one withholds the other.
    moved_shown &= totals["waiting_6_plus_after"]
    weeks = projection["weeks"].to_numpy()
    last = weeks == weeks.max() if len(weeks) else np.zeros(0, dtype=bool)
    every = np.ones(len(projection), dtype=bool)
    grid = dict.fromkeys(projection.columns, ~every)
    grid["waiting_6_plus_before"] = every & (not totals["waiting_6_plus_before"])
    grid["waiting_6_plus_without_aid"] = last & (not totals["waiting_6_plus_without_aid"])
    grid["waiting_6_plus_after"] = every & (not moved_shown)
    grid["reduction"] = every & (not moved_shown)
    for column in (c for c in grid if c != "weeks"):
        grid[column] = grid[column] | _small(_numbers(projection[column]))
    # Of on its own, with mutual aid and fewer, never one alone hidden: the two others give it.
    trio = ("waiting_6_plus_without_aid", "waiting_6_plus_after", "reduction")
    alone = sum(grid[c].astype(int) for c in trio) == 1
    grid["waiting_6_plus_after"] = grid["waiting_6_plus_after"] | (alone & grid["reduction"])
    grid["reduction"] = grid["reduction"] | (alone & ~grid["reduction"])
    return Withheld(
        transfers,
        pd.DataFrame(mask, index=trusts.index),
        pd.DataFrame(grid, index=projection.index),
        not moved_shown,
    )


def _among(codes: npt.NDArray[np.object_], chosen: npt.NDArray[np.object_]) -> Flags:
    """Whether each code is one of ``chosen``."""
    wanted = set(chosen)
    return np.array([code in wanted for code in codes], dtype=bool)
