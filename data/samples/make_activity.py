"""Theatre and diagnostics activity samples (called by ``make_samples.py``; deterministic)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd

DAYS = [dt.date(2026, 5, d) for d in (4, 5, 6, 7, 8)]
# site, theatre, specialty, typical case minutes, procedures (OPCS-4)
THEATRES = (
    ("RBL01", "Theatre 1", "General Surgery", 70, ("T20.1", "J18.3", "H01.1")),
    ("RBL01", "Theatre 2", "Trauma & Orthopaedics", 95, ("W37.1", "W40.1", "W82.3")),
    ("RBL01", "Theatre 3", "Urology", 50, ("M45.9", "M65.3", "M42.1")),
    ("RBL01", "Theatre 4", "Trauma & Orthopaedics", 110, ("W37.1", "W40.1")),
    ("RBL02", "Theatre A", "Ophthalmology", 30, ("C71.2", "C75.1")),
    ("RBL02", "Theatre B", "ENT", 55, ("F34.1", "E20.1", "D15.1")),
)
SESSIONS = {
    "AM": ("08:30", "12:30"),
    "PM": ("13:30", "17:30"),
    "ALL": ("08:00", "18:00"),
    "EVE": ("18:00", "01:00"),
}
CERNER_SESSION = {"AM": "Morning", "PM": "Afternoon", "EVE": "Evening", "ALL": "All Day"}
CERNER_PRIORITY = {
    "elective": "Elective Inpatient",
    "daycase": "Elective Day Case",
    "emergency": "Emergency (CEPOD)",
}
CERNER_SPECIALTY = {
    "Trauma & Orthopaedics": "Trauma and Orthopaedics",
    "ENT": "Ear Nose and Throat",
}


def _at(day: dt.date, hhmm: str) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.fromisoformat(hhmm))


def theatre_rows(rng: np.random.Generator) -> list[dict]:
    rows, number = [], 4100
    for day in DAYS:
        for site, theatre, specialty, minutes, procedures in THEATRES:
            sessions = ["ALL"] if theatre == "Theatre 4" else ["AM", "PM"]
            if theatre == "Theatre 1" and day.weekday() == 4:
                sessions.append("EVE")
            for session in sessions:
                start_text, end_text = SESSIONS[session]
                start, end = _at(day, start_text), _at(day, end_text)
                if end <= start:
                    end += dt.timedelta(days=1)
                base = {
                    "trust_code": "RBL",
                    "site": site,
                    "theatre": theatre,
                    "session_date": day.isoformat(),
                    "session": session,
                    "planned_start": start_text,
                    "planned_end": end_text,
                    "specialty": specialty,
                }
                if theatre == "Theatre B" and day.day == 6 and session == "PM":
                    rows.append(base)  # an unused session: no case ran
                    continue
                clock = start + dt.timedelta(minutes=int(rng.integers(0, 35)))
                while True:
                    length = max(15, int(rng.normal(minutes, minutes * 0.25)))
                    anaes = clock
                    into = anaes + dt.timedelta(minutes=int(rng.integers(6, 16)))
                    knife = into + dt.timedelta(minutes=int(rng.integers(8, 20)))
                    out = knife + dt.timedelta(minutes=length)
                    if out > end + dt.timedelta(minutes=25):
                        break
                    number += 1
                    priority = (
                        "emergency"
                        if session == "EVE"
                        else "daycase"
                        if specialty in ("Ophthalmology", "ENT", "Urology")
                        else "elective"
                    )
                    case = {
                        **base,
                        "case_id": f"RBL-26-{number:06d}",
                        "procedure_code": procedures[int(rng.integers(len(procedures)))],
                        "priority": priority,
                        "cancelled": "N",
                        "cancel_reason": "",
                        "cancel_clinical": "N",
                    }
                    if rng.random() < 0.06:
                        clinical = rng.random() < 0.3
                        reason = "Patient unfit" if clinical else "No bed available"
                        rows.append(
                            {
                                **case,
                                "cancelled": "Y",
                                "cancel_reason": reason,
                                "cancel_clinical": "Y" if clinical else "N",
                            }
                        )
                        continue
                    stamps = {
                        "anaesthetic_start": anaes,
                        "into_theatre": into,
                        "knife_to_skin": knife,
                        "out_of_theatre": out,
                    }
                    if number % 37 == 0:
                        stamps["anaesthetic_start"] = None  # not recorded: into_theatre is used
                    rows.append(
                        {
                            **case,
                            **{
                                k: v.strftime("%Y-%m-%dT%H:%M") if v else ""
                                for k, v in stamps.items()
                            },
                        }
                    )
                    clock = out + dt.timedelta(minutes=int(rng.integers(5, 25)))
    return rows


def cerner(frame: pd.DataFrame) -> pd.DataFrame:
    """The same cases as a Cerner SurgiNet-style export: its own headers, codes and dates."""

    def ddmm(column: str, with_time: bool) -> pd.Series:
        values = pd.to_datetime(frame[column].replace("", None), format="ISO8601")
        text = values.dt.strftime("%d/%m/%Y %H:%M" if with_time else "%d/%m/%Y")
        return text.fillna("")

    return pd.DataFrame(
        {
            "Surgical Case Nbr": frame["case_id"],
            "Org Code": frame["trust_code"],
            "Facility": frame["site"],
            "Surgical Area / OR": frame["theatre"],
            "Session Date": ddmm("session_date", False),
            "Session": frame["session"].map(CERNER_SESSION),
            "Session Start": frame["planned_start"],
            "Session End": frame["planned_end"],
            "Surgical Specialty": frame["specialty"].replace(CERNER_SPECIALTY),
            "Primary Proc OPCS": frame["procedure_code"],
            "Case Priority": frame["priority"].map(CERNER_PRIORITY).fillna(""),
            "ASA Grade": np.where(frame["case_id"] != "", "2", ""),
            "B1 Anaes Start": ddmm("anaesthetic_start", True),
            "C1 Into OR": ddmm("into_theatre", True),
            "C2 Knife to Skin": ddmm("knife_to_skin", True),
            "C4 Out of OR": ddmm("out_of_theatre", True),
            "Cancelled Ind": frame["cancelled"],
            "Cancel Reason": frame["cancel_reason"],
            "Cancel Reason Clinical Ind": frame["cancel_clinical"],
        }
    )


def imaging(rng: np.random.Generator) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Scanner-days for two trusts; an exam-level RIS extract and its sessions for one."""
    scanners = [
        ("RBL", "RBL01", "RBL-CT1", "CT", 4.1),
        ("RBL", "RBL01", "RBL-MR1", "MRI", 2.3),
        ("RBL", "RBL02", "RBL-US1", "NOUS", 2.8),
        ("REM", "REM01", "REM-CT1", "CT", 3.6),
        ("REM", "REM02", "REM-MR2", "MRI", 2.6),
    ]
    days = [dt.date(2026, 5, d) for d in range(1, 15)]
    rows = []
    for trust, site, scanner, modality, rate in scanners:
        for day in days:
            hours = 12.0 if day.weekday() < 5 else 8.0
            rows.append(
                {
                    "trust_code": trust,
                    "site": site,
                    "scanner_id": scanner,
                    "modality": modality,
                    "date": day.isoformat(),
                    "operational_hours": hours,
                    "scans": int(rng.poisson(rate * hours)),
                }
            )
    day_rows = pd.DataFrame(rows)
    exams, sessions, accession = [], [], 880000
    ris_modality = {"CT": "CT", "MRI": "MR"}
    for scanner, modality, rate in (("CT1", "CT", 4.0), ("MR1", "MRI", 2.4)):
        for day in DAYS:
            blocks = (
                [("08:00", "13:00"), ("13:30", "20:00")]
                if modality == "CT"
                else [("08:00", "18:00")]
            )
            for begin, finish in blocks:
                sessions.append(
                    {
                        "trust_code": "RBL",
                        "site": "RBL01",
                        "scanner_id": f"RBL-{scanner}",
                        "modality": modality,
                        "date": day.isoformat(),
                        "session_start": begin,
                        "session_end": finish,
                    }
                )
                start, end = _at(day, begin), _at(day, finish)
                count = int(rng.poisson(rate * (end - start).total_seconds() / 3600))
                offsets = np.sort(rng.uniform(0, (end - start).total_seconds(), count))
                for offset in offsets:
                    accession += 1
                    when = start + dt.timedelta(seconds=float(offset))
                    exams.append(
                        {
                            "Accession Number": f"RBL{accession}",
                            "Trust": "RBL",
                            "Site Code": "RBL01",
                            "Room": f"RBL-{scanner}",
                            "Modality": ris_modality[modality],
                            "Exam Code": "CHEAD" if modality == "CT" else "MBRAI",
                            "Exam Date Time": when.strftime("%d/%m/%Y %H:%M"),
                        }
                    )
    exams.append(
        {
            "Accession Number": "RBL899999",
            "Trust": "RBL",
            "Site Code": "RBL01",
            "Room": "RBL-XR1",
            "Modality": "XR",
            "Exam Code": "XCHES",
            "Exam Date Time": "05/05/2026 10:12",
        }
    )  # plain X-ray: skipped, not a DM01 modality
    sessions.append(
        {
            "trust_code": "RBL",
            "site": "RBL01",
            "scanner_id": "RBL-MR1",
            "modality": "MRI",
            "date": "2026-05-09",
            "session_start": "09:00",
            "session_end": "13:00",
        }
    )  # idle day
    return day_rows, pd.DataFrame(exams), pd.DataFrame(sessions)


