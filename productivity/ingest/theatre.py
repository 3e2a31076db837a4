"""The theatre extract (SPEC §3): one row per case, normalised into lists and cases.

A list (session) is keyed by trust, site, theatre, session date and session; its specialty is
that of its first case row, and a list row with no case id is an unused session. Planned start and
end are times of day (or full date-times); an end earlier than the start is allowed only for an
evening/overnight session, which then ends the next day. Exports from theatre systems are
recognised by common header names (``Anaes Start``, ``Into OR``, ``Knife to Skin``, ``Out of OR``,
Cerner milestone codes ``B1``/``C1``/``C2``/``C4``) or mapped with a TOML column map.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection

import numpy as np
import pandas as pd

from productivity.ingest.checks import (
    SESSION_EXPECTED,
    SESSION_VALUES,
    ParsedFile,
    issue_counts,
    mapped_frame,
    normalise_specialty,
    period_bounds,
)
from productivity.ingest.maps import ColumnMap
from productivity.ingest.tabular import (
    Columns,
    ColumnSpec,
    ProblemLog,
    Table,
)
from productivity.ingest.values import (
    DATE_EXPECTED,
    DATETIME_EXPECTED,
    FLAG_EXPECTED,
    TIME_EXPECTED,
    map_values,
    parse_dates,
    parse_datetimes,
    parse_flags,
    parse_times,
)
from productivity.schema import CASE_COLUMNS, LIST_COLUMNS, THEATRE_COLUMNS, THEATRE_LIST_KEY

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
# Deriving a session when the export has none: a start from 17:00 is EVE; otherwise a session of
# six hours or more is ALL (an all-day list), a start before noon AM, and anything else PM.
_NOON, _FIVE_PM, _ALL_DAY = pd.Timedelta(hours=12), pd.Timedelta(hours=17), pd.Timedelta(hours=6)


def milestone_code(header: str) -> str | None:
    """The milestone a header carrying a Cerner-style code names, e.g. ``'C4 Out of OR'``."""
    found = re.findall(r"\b(b1|c1|c2|c4)\b", header)
    return MILESTONE_CODES[found[0]] if len(set(found)) == 1 else None


def parse_theatre(
    table: Table, cmap: ColumnMap, known_trusts: Collection[str], log: ProblemLog
) -> ParsedFile:
    """Validate a theatre extract and normalise it into lists and cases frames.

    Raises:
        InputError: every located problem found (up to 50).
    """
    f, cols = mapped_frame(
        table,
        SPEC,
        cmap,
        known_trusts,
        log,
        ("trust_code", "site", "theatre", "session_date"),
        milestone_code,
    )
    label = cols.label
    session_date, bad = parse_dates(f["session_date"])
    log.add_mask(
        bad, label("session_date"), f["session_date"], f"not a date: expected {DATE_EXPECTED}"
    )

    session, planned_start, planned_end = planned_session(f, cols, cmap, session_date, log)

    times = {}
    for name in MILESTONES:
        times[name], bad = parse_datetimes(f[name])
        log.add_mask(bad, label(name), f[name], f"not a date-time: expected {DATETIME_EXPECTED}")
    has_case = f["case_id"] != ""
    case_fields = (f[["procedure_code", *MILESTONES]] != "").any(axis=1)
    log.add_mask(
        case_fields & ~has_case,
        label("case_id"),
        None,
        "case_id is empty but the row has case times or a procedure: expected a case id "
        "(a row with no case id is an unused session)",
    )
    touch_start = times["anaesthetic_start"].fillna(times["into_theatre"])
    log.add_mask(
        times["out_of_theatre"] < touch_start,
        label("out_of_theatre"),
        f["out_of_theatre"],
        "out_of_theatre is before the anaesthetic start (or into theatre): expected a later "
        "time (a negative case duration)",
    )
    priority, bad = map_values(f["priority"], PRIORITY_VALUES)
    log.add_mask(
        bad, label("priority"), f["priority"], f"unknown priority: expected {PRIORITY_EXPECTED}"
    )
    flags = {}
    for name in ("cancelled", "cancel_clinical"):
        flags[name], bad = parse_flags(f[name])
        log.add_mask(bad, label(name), f[name], f"not a flag: expected {FLAG_EXPECTED}")

    exact_dup = check_duplicate_cases(f, has_case, log, label)

    norm = pd.DataFrame(
        {
            "trust_code": f["trust_code"],
            "site": f["site"],
            "theatre": f["theatre"],
            "session_date": session_date,
            "session": session,
            "planned_start": planned_start,
            "planned_end": planned_end,
            "specialty": normalise_specialty(f["specialty"]),
            "case_id": f["case_id"],
            "procedure_code": f["procedure_code"].replace("", None),
            "priority": priority.replace("", None),
            **times,
            "cancelled": flags["cancelled"],
            "cancel_reason": f["cancel_reason"].replace("", None),
            "cancel_clinical": flags["cancel_clinical"],
            "has_case": has_case,
        }
    )[~exact_dup]
    check_list_consistency(norm, log, label)
    log.raise_if_any()
    lists, cases = _split(norm)
    period_from, period_to = period_bounds(lists["session_date"])
    dropped = issue_counts(
        pd.DataFrame({"trust_code": f["trust_code"], "date": session_date})[exact_dup],
        "date",
        "duplicates_dropped",
    )
    notes = (f"{int(exact_dup.sum())} exact duplicate rows dropped",) if exact_dup.any() else ()
    return ParsedFile(
        kind="theatre",
        file_name=log.file,
        frames={"lists": lists, "cases": cases},
        rows=len(cases) + int((~lists["list_id"].isin(cases["list_id"])).sum()),
        trust_codes=tuple(sorted(lists["trust_code"].unique())),
        period_from=period_from,
        period_to=period_to,
        issues=dropped,
        notes=notes,
    )


def planned_session(
    f: pd.DataFrame, cols: Columns, cmap: ColumnMap, session_date: pd.Series, log: ProblemLog
) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Each row's session and planned start and end as full date-times (theatre and bookings).

    Planned times are times of day (or full date-times); an end earlier than the start is
    allowed only for an evening/overnight session, which then ends the next day. A file with no
    session column gets one derived from the planned times. Problems go to ``log``.
    """
    label = cols.label
    start_tod, start_full, bad_start = parse_times(f["planned_start"])
    end_tod, end_full, bad_end = parse_times(f["planned_end"])
    for name, bad in (("planned_start", bad_start), ("planned_end", bad_end)):
        log.add_mask(bad, label(name), f[name], f"not a time: expected {TIME_EXPECTED}")
        log.add_mask(f[name] == "", label(name), None, "value is empty: a planned time is required")

    if "session" in cols or "session" in cmap.constants:
        session, bad = map_values(f["session"], SESSION_VALUES)
        log.add_mask(
            bad | (f["session"] == ""),
            label("session"),
            f["session"],
            f"unknown session: expected {SESSION_EXPECTED}",
        )
    else:
        session = _derive_session(start_tod, end_tod)
    overnight_flag, bad = parse_flags(f["overnight"])
    log.add_mask(bad, label("overnight"), f["overnight"], f"not a flag: expected {FLAG_EXPECTED}")

    planned_start = start_full.fillna(session_date + start_tod)
    wraps = end_tod.notna() & start_tod.notna() & (end_tod < start_tod)
    overnight = wraps & ((session == "EVE") | overnight_flag)
    planned_end = end_full.fillna(
        session_date + end_tod + pd.to_timedelta(overnight.astype(int), unit="D")
    )
    log.add_mask(
        planned_end.notna() & planned_start.notna() & (planned_end <= planned_start),
        label("planned_end"),
        f["planned_end"],
        "planned_end is not after planned_start: expected a later time (a session that runs "
        "past midnight must be an EVE session or have overnight=Y)",
    )
    return session, planned_start, planned_end


