"""Mutual aid by peer group: the eligibility file, the matcher with ineligible pairs, the
projection in which a taking trust's own backlog falls first, and what the tables show.

Hand-worked cases use a 12-week horizon, a 50% capacity share cap, 40 km and the default
distance penalty (0.1% of a patient's benefit per km). With B the 6+ week waiters and S the
spare capacity a week, a trust sends up to B ÷ 12 − S a week and takes up to
min(50% × S, S − B ÷ 12).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from productivity.pack.diagnostic_sections import aid_table
from productivity.peers import PEER_GROUPS, peer_of
from productivity.planning.mutual_aid import (
    PEER_GROUP,
    SENDS,
    SHARE_CAP,
    TAKES,
    EligibilityError,
    MatchParameters,
    load_eligibility,
    match,
)
from productivity.store import marts
from productivity.views import mutual_aid as mad
from tests.test_mutual_aid import km, transfers

PARAMS = MatchParameters(within_6_weeks_target=0.95)
RULES = load_eligibility()


def trusts(*rows: tuple[str, str, int, int, float]) -> pd.DataFrame:
    """(trust, peer group, total waiting, waiting 6+ weeks, spare a week); activity 100 each."""
    columns = ["trust_code", "peer_group", "total_waiting", "waiting_6_plus", "spare_per_week"]
    return pd.DataFrame(rows, columns=columns).assign(weekly_activity=100.0)


# --- the rules file ---------------------------------------------------------------------------


def test_the_default_rules_keep_specialist_patients_with_their_own_kind():
    for test in ("MRI", "CT"):
        assert not RULES.allows(test, "neuro", "children")  # Walton Centre MRI -> Alder Hey
        assert not RULES.allows(test, "neuro", "acute")
        assert not RULES.allows(test, "acute", "cancer")  # general MRI -> Clatterbridge
        assert not RULES.allows(test, "acute", "children")
        assert not RULES.allows(test, "children", "acute")
        assert RULES.allows(test, "acute", "acute")
        assert RULES.allows(test, "women", "acute")
        assert not RULES.allows(test, "acute", "women")
    # One-way: a heart centre may take an acute trust's echoes, not send its own to them.
    assert RULES.allows("ECHOCARDIOGRAPHY", "acute", "heart")
    assert not RULES.allows("ECHOCARDIOGRAPHY", "heart", "acute")
    assert not RULES.allows("CT", "acute", "heart")
    assert RULES.takers("MRI", "ambulance") == frozenset()
    assert RULES.describe("MRI", "neuro") == (
        "Neurosciences trusts' patients may go only to Neurosciences trusts"
    )


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "rules.toml"
    path.write_text(text, encoding="utf-8")
    return path


EVERY_GROUP = "\n".join(f'{g} = ["{g}"]' for g in PEER_GROUPS)


def test_a_test_rule_wins_over_a_modality_rule_and_that_over_the_default(tmp_path):
    path = write(
        tmp_path,
        f'[default]\n{EVERY_GROUP}\n[modality.Endoscopy]\nacute = ["acute", "cancer"]\n'
        '[test.COLONOSCOPY]\nacute = ["acute", "women"]\n',
    )
    rules = load_eligibility(path)
    assert rules.takers("GASTROSCOPY", "acute") == {"acute", "cancer"}  # the modality's rule
    assert rules.takers("COLONOSCOPY", "acute") == {"acute", "women"}  # the test's rule
    assert rules.takers("COLONOSCOPY", "neuro") == {"neuro"}  # not overridden: the default
    assert rules.takers("CT", "acute") == {"acute"}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            f'[default]\n{EVERY_GROUP}\nkids = ["children"]\n',
            r"\[default\] kids: unknown peer group",
        ),
        (
            EVERY_GROUP.replace('acute = ["acute"]', 'acute = ["acute", "dental"]'),
            r"\[default\] acute: unknown peer group\(s\) \['dental'\]",
        ),
        (f'[default]\n{EVERY_GROUP}\n[modality.PET]\nacute = ["acute"]\n', r"\[modality.PET\]"),
        (f'[default]\n{EVERY_GROUP}\n[test.XRAY]\nacute = ["acute"]\n', r"\[test.XRAY\]"),
        (f'[default]\n{EVERY_GROUP}\n[test.MRI]\nneuri = ["neuro"]\n', r"\[test.MRI\] neuri"),
        ('[default]\nacute = ["acute"]\n', r"\[default\] must give a rule for every peer group"),
        (f"[default]\n{EVERY_GROUP}\n[region]\nx = 1\n", r"unknown section\(s\) \['region'\]"),
        (EVERY_GROUP.replace('acute = ["acute"]', 'acute = "acute"'), "must be a list"),
        ("[default\n", "not valid TOML"),
    ],
)
def test_a_bad_rules_file_is_refused_naming_the_file_and_key(tmp_path, text, message):
    if not text.startswith("[") and "[default]" not in text:
        text = f"[default]\n{text}\n"
    with pytest.raises(EligibilityError, match=message) as raised:
        load_eligibility(write(tmp_path, text))
    assert "rules.toml" in str(raised.value)


def test_a_missing_rules_file_is_refused(tmp_path):
    with pytest.raises(EligibilityError, match="not found"):
        load_eligibility(tmp_path / "absent.toml")


# --- the matcher with ineligible pairs ---------------------------------------------------------


def test_an_eligible_but_farther_trust_takes_the_patients():
    # A (acute) needs 240 / 12 = 20 a week. C (children's, 10 km) offers min(50% x 60, 60) = 30
    # and would win on distance, but may not take adults. R (acute, 30 km) offers
    # min(50% x 30, 30) = 15: A sends 15 to R, and the peer-group rule, not capacity, keeps the
    # other 5 a week at A while C still has room.
    table = trusts(
        ("A", "acute", 1000, 240, 0), ("C", "children", 500, 0, 60), ("R", "acute", 500, 0, 30)
    )
    plan = match(table, km(A_C=10, A_R=30, C_R=25), "MRI", PARAMS, RULES)
    assert transfers(plan) == {("A", "R"): 15}
    binding = plan.binding.set_index("constraint")
    assert set(binding.index) == {SHARE_CAP, PEER_GROUP}
    assert binding.at[PEER_GROUP, "trust_code"] == "A"
    assert binding.at[PEER_GROUP, "note"].startswith("Acute trusts' patients may go only to Acute")
    # Were the children's trust an acute one, the nearer trust would take 20 (weight 0.99).
    acute = table.assign(peer_group="acute")
    assert transfers(match(acute, km(A_C=10, A_R=30, C_R=25), "MRI", PARAMS, RULES)) == {
        ("A", "C"): 20
    }


def test_only_ineligible_spare_capacity_proposes_nothing_and_says_why():
    # N (the neurosciences centre) needs 45 / 12 = 3.75 a week; the only spare MRI capacity is
    # at a children's trust (80 a week) and a cancer centre (37 a week), which may not take
    # neurosciences patients. Nothing moves, and the plan says why.
    table = trusts(
        ("N", "neuro", 200, 45, 0), ("C", "children", 500, 0, 80), ("K", "cancer", 50, 0, 37)
    )
    plan = match(table, km(N_C=6, N_K=8, C_K=5), "MRI", PARAMS, RULES)
    assert plan.no_transfer
    assert "may not take these patients" in plan.reason
    assert "Neurosciences trusts' patients may go only to Neurosciences trusts" in plan.reason
    roles = plan.trusts.set_index("trust_code")
    assert roles.at["N", "role"] == SENDS and roles.at["C", "role"] == TAKES
    assert "no trust with spare capacity may take its patients" in roles.at["N", "reason"]
    assert plan.projection["reduction"].tolist() == [0, 0, 0]


def test_the_rules_are_data_a_new_file_changes_the_answer(tmp_path):
    # Allow neurosciences MRI patients at acute trusts: the same N now sends 3 a week to R.
    path = write(tmp_path, f'[default]\n{EVERY_GROUP}\n[test.MRI]\nneuro = ["neuro", "acute"]\n')
    table = trusts(("N", "neuro", 200, 45, 0), ("R", "acute", 500, 0, 40))
    assert match(table, km(N_R=10), "MRI", PARAMS, RULES).no_transfer
    plan = match(table, km(N_R=10), "MRI", PARAMS, load_eligibility(path))
    assert transfers(plan) == {("N", "R"): 3}
    # 3 patients a week, and 36 fewer after 12 weeks: the count of 1 to 4 is suppressed.
    assert plan.reason.startswith("* patients a week move in 1 transfer(s); after 12 weeks 36 ")


def test_an_unknown_peer_group_in_the_inputs_is_refused():
    with pytest.raises(ValueError, match="unknown peer group"):
        match(trusts(("A", "dental", 100, 50, 0)), km(A_B=5), "CT", PARAMS, RULES)


@pytest.mark.parametrize("test", list(mad.TESTS))
def test_no_proposal_on_the_demo_ever_pairs_an_ineligible_trust(demo_engine, test):
    # Generous limits (100 km, all spare capacity offered) give the matcher every chance.
    plan = mad.propose(
        demo_engine, test, marts.Period(), load_bench(), max_distance_km=100, capacity_share=1.0
    )
    rows = plan.proposals
    senders, takers = peer_of(rows["from_trust"]), peer_of(rows["to_trust"])
    pairs = list(zip(rows["from_trust"], senders, rows["to_trust"], takers, strict=True))
    assert all(RULES.allows(test, s, t) for _, s, _, t in pairs), pairs
    # Alder Hey and Clatterbridge are the only children's and cancer trusts: they take nobody's.
    assert not {"RBS", "REN"} & set(rows["to_trust"])
    assert "RET" not in set(rows["from_trust"]) | set(rows["to_trust"])


def load_bench():
    from productivity.benchmarks import load_benchmarks

    return load_benchmarks()


# --- the projection ----------------------------------------------------------------------------


def test_a_taking_trusts_own_backlog_falls_first_and_a_senders_by_what_it_sends():
    # A: 240 waiting 6+ weeks, 5 spare a week -> sends 240 / 12 - 5 = 15 a week.
    # R: 120 waiting 6+ weeks, 40 spare -> keeps 120 / 12 = 10 for itself, offers
    #    min(50% x 40, 40 - 10) = 20; it takes 15.
    # N: 30 waiting, 2.5 spare: it just clears its own backlog in 12 weeks (neither).
    table = trusts(
        ("A", "acute", 1000, 240, 5), ("R", "acute", 1000, 120, 40), ("N", "acute", 500, 30, 2.5)
    )
    plan = match(table, km(A_R=10), "MRI", PARAMS, RULES)
    assert transfers(plan) == {("A", "R"): 15}
    # Without aid (each trust's spare capacity on its own list), after t weeks:
    #   A 240 - 5t: 220, 200, 180   R max(0, 120 - 40t): 0, 0, 0   N 30 - 2.5t: 20, 10, 0
    # With aid: A clears 5 + 15 = 20 a week, R its own 40 - 15 = 25 a week:
    #   A 240 - 20t: 160, 80, 0     R max(0, 120 - 25t): 20, 0, 0  N as without: 20, 10, 0
    assert plan.projection.to_dict("list") == {
        "weeks": [4, 8, 12],
        "waiting_6_plus_before": [390, 390, 390],
        "waiting_6_plus_without_aid": [240, 210, 180],
        "waiting_6_plus_after": [200, 90, 0],
        "reduction": [40, 120, 180],  # 180 = 12 weeks x 15 a week
    }
    by_trust = plan.trusts.set_index("trust_code")
    assert by_trust["waiting_6_plus_after"].to_dict() == {"A": 0, "R": 0, "N": 0}
    assert by_trust["waiting_6_plus_without_aid"].to_dict() == {"A": 180, "R": 0, "N": 0}
    # At 4 weeks the taking trust's own backlog has fallen from 120 to 20.
    assert plan.projection.at[0, "waiting_6_plus_after"] == 160 + 20 + 20


def test_part_of_a_person_still_waiting_counts_as_one():
    # R: 100 waiting, 30 spare -> offers min(15, 30 - 8.33) = 15; A needs 100 / 12 = 8.33 and
    # sends 8. R's own backlog after 4 weeks: 100 - 4 x (30 - 8) = 12; A's 100 - 32 = 68.
    # N (10 waiting, 0.8 spare, no site) is paired with nobody.
    table = trusts(
        ("A", "acute", 1000, 100, 0), ("R", "acute", 1000, 100, 30), ("N", "acute", 100, 10, 0.8)
    )
    plan = match(table, km(A_R=10), "MRI", PARAMS, RULES)
    # N: 10 - 4 x 0.8 = 6.8 -> 7; 10 - 8 x 0.8 = 3.6 -> 4; 10 - 9.6 = 0.4 -> 1 still waits.
    assert plan.projection["waiting_6_plus_after"].tolist() == [68 + 12 + 7, 36 + 0 + 4, 4 + 0 + 1]


# --- what the page, CSVs and pack show ---------------------------------------------------------


def small_plan():
    # A sends 15 a week to R; D needs 36 / 12 = 3 a week and sends 3 to R2 (farther from A).
    table = trusts(
        ("RBL", "acute", 1000, 240, 0),
        ("REM", "acute", 500, 0, 30),
        ("RJN", "acute", 300, 36, 0),
        ("RWW", "acute", 300, 3, 20),
    )
    return match(table, km(RBL_REM=10, RJN_RWW=10, RBL_RWW=60, RJN_REM=60), "MRI", PARAMS, RULES)


def test_patient_counts_from_1_to_4_are_suppressed_alike_on_screen_and_in_the_csv():
    plan = small_plan()
    assert transfers(plan) == {("RBL", "REM"): 15, ("RJN", "RWW"): 3}
    csv = mad.proposals_export(plan).set_index("sends_patients_code")
    # 3 a week is suppressed, and so is 36 in 12 weeks, which would give the 3 away.
    assert csv.at["RJN", "patients_per_week"] == "*" and csv.at["RJN", "patients_in_horizon"] == "*"
    trusts_csv = mad.trusts_export(plan).set_index("trust_code")
    # RWW: 3 waiting 6+ weeks now and takes 3 a week (patients); its 20 spare is capacity, and
    # its % within 6 weeks would give the 3 waiting back (with the list of 300 beside it).
    assert trusts_csv.at["RWW", "waiting_6_plus"] == "*"
    assert trusts_csv.at["RWW", "patients_taken_per_week"] == "*"
    assert trusts_csv.at["RWW", "within_6_weeks"] == "*"
    assert trusts_csv.at["RWW", "spare_per_week"] == 20
    assert trusts_csv.at["RBL", "waiting_6_plus"] == 240
    table = mad.trust_table(plan).set_index("trust")
    hidden = mad.trust_withheld(plan).set_axis(table.index)
    rww = "Warrington and Halton Teaching Hospitals (RWW)"
    assert table.at[rww, "spare_per_week"] == 20 and not hidden.at[rww, "spare_per_week"]
    assert hidden.at[rww, "patients_taken_per_week"] and hidden.at[rww, "within_6_weeks"]
    assert mad.count_text(4) == "*" and mad.count_text(0) == "0" and mad.count_text(1234) == "1,234"
    chart = mad.before_after(plan)
    assert (
        chart.loc[chart["trust_code"].str.endswith("(RWW)") & (chart["when"] == "Now")]["waiting"]
        .isna()
        .all()
    )


def test_no_total_gives_a_hidden_transfer_away_on_screen_in_the_csv_or_in_the_pack():
    # RJN sends 3 a week and RBL 15: 18 a week in all beside 15 shown would say the * is 3. The
    # 15 is hidden too (secondary suppression), and so is what RBL sends and REM takes.
    plan = small_plan()
    moved = plan.proposals["patients_per_week"].sum()
    assert moved == 18 and mad.moved_text(plan) == "18"
    csv = mad.proposals_export(plan)
    assert (csv["patients_per_week"] == "*").all() and (csv["patients_in_horizon"] == "*").all()
    shown = pd.to_numeric(csv["patients_per_week"], errors="coerce")
    assert shown.notna().sum() == 0  # 18 less what is shown pins nothing down
    trusts_csv = mad.trusts_export(plan).set_index("trust_code")
    for code, column in [
        ("RBL", "patients_sent_per_week"),
        ("RJN", "patients_sent_per_week"),
        ("REM", "patients_taken_per_week"),
        ("RWW", "patients_taken_per_week"),
    ]:
        assert trusts_csv.at[code, column] == "*", (code, column)  # fmt: skip
    # RBL's waiters with mutual aid would give what it sends back (240 − 12 × 15 = 60).
    assert trusts_csv.at["RBL", "waiting_6_plus_after"] == "*"
    assert trusts_csv.at["RBL", "waiting_6_plus_without_aid"] == 240
    # On screen: numbers stay numbers, and the same cells are hidden.
    table, hidden = mad.proposal_table(plan), mad.proposal_withheld(plan)
    for column in ("patients_per_week", "patients_in_horizon", "distance_km"):
        assert pd.api.types.is_numeric_dtype(table[column]), column
    assert hidden["patients_per_week"].all() and hidden["patients_in_horizon"].all()
    assert not hidden["distance_km"].any()
    trust_table = mad.trust_table(plan)
    for column in (
        "waiting_6_plus",
        "waiting_6_plus_after",
        "patients_sent_per_week",
        "patients_taken_per_week",
        "spare_per_week",
        "within_6_weeks",
    ):
        assert pd.api.types.is_numeric_dtype(trust_table[column]), column  # fmt: skip
    assert list(mad.trust_withheld(plan).columns) == list(trust_table.columns)
    projection = mad.projection_table(plan)
    assert all(pd.api.types.is_numeric_dtype(projection[c]) for c in projection.columns)
    # In the pack: the same * in both transfers' rows.
    pack = aid_table(plan, None)
    assert [row[2:4] for row in pack.rows] == [("*", "*"), ("*", "*")]


@pytest.mark.parametrize(
    ("counts", "hidden"),
    [
        ([15, 3], [True, True]),  # one hidden: the total gives it back, so 15 goes too
        ([15, 12, 3], [False, True, True]),  # the smallest shown count hides it
        ([10, 2, 2], [False, True, True]),  # 4 in two: 1 + 3, 2 + 2 or 3 + 1
        ([10, 1, 1], [True, True, True]),  # 2 in two says both are 1: 10 goes too
        ([10, 4, 4], [True, True, True]),  # 8 in two says both are 4
        ([9, 4, 1], [False, True, True]),  # 5 in two: 1 + 4, 2 + 3, 3 + 2 or 4 + 1
        ([20, 30], [False, False]),  # nothing hidden, nothing to protect
    ],
)
def test_secondary_suppression_hides_the_smallest_counts_until_none_is_pinned(counts, hidden):
    from productivity.planning import aid_disclosure

    mask, total_shown = aid_disclosure.protect(pd.Series(counts), floor=1)
    assert mask.tolist() == hidden and total_shown


def test_a_total_with_nothing_left_to_hide_is_withheld():
    from productivity.planning import aid_disclosure

    mask, total_shown = aid_disclosure.protect(pd.Series([3]), floor=1)
    assert mask.tolist() == [True] and not total_shown
    plan = match(
        trusts(("RJN", "acute", 300, 36, 0), ("RWW", "acute", 300, 3, 20)),
        km(RJN_RWW=10), "MRI", PARAMS, RULES,
    )  # fmt: skip
    assert transfers(plan) == {("RJN", "RWW"): 3}
    assert mad.moved_text(plan) == "*" and "3" not in mad.reason(plan)
    hidden = mad.projection_withheld(plan)
    # 12 weeks of 3 a week is 36 fewer: the fewer and the waiters with aid go with it.
    assert hidden["waiting_6_plus_reduction"].all() and hidden["waiting_6_plus_after"].all()
    assert not hidden["waiting_6_plus_without_aid"].any()
    assert all(value == "*" for _, value, _, _ in mad.tiles(plan))


def test_the_tables_say_sends_and_takes_patients_and_name_the_trusts():
    plan = small_plan()
    frames = [
        mad.proposal_table(plan), mad.proposals_export(plan), mad.trust_table(plan),
        mad.trusts_export(plan), mad.constraint_table(plan), mad.projection_table(plan),
    ]  # fmt: skip
    for frame in frames:
        text = " ".join(map(str, frame.columns)) + " " + frame.astype(str).to_string()
        assert "donor" not in text.lower() and "receiv" not in text.lower()
    assert list(mad.proposal_table(plan).columns[:2]) == ["sends_patients", "takes_patients"]
    assert set(mad.trusts_export(plan)["role"]) == {SENDS, TAKES}
    assert mad.trust_label(pd.Series(["RET", "RBS", "XYZ"])).tolist() == [
        "Walton Centre (RET)",
        "Alder Hey Children's (RBS)",
        "XYZ",
    ]


def test_a_board_pack_sees_only_its_trusts_transfers():
    plan = small_plan()
    assert mad.proposal_table(plan, "RWW")["sends_patients"].tolist() == ["East Cheshire (RJN)"]
    assert mad.proposal_table(plan, "RBL")["takes_patients"].tolist() == [
        "Liverpool University Hospitals (REM)"
    ]
    assert mad.proposal_table(plan, "RBN").empty
