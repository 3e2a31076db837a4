"""Missed appointments: the DNA rate and the standardised DNA ratio by deprivation mix.

Pure functions over the canonical appointments frame of SPEC §3 (``trust_code, service,
appointment_date, attendance_code, imd_decile | imd_quintile``), as SPEC §4 "Attendance" defines
them:

- ``attendance_code`` is the NHS Data Dictionary ATTENDED OR DID NOT ATTEND code. The DNA rate =
  (code 3 + code 7) ÷ (codes 5 + 6 + 7 + 3); codes 2, 4 and 0 (cancelled by the patient, by the
  provider, not applicable) are in neither, and nor is an unknown code;
- the standardised DNA ratio (indirect standardisation for deprivation mix) = observed DNAs ÷
  expected DNAs, where expected = Σ over IMD quintiles of the trust's appointments in that
  quintile × the whole system's DNA rate in that quintile, for the same services and period, so
  that over the whole system observed = expected.

Every function also takes rows of counts instead of appointments: ``appointments`` and ``dnas``
columns (as :func:`attendance_counts` gives, summed, e.g. by a mart) and no ``attendance_code``,
so sums over any period or service give exactly what the appointments themselves would.

Quintile 1 is the most deprived fifth, 5 the least; a decile maps to quintile (decile + 1) // 2.
Mapping attendance labels ("Attended", "DNA", ...) and LSOA codes belongs to the importer; the
code sets are here as constants. There is no national DNA target (``dna_rate`` in the benchmark
file has none): rates are shown against the system's own. Imports only the stdlib, numpy, pandas
and the helpers of :mod:`productivity.metrics.diagnostics`: never Streamlit or the database layer.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from productivity.metrics.diagnostics import (
    add_period_columns,
    as_keys,
    group_sums,
    require_columns,
    safe_ratio,
)

# NHS Data Dictionary ATTENDED OR DID NOT ATTEND codes.
ATTENDED_ON_TIME = 5  # attended on time, or late but before the relevant professional was ready
ARRIVED_LATE_SEEN = 6
ARRIVED_LATE_NOT_SEEN = 7
PATIENT_CANCELLED = 2
DID_NOT_ATTEND = 3  # did not attend, no advance warning given
PROVIDER_CANCELLED = 4  # cancelled or postponed by the health care provider
NOT_APPLICABLE = 0  # appointment not yet happened

ATTENDANCE_CODE_LABELS: dict[int, str] = {
    ATTENDED_ON_TIME: "Attended on time",
    ARRIVED_LATE_SEEN: "Arrived late, seen",
    ARRIVED_LATE_NOT_SEEN: "Arrived late, not seen",
    PATIENT_CANCELLED: "Cancelled by the patient",
    DID_NOT_ATTEND: "Did not attend",
    PROVIDER_CANCELLED: "Cancelled by the provider",
    NOT_APPLICABLE: "Not applicable (future appointment)",
}
ATTENDANCE_CODES: frozenset[int] = frozenset(ATTENDANCE_CODE_LABELS)
ATTENDED_CODES: frozenset[int] = frozenset({ATTENDED_ON_TIME, ARRIVED_LATE_SEEN})
# The numerator: no-shows and patients who came too late to be seen.
DNA_CODES: frozenset[int] = frozenset({DID_NOT_ATTEND, ARRIVED_LATE_NOT_SEEN})
# The denominator: appointments the patient was expected to attend.
APPOINTMENT_CODES: frozenset[int] = ATTENDED_CODES | DNA_CODES
# In neither the numerator nor the denominator.
EXCLUDED_CODES: frozenset[int] = frozenset({PATIENT_CANCELLED, PROVIDER_CANCELLED, NOT_APPLICABLE})
QUINTILES: tuple[int, ...] = (1, 2, 3, 4, 5)
DECILES: tuple[int, ...] = tuple(range(1, 11))
DATE_COLUMN = "appointment_date"
RATE_COLUMNS: tuple[str, ...] = ("appointments", "dnas", "dna_rate")
RATIO_COLUMNS: tuple[str, ...] = (*RATE_COLUMNS, "expected_dnas", "standardised_ratio")


def imd_decile_to_quintile(decile: pd.Series) -> pd.Series:
    """IMD quintile of each IMD decile: (decile + 1) // 2, so deciles 1–2 → 1, ..., 9–10 → 5.

    Returns a nullable ``Int64`` Series named ``imd_quintile`` on ``decile``'s index (NA where the
    decile is missing).

    Raises:
        ValueError: a decile is not a whole number from 1 to 10.
    """
    values = _whole_numbers(decile, DECILES, "IMD decile")
    return ((values + 1) // 2).rename("imd_quintile")


def imd_quintile(appointments: pd.DataFrame) -> pd.Series:
    """Each row's IMD quintile: ``imd_quintile`` where given, else from ``imd_decile``.

    Returns a nullable ``Int64`` Series named ``imd_quintile`` (NA where neither is known).

    Raises:
        ValueError: the frame has neither column, or a value is out of range.
    """
    has_quintile, has_decile = "imd_quintile" in appointments, "imd_decile" in appointments
    if not (has_quintile or has_decile):
        raise ValueError("appointments frame is missing column(s): imd_quintile or imd_decile")
    quintile = pd.Series(pd.NA, index=appointments.index, dtype="Int64", name="imd_quintile")
    if has_quintile:
        quintile = _whole_numbers(appointments["imd_quintile"], QUINTILES, "IMD quintile")
    if has_decile:
        quintile = quintile.fillna(imd_decile_to_quintile(appointments["imd_decile"]))
    return quintile.rename("imd_quintile")


def attendance_counts(appointments: pd.DataFrame) -> pd.DataFrame:
    """Each appointment's contribution to the DNA rate: ``appointments`` and ``dnas`` (0 or 1).

    ``appointments`` is 1 for codes 5, 6, 7 and 3 (:data:`APPOINTMENT_CODES`), ``dnas`` 1 for
    codes 3 and 7 (:data:`DNA_CODES`); codes 2, 4, 0, an unknown code and a missing one give 0
    and 0. Codes may be numbers or digit strings ("3", "03"). Returns int64 columns on
    ``appointments``' index.

    Raises:
        ValueError: ``attendance_code`` is missing.
    """
    require_columns(appointments, ["attendance_code"], "appointments")
    codes = pd.to_numeric(
        appointments["attendance_code"].astype("string").str.strip(), errors="coerce"
    )
    return pd.DataFrame(
        {
            "appointments": codes.isin(sorted(APPOINTMENT_CODES)).astype("int64"),
            "dnas": codes.isin(sorted(DNA_CODES)).astype("int64"),
        },
        index=appointments.index,
    )


def dna_rate(appointments: pd.DataFrame, by: Sequence[str]) -> pd.DataFrame:
    """The DNA rate for each group: Σ DNAs ÷ Σ appointments (SPEC §4).

    DNAs are codes 3 and 7; appointments codes 5, 6, 7 and 3 (:func:`attendance_counts`). A group
    whose rows are all cancellations or future appointments has 0 appointments and a NaN rate.
    ``by`` names any columns (``trust_code``, ``service``, ...) and may include ``imd_quintile``
    (from the decile where only that is given, see :func:`imd_quintile`) and ``month`` (of
    ``appointment_date``). A missing key value forms its own group.

    Returns:
        The group keys, ``appointments``, ``dnas`` and ``dna_rate`` (a fraction).

    Raises:
        ValueError: a column is missing or an IMD value is out of range.
    """
    keys = as_keys(by)
    frame = _prepared(appointments, keys)
    out = group_sums(frame, keys, ["appointments", "dnas"])
    out["dna_rate"] = safe_ratio(out["dnas"].astype(float), out["appointments"])
    return out[[*keys, *RATE_COLUMNS]]


def dna_by_quintile(
    appointments: pd.DataFrame, by: Sequence[str] = ("trust_code",)
) -> pd.DataFrame:
    """The DNA rate for each group × IMD quintile (SPEC §4: by trust × service × quintile × month).

    As :func:`dna_rate` with ``imd_quintile`` added to the keys. ``by=()`` gives the whole
    system's rate in each quintile. A row with no quintile falls in a group of its own (NA).

    Returns:
        ``trust_code`` (and the other ``by`` keys), ``imd_quintile``, ``appointments``, ``dnas``
        and ``dna_rate``.

    Raises:
        ValueError: a column is missing or an IMD value is out of range.
    """
    keys = [k for k in as_keys(by) if k != "imd_quintile"]
    return dna_rate(appointments, [*keys, "imd_quintile"])


def standardised_dna_ratio(
    appointments: pd.DataFrame, by: Sequence[str] = ("trust_code",)
) -> pd.DataFrame:
    """Observed ÷ expected DNAs of each trust, indirectly standardised for deprivation mix.

    expected DNAs = Σ over IMD quintiles of the group's appointments in that quintile × the whole
    system's DNA rate in that quintile, where the system is every row of ``appointments`` (so
    filter it to the services and period wanted first). Any ``by`` key other than ``trust_code``
    (``service``, ``month``) also splits the system rate, so a trust's CT appointments are set
    against the system's CT rate for the same month. Rows with no quintile form a stratum of their
    own. Over the whole system Σ observed = Σ expected.

    ``standardised_ratio`` = dnas ÷ expected_dnas, NaN when nothing is expected. ``dna_rate`` is
    the crude rate, dnas ÷ appointments.

    Returns:
        The ``by`` keys, ``appointments``, ``dnas``, ``dna_rate``, ``expected_dnas`` and
        ``standardised_ratio``.

    Raises:
        ValueError: a column is missing or an IMD value is out of range.
    """
    keys = [k for k in as_keys(by) if k != "imd_quintile"]
    frame = _prepared(appointments, [*keys, "imd_quintile"])
    strata = [*(k for k in keys if k != "trust_code"), "imd_quintile"]
    cells = group_sums(frame, [*keys, *(s for s in strata if s not in keys)], ["appointments"])
    system = dna_rate(frame, strata).rename(columns={"dna_rate": "_system_rate"})
    cells = cells.merge(system[[*strata, "_system_rate"]], on=strata, how="left")
    cells["expected_dnas"] = np.where(
        cells["appointments"] > 0, cells["appointments"] * cells["_system_rate"], 0.0
    )
    expected = group_sums(cells, keys, ["expected_dnas"])
    out = dna_rate(frame, keys)
    out = (
        out.merge(expected, on=keys, how="left", validate="one_to_one")
        if keys
        else pd.concat([out, expected], axis=1)
    )
    out["expected_dnas"] = out["expected_dnas"].astype(float)
    out["standardised_ratio"] = safe_ratio(out["dnas"].astype(float), out["expected_dnas"])
    return out[[*keys, *RATIO_COLUMNS]]


def _prepared(appointments: pd.DataFrame, keys: Sequence[str]) -> pd.DataFrame:
    frame = appointments
    if "month" in keys and "month" not in frame.columns:
        require_columns(frame, [DATE_COLUMN], "appointments")
        frame = add_period_columns(frame, DATE_COLUMN)
    if "imd_quintile" in keys:
        frame = frame.assign(imd_quintile=imd_quintile(frame))
    if "attendance_code" not in frame.columns and {"appointments", "dnas"} <= set(frame.columns):
        require_columns(frame, keys, "appointments")
        return frame  # rows of counts already (a mart's sums of attendance_counts)
    require_columns(frame, [*keys, "attendance_code"], "appointments")
    counts = attendance_counts(frame)
    return frame.assign(appointments=counts["appointments"], dnas=counts["dnas"])


def _whole_numbers(values: pd.Series, allowed: tuple[int, ...], name: str) -> pd.Series:
    text = values.astype("string").str.strip()
    numbers: pd.Series = pd.to_numeric(text.mask(text == ""), errors="coerce")
    given = text.notna() & (text != "")
    bad = given.fillna(False).to_numpy(bool) & ~numbers.isin(allowed).to_numpy(bool)
    if bad.any():
        shown = ", ".join(sorted({repr(v) for v in values[bad].head(5)}))
        raise ValueError(
            f"{name} must be a whole number from {allowed[0]} to {allowed[-1]}: {shown}"
        )
    whole: pd.Series = numbers.astype("Int64")
    return whole
