"""The theatre data-quality report, on hand-built frames and over the store."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from productivity import ingest
from productivity.store import marts, models, quality
from productivity.store.mart_tables import QUALITY

ROOT = Path(__file__).resolve().parent.parent
THEATRE = ROOT / "data" / "samples" / "theatre-extract-RBL-May-2026.csv"
T = pd.Timestamp


def frames(case_rows: list[dict], list_rows: list[dict] | None = None):
    base_list = {
        "trust_code": "RBL",
        "site": "RBL01",
        "theatre": "T1",
        "session_date": T("2026-05-04"),
        "session": "AM",
        "specialty": "Urology",
        "planned_start": T("2026-05-04 08:30"),
        "planned_end": T("2026-05-04 12:30"),
    }
    list_rows = list_rows or [{}]
    lists = pd.DataFrame(
        [{"list_id": i + 1, **base_list, **row} for i, row in enumerate(list_rows)]
    )
    base_case = {
        "list_id": 1,
        "specialty": "Urology",
        "procedure_code": "M45.9",
        "priority": "daycase",
        "anaesthetic_start": T("2026-05-04 08:40"),
        "into_theatre": T("2026-05-04 08:50"),
        "knife_to_skin": T("2026-05-04 09:00"),
        "out_of_theatre": T("2026-05-04 09:40"),
        "cancelled": False,
        "cancel_reason": None,
        "cancel_clinical": False,
    }
    cases = pd.DataFrame(
        [{"case_id": f"C{i}", **base_case, **row} for i, row in enumerate(case_rows)]
    )
    return lists, cases


def only_row(report: pd.DataFrame) -> pd.Series:
    assert len(report) == 1
    return report.iloc[0]


def test_a_clean_list_has_nothing_to_report():
    row = only_row(quality.quality_report(*frames([{}])))
    assert (row["trust_code"], row["month"], row["lists"], row["cases"]) == (
        "RBL",
        T("2026-05-01"),
        1,
        1,
    )
    assert row[list(quality.QUALITY_CHECKS)].sum() == 0


@pytest.mark.parametrize(
    ("case", "check"),
    [
        ({"anaesthetic_start": pd.NaT}, "anaesthetic_fallback"),
        ({"knife_to_skin": pd.NaT}, "missing_timestamps"),
        ({"into_theatre": T("2026-05-04 08:30")}, "impossible_sequences"),  # before anaesthesia
        ({"knife_to_skin": T("2026-05-04 09:50")}, "impossible_sequences"),  # after out of theatre
        (
            {
                "anaesthetic_start": T("2026-05-04 13:00"),
                "into_theatre": T("2026-05-04 13:05"),
                "knife_to_skin": T("2026-05-04 13:10"),
                "out_of_theatre": T("2026-05-04 14:00"),
            },
            "cases_outside_list",
        ),
    ],
)
def test_each_case_level_check_counts_one_case(case, check):
    lists, cases = frames([{}, case])
    row = only_row(quality.quality_report(lists, cases))
    assert row[check] == 1
    assert row[list(quality.QUALITY_CHECKS)].sum() == 1


def test_a_cancelled_case_is_not_missing_its_times():
    lists, cases = frames([{}, {"cancelled": True, **dict.fromkeys(quality._ORDER, pd.NaT)}])
    assert only_row(quality.quality_report(lists, cases))[list(quality.QUALITY_CHECKS)].sum() == 0


def test_a_case_over_12_hours_is_counted_but_12_hours_exactly_is_not():
    long = {"out_of_theatre": T("2026-05-04 20:41")}  # 12 h 01 min from 08:40
    exactly = {"list_id": 2, "out_of_theatre": T("2026-05-04 20:40")}  # 12 h 00 min
    lists, cases = frames([long, exactly], [{}, {"theatre": "T2"}])
    row = only_row(quality.quality_report(lists, cases))
    assert (row["cases"], row["long_cases"]) == (2, 1)


def test_list_level_checks():
    lists, cases = frames(
        [{"list_id": 1}],
        [
            {},
            {"theatre": "T2"},
            {"theatre": "T3", "specialty": "Cardiac Surgery"},
            {"theatre": "T4", "specialty": "Robotic Wizardry"},
        ],
    )
    row = only_row(quality.quality_report(lists, cases))
    assert row["lists"] == 4
    assert row["lists_without_cases"] == 3  # T2, T3 and T4 ran no case
    assert row["unmapped_specialties"] == 1  # "Robotic Wizardry"
    # Urology has a completed case that month (T1), so T2 still gets a figure; the other two don't
    assert row["lists_without_specialty_cases"] == 2


def test_months_and_trusts_are_reported_separately():
    lists, cases = frames(
        [{}],
        [
            {},
            {"trust_code": "REM"},
            {
                "session_date": T("2026-06-01"),
                "planned_start": T("2026-06-01 08:30"),
                "planned_end": T("2026-06-01 12:30"),
            },
        ],
    )
    report = quality.quality_report(lists, cases)
    assert report[["trust_code", "month", "lists"]].values.tolist() == [
        ["RBL", T("2026-05-01"), 1],
        ["RBL", T("2026-06-01"), 1],
        ["REM", T("2026-05-01"), 1],
    ]
    long = quality.quality_long(report)
    assert len(long) == 3 * len(quality.QUALITY_CHECKS)
    assert set(long["description"]) == set(quality.QUALITY_CHECKS.values())


def test_duplicates_dropped_come_from_import_issues():
    issues = pd.DataFrame(
        [{"trust_code": "RBL", "month": T("2026-05-01"), "issue": "duplicates_dropped", "count": 4}]
    )
    row = only_row(quality.quality_report(*frames([{}]), issues=issues))
    assert row["duplicates_dropped"] == 4


def import_with_marts(engine, path: Path) -> None:
    """Import ``path`` and bring the marts up to date (the first import builds them, later ones
    refresh the touched trust-months), as the app and the CLI read them."""
    ingest.import_file(path, engine=engine)
    marts.ensure_marts(engine)


def test_read_quality_over_the_store_counts_what_the_importer_dropped(engine, tmp_path):
    frame = pd.read_csv(THEATRE, dtype=str, keep_default_na=False)
    path = tmp_path / "with-duplicates.csv"
    pd.concat([frame, frame.head(2)]).to_csv(path, index=False)
    import_with_marts(engine, path)
    row = only_row(quality.read_quality(engine))
    assert (row["trust_code"], row["month"], row["lists"]) == ("RBL", T("2026-05-01"), 56)
    assert row["duplicates_dropped"] == 2
    assert row["anaesthetic_fallback"] == 3 and row["lists_without_cases"] == 1
    assert quality.read_quality(engine, trust_codes=["REM"]).empty
    assert list(quality.read_quality(engine, start=T("2026-06-01").date()).columns) == list(
        quality.REPORT_COLUMNS
    )
    # a corrected file replaces the data, and the old run's dropped duplicates with it
    import_with_marts(engine, THEATRE)
    assert only_row(quality.read_quality(engine))["duplicates_dropped"] == 0
    pd.testing.assert_frame_equal(
        quality.read_quality(engine), quality.read_quality_from_cases(engine)
    )


def assert_mart_reads_as_cases(engine, trust_sets, periods) -> None:
    """The quality mart's report is what reading every list and case gives, for each set of
    trusts and each period (``YYYY-MM`` ends, None = open), in the same rows, order and types."""
    for trusts in trust_sets:
        for start, end in periods:
            first, last = marts.Period(start, end).dates()
            expected = quality.read_quality_from_cases(engine, trusts, first, last)
            got = quality.read_quality(engine, trusts, first, last)
            pd.testing.assert_frame_equal(got, expected, check_exact=True)


def test_the_mart_reads_as_the_cases_with_duplicates_outside_the_lists(engine, tmp_path):
    """Duplicates dropped show for a trust with lists in the period read, in any of its months."""
    frame = pd.read_csv(THEATRE, dtype=str, keep_default_na=False)
    path = tmp_path / "with-duplicates.csv"
    pd.concat([frame, frame.head(2)]).to_csv(path, index=False)
    import_with_marts(engine, path)
    issue = models.table_of(models.ImportIssue)
    with engine.begin() as conn:
        run = conn.execute(sa.select(sa.func.max(issue.c.import_run_id))).scalar_one()
        for trust, month in (("RBL", dt.date(2026, 6, 1)), ("REM", dt.date(2026, 5, 1))):
            # duplicates in a month without lists, and of a trust without lists at all
            row = {"trust_code": trust, "month": month, "issue": "duplicates_dropped"}
            conn.execute(sa.insert(issue).values(import_run_id=run, count=3, **row))
    whole = quality.read_quality(engine)
    assert whole[["month", "lists", "duplicates_dropped"]].values.tolist() == [
        [T("2026-05-01"), 56, 2],
        [T("2026-06-01"), 0, 3],
    ]
    periods = [(None, None), ("2026-05", "2026-06"), ("2026-06", "2026-06"),
               ("2026-04", "2026-05"), ("2026-06", None), (None, "2026-04")]  # fmt: skip
    assert_mart_reads_as_cases(engine, (None, ["RBL"], ["REM"]), periods)


def test_the_mart_reads_as_the_cases_for_every_demo_trust_and_period(demo_engine):
    marts.ensure_marts(demo_engine)
    whole = quality.read_quality_from_cases(demo_engine)
    months = sorted(whole["month"].dt.strftime("%Y-%m").unique())
    trusts = sorted(whole["trust_code"].unique())
    assert len(trusts) > 1 and len(months) > 1
    periods = [(None, None), (months[0], months[-1]), (months[1], months[1]),
               (months[-1], None), (None, months[0]), (months[0], months[1])]  # fmt: skip
    assert_mart_reads_as_cases(demo_engine, [None, trusts, *([t] for t in trusts)], periods)


def test_the_quality_mart_sums_to_the_whole_report(demo_engine):
    """Every count but the duplicates dropped is in the mart, one row per trust and month."""
    marts.ensure_marts(demo_engine)
    rows = marts.read_mart(demo_engine, QUALITY)
    assert list(rows.columns) == list(quality.MART_COLUMNS)
    assert not rows.duplicated(["trust_code", "month"]).any()
    whole = quality.read_quality_from_cases(demo_engine)
    for count in ("lists", "cases"):
        assert rows[count].sum() == whole[count].sum()
