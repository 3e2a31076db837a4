"""Imaging, endoscopy and echo importers, and sniffing the kind of a file."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from productivity import ingest
from productivity.errors import InputError
from productivity.schema import ECHO_COLUMNS, ENDOSCOPY_COLUMNS, IMAGING_COLUMNS

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "data" / "samples"
DAYS = SAMPLES / "imaging-scanner-days-May-2026.csv"
EXAMS = SAMPLES / "imaging-exams-RBL-May-2026.csv"
SESSIONS = SAMPLES / "imaging-sessions-RBL-May-2026.csv"
ENDO_LISTS = SAMPLES / "endoscopy-lists-RBL-May-2026.csv"
ENDO_PROCEDURES = SAMPLES / "endoscopy-procedures-RBL-May-2026.csv"
ECHO = SAMPLES / "echo-activity-May-2026.csv"
SCANNER_DAY = {
    "trust_code": "RBL",
    "site": "RBL01",
    "scanner_id": "CT1",
    "modality": "CT",
    "date": "2026-05-04",
    "operational_hours": "10",
    "scans": "40",
}


def write(tmp_path: Path, rows: list[dict], name: str = "file.csv") -> Path:
    path = tmp_path / name
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


def only_problem(path: Path, kind: str, **kwargs):
    with pytest.raises(InputError) as caught:
        ingest.read_file(path, kind, **kwargs)
    [problem] = caught.value.problems
    return problem


def test_scanner_days_load_as_given():
    parsed = ingest.read_file(DAYS)
    frame = parsed.frames["scanner_day"]
    assert parsed.kind == "imaging" and list(frame.columns) == list(IMAGING_COLUMNS)
    expected = pd.read_csv(DAYS)
    assert frame["scans"].sum() == expected["scans"].sum()
    assert frame["operational_hours"].sum() == expected["operational_hours"].sum()
    assert set(frame["modality"]) == {"CT", "MRI", "NOUS"}


@pytest.mark.parametrize(
    ("change", "column", "fragment"),
    [
        ({"scans": "250"}, "scans", "more than 20 scans per operational hour"),
        ({"operational_hours": "0"}, "scans", "more than 20 scans per operational hour"),
        ({"scans": "-3"}, "scans", "negative"),
        ({"scans": "4.5"}, "scans", "not a whole number"),
        ({"operational_hours": "30"}, "operational_hours", "more than 24 operational hours"),
        ({"modality": "PET"}, "modality", "unknown modality"),
        ({"date": "04/05/26"}, "date", "not a date"),
        ({"scanner_id": "CT0", "date": "2026-05-05"}, "scanner_id", "duplicate scanner-day"),
    ],
)
def test_scanner_day_checks_are_located(tmp_path, change, column, fragment):
    rows = [
        SCANNER_DAY,
        {**SCANNER_DAY, "scanner_id": "CT0", "date": "2026-05-05"},
        {**SCANNER_DAY, "scanner_id": "CT2", **change},
    ]
    problem = only_problem(write(tmp_path, rows), "imaging")
    assert (problem.row, problem.column) == (4, column)
    assert fragment in problem.message


def test_modality_names_are_normalised(tmp_path):
    rows = [
        {**SCANNER_DAY, "scanner_id": s, "modality": m}
        for s, m in (("A", "MR"), ("B", "Computed Tomography"), ("C", "Ultrasound"))
    ]
    frame = ingest.read_file(write(tmp_path, rows)).frames["scanner_day"]
    assert frame["modality"].tolist() == ["MRI", "CT", "NOUS"]


def test_exam_rows_are_counted_per_scanner_day_with_hours_from_the_sessions_file():
    parsed = ingest.read_file(EXAMS, sessions_path=SESSIONS)
    day = parsed.frames["scanner_day"].set_index(["scanner_id", "date"])
    exams = pd.read_csv(EXAMS)
    exams = exams[exams["Modality"] != "XR"]
    when = pd.to_datetime(exams["Exam Date Time"], format="%d/%m/%Y %H:%M")
    counted = exams.groupby([exams["Room"], when.dt.normalize()]).size()
    assert day["scans"].drop(("RBL-MR1", pd.Timestamp("2026-05-09"))).to_dict() == counted.to_dict()
    # CT runs 08:00-13:00 and 13:30-20:00 (11.5 h); MRI 08:00-18:00
    assert day.loc[("RBL-CT1", pd.Timestamp("2026-05-04")), "operational_hours"] == 11.5
    assert day.loc[("RBL-MR1", pd.Timestamp("2026-05-04")), "operational_hours"] == 10
    # a session with no exams is an idle scanner-day: its hours count, at 0 scans
    idle = day.loc[("RBL-MR1", pd.Timestamp("2026-05-09"))]
    assert (idle["scans"], idle["operational_hours"], idle["modality"]) == (0, 4, "MRI")
    assert parsed.notes == ("1 exams of other modalities (XR) skipped",)


def test_the_sessions_file_can_be_named_in_a_column_map(tmp_path):
    cmap = tmp_path / "ris.toml"
    # Relative to the map, inside its folder: a map's paths may not leave it (issue 13).
    (tmp_path / SESSIONS.name).write_bytes(SESSIONS.read_bytes())
    cmap.write_text(f'kind = "imaging"\n[options]\nsessions_file = "{SESSIONS.name}"\n')
    via_map = ingest.read_file(EXAMS, map_path=cmap).frames["scanner_day"]
    direct = ingest.read_file(EXAMS, sessions_path=SESSIONS).frames["scanner_day"]
    pd.testing.assert_frame_equal(via_map, direct)


def test_exam_rows_can_carry_their_scanner_day_hours(tmp_path):
    exams = [
        {
            "trust_code": "RBL",
            "site": "RBL01",
            "scanner_id": "CT1",
            "modality": "CT",
            "exam_datetime": f"2026-05-04 0{h}:15",
            "operational_hours": "8",
        }
        for h in range(8, 10)
    ]
    frame = ingest.read_file(write(tmp_path, exams)).frames["scanner_day"]
    assert frame[["scans", "operational_hours"]].values.tolist() == [[2, 8]]
    exams[1]["operational_hours"] = "9"
    with pytest.raises(InputError) as caught:
        ingest.read_file(write(tmp_path, exams))
    assert [(p.row, p.column) for p in caught.value.problems] == [
        (2, "operational_hours"),
        (3, "operational_hours"),
    ]


def test_exam_rows_without_hours_ask_for_them(tmp_path):
    exams = [
        {
            "trust_code": "RBL",
            "site": "RBL01",
            "scanner_id": "CT1",
            "modality": "CT",
            "exam_datetime": "2026-05-04 09:15",
        }
    ]
    problem = only_problem(write(tmp_path, exams), "imaging")
    assert "operational hours" in problem.message and "sessions file" in problem.message


def test_an_exam_day_missing_from_the_sessions_file_is_located(tmp_path):
    sessions = pd.read_csv(SESSIONS)
    path = tmp_path / "sessions.csv"
    sessions[sessions["date"] != "2026-05-05"].to_csv(path, index=False)
    with pytest.raises(InputError) as caught:
        ingest.read_file(EXAMS, sessions_path=path)
    found = caught.value.problems
    assert len(found) == 2  # CT1 and MR1 on 5 May
    assert all("no operational hours" in p.message and p.row > 1 for p in found)


def test_endoscopy_procedures_score_the_same_as_the_list_rows():
    lists = ingest.read_file(ENDO_LISTS).frames["endoscopy_list"]
    scored = ingest.read_file(ENDO_PROCEDURES).frames["endoscopy_list"]
    assert list(scored.columns) == list(ENDOSCOPY_COLUMNS)
    key = ["trust_code", "site", "room", "date", "session"]
    pd.testing.assert_frame_equal(
        scored.sort_values(key, ignore_index=True),
        lists.sort_values(key, ignore_index=True),
        check_dtype=False,
    )


def test_procedure_points_come_from_the_benchmark_table(tmp_path):
    key = {
        "trust_code": "RBL",
        "site": "RBL01",
        "room": "R1",
        "date": "2026-05-04",
        "session": "AM",
    }
    rows = [
        {**key, "procedure_type": t}
        for t in ("OGD", "Colonoscopy", "Flexible sigmoidoscopy", "ERCP")
    ]
    frame = ingest.read_file(write(tmp_path, rows)).frames["endoscopy_list"]
    # OGD 1 + colonoscopy 2 + flexi 1 + ERCP 3 = 7 of the list's 12 points
    assert frame[["planned_points", "used_points", "procedures"]].values.tolist() == [[12, 7, 4]]
    rows.append({**key, "procedure_type": "Capsule"})
    problem = only_problem(write(tmp_path, rows), "endoscopy")
    assert (problem.row, problem.column, problem.value) == (6, "procedure_type", "Capsule")


def test_endoscopy_list_checks(tmp_path):
    row = {
        "trust_code": "RBL",
        "site": "RBL01",
        "room": "R1",
        "date": "2026-05-04",
        "session": "AM",
        "planned_points": "12",
        "used_points": "-1",
    }
    problem = only_problem(write(tmp_path, [row]), "endoscopy")
    assert (problem.row, problem.column, problem.value) == (2, "used_points", "-1")
    problem = only_problem(write(tmp_path, [{**row, "used_points": "9"}] * 2), "endoscopy")
    assert (problem.row, problem.column) == (3, "room") and "duplicate list" in problem.message


def test_echo_activity_loads_and_is_checked(tmp_path):
    parsed = ingest.read_file(ECHO)
    assert parsed.kind == "echo" and list(parsed.frames["echo_activity"].columns) == list(
        ECHO_COLUMNS
    )
    rows = pd.read_csv(ECHO, dtype=str).head(3).to_dict("records")
    rows[2]["tests"] = "lots"
    problem = only_problem(write(tmp_path, rows), "echo")
    assert (problem.row, problem.column, problem.value) == (4, "tests", "lots")
    rows[2] = dict(rows[1])
    problem = only_problem(write(tmp_path, rows), "echo")
    assert (problem.row, problem.column) == (4, "date") and "duplicate" in problem.message


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("theatre-extract-RBL-May-2026.csv", "theatre"),
        ("cerner-theatre-export-RBL-May-2026.csv", "theatre"),
        ("imaging-scanner-days-May-2026.csv", "imaging"),
        ("imaging-exams-RBL-May-2026.csv", "imaging"),
        ("endoscopy-lists-RBL-May-2026.csv", "endoscopy"),
        ("endoscopy-procedures-RBL-May-2026.csv", "endoscopy"),
        ("echo-activity-May-2026.csv", "echo"),
        ("Monthly-Diagnostics-Web-File-Provider-May-2026.xls", "dm01"),
        ("Monthly-Diagnostics-Web-File-Provider-May-2026.xlsx", "dm01"),
        ("DM01-MAY-2026-full-extract.zip", "dm01"),
        ("dm01-deprivation-May-2026.csv", "dm01"),
    ],
)
def test_the_kind_is_sniffed(name, kind):
    assert ingest.sniff_kind(SAMPLES / name) == kind


def test_an_ambiguous_file_names_the_kinds_it_might_be(tmp_path):
    path = write(tmp_path, [{**SCANNER_DAY, "tests": "3", "scheduled_minutes": "120"}])
    with pytest.raises(InputError, match="it could be imaging or echo"):
        ingest.sniff_kind(path)


def test_an_unrecognised_file_says_what_it_resembles(tmp_path):
    with pytest.raises(
        InputError, match="looks like a imaging file but lacks the column.*'modality'"
    ):
        ingest.sniff_kind(
            write(tmp_path, [{k: v for k, v in SCANNER_DAY.items() if k != "modality"}])
        )
    with pytest.raises(InputError, match="match none of the known layouts"):
        ingest.sniff_kind(write(tmp_path, [{"colour": "blue", "size": "3"}]))


@pytest.mark.parametrize(
    ("name", "content", "fragment"),
    [
        ("notes.pdf", b"%PDF", "unsupported file type .pdf"),
        ("empty.csv", b"", "the file is empty"),
        ("broken.xlsx", b"PK\x03\x04 not really", "workbook cannot be opened"),
        ("broken.xls", b"\xd0\xcf\x11\xe0 nope", "workbook cannot be opened"),
        ("ragged.csv", b"a,b\n1,2\n1,2,3\n", "cannot be read"),
        ("nothing.zip", b"PK\x05\x06" + b"\x00" * 18, "exactly one CSV"),
    ],
)
def test_unreadable_files_are_input_errors(tmp_path, name, content, fragment):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(InputError, match=fragment):
        ingest.read_file(path, "echo")
