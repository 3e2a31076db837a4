"""The Diagnostics page's readers on a real demo store, and its tables on small hand frames."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from sqlalchemy import delete

from productivity import schema
from productivity.benchmarks import load_benchmarks
from productivity.modalities import modality
from productivity.stats import spc
from productivity.store import db, marts, models, readers, rebase, reports
from productivity.views import diagnostics as dv, diagnostics_text as dt, dm01

ALL = marts.Period()
NOWHERE = marts.Period("2001-01", "2001-02")


@pytest.fixture(scope="module")
def bench():
    return load_benchmarks(override=None)


@pytest.mark.parametrize(
    ("modality", "key", "column", "direction", "unit"),
    [
        ("CT", "ct_scans_per_hour", "scans_per_hour", "higher", "scanner"),
        ("MRI", "mri_scans_per_hour", "scans_per_hour", "higher", "scanner"),
        ("NOUS", "nous_scans_per_hour", "scans_per_hour", "higher", "scanner"),
        ("Endoscopy", "endoscopy_list_utilisation", "utilisation", "higher", "site"),
        ("Echo", "echo_minutes_per_test", "minutes_per_test", "lower", "site"),
    ],
)
def test_metric_spec_takes_its_benchmark_from_the_file(bench, modality, key, column, direction,
                                                        unit):  # fmt: skip
    spec = dv.metric_spec(modality, bench)
    assert (spec.key, spec.column, spec.direction, spec.unit) == (key, column, direction, unit)
    assert spec.modality.key == modality and spec.modality.benchmark == key
    assert spec.benchmark == bench.value(key)
    assert spec.higher_is_better is (direction == "higher")


def test_metric_spec_follows_an_override(tmp_path):
    override = tmp_path / "local.toml"
    override.write_text("[mri_scans_per_hour]\nvalue = 3.1\n")
    assert dv.metric_spec("MRI", load_benchmarks(override=override)).benchmark == 3.1


def test_unknown_modality_is_refused(bench):
    with pytest.raises(ValueError, match="modality must be one of"):
        dv.metric_spec("PET", bench)


def test_trust_rates_are_the_reports_rows(demo_engine, bench):
    rates = dv.trust_rates(demo_engine, "MRI", ALL, bench)
    report = reports.imaging_report(demo_engine, "trust", ALL, bench)
    report = report[report["modality"] == "MRI"].reset_index(drop=True)
    pd.testing.assert_frame_equal(rates, report)
    # A ratio of sums, by hand from the mart: Σ scans ÷ Σ hours of the trust's MRI scanners.
    rows = marts.read_mart(demo_engine, marts.IMAGING, ALL, ["RBT"], {"modality": "MRI"})
    expected = rows["scans"].sum() / rows["operational_hours"].sum()
    got = rates.loc[rates["trust_code"] == "RBT", "scans_per_hour"].item()
    assert got == pytest.approx(expected)


@pytest.mark.parametrize(("modality", "has_rbq"), [("Endoscopy", False), ("Echo", True)])
def test_trust_rates_for_endoscopy_and_echo(demo_engine, bench, modality, has_rbq):
    rates = dv.trust_rates(demo_engine, modality, ALL, bench)
    column = dv.metric_spec(modality, bench).column
    assert not rates.empty and rates[column].notna().all()
    assert ("RBQ" in set(rates["trust_code"])) is has_rbq  # a heart and chest trust: echo only


def test_unit_rates_are_per_scanner_for_imaging_and_per_site_otherwise(demo_engine, bench):
    scanners = dv.units_of(dv.unit_rates(demo_engine, "CT", ALL, bench), "RBT")
    assert set(scanners["trust_code"]) == {"RBT"}
    assert scanners["scanner_id"].is_unique and scanners["scanner_id"].str.contains("CT").all()
    sites = dv.units_of(dv.unit_rates(demo_engine, "Endoscopy", ALL, bench), None)
    assert "scanner_id" not in sites.columns
    assert not sites.duplicated(["trust_code", "site"]).any()


@pytest.mark.parametrize("basis", ["national", "peer"])
@pytest.mark.parametrize("key", ["CT", "Echo"])
def test_a_trust_s_units_are_its_own_rows_summarised(demo_engine, bench, key, basis):
    # The page works out every unit once and picks the trust's: the same figures, exactly, as
    # summarising the trust's own rows.
    found = modality(key)
    units = dv.units_of(dv.unit_rates(demo_engine, key, ALL, bench, basis), "RBT")
    rows = readers.modality_rows(demo_engine, found, ALL, "RBT")
    own = found.summarise(rows, found.unit_keys, bench, basis)
    pd.testing.assert_frame_equal(units, own[own[found.column].notna()].reset_index(drop=True))


def test_monthly_trend_has_the_system_and_the_chosen_trust(demo_engine, bench):
    trend = dv.trend_view(demo_engine, "Echo", ALL, "RBT", bench).trend
    assert set(trend["series"]) == {dv.SYSTEM, "RBT"}
    assert sorted(trend["month"].dt.strftime("%Y-%m").unique()) == ["2026-08", "2026-09", "2026-10"]
    only_system = dv.trend_view(demo_engine, "Echo", ALL, None, bench).trend
    assert set(only_system["series"]) == {dv.SYSTEM}


def test_spc_series_uses_whole_weeks_and_the_benchmark(demo_engine, bench):
    result = dv.trend_view(demo_engine, "Echo", ALL, "RBT", bench).spc
    dates = result.points["date"]
    assert (dates.dt.day_of_week == 0).all()  # Mondays
    # 2026-08-01 is a Saturday and 2026-10-31 a Saturday: weeks cut by the edges are left out.
    assert dates.min() == pd.Timestamp("2026-08-03")
    assert dates.max() + pd.Timedelta(days=6) <= pd.Timestamp("2026-10-31")
    assert (result.points["target"] == bench.value("echo_minutes_per_test")).all()
    # Echo: lower is better, so the chart is the XmR of the weekly ratio with direction "lower".
    rows = readers.modality_rows(demo_engine, modality("Echo"), ALL, "RBT")
    weekly = modality("Echo").summarise(rows, ["week"], bench).set_index("week")
    values = weekly.loc[dates.dt.strftime("%Y-%m-%d"), "minutes_per_test"]
    expected = spc.xmr(
        values, dates, direction="lower", target=bench.value("echo_minutes_per_test")
    )
    pd.testing.assert_frame_equal(result.points, expected.points)


def test_whole_weeks_drops_weeks_cut_by_the_months_read():
    weeks = pd.Series(["2026-07-27", "2026-08-03", "2026-10-26"])
    months = pd.Series(["2026-08", "2026-10"])
    assert dv.whole_weeks(weeks, months).tolist() == [False, True, False]


def test_stored_rebase_splits_the_spc_limits(demo_engine, bench):
    unit, metric = dv.spc_unit("RBT"), "mri_scans_per_hour"
    rebase.add_rebase(demo_engine, unit, metric, "2026-09-07", "New MRI coils", "tester")
    try:
        result = dv.trend_view(demo_engine, "MRI", ALL, "RBT", bench).spc
        marks = dv.rebases(demo_engine, unit, metric)
    finally:
        with db.write_transaction(demo_engine) as conn:
            conn.execute(delete(models.Rebase).where(models.Rebase.unit == unit))
    assert len(result.periods) == 2
    assert result.periods["start"].iloc[1] == pd.Timestamp("2026-09-07")
    assert marks["label"].tolist() == ["rebase: New MRI coils"]


def test_ai_scenario_is_the_capacity_at_the_scenario_slot(demo_engine, bench):
    minutes, tests = dv.ai_scenario(demo_engine, ALL, "RBT", bench)
    assert minutes == bench["echo_minutes_per_test"].extra["scenario_ai_assisted"]
    rows = marts.read_mart(demo_engine, marts.ECHO, ALL, ["RBT"])
    assert tests == pytest.approx(rows["scheduled_minutes"].sum() / minutes - rows["tests"].sum())


def test_dm01_tests_of_each_modality():
    assert modality("MRI").dm01_tests == ("MRI",)
    assert modality("NOUS").dm01_tests == ("NON_OBSTETRIC_ULTRASOUND",)
    assert modality("Echo").dm01_tests == ("ECHOCARDIOGRAPHY",)
    assert set(modality("Endoscopy").dm01_tests) <= set(schema.DM01_TESTS)
    assert dv.default_test("Endoscopy") == "COLONOSCOPY"


def test_waits_view_for_one_test_and_trust(demo_engine, bench):
    waits = dm01.waits_view(demo_engine, ALL, "MRI", "RBT", bench)
    assert waits.month == "2026-10"
    assert set(waits.per_trust["test_code"]) == {"MRI"}
    assert "▶ RBT" in set(waits.per_trust["trust"])
    assert set(waits.all_tests["provider_code"]) == {"RBT"}
    latest = reports.latest_dm01(demo_engine, ALL)
    row = latest[(latest["provider_code"] == "RBT") & (latest["test_code"] == "MRI")]
    assert waits.bands["patients"].sum() == row["total_waiting"].item()
    six_plus = waits.bands.loc[waits.bands["wait"] != dm01.WAITS[0], "patients"].sum()
    assert six_plus == row["waiting_6_plus"].item()
    assert waits.bands["wait"].iloc[-1] == dm01.WAITS[2]


def test_backlog_clearance_by_hand(demo_engine, bench):
    backlog = dv.backlog_clearance(demo_engine, "CT", ALL, bench).set_index("trust_code")
    latest = reports.latest_dm01(demo_engine, ALL)
    waiting = latest[(latest["provider_code"] == "RBT") & (latest["test_code"] == "CT")]
    imaging = reports.imaging_report(demo_engine, "trust", ALL, bench)
    extra = imaging[(imaging["trust_code"] == "RBT") & (imaging["modality"] == "CT")]
    weeks = (31 + 30 + 31) / 7  # August to October 2026
    per_week = extra["additional_scans"].item() / weeks
    assert backlog.loc["RBT", "waiting_6_plus"] == waiting["waiting_6_plus"].item()
    assert backlog.loc["RBT", "additional_per_week"] == pytest.approx(per_week)
    expected = waiting["waiting_6_plus"].item() / per_week if per_week else math.inf
    assert backlog.loc["RBT", "weeks_to_clear_backlog"] == pytest.approx(expected)
    system = backlog.loc[dv.SYSTEM]
    trusts = backlog.drop(index=dv.SYSTEM)
    assert system["waiting_6_plus"] == trusts["waiting_6_plus"].sum()


def test_backlog_for_endoscopy_counts_every_endoscopy_test(demo_engine, bench):
    backlog = dv.backlog_clearance(demo_engine, "Endoscopy", ALL, bench).set_index("trust_code")
    latest = reports.latest_dm01(demo_engine, ALL)
    mine = latest[(latest["provider_code"] == "RBT") & latest["test_code"].isin(
        modality("Endoscopy").dm01_tests)]  # fmt: skip
    assert backlog.loc["RBT", "waiting_6_plus"] == mine["waiting_6_plus"].sum()


def test_the_views_mark_the_chosen_trust_and_keep_its_backlog_row(demo_engine, bench):
    rates = dv.marked(dv.ranked_rates(demo_engine, "MRI", ALL, bench), "RBT")
    assert rates.loc[rates["trust_code"] == "RBT", "trust"].item() == "▶ RBT"
    backlog = dv.backlog_for_trust(dv.backlog_clearance(demo_engine, "MRI", ALL, bench), "RBT")
    assert backlog["trust_code"].tolist() == [dv.SYSTEM, "RBT"]
    assert dv.ai_scenario(demo_engine, ALL, "RBT", bench) is not None  # the page asks for Echo
    # No endoscopy at RBQ
    units = dv.units_of(dv.unit_rates(demo_engine, "Endoscopy", ALL, bench), "RBQ")
    trend = dv.trend_view(demo_engine, "Endoscopy", ALL, "RBQ", bench)
    every = dv.backlog_clearance(demo_engine, "Endoscopy", ALL, bench)
    assert units.empty and trend.trend.empty and trend.spc is None
    assert dv.backlog_for_trust(every, "RBQ").empty


def test_an_empty_period_gives_empty_frames_not_errors(demo_engine, bench):
    rates = dv.marked(dv.ranked_rates(demo_engine, "CT", NOWHERE, bench), None)
    units = dv.units_of(dv.unit_rates(demo_engine, "CT", NOWHERE, bench), None)
    trend = dv.trend_view(demo_engine, "CT", NOWHERE, None, bench)
    assert rates.empty and units.empty and trend.trend.empty
    assert dv.backlog_clearance(demo_engine, "CT", NOWHERE, bench).empty
    assert trend.spc is None
    waits = dm01.waits_view(demo_engine, NOWHERE, "CT", None, bench)
    assert waits.month is None and waits.per_trust.empty and waits.bands.empty


def test_rate_table_marks_echo_lower_is_better(bench):
    spec = dv.metric_spec("Echo", bench)  # 45 minutes
    frame = pd.DataFrame(
        {
            "trust_code": ["A", "B", "C"],
            "minutes_per_test": [44.0, 50.0, float("nan")],
            "tests": [100, 80, 0],
            "scheduled_minutes": [4400.0, 4000.0, 0.0],
            "capacity_released": [-2.2, 8.9, 0.0],
        }
    )
    table = dt.rate_table(frame, spec, ["trust_code"])
    assert table.columns[:3].tolist() == ["Trust", "minutes_per_test", "minutes_per_test_meets"]
    # Numbers stay numbers (they sort as numbers); the ✓/✗ is a column of its own.
    assert table["minutes_per_test"].tolist()[:2] == [44.0, 50.0]
    assert table["minutes_per_test_meets"].tolist() == ["✓", "✗", "–"]
    assert table["capacity_released"].tolist() == [-2.2, 8.9, 0.0]


def test_rate_table_judges_each_scan_rate_against_its_own_rate(bench):
    spec = dv.metric_spec("CT", bench)
    frame = pd.DataFrame(
        {
            "trust": ["A", "B"],
            "scans_per_hour": [3.0, 3.0],
            "benchmark_scans_per_hour": [4.0, 2.5],  # B held to its peer group's rate
            "scans": [3000, 300],
            "operational_hours": [1000.0, 100.0],
            "additional_scans": [1000.0, 0.0],
        }
    )
    table = dt.rate_table(frame, spec, ["trust"], "peer")
    assert table["scans_per_hour_meets"].tolist() == ["✗", "✓"]
    assert pd.api.types.is_integer_dtype(table["scans"])
    assert table["benchmark_scans_per_hour"].tolist() == [4.0, 2.5]


def test_dm01_table_checks_both_standards_and_13_weeks(bench):
    frame = pd.DataFrame(
        {
            "provider_code": ["A", "B"],
            "test_code": ["MRI", "MRI"],
            "test_name": ["Magnetic Resonance Imaging"] * 2,
            "total_waiting": [1000, 200],
            "waiting_6_plus": [40, 1],  # 96% and 99.5% within 6 weeks
            "waiting_13_plus": [3, 0],
            "within_6_weeks": [0.96, 0.995],
            "backlog_weeks": [0.5, float("nan")],
        }
    )
    table = dm01.dm01_table(frame, bench)
    assert "Test" not in table.columns  # one test: named in the heading instead
    # Numbers stay numbers (they sort as numbers); each judgement is a ✓/✗ column of its own.
    assert table["total_waiting"].tolist() == [1000, 200]
    assert table["within_6_weeks"].tolist() == [0.96, 0.995]
    assert table["within_6_weeks_meets"].tolist() == ["✓", "✓"]  # interim ambition 95%
    assert table["meets_constitutional_99%"].tolist() == ["✗", "✓"]
    assert table["waiting_13_plus"].tolist() == [3, 0]
    assert table["waiting_13_plus_meets"].tolist() == ["✗", "✓"]
    assert table["backlog_weeks"].iloc[0] == 0.5 and pd.isna(table["backlog_weeks"].iloc[1])


def test_backlog_table_says_why_there_is_no_figure(bench):
    frame = pd.DataFrame(
        {
            "trust_code": ["A", "B", "C", "D"],
            "waiting_6_plus": [100, 0, 50, 25],
            "within_6_weeks": [0.90, 1.0, 0.90, 0.986],
            "additional_per_week": [25.0, 10.0, 0.0, 0.0],
            "weeks_to_clear_backlog": [4.0, 0.0, math.inf, math.inf],
            "clearance": ["clears", "no_backlog", "never", "meets_ambition"],
        }
    )
    table = dt.backlog_table(frame, bench)
    weeks = table["weeks_to_clear_backlog"]
    assert weeks.tolist()[:2] == [4.0, 0.0] and weeks.iloc[2:].isna().all()  # numbers, no inf
    assert table["clearance"].tolist() == [
        "clears with the extra capacity",
        "nobody waits 6+ weeks",
        "never at this rate: below 95%, no extra capacity at benchmark",
        "meets the 95% ambition: no extra capacity needed",
    ]


def test_trend_and_spc_tables_are_formatted(demo_engine, bench):
    spec = dv.metric_spec("Endoscopy", bench)
    trend = dv.trend_view(demo_engine, "Endoscopy", ALL, "RBT", bench).trend
    table = dt.trend_table(trend, spec)
    assert table.columns.tolist() == ["Month", "RBT", dv.SYSTEM]
    assert table["RBT"].str.endswith("%").all()
    result = dv.trend_view(demo_engine, "Endoscopy", ALL, "RBT", bench).spc
    spc_table = dt.spc_table(result, spec)
    assert len(spc_table) == len(result.points)
    assert spc_table["Value"].str.endswith("%").all()
    assert "Variation:" in dt.spc_caption(result) and "Assurance:" in dt.spc_caption(result)


def _backlog_as_before(rows, found, latest, bench, basis):
    """The backlog table as ``views.clearance._backlog`` worked it out before it built the
    system's row and the DM01 units from columns (frames assigned and joined)."""
    from productivity.metrics import waits
    from productivity.planning import opportunity

    rate = ["benchmark_scans_per_hour"] if found.imaging else []
    if not found.dm01_tests or latest.empty or rows.empty:
        return pd.DataFrame(columns=[*dv.BACKLOG_COLUMNS, *rate])
    extra = found.summarise(rows, ["trust_code"], bench, basis)
    weeks = opportunity.weeks_covered(rows["month"])
    extra["additional_per_week"] = opportunity.additional_per_week(extra[found.additional], weeks)
    system = found.summarise(rows, [], bench, basis).assign(trust_code=dv.SYSTEM)
    system["additional_per_week"] = extra["additional_per_week"].sum()
    columns = ["trust_code", "additional_per_week", *rate]
    extra = pd.concat([system[columns], extra[columns]], ignore_index=True)
    tests = latest[
        latest["test_code"].isin(found.dm01_tests)
        & latest["provider_code"].isin(extra["trust_code"])
    ]
    units = pd.concat(
        [tests.assign(trust_code=tests["provider_code"]), tests.assign(trust_code=dv.SYSTEM)]
    )
    out = extra.merge(waits.dm01_waits(units, ["trust_code"]), on="trust_code", how="inner")
    cleared = waits.backlog_clearance(
        out["waiting_6_plus"], out["additional_per_week"], out["within_6_weeks"],
        bench.value("dm01_within_6_weeks"),
    )  # fmt: skip
    return out.join(cleared)[[*dv.BACKLOG_COLUMNS, *rate]]


@pytest.mark.parametrize("key", ["CT", "MRI", "NOUS", "Endoscopy", "Echo"])
@pytest.mark.parametrize("basis", ["national", "peer"])
@pytest.mark.parametrize(
    "period", [ALL, marts.Period("2025-05", None), marts.Period(None, "2025-05")]
)
def test_the_backlog_is_the_same_as_before_to_the_last_bit(demo_engine, bench, key, basis, period):
    from productivity.views import dm01_rows

    found = modality(key)
    rows, latest = (
        readers.modality_rows(demo_engine, found, period),
        dm01_rows.latest_dm01(demo_engine, period),
    )
    before = _backlog_as_before(rows, found, latest, bench, basis)
    pd.testing.assert_frame_equal(
        dv.backlog_clearance(demo_engine, key, period, bench, basis), before, check_exact=True
    )
