"""Hand-computed 6-4-2 look-ahead (SPEC §4): expected minutes, fallbacks and flags.

As of Monday 1 June 2026; the history window is 2 June 2025 to 1 June 2026. RBL's
General Surgery history in the window:

    T20.1 (written "T20.1" and "T201"): 50, 60, 70, 80, 90   → 5 cases, median 70 (used)
    J18.3:                                  100, 110, 120, 130  → 4 cases: too few
    specialty, all nine cases:  50 … 130                        → median 90

and outside it: T24.1 five times at 300 minutes in May 2025 (13 months old), ignored both as
procedure and as specialty history (with them the specialty median would be (110 + 120) / 2).
REM has 5 cases of T20.1 at 200 minutes, which must not leak into RBL. Lists run 08:30-12:30,
240 planned minutes, so the 85% benchmark is 0.85 × 240 = 204 minutes.
"""

from __future__ import annotations

import math

import pandas as pd
import pytest

from productivity.metrics import lookahead as la

T = pd.Timestamp
AS_OF = "2026-06-01"
GS = "General Surgery"


def history_rows() -> pd.DataFrame:
    rows = [
        ("RBL", GS, code, minutes, "2026-01-12")
        for code, minutes in [("T20.1", 50), ("T201", 60), ("T20.1", 70), ("T20.1", 80)]
    ]
    rows += [("RBL", GS, "T20.1", 90, "2025-06-02")]  # the window's first day: in
    rows += [("RBL", GS, "J18.3", m, "2026-03-02") for m in (100, 110, 120, 130)]
    rows += [("RBL", GS, "T24.1", 300, "2025-05-01") for _ in range(5)]  # 13 months: out
    rows += [("RBL", GS, "T20.1", 1000, "2025-06-01")]  # exactly 12 months: out
    rows += [("RBL", GS, "T20.1", 1000, "2026-06-02")]  # after as_of: out
    rows += [("REM", GS, "T20.1", 200, "2026-02-02") for _ in range(5)]
    return pd.DataFrame(
        rows, columns=["trust_code", "specialty", "procedure_code", "touch_minutes", "session_date"]
    ).assign(session_date=lambda f: pd.to_datetime(f["session_date"]))


HISTORY = history_rows()


def booking(
    date: str,
    theatre: str,
    code: str | None,
    booked: float | None = None,
    *,
    specialty: str = GS,
    trust: str = "RBL",
    case_id: str | None = "auto",
) -> dict[str, object]:
    return {
        "trust_code": trust,
        "site": f"{trust}01",
        "theatre": theatre,
        "session_date": date,
        "session": "AM",
        "planned_start": "08:30",
        "planned_end": "12:30",
        "specialty": specialty,
        "case_id": (f"{theatre}-{code}-{booked}" if case_id == "auto" and code else case_id),
        "procedure_code": code,
        "priority": "daycase" if code else None,
        "booked_minutes": booked,
    }


def per_case(rows: list[dict[str, object]]) -> pd.DataFrame:
    return la.expected_case_minutes(pd.DataFrame(rows), HISTORY, AS_OF)


def test_history_medians_use_only_the_last_twelve_months():
    by_procedure, by_specialty = la.history_medians(HISTORY, AS_OF)
    rbl = by_procedure[by_procedure["trust_code"] == "RBL"].set_index("procedure_key")
    assert rbl.loc["T201", "procedure_history_cases"] == 5  # "T20.1" and "T201" together
    assert rbl.loc["T201", "procedure_median_minutes"] == 70
    assert rbl.loc["J183", "procedure_history_cases"] == 4
    assert "T241" not in rbl.index  # 13 months old
    spec = by_specialty.set_index(["trust_code", "specialty"])
    assert spec.loc[("RBL", GS), "specialty_history_cases"] == 9
    assert spec.loc[("RBL", GS), "specialty_median_minutes"] == 90


def test_booked_minutes_win():
    row = per_case([booking("2026-06-03", "T1", "T20.1", 45)]).iloc[0]
    assert (row["expected_minutes"], row["expected_source"], row["history_cases"]) == (
        45,
        "booked",
        0,
    )


def test_procedure_median_with_five_cases():
    row = per_case([booking("2026-06-03", "T1", "t201")]).iloc[0]  # code normalised
    # median of 50, 60, 70, 80, 90 = 70, over 5 cases (REM's 200s are another trust)
    assert (row["expected_minutes"], row["expected_source"], row["history_cases"]) == (
        70,
        "procedure",
        5,
    )


