"""The theatre extract (SPEC §3): one row per case, normalised into lists and cases.

A list (session) is keyed by trust, site, theatre, session date and session; its specialty is
that of its first case row, and a list row with no case id is an unused session. Planned start and
end are times of day (or full date-times); an end earlier than the start is allowed only for an
evening/overnight session, which then ends the next day. Headers, aliases and value codes are in
:mod:`productivity.ingest.theatre_columns` (re-exported here); a cancellation reason is stored as
its category only. Implausible times (a case or a planned list over a day, milestones far from
the list's date) are located errors. The bookings importer shares the planned-session, duplicate
and list checks.
"""

from __future__ import annotations

from collections.abc import Callable, Collection

import numpy as np
import pandas as pd

from productivity.ingest.checks import (
    SESSION_EXPECTED,
    SESSION_VALUES,
    Label,
    ParsedFile,
    dates,
    issue_counts,
    mapped_frame,
    normalise_specialty,
    period_bounds,
)
from productivity.ingest.maps import ColumnMap
from productivity.ingest.tabular import Columns, ProblemLog, Table
from productivity.ingest.theatre_columns import (
    MILESTONE_CODES as MILESTONE_CODES,
    MILESTONES as MILESTONES,
    PRIORITY_EXPECTED as PRIORITY_EXPECTED,
    PRIORITY_VALUES as PRIORITY_VALUES,
    SPEC as SPEC,
    cancel_category,
    milestone_code as milestone_code,
)
from productivity.ingest.values import (
    FLAG_EXPECTED,
    TIME_EXPECTED,
    map_values,
    parse_flags,
    parse_times,
)
from productivity.schema import CASE_COLUMNS, LIST_COLUMNS, THEATRE_LIST_KEY

# Plausibility (SPEC §4 touch time and planned minutes): no operation runs for a day, and no
# planned session is longer than one; a longer value is a typing error in a date (a 400-day
# case would give 3,808% uncapped utilisation). Milestones belong to the list's day: from the
# day before (a patient anaesthetised just before midnight for an early list is not one) to the
# day after the list (an evening list running past midnight).
MAX_CASE = pd.Timedelta(hours=24)
MAX_SESSION = pd.Timedelta(hours=24)
MILESTONE_BEFORE, MILESTONE_AFTER = pd.Timedelta(days=1), pd.Timedelta(days=2)

# Deriving a session when the export has none: a start from 17:00 is EVE; otherwise a session of
# six hours or more is ALL (an all-day list), a start before noon AM, and anything else PM.
_NOON, _FIVE_PM, _ALL_DAY = pd.Timedelta(hours=12), pd.Timedelta(hours=17), pd.Timedelta(hours=6)


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
    session_date = dates(f, "session_date", log, label("session_date"), required=False)
    session, planned_start, planned_end = planned_session(f, cols, cmap, session_date, log)
    times = {name: dates(f, name, log, label(name), with_time=True, required=False)
             for name in MILESTONES}  # fmt: skip
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
    negative = times["out_of_theatre"] < touch_start
    log.add_mask(
        negative,
        label("out_of_theatre"),
        f["out_of_theatre"],
        "out_of_theatre is before the anaesthetic start (or into theatre): expected a later "
        "time (a negative case duration)",
    )
    _check_case_times(f, times, session_date, negative, log, label)
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
            "cancel_reason": cancel_category(f["cancel_reason"], flags["cancel_clinical"]),
            "cancel_clinical": flags["cancel_clinical"],
            "has_case": has_case,
        }
    )
    if exact_dup.any():
        norm = norm[~exact_dup.to_numpy()]
    list_ids = list_numbers(norm)
    check_list_consistency(norm, log, label, list_ids)
    log.raise_if_any()
    lists, cases = _split(norm, list_ids)
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
        row_dates=session_date[~exact_dup],
        date_label=label("session_date"),
    )


