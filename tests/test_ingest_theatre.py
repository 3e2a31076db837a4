"""Theatre extract importer: canonical and system-export layouts, located errors, PID refusal."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from productivity import ingest
from productivity.errors import MAX_PROBLEMS, InputError
from productivity.ingest.pid import valid_nhs_numbers
from productivity.ingest.theatre_columns import cancel_category
from productivity.schema import CASE_COLUMNS, LIST_COLUMNS, THEATRE_COLUMNS
from productivity.synth import frames as synth

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "data" / "samples"
CANONICAL = SAMPLES / "theatre-extract-RBL-May-2026.csv"
CERNER = SAMPLES / "cerner-theatre-export-RBL-May-2026.csv"
CERNER_MAP = ROOT / "data" / "maps" / "cerner.toml"

CASE = {
    "trust_code": "RBL",
    "site": "RBL01",
    "theatre": "Theatre 1",
    "session_date": "2026-05-04",
    "session": "AM",
    "planned_start": "08:30",
    "planned_end": "12:30",
    "specialty": "General Surgery",
    "case_id": "A1",
    "procedure_code": "T20.1",
    "priority": "elective",
    "anaesthetic_start": "2026-05-04T08:40",
    "into_theatre": "2026-05-04T08:50",
    "knife_to_skin": "2026-05-04T09:00",
    "out_of_theatre": "2026-05-04T10:00",
    "cancelled": "N",
    "cancel_reason": "",
    "cancel_clinical": "N",
}


def write(tmp_path: Path, rows: list[dict], name: str = "extract.csv") -> Path:
    """A canonical extract: each row is CASE updated with the given fields."""
    frame = pd.DataFrame([{**CASE, **row} for row in rows])
    path = tmp_path / name
    frame.to_csv(path, index=False)
    return path


def problems(path: Path, **kwargs) -> list:
    with pytest.raises(InputError) as caught:
        ingest.read_file(path, "theatre", **kwargs)
    return caught.value.problems


def test_canonical_sample_loads_into_lists_and_cases():
    parsed = ingest.read_file(CANONICAL)
    lists, cases = parsed.frames["lists"], parsed.frames["cases"]
    assert parsed.kind == "theatre" and parsed.trust_codes == ("RBL",)
    assert list(lists.columns) == list(LIST_COLUMNS)
    assert list(cases.columns) == list(CASE_COLUMNS)
    assert (parsed.period_from, parsed.period_to) == (dt.date(2026, 5, 4), dt.date(2026, 5, 8))
    # one row per case plus one per unused session (RBL02 Theatre B, Wednesday PM)
    assert parsed.rows == len(pd.read_csv(CANONICAL))
    unused = lists[~lists["list_id"].isin(cases["list_id"])]
    assert unused[["site", "theatre", "session"]].values.tolist() == [["RBL02", "Theatre B", "PM"]]
    # the Friday evening list runs 18:00-01:00: it ends the next day
    eve = lists[lists["session"] == "EVE"].iloc[0]
    assert eve["planned_end"] - eve["planned_start"] == pd.Timedelta(hours=7)
    timed = cases[~cases["cancelled"]]
    assert timed["anaesthetic_start"].isna().sum() == 3  # not recorded: into_theatre fallback


def test_times_with_a_utc_offset_are_read_as_london_wall_clock(tmp_path):
    # 07:40Z is 08:40 BST; +01:00 is London's own offset in May; a naive time stays as it is.
    path = write(tmp_path, [{"anaesthetic_start": "2026-05-04T07:40:00Z",
                             "into_theatre": "2026-05-04T08:50:00+01:00"}])  # fmt: skip
    cases = ingest.read_file(path, "theatre").frames["cases"]
    row = cases.iloc[0]
    assert (row["anaesthetic_start"], row["into_theatre"], row["knife_to_skin"]) == (
        pd.Timestamp("2026-05-04 08:40"),
        pd.Timestamp("2026-05-04 08:50"),
        pd.Timestamp("2026-05-04 09:00"),
    )


def test_cerner_export_through_the_shipped_map_matches_the_canonical_extract():
    canonical = ingest.read_file(CANONICAL)
    cerner = ingest.read_file(CERNER, map_path=CERNER_MAP)
    assert cerner.kind == "theatre"  # from the map's kind
    for name in ("lists", "cases"):
        pd.testing.assert_frame_equal(cerner.frames[name], canonical.frames[name])


def test_round_trips_the_synthetic_extract(tmp_path):
    lists, cases = synth.theatre_frames(13, 1, 1)
    path = tmp_path / "synthetic.csv"
    synth.theatre_extract(lists, cases).to_csv(path, index=False)
    parsed = ingest.read_file(path, known_trusts=set(lists["trust_code"]))
    pd.testing.assert_frame_equal(parsed.frames["lists"], lists, check_dtype=False)
    # Free-text reasons are stored as their category only (SPEC §3: no free text).
    reason = cancel_category(cases["cancel_reason"].fillna(""), cases["cancel_clinical"])
    expected = cases.assign(cancel_reason=reason)
    pd.testing.assert_frame_equal(parsed.frames["cases"], expected, check_dtype=False)


@pytest.mark.parametrize(
    "headers",
    [
        {
            "anaesthetic_start": "Anaes Start",
            "into_theatre": "Into OR",
            "knife_to_skin": "Knife to Skin",
            "out_of_theatre": "Out of OR",
        },
        {
            "anaesthetic_start": "Anaesthetic Start Time",
            "into_theatre": "Into Theatre",
            "knife_to_skin": "Knife to Skin",
            "out_of_theatre": "Out of Theatre",
        },
        {
            "anaesthetic_start": "B1",
            "into_theatre": "C1",
            "knife_to_skin": "C2",
            "out_of_theatre": "C4",
        },
        {
            "anaesthetic_start": "B1 - Anaes Start",
            "into_theatre": "C1 Into OR",
            "knife_to_skin": "C2: Knife to Skin",
            "out_of_theatre": "Patient Out (C4)",
            "case_id": "Case Number",
            "session_date": "List Date",
            "theatre": "Theatre Name",
        },
    ],
)
def test_common_export_names_and_uk_dates_work_without_a_map(tmp_path, headers):
    frame = pd.read_csv(CANONICAL, dtype=str, keep_default_na=False)
    for column in ("anaesthetic_start", "into_theatre", "knife_to_skin", "out_of_theatre"):
        stamps = pd.to_datetime(frame[column].replace("", None), format="ISO8601")
        frame[column] = stamps.dt.strftime("%d/%m/%Y %H:%M").fillna("")
    frame["session_date"] = pd.to_datetime(frame["session_date"]).dt.strftime("%d/%m/%Y")
    path = tmp_path / "export.csv"
    frame.rename(columns=headers).to_csv(path, index=False)
    parsed = ingest.read_file(path)
    expected = ingest.read_file(CANONICAL)
    pd.testing.assert_frame_equal(parsed.frames["cases"], expected.frames["cases"])
    pd.testing.assert_frame_equal(parsed.frames["lists"], expected.frames["lists"])


def test_xlsx_with_real_date_and_time_cells_matches_the_csv(tmp_path):
    frame = pd.read_csv(CANONICAL, dtype=str, keep_default_na=False)
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(list(THEATRE_COLUMNS))
    for record in frame.to_dict("records"):
        row = []
        for column in THEATRE_COLUMNS:
            value = record[column]
            if column == "session_date":
                value = dt.date.fromisoformat(value)
            elif column in ("planned_start", "planned_end"):
                value = dt.time.fromisoformat(value)
            elif column.endswith(("_start", "_theatre", "_skin")) and value:
                value = dt.datetime.fromisoformat(value)
            row.append(value or None)
        sheet.append(row)
    path = tmp_path / "extract.xlsx"
    book.save(path)
    parsed, expected = ingest.read_file(path), ingest.read_file(CANONICAL)
    assert ingest.sniff_kind(path) == "theatre"
    pd.testing.assert_frame_equal(parsed.frames["cases"], expected.frames["cases"])
    pd.testing.assert_frame_equal(parsed.frames["lists"], expected.frames["lists"])


def test_list_specialty_is_its_first_case_and_a_caseless_row_is_an_unused_session(tmp_path):
    path = write(
        tmp_path,
        [
            {"case_id": "A1", "specialty": "Urology"},
            {
                "case_id": "A2",
                "specialty": "General Surgery",
                "anaesthetic_start": "2026-05-04T10:10",
                "into_theatre": "2026-05-04T10:20",
                "knife_to_skin": "",
                "out_of_theatre": "2026-05-04T11:00",
            },
            {
                "theatre": "Theatre 2",
                "specialty": "ENT",
                **dict.fromkeys(
                    (
                        "case_id",
                        "procedure_code",
                        "priority",
                        "anaesthetic_start",
                        "into_theatre",
                        "knife_to_skin",
                        "out_of_theatre",
                        "cancelled",
                        "cancel_clinical",
                    ),
                    "",
                ),
            },
        ],
    )
    parsed = ingest.read_file(path)
    lists, cases = parsed.frames["lists"], parsed.frames["cases"]
    assert lists["specialty"].tolist() == ["Urology", "ENT"]
    assert cases["specialty"].tolist() == ["Urology", "General Surgery"]
    assert cases["list_id"].tolist() == [1, 1]
    assert parsed.rows == 3


def test_specialty_names_and_codes_are_normalised(tmp_path):
    path = write(
        tmp_path,
        [
            {"case_id": "A1", "specialty": "T&O"},
            {
                "case_id": "A2",
                "specialty": "110",
                "anaesthetic_start": "",
                "into_theatre": "",
                "knife_to_skin": "",
                "out_of_theatre": "",
            },
        ],
    )
    cases = ingest.read_file(path).frames["cases"]
    assert cases["specialty"].tolist() == ["Trauma & Orthopaedics"] * 2


def test_session_is_derived_when_the_export_has_none(tmp_path):
    rows = [
        {"case_id": "A1"},
        {"case_id": "B1", "theatre": "T2", "planned_start": "13:00", "planned_end": "17:00"},
        {"case_id": "C1", "theatre": "T3", "planned_start": "08:00", "planned_end": "18:00"},
        {"case_id": "D1", "theatre": "T4", "planned_start": "18:30", "planned_end": "00:30"},
    ]
    path = write(tmp_path, rows)
    pd.read_csv(path).drop(columns="session").to_csv(path, index=False)
    lists = ingest.read_file(path).frames["lists"]
    assert lists["session"].tolist() == ["AM", "PM", "ALL", "EVE"]
    assert lists["planned_end"].iloc[3] == pd.Timestamp("2026-05-05 00:30")


@pytest.mark.parametrize(
    ("row", "column", "fragment"),
    [
        ({"session_date": "2026-13-01"}, "session_date", "not a date"),
        ({"session_date": "yesterday"}, "session_date", "not a date"),
        ({"planned_start": "8.3O"}, "planned_start", "not a time"),
        ({"anaesthetic_start": "31/02/2026 09:00"}, "anaesthetic_start", "not a date-time"),
        ({"out_of_theatre": "2026-05-04T08:30"}, "out_of_theatre", "before the anaesthetic start"),
        ({"planned_end": "08:00"}, "planned_end", "not after planned_start"),
        ({"planned_end": "08:30"}, "planned_end", "not after planned_start"),
        ({"trust_code": "ZZZ"}, "trust_code", "unknown trust code"),
        ({"priority": "soon"}, "priority", "unknown priority"),
        ({"cancelled": "maybe"}, "cancelled", "not a flag"),
        ({"session": "NIGHTSHIFT"}, "session", "unknown session"),
        ({"site": ""}, "site", "value is empty"),
        ({"case_id": "", "procedure_code": "T20.1"}, "case_id", "case_id is empty"),
    ],
)
def test_each_bad_value_is_located_by_row_and_column(tmp_path, row, column, fragment):
    path = write(tmp_path, [{"case_id": "A0"}, {"case_id": "A1", "theatre": "T9", **row}])
    [problem] = problems(path)
    assert (problem.file, problem.row, problem.column) == ("extract.csv", 3, column)
    assert fragment in problem.message and "expected" in problem.message
    assert (
        problem.value == (row.get(column) or None)
        or fragment == "value is empty"
        or (fragment == "case_id is empty")
    )


def test_an_overnight_session_must_be_eve_or_flagged(tmp_path):
    late = {
        "planned_start": "20:00",
        "planned_end": "02:00",
        "anaesthetic_start": "2026-05-04T20:10",
        "into_theatre": "",
        "knife_to_skin": "",
        "out_of_theatre": "2026-05-05T01:10",
    }
    assert problems(write(tmp_path, [{**late, "session": "PM"}]))[0].column == "planned_end"
    ok = ingest.read_file(write(tmp_path, [{**late, "session": "EVE"}]))
    assert ok.frames["lists"]["planned_end"].iloc[0] == pd.Timestamp("2026-05-05 02:00")
    path = write(tmp_path, [{**late, "session": "ALL"}])
    pd.read_csv(path).assign(overnight="Y").to_csv(path, index=False)
    assert ingest.read_file(path).frames["lists"]["session"].iloc[0] == "ALL"


def test_a_case_id_repeated_with_different_content_is_an_error_naming_the_first_row(tmp_path):
    path = write(
        tmp_path, [{"case_id": "A1"}, {"case_id": "A2"}, {"case_id": "A1", "procedure_code": "X1"}]
    )
    [problem] = problems(path)
    assert (problem.row, problem.column, problem.value) == (4, "case_id", "A1")
    assert "first on row 2" in problem.message


def test_exact_duplicate_rows_are_dropped_and_counted(tmp_path):
    path = write(tmp_path, [{"case_id": "A1"}, {"case_id": "A2"}, {"case_id": "A1"}])
    parsed = ingest.read_file(path)
    assert len(parsed.frames["cases"]) == 2
    assert parsed.issues[["trust_code", "issue", "count"]].values.tolist() == [
        ["RBL", "duplicates_dropped", 1]
    ]
    assert "1 exact duplicate rows dropped" in parsed.notes


def test_planned_times_must_agree_within_a_list(tmp_path):
    [problem] = problems(
        write(tmp_path, [{"case_id": "A1"}, {"case_id": "A2", "planned_end": "13:00"}])
    )
    assert (problem.row, problem.column) == (3, "planned_end")


def test_missing_required_columns_are_named(tmp_path):
    path = write(tmp_path, [{"case_id": "A1"}])
    pd.read_csv(path).drop(columns=["out_of_theatre", "theatre"]).to_csv(path, index=False)
    found = problems(path)
    assert {p.column for p in found} == {"out_of_theatre", "theatre"}
    assert all(p.row == 1 and "required column" in p.message for p in found)


def test_problems_are_capped_at_fifty_with_a_count_of_the_rest(tmp_path):
    path = write(tmp_path, [{"case_id": f"A{i}", "session_date": "bad"} for i in range(120)])
    found = problems(path)
    assert len(found) == MAX_PROBLEMS
    assert found[-1].row is None and "71 more problems" in found[-1].message
    assert [p.row for p in found[:3]] == [2, 3, 4]


@pytest.mark.parametrize(
    "column",
    [
        "nhs_number",
        "NHS No",
        "patient_name",
        "Forename",
        "surname",
        "date_of_birth",
        "DOB",
        "postcode",
        "NHSNumber",
        "DateOfBirth",
        "PatientName",
        "Name",
        "Patient",
        "Surname_Forename",
    ],
)
def test_patient_identifiable_columns_are_refused_by_name(tmp_path, column):
    path = write(tmp_path, [{"case_id": "A1", column: "x"}])
    [problem] = problems(path)
    assert (problem.row, problem.column) == (1, column)
    assert "patient-identifiable" in problem.message


@pytest.mark.parametrize(
    ("values", "fragment"),
    [(["943 476 5919", "9434765870"], "NHS numbers"), (["CH49 5PE", "L7 8XP"], "postcodes")],
)
def test_patient_identifiable_values_are_refused_and_never_echoed(tmp_path, values, fragment):
    path = write(tmp_path, [{"case_id": f"A{i}", "reference": v} for i, v in enumerate(values)])
    [problem] = problems(path)
    assert (problem.row, problem.column, problem.value) == (2, "reference", None)
    assert fragment in problem.message
    assert values[0] not in str(problem)


def test_nhs_number_check_digit():
    values = pd.Series(
        ["9434765919", "943 476 5919", "9434765918", "123", "4010232137", "401023213"]
    )
    assert valid_nhs_numbers(values).tolist() == [True, True, False, False, True, False]


def test_case_ids_that_happen_to_be_ten_digits_are_not_refused(tmp_path):
    ids = [f"{3000000000 + i * 7}" for i in range(30)]
    share = valid_nhs_numbers(pd.Series(ids)).mean()
    assert share < 0.5  # about 1 in 11 random numbers pass the check digit
    ingest.read_file(write(tmp_path, [{"case_id": i} for i in ids]))


def test_cerner_style_export_loads_without_a_map():
    """Common export names and codes are recognised out of the box (SPEC §3)."""
    from productivity import ingest

    sample = SAMPLES / "cerner-theatre-export-RBL-May-2026.csv"
    mapped = ingest.read_file(sample, map_path=ROOT / "data" / "maps" / "cerner.toml")
    plain = ingest.read_file(sample, kind="theatre")
    for name in ("lists", "cases"):
        a, b = mapped.frames[name], plain.frames[name]
        assert len(a) == len(b)
    assert int(plain.frames["cases"]["cancelled"].sum()) == 6
    assert set(plain.frames["cases"]["priority"].dropna()) <= {"elective", "daycase", "emergency"}