def test_procedure_with_four_cases_falls_to_the_specialty():
    row = per_case([booking("2026-06-03", "T1", "J18.3")]).iloc[0]
    # J18.3 has 4 cases (< 5): specialty median of the nine RBL General Surgery cases = 90
    assert (row["expected_minutes"], row["expected_source"], row["history_cases"]) == (
        90,
        "specialty",
        9,
    )
    assert row["procedure_history_cases"] == 4
    assert row["procedure_median_minutes"] == 115  # (110 + 120) / 2, shown but not used


def test_history_older_than_twelve_months_is_ignored():
    row = per_case([booking("2026-06-03", "T1", "T24.1")]).iloc[0]
    # five T24.1 cases, all 13 months old: no procedure history, so the specialty median 90
    # (were they counted, the procedure median would be 300)
    assert (row["expected_minutes"], row["expected_source"]) == (90, "specialty")
    assert row["procedure_history_cases"] == 0


def test_no_history_at_all_is_nan_and_flagged_as_none():
    row = per_case([booking("2026-06-03", "T1", "L85.1", specialty="Vascular Surgery")]).iloc[0]
    assert math.isnan(row["expected_minutes"])
    assert (row["expected_source"], row["history_cases"]) == ("none", 0)


def test_min_procedure_cases_is_a_parameter():
    rows = pd.DataFrame([booking("2026-06-03", "T1", "J18.3")])
    row = la.expected_case_minutes(rows, HISTORY, AS_OF, min_procedure_cases=4).iloc[0]
    assert (row["expected_minutes"], row["expected_source"]) == (115, "procedure")


def test_unbooked_list_rows_are_not_cases():
    rows = [booking("2026-06-03", "T1", None, case_id=None), booking("2026-06-03", "T2", "T20.1")]
    assert per_case(rows)["theatre"].tolist() == ["T2"]


@pytest.mark.parametrize(
    ("date", "weeks"),
    [
        ("2026-05-31", None),  # yesterday
        ("2026-06-01", 2),  # day 0
        ("2026-06-15", 2),  # day 14
        ("2026-06-16", 4),  # day 15
        ("2026-06-29", 4),  # day 28
        ("2026-06-30", 6),  # day 29
        ("2026-07-13", 6),  # day 42
        ("2026-07-14", None),  # day 43
    ],
)
def test_weeks_out_windows(date: str, weeks: int | None):
    found = la.weeks_out(pd.Series([date]), AS_OF).iloc[0]
    assert (None if pd.isna(found) else found) == weeks


# One list per case below (theatre names the list), all 240 planned minutes, benchmark 204.
BOOKINGS = pd.DataFrame(
    [
        # A: 134 booked + T20.1 (70) = 204 = exactly 85% → not flagged. 2 days out.
        booking("2026-06-03", "A", "T20.1", 134),
        booking("2026-06-03", "A", "T20.1"),
        # B: 133 booked + T20.1 (70) = 203, one minute below → flagged. 16 days out.
        booking("2026-06-17", "B", "T20.1", 133),
        booking("2026-06-17", "B", "T20.1"),
        # C: J18.3 (too little history: specialty 90) + 114 booked = 204 → not flagged. 30 days.
        booking("2026-07-01", "C", "J18.3"),
        booking("2026-07-01", "C", "J18.3", 114),
        # D: T24.1 only (no history in the window: specialty 90) → 90 / 240 → flagged. 9 days.
        booking("2026-06-10", "D", "T24.1"),
        # E: Vascular, no history at all: NaN, counts 0 → flagged, estimate incomplete. 9 days.
        booking("2026-06-10", "E", "L85.1", specialty="Vascular Surgery"),
        # F: unbooked list (one row, empty case fields) → Σ expected 0 → flagged. 9 days.
        booking("2026-06-10", "F", None, case_id=None),
        # G: unbooked, 49 days out: below the benchmark but in no window → not flagged.
        booking("2026-07-20", "G", None, case_id=None),
        # H: overbooked: 300 booked → min(300, 240) / 240 = 1.0. 2 days out.
        booking("2026-06-03", "H", "T20.1", 300),
    ]
)


def lists() -> pd.DataFrame:
    return la.lookahead(BOOKINGS, HISTORY, AS_OF, target=0.85).set_index("theatre")


