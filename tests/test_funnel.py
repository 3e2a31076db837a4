"""Funnel plots (productivity.stats.funnel) against hand-computed limits, flags and τ².

z95 = Φ⁻¹(0.975) = 1.959964 and z998 = Φ⁻¹(0.999) = 3.090232. With θ = 0.5 the standard errors
are round: sqrt(0.25/n) is 0.05 at n = 100 and 0.025 at n = 400 (normal), and 1/(2 sqrt(n)) is the
same (arcsine), while asin(sqrt(0.5)) = π/4 and sin²(π/4 ± x) = (1 ± sin 2x)/2.
"""

import math

import numpy as np
import pytest

from productivity.stats.funnel import Z_95, Z_998, funnel, funnel_curve

UNITS = ["A", "B", "C", "D"]
# 35/100, 60/100, 240/400, 165/400: pooled 500/1000 = 0.5
NUMERATORS = [35, 60, 240, 165]
DENOMINATORS = [100, 100, 400, 400]


def test_z_values():
    assert Z_95 == pytest.approx(1.959963984540054, rel=1e-12)
    assert Z_998 == pytest.approx(3.090232306167813, rel=1e-12)


def test_columns():
    result = funnel(UNITS, NUMERATORS, DENOMINATORS)
    assert list(result.units.columns) == [
        "unit", "numerator", "denominator", "proportion", "target",
        "lower_95", "upper_95", "lower_998", "upper_998", "flag",
    ]  # fmt: skip
    assert result.units["unit"].tolist() == UNITS
    assert result.method == "normal"
    assert result.tau2 is None


def test_normal_limits_by_hand():
    # n = 100: 95% 0.5 ± 1.959964 × 0.05 = [0.402002, 0.597998]
    #          99.8% 0.5 ± 3.090232 × 0.05 = [0.345488, 0.654512]
    # n = 400: 95% 0.5 ± 1.959964 × 0.025 = [0.451001, 0.548999]
    #          99.8% 0.5 ± 3.090232 × 0.025 = [0.422744, 0.577256]
    result = funnel(UNITS, NUMERATORS, DENOMINATORS)
    u = result.units
    assert result.target == 0.5
    assert u["proportion"].tolist() == [0.35, 0.6, 0.6, 0.4125]
    assert u["lower_95"].tolist() == pytest.approx([0.4020018, 0.4020018, 0.4510009, 0.4510009])
    assert u["upper_95"].tolist() == pytest.approx([0.5979982, 0.5979982, 0.5489991, 0.5489991])
    assert u["lower_998"].tolist() == pytest.approx([0.3454884, 0.3454884, 0.4227442, 0.4227442])
    assert u["upper_998"].tolist() == pytest.approx([0.6545116, 0.6545116, 0.5772558, 0.5772558])
    assert u["lower_95"].iloc[0] == pytest.approx(0.5 - Z_95 * 0.05, abs=1e-15)
    # A 0.35 is under 0.402 but over 0.345; B 0.6 is over 0.598 but under 0.655;
    # C 0.6 is over 0.577; D 0.4125 is under 0.423
    assert u["flag"].tolist() == ["below_95", "above_95", "above_998", "below_998"]


def test_arcsine_limits_by_hand():
    # limits are sin²(π/4 ± z s) = (1 ± sin(2 z s))/2 with s = 1/(2 sqrt(n))
    # n = 100, 95%: 2 z s = 0.1959964, sin = 0.1947440 → [0.4026280, 0.5973720]
    def band(z, n):
        half = math.sin(2 * z / (2 * math.sqrt(n)))
        return (1 - half) / 2, (1 + half) / 2

    u = funnel(UNITS, NUMERATORS, DENOMINATORS, method="arcsine").units
    assert (u["lower_95"].iloc[0], u["upper_95"].iloc[0]) == pytest.approx((0.4026280, 0.5973720))
    for row in u.itertuples():
        assert (row.lower_95, row.upper_95) == pytest.approx(band(Z_95, row.denominator))
        assert (row.lower_998, row.upper_998) == pytest.approx(band(Z_998, row.denominator))
    assert u["flag"].tolist() == ["below_95", "above_95", "above_998", "below_998"]


def test_given_target_replaces_the_pooled_centre():
    # centre 0.6: n = 100 upper 95% = 0.6 + 1.959964 × sqrt(0.24/100) = 0.6 + 0.0960178
    pooled = funnel(UNITS, NUMERATORS, DENOMINATORS)
    given = funnel(UNITS, NUMERATORS, DENOMINATORS, target=0.6)
    assert pooled.target == 0.5
    assert given.target == 0.6
    assert given.units["target"].tolist() == [0.6] * 4
    assert given.units["upper_95"].iloc[0] == pytest.approx(0.6 + Z_95 * math.sqrt(0.0024))
    # B and C (0.6) now sit on the centre; A (0.35, z = -5.1) is far below
    assert given.units["flag"].tolist() == ["below_998", "within", "within", "below_998"]


