"""The Theatres page's readers and shaping: hand-made mart rows, then the real demo store."""

from __future__ import annotations

import datetime as dt
import math

import pandas as pd
import pytest

from productivity.benchmarks import load_benchmarks
from productivity.metrics import lost_time, theatre
from productivity.store import marts, rebase
from productivity.views import theatres as drilldown
from productivity.views.theatres import Unit

TARGET = 0.85
BENCH = load_benchmarks(override=None)
CAPPED = BENCH["theatre_capped_utilisation"]  # 0.85, higher is better


def mart_row(week: str, weekday: str, session: str, planned: float, capped: float, **extra):
    """One mart_theatre_list row; ``late``/``early`` minutes set the band flags like the mart."""
    late, early = extra.pop("late", 0.0), extra.pop("early", 0.0)
    unused = extra.pop("unused", False)
    row = {
        "trust_code": "RBL", "site": "RBL01", "theatre": "Theatre 1", "specialty": "ENT",
        "week": week, "month": week[:7], "weekday": weekday, "session": session,
        "planned_minutes": planned, "capped_touch_minutes": capped,
        "uncapped_touch_minutes": extra.pop("uncapped", capped), "unused": unused,
        "completed_cases": 0 if unused else 2, "scheduled_cases": 2, "cancelled_cases": 0,
        "cancelled_non_clinical": 0, "anaesthetic_fallback_cases": 0,
        "case_touch_minutes": capped, "in_session_gap_minutes": 0.0,
        "late_start_minutes": math.nan if unused else late,
        "early_finish_minutes": math.nan if unused else early,
        "overrun_minutes": math.nan if unused else 0.0, "starts_late": late > 15,
        "finishes_early": early > 30, "overruns": False,
    }  # fmt: skip
    for suffix, minutes, strict in theatre.BANDS:
        row[f"late_start_{suffix}"] = not unused and (late > minutes if strict else late >= minutes)
        row[f"early_finish_{suffix}"] = not unused and (
            early > minutes if strict else early >= minutes
        )
    return row | extra


@pytest.fixture
def lists() -> pd.DataFrame:
    return pd.DataFrame(
        [
            # week of 2 March: 240 + 240 planned, 180 + 120 capped -> 300 / 480 = 0.625
            mart_row("2026-03-02", "Monday", "AM", 240, 180, uncapped=200, late=20),
            mart_row("2026-03-02", "Monday", "PM", 240, 120, early=45),
            # week of 30 March (month 2026-03 by its Monday): 240 planned, 0 touched (unused)
            mart_row("2026-03-30", "Tuesday", "AM", 240, 0, unused=True),
            # week of 6 April: 240 planned, 216 capped -> 0.9
            mart_row("2026-04-06", "Monday", "AM", 240, 216, uncapped=250, late=12),
        ]
    )


def test_weekly_utilisation_is_a_ratio_of_sums(lists):
    weekly = drilldown.utilisation_over_time(lists, "week")
    assert weekly["period"].tolist() == ["2026-03-02", "2026-03-30", "2026-04-06"]
    assert weekly["lists"].tolist() == [2, 1, 1]
    # (180 + 120) / (240 + 240) = 0.625, not the mean of 0.75 and 0.5 (also 0.625 here) ...
    assert weekly["capped_utilisation"].tolist() == pytest.approx([0.625, 0.0, 0.9])
    # ... and uncapped: (200 + 120) / 480 = 0.6667; 250 / 240 = 1.0417 (may pass 100%)
    assert weekly["uncapped_utilisation"].tolist() == pytest.approx([320 / 480, 0.0, 250 / 240])


def test_weeks_cut_by_the_months_edges_are_not_whole():
    rows = pd.DataFrame(
        [
            # Monday 27 October: only its weekend (1-2 November) is in November -> not whole
            mart_row("2025-10-27", "Saturday", "AM", 240, 200) | {"month": "2025-11"},
            mart_row("2025-11-03", "Monday", "AM", 240, 180),
            # Monday 24 November: Friday 28 November is still in November -> whole
            mart_row("2025-11-24", "Monday", "AM", 240, 180),
        ]
    )
    weekly = drilldown.utilisation_over_time(rows, "week")
    assert weekly["whole"].tolist() == [False, True, True]
    assert drilldown.spc_series(weekly)["date"].dt.strftime("%Y-%m-%d").tolist() == [
        "2025-11-03", "2025-11-24",
    ]  # fmt: skip


