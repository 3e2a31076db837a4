"""Ratio funnels (productivity.stats.ratio_funnel) against FunnelPlotR and hand-computed cases.

FunnelPlotR 0.6.0 (github.com/nhs-r-community/FunnelPlotR) publishes, in its testthat suite:
- tests/testthat/test-poisson_limits.R: unadjusted limits at E = 15, 20, 30 (7 dp lower, 6 dp
  upper), e.g. the 95% lower limit at E = 15 is 0.5596924;
- tests/testthat/test-classes_methods.R: φ = 2.948033 (6 dp) for six units a–f with
  O = 100, 150, 180, 80, 120, 225 and E = 108, 112, 165, 95, 100, 220 (SHMI method, the default);
- tests/testthat/test-aggregate_fun.R: ratios 1.069652, 1.071795, 1.022727 after summing six
  rows into three groups;
- tests/testthat/test-outliers_func.R: a ratio on a limit is in control.
"""

from __future__ import annotations

import dataclasses
import json
import math

import numpy as np
import pandas as pd
import pytest

from productivity.stats import ratio_funnel as rf

SIX = pd.DataFrame(
    {
        "unit": ["a", "b", "c", "d", "e", "f"],
        "o": [100, 150, 180, 80, 120, 225],
        "e": [108.0, 112.0, 165.0, 95.0, 100.0, 220.0],
    }
)


def funnel(frame: pd.DataFrame, **kwargs: object) -> rf.RatioFunnel:
    return rf.ratio_funnel(frame, "unit", "o", "e", **kwargs)  # type: ignore[arg-type]


def frame(observed: list[float], expected: list[float]) -> pd.DataFrame:
    units = [f"u{i:02d}" for i in range(len(observed))]
    return pd.DataFrame({"unit": units, "o": observed, "e": expected})


# FunnelPlotR's published Poisson limits ------------------------------------------------------


def test_funnelplotr_poisson_limits_at_15_20_30() -> None:
    limits = rf.poisson_limits([15, 20, 30])
    assert limits["lower_95"].round(7).tolist() == [0.5596924, 0.6108260, 0.6746958]
    assert limits["upper_95"].round(6).tolist() == [1.649348, 1.544419, 1.427562]
    assert limits["lower_998"].round(7).tolist() == [0.3862650, 0.4479107, 0.5289724]
    assert limits["upper_998"].round(6).tolist() == [2.082907, 1.902094, 1.702771]


def test_funnelplotr_poisson_limits_through_ratio_funnel() -> None:
    result = funnel(frame([15, 20, 30], [15, 20, 30]), overdispersion=False)
    units = result.units
    assert units["lower_95"].round(7).tolist() == [0.5596924, 0.6108260, 0.6746958]
    assert units["upper_998"].round(6).tolist() == [2.082907, 1.902094, 1.702771]
    assert not result.adjusted


def test_poisson_limits_by_hand_at_e_1() -> None:
    # χ² with 2 df has CDF 1 − exp(−x/2), so χ²⁻¹(0.025; 2) = −2 ln 0.975 and the 95% lower limit
    # at E = 1 is −ln 0.975 = 0.0253178.
    limits = rf.poisson_limits([1.0])
    assert limits["lower_95"].iloc[0] == pytest.approx(-math.log(0.975), rel=1e-12)
    assert limits["lower_998"].iloc[0] == pytest.approx(-math.log(0.999), rel=1e-12)
    # The upper limit μ solves P(X ≤ 1 | μ) = e^−μ (1 + μ) = 0.025 (and 0.001 for 99.8%).
    for column, tail in (("upper_95", 0.025), ("upper_998", 0.001)):
        mu = limits[column].iloc[0]
        assert math.exp(-mu) * (1 + mu) == pytest.approx(tail, rel=1e-9)


def test_poisson_limits_scale_with_target() -> None:
    plain = rf.poisson_limits([15, 20, 30])
    doubled = rf.poisson_limits([15, 20, 30], target=2.0)
    np.testing.assert_allclose(doubled.to_numpy(), 2 * plain.to_numpy(), rtol=1e-15)


