"""Write the sample input files in this folder (deterministic: run it again and nothing changes).

    python data/samples/make_samples.py

Every file is synthetic, made to look like what a trust or NHS England really sends: a canonical
theatre extract (CSV and XLSX) and a Cerner SurgiNet-style export of the same cases (load it with
``--map data/maps/cerner.toml``); imaging scanner-days and an exam-level RIS extract with a
sessions file; endoscopy lists and procedures; echo activity; and May 2026 DM01 in both published
layouts (the provider web file as .xls and .xlsx, and the full extract zip), which give the same
provider totals, plus a deprivation split of it; and imaging reporting events (canonical and as a
Diagnostic Imaging Dataset extract, loaded with ``--map data/maps/did.toml``), histopathology
specimens and appointments with attendance.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
SEED = 20260501
TESTS = (  # code, current label, older label (as in earlier web files)
    ("MRI", "Magnetic Resonance Imaging", "MAGNETIC RESONANCE IMAGING"),
    ("CT", "Computed Tomography", "COMPUTED TOMOGRAPHY"),
    ("NON_OBSTETRIC_ULTRASOUND", "Non-obstetric Ultrasound", "NON-OBSTETRIC ULTRASOUND"),
    ("BARIUM_ENEMA", "Barium Enema", "BARIUM ENEMA"),
    ("DEXA_SCAN", "DEXA Scan", "DEXA SCAN"),
    (
        "AUDIOLOGY_ASSESSMENTS",
        "Audiology - Audiology Assessments",
        "AUDIOLOGY - AUDIOLOGY ASSESSMENTS",
    ),
    ("ECHOCARDIOGRAPHY", "Cardiology - Echocardiography", "CARDIOLOGY - ECHOCARDIOGRAPHY"),
    ("ELECTROPHYSIOLOGY", "Cardiology - Electrophysiology", "CARDIOLOGY - ELECTROPHYSIOLOGY"),
    (
        "PERIPHERAL_NEUROPHYS",
        "Neurophysiology - Peripheral Neurophysiology",
        "NEUROPHYSIOLOGY - PERIPHERAL NEUROPHYSIOLOGY",
    ),
    (
        "SLEEP_STUDIES",
        "Respiratory physiology - Sleep Studies",
        "RESPIRATORY PHYSIOLOGY - SLEEP STUDIES",
    ),
    ("URODYNAMICS", "Urodynamics - Pressures & Flows", "URODYNAMICS - PRESSURES & FLOWS"),
    ("COLONOSCOPY", "Colonoscopy", "COLONOSCOPY"),
    ("FLEXI_SIGMOIDOSCOPY", "Flexi Sigmoidoscopy", "FLEXI SIGMOIDOSCOPY"),
    ("CYSTOSCOPY", "Cystoscopy", "CYSTOSCOPY"),
    ("GASTROSCOPY", "Gastroscopy", "GASTROSCOPY"),
)
ALL_TESTS = tuple(range(15))
# region code, region name, parent (ICB) code, provider code, provider name, size, tests offered
PROVIDERS = (
    (
        "Y62",
        "NORTH WEST",
        "QYG",
        "RBL",
        "WIRRAL UNIVERSITY TEACHING HOSPITAL NHS FOUNDATION TRUST",
        1.0,
        ALL_TESTS,
    ),
    (
        "Y62",
        "NORTH WEST",
        "QYG",
        "REM",
        "LIVERPOOL UNIVERSITY HOSPITALS NHS FOUNDATION TRUST",
        2.2,
        ALL_TESTS,
    ),
    (
        "Y62",
        "NORTH WEST",
        "QYG",
        "RBN",
        "MERSEY AND WEST LANCASHIRE TEACHING HOSPITALS NHS TRUST",
        1.6,
        ALL_TESTS,
    ),
    (
        "Y62",
        "NORTH WEST",
        "QYG",
        "RWW",
        "WARRINGTON AND HALTON TEACHING HOSPITALS NHS FOUNDATION TRUST",
        0.9,
        ALL_TESTS,
    ),
    (
        "Y62",
        "NORTH WEST",
        "QYG",
        "RJR",
        "COUNTESS OF CHESTER HOSPITAL NHS FOUNDATION TRUST",
        0.8,
        ALL_TESTS,
    ),
    (
        "Y62",
        "NORTH WEST",
        "QYG",
        "RBT",
        "MID CHESHIRE HOSPITALS NHS FOUNDATION TRUST",
        0.7,
        ALL_TESTS,
    ),
    (
        "Y62",
        "NORTH WEST",
        "QYG",
        "RJN",
        "EAST CHESHIRE NHS TRUST",
        0.4,
        (0, 1, 2, 4, 6, 11, 12, 13, 14),
    ),
    (
        "Y62",
        "NORTH WEST",
        "QYG",
        "RBQ",
        "LIVERPOOL HEART AND CHEST HOSPITAL NHS FOUNDATION TRUST",
        0.5,
        (0, 1, 6, 7, 9),
    ),
    (
        "Y62",
        "NORTH WEST",
        "QYG",
        "RBS",
        "ALDER HEY CHILDREN'S NHS FOUNDATION TRUST",
        0.5,
        (0, 1, 2, 5, 6, 9, 10),
    ),
    ("Y62", "NORTH WEST", "QYG", "RET", "THE WALTON CENTRE NHS FOUNDATION TRUST", 0.4, (0, 1, 8)),
    (
        "Y62",
        "NORTH WEST",
        "QYG",
        "REN",
        "THE CLATTERBRIDGE CANCER CENTRE NHS FOUNDATION TRUST",
        0.3,
        (0, 1, 2),
    ),
    ("Y62", "NORTH WEST", "QYG", "REP", "LIVERPOOL WOMEN'S NHS FOUNDATION TRUST", 0.3, (2, 10, 13)),
    (
        "Y62",
        "NORTH WEST",
        "QOP",
        "RM3",
        "NORTHERN CARE ALLIANCE NHS FOUNDATION TRUST",
        1.8,
        ALL_TESTS,
    ),
    (
        "Y62",
        "NORTH WEST",
        "QE1",
        "RXL",
        "BLACKPOOL TEACHING HOSPITALS NHS FOUNDATION TRUST",
        0.9,
        ALL_TESTS,
    ),
    ("Y62", "NORTH WEST", "NT3", "NT3", "SPIRE HEALTHCARE", 0.2, (0, 1, 2, 11, 14)),
    (
        "Y60",
        "MIDLANDS",
        "QHL",
        "RRK",
        "UNIVERSITY HOSPITALS BIRMINGHAM NHS FOUNDATION TRUST",
        2.5,
        ALL_TESTS,
    ),
)
COMMISSIONERS = {  # parent code -> (parent name, [(code, name)])
    "QYG": (
        "NHS CHESHIRE AND MERSEYSIDE INTEGRATED CARE BOARD",
        [
            ("99A", "NHS CHESHIRE AND MERSEYSIDE ICB - 99A"),
            ("12F", "NHS CHESHIRE AND MERSEYSIDE ICB - 12F"),
            ("27D", "NHS CHESHIRE AND MERSEYSIDE ICB - 27D"),
        ],
    ),
    "QOP": (
        "NHS GREATER MANCHESTER INTEGRATED CARE BOARD",
        [("14L", "NHS GREATER MANCHESTER ICB - 14L"), ("01D", "NHS GREATER MANCHESTER ICB - 01D")],
    ),
    "QE1": (
        "NHS LANCASHIRE AND SOUTH CUMBRIA INTEGRATED CARE BOARD",
        [("00R", "NHS LANCASHIRE AND SOUTH CUMBRIA ICB - 00R")],
    ),
    "QHL": (
        "NHS BIRMINGHAM AND SOLIHULL INTEGRATED CARE BOARD",
        [("15E", "NHS BIRMINGHAM AND SOLIHULL ICB - 15E")],
    ),
}
TEST_SCALE = np.array([900, 800, 2600, 15, 300, 400, 700, 60, 200, 150, 60, 250, 60, 150, 350])
BAND_HEADERS_WEB = [f"{i:02d} <{i + 1:02d} weeks" if i else "0 <01 weeks" for i in range(13)] + [
    "13+ weeks"
]
BAND_HEADERS_EXTRACT = [f"{i:02d} < {i + 1:02d} Week" + ("s" if i else "") for i in range(13)] + [
    "13+ Weeks"
]
ACTIVITY_WEB = [
    "Planned tests / procedures",
    "Unscheduled tests / procedures",
    "Waiting list tests / procedures (excluding planned)",
]


def dm01_rows(rng: np.random.Generator) -> pd.DataFrame:
    """One row per provider × commissioner × test: 14 bands and three activity counts."""
    shares = 0.75 ** np.arange(14)
    rows = []
    for region, region_name, parent, code, name, size, tests in PROVIDERS:
        parent_name, commissioners = COMMISSIONERS.get(parent, (name, [(code, name)]))
        weights = rng.dirichlet(np.ones(len(commissioners)) * 4)
        for t in tests:
            waiting = int(TEST_SCALE[t] * size * rng.uniform(0.7, 1.3)) + 1
            slow = rng.uniform(0.7, 1.25)
            bands = rng.multinomial(waiting, shares**slow / (shares**slow).sum())
            activity = np.array([int(waiting * 0.25), int(waiting * 0.9), int(waiting * 0.1)])
            activity = (activity * rng.uniform(0.6, 1.4, 3)).astype(int)
            split_bands = [rng.multinomial(b, weights) for b in bands]
            split_activity = [rng.multinomial(a, weights) for a in activity]
            for k, (ccode, cname) in enumerate(commissioners):
                rows.append(
                    {
                        "region": region,
                        "region_name": region_name,
                        "parent": parent,
                        "parent_name": parent_name if parent in COMMISSIONERS else name,
                        "code": code,
                        "name": name,
                        "commissioner_parent": parent,
                        "commissioner_parent_name": parent_name,
                        "commissioner": ccode,
                        "commissioner_name": cname,
                        "test": t,
                        **{f"b{i}": int(split_bands[i][k]) for i in range(14)},
                        "wla": int(split_activity[2][k]),
                        "planned": int(split_activity[0][k]),
                        "unscheduled": int(split_activity[1][k]),
                    }
                )
    return pd.DataFrame(rows)


def web_rows(detail: pd.DataFrame, by_test: bool, older: bool) -> tuple[list[list], list[int]]:
    """Header, England, blank, region and provider rows of a web-file sheet (+ bold row indexes)."""
    bands = [f"b{i}" for i in range(14)]
    keys = ["region", "region_name", "code", "name"] + (["test"] if by_test else [])
    summed = (
        detail.groupby(keys, sort=False)[bands + ["planned", "unscheduled", "wla"]]
        .sum()
        .reset_index()
    )

    def values(frame_row) -> list:
        b = [int(frame_row[c]) for c in bands]
        total, six, thirteen = sum(b), sum(b[6:]), b[13]
        pct = six / total if total else 0.0
        return [
            total,
            six,
            thirteen,
            pct,
            *b,
            int(frame_row["planned"]),
            int(frame_row["unscheduled"]),
            int(frame_row["wla"]),
        ]

    def test_cells(t: int) -> list:
        return [t + 1, TESTS[t][2] if older else TESTS[t][1]] if by_test else []

    region_head = (
        ["Area Team Code", "Area Team Name"]
        if older
        else ["Regional Team Code", "Regional Team Name"]
    )
    provider_head = ["Provider Code", "Provider Name" if older else "Provider"]
    test_head = ["Diagnostic ID", "Diagnostic Test Name"] if by_test else []
    header = [
        *region_head,
        *provider_head,
        *test_head,
        "Total Waiting List",
        "Number waiting 6+ Weeks",
        "Number waiting 13+ Weeks",
        "Percentage waiting 6+ weeks",
        *BAND_HEADERS_WEB,
        *ACTIVITY_WEB,
    ]
    rows: list[list] = [header]
    england = summed.groupby("test" if by_test else lambda _: 0).sum(numeric_only=True)
    for t, row in england.iterrows():
        rows.append(["", "", "-", "ENGLAND", *test_cells(int(t) if by_test else 0), *values(row)])
    rows.append([])
    for region, block in summed.groupby("region", sort=False):
        region_totals = block.groupby("test" if by_test else lambda _: 0).sum(numeric_only=True)
        for t, row in region_totals.iterrows():
            rows.append(
                [
                    region,
                    block["region_name"].iloc[0],
                    region,
                    block["region_name"].iloc[0],
                    *test_cells(int(t) if by_test else 0),
                    *values(row),
                ]
            )
        for _, row in block.iterrows():
            rows.append(
                [
                    row["region"],
                    row["region_name"],
                    row["code"],
                    row["name"],
                    *test_cells(int(row["test"]) if by_test else 0),
                    *values(row),
                ]
            )
    rows += [
        [],
        ["Notes:"],
        ["1. The England total includes providers not shown in this sample."],
        ["2. Synthetic sample data made for testing; not a publication."],
    ]
    return rows, [0]


TITLE = [
    ("Title:", "Diagnostics Waiting Times and Activity"),
    ("Summary:", "Monthly Diagnostics Waiting Times and Activity by Provider"),
    ("Period:", "May 2026"),
    ("Source:", "Monthly Diagnostics Data Collection (DM01), NHS England"),
    ("Basis:", "Provider"),
    ("Published:", "9 July 2026"),
    ("Revised:", "-"),
    ("Status:", "Published (Final) - Official Statistics"),
    ("Contact:", "england.nhsdata@nhs.net"),
]
HEADER_ROW = 14  # 1-based: 9 title rows, 3 blank, a merged group row, then the header


def group_spans(by_test: bool) -> list[tuple[int, int, str]]:
    start = 6 if by_test else 4
    return [
        (start, start + 3, "Waiting List"),
        (start + 4, start + 17, "Number of weeks waiting"),
        (start + 18, start + 20, "Activity"),
    ]


def write_xlsx(path: Path, sheets: dict[str, tuple[list[list], bool]]) -> None:
    import openpyxl
    from openpyxl.styles import Font

    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, (rows, by_test) in sheets.items():
        sheet = book.create_sheet(name)
        for i, (label, value) in enumerate(TITLE, start=1):
            sheet.cell(i, 1, label).font = Font(bold=True)
            sheet.cell(i, 3, value)
        for first, last, text in group_spans(by_test):
            sheet.cell(HEADER_ROW - 1, first + 1, text).font = Font(bold=True)
            sheet.merge_cells(
                start_row=HEADER_ROW - 1,
                start_column=first + 1,
                end_row=HEADER_ROW - 1,
                end_column=last + 1,
            )
        for r, row in enumerate(rows, start=HEADER_ROW):
            for c, value in enumerate(row, start=1):
                cell = sheet.cell(r, c, value)
                if r == HEADER_ROW:
                    cell.font = Font(bold=True)
                elif isinstance(value, float):
                    cell.number_format = "0.0%"
    stream = io.BytesIO()
    book.save(stream)
    path.write_bytes(_fixed_zip_times(stream.getvalue()))


def _fixed_zip_times(data: bytes) -> bytes:
    """Rewrite a zip with fixed member times and properties, so reruns give identical bytes."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as src,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst,
    ):
        for item in src.infolist():
            content = src.read(item.filename)
            if item.filename == "docProps/core.xml":
                import re

                content = re.sub(
                    rb"<dcterms:(created|modified)([^>]*)>[^<]*<",
                    rb"<dcterms:\1\2>2026-07-09T09:30:00Z<",
                    content,
                )
            info = zipfile.ZipInfo(item.filename, date_time=(2026, 7, 9, 9, 30, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(info, content)
    return out.getvalue()


def write_xls(path: Path, sheets: dict[str, tuple[list[list], bool]]) -> None:
    import xlwt

    book = xlwt.Workbook()
    bold = xlwt.easyxf("font: bold on")
    percent = xlwt.easyxf(num_format_str="0.0%")
    for name, (rows, by_test) in sheets.items():
        sheet = book.add_sheet(name)
        for i, (label, value) in enumerate(TITLE):
            sheet.write(i, 0, label, bold)
            sheet.write(i, 2, value)
        for first, last, text in group_spans(by_test):
            sheet.write_merge(HEADER_ROW - 2, HEADER_ROW - 2, first, last, text, bold)
        for r, row in enumerate(rows, start=HEADER_ROW - 1):
            for c, value in enumerate(row):
                if r == HEADER_ROW - 1:
                    sheet.write(r, c, value, bold)
                elif isinstance(value, float):
                    sheet.write(r, c, value, percent)
                else:
                    sheet.write(r, c, value)
    stream = io.BytesIO()
    book.save(stream)
    path.write_bytes(stream.getvalue())


def full_extract(detail: pd.DataFrame) -> str:
    """The 30-column full extract, with a TOTAL row (sort order 16) per provider × commissioner."""
    bands = [f"b{i}" for i in range(14)]
    out = []
    for (_code, _comm), block in detail.groupby(["code", "commissioner"], sort=False):
        totals = block[bands + ["wla", "planned", "unscheduled"]].sum()
        for _, row in [
            *block.iterrows(),
            (None, {**block.iloc[0].to_dict(), **totals.to_dict(), "test": 15}),
        ]:
            t = int(row["test"])
            b = [int(row[c]) for c in bands]
            act = [int(row["wla"]), int(row["planned"]), int(row["unscheduled"])]
            out.append(
                {
                    "Period": "DM01-MAY-2026",
                    "Provider Parent Org Code": row["parent"],
                    "Provider Parent Name": row["parent_name"],
                    "Provider Org Code": row["code"],
                    "Provider Org Name": row["name"],
                    "Commissioner Parent Org Code": row["commissioner_parent"],
                    "Commissioner Parent Name": row["commissioner_parent_name"],
                    "Commissioner Org Code": row["commissioner"],
                    "Commissioner Org Name": row["commissioner_name"],
                    "Diagnostic Tests Sort Order": t + 1,
                    "Diagnostic Tests": "TOTAL" if t == 15 else TESTS[t][0],
                    **dict(zip(BAND_HEADERS_EXTRACT, b, strict=True)),
                    "Total WL": sum(b),
                    "Waiting List Activity": act[0],
                    "Planned Activity": act[1],
                    "Unscheduled Activity": act[2],
                    "Total Activity": sum(act),
                }
            )
    return pd.DataFrame(out).to_csv(index=False, lineterminator="\r\n")


def deprivation(detail: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """The C&M imaging and echo waiting lists split by IMD quintile (1 = most deprived)."""
    bands = [f"b{i}" for i in range(14)]
    cm = detail[(detail["parent"] == "QYG") & detail["test"].isin([0, 1, 2, 6])]
    summed = cm.groupby(["code", "test"], sort=True)[bands].sum().reset_index()
    rows = []
    for _, row in summed.iterrows():
        weights = np.array([0.3, 0.24, 0.18, 0.15, 0.13])
        split = np.array([rng.multinomial(int(row[b]), weights) for b in bands])  # 14 x 5
        for q in range(5):
            b = split[:, q]
            rows.append(
                {
                    "period": "2026-05",
                    "provider_code": row["code"],
                    "test_code": TESTS[int(row["test"])][0],
                    "imd_quintile": q + 1,
                    "total_waiting": int(b.sum()),
                    "waiting_6_plus": int(b[6:].sum()),
                    "waiting_13_plus": int(b[13]),
                }
            )
    return pd.DataFrame(rows)


def main() -> None:
    rng = np.random.default_rng(SEED)
    detail = dm01_rows(rng)
    sheets_new = {
        "Provider": web_rows(detail, False, False)[0],
        "Provider by Test": web_rows(detail, True, False)[0],
    }
    sheets_old = {
        "Provider": web_rows(detail, False, True)[0],
        "Provider by Test": web_rows(detail, True, True)[0],
    }
    stem = "Monthly-Diagnostics-Web-File-Provider-May-2026"
    write_xlsx(HERE / f"{stem}.xlsx", {k: (v, k != "Provider") for k, v in sheets_new.items()})
    write_xls(HERE / f"{stem}.xls", {k: (v, k != "Provider") for k, v in sheets_old.items()})
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zipped:
        info = zipfile.ZipInfo("DM01-MAY-2026-full-extract.csv", date_time=(2026, 7, 9, 9, 30, 0))
        info.compress_type = zipfile.ZIP_DEFLATED
        zipped.writestr(info, full_extract(detail))
    (HERE / "DM01-MAY-2026-full-extract.zip").write_bytes(archive.getvalue())
    deprivation(detail, rng).to_csv(HERE / "dm01-deprivation-May-2026.csv", index=False)

    from make_activity import write_activity  # the theatre and diagnostics activity samples

    write_activity(HERE, np.random.default_rng(SEED + 1))

    from make_turnaround import write_turnaround  # reporting, pathology and appointments

    write_turnaround(HERE, np.random.default_rng(SEED + 2))


if __name__ == "__main__":
    import sys

    sys.path.insert(0, str(HERE))
    main()
    print(f"samples written to {HERE}")
