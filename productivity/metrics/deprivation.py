"""The deprivation lens on DM01 waits: % within 6 weeks by IMD quintile and the Q1:Q5 ratio.

Pure functions over DM01-style rows split by IMD quintile (the ``dm01_imd`` table: ``period,
provider_code, test_code, imd_quintile, total_waiting, waiting_6_plus, waiting_13_plus`` and,
where known, the 14 waiting-time bands). Quintile 1 is the most deprived fifth of England's
LSOAs, quintile 5 the least deprived. % within 6 weeks is :func:`waits.dm01_waits`' definition,
so a quintile's figure and the DM01 page's can never disagree. The inequality measure is the
ratio of the share waiting 6+ weeks in Q1 to that in Q5, with a Katz log confidence interval,
and the absolute gap between the two shares. Imports only the stdlib, numpy and pandas.
"""

from __future__ import annotations

from collections.abc import Sequence
from statistics import NormalDist

import numpy as np
import numpy.typing as npt
import pandas as pd

from productivity.metrics import waits
from productivity.metrics.diagnostics import as_keys, require_columns, safe_ratio

MOST_DEPRIVED = 1
LEAST_DEPRIVED = 5
QUINTILES: tuple[int, ...] = (1, 2, 3, 4, 5)
CONFIDENCE = 0.95
Z = NormalDist().inv_cdf(0.5 + CONFIDENCE / 2)  # 1.959964, the two-sided 95% normal quantile
# Haldane-Anscombe: add ½ to each cell of the 2 × 2 table when one quintile has no 6+ week
# waiter, so the ratio and its log standard error stay finite (n grows by 1: ½ to each cell).
CONTINUITY_CORRECTION = 0.5
NO_GAP = 1.0  # a ratio of 1: the most and least deprived are equally likely to wait 6+ weeks
# The programme wants the ratio to fall towards 1, so a falling ratio is an improvement in SPC.
RATIO_DIRECTION = "lower"
# What the interval says: the most deprived wait longer (CI wholly above 1), no evidence of a
# difference (CI spans 1), the least deprived wait longer (CI wholly below 1), or no ratio.
EVIDENCE: tuple[str, ...] = ("wider", "none", "reverse", "unknown")
COUNT_COLUMNS: tuple[str, ...] = ("total_waiting", "waiting_6_plus", "waiting_13_plus")
RATIO_COLUMNS: tuple[str, ...] = (
    "total_waiting_most", "waiting_6_plus_most", "total_waiting_least", "waiting_6_plus_least",
    "share_6_plus_most", "share_6_plus_least", "gap", "ratio", "ratio_lower", "ratio_upper",
    "log_ratio_se", "continuity_corrected", "evidence",
)  # fmt: skip


def within_6_weeks_by_quintile(imd: pd.DataFrame, by: Sequence[str]) -> pd.DataFrame:
    """% within 6 weeks for each group × IMD quintile, as :func:`waits.dm01_waits` defines it.

    ``within_6_weeks`` = (Σ total waiting − Σ waiting 6+) ÷ Σ total waiting, a fraction (NaN
    when nobody in the quintile waits); ``share_6_plus`` = 1 − that (Σ waiting 6+ ÷ Σ total).
    Waiting 6+ comes from the bands where all are present, else the reported column. Group by
    ``period`` for a month-end snapshot. The rows carry no activity, so dm01_waits' activity and
    backlog columns are left out.

    Returns:
        The group keys, ``imd_quintile``, ``total_waiting``, ``waiting_6_plus``,
        ``waiting_13_plus``, ``within_6_weeks`` and ``share_6_plus``.

    Raises:
        ValueError: a key, ``period``, ``imd_quintile`` or count column is missing.
    """
    keys = [*as_keys(by), "imd_quintile"]
    require_columns(imd, ["period", *keys, "total_waiting"], "DM01 by IMD quintile")
    out = waits.dm01_waits(imd.assign(total_activity=0), keys)
    out["share_6_plus"] = safe_ratio(out["waiting_6_plus"], out["total_waiting"])
    return out[[*keys, *COUNT_COLUMNS, "within_6_weeks", "share_6_plus"]]


def katz_ratio(
    waiting_most: npt.ArrayLike,
    total_most: npt.ArrayLike,
    waiting_least: npt.ArrayLike,
    total_least: npt.ArrayLike,
) -> pd.DataFrame:
    """The ratio of two proportions with its 95% confidence interval (Katz log method).

    With a = 6+ week waiters of n1 in the most deprived quintile and b of n2 in the least:
    RR = (a/n1) ÷ (b/n2); SE(log RR) = √(1/a − 1/n1 + 1/b − 1/n2); the interval is
    exp(log RR ± 1.96 SE). When exactly one of a and b is 0, ½ is added to a and b and 1 to n1
    and n2 (the Haldane-Anscombe correction: ½ to every cell of the 2 × 2 table) and
    ``continuity_corrected`` is True. The ratio is NaN when n1 or n2 is 0, or when nobody waits
    6+ weeks in either quintile (there is no gap to measure).

    Returns:
        One row per input position: ``ratio``, ``ratio_lower``, ``ratio_upper``,
        ``log_ratio_se`` and ``continuity_corrected``.
    """
    a, n1, b, n2 = (np.atleast_1d(np.asarray(x, dtype=float)) for x in
                    (waiting_most, total_most, waiting_least, total_least))  # fmt: skip
    a, n1, b, n2 = np.broadcast_arrays(a, n1, b, n2)
    valid = (n1 > 0) & (n2 > 0) & ((a > 0) | (b > 0))
    corrected = valid & ((a == 0) | (b == 0))
    c = np.where(corrected, CONTINUITY_CORRECTION, 0.0)
    a, b, n1, n2 = a + c, b + c, n1 + 2 * c, n2 + 2 * c
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(valid, (a / n1) / (b / n2), np.nan)
        se = np.where(valid, np.sqrt(np.maximum(1 / a - 1 / n1 + 1 / b - 1 / n2, 0.0)), np.nan)
        log_ratio = np.log(ratio)
    return pd.DataFrame(
        {
            "ratio": ratio,
            "ratio_lower": np.exp(log_ratio - Z * se),
            "ratio_upper": np.exp(log_ratio + Z * se),
            "log_ratio_se": se,
            "continuity_corrected": corrected,
        }
    )


