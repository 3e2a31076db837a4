"""Imaging scans per hour, endoscopy utilisation and echo minutes per test (SPEC §4 Diagnostics)."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from productivity.metrics.diagnostics import (
    add_period_columns,
    echo_minutes_per_test,
    endoscopy_utilisation,
    group_sums,
    safe_ratio,
    scans_per_hour,
    score_procedures,
)
from productivity.schema import ECHO_COLUMNS, ENDOSCOPY_COLUMNS, IMAGING_COLUMNS

RATES = {"CT": 4.0, "MRI": 2.5, "NOUS": 3.0}  # programme benchmarks, scans per hour
TIGHT = 1e-9


def imaging(rows: list[tuple[str, str, str, str, float, float]]) -> pd.DataFrame:
    """(trust, scanner, modality, date, hours, scans) -> the canonical imaging frame."""
    frame = pd.DataFrame(
        [
            (trust, "Main", scanner, mod, date, hours, scans)
            for trust, scanner, mod, date, hours, scans in rows
        ],
        columns=list(IMAGING_COLUMNS),
    )
    return frame.assign(date=pd.to_datetime(frame["date"]))


@pytest.fixture
def scanner_days() -> pd.DataFrame:
    return imaging(
        [
            ("RBS", "CT1", "CT", "2026-05-04", 10, 36),
            ("RBS", "CT1", "CT", "2026-05-05", 8, 30),
            ("RBS", "MR1", "MRI", "2026-05-04", 10, 30),
            ("REM", "US1", "NOUS", "2026-06-01", 8, 20),
        ]
    )


def row(df: pd.DataFrame, **keys: object) -> pd.Series:
    mask = pd.Series(True, index=df.index)
    for column, value in keys.items():
        mask &= df[column] == value
    assert mask.sum() == 1, keys
    return df[mask].iloc[0]


def test_scans_per_hour_by_trust_and_modality(scanner_days):
    out = scans_per_hour(scanner_days, ["trust_code", "modality"], benchmark_rates=RATES)
    assert list(out.columns) == [
        "trust_code", "modality", "scans", "operational_hours", "scans_per_hour",
        "benchmark_scans_per_hour", "additional_scans",
    ]  # fmt: skip
    ct = row(out, trust_code="RBS", modality="CT")
    assert ct["scans"] == 66 and ct["operational_hours"] == 18
    assert ct["scans_per_hour"] == pytest.approx(66 / 18, rel=TIGHT)  # 36 + 30 scans in 10 + 8 h
    assert ct["benchmark_scans_per_hour"] == 4.0
    assert ct["additional_scans"] == pytest.approx(6, rel=TIGHT)  # 4 x 18 h - 66 = 6
    mri = row(out, trust_code="RBS", modality="MRI")
    assert mri["scans_per_hour"] == pytest.approx(3.0, rel=TIGHT)  # 30 / 10, above 2.5
    assert mri["additional_scans"] == 0  # max(0, 2.5 x 10 - 30 = -5)
    nous = row(out, trust_code="REM", modality="NOUS")
    assert nous["scans_per_hour"] == pytest.approx(2.5, rel=TIGHT)  # 20 / 8
    assert nous["additional_scans"] == pytest.approx(4, rel=TIGHT)  # 3 x 8 - 20 = 4


def test_scanner_above_benchmark_gives_no_additional_scans(scanner_days):
    out = scans_per_hour(scanner_days, ["scanner_id"], benchmark_rates=RATES)
    assert row(out, scanner_id="MR1")["additional_scans"] == 0  # 3.0/h beats 2.5/h
    assert row(out, scanner_id="CT1")["additional_scans"] == pytest.approx(6, rel=TIGHT)


def test_scans_per_hour_is_a_ratio_of_sums_not_a_mean_of_ratios():
    days = imaging(
        [
            ("RBS", "CT1", "CT", "2026-05-04", 10, 40),  # 4.0 / h
            ("RBS", "CT1", "CT", "2026-05-05", 2, 2),  # 1.0 / h
        ]
    )
    out = scans_per_hour(days, ["scanner_id"])
    assert list(out.columns) == ["scanner_id", "scans", "operational_hours", "scans_per_hour"]
    # 42 scans / 12 h = 3.5, whereas the mean of the daily rates would be (4 + 1) / 2 = 2.5
    assert out["scans_per_hour"].iloc[0] == pytest.approx(3.5, rel=TIGHT)
    assert out["scans_per_hour"].iloc[0] != pytest.approx(2.5)


def test_additional_scans_do_not_offset_across_modalities(scanner_days):
    out = scans_per_hour(scanner_days, ["trust_code"], benchmark_rates=RATES)
    rbs = row(out, trust_code="RBS")
    assert rbs["scans_per_hour"] == pytest.approx(96 / 28, rel=TIGHT)  # (66 + 30) / (18 + 10)
    # CT is 6 short and MRI 5 over: the MRI surplus cannot be spent on CT, so 6, not 1
    assert rbs["additional_scans"] == pytest.approx(6, rel=TIGHT)
    # hours-weighted benchmark: (4 x 18 + 2.5 x 10) / 28 = 97 / 28
    assert rbs["benchmark_scans_per_hour"] == pytest.approx(97 / 28, rel=TIGHT)


def test_scans_per_hour_by_month_and_week():
    days = imaging(
        [
            ("RBS", "CT1", "CT", "2026-05-29", 10, 30),  # Friday, week of Mon 25 May
            ("RBS", "CT1", "CT", "2026-05-31", 10, 40),  # Sunday, same week, same month
            ("RBS", "CT1", "CT", "2026-06-01", 10, 50),  # Monday: a new week and month
        ]
    )
    monthly = scans_per_hour(days, ["trust_code", "modality", "month"], benchmark_rates=RATES)
    assert list(monthly["month"]) == [pd.Timestamp("2026-05-01"), pd.Timestamp("2026-06-01")]
    assert list(monthly["scans_per_hour"]) == pytest.approx([3.5, 5.0], rel=TIGHT)  # 70/20, 50/10
    assert list(monthly["additional_scans"]) == pytest.approx([10, 0], rel=TIGHT)  # 80-70, 40-50
    weekly = scans_per_hour(days, ["week"])
    assert list(weekly["week"]) == [pd.Timestamp("2026-05-25"), pd.Timestamp("2026-06-01")]
    assert list(weekly["scans"]) == [70, 50]


def test_scans_per_hour_whole_frame_when_by_is_empty(scanner_days):
    out = scans_per_hour(scanner_days, [], benchmark_rates=RATES)
    assert len(out) == 1
    assert out["scans_per_hour"].iloc[0] == pytest.approx(116 / 36, rel=TIGHT)  # 96+20 / 28+8
    assert out["additional_scans"].iloc[0] == pytest.approx(10, rel=TIGHT)  # CT 6 + NOUS 4


def test_zero_hours_give_nan_scans_per_hour_and_no_additional():
    days = imaging([("RBS", "MR2", "MRI", "2026-05-04", 0, 0)])
    out = scans_per_hour(days, ["trust_code", "modality"], benchmark_rates=RATES)
    assert math.isnan(out["scans_per_hour"].iloc[0])
    assert out["benchmark_scans_per_hour"].iloc[0] == 2.5
    assert out["additional_scans"].iloc[0] == 0


def test_unknown_modality_is_named(scanner_days):
    with pytest.raises(ValueError, match="'NOUS'"):
        scans_per_hour(scanner_days, ["trust_code"], benchmark_rates={"CT": 4, "MRI": 2.5})


def test_missing_column_is_named(scanner_days):
    with pytest.raises(ValueError, match="operational_hours"):
        scans_per_hour(scanner_days.drop(columns="operational_hours"), ["trust_code"])


@pytest.mark.parametrize(
    ("date", "month", "week"),
    [
        ("2026-05-14", "2026-05-01", "2026-05-11"),  # Thursday
        ("2026-05-31", "2026-05-01", "2026-05-25"),  # Sunday ends the ISO week
        ("2026-06-01", "2026-06-01", "2026-06-01"),  # Monday starts it
        ("2027-01-01", "2027-01-01", "2026-12-28"),  # the week spans the new year
    ],
)
def test_add_period_columns(date, month, week):
    out = add_period_columns(pd.DataFrame({"date": [date]}), "date")
    assert out["month"].iloc[0] == pd.Timestamp(month)
    assert out["week"].iloc[0] == pd.Timestamp(week)


def test_group_sums_keeps_missing_keys_and_safe_ratio_masks_zero():
    df = pd.DataFrame({"k": ["a", "a", None], "v": [1, 2, 3]})
    sums = group_sums(df, ["k"], ["v"])
    assert list(sums["v"]) == [3, 3]  # the unlabelled row is kept as its own group
    ratio = safe_ratio(pd.Series([1.0, 0.0]), pd.Series([2.0, 0.0]))
    assert ratio.iloc[0] == 0.5 and math.isnan(ratio.iloc[1])


def endoscopy(rows: list[tuple[str, str, float, float, float]]) -> pd.DataFrame:
    """(trust, room, planned_points, used_points, procedures) -> the canonical endoscopy frame."""
    return pd.DataFrame(
        [(trust, "Main", room, "2026-05-04", "AM", *points) for trust, room, *points in rows],
        columns=list(ENDOSCOPY_COLUMNS),
    )


@pytest.fixture
def endoscopy_lists() -> pd.DataFrame:
    return endoscopy(
        [
            ("RBS", "E1", 12, 10, 6),
            ("RBS", "E2", 12, 12, 8),
            ("REM", "E1", 10, 0, 0),  # booked but nothing done
        ]
    )


def test_endoscopy_utilisation_and_additional_procedures(endoscopy_lists):
    out = endoscopy_utilisation(endoscopy_lists, ["trust_code"], target=0.95)
    rbs = row(out, trust_code="RBS")
    assert rbs["utilisation"] == pytest.approx(22 / 24, rel=TIGHT)  # 10 + 12 of 12 + 12 points
    assert rbs["benchmark_utilisation"] == 0.95
    assert rbs["additional_points"] == pytest.approx(0.8, rel=TIGHT)  # 0.95 x 24 - 22 = 0.8
    assert rbs["points_per_procedure"] == pytest.approx(22 / 14, rel=TIGHT)  # 22 pts, 6+8 procs
    # 0.8 points at 22/14 points per procedure = 0.8 x 14 / 22 procedures
    assert rbs["additional_procedures"] == pytest.approx(0.8 * 14 / 22, rel=TIGHT)
    rem = row(out, trust_code="REM")
    assert rem["utilisation"] == 0  # 0 / 10
    assert rem["additional_points"] == pytest.approx(9.5, rel=TIGHT)  # 0.95 x 10 - 0
    assert math.isnan(rem["points_per_procedure"])  # no procedures done
    assert math.isnan(rem["additional_procedures"])


def test_endoscopy_list_above_target_has_no_additional_points(endoscopy_lists):
    out = endoscopy_utilisation(endoscopy_lists, ["room", "trust_code"], target=0.95)
    assert row(out, trust_code="RBS", room="E2")["additional_points"] == 0  # 12 of 12 points
    assert row(out, trust_code="RBS", room="E1")["additional_points"] == pytest.approx(1.4)


def test_endoscopy_without_procedure_counts(endoscopy_lists):
    out = endoscopy_utilisation(
        endoscopy_lists.drop(columns="procedures"), ["trust_code"], target=0.95
    )
    assert out["procedures"].isna().all()
    assert out["additional_procedures"].isna().all()
    assert out["additional_points"].tolist() == pytest.approx([0.8, 9.5], rel=TIGHT)


def test_endoscopy_zero_planned_points_give_nan_utilisation():
    out = endoscopy_utilisation(endoscopy([("RBS", "E1", 0, 0, 0)]), ["trust_code"], target=0.95)
    assert math.isnan(out["utilisation"].iloc[0])
    assert out["additional_points"].iloc[0] == 0


def test_endoscopy_target_must_be_a_fraction(endoscopy_lists):
    with pytest.raises(ValueError, match="0.95 not 95"):
        endoscopy_utilisation(endoscopy_lists, ["trust_code"], target=95)


def test_score_procedures_from_the_point_table():
    procedures = pd.DataFrame({"procedure_type": ["OGD", "COLONOSCOPY", " colonoscopy ", "ogd"]})
    points = score_procedures(procedures, {"OGD": 1, "COLONOSCOPY": 2})
    assert points.name == "points"
    assert points.tolist() == [1.0, 2.0, 2.0, 1.0]  # 6 points in all


def test_score_procedures_names_unknown_types():
    procedures = pd.DataFrame({"procedure_type": ["OGD", "ERCP", None, "ERCP"]})
    with pytest.raises(ValueError, match=r"'ERCP', <missing>"):
        score_procedures(procedures, {"OGD": 1, "COLONOSCOPY": 2})


def echo(rows: list[tuple[str, str, float, float]]) -> pd.DataFrame:
    """(trust, date, tests, scheduled_minutes) -> the canonical echo frame."""
    return pd.DataFrame(
        [(trust, "Main", date, tests, minutes) for trust, date, tests, minutes in rows],
        columns=list(ECHO_COLUMNS),
    )


@pytest.fixture
def echo_days() -> pd.DataFrame:
    return echo(
        [
            ("RBQ", "2026-05-04", 10, 450),
            ("RBQ", "2026-05-05", 8, 400),
            ("RBS", "2026-05-04", 10, 300),  # 30 min a test: already faster than 45
        ]
    )


@pytest.mark.parametrize(
    ("benchmark", "released"),
    [
        (45, 850 / 45 - 18),  # 18.89 tests' worth of minutes, 18 done -> 0.89 released
        (20, 850 / 20 - 18),  # AI-assisted: 42.5 - 18 = 24.5
    ],
)
def test_echo_minutes_per_test_and_capacity_released(echo_days, benchmark, released):
    out = echo_minutes_per_test(echo_days, ["trust_code"], benchmark_minutes=benchmark)
    rbq = row(out, trust_code="RBQ")
    assert rbq["minutes_per_test"] == pytest.approx(850 / 18, rel=TIGHT)  # (450 + 400) / 18
    assert rbq["benchmark_minutes_per_test"] == benchmark
    assert rbq["capacity_released"] == pytest.approx(released, rel=TIGHT)
    assert rbq["additional_tests"] == pytest.approx(released, rel=TIGHT)


def test_echo_faster_than_benchmark_releases_negative_capacity(echo_days):
    out = echo_minutes_per_test(echo_days, ["trust_code"], benchmark_minutes=45)
    rbs = row(out, trust_code="RBS")
    assert rbs["minutes_per_test"] == 30  # 300 / 10
    assert rbs["capacity_released"] == pytest.approx(300 / 45 - 10, rel=TIGHT)  # -3.33
    assert rbs["additional_tests"] == 0


def test_echo_zero_tests_give_nan_minutes_per_test():
    out = echo_minutes_per_test(
        echo([("RBQ", "2026-05-04", 0, 0)]), ["month"], benchmark_minutes=45
    )
    assert out["month"].iloc[0] == pd.Timestamp("2026-05-01")
    assert math.isnan(out["minutes_per_test"].iloc[0])
    assert out["capacity_released"].iloc[0] == 0


def test_echo_benchmark_must_be_positive(echo_days):
    with pytest.raises(ValueError, match="positive"):
        echo_minutes_per_test(echo_days, ["trust_code"], benchmark_minutes=0)
