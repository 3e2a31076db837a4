"""DM01 diagnostic waiting times: test names, periods, count checks and the full monthly extract.

The full extract (``DM01-<MON>-<YEAR>-full-extract.zip`` or ``.csv``) has one row per period ×
provider × commissioner × test, in 30 columns (32 in releases that add ``<6Weeks`` and ``6+WW``).
The ``TOTAL`` test row (sort order 16) is skipped, commissioners are summed to the provider, and
every row must add up: ``Total WL`` = the 14 bands and ``Total Activity`` = the three activity
columns. The provider workbook lives in :mod:`productivity.ingest.dm01_workbook`; both produce
frames of :data:`productivity.schema.DM01_COLUMNS` and keep providers of any code.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Mapping

import pandas as pd

from productivity.ingest.checks import Bound, ParsedFile, check_lengths, check_upper
from productivity.ingest.tabular import ProblemLog, Table, norm
from productivity.ingest.values import DATETIME_UNIT, EARLIEST, latest, parse_numbers
from productivity.schema import (
    DM01_BANDS,
    DM01_BANDS_6_PLUS,
    DM01_COLUMNS,
    DM01_TESTS as DM01_TESTS,
)

TOTAL_SORT_ORDER = 16
ACTIVITY = ("waiting_list_activity", "planned_activity", "unscheduled_activity")
COUNTS = ("total_waiting", *DM01_BANDS, *ACTIVITY)
MONTHS = {
    m: i
    for i, m in enumerate(
        ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"),
        start=1,
    )
}
PERIOD_EXPECTED = (
    "a month such as DM01-MAY-2026, May 2026 or 2026-05, from 2000 to a year after today"
)
# England's whole DM01 waiting list, every test and provider together, is under 2 million
# (about 1.6 million in 2024-26), as is a month's activity; no one provider × test row (SPEC §3
# counts) can hold more. 9e17 patients waiting once got in.
COUNT_BOUND = Bound(2_000_000, "in one row (more than England's whole DM01 list or activity)")
# Older and alternative spellings of the 15 tests, beyond the codes and current labels.
_TEST_ALIASES: dict[str, str] = {
    "magnetic resonance imaging": "MRI",
    "mri scan": "MRI",
    "computed tomography": "CT",
    "ct scan": "CT",
    "non obstetric ultrasound": "NON_OBSTETRIC_ULTRASOUND",
    "nous": "NON_OBSTETRIC_ULTRASOUND",
    "ultrasound": "NON_OBSTETRIC_ULTRASOUND",
    "dexa": "DEXA_SCAN",
    "dexa scan": "DEXA_SCAN",
    "audiology assessments": "AUDIOLOGY_ASSESSMENTS",
    "echocardiography": "ECHOCARDIOGRAPHY",
    "electrophysiology": "ELECTROPHYSIOLOGY",
    "peripheral neurophysiology": "PERIPHERAL_NEUROPHYS",
    "peripheral neurophys": "PERIPHERAL_NEUROPHYS",
    "sleep studies": "SLEEP_STUDIES",
    "urodynamics pressures flows": "URODYNAMICS",
    "urodynamics pressures and flows": "URODYNAMICS",
    "flexible sigmoidoscopy": "FLEXI_SIGMOIDOSCOPY",
    "flexi sig": "FLEXI_SIGMOIDOSCOPY",
}
TOTAL_NAMES = frozenset({"total", "all tests", "total all tests", "all diagnostic tests"})


def _test_lookup() -> dict[str, str]:
    lookup = {norm(code.replace("_", " ")): code for code in DM01_TESTS}
    for code, label in DM01_TESTS.items():
        lookup[norm(label)] = code
        if " - " in label:  # "Cardiology - Echocardiography" is also sent as "Echocardiography"
            lookup[norm(label.split(" - ", 1)[1])] = code
    lookup.update({norm(k): v for k, v in _TEST_ALIASES.items()})
    return lookup


TEST_LOOKUP = _test_lookup()
TEST_BY_SORT_ORDER = {str(i): code for i, code in enumerate(DM01_TESTS, start=1)}


def normalise_test_names(names: pd.Series) -> pd.Series:
    """DM01 test names of any year -> one of the 15 codes (empty where unknown).

    ``Cardiology - Echocardiography`` style names are also tried without their group prefix.
    """

    def lookup(text: pd.Series) -> pd.Series:
        key = text.astype("str").str.lower().str.replace("&", " and ", regex=False)
        key = key.str.replace(r"[^a-z0-9+<]+", " ", regex=True).str.strip()
        return key.map(TEST_LOOKUP).astype(object)

    names = names.astype("str")
    code = lookup(names)
    stripped = names.str.replace(r"^.*?\s+-\s+", "", regex=True)
    after_group = stripped.where(stripped != names, "")
    code = code.where(code.notna(), lookup(after_group))
    return code.where(code.notna(), "").astype("str")


def is_total_test(names: pd.Series) -> pd.Series:
    key = names.astype("str").str.lower().str.replace(r"[^a-z0-9]+", " ", regex=True).str.strip()
    return key.isin(TOTAL_NAMES)


def parse_periods(text: pd.Series) -> pd.Series:
    """Month text (``DM01-MAY-2026``, ``May 2026``, ``MAY-26``, ``2026-05``) -> first-of-month
    timestamps (NaT where not understood)."""
    codes, uniques = pd.factorize(text.astype("str"))  # one period repeats on every row
    parsed = _parse_periods(pd.Series(uniques, dtype="str"))
    return pd.Series(parsed.to_numpy().take(codes), index=text.index, dtype=parsed.dtype)


def _parse_periods(text: pd.Series) -> pd.Series:
    up = text.astype("str").str.upper().str.strip().str.replace(r"^DM01[-_ ]*", "", regex=True)
    named = up.str.extract(r"^([A-Z]{3})[A-Z]*[-_ /]*(\d{4}|\d{2})$")
    iso = up.str.extract(r"^(\d{4})-(\d{1,2})(?:-\d{1,2})?(?:[ T].*)?$")
    month = named[0].map(MONTHS).fillna(pd.to_numeric(iso[1], errors="coerce"))
    year = pd.to_numeric(named[1], errors="coerce")
    year = year.where(year >= 100, year + 2000).fillna(pd.to_numeric(iso[0], errors="coerce"))
    ok = month.between(1, 12) & year.between(EARLIEST.year, latest().year)
    stamp = pd.to_datetime(
        pd.DataFrame({"year": year.where(ok, 2000), "month": month.where(ok, 1), "day": 1}),
        errors="coerce",
    )
    # The sane window (SPEC §3): no month before 2000 or starting more than a year ahead.
    ok &= (stamp >= EARLIEST) & (stamp <= latest())
    return stamp.where(ok)


def period_from_title(rows: list[list[str]], file_name: str) -> dt.date | None:
    """The ``Period:`` value of a workbook's title block, else a month named in the file name."""
    for row in rows[:30]:
        for i, cell in enumerate(row):
            if norm(cell).startswith("period"):
                rest = re.sub(r"(?i)^\s*period\s*:?\s*", "", cell)
                value = rest or next((c for c in row[i + 1 :] if c.strip()), "")
                found = parse_periods(pd.Series([value]))[0]
                if pd.notna(found):
                    return dt.date(found.year, found.month, 1)
    match = re.search(
        r"(?i)(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*[-_ ](\d{4})", file_name
    )
    if match:
        named = parse_periods(pd.Series([f"{match.group(1)} {match.group(2)}"]))[0]
        return None if pd.isna(named) else dt.date(named.year, named.month, 1)
    return None