def test_unit_exactly_on_a_limit_is_within():
    # n = 4, θ = 0.5: s = sqrt(0.25/4) = 0.25, upper 95% = 0.5 + 0.25 z95 = 0.98999.
    # A numerator of 4 × that (minutes need not be whole) puts the unit exactly on it.
    on = 4 * (0.5 + 0.25 * Z_95)
    above = np.nextafter(on, 5.0)
    u = funnel(["on", "above"], [on, above], [4, 4], target=0.5).units
    assert u["proportion"].iloc[0] == u["upper_95"].iloc[0]
    assert u["flag"].tolist() == ["within", "above_95"]


@pytest.mark.parametrize("method", ["normal", "arcsine"])
def test_limits_are_clipped_and_a_unit_on_the_clip_is_within(method):
    # θ = 0.99, n = 10: normal 0.99 + 1.96 × sqrt(0.0099/10) = 1.0517 → 1;
    # arcsine asin(sqrt(0.99)) + 1.96/(2 sqrt(10)) = 1.4706 + 0.3099 > π/2 → sin²(π/2) = 1.
    # 10/10 = 1 is exactly on the upper limits; 0/10 at θ = 0.01 exactly on the lower ones.
    high = funnel(["full"], [10], [10], target=0.99, method=method).units.iloc[0]
    assert high["upper_95"] == high["upper_998"] == 1.0
    assert high["flag"] == "within"
    low = funnel(["empty"], [0], [10], target=0.01, method=method).units.iloc[0]
    assert low["lower_95"] == low["lower_998"] == 0.0
    assert low["flag"] == "within"


def test_dersimonian_laird_tau2_equal_weights():
    # θ = 0.5, n = 100 each: s = 0.05, w = 1/0.0025 = 400.
    # z = (0.4, 0.5, 0.6, 0.7 − 0.5)/0.05 = -2, 0, 2, 4 → Q = 4 + 0 + 4 + 16 = 24
    # Σw = 1600, Σw² / Σw = 640000/1600 = 400 → τ² = (24 − 3)/(1600 − 400) = 21/1200 = 0.0175
    # limits widen to 0.5 ± z sqrt(0.0025 + 0.0175) = 0.5 ± z sqrt(0.02)
    args = (UNITS, [40, 50, 60, 70], [100] * 4)
    plain = funnel(*args, target=0.5)
    result = funnel(*args, target=0.5, overdispersion=True, winsorise=0)
    assert result.tau2 == pytest.approx(0.0175, abs=1e-14)
    assert result.units["upper_95"].iloc[0] == pytest.approx(0.5 + Z_95 * math.sqrt(0.02))
    assert result.units["lower_998"].iloc[0] == pytest.approx(0.5 - Z_998 * math.sqrt(0.02))
    # 0.7 is beyond 0.5 + 3.09 × 0.05 = 0.6545 without the adjustment, within 0.937 with it
    assert plain.units["flag"].iloc[3] == "above_998"
    assert result.units["flag"].iloc[3] == "within"


def test_dersimonian_laird_tau2_winsorised():
    # z = -2, 0, 2, 4; 10th percentile (linear, position 0.3) = -2 + 0.3 × 2 = -1.4,
    # 90th (position 2.7) = 2 + 0.7 × 2 = 3.4 → z = -1.4, 0, 2, 3.4
    # Q = 1.96 + 0 + 4 + 11.56 = 17.52 → τ² = (17.52 − 3)/1200 = 0.0121
    result = funnel(UNITS, [40, 50, 60, 70], [100] * 4, target=0.5, overdispersion=True)
    assert result.tau2 == pytest.approx(0.0121, abs=1e-14)


def test_dersimonian_laird_tau2_unequal_weights():
    # θ = 0.5: 40/100 (s 0.05, w 400, z -2), 230/400 (s 0.025, w 1600, z 3),
    # 7/25 (s 0.1, w 100, z (0.28 − 0.5)/0.1 = -2.2)
    # Q = 4 + 9 + 4.84 = 17.84; Σw = 2100; Σw² = 160000 + 2560000 + 10000 = 2730000,
    # /2100 = 1300 → τ² = (17.84 − 2)/(2100 − 1300) = 15.84/800 = 0.0198
    result = funnel(
        ["A", "B", "C"], [40, 230, 7], [100, 400, 25], overdispersion=True, winsorise=0, target=0.5
    )
    assert result.tau2 == pytest.approx(0.0198, abs=1e-14)


