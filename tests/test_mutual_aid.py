"""The mutual-aid matcher on hand-solvable cases, and its inputs read from the demo store.

Every case uses a 12-week horizon, a 50% capacity share cap, a 40 km maximum distance and the
default distance penalty (0.1% of a patient's benefit per km), unless it says otherwise. With
B the 6+ week waiters and S the spare capacity a week: a trust that sends patients may send
B ÷ 12 − S a week, and a trust that takes patients offers min(50% × S, S − B ÷ 12). Codes not in
data/trusts.csv count as acute trusts, which may take each other's patients.
"""

from __future__ import annotations

import math
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from productivity.benchmarks import load_benchmarks
from productivity.metrics import diagnostics
from productivity.planning.mutual_aid import (
    MAX_DISTANCE,
    OWN_PERFORMANCE,
    SENDER_LIMIT,
    SENDS,
    SHARE_CAP,
    TAKES,
    MatchParameters,
    count_text,
    haversine_km,
    match,
    trust_distances,
    trust_roles,
)
from productivity.store import marts
from productivity.views import aid_capacity, mutual_aid as mutual_aid_data

PARAMS = MatchParameters(within_6_weeks_target=0.95)


def trusts(*rows: tuple[str, int, int, float]) -> pd.DataFrame:
    """(trust, total waiting, waiting 6+ weeks, spare a week); weekly activity 100 each."""
    frame = pd.DataFrame(rows, columns=["trust_code", "total_waiting", "waiting_6_plus", "spare"])
    return frame.assign(weekly_activity=100.0).rename(columns={"spare": "spare_per_week"})


def km(**pairs: float) -> pd.DataFrame:
    """A symmetric distance matrix from pairs named ``A_B``; unnamed pairs are far apart."""
    codes = sorted({c for pair in pairs for c in pair.split("_")})
    out = pd.DataFrame(1000.0, index=codes, columns=codes)
    for code in codes:
        out.loc[code, code] = 0.0
    for pair, value in pairs.items():
        a, b = pair.split("_")
        out.loc[a, b] = out.loc[b, a] = value
    return out


def transfers(plan) -> dict[tuple[str, str], int]:
    rows = plan.proposals
    return {
        (f, t): n
        for f, t, n in zip(
            rows["from_trust"], rows["to_trust"], rows["patients_per_week"], strict=True
        )
    }


def bound(plan) -> set[tuple[str, str]]:
    return set(zip(plan.binding["constraint"], plan.binding["trust_code"], strict=True))


@pytest.mark.parametrize(
    ("spare", "expected", "binds"),
    [
        # A: 240 waiting 6+ weeks, no spare -> may send 240 / 12 = 20 a week.
        # R: spare 30 -> offers min(50% x 30, 30 - 0) = 15. Transfer min(20, 15) = 15.
        (30, 15, (SHARE_CAP, "R")),
        # R: spare 60 -> offers min(30, 60) = 30. Transfer min(20, 30) = 20: A's backlog binds.
        (60, 20, (SENDER_LIMIT, "A")),
    ],
)
def test_one_sender_and_one_taker_within_distance(spare, expected, binds):
    plan = match(trusts(("A", 1000, 240, 0), ("R", 500, 0, spare)), km(A_R=10), "MRI", PARAMS)
    assert transfers(plan) == {("A", "R"): expected}
    assert plan.proposals.iloc[0].to_dict() == {
        "from_trust": "A",
        "to_trust": "R",
        "test_code": "MRI",
        "patients_per_week": expected,
        "distance_km": 10.0,
    }
    assert binds in bound(plan)
    assert plan.lp_patients_per_week == pytest.approx(expected)
    assert "HiGHS" in plan.solver_status


