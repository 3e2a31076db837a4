"""Theatre bookings (SPEC §3, ``--kind bookings``): future lists with their booked cases.

One row per booked case, keyed to its list by trust, site, theatre, session date and session; an
unbooked list is one row with empty case fields. Validated as the theatre extract is (the same
column names and aliases, planned times, sessions, priorities, duplicate case ids, one planned
time per list; patient identifiers are refused before this runs), plus the optional
``consultant_code`` and ``booked_minutes`` (a number of minutes, 0 or more). Dates before 2000
or more than a year ahead are located errors. The store replaces a trust's bookings over the
file's date range (:func:`productivity.ingest.store.store_bookings`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection

import pandas as pd

from productivity.ingest.checks import (
    ParsedFile,
    dates,
    mapped_frame,
    normalise_specialty,
    numbers,
    period_bounds,
)
from productivity.ingest.maps import ColumnMap
from productivity.ingest.tabular import ColumnSpec, ProblemLog, Table
from productivity.ingest.theatre import (
    PRIORITY_EXPECTED,
    PRIORITY_VALUES,
    SPEC as THEATRE_SPEC,
    check_duplicate_cases,
    check_list_consistency,
    planned_session,
)
from productivity.ingest.values import map_values
from productivity.schema import BOOKING_COLUMNS

SPEC = ColumnSpec(
    columns=(*BOOKING_COLUMNS, "overnight"),
    required=(
        "trust_code", "site", "theatre", "session_date", "planned_start", "planned_end",
        "specialty", "case_id",
    ),  # fmt: skip
    aliases={
        **{c: a for c, a in THEATRE_SPEC.aliases.items() if c in BOOKING_COLUMNS},
        "session_date": (*THEATRE_SPEC.aliases["session_date"], "booked date", "tci date"),
        "consultant_code": (
            "consultant", "consultant code", "surgeon code", "surgeon", "lead clinician code",
            "gmc code", "responsible consultant",
        ),
        "booked_minutes": (
            "booked minutes", "booked mins", "estimated minutes", "estimated duration",
            "expected duration", "planned duration", "procedure duration", "est duration mins",
            "duration minutes",
        ),
        "overnight": THEATRE_SPEC.aliases["overnight"],
    },
)  # fmt: skip
# The columns stored (models.TheatreBooking), in order.
STORED: tuple[str, ...] = BOOKING_COLUMNS


def parse_bookings(
    table: Table,
    cmap: ColumnMap,
    known_trusts: Collection[str],
    log: ProblemLog,
    *,
    today: dt.date | None = None,
) -> ParsedFile:
    """Validate a bookings file and normalise it: one row per booked case (or unbooked list).

    Raises:
        InputError: every located problem found (up to 50).
    """
    f, cols = mapped_frame(
        table,
        SPEC,
        cmap,
        known_trusts,
        log,
        ("trust_code", "site", "theatre", "session_date", "specialty"),
    )
    label = cols.label
    # The sane window (SPEC §3) is shared: a booking more than a year ahead is a typing error.
    session_date = dates(f, "session_date", log, label("session_date"), required=False, today=today)
    session, planned_start, planned_end = planned_session(f, cols, cmap, session_date, log)

    has_case = f["case_id"] != ""
    case_fields = (f[["procedure_code", "booked_minutes"]] != "").any(axis=1)
    log.add_mask(
        case_fields & ~has_case,
        label("case_id"),
        None,
        "case_id is empty but the row has a procedure or booked minutes: expected a case id "
        "(a row with no case id is an unbooked list)",
    )
    priority, bad = map_values(f["priority"], PRIORITY_VALUES)
    log.add_mask(
        bad, label("priority"), f["priority"], f"unknown priority: expected {PRIORITY_EXPECTED}"
    )
    minutes = numbers(f, "booked_minutes", log, label("booked_minutes"), required=False)
    exact_dup = check_duplicate_cases(f, has_case, log, label)

    def text(column: str) -> pd.Series:
        return f[column].where(f[column] != "")

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
            "case_id": text("case_id"),
            "procedure_code": text("procedure_code"),
            "priority": priority.where(priority != ""),
            "consultant_code": text("consultant_code"),
            "booked_minutes": minutes,
        }
    )[~exact_dup]
    check_list_consistency(norm, log, label)
    log.raise_if_any()
    bookings = norm[list(STORED)].reset_index(drop=True)
    period_from, period_to = period_bounds(bookings["session_date"])
    lists = bookings.drop_duplicates(["trust_code", "site", "theatre", "session_date", "session"])
    booked = int(bookings["case_id"].notna().sum())
    notes: tuple[str, ...] = (f"{len(lists)} lists with {booked} booked cases",)
    if exact_dup.any():
        notes += (f"{int(exact_dup.sum())} exact duplicate rows dropped",)
    return ParsedFile(
        kind="bookings",
        file_name=log.file,
        frames={"theatre_booking": bookings},
        rows=len(bookings),
        trust_codes=tuple(sorted(bookings["trust_code"].unique())),
        period_from=period_from,
        period_to=period_to,
        notes=notes,
    )
