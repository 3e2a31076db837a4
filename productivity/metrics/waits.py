"""DM01 diagnostic waiting times: % within 6 weeks, 13+ week waits, backlog weeks, distribution.

Pure functions over the canonical DM01 frame (:data:`productivity.schema.DM01_COLUMNS`, one row
per period × provider × test) as SPEC §4 defines them; also the totals check the importer turns
into located errors, and the "weeks to clear the 6-week backlog" that links opportunity to waits.
Aggregates are ratios of sums; targets are parameters passed from the benchmark file. Imports only
the stdlib, numpy and pandas.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import overload

import numpy as np
import numpy.typing as npt
import pandas as pd

from productivity.metrics.diagnostics import (
    as_keys,
    check_fraction,
    group_sums,
    require_columns,
    safe_ratio,
)
from productivity.schema import DM01_BANDS, DM01_BANDS_6_PLUS

ACTIVITY_COLUMNS: tuple[str, ...] = (
    "waiting_list_activity", "planned_activity", "unscheduled_activity",
)  # fmt: skip
# Chart labels for the 14 bands, as the publication heads them: "0-<1" ... "12-<13", "13+".
BAND_LABELS: dict[str, str] = {
    band: f"{weeks}-<{weeks + 1}" for weeks, band in enumerate(DM01_BANDS[:-1])
} | {DM01_BANDS[-1]: "13+"}
DAYS_PER_WEEK = 7


def waiting_6_plus_from_bands(df: pd.DataFrame) -> pd.Series:
    """Patients waiting 6 weeks or more, as the sum of the bands ``06 < 07 Weeks`` to ``13+ Weeks``.

    These are :data:`productivity.schema.DM01_BANDS_6_PLUS`. A row with any of those bands
    missing gives NaN rather than an undercount. Returns a Series named ``waiting_6_plus``.

    Raises:
        ValueError: a band column is missing.
    """
    require_columns(df, DM01_BANDS_6_PLUS, "DM01")
    bands = df[list(DM01_BANDS_6_PLUS)]
    return bands.sum(axis=1, min_count=len(DM01_BANDS_6_PLUS)).rename("waiting_6_plus")


def weekly_activity(df: pd.DataFrame) -> pd.Series:
    """Tests done per week: the month's ``total_activity`` × 7 ÷ the number of days in that month.

    DM01 activity is monthly, and months differ in length, so the activity is spread evenly over
    the days of its own month (``period``, any date in the month, a ``YYYY-MM`` string or a
    monthly Period): 3,100 tests in a 31-day month and 3,000 in a 30-day month are both 700 a
    week. Returns a float Series named ``weekly_activity``.

    Raises:
        ValueError: ``period`` or ``total_activity`` is missing, or a period is not a date.
    """
    require_columns(df, ["period", "total_activity"], "DM01")
    days = _month_start(df["period"]).dt.days_in_month
    weekly: pd.Series = (df["total_activity"] * DAYS_PER_WEEK / days).astype(float)
    return weekly.rename("weekly_activity")


def dm01_waits(
    dm01: pd.DataFrame,
    by: Sequence[str],
    *,
    within_6_weeks_target: float | None = None,
    constitutional_target: float | None = None,
    waiting_13_plus_target: float | None = None,
) -> pd.DataFrame:
    """DM01 waits for each group: % within 6 weeks, 13+ week waiters and the backlog in weeks.

    Definitions (SPEC §4), as ratios of sums over the group's rows:

    - ``waiting_6_plus`` comes from the bands (:func:`waiting_6_plus_from_bands`) where they are
      all present, else from the reported ``waiting_6_plus``; ``waiting_13_plus`` likewise from
      the ``13+ Weeks`` band, else the reported column;
    - ``within_6_weeks`` = (Σ total waiting − Σ waiting 6+) ÷ Σ total waiting, a fraction (NaN
      when nobody is waiting);
    - ``weekly_activity`` = Σ :func:`weekly_activity`; ``backlog_weeks`` = Σ waiting 6+ ÷ Σ
      weekly activity (NaN when there was no activity).

    Waiting lists are month-end counts. Group by ``period`` for a point-in-time figure: grouping
    across several months sums the counts and the activity alike, which gives a pooled ratio.

    Targets are fractions or counts from the benchmark file: ``within_6_weeks_target``
    (``dm01_within_6_weeks``, the 95% interim ambition), ``constitutional_target`` (the 99%
    standard) and ``waiting_13_plus_target`` (``dm01_13_plus_weeks``, 0). Each one passed adds a
    nullable boolean: ``meets_within_6_weeks_target`` and ``meets_constitutional_target``
    (within_6_weeks ≥ target, NA when within_6_weeks is NaN) and ``meets_13_plus_target``
    (waiting_13_plus ≤ target).

    Returns:
        The group keys, ``total_waiting``, ``waiting_6_plus``, ``waiting_13_plus``,
        ``within_6_weeks``, ``total_activity``, ``weekly_activity``, ``backlog_weeks`` and any
        ``meets_*`` columns.

    Raises:
        ValueError: a column is missing, or a % target is not a fraction in (0, 1].
    """
    keys = as_keys(by)
    require_columns(dm01, [*keys, "total_waiting"], "DM01")
    frame = dm01.assign(
        waiting_6_plus=_waiting_6_plus(dm01),
        waiting_13_plus=_waiting_13_plus(dm01),
        weekly_activity=weekly_activity(dm01),
    )
    sums = [
        "total_waiting",
        "waiting_6_plus",
        "waiting_13_plus",
        "total_activity",
        "weekly_activity",
    ]
    out = group_sums(frame, keys, sums)
    out["within_6_weeks"] = safe_ratio(
        out["total_waiting"] - out["waiting_6_plus"], out["total_waiting"]
    )
    out["backlog_weeks"] = safe_ratio(out["waiting_6_plus"], out["weekly_activity"])
    out = out[[*keys, *sums[:3], "within_6_weeks", *sums[3:], "backlog_weeks"]]
    for name, target in (
        ("meets_within_6_weeks_target", within_6_weeks_target),
        ("meets_constitutional_target", constitutional_target),
    ):
        if target is not None:
            check_fraction(target, name.removeprefix("meets_"))
            within = out["within_6_weeks"]
            out[name] = (within >= target).astype("boolean").where(within.notna())
    if waiting_13_plus_target is not None:
        out["meets_13_plus_target"] = (out["waiting_13_plus"] <= waiting_13_plus_target).astype(
            "boolean"
        )
    return out


@overload
def weeks_to_clear_backlog(
    waiting_6_plus: pd.Series, additional_per_week: pd.Series | npt.ArrayLike
) -> pd.Series: ...


@overload
def weeks_to_clear_backlog(
    waiting_6_plus: npt.ArrayLike, additional_per_week: npt.ArrayLike
) -> npt.NDArray[np.float64]: ...


def weeks_to_clear_backlog(
    waiting_6_plus: pd.Series | npt.ArrayLike, additional_per_week: pd.Series | npt.ArrayLike
) -> pd.Series | npt.NDArray[np.float64]:
    """Weeks to clear the 6-week backlog at benchmark productivity (SPEC §4, opportunity → waits).

    = patients waiting 6+ weeks for a test at a trust ÷ the additional scans or tests a week that
    trust would do at the benchmark. It is 0 where nobody waits 6+ weeks, ``inf`` where people
    wait but there is no additional capacity (0 or less), and NaN where an input is missing.
    Not :func:`dm01_waits`' ``backlog_weeks`` (the same patients in weeks of *current* activity).
    What an ``inf`` means depends on the trust's waits: :func:`backlog_clearance` says which.

    Two Series are aligned on their index; the result is then a Series named
    ``weeks_to_clear_backlog`` on the index of ``waiting_6_plus``. Arrays and scalars broadcast
    and give a float array.
    """
    if isinstance(waiting_6_plus, pd.Series) and isinstance(additional_per_week, pd.Series):
        additional_per_week = additional_per_week.reindex(waiting_6_plus.index)
    waiting, additional = np.broadcast_arrays(
        np.asarray(waiting_6_plus, dtype=float), np.asarray(additional_per_week, dtype=float)
    )
    weeks = np.full(waiting.shape, np.inf)
    np.divide(waiting, additional, out=weeks, where=additional > 0)
    weeks[waiting == 0] = 0.0
    weeks[np.isnan(waiting) | (np.isnan(additional) & (waiting != 0))] = np.nan
    if isinstance(waiting_6_plus, pd.Series):
        return pd.Series(weeks, index=waiting_6_plus.index, name="weeks_to_clear_backlog")
    return weeks


# What a weeks-to-clear figure means. "Never" is said only of a trust that falls short of the
# interim ambition and has no extra capacity at the benchmark: a trust at 98.6% within 6 weeks
# with a scanner already faster than the benchmark has nothing to clear, not a hopeless backlog.
NO_BACKLOG, CLEARS, MEETS_AMBITION, NEVER, NO_DATA = (
    "no_backlog", "clears", "meets_ambition", "never", "no_data",
)  # fmt: skip


def backlog_clearance(
    waiting_6_plus: pd.Series,
    additional_per_week: pd.Series,
    within_6_weeks: pd.Series,
    within_6_weeks_target: float,
) -> pd.DataFrame:
    """Weeks to clear the 6-week backlog at benchmark, and what the figure means (``clearance``).

    ``weeks_to_clear_backlog`` is :func:`weeks_to_clear_backlog`. ``clearance`` is, in order:

    - ``no_data``: the waits or the capacity are missing (weeks NaN);
    - ``no_backlog``: nobody waits 6+ weeks (weeks 0);
    - ``clears``: there is additional capacity at the benchmark (weeks finite);
    - ``meets_ambition``: no additional capacity, but % within 6 weeks already reaches
      ``within_6_weeks_target`` (the interim ambition ``dm01_within_6_weeks``): nothing needs
      clearing (weeks ``inf``);
    - ``never``: no additional capacity and short of the ambition: at this rate the backlog
      never clears (weeks ``inf``).

    The three Series are aligned on the index of ``waiting_6_plus``.

    Raises:
        ValueError: the target is not a fraction in (0, 1].
    """
    check_fraction(within_6_weeks_target, "within_6_weeks_target")
    additional = additional_per_week.reindex(waiting_6_plus.index).astype(float)
    within = within_6_weeks.reindex(waiting_6_plus.index).astype(float)
    weeks = weeks_to_clear_backlog(waiting_6_plus, additional)
    clearance = np.select(
        [
            weeks.isna().to_numpy(),
            (waiting_6_plus == 0).to_numpy(),
            (additional > 0).to_numpy(),
            (within >= within_6_weeks_target).to_numpy(),
        ],
        [NO_DATA, NO_BACKLOG, CLEARS, MEETS_AMBITION],
        NEVER,
    )
    return pd.DataFrame(
        {"weeks_to_clear_backlog": weeks, "clearance": clearance}, index=waiting_6_plus.index
    )


def check_dm01_totals(df: pd.DataFrame) -> pd.DataFrame:
    """Rows whose totals disagree with their parts (SPEC §3), for the importer's located errors.

    A row is returned when ``total_waiting`` ≠ the sum of the 14 bands, or ``total_activity`` ≠
    ``waiting_list_activity`` + ``planned_activity`` + ``unscheduled_activity`` (a missing count
    counts as 0). The rows keep their index and columns, and gain ``bands_sum`` and
    ``activity_sum`` and the flags ``total_waiting_mismatch`` and ``total_activity_mismatch``, so
    the importer can say which total is wrong and by how much. Empty when every row adds up.

    Raises:
        ValueError: a band, total or activity column is missing.
    """
    require_columns(df, ["total_waiting", *DM01_BANDS, "total_activity", *ACTIVITY_COLUMNS], "DM01")
    bands_sum = df[list(DM01_BANDS)].sum(axis=1)
    activity_sum = df[list(ACTIVITY_COLUMNS)].sum(axis=1)
    checked = df.assign(
        bands_sum=bands_sum,
        activity_sum=activity_sum,
        total_waiting_mismatch=_differs(df["total_waiting"], bands_sum),
        total_activity_mismatch=_differs(df["total_activity"], activity_sum),
    )
    return checked[checked["total_waiting_mismatch"] | checked["total_activity_mismatch"]]


def waiting_distribution(dm01: pd.DataFrame, by: Sequence[str]) -> pd.DataFrame:
    """Patients in each of the 14 waiting-time bands for each group, for a distribution chart.

    A long frame, one row per group × band in band order: the group keys, ``band`` (the canonical
    column, ``weeks_00`` ... ``weeks_13_plus``), ``band_label`` (``0-<1`` ... ``12-<13``,
    ``13+``), ``patients`` (Σ over the group) and ``share`` (patients ÷ the group's Σ over all
    bands, NaN for a group with nobody waiting).

    Raises:
        ValueError: a key or band column is missing.
    """
    keys = as_keys(by)
    require_columns(dm01, [*keys, *DM01_BANDS], "DM01")
    sums = group_sums(dm01, keys, DM01_BANDS)
    sums["_group_total"] = sums[list(DM01_BANDS)].sum(axis=1)
    sums["_group"] = np.arange(len(sums))
    long = sums.melt(
        id_vars=[*keys, "_group", "_group_total"],
        value_vars=list(DM01_BANDS),
        var_name="band",
        value_name="patients",
    )
    band_order = long["band"].map({band: i for i, band in enumerate(DM01_BANDS)})
    long = long.assign(_band_order=band_order).sort_values(["_group", "_band_order"])
    long["band_label"] = long["band"].map(BAND_LABELS)
    long["share"] = safe_ratio(long["patients"], long["_group_total"])
    return long[[*keys, "band", "band_label", "patients", "share"]].reset_index(drop=True)


def _waiting_6_plus(dm01: pd.DataFrame) -> pd.Series:
    # The bands are the published detail, so they win; the reported column fills rows without them.
    reported = dm01.get("waiting_6_plus")
    if all(band in dm01.columns for band in DM01_BANDS_6_PLUS):
        from_bands = waiting_6_plus_from_bands(dm01)
        return from_bands if reported is None else from_bands.fillna(reported)
    if reported is None:
        raise ValueError("DM01 frame needs waiting_6_plus or the bands weeks_06 ... weeks_13_plus")
    return reported


def _waiting_13_plus(dm01: pd.DataFrame) -> pd.Series:
    band, reported = dm01.get(DM01_BANDS[-1]), dm01.get("waiting_13_plus")
    if band is not None:
        return band if reported is None else band.fillna(reported)
    if reported is None:
        raise ValueError(f"DM01 frame needs waiting_13_plus or the band {DM01_BANDS[-1]}")
    return reported


def _month_start(period: pd.Series) -> pd.Series:
    if isinstance(period.dtype, pd.PeriodDtype):
        starts: pd.Series = period.dt.to_timestamp()
        return starts
    try:
        return pd.to_datetime(period, format="ISO8601")
    except (TypeError, ValueError) as exc:
        raise ValueError(f"DM01 period must be a date or a 'YYYY-MM' month: {exc}") from exc


def _differs(total: pd.Series, parts_sum: pd.Series) -> pd.Series:
    # Counts may arrive as floats from Excel; a tolerance keeps 12.0 == 12 without hiding a 1.
    close = np.isclose(
        total.fillna(0).to_numpy(float), parts_sum.to_numpy(float), rtol=0, atol=1e-6
    )
    return pd.Series(~close, index=total.index)
