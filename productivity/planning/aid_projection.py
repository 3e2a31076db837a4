"""The mutual-aid projection: 6+ week waiters after 4, 8 and 12 weeks, without and with aid.

Flow model (the page's caption says the same):

1. Today's 6+ week backlog ``B`` of each trust is where both projections start, and the DM01
   list is taken to be in steady state: patients crossing 6 weeks are balanced by those seen at
   today's productivity.
2. Spare capacity ``S`` a week (activity at the benchmark rate beyond what was done) goes to a
   trust's own longest waiters first. *Without mutual aid* each trust's backlog falls by its
   own ``S`` a week: after ``t`` weeks it is max(0, B − t × S).
3. *With mutual aid* a trust that sends patients clears ``S`` + what it sends a week; a trust
   that takes patients spends ``S`` − what it takes on its own backlog. The matcher only lets a
   trust take what is left after its own backlog's needs (``S − B ÷ H``), so its own backlog
   still falls, and is gone within the horizon ``H``. After ``t`` weeks:
   max(0, B − t × (S + sent − taken)).
4. A part of a person still waiting counts as one (each trust's figure is rounded up), and the
   system's figure is the sum of the trusts' figures, so the tiles and the table agree.

Pure: numpy and pandas; no Streamlit, no database.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd

# Float noise such as 36.0000001 must not add a waiter when rounding up.
_NOISE = 1e-6
PROJECTION_COLUMNS: tuple[str, ...] = (
    "weeks", "waiting_6_plus_before", "waiting_6_plus_without_aid", "waiting_6_plus_after",
    "reduction",
)  # fmt: skip


def backlog_after(
    by_trust: pd.DataFrame, weeks: tuple[int, ...]
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Each trust's 6+ week waiters after each of ``weeks``: (without aid, with aid).

    Two arrays of shape (trusts, weeks). ``by_trust`` has ``waiting_6_plus``,
    ``spare_per_week``, ``sends_per_week`` and ``takes_per_week``.
    """
    backlog = by_trust["waiting_6_plus"].to_numpy(float)[:, None]
    spare = by_trust["spare_per_week"].to_numpy(float)[:, None]
    sends = by_trust["sends_per_week"].to_numpy(float)
    net = (sends - by_trust["takes_per_week"].to_numpy(float))[:, None]
    t = np.asarray(weeks, dtype=float)[None, :]
    return _waiters(backlog - t * spare), _waiters(backlog - t * (spare + net))


def project(by_trust: pd.DataFrame, weeks: tuple[int, ...]) -> pd.DataFrame:
    """System 6+ week waiters at each of ``weeks``: now, without aid and with it.

    ``reduction`` is what mutual aid adds: without aid − with aid (see the module's model).
    """
    without, with_aid = backlog_after(by_trust, weeks)
    before = int(by_trust["waiting_6_plus"].sum())
    # Built from int64 arrays at once: a dozen trusts' frame operations cost more than the sums.
    without_aid = without.sum(axis=0, dtype=np.int64)
    after = with_aid.sum(axis=0, dtype=np.int64)
    columns = (
        np.asarray(weeks, dtype=np.int64),
        np.full(len(weeks), before, dtype=np.int64),
        without_aid,
        after,
        without_aid - after,
    )
    return pd.DataFrame(dict(zip(PROJECTION_COLUMNS, columns, strict=True)))


def _waiters(left: npt.NDArray[np.float64]) -> npt.NDArray[np.int64]:
    return np.ceil(np.clip(left - _NOISE, 0, None)).astype(np.int64)