def endoscopy(rng: np.random.Generator) -> tuple[pd.DataFrame, pd.DataFrame]:
    lists, procedures = [], []
    for day in DAYS:
        for room in ("Endoscopy Room 1", "Endoscopy Room 2"):
            for session in ("AM", "PM"):
                key = {
                    "trust_code": "RBL",
                    "site": "RBL01",
                    "room": room,
                    "date": day.isoformat(),
                    "session": session,
                }
                if room.endswith("2") and day.day == 7 and session == "PM":
                    procedures.append({**key, "procedure_type": ""})  # list ran with no patient
                    lists.append({**key, "planned_points": 12, "used_points": 0, "procedures": 0})
                    continue
                kinds = rng.choice(
                    ["OGD", "COLONOSCOPY", "FLEXI_SIGMOIDOSCOPY"],
                    size=int(rng.integers(5, 10)),
                    p=[0.5, 0.3, 0.2],
                )
                points = {"OGD": 1, "COLONOSCOPY": 2, "FLEXI_SIGMOIDOSCOPY": 1}
                used, kept = 0, []
                for kind in kinds:
                    if used + points[kind] > 13:
                        break
                    used += points[kind]
                    kept.append(kind)
                procedures += [{**key, "procedure_type": kind} for kind in kept]
                lists.append(
                    {**key, "planned_points": 12, "used_points": used, "procedures": len(kept)}
                )
    return pd.DataFrame(lists), pd.DataFrame(procedures)