def test_list_exactly_at_the_benchmark_is_not_flagged():
    a = lists().loc["A"]
    assert (a["booked_cases"], a["booked_minutes"], a["expected_minutes"]) == (2, 134, 204)
    assert a["expected_utilisation"] == pytest.approx(0.85)  # 204 / 240
    assert a["unfilled_minutes"] == 0  # max(0, 204 − 204)
    assert a["weeks_out"] == 2
    assert not a["below_benchmark"] and not a["flagged"]
    assert a["cases_to_fill"] == 0


def test_list_one_minute_below_is_flagged():
    b = lists().loc["B"]
    assert b["expected_minutes"] == 203
    assert b["expected_utilisation"] == pytest.approx(203 / 240)  # 0.8458
    assert b["unfilled_minutes"] == pytest.approx(1)  # 204 − 203
    assert (b["days_out"], b["weeks_out"]) == (16, 4)
    assert b["below_benchmark"] and b["flagged"]
    assert b["cases_to_fill"] == 0  # floor(1 / 90)


def test_specialty_fallback_at_the_benchmark_is_not_flagged():
    c = lists().loc["C"]
    # 90 (specialty) + 114 (booked) = 204 → exactly 85%
    assert c["expected_minutes"] == 204
    assert (c["days_out"], c["weeks_out"]) == (30, 6)
    assert not c["flagged"]


def test_no_history_for_its_procedure_uses_the_specialty_and_is_flagged():
    d = lists().loc["D"]
    assert d["expected_minutes"] == 90
    assert d["expected_utilisation"] == pytest.approx(90 / 240)  # 0.375
    assert d["unfilled_minutes"] == pytest.approx(114)  # 204 − 90
    assert d["weeks_out"] == 2 and d["flagged"]
    assert not d["estimate_incomplete"]
    # 114 ÷ 90 (the specialty's median case) = 1.27 → 1 case would fill the gap
    assert (d["specialty_median_minutes"], d["specialty_history_cases"]) == (90, 9)
    assert d["cases_to_fill"] == 1


def test_no_history_at_all_is_flagged_and_marked_incomplete():
    e = lists().loc["E"]
    assert (e["booked_cases"], e["unestimated_cases"]) == (1, 1)
    assert e["estimate_incomplete"]
    assert e["expected_minutes"] == 0 and e["expected_utilisation"] == 0
    assert e["unfilled_minutes"] == pytest.approx(204)  # 0.85 × 240 − 0
    assert e["flagged"]
    assert math.isnan(e["specialty_median_minutes"])
    assert pd.isna(e["cases_to_fill"])  # no typical case length to count in


def test_unbooked_list_has_nothing_expected():
    f = lists().loc["F"]
    assert (f["booked_cases"], f["expected_minutes"], f["unestimated_cases"]) == (0, 0, 0)
    assert f["unfilled_minutes"] == pytest.approx(204)
    assert f["flagged"]
    assert f["cases_to_fill"] == 2  # floor(204 / 90) = floor(2.27)


def test_list_beyond_six_weeks_is_not_flagged():
    g = lists().loc["G"]
    assert g["days_out"] == 49 and pd.isna(g["weeks_out"])
    assert g["below_benchmark"] and not g["flagged"]


def test_overbooked_list_is_capped_at_full():
    h = lists().loc["H"]
    assert h["expected_utilisation"] == 1.0  # min(300, 240) / 240
    assert h["unfilled_minutes"] == 0
    assert not h["flagged"]


def test_one_row_per_list_in_booking_order_with_the_contract_columns():
    result = la.lookahead(BOOKINGS, HISTORY, AS_OF)
    assert result["theatre"].tolist() == list("ABCDEFGH")
    assert list(result.columns) == [
        "trust_code", "site", "theatre", "session_date", "session", "specialty",
        "planned_start", "planned_end", *la.LIST_COLUMNS,
    ]  # fmt: skip
    assert result["flagged"].tolist() == [False, True, False, True, True, True, False, False]


def test_lower_target_changes_the_flags():
    # at t = 0.80 (192 minutes) list B's 203 minutes pass; D's 90 still do not
    result = la.lookahead(BOOKINGS, HISTORY, AS_OF, target=0.80).set_index("theatre")
    assert not result.loc["B", "flagged"] and result.loc["D", "flagged"]
    assert result.loc["D", "unfilled_minutes"] == pytest.approx(102)  # 192 − 90


