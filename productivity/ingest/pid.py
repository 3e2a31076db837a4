"""Refuse patient-identifiable data before anything else is read.

The store never holds NHS numbers, names, dates of birth, postcodes, MRNs or hospital numbers
(SPEC §3). A column is refused when its header names one of those (exactly, or as words within
it: ``Date of Birth (DOB)``, ``Pt Name``, ``Hospital Number``), or when most of its values look
like one: 10 digits passing the NHS number modulus-11 check, or a full UK postcode. Values are
never echoed back in the message, so the refusal itself cannot leak them into logs or the import
history.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace

import numpy as np
import pandas as pd

from productivity.ingest.tabular import ProblemLog, Table


def squash(header: object) -> str:
    """A header reduced to lower-case letters and digits: 'NHSNumber', 'NHS_No.' -> 'nhsnumber'."""
    return re.sub(r"[^a-z0-9]", "", str(header).lower())


PID_HEADERS: frozenset[str] = frozenset(
    squash(name)
    for name in (
        "name",
        "patient",
        "patient id name",
        "pas name",
        "forename surname",
        "surname forename",
        "nhs number",
        "nhs no",
        "nhs num",
        "nhsno",
        "nhs_number",
        "nhs id",
        "new nhs number",
        "patient name",
        "patient surname",
        "patient forename",
        "forename",
        "forenames",
        "first name",
        "firstname",
        "given name",
        "surname",
        "last name",
        "lastname",
        "family name",
        "full name",
        "patient full name",
        "date of birth",
        "dob",
        "birth date",
        "birthdate",
        "d o b",
        "patient dob",
        "postcode",
        "post code",
        "patient postcode",
        "home postcode",
        "postal code",
        "address",
        "patient address",
        "address line 1",
        # Record-level extracts (the Diagnostic Imaging Dataset's own names, MRN spellings).
        "person birth date",
        "postcode of usual address",
        "current postcode of usual address",
        "patient postcode of usual address",
        "mrn",
        "medical record number",
        "hospital number",
        "hospital no",
        "local patient identifier",
        "local patient id",
    )
)
# Words that name an identifier wherever they appear in a header ("Patient DOB", "MRN (local)").
# "hospital" alone is a site alias, so only "hospital number/no/id" counts.
PID_WORDS = re.compile(
    r"\b(?:nhs (?:number|no|num|id)|date of birth|dob|birth ?date|mrn|medical record (?:number|no)"
    r"|hospital (?:number|no|num|id)|hosp (?:number|no)|case ?notes? (?:number|no)|pt name"
    r"|patient (?:name|id|identifier|number|no)|local patient (?:id|identifier|number)"
    r"|pas (?:number|no|id)|forenames?|surname|first name|last name|family name|given names?"
    r"|full name|post ?code(?! (?:district|sector|area|outward))|address)\b"
)
NHS_NUMBER_SHAPE = r"\d{3}[ -]?\d{3}[ -]?\d{4}"
POSTCODE_SHAPE = r"(?i)(?:[A-Z]{1,2}\d[A-Z\d]?|GIR) ?\d[A-Z]{2}"
# A column is judged identifiable when at least this share of its non-empty values look so.
VALUE_SHARE = 0.5
_WEIGHTS = np.arange(10, 1, -1)


def valid_nhs_numbers(values: pd.Series) -> pd.Series:
    """True where the text is a 10-digit number passing the NHS modulus-11 check."""
    text = values.astype("str").str.strip()
    shaped = text.str.fullmatch(NHS_NUMBER_SHAPE)
    result = pd.Series(False, index=values.index)
    if not shaped.any():
        return result
    digits_text = text[shaped].str.replace(r"[ -]", "", regex=True)
    raw = np.frombuffer("".join(digits_text).encode("ascii"), dtype=np.uint8)
    digits = (raw - ord("0")).reshape(-1, 10).astype(np.int64)
    check = 11 - (digits[:, :9] @ _WEIGHTS) % 11
    check = np.where(check == 11, 0, check)
    ok = (check != 10) & (check == digits[:, 9])
    result[shaped] = ok
    return result


def _each_distinct(text: pd.Series, test: Callable[[pd.Series], pd.Series]) -> pd.Series:
    """``test`` of each cell, run once per distinct text (codes and times repeat on many rows)."""
    codes, uniques = pd.factorize(text, use_na_sentinel=False)
    if len(uniques) * 2 > len(text):
        return test(text).fillna(False).astype(bool)
    each = test(pd.Series(uniques, dtype="str")).fillna(False).to_numpy(dtype=bool)
    return pd.Series(each[codes], index=text.index)


def _share(mask: pd.Series, filled: pd.Series) -> float:
    count = int(filled.sum())
    return float(mask.sum()) / count if count else 0.0


def is_pid_header(header: object) -> bool:
    """True when a header names a patient identifier (see :data:`PID_WORDS`)."""
    words = re.sub(r"[^a-z0-9]+", " ", str(header).lower()).strip()
    return squash(header) in PID_HEADERS or PID_WORDS.search(words) is not None


def check_pid(table: Table, log: ProblemLog) -> None:
    """Add a problem for every column of ``table`` that holds patient-identifiable data."""
    frame = table.frame
    for header in frame.columns:
        if is_pid_header(header):
            log.add(
                table.header_row,
                header,
                None,
                "patient-identifiable column refused (NHS number, name, date of birth, "
                "postcode, MRN or hospital number): remove it from the export, or import with "
                "--drop-identifiers; the store never holds such data",
            )
            continue
        text = table.stripped(header)
        filled = text != ""
        if not filled.any():
            continue
        # Lengths first: a shape can only reach its share when that many values have its length
        # (NHS numbers 10-12 characters, postcodes 5-8), and most columns have none.
        length = text.str.len()
        nhs = (
            _each_distinct(text, valid_nhs_numbers)
            if _share(length.between(10, 12), filled) >= VALUE_SHARE
            else filled & False
        )
        if nhs.any() and _share(nhs, filled) >= VALUE_SHARE:
            row = int(nhs[nhs].index[0])
            log.add(
                row,
                header,
                None,
                "column refused: its values look like NHS numbers (10 digits passing the "
                "modulus-11 check); patient-identifiable data must not be loaded",
            )
            continue
        if _share(length.between(5, 8), filled) < VALUE_SHARE:
            continue
        postcode = _each_distinct(text, lambda cells: cells.str.fullmatch(POSTCODE_SHAPE))
        if postcode.any() and _share(postcode, filled) >= VALUE_SHARE:
            row = int(postcode[postcode].index[0])
            log.add(
                row,
                header,
                None,
                "column refused: its values look like full postcodes; patient-identifiable "
                "data must not be loaded (an outward code such as 'CH2' is fine)",
            )


def drop_identifiers(table: Table) -> tuple[Table, tuple[str, ...]]:
    """``table`` without its patient-identifiable columns, and the headers of those dropped.

    The columns are those :func:`check_pid` would refuse (by header or by values), removed in
    memory before anything is parsed, stored or logged; only their headers are reported.
    """
    probe = ProblemLog(table.label)
    check_pid(table, probe)
    dropped = tuple(dict.fromkeys(str(p.column) for p in probe.items if p.column is not None))
    if not dropped:
        return table, ()
    return replace(table, frame=table.frame.drop(columns=list(dropped))), dropped