def band_column(header: str) -> str | None:
    """A band header -> its column: ``'00 < 01 Week'`` and ``'0 <01 weeks'`` -> ``weeks_00``,
    ``'13+ Weeks'`` -> ``weeks_13_plus``."""
    text = header.strip().lower()
    match = re.fullmatch(r"(\d{1,2})\s*<\s*(\d{1,2})\s*weeks?", text)
    if match and int(match.group(1)) <= 12 and int(match.group(2)) == int(match.group(1)) + 1:
        return f"weeks_{int(match.group(1)):02d}"
    if re.fullmatch(r"13\s*\+\s*weeks?", text):
        return "weeks_13_plus"
    return None


def counts(
    frame: pd.DataFrame, columns: Iterable[str], labels: Mapping[str, str], log: ProblemLog
) -> pd.DataFrame:
    """Whole, non-negative counts up to :data:`COUNT_BOUND` (empty and ``-`` count as 0), with
    located problems."""
    out = {}
    for column in columns:
        text = frame[column].astype("str").str.strip().replace({"-": "", "*": ""})
        values, bad = parse_numbers(text, integer=True)
        log.add_mask(
            bad,
            labels.get(column, column),
            frame[column],
            "not a whole number: expected a count of 0 or more",
        )
        log.add_mask(
            values < 0,
            labels.get(column, column),
            frame[column],
            "negative: expected a count of 0 or more",
        )
        over = check_upper(values, COUNT_BOUND, log, labels.get(column, column), frame[column])
        out[column] = values.where(~over).fillna(0).clip(lower=0).astype("int64")
    return pd.DataFrame(out, index=frame.index)


