"""Funnel plots: proportions against volume, with 95% and 99.8% control limits.

This module owns the funnel-plot statistics of SPEC §5: the centre line (the pooled proportion,
or a given target), the limits by the normal approximation or on the arcsine (variance-
stabilising) scale of Spiegelhalter (2005), the optional DerSimonian–Laird additive random-effects
widening for overdispersion, and each unit's flag. A unit outside 99.8% is an outlier; ``charts.py``
draws the result and ``funnel_curve`` without recomputing anything. It is pure: it imports only the
standard library, numpy, pandas and ``scipy.stats`` (never Streamlit or the store).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import norm

# Two-sided 95% and 99.8% limits: the conventions of Spiegelhalter (2005) and PHE funnel plots.
Z_95 = float(norm.ppf(0.975))
Z_998 = float(norm.ppf(0.999))
# Spiegelhalter (2005) winsorises the z-scores at the 10th and 90th percentiles before estimating
# overdispersion, so the outliers being looked for do not inflate it.
DEFAULT_WINSORISE = 0.1

METHODS = ("normal", "arcsine")
FLAGS = ("above_998", "above_95", "within", "below_95", "below_998")
UNIT_COLUMNS = (
    "unit", "numerator", "denominator", "proportion", "target",
    "lower_95", "upper_95", "lower_998", "upper_998", "flag",
)  # fmt: skip
CURVE_COLUMNS = ("denominator", "lower_95", "upper_95", "lower_998", "upper_998")


@dataclass(frozen=True)
class FunnelResult:
    """Units with their limits and flags, the centre line, the method and τ² (None if off)."""

    units: pd.DataFrame
    target: float
    method: str
    tau2: float | None


def funnel(
    units: Sequence[Any] | pd.Series,
    numerators: Sequence[float] | pd.Series,
    denominators: Sequence[float] | pd.Series,
    *,
    target: float | None = None,
    method: str = "normal",
    overdispersion: bool = False,
    winsorise: float = DEFAULT_WINSORISE,
) -> FunnelResult:
    """Place each unit's proportion numerator ÷ denominator against limits for its denominator.

    The centre θ is the pooled proportion Σnumerator ÷ Σdenominator unless ``target`` is given.
    ``method="normal"``: limits θ ± z·sqrt(θ(1 − θ)/n), clipped to [0, 1].
    ``method="arcsine"`` (Spiegelhalter 2005): on the scale y = asin(sqrt(p)) the limits are
    asin(sqrt(θ)) ± z/(2·sqrt(n)), clipped to [0, π/2] and back-transformed with sin(·)².
    z is 1.96 (95%) or 3.09 (99.8%).

    With ``overdispersion`` the limits widen to θ ± z·sqrt(s_i² + τ²) on the chosen scale, with
    τ² the DerSimonian–Laird additive random-effects variance: z_i = (y_i − θ)/s_i, winsorised at
    the ``winsorise`` and 1 − ``winsorise`` quantiles (numpy's linear interpolation, R's type 7;
    0 switches it off), Q = Σz_i², w_i = 1/s_i² and τ² = max(0, (Q − (k − 1)) / (Σw − Σw²/Σw)).
    τ² is 0 when it cannot be estimated: fewer than 2 units, or θ of 0 or 1 on the normal scale.

    Each unit is flagged ``above_998``, ``above_95``, ``within``, ``below_95`` or ``below_998``;
    a proportion exactly on a limit is within that limit. Units keep their input order.

    Raises:
        ValueError: no units; inputs of different lengths; a missing or infinite number; a
            denominator ≤ 0 or a numerator below 0 or above its denominator (naming the unit); a
            target outside [0, 1]; an unknown method; or ``winsorise`` outside [0, 0.5).
    """
    _check_method(method)
    if not 0 <= winsorise < 0.5:
        raise ValueError(f"winsorise must be in [0, 0.5), not {winsorise!r}")
    names = list(units)
    num = pd.Series(numerators).to_numpy(dtype=float, na_value=np.nan)
    den = pd.Series(denominators).to_numpy(dtype=float, na_value=np.nan)
    if not names:
        raise ValueError("funnel needs at least one unit")
    if not len(names) == num.size == den.size:
        raise ValueError(
            f"got {len(names)} units, {num.size} numerators and {den.size} denominators"
        )
    for name, a, b in zip(names, num, den, strict=True):
        if not (math.isfinite(a) and math.isfinite(b)):
            raise ValueError(f"unit {name!r}: numerator {a} and denominator {b} must be numbers")
        if b <= 0:
            raise ValueError(f"unit {name!r}: denominator {b:g} must be greater than 0")
        if not 0 <= a <= b:
            raise ValueError(f"unit {name!r}: numerator {a:g} must be between 0 and {b:g}")
    theta = float(num.sum() / den.sum()) if target is None else float(target)
    if not 0 <= theta <= 1:
        raise ValueError(f"target must be a proportion in [0, 1], not {target!r}")

    p = num / den
    tau2 = _dl_tau2(p, den, theta, method, winsorise) if overdispersion else None
    lower_95, upper_95 = _limits(theta, den, method, tau2, Z_95)
    lower_998, upper_998 = _limits(theta, den, method, tau2, Z_998)
    flag = np.select(
        [p > upper_998, p > upper_95, p < lower_998, p < lower_95],
        ["above_998", "above_95", "below_998", "below_95"],
        default="within",
    )
    frame = pd.DataFrame(
        {
            "unit": names,
            "numerator": num,
            "denominator": den,
            "proportion": p,
            "target": theta,
            "lower_95": lower_95,
            "upper_95": upper_95,
            "lower_998": lower_998,
            "upper_998": upper_998,
            "flag": flag,
        }
    )
    return FunnelResult(units=frame, target=theta, method=method, tau2=tau2)


def funnel_curve(
    target: float,
    n_min: float,
    n_max: float,
    *,
    method: str = "normal",
    tau2: float | None = None,
    points: int = 200,
) -> pd.DataFrame:
    """The funnel's limit lines from ``n_min`` to ``n_max``, for drawing behind the units.

    Denominators are spaced geometrically (the funnel narrows fastest at small volumes); the
    limits are those :func:`funnel` gives a unit of that denominator, widened by ``tau2`` if set.

    Raises:
        ValueError: ``n_min`` ≤ 0, ``n_max`` < ``n_min``, fewer than 2 points, a target outside
            [0, 1], a negative ``tau2`` or an unknown method.
    """
    _check_method(method)
    if not 0 <= target <= 1:
        raise ValueError(f"target must be a proportion in [0, 1], not {target!r}")
    if not 0 < n_min <= n_max:
        raise ValueError(f"need 0 < n_min <= n_max, got n_min={n_min!r}, n_max={n_max!r}")
    if points < 2:
        raise ValueError(f"points must be at least 2, not {points!r}")
    if tau2 is not None and not tau2 >= 0:
        raise ValueError(f"tau2 must be at least 0, not {tau2!r}")
    n = np.geomspace(n_min, n_max, points)
    lower_95, upper_95 = _limits(target, n, method, tau2, Z_95)
    lower_998, upper_998 = _limits(target, n, method, tau2, Z_998)
    return pd.DataFrame(
        {
            "denominator": n,
            "lower_95": lower_95,
            "upper_95": upper_95,
            "lower_998": lower_998,
            "upper_998": upper_998,
        }
    )


def _check_method(method: str) -> None:
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, not {method!r}")


def _transform(p: np.ndarray | float, method: str) -> np.ndarray:
    """The proportion on the method's scale: itself, or asin(sqrt(p))."""
    p = np.asarray(p, dtype=float)
    return p if method == "normal" else np.arcsin(np.sqrt(p))


