"""Three judgements per trust, each named on its own (SPEC §5): funnel position among peers,
SPC variation with assurance, and the gap to the (peer-group) benchmark."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from productivity.stats.outliers import (
    JUDGEMENT_COLUMNS,
    NO_PEERS,
    benchmark_text,
    judgements,
    trust_outliers,
    trust_ratio_outliers,
)


def row(**fields) -> pd.DataFrame:
    base = {
        "flag": "within",
        "spc_variation": "common_cause",
        "spc_assurance": None,
        "benchmark": 0.85,
        "below_benchmark": False,
    }
    return pd.DataFrame([base | fields])


def labels(frame: pd.DataFrame, **options) -> list[str]:
    return judgements(frame, **options).iloc[0].tolist()


def test_a_trust_improving_by_special_cause_below_the_benchmark_is_not_a_warning():
    trust = row(spc_variation="improvement", spc_assurance="consistent_fail", below_benchmark=True)
    funnel, spc, gap = labels(trust)
    assert funnel == "● within limits"
    assert spc == "I: special cause improving · F: consistently failing"
    assert gap == "✗ short of 85%: opportunity"
    assert not any("warning" in text or "outlier" in text for text in (funnel, spc, gap))


def test_a_trust_outside_99_8_but_meeting_the_benchmark_is_an_outlier_and_meets_it():
    assert labels(row(flag="below_998", below_benchmark=False)) == [
        "▼▼ below 99.8% limit: outlier, worse than peers",
        "common cause",
        "✓ meets 85%",
    ]
    assert labels(row(flag="above_998"))[0] == "▲▲ above 99.8% limit: outlier, better than peers"


@pytest.mark.parametrize(
    ("flag", "direction", "text"),
    [
        ("above_95", "higher", "▲ above 95% limit: warning, better than peers"),
        ("below_95", "higher", "▼ below 95% limit: warning, worse than peers"),
        # lower is better (a wait): above the funnel is the bad side
        ("above_95", "lower", "▲ above 95% limit: warning, worse than peers"),
        (NO_PEERS, "higher", "○ no peer funnel: the only trust in its peer group"),
    ],
)
def test_funnel_positions_name_the_limit_and_which_side_is_better(flag, direction, text):
    assert labels(row(flag=flag), direction=direction)[0] == text


def test_spc_letters_assurance_and_missing_values():
    assert labels(row(spc_variation="concern", spc_assurance="hit_and_miss"))[1] == (
        "C: special cause concerning · ?: hit and miss"
    )
    assert labels(row(spc_variation=None))[1] == "– no SPC chart (fewer than 2 points)"
    no_spc = row().drop(columns=["spc_variation", "spc_assurance"])
    assert labels(no_spc)[1] == "– not charted over time for this measure"
    assert labels(row(benchmark=math.nan, below_benchmark=pd.NA))[2] == "– no benchmark"
    assert labels(row(below_benchmark=pd.NA))[2] == "–"
    assert labels(row(below_benchmark=True), benchmark_words="its benchmark rate")[2] == (
        "✗ short of its benchmark rate: opportunity"
    )
    assert list(judgements(row()).columns) == list(JUDGEMENT_COLUMNS)


@pytest.mark.parametrize(
    ("value", "fmt", "text"),
    [(0.85, ".0%", "85%"), (0.825, ".0%", "82.5%"), (2.5, ".0f", "2.5"), (1.0, "g", "1")],
)
def test_a_benchmark_is_shown_exactly(value, fmt, text):
    assert benchmark_text(value, fmt) == text


@pytest.fixture
def found():
    # Acute A, B, C and a children's trust D alone in its group; no overdispersion adjustment.
    codes = ["A", "B", "C", "D"]
    totals = pd.DataFrame(
        {"trust_code": codes, "num": [850, 700, 9000, 82], "den": [1000, 1000, 10000, 100]}
    )
    weeks = pd.date_range("2026-01-05", periods=13, freq="W-MON").strftime("%Y-%m-%d")
    # A: 12 weeks alternating 60%/61% (mean moving range 1 point), then 75%: far above the
    # upper limit (about 60.5% + 2.66 × 1%), so special cause improving at the last point.
    weekly = pd.DataFrame({"trust_code": "A", "week": weeks, "value": [0.60, 0.61] * 6 + [0.75]})
    return trust_outliers(
        totals,
        weekly,
        numerator="num",
        denominator="den",
        value="value",
        target=pd.Series({"A": 0.85, "B": 0.85, "C": 0.85, "D": 0.80}),
        overdispersion=False,
        groups=pd.Series({"A": "acute", "B": "acute", "C": "acute", "D": "children"}),
    )


def test_each_trust_is_placed_on_its_own_peer_groups_funnel(found):
    trusts = found.trusts.set_index("trust_code")
    # acute centre: (850 + 700 + 9000) / (1000 + 1000 + 10000) = 10550 / 12000 = 0.879167
    assert trusts.loc["A", "target"] == pytest.approx(10550 / 12000)
    # n = 1000: s = sqrt(0.879167 × 0.120833 / 1000) = 0.010307; 95%: ± 1.96 s = ± 0.020202,
    # 99.8%: ± 3.0902 s = ± 0.031851
    assert trusts.loc["A", "lower_95"] == pytest.approx(0.858965, abs=1e-6)
    assert trusts.loc["B", "lower_998"] == pytest.approx(0.847316, abs=1e-6)
    # n = 10000: s = 0.0032594; upper 99.8% = 0.879167 + 0.010072 = 0.889239
    assert trusts.loc["C", "upper_998"] == pytest.approx(0.889239, abs=1e-6)
    # A 0.85 is inside 99.8% but below 95%; B 0.70 below 99.8%; C 0.90 above 99.8%
    assert trusts["flag"].to_dict() == {
        "A": "below_95", "B": "below_998", "C": "above_998", "D": NO_PEERS,
    }  # fmt: skip
    # D is alone: no limits, no centre, and its own funnel is not among the funnels
    assert trusts.loc["D", ["target", "lower_95", "upper_998"]].isna().all()
    assert list(found.funnels) == ["acute"] and found.funnel is found.funnels["acute"]


def test_the_benchmark_gap_uses_each_trusts_peer_value(found):
    trusts = found.trusts.set_index("trust_code")
    # A exactly at 85% meets it; B 70% short; D 82% is short of 85% but meets its 80%.
    assert trusts["below_benchmark"].to_dict() == {"A": False, "B": True, "C": False, "D": False}
    assert trusts.loc["D", "benchmark"] == 0.80
    judged = judgements(found.trusts).set_axis(found.trusts["trust_code"])
    # C: outside 99.8% (an outlier) and meeting the benchmark, both said
    assert judged.loc["C"].tolist() == [
        "▲▲ above 99.8% limit: outlier, better than peers",
        "– no SPC chart (fewer than 2 points)",
        "✓ meets 85%",
    ]
    assert judged.loc["D", "benchmark_gap"] == "✓ meets 80%"
    assert judged.loc["A", "spc_signal"] == "I: special cause improving · F: consistently failing"


def test_contract_columns_are_kept_and_no_merged_outlier_column(found):
    columns = set(found.trusts.columns)
    assert {"trust_code", "flag", "spc_variation", "spc_assurance", "below_benchmark"} <= columns
    assert "outlier" not in columns


def test_without_groups_every_trust_shares_one_funnel():
    totals = pd.DataFrame({"trust_code": ["A", "B"], "num": [80, 90], "den": [100, 100]})
    empty = pd.DataFrame(columns=["trust_code", "week", "value"])
    found = trust_outliers(
        totals, empty, numerator="num", denominator="den", value="value", target=0.85
    )
    # centre (80 + 90) / 200 = 0.85; both within limits of ± 1.96 × sqrt(0.85 × 0.15 / 100)
    assert found.funnel.target == pytest.approx(0.85)
    assert found.trusts["flag"].tolist() == ["within", "within"]


def test_ratio_funnels_are_per_peer_group_and_one_trust_has_none():
    codes = ["A", "B", "C", "D"]
    per_trust = pd.DataFrame(
        {"trust_code": codes, "scans": [100, 90, 125, 50], "expected": [100.0, 100, 100, 40]}
    )
    groups = pd.Series({"A": "acute", "B": "acute", "C": "acute", "D": "children"})
    found = trust_ratio_outliers(
        per_trust, observed="scans", expected="expected", overdispersion=False, groups=groups
    )
    trusts = found.trusts.set_index("trust_code")
    assert list(found.funnels) == ["acute"]
    assert trusts.loc["D", "flag"] == NO_PEERS and math.isnan(trusts.loc["D", "lower_95"])
    # 90 / 100 = 0.9 is short of 1 (its benchmark rate); 50 / 40 = 1.25 meets it
    assert trusts["below_benchmark"].to_dict() == {"A": False, "B": True, "C": False, "D": False}
    # E = 100, exact Poisson limits: 95% upper = χ²⁻¹(0.975; 202) / 200 = 1.2163 and 99.8%
    # upper = χ²⁻¹(0.999; 202) / 200 = 1.3492, so 125 / 100 = 1.25 is above 95%, inside 99.8%
    assert trusts.loc["C", "upper_95"] == pytest.approx(1.2163, abs=1e-4)
    assert trusts.loc["C", "flag"] == "above_95"


def test_short_labels_keep_the_three_judgements_apart_for_narrow_tables():
    trust = row(
        flag="below_998",
        spc_variation="improvement",
        spc_assurance="consistent_fail",
        below_benchmark=True,
    )
    assert labels(trust, short=True) == [
        "▼▼ below 99.8%: outlier",
        "I: improving · F",
        "✗ short of 85%",
    ]
    assert labels(row(flag=NO_PEERS, spc_variation=None), short=True)[:2] == ["○ no peers", "–"]


def test_no_trust_with_data_is_a_named_refusal_not_a_pandas_error():
    from productivity.stats.outliers import NoTrusts, trust_outliers, trust_ratio_outliers

    totals = pd.DataFrame({"trust_code": ["A"], "touch": [0.0], "planned": [0.0]})
    weekly = pd.DataFrame(columns=["trust_code", "week", "value"])
    with pytest.raises(NoTrusts, match="planned"):
        trust_outliers(totals, weekly, numerator="touch", denominator="planned", value="value",
                       target=0.85)  # fmt: skip
    empty = pd.DataFrame(columns=["trust_code", "scans", "expected"])
    with pytest.raises(NoTrusts, match="expected"):
        trust_ratio_outliers(empty, observed="scans", expected="expected")
