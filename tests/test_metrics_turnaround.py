"""Reporting and pathology turnaround: calendar and working days, within/breach/pending (SPEC §4).

Every expected figure is worked out by hand in the comment beside it. Calendar for the cases:
2026: Mon 2 Mar, Fri 13 Mar, Fri 20 Mar; Wed 1 Apr, Thu 2 Apr, Good Friday 3 Apr, Easter Monday
6 Apr, Tue 7 Apr, Mon 20 Apr; Fri 1 May, early-May bank holiday Mon 4 May, Fri 15 May; British
Summer Time from Sun 29 Mar. 2022: Christmas Day Sun 25 Dec, so Boxing Day Mon 26 Dec and the
substitute Christmas Day Tue 27 Dec; New Year's Day Sun 1 Jan 2023, substitute Mon 2 Jan.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd
import pytest

from productivity.metrics.turnaround import (
    AGE_BANDS,
    SUMMARY_COLUMNS,
    TurnaroundMeasure,
    add_month,
    as_at_by_trust,
    build_measures,
    calendar_days,
    classify_events,
    england_bank_holidays,
    event_month,
    to_local,
    turnaround_summary,
    unreported_backlog,
    working_days,
)

NAN = float("nan")


def days_of(
    counter: Callable[[pd.Series, pd.Series], pd.Series],
    pairs: Sequence[tuple[str, str | None]],
) -> list[float]:
    start = pd.Series([p[0] for p in pairs])
    end = pd.Series([p[1] for p in pairs])
    days: list[float] = counter(start, end).tolist()
    return days


def same(actual: Sequence[float], expected: Sequence[float]) -> bool:
    return len(actual) == len(expected) and all(
        (math.isnan(a) and math.isnan(e)) or a == e for a, e in zip(actual, expected, strict=True)
    )


# --- calendar and working days -------------------------------------------------------------


def test_same_day_is_zero_in_both_kinds() -> None:
    pairs = [("2026-03-10T08:00", "2026-03-10T17:30")]
    assert days_of(calendar_days, pairs) == [0]
    assert days_of(working_days, pairs) == [0]


def test_event_crossing_midnight_is_one_day() -> None:
    # Tue 10 Mar 23:50 -> Wed 11 Mar 00:10: 20 minutes, but the date moves on by 1
    pairs = [("2026-03-10T23:50", "2026-03-11T00:10")]
    assert days_of(calendar_days, pairs) == [1]
    assert days_of(working_days, pairs) == [1]  # Wed 11 Mar is a working day


def test_friday_to_monday_is_one_working_day_and_three_calendar_days() -> None:
    # Fri 13 Mar -> Mon 16 Mar: (13, 16] holds Sat, Sun, Mon -> 1 working day, 3 calendar days
    pairs = [("2026-03-13T16:00", "2026-03-16T09:00")]
    assert days_of(working_days, pairs) == [1]
    assert days_of(calendar_days, pairs) == [3]


def test_weekend_start_counts_from_monday() -> None:
    # Sat 14 Mar -> Sun 15 Mar: no working day in (14, 15] -> 0; Sat -> Mon 16 Mar -> 1
    pairs = [("2026-03-14T10:00", "2026-03-15T10:00"), ("2026-03-14T10:00", "2026-03-16T10:00")]
    assert days_of(working_days, pairs) == [0, 1]


def test_working_days_across_easter_2026() -> None:
    pairs = [
        # Thu 2 Apr -> Tue 7 Apr: (2, 7] = Good Fri, Sat, Sun, Easter Mon, Tue -> 1 (Tue only)
        ("2026-04-02T09:00", "2026-04-07T09:00"),
        # Wed 1 Apr -> Fri 10 Apr: Thu 2 (1), then Tue 7, Wed 8, Thu 9, Fri 10 (2..5) -> 5
        ("2026-04-01T09:00", "2026-04-10T09:00"),
        # Thu 2 Apr -> Good Friday 3 Apr: (2, 3] holds only the bank holiday -> 0
        ("2026-04-02T09:00", "2026-04-03T09:00"),
        # received on Easter Monday 6 Apr -> Tue 7 Apr: (6, 7] = Tue -> 1
        ("2026-04-06T09:00", "2026-04-07T09:00"),
    ]
    assert days_of(working_days, pairs) == [1, 5, 0, 1]
    # the same pairs in calendar days: 5, 9, 1, 1
    assert days_of(calendar_days, pairs) == [5, 9, 1, 1]


def test_working_days_across_the_early_may_bank_holiday_2026() -> None:
    pairs = [
        # Fri 1 May -> Tue 5 May: (1, 5] = Sat, Sun, May Day Mon 4, Tue 5 -> 1
        ("2026-05-01T12:00", "2026-05-05T12:00"),
        # Thu 2 Apr -> Fri 15 May, over Easter and May Day: April after the 2nd has
        # 7-10 (4) + 13-17 (5) + 20-24 (5) + 27-30 (4) = 18; May has Fri 1 (1) + 5-8 (4)
        # + 11-15 (5) = 10 -> 28 working days; calendar 28 (rest of April) + 15 = 43
        ("2026-04-02T09:00", "2026-05-15T09:00"),
    ]
    assert days_of(working_days, pairs) == [1, 28]
    assert days_of(calendar_days, pairs) == [4, 43]


def test_substitute_bank_holidays_are_not_working_days() -> None:
    pairs = [
        # Fri 23 Dec 2022 -> Wed 28 Dec: Sat 24, Sun 25, Boxing Day 26, substitute Christmas
        # Tue 27 are all out; Wed 28 -> 1
        ("2022-12-23T10:00", "2022-12-28T10:00"),
        # Thu 22 Dec 2022 -> Tue 3 Jan 2023: Fri 23 (1), Wed 28 - Fri 30 (2..4), substitute
        # New Year Mon 2 Jan out, Tue 3 Jan (5) -> 5, across a change of year
        ("2022-12-22T10:00", "2023-01-03T10:00"),
        # Thu 24 Dec 2026 -> Tue 29 Dec: Christmas Fri 25, weekend, substitute Boxing Day
        # Mon 28 out; Tue 29 -> 1
        ("2026-12-24T10:00", "2026-12-29T10:00"),
    ]
    assert days_of(working_days, pairs) == [1, 5, 1]


def test_bank_holidays_come_from_the_maintained_calendar() -> None:
    days = england_bank_holidays(2022, 2023)
    # substitute days and one-off holidays are in it
    for day in ("2022-12-27", "2023-01-02", "2022-09-19", "2023-05-08"):
        assert dt.date.fromisoformat(day) in days
    assert dt.date(2022, 12, 28) not in days
    assert days == sorted(days)


def test_single_moments_give_a_float_and_broadcast() -> None:
    # Thu 2 Apr -> Tue 7 Apr over Easter: 1 working day, 5 calendar days
    assert working_days(pd.Timestamp("2026-04-02 09:00"), "2026-04-07T09:00") == 1.0
    assert calendar_days(dt.datetime(2026, 4, 2, 9), dt.date(2026, 4, 7)) == 5.0
    assert math.isnan(working_days("2026-04-02", None))
    tests = pd.Series(["2026-04-01T09:00", "2026-04-02T09:00"], index=[5, 6])
    # as at Fri 10 Apr: from Wed 1 Apr 5 working days, from Thu 2 Apr 4
    ages = working_days(tests, pd.Timestamp("2026-04-10 12:00"))
    assert ages.tolist() == [5, 4]
    assert ages.index.tolist() == [5, 6]


def test_missing_end_gives_nan() -> None:
    pairs = [("2026-03-10T08:00", None), ("2026-03-10T08:00", "2026-03-12T08:00")]
    assert same(days_of(calendar_days, pairs), [NAN, 2])
    assert same(days_of(working_days, pairs), [NAN, 2])


def test_days_keep_the_index_of_start() -> None:
    start = pd.Series(pd.to_datetime(["2026-03-13 16:00"]), index=[42])
    end = pd.Series(pd.to_datetime(["2026-03-16 09:00"]), index=[7])  # matched by position
    assert working_days(start, end).index.tolist() == [42]
    assert working_days(start, end).name == "working_days"
    assert calendar_days(start, end).name == "calendar_days"


def test_empty_input_gives_empty_days() -> None:
    empty = pd.Series([], dtype="datetime64[ns]")
    assert working_days(empty, empty).empty
    assert calendar_days(empty, empty).empty


# --- time zones ----------------------------------------------------------------------------


def test_offsets_are_read_as_london_dates() -> None:
    pairs = [
        # 23:30 UTC on Tue 14 Apr is 00:30 BST on Wed 15 Apr; reported 09:00 BST the same
        # London day -> 0 days (a UTC date would say 1)
        ("2026-04-14T23:30:00+00:00", "2026-04-15T09:00:00+01:00"),
        # in winter GMT = UTC: Fri 27 Feb 22:00 -> Mon 2 Mar 08:00 -> 3 calendar, 1 working
        ("2026-02-27T22:00:00+00:00", "2026-03-02T08:00:00+00:00"),
    ]
    assert days_of(calendar_days, pairs) == [0, 3]
    assert days_of(working_days, pairs) == [0, 1]


def test_tz_aware_series_and_naive_series_mix() -> None:
    # tz-aware UTC: 23:30 UTC Thu 2 Apr = 00:30 BST Good Friday 3 Apr; naive end Tue 7 Apr
    start = pd.Series(pd.to_datetime(["2026-04-02T23:30:00Z"], utc=True))
    end = pd.Series(pd.to_datetime(["2026-04-07 10:00"]))
    # (3 Apr, 7 Apr] = Sat, Sun, Easter Mon, Tue -> 1 working day; 4 calendar days
    assert working_days(start, end).tolist() == [1]
    assert calendar_days(start, end).tolist() == [4]


def test_to_local_handles_mixed_offsets_and_naive_strings() -> None:
    local = to_local(
        pd.Series(["2026-03-27T10:00:00+00:00", "2026-04-14T22:00:00+01:00", "2026-04-14 08:15"])
    )
    assert local.tolist() == [
        pd.Timestamp("2026-03-27 10:00"),
        pd.Timestamp("2026-04-14 22:00"),  # already BST wall-clock
        pd.Timestamp("2026-04-14 08:15"),  # naive: taken as London time
    ]


def test_event_month_is_the_london_month_of_the_test() -> None:
    events = pd.DataFrame(
        {
            # 23:30 UTC on 31 Mar is 00:30 BST on 1 Apr -> April
            "test_datetime": ["2026-03-31T23:30:00+00:00", "2026-03-31T22:30:00+00:00"],
            "report_datetime": [None, None],
        }
    )
    months = event_month(events)
    assert months.tolist() == [pd.Timestamp("2026-04-01"), pd.Timestamp("2026-03-01")]
    assert add_month(events)["month"].tolist() == months.tolist()


# --- within / breach / pending --------------------------------------------------------------


def events_frame(
    rows: Sequence[tuple[str, str | None, str | None, str, str | None]],
) -> pd.DataFrame:
    """Reporting events: (trust, modality, priority, test, report or None)."""
    return pd.DataFrame(
        rows, columns=["trust_code", "modality", "priority", "test_datetime", "report_datetime"]
    )


def test_unreported_event_on_both_sides_of_its_threshold() -> None:
    events = events_frame(
        [
            ("RBS", "CT", "urgent", "2026-03-13T08:00", None),  # age 20 - 13 = 7 -> pending
            ("RBS", "CT", "urgent", "2026-03-12T08:00", None),  # age 8 > 7 -> breach
            ("RBS", "CT", "urgent", "2026-03-13T08:00", "2026-03-20T10:00"),  # 7 -> within
            ("RBS", "CT", "urgent", "2026-03-12T08:00", "2026-03-20T10:00"),  # 8 -> breach
        ]
    )
    status = classify_events(events, 7, "calendar", as_at="2026-03-20T12:00")
    assert status.tolist() == ["pending", "breach", "within", "breach"]


def test_unreported_working_day_threshold_across_easter() -> None:
    specimens = pd.DataFrame(
        {
            "trust_code": ["REM", "REM"],
            "received_datetime": ["2026-04-07T11:00", "2026-04-06T10:00"],
            "authorised_datetime": [None, None],
        }
    )
    # as at Tue 21 Apr: from Tue 7 Apr, 8-10 (3) + 13-17 (8) + 20, 21 (10) -> 10 -> pending;
    # from Easter Mon 6 Apr, Tue 7 is one more -> 11 > 10 -> breach
    status = classify_events(
        specimens, 10, "working", as_at=pd.Timestamp("2026-04-21 12:00"), kind="pathology"
    )
    assert status.tolist() == ["pending", "breach"]


def test_as_at_is_per_trust_latest_timestamp() -> None:
    events = events_frame(
        [
            ("RBS", "CT", "routine", "2026-03-19T10:00", "2026-03-20T18:00"),
            ("RBS", "CT", "routine", "2026-03-01T10:00", None),
            ("REM", "MRI", "urgent", "2026-03-12T09:00", None),
            ("REM", "MRI", "urgent", "2026-03-02T09:00", "2026-03-11T16:00"),
        ]
    )
    as_at = as_at_by_trust(events)
    # RBS: latest of tests and reports = report 20 Mar 18:00; REM: test 12 Mar 09:00
    assert as_at.to_dict() == {
        "RBS": pd.Timestamp("2026-03-20 18:00"),
        "REM": pd.Timestamp("2026-03-12 09:00"),
    }
    # REM's unreported test of 12 Mar is 0 days old at REM's as-at -> pending, although RBS's
    # as-at would make it 8 days old
    assert classify_events(events, 7, "calendar").tolist() == [
        "within",  # 1 day
        "breach",  # unreported, 1 -> 20 Mar = 19 days
        "pending",
        "breach",  # 2 -> 11 Mar = 9 days
    ]


def test_as_at_by_trust_reads_offsets() -> None:
    events = events_frame([("RBS", "CT", "urgent", "2026-04-14T23:30:00+00:00", None)])
    assert as_at_by_trust(events)["RBS"] == pd.Timestamp("2026-04-15 00:30")


def test_classify_needs_an_as_at_for_every_trust() -> None:
    events = events_frame([("RBS", "CT", "urgent", "2026-03-13T08:00", None)])
    with pytest.raises(ValueError, match="RBS"):
        classify_events(events, 7, "calendar", as_at={"REM": "2026-03-20"})


def test_classify_rejects_a_bad_day_kind() -> None:
    events = events_frame([("RBS", "CT", "urgent", "2026-03-13T08:00", None)])
    with pytest.raises(ValueError, match="day kind"):
        classify_events(events, 7, "weekdays", as_at="2026-03-20")  # type: ignore[arg-type]


# --- measures ----------------------------------------------------------------------------


def test_build_measures_defaults_are_spec_section_2() -> None:
    measures = {m.key: m for m in build_measures()}
    assert list(measures) == [
        "reporting_ct_urgent",
        "reporting_ct_routine",
        "reporting_mri_urgent",
        "reporting_mri_routine",
        "reporting_all_28_days",
        "pathology_cancer_10_days",
    ]
    as_table = {k: (m.target_share, m.days, m.day_kind) for k, m in measures.items()}
    assert as_table == {
        "reporting_ct_urgent": (0.95, 7, "calendar"),
        "reporting_ct_routine": (0.95, 28, "calendar"),
        "reporting_mri_urgent": (0.90, 7, "calendar"),
        "reporting_mri_routine": (0.95, 7, "calendar"),  # as the workplan states it
        "reporting_all_28_days": (1.0, 28, "calendar"),
        "pathology_cancer_10_days": (0.80, 10, "working"),
    }
    assert measures["pathology_cancer_10_days"].kind == "pathology"
    assert measures["pathology_cancer_10_days"].cancer_only
    assert (
        measures["reporting_mri_urgent"].modality,
        measures["reporting_mri_urgent"].priority,
    ) == (
        "MRI",
        "urgent",
    )
    assert measures["reporting_all_28_days"].modality is None


def test_build_measures_takes_the_benchmark_file_and_ignores_other_keys() -> None:
    measures = build_measures(
        {
            "reporting_mri_routine": {"value": 0.95, "days": 28, "day_kind": "calendar"},
            "pathology_cancer_10_days": {"value": 0.9, "days": 7.0, "day_kind": "Working"},
            "ct_scans_per_hour": {"value": 4},
        }
    )
    by_key = {m.key: m for m in measures}
    assert by_key["reporting_mri_routine"].days == 28
    assert (
        by_key["pathology_cancer_10_days"].target_share,
        by_key["pathology_cancer_10_days"].days,
    ) == (
        0.9,
        7,
    )
    assert by_key["pathology_cancer_10_days"].day_kind == "working"


@pytest.mark.parametrize(
    "entry",
    [
        {"value": 95, "days": 7, "day_kind": "calendar"},  # a percentage, not a fraction
        {"value": 0.95, "days": 7.5, "day_kind": "calendar"},
        {"value": 0.95, "days": 7, "day_kind": "fortnightly"},
        {"value": "lots", "days": 7, "day_kind": "calendar"},
    ],
)
def test_build_measures_rejects_bad_entries(entry: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        build_measures({"reporting_ct_urgent": entry})


def test_measure_selects_case_insensitively() -> None:
    events = events_frame(
        [
            ("RBS", "ct", "Urgent", "2026-03-13T08:00", None),
            ("RBS", "CT", "routine", "2026-03-13T08:00", None),
            ("RBS", "MRI", "urgent", "2026-03-13T08:00", None),
            ("RBS", None, None, "2026-03-13T08:00", None),
        ]
    )
    measure = TurnaroundMeasure("reporting_ct_urgent", 7, "calendar", 0.95, "CT", "urgent")
    assert measure.select(events).tolist() == [True, False, False, False]


# --- the summary -------------------------------------------------------------------------


@pytest.fixture
def reporting() -> pd.DataFrame:
    return events_frame(
        [
            # RBS; its as-at is its latest timestamp, the report of Fri 20 Mar 18:00
            ("RBS", "CT", "urgent", "2026-03-02T09:00", "2026-03-09T10:00"),  # 1: 7 days
            ("RBS", "CT", "urgent", "2026-03-02T09:00", "2026-03-10T10:00"),  # 2: 8 days
            ("RBS", "CT", "urgent", "2026-03-03T12:00", "2026-03-03T15:00"),  # 3: 0 days
            ("RBS", "CT", "urgent", "2026-03-12T08:00", None),  # 4: age 8 at 20 Mar
            ("RBS", "CT", "routine", "2026-03-20T10:00", "2026-03-20T18:00"),  # 5: 0 days
            ("RBS", "CT", "urgent", "2026-03-13T08:00", None),  # 6: age 7 at 20 Mar
            ("RBS", "MRI", "routine", "2026-03-01T10:00", "2026-03-20T17:00"),  # 7: 19 days
            ("RBS", "XR", "routine", "2026-02-02T10:00", None),  # 8: age 28 + 18 = 46
            ("RBS", "NOUS", "unknown", "2026-03-19T10:00", None),  # 9: age 1
            # REM; as-at = the report of Thu 12 Mar 10:00
            ("REM", "MRI", "urgent", "2026-03-02T10:00", "2026-03-12T10:00"),  # 10: 10 days
            ("REM", "MRI", "urgent", "2026-03-05T10:00", None),  # 11: age 7 at 12 Mar
        ]
    )


def summary_row(summary: pd.DataFrame, trust: str, measure: str) -> dict[str, Any]:
    rows = summary[(summary["trust_code"] == trust) & (summary["measure"] == measure)]
    assert len(rows) == 1
    return {str(column): value for column, value in rows.iloc[0].items()}


def test_summary_columns_and_rows(reporting: pd.DataFrame) -> None:
    summary = turnaround_summary(reporting, build_measures())
    assert tuple(summary.columns) == SUMMARY_COLUMNS
    # one row per trust x reporting measure (5), pathology left out; zero rows included
    assert len(summary) == 2 * 5
    assert summary["measure"].tolist()[:5] == [
        "reporting_ct_urgent",
        "reporting_ct_routine",
        "reporting_mri_urgent",
        "reporting_mri_routine",
        "reporting_all_28_days",
    ]
    assert summary["trust_code"].tolist() == ["RBS"] * 5 + ["REM"] * 5


def test_summary_ct_urgent(reporting: pd.DataFrame) -> None:
    row = summary_row(turnaround_summary(reporting, build_measures()), "RBS", "reporting_ct_urgent")
    # events 1, 3 within (7, 0 <= 7); 2 reported at 8 and 4 unreported at age 8 are breaches;
    # 6 unreported at age exactly 7 is pending
    assert (row["events"], row["within_target"], row["breaches"], row["pending"]) == (5, 2, 2, 1)
    assert row["share_within_target"] == pytest.approx(0.5)  # 2 within of 4 decided
    assert row["median_days"] == 7  # reported only: median of 7, 8, 0 -> 7
    assert (row["target_share"], row["target_days"], row["day_kind"]) == (0.95, 7, "calendar")


def test_summary_ct_routine_and_mri(reporting: pd.DataFrame) -> None:
    summary = turnaround_summary(reporting, build_measures())
    ct_routine = summary_row(summary, "RBS", "reporting_ct_routine")
    # event 5 reported the same day -> 1 within of 1 -> 1.0; target 28 days
    assert (ct_routine["events"], ct_routine["within_target"]) == (1, 1)
    assert ct_routine["share_within_target"] == 1.0
    assert (ct_routine["median_days"], ct_routine["target_days"]) == (0, 28)
    mri_routine = summary_row(summary, "RBS", "reporting_mri_routine")
    # event 7: 19 days > 7 -> 0 within of 1 -> 0.0 (decided, so 0 and not NaN)
    assert (mri_routine["events"], mri_routine["breaches"]) == (1, 1)
    assert mri_routine["share_within_target"] == 0.0
    assert mri_routine["median_days"] == 19


def test_summary_share_is_nan_with_nothing_decided(reporting: pd.DataFrame) -> None:
    summary = turnaround_summary(reporting, build_measures())
    # RBS has no MRI urgent events: 0 events, share NaN (not 0), median NaN
    row = summary_row(summary, "RBS", "reporting_mri_urgent")
    assert (row["events"], row["within_target"], row["breaches"], row["pending"]) == (0, 0, 0, 0)
    assert math.isnan(row["share_within_target"])
    assert math.isnan(row["median_days"])
    # only pending events: 1 event, 0 decided -> NaN
    pending_only = events_frame([("RBS", "CT", "urgent", "2026-03-13T08:00", None)])
    only = summary_row(
        turnaround_summary(pending_only, build_measures(), as_at="2026-03-14"),
        "RBS",
        "reporting_ct_urgent",
    )
    assert (only["events"], only["pending"]) == (1, 1)
    assert math.isnan(only["share_within_target"])
    assert math.isnan(only["median_days"])  # nothing reported


def test_summary_all_28_days(reporting: pd.DataFrame) -> None:
    row = summary_row(
        turnaround_summary(reporting, build_measures()), "RBS", "reporting_all_28_days"
    )
    # reported 1 (7), 2 (8), 3 (0), 5 (0), 7 (19): all <= 28 -> 5 within;
    # unreported 8 (age 46) -> breach; 4 (8), 6 (7), 9 (1) -> pending
    assert (row["events"], row["within_target"], row["breaches"], row["pending"]) == (9, 5, 1, 3)
    assert row["share_within_target"] == pytest.approx(5 / 6)  # 5 within of 6 decided
    assert row["median_days"] == 7  # median of 0, 0, 7, 8, 19 -> 7
    assert (row["target_share"], row["target_days"]) == (1.0, 28)


def test_summary_uses_each_trusts_own_as_at(reporting: pd.DataFrame) -> None:
    summary = turnaround_summary(reporting, build_measures())
    row = summary_row(summary, "REM", "reporting_mri_urgent")
    # 10: 10 days > 7 -> breach; 11: age 12 - 5 = 7 at REM's as-at -> pending
    # (at RBS's 20 Mar it would be 15 days old, a breach)
    assert (row["events"], row["within_target"], row["breaches"], row["pending"]) == (2, 0, 1, 1)
    assert row["share_within_target"] == 0.0
    assert row["median_days"] == 10
    all_28 = summary_row(summary, "REM", "reporting_all_28_days")
    assert (all_28["within_target"], all_28["pending"], all_28["share_within_target"]) == (
        1,
        1,
        1.0,
    )


def test_summary_with_a_store_wide_as_at_after_a_period_filter(reporting: pd.DataFrame) -> None:
    as_at = as_at_by_trust(reporting)
    march_tests = reporting[reporting["test_datetime"] >= "2026-03-01"]
    row = summary_row(
        turnaround_summary(march_tests, build_measures(), as_at=as_at),
        "RBS",
        "reporting_all_28_days",
    )
    # event 8 (February) is filtered out; the rest as before -> 5 within, 0 breaches, 3 pending
    assert (row["events"], row["within_target"], row["breaches"], row["pending"]) == (8, 5, 0, 3)


def test_summary_by_month(reporting: pd.DataFrame) -> None:
    summary = turnaround_summary(reporting, build_measures(), by=["month"])
    assert list(summary.columns[:3]) == ["trust_code", "month", "measure"]
    feb = summary[(summary["month"] == pd.Timestamp("2026-02-01"))]
    # RBS's only February event is the unreported XR -> all_28 breach, other measures empty
    all_28 = feb[feb["measure"] == "reporting_all_28_days"].iloc[0]
    assert (all_28["trust_code"], all_28["events"], all_28["breaches"]) == ("RBS", 1, 1)
    assert all_28["share_within_target"] == 0.0
    # groups: RBS Feb, RBS Mar, REM Mar, 5 measures each
    assert len(summary) == 3 * 5


@pytest.fixture
def pathology() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "trust_code": ["REM"] * 6,
            "lab": ["Liverpool"] * 6,
            "cancer_pathway": ["Y", "Y", "Y", "N", "Y", "Y"],
            "received_datetime": [
                "2026-04-02T09:00",  # P1 Thu 2 Apr
                "2026-04-02T09:00",  # P2
                "2026-04-01T09:00",  # P3 Wed 1 Apr
                "2026-04-01T09:00",  # P4 not cancer
                "2026-04-07T11:00",  # P5 Tue 7 Apr
                "2026-04-06T10:00",  # P6 Easter Monday
            ],
            "authorised_datetime": [
                "2026-04-20T16:00",  # P1: 7-10 (4), 13-17 (9), Mon 20 (10) -> 10 -> within
                "2026-04-21T12:00",  # P2: 11 -> breach; as-at = this, the latest timestamp
                "2026-04-10T15:00",  # P3: 2 Apr (1), 7-10 (5) -> 5 -> within
                None,
                None,  # P5: age at 21 Apr: 8-10 (3), 13-17 (8), 20-21 (10) -> pending
                None,  # P6: 11 (Tue 7 counts too) -> breach
            ],
        }
    )


def test_pathology_cancer_10_working_days(pathology: pd.DataFrame) -> None:
    summary = turnaround_summary(pathology, build_measures(), kind="pathology")
    assert summary["measure"].tolist() == ["pathology_cancer_10_days"]
    row = summary.iloc[0].to_dict()
    # P4 is not on the cancer pathway; within P1, P3; breaches P2, P6; pending P5
    assert (row["events"], row["within_target"], row["breaches"], row["pending"]) == (5, 2, 2, 1)
    assert row["share_within_target"] == pytest.approx(0.5)  # 2 within of 4 decided
    assert row["median_days"] == 10  # reported only, working days: median of 10, 11, 5 -> 10
    assert (row["target_share"], row["target_days"], row["day_kind"]) == (0.8, 10, "working")


def test_pathology_in_calendar_days_would_differ(pathology: pd.DataFrame) -> None:
    measure = TurnaroundMeasure(
        "pathology_cancer_10_days", 10, "calendar", 0.8, cancer_only=True, kind="pathology"
    )
    row = turnaround_summary(pathology, [measure], kind="pathology").iloc[0]
    # calendar: P1 18 and P2 19 days -> breaches; P3 9 -> within; P5 age 14, P6 age 15 -> breaches
    assert (row["within_target"], row["breaches"], row["pending"]) == (1, 4, 0)
    assert row["median_days"] == 18  # median of 18, 19, 9


def test_summary_of_empty_input() -> None:
    empty = events_frame([])
    summary = turnaround_summary(empty, build_measures())
    assert summary.empty
    assert tuple(summary.columns) == SUMMARY_COLUMNS
    backlog = unreported_backlog(empty, by=["modality"])
    assert backlog.empty
    assert list(backlog.columns) == ["trust_code", "modality", "age_band", "unreported"]
    assert as_at_by_trust(empty).empty


def test_summary_rejects_missing_columns(reporting: pd.DataFrame) -> None:
    with pytest.raises(ValueError, match="report_datetime"):
        turnaround_summary(reporting.drop(columns="report_datetime"), build_measures())
    with pytest.raises(ValueError, match="modality"):
        turnaround_summary(reporting.drop(columns="modality"), build_measures())


# --- the unreported backlog -----------------------------------------------------------------


def test_unreported_backlog_by_age_band() -> None:
    as_at = "2026-03-20T12:00"
    events = events_frame(
        [
            ("RBS", "CT", "urgent", "2026-03-20T09:00", None),  # age 0 -> 0-7
            ("RBS", "CT", "urgent", "2026-03-13T09:00", None),  # 7 -> 0-7
            ("RBS", "CT", "urgent", "2026-03-12T09:00", None),  # 8 -> 8-14
            ("RBS", "CT", "routine", "2026-03-06T09:00", None),  # 14 -> 8-14
            ("RBS", "CT", "routine", "2026-03-05T09:00", None),  # 15 -> 15-28
            ("RBS", "CT", "routine", "2026-02-20T09:00", None),  # 28 -> 15-28
            ("RBS", "MRI", "routine", "2026-02-19T09:00", None),  # 29 -> 29+
            ("RBS", "MRI", "routine", "2026-02-08T09:00", None),  # 40 -> 29+
            ("RBS", "MRI", "routine", "2026-02-08T09:00", "2026-03-01T09:00"),  # reported: out
            ("RBS", "MRI", "routine", "2026-03-20T13:00", None),  # after as-at: out
        ]
    )
    backlog = unreported_backlog(events, as_at)
    assert backlog["age_band"].tolist() == list(AGE_BANDS)
    assert backlog["unreported"].tolist() == [2, 2, 2, 2]
    by_modality = unreported_backlog(events, as_at, by=["modality"])
    assert by_modality.to_dict("list") == {
        "trust_code": ["RBS"] * 8,
        "modality": ["CT"] * 4 + ["MRI"] * 4,
        "age_band": list(AGE_BANDS) * 2,
        "unreported": [2, 2, 2, 0, 0, 0, 0, 2],
    }


def test_unreported_backlog_default_as_at_is_per_trust() -> None:
    events = events_frame(
        [
            ("RBS", "CT", "urgent", "2026-03-01T09:00", None),  # RBS as-at 20 Mar: 19 -> 15-28
            ("RBS", "CT", "urgent", "2026-03-19T09:00", "2026-03-20T09:00"),
            ("REM", "CT", "urgent", "2026-03-01T09:00", None),  # REM as-at 5 Mar: 4 -> 0-7
            ("REM", "CT", "urgent", "2026-03-04T09:00", "2026-03-05T09:00"),
        ]
    )
    backlog = unreported_backlog(events)
    pivot = backlog.pivot(index="trust_code", columns="age_band", values="unreported")
    assert pivot.loc["RBS", "15-28"] == 1 and pivot.loc["RBS"].sum() == 1
    assert pivot.loc["REM", "0-7"] == 1 and pivot.loc["REM"].sum() == 1


def test_pathology_backlog_uses_receipt_and_authorisation() -> None:
    specimens = pd.DataFrame(
        {
            "trust_code": ["REM", "REM"],
            "received_datetime": ["2026-04-01T09:00", "2026-04-20T09:00"],
            "authorised_datetime": [None, "2026-04-21T09:00"],
        }
    )
    backlog = unreported_backlog(specimens, kind="pathology")
    # as-at 21 Apr; 1 Apr -> 21 Apr = 20 calendar days -> 15-28
    assert backlog["unreported"].tolist() == [0, 0, 1, 0]


def test_summary_runs_vectorised_on_many_events() -> None:
    rng = np.random.default_rng(1)
    n = 20_000
    start = pd.Timestamp("2026-01-01") + pd.to_timedelta(rng.integers(0, 90 * 24, n), unit="h")
    end = start + pd.to_timedelta(rng.integers(0, 40 * 24, n), unit="h")
    events = pd.DataFrame(
        {
            "trust_code": rng.choice(["RBS", "REM", "RBN"], n),
            "modality": rng.choice(["CT", "MRI", "XR"], n),
            "priority": rng.choice(["urgent", "routine"], n),
            "test_datetime": start,
            "report_datetime": pd.Series(end).where(rng.random(n) > 0.1),
        }
    )
    summary = turnaround_summary(events, build_measures())
    all_28 = summary[summary["measure"] == "reporting_all_28_days"]
    assert all_28["events"].sum() == n
    status = classify_events(events, 28, "calendar")
    assert (status == "within").sum() == all_28["within_target"].sum()