def _variance(theta: float, n: np.ndarray, method: str) -> np.ndarray:
    """Sampling variance s_i² on the method's scale: θ(1 − θ)/n, or 1/(4n) for arcsine."""
    return theta * (1 - theta) / n if method == "normal" else 1 / (4 * n)


def _limits(
    theta: float, n: np.ndarray, method: str, tau2: float | None, z: float
) -> tuple[np.ndarray, np.ndarray]:
    """Lower and upper limits, as proportions, for denominators ``n``."""
    centre = _transform(theta, method)
    half = z * np.sqrt(_variance(theta, n, method) + (tau2 or 0.0))
    if method == "normal":
        return np.clip(centre - half, 0, 1), np.clip(centre + half, 0, 1)
    lower = np.sin(np.clip(centre - half, 0, math.pi / 2)) ** 2
    upper = np.sin(np.clip(centre + half, 0, math.pi / 2)) ** 2
    return lower, upper


def _dl_tau2(p: np.ndarray, n: np.ndarray, theta: float, method: str, winsorise: float) -> float:
    """DerSimonian–Laird τ² on the method's scale, from (winsorised) z-scores about θ."""
    k = p.size
    var = _variance(theta, n, method)
    if k < 2 or np.any(var <= 0):
        return 0.0
    z = (_transform(p, method) - _transform(theta, method)) / np.sqrt(var)
    if winsorise > 0:
        low, high = np.quantile(z, [winsorise, 1 - winsorise])
        z = np.clip(z, low, high)
    q = float(np.sum(z**2))
    w = 1 / var
    return max(0.0, (q - (k - 1)) / float(w.sum() - (w**2).sum() / w.sum()))
