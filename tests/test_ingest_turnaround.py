"""Importers of reporting events, pathology specimens and appointments (SPEC §3), on a real store.

Each test writes a small file by hand and loads it through ``ingest.import_file``: located errors,
identifiers refused or dropped, the sane date window, truncated rows, formula text, repeated and
duplicate uploads, whole trust-months replaced, and the drop folder.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import Engine, text

from productivity import ingest
from productivity.errors import InputError
from productivity.ingest import dropfolder

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "data" / "samples"
LSOA_LOOKUP = ROOT / "data" / "lsoa_imd_demo.csv"
REPORTING = (
    "trust_code", "site", "modality", "exam_id", "priority", "patient_source", "test_datetime",
    "report_datetime",
)  # fmt: skip
PATHOLOGY = (
    "trust_code", "lab", "specimen_id", "specimen_type", "cancer_pathway", "received_datetime",
    "authorised_datetime",
)  # fmt: skip


def write(path: Path, header: tuple[str, ...] | list[str], rows: list[tuple]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def rows(engine: Engine, sql: str) -> list[tuple]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(sql))]


def problems(error: pytest.ExceptionInfo[InputError]) -> list[tuple[int | None, str | None]]:
    return [(p.row, p.column) for p in error.value.problems]


# Reporting events -------------------------------------------------------------------------------


def test_reporting_accepts_offsets_day_first_times_and_source_labels(engine, tmp_path):
    path = write(
        tmp_path / "ris.csv",
        REPORTING,
        [
            # 22:00 BST written with its offset, and the same instant in UTC: both 22:00 London.
            ("RBL", "RBL01", "CT", "A1", "urgent", "05", "2025-04-14T22:00:00+01:00", ""),
            ("RBL", "RBL01", "CT", "A2", "Urgent", "A&E", "2025-04-14T21:00:00Z", ""),
            (
                "RBL",
                "RBL01",
                "mr",
                "A3",
                "routine",
                "GP direct access",
                "14/04/2025 09:30",
                "15/04/2025 10:00",
            ),
            ("RBL", "RBL01", "X-ray", "A4", "", "3", "2025-04-14 09:00", "2025-04-14 09:00"),
        ],  # fmt: skip
    )
    result = ingest.import_file(path, engine=engine)
    assert (result.kind, result.rows, result.status) == ("reporting", 4, "loaded")
    stored = rows(
        engine,
        "SELECT modality, priority, patient_source, test_datetime, report_datetime "
        "FROM reporting_event ORDER BY id",
    )
    assert [r[:3] for r in stored] == [
        ("CT", "urgent", "05"),
        ("CT", "urgent", "05"),
        ("MRI", "routine", "04"),
        ("XR", "unknown", "03"),  # an empty priority is unknown; "3" lost its leading zero
    ]
    assert str(stored[0][3]).startswith("2025-04-14 22:00") and stored[0][4] is None
    assert str(stored[1][3]).startswith("2025-04-14 22:00")


def test_a_report_before_its_test_is_a_located_error(engine, tmp_path):
    path = write(
        tmp_path / "early.csv",
        REPORTING,
        [
            ("RBL", "RBL01", "CT", "A1", "urgent", "05", "2026-05-04 10:00", "2026-05-04 11:00"),
            ("RBL", "RBL01", "CT", "A2", "urgent", "05", "2026-05-04 10:00", "2026-05-04 09:59"),
        ],
    )
    with pytest.raises(InputError) as error:
        ingest.import_file(path, engine=engine)
    assert problems(error) == [(3, "report_datetime")]
    assert "before its test" in str(error.value) and "'2026-05-04 09:59'" in str(error.value)
    assert rows(engine, "SELECT count(*) FROM reporting_event") == [(0,)]
    assert rows(engine, "SELECT status, kind FROM import_run") == [("failed", "reporting")]


@pytest.mark.parametrize(
    ("cell", "column", "fragment"),
    [
        ("9999-12-31T23:59", "test_datetime", "outside the expected window"),
        ("1900-01-01", "test_datetime", "outside the expected window"),
        ("2026-02-30 10:00", "test_datetime", "not a date-time"),
        ('=HYPERLINK("http://x")', "site", "spreadsheet formula"),
        ("@SUM(A1)", "site", "spreadsheet formula"),
        ("Teleport", "modality", "unknown modality"),
        ("soonish", "priority", "unknown priority"),
        ("09", "patient_source", "unknown patient source"),
    ],
)
def test_bad_cells_are_located(engine, tmp_path, cell, column, fragment):
    good = {
        "trust_code": "RBL", "site": "RBL01", "modality": "CT", "exam_id": "A1",
        "priority": "urgent", "patient_source": "05", "test_datetime": "2026-05-04 10:00",
        "report_datetime": "",
    }  # fmt: skip
    path = write(tmp_path / "bad.csv", REPORTING, [tuple({**good, column: cell}.values())])
    with pytest.raises(InputError) as error:
        ingest.import_file(path, engine=engine)
    assert problems(error) == [(2, column)]
    assert fragment in error.value.problems[0].message


def test_a_truncated_last_row_is_refused_not_read_as_unreported(engine, tmp_path):
    path = tmp_path / "cut.csv"
    path.write_text(
        ",".join(REPORTING) + "\n"
        "RBL,RBL01,CT,A1,urgent,05,2026-05-04 10:00,2026-05-05 10:00\n"
        "RBL,RBL01,CT,A2,urgent,05,2026-05-04 10:00\n"  # cut off before its report time
    )
    with pytest.raises(InputError) as error:
        ingest.import_file(path, engine=engine)
    assert problems(error) == [(3, None)]
    assert "7 of 8 fields" in str(error.value)


def test_identifiers_are_refused_by_name_without_their_values(engine, tmp_path):
    header = ["NHS NUMBER", "PERSON BIRTH DATE", "POSTCODE OF USUAL ADDRESS", *REPORTING]
    record = ("9434765919", "1956-03-01", "CH49 5PE", "RBL", "RBL01", "CT", "A1", "urgent", "05",
              "2026-05-04 10:00", "")  # fmt: skip
    path = write(tmp_path / "did.csv", header, [record])
    with pytest.raises(InputError) as error:
        ingest.import_file(path, engine=engine)
    assert [p.column for p in error.value.problems] == header[:3]
    message = str(error.value)
    for value in record[:3]:
        assert value not in message
    assert "--drop-identifiers" in message
    failed = rows(engine, "SELECT message FROM import_run WHERE status = 'failed'")[0][0]
    assert "9434765919" not in failed and "CH49" not in failed


def test_drop_identifiers_removes_them_first_and_the_run_says_which(engine, tmp_path):
    header = ["NHS NUMBER", "PERSON BIRTH DATE", "Postcode", *REPORTING]
    record = ("9434765919", "1956-03-01", "CH49 5PE", "RBL", "RBL01", "CT", "A1", "urgent", "05",
              "2026-05-04 10:00", "")  # fmt: skip
    path = write(tmp_path / "did.csv", header, [record])
    result = ingest.import_file(path, engine=engine, drop_identifiers=True)
    assert result.rows == 1
    assert "dropped identifier column(s) NHS NUMBER, PERSON BIRTH DATE, Postcode" in result.message
    (message,) = rows(engine, "SELECT message FROM import_run WHERE status = 'loaded'")[0]
    assert "NHS NUMBER" in message and "9434765919" not in message


def test_a_column_of_nhs_numbers_under_another_name_is_dropped_too(engine, tmp_path):
    header = ["Ref", *REPORTING]
    path = write(
        tmp_path / "ris.csv",
        header,
        [("9434765919", "RBL", "RBL01", "CT", "A1", "urgent", "05", "2026-05-04 10:00", "")],
    )
    with pytest.raises(InputError):
        ingest.read_file(path)
    parsed = ingest.read_file(path, drop_identifiers=True)
    assert parsed.notes == ("dropped identifier column(s) Ref before reading",)


def test_did_names_with_a_map_for_trust_and_priority(engine, tmp_path):
    header = [
        "RADIOLOGICAL ACCESSION NUMBER", "SITE CODE (OF IMAGING)", "DIAGNOSTIC TEST DATE",
        "SERVICE REPORT ISSUE TIMESTAMP", "PATIENT SOURCE SETTING TYPE (DIAGNOSTIC IMAGING)",
        "DIAGNOSTIC TEST REQUEST DATE", "IMAGING CODE (NICIP)",
    ]  # fmt: skip
    path = write(
        tmp_path / "did.csv",
        header,
        [
            ("R1", "RBL01", "2026-05-04", "2026-05-06", "04", "2026-05-01", "MBRAI"),
            ("R2", "RBL01", "2026-05-04", "", "01", "2026-05-01", "ccapc"),
            ("R3", "RBL01", "2026-05-05", "2026-05-05", "05", "2026-05-05", "XCHES"),
            ("R4", "RBL01", "2026-05-05", "2026-05-05", "05", "2026-05-05", "QZZZZ"),
        ],
    )
    with pytest.raises(InputError) as error:  # no trust: the map must say
        ingest.read_file(path, "reporting")
    assert "trust_code" in str(error.value)
    did_map = tmp_path / "did.toml"
    did_map.write_text(
        'kind = "reporting"\n[constants]\ntrust_code = "RBL"\npriority = "routine"\n'
    )
    result = ingest.import_file(path, map_path=did_map, engine=engine)
    assert result.kind == "reporting" and result.trust_codes == ("RBL",)
    stored = rows(engine, "SELECT modality, priority, nicip_code FROM reporting_event ORDER BY id")
    # The modality is the NICIP code's first letter; an unknown letter is OTHER.
    assert stored == [
        ("MRI", "routine", "MBRAI"),
        ("CT", "routine", "CCAPC"),
        ("XR", "routine", "XCHES"),
        ("OTHER", "routine", "QZZZZ"),
    ]


def test_repeated_rows_exact_copies_dropped_differences_refused(engine, tmp_path):
    row = ("RBL", "RBL01", "CT", "A1", "urgent", "05", "2026-05-04 10:00", "2026-05-04 12:00")
    path = write(tmp_path / "twice.csv", REPORTING, [row, row])
    result = ingest.import_file(path, engine=engine)
    assert result.rows == 1 and "1 exact repeated rows dropped" in result.message
    changed = (*row[:-1], "2026-05-04 13:00")
    path = write(tmp_path / "clash.csv", REPORTING, [row, changed])
    with pytest.raises(InputError) as error:
        ingest.import_file(path, engine=engine)
    assert problems(error) == [(3, "exam_id")]


def test_the_same_file_twice_adds_nothing(engine, tmp_path):
    row = ("RBL", "RBL01", "CT", "A1", "urgent", "05", "2026-05-04 10:00", "")
    path = write(tmp_path / "ris.csv", REPORTING, [row])
    first = ingest.import_file(path, engine=engine)
    again = ingest.import_file(path, engine=engine)
    assert (first.status, again.status, again.rows) == ("loaded", "duplicate", 0)
    assert rows(engine, "SELECT count(*) FROM reporting_event") == [(1,)]


def test_a_corrected_file_replaces_whole_trust_months(engine, tmp_path):
    def event(exam: str, trust: str, when: str) -> tuple:
        return (trust, "S1", "CT", exam, "urgent", "05", when, "")

    first = write(
        tmp_path / "first.csv",
        REPORTING,
        [
            event("A1", "RBL", "2026-05-03 10:00"),
            event("A2", "RBL", "2026-05-30 10:00"),
            event("A3", "RBL", "2026-06-02 10:00"),
            event("A4", "REM", "2026-05-10 10:00"),
        ],
    )
    ingest.import_file(first, engine=engine)
    # The correction covers RBL in May only (one event on the 15th): both May events go, even
    # though they fall outside the corrected file's own date range; June and REM stay.
    fixed = write(tmp_path / "fixed.csv", REPORTING, [event("A5", "RBL", "2026-05-15 10:00")])
    result = ingest.import_file(fixed, engine=engine)
    assert (result.rows, result.replaced_rows) == (1, 2)
    kept = rows(engine, "SELECT trust_code, test_datetime FROM reporting_event ORDER BY id")
    assert [(t, str(d)[:10]) for t, d in kept] == [
        ("RBL", "2026-06-02"),
        ("REM", "2026-05-10"),
        ("RBL", "2026-05-15"),
    ]


def test_an_excel_reporting_file(engine, tmp_path):
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(list(REPORTING))
    sheet.append(["RBL", "RBL01", "CT", "A1", "urgent", "05", pd.Timestamp("2026-05-04 10:00"),
                  pd.Timestamp("2026-05-05 09:00")])  # fmt: skip
    path = tmp_path / "ris.xlsx"
    book.save(path)
    assert ingest.import_file(path, engine=engine).rows == 1


# Pathology specimens ----------------------------------------------------------------------------


def test_pathology_specimens_load_and_authorised_before_received_is_located(engine, tmp_path):
    good = ("RBL", "RBL Cellular Pathology", "H1", "Biopsy", "Y", "04/05/2026 09:00",
            "11/05/2026 16:00")  # fmt: skip
    pending = ("RBL", "RBL Cellular Pathology", "H2", "", "n", "05/05/2026 09:00", "")
    path = write(tmp_path / "lims.csv", PATHOLOGY, [good, pending])
    result = ingest.import_file(path, engine=engine)
    assert (result.kind, result.rows) == ("pathology", 2)
    assert rows(
        engine, "SELECT specimen_type, cancer_pathway FROM pathology_specimen ORDER BY id"
    ) == [("biopsy", 1), ("other", 0)]
    early = ("RBL", "Lab", "H3", "resection", "Y", "05/05/2026 09:00", "04/05/2026 16:00")
    weird = ("RBL", "Lab", "H4", "organ", "maybe", "05/05/2026 09:00", "")
    with pytest.raises(InputError) as error:
        ingest.import_file(write(tmp_path / "bad.csv", PATHOLOGY, [early, weird]), engine=engine)
    assert sorted(problems(error)) == [
        (2, "authorised_datetime"),
        (3, "cancer_pathway"),
        (3, "specimen_type"),
    ]


# Appointments -----------------------------------------------------------------------------------


def test_attendance_codes_as_numbers_or_labels_and_imd_deciles(engine, tmp_path):
    header = ("trust_code", "service", "appointment_date", "attendance_code", "imd_decile")
    path = write(
        tmp_path / "appts.csv",
        header,
        [
            ("RBL", "CT", "2026-05-04", "5", "1"),
            ("RBL", "Computed Tomography", "04/05/2026", "DNA", "2"),
            ("RBL", "MRI", "2026-05-04 09:30", "Did not attend", "10"),
            ("RBL", "Endoscopy", "2026-05-05", "Arrived late, not seen", "9"),
            ("RBL", "110", "2026-05-05", "Patient cancelled", ""),  # no marker: not known
            ("RBL", "110", "2026-05-05", "03", "5"),
        ],
    )
    result = ingest.import_file(path, engine=engine)
    assert (result.kind, result.rows) == ("appointments", 6)
    assert rows(
        engine,
        "SELECT service, CAST(appointment_date AS TEXT), attendance_code, imd_quintile "
        "FROM appointment ORDER BY id",
    ) == [
        ("CT", "2026-05-04", 5, 1),
        ("CT", "2026-05-04", 3, 1),
        ("MRI", "2026-05-04", 3, 5),
        ("Endoscopy", "2026-05-05", 7, 5),
        ("110", "2026-05-05", 2, None),
        ("110", "2026-05-05", 3, 3),  # decile 5 -> quintile 3
    ]


def test_unknown_attendance_and_imd_values_are_located(engine, tmp_path):
    header = ("trust_code", "service", "appointment_date", "attendance_code", "imd_quintile")
    path = write(
        tmp_path / "appts.csv",
        header,
        [("RBL", "CT", "2026-05-04", "9", "1"), ("RBL", "CT", "2026-05-04", "5", "6")],
    )
    with pytest.raises(InputError) as error:
        ingest.import_file(path, engine=engine)
    assert problems(error) == [(2, "attendance_code"), (3, "imd_quintile")]


def test_lsoa_codes_through_the_lookup_in_the_map(engine, tmp_path):
    header = ("Org Code", "Modality", "Appointment Date", "Attendance", "LSOA11CD")
    path = write(
        tmp_path / "appts.csv",
        header,
        [
            ("RBL", "CT", "2026-05-04", "Attended", "E01006424"),  # decile 2 -> quintile 1
            ("RBL", "CT", "2026-05-04", "DNA", "E01006844"),
        ],  # decile 10 -> quintile 5  # fmt: skip
    )
    with pytest.raises(InputError) as error:
        ingest.import_file(path, kind="appointments", engine=engine)
    assert "lookup" in str(error.value)
    lookup_map = tmp_path / "lsoa.toml"
    # Beside the map: a map's [options] paths may not leave its folder (issue 13).
    (tmp_path / LSOA_LOOKUP.name).write_bytes(LSOA_LOOKUP.read_bytes())
    lookup_map.write_text(f'kind = "appointments"\n[options]\nlsoa_lookup = "{LSOA_LOOKUP.name}"\n')
    ingest.import_file(path, map_path=lookup_map, engine=engine)
    assert rows(engine, "SELECT imd_quintile FROM appointment ORDER BY id") == [(1,), (5,)]


# Samples, sniffing and the drop folder ----------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("reporting-events-RBL-May-2026.csv", "reporting"),
        ("pathology-specimens-RBL-May-2026.csv", "pathology"),
        ("appointments-RBL-May-2026.csv", "appointments"),
    ],
)
def test_samples_are_sniffed_and_load(engine, name, kind):
    assert ingest.sniff_kind(SAMPLES / name) == kind
    assert ingest.import_file(SAMPLES / name, engine=engine).kind == kind


def test_the_did_sample_loads_with_its_map_and_drop_identifiers(engine):
    sample = SAMPLES / "DID-extract-RBL-May-2026.csv"
    did_map = ROOT / "data" / "maps" / "did.toml"
    with pytest.raises(InputError):
        ingest.import_file(sample, map_path=did_map, engine=engine)
    result = ingest.import_file(sample, map_path=did_map, engine=engine, drop_identifiers=True)
    assert result.rows == 30 and "NHS NUMBER" in result.message


def test_the_drop_folder_takes_the_new_kinds(engine, tmp_path):
    folder = tmp_path / "drop"
    folder.mkdir()
    for name in ("reporting-events", "pathology-specimens", "appointments"):
        source = SAMPLES / f"{name}-RBL-May-2026.csv"
        (folder / source.name).write_bytes(source.read_bytes())
    summary = dropfolder.scan(folder, engine, settle=0)
    assert len(summary.loaded) == 3 and not summary.failed
    assert rows(engine, "SELECT count(*) FROM mart_turnaround") != [(0,)]