def check_duplicate_cases(
    f: pd.DataFrame, has_case: pd.Series, log: ProblemLog, label: Callable[[str], str]
) -> pd.Series:
    """Exact repeats of a row (returned, to be dropped and counted for the quality report); a
    case id that repeats within a trust with different content is a problem, since we cannot
    tell which row is right."""
    exact_dup = f.duplicated(keep="first")
    key = f["trust_code"] + "\x1f" + f["case_id"]
    case_dup = has_case & ~exact_dup & key.where(~exact_dup).duplicated(keep="first")
    first_row = pd.Series(f.index, index=f.index).groupby(key).transform("first")
    log.add_mask(
        case_dup,
        label("case_id"),
        f["case_id"],
        lambda row: (
            f"duplicate case id (first on row {first_row[row]}): expected each case once per trust"
        ),
    )
    return exact_dup


def _derive_session(start: pd.Series, end: pd.Series) -> pd.Series:
    length = (end - start).where(end >= start, end - start + pd.Timedelta(days=1))
    session = np.select(
        [start >= _FIVE_PM, length >= _ALL_DAY, start < _NOON], ["EVE", "ALL", "AM"], "PM"
    )
    return pd.Series(session, index=start.index, dtype="str")


def check_list_consistency(norm: pd.DataFrame, log: ProblemLog, label) -> None:
    """Every row of a list must agree on the planned times."""
    key = list(THEATRE_LIST_KEY)
    if norm.empty:
        return
    grouped = norm.groupby(key, sort=False, dropna=False)
    for name in ("planned_start", "planned_end"):
        first = grouped[name].transform("first")
        differs = first.notna() & norm[name].notna() & (norm[name] != first)
        log.add_mask(
            differs,
            label(name),
            norm[name].astype("str"),
            f"{name} differs from the first row of the same list (trust, site, theatre, "
            "date, session): expected one planned time per list",
        )


def _split(norm: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Lists (ids 1..n in order of first appearance) and their cases."""
    key = list(THEATRE_LIST_KEY)
    list_id = norm.groupby(key, sort=False, dropna=False).ngroup() + 1
    norm = norm.assign(list_id=list_id.astype("int64"))
    first = norm.drop_duplicates("list_id", keep="first")
    first_case = norm[norm["has_case"]].drop_duplicates("list_id", keep="first")
    specialty = first["list_id"].map(first_case.set_index("list_id")["specialty"])
    lists = first.assign(specialty=specialty.fillna(first["specialty"]).astype("str"))
    lists = lists[list(LIST_COLUMNS)].reset_index(drop=True)
    case_rows = norm[norm["has_case"]]
    cases = case_rows.assign(
        specialty=case_rows["specialty"].where(
            case_rows["specialty"] != "",
            case_rows["list_id"].map(lists.set_index("list_id")["specialty"]),
        )
    )[list(CASE_COLUMNS)].reset_index(drop=True)
    return lists, cases
