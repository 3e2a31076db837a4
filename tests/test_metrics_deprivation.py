"""The deprivation lens: % within 6 weeks by IMD quintile, the Q1:Q5 ratio with its Katz CI.

Hand-computed cases state their arithmetic: RR = (a/n1) ÷ (b/n2), SE(log RR) = √(1/a − 1/n1 +
1/b − 1/n2), CI = exp(log RR ± 1.96 SE), with 1.96 the 97.5% normal quantile (1.959964).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import inspect, text

from productivity.metrics import deprivation as dep
from productivity.schema import DM01_BANDS
from productivity.stats import spc
from productivity.store import db, marts, readers
from productivity.views import inequalities as dd

Z = 1.959963984540054


def rows(*records: tuple) -> pd.DataFrame:
    """dm01_imd rows: (period, provider, test, quintile, total, waiting 6+, waiting 13+)."""
    columns = ["period", "provider_code", "test_code", "imd_quintile", "total_waiting",
               "waiting_6_plus", "waiting_13_plus"]  # fmt: skip
    frame = pd.DataFrame(records, columns=columns)
    frame["period"] = pd.to_datetime(frame["period"])
    return frame.assign(month=frame["period"].dt.strftime("%Y-%m"))


def test_z_is_the_two_sided_95_percent_quantile():
    assert pytest.approx(Z, abs=1e-12) == dep.Z


def test_within_6_weeks_by_quintile_is_a_ratio_of_sums():
    frame = rows(
        ("2026-05-01", "RBL", "MRI", 1, 150, 50, 5),
        ("2026-05-01", "RBL", "MRI", 1, 50, 10, 1),  # a second row for Q1 is summed
        ("2026-05-01", "RBL", "MRI", 5, 100, 10, 0),
        ("2026-05-01", "RBL", "MRI", 3, 0, 0, 0),  # nobody waiting
    )
    out = dep.within_6_weeks_by_quintile(frame, ["provider_code"]).set_index("imd_quintile")
    # Q1: (200 - 60) / 200 = 0.70 within 6 weeks, 0.30 waiting 6+; Q5: (100 - 10) / 100 = 0.90
    assert out.loc[1, "total_waiting"] == 200 and out.loc[1, "waiting_6_plus"] == 60
    assert out.loc[1, "within_6_weeks"] == pytest.approx(0.70)
    assert out.loc[1, "share_6_plus"] == pytest.approx(0.30)
    assert out.loc[5, "within_6_weeks"] == pytest.approx(0.90)
    assert out.loc[1, "waiting_13_plus"] == 6
    assert math.isnan(out.loc[3, "within_6_weeks"])


def test_within_6_weeks_by_quintile_takes_waiting_6_plus_from_the_bands_when_present():
    frame = rows(("2026-05-01", "RBL", "MRI", 1, 100, 99, 99))
    bands = dict.fromkeys(DM01_BANDS, 0) | {"weeks_00": 70, "weeks_07": 20, "weeks_13_plus": 10}
    out = dep.within_6_weeks_by_quintile(frame.assign(**bands), [])
    # the bands say 20 + 10 = 30 wait 6+ weeks (not the reported 99): (100 - 30) / 100 = 0.70
    assert out["waiting_6_plus"].iloc[0] == 30
    assert out["within_6_weeks"].iloc[0] == pytest.approx(0.70)


@pytest.mark.parametrize(
    ("a", "n1", "b", "n2", "ratio", "se"),
    [
        # RR = (30/100) / (10/100) = 3; SE = √(1/30 − 1/100 + 1/10 − 1/100) = √0.113333
        (30, 100, 10, 100, 3.0, math.sqrt(1 / 30 - 1 / 100 + 1 / 10 - 1 / 100)),
        # RR = (60/200) / (10/100) = 3; SE = √(1/60 − 1/200 + 1/10 − 1/100) = √0.101667
        (60, 200, 10, 100, 3.0, math.sqrt(1 / 60 - 1 / 200 + 1 / 10 - 1 / 100)),
        # no gradient: RR = (20/100) / (18/100) = 1.111; SE = √(1/20 − 1/100 + 1/18 − 1/100)
        (20, 100, 18, 100, 20 / 18, math.sqrt(1 / 20 - 1 / 100 + 1 / 18 - 1 / 100)),
    ],
)
def test_katz_ratio_by_hand(a, n1, b, n2, ratio, se):
    out = dep.katz_ratio(a, n1, b, n2).iloc[0]
    assert out["ratio"] == pytest.approx(ratio)
    assert out["log_ratio_se"] == pytest.approx(se)
    assert out["ratio_lower"] == pytest.approx(math.exp(math.log(ratio) - Z * se))
    assert out["ratio_upper"] == pytest.approx(math.exp(math.log(ratio) + Z * se))
    assert not out["continuity_corrected"]


def test_katz_ratio_first_case_to_four_places():
    out = dep.katz_ratio(30, 100, 10, 100).iloc[0]
    # exp(ln 3 ± 1.96 × 0.336650) = exp(1.098612 ± 0.659823) = 1.5508 to 5.8033
    assert (round(out["ratio_lower"], 4), round(out["ratio_upper"], 4)) == (1.5508, 5.8033)


def test_a_trust_with_no_gradient_has_an_interval_spanning_1():
    out = dep.katz_ratio(20, 100, 18, 100).iloc[0]
    # exp(0.105361 ± 1.96 × 0.292499): 0.6262 to 1.9713, which spans 1
    assert out["ratio_lower"] == pytest.approx(0.6262, abs=1e-4)
    assert out["ratio_upper"] == pytest.approx(1.9713, abs=1e-4)
    evidence = dep.gap_evidence(pd.Series([out["ratio_lower"]]), pd.Series([out["ratio_upper"]]))
    assert evidence.iloc[0] == "none"


def test_no_6_plus_waiter_in_q5_gets_the_haldane_anscombe_correction():
    out = dep.katz_ratio(20, 100, 0, 50).iloc[0]
    # ½ to each cell: a = 20.5 of n1 = 101, b = 0.5 of n2 = 51
    a, n1, b, n2 = 20.5, 101, 0.5, 51
    ratio = (a / n1) / (b / n2)  # 20.703
    se = math.sqrt(1 / a - 1 / n1 + 1 / b - 1 / n2)  # 1.421011
    assert out["continuity_corrected"]
    assert out["ratio"] == pytest.approx(ratio)
    assert out["ratio"] == pytest.approx(20.703, abs=1e-3)
    assert out["log_ratio_se"] == pytest.approx(1.421011, abs=1e-6)
    assert out["ratio_lower"] == pytest.approx(math.exp(math.log(ratio) - Z * se))
    assert np.isfinite(out["ratio_upper"])


@pytest.mark.parametrize(
    ("a", "n1", "b", "n2"),
    [
        (0, 100, 0, 50),  # nobody waits 6+ weeks in either quintile: no gap to measure
        (5, 100, 0, 0),  # nobody in Q5 at all
        (0, 0, 3, 40),  # nobody in Q1 at all
    ],
)
def test_katz_ratio_is_nan_when_there_is_nothing_to_compare(a, n1, b, n2):
    out = dep.katz_ratio(a, n1, b, n2).iloc[0]
    assert out[["ratio", "ratio_lower", "ratio_upper"]].isna().all()
    assert not out["continuity_corrected"]


@pytest.mark.parametrize(
    ("lower", "upper", "expected"),
    [(1.2, 3.0, "wider"), (0.8, 1.5, "none"), (0.3, 0.9, "reverse"), (np.nan, np.nan, "unknown")],
)
def test_gap_evidence(lower, upper, expected):
    assert dep.gap_evidence(pd.Series([lower]), pd.Series([upper])).iloc[0] == expected


def test_quintile_ratio_per_trust_test_and_month():
    frame = rows(
        ("2026-04-01", "REM", "MRI", 1, 100, 30, 3),
        ("2026-04-01", "REM", "MRI", 3, 500, 10, 0),  # middle quintiles do not enter the ratio
        ("2026-04-01", "REM", "MRI", 5, 100, 10, 1),
        ("2026-05-01", "REM", "MRI", 1, 100, 20, 0),
        ("2026-05-01", "REM", "MRI", 5, 100, 18, 0),
        ("2026-05-01", "RBL", "MRI", 1, 40, 8, 0),  # RBL has no Q5 row: counted as 0 waiting
    )
    out = dep.quintile_ratio(frame, ["provider_code", "test_code", "period"])
    assert list(out.columns[:3]) == ["provider_code", "test_code", "period"]
    april = out[(out["provider_code"] == "REM") & (out["period"] == "2026-04-01")].iloc[0]
    # 30/100 against 10/100: RR 3, gap 0.30 − 0.10 = 0.20 (20 percentage points)
    assert april["ratio"] == pytest.approx(3.0)
    assert april["gap"] == pytest.approx(0.20)
    assert april["evidence"] == "wider"
    may = out[(out["provider_code"] == "REM") & (out["period"] == "2026-05-01")].iloc[0]
    assert may["ratio"] == pytest.approx(20 / 18) and may["evidence"] == "none"
    rbl = out[out["provider_code"] == "RBL"].iloc[0]
    assert rbl["total_waiting_least"] == 0 and math.isnan(rbl["ratio"])
    assert rbl["evidence"] == "unknown"
    # the whole frame together: Q1 30 + 20 + 8 = 58 of 240, Q5 10 + 18 = 28 of 200
    (everything,) = dep.quintile_ratio(frame, []).itertuples()
    assert everything.ratio == pytest.approx((58 / 240) / (28 / 200))  # 1.7262


def test_spc_input_drops_months_without_a_ratio_and_sorts():
    monthly = pd.DataFrame(
        {
            "period": pd.to_datetime(["2026-03-01", "2026-01-01", "2026-02-01", "2026-04-01"]),
            "ratio": [2.0, 1.5, np.nan, np.inf],
        }
    )
    series = dep.spc_input(monthly)
    assert list(series["date"].dt.strftime("%Y-%m")) == ["2026-01", "2026-03"]
    assert list(series["value"]) == [1.5, 2.0]
    result = spc.xmr(
        series["value"], series["date"], direction=dep.RATIO_DIRECTION, target=dep.NO_GAP
    )
    assert list(result.points["value"]) == [1.5, 2.0]
    assert result.points["trial_limits"].all()


def test_spc_input_refuses_two_series_mixed_together():
    monthly = pd.DataFrame({"period": pd.to_datetime(["2026-01-01"] * 2), "ratio": [1.0, 2.0]})
    with pytest.raises(ValueError, match="2026-01 appears more than once"):
        dep.spc_input(monthly)


# --------------------------------------------------------------------------------------------
# The view over rows, and the store


def test_view_from_rows_for_a_trust_without_the_test_says_nothing_to_show():
    frame = rows(
        ("2026-05-01", "REM", "MRI", 1, 100, 30, 3),
        ("2026-05-01", "REM", "MRI", 5, 100, 10, 1),
    )
    view = dd.view_from_rows(frame, "MRI", "RBL")
    assert view.quintiles.empty and view.spc is None and view.bands.empty
    assert set(view.forest["provider_code"]) == {"System", "REM"}  # every trust still compared


def test_view_from_rows_draws_the_distribution_when_bands_are_present():
    bands = dict.fromkeys(DM01_BANDS, 0) | {"weeks_00": 60, "weeks_13_plus": 40}
    frame = rows(
        ("2026-05-01", "REM", "MRI", 1, 100, 40, 40),
        ("2026-05-01", "REM", "MRI", 5, 100, 40, 40),
    ).assign(**bands)
    view = dd.view_from_rows(frame, "MRI", "REM")
    assert len(view.bands) == 2 * len(DM01_BANDS)
    top = view.bands[view.bands["band"] == "weeks_13_plus"]
    assert list(top["share"]) == [0.4, 0.4]
    assert "Weeks waiting" in dd.band_table(view.bands).columns


def test_the_demo_shows_the_planted_gradient_and_none_where_none_was_planted(demo_engine):
    # synth: REM and RBN have a deprivation gradient; the other trusts have none.
    view = dd.inequalities_view(demo_engine, marts.Period(), "MRI", "REM")
    forest = view.forest.set_index("provider_code")
    for trust in ("REM", "RBN"):
        assert forest.loc[trust, "ratio"] > 1
        assert forest.loc[trust, "ratio_lower"] > 1, trust
        assert forest.loc[trust, "evidence"] == "wider"
    for trust in ("RBL", "RWW"):
        assert forest.loc[trust, "ratio_lower"] < 1 < forest.loc[trust, "ratio_upper"], trust
        assert forest.loc[trust, "evidence"] == "none"
    assert forest.loc["REM", "trust"] == "▶ REM"  # the chosen trust is marked in text
    # REM's quintiles get steadily worse towards the most deprived
    within = view.quintiles.set_index("imd_quintile")["within_6_weeks"]
    assert within[1] < within[5]
    assert view.spc is not None and len(view.spc.points) == 3  # the 3-month demo
    assert view.month == view.monthly["period"].max().strftime("%Y-%m")


def test_the_store_reader_filters_by_period_and_test(demo_engine):
    everything = readers.dm01_by_imd(demo_engine)
    months = sorted(everything["month"].unique())
    assert len(months) == 3
    one = readers.dm01_by_imd(demo_engine, marts.Period(months[1], months[1]), "CT")
    assert set(one["month"]) == {months[1]} and set(one["test_code"]) == {"CT"}
    assert set(one["imd_quintile"]) == {1, 2, 3, 4, 5}


def test_the_store_reader_reads_bands_once_the_table_has_them(engine):
    """The model stores totals; when dm01_imd gains the 14 band columns the reader uses them."""
    present = {c["name"] for c in inspect(engine).get_columns("dm01_imd")}
    with db.write_transaction(engine) as conn:
        for band in DM01_BANDS:
            if band not in present:
                conn.execute(text(f"ALTER TABLE dm01_imd ADD COLUMN {band} INTEGER"))
        values = dict.fromkeys(DM01_BANDS, 0) | {"weeks_00": 7, "weeks_08": 3}
        for quintile in (1, 5):
            conn.execute(
                text(
                    "INSERT INTO dm01_imd (period, provider_code, test_code, imd_quintile, "
                    "total_waiting, waiting_6_plus, waiting_13_plus, "
                    + ", ".join(DM01_BANDS)
                    + ") VALUES (:period, 'RBL', 'MRI', :q, 10, 3, 0, "
                    + ", ".join(f":{b}" for b in DM01_BANDS)
                    + ")"
                ),
                {"period": pd.Timestamp("2026-05-01").date(), "q": quintile, **values},
            )
    assert readers.stored_imd_bands(engine) == DM01_BANDS
    view = dd.inequalities_view(engine, marts.Period(), "MRI", "RBL")
    assert not view.bands.empty
    eight = view.bands[view.bands["band"] == "weeks_08"]
    assert list(eight["share"]) == [0.3, 0.3]
