"""Imaging activity (SPEC §3): scanner-day rows, or exam rows aggregated to scanner-days.

A scanner-day file has ``date, operational_hours, scans``. An exam-level file has one row per
exam with ``exam_datetime``; exams are counted per scanner and day, and operational hours come
from an ``operational_hours`` column (the same value on every exam of a scanner-day) or from a
sessions file (``scanner_id, date`` and ``operational_hours`` or ``session_start``/``session_end``).
A scanner-day in the sessions file with no exams is kept with 0 scans: idle hours count.
Exams of modalities other than CT, MRI and non-obstetric ultrasound are skipped with a note.
"""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path

import pandas as pd

from productivity.ingest.checks import (
    Bound,
    Label,
    ParsedFile,
    check_trusts,
    check_upper,
    dates,
    mapped_frame,
    numbers,
)
from productivity.ingest.maps import ColumnMap
from productivity.ingest.reading import read_table
from productivity.ingest.tabular import (
    Columns,
    ColumnSpec,
    ProblemLog,
    Table,
    canonical_frame,
    match_columns,
)
from productivity.ingest.values import (
    DATE_EXPECTED,
    map_values,
    parse_dates,
    parse_times,
)
from productivity.schema import IMAGING_COLUMNS

# Above this many scans per operational hour a row is physically implausible (about one scan
# every three minutes, all day): almost always hours entered in the wrong unit or a typo.
MAX_SCANS_PER_HOUR = 20
HOURS_PER_DAY = 24
# A scanner's operational hours in a day (SPEC §4 scans per operational hour) cannot exceed the
# day; its scans are bounded by the rate above, and a day's count by that rate all day long.
HOURS_BOUND = Bound(HOURS_PER_DAY, "operational hours in a day: expected 0-24 for one scanner")
SCANS_BOUND = Bound(
    MAX_SCANS_PER_HOUR * HOURS_PER_DAY, "scans by one scanner in a day (20 an hour, all day)"
)
MODALITY_VALUES: dict[str, str] = {
    "ct": "CT",
    "computed tomography": "CT",
    "cat": "CT",
    "ct scan": "CT",
    "mri": "MRI",
    "mr": "MRI",
    "magnetic resonance": "MRI",
    "magnetic resonance imaging": "MRI",
    "nous": "NOUS",
    "us": "NOUS",
    "ultrasound": "NOUS",
    "non obstetric ultrasound": "NOUS",
    "non obstetric us": "NOUS",
    "non_obstetric_ultrasound": "NOUS",
}
MODALITY_EXPECTED = "one of CT, MRI, NOUS"
KEY = ("trust_code", "scanner_id", "date")
ALIASES = {
    "trust_code": ("trust", "trust code", "org code", "organisation code", "provider code"),
    "site": ("site code", "hospital", "site name", "location"),
    "scanner_id": (
        "scanner",
        "scanner name",
        "scanner code",
        "machine",
        "equipment",
        "device",
        "room",
        "modality room",
        "resource",
    ),
    "modality": ("modality code", "exam modality", "modality type"),
    "date": ("activity date", "scan date", "day", "session date"),
    "operational_hours": (
        "hours",
        "session hours",
        "scanner hours",
        "operating hours",
        "available hours",
        "operational hrs",
    ),
    "scans": (
        "scan count",
        "exams",
        "examinations",
        "number of scans",
        "scans performed",
        "activity",
    ),
    "exam_datetime": (
        "exam date time",
        "exam datetime",
        "exam date",
        "scan datetime",
        "examination date",
        "exam start",
        "performed datetime",
        "event datetime",
    ),
}
SPEC = ColumnSpec(
    columns=(*IMAGING_COLUMNS, "exam_datetime"),
    required=("trust_code", "site", "scanner_id", "modality"),
    aliases=ALIASES,
    one_of=(("scans", "exam_datetime"),),
)
SESSIONS_SPEC = ColumnSpec(
    columns=(
        "trust_code",
        "site",
        "scanner_id",
        "modality",
        "date",
        "operational_hours",
        "session_start",
        "session_end",
    ),
    required=("scanner_id", "date"),
    aliases={
        **ALIASES,
        "session_start": ("start", "start time", "session start time"),
        "session_end": ("end", "end time", "session end time"),
    },
    one_of=(("operational_hours", "session_start"),),
)


