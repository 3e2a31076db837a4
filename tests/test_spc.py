"""XmR charts (productivity.stats.spc) against hand-computed series, rule by rule.

Constants: limits are mean ± 2.66 × mMR, 2σ is mean ± (2/3)(2.66 × mMR) = mean ± 1.77333 × mMR,
and screening drops moving ranges ≥ 3.267 × mMR.
"""

import json
import math

import pandas as pd
import pytest

from productivity.stats.spc import SPCResult, to_records, xmr

BASE = [3.0, 1.0] * 6  # mean 2, eleven moving ranges of 2 → mMR 2, limits 2 ± 5.32


def dates(n: int) -> pd.DatetimeIndex:
    return pd.date_range("2024-01-01", periods=n, freq="MS")


def run(values, **kwargs) -> SPCResult:
    return xmr(values, dates(len(values)), **kwargs)


def test_columns_and_types():
    result = run(BASE)
    assert list(result.points.columns) == [
        "date", "value", "mean", "lower_limit", "upper_limit", "lower_2sigma", "upper_2sigma",
        "moving_range", "special_cause", "point_type", "rule", "period", "trial_limits",
        "target",
    ]  # fmt: skip
    assert list(result.periods.columns) == [
        "period", "start", "end", "n_points", "mean", "mean_moving_range", "lower_limit",
        "upper_limit", "trial_limits",
    ]  # fmt: skip
    assert result.points["special_cause"].dtype == bool
    assert result.points["trial_limits"].dtype == bool
    assert result.points["period"].tolist() == [0] * 12


def test_limits_and_2sigma_by_hand():
    # BASE: mean (6×3 + 6×1)/12 = 2; mMR 22/11 = 2; limits 2 ± 2.66×2 = [-3.32, 7.32];
    # 2σ 2 ± (2/3)×5.32 = 2 ± 3.54667
    p = run(BASE).points.iloc[0]
    assert p["mean"] == pytest.approx(2.0, abs=1e-12)
    assert p["lower_limit"] == pytest.approx(-3.32, abs=1e-12)
    assert p["upper_limit"] == pytest.approx(7.32, abs=1e-12)
    assert p["lower_2sigma"] == pytest.approx(2 - 2 * 5.32 / 3, abs=1e-12)
    assert p["upper_2sigma"] == pytest.approx(2 + 2 * 5.32 / 3, abs=1e-12)


def test_point_exactly_on_the_limit_is_not_outside():
    # 0 and 1037 alternate around a spike of 6852.
    # mean = (4×1037 + 6852)/11 = 11000/11 = 1000
    # moving ranges: eight of 1037 and two of 6852 → (8296 + 13704)/10 = 2200
    # screening: 3.267 × 2200 = 7187.4 > 6852, nothing dropped
    # upper limit = 1000 + 2.66 × 2200 = 1000 + 5852 = 6852: the spike sits ON the limit
    on_limit = run([0, 1037, 0, 1037, 0, 6852, 0, 1037, 0, 1037, 0])
    assert on_limit.points["upper_limit"].iloc[5] == 6852.0
    assert not on_limit.points["special_cause"].any()
    assert on_limit.points["rule"].eq("none").all()
    # One more: mean 11001/11 = 1000.0909, mMR (8296 + 13706)/10 = 2200.2,
    # limit 1000.0909 + 5852.532 = 6852.62 < 6853 → outside.
    beyond = run([0, 1037, 0, 1037, 0, 6853, 0, 1037, 0, 1037, 0])
    assert beyond.points["upper_limit"].iloc[5] == pytest.approx(11001 / 11 + 2.66 * 2200.2)
    assert beyond.points["rule"].iloc[5] == "outside_limits"
    assert beyond.points["special_cause"].sum() == 1


def test_point_exactly_on_the_lower_limit_is_not_outside():
    # the mirror image: mean -1000, mMR 2200, lower limit -1000 - 5852 = -6852
    result = run([0, -1037, 0, -1037, 0, -6852, 0, -1037, 0, -1037, 0])
    assert result.points["lower_limit"].iloc[0] == -6852.0
    assert not result.points["special_cause"].any()


