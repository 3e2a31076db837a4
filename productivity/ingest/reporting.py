"""Imaging reporting events (SPEC §3, ``--kind reporting``): one row per examination and its report.

From a radiology information system (RIS) export or a Diagnostic Imaging Dataset (DID) extract,
whose own column names are recognised (``RADIOLOGICAL ACCESSION NUMBER``, ``DIAGNOSTIC TEST
DATE``, ``SERVICE REPORT ISSUE DATE``, ...). A DID extract names no trust and no priority, so a
column map's ``[constants]`` sets them; with no modality column the modality comes from the NICIP
code's first letter (C CT, M MRI, U ultrasound, X plain film, F fluoroscopy, N nuclear medicine).
Times may carry an offset (``2025-04-14T22:00:00+01:00``) or be ``dd/mm/yyyy HH:MM`` London time;
all are stored as London wall-clock time. An empty report time means not yet reported; a report
before its test is a located error. Exact repeated rows are dropped (with a note); the
accession number is checked, never stored.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from pathlib import Path

import pandas as pd

from productivity.ingest.checks import (
    TRUST_ALIASES,
    ParsedFile,
    check_no_formulas,
    local_datetimes,
    mapped_frame,
    repeated_rows,
)
from productivity.ingest.imaging import MODALITY_VALUES as SCANNER_MODALITIES
from productivity.ingest.imd import MARKER_ALIASES, MARKERS, imd_quintiles
from productivity.ingest.maps import ColumnMap
from productivity.ingest.tabular import ColumnSpec, ProblemLog, Table
from productivity.ingest.values import map_values
from productivity.schema import (
    PATIENT_SOURCES,
    REPORTING_COLUMNS,
    REPORTING_MODALITIES,
    REPORTING_PRIORITIES,
)

SPEC = ColumnSpec(
    columns=(*(c for c in REPORTING_COLUMNS if c != "imd_quintile"), *MARKERS),
    required=("trust_code", "exam_id", "test_datetime", "report_datetime"),
    one_of=(("modality", "nicip_code"),),
    aliases={
        "trust_code": TRUST_ALIASES,
        "site": ("site code of imaging", "site code", "imaging site", "hospital", "site name"),
        "modality": ("modality code", "exam modality", "modality type", "imaging modality"),
        "exam_id": (
            "radiological accession number",
            "accession number",
            "accession no",
            "accession",
            "exam id",
            "examination id",
            "exam number",
        ),
        "priority": ("exam priority", "request priority", "urgency", "clinical priority"),
        "patient_source": (
            "patient source setting type diagnostic imaging",
            "patient source setting type",
            "patient source setting",
            "patient source",
            "source setting",
            "patient type",
        ),
        "test_datetime": (
            "diagnostic test date",
            "diagnostic test datetime",
            "diagnostic test date time",
            "test date",
            "test datetime",
            "test date time",
            "date of test",
            "exam performed",
        ),
        "report_datetime": (
            "service report issue date",
            "service report issue timestamp",
            "service report issue datetime",
            "service report issue date time",
            "report date",
            "report datetime",
            "report date time",
            "report issued",
            "date reported",
            "reported",
        ),
        "request_datetime": (
            "diagnostic test request date",
            "request date",
            "request datetime",
            "request date time",
            "date requested",
        ),
        "nicip_code": (
            "imaging code nicip",
            "nicip",
            "nicip code",
            "exam code",
            "examination code",
        ),
        **MARKER_ALIASES,
    },
)
MODALITY_VALUES: dict[str, str] = {
    **SCANNER_MODALITIES,
    "mr": "MRI",
    "xr": "XR",
    "x ray": "XR",
    "xray": "XR",
    "plain film": "XR",
    "plain x ray": "XR",
    "plain radiography": "XR",
    "radiography": "XR",
    "dx": "XR",
    "cr": "XR",
    "fluoro": "FLUORO",
    "fluoroscopy": "FLUORO",
    "rf": "FLUORO",
    "nm": "NM",
    "nuclear medicine": "NM",
    "radionuclide imaging": "NM",
    "obstetric ultrasound": "OTHER",
    "mammography": "OTHER",
    "mg": "OTHER",
    "pet": "OTHER",
    "pet ct": "OTHER",
    "other": "OTHER",
    **{m.lower(): m for m in REPORTING_MODALITIES},
}
MODALITY_EXPECTED = "one of " + ", ".join(REPORTING_MODALITIES)
# NICIP codes are "meaningful": the first letter is the modality.
NICIP_MODALITY: dict[str, str] = {
    "C": "CT",
    "M": "MRI",
    "U": "NOUS",
    "X": "XR",
    "F": "FLUORO",
    "N": "NM",
}
PRIORITY_VALUES: dict[str, str] = {
    "urgent": "urgent",
    "u": "urgent",
    "urg": "urgent",
    "emergency": "urgent",
    "immediate": "urgent",
    "2ww": "urgent",
    "two week wait": "urgent",
    "suspected cancer": "urgent",
    "routine": "routine",
    "r": "routine",
    "rout": "routine",
    "non urgent": "routine",
    "elective": "routine",
    "unknown": "unknown",
    "not known": "unknown",
    "not stated": "unknown",
}
PRIORITY_EXPECTED = "one of " + ", ".join(REPORTING_PRIORITIES)
PATIENT_SOURCE_VALUES: dict[str, str] = {
    **{code: code for code in PATIENT_SOURCES},
    **{code[1]: code for code in PATIENT_SOURCES},  # a spreadsheet drops the leading zero
    **{label: code for code, label in PATIENT_SOURCES.items()},
    "inpatient": "01",
    "admitted patient care inpatient": "01",
    "admitted patient care": "01",
    "ip": "01",
    "day case": "02",
    "daycase": "02",
    "admitted patient care day case": "02",
    "outpatient": "03",
    "op": "03",
    "gp direct access": "04",
    "gp direct": "04",
    "gp": "04",
    "direct access": "04",
    "a&e": "05",
    "a and e": "05",
    "ae": "05",
    "accident and emergency": "05",
    "accident and emergency department": "05",
    "emergency department": "05",
    "ed": "05",
    "other health care provider": "06",
    "other healthcare provider": "06",
    "other provider": "06",
    "other": "07",
}
PATIENT_SOURCE_EXPECTED = (
    "a DID patient source code 01-07 or its label ("
    + ", ".join(f"{code} {label}" for code, label in PATIENT_SOURCES.items())
    + ")"
)


def parse_reporting(
    table: Table,
    cmap: ColumnMap,
    known_trusts: Collection[str],
    log: ProblemLog,
    lsoa_lookup: Path | None = None,
) -> ParsedFile:
    """Validate reporting events and return one ``reporting_event`` row per examination.

    Raises:
        InputError: every located problem found (up to 50).
    """
    f, cols = mapped_frame(table, SPEC, cmap, known_trusts, log, ("trust_code", "exam_id"), None)
    label = cols.label
    check_no_formulas(f, ("site", "nicip_code"), log, label)
    modality = _modalities(f, log, label)
    priority, bad = map_values(f["priority"], PRIORITY_VALUES)
    log.add_mask(
        bad, label("priority"), f["priority"], f"unknown priority: expected {PRIORITY_EXPECTED}"
    )
    source, bad = map_values(f["patient_source"], PATIENT_SOURCE_VALUES)
    log.add_mask(
        bad,
        label("patient_source"),
        f["patient_source"],
        f"unknown patient source: expected {PATIENT_SOURCE_EXPECTED}",
    )
    test = local_datetimes(f, "test_datetime", log, label("test_datetime"))
    report = local_datetimes(f, "report_datetime", log, label("report_datetime"), required=False)
    request = local_datetimes(f, "request_datetime", log, label("request_datetime"), required=False)
    log.add_mask(
        report < test,
        label("report_datetime"),
        f["report_datetime"],
        "the report is before its test: expected a report date-time at or after "
        f"{label('test_datetime')}",
    )
    quintile = imd_quintiles(
        f, cols, log, lsoa_lookup or cmap.option_path("lsoa_lookup"), allow_empty=True
    )
    events = pd.DataFrame(
        {
            "trust_code": f["trust_code"],
            "site": f["site"],
            "modality": modality,
            "priority": priority.replace("", "unknown"),
            "patient_source": source.replace("", None),
            "test_datetime": test,
            "report_datetime": report,
            "request_datetime": request,
            "nicip_code": f["nicip_code"].str.upper().replace("", None),
            "imd_quintile": quintile.astype("Int64"),
        },
        index=f.index,
    )
    repeated = repeated_rows(
        events.assign(exam_id=f["exam_id"]),
        ["trust_code", "exam_id", "nicip_code"],
        log,
        label("exam_id"),
        f["exam_id"],
        "examination (trust, accession number and exam code)",
    )
    log.raise_if_any()
    events = events[~repeated].reset_index(drop=True)
    notes = (f"{int(repeated.sum())} exact repeated rows dropped",) if repeated.any() else ()
    return ParsedFile.dated(
        "reporting", log, "reporting_event", events, notes, "test_datetime",
        row_dates=test[~repeated], date_label=label("test_datetime"),
    )  # fmt: skip


def _modalities(f: pd.DataFrame, log: ProblemLog, label: Callable[[str], str]) -> pd.Series:
    """The modality column mapped to a canonical value, else the NICIP code's first letter."""
    modality, bad = map_values(f["modality"], MODALITY_VALUES)
    log.add_mask(
        bad, label("modality"), f["modality"], f"unknown modality: expected {MODALITY_EXPECTED}"
    )
    letter = f["nicip_code"].str.strip().str[:1].str.upper()
    from_code = letter.map(NICIP_MODALITY).fillna("OTHER").where(letter != "", "")
    modality = modality.where(modality != "", from_code)
    log.add_mask(
        (modality == "") & ~bad,
        label("modality"),
        None,
        f"value is empty: expected a modality ({MODALITY_EXPECTED}) or a NICIP code",
    )
    return modality
