"""The DM01 provider web file (``Monthly-Diagnostics-Web-File-Provider-<Month>-<Year>.xls/.xlsx``).

Sheets ``Provider by Test`` (the figures stored) and ``Provider`` (totals, cross-checked against
the sum of the tests). Each sheet opens with a title block (``Period:`` gives the month), then the
header row, found as the row holding ``Provider Code`` rather than assumed, then the England total
row, a blank row, region rows and one row per provider; the England, region and blank rows and
the footnotes are skipped. Row numbers in problems are the real sheet rows.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import cast

import pandas as pd

from productivity.ingest.checks import ParsedFile, check_lengths
from productivity.ingest.dm01 import (
    ACTIVITY,
    COUNTS,
    TEST_BY_SORT_ORDER,
    TOTAL_SORT_ORDER,
    band_column,
    check_sums,
    counts,
    finish,
    is_total_test,
    normalise_test_names,
    period_from_title,
    result,
)
from productivity.ingest.excel import rows_table
from productivity.ingest.tabular import ProblemLog, Table, norm
from productivity.schema import DM01_BANDS, DM01_BANDS_6_PLUS, DM01_TESTS

PROVIDER_CODE_HEADERS = frozenset({"provider code", "provider org code", "org code"})
WORKBOOK_NAMES: dict[str, str] = {
    **{
        norm(h): "region_code"
        for h in (
            "Regional Team Code",
            "SHA Code",
            "Area Team Code",
            "Region Code",
            "Commissioning Region Code",
        )
    },
    **{
        norm(h): "region_name"
        for h in (
            "Regional Team Name",
            "SHA Name",
            "Area Team Name",
            "Region Name",
            "Commissioning Region Name",
        )
    },
    **dict.fromkeys(PROVIDER_CODE_HEADERS, "provider_code"),
    **{norm(h): "provider_name" for h in ("Provider", "Provider Name", "Provider Org Name")},
    norm("Diagnostic ID"): "test_id",
    **{norm(h): "test" for h in ("Diagnostic Test Name", "Diagnostic Test", "Diagnostic Tests")},
    norm("Total Waiting List"): "total_waiting",
    norm("Number waiting 6+ Weeks"): "waiting_6_plus",
    norm("Number waiting 13+ Weeks"): "waiting_13_plus",
    norm("Planned tests / procedures"): "planned_activity",
    norm("Unscheduled tests / procedures"): "unscheduled_activity",
    norm("Waiting list tests / procedures (excluding planned)"): "waiting_list_activity",
    norm("Total Activity"): "total_activity",
}
REQUIRED = ("provider_code", "provider_name", "total_waiting", *DM01_BANDS, *ACTIVITY)
CROSS_CHECKED = ("total_waiting", "waiting_6_plus", "waiting_13_plus", *ACTIVITY)
REGION_CODE = r"Y\d{2}"  # NHS England region codes (Y56 London ... Y63 North East and Yorkshire)


def sheet_named(sheets: dict[str, list[list[str]]], name: str) -> str | None:
    return next((s for s in sheets if norm(s) == norm(name)), None)


def looks_like_workbook(sheets: dict[str, list[list[str]]]) -> bool:
    return (
        sheet_named(sheets, "Provider by Test") is not None
        or sheet_named(sheets, "Provider") is not None
    )


def _is_header(row: list[str]) -> bool:
    return any(norm(cell) in PROVIDER_CODE_HEADERS for cell in row)


def _provider_rows(table: Table, by_test: bool, log: ProblemLog) -> pd.DataFrame | None:
    """The provider rows of one sheet as counts, indexed by sheet row; None if columns miss."""
    names: dict[str, str] = {}
    for header in table.frame.columns:
        name = band_column(header) or WORKBOOK_NAMES.get(norm(header))
        if name and name not in names.values():
            names[header] = name
    required = (*REQUIRED, "test") if by_test else REQUIRED
    missing = [c for c in required if c not in names.values()]
    for column in missing:
        log.add(
            table.header_row,
            column,
            None,
            f"required column {column!r} is missing from the header row: expected the DM01 "
            "provider web-file layout (Provider Code, Provider, Total Waiting List, bands, ...)",
        )
    if missing:
        return None
    labels = {v: k for k, v in names.items()}
    f = table.frame[list(names)].rename(columns=names)
    f = f.apply(lambda col: col.astype("str").str.strip())
    check_lengths(f, f.columns, log, lambda c: labels.get(c, c))
    code = f["provider_code"].str.upper()
    count_columns = [c for c in COUNTS if c in f]
    no_counts = f[count_columns].isin(["", "-", "nan", "None"]).all(axis=1)
    region = f["region_code"].str.upper() if "region_code" in f else pd.Series("", index=f.index)
    skip = (
        code.isin(["", "-", "ENGLAND", "TOTAL"])
        | code.str.fullmatch(REGION_CODE)
        # Older files put SHA / area team subtotals in the provider rows under their own code.
        | ((region != "") & (code == region))
        | f["provider_name"].str.lower().str.startswith("england")
        | is_total_test(f["provider_name"])
        # Footnotes and notes below the table carry text but no counts.
        | no_counts
    )
    if by_test:
        test_id = f["test_id"] if "test_id" in f else pd.Series("", index=f.index)
        skip |= is_total_test(f["test"]) | (test_id == str(TOTAL_SORT_ORDER))
    f, code = f[~skip], code[~skip]
    checked = [
        c for c in (*COUNTS, "waiting_6_plus", "waiting_13_plus", "total_activity") if c in f
    ]
    values = counts(f, checked, labels, log)
    check_sums(values, labels, log, raw=f)
    values["provider_code"] = code
    values["provider_name"] = f["provider_name"]
    if by_test:
        test = normalise_test_names(f["test"])
        if "test_id" in f:
            by_id = f["test_id"].map(TEST_BY_SORT_ORDER).astype(object).fillna("")
            test = test.where(f["test"] != "", by_id)
        log.add_mask(
            test == "",
            labels["test"],
            f["test"],
            "unknown diagnostic test: expected one of " + ", ".join(DM01_TESTS.values()),
        )
        values["test_code"] = test
        dup = values.duplicated(["provider_code", "test_code"], keep="first") & (test != "")
        log.add_mask(
            dup,
            labels["provider_code"],
            code,
            "the same provider and test appear on an earlier row: expected one row each",
        )
    else:
        dup = values.duplicated(["provider_code"], keep="first")
        log.add_mask(
            dup,
            labels["provider_code"],
            code,
            "the same provider appears on an earlier row: expected one row each",
        )
    values.attrs["labels"] = labels
    return values


def parse_workbook(
    sheets: dict[str, list[list[str]]], file_name: str, log: ProblemLog
) -> ParsedFile:
    """Validate a DM01 provider workbook and return its provider × test rows.

    Raises:
        InputError: every located problem found (up to 50).
    """
    by_test_name = sheet_named(sheets, "Provider by Test")
    provider_name = sheet_named(sheets, "Provider")
    if by_test_name is None:
        log.add(
            None,
            None,
            None,
            "expected a sheet named 'Provider by Test' (the per-test figures); found "
            + ", ".join(repr(s) for s in sheets),
        )
        log.raise_if_any()
    assert by_test_name is not None
    period = period_from_title(sheets[by_test_name], file_name)
    if period is None:
        log.add(
            None,
            "Period:",
            None,
            "no period found: expected a 'Period:' cell in the title block (e.g. 'May 2026') "
            "or a month and year in the file name",
        )
    tables = {}
    for name in filter(None, (by_test_name, provider_name)):
        table = rows_table(sheets[name], file_name, name, _is_header)
        sheet_log = ProblemLog(table.label)
        tables[name] = _provider_rows(table, name == by_test_name, sheet_log)
        log.merge(sheet_log)
    log.raise_if_any()
    by_test = tables[by_test_name]
    assert by_test is not None
    if provider_name is not None:
        _cross_check(tables[provider_name], by_test, f"{file_name} [{provider_name}]", log)
        log.raise_if_any()
    summed = by_test.groupby(["provider_code", "test_code"], sort=True).agg(
        provider_name=("provider_name", "first"), **{c: (c, "sum") for c in COUNTS}
    )
    frame = finish(summed.reset_index().assign(period=period))
    return result(frame, file_name, (f"{len(frame)} provider × test rows for {period:%B %Y}",))


def _cross_check(
    provider: pd.DataFrame | None, by_test: pd.DataFrame, label: str, log: ProblemLog
) -> None:
    """Each provider's totals on the Provider sheet must equal the sum of its tests."""
    if provider is None or provider.empty:
        return
    derived = by_test.assign(
        waiting_6_plus=by_test[list(DM01_BANDS_6_PLUS)].sum(axis=1),
        waiting_13_plus=by_test["weeks_13_plus"],
    )
    sums = derived.groupby("provider_code")[list(CROSS_CHECKED)].sum()
    sheet_log = ProblemLog(label)
    aligned = sums.reindex(provider["provider_code"]).set_axis(provider.index)
    labels = provider.attrs.get("labels", {})
    for column in CROSS_CHECKED:
        if column not in provider:
            continue
        wrong = aligned[column].notna() & (provider[column] != aligned[column])
        sheet_log.add_mask(
            wrong,
            labels.get(column, column),
            provider[column],
            _differs(aligned, column),
        )
    log.merge(sheet_log)


def _differs(aligned: pd.DataFrame, column: str) -> Callable[[int], str]:
    def message(row: int) -> str:
        return (
            "differs from the sum of this provider's tests "
            f"on 'Provider by Test': expected {int(cast(float, aligned.at[row, column]))}"
        )

    return message