def test_run_of_seven_broken_by_a_point_on_the_mean():
    # sum = 13+11+13+10+13+11+13 + 7+9+7+9+7+7 = 84 + 46 = 130, n = 13 → mean exactly 10.
    # Points 0-6 would be 7 above the mean but point 3 is ON it (10): runs of 3 and 3.
    # mMR = (2+2+3+3+2+2+6+2+2+2+2+0)/12 = 28/12 = 2.333 (3.267 × 2.333 = 7.6 > 6: kept);
    # 2σ = 10 ± 4.138 = [5.86, 14.14], so nothing is near the limits either.
    result = run([13, 11, 13, 10, 13, 11, 13, 7, 9, 7, 9, 7, 7])
    assert result.points["mean"].iloc[0] == 10.0
    assert result.periods["mean_moving_range"].iloc[0] == pytest.approx(28 / 12)
    assert not result.points["special_cause"].any()
    # Control: 11 instead of 10 → mean 131/13 = 10.077 and 11 is above it: a run of 7,
    # and every point of the run is flagged (mMR 26/12, 2σ upper 13.92 > 13).
    shifted = run([13, 11, 13, 11, 13, 11, 13, 7, 9, 7, 9, 7, 7])
    assert shifted.points["rule"].tolist() == ["shift"] * 7 + ["none"] * 6
    assert (shifted.points["point_type"].iloc[:7] == "special_cause_improvement").all()


def test_trend_broken_by_a_tie():
    # 5, 6, 7, 7, 8, 9, 10: the tie 7 → 7 breaks the rise into 3 and 3 steps.
    # mean 100/13 = 7.69, mMR 70/12 = 5.83: nothing else fires.
    tied = run([14, 2, 14, 5, 6, 7, 7, 8, 9, 10, 2, 14, 2])
    assert not tied.points["special_cause"].any()


def test_trend_of_seven_flags_every_point_by_its_direction():
    # 5, 6, 7, 8, 9, 10, 11: six strict rises → 7 points (indices 3-9) in a trend.
    # mean = 104/13 = 8, mMR = (12+12+9+1+1+1+1+1+1+9+12+12)/12 = 72/12 = 6,
    # limits 8 ± 15.96, 2σ 8 ± 10.64: nothing outside or near. 5, 6, 7 are below the mean and
    # 8 is on it, but a rising trend is an improvement when higher is better.
    result = run([14, 2, 14, 5, 6, 7, 8, 9, 10, 11, 2, 14, 2])
    assert result.points["mean"].iloc[0] == 8.0
    assert result.periods["mean_moving_range"].iloc[0] == 6.0
    assert result.points["rule"].tolist() == ["none"] * 3 + ["trend"] * 7 + ["none"] * 3
    assert set(result.points["point_type"].iloc[3:10]) == {"special_cause_improvement"}
    # Reversed, the fall is a concern even for the points above the mean (11, 10, 9).
    falling = run([2, 14, 2, 11, 10, 9, 8, 7, 6, 5, 14, 2, 14])
    assert set(falling.points["point_type"].iloc[3:10]) == {"special_cause_concern"}
    assert falling.variation == "common_cause"


def test_constant_series_has_no_special_cause():
    # every moving range is 0 → mMR 0 → limits equal the mean (5); nothing is strictly
    # beyond them, and every point is on the mean, which breaks any run
    for screen in (True, False):
        result = run([5.0] * 12, screen_outliers=screen)
        assert result.periods["mean_moving_range"].iloc[0] == 0.0
        assert result.periods["lower_limit"].iloc[0] == 5.0
        assert result.periods["upper_limit"].iloc[0] == 5.0
        assert not result.points["special_cause"].any()
        assert result.variation == "common_cause"


def test_overlapping_rules_take_precedence():
    # Limits fixed on BASE (mean 2, mMR 2, limits [-3.32, 7.32], 2σ above 5.5467), then
    # 4, 5, 6, 7, 7.3, 8, 6. Rules found (0-based indices):
    #   trend: 1 (index 11) → 4 → 5 → 6 → 7 → 7.3 → 8 is six rises: indices 11-17
    #   shift: indices 12-18 are all above 2 (index 11, value 1, is below)
    #   outside: 8 > 7.32 (index 17)
    #   2 of 3: 6, 7, 7.3, 6 are beyond 5.5467 and inside 7.32 (8 is outside, so not "close");
    #     windows (6,7,7.3) and (7.3,8,6) give indices 14, 15, 16, 18
    # Precedence outside > trend > two_in_three > shift:
    result = run(BASE + [4, 5, 6, 7, 7.3, 8, 6], fix_after_n_points=12)
    rules = result.points["rule"].tolist()
    assert rules[:11] == ["none"] * 11
    assert rules[11:] == ["trend"] * 6 + ["outside_limits", "two_in_three"]


