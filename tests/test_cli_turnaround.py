"""``report reporting|pathology|attendance`` and ``funnel`` in ratio mode (SPEC §4, §7) by hand.

Small files are written here, imported through the CLI into a real store, and the reports are
checked against values worked out by hand in the comments.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import Engine

from tests.test_cli import run_cli
from tests.test_ratio_funnel import SIX

ROOT = Path(__file__).resolve().parent.parent
LSOA_LOOKUP = ROOT / "data" / "lsoa_imd_demo.csv"
TURNAROUND_COLUMNS = [
    "trust_code", "measure", "events", "within_target", "breaches", "pending",
    "share_within_target", "target_share", "target_days", "day_kind", "median_days",
]  # fmt: skip
HEADER = ("trust_code", "site", "modality", "exam_id", "priority", "patient_source",
          "test_datetime", "report_datetime")  # fmt: skip
# RBL, May 2026 (Europe/London). The latest timestamp of RBL's events is E5's report, 30 May
# 13:00: that is RBL's as-at moment. Calendar days from test date to report (or as-at) date:
EVENTS = [
    ("RBL", "RBL01", "CT", "E1", "urgent", "05", "2026-05-01 10:00", "2026-05-08 09:00"),  # 7
    ("RBL", "RBL01", "CT", "E2", "urgent", "05", "2026-05-01 10:00", "2026-05-09 09:00"),  # 8
    ("RBL", "RBL01", "CT", "E3", "urgent", "01", "2026-05-23 09:00", ""),  # age 7 at as-at
    ("RBL", "RBL01", "CT", "E4", "urgent", "01", "2026-05-22 09:00", ""),  # age 8 at as-at
    ("RBL", "RBL01", "CT", "E5", "routine", "03", "2026-05-02 12:00", "2026-05-30 13:00"),  # 28
    ("RBL", "RBL01", "CT", "E6", "routine", "03", "2026-05-02 12:00", ""),  # age 28
    ("RBL", "RBL01", "CT", "E7", "routine", "03", "2026-05-01 12:00", ""),  # age 29
    ("RBL", "RBL01", "MRI", "E8", "routine", "04", "2026-05-10 09:00", "2026-05-17 18:00"),  # 7
    # An exam crossing midnight: 23:50 to 00:10 is one calendar day.
    ("RBL", "RBL01", "MRI", "E9", "urgent", "05", "2026-05-26 23:50", "2026-05-27 00:10"),  # 1
    ("RBL", "RBL01", "XR", "E10", "", "05", "2026-05-27 10:00", "2026-05-27 11:00"),  # 0
    # REM's own as-at is its only timestamp: E11 is 0 days old, so pending everywhere.
    ("REM", "REM01", "MRI", "E11", "routine", "03", "2026-05-29 10:00", ""),
]
# measure: (events, within, breaches, pending, share, median)
EXPECTED_RBL = {
    # E1 within (7 <= 7), E2 breach (8), E3 pending (7 days old), E4 breach (8 days old).
    # Share 1 / (1 + 2); median of the reported 7 and 8 = 7.5.
    "reporting_ct_urgent": (4, 1, 2, 1, 1 / 3, 7.5),
    # E5 within (28), E6 pending (28 days old), E7 breach (29 days old): 1 / 2; median 28.
    "reporting_ct_routine": (3, 1, 1, 1, 0.5, 28.0),
    "reporting_mri_urgent": (1, 1, 0, 0, 1.0, 1.0),  # E9
    "reporting_mri_routine": (1, 1, 0, 0, 1.0, 7.0),  # E8: 7 days <= 7
    # All ten: reported 7, 8, 28, 7, 1, 0 are within 28; E3, E4, E6 (7, 8, 28 days old) pending;
    # E7 (29 days old) a breach. 6 / 7; median of 0, 1, 7, 7, 8, 28 = 7.
    "reporting_all_28_days": (10, 6, 1, 3, 6 / 7, 7.0),
}


def write(path: Path, header, rows) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


@pytest.fixture
def store(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Engine:
    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
    monkeypatch.delenv("PRODUCTIVITY_BENCHMARKS", raising=False)
    return engine


def report(*args: str) -> pd.DataFrame:
    code, out, err = run_cli("report", *args)
    assert code == 0, err
    return pd.read_csv(io.StringIO(out), keep_default_na=False, na_values=[""])


def test_report_reporting_is_spec_4_by_hand(store, tmp_path):
    code, _, err = run_cli("import", str(write(tmp_path / "ris.csv", HEADER, EVENTS)))
    assert code == 0, err
    frame = report("reporting", "--format", "csv")
    assert list(frame.columns) == TURNAROUND_COLUMNS
    rbl = frame[frame["trust_code"] == "RBL"].set_index("measure")
    assert list(rbl.index) == list(EXPECTED_RBL)
    for measure, (events, within, breaches, pending, share, median) in EXPECTED_RBL.items():
        row = rbl.loc[measure]
        assert (row["events"], row["within_target"], row["breaches"], row["pending"]) == (
            events, within, breaches, pending,
        ), measure  # fmt: skip
        assert row["share_within_target"] == pytest.approx(share), measure
        assert row["median_days"] == pytest.approx(median), measure
    assert rbl.loc["reporting_ct_urgent", ["target_share", "target_days", "day_kind"]].tolist() == [
        0.95, 7, "calendar",
    ]  # fmt: skip
    assert rbl.loc["reporting_all_28_days", "target_share"] == 1.0
    # REM: nothing decided, so every share is empty (not 0), and no CT at all.
    rem = frame[frame["trust_code"] == "REM"].set_index("measure")
    assert rem.loc["reporting_mri_routine", ["events", "pending"]].tolist() == [1, 1]
    assert rem["share_within_target"].isna().all()
    assert rem.loc["reporting_ct_urgent", "events"] == 0


def test_report_json_writes_an_empty_share_as_null(store, tmp_path):
    run_cli("import", str(write(tmp_path / "ris.csv", HEADER, EVENTS)))
    code, out, _ = run_cli("report", "reporting", "--format", "json")
    assert code == 0
    rows = {(r["trust_code"], r["measure"]): r for r in json.loads(out)}
    assert list(rows[("RBL", "reporting_ct_urgent")]) == TURNAROUND_COLUMNS
    assert rows[("REM", "reporting_mri_routine")]["share_within_target"] is None
    assert rows[("REM", "reporting_mri_routine")]["median_days"] is None
    assert rows[("RBL", "reporting_ct_routine")]["share_within_target"] == 0.5


def test_the_as_at_moment_is_the_whole_store_not_the_period(store, tmp_path):
    run_cli("import", str(write(tmp_path / "may.csv", HEADER, EVENTS)))
    june = [("RBL", "RBL01", "XR", "J1", "routine", "03", "2026-06-10 09:00", "2026-06-12 09:00")]
    run_cli("import", str(write(tmp_path / "june.csv", HEADER, june)))
    frame = report("reporting", "--from", "2026-05", "--to", "2026-05")
    rbl = frame[frame["trust_code"] == "RBL"].set_index("measure")
    # As at 12 June: E3 (23 May) is 20 days old, so now a breach; E4 was already one.
    assert rbl.loc["reporting_ct_urgent", ["within_target", "breaches", "pending"]].tolist() == [
        1, 3, 0,
    ]  # fmt: skip
    # June's exam counts in June only.
    assert rbl.loc["reporting_all_28_days", "events"] == 10
    assert (
        report("reporting", "--from", "2026-06")
        .set_index("measure")
        .loc["reporting_all_28_days", "events"]
        == 1
    )


def test_the_same_events_from_a_did_extract_give_the_same_report(tmp_path, monkeypatch):
    from tests.conftest import fresh_store, store_url

    canonical = [
        # 21:30 UTC is 22:30 BST: the DID file below says 22:30 local.
        ("RBL", "RBL01", "CT", "X1", "routine", "04", "2026-05-04T21:30:00Z",
         "2026-05-05T09:00:00+01:00"),
        ("RBL", "RBL01", "CT", "X2", "routine", "03", "04/05/2026 10:00", ""),
        ("RBL", "RBL02", "MRI", "X3", "routine", "Outpatient", "2026-05-06 10:00",
         "2026-05-20 10:00"),
        ("RBL", "RBL01", "XR", "X4", "routine", "A&E", "2026-05-30 10:00", "2026-05-31 08:00"),
    ]  # fmt: skip
    did_header = (
        "NHS NUMBER", "PERSON BIRTH DATE", "POSTCODE OF USUAL ADDRESS",
        "RADIOLOGICAL ACCESSION NUMBER", "SITE CODE (OF IMAGING)", "IMAGING CODE (NICIP)",
        "PATIENT SOURCE SETTING TYPE (DIAGNOSTIC IMAGING)", "DIAGNOSTIC TEST DATE",
        "SERVICE REPORT ISSUE DATE",
    )  # fmt: skip
    did = [
        ("9434765919", "1956-03-01", "CH49 5PE", "X1", "RBL01", "CCHEC", "04",
         "2026-05-04 22:30", "2026-05-05 09:00"),
        ("9434765870", "1961-07-12", "CH41 1AA", "X2", "RBL01", "CHEAD", "03",
         "2026-05-04 10:00", ""),
        ("9434765862", "1977-11-30", "CH62 4UE", "X3", "RBL02", "MBRAI", "03",
         "2026-05-06 10:00", "2026-05-20 10:00"),
        ("9434765854", "1949-02-03", "CH49 5PE", "X4", "RBL01", "XCHES", "05",
         "2026-05-30 10:00", "2026-05-31 08:00"),
    ]  # fmt: skip
    did_map = tmp_path / "did.toml"
    did_map.write_text(
        'kind = "reporting"\n[constants]\ntrust_code = "RBL"\npriority = "routine"\n'
    )
    reports = []
    for name, path, extra in (
        ("canonical", write(tmp_path / "ris.csv", HEADER, canonical), []),
        ("did", write(tmp_path / "did.csv", did_header, did),
         ["--map", str(did_map), "--drop-identifiers"]),
    ):  # fmt: skip
        url = store_url(tmp_path, f"{name}.db")
        fresh_store(url)
        monkeypatch.setenv("DATABASE_URL", url)
        code, out, err = run_cli("import", str(path), *extra)
        assert code == 0, err
        reports.append(report("reporting", "--format", "csv"))
    pd.testing.assert_frame_equal(reports[0], reports[1])
    ct = reports[0].set_index("measure").loc["reporting_ct_routine"]
    # X1: 22:30 on the 4th to the 5th is 1 day, within; X2 unreported, 27 days old at the as-at
    # (31 May 08:00): pending. Share 1/1.
    assert ct[["events", "within_target", "pending", "median_days"]].tolist() == [2, 1, 1, 1.0]


def test_a_report_before_its_test_exits_2_naming_row_and_column(store, tmp_path):
    bad = [*EVENTS[:2], ("RBL", "RBL01", "CT", "B1", "urgent", "05", "2026-05-04 10:00",
                         "2026-05-03 10:00")]  # fmt: skip
    code, out, err = run_cli("import", str(write(tmp_path / "bad.csv", HEADER, bad)))
    assert code == 2 and out == ""
    assert "bad.csv, row 4, column 'report_datetime'" in err and "before its test" in err


def test_report_pathology_in_working_days_by_hand(store, tmp_path):
    header = ("trust_code", "lab", "specimen_id", "specimen_type", "cancer_pathway",
              "received_datetime", "authorised_datetime")  # fmt: skip
    specimens = [
        # Thursday 2 April 2026, before Easter (Good Friday 3rd, Easter Monday 6th): working days
        # after it are 7, 8, 9, 10, 13, 14, 15, 16, 17, 20 April, so the 20th is day 10 (within)
        # and the 21st day 11 (a breach), though both are over 14 calendar days.
        ("RBL", "Lab", "P1", "biopsy", "Y", "2026-04-02 09:00", "2026-04-20 16:00"),  # 10
        ("RBL", "Lab", "P2", "biopsy", "Y", "2026-04-02 09:00", "2026-04-21 16:00"),  # 11
        # Friday 1 May to Monday 11 May across the early-May bank holiday (4 May): 5, 6, 7, 8,
        # 11 May are 5 working days.
        ("RBL", "Lab", "P3", "resection", "Y", "2026-05-01 09:00", "2026-05-11 10:00"),  # 5
        # A Friday to the Monday: 1 working day.
        ("RBL", "Lab", "P4", "biopsy", "Y", "2026-05-15 16:00", "2026-05-18 09:00"),  # 1
        ("RBL", "Lab", "P5", "biopsy", "N", "2026-05-15 16:00", "2026-06-30 09:00"),  # not cancer
        # Unreported, as at 30 June 09:00 (P5's authorisation, the latest time): received
        # Tuesday 16 June, working days 17, 18, 19, 22, 23, 24, 25, 26, 29, 30 = 10 -> pending;
        # Monday 15 June is 11 -> a breach.
        ("RBL", "Lab", "P6", "biopsy", "Y", "2026-06-16 11:00", ""),
        ("RBL", "Lab", "P7", "biopsy", "Y", "2026-06-15 11:00", ""),
    ]
    code, _, err = run_cli("import", str(write(tmp_path / "lims.csv", header, specimens)))
    assert code == 0, err
    frame = report("pathology")
    assert list(frame.columns) == TURNAROUND_COLUMNS
    row = frame.set_index("measure").loc["pathology_cancer_10_days"]
    # P1, P3, P4 within; P2, P7 breaches; P6 pending. 3 / 5; median of 10, 11, 5, 1 = 7.5.
    assert row[["events", "within_target", "breaches", "pending"]].tolist() == [6, 3, 2, 1]
    assert row["share_within_target"] == pytest.approx(0.6)
    assert row["median_days"] == pytest.approx(7.5)
    assert (row["target_share"], row["target_days"], row["day_kind"]) == (0.8, 10, "working")
    april = report("pathology", "--from", "2026-04", "--to", "2026-04").iloc[0]
    assert april[["events", "within_target", "breaches"]].tolist() == [2, 1, 1]


def test_report_attendance_by_trust_and_quintile_by_hand(store, tmp_path):
    # RBL gives IMD deciles; REM gives LSOA codes, looked up through its map.
    rbl = [
        ("RBL", "CT", "2026-05-04", code, decile)
        for code, decile in [
            ("DNA", 1), ("5", 2), ("Attended", 1), ("5", 2),  # Q1: 4 appointments, 1 DNA
            ("5", 9), ("5", 10), ("5", 9), ("7", 10), ("Patient cancelled", 9),  # Q5: 4, 1 (7)
        ]
    ]  # fmt: skip
    q1, q5 = "E01006424", "E01006844"  # deciles 2 and 10 in the demo lookup
    rem = [
        ("REM", "MRI", "2026-05-05", code, lsoa)
        for code, lsoa in [
            ("3", q1), ("Did not attend", q1), ("5", q1), ("5", q1), ("6", q1), ("5", q1),  # 6, 2
            ("5", q5), ("5", q5), ("4", q5), ("0", q5),  # Q5: 2 appointments (4 and 0 are out)
        ]
    ]  # fmt: skip
    header = ("trust_code", "service", "appointment_date", "attendance_code")
    run_cli("import", str(write(tmp_path / "rbl.csv", (*header, "imd_decile"), rbl)))
    lookup_map = tmp_path / "lsoa.toml"
    # Beside the map: a map's [options] paths may not leave its folder (issue 13).
    (tmp_path / LSOA_LOOKUP.name).write_bytes(LSOA_LOOKUP.read_bytes())
    lookup_map.write_text(f'kind = "appointments"\n[options]\nlsoa_lookup = "{LSOA_LOOKUP.name}"\n')
    code, _, err = run_cli(
        "import", str(write(tmp_path / "rem.csv", (*header, "lsoa_code"), rem)), "--map",
        str(lookup_map),
    )  # fmt: skip
    assert code == 0, err
    trusts = report("attendance", "--by", "trust").set_index("trust_code")
    assert list(trusts.reset_index().columns) == [
        "trust_code", "appointments", "dnas", "dna_rate", "expected_dnas", "standardised_ratio",
    ]  # fmt: skip
    # System rates: Q1 (1 + 2) / (4 + 6) = 0.3; Q5 (1 + 0) / (4 + 2) = 1/6.
    # RBL expected 4 × 0.3 + 4 × 1/6 = 1.8667, observed 2 -> 1.0714.
    # REM expected 6 × 0.3 + 2 × 1/6 = 2.1333, observed 2 -> 0.9375. Σ expected = Σ observed = 4.
    assert trusts.loc["RBL", ["appointments", "dnas"]].tolist() == [8, 2]
    assert trusts.loc["RBL", "dna_rate"] == pytest.approx(0.25)
    assert trusts.loc["RBL", "expected_dnas"] == pytest.approx(1.2 + 4 / 6)
    assert trusts.loc["RBL", "standardised_ratio"] == pytest.approx(2 / (1.2 + 4 / 6))
    assert trusts.loc["REM", "standardised_ratio"] == pytest.approx(2 / (1.8 + 2 / 6))
    assert trusts["expected_dnas"].sum() == pytest.approx(trusts["dnas"].sum())
    quintiles = report("attendance", "--by", "quintile")
    assert list(quintiles.columns) == [
        "trust_code", "imd_quintile", "appointments", "dnas", "dna_rate",
    ]  # fmt: skip
    assert quintiles.values.tolist() == [
        ["RBL", 1, 4, 1, 0.25],
        ["RBL", 5, 4, 1, 0.25],
        ["REM", 1, 6, 2, pytest.approx(1 / 3)],
        ["REM", 5, 2, 0, 0.0],
    ]
    assert report("attendance", "--from", "2026-06").empty


@pytest.mark.parametrize(
    "args",
    [
        ("report", "reporting", "--by", "site"),
        ("report", "theatre", "--by", "quintile"),
        ("report", "attendance", "--by", "month"),
    ],
)
def test_a_level_a_report_does_not_take_exits_2(store, args):
    code, _, err = run_cli(*args)
    assert code == 2 and "--by" in err


# funnel in ratio mode ---------------------------------------------------------------------------


def test_funnel_ratio_mode_json_fields(tmp_path):
    path = tmp_path / "six.csv"
    SIX.to_csv(path, index=False)
    code, out, err = run_cli(
        "funnel", str(path), "--unit-col", "unit", "--observed-col", "o", "--expected-col", "e",
        "--format", "json",
    )  # fmt: skip
    assert code == 0, err
    payload = json.loads(out)
    assert list(payload) == ["phi", "tau2", "units"]
    assert round(payload["phi"], 6) == 2.948033  # FunnelPlotR's published φ for these six
    assert payload["tau2"] > 0
    assert list(payload["units"][0]) == [
        "unit", "observed", "expected", "ratio", "lower_95", "upper_95", "lower_998",
        "upper_998", "outlier_95", "outlier_998",
    ]  # fmt: skip
    first = payload["units"][0]
    assert (first["unit"], first["observed"], first["expected"]) == ("a", 100, 108.0)
    assert first["ratio"] == pytest.approx(100 / 108)
    assert isinstance(first["outlier_95"], bool)


def test_funnel_ratio_mode_without_overdispersion_gives_poisson_limits(tmp_path):
    path = tmp_path / "units.csv"
    pd.DataFrame({"unit": ["x", "y", "z"], "o": [15, 20, 30], "e": [15, 20, 30]}).to_csv(
        path, index=False
    )
    code, out, err = run_cli(
        "funnel", str(path), "--unit-col", "unit", "--observed-col", "o", "--expected-col", "e",
        "--no-overdispersion", "--format", "json",
    )  # fmt: skip
    assert code == 0, err
    payload = json.loads(out)
    assert payload["phi"] is None and payload["tau2"] is None
    # FunnelPlotR's published 95% lower limits at E = 15, 20, 30.
    assert [round(u["lower_95"], 7) for u in payload["units"]] == [0.5596924, 0.6108260, 0.6746958]


@pytest.mark.parametrize(
    ("extra", "fragment"),
    [
        (("--observed-col", "o", "--expected-col", "e", "--numerator-col", "o"), "give"),
        (("--observed-col", "o"), "both needed"),
        (("--observed-col", "o", "--expected-col", "bad"), "expected a number"),
        (("--numerator-col", "o", "--denominator-col", "e", "--no-overdispersion"), "ratio mode"),
    ],
)
def test_funnel_bad_arguments_exit_2(tmp_path, extra, fragment):
    path = tmp_path / "units.csv"
    pd.DataFrame({"unit": ["x", "y"], "o": [1, 2], "e": [1.5, 2.5], "bad": ["1", "n/a"]}).to_csv(
        path, index=False
    )
    code, _, err = run_cli("funnel", str(path), "--unit-col", "unit", *extra)
    assert code == 2 and fragment in err
