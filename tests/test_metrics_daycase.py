"""Hand-computed day-case rates against BADS (SPEC §4): every expected number is worked out."""

from __future__ import annotations

import itertools
import math

import pandas as pd
import pytest

from productivity.metrics import daycase
from productivity.metrics.daycase import BadsError, ProcedureGroup

T = pd.Timestamp
_IDS = itertools.count(1)
HERNIA = ProcedureGroup("inguinal_hernia", "Inguinal hernia", ("T20",), 0.80, "national", "test")
CHOLE = ProcedureGroup("lap_chole", "Lap chole", ("J18",), 0.75, "national", "test")
TURBT = ProcedureGroup("turbt", "TURBT", ("M42.1",), 0.60, "national", "test")
GROUPS = (HERNIA, CHOLE, TURBT)


def case(
    trust: str,
    code: str | None,
    priority: str,
    *,
    cancelled: bool | str = False,
    out: str | None = "2026-03-02 10:00",
    specialty: str = "General Surgery",
) -> dict[str, object]:
    """A case whose touch interval is 09:00 to ``out`` (None = never left theatre)."""
    return {
        "trust_code": trust,
        "site": f"{trust}01",
        "specialty": specialty,
        "case_id": f"c{next(_IDS)}",
        "procedure_code": code,
        "priority": priority,
        "anaesthetic_start": T("2026-03-02 09:00"),
        "into_theatre": T("2026-03-02 09:05"),
        "out_of_theatre": T(out) if out else pd.NaT,
        "cancelled": cancelled,
    }


# RBL, hernia (T20): counted day cases 3 (codes written three ways), elective 1.
#   Not counted: an emergency, a cancelled day case, a day case with no out_of_theatre.
# RBL, cholecystectomy (J18): day case 1, elective 3.
# REM, hernia: day cases 5, elective 0. REM, cholecystectomy: one emergency only.
# A hip replacement (W37.1) is in no BADS group.
CASES = pd.DataFrame(
    [
        case("RBL", "T20.1", "daycase"),
        case("RBL", "T201", "daycase"),
        case("RBL", "t20.2 ", "daycase"),
        case("RBL", "T20.1", "elective"),
        case("RBL", "T20.1", "emergency"),
        case("RBL", "T20.1", "daycase", cancelled=True),
        case("RBL", "T20.1", "daycase", out=None),
        case("RBL", "J18.3", "daycase"),
        *[case("RBL", "J18.3", "elective") for _ in range(3)],
        *[case("REM", "T20.2", "daycase") for _ in range(5)],
        case("REM", "J18.3", "emergency"),
        case("RBL", "W37.1", "elective", specialty="Trauma & Orthopaedics"),
    ]
)


def row(rates: pd.DataFrame, trust: str, group: str) -> pd.Series:
    found = rates[(rates["trust_code"] == trust) & (rates["procedure_group"] == group)]
    assert len(found) == 1
    return found.iloc[0]


def test_columns_are_the_report_contract():
    rates = daycase.daycase_rates(CASES, GROUPS)
    assert list(rates.columns) == [
        "trust_code", "procedure_group", "elective_cases", "daycase_cases", "daycase_rate",
        "target_rate", "additional_daycases",
    ]  # fmt: skip


def test_hernia_rate_counts_completed_daycase_and_elective_only():
    hernia = row(daycase.daycase_rates(CASES, GROUPS), "RBL", "inguinal_hernia")
    # day cases 3 (the cancelled one, the unfinished one and the emergency are out); elective 1.
    assert (hernia["daycase_cases"], hernia["elective_cases"]) == (3, 1)
    assert hernia["daycase_rate"] == pytest.approx(3 / 4)  # 0.75
    assert hernia["target_rate"] == pytest.approx(0.80)
    # max(0, 0.80 × (3 + 1) − 3) = 3.2 − 3 = 0.2
    assert hernia["additional_daycases"] == pytest.approx(0.2)


def test_cholecystectomy_additional_daycases():
    chole = row(daycase.daycase_rates(CASES, GROUPS), "RBL", "lap_chole")
    # 1 day case ÷ (1 + 3) = 0.25; additional = 0.75 × 4 − 1 = 2.0
    assert (chole["daycase_cases"], chole["elective_cases"]) == (1, 3)
    assert chole["daycase_rate"] == pytest.approx(0.25)
    assert chole["additional_daycases"] == pytest.approx(2.0)


def test_additional_is_never_negative_above_target():
    hernia = row(daycase.daycase_rates(CASES, GROUPS), "REM", "inguinal_hernia")
    # 5 ÷ 5 = 1.0; 0.80 × 5 − 5 = −1 → 0
    assert hernia["daycase_rate"] == pytest.approx(1.0)
    assert hernia["additional_daycases"] == 0


def test_emergency_only_group_has_nan_rate_and_no_additional():
    chole = row(daycase.daycase_rates(CASES, GROUPS), "REM", "lap_chole")
    # the only case is an emergency: 0 ÷ 0 → NaN; 0.75 × 0 − 0 = 0
    assert (chole["daycase_cases"], chole["elective_cases"]) == (0, 0)
    assert math.isnan(chole["daycase_rate"])
    assert chole["additional_daycases"] == 0


