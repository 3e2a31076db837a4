"""Echocardiography activity (SPEC §3): tests and scheduled minutes per site per day.

Counts above a plausible day's work at one site are located errors (:data:`MINUTES_BOUND`,
:data:`TESTS_BOUND`).
"""

from __future__ import annotations

from collections.abc import Collection

from productivity.ingest.checks import (
    Bound,
    ParsedFile,
    dates,
    mapped_frame,
    numbers,
)
from productivity.ingest.maps import ColumnMap
from productivity.ingest.tabular import ColumnSpec, ProblemLog, Table
from productivity.schema import ECHO_COLUMNS

# One row is one site's day (SPEC §4 minutes per test). A busy echo department runs about ten
# rooms; ten rooms for all 24 hours is 14,400 scheduled minutes, and at a 10-minute scan (well
# under any real slot) 1,440 tests. More is a typing or unit error (1e20 minutes once got in).
MINUTES_BOUND = Bound(14_400, "scheduled minutes at one site in a day (ten rooms, all day)")
TESTS_BOUND = Bound(1_440, "echo tests at one site in a day (ten rooms, one every 10 minutes)")

SPEC = ColumnSpec(
    columns=ECHO_COLUMNS,
    required=ECHO_COLUMNS,
    aliases={
        "trust_code": ("trust", "trust code", "org code", "organisation code", "provider code"),
        "site": ("site code", "hospital", "site name", "location"),
        "date": ("activity date", "clinic date", "session date"),
        "tests": ("echo tests", "echos", "echoes", "number of tests", "tests performed"),
        "scheduled_minutes": (
            "minutes",
            "slot minutes",
            "session minutes",
            "booked minutes",
            "capacity minutes",
            "scheduled mins",
        ),
    },
)


def parse_echo(
    table: Table, cmap: ColumnMap, known_trusts: Collection[str], log: ProblemLog
) -> ParsedFile:
    """Validate an echo activity file: one row per trust, site and day.

    Raises:
        InputError: every located problem found (up to 50).
    """
    f, cols = mapped_frame(table, SPEC, cmap, known_trusts, log, ("trust_code", "site"), None)
    label = cols.label
    date = dates(f, "date", log, label("date"))
    tests = numbers(f, "tests", log, label("tests"), integer=True, upper=TESTS_BOUND)
    minutes = numbers(f, "scheduled_minutes", log, label("scheduled_minutes"), upper=MINUTES_BOUND)
    out = f.assign(date=date, tests=tests, scheduled_minutes=minutes)
    dup = out.duplicated(["trust_code", "site", "date"], keep="first") & date.notna()
    log.add_mask(
        dup,
        label("date"),
        f["date"],
        "duplicate row (same trust, site and date as an earlier row): expected one row "
        "per site per day",
    )
    log.raise_if_any()
    out = out[list(ECHO_COLUMNS)].reset_index(drop=True)
    out["tests"] = out["tests"].astype("int64")
    return ParsedFile.dated(
        "echo", log, "echo_activity", out, row_dates=date, date_label=label("date")
    )
