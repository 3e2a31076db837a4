"""The turnaround and attendance marts agree with the reports, and the demo carries its signals."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import Engine

from productivity import ingest
from productivity.benchmarks import load_benchmarks
from productivity.metrics import attendance, turnaround
from productivity.metrics.theatre import median_from_counts
from productivity.store import marts, reports
from productivity.store.attendance import ATTENDANCE, attendance_report
from productivity.store.turnaround import BACKLOG, TURNAROUND, TURNAROUND_DAYS
from productivity.synth import frames as synth
from tests.test_cli_turnaround import EVENTS, HEADER, write


@pytest.fixture
def loaded(engine: Engine, tmp_path) -> Engine:
    ingest.import_file(write(tmp_path / "ris.csv", HEADER, EVENTS), engine=engine)
    marts.rebuild_marts(engine, load_benchmarks(override=None))
    return engine


def test_mart_counts_and_day_histogram_give_the_report(loaded: Engine):
    report = reports.report("reporting", engine=loaded).set_index(["trust_code", "measure"])
    counts = marts.read_mart(loaded, TURNAROUND)
    summed = counts.groupby(["trust_code", "measure"])[
        ["events", "within_target", "breaches", "pending"]
    ].sum()
    for key, row in summed.iterrows():
        assert row.tolist() == report.loc[key, row.index].tolist(), key
    days = marts.read_mart(loaded, TURNAROUND_DAYS)
    for key, group in days.groupby(["trust_code", "measure"]):
        median = median_from_counts(group["days"].to_numpy(), group["events"].to_numpy())
        assert median == report.loc[key, "median_days"], key


def test_backlog_mart_bands_unreported_exams_at_the_as_at(loaded: Engine):
    backlog = marts.read_mart(loaded, BACKLOG)
    ct = backlog[(backlog["trust_code"] == "RBL") & (backlog["modality"] == "CT")]
    bands = ct.groupby("age_band")["unreported"].sum()
    # As at 30 May 13:00: E3 is 7 days old, E4 8, E6 28 and E7 29.
    assert bands.to_dict() == {"0-7": 1, "8-14": 1, "15-28": 1, "29+": 1}
    assert set(ct["as_at"]) == {"2026-05-30 13:00"}


def test_attendance_from_the_mart_equals_attendance_from_the_rows(demo_engine: Engine):
    from sqlalchemy import text

    with demo_engine.connect() as conn:
        rows = pd.read_sql_query(text("SELECT * FROM appointment"), conn)
    direct = attendance.standardised_dna_ratio(rows, by=["trust_code"])
    from_mart = attendance_report(marts.read_mart(demo_engine, ATTENDANCE), "trust")
    pd.testing.assert_frame_equal(
        direct.reset_index(drop=True), from_mart, check_dtype=False, atol=1e-9
    )


def test_demo_store_reports_every_new_kind(demo_engine: Engine):
    for kind in ("reporting", "pathology", "attendance"):
        assert not reports.report(kind, engine=demo_engine).empty, kind


# The demo's planted signals, measured simply --------------------------------------------------


@pytest.fixture(scope="module")
def demo() -> synth.DemoFrames:
    return synth.build_frames(seed=1, months=12)


def test_rjr_ct_reporting_falls_behind(demo: synth.DemoFrames):
    events = demo.reporting
    ct = events[(events["modality"] == "CT") & (events["priority"] == "routine")]
    month = ct["test_datetime"].dt.to_period("M")
    end = events["test_datetime"].max()
    late = (ct["report_datetime"].fillna(end) - ct["test_datetime"]).dt.days > 28
    share_late = late.groupby([ct["trust_code"], month >= month.max() - 3]).mean().unstack()
    # In the last four months RJR breaches 28 days far more often than before, and than others.
    assert share_late.loc["RJR", True] > 0.3 > share_late.loc["RJR", False]
    assert share_late.drop(index="RJR")[True].max() < 0.1


def test_rbn_lab_dips_after_the_christmas_and_easter_bank_holidays(demo: synth.DemoFrames):
    cancer = demo.pathology[demo.pathology["cancer_pathway"]]
    days = turnaround.working_days(cancer["received_datetime"], cancer["authorised_datetime"])
    within = (days <= 10).where(cancer["authorised_datetime"].notna())
    month = cancer["received_datetime"].dt.month
    rbn = within[cancer["trust_code"] == "RBN"].groupby(month).mean()
    others = within[cancer["trust_code"] != "RBN"].groupby(month).mean()
    assert rbn[1] < 0.65 and rbn[4] < 0.65  # January and April
    assert rbn.drop([1, 4]).min() > 0.75 and others.min() > 0.75


def test_dna_rises_with_deprivation_except_at_the_reminder_trust(demo: synth.DemoFrames):
    rates = attendance.dna_by_quintile(demo.appointments).set_index(["trust_code", "imd_quintile"])
    gap = rates["dna_rate"].xs(1, level="imd_quintile") / rates["dna_rate"].xs(
        5, level="imd_quintile"
    )
    assert 0.7 < gap["RBL"] < 1.4
    big = gap[gap.index.isin(["REM", "RBN", "RWW", "RJR", "RBT"])]
    assert (big > 1.6).all(), big
    assert np.isfinite(gap).all()
