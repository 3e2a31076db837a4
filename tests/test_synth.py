"""The synthetic demo: deterministic, in the schema's shapes, internally consistent, and realistic
enough that the planted signals (PLANTED_SIGNALS) show up when measured simply."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from productivity import schema, settings
from productivity.synth import frames as synth

DATETIME_COLUMNS = {
    "date", "period", "session_date", "planned_start", "planned_end", "anaesthetic_start",
    "into_theatre", "knife_to_skin", "out_of_theatre", "test_datetime", "report_datetime",
    "request_datetime", "received_datetime", "authorised_datetime", "appointment_date",
}  # fmt: skip
# DM01 tests whose activity is the imaging frame's scans.
IMAGING_TESTS = {schema.MODALITY_DM01_TEST[m]: m for m in schema.MODALITIES}


@pytest.fixture(scope="module")
def demo() -> synth.DemoFrames:
    return synth.build_frames(seed=1, months=12)


def capped_touch_minutes(lists: pd.DataFrame, cases: pd.DataFrame) -> np.ndarray:
    """Per list: Σ completed cases' touch time clipped to the session. A simple check, not the
    metric module: parallel-induction overlaps are counted twice, which matters little here."""
    done = cases[~cases["cancelled"]]
    start = done["anaesthetic_start"].fillna(done["into_theatre"])
    frame = done.assign(start=start).merge(lists, on="list_id")
    lo = frame[["start", "planned_start"]].max(axis=1)
    hi = frame[["out_of_theatre", "planned_end"]].min(axis=1)
    touch = ((hi - lo).dt.total_seconds() / 60).clip(lower=0).groupby(frame["list_id"]).sum()
    return touch.reindex(lists["list_id"], fill_value=0).to_numpy()


def by_trust_and_half(lists: pd.DataFrame, cases: pd.DataFrame) -> pd.DataFrame:
    """Capped utilisation (ratio of sums) by trust, first 6 vs last 6 months of the window."""
    planned = (lists["planned_end"] - lists["planned_start"]).dt.total_seconds() / 60
    last_month = lists["session_date"].max().to_period("M").start_time
    last6 = lists["session_date"] >= last_month - pd.DateOffset(months=5)
    sums = pd.DataFrame({
        "trust": lists["trust_code"], "last6": last6, "touch": capped_touch_minutes(lists, cases),
        "planned": planned,
    }).groupby(["trust", "last6"])[["touch", "planned"]].sum()  # fmt: skip
    return (sums["touch"] / sums["planned"]).unstack()


def test_same_seed_gives_identical_frames(demo: synth.DemoFrames) -> None:
    again = synth.build_frames(seed=1, months=12)
    for name, frame in demo.tables().items():
        pd.testing.assert_frame_equal(frame, again.tables()[name], obj=name)


def test_different_seed_gives_different_frames() -> None:
    one, two = synth.build_frames(seed=1, months=2), synth.build_frames(seed=2, months=2)
    for name in ("cases", "imaging", "dm01"):
        assert not one.tables()[name].equals(two.tables()[name]), name


def test_columns_are_the_schema_constants(demo: synth.DemoFrames) -> None:
    expected = {
        "lists": schema.LIST_COLUMNS,
        "cases": schema.CASE_COLUMNS,
        "imaging": schema.IMAGING_COLUMNS,
        "endoscopy": schema.ENDOSCOPY_COLUMNS,
        "echo": schema.ECHO_COLUMNS,
        "dm01": schema.DM01_COLUMNS,
        "dm01_imd": synth.DM01_IMD_COLUMNS,
        "reporting": schema.REPORTING_EVENT_COLUMNS,
        "pathology": schema.PATHOLOGY_SPECIMEN_COLUMNS,
        "appointments": schema.APPOINTMENT_COLUMNS,
        "bookings": schema.BOOKING_COLUMNS,
    }
    assert list(demo.tables()) == list(expected)
    for name, columns in expected.items():
        assert list(demo.tables()[name].columns) == list(columns), name


def test_dtypes_are_what_the_store_expects(demo: synth.DemoFrames) -> None:
    for name, frame in demo.tables().items():
        for column, dtype in frame.dtypes.items():
            if column in DATETIME_COLUMNS:
                assert dtype == "datetime64[us]", (name, column)
            elif column in ("cancelled", "cancel_clinical", "cancer_pathway"):
                assert dtype == np.bool_, (name, column)
            elif column in ("operational_hours", "booked_minutes"):
                assert dtype == np.float64
            else:
                assert dtype in ("str", np.int64), (name, column, dtype)


def test_lists_and_cases_are_well_formed(demo: synth.DemoFrames) -> None:
    lists, cases = demo.lists, demo.cases
    assert lists["list_id"].is_unique and lists["list_id"].dtype == np.int64
    assert cases["case_id"].is_unique
    assert cases["list_id"].isin(lists["list_id"]).all()
    assert set(lists["session"]) == set(schema.SESSIONS)
    assert set(cases["priority"]) == set(schema.PRIORITIES)
    assert (lists["session_date"] == lists["session_date"].dt.normalize()).all()
    assert (lists["planned_start"].dt.normalize() == lists["session_date"]).all()
    assert (lists["planned_end"] > lists["planned_start"]).all()
    for column in ("anaesthetic_start", "into_theatre", "knife_to_skin", "out_of_theatre"):
        assert cases[column].dtype.kind == "M"
    done = cases[~cases["cancelled"]]
    recorded = done[done["anaesthetic_start"].notna()]
    assert (recorded["anaesthetic_start"] <= recorded["into_theatre"]).all()
    assert (done["into_theatre"] <= done["knife_to_skin"]).all()
    assert (done["knife_to_skin"] <= done["out_of_theatre"]).all()
    gone = cases[cases["cancelled"]]
    assert gone[["into_theatre", "out_of_theatre"]].isna().all().all()
    assert gone["cancel_reason"].notna().all() and done["cancel_reason"].isna().all()
    assert not (cases["cancel_clinical"] & ~cases["cancelled"]).any()


def test_theatre_data_exercises_every_path(demo: synth.DemoFrames) -> None:
    lists, cases = demo.lists, demo.cases
    unused = ~lists["list_id"].isin(cases["list_id"])
    assert 0.015 < unused.mean() < 0.06  # sessions on which nothing was booked or done
    done = cases[~cases["cancelled"]]
    assert 0.003 < done["anaesthetic_start"].isna().mean() < 0.02  # data-quality path
    assert 0.015 < cases["cancelled"].mean() < 0.07
    assert cases["cancel_clinical"].any() and (cases["cancelled"] & ~cases["cancel_clinical"]).any()
    crosses = done["out_of_theatre"].dt.normalize() > done["into_theatre"].dt.normalize()
    assert crosses.any()  # an evening case ran past midnight
    ordered = done.sort_values(["list_id", "anaesthetic_start"])
    previous_out = ordered.groupby("list_id")["out_of_theatre"].shift()
    assert (ordered["anaesthetic_start"] < previous_out).mean() > 0.02  # parallel induction
    codes = cases["procedure_code"]
    assert codes.str.fullmatch(r"[A-Z]\d{2}\.\d").all()


def test_trust_sizes_follow_the_collaborative(demo: synth.DemoFrames) -> None:
    theatres = demo.lists.drop_duplicates(["trust_code", "site", "theatre"])
    count = theatres["trust_code"].value_counts()
    assert 45 <= count["REM"] <= 50
    for code in ("RJR", "RJN", "RBN", "RBT", "RWW", "RBL"):
        assert 10 <= count[code] <= 25, code
    for code in ("RBS", "RBQ", "RET", "REP", "REN"):
        assert count[code] <= 10 and count[code] < count["REM"] / 4, code
    sites = pd.read_csv(settings.DATA_DIR / "sites.csv")
    assert set(demo.lists["site"]) <= set(sites["site"])
    assert "RX7" not in set(demo.lists["trust_code"]) | set(demo.dm01["provider_code"])
    scanners = demo.imaging.drop_duplicates("scanner_id").groupby(["trust_code", "modality"]).size()
    assert scanners["REM"][["CT", "MRI"]].sum() >= 10
    for code in ("RBS", "RBQ", "RET", "REP", "REN"):
        assert scanners[code].max() <= 2, code


def test_utilisation_spread_and_planted_signals(demo: synth.DemoFrames) -> None:
    halves = by_trust_and_half(demo.lists, demo.cases)
    overall = halves.mean(axis=1)
    assert 0.6 < overall.min() < 0.7 and 0.84 < overall.max() < 0.92
    step = halves[True] - halves[False]
    assert step["RBL"] > 0.05  # the Theatre Academy change that worked
    assert step["RWW"] < -0.03  # deteriorating
    stable = step.drop(["RBL", "RWW"])
    assert stable.abs().max() < 0.03, stable
    assert {"RBL", "RWW"} <= set(synth.PLANTED_SIGNALS)


def test_imaging_rates_and_mri_upgrade(demo: synth.DemoFrames) -> None:
    imaging = demo.imaging
    assert (imaging["operational_hours"] > 0).all() and (imaging["operational_hours"] <= 24).all()
    sums = imaging.groupby(["trust_code", "modality"])[["scans", "operational_hours"]].sum()
    rate = (sums["scans"] / sums["operational_hours"]).unstack()
    for modality, benchmark in {"CT": 4.0, "MRI": 2.5, "NOUS": 3.0}.items():
        assert rate[modality].min() < benchmark < rate[modality].max() * 1.05, modality
    mri = imaging[(imaging["trust_code"] == "RBT") & (imaging["modality"] == "MRI")]
    late = mri["date"] >= mri["date"].max().to_period("M").start_time - pd.DateOffset(months=5)
    assert mri.loc[late, "scans"].mean() - mri.loc[~late, "scans"].mean() > 2.5


def test_endoscopy_and_echo(demo: synth.DemoFrames) -> None:
    endo = demo.endoscopy
    assert (endo["planned_points"] == 12).mean() > 0.7
    assert (endo["used_points"] <= endo["planned_points"]).all()
    use = (
        endo.groupby("trust_code")["used_points"].sum()
        / endo.groupby("trust_code")["planned_points"].sum()
    )
    assert use.between(0.8, 1.0).all()
    echo = demo.echo
    per_test = (
        echo.groupby("trust_code")["scheduled_minutes"].sum()
        / echo.groupby("trust_code")["tests"].sum()
    )
    assert per_test.between(40, 60).all() and "RBQ" in per_test


def test_dm01_is_consistent(demo: synth.DemoFrames) -> None:
    dm01 = demo.dm01
    bands = dm01[list(schema.DM01_BANDS)]
    assert (dm01["total_waiting"] == bands.sum(axis=1)).all()
    assert (dm01["waiting_6_plus"] == dm01[list(schema.DM01_BANDS_6_PLUS)].sum(axis=1)).all()
    assert (dm01["waiting_13_plus"] == dm01["weeks_13_plus"]).all()
    activity = dm01[["waiting_list_activity", "planned_activity", "unscheduled_activity"]]
    assert (dm01["total_activity"] == activity.sum(axis=1)).all()
    assert (dm01["period"] == dm01["period"].dt.to_period("M").dt.start_time).all()
    per_month = dm01.groupby("period").agg(
        providers=("provider_code", "nunique"), rows=("test_code", "size")
    )
    assert (per_month["providers"] == 12).all() and (per_month["rows"] == 12 * 15).all()
    assert set(dm01["test_code"]) == set(schema.DM01_TESTS)
    trusts = pd.read_csv(settings.TRUSTS_FILE).set_index("trust_code")["name"]
    assert (dm01["provider_name"] == dm01["provider_code"].map(trusts)).all()
    latest = dm01[dm01["period"] == dm01["period"].max()]
    assert 60_000 < latest["total_waiting"].sum() < 73_000  # SPEC §1: about 66,700
    sums = latest.groupby("provider_code")[["total_waiting", "waiting_6_plus"]].sum()
    within = 1 - sums["waiting_6_plus"] / sums["total_waiting"]
    assert within.min() < 0.78 and within.max() > 0.95
    assert latest.groupby("provider_code")["waiting_13_plus"].sum().max() > 100


def test_dm01_imaging_activity_matches_scans(demo: synth.DemoFrames) -> None:
    imaging = demo.imaging.assign(period=demo.imaging["date"].dt.to_period("M").dt.start_time)
    scans = imaging.groupby(["period", "trust_code", "modality"])["scans"].sum()
    dm01 = demo.dm01[demo.dm01["test_code"].isin(list(IMAGING_TESTS))]
    modality = dm01["test_code"].map(IMAGING_TESTS)
    keys = pd.MultiIndex.from_arrays([dm01["period"], dm01["provider_code"], modality])
    expected = scans.reindex(keys, fill_value=0).to_numpy()
    assert (dm01["total_activity"].to_numpy() == expected).all()


def test_dm01_deprivation_lens(demo: synth.DemoFrames) -> None:
    imd, dm01 = demo.dm01_imd, demo.dm01
    assert len(imd) == 5 * len(dm01) and set(imd["imd_quintile"]) == {1, 2, 3, 4, 5}
    key = ["period", "provider_code", "test_code"]
    summed = imd.groupby(key)[["total_waiting", *schema.DM01_BANDS]].sum()
    pd.testing.assert_frame_equal(
        summed, dm01.set_index(key)[["total_waiting", *schema.DM01_BANDS]].sort_index()
    )
    assert (imd["total_waiting"] == imd[list(schema.DM01_BANDS)].sum(axis=1)).all()
    q = imd.groupby(["provider_code", "imd_quintile"])[["waiting_6_plus", "total_waiting"]].sum()
    share = (q["waiting_6_plus"] / q["total_waiting"]).unstack()
    for code in ("REM", "RBN"):  # more deprived patients wait longer
        assert share.loc[code, 1] > 1.5 * share.loc[code, 5], code
    for code in ("RJR", "RWW"):  # no gradient
        assert abs(share.loc[code, 1] / share.loc[code, 5] - 1) < 0.2, code


def test_theatre_frames_at_small_scale() -> None:
    lists, cases = synth.theatre_frames(30, 1, seed=3, start_month="2026-03")
    assert list(lists.columns) == list(schema.LIST_COLUMNS)
    assert list(cases.columns) == list(schema.CASE_COLUMNS)
    assert len(lists.drop_duplicates(["trust_code", "site", "theatre"])) == 30
    assert lists["session_date"].dt.to_period("M").astype(str).unique().tolist() == ["2026-03"]
    # ~22 working days x ~1.8 lists x ~3.5 cases per theatre
    assert 30 * 80 < len(cases) < 30 * 250
    again = synth.theatre_frames(30, 1, seed=3, start_month="2026-03")
    pd.testing.assert_frame_equal(cases, again[1])


def test_theatre_frames_beyond_the_demo_trusts() -> None:
    lists, cases = synth.theatre_frames(400, 1, seed=1, trusts=16)
    theatres = lists.drop_duplicates(["trust_code", "site", "theatre"])
    assert len(theatres) == 400 and lists["trust_code"].nunique() == 16
    assert {"REM", "X01", "X04"} <= set(lists["trust_code"])
    assert cases["case_id"].is_unique and lists["list_id"].is_unique
    with pytest.raises(ValueError):
        synth.theatre_frames(3, 1, seed=1, trusts=4)


def test_imaging_frames_at_small_scale() -> None:
    frame = synth.imaging_frames(40, 2, seed=2, trusts=3)
    assert list(frame.columns) == list(schema.IMAGING_COLUMNS)
    assert frame["scanner_id"].nunique() == 40 and frame["trust_code"].nunique() == 3
    assert frame.groupby("scanner_id").size().between(20, 62).all()


def test_build_frames_rejects_bad_arguments() -> None:
    with pytest.raises(ValueError):
        synth.build_frames(months=0)
    with pytest.raises(ValueError):
        synth.build_frames(end_month="2026-13")


def hand_made() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Two lists: an evening list whose second case crosses midnight, and an unused list."""
    day = pd.Timestamp("2026-03-02")
    lists = pd.DataFrame({
        "list_id": [7, 9], "trust_code": ["RJR", "RJR"], "site": ["RJR01", "RJR01"],
        "theatre": ["Theatre 1", "Theatre 2"], "session_date": [day, day],
        "session": ["EVE", "AM"], "specialty": ["General Surgery", "ENT"],
        "planned_start": [day + pd.Timedelta("18:00:00"), day + pd.Timedelta("08:30:00")],
        "planned_end": [day + pd.Timedelta("22:00:00"), day + pd.Timedelta("12:30:00")],
    })  # fmt: skip
    t = pd.to_datetime
    cases = pd.DataFrame({
        "list_id": [7, 7, 7], "case_id": ["RJR-1", "RJR-2", "RJR-3"],
        "specialty": ["General Surgery"] * 3, "procedure_code": ["H01.1", "H07.1", "T20.1"],
        "priority": ["emergency", "emergency", "elective"],
        "anaesthetic_start": t(["2026-03-02 18:05", None, None]),
        "into_theatre": t(["2026-03-02 18:20", "2026-03-02 21:40", None]),
        "knife_to_skin": t(["2026-03-02 18:31", "2026-03-02 21:52", None]),
        "out_of_theatre": t(["2026-03-02 21:10", "2026-03-03 00:25", None]),
        "cancelled": [False, False, True], "cancel_reason": [None, None, "No ward bed available"],
        "cancel_clinical": [False, False, False],
    })  # fmt: skip
    return lists, cases