@pytest.mark.parametrize(
    ("tail", "rules", "kind"),
    [
        # 6 and 6 beyond 2σ (5.5467), 3 between: all above 2 → only the two 6s are flagged
        ([6, 3, 6], ["two_in_three", "none", "two_in_three"], "special_cause_improvement"),
        # 1 is below the mean, so no window of 3 is on one side
        ([6, 1, 6], ["none", "none", "none"], None),
        # the low side: -2 < -1.5467, 1.5 below 2 → a concern when higher is better
        ([-2, 1.5, -2], ["two_in_three", "none", "two_in_three"], "special_cause_concern"),
    ],
)
def test_two_in_three(tail, rules, kind):
    result = run(BASE + tail, fix_after_n_points=12)
    assert result.points["rule"].tolist()[12:] == rules
    if kind is not None:
        assert result.points["point_type"].iloc[12] == kind


def test_screening_on_and_off():
    # 0, 2, ... , 0, 22: mean (4×2 + 22)/10 = 3; moving ranges eight 2s and one 22.
    # off: mMR = (16 + 22)/9 = 38/9 = 4.2222, limits 3 ± 2.66 × 38/9 = 3 ± 11.2311
    # on:  3.267 × 38/9 = 13.79 ≤ 22 → 22 dropped, mMR = 16/8 = 2, limits 3 ± 5.32
    values = [0, 2, 0, 2, 0, 2, 0, 2, 0, 22]
    on = run(values).periods.iloc[0]
    off = run(values, screen_outliers=False).periods.iloc[0]
    assert on["mean"] == off["mean"] == 3.0
    assert on["mean_moving_range"] == pytest.approx(2.0, abs=1e-12)
    assert (on["lower_limit"], on["upper_limit"]) == pytest.approx((-2.32, 8.32), abs=1e-12)
    assert off["mean_moving_range"] == pytest.approx(38 / 9, abs=1e-12)
    assert off["upper_limit"] == pytest.approx(3 + 2.66 * 38 / 9, abs=1e-12)
    assert off["lower_limit"] == pytest.approx(3 - 2.66 * 38 / 9, abs=1e-12)
    # the raw moving range is still reported for the spike
    assert run(values).points["moving_range"].iloc[-1] == 22.0


def test_rebase_gives_each_period_its_own_limits():
    # period 0: 1,3,1,3,1,3 → mean 2, mMR 2, limits [-3.32, 7.32]
    # period 1: 11,13,11,13,11,13 → mean 12, mMR 2 (the 3 → 11 step is not a moving range),
    # limits [6.68, 17.32]. Both have 6 < 12 points: trial limits.
    values = [1, 3] * 3 + [11, 13] * 3
    when = dates(12)
    result = xmr(values, when, rebase_dates=[when[6]], target=10)
    assert result.points["period"].tolist() == [0] * 6 + [1] * 6
    assert math.isnan(result.points["moving_range"].iloc[6])
    periods = result.periods
    assert periods["mean"].tolist() == [2.0, 12.0]
    assert periods["mean_moving_range"].tolist() == [2.0, 2.0]
    assert periods["lower_limit"].tolist() == pytest.approx([-3.32, 6.68], abs=1e-12)
    assert periods["upper_limit"].tolist() == pytest.approx([7.32, 17.32], abs=1e-12)
    assert periods["n_points"].tolist() == [6, 6]
    assert periods["start"].tolist() == [when[0], when[6]]
    assert periods["end"].tolist() == [when[5], when[11]]
    assert periods["trial_limits"].tolist() == [True, True]
    # 12 points above period 0's mean would be a shift; rebased, nothing is special
    assert not result.points["special_cause"].any()
    # assurance reads the last period: 10 is inside [6.68, 17.32]
    assert result.assurance == "hit_and_miss"


def test_rebase_date_between_points_starts_at_the_next_point():
    when = dates(12)
    mid_month = when[5] + pd.Timedelta(days=10)
    result = xmr([1, 3] * 3 + [11, 13] * 3, when, rebase_dates=[mid_month.date()])
    assert result.points["period"].tolist() == [0] * 6 + [1] * 6


def test_trial_limits_below_12_points():
    assert run(BASE[:11]).points["trial_limits"].all()
    assert not run(BASE).points["trial_limits"].any()


