"""Shared pieces of every importer: the parsed result, reference codes and common checks.

A parser turns a :class:`~productivity.ingest.tabular.Table` into a :class:`ParsedFile` of
canonical frames or records located problems in a
:class:`~productivity.ingest.tabular.ProblemLog`. The checks here are vectorised: each builds a
mask and hands it to the log, which keeps the first 50 problems. They are what every importer
shares: required cells, trust codes, text length (:data:`MAX_TEXT_LENGTH`), dates in the sane
window (:func:`dates`) and numbers within a plausible bound (:func:`numbers` with a
:class:`Bound`).
"""

from __future__ import annotations

import datetime as dt
import tomllib
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import NamedTuple

import pandas as pd

from productivity import settings
from productivity.export import FORMULA_START
from productivity.ingest.maps import ColumnMap
from productivity.ingest.tabular import (
    MAX_TEXT_LENGTH,
    Columns,
    ColumnSpec,
    ProblemLog,
    Table,
    canonical_frame,
    match_columns,
)
from productivity.ingest.values import (
    DATE_EXPECTED,
    LOCAL_DATETIME_EXPECTED,
    map_values,
    outside_window,
    parse_dates,
    parse_local_datetimes,
    parse_numbers,
    window_text,
)

Label = Callable[[str], str]

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
    ``row_dates`` holds the date that decides each source row's month (indexed by spreadsheet
    row) and ``date_label`` names its column, so that
    :func:`productivity.ingest.months.check_months` can locate a stray date; without them the
    frames' dates are checked, unlocated.
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
    row_dates: pd.Series | None = None
    date_label: str = "date"

    @classmethod
    def dated(
        cls,
        kind: str,
        log: ProblemLog,
        table: str,
        frame: pd.DataFrame,
        notes: tuple[str, ...] = (),
        date_column: str = "date",
        row_dates: pd.Series | None = None,
        date_label: str | None = None,
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
            row_dates=row_dates,
            date_label=date_label or date_column,
        )


class Bound(NamedTuple):
    """The most a value can plausibly be; ``reason`` completes "more than <limit> ..." in SPEC
    terms (what the value counts, and why more cannot be right)."""

    limit: float
    reason: str


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


def check_required(
    frame: pd.DataFrame, names: Collection[str], log: ProblemLog, label: Label
) -> None:
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
    upper: Bound | None = None,
) -> pd.Series:
    """A numeric column: unparseable, negative, above ``upper`` or (when required) empty cells
    are problems."""
    values, bad = parse_numbers(frame[name], integer=integer)
    kind = "a whole number" if integer else "a number"
    log.add_mask(bad, label, frame[name], f"not {kind}: expected {kind} of 0 or more")
    log.add_mask(values < 0, label, frame[name], f"negative: expected {kind} of 0 or more")
    if upper is not None:
        check_upper(values, upper, log, label, frame[name])
    if required:
        log.add_mask((frame[name] == "") & ~bad, label, None, f"value is empty: expected {kind}")
    return values


def check_upper(
    values: pd.Series, bound: Bound, log: ProblemLog, label: str, shown: pd.Series | None = None
) -> pd.Series:
    """Values above ``bound.limit`` are implausible: located problems; returns the mask."""
    over = values.notna() & (values > bound.limit)
    log.add_mask(
        over,
        label,
        values if shown is None else shown,
        f"implausible: more than {bound.limit:,.15g} {bound.reason}: check the value and its unit",
    )
    return over


def dates(
    frame: pd.DataFrame,
    name: str,
    log: ProblemLog,
    label: str,
    *,
    with_time: bool = False,
    required: bool = True,
    today: dt.date | None = None,
) -> pd.Series:
    """A date (or date-time) column; unparseable, out-of-window (:func:`check_date_window`,
    ``today`` the import's day) or, when required, empty cells are problems. Out-of-window values
    come back as NaT (nothing outside the window is ever stored)."""
    text = frame[name]
    if with_time:  # ISO instants with an offset or Z become London wall-clock, as SPEC §3 allows
        values, bad = parse_local_datetimes(text)
    else:
        values, bad = parse_dates(text, window=False)
    expected = LOCAL_DATETIME_EXPECTED if with_time else DATE_EXPECTED
    what = "a date-time" if with_time else "a date"
    log.add_mask(bad, label, text, f"not {what}: expected {expected}")
    outside = check_date_window(values, text, log, label, today)
    if required:
        log.add_mask(text == "", label, None, f"value is empty: expected {what}")
    return values.where(~outside)


def check_lengths(frame: pd.DataFrame, names: Iterable[str], log: ProblemLog, label: Label) -> None:
    """Text longer than :data:`MAX_TEXT_LENGTH` characters is refused (names, codes, ids)."""
    for name in names:
        lengths = frame[name].astype("str").str.len()
        log.add_mask(
            lengths > MAX_TEXT_LENGTH,
            label(name),
            frame[name],
            f"too long ({MAX_TEXT_LENGTH}+ characters): expected a name or code of at most "
            f"{MAX_TEXT_LENGTH} characters",
        )


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
    check_lengths(frame, spec.columns, log, label)
    frame["trust_code"] = check_trusts(frame, known_trusts, log, label("trust_code"))
    check_required(frame, tuple(required), log, label)
    return frame, cols


def check_date_window(
    values: pd.Series,
    text: pd.Series,
    log: ProblemLog,
    label: str,
    today: dt.date | None = None,
) -> pd.Series:
    """Dates before 2000 or more than a year after ``today`` (the import) are problems (SPEC §3;
    :data:`~productivity.ingest.values.EARLIEST`). Returns the mask of out-of-window rows
    (``values`` are parsed dates or date-times)."""
    outside = outside_window(values, today)
    log.add_mask(
        outside,
        label,
        text,
        f"outside the expected window: expected a date {window_text(today)}; placeholders "
        "such as 9999-12-31 or 1900-01-01 are not dates",
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