def parse_imaging(
    table: Table,
    cmap: ColumnMap,
    known_trusts: Collection[str],
    log: ProblemLog,
    sessions_path: Path | None = None,
) -> ParsedFile:
    """Validate an imaging file and return scanner-day rows.

    Raises:
        InputError: every located problem found (up to 50).
    """
    f, cols = mapped_frame(
        table, SPEC, cmap, known_trusts, log, ("trust_code", "site", "scanner_id", "modality"), None
    )
    label = cols.label
    modality, bad = map_values(f["modality"], MODALITY_VALUES)
    notes: tuple[str, ...] = ()
    exam_level = "exam_datetime" in cols and "scans" not in cols
    if exam_level:
        other = bad
        if other.any():
            shown = ", ".join(sorted(f["modality"][other].unique())[:5])
            notes = (f"{int(other.sum())} exams of other modalities ({shown}) skipped",)
        f, modality = f[~other], modality[~other]
        day = _exam_days(
            f.assign(modality=modality),
            cols,
            log,
            sessions_path or cmap.option_path("sessions_file"),
            known_trusts,
        )
    else:
        log.add_mask(
            bad, label("modality"), f["modality"], f"unknown modality: expected {MODALITY_EXPECTED}"
        )
        day = _scanner_days(f.assign(modality=modality), cols, log)
    log.raise_if_any()
    _check_rates(day, log, label)
    log.raise_if_any()
    row_dates = pd.Series(day["date"].to_numpy(), index=day.index)
    day = day[list(IMAGING_COLUMNS)].reset_index(drop=True)
    day["scans"] = day["scans"].astype("int64")
    date_label = label("exam_datetime" if exam_level else "date")
    return ParsedFile.dated(
        "imaging", log, "scanner_day", day, notes, row_dates=row_dates, date_label=date_label
    )


def _scanner_days(f: pd.DataFrame, cols: Columns, log: ProblemLog) -> pd.DataFrame:
    label = cols.label
    date = dates(f, "date", log, label("date"))
    hours = numbers(f, "operational_hours", log, label("operational_hours"))
    scans = numbers(f, "scans", log, label("scans"), integer=True, upper=SCANS_BOUND)
    day = f.assign(date=date, operational_hours=hours, scans=scans)
    dup = day.duplicated(list(KEY), keep="first") & date.notna()
    log.add_mask(
        dup,
        label("scanner_id"),
        f["scanner_id"],
        "duplicate scanner-day (same trust, scanner and date as an earlier row): "
        "expected one row per scanner per day",
    )
    return day


def _check_rates(day: pd.DataFrame, log: ProblemLog, label: Label) -> None:
    hours, scans = day["operational_hours"], day["scans"]
    check_upper(hours, HOURS_BOUND, log, label("operational_hours"))
    rate = scans / hours.where(hours > 0)
    log.add_mask(
        (rate > MAX_SCANS_PER_HOUR) | ((hours == 0) & (scans > 0)),
        label("scans"),
        scans.astype("str") + " scans in " + hours.astype("str") + " h",
        f"implausible: more than {MAX_SCANS_PER_HOUR} scans per operational hour "
        "(check the hours and the scan count)",
    )


def _exam_days(
    f: pd.DataFrame,
    cols: Columns,
    log: ProblemLog,
    sessions_path: Path | None,
    known_trusts: Collection[str],
) -> pd.DataFrame:
    label = cols.label
    when = dates(f, "exam_datetime", log, label("exam_datetime"), with_time=True)
    exams = f.assign(date=when.dt.normalize(), row=f.index)
    aggregations = {
        "site": ("site", "first"),
        "modality": ("modality", "first"),
        "row": ("row", "first"),
        "scans": ("row", "size"),
    }
    if "operational_hours" in cols:
        exams["operational_hours"] = numbers(
            f, "operational_hours", log, label("operational_hours")
        )
        exams = exams[exams["date"].notna()]
        grouped = exams.groupby(list(KEY))["operational_hours"]
        spread = grouped.transform("max") - grouped.transform("min")
        log.add_mask(
            spread > 0,
            label("operational_hours"),
            f["operational_hours"],
            "operational_hours differs between exams of the same scanner and day: "
            "expected one value per scanner-day",
        )
        aggregations["operational_hours"] = ("operational_hours", "first")
        day = exams.groupby(list(KEY), sort=True).agg(**aggregations).reset_index()
    else:
        exams = exams[exams["date"].notna()]
        day = exams.groupby(list(KEY), sort=True).agg(**aggregations).reset_index()
        if sessions_path is None:
            log.add(
                None,
                label("exam_datetime"),
                None,
                "exam-level imaging needs operational hours: add an operational_hours "
                "column, or give a sessions file (options.sessions_file in the column map)",
            )
            return day
        sessions = _read_sessions(sessions_path, known_trusts, log)
        if sessions is None:
            return day
        day = _join_sessions(day, sessions, log, label, sessions_path.name)
    return day.set_index(day["row"].fillna(0).astype("int64").to_numpy())


