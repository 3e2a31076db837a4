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
from dataclasses import dataclass

import numpy as np
import pandas as pd

PERIOD_COLUMNS: tuple[str, ...] = ("month", "week")


@dataclass(frozen=True)
class _Groups:
    """Rows numbered by group (:func:`_groups`)."""

    ids: np.ndarray  # each row's group, 0 to n - 1 in the groups' sorted order
    first: np.ndarray  # each group's first row
    keys: pd.DataFrame  # each group's key values, one row per group


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
    # Rows numbered by group and summed on arrays: the page asks for this on every filter
    # change, and pandas' grouping, merging and mapping by text keys cost ten times the sums.
    # The sums are pandas' own groupby sums over the rows in the same order (:func:`_sums`), so
    # every figure is group_sums' to the last bit.
    groups = _groups(frame, keys)
    hours = frame["operational_hours"].to_numpy(dtype="float64")
    sums = _sums({"scans": frame["scans"].to_numpy(), "operational_hours": hours}, groups, keys)
    out = {
        **{key: groups.keys[key] for key in keys},
        "scans": sums["scans"],
        "operational_hours": sums["operational_hours"],
        "scans_per_hour": _ratio(sums["scans"], sums["operational_hours"]),
    }
    if benchmark_rates is None and trust_rates is None:
        return pd.DataFrame(out, index=groups.keys.index)

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
    # Each pool (a group's modality, or trust × modality) summed, then the pools of a group:
    # pools are numbered within their group, so a pool's group is its first row's.
    pools = _groups(frame, pool[len(keys) :], within=groups)
    benchmark = {"scans": frame["scans"].to_numpy(), "benchmark_scans": rates * hours}
    per_pool = _sums(benchmark, pools, pool)
    additional = np.clip(per_pool["benchmark_scans"] - per_pool["scans"], 0, None)
    opportunity = _sums(
        {"benchmark_scans": per_pool["benchmark_scans"], "additional_scans": additional},
        _Groups(groups.ids[pools.first], groups.first, groups.keys),
        keys,
    )
    # A group of one rate keeps it even with no hours, for the benchmark line.
    one_rate = "modality" in keys and (trust_rates is None or "trust_code" in keys)
    out["benchmark_scans_per_hour"] = (
        rates[groups.first]
        if one_rate
        else _ratio(opportunity["benchmark_scans"], sums["operational_hours"])
    )
    out["additional_scans"] = opportunity["additional_scans"]
    return pd.DataFrame(out, index=groups.keys.index)


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


def _groups(frame: pd.DataFrame, keys: list[str], within: _Groups | None = None) -> _Groups:
    """The groups of ``frame`` by ``keys`` as :func:`group_sums` forms them: sorted by key, a
    missing key value a group of its own (sorted last); no keys, one group. ``within``: the
    groups of some first keys, which ``keys`` split further (sorted by those first)."""
    if not keys and within is None:
        whole = np.zeros(len(frame), dtype="int64")
        return _Groups(whole, np.zeros(1, dtype="int64"), pd.DataFrame(index=pd.RangeIndex(1)))
    number = np.zeros(len(frame), dtype="int64") if within is None else within.ids
    for key in keys:
        codes, found = pd.factorize(frame[key], sort=True, use_na_sentinel=False)
        # Renumbered densely after each key, so the number never outgrows the rows.
        number = np.unique(number * len(found) + codes, return_inverse=True)[1].reshape(-1)
    _, first, ids = np.unique(number, return_index=True, return_inverse=True)
    # Each group's keys from its first row: only the groups' rows are copied, not the columns.
    named = frame.iloc[first][keys] if within is None else frame.iloc[:0]
    return _Groups(ids.reshape(-1), first, named.reset_index(drop=True))


def _sums(
    columns: Mapping[str, np.ndarray], groups: _Groups, keys: list[str]
) -> dict[str, np.ndarray]:
    """The sums of ``columns`` per group, in the groups' order: :func:`group_sums`'s figures
    (pandas' groupby sums; with no keys, its sum of the whole frame)."""
    values = pd.DataFrame(columns, copy=False)
    if keys:
        found = values.groupby(groups.ids, sort=True).sum()
    else:
        found = group_sums(values, [], list(columns))
    return {name: found[name].to_numpy() for name in columns}


def _ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """:func:`safe_ratio` on arrays."""
    ratio: np.ndarray = numerator / np.where(denominator != 0, denominator, np.nan)
    return ratio


def _with_periods(df: pd.DataFrame, keys: Sequence[str], date_col: str) -> pd.DataFrame:
    wanted = [k for k in keys if k in PERIOD_COLUMNS and k not in df.columns]
    return add_period_columns(df, date_col) if wanted else df


def _rate_per_row(modality: pd.Series, rates: Mapping[str, float]) -> np.ndarray:
    if any(not rate >= 0 for rate in rates.values()):
        raise ValueError(f"benchmark rates must be non-negative numbers, got {dict(rates)!r}")
    codes, names = pd.factorize(modality, use_na_sentinel=False)
    # A rate per modality named, then per row: a lookup per name, not per row.
    per_name = np.array([rates.get(name, np.nan) for name in names], dtype="float64")
    unknown = names[np.isnan(per_name)]
    if len(unknown):
        named = ", ".join(sorted("<missing>" if pd.isna(v) else repr(v) for v in unknown))
        raise ValueError(f"no benchmark scans-per-hour rate for modality {named}")
    return per_name[codes]


def _trust_rate_per_row(
    trust: pd.Series, modality: pd.Series, trust_rates: pd.Series, national: Mapping[str, float]
) -> np.ndarray:
    """Each row's rate from its (trust, modality) pair, else its modality's national rate."""
    if (trust_rates < 0).any() or any(not rate >= 0 for rate in national.values()):
        raise ValueError("benchmark rates must be non-negative numbers")
    own = dict(
        zip(
            zip(
                trust_rates.index.get_level_values(0).astype("str"),
                trust_rates.index.get_level_values(1).astype("str"),
                strict=True,
            ),
            trust_rates.to_numpy(dtype="float64"),
            strict=True,
        )
    )
    # A rate per (trust, modality) pair present, then per row: a lookup per pair, not per row.
    trusts, trust_names = pd.factorize(trust, use_na_sentinel=False)
    modalities, modality_names = pd.factorize(modality, use_na_sentinel=False)
    _, first, pair = np.unique(
        trusts * len(modality_names) + modalities, return_index=True, return_inverse=True
    )
    pairs = [(trust_names[trusts[row]], modality_names[modalities[row]]) for row in first]
    per_pair = np.array(
        [own.get((t, m), national.get(m, np.nan)) if not pd.isna(m) else np.nan for t, m in pairs],
        dtype="float64",
    )
    missing = [pairs[i] for i in np.argsort(first) if np.isnan(per_pair[i])]
    if missing:
        named = ", ".join(f"{t} {m}" for t, m in missing)
        raise ValueError(f"no benchmark scans-per-hour rate for trust and modality {named}")
    per_row: np.ndarray = per_pair[pair.reshape(-1)]
    return per_row
