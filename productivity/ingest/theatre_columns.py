"""The theatre extract's columns (SPEC §3): names and aliases, value codes, cancellation reasons.

Exports from theatre systems are recognised by common header names (``Anaes Start``, ``Into OR``,
``Knife to Skin``, ``Out of OR``) and Cerner milestone codes (``B1``/``C1``/``C2``/``C4``);
priorities map onto elective / daycase / emergency. A cancellation reason is free text that may
name a patient, so it is never stored: :func:`cancel_category` keeps only its category.
Pure: pandas and the stdlib.
"""

from __future__ import annotations

import re

import pandas as pd

from productivity.ingest.tabular import ColumnSpec
from productivity.schema import THEATRE_COLUMNS

MILESTONES: tuple[str, ...] = (
    "anaesthetic_start",
    "into_theatre",
    "knife_to_skin",
    "out_of_theatre",
)
# Cerner SurgiNet-style milestone codes found in export headers ("B1 Anaes Start", "C4").
MILESTONE_CODES: dict[str, str] = {
    "b1": "anaesthetic_start",
    "c1": "into_theatre",
    "c2": "knife_to_skin",
    "c4": "out_of_theatre",
}
EXTRA_COLUMNS: tuple[str, ...] = ("overnight",)
SPEC = ColumnSpec(
    columns=THEATRE_COLUMNS + EXTRA_COLUMNS,
    required=(
        "trust_code",
        "site",
        "theatre",
        "session_date",
        "planned_start",
        "planned_end",
        "specialty",
        "case_id",
        "out_of_theatre",
    ),
    one_of=(("anaesthetic_start", "into_theatre"),),
    aliases={
        "trust_code": (
            "trust",
            "trust code",
            "org code",
            "organisation code",
            "provider code",
            "ods code",
        ),
        "site": ("site code", "hospital", "hospital site", "site name", "facility", "location"),
        "theatre": (
            "theatre name",
            "theatre code",
            "operating theatre",
            "operating room",
            "or",
            "or name",
            "theatre room",
            "surgical area",
            "surgical area or",
        ),
        "session_date": (
            "list date",
            "session date",
            "date",
            "surgery date",
            "operation date",
            "theatre date",
        ),
        "session": ("session type", "am pm", "session period", "list session"),
        "planned_start": (
            "planned start time",
            "session start",
            "session start time",
            "scheduled start",
            "list start",
            "list start time",
            "planned session start",
        ),
        "planned_end": (
            "planned end time",
            "session end",
            "session end time",
            "scheduled end",
            "list end",
            "list end time",
            "planned session end",
        ),
        "specialty": (
            "speciality",
            "specialty name",
            "surgical specialty",
            "list specialty",
            "specialty description",
        ),
        "case_id": (
            "case id",
            "case number",
            "case no",
            "case ref",
            "case reference",
            "surgical case id",
            "surgical case number",
            "surgical case nbr",
            "operation id",
            "case",
        ),
        "procedure_code": (
            "procedure",
            "opcs",
            "opcs code",
            "opcs4",
            "opcs 4 code",
            "primary procedure",
            "primary procedure code",
            "primary procedure opcs",
            "primary proc opcs",
            "primary proc",
        ),
        "priority": (
            "urgency",
            "case priority",
            "case type",
            "case urgency",
            "admission method",
            "patient class",
        ),
        "anaesthetic_start": (
            "anaes start",
            "anaesthetic start time",
            "anaes start time",
            "anaesthesia start",
            "anesthesia start",
            "anaesthetic start datetime",
            "induction start",
            "anaesthetic in",
            "into anaesthetic room",
        ),
        "into_theatre": (
            "into or",
            "into theatre time",
            "in theatre",
            "in or",
            "patient in theatre",
            "patient in or",
            "wheels in",
            "in room",
        ),
        "knife_to_skin": (
            "knife to skin time",
            "incision",
            "incision time",
            "procedure start",
            "surgery start",
            "operation start",
            "kts",
        ),
        "out_of_theatre": (
            "out of or",
            "out of theatre time",
            "leave theatre",
            "left theatre",
            "patient out of theatre",
            "patient out of or",
            "wheels out",
            "out of room",
            "out or",
        ),
        "cancelled": (
            "canceled",
            "is cancelled",
            "cancelled y n",
            "cancelled flag",
            "cancellation",
            "case cancelled",
            "cancelled ind",
            "cancelled indicator",
            "cancel ind",
        ),
        "cancel_reason": (
            "cancellation reason",
            "cancel reason",
            "reason cancelled",
            "cancelled reason",
        ),
        "cancel_clinical": (
            "clinical cancellation",
            "clinical cancel",
            "cancelled clinical",
            "clinical reason",
            "cancel clinical reason",
            "cancel reason clinical ind",
            "cancel reason clinical",
            "clinical cancel ind",
        ),
        "overnight": ("overnight session", "overnight flag"),
    },
)
PRIORITY_VALUES: dict[str, str] = {
    "elective": "elective",
    "el": "elective",
    "elective inpatient": "elective",
    "inpatient": "elective",
    "ip": "elective",
    "planned": "elective",
    "e": "elective",
    "daycase": "daycase",
    "day case": "daycase",
    "day-case": "daycase",
    "dc": "daycase",
    "day surgery": "daycase",
    "elective day case": "daycase",
    "elective daycase": "daycase",
    "d": "daycase",
    "emergency": "emergency",
    "em": "emergency",
    "non elective": "emergency",
    "nonelective": "emergency",
    "urgent": "emergency",
    "immediate": "emergency",
    "expedited": "emergency",
    "trauma": "emergency",
    "emergency cepod": "emergency",
    "emergency (cepod)": "emergency",
    "cepod": "emergency",
    "ne": "emergency",
}
PRIORITY_EXPECTED = "one of elective, daycase, emergency (or empty)"


