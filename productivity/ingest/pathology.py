"""Histopathology specimens (SPEC §3, ``--kind pathology``): received and authorised, by the lab.

From the laboratory information system (LIMS): one row per specimen. An empty authorised time
means not yet reported; an authorisation before receipt is a located error. Times may carry an
offset or be ``dd/mm/yyyy HH:MM`` London time and are stored as London wall-clock time. The
specimen number is checked for repeats, never stored; exact repeated rows are dropped with a
note.
"""

from __future__ import annotations

from collections.abc import Collection

import pandas as pd

from productivity.ingest.checks import (
    TRUST_ALIASES,
    ParsedFile,
    check_no_formulas,
    local_datetimes,
    mapped_frame,
    repeated_rows,
)
from productivity.ingest.maps import ColumnMap
from productivity.ingest.tabular import ColumnSpec, ProblemLog, Table
from productivity.ingest.values import FLAG_EXPECTED, map_values, parse_flags
from productivity.schema import PATHOLOGY_COLUMNS, SPECIMEN_TYPES

SPEC = ColumnSpec(
    columns=PATHOLOGY_COLUMNS,
    required=(
        "trust_code",
        "lab",
        "specimen_id",
        "cancer_pathway",
        "received_datetime",
        "authorised_datetime",
    ),
    aliases={
        "trust_code": TRUST_ALIASES,
        "lab": ("laboratory", "lab name", "lab code", "pathology lab", "testing lab"),
        "specimen_id": (
            "specimen",
            "specimen number",
            "specimen no",
            "specimen id",
            "lab number",
            "lab no",
        ),
        "specimen_type": ("specimen type", "sample type", "specimen category"),
        "cancer_pathway": (
            "cancer",
            "cancer pathway",
            "cancer pathway flag",
            "cancer flag",
            "suspected cancer",
        ),
        "received_datetime": (
            "received",
            "date received",
            "received date",
            "received datetime",
            "received date time",
            "receipt date",
            "date booked in",
            "booked in",
        ),
        "authorised_datetime": (
            "authorised",
            "authorized",
            "date authorised",
            "date authorized",
            "authorised date",
            "authorized date",
            "authorised datetime",
            "authorised date time",
            "authorized date time",
            "report authorised",
        ),
    },
)
SPECIMEN_TYPE_VALUES: dict[str, str] = {
    **{t: t for t in SPECIMEN_TYPES},
    "bx": "biopsy",
    "small biopsy": "biopsy",
    "excision": "resection",
    "large resection": "resection",
    "resection specimen": "resection",
    "cyto": "cytology",
    "non gynae cytology": "cytology",
    "fna": "cytology",
}
SPECIMEN_TYPE_EXPECTED = "one of " + ", ".join(SPECIMEN_TYPES)


def parse_pathology(
    table: Table, cmap: ColumnMap, known_trusts: Collection[str], log: ProblemLog
) -> ParsedFile:
    """Validate histopathology specimens and return one ``pathology_specimen`` row each.

    Raises:
        InputError: every located problem found (up to 50).
    """
    f, cols = mapped_frame(
        table, SPEC, cmap, known_trusts, log, ("trust_code", "lab", "specimen_id"), None
    )
    label = cols.label
    check_no_formulas(f, ("lab",), log, label)
    specimen_type, bad = map_values(f["specimen_type"], SPECIMEN_TYPE_VALUES)
    log.add_mask(
        bad,
        label("specimen_type"),
        f["specimen_type"],
        f"unknown specimen type: expected {SPECIMEN_TYPE_EXPECTED}",
    )
    cancer, bad = parse_flags(f["cancer_pathway"])
    log.add_mask(
        bad,
        label("cancer_pathway"),
        f["cancer_pathway"],
        f"not a flag: expected {FLAG_EXPECTED}",
    )
    received = local_datetimes(f, "received_datetime", log, label("received_datetime"))
    authorised = local_datetimes(
        f, "authorised_datetime", log, label("authorised_datetime"), required=False
    )
    log.add_mask(
        authorised < received,
        label("authorised_datetime"),
        f["authorised_datetime"],
        "authorised before the specimen was received: expected a date-time at or after "
        f"{label('received_datetime')}",
    )
    specimens = pd.DataFrame(
        {
            "trust_code": f["trust_code"],
            "lab": f["lab"],
            "specimen_type": specimen_type.replace("", "other"),
            "cancer_pathway": cancer,
            "received_datetime": received,
            "authorised_datetime": authorised,
        },
        index=f.index,
    )
    repeated = repeated_rows(
        specimens.assign(specimen_id=f["specimen_id"]),
        ["trust_code", "specimen_id"],
        log,
        label("specimen_id"),
        f["specimen_id"],
        "specimen (trust and specimen number)",
    )
    log.raise_if_any()
    specimens = specimens[~repeated].reset_index(drop=True)
    notes = (f"{int(repeated.sum())} exact repeated rows dropped",) if repeated.any() else ()
    return ParsedFile.dated(
        "pathology", log, "pathology_specimen", specimens, notes, "received_datetime",
        row_dates=received[~repeated], date_label=label("received_datetime"),
    )  # fmt: skip