def test_only_groups_with_cases_get_rows_in_file_order():
    rates = daycase.daycase_rates(CASES, GROUPS)
    # no TURBT anywhere, and the hip replacement matches no group
    assert rates[["trust_code", "procedure_group"]].values.tolist() == [
        ["RBL", "inguinal_hernia"], ["RBL", "lap_chole"],
        ["REM", "inguinal_hernia"], ["REM", "lap_chole"],
    ]  # fmt: skip


def test_cancelled_may_be_y_n():
    as_text = CASES.assign(cancelled=CASES["cancelled"].map({True: "Y", False: "N"}))
    pd.testing.assert_frame_equal(
        daycase.daycase_rates(as_text, GROUPS), daycase.daycase_rates(CASES, GROUPS)
    )


def test_priority_spelling_and_case_do_not_matter():
    shouting = CASES.assign(priority=CASES["priority"].str.upper() + " ")
    pd.testing.assert_frame_equal(
        daycase.daycase_rates(shouting, GROUPS), daycase.daycase_rates(CASES, GROUPS)
    )


def test_without_grouping_keys_gives_system_totals():
    rates = daycase.daycase_rates(CASES, GROUPS, by=())
    hernia = rates.set_index("procedure_group").loc["inguinal_hernia"]
    # RBL 3 day + 1 elective, REM 5 day: 8 ÷ 9; additional = max(0, 0.8 × 9 − 8) = 0 (7.2 − 8 < 0)
    assert (hernia["daycase_cases"], hernia["elective_cases"]) == (8, 1)
    assert hernia["daycase_rate"] == pytest.approx(8 / 9)
    assert hernia["additional_daycases"] == 0


def test_ratio_of_sums_across_trusts_not_mean_of_rates():
    rates = daycase.daycase_rates(CASES, (HERNIA,), by=())
    # mean of trust rates would be (0.75 + 1.0) / 2 = 0.875; ratio of sums is 8 / 9 = 0.889
    assert rates["daycase_rate"].iloc[0] == pytest.approx(8 / 9)


def test_by_keys_come_from_the_list_when_lists_are_given():
    lists = pd.DataFrame(
        {
            "list_id": [1, 2],
            "trust_code": ["RBL", "RBL"],
            "site": ["RBL01", "RBL02"],
            "specialty": ["General Surgery", "Urology"],
        }
    )
    base = {"anaesthetic_start": T("2026-03-02 09:00"), "into_theatre": pd.NaT}
    cases = pd.DataFrame(
        [
            base | {"list_id": 1, "case_id": "a", "procedure_code": "T20.1", "priority": "daycase",
                    "out_of_theatre": T("2026-03-02 10:00"), "cancelled": False},
            base | {"list_id": 1, "case_id": "b", "procedure_code": "T20.1", "priority": "elective",
                    "out_of_theatre": T("2026-03-02 11:00"), "cancelled": False},
            base | {"list_id": 2, "case_id": "c", "procedure_code": "M42.1", "priority": "daycase",
                    "out_of_theatre": T("2026-03-02 10:00"), "cancelled": False},
            # on no known list: never completed
            base | {"list_id": 9, "case_id": "d", "procedure_code": "M42.1", "priority": "daycase",
                    "out_of_theatre": T("2026-03-02 10:00"), "cancelled": False},
        ]
    )  # fmt: skip
    rates = daycase.daycase_rates(cases, GROUPS, by=("site", "specialty"), lists=lists)
    assert rates.iloc[:2].values.tolist() == [
        # hernia at RBL01: 1 ÷ 2 = 0.5; additional = 0.8 × 2 − 1 = 0.6
        ["RBL01", "General Surgery", "inguinal_hernia", 1, 1, 0.5, 0.8, pytest.approx(0.6)],
        # TURBT at RBL02: 1 ÷ 1 = 1.0; additional = max(0, 0.6 × 1 − 1) = 0
        ["RBL02", "Urology", "turbt", 0, 1, 1.0, 0.6, 0.0],
    ]
    # the orphan case keeps a row (no list, so no site or specialty) but counts nothing
    orphan = rates.iloc[2]
    assert pd.isna(orphan["site"]) and pd.isna(orphan["specialty"])
    assert (orphan["procedure_group"], orphan["daycase_cases"]) == ("turbt", 0)
    assert math.isnan(orphan["daycase_rate"])


def test_completed_without_start_columns_means_not_cancelled_with_out_time():
    frame = pd.DataFrame(
        {
            "trust_code": ["RBL"] * 3,
            "procedure_code": ["T20.1"] * 3,
            "priority": ["daycase"] * 3,
            "out_of_theatre": [T("2026-03-02 10:00"), pd.NaT, T("2026-03-02 11:00")],
            "cancelled": ["N", "N", "Y"],
        }
    )
    assert daycase.completed_cases(frame).tolist() == [True, False, False]
    rates = daycase.daycase_rates(frame, GROUPS)
    assert rates["daycase_cases"].tolist() == [1]


