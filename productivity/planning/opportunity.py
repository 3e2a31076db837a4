"""Improvement opportunity: additional cases, scans, points and tests, and the trust ranking.

Example::

    per_list = metrics.theatre.list_metrics(lists, cases)
    by_trust = theatre_opportunity(per_list, target=0.85, by=["trust_code"])

SPEC §4: *pooled* additional cases (the Model Health-style figure) divides all the minutes short
of the target by the mean case length; *realisable* additional cases counts only whole cases that
fit inside one list, because minutes scattered over many lists cannot all be booked. Both are
computed per trust × specialty, then summed to the level shown. Pure: numpy and pandas only.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import cast

import numpy as np
import pandas as pd

GROUP: tuple[str, ...] = ("trust_code", "specialty")
DAYS_PER_WEEK = 7
# Float noise such as 0.85 × 240 = 203.99999999999997 must not lose a whole case to floor().
_EPSILON = 1e-9


def mean_case_minutes(per_list: pd.DataFrame) -> pd.DataFrame:
    """Mean touch minutes per completed case for each trust × specialty in ``per_list``."""
    sums = per_list.groupby(list(GROUP), as_index=False, observed=True)[
        ["case_touch_minutes", "completed_cases"]
    ].sum()
    completed = sums["completed_cases"].where(sums["completed_cases"] > 0)
    sums["mean_case_minutes"] = sums["case_touch_minutes"] / completed
    return sums[[*GROUP, "mean_case_minutes"]]


def list_opportunity(per_list: pd.DataFrame, target: float) -> pd.DataFrame:
    """Per list: gap minutes = max(0, target × planned − capped touch) and the whole cases in it.

    ``realisable_additional_cases`` = floor(gap minutes ÷ mean case minutes of the list's trust
    and specialty over the frame's period); NaN where that group has no completed case
    (``no_case_length`` is then True, for the data-quality report).
    """
    frame = per_list.merge(mean_case_minutes(per_list), on=list(GROUP), how="left")
    gap = np.maximum(0.0, target * frame["planned_minutes"] - frame["capped_touch_minutes"])
    frame["gap_minutes"] = gap
    whole = np.floor(gap / frame["mean_case_minutes"] + _EPSILON)
    frame["realisable_additional_cases"] = whole
    frame["no_case_length"] = frame["mean_case_minutes"].isna()
    return frame


def theatre_opportunity(per_list: pd.DataFrame, target: float, by: Sequence[str]) -> pd.DataFrame:
    """Pooled and realisable additional cases, summed to ``by``.

    Pooled is computed within each cell of ``by`` × trust × specialty as
    max(0, target × Σplanned − Σcapped) ÷ mean case minutes, then summed to ``by``; realisable
    is the sum of the lists' whole cases. Groups with no case length contribute nothing.
    Also gives each as a share of current completed cases.
    """
    frame = list_opportunity(per_list, target)
    cell = list(dict.fromkeys([*by, *GROUP]))
    cells = frame.groupby(cell, as_index=False, observed=True, dropna=False).agg(
        planned_minutes=("planned_minutes", "sum"),
        capped_touch_minutes=("capped_touch_minutes", "sum"),
        completed_cases=("completed_cases", "sum"),
        realisable_additional_cases=("realisable_additional_cases", "sum"),
        gap_minutes=("gap_minutes", "sum"),
        mean_case_minutes=("mean_case_minutes", "first"),
        lists_without_case_length=("no_case_length", "sum"),
    )
    shortfall = np.maximum(0.0, target * cells["planned_minutes"] - cells["capped_touch_minutes"])
    cells["pooled_additional_cases"] = (shortfall / cells["mean_case_minutes"]).fillna(0.0)
    columns = [
        "completed_cases", "pooled_additional_cases", "realisable_additional_cases",
        "gap_minutes", "lists_without_case_length",
    ]  # fmt: skip
    if by:
        out = cells.groupby(list(by), as_index=False, observed=True, dropna=False)[columns].sum()
    else:
        out = cells[columns].sum().to_frame().T
    current = out["completed_cases"].where(out["completed_cases"] > 0)
    out["pooled_share_of_cases"] = out["pooled_additional_cases"] / current
    out["realisable_share_of_cases"] = out["realisable_additional_cases"] / current
    return out


def additional_activity(
    benchmark_rate: float, capacity: pd.Series, activity: pd.Series
) -> pd.Series:
    """max(0, benchmark × capacity − activity): scans from hours, points from planned points."""
    # numpy's ufuncs return a Series for a Series (pandas-stubs types them as arrays).
    return cast(pd.Series, np.maximum(0.0, benchmark_rate * capacity - activity))


def weeks_covered(months: Iterable[str]) -> float:
    """The length in weeks of the calendar months a figure covers: Σ days of each month ÷ 7.

    ``months`` are ``YYYY-MM`` strings (repeats count once), e.g. a mart's ``month`` column.
    Whole months, not the ISO weeks they touch: 12 months are 365 ÷ 7 = 52.1 weeks, while
    their rows fall in 53 distinct ISO weeks, and dividing by 53 would understate every rate a
    week by 1.6% (by 6% for 3 months: 92 days touch 14 ISO weeks). NaN for no month.
    """
    days = sum(pd.Period(month, "M").days_in_month for month in set(months))
    return days / DAYS_PER_WEEK if days else float("nan")


def additional_per_week(additional: pd.Series, weeks: float) -> pd.Series:
    """Additional scans (procedures, tests) a week at the benchmark: the period's total ÷ weeks.

    ``additional`` is the period's ``additional_scans`` (``additional_procedures``,
    ``additional_tests``) from the modality's metric function, ``weeks`` the period's length
    from :func:`weeks_covered`. A group with no figure has no extra capacity (0). The one
    definition the Diagnostics page, the what-if panel and ``report clearance`` use.
    """
    per_week = additional.astype(float).fillna(0.0) / weeks
    return per_week.rename("additional_per_week")


def rank_trusts(
    opportunity: pd.DataFrame,
    value: str,
    current: str,
    *,
    ranking: str = "absolute",
) -> pd.DataFrame:
    """Rank trusts by an opportunity column, as an absolute count or a % of current activity.

    Adds ``opportunity_share`` (value ÷ current) and ``rank`` (1 = biggest opportunity), and a
    ``ranking`` column that says which ranking is in use, so tables can show it.
    """
    if ranking not in ("absolute", "percent"):
        raise ValueError(f"ranking must be 'absolute' or 'percent', not {ranking!r}")
    out = opportunity.copy()
    out["opportunity_share"] = out[value] / out[current].where(out[current] > 0)
    key = value if ranking == "absolute" else "opportunity_share"
    out["rank"] = out[key].rank(ascending=False, method="min", na_option="bottom").astype(int)
    out["ranking"] = "absolute count" if ranking == "absolute" else "% of current activity"
    return out.sort_values(["rank", "trust_code"]).reset_index(drop=True)
