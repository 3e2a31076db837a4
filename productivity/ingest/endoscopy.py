"""Endoscopy lists (SPEC §3): list rows with points, or procedure rows scored from the point table.

List rows carry ``planned_points`` and ``used_points``. Procedure rows carry a
``procedure_type``; each scores the points the benchmark file's point table gives it, and the
list's planned points are the table's ``list`` value unless a ``planned_points`` column says
otherwise. A procedure row with no type is a list on which nothing was done.
"""

from __future__ import annotations

from collections.abc import Collection

import pandas as pd

from productivity.benchmarks import load_benchmarks
from productivity.ingest.checks import (
    SESSION_EXPECTED,
    SESSION_VALUES,
    Bound,
    ParsedFile,
    check_upper,
    dates,
    mapped_frame,
    numbers,
)
from productivity.ingest.maps import ColumnMap
from productivity.ingest.tabular import Columns, ColumnSpec, ProblemLog, Table
from productivity.ingest.values import map_values
from productivity.schema import ENDOSCOPY_COLUMNS

LIST_KEY = ("trust_code", "site", "room", "date", "session")
# A list is 12 points (the benchmark file's point table; an all-day list 24), so SPEC §4's
# planned and used points of one list, and the procedures done on it, cannot reach 60: five
# standard lists in one room and session. A larger value is a typing or unit error.
POINTS_BOUND = Bound(60, "points on one endoscopy list (five 12-point lists)")
PROCEDURES_BOUND = Bound(60, "procedures on one endoscopy list (five 12-point lists)")
# Common names of procedure types, onto the keys of the benchmark point table.
TYPE_ALIASES: dict[str, str] = {
    "oesophagogastroduodenoscopy": "OGD",
    "upper gi endoscopy": "OGD",
    "gastroscopy": "OGD",
    "flexible sigmoidoscopy": "FLEXI_SIGMOIDOSCOPY",
    "flexi sig": "FLEXI_SIGMOIDOSCOPY",
    "flexi sigmoidoscopy": "FLEXI_SIGMOIDOSCOPY",
    "fs": "FLEXI_SIGMOIDOSCOPY",
    "colon": "COLONOSCOPY",
    "endoscopic ultrasound": "EUS",
}
SPEC = ColumnSpec(
    columns=(*ENDOSCOPY_COLUMNS, "procedure_type"),
    required=("trust_code", "site", "room", "date", "session"),
    one_of=(("used_points", "procedure_type"),),
    aliases={
        "trust_code": ("trust", "trust code", "org code", "organisation code", "provider code"),
        "site": ("site code", "hospital", "site name", "unit", "location"),
        "room": ("endoscopy room", "room name", "procedure room", "suite"),
        "date": ("list date", "session date", "procedure date", "activity date"),
        "session": ("session type", "am pm", "list session"),
        "planned_points": ("list points", "points available", "capacity points", "planned"),
        "used_points": ("points used", "actual points", "used"),
        "procedures": ("procedure count", "number of procedures", "patients"),
        "procedure_type": ("procedure", "procedure name", "exam type", "test", "type"),
    },
)


def points_table() -> dict[str, float]:
    """Points by procedure type (and per list under ``list``) from the benchmark file."""
    return load_benchmarks().endoscopy_points()


def parse_endoscopy(
    table: Table, cmap: ColumnMap, known_trusts: Collection[str], log: ProblemLog
) -> ParsedFile:
    """Validate an endoscopy file and return one row per list.

    Raises:
        InputError: every located problem found (up to 50).
    """
    f, cols = mapped_frame(
        table, SPEC, cmap, known_trusts, log, ("trust_code", "site", "room"), None
    )
    label = cols.label
    date = dates(f, "date", log, label("date"))
    session, bad = map_values(f["session"], SESSION_VALUES)
    log.add_mask(
        bad | (f["session"] == ""),
        label("session"),
        f["session"],
        f"unknown session: expected {SESSION_EXPECTED}",
    )
    f = f.assign(date=date, session=session)
    rows = _list_rows if "used_points" in cols else _procedure_rows
    lists = rows(f, cols, log)
    log.raise_if_any()
    lists = lists[list(ENDOSCOPY_COLUMNS)].reset_index(drop=True)
    lists["procedures"] = lists["procedures"].astype("Int64")
    return ParsedFile.dated(
        "endoscopy", log, "endoscopy_list", lists, row_dates=date, date_label=label("date")
    )


def _list_rows(f: pd.DataFrame, cols: Columns, log: ProblemLog) -> pd.DataFrame:
    label = cols.label
    planned = numbers(f, "planned_points", log, label("planned_points"), upper=POINTS_BOUND)
    used = numbers(f, "used_points", log, label("used_points"), upper=POINTS_BOUND)
    procedures = numbers(
        f,
        "procedures",
        log,
        label("procedures"),
        integer=True,
        required=False,
        upper=PROCEDURES_BOUND,
    )
    out = f.assign(planned_points=planned, used_points=used, procedures=procedures.astype("Int64"))
    dup = out.duplicated(list(LIST_KEY), keep="first") & out["date"].notna()
    log.add_mask(
        dup,
        label("room"),
        f["room"],
        "duplicate list (same trust, site, room, date and session as an earlier row): "
        "expected one row per list",
    )
    return out


def _procedure_rows(f: pd.DataFrame, cols: Columns, log: ProblemLog) -> pd.DataFrame:
    label = cols.label
    table = points_table()
    lookup = {key.replace("_", " "): key for key in table if key != "list"} | TYPE_ALIASES
    kind, bad = map_values(f["procedure_type"], lookup)
    log.add_mask(
        bad,
        label("procedure_type"),
        f["procedure_type"],
        "unknown procedure type: expected one of the point table's types ("
        + ", ".join(k for k in table if k != "list")
        + ")",
    )
    points = kind.map(table).astype("float64").fillna(0.0)
    if "planned_points" in cols:
        planned = numbers(
            f, "planned_points", log, label("planned_points"), required=False, upper=POINTS_BOUND
        )
    else:
        planned = pd.Series(float("nan"), index=f.index)
    rows = f.assign(
        points=points,
        done=(kind != "").astype("int64"),
        planned=planned.fillna(table.get("list", 0.0)),
        row=f.index,
    )
    rows = rows[rows["date"].notna()]
    grouped = rows.groupby(list(LIST_KEY), sort=False)
    spread = grouped["planned"].transform("max") - grouped["planned"].transform("min")
    log.add_mask(
        spread > 0,
        label("planned_points"),
        f["planned_points"],
        "planned_points differs between rows of the same list: expected one value per list",
    )
    lists = grouped.agg(
        planned_points=("planned", "first"),
        used_points=("points", "sum"),
        procedures=("done", "sum"),
        row=("row", "first"),
    )
    lists = lists.reset_index().set_index("row")
    check_upper(lists["used_points"], POINTS_BOUND, log, label("procedure_type"))
    check_upper(lists["procedures"], PROCEDURES_BOUND, log, label("procedure_type"))
    return lists
