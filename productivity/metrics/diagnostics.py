"""Diagnostics productivity: imaging scans per hour, endoscopy utilisation, echo minutes per test.

Pure functions over the canonical imaging, endoscopy and echo frames of :mod:`productivity.schema`
(SPEC §4 "Diagnostics"). Each aggregate is a ratio of sums over its group, never a mean of row
ratios; benchmarks are parameters passed by the caller from the benchmark file. This module also
owns the small helpers the other metric modules reuse (:func:`add_period_columns`,
:func:`group_sums`, :func:`safe_ratio`, :func:`as_keys`, :func:`require_columns`,
:func:`check_fraction`). Imports only the stdlib, numpy and pandas.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

PERIOD_COLUMNS: tuple[str, ...] = ("month", "week")


def add_period_columns(df: pd.DataFrame, date_col: str = "date") -> pd.DataFrame:
    """Return a copy of ``df`` with ``month`` and ``week`` period columns derived from ``date_col``.

    ``month`` is the first day of the date's month and ``week`` the Monday of its ISO week, both
    as midnight Timestamps, so they group, sort and chart as dates. A missing date gives NaT.

    Raises:
        ValueError: ``date_col`` is not a column of ``df``.
    """
    require_columns(df, [date_col], "input")
    dates = pd.to_datetime(df[date_col], format="ISO8601").dt.normalize()
    return df.assign(
        month=dates - pd.to_timedelta(dates.dt.day - 1, unit="D"),
        week=dates - pd.to_timedelta(dates.dt.day_of_week, unit="D"),
    )


def group_sums(df: pd.DataFrame, by: Sequence[str], columns: Sequence[str]) -> pd.DataFrame:
    """Sum ``columns`` within each group of ``by``: one row per group, keys as columns.

    Groups are sorted by key; a missing key value forms its own group rather than being dropped,
    so no activity silently disappears from a total. An empty ``by`` gives one row for the whole
    frame. Missing values in ``columns`` count as 0.
    """
    keys = as_keys(by)
    if not keys:
        return pd.DataFrame([df[list(columns)].sum()]).reset_index(drop=True)
    grouped = df.groupby(keys, dropna=False, sort=True, observed=True)[list(columns)].sum()
    return grouped.reset_index()


def safe_ratio(numerator: pd.Series, denominator: pd.Series) -> pd.Series:
    """``numerator ÷ denominator`` element-wise, NaN where the denominator is 0 (no warning)."""
    return numerator / denominator.where(denominator != 0)


def as_keys(by: Sequence[str]) -> list[str]:
    """The group keys as a list; a bare string is one key, not a sequence of characters."""
    return [by] if isinstance(by, str) else list(by)


def require_columns(df: pd.DataFrame, columns: Sequence[str], frame: str) -> None:
    """Check that ``df`` has every one of ``columns``.

    Raises:
        ValueError: naming every missing column and the ``frame`` (e.g. "imaging") it belongs to.
    """
    missing = [c for c in dict.fromkeys(columns) if c not in df.columns]
    if missing:
        raise ValueError(f"{frame} frame is missing column(s): {', '.join(missing)}")


def check_fraction(value: float, name: str) -> None:
    """Check that a benchmark ratio is a fraction, so 95 passed for 0.95 fails loudly.

    Raises:
        ValueError: ``value`` is not in (0, 1].
    """
    if not 0 < value <= 1:
        raise ValueError(f"{name} must be a fraction in (0, 1], e.g. 0.95 not 95; got {value!r}")


def scans_per_hour(
    imaging: pd.DataFrame,
    by: Sequence[str],
    *,
    benchmark_rates: Mapping[str, float] | None = None,
    trust_rates: pd.Series | None = None,
    date_col: str = "date",
) -> pd.DataFrame:
    """Imaging scans per operational hour for each group, and the additional scans at benchmark.

    Definition (SPEC §4): scans per hour = Σ scans ÷ Σ operational hours over the group's
    scanner-days (NaN when the group has no hours). With ``benchmark_rates`` (modality → scans per
    hour, e.g. the benchmark file's ``ct_scans_per_hour``, ``mri_scans_per_hour`` and
    ``nous_scans_per_hour`` keyed by ``CT``, ``MRI``, ``NOUS``):

    - ``benchmark_scans_per_hour`` is the modality's rate; for a group that spans modalities it
      is the hours-weighted rate Σ (rate × hours) ÷ Σ hours;
    - ``additional_scans`` = max(0, rate × Σ hours − Σ scans), pooled within the group for each
      modality and then summed over the group's modalities, so a fast CT scanner can offset a
      slow CT scanner in the same group but never a slow MRI scanner.

    ``trust_rates`` (a rate for each (``trust_code``, ``modality``) pair, e.g. each trust's peer
    group's, from :meth:`productivity.benchmarks.Benchmarks.trust_scan_rates`) holds each trust
    to its own rate instead; a pair it does not list takes ``benchmark_rates``. Then the
    additional scans are computed per trust × modality within the group (with ``by``'s other
    keys, such as ``month``) at that trust's rate and summed, never from a pooled rate, so one
    trust's fast scanners never offset another's slow ones. ``benchmark_scans_per_hour`` is the
    trust's rate for a group of one trust and modality, else hours-weighted as above.

    ``by`` names any columns of the imaging frame (``trust_code``, ``modality``, ``scanner_id``,
    ...) and may include ``month`` or ``week``, derived from ``date_col`` by
    :func:`add_period_columns`.

    Returns:
        The group keys, ``scans``, ``operational_hours``, ``scans_per_hour`` and, with
        ``benchmark_rates`` or ``trust_rates``, ``benchmark_scans_per_hour`` and
        ``additional_scans``.

    Raises:
        ValueError: a column is missing, a rate is negative, or a row has no rate.
    """
    keys = as_keys(by)
    frame = _with_periods(imaging, keys, date_col)
    require_columns(frame, [*keys, "operational_hours", "scans"], "imaging")
    out = group_sums(frame, keys, ["scans", "operational_hours"])
    out["scans_per_hour"] = safe_ratio(out["scans"], out["operational_hours"])
    if benchmark_rates is None and trust_rates is None:
        return out

    national = dict(benchmark_rates or {})
    require_columns(
        frame, ["modality", *(["trust_code"] if trust_rates is not None else [])], "imaging"
    )
    if trust_rates is None:
        rates = _rate_per_row(frame["modality"], national)
        pool = keys if "modality" in keys else [*keys, "modality"]
    else:
        rates = _trust_rate_per_row(frame["trust_code"], frame["modality"], trust_rates, national)
        pool = [*keys, *(k for k in ("trust_code", "modality") if k not in keys)]
    per_pool = group_sums(
        frame.assign(benchmark_scans=rates * frame["operational_hours"]),
        pool,
        ["scans", "benchmark_scans"],
    )
    per_pool["additional_scans"] = (per_pool["benchmark_scans"] - per_pool["scans"]).clip(lower=0)
    opportunity = group_sums(per_pool, keys, ["benchmark_scans", "additional_scans"])
    out = _join(out, opportunity, keys)
    # A group of one rate keeps it even with no hours, for the benchmark line.
    if trust_rates is None and "modality" in keys:
        out["benchmark_scans_per_hour"] = out["modality"].map(national).astype(float)
    elif trust_rates is not None and {"trust_code", "modality"} <= set(keys):
        out["benchmark_scans_per_hour"] = _trust_rate_per_row(
            out["trust_code"], out["modality"], trust_rates, national
        )
    else:
        out["benchmark_scans_per_hour"] = safe_ratio(
            out["benchmark_scans"], out["operational_hours"]
        )
    columns = [*keys, "scans", "operational_hours", "scans_per_hour"]
    return out[[*columns, "benchmark_scans_per_hour", "additional_scans"]]


def score_procedures(
    procedures: pd.DataFrame,
    point_table: Mapping[str, float],
    *,
    type_col: str = "procedure_type",
) -> pd.Series:
    """Endoscopy points of each procedure, from its type and the benchmark file's point table.

    Types match the table case-insensitively and ignoring surrounding spaces (``OGD`` → 1,
    ``colonoscopy`` → 2 with the default table). Returns a float Series named ``points`` on the
    index of ``procedures``.

    Raises:
        ValueError: ``type_col`` is missing, or some types are not in the table (all of them are
            named, so a file can be fixed in one pass).
    """
    require_columns(procedures, [type_col], "procedures")
    table = {str(name).strip().upper(): float(points) for name, points in point_table.items()}
    types = procedures[type_col].astype("str").str.strip().str.upper()
    points = types.map(table).astype(float)
    unknown = procedures.loc[points.isna(), type_col].drop_duplicates()
    if len(unknown):
        named = ", ".join(sorted("<missing>" if pd.isna(v) else repr(v) for v in unknown))
        raise ValueError(
            f"procedure type(s) not in the endoscopy point table: {named}; "
            f"known types: {', '.join(sorted(table))}"
        )
    return points.rename("points")


def endoscopy_utilisation(
    endoscopy: pd.DataFrame,
    by: Sequence[str],
    *,
    target: float,
    date_col: str = "date",
) -> pd.DataFrame:
    """Endoscopy list utilisation of planned points for each group, and the points to target.

    Definition (SPEC §4): utilisation = Σ used points ÷ Σ planned points (NaN with no planned
    points). ``target`` is the benchmark file's ``endoscopy_list_utilisation`` as a fraction
    (0.95). Additional points = max(0, target × Σ planned − Σ used), pooled within the group.
    They are also shown as procedures at the group's mean points per procedure,
    Σ used points ÷ Σ procedures (NaN when the frame has no ``procedures`` column or the group
    did none): additional procedures = additional points ÷ mean points per procedure.

    ``by`` may include ``month`` or ``week``, derived from ``date_col``.

    Returns:
        The group keys, ``planned_points``, ``used_points``, ``procedures``, ``utilisation``,
        ``benchmark_utilisation``, ``additional_points``, ``points_per_procedure`` and
        ``additional_procedures``.

    Raises:
        ValueError: a column is missing, or ``target`` is not a fraction in (0, 1].
    """
    check_fraction(target, "target")
    keys = as_keys(by)
    frame = _with_periods(endoscopy, keys, date_col)
    require_columns(frame, [*keys, "planned_points", "used_points"], "endoscopy")
    has_procedures = "procedures" in frame.columns
    sums = ["planned_points", "used_points", *(["procedures"] if has_procedures else [])]
    out = group_sums(frame, keys, sums)
    if not has_procedures:
        out["procedures"] = np.nan  # unknown, not zero: no procedure counts were given
    out["utilisation"] = safe_ratio(out["used_points"], out["planned_points"])
    out["benchmark_utilisation"] = float(target)
    out["additional_points"] = (target * out["planned_points"] - out["used_points"]).clip(lower=0)
    out["points_per_procedure"] = safe_ratio(out["used_points"], out["procedures"])
    out["additional_procedures"] = safe_ratio(out["additional_points"], out["points_per_procedure"])
    return out


def echo_minutes_per_test(
    echo: pd.DataFrame,
    by: Sequence[str],
    *,
    benchmark_minutes: float,
    date_col: str = "date",
) -> pd.DataFrame:
    """Echocardiography scheduled minutes per test for each group, and the capacity at benchmark.

    Definition (SPEC §4): minutes per test = Σ scheduled minutes ÷ Σ tests (NaN with no tests).
    ``benchmark_minutes`` is the benchmark file's ``echo_minutes_per_test`` (45 for a routine TTE
    slot; 20 in the AI-assisted scenario). Capacity released = Σ minutes ÷ benchmark − Σ tests:
    the extra tests the same minutes would hold at the benchmark slot length. It is negative when
    the group is already faster than the benchmark; ``additional_tests`` = max(0, that).

    ``by`` may include ``month`` or ``week``, derived from ``date_col``.

    Returns:
        The group keys, ``tests``, ``scheduled_minutes``, ``minutes_per_test``,
        ``benchmark_minutes_per_test``, ``capacity_released`` and ``additional_tests``.

    Raises:
        ValueError: a column is missing, or ``benchmark_minutes`` is not positive.
    """
    if not benchmark_minutes > 0:
        raise ValueError(f"benchmark_minutes must be positive, got {benchmark_minutes!r}")
    keys = as_keys(by)
    frame = _with_periods(echo, keys, date_col)
    require_columns(frame, [*keys, "tests", "scheduled_minutes"], "echo")
    out = group_sums(frame, keys, ["tests", "scheduled_minutes"])
    out["minutes_per_test"] = safe_ratio(out["scheduled_minutes"], out["tests"])
    out["benchmark_minutes_per_test"] = float(benchmark_minutes)
    out["capacity_released"] = out["scheduled_minutes"] / benchmark_minutes - out["tests"]
    out["additional_tests"] = out["capacity_released"].clip(lower=0)
    return out


def _with_periods(df: pd.DataFrame, keys: Sequence[str], date_col: str) -> pd.DataFrame:
    wanted = [k for k in keys if k in PERIOD_COLUMNS and k not in df.columns]
    return add_period_columns(df, date_col) if wanted else df


def _rate_per_row(modality: pd.Series, rates: Mapping[str, float]) -> pd.Series:
    if any(not rate >= 0 for rate in rates.values()):
        raise ValueError(f"benchmark rates must be non-negative numbers, got {dict(rates)!r}")
    per_row = modality.map(dict(rates)).astype(float)
    unknown = modality[per_row.isna()].drop_duplicates()
    if len(unknown):
        named = ", ".join(sorted("<missing>" if pd.isna(v) else repr(v) for v in unknown))
        raise ValueError(f"no benchmark scans-per-hour rate for modality {named}")
    return per_row


def _trust_rate_per_row(
    trust: pd.Series, modality: pd.Series, trust_rates: pd.Series, national: Mapping[str, float]
) -> pd.Series:
    """Each row's rate from its (trust, modality) pair, else its modality's national rate."""
    if (trust_rates < 0).any() or any(not rate >= 0 for rate in national.values()):
        raise ValueError("benchmark rates must be non-negative numbers")
    per_row = pd.Series(np.nan, index=trust.index, dtype="float64")
    own = list(
        zip(
            trust_rates.index.get_level_values(0).astype("str"),
            trust_rates.index.get_level_values(1).astype("str"),
            trust_rates.to_numpy(dtype="float64"),
            strict=True,
        )
    )
    # One map per modality over the trust codes: far cheaper than a MultiIndex per row.
    for name in modality.dropna().unique():
        rows = (modality == name).to_numpy()
        codes = {t: float(rate) for t, m, rate in own if m == name}
        found = trust[rows].map(codes).astype("float64")
        per_row[rows] = found.fillna(national.get(str(name), np.nan)).to_numpy()
    missing = per_row.isna().to_numpy()
    unknown = pd.MultiIndex.from_arrays([trust[missing], modality[missing]]).drop_duplicates()
    if len(unknown):
        named = ", ".join(f"{t} {m}" for t, m in unknown)
        raise ValueError(f"no benchmark scans-per-hour rate for trust and modality {named}")
    return per_row


def _join(left: pd.DataFrame, right: pd.DataFrame, keys: Sequence[str]) -> pd.DataFrame:
    if not keys:
        return pd.concat([left, right], axis=1)
    return left.merge(right, on=list(keys), how="left", validate="one_to_one")