def test_the_nearer_of_two_takers_is_filled_first():
    # A needs 20 a week; R1 (30 km) and R2 (10 km) each offer 50% x 30 = 15. Together 30 > 20,
    # so the penalty decides: R2 weighs 1 - 0.001 x 10 = 0.99 > R1's 0.97. R2 takes 15 and
    # R1 the remaining 5.
    table = trusts(("A", 1000, 240, 0), ("R1", 500, 0, 30), ("R2", 500, 0, 30))
    plan = match(table, km(A_R1=30, A_R2=10, R1_R2=20), "CT", PARAMS)
    assert transfers(plan) == {("A", "R2"): 15, ("A", "R1"): 5}
    assert list(plan.proposals["to_trust"]) == ["R2", "R1"]  # most patients first
    assert bound(plan) == {(SHARE_CAP, "R2"), (SENDER_LIMIT, "A")}


def test_a_taker_beyond_the_maximum_distance_gets_nothing():
    # R offers 15 a week but is 50 km away (> 40 km): no transfer, and the limit is reported.
    table = trusts(("A", 1000, 240, 0), ("R", 500, 0, 30))
    plan = match(table, km(A_R=50), "CT", PARAMS)
    assert plan.no_transfer
    assert "within 40 km" in plan.reason
    (row,) = plan.binding[plan.binding["constraint"] == MAX_DISTANCE].to_dict("records")
    assert (row["trust_code"], row["limit"], row["used"]) == ("A → R", 40.0, 50.0)
    # Allowing 60 km lets the same 15 a week through.
    wider = MatchParameters(within_6_weeks_target=0.95, max_distance_km=60)
    assert transfers(match(table, km(A_R=50), "CT", wider)) == {("A", "R"): 15}


def test_a_nearer_and_a_farther_taker_only_the_nearer_within_distance():
    # F offers more but is 45 km away; R_near (20 km) offers 15, so A sends 15 to it.
    table = trusts(("A", 1000, 240, 0), ("N", 500, 0, 30), ("F", 500, 0, 100))
    plan = match(table, km(A_N=20, A_F=45, N_F=30), "CT", PARAMS)
    assert transfers(plan) == {("A", "N"): 15}
    assert (MAX_DISTANCE, "A → F") in bound(plan)


@pytest.mark.parametrize(
    ("rows", "reason"),
    [
        # No spare capacity anywhere: nobody can receive.
        ((("A", 1000, 240, 0), ("R", 500, 0, 0)), "No trust has spare capacity"),
        # Everyone within 6 weeks: nobody needs to move.
        ((("A", 1000, 0, 0), ("R", 500, 0, 30)), "Nobody waits 6+ weeks"),
        # A's own spare (10 a week) clears its 120 in 12 weeks: 120 / 12 - 10 = 0.
        ((("A", 1000, 120, 10), ("R", 500, 0, 30)), "could clear them within 12 weeks"),
        # A needs 6 / 12 = 0.5 a week: rounded down to whole patients, nothing moves.
        ((("A", 1000, 6, 0), ("R", 500, 0, 30)), "less than one patient a week"),
    ],
)
def test_the_right_answer_is_no_transfer(rows, reason):
    plan = match(trusts(*rows), km(A_R=10), "CT", PARAMS)
    assert plan.no_transfer
    assert reason in plan.reason
    assert plan.projection["reduction"].tolist() == [0, 0, 0]
    before = sum(r[2] for r in rows)
    assert plan.projection["waiting_6_plus_before"].tolist() == [before] * 3
    projection = plan.projection
    assert projection["waiting_6_plus_after"].equals(projection["waiting_6_plus_without_aid"])


def test_the_capacity_share_cap_binds():
    # R has 40 spare a week; a 25% cap offers 10 of them although A needs 20.
    table = trusts(("A", 1000, 240, 0), ("R", 500, 0, 40))
    capped = MatchParameters(within_6_weeks_target=0.95, capacity_share=0.25)
    plan = match(table, km(A_R=10), "CT", capped)
    assert transfers(plan) == {("A", "R"): 10}
    assert bound(plan) == {(SHARE_CAP, "R")}


