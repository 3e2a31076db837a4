"""Funnel plots for indirectly standardised ratios (observed ÷ expected), as in FunnelPlotR.

This module owns the ratio funnels of SPEC §5, following the NHS-R community's FunnelPlotR 0.6.0
(``funnel_plot(data_type = "SR", sr_method = "SHMI")``, its defaults ``trim_by = 0.1`` and
``SHMI_rounding = TRUE``) step by step:

1. Rows are summed per unit (FunnelPlotR's ``aggregate_func``) and ratio = O ÷ E on the summed E.
2. E is rounded to 2 decimal places for everything that follows (``SHMI_rounding``); the reported
   ``expected`` and ``ratio`` keep the unrounded E, as FunnelPlotR's ``rr`` does.
3. z = √E · (ln(O/E) − ln target); with the default target 1 this is FunnelPlotR's
   ``sqrt(denominator) * log(numerator / denominator)``.
4. *Truncation* (NHS Digital's SHMI method, FunnelPlotR's ``truncation``; not winsorisation,
   which FunnelPlotR keeps for the CQC method): rank the z-scores (ties averaged), put unit i in
   group floor(rank_i · k / (n + 1)) with k = 1/trim_by, and drop the bottom group (0) and the
   top groups (≥ k − 1). With 10% this drops nothing until there are 9 units (top) or 10 (bottom).
5. φ = Σz² ÷ m over the m units kept (``phi_func``).
6. τ² by DerSimonian–Laird with weights w = 1/s² = E over the kept units (``tau_func``):
   0 if m·φ < m − 1, else max(0, (m·φ − (m − 1)) / (Σw − Σw²/Σw)).
7. Limits. With overdispersion on and φ > 1: exp(ln target ± z·√(1/E + τ²)). Otherwise (switched
   off, or φ ≤ 1, where FunnelPlotR falls back to unadjusted limits) exact Poisson limits
   target · χ²⁻¹(α/2; 2E)/2E and target · χ²⁻¹(1 − α/2; 2(E + 1))/2E. z is FunnelPlotR's
   1.959964 (95%) and 3.090232 (99.8%).
8. A unit is an outlier at a level when its ratio is strictly outside that level's limits; a ratio
   exactly on a limit is inside (FunnelPlotR: ``rr <= UCL & rr >= LCL`` is in control).

O = 0 is handled as FunnelPlotR handles it: ln 0 = −∞, so z = −∞ ranks lowest. From 10 units up
that unit is truncated and φ and τ² are finite; with fewer it is kept and φ = τ² = ∞, so the
overdispersed limits are [0, ∞] and every unit is inside (``to_json_dict`` writes ∞ as null).

Deliberate differences from FunnelPlotR: with overdispersion off, φ and τ² are None (FunnelPlotR
returns 0 placeholders, with a comment that it should still report φ; 0 would read as
"underdispersed", so this module says "not estimated"); when τ² cannot be estimated because only
one unit is kept (Σw − Σw²/Σw = 0, where FunnelPlotR divides by zero) τ² is 0; and a target other
than 1 (FunnelPlotR fixes it at 1 for ratios) centres z and the limits on ln target.

It is pure: it imports only the standard library, numpy, pandas and ``scipy.stats``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy.stats import chi2, rankdata

FloatArray = npt.NDArray[np.float64]

# FunnelPlotR's calculate_limits hard-codes these two-sided normal quantiles (to 6 dp); using them
# reproduces its limits to the last digit. The exact quantiles differ by under 4e-8.
Z_95 = 1.959964
Z_998 = 3.090232
# Two-sided tail probabilities of the exact Poisson limits.
ALPHA_95 = 0.05
ALPHA_998 = 0.002
DEFAULT_TRIM_BY = 0.1
SHMI_DECIMALS = 2

POSITIONS = ("above 99.8%", "above 95%", "within", "below 95%", "below 99.8%")
LIMIT_COLUMNS = ("lower_95", "upper_95", "lower_998", "upper_998")
JSON_UNIT_COLUMNS = (
    "unit", "observed", "expected", "ratio",
    "lower_95", "upper_95", "lower_998", "upper_998", "outlier_95", "outlier_998",
)  # fmt: skip
UNIT_COLUMNS = (*JSON_UNIT_COLUMNS, "position")


@dataclass(frozen=True, eq=False)
class RatioFunnel:
    """A ratio funnel: φ and τ² (None when overdispersion is off) and one row per unit.

    ``units`` has the columns of ``UNIT_COLUMNS`` in the units' first-appearance order:
    unit, observed, expected (summed per unit, as given), ratio (observed ÷ expected), the four
    limits, ``outlier_95`` / ``outlier_998`` (bool: strictly outside that level's limits) and
    ``position`` (one of ``POSITIONS``). ``adjusted`` says whether the limits are the
    overdispersed ones (overdispersion on and φ > 1) rather than exact Poisson.
    """

    phi: float | None
    tau2: float | None
    units: pd.DataFrame
    adjusted: bool
    target: float

    def curve(self, expected: Sequence[float] | npt.ArrayLike) -> pd.DataFrame:
        """The limits this funnel uses, at each expected count (for drawing the funnel lines).

        Columns: expected, lower_95, upper_95, lower_998, upper_998. No rounding of E is applied.
        """
        values = np.asarray(expected, dtype=np.float64)
        if self.adjusted:
            assert self.tau2 is not None
            limits = shmi_limits(values, self.tau2, target=self.target)
        else:
            limits = poisson_limits(values, target=self.target)
        limits.insert(0, "expected", values)
        return limits

    def to_json_dict(self) -> dict[str, Any]:
        """``{"phi", "tau2", "units": [{unit, observed, …, outlier_998}, …]}`` (SPEC §7).

        Plain Python values only; a non-finite number (φ, τ² or an upper limit of ∞ when a zero
        count is not truncated) is written as None, so the result is strict JSON.
        """
        units = [
            {column: _plain(record[column]) for column in JSON_UNIT_COLUMNS}
            for record in self.units.to_dict(orient="records")
        ]
        return {"phi": _plain(self.phi), "tau2": _plain(self.tau2), "units": units}


def ratio_funnel(
    frame: pd.DataFrame,
    unit_col: str,
    observed_col: str,
    expected_col: str,
    overdispersion: bool = True,
    target: float = 1.0,
    *,
    trim_by: float = DEFAULT_TRIM_BY,
    shmi_rounding: bool = True,
) -> RatioFunnel:
    """Place each unit's observed ÷ expected ratio against 95% and 99.8% funnel limits.

    Rows of the same unit are summed first. See the module docstring for the method, which
    follows FunnelPlotR's SHMI method (``trim_by`` and ``shmi_rounding`` are its ``trim_by`` and
    ``SHMI_rounding``, with the same defaults). ``overdispersion=False`` gives exact Poisson
    limits and φ = τ² = None.

    Raises:
        ValueError: a missing column; no rows; a missing unit; an observed or expected value that
            is missing, not a number or infinite; an expected value ≤ 0 (or 0.00 after rounding
            to 2 dp); a negative observed count; a target that is not a positive finite number;
            or ``trim_by`` outside (0, 0.5).
    """
    if not (math.isfinite(target) and target > 0):
        raise ValueError(f"target must be a positive finite number, got {target!r}")
    if not 0 < trim_by < 0.5:
        raise ValueError(f"trim_by must be in (0, 0.5), got {trim_by!r}")
    missing = [c for c in (unit_col, observed_col, expected_col) if c not in frame.columns]
    if missing:
        raise ValueError(f"ratio funnel: column(s) not found: {', '.join(missing)}")
    if frame.empty:
        raise ValueError("ratio funnel: no rows")

    data = pd.DataFrame(
        {
            "unit": frame[unit_col].to_numpy(),
            "observed": _numbers(frame, unit_col, observed_col),
            "expected": _numbers(frame, unit_col, expected_col),
        }
    )
    _check_rows(data, observed_col, expected_col)

    summed = data.groupby("unit", sort=False, dropna=False).sum().reset_index()
    observed = summed["observed"].to_numpy(dtype=np.float64)
    expected = summed["expected"].to_numpy(dtype=np.float64)
    limit_e = expected
    if shmi_rounding:
        limit_e = np.array([round(float(e), SHMI_DECIMALS) for e in expected], dtype=np.float64)
        small = summed.loc[limit_e <= 0, "unit"]
        if len(small):
            raise ValueError(
                f"ratio funnel: expected ({expected_col}) for unit {_show(small.iloc[0])} "
                f"rounds to 0.00 at {SHMI_DECIMALS} decimal places (SHMI rounding); pass "
                "shmi_rounding=False to use it unrounded"
            )
    ratio = observed / expected

    phi: float | None = None
    tau2: float | None = None
    adjusted = False
    if overdispersion:
        phi, tau2 = shmi_dispersion(observed, limit_e, trim_by=trim_by, target=target)
        adjusted = phi > 1
    if adjusted:
        assert tau2 is not None
        limits = shmi_limits(limit_e, tau2, target=target)
    else:
        limits = poisson_limits(limit_e, target=target)

    units = pd.DataFrame(
        {
            "unit": summed["unit"].to_numpy(),
            "observed": (
                summed["observed"].to_numpy(dtype=np.int64)
                if pd.api.types.is_integer_dtype(frame[observed_col].dtype)
                else observed
            ),
            "expected": expected,
            "ratio": ratio,
        }
    )
    for column in LIMIT_COLUMNS:
        units[column] = limits[column].to_numpy()
    lower_95, upper_95 = limits["lower_95"].to_numpy(), limits["upper_95"].to_numpy()
    lower_998, upper_998 = limits["lower_998"].to_numpy(), limits["upper_998"].to_numpy()
    units["outlier_95"] = (ratio < lower_95) | (ratio > upper_95)
    units["outlier_998"] = (ratio < lower_998) | (ratio > upper_998)
    units["position"] = np.select(
        [ratio > upper_998, ratio > upper_95, ratio < lower_998, ratio < lower_95],
        [POSITIONS[0], POSITIONS[1], POSITIONS[4], POSITIONS[3]],
        default=POSITIONS[2],
    )
    return RatioFunnel(phi=phi, tau2=tau2, units=units, adjusted=adjusted, target=target)


def poisson_limits(expected: npt.ArrayLike, *, target: float = 1.0) -> pd.DataFrame:
    """Exact Poisson limits for a ratio at each expected count E (FunnelPlotR's unadjusted SR).

    lower = target · χ²⁻¹(α/2; 2E) / 2 / E and upper = target · χ²⁻¹(1 − α/2; 2(E + 1)) / 2 / E,
    α = 0.05 and 0.002. Columns lower_95, upper_95, lower_998, upper_998.
    """
    e = np.asarray(expected, dtype=np.float64)
    columns: dict[str, FloatArray] = {}
    for suffix, alpha in (("95", ALPHA_95), ("998", ALPHA_998)):
        # FunnelPlotR: qchisq(1 - α/2, 2E, lower.tail = FALSE), i.e. the upper-tail inverse.
        columns[f"lower_{suffix}"] = target * (chi2.isf(1 - alpha / 2, 2 * e) / 2) / e
        columns[f"upper_{suffix}"] = target * (chi2.isf(alpha / 2, 2 * (e + 1)) / 2) / e
    return pd.DataFrame({column: columns[column] for column in LIMIT_COLUMNS})


def shmi_limits(expected: npt.ArrayLike, tau2: float, *, target: float = 1.0) -> pd.DataFrame:
    """Overdispersed limits exp(ln target ± z·√(1/E + τ²)) (FunnelPlotR's SHMI method).

    Columns lower_95, upper_95, lower_998, upper_998. τ² = ∞ gives [0, ∞].
    """
    e = np.asarray(expected, dtype=np.float64)
    centre = math.log(target)
    columns: dict[str, FloatArray] = {}
    with np.errstate(over="ignore"):
        for suffix, z in (("95", Z_95), ("998", Z_998)):
            half_width = z * np.sqrt((1 / e) + tau2)
            columns[f"lower_{suffix}"] = np.exp(centre - half_width)
            columns[f"upper_{suffix}"] = np.exp(centre + half_width)
    return pd.DataFrame({column: columns[column] for column in LIMIT_COLUMNS})


def shmi_zscores(
    observed: npt.ArrayLike, expected: npt.ArrayLike, *, target: float = 1.0
) -> FloatArray:
    """z = √E · (ln(O/E) − ln target); −∞ where O = 0."""
    o = np.asarray(observed, dtype=np.float64)
    e = np.asarray(expected, dtype=np.float64)
    with np.errstate(divide="ignore"):
        log_ratio = np.log(o / e)
    result: FloatArray = np.sqrt(e) * (log_ratio - math.log(target))
    return result


def truncation_mask(
    zscores: npt.ArrayLike, *, trim_by: float = DEFAULT_TRIM_BY
) -> npt.NDArray[np.bool_]:
    """True for the z-scores kept by SHMI truncation (FunnelPlotR's ``truncation``).

    k = 1/trim_by; rank r_i (ties averaged); group floor(r_i · k / (n + 1)); groups 0 and ≥ k − 1
    are truncated.
    """
    z = np.asarray(zscores, dtype=np.float64)
    k = 1 / trim_by
    ranks = rankdata(z, method="average")
    groups = np.floor(ranks * k / (len(z) + 1))
    kept: npt.NDArray[np.bool_] = (groups > 0) & (groups < k - 1)
    return kept


def shmi_dispersion(
    observed: npt.ArrayLike,
    expected: npt.ArrayLike,
    *,
    trim_by: float = DEFAULT_TRIM_BY,
    target: float = 1.0,
) -> tuple[float, float]:
    """φ and the DerSimonian–Laird τ² of the SHMI method, on the units kept after truncation.

    φ = Σz²/m over the m kept units; τ² = 0 if m·φ < m − 1, else
    max(0, (m·φ − (m − 1)) / (Σw − Σw²/Σw)) with w = 1/s², s = 1/√E (so w = E); τ² = 0 when the
    denominator is 0 (a single kept unit).
    """
    e = np.asarray(expected, dtype=np.float64)
    z = shmi_zscores(observed, e, target=target)
    kept = truncation_mask(z, trim_by=trim_by)
    m = int(kept.sum())
    phi = float(np.sum(z[kept] ** 2)) / m
    if m * phi < m - 1:
        return phi, 0.0
    s = 1 / np.sqrt(e[kept])
    w = 1 / (s**2)
    denominator = float(np.sum(w) - np.sum(w**2) / np.sum(w))
    if denominator <= 0:
        return phi, 0.0
    return phi, max(0.0, (m * phi - (m - 1)) / denominator)


def _numbers(frame: pd.DataFrame, unit_col: str, column: str) -> FloatArray:
    values: FloatArray = np.asarray(
        pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan),
        dtype=np.float64,
    )
    original = frame[column].to_numpy()
    for position in np.flatnonzero(~np.isfinite(values)):
        unit = _show(frame[unit_col].iloc[position])
        raise ValueError(
            f"ratio funnel: {column} for unit {unit} (row {position + 1}) is "
            f"{_show(original[position])}; it must be a finite number"
        )
    return values


def _check_rows(data: pd.DataFrame, observed_col: str, expected_col: str) -> None:
    for position, unit in enumerate(data["unit"]):
        if pd.isna(unit):
            raise ValueError(f"ratio funnel: unit is missing in row {position + 1}")
    bad_expected = np.flatnonzero(data["expected"].to_numpy() <= 0)
    if len(bad_expected):
        position = int(bad_expected[0])
        raise ValueError(
            f"ratio funnel: {expected_col} for unit {_show(data['unit'].iloc[position])} "
            f"(row {position + 1}) is {_show(data['expected'].iloc[position])}; "
            "expected counts must be greater than 0"
        )
    bad_observed = np.flatnonzero(data["observed"].to_numpy() < 0)
    if len(bad_observed):
        position = int(bad_observed[0])
        raise ValueError(
            f"ratio funnel: {observed_col} for unit {_show(data['unit'].iloc[position])} "
            f"(row {position + 1}) is {_show(data['observed'].iloc[position])}; "
            "observed counts cannot be negative"
        )


def _plain(value: Any) -> Any:
    """A numpy scalar as its Python value; a non-finite float as None."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _show(value: Any) -> str:
    """A cell for an error message: the repr of its plain Python value (nan, not np.float64)."""
    if isinstance(value, np.generic):
        value = value.item()
    return repr(value)