# FunnelPlotR's φ on six units, and τ² from its formulae -----------------------------------------


def test_funnelplotr_phi_on_six_units() -> None:
    # z = √E · ln(O/E):
    #   a √108·ln(100/108) = −0.799803   z² 0.639684
    #   b √112·ln(150/112) =  3.091681   z² 9.558493
    #   c √165·ln(180/165) =  1.117681   z² 1.249212
    #   d  √95·ln( 80/95)  = −1.674989   z² 2.805589
    #   e √100·ln(120/100) =  1.823216   z² 3.324115
    #   f √220·ln(225/220) =  0.333326   z² 0.111106
    # With 6 units nothing is truncated: rank r gives group floor(10r/7) = 1..8, all in (0, 9).
    # φ = Σz²/6 = 17.688199/6 = 2.948033 (FunnelPlotR's test-classes_methods.R).
    result = funnel(SIX)
    assert round(result.phi, 6) == 2.948033  # type: ignore[arg-type]
    # τ² (DerSimonian–Laird, w = E): Σw = 800, Σw² = 118858, Σw − Σw²/Σw = 651.4275;
    # 6φ − 5 = 12.688199, so τ² = 12.688199/651.4275 = 0.0194775.
    assert result.tau2 == pytest.approx(0.0194775306, rel=1e-8)
    assert result.adjusted  # φ > 1: overdispersed limits


def test_six_units_overdispersed_limits_by_hand() -> None:
    result = funnel(SIX)
    tau2 = result.tau2
    assert tau2 is not None
    e_unit = result.units.set_index("unit").loc["e"]
    # exp(±1.959964 √(1/100 + τ²)) and exp(±3.090232 √(1/100 + τ²))
    width = math.sqrt(0.01 + tau2)
    assert e_unit["lower_95"] == pytest.approx(math.exp(-1.959964 * width), rel=1e-14)
    assert e_unit["upper_95"] == pytest.approx(math.exp(1.959964 * width), rel=1e-14)
    assert e_unit["lower_998"] == pytest.approx(math.exp(-3.090232 * width), rel=1e-14)
    assert e_unit["upper_998"] == pytest.approx(math.exp(3.090232 * width), rel=1e-14)
    # √(0.01 + 0.0194775) = 0.171690; 1.959964 × 0.171690 = 0.336506; exp(−0.336506) = 0.714261
    assert e_unit["lower_95"] == pytest.approx(0.714261, abs=1e-6)
    # FunnelPlotR's test-funnel_plot.R: the unadjusted 95% lower limit of unit e is above the
    # overdispersed one.
    unadjusted = funnel(SIX, overdispersion=False).units.set_index("unit").loc["e"]
    assert unadjusted["lower_95"] > e_unit["lower_95"]


def test_six_units_positions() -> None:
    # Overdispersed (τ² = 0.0195): b, 150/112 = 1.339286, is inside its 95% limits
    # [0.718683, 1.391433], and so is every other unit.
    adjusted = funnel(SIX).units.set_index("unit")
    assert adjusted["position"].tolist() == ["within"] * 6
    assert not adjusted["outlier_95"].any()
    poisson = funnel(SIX, overdispersion=False).units.set_index("unit")
    # Poisson: b's 1.339286 is above its 99.8% upper limit at E = 112 (1.327828).
    assert poisson.loc["b", "position"] == "above 99.8%"
    assert poisson.loc["b", "outlier_95"] and poisson.loc["b", "outlier_998"]
    # d: 80/95 = 0.842105, inside its 95% limits [0.809060, 1.222448].
    assert poisson.loc["d", "position"] == "within"


def test_funnelplotr_aggregation() -> None:
    # test-aggregate_fun.R: rows are summed per group before the ratio is taken.
    rows = pd.DataFrame(
        {
            "unit": ["a", "a", "a", "b", "b", "c"],
            "o": [100, 150, 180, 89, 120, 225],
            "e": [102.0, 135.0, 165.0, 95.0, 100.0, 220.0],
        }
    )
    units = funnel(rows).units
    assert units["unit"].tolist() == ["a", "b", "c"]
    assert units["observed"].tolist() == [430, 209, 225]
    assert units["expected"].tolist() == [402.0, 195.0, 220.0]
    assert units["ratio"].round(6).tolist() == [1.069652, 1.071795, 1.022727]


