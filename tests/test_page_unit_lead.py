"""The Theatres page for the unit lead (issue 16), in AppTest on the 3-month demo store: every
measure's tile and trend, the ranking with its links, day-case rates, the shift in words with
its one-click rebase, small numbers, and every new control bound to the URL."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pandas as pd
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from productivity.ui import unit_lead
from productivity.views import theatre_measures, theatre_ranking
from tests.conftest import app_page, chart_specs as charts, spec_text
from tests.test_auth import ENTRA_AUTH, entra_user

ROOT = Path(__file__).resolve().parent.parent
# In the 3-month demo this theatre's weekly capped utilisation shifts up from 31 August 2026
# (7 weeks above the mean); found with views.theatre_change.latest_shift.
SHIFTED = {"trust": "RBL", "site": "RBL01", "theatre": "Theatre 11"}


@pytest.fixture
def page(demo_url, monkeypatch):
    return app_page(monkeypatch, demo_url, "Theatres.py", from_entrypoint=True)


def table(at: AppTest, *columns: str) -> pd.DataFrame:
    return next(d.value for d in at.dataframe if set(columns) <= set(d.value.columns))


def chart_with(at: AppTest, text: str) -> dict:
    return next(c for c in charts(at) if text in spec_text(c))


def first_frame(spec: dict) -> pd.DataFrame:
    return next(iter(spec["frames"].values()))


def test_every_measure_has_a_tile_with_its_trend(page):
    at = page(trust="RBL", tab="Where the minutes went")  # the tiles stay above every tab
    assert not at.exception
    labels = [m.label for m in at.metric]
    assert labels == [
        "Capped utilisation", "Uncapped utilisation", "Additional cases (realisable)",
        "Lost time", "Late starts", "Early finishes", "Overruns", "Median changeover gap",
        "Cases per list", "Touch minutes per case", "Unused sessions",
        "On-the-day cancellations",
    ]  # fmt: skip
    values = {m.label: m.value for m in at.metric}
    assert values["Capped utilisation"][0] in "✓✗" and values["Lost time"].endswith(" h")
    assert values["Median changeover gap"].endswith(" min")
    assert values["On-the-day cancellations"][0] in "✓✗"  # against the 1% benchmark
    notes = {m.label: m.proto.delta for m in at.metric}
    assert notes["On-the-day cancellations"].startswith("clinical ")  # by reason
    # Lost time is in hours, never raw minutes: the waterfall's table too.
    steps = table(at, "step", "hours", "minutes_per_list")
    assert steps["hours"].max() < 50_000 and "minutes_per_list" in steps


def test_small_numbers_are_marked_and_not_coloured_as_a_miss(page):
    # Theatre 1 at RBL01 did breast surgery on 2 lists in the 3 months.
    at = page(trust="RBL", site="RBL01", theatre="Theatre 1", specialty="Breast Surgery")
    assert not at.exception
    headline = at.subheader[0].value
    assert "2 lists" in headline and "small numbers" in headline
    values = {m.label: m.value for m in at.metric}
    assert values["Capped utilisation"][0] not in "✓✗"
    assert values["On-the-day cancellations"][0] not in "✓✗"
    assert "small numbers" not in page(trust="RBL").subheader[0].value


def test_the_trend_measure_is_picked_and_bound_to_the_url(page):
    at = page(trust="RBL", trend="Late starts")
    assert not at.exception
    assert at.selectbox(key="trend").value == "Late starts"
    lines = first_frame(charts(at)[0])
    assert set(lines["measure"]) == {"Lists starting late"}
    at.selectbox(key="trend").select("On-the-day cancellations").run()
    assert not at.exception
    spec = charts(at)[0]
    assert set(first_frame(spec)["measure"]) == {"Non-clinical", "Clinical"}
    assert "benchmark 1.0%" in spec_text(spec)  # the 1% non-clinical benchmark line
    at.selectbox(key="trend").select("Median changeover gap").run()
    assert not at.exception
    assert len(first_frame(charts(at)[0])) == 3  # monthly: one point per demo month


def test_weekly_trends_leave_out_weeks_cut_by_the_period(page):
    at = page(trust="RBL", trend="Utilisation")
    weeks = pd.to_datetime(first_frame(charts(at)[0])["period"])
    lists = table(page(trust="RBL", tab="Lists"), "session_date", "planned_start")
    first_month = lists["session_date"].min()[:7]
    assert weeks.min() >= pd.Timestamp(f"{first_month}-01")  # no Monday before the period


@pytest.mark.parametrize("measure", ["Late starts", "Realisable additional cases"])
def test_the_ranking_sorts_by_the_chosen_measure_and_links_into_each_unit(page, measure):
    at = page(trust="RBL", rank=measure, tab="Ranking")
    assert not at.exception
    assert at.selectbox(key="rank").value == measure
    labels = [t.label for t in at.tabs]
    for label in unit_lead.TABS:  # the page's own tabs; the ranking's are left
        labels.remove(label)
    assert labels == ["Theatres", "Specialties", "Lists"]
    column = theatre_ranking.RANK_MEASURES[measure].column
    theatres = table(at, "theatre", "link", "gap_minutes")
    assert theatres[column].is_monotonic_decreasing
    specialties = table(at, "specialty", "link", "gap_minutes")
    assert specialties[column].is_monotonic_decreasing and len(specialties) >= 5
    lists = table(at, "session_date", "link", "gap_minutes")
    assert len(lists) == theatre_ranking.LIST_LIMIT and lists[column].is_monotonic_decreasing
    # Every cause of lost minutes is a column to sort by.
    assert {"unused_minutes", "late_start_minutes", "gap_minutes", "early_finish_minutes",
            "overrun_minutes", "realisable_additional_cases"} <= set(theatres)  # fmt: skip
    # Following a theatre's link selects it on this page.
    url = urlsplit(theatres["link"].iloc[0])
    assert url.path == "Theatres"
    query = dict(parse_qsl(url.query))
    assert query["trust"] == "RBL" and query["from"] <= query["to"]
    drilled = page(**query)
    assert not drilled.exception
    assert drilled.selectbox(key="site").value == theatres["site"].iloc[0]
    assert drilled.selectbox(key="theatre").value == theatres["theatre"].iloc[0]


def test_the_heatmap_shows_the_ranking_measure(page):
    at = page(trust="RBL", tab="Ranking")
    util = chart_with(at, "Capped util.")
    at.selectbox(key="rank").select("Late starts").run()
    assert not at.exception
    late = chart_with(at, "Late starts (min per list)")
    cells = first_frame(late)
    assert {"weekday", "session", "late_start_minutes_per_list"} <= set(cells)
    assert cells["late_start_minutes_per_list"].max() > 1  # minutes, not a ratio
    assert first_frame(util)["capped_utilisation"].max() <= 1


def test_day_case_rates_by_procedure_site_and_specialty(page):
    at = page(trust="RBL", tab="Day case")
    assert not at.exception
    rates = table(at, "procedure", "daycase_rate", "target_rate")
    hernia = rates.set_index("procedure_group").loc["inguinal_hernia"]
    assert hernia["target_rate"] == pytest.approx(0.80)
    assert hernia["additional_daycases"] == pytest.approx(
        max(
            0, 0.8 * (hernia["elective_cases"] + hernia["daycase_cases"]) - hernia["daycase_cases"]
        ),
        abs=0.05,
    )
    assert hernia["meets_target"] in ("✓", "✗")
    chart = chart_with(at, "Day-case rate")
    assert "inguinal" in json.dumps(list(first_frame(chart)["procedure"])).lower()
    at.segmented_control(key="daycase_by").set_value("Site").run()
    assert not at.exception
    assert set(table(at, "site", "daycase_rate")["site"]) == {"RBL01", "RBL02"}
    by_site = page(trust="RBL", daycase_by="Site", tab="Day case")
    assert not by_site.exception
    assert set(table(by_site, "site", "daycase_rate")["site"]) == {"RBL01", "RBL02"}
    by_specialty = page(trust="RBL", daycase_by="Specialty", tab="Day case")
    assert "General Surgery" in set(table(by_specialty, "specialty", "daycase_rate")["specialty"])


def test_a_shift_is_said_in_words_and_rebased_in_one_click(page):
    at = page(**SHIFTED, tab="SPC")
    assert not at.exception
    words = [i.value for i in at.info if "Since the week of" in i.value]
    assert words and "31 August 2026" in words[0] and "improving" in words[0]
    assert "%" in words[0] and "before" in words[0]
    points = next(f for f in chart_with(at, "Variation")["frames"].values() if "icon" in f)
    assert set(points["icon"]) <= {"I", "C", "H", "L"} and len(points) >= 7  # letters on points
    at.text_input(key="shift_reason").input("Second anaesthetist on Theatre 11")
    button = next(b for b in at.get("form_submit_button") if b.label.startswith("Rebase from"))
    assert button.label == "Rebase from 31 Aug 2026"
    button.click().run()
    assert not at.exception
    assert any("stored" in s.value for s in at.success)
    markers = next(f for f in chart_with(at, "Variation")["frames"].values() if "reason" in f)
    assert markers["date"].tolist() == ["2026-08-31"]
    assert markers["reason"].tolist() == ["Second anaesthetist on Theatre 11"]
    # The limits are recalculated from the shift: no shift left to report.
    assert not any("Since the week of" in i.value for i in at.info)


@pytest.mark.parametrize(("roles", "can"), [(["viewer"], False), (["data_manager"], True)])
def test_only_a_data_manager_gets_the_one_click_rebase(demo_url, monkeypatch, roles, can):
    monkeypatch.setenv("DATABASE_URL", demo_url)
    st.cache_data.clear()
    st.cache_resource.clear()
    at = AppTest.from_file(str(ROOT / "pages" / "Theatres.py"), default_timeout=90)
    at.secrets.update({"auth": ENTRA_AUTH})
    at.user = entra_user("Sam User", roles=roles)
    for key, value in {**SHIFTED, "theatre": "Theatre 13", "tab": "SPC"}.items():
        at.query_params[key] = value
    at.switch_page("Theatres.py")
    at.run()
    assert not at.exception
    assert any("Since the week of" in i.value for i in at.info)  # everyone reads the words
    labels = [b.label for b in at.get("form_submit_button")]
    assert any(label.startswith("Rebase from") for label in labels) is can


def test_tiles_of_five_hand_computed_lists_are_small_numbers():
    from productivity.benchmarks import load_benchmarks
    from productivity.metrics import theatre
    from tests.test_metrics_theatre import CASES, LISTS

    per = theatre.list_metrics(LISTS, CASES)
    summary = theatre.summarise(per, theatre.case_gaps(LISTS, CASES), [])
    assert theatre_measures.small_numbers(summary)  # 5 lists < 10
    rows = theatre_measures.unit_tiles(summary, pd.DataFrame(), load_benchmarks())
    tiles = {t.label: t for row in rows for t in row}
    # 675 of 1200 planned minutes -> 56.2%, shown without ✓ or ✗.
    assert tiles["Capped utilisation"].value == "56.2%"
    assert "small numbers" in (tiles["Capped utilisation"].note or "")
    # Lost 1200 − 675 = 525 minutes = 9 h, 105 minutes per list.
    assert tiles["Lost time"].value == "9 h" and tiles["Lost time"].note == "105 min per list"
    assert tiles["Unused sessions"].value == "1" and tiles["Cases per list"].value == "1.6"
    assert theatre_measures.headline("RBL", summary) == (
        "RBL: 5 lists :gray-badge[:material/info: small numbers]"
    )
