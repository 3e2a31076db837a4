"""DM01-style waiting lists split by deprivation (SPEC §3 "Deprivation"), for the inequalities view.

Rows carry ``period, provider_code, test`` and a deprivation marker: an IMD quintile (1 = most
deprived), an IMD decile (quintile = ceil(decile / 2)), or an LSOA code looked up in a file named
by ``options.lsoa_lookup`` in the column map (columns ``lsoa_code`` and ``imd_decile`` or
``imd_quintile``). Counts are ``total_waiting``, ``waiting_6_plus`` and ``waiting_13_plus``, or
the 14 waiting-time bands they are derived from; rows are summed per period × provider × test ×
quintile.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from productivity.ingest.checks import ParsedFile, check_lengths
from productivity.ingest.dm01 import (
    DM01_TESTS,
    PERIOD_EXPECTED,
    band_column,
    counts,
    normalise_test_names,
    parse_periods,
)
from productivity.ingest.imd import MARKER_ALIASES, MARKERS, imd_quintiles
from productivity.ingest.maps import ColumnMap
from productivity.ingest.tabular import (
    ColumnSpec,
    ProblemLog,
    Table,
    canonical_frame,
    match_columns,
    norm,
)
from productivity.ingest.values import DATETIME_UNIT
from productivity.schema import DM01_BANDS, DM01_BANDS_6_PLUS

SPEC = ColumnSpec(
    columns=(
        "period",
        "provider_code",
        "test",
        *MARKERS,
        "total_waiting",
        "waiting_6_plus",
        "waiting_13_plus",
        *DM01_BANDS,
    ),
    required=("period", "provider_code", "test"),
    one_of=(MARKERS, ("total_waiting", "weeks_00")),
    aliases={
        "period": ("month", "reporting period"),
        "provider_code": ("provider org code", "org code", "trust code", "provider"),
        "test": (
            "test code",
            "test_code",
            "diagnostic test",
            "diagnostic tests",
            "test name",
            "diagnostic test name",
        ),
        **MARKER_ALIASES,
        "total_waiting": ("total wl", "total waiting list", "waiting list", "total waiting"),
        "waiting_6_plus": ("6+ww", "number waiting 6+ weeks", "waiting 6+ weeks"),
        "waiting_13_plus": ("number waiting 13+ weeks", "waiting 13+ weeks"),
    },
)
IMD_COLUMNS = (
    "period",
    "provider_code",
    "test_code",
    "imd_quintile",
    "total_waiting",
    "waiting_6_plus",
    "waiting_13_plus",
)


def looks_like_deprivation(headers: Iterable[object]) -> bool:
    names = SPEC.lookup()
    found = {names.get(norm(h)) for h in headers}
    return bool(found & set(MARKERS)) and {"period", "provider_code"} <= found


def parse_deprivation(
    table: Table, cmap: ColumnMap, log: ProblemLog, lsoa_lookup: Path | None = None
) -> ParsedFile:
    """Validate deprivation rows and sum them per period × provider × test × IMD quintile.

    Raises:
        InputError: every located problem found (up to 50).
    """
    cmap.check(SPEC.columns)
    cols = match_columns(table, SPEC, cmap.columns, band_column, cmap.constants, log)
    bands = all(b in cols for b in DM01_BANDS)
    if not bands:
        for column in ("total_waiting", "waiting_6_plus", "waiting_13_plus"):
            if column not in cols:
                log.add(
                    table.header_row,
                    column,
                    None,
                    f"required column {column!r} is missing: expected total_waiting, "
                    "waiting_6_plus and waiting_13_plus, or the 14 waiting-time bands",
                )
    log.raise_if_any()
    f = canonical_frame(table, cols, SPEC.columns, cmap.constants)
    label = cols.label
    check_lengths(f, SPEC.columns, log, label)
    labels = {c: label(c) for c in SPEC.columns}
    period = parse_periods(f["period"])
    log.add_mask(
        period.isna(), label("period"), f["period"], f"not a period: expected {PERIOD_EXPECTED}"
    )
    test = normalise_test_names(f["test"])
    log.add_mask(
        test == "",
        label("test"),
        f["test"],
        "unknown diagnostic test: expected one of " + ", ".join(DM01_TESTS),
    )
    log.add_mask(
        f["provider_code"] == "",
        label("provider_code"),
        None,
        "value is empty: expected a provider code",
    )
    quintile = imd_quintiles(f, cols, log, lsoa_lookup or cmap.option_path("lsoa_lookup"))
    quintile = quintile.fillna(0)
    if bands:
        v = counts(f, DM01_BANDS, labels, log)
        values = v.assign(
            total_waiting=v[list(DM01_BANDS)].sum(axis=1),
            waiting_6_plus=v[list(DM01_BANDS_6_PLUS)].sum(axis=1),
            waiting_13_plus=v["weeks_13_plus"],
        )
    else:
        values = counts(f, ("total_waiting", "waiting_6_plus", "waiting_13_plus"), labels, log)
        log.add_mask(
            values["waiting_6_plus"] > values["total_waiting"],
            label("waiting_6_plus"),
            values["waiting_6_plus"],
            "more than total_waiting: expected at most the total",
        )
        log.add_mask(
            values["waiting_13_plus"] > values["waiting_6_plus"],
            label("waiting_13_plus"),
            values["waiting_13_plus"],
            "more than waiting_6_plus: expected at most that",
        )
    log.raise_if_any()
    keyed = values.assign(
        period=period.dt.date,
        provider_code=f["provider_code"].str.upper(),
        test_code=test,
        imd_quintile=quintile.astype("int64"),
    )
    frame = (
        keyed.groupby(["period", "provider_code", "test_code", "imd_quintile"], sort=True)
        .sum()
        .reset_index()
    )
    # Keep the bands when the file has them; totals alone are enough otherwise.
    kept = [*IMD_COLUMNS, *(b for b in DM01_BANDS if bands and b in frame.columns)]
    frame = frame[kept]
    frame["period"] = pd.to_datetime(frame["period"]).astype(DATETIME_UNIT)
    periods = pd.to_datetime(frame["period"])
    return ParsedFile(
        kind="dm01",
        file_name=log.file,
        frames={"dm01_imd": frame},
        rows=len(frame),
        trust_codes=tuple(sorted(frame["provider_code"].unique())),
        period_from=periods.min().date() if len(frame) else None,
        period_to=periods.max().date() if len(frame) else None,
        row_dates=period,
        date_label=label("period"),
    )