# Truncation ------------------------------------------------------------------------------------


def test_truncation_drops_nothing_below_nine_units() -> None:
    # Group = floor(10 r / (n + 1)); with n = 8 the ranks 1..8 give 1, 2, 3, 4, 5, 6, 7, 8.
    assert rf.truncation_mask(np.arange(8.0)).all()


def test_truncation_nine_units_drops_the_top_only() -> None:
    # n = 9: rank 9 → floor(90/10) = 9 ≥ 9 truncated; rank 1 → floor(10/10) = 1 kept.
    assert rf.truncation_mask(np.arange(9.0)).tolist() == [True] * 8 + [False]


def test_truncation_twenty_units() -> None:
    # n = 20: floor(10 r / 21) is 0 for r = 1, 2 and ≥ 9 for r ≥ 19 (190/21 = 9.05).
    kept = rf.truncation_mask(np.arange(20.0)[::-1])  # order of input does not matter
    assert kept.tolist() == [False, False] + [True] * 16 + [False, False]


def test_truncation_averages_tied_ranks() -> None:
    # n = 10, two lowest tied: ranks 1.5, 1.5 → floor(15/11) = 1, both kept (rank 1 alone would be
    # floor(10/11) = 0, truncated). The top rank 10 → floor(100/11) = 9, truncated.
    z = np.array([-1.0, -1.0, 0, 1, 2, 3, 4, 5, 6, 7])
    assert rf.truncation_mask(z).tolist() == [True] * 9 + [False]


def test_phi_uses_only_kept_units() -> None:
    # Ten units with E = 100 and z = 10 ln(O/100) = −4, 1, −1, 1, −1, 1, −1, 1, −1, 5 (ranks by
    # z: −4 lowest, 5 highest, both truncated). Kept: eight z² = 1, so φ = 1 exactly, m = 8:
    # m φ = 8 ≥ m − 1 = 7, τ² = (8 − 7)/(800 − 80000/800) = 1/700.
    z = [-4, 1, -1, 1, -1, 1, -1, 1, -1, 5]
    observed = [100 * math.exp(v / 10) for v in z]
    phi, tau2 = rf.shmi_dispersion(observed, [100.0] * 10)
    assert phi == pytest.approx(1.0, rel=1e-12)
    assert tau2 == pytest.approx(1 / 700, rel=1e-9)


# τ² rule and the fall-back to Poisson limits ----------------------------------------------------


def test_tau2_zero_when_m_phi_below_m_minus_one() -> None:
    # Four units, E = 100, z = ±√0.5 → φ = 0.5 and 4 × 0.5 = 2 < 3: τ² = 0 (FunnelPlotR's rule).
    z = [math.sqrt(0.5), -math.sqrt(0.5), math.sqrt(0.5), -math.sqrt(0.5)]
    result = funnel(frame([100 * math.exp(v / 10) for v in z], [100.0] * 4))
    assert result.phi == pytest.approx(0.5, rel=1e-12)
    assert result.tau2 == 0.0
    assert not result.adjusted
    poisson = rf.poisson_limits([100.0] * 4)
    for column in rf.LIMIT_COLUMNS:
        assert result.units[column].tolist() == poisson[column].tolist()


