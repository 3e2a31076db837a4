"""IMD quintiles from whichever deprivation marker a file carries (SPEC §3 "Deprivation").

A row may give an IMD quintile (1 = most deprived fifth), an IMD decile (quintile =
ceil(decile / 2)), or an LSOA code looked up in a CSV named by ``options.lsoa_lookup`` in the
column map (columns ``lsoa_code`` and ``imd_decile`` or ``imd_quintile``). Used by the DM01
deprivation lens, reporting events and appointments. Imports only pandas, numpy and the
shared ingest pieces.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from productivity.ingest.reading import read_table
from productivity.ingest.tabular import (
    Columns,
    ColumnSpec,
    ProblemLog,
    canonical_frame,
    match_columns,
)
from productivity.ingest.values import parse_numbers

MARKERS: tuple[str, ...] = ("imd_quintile", "imd_decile", "lsoa_code")
MARKER_ALIASES: dict[str, tuple[str, ...]] = {
    "imd_quintile": ("imd quintile", "quintile", "deprivation quintile", "imd_quintile"),
    "imd_decile": ("imd decile", "decile", "imd 2019 decile", "deprivation decile"),
    "lsoa_code": ("lsoa", "lsoa11cd", "lsoa21cd", "lsoa code", "lsoa 2011 code"),
}
_LOOKUP_SPEC = ColumnSpec(
    ("lsoa_code", "imd_quintile", "imd_decile"),
    ("lsoa_code",),
    MARKER_ALIASES,
    (("imd_quintile", "imd_decile"),),
)


def imd_quintiles(
    f: pd.DataFrame,
    cols: Columns,
    log: ProblemLog,
    lookup: Path | None,
    *,
    allow_empty: bool = False,
) -> pd.Series:
    """Each row's IMD quintile (float, 1-5) from the first marker column the file has.

    A value out of range, or an LSOA code missing from the lookup, is a located problem; so is
    an empty cell unless ``allow_empty``, when it gives NaN (deprivation not known). Without
    any marker column the result is all NaN.
    """
    label = cols.label
    given = pd.Series(False, index=f.index)
    for marker in MARKERS:
        if marker in cols:
            given = f[marker] != ""
            break
    check = given if allow_empty else pd.Series(True, index=f.index)
    if "imd_quintile" in cols:
        q, bad = parse_numbers(f["imd_quintile"], integer=True)
        log.add_mask(
            check & (bad | ~q.between(1, 5)),
            label("imd_quintile"),
            f["imd_quintile"],
            "not an IMD quintile: expected a whole number 1-5 (1 = most deprived)",
        )
        return q.where(q.between(1, 5))
    if "imd_decile" in cols:
        d, bad = parse_numbers(f["imd_decile"], integer=True)
        log.add_mask(
            check & (bad | ~d.between(1, 10)),
            label("imd_decile"),
            f["imd_decile"],
            "not an IMD decile: expected a whole number 1-10 (1 = most deprived)",
        )
        quintile: pd.Series = np.ceil(d.where(d.between(1, 10)) / 2)
        return quintile
    if "lsoa_code" not in cols:
        return pd.Series(np.nan, index=f.index)
    if lookup is None or not lookup.exists():
        if given.any() or not allow_empty:
            log.add(
                None,
                label("lsoa_code"),
                None,
                "LSOA codes need a lookup file: set options.lsoa_lookup in the column map to a "
                "CSV with lsoa_code and imd_decile (or imd_quintile)",
            )
        return pd.Series(np.nan, index=f.index)
    table = read_table(lookup)
    lcols = match_columns(table, _LOOKUP_SPEC)
    lf = canonical_frame(table, lcols, _LOOKUP_SPEC.columns)
    if "imd_quintile" in lcols:
        q = parse_numbers(lf["imd_quintile"], integer=True)[0]
    else:
        q = np.ceil(parse_numbers(lf["imd_decile"], integer=True)[0] / 2)
    codes = dict(zip(lf["lsoa_code"].str.upper(), q, strict=True))
    quintile = f["lsoa_code"].str.upper().map(codes)
    log.add_mask(
        check & (quintile.isna() | ~quintile.between(1, 5)),
        label("lsoa_code"),
        f["lsoa_code"],
        f"LSOA code not found in {lookup.name} (or its IMD value is invalid): expected a "
        "listed LSOA code",
    )
    return quintile.where(quintile.between(1, 5))
