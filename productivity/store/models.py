"""SQLModel tables of the store.

Case-level tables (``theatre_list``, ``theatre_case``, ``scanner_day``, ...) hold what importers
load; every row carries the ``import_run`` that wrote it, so a corrected file can replace exactly
one trust and period. Pages never read these directly: they read the ``mart_*`` tables that
``marts.py`` rebuilds. No patient-identifiable field exists anywhere in this schema.
"""

from __future__ import annotations

import datetime as dt

from pydantic import NaiveDatetime
from sqlalchemy import Index, Table, UniqueConstraint
from sqlmodel import Field, SQLModel


def table_of(model: type[SQLModel]) -> Table:
    """The SQLAlchemy table of a model class, typed (SQLModel declares no ``__table__``)."""
    table = SQLModel.metadata.tables.get(str(model.__tablename__))
    if table is None:
        raise ValueError(f"{model.__name__} is not a table model")
    return table


def utc_now() -> dt.datetime:
    """Audit timestamps are stored in UTC; case and list times are local wall-clock times."""
    return dt.datetime.now(dt.UTC)


class SchemaVersion(SQLModel, table=True):
    __tablename__ = "schema_version"
    version: int = Field(primary_key=True)
    applied_at: dt.datetime = Field(default_factory=utc_now)


class Trust(SQLModel, table=True):
    __tablename__ = "trust"
    trust_code: str = Field(primary_key=True, max_length=5)
    name: str
    type: str  # acute | specialist | ambulance
    parent_code: str | None = None


class Site(SQLModel, table=True):
    __tablename__ = "site"
    site: str = Field(primary_key=True)
    trust_code: str = Field(foreign_key="trust.trust_code", index=True)
    site_name: str
    latitude: float | None = None
    longitude: float | None = None


class ImportRun(SQLModel, table=True):
    """One file loaded (or refused). ``file_hash`` makes imports idempotent."""

    __tablename__ = "import_run"
    id: int | None = Field(default=None, primary_key=True)
    kind: str
    file_name: str
    file_hash: str = Field(index=True)
    status: str  # loaded | failed | duplicate
    rows: int = 0
    replaced_rows: int = 0
    trust_codes: str = ""  # comma-separated
    period_from: dt.date | None = None
    period_to: dt.date | None = None
    message: str = ""
    started_at: dt.datetime = Field(default_factory=utc_now)
    finished_at: dt.datetime | None = None
    source: str = "cli"  # cli | upload | scheduler | demo


class ImportIssue(SQLModel, table=True):
    """Data-quality counts an importer found but did not store (e.g. duplicate rows dropped).

    Read by the data-quality report; only runs whose rows are still in the store count.
    """

    __tablename__ = "import_issue"
    id: int | None = Field(default=None, primary_key=True)
    import_run_id: int = Field(foreign_key="import_run.id", index=True, ondelete="CASCADE")
    trust_code: str
    month: dt.date
    issue: str
    count: int


class TheatreList(SQLModel, table=True):
    __tablename__ = "theatre_list"
    __table_args__ = (
        UniqueConstraint("trust_code", "site", "theatre", "session_date", "session"),
        Index("ix_theatre_list_trust_date", "trust_code", "session_date"),
    )
    list_id: int = Field(primary_key=True)
    trust_code: str = Field(foreign_key="trust.trust_code")
    site: str
    theatre: str
    session_date: dt.date
    session: str
    specialty: str
    planned_start: NaiveDatetime
    planned_end: NaiveDatetime
    import_run_id: int | None = Field(default=None, foreign_key="import_run.id", index=True)


class TheatreCase(SQLModel, table=True):
    __tablename__ = "theatre_case"
    # The unique (list_id, case_id) index serves lookups by list_id too (a list's cases, the
    # cascade from theatre_list): a separate list_id index would only slow every insert.
    __table_args__ = (UniqueConstraint("list_id", "case_id"),)
    id: int | None = Field(default=None, primary_key=True)
    list_id: int = Field(foreign_key="theatre_list.list_id", ondelete="CASCADE")
    case_id: str
    specialty: str
    procedure_code: str | None = None
    priority: str | None = None
    anaesthetic_start: NaiveDatetime | None = None
    into_theatre: NaiveDatetime | None = None
    knife_to_skin: NaiveDatetime | None = None
    out_of_theatre: NaiveDatetime | None = None
    cancelled: bool = False
    cancel_reason: str | None = None
    cancel_clinical: bool = False