def echo(rng: np.random.Generator) -> pd.DataFrame:
    rows = []
    for trust, site in (("RBL", "RBL01"), ("RBQ", "RBQ01"), ("REM", "REM01")):
        for d in range(1, 15):
            day = dt.date(2026, 5, d)
            if day.weekday() >= 5:
                continue
            tests = int(rng.integers(18, 40))
            rows.append(
                {
                    "trust_code": trust,
                    "site": site,
                    "date": day.isoformat(),
                    "tests": tests,
                    "scheduled_minutes": int(tests * rng.uniform(38, 55)),
                }
            )
    return pd.DataFrame(rows)


BOOKINGS_SEED = 20260601
BOOKINGS_FROM = dt.date(2026, 6, 1)  # a Monday: the scheduling meeting's "today"
# (last day out, share of each list's eventual cases booked by now): lists fill as the day nears
BOOKED_SHARE = ((14, 0.95), (28, 0.8), (42, 0.6))
CONSULTANTS = {"Theatre 1": "C4455667", "Theatre 2": "C2233445", "Theatre 4": "C2233445"}


def bookings(rng: np.random.Generator) -> pd.DataFrame:
    """RBL's theatre bookings (SPEC §3) for the six weeks from Monday 1 June 2026.

    Lists further out are less booked; T&O lists carry the surgeon's estimate
    (``booked_minutes``) and every list of Theatres 1, 2 and 4 its consultant; Theatre B's
    Friday PM lists have nothing booked yet; one General Surgery case is a procedure with no
    history at RBL (T27.1), so the look-ahead falls back on the specialty's median.
    """
    rows, number, rare = [], 100, "T27.1"
    days = [BOOKINGS_FROM + dt.timedelta(days=d) for d in range(42)]
    for day in days:
        if day.weekday() >= 5:
            continue
        out = (day - BOOKINGS_FROM).days
        share = next(s for last, s in BOOKED_SHARE if out <= last)
        for site, theatre, specialty, minutes, procedures in THEATRES:
            for session in ["ALL"] if theatre == "Theatre 4" else ["AM", "PM"]:
                start_text, end_text = SESSIONS[session]
                base = {
                    "trust_code": "RBL", "site": site, "theatre": theatre,
                    "session_date": day.isoformat(), "session": session,
                    "planned_start": start_text, "planned_end": end_text,
                    "specialty": specialty, "consultant_code": CONSULTANTS.get(theatre, ""),
                }  # fmt: skip
                planned = (_at(day, end_text) - _at(day, start_text)).seconds / 60
                eventual = max(1, int(planned * 0.8 // (minutes + 15)))
                booked = int((rng.random(eventual) < share).sum())
                if not booked or (theatre == "Theatre B" and session == "PM" and out % 7 == 4):
                    rows.append(base)  # an unbooked list
                    continue
                for _ in range(booked):
                    number += 1
                    code = procedures[int(rng.integers(len(procedures)))]
                    if rare and specialty == "General Surgery" and out >= 15:
                        code, rare = rare, ""  # once, on a list 3 weeks out
                    estimate = ""
                    if specialty == "Trauma & Orthopaedics":
                        estimate = str(int(round(rng.normal(minutes, minutes * 0.2) / 5) * 5))
                    priority = (
                        "daycase"
                        if specialty in ("Ophthalmology", "ENT", "Urology")
                        else "elective"
                    )
                    rows.append(
                        {
                            **base,
                            "case_id": f"RBL-BK26-{number:05d}",
                            "procedure_code": code,
                            "priority": priority,
                            "booked_minutes": estimate,
                        }  # fmt: skip
                    )
    columns = [
        "trust_code", "site", "theatre", "session_date", "session", "planned_start",
        "planned_end", "specialty", "case_id", "procedure_code", "priority", "consultant_code",
        "booked_minutes",
    ]  # fmt: skip
    return pd.DataFrame(rows).reindex(columns=columns).fillna("")


def write_activity(here: Path, rng: np.random.Generator) -> None:
    theatre = pd.DataFrame(theatre_rows(rng)).fillna("")
    columns = [
        "trust_code",
        "site",
        "theatre",
        "session_date",
        "session",
        "planned_start",
        "planned_end",
        "specialty",
        "case_id",
        "procedure_code",
        "priority",
        "anaesthetic_start",
        "into_theatre",
        "knife_to_skin",
        "out_of_theatre",
        "cancelled",
        "cancel_reason",
        "cancel_clinical",
    ]
    theatre = theatre.reindex(columns=columns, fill_value="")
    theatre.to_csv(here / "theatre-extract-RBL-May-2026.csv", index=False)
    cerner(theatre).to_csv(here / "cerner-theatre-export-RBL-May-2026.csv", index=False)
    days, exams, sessions = imaging(rng)
    days.to_csv(here / "imaging-scanner-days-May-2026.csv", index=False)
    exams.to_csv(here / "imaging-exams-RBL-May-2026.csv", index=False)
    sessions.to_csv(here / "imaging-sessions-RBL-May-2026.csv", index=False)
    lists, procedures = endoscopy(rng)
    lists.to_csv(here / "endoscopy-lists-RBL-May-2026.csv", index=False)
    procedures.to_csv(here / "endoscopy-procedures-RBL-May-2026.csv", index=False)
    echo(rng).to_csv(here / "echo-activity-May-2026.csv", index=False)
    # Its own generator, so the files above never change when the bookings do.
    bookings(np.random.default_rng(BOOKINGS_SEED)).to_csv(
        here / "theatre-bookings-RBL-Jun-2026.csv", index=False
    )
