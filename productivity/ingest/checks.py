"""Shared pieces of every importer: the parsed result, reference codes and common checks.

A parser turns a :class:`~productivity.ingest.tabular.Table` into a :class:`ParsedFile` of
canonical frames or records located problems in a
:class:`~productivity.ingest.tabular.ProblemLog`. The checks here are vectorised: each builds a
mask and hands it to the log, which keeps the first 50 problems.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from functools import cache

import pandas as pd

from productivity import settings
from productivity.ingest.maps import ColumnMap
from productivity.ingest.tabular import (
    Columns,
    ColumnSpec,
    ProblemLog,
    Table,
    canonical_frame,
    match_columns,
)
from productivity.ingest.values import (
    LOCAL_DATETIME_EXPECTED,
    map_values,
    parse_local_datetimes,
    parse_numbers,
)

ISSUE_COLUMNS: tuple[str, ...] = ("trust_code", "month", "issue", "count")
TRUST_ALIASES: tuple[str, ...] = (
    "trust", "trust code", "org code", "organisation code", "provider code",
)  # fmt: skip
SPECIALTIES_FILE = settings.DATA_DIR / "maps" / "specialties.toml"
SESSION_VALUES: Mapping[str, str] = {
    "am": "AM",
    "morning": "AM",
    "morn": "AM",
    "pm": "PM",
    "afternoon": "PM",
    "aft": "PM",
    "eve": "EVE",
    "evening": "EVE",
    "ev": "EVE",
    "night": "EVE",
    "twilight": "EVE",
    "all": "ALL",
    "all day": "ALL",
    "allday": "ALL",
    "full day": "ALL",
    "ad": "ALL",
    "day": "ALL",
    "fd": "ALL",
}
SESSION_EXPECTED = "one of AM, PM, EVE, ALL"


@dataclass(frozen=True)
class ParsedFile:
    """A validated file: canonical frames ready for :mod:`productivity.ingest.store`.

    ``frames`` by kind: theatre ``lists`` + ``cases``; imaging ``scanner_day``; endoscopy
    ``endoscopy_list``; echo ``echo_activity``; dm01 ``dm01`` and/or ``dm01_imd``. ``issues``
    records data-quality counts found while parsing (e.g. duplicate rows dropped).
    """

    kind: str
    file_name: str
    frames: Mapping[str, pd.DataFrame]
    rows: int
    trust_codes: tuple[str, ...]
    period_from: dt.date | None
    period_to: dt.date | None
    issues: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=ISSUE_COLUMNS))
    notes: tuple[str, ...] = ()

    @classmethod
    def dated(
        cls,
        kind: str,
        log: ProblemLog,
        table: str,
        frame: pd.DataFrame,
        notes: tuple[str, ...] = (),
        date_column: str = "date",
    ) -> ParsedFile:
        """A one-table file whose rows carry a ``date`` (imaging, endoscopy, echo), or another
        date or date-time column (``date_column``) that sets the file's period."""
        period_from, period_to = period_bounds(frame[date_column])
        return cls(
            kind=kind,
            file_name=log.file,
            frames={table: frame},
            rows=len(frame),
            trust_codes=tuple(sorted(frame["trust_code"].unique())),
            period_from=period_from,
            period_to=period_to,
            notes=notes,
        )


@cache
def reference_trust_codes() -> frozenset[str]:
    """Trust codes listed in ``data/trusts.csv`` (used when no store is at hand)."""
    frame = pd.read_csv(settings.TRUSTS_FILE, dtype=str, keep_default_na=False)
    return frozenset(frame["trust_code"].str.strip().str.upper())