# Derived columns that some releases leave blank: checked only where the file gives a value.
OPTIONAL_TOTALS = ("waiting_6_plus", "waiting_13_plus", "under_6")


def check_sums(
    values: pd.DataFrame,
    labels: Mapping[str, str],
    log: ProblemLog,
    raw: pd.DataFrame | None = None,
) -> None:
    """Each row must add up: total = the 14 bands, 6+/13+ = their bands, activity = its parts.

    Total WL and Total Activity are always checked (SPEC §3). The derived 6+, 13+ and <6
    columns are checked only where ``raw`` (the cells as read) holds a value.
    """
    bands = values[list(DM01_BANDS)].sum(axis=1)
    checks: list[tuple[str, pd.Series, str]] = [
        ("total_waiting", bands, "the sum of the 14 waiting-time bands")
    ]
    if "waiting_6_plus" in values:
        checks.append(
            (
                "waiting_6_plus",
                values[list(DM01_BANDS_6_PLUS)].sum(axis=1),
                "the sum of the bands from 6 weeks",
            )
        )
    if "waiting_13_plus" in values:
        checks.append(("waiting_13_plus", values["weeks_13_plus"], "the 13+ weeks band"))
    if "under_6" in values:
        checks.append(
            ("under_6", values[list(DM01_BANDS[:6])].sum(axis=1), "the bands under 6 weeks")
        )
    if "total_activity" in values:
        checks.append(
            (
                "total_activity",
                values[list(ACTIVITY)].sum(axis=1),
                "the sum of the three activity columns",
            )
        )
    for column, expected, what in checks:
        wrong = values[column] != expected
        if raw is not None and column in OPTIONAL_TOTALS and column in raw:
            wrong &= ~raw[column].astype("str").str.strip().isin(["", "-", "nan", "None"])
        log.add_mask(wrong, labels.get(column, column), values[column], _adds_up(expected, what))


def _adds_up(expected: pd.Series, what: str) -> Callable[[int], str]:
    def message(row: int) -> str:
        return f"does not add up: expected {what} = {expected[row]}"

    return message


def finish(values: pd.DataFrame) -> pd.DataFrame:
    """Derived columns and canonical order, after commissioners/rows are summed."""
    values = values.assign(
        waiting_6_plus=values[list(DM01_BANDS_6_PLUS)].sum(axis=1),
        waiting_13_plus=values["weeks_13_plus"],
        total_activity=values[list(ACTIVITY)].sum(axis=1),
        period=pd.to_datetime(values["period"]).astype(DATETIME_UNIT),
    )
    return values[list(DM01_COLUMNS)].reset_index(drop=True)


def result(
    frame: pd.DataFrame,
    file_name: str,
    notes: tuple[str, ...] = (),
    row_periods: pd.Series | None = None,
    period_label: str = "Period",
) -> ParsedFile:
    periods = pd.to_datetime(frame["period"])
    return ParsedFile(
        kind="dm01",
        file_name=file_name,
        frames={"dm01": frame},
        rows=len(frame),
        trust_codes=tuple(sorted(frame["provider_code"].unique())),
        period_from=periods.min().date() if len(frame) else None,
        period_to=periods.max().date() if len(frame) else None,
        notes=notes,
        row_dates=row_periods,
        date_label=period_label,
    )