def test_monthly_utilisation_starts_on_the_first(lists):
    monthly = drilldown.utilisation_over_time(lists, "month")
    assert monthly["period"].tolist() == ["2026-03-01", "2026-04-01"]
    # March: 300 capped of 720 planned (the unused list counts at 0 touch) = 0.4167
    assert monthly["capped_utilisation"].tolist() == pytest.approx([300 / 720, 0.9])


def test_utilisation_long_has_one_row_per_period_and_measure(lists):
    long = drilldown.utilisation_long(drilldown.utilisation_over_time(lists, "month"))
    assert len(long) == 4
    assert set(long["measure"]) == {"Capped", "Uncapped"}


def test_unknown_grain_is_refused(lists):
    with pytest.raises(ValueError, match="grain"):
        drilldown.utilisation_over_time(lists, "day")


def test_bands_share_the_used_lists(lists):
    bands = drilldown.bands(lists).set_index(["measure", "band"])
    # 3 used lists; late 20 and 12 are >10, only 20 is >15, none >=30; early 45 is in all three
    assert bands.loc[("Late start", ">10 min"), "share"] == pytest.approx(2 / 3)
    assert bands.loc[("Late start", ">15 min"), "share"] == pytest.approx(1 / 3)
    assert bands.loc[("Late start", "≥30 min"), "share"] == 0
    assert bands.loc[("Early finish", "≥30 min"), "share"] == pytest.approx(1 / 3)
    assert set(bands["used_lists"]) == {3}


def test_heatmap_is_in_weekday_then_session_order(lists):
    heat = drilldown.heatmap(lists)
    assert list(zip(heat["weekday"], heat["session"], strict=True)) == [
        ("Monday", "AM"), ("Monday", "PM"), ("Tuesday", "AM"),
    ]  # fmt: skip
    # Monday AM: (180 + 216) / 480 = 0.825
    assert heat["capped_utilisation"].iloc[0] == pytest.approx(396 / 480)


def test_spc_series_and_rebase_markers(lists):
    series = drilldown.spc_series(drilldown.utilisation_over_time(lists, "week"))
    assert series["value"].tolist() == pytest.approx([0.625, 0.0, 0.9])
    stored = pd.DataFrame(
        {
            "date": [dt.date(2026, 1, 1), dt.date(2026, 3, 30), dt.date(2026, 5, 1)],
            "reason": ["before the chart", "new huddle", "after the chart"],
        }
    )
    markers = drilldown.rebase_markers(stored, series)
    assert markers.to_dict("records") == [
        {"date": "2026-03-30", "label": "rebase", "reason": "new huddle"}
    ]
    result = drilldown.unit_spc(series, stored["date"], CAPPED)
    assert result.points["period"].tolist() == [0, 1, 1]  # the rebase starts a new period
    assert result.points["target"].iloc[0] == TARGET


def test_empty_rows_give_empty_frames(lists):
    none = lists.iloc[0:0]
    assert drilldown.utilisation_over_time(none, "week").empty
    assert drilldown.bands(none).empty
    assert drilldown.heatmap(none).empty
    assert drilldown.spc_series(drilldown.utilisation_over_time(none, "week")).empty


@pytest.mark.parametrize(
    ("unit", "key", "extra"),
    [
        (Unit(), "system", {}),
        (Unit("RBL"), "trust:RBL", {}),
        (Unit("RBL", "RBL01"), "site:RBL/RBL01", {"site": "RBL01"}),
        (Unit("RBL", "RBL01", "Theatre 3"), "theatre:RBL/RBL01/Theatre 3",
         {"site": "RBL01", "theatre": "Theatre 3"}),
        (Unit("RBL", specialty="ENT"), "trust:RBL|specialty:ENT", {"specialty": "ENT"}),
        (Unit(specialty="ENT"), "system|specialty:ENT", {"specialty": "ENT"}),
        (Unit(None, "RBL01"), "system", {}),  # a site means nothing without its trust
        (Unit("RBL", None, "Theatre 3"), "trust:RBL", {}),  # nor a theatre without its site
    ],
)  # fmt: skip
def test_unit_key_and_filters(unit, key, extra):
    assert unit.key == key
    assert unit.extra == extra


# The real (3-month) demo store


PERIOD = marts.Period()


def test_unit_options_are_a_trusts_sites_and_theatres_in_natural_order(demo_engine):
    found = drilldown.unit_options(demo_engine, "RBL")
    assert set(found["site"]) == {"RBL01", "RBL02"}
    assert found["site_name"].notna().all()
    theatres = found.loc[found["site"] == "RBL01", "theatre"].tolist()
    assert theatres.index("Theatre 2") < theatres.index("Theatre 10")
    assert drilldown.unit_options(demo_engine, "XXX").empty