def test_phi_at_most_one_uses_poisson_limits_even_with_positive_tau2() -> None:
    # Four units, E = 100, z = ±√0.9 → φ = 0.9: 4 × 0.9 = 3.6 ≥ 3, so
    # τ² = (3.6 − 3)/(400 − 40000/400) = 0.6/300 = 0.002 > 0, but φ ≤ 1 so FunnelPlotR draws
    # unadjusted (Poisson) limits; φ and τ² are still reported.
    z = [math.sqrt(0.9), -math.sqrt(0.9), math.sqrt(0.9), -math.sqrt(0.9)]
    result = funnel(frame([100 * math.exp(v / 10) for v in z], [100.0] * 4))
    assert result.phi == pytest.approx(0.9, rel=1e-12)
    assert result.tau2 == pytest.approx(0.002, rel=1e-9)
    assert not result.adjusted
    poisson = rf.poisson_limits([100.0] * 4)
    for column in rf.LIMIT_COLUMNS:
        assert result.units[column].tolist() == poisson[column].tolist()


def test_no_overdispersion_switches_it_off() -> None:
    result = funnel(SIX, overdispersion=False)
    assert result.phi is None and result.tau2 is None
    assert not result.adjusted
    poisson = rf.poisson_limits(SIX["e"])
    for column in rf.LIMIT_COLUMNS:
        assert result.units[column].tolist() == poisson[column].tolist()
    as_json = result.to_json_dict()
    assert as_json["phi"] is None and as_json["tau2"] is None


# On a limit is inside --------------------------------------------------------------------------


def test_ratio_exactly_on_poisson_limits_is_inside() -> None:
    # E = 16 (a power of two), so O = limit × 16 divides back to the limit exactly.
    lim = rf.poisson_limits([16.0]).iloc[0]
    observed = [lim["lower_95"] * 16, lim["upper_95"] * 16, lim["lower_998"] * 16]
    observed += [lim["upper_998"] * 16]
    result = funnel(frame(observed, [16.0] * 4), overdispersion=False)
    units = result.units
    assert units["ratio"].tolist() == [
        lim["lower_95"], lim["upper_95"], lim["lower_998"], lim["upper_998"],
    ]  # fmt: skip
    assert units["outlier_95"].tolist() == [False, False, True, True]
    assert units["outlier_998"].tolist() == [False] * 4
    assert units["position"].tolist() == ["within", "within", "below 95%", "above 95%"]


def test_ratio_exactly_on_overdispersed_limits_is_inside() -> None:
    # Twelve units with E = 16: the lowest and highest z are truncated (n = 12: ranks 1 and 12
    # give groups 0 and 9), so their O does not change φ or τ². Place them exactly on the
    # overdispersed 99.8% limits and check they are inside at 99.8% but outliers at 95%.
    middle = [8.0, 24.0, 10.0, 22.0, 12.0, 20.0, 9.0, 23.0, 14.0, 18.0]
    first = funnel(frame([1.0, *middle, 60.0], [16.0] * 12))
    assert first.adjusted and first.tau2 is not None and first.tau2 > 0
    width = 3.090232 * math.sqrt(1 / 16 + first.tau2)
    low, high = math.exp(-width), math.exp(width)
    second = funnel(frame([low * 16, *middle, high * 16], [16.0] * 12))
    assert second.phi == first.phi and second.tau2 == first.tau2
    units = second.units
    assert units["ratio"].iloc[0] == units["lower_998"].iloc[0] == low
    assert units["ratio"].iloc[-1] == units["upper_998"].iloc[-1] == high
    assert units["outlier_998"].iloc[[0, -1]].tolist() == [False, False]
    assert units["outlier_95"].iloc[[0, -1]].tolist() == [True, True]
    assert units["position"].iloc[[0, -1]].tolist() == ["below 95%", "above 95%"]
    # A hair outside is an outlier.
    third = funnel(frame([low * 16 * (1 - 1e-12), *middle, high * 16 * (1 + 1e-12)], [16.0] * 12))
    assert third.units["position"].iloc[[0, -1]].tolist() == ["below 99.8%", "above 99.8%"]