def test_the_takers_own_performance_binds():
    # R waits 240 at 6+ weeks itself (76% within 6 weeks) but its 30 spare a week clear that in
    # 12 weeks (360 >= 240). It keeps 240 / 12 = 20 for itself and offers min(15, 30 - 20) = 10.
    table = trusts(("A", 1000, 240, 0), ("R", 1000, 240, 30))
    plan = match(table, km(A_R=10), "CT", PARAMS)
    assert transfers(plan) == {("A", "R"): 10}
    assert bound(plan) == {(OWN_PERFORMANCE, "R")}
    # R's own backlog still falls by 30 - 10 = 20 a week: 240 - 12 x 20 = 0 after 12 weeks.
    assert plan.trusts.set_index("trust_code").at["R", "waiting_6_plus_after"] == 0


def test_a_trust_below_the_ambition_that_cannot_clear_its_backlog_takes_no_patients():
    # R: 480 waiting 6+ weeks of 1000 (52%, below 95%); 30 spare x 12 = 360 < 480, so it
    # offers nothing and itself needs to send patients (480 / 12 - 30 = 10 a week): no transfer.
    table = trusts(("A", 1000, 240, 0), ("R", 1000, 480, 30))
    roles = trust_roles(table, PARAMS).set_index("trust_code")
    assert roles.at["R", "offer_per_week"] == 0
    assert roles.at["R", "role"] == SENDS
    assert roles.at["R", "need_per_week"] == pytest.approx(10)
    assert match(table, km(A_R=10), "CT", PARAMS).no_transfer


def test_projection_at_4_8_and_12_weeks_by_hand():
    # R offers min(50% x 40, 40) = 20. D (5 km) needs 36 / 12 = 3 and A (10 km) 240 / 12 = 20;
    # the nearer D is filled first (weight 0.995 > 0.99): D sends 3, A the other 17.
    table = trusts(("A", 1000, 240, 0), ("D", 300, 36, 0), ("R", 500, 0, 40))
    weeks = MatchParameters(within_6_weeks_target=0.95, projection_weeks=(4, 8, 12, 16))
    plan = match(table, km(A_R=10, D_R=5, A_D=12), "MRI", weeks)
    assert transfers(plan) == {("A", "R"): 17, ("D", "R"): 3}
    # Before: 240 + 36 + 0 = 276 throughout (the list holds steady); without aid the same, as
    # A and D have no spare capacity and R no backlog.
    # After  4: (240 - 4 x 17) + (36 - 4 x 3)  = 172 + 24 = 196 -> 80 fewer
    # After  8: (240 - 136)    + (36 - 24)     = 104 + 12 = 116 -> 160 fewer
    # After 12: (240 - 204)    + (36 - 36)     =  36 +  0 =  36 -> 240 fewer
    # After 16: max(0, 240 - 272) + max(0, 36 - 48) = 0       -> 276 fewer (never below 0)
    assert plan.projection.to_dict("list") == {
        "weeks": [4, 8, 12, 16],
        "waiting_6_plus_before": [276, 276, 276, 276],
        "waiting_6_plus_without_aid": [276, 276, 276, 276],
        "waiting_6_plus_after": [196, 116, 36, 0],
        "reduction": [80, 160, 240, 276],
    }
    after = plan.trusts.set_index("trust_code")["waiting_6_plus_after"].to_dict()
    assert after == {"A": 0, "D": 0, "R": 0}  # at the last projection week (16)


def test_proposals_are_rounded_down_to_whole_patients():
    # A needs 100 / 12 = 8.33 a week; R offers 20. The programme moves 8.33, proposed as 8;
    # after 12 weeks 100 - 96 = 4 still wait.
    plan = match(trusts(("A", 1000, 100, 0), ("R", 500, 0, 40)), km(A_R=10), "CT", PARAMS)
    assert transfers(plan) == {("A", "R"): 8}
    assert plan.lp_patients_per_week == pytest.approx(100 / 12)
    assert plan.projection["waiting_6_plus_after"].tolist() == [68, 36, 4]


def test_a_heavy_distance_penalty_rules_out_a_long_trip():
    # At 3% a km, a 35 km trip weighs 1 - 1.05 < 0: it would cost more than it gains.
    heavy = MatchParameters(within_6_weeks_target=0.95, distance_penalty_per_km=0.03)
    plan = match(trusts(("A", 1000, 240, 0), ("R", 500, 0, 30)), km(A_R=35), "CT", heavy)
    assert plan.no_transfer
    assert "distance penalty" in plan.reason


