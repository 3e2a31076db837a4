"""Reporting, pathology and appointment samples (called by ``make_samples.py``; deterministic).

Writes, for Wirral (RBL) in May 2026:

- ``reporting-events-RBL-May-2026.csv``: canonical imaging reporting events, one row per exam,
  times as ISO 8601 with an offset or ``dd/mm/yyyy HH:MM``, patient sources as codes or labels,
  some exams not yet reported;
- ``DID-extract-RBL-May-2026.csv``: the same kind of events as a record-level Diagnostic Imaging
  Dataset extract (the DID's own column names, no trust or priority, and NHS number, birth date
  and postcode columns, all synthetic). Load it with the map and ``--drop-identifiers``::

      python -m productivity import data/samples/DID-extract-RBL-May-2026.csv \\
          --map data/maps/did.toml --drop-identifiers

- ``pathology-specimens-RBL-May-2026.csv``: histopathology specimens from the lab system;
- ``appointments-RBL-May-2026.csv``: CT, MRI and endoscopy appointments with attendance codes
  (numbers and labels) and IMD deciles.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd

MAY = [dt.date(2026, 5, d) for d in range(1, 32)]
WORKING = [
    d for d in MAY if d.weekday() < 5 and d not in (dt.date(2026, 5, 4), dt.date(2026, 5, 25))
]
SOURCES = {"01": "Inpatient", "03": "Outpatient", "04": "GP direct access", "05": "A&E"}
NICIP = {"CT": ("CHEAD", "CCAPC"), "MRI": ("MBRAI", "MLSPI"), "NOUS": ("UABDO",), "XR": ("XCHES",)}
# Synthetic NHS numbers from the range set aside for testing (999 000 0000 to 999 999 9999).
_WEIGHTS = np.arange(10, 1, -1)


def _nhs_number(rng: np.random.Generator) -> str:
    while True:
        digits = [9, 9, 9, *rng.integers(0, 10, 6)]
        check = 11 - int(np.dot(digits, _WEIGHTS)) % 11
        check = 0 if check == 11 else check
        if check != 10:
            return "".join(map(str, digits)) + str(check)


def _offset(moment: dt.datetime) -> str:
    """London wall-clock time as ISO 8601 with its BST offset (May is BST, +01:00)."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S") + "+01:00"


def reporting(rng: np.random.Generator) -> pd.DataFrame:
    rows = []
    for number in range(40):
        modality = ("CT", "MRI", "NOUS", "XR")[number % 4]
        day = MAY[int(rng.integers(0, 28))]
        test = dt.datetime.combine(day, dt.time(int(rng.integers(8, 20)), int(rng.integers(0, 60))))
        source = list(SOURCES)[int(rng.integers(0, 4))]
        urgent = source in ("01", "05") or rng.random() < 0.15
        hours = float(rng.lognormal(np.log(20 if urgent else 120), 1.0))
        report = test + dt.timedelta(hours=max(0.5, hours))
        unreported = report > dt.datetime(2026, 5, 31, 18, 0) or number in (7, 22)
        asked = test - dt.timedelta(days=int(rng.integers(0, 20)))
        rows.append(
            {
                "trust_code": "RBL",
                "site": "RBL01" if number % 5 else "RBL02",
                "modality": modality,
                "exam_id": f"RBL{730000 + number}",
                "priority": "urgent" if urgent else "routine",
                # RIS exports mix codes and labels; both are accepted.
                "patient_source": source if number % 2 else SOURCES[source],
                "test_datetime": _offset(test) if number % 3 else f"{test:%d/%m/%Y %H:%M}",
                "report_datetime": "" if unreported else _offset(report),
                "request_datetime": f"{asked:%Y-%m-%d}",
                "nicip_code": NICIP[modality][number % len(NICIP[modality])],
                "imd_decile": int(rng.integers(1, 11)),
            }
        )
    return pd.DataFrame(rows)


