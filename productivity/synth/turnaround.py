"""Synthetic reporting events, histopathology specimens and appointments for the demo trusts.

Owns the demo's turnaround and attendance: imaging examinations (CT, MRI, NOUS, XR) with their
report times, specimens with receipt and authorisation, and CT, MRI and endoscopy appointments
with ATTENDED OR DID NOT ATTEND codes, each in the stored shape of :mod:`productivity.schema`
(London wall-clock times, NaT while unreported). Everything is vectorised per trust and drawn
from :func:`~productivity.synth.dates.source_rng`, so a seed always gives the same frames. Bank
holidays come from the maintained calendar the metrics use, so a "working day" here is one there.

Planted signals (also in :data:`TURNAROUND_SIGNALS`):

* RJR: CT reports fall behind over the last 6 months, ever more slowly and with a growing share
  never reported, so its CT backlog grows and its share within 7 and 28 days falls.
* RBN: its histopathology lab dips after each bank-holiday cluster (Christmas and New Year,
  Easter): specimens received in the 15 working days after carry about 5 extra working days.
* DNA rates rise with deprivation (about 11% in the most deprived quintile to 5% in the least)
  at every trust except RBL, whose text-message reminder scheme keeps all quintiles near 5.5%.

Pure numpy/pandas plus the pure metrics' holiday calendar: it must not import the database,
SQLModel or Streamlit.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from productivity import schema
from productivity.metrics.dates import england_bank_holidays
from productivity.synth.columns import NAT, text_array, to_datetimes
from productivity.synth.dates import source_rng, window_days
from productivity.synth.trusts import STEP_MONTHS, TRUSTS, Trust

BACKLOG_TRUST, DIP_LAB_TRUST, REMINDER_TRUST = "RJR", "RBN", "RBL"
TURNAROUND_SIGNALS: dict[str, str] = {
    BACKLOG_TRUST: "Reporting: CT reports fall behind over the last 6 months; the unreported CT "
    "backlog grows and the share reported within 7 and 28 days falls.",
    DIP_LAB_TRUST: "Pathology: cancer histopathology within 10 working days dips after the "
    "Christmas and Easter bank-holiday clusters.",
    REMINDER_TRUST: "Attendance: DNA rates are flat across deprivation quintiles (a text "
    "reminder scheme); elsewhere they rise with deprivation.",
}
MODALITIES = ("CT", "MRI", "NOUS", "XR")
# Exams a day per scanner (a sample of real volumes, to keep the demo small); XR per CT scanner.
EXAMS_PER_DAY = np.array([2.5, 1.5, 2.0, 2.5])
# Patient source 01-07 by modality (rows: CT, MRI, NOUS, XR).
SOURCE_MIX = np.array([
    [0.25, 0.02, 0.33, 0.10, 0.27, 0.03, 0.00],
    [0.15, 0.02, 0.60, 0.15, 0.03, 0.05, 0.00],
    [0.10, 0.02, 0.38, 0.45, 0.03, 0.02, 0.00],
    [0.15, 0.01, 0.25, 0.30, 0.27, 0.01, 0.01],
])  # fmt: skip
URGENT_BY_SOURCE = np.array([0.8, 0.3, 0.2, 0.1, 0.95, 0.3, 0.2])
# Median report delay in hours: urgent, then routine, by modality (CT, MRI, NOUS, XR). NOUS is
# usually reported at the scan by the sonographer.
URGENT_HOURS = np.array([6.0, 30.0, 1.0, 20.0])
ROUTINE_HOURS = np.array([60.0, 150.0, 2.0, 110.0])
NICIP = (("CHEAD", "CCAPC", "CCHEC"), ("MBRAI", "MLSPI", "MKNEL"), ("UABDO", "UPELV", "UNECK"),
         ("XCHES", "XKNEL", "XHANL"))  # fmt: skip
SPECIMEN_MIX = np.array([0.6, 0.2, 0.15, 0.05])  # biopsy, resection, cytology, other
SPECIMEN_WORKING_DAYS = np.array([5.0, 8.0, 3.0, 6.0])  # median, cancer pathway
SPECIMENS_PER_ROOM = 3.0  # specimens a working day per endoscopy room
HOLIDAY_CLUSTER_GAP = 7  # bank holidays this close form a cluster (Christmas, Easter)
DIP_WORKING_DAYS, DIP_EXTRA = 15, 5.0
# DNA probability by IMD quintile (1 = most deprived) and by service; codes 3 and 7 split 9:1.
DNA_BY_QUINTILE = np.array([0.11, 0.085, 0.07, 0.058, 0.05])
REMINDER_DNA = 0.055
SERVICES = ("CT", "MRI", "Endoscopy")
SERVICE_DNA = np.array([0.8, 1.0, 1.2])
APPOINTMENTS_PER_DAY = np.array([2.0, 2.0, 3.0])  # per CT, MRI scanner and endoscopy room
OTHER_CODES = np.array([5, 6, 2, 4])  # attended, late but seen, patient and provider cancelled
OTHER_SHARES = np.array([0.9, 0.03, 0.04, 0.03])
MINUTES_PER_DAY = 1440


def _window(window: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """Days of the window, their month index, England working-day flags, and the last minute."""
    days, month = window_days(window)
    years = days.astype("datetime64[D]").astype("datetime64[Y]").astype(int) + 1970
    holidays = np.array(england_bank_holidays(int(years.min()), int(years.max())), "datetime64[D]")
    working = np.is_busday(days.astype("datetime64[D]"), holidays=holidays)
    return days, month, working, int(days[-1] + 1) * MINUTES_PER_DAY - 1


def _trust_sites(trust: Trust, k: int) -> tuple[list[str], np.ndarray]:
    """The sites with modality ``k`` (XR goes where CT is) and their share of its scanners."""
    column = 0 if k == 3 else k
    sites = [(site, counts[column]) for site, counts in trust.scanners.items() if counts[column]]
    total = sum(n for _, n in sites)
    return [s for s, _ in sites], np.array([n / total for _, n in sites])


def make_reporting(seed: int, window: np.ndarray) -> pd.DataFrame:
    """Imaging examinations and their reports at the demo trusts over the window."""
    days, month, working, last_minute = _window(window)
    n_months = int(month.max()) + 1
    parts = []
    for code, trust in TRUSTS.items():
        rng = source_rng(seed, "reporting", code)
        speed = np.exp(rng.normal(0, 0.25, len(MODALITIES)))  # the trust's reporting capacity
        for k, modality in enumerate(MODALITIES):
            scanners = sum(c[0 if k == 3 else k] for c in trust.scanners.values())
            if not scanners:
                continue
            weight = np.where(working, 1.0, 0.35)  # out of hours: A&E and inpatients only
            n = rng.poisson(EXAMS_PER_DAY[k] * scanners * weight.sum())
            day = rng.choice(days.size, n, p=weight / weight.sum())
            test = days[day] * MINUTES_PER_DAY + rng.integers(7 * 60, 22 * 60, n)
            source = rng.choice(7, n, p=SOURCE_MIX[k])
            urgent = rng.random(n) < URGENT_BY_SOURCE[source]
            hours = np.where(urgent, URGENT_HOURS[k], ROUTINE_HOURS[k]) * speed[k]
            hours = hours * np.exp(rng.normal(0, 1.0, n))
            stuck = np.zeros(n, dtype=bool)
            if code == BACKLOG_TRUST and modality == "CT":
                behind = np.maximum(0, month[day] - (n_months - STEP_MONTHS - 1))  # 1..6
                hours = hours * (1 + 1.2 * behind)
                stuck = rng.random(n) < 0.03 * behind * ~urgent
            report = test + np.maximum(5, hours * 60).astype(np.int64)
            report = np.where(stuck | (report > last_minute), NAT, report)
            sites, share = _trust_sites(trust, k)
            wait = np.where(urgent, rng.integers(0, 2, n), rng.integers(3, 40, n))
            parts.append(
                pd.DataFrame(
                    {
                        "trust_code": code,
                        "site": text_array(sites, rng.choice(len(sites), n, p=share)),
                        "modality": modality,
                        "priority": np.where(urgent, "urgent", "routine"),
                        "patient_source": text_array(list(schema.PATIENT_SOURCES), source),
                        "test_datetime": to_datetimes(test.copy()),
                        "report_datetime": to_datetimes(report.astype(np.int64)),
                        "request_datetime": to_datetimes(
                            test - wait * MINUTES_PER_DAY - rng.integers(30, 600, n)
                        ),
                        "nicip_code": text_array(NICIP[k], rng.integers(0, 3, n)),
                        "imd_quintile": rng.choice(5, n, p=np.array(trust.imd)) + 1,
                    }
                )
            )
    return _frame(parts, schema.REPORTING_EVENT_COLUMNS, "test_datetime")


def _holiday_clusters(days: np.ndarray) -> np.ndarray:
    """The last day of each cluster of two or more bank holidays within a week of each other
    (Christmas and New Year, Easter), as int days since 1970."""
    years = days.astype("datetime64[D]").astype("datetime64[Y]").astype(int) + 1970
    found = england_bank_holidays(int(years.min()) - 1, int(years.max()))
    holidays = np.array(found, dtype="datetime64[D]").astype(np.int64)
    starts = np.r_[True, np.diff(holidays) > HOLIDAY_CLUSTER_GAP]
    group = np.cumsum(starts)
    sizes = np.bincount(group)
    ends = np.r_[starts[1:], True]
    last_days: np.ndarray = holidays[ends & (sizes[group] >= 2)]
    return last_days


def make_pathology(seed: int, window: np.ndarray) -> pd.DataFrame:
    """Histopathology specimens at the labs of the trusts with endoscopy, over the window."""
    days, _, working, last_minute = _window(window)
    work_days = days[working]
    years = days.astype("datetime64[D]").astype("datetime64[Y]").astype(int) + 1970
    calendar = england_bank_holidays(int(years.min()), int(years.max()) + 1)
    holidays = np.array(calendar, dtype="datetime64[D]")
    after_cluster = np.zeros(work_days.size, dtype=bool)
    for end in _holiday_clusters(days):
        ahead = np.busday_offset(
            np.datetime64(int(end), "D"), DIP_WORKING_DAYS, roll="forward", holidays=holidays
        ).astype(np.int64)
        after_cluster |= (work_days > end) & (work_days <= ahead)
    parts = []
    for code, trust in TRUSTS.items():
        rooms = sum(trust.endoscopy.values())
        if not rooms:
            continue
        rng = source_rng(seed, "pathology", code)
        n = rng.poisson(SPECIMENS_PER_ROOM * rooms * work_days.size)
        day = rng.integers(0, work_days.size, n)
        received = work_days[day] * MINUTES_PER_DAY + rng.integers(9 * 60, 17 * 60, n)
        kind = rng.choice(4, n, p=SPECIMEN_MIX)
        cancer = rng.random(n) < 0.3
        median = SPECIMEN_WORKING_DAYS[kind] * np.where(cancer, 1.0, 1.4)
        working_days = median * np.exp(rng.normal(0, 0.35, n) + rng.normal(0, 0.1))
        if code == DIP_LAB_TRUST:
            working_days = working_days + after_cluster[day] * rng.normal(DIP_EXTRA, 1.0, n)
        steps = np.maximum(1, np.round(working_days)).astype(np.int64)
        signed = np.busday_offset(
            work_days[day].astype("datetime64[D]"), steps, roll="forward", holidays=holidays
        ).astype(np.int64)
        authorised = signed * MINUTES_PER_DAY + rng.integers(10 * 60, 18 * 60, n)
        authorised = np.where(authorised > last_minute, NAT, authorised)
        parts.append(
            pd.DataFrame(
                {
                    "trust_code": code,
                    "lab": f"{code} Cellular Pathology",
                    "specimen_type": text_array(schema.SPECIMEN_TYPES, kind),
                    "cancer_pathway": cancer,
                    "received_datetime": to_datetimes(received),
                    "authorised_datetime": to_datetimes(authorised.astype(np.int64)),
                }
            )
        )
    return _frame(parts, schema.PATHOLOGY_SPECIMEN_COLUMNS, "received_datetime")


def make_appointments(seed: int, window: np.ndarray) -> pd.DataFrame:
    """CT, MRI and endoscopy appointments at the demo trusts, with attendance codes."""
    days, _, working, _ = _window(window)
    work_days = days[working]
    parts = []
    for code, trust in TRUSTS.items():
        rng = source_rng(seed, "appointments", code)
        units = np.array([
            sum(c[0] for c in trust.scanners.values()),
            sum(c[1] for c in trust.scanners.values()),
            sum(trust.endoscopy.values()),
        ])  # fmt: skip
        for k, service in enumerate(SERVICES):
            if not units[k]:
                continue
            n = rng.poisson(APPOINTMENTS_PER_DAY[k] * units[k] * work_days.size)
            quintile = rng.choice(5, n, p=np.array(trust.imd))
            if code == REMINDER_TRUST:
                dna = np.full(n, REMINDER_DNA)
            else:
                dna = DNA_BY_QUINTILE[quintile] * SERVICE_DNA[k] * np.exp(rng.normal(0, 0.1))
            missed = rng.random(n) < dna
            other = OTHER_CODES[rng.choice(OTHER_CODES.size, n, p=OTHER_SHARES)]
            attendance = np.where(missed, np.where(rng.random(n) < 0.9, 3, 7), other)
            first = rng.random(n) < 0.7
            parts.append(
                pd.DataFrame(
                    {
                        "trust_code": code,
                        "service": service,
                        "appointment_date": to_datetimes(
                            work_days[rng.integers(0, work_days.size, n)] * MINUTES_PER_DAY
                        ),
                        "attendance_code": attendance.astype(np.int64),
                        "imd_quintile": (quintile + 1).astype(np.int64),
                        "first_or_follow_up": np.where(first, "first", "follow_up"),
                    }
                )
            )
    return _frame(parts, schema.APPOINTMENT_COLUMNS, "appointment_date")


def _frame(parts: list[pd.DataFrame], columns: tuple[str, ...], order: str) -> pd.DataFrame:
    """The trusts' parts as one frame in the schema's column order, sorted by trust and time."""
    frame = pd.concat(parts, ignore_index=True)[list(columns)]
    for column in frame.columns:
        if frame[column].dtype == object:
            frame[column] = frame[column].astype("str")
    frame = frame.sort_values(["trust_code", order], kind="stable")
    return frame.reset_index(drop=True)