def test_funnelplotr_outlier_rule_inclusive() -> None:
    # As test-outliers_func.R: in control means lower ≤ ratio ≤ upper. Five units with E = 16
    # and Poisson limits: the centre, on the 95% upper limit, one float step above it, on the
    # 99.8% lower limit, and one float step below that.
    lim = rf.poisson_limits([16.0]).iloc[0]
    ratios = [1.0, lim["upper_95"], np.nextafter(lim["upper_95"], 2), lim["lower_998"]]
    ratios += [np.nextafter(lim["lower_998"], 0)]
    result = funnel(frame([r * 16 for r in ratios], [16.0] * 5), overdispersion=False)
    assert result.units["position"].tolist() == [
        "within", "within", "above 95%", "below 95%", "below 99.8%",
    ]  # fmt: skip


# Zero counts, as FunnelPlotR handles them --------------------------------------------------------


def test_zero_observed_truncated_from_ten_units() -> None:
    # O = 0 → z = √E ln 0 = −∞, rank 1. With 10 units rank 1 → floor(10/11) = 0: truncated, and
    # rank 10 → floor(100/11) = 9: truncated, so φ comes from the other eight and is finite.
    observed = [0.0, 90, 110, 95, 105, 100, 98, 102, 97, 150]
    result = funnel(frame(observed, [100.0] * 10))
    z = [10 * math.log(o / 100) for o in observed[1:-1]]
    assert result.phi == pytest.approx(sum(v * v for v in z) / 8, rel=1e-12)
    zero = result.units.iloc[0]
    assert zero["ratio"] == 0.0
    assert zero["position"] == "below 99.8%"


def test_zero_observed_kept_gives_infinite_phi_as_funnelplotr() -> None:
    # With six units nothing is truncated, so z = −∞ enters φ: φ = τ² = ∞, the limits are
    # exp(∓z √(1/E + ∞)) = [0, ∞] and every unit is inside (FunnelPlotR behaves the same).
    rows = SIX.assign(o=[0, 150, 180, 80, 120, 225])
    result = funnel(rows)
    assert result.phi == math.inf and result.tau2 == math.inf
    assert result.adjusted
    assert (result.units["lower_95"] == 0).all() and (result.units["upper_998"] == math.inf).all()
    assert result.units["position"].tolist() == ["within"] * 6
    as_json = result.to_json_dict()
    assert as_json["phi"] is None and as_json["tau2"] is None
    assert as_json["units"][0]["upper_95"] is None and as_json["units"][0]["lower_95"] == 0.0
    json.dumps(as_json, allow_nan=False)


def test_zero_observed_with_poisson_limits() -> None:
    result = funnel(frame([0, 16], [16.0, 16.0]), overdispersion=False)
    assert result.units["position"].tolist() == ["below 99.8%", "within"]


# SHMI rounding of expected counts --------------------------------------------------------------


def test_expected_rounded_to_two_places_for_limits_not_ratio() -> None:
    result = funnel(frame([15.0], [15.004]), overdispersion=False)
    unit = result.units.iloc[0]
    assert unit["expected"] == 15.004
    assert unit["ratio"] == 15.0 / 15.004
    assert round(unit["lower_95"], 7) == 0.5596924  # the limit at E = 15.00
    unrounded = funnel(frame([15.0], [15.004]), overdispersion=False, shmi_rounding=False)
    assert unrounded.units["lower_95"].iloc[0] == rf.poisson_limits([15.004])["lower_95"].iloc[0]


def test_expected_rounding_to_zero_is_refused() -> None:
    with pytest.raises(ValueError, match=r"rounds to 0\.00"):
        funnel(frame([0.0, 3.0], [0.004, 3.0]))
    assert funnel(frame([0.0, 3.0], [0.004, 3.0]), shmi_rounding=False).units.shape[0] == 2


# Result shape and JSON -------------------------------------------------------------------------


def test_columns_and_types() -> None:
    result = funnel(SIX)
    assert tuple(result.units.columns) == (
        "unit", "observed", "expected", "ratio", "lower_95", "upper_95", "lower_998",
        "upper_998", "outlier_95", "outlier_998", "position",
    )  # fmt: skip
    assert result.units["outlier_95"].dtype == bool
    assert result.units["outlier_998"].dtype == bool
    assert set(result.units["position"]) <= set(rf.POSITIONS)
    assert result.target == 1.0
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.phi = 0.0  # type: ignore[misc]