@cache
def specialty_names() -> dict[str, str]:
    """Specialty alias (and treatment function code) -> canonical specialty name."""
    try:
        raw = tomllib.loads(SPECIALTIES_FILE.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    names: dict[str, str] = {}
    for canonical, aliases in raw.items():
        names[canonical] = canonical
        for alias in aliases:
            names[str(alias)] = canonical
    return names


def known_specialties() -> frozenset[str]:
    """The canonical specialty names; anything else is 'unmapped' in the quality report."""
    return frozenset(specialty_names().values())


def normalise_specialty(text: pd.Series) -> pd.Series:
    """Known specialty names and codes to their canonical name; unknown ones kept as given."""
    mapped, _ = map_values(text, specialty_names(), keep_unknown=True)
    return mapped


def period_bounds(dates: pd.Series) -> tuple[dt.date | None, dt.date | None]:
    values = pd.to_datetime(dates).dropna()
    if values.empty:
        return None, None
    return values.min().date(), values.max().date()


def check_required(frame: pd.DataFrame, names: Collection[str], log: ProblemLog, label) -> None:
    """An empty cell in a required column is a problem."""
    for name in names:
        log.add_mask(frame[name] == "", label(name), None, "value is empty: expected a value")


def check_trusts(
    frame: pd.DataFrame, known: Collection[str], log: ProblemLog, label: str = "trust_code"
) -> pd.Series:
    """Upper-cased trust codes; codes missing from the trust table are problems."""
    codes = frame["trust_code"].str.upper()
    unknown = (codes != "") & ~codes.isin(list(known))
    shown = ", ".join(sorted(known)[:15]) + (" ..." if len(known) > 15 else "")
    log.add_mask(
        unknown,
        label,
        frame["trust_code"],
        f"unknown trust code: expected an ODS code in the trust table ({shown})",
    )
    return codes


def numbers(
    frame: pd.DataFrame,
    name: str,
    log: ProblemLog,
    label: str,
    *,
    integer: bool = False,
    required: bool = True,
) -> pd.Series:
    """A numeric column: unparseable, negative or (when required) empty cells are problems."""
    values, bad = parse_numbers(frame[name], integer=integer)
    kind = "a whole number" if integer else "a number"
    log.add_mask(bad, label, frame[name], f"not {kind}: expected {kind} of 0 or more")
    log.add_mask(values < 0, label, frame[name], f"negative: expected {kind} of 0 or more")
    if required:
        log.add_mask((frame[name] == "") & ~bad, label, None, f"value is empty: expected {kind}")
    return values


def issue_counts(frame: pd.DataFrame, date_column: str, issue: str) -> pd.DataFrame:
    """Count rows per trust and month for a data-quality issue found while parsing."""
    if frame.empty:
        return pd.DataFrame(columns=ISSUE_COLUMNS)
    month = pd.to_datetime(frame[date_column]).dt.to_period("M").dt.start_time
    counts = (
        pd.DataFrame({"trust_code": frame["trust_code"], "month": month})
        .groupby(["trust_code", "month"], sort=True)
        .size()
        .rename("count")
        .reset_index()
    )
    counts["issue"] = issue
    return counts[list(ISSUE_COLUMNS)]


def mapped_frame(
    table: Table,
    spec: ColumnSpec,
    cmap: ColumnMap,
    known_trusts: Collection[str],
    log: ProblemLog,
    required: Collection[str],
    code_lookup: Callable[[str], str | None] | None = None,
) -> tuple[pd.DataFrame, Columns]:
    """The shared start of every importer: match the headers (through the column map), build
    the canonical frame, apply the map's value codes, and check trust codes and required cells.

    Returns the frame and the matched columns (``cols.label(name)`` names a column as the file
    spells it).
    Raises InputError (through ``log``) when a required header is missing.
    """
    cmap.check(spec.columns)
    cols = match_columns(table, spec, cmap.columns, code_lookup, cmap.constants, log)
    log.raise_if_any()
    frame = canonical_frame(table, cols, spec.columns, cmap.constants)
    for column, codes in cmap.values.items():
        frame[column], _ = map_values(frame[column], codes, keep_unknown=True)
    label = cols.label
    frame["trust_code"] = check_trusts(frame, known_trusts, log, label("trust_code"))
    check_required(frame, tuple(required), log, label)
    return frame, cols


# Dates outside this window are typing slips or placeholders (01/01/1900, 31/12/9999), SPEC §3.
EARLIEST_DATE = dt.date(2000, 1, 1)
LATEST_DAYS_AHEAD = 366
# A cell a spreadsheet would run as a formula when the data are exported again (CSV injection).
FORMULA_START: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r")


def check_date_window(
    values: pd.Series,
    text: pd.Series,
    log: ProblemLog,
    label: str,
    today: dt.date | None = None,
) -> pd.Series:
    """Dates before 2000 or more than a year after ``today`` (the import) are problems.

    Returns the mask of out-of-window rows (``values`` are parsed dates or date-times).
    """
    today = today or dt.date.today()
    latest = pd.Timestamp(today) + pd.Timedelta(days=LATEST_DAYS_AHEAD)
    outside = values.notna() & ((values < pd.Timestamp(EARLIEST_DATE)) | (values > latest))
    log.add_mask(
        outside,
        label,
        text,
        f"date outside the expected window: expected a date from {EARLIEST_DATE:%Y} to no more "
        "than a year after the import",
    )
    return outside


def check_no_formulas(
    frame: pd.DataFrame, names: Collection[str], log: ProblemLog, label: Callable[[str], str]
) -> None:
    """A code or name cell starting with =, +, -, @ is refused: it would run as a spreadsheet
    formula when the data are exported again."""
    for name in names:
        text = frame[name].astype("str")
        log.add_mask(
            text.str.startswith(FORMULA_START),
            label(name),
            text,
            "looks like a spreadsheet formula: expected a plain code or name",
        )


def local_datetimes(
    frame: pd.DataFrame,
    name: str,
    log: ProblemLog,
    label: str,
    *,
    required: bool = True,
    today: dt.date | None = None,
) -> pd.Series:
    """A date-time column as naive Europe/London times (offsets converted, see
    :func:`~productivity.ingest.values.parse_local_datetimes`); unparseable cells, cells outside
    the sane window and (when ``required``) empty cells are problems. NaT where not valid."""
    values, bad = parse_local_datetimes(frame[name])
    log.add_mask(bad, label, frame[name], f"not a date-time: expected {LOCAL_DATETIME_EXPECTED}")
    if required:
        log.add_mask(frame[name] == "", label, None, "value is empty: expected a date-time")
    outside = check_date_window(values, frame[name], log, label, today)
    valid: pd.Series = values.where(~outside)
    return valid


def repeated_rows(
    frame: pd.DataFrame, key: list[str], log: ProblemLog, label: str, shown: pd.Series, what: str
) -> pd.Series:
    """Rows repeating an earlier row's ``key``: an exact copy of it is dropped (the mask
    returned), a row that differs from it is a located problem (which one is right?)."""
    exact = pd.Series(False, index=frame.index)
    shared = frame.duplicated(key, keep=False)
    if not shared.any():  # the usual case: no whole-row comparison of a big file
        return exact
    rows = frame[shared]
    exact[shared] = rows.duplicated(keep="first")
    clash = pd.Series(False, index=frame.index)
    clash[shared] = rows.duplicated(key, keep="first") & ~exact[shared]
    log.add_mask(
        clash,
        label,
        shown,
        f"the same {what} is on an earlier row with different values: expected one row each",
    )
    return exact
