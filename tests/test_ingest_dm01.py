"""DM01 in both published layouts: the provider web file (.xls/.xlsx) and the full extract."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from productivity import ingest
from productivity.errors import InputError
from productivity.ingest.dm01 import normalise_test_names, parse_periods
from productivity.schema import DM01_BANDS, DM01_COLUMNS, DM01_TESTS

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "data" / "samples"
XLS = SAMPLES / "Monthly-Diagnostics-Web-File-Provider-May-2026.xls"
XLSX = SAMPLES / "Monthly-Diagnostics-Web-File-Provider-May-2026.xlsx"
ZIP = SAMPLES / "DM01-MAY-2026-full-extract.zip"
IMD = SAMPLES / "dm01-deprivation-May-2026.csv"
CHESHIRE_MERSEYSIDE = {
    "RBS",
    "REN",
    "RJR",
    "RJN",
    "RBQ",
    "REM",
    "REP",
    "RBN",
    "RBT",
    "RWW",
    "RBL",
    "RET",
}


def frame(path: Path) -> pd.DataFrame:
    return ingest.read_file(path).frames["dm01"]


def extract_csv() -> pd.DataFrame:
    with zipfile.ZipFile(ZIP) as archive:
        return pd.read_csv(io.BytesIO(archive.read(archive.namelist()[0])), dtype=str)


@pytest.fixture(scope="module")
def web() -> pd.DataFrame:
    return frame(XLSX)


def test_both_layouts_and_both_workbook_formats_give_the_same_provider_totals(web):
    assert list(web.columns) == list(DM01_COLUMNS)
    for other in (frame(XLS), frame(ZIP)):
        pd.testing.assert_frame_equal(other, web)
    totals = web.groupby("provider_code")[
        ["total_waiting", "waiting_6_plus", "total_activity"]
    ].sum()
    assert totals.loc["RBL", "total_waiting"] > 0
    assert (web["period"] == pd.Timestamp("2026-05-01")).all()


def test_england_region_blank_and_footnote_rows_are_skipped(web):
    providers = set(web["provider_code"])
    assert CHESHIRE_MERSEYSIDE <= providers  # the collaborative, under parent QYG
    assert {"RM3", "RXL", "RRK", "NT3"} <= providers  # other providers are kept too
    assert len(providers) == 16
    assert not providers & {"", "-", "Y62", "Y60", "ENGLAND"}
    assert set(web["test_code"]) <= set(DM01_TESTS)


def test_the_header_is_found_below_the_title_block_and_problems_give_sheet_rows(tmp_path):
    book = openpyxl.load_workbook(XLSX)
    sheet = book["Provider by Test"]
    header = [c.value for c in sheet[14]]
    assert header[2] == "Provider Code"
    assert sheet["C50"].value == "RBL"  # England rows 15-29, blank, region rows 31-45, providers
    band = header.index("03 <04 weeks") + 1
    sheet.cell(50, band).value += 5
    sheet.insert_rows(2)  # the header moves to row 15: the finder must follow it
    path = tmp_path / "Monthly-Diagnostics-Web-File-Provider-May-2026.xlsx"
    book.save(path)
    with pytest.raises(InputError) as caught:
        ingest.read_file(path)
    [problem] = caught.value.problems
    assert problem.file == f"{path.name} [Provider by Test]"
    assert (problem.row, problem.column) == (51, "Total Waiting List")
    assert "does not add up" in problem.message


def test_provider_totals_must_equal_the_sum_of_their_tests(tmp_path):
    book = openpyxl.load_workbook(XLSX)
    sheet = book["Provider"]
    header = [c.value for c in sheet[14]]
    row = next(r for r in range(15, 40) if sheet.cell(r, 3).value == "REM")
    for name in ("Total Waiting List", "0 <01 weeks"):  # the row still adds up on its own
        sheet.cell(row, header.index(name) + 1).value += 7
    path = tmp_path / "web.xlsx"
    book.save(path)
    with pytest.raises(InputError) as caught:
        ingest.read_file(path, "dm01")
    [problem] = caught.value.problems
    assert (problem.file, problem.row, problem.column) == (
        "web.xlsx [Provider]",
        row,
        "Total Waiting List",
    )
    assert "differs from the sum of this provider's tests" in problem.message


def test_the_period_comes_from_the_title_block(tmp_path):
    book = openpyxl.load_workbook(XLSX)
    for name in book.sheetnames:
        book[name]["C3"] = "April 2026"
    path = tmp_path / "web-file.xlsx"  # no month in the name: only the title says
    book.save(path)
    assert (frame(path)["period"] == pd.Timestamp("2026-04-01")).all()
    for name in book.sheetnames:
        book[name]["A3"] = None
    book.save(path)
    with pytest.raises(InputError, match="no period found"):
        ingest.read_file(path)


def test_the_32_column_extract_with_period_in_capitals_is_accepted_as_csv(tmp_path, web):
    data = extract_csv()
    bands = data[[c for c in data.columns if "<" in c or "13+" in c]].astype(int)
    data = data.rename(columns={"Period": "PERIOD"})
    data["<6Weeks"] = bands.iloc[:, :6].sum(axis=1)
    data["6+WW"] = bands.iloc[:, 6:].sum(axis=1)
    assert data.shape[1] == 32
    path = tmp_path / "DM01-MAY-2026-full-extract.csv"
    data.to_csv(path, index=False)
    assert ingest.sniff_kind(path) == "dm01"
    pd.testing.assert_frame_equal(frame(path), web)


def test_commissioners_are_summed_and_the_total_row_is_skipped(web):
    data = extract_csv()
    rbl_mri = data[(data["Provider Org Code"] == "RBL") & (data["Diagnostic Tests"] == "MRI")]
    assert len(rbl_mri) == 3  # one per commissioner
    row = web[(web["provider_code"] == "RBL") & (web["test_code"] == "MRI")].iloc[0]
    assert row["total_waiting"] == rbl_mri["Total WL"].astype(int).sum()
    assert (
        web["total_waiting"].sum()
        == data.loc[data["Diagnostic Tests"] != "TOTAL", "Total WL"].astype(int).sum()
    )


@pytest.mark.parametrize(
    ("column", "message"),
    [
        ("Total WL", "sum of the 14 waiting-time bands"),
        ("Total Activity", "sum of the three activity"),
    ],
)
def test_rows_that_do_not_add_up_are_located(tmp_path, column, message):
    data = extract_csv()
    data.loc[7, column] = str(int(data.loc[7, column]) + 1)
    path = tmp_path / "extract.csv"
    data.to_csv(path, index=False)
    with pytest.raises(InputError) as caught:
        ingest.read_file(path)
    [problem] = caught.value.problems
    assert (problem.row, problem.column) == (9, column) and message in problem.message


def test_bad_counts_and_unknown_tests_are_located(tmp_path):
    data = extract_csv()
    data.loc[3, "Diagnostic Tests"] = "PET_CT"
    data.loc[5, "13+ Weeks"] = "lots"
    path = tmp_path / "extract.csv"
    data.to_csv(path, index=False)
    with pytest.raises(InputError) as caught:
        ingest.read_file(path)
    found = {(p.row, p.column): p for p in caught.value.problems}
    assert "unknown diagnostic test" in found[(5, "Diagnostic Tests")].message
    assert "not a whole number" in found[(7, "13+ Weeks")].message


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("MRI", "MRI"),
        ("MAGNETIC RESONANCE IMAGING", "MRI"),
        ("Magnetic Resonance Imaging", "MRI"),
        ("COMPUTED TOMOGRAPHY", "CT"),
        ("NON_OBSTETRIC_ULTRASOUND", "NON_OBSTETRIC_ULTRASOUND"),
        ("NON-OBSTETRIC ULTRASOUND", "NON_OBSTETRIC_ULTRASOUND"),
        ("Non-obstetric ultrasound", "NON_OBSTETRIC_ULTRASOUND"),
        ("CARDIOLOGY - ECHOCARDIOGRAPHY", "ECHOCARDIOGRAPHY"),
        ("Cardiology - Electrophysiology", "ELECTROPHYSIOLOGY"),
        ("NEUROPHYSIOLOGY - PERIPHERAL NEUROPHYSIOLOGY", "PERIPHERAL_NEUROPHYS"),
        ("PERIPHERAL_NEUROPHYS", "PERIPHERAL_NEUROPHYS"),
        ("RESPIRATORY PHYSIOLOGY - SLEEP STUDIES", "SLEEP_STUDIES"),
        ("URODYNAMICS - PRESSURES & FLOWS", "URODYNAMICS"),
        ("AUDIOLOGY - AUDIOLOGY ASSESSMENTS", "AUDIOLOGY_ASSESSMENTS"),
        ("DEXA Scan", "DEXA_SCAN"),
        ("BARIUM ENEMA", "BARIUM_ENEMA"),
        ("Flexi Sigmoidoscopy", "FLEXI_SIGMOIDOSCOPY"),
        ("FLEXI_SIGMOIDOSCOPY", "FLEXI_SIGMOIDOSCOPY"),
        ("Cystoscopy", "CYSTOSCOPY"),
        ("GASTROSCOPY", "GASTROSCOPY"),
        ("COLONOSCOPY", "COLONOSCOPY"),
        ("PET CT", ""),
    ],
)
def test_test_names_of_any_year_normalise_to_the_15_codes(name, code):
    assert normalise_test_names(pd.Series([name])).iloc[0] == code


@pytest.mark.parametrize(
    ("text", "month"),
    [
        ("DM01-MAY-2026", "2026-05-01"),
        ("May 2026", "2026-05-01"),
        ("MAY-26", "2026-05-01"),
        ("2026-05", "2026-05-01"),
        ("September 2025", "2025-09-01"),
        ("Smarch 2026", None),
    ],
)
def test_periods(text, month):
    value = parse_periods(pd.Series([text])).iloc[0]
    assert (None if pd.isna(value) else value.strftime("%Y-%m-%d")) == month


def test_deprivation_quintiles_add_up_to_the_provider_totals(web):
    parsed = ingest.read_file(IMD)
    imd = parsed.frames["dm01_imd"]
    assert set(imd["imd_quintile"]) == {1, 2, 3, 4, 5}
    summed = imd.groupby(["provider_code", "test_code"])[
        ["total_waiting", "waiting_6_plus", "waiting_13_plus"]
    ].sum()
    dm01 = web.set_index(["provider_code", "test_code"]).loc[summed.index, summed.columns]
    pd.testing.assert_frame_equal(summed, dm01, check_dtype=False)


def test_deprivation_from_deciles_and_from_lsoa_codes(tmp_path):
    base = {
        "period": "MAY-2026",
        "provider_code": "RBL",
        "test": "Computed Tomography",
        "total_waiting": 10,
        "waiting_6_plus": 4,
        "waiting_13_plus": 1,
    }
    path = tmp_path / "imd.csv"
    pd.DataFrame([{**base, "imd_decile": d} for d in (1, 2, 3, 10)]).to_csv(path, index=False)
    imd = ingest.read_file(path, "dm01").frames["dm01_imd"]
    assert imd[["imd_quintile", "total_waiting"]].values.tolist() == [[1, 20], [2, 10], [5, 10]]
    lookup = tmp_path / "lsoa.csv"
    pd.DataFrame({"LSOA11CD": ["E01000001", "E01000002"], "IMD Decile": [1, 9]}).to_csv(
        lookup, index=False
    )
    cmap = tmp_path / "imd.toml"
    cmap.write_text(f'kind = "dm01"\n[options]\nlsoa_lookup = "{lookup.name}"\n')
    pd.DataFrame(
        [{**base, "lsoa_code": c} for c in ("E01000001", "E01000002", "E01000002")]
    ).to_csv(path, index=False)
    imd = ingest.read_file(path, map_path=cmap).frames["dm01_imd"]
    assert imd[["imd_quintile", "total_waiting"]].values.tolist() == [[1, 10], [5, 20]]
    pd.DataFrame([{**base, "lsoa_code": "W01999999"}]).to_csv(path, index=False)
    with pytest.raises(InputError, match="LSOA code not found"):
        ingest.read_file(path, map_path=cmap)


def test_all_fourteen_bands_are_stored(web):
    assert (web[list(DM01_BANDS)].sum(axis=1) == web["total_waiting"]).all()


def test_blank_derived_columns_of_the_32_column_extract_are_not_errors(tmp_path, web):
    data = extract_csv().rename(columns={"Period": "PERIOD"})
    data["<6Weeks"] = ""  # some releases leave the derived columns empty
    data["6+WW"] = ""
    path = tmp_path / "DM01-MAY-2026-full-extract.csv"
    data.to_csv(path, index=False)
    pd.testing.assert_frame_equal(frame(path), web)


def test_footnotes_under_the_provider_rows_and_older_area_subtotals_are_skipped(tmp_path, web):
    book = openpyxl.load_workbook(XLSX)
    for name in ("Provider", "Provider by Test"):
        sheet = book[name]
        last = sheet.max_row + 2
        sheet.cell(last, 3).value = "Source: NHS England, Monthly Diagnostics Waiting Times"
        sheet.cell(last + 1, 3).value = "* Figures below 5 are not suppressed in this file."
    # An older layout: an area team subtotal row whose provider code is its area code.
    sheet = book["Provider by Test"]
    header = [c.value for c in sheet[14]]
    row = [c.value for c in sheet[50]]
    region_code = row[header.index("Regional Team Code")]
    row[header.index("Provider Code")] = region_code
    row[header.index("Provider")] = "AREA TEAM SUBTOTAL"
    sheet.append(row)
    path = tmp_path / "Monthly-Diagnostics-Web-File-Provider-May-2026.xlsx"
    book.save(path)
    loaded = frame(path)
    assert region_code not in set(loaded["provider_code"])
    pd.testing.assert_frame_equal(loaded, web)


def test_deprivation_rows_keep_their_waiting_bands(tmp_path, engine):
    from productivity.store import db, reference
    from productivity.synth import frames as synth

    rows = synth.build_frames(seed=1, months=1).dm01_imd
    rows = rows[rows["provider_code"] == "REM"].assign(
        period=pd.to_datetime(rows["period"]).dt.strftime("%Y-%m")
    )
    path = tmp_path / "dm01-deprivation-bands.csv"
    rows.to_csv(path, index=False)
    with db.write_transaction(engine) as conn:
        reference.seed_reference(conn)
    result = ingest.import_file(path, kind="dm01", engine=engine)
    assert result.rows == len(rows)
    stored = db.read_frame("SELECT * FROM dm01_imd", engine=engine)
    assert stored["weeks_13_plus"].notna().all()
    assert (stored[list(DM01_BANDS)].sum(axis=1) == stored["total_waiting"]).all()