def _join_sessions(
    day: pd.DataFrame, sessions: pd.DataFrame, log: ProblemLog, label: Label, name: str
) -> pd.DataFrame:
    """Exam counts joined to session hours; sessions with no exams become 0-scan days."""
    on = list(KEY) if sessions["trust_code"].notna().all() else ["scanner_id", "date"]
    extra = [c for c in ("trust_code", "site", "modality") if c not in on]
    sessions = sessions.rename(columns={c: f"{c}_s" for c in extra})
    merged = day.merge(sessions, on=on, how="outer", indicator=True)
    no_hours = merged["_merge"] == "left_only"
    for _, miss in merged[no_hours].head(50).iterrows():
        log.add(
            int(miss["row"]),
            label("exam_datetime"),
            f"{miss['scanner_id']} {miss['date']:%Y-%m-%d}",
            f"no operational hours for this scanner-day in the sessions file {name}",
        )
    known = day.drop_duplicates("scanner_id").set_index("scanner_id")
    for column in extra:
        merged[column] = (
            merged[column]
            .fillna(merged[f"{column}_s"])
            .fillna(merged["scanner_id"].map(known[column]))
        )
    unknown = merged["modality"].isna() | merged["trust_code"].isna() | merged["site"].isna()
    for scanner in merged.loc[unknown, "scanner_id"].unique()[:5]:
        log.add(
            None,
            "scanner_id",
            scanner,
            f"{name}: the scanner has sessions but no exams, so its trust, site and modality "
            "are unknown: expected trust_code, site and modality in the sessions file",
        )
    merged["scans"] = merged["scans"].fillna(0).astype("int64")
    return merged[~no_hours & ~unknown]


def _read_sessions(
    path: Path, known_trusts: Collection[str], log: ProblemLog
) -> pd.DataFrame | None:
    """Operational hours per scanner-day from a sessions file (None if it has problems)."""
    slog = ProblemLog(path.name)
    if not path.exists():
        log.add(None, None, str(path), "sessions file not found")
        return None
    table = read_table(path)
    cols = match_columns(table, SESSIONS_SPEC, None, None, (), slog)
    if slog:
        log.merge(slog)
        return None
    s = canonical_frame(table, cols, SESSIONS_SPEC.columns)
    label = cols.label
    if "trust_code" in cols:
        s["trust_code"] = check_trusts(s, known_trusts, slog, label("trust_code"))
    if "modality" in cols:
        s["modality"], bad = map_values(s["modality"], MODALITY_VALUES)
        slog.add_mask(
            bad, label("modality"), s["modality"], f"unknown modality: expected {MODALITY_EXPECTED}"
        )
    date, bad = parse_dates(s["date"])
    slog.add_mask(
        bad | (s["date"] == ""), label("date"), s["date"], f"not a date: expected {DATE_EXPECTED}"
    )
    if "operational_hours" in cols:
        hours = numbers(s, "operational_hours", slog, label("operational_hours"))
    else:
        start, _, bad_start = parse_times(s["session_start"])
        end, _, bad_end = parse_times(s["session_end"])
        for name, bad in (("session_start", bad_start), ("session_end", bad_end)):
            slog.add_mask(bad | (s[name] == ""), label(name), s[name], "not a time: expected HH:MM")
        length = end - start
        slog.add_mask(
            length <= pd.Timedelta(0),
            label("session_end"),
            s["session_end"],
            "session_end is not after session_start: expected a later time",
        )
        hours = length.dt.total_seconds() / 3600
    log.merge(slog)
    if slog:
        return None
    frame = s.assign(date=date, operational_hours=hours)
    for column in ("trust_code", "site", "modality"):  # empty: not given in the sessions file
        frame[column] = frame[column].mask(frame[column] == "")
    keys = ["trust_code", "scanner_id", "date"]
    return (
        frame.groupby(keys, sort=True, dropna=False)
        .agg(
            site=("site", "first"),
            modality=("modality", "first"),
            operational_hours=("operational_hours", "sum"),
        )
        .reset_index()
    )