class TheatreBooking(SQLModel, table=True):
    """One booked case on a future list (the 6-4-2 look-ahead); an unbooked list is one row
    with no case. A newer bookings file replaces a trust's rows over its date range."""

    __tablename__ = "theatre_booking"
    __table_args__ = (Index("ix_theatre_booking_trust_date", "trust_code", "session_date"),)
    id: int | None = Field(default=None, primary_key=True)
    trust_code: str = Field(foreign_key="trust.trust_code")
    site: str
    theatre: str
    session_date: dt.date
    session: str
    specialty: str
    planned_start: NaiveDatetime
    planned_end: NaiveDatetime
    case_id: str | None = None
    procedure_code: str | None = None
    priority: str | None = None
    consultant_code: str | None = None
    booked_minutes: float | None = None
    import_run_id: int | None = Field(default=None, foreign_key="import_run.id", index=True)


class ScannerDay(SQLModel, table=True):
    __tablename__ = "scanner_day"
    __table_args__ = (
        UniqueConstraint("trust_code", "scanner_id", "date"),
        Index("ix_scanner_day_trust_date", "trust_code", "date"),
    )
    id: int | None = Field(default=None, primary_key=True)
    trust_code: str = Field(foreign_key="trust.trust_code")
    site: str
    scanner_id: str
    modality: str
    date: dt.date
    operational_hours: float
    scans: int
    import_run_id: int | None = Field(default=None, foreign_key="import_run.id", index=True)


class EndoscopyList(SQLModel, table=True):
    __tablename__ = "endoscopy_list"
    __table_args__ = (
        UniqueConstraint("trust_code", "site", "room", "date", "session"),
        Index("ix_endoscopy_list_trust_date", "trust_code", "date"),
    )
    id: int | None = Field(default=None, primary_key=True)
    trust_code: str = Field(foreign_key="trust.trust_code")
    site: str
    room: str
    date: dt.date
    session: str
    planned_points: float
    used_points: float
    procedures: int | None = None
    import_run_id: int | None = Field(default=None, foreign_key="import_run.id", index=True)


class EchoActivity(SQLModel, table=True):
    __tablename__ = "echo_activity"
    __table_args__ = (UniqueConstraint("trust_code", "site", "date"),)
    id: int | None = Field(default=None, primary_key=True)
    trust_code: str = Field(foreign_key="trust.trust_code", index=True)
    site: str
    date: dt.date
    tests: int
    scheduled_minutes: float
    import_run_id: int | None = Field(default=None, foreign_key="import_run.id", index=True)


class DM01Return(SQLModel, table=True):
    """One month × provider × test of the DM01 waiting-times return (commissioners summed)."""

    __tablename__ = "dm01_return"
    __table_args__ = (UniqueConstraint("period", "provider_code", "test_code"),)
    id: int | None = Field(default=None, primary_key=True)
    period: dt.date = Field(index=True)
    provider_code: str = Field(index=True)
    provider_name: str
    test_code: str
    total_waiting: int
    waiting_6_plus: int
    waiting_13_plus: int
    weeks_00: int = 0
    weeks_01: int = 0
    weeks_02: int = 0
    weeks_03: int = 0
    weeks_04: int = 0
    weeks_05: int = 0
    weeks_06: int = 0
    weeks_07: int = 0
    weeks_08: int = 0
    weeks_09: int = 0
    weeks_10: int = 0
    weeks_11: int = 0
    weeks_12: int = 0
    weeks_13_plus: int = 0
    waiting_list_activity: int = 0
    planned_activity: int = 0
    unscheduled_activity: int = 0
    total_activity: int = 0
    import_run_id: int | None = Field(default=None, foreign_key="import_run.id", index=True)


