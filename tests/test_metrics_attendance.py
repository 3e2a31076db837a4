"""Attendance: DNA rate by IMD quintile and the standardised DNA ratio (SPEC §4 "Attendance").

Hand-computed cases. The DNA rate = (code 3 + code 7) ÷ (codes 5 + 6 + 7 + 3); codes 2, 4 and 0
count in neither. The standardised ratio = observed ÷ Σ_q (trust's appointments in q × system
DNA rate in q).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import pandas as pd
import pytest

from productivity.metrics.attendance import (
    APPOINTMENT_CODES,
    DNA_CODES,
    EXCLUDED_CODES,
    attendance_counts,
    dna_by_quintile,
    dna_rate,
    imd_decile_to_quintile,
    imd_quintile,
    standardised_dna_ratio,
)


def appointments_frame(rows: Sequence[tuple[str, int, Sequence[int]]], imd: str) -> pd.DataFrame:
    """One row per appointment: (trust, IMD quintile or decile, attendance codes)."""
    records = [
        {"trust_code": trust, "service": "CT", imd: level, "attendance_code": code}
        for trust, level, codes in rows
        for code in codes
    ]
    return pd.DataFrame(records)


@pytest.fixture
def appointments() -> pd.DataFrame:
    trust_a = appointments_frame(
        [
            # quintile 1: 5, 5, 3, 7, 6 are appointments (5); 3 and 7 are DNAs (2) -> 0.4;
            # 2, 4 and 0 are in neither
            ("A", 1, [5, 5, 3, 7, 2, 4, 0, 6]),
            # quintile 5: 5, 5, 5, 3 -> 4 appointments, 1 DNA -> 0.25
            ("A", 5, [5, 5, 5, 3]),
        ],
        "imd_quintile",
    )
    trust_b = appointments_frame(
        [
            # deciles 1 and 2 are quintile 1: 3, 5 -> 2 appointments, 1 DNA -> 0.5
            ("B", 1, [3]),
            ("B", 2, [5]),
            # deciles 9 and 10 are quintile 5: six 5s and a 3 -> 7 appointments, 1 DNA -> 1/7;
            # the 2 is in neither
            ("B", 9, [5, 5, 5]),
            ("B", 10, [5, 5, 5, 3, 2]),
        ],
        "imd_decile",
    )
    return pd.concat([trust_a, trust_b], ignore_index=True)


def test_code_sets() -> None:
    assert {5, 6, 7, 3} == APPOINTMENT_CODES
    assert {3, 7} == DNA_CODES
    assert {2, 4, 0} == EXCLUDED_CODES
    assert not (APPOINTMENT_CODES & EXCLUDED_CODES)


def test_attendance_counts_per_code() -> None:
    codes = pd.DataFrame({"attendance_code": [5, 6, 7, 3, 2, 4, 0, "3", "07", None, 9]})
    counts = attendance_counts(codes)
    # 5, 6, 7, 3 are appointments; 7, 3 DNAs; 2, 4, 0, missing and unknown 9 in neither;
    # digit strings read as codes
    assert counts["appointments"].tolist() == [1, 1, 1, 1, 0, 0, 0, 1, 1, 0, 0]
    assert counts["dnas"].tolist() == [0, 0, 1, 1, 0, 0, 0, 1, 1, 0, 0]


def test_dna_rate_excludes_codes_2_4_and_0() -> None:
    frame = pd.DataFrame({"trust_code": ["A"] * 6, "attendance_code": [5, 3, 2, 4, 0, 0]})
    row = dna_rate(frame, ["trust_code"]).iloc[0]
    # appointments 5, 3 -> 2; DNA 3 -> 1; rate 1 / 2 = 0.5 (not 1 / 6)
    assert (row["appointments"], row["dnas"], row["dna_rate"]) == (2, 1, 0.5)


def test_dna_rate_is_nan_with_no_appointments() -> None:
    frame = pd.DataFrame({"trust_code": ["A", "A"], "attendance_code": [2, 4]})
    row = dna_rate(frame, ["trust_code"]).iloc[0]
    assert (row["appointments"], row["dnas"]) == (0, 0)
    assert math.isnan(row["dna_rate"])


def test_dna_by_quintile(appointments: pd.DataFrame) -> None:
    out = dna_by_quintile(appointments)
    assert list(out.columns) == ["trust_code", "imd_quintile", "appointments", "dnas", "dna_rate"]
    assert out[["trust_code", "imd_quintile", "appointments", "dnas"]].values.tolist() == [
        ["A", 1, 5, 2],
        ["A", 5, 4, 1],
        ["B", 1, 2, 1],  # deciles 1, 2
        ["B", 5, 7, 1],  # deciles 9, 10
    ]
    assert out["dna_rate"].tolist() == pytest.approx([0.4, 0.25, 0.5, 1 / 7])


def test_system_rate_by_quintile(appointments: pd.DataFrame) -> None:
    system = dna_by_quintile(appointments, by=())
    # quintile 1: 5 + 2 = 7 appointments, 2 + 1 = 3 DNAs -> 3/7; quintile 5: 4 + 7 = 11, 2 -> 2/11
    assert system["imd_quintile"].tolist() == [1, 5]
    assert system["appointments"].tolist() == [7, 11]
    assert system["dna_rate"].tolist() == pytest.approx([3 / 7, 2 / 11])


def test_standardised_dna_ratio(appointments: pd.DataFrame) -> None:
    out = standardised_dna_ratio(appointments)
    assert list(out.columns) == [
        "trust_code",
        "appointments",
        "dnas",
        "dna_rate",
        "expected_dnas",
        "standardised_ratio",
    ]
    a, b = out.iloc[0], out.iloc[1]
    # A: 9 appointments, 3 DNAs -> 1/3; expected 5 x 3/7 + 4 x 2/11 = 15/7 + 8/11 = 221/77
    assert (a["trust_code"], a["appointments"], a["dnas"]) == ("A", 9, 3)
    assert a["dna_rate"] == pytest.approx(1 / 3)
    assert a["expected_dnas"] == pytest.approx(221 / 77)  # 2.8701...
    assert a["standardised_ratio"] == pytest.approx(3 / (221 / 77))  # 231/221 = 1.0452...
    # B: 9 appointments, 2 DNAs; expected 2 x 3/7 + 7 x 2/11 = 6/7 + 14/11 = 164/77
    assert (b["trust_code"], b["appointments"], b["dnas"]) == ("B", 9, 2)
    assert b["expected_dnas"] == pytest.approx(164 / 77)  # 2.1299...
    assert b["standardised_ratio"] == pytest.approx(77 / 82)  # 2 / (164/77) = 0.9390...


def test_over_the_whole_system_observed_equals_expected(appointments: pd.DataFrame) -> None:
    out = standardised_dna_ratio(appointments)
    # 221/77 + 164/77 = 385/77 = 5 expected; 3 + 2 = 5 observed
    assert out["expected_dnas"].sum() == pytest.approx(out["dnas"].sum())
    assert out["dnas"].sum() == 5
    system = standardised_dna_ratio(appointments, by=())
    assert system["standardised_ratio"].iloc[0] == pytest.approx(1.0)


def test_same_crude_rate_different_mix_gives_different_ratio() -> None:
    # Both trusts have 2 DNAs of 10 appointments (crude 0.2). X has 5 in Q1 (2 DNAs) and 5 in
    # Q5 (none); Y has 10 in Q5 (2 DNAs). System Q1: 2/5 = 0.4; Q5: (0 + 2)/(5 + 10) = 2/15.
    x = appointments_frame([("X", 1, [3, 3, 5, 5, 5]), ("X", 5, [5] * 5)], "imd_quintile")
    y = appointments_frame([("Y", 5, [3, 3] + [5] * 8)], "imd_quintile")
    out = standardised_dna_ratio(pd.concat([x, y], ignore_index=True)).set_index("trust_code")
    # X expected 5 x 0.4 + 5 x 2/15 = 2 + 2/3 = 8/3 -> ratio 2 / (8/3) = 0.75
    # Y expected 10 x 2/15 = 4/3 -> ratio 2 / (4/3) = 1.5
    assert out.loc["X", "expected_dnas"] == pytest.approx(8 / 3)
    assert out.loc["X", "standardised_ratio"] == pytest.approx(0.75)
    assert out.loc["Y", "standardised_ratio"] == pytest.approx(1.5)
    assert out.loc[["X", "Y"], "dna_rate"].tolist() == pytest.approx([0.2, 0.2])


def test_standardised_ratio_by_service_uses_the_service_rate() -> None:
    frame = pd.DataFrame(
        {
            "trust_code": ["A", "A", "B", "B", "A", "B"],
            "service": ["CT", "CT", "CT", "CT", "MRI", "MRI"],
            "imd_quintile": [1] * 6,
            "attendance_code": [3, 5, 5, 5, 3, 3],
        }
    )
    out = standardised_dna_ratio(frame, by=["trust_code", "service"])
    ct = out[out["service"] == "CT"].set_index("trust_code")
    # CT quintile 1 system: 1 DNA of 4 -> 0.25; A: 2 x 0.25 = 0.5 expected, 1 observed -> 2.0
    assert ct.loc["A", "expected_dnas"] == pytest.approx(0.5)
    assert ct.loc["A", "standardised_ratio"] == pytest.approx(2.0)
    assert ct.loc["B", "standardised_ratio"] == pytest.approx(0.0)  # 0 of 0.5
    # per service, observed = expected over the system
    sums = out.groupby("service")[["dnas", "expected_dnas"]].sum()
    assert sums["dnas"].tolist() == pytest.approx(sums["expected_dnas"].tolist())


def test_rows_without_a_quintile_form_their_own_stratum() -> None:
    frame = pd.DataFrame(
        {
            "trust_code": ["A", "A", "B", "B"],
            "imd_quintile": [1, None, 1, None],
            "attendance_code": [3, 5, 5, 7],
        }
    )
    out = standardised_dna_ratio(frame).set_index("trust_code")
    # system Q1 1/2, unknown 1/2 -> each trust expects 1 x 0.5 + 1 x 0.5 = 1
    assert out["expected_dnas"].tolist() == pytest.approx([1.0, 1.0])
    assert out["dnas"].sum() == pytest.approx(out["expected_dnas"].sum())


def test_a_trust_with_only_cancellations_expects_nothing() -> None:
    frame = pd.DataFrame(
        {"trust_code": ["A", "B"], "imd_quintile": [1, 2], "attendance_code": [3, 2]}
    )
    out = standardised_dna_ratio(frame).set_index("trust_code")
    # B: 0 appointments in quintile 2 (the system has none either) -> expected 0, ratio NaN
    assert out.loc["B", "expected_dnas"] == 0.0
    assert out.loc["B", ["standardised_ratio", "dna_rate"]].isna().all()
    assert out.loc["A", "standardised_ratio"] == pytest.approx(1.0)


def test_dna_rate_by_month() -> None:
    frame = pd.DataFrame(
        {
            "trust_code": ["A"] * 4,
            "appointment_date": ["2026-04-30", "2026-04-01", "2026-05-01", "2026-05-31"],
            "attendance_code": [3, 5, 5, 5],
        }
    )
    out = dna_rate(frame, ["trust_code", "month"])
    # April: 1 DNA of 2 -> 0.5; May: 0 of 2 -> 0.0
    assert out["month"].tolist() == [pd.Timestamp("2026-04-01"), pd.Timestamp("2026-05-01")]
    assert out["dna_rate"].tolist() == [0.5, 0.0]


def test_decile_to_quintile() -> None:
    deciles = pd.Series([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, None])
    assert imd_decile_to_quintile(deciles).tolist() == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5, pd.NA]
    with pytest.raises(ValueError, match="decile"):
        imd_decile_to_quintile(pd.Series([0, 11]))


def test_quintile_prefers_the_given_quintile_then_the_decile() -> None:
    frame = pd.DataFrame({"imd_quintile": [2, None, None], "imd_decile": [9, 9, None]})
    assert imd_quintile(frame).tolist() == [2, 5, pd.NA]
    with pytest.raises(ValueError, match="imd_quintile or imd_decile"):
        imd_quintile(pd.DataFrame({"attendance_code": [5]}))
    with pytest.raises(ValueError, match="quintile"):
        imd_quintile(pd.DataFrame({"imd_quintile": [6]}))


def test_empty_input() -> None:
    empty = pd.DataFrame(columns=["trust_code", "imd_quintile", "attendance_code"])
    assert dna_by_quintile(empty).empty
    out = standardised_dna_ratio(empty)
    assert out.empty
    assert list(out.columns)[-2:] == ["expected_dnas", "standardised_ratio"]