def did_extract(rng: np.random.Generator) -> pd.DataFrame:
    """A record-level DID extract: DID column names, no trust or priority, and identifiers."""
    rows = []
    for number in range(30):
        modality = ("CT", "MRI", "NOUS", "XR", "CT")[number % 5]
        day = MAY[int(rng.integers(0, 28))]
        test = dt.datetime.combine(day, dt.time(int(rng.integers(8, 20)), int(rng.integers(0, 60))))
        report = test + dt.timedelta(hours=float(rng.lognormal(np.log(60), 1.0)))
        born = dt.date(1940, 1, 1) + dt.timedelta(days=int(rng.integers(0, 28000)))
        rows.append(
            {
                "NHS NUMBER": _nhs_number(rng),
                "PERSON BIRTH DATE": f"{born:%Y-%m-%d}",
                "POSTCODE OF USUAL ADDRESS": "ZZ99 3VZ",  # the NHS "no fixed abode" pseudo-postcode
                "PATIENT SOURCE SETTING TYPE (DIAGNOSTIC IMAGING)": list(SOURCES)[number % 4],
                "DIAGNOSTIC TEST REQUEST DATE": f"{test - dt.timedelta(days=3):%Y-%m-%d}",
                "IMAGING CODE (NICIP)": NICIP[modality][number % len(NICIP[modality])],
                "DIAGNOSTIC TEST DATE": f"{test:%Y-%m-%d %H:%M}",
                "SERVICE REPORT ISSUE DATE": "" if number == 11 else f"{report:%Y-%m-%d %H:%M}",
                "SITE CODE (OF IMAGING)": "RBL01",
                "RADIOLOGICAL ACCESSION NUMBER": f"RBL{740000 + number}",
            }
        )
    return pd.DataFrame(rows)


def pathology(rng: np.random.Generator) -> pd.DataFrame:
    rows = []
    types = ("biopsy", "biopsy", "resection", "cytology", "other")
    for number in range(30):
        received_day = WORKING[int(rng.integers(0, len(WORKING) - 2))]
        received = dt.datetime.combine(received_day, dt.time(int(rng.integers(9, 17)), 15))
        working_days = int(max(1, round(float(rng.lognormal(np.log(6), 0.4)))))
        authorised_day = np.busday_offset(
            received_day, working_days, roll="forward", holidays=["2026-05-04", "2026-05-25"]
        ).astype(dt.date)
        authorised = dt.datetime.combine(authorised_day, dt.time(16, 30))
        rows.append(
            {
                "trust_code": "RBL",
                "lab": "RBL Cellular Pathology",
                "specimen_id": f"H26.{1200 + number}",
                "specimen_type": types[number % len(types)],
                "cancer_pathway": "Y" if number % 3 == 0 else "N",
                "received_datetime": f"{received:%d/%m/%Y %H:%M}",
                "authorised_datetime": ""
                if authorised > dt.datetime(2026, 5, 31, 18, 0)
                else f"{authorised:%d/%m/%Y %H:%M}",
            }
        )
    return pd.DataFrame(rows)


def appointments(rng: np.random.Generator) -> pd.DataFrame:
    labels = {5: "Attended", 3: "DNA", 2: "Patient cancelled", 4: "Hospital cancelled"}
    rows = []
    for number in range(60):
        decile = int(rng.integers(1, 11))
        missed = rng.random() < (0.14 if decile <= 2 else 0.06)
        code = 3 if missed else int(rng.choice([5, 5, 5, 5, 5, 5, 6, 2, 4]))
        rows.append(
            {
                "trust_code": "RBL",
                "service": ("CT", "MRI", "Endoscopy")[number % 3],
                "appointment_date": f"{WORKING[number % len(WORKING)]:%Y-%m-%d}",
                # Extracts mix the code and its label; both are accepted.
                "attendance_code": labels.get(code, code) if number % 2 else code,
                "imd_decile": decile,
                "first_or_follow_up": "first" if number % 4 else "follow up",
            }
        )
    return pd.DataFrame(rows)


def write_turnaround(here: Path, rng: np.random.Generator) -> None:
    reporting(rng).to_csv(here / "reporting-events-RBL-May-2026.csv", index=False)
    did_extract(rng).to_csv(here / "DID-extract-RBL-May-2026.csv", index=False)
    pathology(rng).to_csv(here / "pathology-specimens-RBL-May-2026.csv", index=False)
    appointments(rng).to_csv(here / "appointments-RBL-May-2026.csv", index=False)