def test_unit_view_matches_the_theatre_report(demo_engine):
    view = drilldown.unit_view(demo_engine, Unit("RBL"), PERIOD, TARGET)
    report = marts.theatre_report(demo_engine, by="trust").set_index("trust_code").loc["RBL"]
    assert view.summary["capped_utilisation"].iloc[0] == pytest.approx(report["capped_utilisation"])
    for column in ("median_gap_minutes", "realisable_additional_cases", "late_start_share"):
        assert view.summary[column].iloc[0] == pytest.approx(report[column])
    assert view.weekly["lists"].sum() == view.monthly["lists"].sum() == report["lists"]
    steps = view.waterfall.set_index("step")["minutes"]
    assert steps[lost_time.PLANNED] == round(report["planned_minutes"])
    losses = [lost_time.UNUSED, lost_time.LATE, lost_time.GAPS, lost_time.EARLY, lost_time.OTHER]
    assert steps[lost_time.PLANNED] - steps[losses].sum() == steps[lost_time.CAPPED]


def test_a_narrower_unit_reads_fewer_lists(demo_engine):
    trust = drilldown.list_table(demo_engine, Unit("RBL"), PERIOD, CAPPED)
    site = drilldown.list_table(demo_engine, Unit("RBL", "RBL02"), PERIOD, CAPPED)
    theatre_only = drilldown.list_table(
        demo_engine, Unit("RBL", "RBL02", "Theatre 1"), PERIOD, CAPPED
    )
    assert len(trust) > len(site) > len(theatre_only) > 0
    assert set(site["site"]) == {"RBL02"}
    assert set(theatre_only["theatre"]) == {"Theatre 1"}
    assert list(trust.columns) == list(drilldown.LIST_TABLE_COLUMNS)
    assert trust["session_date"].is_monotonic_decreasing
    assert set(trust["meets_target"]) <= {"✓", "✗", "–"}
    # ✓ exactly where the list's capped utilisation reaches the 85% benchmark
    met = trust["capped_utilisation"] >= TARGET
    assert (trust.loc[met, "meets_target"] == "✓").all()
    assert (trust.loc[~met & trust["capped_utilisation"].notna(), "meets_target"] == "✗").all()


def test_nothing_matches_gives_an_empty_view(demo_engine):
    view = drilldown.unit_view(demo_engine, Unit("RBL", specialty="No such"), PERIOD, TARGET)
    assert view.empty and view.waterfall.empty and view.weekly.empty
    assert drilldown.list_table(demo_engine, Unit("XXX"), PERIOD, CAPPED).empty


def test_specialty_comparison_covers_every_trust_with_the_specialty(demo_engine):
    everything = drilldown.specialty_comparison(demo_engine, Unit("RBL"), PERIOD, CAPPED)
    assert "▶ RBL" in set(everything["trust"])
    report = marts.theatre_report(demo_engine, by="trust").set_index("trust_code")
    by_trust = everything.set_index("trust_code").loc[report.index]
    assert by_trust["capped_utilisation"].tolist() == pytest.approx(
        report["capped_utilisation"].tolist()
    )
    assert by_trust["lists"].tolist() == report["lists"].tolist()
    assert everything["capped_utilisation"].is_monotonic_decreasing
    ent = drilldown.specialty_comparison(demo_engine, Unit(None, specialty="ENT"), PERIOD, CAPPED)
    assert 0 < len(ent) <= len(everything)
    assert not ent["trust"].str.startswith("▶").any()


def test_stored_rebase_splits_the_spc_chart(demo_engine):
    unit = Unit("RBL", "RBL02")  # the page tests rebase other units of the shared demo store
    weekly = drilldown.unit_view(demo_engine, unit, PERIOD, TARGET).weekly
    series = drilldown.spc_series(weekly)
    middle = series["date"].iloc[len(series) // 2].date()
    rebase.add_rebase(demo_engine, unit.key, drilldown.UTILISATION_METRIC, middle, "Huddle", "t")
    stored = rebase.list_rebases(demo_engine, unit.key, drilldown.UTILISATION_METRIC)
    result = drilldown.unit_spc(series, stored["date"], CAPPED)
    assert result.periods["start"].iloc[1].date() == middle
    assert drilldown.rebase_markers(stored, series)["date"].tolist() == [middle.isoformat()]