EXTRACT_NAMES: dict[str, str] = {
    "period": "period",
    "provider parent org code": "parent_code",
    "provider parent name": "parent_name",
    "provider org code": "provider_code",
    "provider org name": "provider_name",
    "diagnostic tests sort order": "sort_order",
    "diagnostic tests": "test",
    "total wl": "total_waiting",
    "waiting list activity": "waiting_list_activity",
    "planned activity": "planned_activity",
    "unscheduled activity": "unscheduled_activity",
    "total activity": "total_activity",
    "<6weeks": "under_6",
    "6+ww": "waiting_6_plus",
}
EXTRACT_REQUIRED = (
    "period",
    "provider_code",
    "provider_name",
    "test",
    "total_waiting",
    *DM01_BANDS,
    *ACTIVITY,
)


def extract_columns(headers: Iterable[object]) -> dict[str, str]:
    """Full-extract header -> canonical name (bands by pattern, others by name)."""
    found: dict[str, str] = {}
    for header in headers:
        key = norm(header)
        name = band_column(str(header)) or EXTRACT_NAMES.get(key)
        if name and name not in found.values():
            found[str(header)] = name
    return found


def looks_like_extract(headers: Iterable[object]) -> bool:
    names = set(extract_columns(headers).values())
    return {"provider_code", "test", "total_waiting"} <= names


def parse_extract(table: Table, log: ProblemLog) -> ParsedFile:
    """Validate the DM01 full extract and sum commissioners to provider × test × period.

    Raises:
        InputError: every located problem found (up to 50).
    """
    names = extract_columns(table.frame.columns)
    missing = [c for c in EXTRACT_REQUIRED if c not in names.values()]
    for column in missing:
        log.add(
            table.header_row,
            column,
            None,
            f"required DM01 full-extract column {column!r} is missing (expected the 30- or "
            "32-column layout: Period, Provider Org Code, ..., Total Activity)",
        )
    log.raise_if_any()
    f = table.frame[list(names)].rename(columns=names)
    labels = {v: k for k, v in names.items()}
    f = f.apply(lambda col: col.astype("str").str.strip())
    check_lengths(f, f.columns, log, lambda c: labels.get(c, c))
    sort_order = f["sort_order"] if "sort_order" in f else pd.Series("", index=f.index)
    total = (sort_order == str(TOTAL_SORT_ORDER)) | is_total_test(f["test"])
    f = f[~total]
    period = parse_periods(f["period"])
    log.add_mask(
        period.isna(), labels["period"], f["period"], f"not a period: expected {PERIOD_EXPECTED}"
    )
    # The name decides; the sort order only fills a name that is missing.
    by_order = sort_order[~total].map(TEST_BY_SORT_ORDER).astype(object)
    code = normalise_test_names(f["test"]).where(f["test"] != "", by_order.fillna(""))
    log.add_mask(
        code == "",
        labels["test"],
        f["test"],
        "unknown diagnostic test: expected one of " + ", ".join(DM01_TESTS),
    )
    log.add_mask(
        f["provider_code"] == "",
        labels["provider_code"],
        None,
        "value is empty: expected a provider code",
    )
    checked = [c for c in (*COUNTS, "total_activity", "under_6", "waiting_6_plus") if c in f]
    values = counts(f, checked, labels, log)
    check_sums(values, labels, log, raw=f)
    log.raise_if_any()
    keyed = values[list(COUNTS)].assign(
        period=period.dt.date,
        provider_code=f["provider_code"].str.upper(),
        provider_name=f["provider_name"],
        test_code=code,
    )
    summed = keyed.groupby(["period", "provider_code", "test_code"], sort=True).agg(
        provider_name=("provider_name", "first"), **{c: (c, "sum") for c in COUNTS}
    )
    notes = (
        f"{len(keyed)} commissioner rows summed to {len(summed)} provider × test rows",
        f"{int(total.sum())} TOTAL rows skipped",
    )
    return result(finish(summed.reset_index()), log.file, notes, period, labels["period"])