def test_planned_times_as_datetimes_and_overnight_clock_times():
    normalised = BOOKINGS.iloc[[0, 1]].assign(
        planned_start=T("2026-06-03 08:30"), planned_end=T("2026-06-03 12:30")
    )
    assert la.lookahead(normalised, HISTORY, AS_OF)["planned_minutes"].tolist() == [240]
    overnight = BOOKINGS.iloc[[0]].assign(planned_start="22:00", planned_end="02:00")
    assert la.planned_minutes(overnight).tolist() == [240]


def test_history_from_cases_uses_the_theatre_definition_of_completed():
    lists_frame = pd.DataFrame(
        {
            "list_id": [1],
            "trust_code": ["RBL"],
            "site": ["RBL01"],
            "theatre": ["T1"],
            "session_date": [T("2026-03-02")],
            "session": ["AM"],
            "specialty": [GS],
            "planned_start": [T("2026-03-02 08:30")],
            "planned_end": [T("2026-03-02 12:30")],
        }
    )
    cases = pd.DataFrame(
        {
            "list_id": [1, 1, 1],
            "case_id": ["a", "b", "c"],
            "specialty": [GS] * 3,
            "procedure_code": ["T20.1", "J18.3", "T24.1"],
            "priority": ["daycase"] * 3,
            # a: anaesthetic 08:30 → out 09:40 = 70 min; b: no anaesthetic, into 09:50 → out
            # 11:20 = 90 min; c: cancelled
            "anaesthetic_start": [T("2026-03-02 08:30"), pd.NaT, pd.NaT],
            "into_theatre": [T("2026-03-02 08:40"), T("2026-03-02 09:50"), pd.NaT],
            "knife_to_skin": [pd.NaT] * 3,
            "out_of_theatre": [T("2026-03-02 09:40"), T("2026-03-02 11:20"), pd.NaT],
            "cancelled": [False, False, True],
            "cancel_reason": [None, None, "No bed"],
            "cancel_clinical": [False, False, False],
        }
    )
    history = la.history_from_cases(lists_frame, cases)
    assert list(history.columns) == list(la.HISTORY_COLUMNS)
    assert history["procedure_code"].tolist() == ["T20.1", "J18.3"]
    assert history["touch_minutes"].tolist() == [70, 90]
    assert history["trust_code"].tolist() == ["RBL", "RBL"]
    assert (history["session_date"] == T("2026-03-02")).all()


def test_each_trust_takes_its_own_window_from_its_latest_list():
    # RBL's latest case is 2026-06-02 (the "after as_of" row), REM's 2026-02-02: each trust's
    # window ends there. RBL: 2025-06-02 < date ≤ 2026-06-02 keeps T20.1 50, 60, 70, 80 and
    # the 1,000 of 2026-06-02 → 5 cases, median 70; the 90 of 2025-06-02 is now on the
    # window's open end, so out (as is 2025-06-01).
    ends = la.latest_as_of(HISTORY)
    assert ends == {"RBL": T("2026-06-02"), "REM": T("2026-02-02")}
    by_procedure, by_specialty = la.history_medians(HISTORY, ends)
    rbl = by_procedure.set_index(["trust_code", "procedure_key"])
    assert rbl.loc[("RBL", "T201"), "procedure_history_cases"] == 5
    assert rbl.loc[("RBL", "T201"), "procedure_median_minutes"] == 70
    assert rbl.loc[("REM", "T201"), "procedure_median_minutes"] == 200
    # The specialty's typical procedure: T20.1 (5 cases) beats J18.3 (4 cases).
    spec = by_specialty.set_index("trust_code")
    assert spec.loc["RBL", "typical_procedure"] == "T20.1"  # as first written
    assert spec.loc["RBL", "typical_procedure_cases"] == 5


def test_lookahead_from_precomputed_medians_equals_from_history():
    rows = pd.DataFrame([booking("2026-06-08", "Theatre 1", "T20.1"),
                         booking("2026-06-08", "Theatre 1", "J18.3")])  # fmt: skip
    medians = la.history_medians(HISTORY, AS_OF)
    pd.testing.assert_frame_equal(
        la.lookahead(rows, None, AS_OF, medians=medians), la.lookahead(rows, HISTORY, AS_OF)
    )
    with pytest.raises(ValueError, match="history or its medians"):
        la.lookahead(rows, None, AS_OF)
