"""The bookings importer (``--kind bookings``, SPEC §3): validated as the extract, identifiers
refused, sniffed apart from a theatre extract, and a newer file replacing the older one."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import select

from productivity import ingest
from productivity.errors import InputError
from productivity.ingest.bookings import parse_bookings
from productivity.ingest.maps import ColumnMap
from productivity.ingest.reading import csv_table
from productivity.ingest.tabular import ProblemLog
from productivity.store import models
from tests.test_cli import run_cli

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "data" / "samples" / "theatre-bookings-RBL-Jun-2026.csv"
HEADER = (
    "trust_code,site,theatre,session_date,session,planned_start,planned_end,specialty,case_id,"
    "procedure_code,priority,consultant_code,booked_minutes"
)
GOOD = [
    "RBL,RBL01,Theatre 1,2026-06-08,AM,08:30,12:30,General Surgery,B1,T20.1,daycase,C1234567,",
    "RBL,RBL01,Theatre 1,2026-06-08,AM,08:30,12:30,General Surgery,B2,J18.3,elective,C1234567,95",
    "RBL,RBL01,Theatre 2,2026-06-08,PM,13:30,17:30,Urology,,,,,",  # an unbooked list
]
TODAY = dt.date(2026, 6, 1)


def write(tmp_path: Path, rows: list[str], name: str = "bookings.csv") -> Path:
    path = tmp_path / name
    path.write_text("\n".join([HEADER, *rows]) + "\n")
    return path


def parse(rows: list[str], header: str = HEADER) -> pd.DataFrame:
    table = csv_table("\n".join([header, *rows]) + "\n", "bookings.csv")
    known = {"RBL", "REM"}
    parsed = parse_bookings(table, ColumnMap(), known, ProblemLog("bookings.csv"), today=TODAY)
    return parsed.frames["theatre_booking"]


def problems(rows: list[str], header: str = HEADER) -> list[str]:
    with pytest.raises(InputError) as caught:
        parse(rows, header)
    return [str(p) for p in caught.value.problems]


def stored(engine) -> pd.DataFrame:
    table = models.TheatreBooking.__table__
    with engine.connect() as conn:
        return pd.read_sql_query(select(table).order_by(table.c.id), conn)


def test_a_good_file_becomes_one_row_per_booked_case_and_unbooked_list():
    frame = parse(GOOD)
    assert len(frame) == 3
    assert frame["case_id"].tolist()[:2] == ["B1", "B2"] and pd.isna(frame["case_id"].iloc[2])
    assert frame["planned_start"].iloc[0] == pd.Timestamp("2026-06-08 08:30")
    assert frame["planned_end"].iloc[2] == pd.Timestamp("2026-06-08 17:30")
    assert frame["booked_minutes"].iloc[1] == 95 and pd.isna(frame["booked_minutes"].iloc[0])
    assert frame["priority"].tolist()[:2] == ["daycase", "elective"]
    assert frame["consultant_code"].iloc[0] == "C1234567"


@pytest.mark.parametrize(
    ("row", "column", "message"),
    [
        ("RBL,RBL01,Theatre 1,2026-06-31,AM,08:30,12:30,General Surgery,B9,T20.1,,,",
         "session_date", "not a date"),
        ("RBL,RBL01,Theatre 1,2028-06-08,AM,08:30,12:30,General Surgery,B9,T20.1,,,",
         "session_date", "a year ahead"),
        ("RBL,RBL01,Theatre 1,2026-06-08,AM,8h30,12:30,General Surgery,B9,T20.1,,,",
         "planned_start", "not a time"),
        ("RBL,RBL01,Theatre 1,2026-06-08,XX,08:30,12:30,General Surgery,B9,T20.1,,,",
         "session", "unknown session"),
        ("RBL,RBL01,Theatre 1,2026-06-08,AM,08:30,12:30,General Surgery,B9,T20.1,urgentish,,",
         "priority", "unknown priority"),
        ("RBL,RBL01,Theatre 1,2026-06-08,AM,08:30,12:30,General Surgery,B9,T20.1,,,-5",
         "booked_minutes", "negative"),
        ("RBL,RBL01,Theatre 1,2026-06-08,AM,08:30,12:30,General Surgery,,T20.1,,,",
         "case_id", "case_id is empty"),
        ("XYZ,RBL01,Theatre 1,2026-06-08,AM,08:30,12:30,General Surgery,B9,T20.1,,,",
         "trust_code", "unknown trust code"),
        ("RBL,RBL01,Theatre 1,2026-06-08,AM,09:00,12:30,General Surgery,B9,T20.1,,,",
         "planned_start", "differs from the first row of the same list"),
        ("RBL,RBL01,Theatre 1,2026-06-08,AM,08:30,12:30,General Surgery,B1,H01.1,,,",
         "case_id", "duplicate case id (first on row 2)"),
    ],
)  # fmt: skip
def test_each_bad_value_is_located(row: str, column: str, message: str):
    found = problems([*GOOD, row])
    assert len(found) == 1, found
    assert f"row 5, column '{column}'" in found[0] and message in found[0]


def test_a_missing_required_column_is_named():
    header = HEADER.replace("planned_end,", "")
    rows = [r.replace(",12:30", "", 1).replace(",17:30", "", 1) for r in GOOD]
    (message,) = problems(rows, header)
    assert "required column 'planned_end' is missing" in message


def test_patient_identifiers_are_refused_without_echoing_them(engine, tmp_path: Path):
    path = tmp_path / "bookings-with-nhs-number.csv"
    path.write_text(
        HEADER + ",NHS Number\n" + GOOD[0] + ",9434765919\n" + GOOD[1] + ",9434765870\n"
    )
    with pytest.raises(InputError) as caught:
        ingest.import_file(path, kind="bookings", engine=engine)
    assert "NHS Number" in str(caught.value) and "9434765919" not in str(caught.value)
    assert stored(engine).empty


def test_the_kind_is_sniffed_and_a_theatre_extract_stays_a_theatre_extract(tmp_path: Path):
    assert ingest.sniff_kind(write(tmp_path, GOOD)) == "bookings"
    extract = ROOT / "data" / "samples" / "theatre-extract-RBL-May-2026.csv"
    assert ingest.sniff_kind(extract) == "theatre"


def test_a_theatre_extract_missing_out_of_theatre_is_not_taken_for_bookings(tmp_path: Path):
    extract = ROOT / "data" / "samples" / "theatre-extract-RBL-May-2026.csv"
    frame = pd.read_csv(extract, dtype=str, keep_default_na=False)
    path = tmp_path / "extract.csv"
    frame.drop(columns="out_of_theatre").to_csv(path, index=False)
    with pytest.raises(InputError) as caught:
        ingest.sniff_kind(path)
    message = str(caught.value)
    assert "extract.csv" in message and "'out_of_theatre'" in message and "theatre" in message
    # Named explicitly, it is still a bookings file (booked cases carry no times at all).
    assert ingest.sniff_kind(write(tmp_path, GOOD)) == "bookings"


def test_a_newer_file_for_the_same_trust_and_dates_replaces_the_older(engine, tmp_path: Path):
    first = ingest.import_file(write(tmp_path, GOOD, "week-1.csv"), engine=engine)
    assert (first.kind, first.rows, first.replaced_rows) == ("bookings", 3, 0)
    again = ingest.import_file(write(tmp_path, GOOD, "week-1.csv"), engine=engine)
    assert again.status == "duplicate" and len(stored(engine)) == 3
    # A week later the AM list has a third case, and REM's bookings arrive in the same file.
    newer = [
        *GOOD[:2],
        "RBL,RBL01,Theatre 1,2026-06-08,AM,08:30,12:30,General Surgery,B3,T20.1,daycase,,",
        "RBL,RBL01,Theatre 2,2026-06-08,PM,13:30,17:30,Urology,B4,M42.1,daycase,,",
    ]
    result = ingest.import_file(write(tmp_path, newer, "week-2.csv"), engine=engine)
    assert (result.rows, result.replaced_rows) == (4, 3)
    assert "replaced 3 rows" in result.message
    rows = stored(engine)
    assert sorted(rows["case_id"]) == ["B1", "B2", "B3", "B4"]  # the unbooked row is gone
    # Another trust or a later date range is not touched.
    later = ["RBL,RBL01,Theatre 1,2026-06-15,AM,08:30,12:30,General Surgery,B5,T20.1,,,"]
    result = ingest.import_file(write(tmp_path, later, "week-3.csv"), engine=engine)
    assert result.replaced_rows == 0 and len(stored(engine)) == 5


def test_the_sample_file_imports_through_the_cli(engine, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
    code, out, err = run_cli("import", str(SAMPLE), "--kind", "bookings")
    assert code == 0, err
    assert "bookings rows for RBL from 2026-06-01 to 2026-07-10" in out
    rows = stored(engine)
    assert rows["case_id"].isna().any() and rows["booked_minutes"].notna().any()
    assert "T27.1" in set(rows["procedure_code"])
