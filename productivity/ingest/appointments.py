"""Appointments with attendance (SPEC §3, ``--kind appointments``), for DNA rates by deprivation.

One row per outpatient or diagnostic appointment: ``trust_code, service, appointment_date,
attendance_code`` and a deprivation marker (IMD quintile or decile, or an LSOA code with the
lookup of :mod:`productivity.ingest.imd`; an empty marker means deprivation not known), optional
``first_or_follow_up``. ``attendance_code`` is the NHS Data Dictionary ATTENDED OR DID NOT
ATTEND code (0, 2-7), given as a number or as a usual label ("Attended", "DNA", "Did not
attend", "Patient cancelled", ...). A service that names a modality (CT, MRI, ultrasound) is
stored as the modality's code; anything else (endoscopy, a treatment function code) as given.
"""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path

import pandas as pd

from productivity.ingest.checks import (
    TRUST_ALIASES,
    ParsedFile,
    check_no_formulas,
    local_datetimes,
    mapped_frame,
)
from productivity.ingest.imaging import MODALITY_VALUES
from productivity.ingest.imd import MARKER_ALIASES, MARKERS, imd_quintiles
from productivity.ingest.maps import ColumnMap
from productivity.ingest.tabular import ColumnSpec, ProblemLog, Table
from productivity.ingest.values import map_values
from productivity.metrics.attendance import ATTENDANCE_CODE_LABELS
from productivity.schema import APPOINTMENT_COLUMNS

SPEC = ColumnSpec(
    columns=(*(c for c in APPOINTMENT_COLUMNS if c != "imd_quintile"), *MARKERS),
    required=("trust_code", "service", "appointment_date", "attendance_code"),
    aliases={
        "trust_code": TRUST_ALIASES,
        "service": (
            "modality",
            "treatment function code",
            "treatment function",
            "service code",
            "clinic type",
        ),
        "appointment_date": (
            "appointment date",
            "appointment datetime",
            "appointment date time",
            "appt date",
            "attendance date",
        ),
        "attendance_code": (
            "attended or did not attend",
            "attended or did not attend code",
            "attendance",
            "attendance code",
            "attendance status",
            "attendance outcome",
            "dna code",
        ),
        "first_or_follow_up": (
            "first attendance",
            "first or follow up",
            "new or follow up",
            "appointment type",
        ),
        **MARKER_ALIASES,
    },
)
# The usual labels of the ATTENDED OR DID NOT ATTEND codes (keys compared as tabular.norm does).
ATTENDANCE_VALUES: dict[str, str] = {
    **{str(code): str(code) for code in ATTENDANCE_CODE_LABELS},
    **{f"0{code}": str(code) for code in ATTENDANCE_CODE_LABELS},
    **{label: str(code) for code, label in ATTENDANCE_CODE_LABELS.items()},
    "attended": "5",
    "seen": "5",
    "attended on time": "5",
    "attended seen on time": "5",
    "arrived late but seen": "6",
    "attended late seen": "6",
    "late seen": "6",
    "arrived late and not seen": "7",
    "attended late not seen": "7",
    "late not seen": "7",
    "too late to be seen": "7",
    "patient cancelled": "2",
    "cancelled by patient": "2",
    "cancelled by or on behalf of the patient": "2",
    "could not attend": "2",
    "cna": "2",
    "dna": "3",
    "did not attend": "3",
    "did not attend no advance warning given": "3",
    "no show": "3",
    "hospital cancelled": "4",
    "provider cancelled": "4",
    "cancelled by provider": "4",
    "cancelled by hospital": "4",
    "cancelled or postponed by the health care provider": "4",
    "not applicable": "0",
    "future appointment": "0",
    # The NHS Data Dictionary's own value descriptions, word for word (as norm() leaves them).
    "attended on time or if late before the relevant care professional was ready to see the "
    "patient": "5",
    "arrived late after the relevant care professional was ready to see the patient but was "
    "seen": "6",
    "patient arrived late and could not be seen": "7",
    "appointment cancelled by or on behalf of the patient": "2",
    "appointment cancelled or postponed by the health care provider": "4",
    "not applicable appointment occurs in the future": "0",
}
ATTENDANCE_EXPECTED = (
    "an ATTENDED OR DID NOT ATTEND code ("
    + ", ".join(f"{code} {label.lower()}" for code, label in sorted(ATTENDANCE_CODE_LABELS.items()))
    + ") or its label"
)
SERVICE_VALUES: dict[str, str] = {
    **MODALITY_VALUES,
    "endoscopy": "Endoscopy",
    "gi endoscopy": "Endoscopy",
    "endo": "Endoscopy",
}
FIRST_VALUES: dict[str, str] = {
    "first": "first",
    "new": "first",
    "1": "first",
    "3": "first",
    "follow up": "follow_up",
    "followup": "follow_up",
    "fu": "follow_up",
    "review": "follow_up",
    "2": "follow_up",
    "4": "follow_up",
}
FIRST_EXPECTED = "first (or 1, 3, new) or follow up (or 2, 4, review)"


def parse_appointments(
    table: Table,
    cmap: ColumnMap,
    known_trusts: Collection[str],
    log: ProblemLog,
    lsoa_lookup: Path | None = None,
) -> ParsedFile:
    """Validate appointments and return one ``appointment`` row each.

    Raises:
        InputError: every located problem found (up to 50).
    """
    f, cols = mapped_frame(
        table,
        SPEC,
        cmap,
        known_trusts,
        log,
        ("trust_code", "service", "attendance_code"),
        None,
    )
    label = cols.label
    check_no_formulas(f, ("service",), log, label)
    service, _ = map_values(f["service"], SERVICE_VALUES, keep_unknown=True)
    code, bad = map_values(f["attendance_code"], ATTENDANCE_VALUES)
    log.add_mask(
        bad,
        label("attendance_code"),
        f["attendance_code"],
        f"unknown attendance: expected {ATTENDANCE_EXPECTED}",
    )
    first, bad = map_values(f["first_or_follow_up"], FIRST_VALUES)
    log.add_mask(
        bad,
        label("first_or_follow_up"),
        f["first_or_follow_up"],
        f"unknown first or follow-up: expected {FIRST_EXPECTED}",
    )
    when = local_datetimes(f, "appointment_date", log, label("appointment_date"))
    quintile = imd_quintiles(
        f, cols, log, lsoa_lookup or cmap.option_path("lsoa_lookup"), allow_empty=True
    )
    log.raise_if_any()
    appointments = pd.DataFrame(
        {
            "trust_code": f["trust_code"],
            "service": service,
            "appointment_date": when.dt.normalize(),
            "attendance_code": pd.to_numeric(code).astype("int64"),
            "imd_quintile": quintile.astype("Int64"),
            "first_or_follow_up": first.replace("", None),
        }
    ).reset_index(drop=True)
    return ParsedFile.dated(
        "appointments", log, "appointment", appointments, (), "appointment_date",
        row_dates=when, date_label=label("appointment_date"),
    )  # fmt: skip
