"""Appointments from the store: the attendance mart and its reader (SPEC §4 "Attendance").

Example::

    build_attendance_mart(engine)                      # marts.rebuild_marts does
    attendance_report(rows, by="trust")                # report attendance's rows

The mart (:data:`ATTENDANCE`) holds, per trust × service × month × IMD quintile × first or
follow-up, the appointments the DNA rate counts (codes 5, 6, 7, 3), the DNAs (codes 3, 7) and
every booked row; the DNA rate and the standardised DNA ratio are then taken from those sums by
:mod:`productivity.metrics.attendance`, so any period or service filter gives the same answer as
the appointments themselves. Imports no Streamlit, and not :mod:`productivity.store.marts`.
"""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Engine, text

from productivity.metrics.attendance import (
    attendance_counts,
    dna_by_quintile,
    standardised_dna_ratio,
)
from productivity.metrics.diagnostics import group_sums
from productivity.schema import APPOINTMENT_COLUMNS
from productivity.store.mart_tables import ATTENDANCE

MART_KEYS: tuple[str, ...] = (
    "trust_code", "service", "month", "imd_quintile", "first_or_follow_up",
)  # fmt: skip
MART_COLUMNS: tuple[str, ...] = (*MART_KEYS, "appointments", "dnas", "booked")
# report attendance --by LEVEL -> the columns, in the order SPEC §7 gives them.
REPORT_COLUMNS: dict[str, tuple[str, ...]] = {
    "trust": (
        "trust_code", "appointments", "dnas", "dna_rate", "expected_dnas", "standardised_ratio",
    ),
    "quintile": ("trust_code", "imd_quintile", "appointments", "dnas", "dna_rate"),
}  # fmt: skip


def build_attendance_mart(engine: Engine) -> dict[str, pd.DataFrame]:
    """Appointments summed per trust × service × month × quintile × first or follow-up."""
    # Names from the schema; a plain-text query skips SQLAlchemy's per-row date conversion.
    columns = ", ".join(f'"{c}"' for c in APPOINTMENT_COLUMNS)
    with engine.connect() as conn:
        rows = pd.read_sql_query(text(f'SELECT {columns} FROM "appointment"'), conn)
    if rows.empty:
        return {ATTENDANCE: pd.DataFrame({c: pd.Series(dtype=object) for c in MART_COLUMNS})}
    counts = attendance_counts(rows)
    dates = pd.to_datetime(rows["appointment_date"], format="ISO8601")
    rows = rows.assign(
        month=dates.to_numpy("datetime64[M]").astype(str),
        first_or_follow_up=rows["first_or_follow_up"].fillna(""),
        appointments=counts["appointments"],
        dnas=counts["dnas"],
        booked=1,
    )
    mart = group_sums(rows, list(MART_KEYS), ["appointments", "dnas", "booked"])
    return {ATTENDANCE: mart[list(MART_COLUMNS)]}


def attendance_report(rows: pd.DataFrame, by: str = "trust") -> pd.DataFrame:
    """``report attendance --by trust|quintile`` from attendance mart rows (SPEC §7).

    ``trust``: the DNA rate and the standardised DNA ratio (observed ÷ expected DNAs, expected
    at the whole system's rate in each IMD quintile over the same rows); ``quintile``: the DNA
    rate per trust and quintile (an unknown quintile is a row of its own).

    Raises:
        ValueError: ``by`` is neither ``trust`` nor ``quintile``.
    """
    if by not in REPORT_COLUMNS:
        raise ValueError(f"--by must be trust or quintile for attendance, not {by!r}")
    columns = list(REPORT_COLUMNS[by])
    if rows.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
    if by == "trust":
        out = standardised_dna_ratio(rows, by=["trust_code"])
    else:
        out = dna_by_quintile(rows, by=["trust_code"])
    return out[columns].reset_index(drop=True)