def milestone_code(header: str) -> str | None:
    """The milestone a header carrying a Cerner-style code names, e.g. ``'C4 Out of OR'``."""
    found = re.findall(r"\b(b1|c1|c2|c4)\b", header)
    return MILESTONE_CODES[found[0]] if len(set(found)) == 1 else None


# A cancellation reason is stored as one of these categories only (SPEC §3: no free text that
# might name a patient). The categories are those of the NHS cancelled-operations return:
# clinical (the patient is unfit, or surgery is no longer needed), the patient's own choice, and
# the hospital's non-clinical reasons (no bed, list overrun, staff or equipment), the measure
# reported as "last-minute cancellations for non-clinical reasons".
CLINICAL, PATIENT, HOSPITAL, OTHER = "clinical", "patient", "hospital-non-clinical", "other"
CANCEL_CATEGORIES: tuple[str, ...] = (CLINICAL, PATIENT, HOSPITAL, OTHER)
# Tried in order on the reason's lower-case words; the first match decides.
_REASON_PATTERNS: tuple[tuple[str, str], ...] = (
    (HOSPITAL, r"\bnon ?clinical\b|\bhospital\b|\borgani[sz]ational\b"),
    (
        CLINICAL,
        r"\bclinical|\bmedical|\bunfit|\bnot fit|\bunwell|\bill(?:ness)?\b|\binfect|\bcovid|"
        r"\bblood pressure|\bbp\b|\bhypertens|\banaemi|\becg\b|\bdeteriorat|\bbloods?\b|"
        r"\bno longer (?:required|needed)|\bnot (?:required|indicated)|\bimproved\b|\bdied\b|"
        r"\bpre ?op|\bchest|\bcough|\bcold\b|\bfever|\bpregnan",
    ),
    (
        PATIENT,
        r"\bpatient|\bpt\b|\bdna\b|did not attend|failed to attend|\bdeclined|\brefused|"
        r"\bnot fasted|\bate\b|\beaten|\bholiday|\bwork\b|\bpersonal|\bfamily|\bcarer|"
        r"\bchanged (?:their|his|her) mind|\bself discharg|\bcancelled by pt|\bno show",
    ),
    (
        HOSPITAL,
        r"\boverr?an\b|\boverrun|\bover ran\b|\bbeds?\b|\bstaff|\bsurgeon|\banaesthetist|"
        r"\btime\b|\bequipment|\bkit\b|\binstrument|\bsteril|\bemergenc|\btrauma|\badmin|"
        r"\bbooking|\bcapacity|\bitu\b|\bhdu\b|\bicu\b|\bcritical care|\bporter|"
        r"\btheatre|\bestates|\bflood|\bpower|\bit failure|\bindustrial action|\bstrike|"
        r"\bsick(?:ness)?\b|\bunavailable|\bnurs",
    ),
)


def cancel_category(reason: pd.Series, clinical_flag: pd.Series) -> pd.Series:
    """Each cancellation reason as one of :data:`CANCEL_CATEGORIES` (None where there is none).

    ``cancel_clinical = Y`` makes a case ``clinical`` whatever its text says; a text naming a
    category (``Hospital - non-clinical``) is that category; otherwise key words decide, and a
    reason that matches none is ``other``. The text itself is never kept.
    """
    # Each distinct text once: most rows have none, and reasons repeat.
    codes, texts = pd.factorize(reason.astype("str"), use_na_sentinel=False)
    words = pd.Series(texts, dtype="str").str.lower().str.replace(r"[^a-z0-9]+", " ", regex=True)
    words = words.str.strip()
    each = pd.Series(None, index=words.index, dtype="object")
    todo = words != ""
    for category, pattern in _REASON_PATTERNS:
        hit = todo & words.str.contains(pattern, regex=True)
        each[hit] = category
        todo &= ~hit
    each[todo] = OTHER
    out = pd.Series(each.to_numpy(dtype=object).take(codes), index=reason.index, dtype="object")
    out[clinical_flag.astype(bool)] = CLINICAL
    return out
