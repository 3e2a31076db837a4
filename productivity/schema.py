"""Canonical column names of every source (SPEC §3), shared by importers, synth and metrics.

One place owns the shape of the data so that an importer, the demo generator and a metric can
never disagree about a column name. Pure: stdlib only.
"""

from __future__ import annotations

# Theatre extract: one row per case; a list on which no case ran is one row with empty case fields.
THEATRE_COLUMNS: tuple[str, ...] = (
    "trust_code", "site", "theatre", "session_date", "session", "planned_start", "planned_end",
    "specialty", "case_id", "procedure_code", "priority", "anaesthetic_start", "into_theatre",
    "knife_to_skin", "out_of_theatre", "cancelled", "cancel_reason", "cancel_clinical",
)  # fmt: skip
THEATRE_LIST_KEY: tuple[str, ...] = ("trust_code", "site", "theatre", "session_date", "session")
SESSIONS: tuple[str, ...] = ("AM", "PM", "EVE", "ALL")
PRIORITIES: tuple[str, ...] = ("elective", "daycase", "emergency")

# Normalised frames the theatre metrics take (built by ingest/synth, stored by models):
# lists: one row per list; planned_start/planned_end are full datetimes (an overnight session
# ends the next day).
LIST_COLUMNS: tuple[str, ...] = (
    "list_id", "trust_code", "site", "theatre", "session_date", "session", "specialty",
    "planned_start", "planned_end",
)  # fmt: skip
# cases: one row per case; the four milestones are datetimes (NaT where missing).
CASE_COLUMNS: tuple[str, ...] = (
    "list_id", "case_id", "specialty", "procedure_code", "priority", "anaesthetic_start",
    "into_theatre", "knife_to_skin", "out_of_theatre", "cancelled", "cancel_reason",
    "cancel_clinical",
)  # fmt: skip

# Theatre bookings (the 6-4-2 look-ahead): one row per booked case on a future list; an unbooked
# list is one row with empty case fields. consultant_code and booked_minutes are optional.
BOOKING_COLUMNS: tuple[str, ...] = (
    "trust_code", "site", "theatre", "session_date", "session", "planned_start", "planned_end",
    "specialty", "case_id", "procedure_code", "priority", "consultant_code", "booked_minutes",
)  # fmt: skip

IMAGING_COLUMNS: tuple[str, ...] = (
    "trust_code", "site", "scanner_id", "modality", "date", "operational_hours", "scans",
)  # fmt: skip
MODALITIES: tuple[str, ...] = ("CT", "MRI", "NOUS")

ENDOSCOPY_COLUMNS: tuple[str, ...] = (
    "trust_code", "site", "room", "date", "session", "planned_points", "used_points", "procedures",
)  # fmt: skip

ECHO_COLUMNS: tuple[str, ...] = ("trust_code", "site", "date", "tests", "scheduled_minutes")

# DM01: the 14 waiting-time bands, 0-<1 week ... 12-<13 weeks, then 13+ weeks.
DM01_BANDS: tuple[str, ...] = tuple(f"weeks_{i:02d}" for i in range(13)) + ("weeks_13_plus",)
# Bands that count as waiting 6+ weeks: 06 < 07 Weeks ... 13+ Weeks.
DM01_BANDS_6_PLUS: tuple[str, ...] = DM01_BANDS[6:]
DM01_COLUMNS: tuple[str, ...] = (
    "period", "provider_code", "provider_name", "test_code", "total_waiting", "waiting_6_plus",
    "waiting_13_plus", *DM01_BANDS, "waiting_list_activity", "planned_activity",
    "unscheduled_activity", "total_activity",
)  # fmt: skip

# The 15 DM01 tests, in the publication's sort order (the TOTAL row is 16 and is skipped).
DM01_TESTS: dict[str, str] = {
    "MRI": "Magnetic Resonance Imaging",
    "CT": "Computed Tomography",
    "NON_OBSTETRIC_ULTRASOUND": "Non-obstetric Ultrasound",
    "BARIUM_ENEMA": "Barium Enema",
    "DEXA_SCAN": "DEXA Scan",
    "AUDIOLOGY_ASSESSMENTS": "Audiology - Audiology Assessments",
    "ECHOCARDIOGRAPHY": "Cardiology - Echocardiography",
    "ELECTROPHYSIOLOGY": "Cardiology - Electrophysiology",
    "PERIPHERAL_NEUROPHYS": "Neurophysiology - Peripheral Neurophysiology",
    "SLEEP_STUDIES": "Respiratory physiology - Sleep Studies",
    "URODYNAMICS": "Urodynamics - Pressures & Flows",
    "COLONOSCOPY": "Colonoscopy",
    "FLEXI_SIGMOIDOSCOPY": "Flexi Sigmoidoscopy",
    "CYSTOSCOPY": "Cystoscopy",
    "GASTROSCOPY": "Gastroscopy",
}
# Which DM01 test a productivity modality feeds (for backlog weeks and mutual aid).
MODALITY_DM01_TEST: dict[str, str] = {
    "CT": "CT",
    "MRI": "MRI",
    "NOUS": "NON_OBSTETRIC_ULTRASOUND",
    "echo": "ECHOCARDIOGRAPHY",
}

# Imaging reporting events (``--kind reporting``): one row per examination, from the RIS or a
# Diagnostic Imaging Dataset extract. Times are Europe/London wall-clock; an empty
# report_datetime means not yet reported. The store keeps the IMD quintile, never an LSOA code.
REPORTING_COLUMNS: tuple[str, ...] = (
    "trust_code", "site", "modality", "exam_id", "priority", "patient_source", "test_datetime",
    "report_datetime", "request_datetime", "nicip_code", "imd_quintile",
)  # fmt: skip
# What the store keeps of an event (no accession number: the measures need when, what, where).
REPORTING_EVENT_COLUMNS: tuple[str, ...] = tuple(c for c in REPORTING_COLUMNS if c != "exam_id")
REPORTING_MODALITIES: tuple[str, ...] = ("CT", "MRI", "NOUS", "XR", "FLUORO", "NM", "OTHER")
REPORTING_PRIORITIES: tuple[str, ...] = ("urgent", "routine", "unknown")
# DID PATIENT SOURCE SETTING TYPE (DIAGNOSTIC IMAGING): the setting the patient came from.
PATIENT_SOURCES: dict[str, str] = {
    "01": "Inpatient",
    "02": "Day case",
    "03": "Outpatient",
    "04": "GP direct access",
    "05": "A&E",
    "06": "Other health care provider",
    "07": "Other",
}

# Histopathology specimens (``--kind pathology``), from the laboratory system (LIMS); an empty
# authorised_datetime means not yet authorised.
PATHOLOGY_COLUMNS: tuple[str, ...] = (
    "trust_code", "lab", "specimen_id", "specimen_type", "cancer_pathway", "received_datetime",
    "authorised_datetime",
)  # fmt: skip
# What the store keeps of a specimen (no specimen number).
PATHOLOGY_SPECIMEN_COLUMNS: tuple[str, ...] = tuple(
    c for c in PATHOLOGY_COLUMNS if c != "specimen_id"
)
SPECIMEN_TYPES: tuple[str, ...] = ("biopsy", "resection", "cytology", "other")

# Appointments with attendance (``--kind appointments``): attendance_code is the NHS Data
# Dictionary ATTENDED OR DID NOT ATTEND code (0, 2-7); imd_quintile 1 = most deprived.
APPOINTMENT_COLUMNS: tuple[str, ...] = (
    "trust_code", "service", "appointment_date", "attendance_code", "imd_quintile",
    "first_or_follow_up",
)  # fmt: skip