def gap_evidence(lower: pd.Series, upper: pd.Series) -> pd.Series:
    """What a ratio's interval says: ``wider``, ``none``, ``reverse`` or ``unknown`` (no ratio).

    ``wider``: the interval lies wholly above 1, so the most deprived are more likely to wait
    6+ weeks; ``reverse``: wholly below 1; ``none``: it spans 1 (no evidence of a gap).
    """
    lower = pd.Series(lower, dtype=float)
    upper = pd.Series(upper, dtype=float).set_axis(lower.index)
    out = pd.Series("none", index=lower.index, dtype=object)
    out[lower > NO_GAP] = "wider"
    out[upper < NO_GAP] = "reverse"
    out[lower.isna() | upper.isna()] = "unknown"
    return out


def quintile_ratio(imd: pd.DataFrame, by: Sequence[str]) -> pd.DataFrame:
    """Q1 (most deprived) : Q5 (least deprived) ratio of the share waiting 6+ weeks, per group.

    For each group (e.g. ``["provider_code", "test_code", "period"]``: per trust, test and
    month; ``[]`` for everything together): the counts of the two quintiles, their shares waiting
    6+ weeks (Σ waiting 6+ ÷ Σ total, NaN when nobody waits), the absolute ``gap`` = share in
    Q1 − share in Q5 (a fraction; equally, Q5's % within 6 weeks − Q1's), and :func:`katz_ratio`
    with its 95% interval and :func:`gap_evidence`. A group with no row for a quintile counts
    it as 0 waiting. Group by ``period`` too: a waiting list is a month-end snapshot, and pooling
    months counts the same patients more than once, which makes the interval falsely narrow.

    Returns:
        The group keys and :data:`RATIO_COLUMNS`, one row per group, sorted by the keys.

    Raises:
        ValueError: as :func:`within_6_weeks_by_quintile`.
    """
    keys = as_keys(by)
    per = within_6_weeks_by_quintile(imd, keys)
    index = keys or ["_all"]
    per = per.assign(_all=0)
    groups = per[index].drop_duplicates().sort_values(index).reset_index(drop=True)

    def side(quintile: int, suffix: str) -> pd.DataFrame:
        rows = per.loc[per["imd_quintile"] == quintile, [*index, "total_waiting", "waiting_6_plus"]]
        return rows.rename(
            columns={c: f"{c}_{suffix}" for c in ("total_waiting", "waiting_6_plus")}
        )

    out = groups.merge(side(MOST_DEPRIVED, "most"), on=index, how="left").merge(
        side(LEAST_DEPRIVED, "least"), on=index, how="left"
    )
    counts = [f"{c}_{s}" for s in ("most", "least") for c in ("total_waiting", "waiting_6_plus")]
    out[counts] = out[counts].fillna(0)
    out["share_6_plus_most"] = safe_ratio(out["waiting_6_plus_most"], out["total_waiting_most"])
    out["share_6_plus_least"] = safe_ratio(out["waiting_6_plus_least"], out["total_waiting_least"])
    out["gap"] = out["share_6_plus_most"] - out["share_6_plus_least"]
    ratio = katz_ratio(
        out["waiting_6_plus_most"],
        out["total_waiting_most"],
        out["waiting_6_plus_least"],
        out["total_waiting_least"],
    )
    out = pd.concat([out, ratio.set_axis(out.index)], axis=1)
    out["evidence"] = gap_evidence(out["ratio_lower"], out["ratio_upper"])
    return out[[*keys, *RATIO_COLUMNS]]


def spc_input(monthly: pd.DataFrame, *, date: str = "period", value: str = "ratio") -> pd.DataFrame:
    """A monthly ratio series as :func:`productivity.stats.spc.xmr` takes it: ``date``, ``value``.

    Months without a ratio (NaN or infinite: nobody to compare) are dropped rather than passed
    on, since an XmR chart needs every value; the rest are sorted by date. Pass the result as
    ``spc.xmr(s["value"], s["date"], direction=RATIO_DIRECTION, target=NO_GAP)``.

    Raises:
        ValueError: a column is missing, or a month appears twice (the series must be one trust
            and test: group the ratio by ``period`` within them).
    """
    require_columns(monthly, [date, value], "monthly ratio")
    when = pd.to_datetime(monthly[date])
    if when.duplicated().any():
        raise ValueError(
            f"month {when[when.duplicated()].iloc[0]:%Y-%m} appears more than once: the series "
            "must be one trust and test"
        )
    values = pd.to_numeric(monthly[value], errors="coerce").astype(float)
    keep = np.isfinite(values.to_numpy())
    out = pd.DataFrame({"date": when[keep], "value": values[keep]})
    return out.sort_values("date").reset_index(drop=True)