def test_theatre_extract_by_hand() -> None:
    lists, cases = hand_made()
    extract = synth.theatre_extract(lists, cases)
    assert list(extract.columns) == list(schema.THEATRE_COLUMNS)
    assert len(extract) == 4  # three cases + one row for the unused list
    first, second, third, unused = (extract.iloc[i] for i in range(4))
    assert (first["session_date"], first["planned_start"], first["planned_end"]) == (
        "2026-03-02", "18:00", "22:00",
    )  # fmt: skip
    assert first["anaesthetic_start"] == "2026-03-02T18:05"
    assert pd.isna(second["anaesthetic_start"])  # missing stays missing
    assert second["out_of_theatre"] == "2026-03-03T00:25"  # crossed midnight
    assert (third["cancelled"], third["cancel_reason"], third["cancel_clinical"]) == (
        "Y", "No ward bed available", "N",
    )  # fmt: skip
    assert first["cancelled"] == "N" and pd.isna(first["cancel_reason"])
    assert unused["theatre"] == "Theatre 2" and unused["specialty"] == "ENT"
    assert unused["planned_start"] == "08:30"
    case_fields = schema.THEATRE_COLUMNS[schema.THEATRE_COLUMNS.index("case_id") :]
    assert unused[list(case_fields)].isna().all()