def test_a_trust_without_a_located_site_is_never_paired():
    table = trusts(("A", 1000, 240, 0), ("R", 500, 0, 30))
    assert match(table, km(A_B=5), "CT", PARAMS).no_transfer  # R is not in the matrix


def test_haversine_one_degree_of_latitude():
    # One degree along a meridian = pi / 180 x 6371.0088 km = 111.195 km.
    assert haversine_km(53.0, -3.0, 54.0, -3.0) == pytest.approx(math.pi / 180 * 6371.0088)
    assert haversine_km(53.4, -2.9, 53.4, -2.9) == 0.0


def test_trust_distances_use_the_nearest_sites():
    sites = pd.DataFrame(
        {
            "trust_code": ["X", "X", "Y", "Z"],
            "latitude": [53.0, 54.0, 54.5, np.nan],
            "longitude": [-3.0, -3.0, -3.0, -3.0],
        }
    )
    distances = trust_distances(sites)
    degree = math.pi / 180 * 6371.0088
    assert list(distances.index) == ["X", "Y"]  # Z has no coordinates
    assert distances.at["X", "Y"] == pytest.approx(degree / 2)  # X's second site to Y
    assert distances.at["Y", "X"] == distances.at["X", "Y"]
    assert distances.at["X", "X"] == 0.0


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda t: t.drop(columns="spare_per_week"), "missing column"),
        (lambda t: pd.concat([t, t]), "appear once"),
        (lambda t: t.assign(waiting_6_plus=-1), "must not be negative"),
    ],
)
def test_bad_trust_inputs_are_refused(change, message):
    with pytest.raises(ValueError, match=message):
        match(change(trusts(("A", 1000, 240, 0))), km(A_B=5), "CT", PARAMS)


@pytest.mark.parametrize(
    "changes",
    [{"capacity_share": 50}, {"within_6_weeks_target": 0}, {"max_distance_km": -1},
     {"horizon_weeks": 0}],
)  # fmt: skip
def test_bad_parameters_are_refused(changes):
    with pytest.raises(ValueError):
        MatchParameters(**{"within_6_weeks_target": 0.95, **changes})


