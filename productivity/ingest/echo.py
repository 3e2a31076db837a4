"""Echocardiography activity (SPEC §3): tests and scheduled minutes per site per day."""

from __future__ import annotations

from collections.abc import Collection

from productivity.ingest.checks import (
    ParsedFile,
    mapped_frame,
    numbers,
)
from productivity.ingest.maps import ColumnMap
from productivity.ingest.tabular import (
    ColumnSpec,
    ProblemLog,
    Table,
)
from productivity.ingest.values import DATE_EXPECTED, parse_dates
from productivity.schema import ECHO_COLUMNS

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
    date, bad = parse_dates(f["date"])
    log.add_mask(
        bad | (f["date"] == ""), label("date"), f["date"], f"not a date: expected {DATE_EXPECTED}"
    )
    tests = numbers(f, "tests", log, label("tests"), integer=True)
    minutes = numbers(f, "scheduled_minutes", log, label("scheduled_minutes"))
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
    return ParsedFile.dated("echo", log, "echo_activity", out)