def test_dersimonian_laird_arcsine_scale():
    # on the arcsine scale s_i² = 1/(4n) and θ is asin(sqrt(0.5)) = π/4
    ps, n = [0.4, 0.5, 0.6, 0.7], 100
    z = [(math.asin(math.sqrt(p)) - math.pi / 4) * 2 * math.sqrt(n) for p in ps]
    w = 4 * n
    expected = (sum(v * v for v in z) - 3) / (4 * w - 4 * w * w / (4 * w))
    result = funnel(
        UNITS, [40, 50, 60, 70], [100] * 4, target=0.5, method="arcsine",
        overdispersion=True, winsorise=0,
    )  # fmt: skip
    assert result.tau2 == pytest.approx(expected, rel=1e-12)
    half = math.sin(2 * Z_95 * math.sqrt(1 / (4 * n) + expected))
    assert result.units["upper_95"].iloc[0] == pytest.approx((1 + half) / 2)


def test_tau2_is_zero_when_underdispersed():
    # every unit on θ: Q = 0 < k − 1 → τ² = max(0, negative) = 0
    result = funnel(["A", "B"], [50, 200], [100, 400], overdispersion=True)
    assert result.tau2 == 0.0
    assert funnel(["only"], [5], [10], overdispersion=True).tau2 == 0.0


def test_funnel_curve_matches_unit_limits():
    curve = funnel_curve(0.5, 100, 400, points=3)
    assert list(curve.columns) == ["denominator", "lower_95", "upper_95", "lower_998", "upper_998"]
    # geometric spacing: 100, 200, 400
    assert curve["denominator"].tolist() == pytest.approx([100, 200, 400])
    assert curve["upper_95"].iloc[0] == pytest.approx(0.5 + Z_95 * 0.05)
    assert curve["lower_998"].iloc[-1] == pytest.approx(0.5 - Z_998 * 0.025)
    assert curve["upper_95"].iloc[1] == pytest.approx(0.5 + Z_95 * math.sqrt(0.25 / 200))
    widened = funnel_curve(0.5, 100, 400, points=3, tau2=0.0175)
    assert widened["upper_95"].iloc[0] == pytest.approx(0.5 + Z_95 * math.sqrt(0.02))
    arcsine = funnel_curve(0.5, 100, 400, method="arcsine", points=3)
    assert arcsine["upper_95"].iloc[0] == pytest.approx((1 + math.sin(Z_95 * 0.1)) / 2)


def test_funnel_curve_default_has_200_points_narrowing():
    curve = funnel_curve(0.3, 10, 1000)
    assert len(curve) == 200
    assert curve["denominator"].iloc[0] == pytest.approx(10)
    assert curve["denominator"].iloc[-1] == pytest.approx(1000)
    assert curve["upper_95"].is_monotonic_decreasing
    assert curve["lower_95"].is_monotonic_increasing


@pytest.mark.parametrize(
    ("numerators", "denominators", "kwargs", "message"),
    [
        ([1, 2], [10, 0], {}, "unit 'B': denominator 0"),
        ([1, 2], [10, -5], {}, "unit 'B': denominator -5"),
        ([11, 2], [10, 5], {}, "unit 'A': numerator 11"),
        ([-1, 2], [10, 5], {}, "unit 'A': numerator -1"),
        ([1, float("nan")], [10, 5], {}, "unit 'B'"),
        ([1], [10, 5], {}, "2 units, 1 numerators and 2 denominators"),
        ([1, 2], [10, 5], {"target": 1.5}, "target"),
        ([1, 2], [10, 5], {"method": "wilson"}, "method"),
        ([1, 2], [10, 5], {"winsorise": 0.5}, "winsorise"),
    ],
)
def test_bad_input_raises(numerators, denominators, kwargs, message):
    with pytest.raises(ValueError, match=message):
        funnel(["A", "B"], numerators, denominators, **kwargs)


def test_no_units_raises():
    with pytest.raises(ValueError, match="at least one unit"):
        funnel([], [], [])


@pytest.mark.parametrize(
    ("args", "kwargs"),
    [
        ((0.5, 0, 10), {}),
        ((0.5, 20, 10), {}),
        ((0.5, 1, 10), {"points": 1}),
        ((1.2, 1, 10), {}),
        ((0.5, 1, 10), {"tau2": -0.1}),
        ((0.5, 1, 10), {"method": "exact"}),
    ],
)
def test_funnel_curve_bad_input_raises(args, kwargs):
    with pytest.raises(ValueError):
        funnel_curve(*args, **kwargs)