def _check_case_times(
    f: pd.DataFrame,
    times: dict[str, pd.Series],
    session_date: pd.Series,
    negative: pd.Series,
    log: ProblemLog,
    label: Label,
) -> None:
    """Milestones far from the list's day, and cases over a day long, are implausible (one
    problem per cell: a negative duration already reported is not reported again)."""
    far = pd.Series(False, index=f.index)
    for name in MILESTONES:
        away = (times[name] < session_date - MILESTONE_BEFORE) | (
            times[name] >= session_date + MILESTONE_AFTER
        )
        away &= ~negative if name == "out_of_theatre" else True
        log.add_mask(
            away,
            label(name),
            f[name],
            "implausible: more than a day from the list's session_date: expected a time on "
            "the list's day (or just past midnight)",
        )
        far |= away
    touch_start = times["anaesthetic_start"].fillna(times["into_theatre"])
    log.add_mask(
        ((times["out_of_theatre"] - touch_start) > MAX_CASE) & ~far,
        label("out_of_theatre"),
        f["out_of_theatre"],
        "implausible: a case of more than 24 hours from anaesthetic start (or into theatre) "
        "to out of theatre: expected the times of one operation",
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

    log.add_mask(
        start_full.notna() & session_date.notna() & (start_full.dt.normalize() != session_date),
        label("planned_start"),
        f["planned_start"],
        "planned_start is not on the list's session_date: expected a time on that day",
    )
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
    log.add_mask(
        (planned_end - planned_start) > MAX_SESSION,
        label("planned_end"),
        f["planned_end"],
        "implausible: a planned session of more than 24 hours: expected a start and end on "
        "the list's day (or the next morning for an overnight list)",
    )
    return session, planned_start, planned_end


def check_duplicate_cases(
    f: pd.DataFrame, has_case: pd.Series, log: ProblemLog, label: Callable[[str], str]
) -> pd.Series:
    """Exact repeats of a row (returned, to be dropped and counted for the quality report); a
    case id that repeats within a trust with different content is a problem, since we cannot
    tell which row is right."""
    # An exact repeat shares its (trust, case id) with the row it repeats, so rows are compared
    # whole only where that key is shared (unused sessions, whose case id is empty, and repeats).
    shared = f.duplicated(["trust_code", "case_id"], keep=False)
    exact_dup = pd.Series(False, index=f.index)
    case_dup = pd.Series(False, index=f.index)
    if not shared.any():
        return exact_dup
    rows = f[shared.to_numpy()]
    exact_dup[shared] = rows.duplicated(keep="first")
    kept = rows[~exact_dup[shared].to_numpy()]
    case_dup[kept.index] = kept.duplicated(["trust_code", "case_id"], keep="first")
    case_dup &= has_case
    if not case_dup.any():
        return exact_dup
    key = f["trust_code"] + "\x1f" + f["case_id"]
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


def list_numbers(norm: pd.DataFrame) -> np.ndarray:
    """Each row's list: 0, 1, ... in order of first appearance of its key (trust, site,
    theatre, date, session; an empty or invalid date is a key like any other)."""
    if norm.empty:
        return np.zeros(0, dtype=np.int64)
    grouped = norm.groupby(list(THEATRE_LIST_KEY), sort=False, dropna=False)
    return grouped.ngroup().to_numpy(dtype=np.int64)


def _first_each(groups: np.ndarray, valid: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each group with a ``valid`` row: the group, and the position of its first such row."""
    where = np.flatnonzero(valid)
    found, first = np.unique(groups[where], return_index=True)
    return found, where[first]


def check_list_consistency(
    norm: pd.DataFrame, log: ProblemLog, label: Label, list_ids: np.ndarray | None = None
) -> None:
    """Every row of a list must agree on the planned times (each is compared with the list's
    first row that has one)."""
    if norm.empty:
        return
    ids = list_numbers(norm) if list_ids is None else list_ids
    for name in ("planned_start", "planned_end"):
        values = norm[name].to_numpy(dtype="datetime64[us]")
        known = ~np.isnat(values)
        found, rows = _first_each(ids, known)
        first = np.full(int(ids.max()) + 1, np.datetime64("NaT"), dtype="datetime64[us]")
        first[found] = values[rows]
        mine = first[ids]
        differs = pd.Series(known & ~np.isnat(mine) & (values != mine), index=norm.index)
        log.add_mask(
            differs,
            label(name),
            norm[name].astype("str") if differs.any() else None,  # text only when shown
            f"{name} differs from the first row of the same list (trust, site, theatre, "
            "date, session): expected one planned time per list",
        )


def _split(
    norm: pd.DataFrame, list_ids: np.ndarray | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Lists (ids 1..n in order of first appearance) and their cases. A list's specialty is
    that of its first case row, else of its first row; a case without one takes its list's."""
    ids = list_numbers(norm) if list_ids is None else list_ids
    has_case = norm["has_case"].to_numpy(dtype=bool)
    lists_at, first_rows = _first_each(ids, np.ones(len(ids), dtype=bool))
    specialty = norm["specialty"].to_numpy(dtype=object)
    list_specialty = specialty[first_rows]
    with_case, first_case_rows = _first_each(ids, has_case)
    list_specialty[with_case] = specialty[first_case_rows]
    list_columns = [c for c in LIST_COLUMNS if c not in ("list_id", "specialty")]
    lists = norm[list_columns].iloc[first_rows].reset_index(drop=True)
    lists["list_id"] = lists_at + 1
    lists["specialty"] = pd.Series(list_specialty, dtype="str")
    case_ids = ids[has_case]
    own = specialty[has_case]
    case_columns = [c for c in CASE_COLUMNS if c not in ("list_id", "specialty")]
    cases = norm[case_columns][has_case].reset_index(drop=True)
    cases["list_id"] = case_ids + 1
    cases["specialty"] = pd.Series(np.where(own == "", list_specialty[case_ids], own), dtype="str")
    return lists[list(LIST_COLUMNS)], cases[list(CASE_COLUMNS)]