def test_fix_after_n_points():
    # fixed on the first 12 (BASE): mean 2, mMR 2, limits [-3.32, 7.32] for all 14 points,
    # so 9 (moving range |9 - 5| = 4) is outside.
    # Not fixed: mean (24 + 5 + 9)/14 = 19/7, mMR (22 + |5 - 1| + |9 - 5|)/13 = 30/13
    # (3.267 × 30/13 = 7.54 > 4: kept), upper 19/7 + 2.66 × 30/13 = 8.853.
    values = BASE + [5, 9]
    fixed = run(values, fix_after_n_points=12)
    assert fixed.points["mean"].tolist() == [2.0] * 14
    assert fixed.periods["mean_moving_range"].iloc[0] == 2.0
    assert fixed.points["upper_limit"].iloc[-1] == pytest.approx(7.32, abs=1e-12)
    assert fixed.points["moving_range"].iloc[-1] == 4.0
    assert fixed.points["rule"].iloc[-1] == "outside_limits"
    free = run(values)
    assert free.points["mean"].iloc[0] == pytest.approx(19 / 7, abs=1e-12)
    assert free.periods["mean_moving_range"].iloc[0] == pytest.approx(30 / 13, abs=1e-12)
    assert free.points["upper_limit"].iloc[0] == pytest.approx(19 / 7 + 2.66 * 30 / 13)


@pytest.mark.parametrize("n", [11, 0, 12.5, True])
def test_fix_after_n_points_needs_12_whole_points(n):
    with pytest.raises(ValueError, match="fix_after_n_points"):
        run(BASE, fix_after_n_points=n)


@pytest.mark.parametrize(
    ("last", "kind", "variation"),
    [
        (9, "special_cause_neutral_high", "neutral_high"),  # 9 > 7.32
        (-4, "special_cause_neutral_low", "neutral_low"),  # -4 < -3.32
    ],
)
def test_neutral_direction(last, kind, variation):
    result = run(BASE + [last], direction="neutral", fix_after_n_points=12, target=5)
    assert result.points["point_type"].iloc[-1] == kind
    assert result.variation == variation
    assert result.assurance is None  # ptd gives no assurance without a direction


@pytest.mark.parametrize(
    ("direction", "last", "variation"),
    [
        ("higher", 9, "improvement"),
        ("lower", 9, "concern"),
        ("higher", -4, "concern"),
        ("lower", -4, "improvement"),
        ("higher", 3, "common_cause"),
        ("lower", 3, "common_cause"),
    ],
)
def test_variation_icon_is_the_last_point(direction, last, variation):
    # limits fixed on BASE: [-3.32, 7.32]
    result = run(BASE + [last], direction=direction, fix_after_n_points=12)
    assert result.variation == variation


@pytest.mark.parametrize(
    ("direction", "target", "assurance"),
    [
        ("higher", 8, "consistent_fail"),  # target above the upper limit 7.32
        ("higher", -4, "consistent_pass"),  # target below the lower limit -3.32
        ("higher", 5, "hit_and_miss"),
        ("lower", 8, "consistent_pass"),
        ("lower", -4, "consistent_fail"),
        ("lower", 5, "hit_and_miss"),
        ("higher", None, None),
    ],
)
def test_assurance_icon(direction, target, assurance):
    result = run(BASE, direction=direction, target=target)
    assert result.assurance == assurance
    if target is not None:
        assert result.points["target"].eq(target).all()


def test_target_exactly_on_a_limit_is_hit_and_miss():
    upper = run(BASE).periods["upper_limit"].iloc[0]
    assert run(BASE, target=upper).assurance == "hit_and_miss"


def test_points_are_sorted_by_date():
    when = dates(4)
    result = xmr(pd.Series([4.0, 3.0, 2.0, 1.0]), list(reversed(when)))
    assert result.points["value"].tolist() == [1.0, 2.0, 3.0, 4.0]
    assert result.points["date"].tolist() == list(when)


def test_to_records_is_json_safe():
    result = run(BASE, target=5)
    records = to_records(result)
    assert set(records) == {"points", "variation", "assurance", "periods"}
    first = records["points"][0]
    assert first["date"] == "2024-01-01"
    assert first["moving_range"] is None
    assert first["special_cause"] is False
    assert first["period"] == 0
    assert first["target"] == 5.0
    assert records["periods"][0]["start"] == "2024-01-01"
    assert records["periods"][0]["n_points"] == 12
    assert records["assurance"] == "hit_and_miss"
    json.dumps(records, allow_nan=False)


def test_to_records_no_target_is_null():
    assert to_records(run(BASE))["points"][0]["target"] is None


@pytest.mark.parametrize(
    ("values", "when", "message"),
    [
        ([1.0, math.nan, 3.0], dates(3), "position 1"),
        ([1.0, 2.0], dates(3), "2 values but 3 dates"),
        ([1.0, 2.0], ["2024-01-01", "2024-01-01"], "more than once"),
        ([1.0, 2.0], ["2024-01-01", None], "missing"),
        ([], [], "at least one"),
    ],
)
def test_bad_input_raises(values, when, message):
    with pytest.raises(ValueError, match=message):
        xmr(values, when)


def test_unknown_direction_raises():
    with pytest.raises(ValueError, match="direction"):
        run(BASE, direction="up")