def test_to_json_dict() -> None:
    as_json = funnel(SIX).to_json_dict()
    assert list(as_json) == ["phi", "tau2", "units"]
    assert round(as_json["phi"], 6) == 2.948033
    assert isinstance(as_json["phi"], float) and isinstance(as_json["tau2"], float)
    first = as_json["units"][0]
    assert list(first) == [
        "unit", "observed", "expected", "ratio", "lower_95", "upper_95", "lower_998",
        "upper_998", "outlier_95", "outlier_998",
    ]  # fmt: skip
    assert first["unit"] == "a" and first["observed"] == 100 and type(first["observed"]) is int
    assert first["expected"] == 108.0 and first["ratio"] == 100 / 108
    assert first["outlier_95"] is False and first["outlier_998"] is False
    text = json.dumps(as_json, allow_nan=False)
    assert json.loads(text)["units"][5]["unit"] == "f"


def test_curve_matches_the_units_limits() -> None:
    result = funnel(SIX)
    curve = result.curve(SIX["e"])
    assert curve["expected"].tolist() == SIX["e"].tolist()
    for column in rf.LIMIT_COLUMNS:
        assert curve[column].tolist() == result.units[column].tolist()
    poisson_curve = funnel(SIX, overdispersion=False).curve([15, 20, 30])
    assert poisson_curve["lower_95"].round(7).tolist() == [0.5596924, 0.6108260, 0.6746958]


def test_target_centres_the_overdispersed_limits() -> None:
    result = funnel(SIX, target=1.1)
    # z is centred on ln 1.1, so φ changes; the limits are 1.1 × exp(±z √(1/E + τ²)).
    assert result.tau2 is not None
    e_unit = result.units.set_index("unit").loc["e"]
    width = 1.959964 * math.sqrt(0.01 + result.tau2)
    assert e_unit["upper_95"] == pytest.approx(1.1 * math.exp(width), rel=1e-12)
    z = np.sqrt(SIX["e"]) * (np.log(SIX["o"] / SIX["e"]) - math.log(1.1))
    assert result.phi == pytest.approx(float(np.mean(z**2)), rel=1e-12)


# Validation ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expected", "message"),
    [
        (0.0, r"e for unit 'u01' \(row 2\) is 0\.0; expected counts must be greater than 0"),
        (-3.0, r"e for unit 'u01' \(row 2\) is -3\.0; expected counts must be greater than 0"),
        (math.nan, r"e for unit 'u01' \(row 2\) is nan; it must be a finite number"),
        (math.inf, r"e for unit 'u01' \(row 2\) is inf; it must be a finite number"),
    ],
)
def test_bad_expected_is_refused(expected: float, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        funnel(frame([10.0, 10.0], [10.0, expected]))


def test_bad_observed_is_refused() -> None:
    with pytest.raises(ValueError, match="observed counts cannot be negative"):
        funnel(frame([10.0, -1.0], [10.0, 10.0]))
    with pytest.raises(ValueError, match=r"o for unit 'u00' \(row 1\) is nan"):
        funnel(frame([math.nan, 1.0], [10.0, 10.0]))
    text = pd.DataFrame({"unit": ["a"], "o": ["ten"], "e": [10.0]})
    with pytest.raises(ValueError, match=r"o for unit 'a' \(row 1\) is 'ten'"):
        funnel(text)


def test_other_bad_input_is_refused() -> None:
    with pytest.raises(ValueError, match="column.*not found: deaths"):
        rf.ratio_funnel(SIX, "unit", "deaths", "e")
    with pytest.raises(ValueError, match="no rows"):
        funnel(SIX.iloc[0:0])
    with pytest.raises(ValueError, match="unit is missing in row 1"):
        funnel(pd.DataFrame({"unit": [None, "b"], "o": [1, 2], "e": [1.0, 2.0]}))
    with pytest.raises(ValueError, match="target"):
        funnel(SIX, target=0.0)
    with pytest.raises(ValueError, match="trim_by"):
        funnel(SIX, trim_by=0.5)