def test_the_matcher_imports_no_streamlit_or_database():
    code = (
        "import sys, productivity.planning.mutual_aid\n"
        "print(','.join(m for m in ('streamlit', 'sqlmodel', 'sqlalchemy') if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == ""


def test_endoscopy_points_are_shared_by_each_tests_points_of_activity():
    # 31-day month: colonoscopy 31 tests = 7 a week x 2 points = 14; gastroscopy 62 = 14 a week
    # x 1 point = 14. Colonoscopy's share of the unused points is 14 / 28 = 0.5.
    dm01 = pd.DataFrame(
        {
            "period": ["2026-01-01"] * 2,
            "provider_code": ["X", "X"],
            "test_code": ["COLONOSCOPY", "GASTROSCOPY"],
            "total_waiting": [0, 0],
            "waiting_6_plus": [0, 0],
            "waiting_13_plus": [0, 0],
            "total_activity": [31, 62],
        }
    )
    points = {"COLONOSCOPY": 2.0, "GASTROSCOPY": 1.0, "FLEXI_SIGMOIDOSCOPY": 1.0}
    share = mutual_aid_data.endoscopy_point_share(dm01, "COLONOSCOPY", points)
    assert share.to_dict() == {"X": pytest.approx(0.5)}
    assert mutual_aid_data.endoscopy_point_share(dm01, "FLEXI_SIGMOIDOSCOPY", points).to_dict() == {
        "X": 0.0
    }


def test_last_whole_weeks_skip_weeks_cut_by_the_period():
    # January 2026 starts on a Thursday and ends on a Saturday: the weeks of 29 Dec and 26 Jan
    # are cut, so the whole weeks are 5, 12 and 19 January.
    rows = pd.DataFrame(
        {
            "month": ["2026-01"] * 5,
            "week": ["2025-12-29", "2026-01-05", "2026-01-12", "2026-01-19", "2026-01-26"],
        }
    )
    assert mutual_aid_data.last_whole_weeks(rows, 2) == ["2026-01-12", "2026-01-19"]
    assert mutual_aid_data.last_whole_weeks(rows, 9) == ["2026-01-05", "2026-01-12", "2026-01-19"]


@pytest.mark.parametrize("test", list(mutual_aid_data.TESTS))
def test_the_plan_on_the_demo_store_keeps_every_constraint(demo_engine, test):
    bench = load_benchmarks()
    plan = mutual_aid_data.propose(demo_engine, test, marts.Period(), bench)
    roles = plan.trusts.set_index("trust_code")
    assert len(roles) >= 7  # the trusts that report the test to DM01
    rows = plan.proposals
    assert (rows["distance_km"] <= 40).all()
    assert (rows["patients_per_week"] >= 1).all()
    assert set(rows["from_trust"]) <= set(roles.index[roles["role"] == SENDS])
    assert set(rows["to_trust"]) <= set(roles.index[roles["role"] == TAKES])
    sent = rows.groupby("from_trust")["patients_per_week"].sum()
    taken = rows.groupby("to_trust")["patients_per_week"].sum()
    assert (sent <= roles.loc[sent.index, "need_per_week"] + 1e-9).all()
    assert (taken <= roles.loc[taken.index, "share_cap_per_week"] + 1e-9).all()
    assert (taken <= roles.loc[taken.index, "surplus_per_week"] + 1e-9).all()
    # At 12 weeks every taker has cleared its own backlog with or without aid, and no sender
    # runs dry, so mutual aid saves 12 weeks of transfers; before then a taker's own backlog
    # falls more slowly than it would alone, so the saving is no larger than the transfers.
    moved = int(rows["patients_per_week"].sum())
    reduction = plan.projection["reduction"].tolist()
    assert reduction[-1] == 12 * moved
    assert 0 <= reduction[0] <= 4 * moved and reduction[0] <= reduction[1] <= 8 * moved
    assert plan.no_transfer or plan.reason.startswith(f"{count_text(moved)} patients a week")


def test_imaging_spare_capacity_is_the_benchmark_gap_over_the_last_whole_weeks(demo_engine):
    # MRI spare a week = (2.5 x hours - scans, per trust, floored at 0) over the last 4 whole
    # weeks of the period, divided by 4: recomputed here from the mart and the metric.
    bench = load_benchmarks()
    inputs = mutual_aid_data.trust_inputs(demo_engine, "MRI", marts.Period(), bench)
    rows = marts.read_mart(demo_engine, marts.IMAGING, extra={"modality": "MRI"})
    weeks = mutual_aid_data.last_whole_weeks(rows, 4)
    assert len(weeks) == 4
    gap = diagnostics.scans_per_hour(
        rows[rows["week"].isin(weeks)], ["trust_code"], benchmark_rates=bench.scan_rates()
    ).set_index("trust_code")["additional_scans"]
    spare = inputs.set_index("trust_code")["spare_per_week"]
    for trust, value in spare.items():
        assert value == pytest.approx(gap.get(trust, 0.0) / 4)


def test_dm01_rows_are_read_once_per_build_and_each_period_taken_in_memory(demo_engine):
    from productivity.store import reports

    months = sorted(reports.read_dm01(demo_engine)["month"].unique())
    for start, end in ((None, None), (months[0], months[0]), (months[1], None), (None, months[1])):
        period = marts.Period(start, end)
        pd.testing.assert_frame_equal(
            mutual_aid_data.latest_dm01(demo_engine, period),
            reports.latest_dm01(demo_engine, period),
        )


def test_a_period_with_the_same_inputs_gets_the_same_plan_and_numbers(demo_engine):
    """Another "From" month that changes neither the latest DM01 returns nor the last whole
    weeks gives the plan already worked out; the plan is what the matcher gives anyway."""
    bench = load_benchmarks()
    months = sorted(marts.read_mart(demo_engine, marts.IMAGING)["month"].unique())
    mutual_aid_data.clear_read_cache()
    whole = mutual_aid_data.propose(demo_engine, "CT", marts.Period(months[0], months[-1]), bench)
    later = mutual_aid_data.propose(demo_engine, "CT", marts.Period(months[1], months[-1]), bench)
    assert later is whole
    mri = mutual_aid_data.propose(demo_engine, "MRI", marts.Period(months[1], months[-1]), bench)
    assert mri is not whole and mri.test_code == "MRI"
    inputs = mutual_aid_data.trust_inputs(demo_engine, "CT", marts.Period(months[1]), bench)
    fresh = match(inputs, mutual_aid_data.distances(demo_engine), "CT", whole.parameters)
    for name in ("proposals", "projection", "trusts", "constraints"):
        pd.testing.assert_frame_equal(getattr(later, name), getattr(fresh, name))
    assert (later.reason, later.lp_patients_per_week) == (fresh.reason, fresh.lp_patients_per_week)


def test_each_tests_waits_are_its_rows_of_the_waits_per_provider_and_test(demo_engine):
    """A test change reads the period's waits per provider and test again, not the DM01 rows."""
    from productivity.metrics import waits

    period = marts.Period()
    latest, by_test = mutual_aid_data.period_waits(demo_engine, period)
    assert mutual_aid_data.period_waits(demo_engine, period)[1] is by_test
    for test in mutual_aid_data.TESTS:
        alone = waits.dm01_waits(latest[latest["test_code"] == test], ["provider_code"])
        mine = by_test[by_test["test_code"] == test].drop(columns="test_code")
        pd.testing.assert_frame_equal(mine.reset_index(drop=True), alone)


def test_used_capacity_is_summed_as_pandas_groupby_sums_it() -> None:
    # The constraint table's "used" decides whether a limit binds to the last bit: the plain
    # Python sum over a trust's pairs must add as pandas' groupby sum (Kahan) did.
    from productivity.planning.aid_constraints import _sums

    rng = np.random.default_rng(17)
    codes = rng.choice(np.array(["RBL", "RBN", "RBQ"], dtype=object), 60)
    values = rng.random(60) * 10.0 ** rng.integers(-8, 8, 60)
    expected = pd.Series(values).groupby(codes).sum()
    assert _sums(codes, values) == expected.to_dict()


@pytest.mark.parametrize("basis", ["national", "peer"])
@pytest.mark.parametrize("test", ["MRI", "COLONOSCOPY", "GASTROSCOPY", "ECHOCARDIOGRAPHY"])
def test_spare_capacity_kept_per_last_weeks_equals_it_worked_out_afresh(
    demo_engine, test, basis, monkeypatch
):
    """The benchmark sums kept for the last whole weeks (every "To" month's at once) give each
    period the spare capacity it would have had worked out alone (other "From" months, another
    end, the whole period)."""
    bench = load_benchmarks()
    months = sorted(marts.read_mart(demo_engine, marts.IMAGING)["month"].unique())
    assert len(months) >= 3
    periods = [
        marts.Period(),
        marts.Period(months[0], months[-1]),
        marts.Period(months[1], None),
        marts.Period(months[-1], months[-1]),
        marts.Period(months[0], months[-2]),
        marts.Period(months[1], months[-2]),
        marts.Period(None, months[-2]),
    ]

    def spare(period: marts.Period) -> pd.DataFrame:
        latest = mutual_aid_data.latest_dm01(demo_engine, period)
        return mutual_aid_data.spare_capacity(demo_engine, test, period, bench, latest, basis=basis)

    mutual_aid_data.clear_read_cache()
    kept = [spare(period) for period in periods]
    keys = [key for key, _, _ in aid_capacity._SPARE]
    assert len(set(keys)) == len(keys) and len(keys) > 1  # every month's last weeks, once
    # Afresh: each period's own sums alone, not every month's at once.
    monkeypatch.setattr(aid_capacity, "_every_end_month", lambda *_: None)
    for period, found in zip(periods, kept, strict=True):
        mutual_aid_data.clear_read_cache()
        pd.testing.assert_frame_equal(found, spare(period), check_exact=True)