class DM01Deprivation(SQLModel, table=True):
    """DM01-style waiting list split by IMD quintile (1 = most deprived)."""

    __tablename__ = "dm01_imd"
    __table_args__ = (UniqueConstraint("period", "provider_code", "test_code", "imd_quintile"),)
    id: int | None = Field(default=None, primary_key=True)
    period: dt.date = Field(index=True)
    provider_code: str
    test_code: str
    imd_quintile: int
    total_waiting: int
    waiting_6_plus: int
    waiting_13_plus: int
    weeks_00: int | None = None
    weeks_01: int | None = None
    weeks_02: int | None = None
    weeks_03: int | None = None
    weeks_04: int | None = None
    weeks_05: int | None = None
    weeks_06: int | None = None
    weeks_07: int | None = None
    weeks_08: int | None = None
    weeks_09: int | None = None
    weeks_10: int | None = None
    weeks_11: int | None = None
    weeks_12: int | None = None
    weeks_13_plus: int | None = None  # bands are optional: some sources give totals only
    import_run_id: int | None = Field(default=None, foreign_key="import_run.id", index=True)


class ReportingEvent(SQLModel, table=True):
    """One imaging examination and its report (SPEC §3), in Europe/London wall-clock time.

    No accession number, NICIP description or free text is kept: the reporting measures need
    only when, what and where; ``report_datetime`` is NULL while the exam is unreported.
    """

    __tablename__ = "reporting_event"
    __table_args__ = (Index("ix_reporting_event_trust_test", "trust_code", "test_datetime"),)
    id: int | None = Field(default=None, primary_key=True)
    trust_code: str = Field(foreign_key="trust.trust_code")
    site: str = ""
    modality: str  # CT | MRI | NOUS | XR | FLUORO | NM | OTHER
    priority: str  # urgent | routine | unknown
    patient_source: str | None = None  # DID code 01-07
    test_datetime: NaiveDatetime
    report_datetime: NaiveDatetime | None = None
    request_datetime: NaiveDatetime | None = None
    nicip_code: str | None = None
    imd_quintile: int | None = None  # 1 = most deprived
    import_run_id: int | None = Field(default=None, foreign_key="import_run.id", index=True)


class PathologySpecimen(SQLModel, table=True):
    """One histopathology specimen: received and (once authorised) reported, by the lab."""

    __tablename__ = "pathology_specimen"
    __table_args__ = (
        Index("ix_pathology_specimen_trust_received", "trust_code", "received_datetime"),
    )
    id: int | None = Field(default=None, primary_key=True)
    trust_code: str = Field(foreign_key="trust.trust_code")
    lab: str
    specimen_type: str  # biopsy | resection | cytology | other
    cancer_pathway: bool = False
    received_datetime: NaiveDatetime
    authorised_datetime: NaiveDatetime | None = None
    import_run_id: int | None = Field(default=None, foreign_key="import_run.id", index=True)


class Appointment(SQLModel, table=True):
    """One outpatient or diagnostic appointment and its ATTENDED OR DID NOT ATTEND code."""

    __tablename__ = "appointment"
    __table_args__ = (Index("ix_appointment_trust_date", "trust_code", "appointment_date"),)
    id: int | None = Field(default=None, primary_key=True)
    trust_code: str = Field(foreign_key="trust.trust_code")
    service: str  # a modality (CT, MRI, ...), endoscopy, or a treatment function code
    appointment_date: dt.date
    attendance_code: int  # 0, 2, 3, 4, 5, 6, 7
    imd_quintile: int | None = None  # 1 = most deprived
    first_or_follow_up: str | None = None  # first | follow_up
    import_run_id: int | None = Field(default=None, foreign_key="import_run.id", index=True)


class Rebase(SQLModel, table=True):
    """A manual SPC rebase: limits are recalculated from ``date`` for this unit and metric."""

    __tablename__ = "rebase"
    __table_args__ = (UniqueConstraint("unit", "metric", "date"),)
    id: int | None = Field(default=None, primary_key=True)
    unit: str  # e.g. "trust:RBL" or "theatre:RBL/RBL01/Theatre 3"
    metric: str
    date: dt.date
    reason: str
    created_by: str = "local"
    created_at: dt.datetime = Field(default_factory=utc_now)
