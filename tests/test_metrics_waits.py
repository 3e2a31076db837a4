"""DM01 waits: % within 6 weeks, 13+ weeks, backlog weeks, totals check (SPEC §3, §4)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from productivity.metrics.waits import (
    check_dm01_totals,
    dm01_waits,
    waiting_6_plus_from_bands,
    waiting_distribution,
    weekly_activity,
    weeks_to_clear_backlog,
)
from productivity.schema import DM01_BANDS, DM01_COLUMNS

TIGHT = 1e-9


def dm01_row(
    period: str,
    provider: str,
    test: str,
    bands: list[int],
    activity: tuple[int, int, int],
) -> dict[str, object]:
    """One DM01 row whose totals add up: 14 band counts, (waiting list, planned, unscheduled)."""
    assert len(bands) == len(DM01_BANDS)
    return {
        "period": pd.Timestamp(period),
        "provider_code": provider,
        "provider_name": provider,
        "test_code": test,
        "total_waiting": sum(bands),
        "waiting_6_plus": sum(bands[6:]),
        "waiting_13_plus": bands[13],
        **dict(zip(DM01_BANDS, bands, strict=True)),
        "waiting_list_activity": activity[0],
        "planned_activity": activity[1],
        "unscheduled_activity": activity[2],
        "total_activity": sum(activity),
    }


@pytest.fixture
def dm01() -> pd.DataFrame:
    rows = [
        # May (31 days). 6 x 20 within 6 weeks; 7 x 4 + 2 waiting 6+; total 150; 620 tests
        dm01_row("2026-05-01", "RBS", "MRI", [20] * 6 + [4] * 7 + [2], (400, 100, 120)),
        # May. 6 x 30 within; 7 x 2 + 0 waiting 6+; total 194; 310 tests
        dm01_row("2026-05-01", "RBS", "CT", [30] * 6 + [2] * 7 + [0], (250, 30, 30)),
        # April (30 days). Everyone within 6 weeks: 6 x 10 = 60; 300 tests
        dm01_row("2026-04-01", "REM", "MRI", [10] * 6 + [0] * 8, (300, 0, 0)),
        # April. Nobody waiting and no activity: every ratio is undefined
        dm01_row("2026-04-01", "RBN", "MRI", [0] * 14, (0, 0, 0)),
    ]
    return pd.DataFrame(rows, columns=list(DM01_COLUMNS))


def row(df: pd.DataFrame, **keys: object) -> pd.Series:
    mask = pd.Series(True, index=df.index)
    for column, value in keys.items():
        mask &= df[column] == value
    assert mask.sum() == 1, keys
    return df[mask].iloc[0]


def test_dm01_waits_per_test(dm01):
    out = dm01_waits(dm01, ["period", "provider_code", "test_code"])
    assert list(out.columns) == [
        "period", "provider_code", "test_code", "total_waiting", "waiting_6_plus",
        "waiting_13_plus", "within_6_weeks", "total_activity", "weekly_activity", "backlog_weeks",
    ]  # fmt: skip
    mri = row(out, provider_code="RBS", test_code="MRI")
    assert (mri["total_waiting"], mri["waiting_6_plus"], mri["waiting_13_plus"]) == (150, 30, 2)
    assert mri["within_6_weeks"] == pytest.approx(120 / 150, rel=TIGHT)  # (150 - 30) / 150 = 0.8
    assert mri["weekly_activity"] == pytest.approx(140, rel=TIGHT)  # 620 x 7 / 31
    assert mri["backlog_weeks"] == pytest.approx(30 / 140, rel=TIGHT)
    ct = row(out, provider_code="RBS", test_code="CT")
    assert ct["within_6_weeks"] == pytest.approx(180 / 194, rel=TIGHT)
    assert ct["backlog_weeks"] == pytest.approx(14 / 70, rel=TIGHT)  # 310 x 7 / 31 = 70 a week


def test_dm01_waits_pool_tests_as_a_ratio_of_sums(dm01):
    out = dm01_waits(dm01, ["provider_code"])
    rbs = row(out, provider_code="RBS")
    assert rbs["total_waiting"] == 344 and rbs["waiting_6_plus"] == 44  # 150 + 194, 30 + 14
    # (344 - 44) / 344 = 0.872, not the mean of 0.8 and 0.928 = 0.864
    assert rbs["within_6_weeks"] == pytest.approx(300 / 344, rel=TIGHT)
    assert rbs["within_6_weeks"] != pytest.approx((0.8 + 180 / 194) / 2, rel=1e-4)
    assert rbs["backlog_weeks"] == pytest.approx(44 / 210, rel=TIGHT)  # 140 + 70 a week


def test_nobody_waiting_gives_nan_not_a_warning(dm01):
    out = dm01_waits(dm01, ["provider_code"])
    rbn = row(out, provider_code="RBN")
    assert math.isnan(rbn["within_6_weeks"])
    assert math.isnan(rbn["backlog_weeks"])
    rem = row(out, provider_code="REM")
    assert rem["within_6_weeks"] == 1.0 and rem["backlog_weeks"] == 0  # 0 waiting 6+ of 60


def test_dm01_targets(dm01):
    out = dm01_waits(
        dm01,
        ["provider_code"],
        within_6_weeks_target=0.95,
        constitutional_target=0.99,
        waiting_13_plus_target=0,
    )
    assert out["provider_code"].tolist() == ["RBN", "RBS", "REM"]
    assert out["meets_within_6_weeks_target"].tolist() == [pd.NA, False, True]  # -, 0.87, 1.0
    assert out["meets_constitutional_target"].tolist() == [pd.NA, False, True]
    assert out["meets_13_plus_target"].tolist() == [True, False, True]  # RBS has 2 at 13+


def test_dm01_target_must_be_a_fraction(dm01):
    with pytest.raises(ValueError, match="0.95 not 95"):
        dm01_waits(dm01, ["provider_code"], within_6_weeks_target=95)


@pytest.mark.parametrize(
    ("period", "weekly"),
    [
        ("2026-04-01", 3000 * 7 / 30),  # 30-day month: 700 a week
        ("2026-05-01", 3000 * 7 / 31),  # 31-day month: 677.4 a week
        ("2028-02-01", 3000 * 7 / 29),  # leap February
    ],
)
def test_backlog_weeks_use_the_length_of_the_month(period, weekly):
    one = pd.DataFrame(
        [dm01_row(period, "RBS", "MRI", [0] * 6 + [5] * 6 + [0, 0], (3000, 0, 0))],
        columns=list(DM01_COLUMNS),
    )
    assert weekly_activity(one).iloc[0] == pytest.approx(weekly, rel=TIGHT)
    out = dm01_waits(one, ["provider_code"])
    assert out["backlog_weeks"].iloc[0] == pytest.approx(30 / weekly, rel=TIGHT)  # 6 x 5 waiting


@pytest.mark.parametrize(
    "period",
    [
        pd.Series(["2026-05"]),
        pd.Series(["2026-05-01"]),
        pd.Series(pd.period_range("2026-05", periods=1, freq="M")),
        pd.Series(pd.to_datetime(["2026-05-17"])),
    ],
    ids=["month-string", "date-string", "period", "timestamp"],
)
def test_weekly_activity_accepts_period_forms(period):
    df = pd.DataFrame({"period": period, "total_activity": [310]})
    assert weekly_activity(df).tolist() == pytest.approx([70.0], rel=TIGHT)  # 310 x 7 / 31


def test_bands_win_over_the_reported_6_plus_column(dm01):
    bad = dm01.assign(waiting_6_plus=0, waiting_13_plus=0)
    assert waiting_6_plus_from_bands(bad).tolist() == [30, 14, 0, 0]
    out = dm01_waits(bad, ["provider_code", "test_code"])
    assert row(out, provider_code="RBS", test_code="MRI")["waiting_6_plus"] == 30
    assert row(out, provider_code="RBS", test_code="MRI")["waiting_13_plus"] == 2


def test_reported_columns_are_used_without_bands(dm01):
    out = dm01_waits(dm01.drop(columns=list(DM01_BANDS)), ["provider_code"])
    assert row(out, provider_code="RBS")["waiting_6_plus"] == 44
    assert row(out, provider_code="RBS")["waiting_13_plus"] == 2


def test_check_dm01_totals_catches_bad_rows(dm01):
    assert check_dm01_totals(dm01).empty
    bad = dm01.copy()
    bad.loc[1, "total_waiting"] = 195  # bands add to 194
    bad.loc[2, "total_activity"] = 301  # 300 + 0 + 0
    problems = check_dm01_totals(bad)
    assert problems.index.tolist() == [1, 2]  # the importer maps the index back to file rows
    assert problems["bands_sum"].tolist() == [194, 60]
    assert problems["activity_sum"].tolist() == [310, 300]
    assert problems["total_waiting_mismatch"].tolist() == [True, False]
    assert problems["total_activity_mismatch"].tolist() == [False, True]


def test_check_dm01_totals_accepts_float_counts(dm01):
    as_floats = dm01.astype(dict.fromkeys(DM01_BANDS, float) | {"total_waiting": float})
    assert check_dm01_totals(as_floats).empty


def test_waiting_distribution(dm01):
    out = waiting_distribution(dm01, ["provider_code"])
    assert list(out.columns) == ["provider_code", "band", "band_label", "patients", "share"]
    assert len(out) == 3 * 14
    rem = out[out["provider_code"] == "REM"]
    assert rem["band"].tolist() == list(DM01_BANDS)
    assert rem["band_label"].tolist()[:2] == ["0-<1", "1-<2"]
    assert rem["band_label"].tolist()[-2:] == ["12-<13", "13+"]
    assert rem["share"].tolist() == pytest.approx([1 / 6] * 6 + [0] * 8, rel=TIGHT)  # 10 of 60
    rbs = out[out["provider_code"] == "RBS"]
    assert rbs["patients"].tolist()[0] == 50  # MRI 20 + CT 30 in band 0-<1
    assert rbs["share"].sum() == pytest.approx(1, rel=TIGHT)
    assert out[out["provider_code"] == "RBN"]["share"].isna().all()  # nobody waiting


def test_weeks_to_clear_backlog():
    waiting = pd.Series([30.0, 0.0, 10.0, np.nan, 8.0], index=list("abcde"))
    additional = pd.Series([10.0, 0.0, 0.0, 5.0, 4.0], index=list("abcde"))
    weeks = weeks_to_clear_backlog(waiting, additional)
    assert weeks.name == "weeks_to_clear_backlog"
    assert weeks["a"] == 3  # 30 waiting / 10 extra a week
    assert weeks["b"] == 0  # nobody waiting, even with no extra capacity
    assert weeks["c"] == math.inf  # waiting, but no extra capacity
    assert math.isnan(weeks["d"])
    assert weeks["e"] == 2


def test_weeks_to_clear_backlog_aligns_series_and_takes_arrays():
    waiting = pd.Series([30.0, 12.0], index=["MRI", "CT"])
    additional = pd.Series([4.0, 10.0], index=["CT", "MRI"])
    assert weeks_to_clear_backlog(waiting, additional).tolist() == [3.0, 3.0]  # 30/10, 12/4
    weeks = weeks_to_clear_backlog(np.array([30.0, 5.0]), 10.0)
    assert isinstance(weeks, np.ndarray) and weeks.tolist() == [3.0, 0.5]