@pytest.mark.parametrize(
    ("code", "group"),
    [
        ("T20.1", "inguinal_hernia"),
        ("T201", "inguinal_hernia"),
        ("t20.1", "inguinal_hernia"),
        (" T20 1 ", "inguinal_hernia"),
        ("T20", "inguinal_hernia"),
        ("J18.3", "lap_chole"),
        ("M42.1", "turbt"),  # 4-character prefix
        ("M421", "turbt"),
        ("M42.2", None),  # same category, other subcategory
        ("T21.1", None),  # recurrent inguinal hernia is not T20
        ("T2", None),
        ("", None),
        (None, None),
    ],
)
def test_code_normalisation_and_prefix_matching(code: str | None, group: str | None):
    found = daycase.procedure_group_of(pd.Series([code], dtype="object"), GROUPS).iloc[0]
    assert (None if pd.isna(found) else found) == group


def test_longest_prefix_wins():
    bladder = ProcedureGroup("bladder", "Bladder lesion", ("M42",), 0.5, "assumed", "test")
    codes = pd.Series(["M42.1", "M42.2", "M42"], index=[10, 11, 12])
    found = daycase.procedure_group_of(codes, (bladder, TURBT))
    assert found.tolist() == ["turbt", "bladder", "bladder"]
    assert found.index.tolist() == [10, 11, 12]


def test_normalise_codes():
    codes = pd.Series(["t20.1", "T20-1", " J18.3 ", "", None])
    assert daycase.normalise_codes(codes).tolist() == ["T201", "T201", "J183", pd.NA, pd.NA]


def entry(**changes: object) -> dict[str, object]:
    return {
        "name": "Hernia",
        "codes": ["T20"],
        "target_rate": 0.8,
        "status": "national",
        "source": "test",
    } | changes


def test_parse_bads():
    (group,) = daycase.parse_bads({"hernia": entry(specialty="General Surgery")})
    assert group == ProcedureGroup(
        "hernia", "Hernia", ("T20",), 0.8, "national", "test", specialty="General Surgery"
    )
    assert group.prefixes == ("T20",)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"hernia": entry(codes=["T2"])}, "not an OPCS-4 prefix"),
        ({"hernia": entry(codes="T20")}, "non-empty list"),
        ({"hernia": entry(codes=[])}, "non-empty list"),
        ({"hernia": entry(target_rate=85)}, "fraction 0-1"),
        ({"hernia": entry(status="published")}, "status must be one of"),
        ({"hernia": {"name": "Hernia"}}, "missing codes"),
        ({"a": entry(), "b": entry(codes=["T20.0"])}, None),  # T20.0 ≠ T20: allowed
        ({"a": entry(), "b": entry(codes=["t20"])}, "already in [a]"),
        ({}, "no procedure groups"),
    ],
)
def test_parse_bads_errors_name_the_key(raw: dict[str, object], message: str | None):
    if message is None:
        assert len(daycase.parse_bads(raw)) == 2
        return
    with pytest.raises(BadsError, match=message.replace("[", r"\[").replace("]", r"\]")):
        daycase.parse_bads(raw, source="x.toml")


def test_load_bads_missing_and_broken_files(tmp_path):
    with pytest.raises(BadsError, match="not found"):
        daycase.load_bads(tmp_path / "none.toml")
    broken = tmp_path / "bads.toml"
    broken.write_text("[hernia\n")
    with pytest.raises(BadsError, match="not valid TOML"):
        daycase.load_bads(broken)


def test_the_shipped_bads_file():
    groups = {g.key: g for g in daycase.load_bads()}
    assert groups["inguinal_hernia"].codes == ("T20",)
    assert groups["laparoscopic_cholecystectomy"].codes == ("J18",)
    assert len(groups) >= 12
    for group in groups.values():
        assert group.status in ("national", "assumed")
        assert group.source and 0 < group.target_rate <= 1
    table = daycase.groups_table(groups.values())
    assert table["procedure_group"].tolist() == list(groups)


def test_rates_from_counts_sum_finer_rows_first():
    # RBL hernia counted in two months: (day 2, elective 1) + (day 1, elective 0) = 3 of 4 → 0.75,
    # additional 0.80 × 4 − 3 = 0.2: the same as from the cases (a ratio of sums, not of rates).
    counts = pd.DataFrame(
        {
            "trust_code": ["RBL", "RBL", "RBL"],
            "month": ["2026-03", "2026-04", "2026-04"],
            "procedure_group": ["inguinal_hernia", "inguinal_hernia", "lap_chole"],
            "elective_cases": [1, 0, 3],
            "daycase_cases": [2, 1, 1],
        }
    )
    rates = daycase.rates_from_counts(counts, GROUPS, by=["trust_code"])
    expected = daycase.daycase_rates(CASES[CASES["trust_code"] == "RBL"], GROUPS)
    pd.testing.assert_frame_equal(rates, expected)
    empty = daycase.rates_from_counts(counts.iloc[:0], GROUPS, by=["trust_code"])
    assert list(empty.columns) == ["trust_code", *daycase.RATE_COLUMNS] and empty.empty