def test_theatre_extract_round_trips_the_demo(demo: synth.DemoFrames) -> None:
    lists, cases = demo.lists.head(400), demo.cases
    cases = cases[cases["list_id"].isin(lists["list_id"])]
    extract = synth.theatre_extract(lists, cases)
    unused = (~lists["list_id"].isin(cases["list_id"])).sum()
    assert len(extract) == len(cases) + unused
    assert extract["planned_start"].str.fullmatch(r"\d\d:\d\d").all()
    assert extract["cancelled"].dropna().isin(["Y", "N"]).all()
    with_case = extract[extract["case_id"].notna()].set_index("case_id")
    for column in ("anaesthetic_start", "out_of_theatre"):
        parsed = pd.to_datetime(with_case[column], format="%Y-%m-%dT%H:%M")
        expected = cases.set_index("case_id")[column]
        pd.testing.assert_series_equal(parsed, expected, check_names=False, check_dtype=False)


def test_day_case_rates_vary_by_trust_and_procedure(demo: synth.DemoFrames) -> None:
    from productivity.metrics import daycase

    rates = daycase.daycase_rates(demo.cases, daycase.load_bads(), lists=demo.lists)
    rate = rates.pivot(index="trust_code", columns="procedure_group", values="daycase_rate")
    hernia, chole = rate["inguinal_hernia"].dropna(), rate["laparoscopic_cholecystectomy"].dropna()
    assert len(hernia) >= 6 and hernia.max() - hernia.min() > 0.15  # trusts differ
    assert (chole < hernia[chole.index]).all()  # gallbladders are done as day cases less often
    assert 0.5 < hernia.median() < 0.85 and 0.35 < chole.median() < 0.75  # near England's


def test_bookings_cover_six_weeks_after_the_window_with_under_booking(demo: synth.DemoFrames):
    from productivity.metrics import lookahead

    bookings = demo.bookings
    first = demo.lists["session_date"].max().normalize() + pd.offsets.MonthBegin(0)
    assert bookings["session_date"].min() >= first  # all after the history
    assert (bookings["session_date"] - first).dt.days.max() < 42
    assert set(bookings["priority"].dropna()) <= {"elective", "daycase"}
    assert "EVE" not in set(bookings["session"])
    history = lookahead.history_from_cases(demo.lists, demo.cases)
    per_list = lookahead.lookahead(bookings, history, first, 0.85)
    fill = per_list.groupby("weeks_out")["expected_utilisation"].mean()
    assert fill[2] > fill[4] > fill[6]  # lists fill up as the day nears
    flagged = per_list.groupby("weeks_out")["flagged"].mean()
    assert flagged[6] > 0.6 and flagged[2] < flagged[6]
    assert (per_list["booked_cases"] == 0).any()  # some lists have nothing booked yet
    assert bookings["booked_minutes"].notna().any() and bookings["booked_minutes"].isna().any()
