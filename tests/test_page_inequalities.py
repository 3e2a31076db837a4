"""The Health inequalities page in AppTest on the 3-month demo: tests, trusts, empty states,
each section in its tab; and the per-month frames its tabs pick from, equal to the views'."""

from __future__ import annotations

import json

import pandas as pd
import pandas.testing as pdt
import pytest

from productivity import schema
from productivity.charts import QUINTILE_LABELS
from productivity.metrics import deprivation as dep, waits
from productivity.store import marts, readers
from productivity.views import inequalities as dd
from tests.conftest import (
    app_page,
    chart_specs as specs,
    every_tab,
    open_tab,
    spec_text,
    table_with as table,
)

TABS = [
    "Waits by deprivation", "Waiting-time bands", "Waits gap by trust", "Waits gap over time",
    "DNAs by deprivation", "DNA ratio by trust", "DNA gap over time",
]  # fmt: skip


@pytest.fixture
def page(demo_url, monkeypatch):
    """A fresh AppTest of the page file (as a deep link runs it), on the demo store."""
    return app_page(monkeypatch, demo_url, "Inequalities.py")


def test_each_tab_draws_its_own_section_only(page):
    at = page()
    assert not at.exception
    assert at.title[0].value == "Health inequalities"
    assert at.selectbox(key="test").value == "MRI"
    # % within 6 weeks by quintile, the waiting distribution by quintile (the demo stores the
    # bands), the forest of ratios, the SPC chart; then DNA rates by quintile, the standardised
    # DNA ratio funnel and the SPC of the Q1 − Q5 DNA gap: a chart and a download each, in a
    # tab each, the open one only drawn
    drawn, headings = {}, {}
    for label, shown in every_tab(at):
        assert not shown.exception, label
        drawn[label] = (len(shown.get("vega_lite_chart")), len(shown.get("download_button")))
        headings[label] = [h.value for h in shown.subheader]
    assert drawn == dict.fromkeys(TABS, (1, 1))  # in page order
    assert list(drawn) == TABS
    assert any(h.startswith("Is the gap widening?") for h in headings["Waits gap over time"])
    assert not any(h.startswith("Is the gap widening?") for h in headings[TABS[0]])


def test_the_first_tab_shows_the_quintiles_by_catalogue_key(page):
    at = page()
    quintiles = table(at, "Quintile")
    assert list(quintiles["Quintile"]) == [
        "Q1 most deprived",
        "Q2",
        "Q3",
        "Q4",
        "Q5 least deprived",
    ]
    # numbers under catalogue keys, each judged value with its own ✓/✗ column
    assert {"total_waiting", "within_6_weeks", "within_6_weeks_meets"} <= set(quintiles.columns)
    assert set(quintiles["within_6_weeks_meets"]) <= {"✓", "✗", "–"}


def test_a_query_parameter_preselects_the_test(page):
    # The selectbox shows DM01 test names, and the URL carries the name shown.
    at = page(test="Computed Tomography")
    assert not at.exception
    assert at.selectbox(key="test").value == "CT"
    assert any(h.value.startswith("Computed Tomography:") for h in at.subheader)


def test_choosing_another_test_redraws_the_page(page):
    at = page()
    at.selectbox(key="test").select("NON_OBSTETRIC_ULTRASOUND").run()
    at.run()  # a query-parameter-bound widget may settle on the second run
    assert not at.exception
    assert at.selectbox(key="test").value == "NON_OBSTETRIC_ULTRASOUND"
    assert any(h.value.startswith("Non-obstetric Ultrasound:") for h in at.subheader)


def test_the_forest_marks_the_gap_in_words_and_the_chosen_trust(page):
    at = open_tab(page(trust="REM"), "Waits gap by trust")
    assert not at.exception
    forest = table(at, "quintile_ratio").set_index("Trust")
    assert forest.index[0] == "System"
    assert forest.loc["▶ REM", "Evidence"] == "▲ wider gap"
    assert forest.loc["RBL", "Evidence"] == "● no evidence of a gap"
    (frames,) = [s["frames"] for s in specs(at) if "log scale" in spec_text(s)]
    (points,) = [f for f in frames.values() if "evidence_text" in f]
    assert {"▲ wider gap", "● no evidence of a gap"} <= set(points["evidence_text"])
    (rule,) = [f for f in frames.values() if "label" in f and "value" in f]
    assert rule.iloc[0].to_dict() == {"value": 1.0, "label": "1 = no gap"}
    # the Q1:Q5 waits SPC, then the DNA gap's, each in its tab
    (spc,) = [s for s in specs(open_tab(at, "Waits gap over time")) if "Variation" in
              json.dumps(s.get("title", ""))]  # fmt: skip
    assert "Assurance" in json.dumps(spc["title"])
    assert any("Lower is better" in c.value for c in at.caption)
    (dna_spc,) = specs(open_tab(at, "DNA gap over time"))
    assert "Variation" in json.dumps(dna_spc.get("title", ""))


def test_a_trust_without_the_test_says_so(page):
    at = page(trust="REN", test="Cardiology - Echocardiography")  # a cancer trust: no echo
    assert not at.exception
    messages, charts = [], {}
    for label, shown in every_tab(at):
        messages += [i.value for i in shown.info]
        charts[label] = len(shown.get("vega_lite_chart"))
    assert any("Nobody is recorded by IMD quintile" in m for m in messages)
    assert any("months with a Q1:Q5 ratio" in m for m in messages)
    # the other trusts' ratios are still compared; REN has appointments for the three DNA charts
    assert charts == dict(zip(TABS, [0, 0, 1, 0, 1, 1, 1], strict=True))


def test_the_dna_sections_draw_the_funnel_and_the_gap(page):
    at = open_tab(page(), "DNA gap over time")
    assert not at.exception
    assert any(h.value.startswith("Is the DNA gap widening?") for h in at.subheader)
    at = open_tab(at, "DNA ratio by trust")
    assert "Standardised DNA ratio by trust: funnel" in [h.value for h in at.subheader]
    assert at.toggle(key="dna_overdispersion").value is True
    funnel = next(s for s in specs(at) if "Standardised DNA ratio" in spec_text(s))
    assert "Control limits" in spec_text(funnel)  # the 95% and 99.8% lines' legend
    (rule,) = [f for f in funnel["frames"].values() if "label" in f and "value" in f]
    assert rule.iloc[0].to_dict() == {"value": 1.0, "label": "benchmark 1"}
    (limits,) = [f for f in funnel["frames"].values() if "level" in f]
    assert set(limits["level"]) == {"95%", "99.8%"}
    quintiles = table(open_tab(at, "DNAs by deprivation"), "Q1 − Q5 gap")
    assert "Q1 most deprived" in quintiles.columns and len(quintiles) == 12  # every demo trust


def test_the_dna_filters_come_from_the_url(page):
    at = page(service="MRI", dna_overdispersion="false", tab="DNA ratio by trust")
    assert not at.exception
    assert at.selectbox(key="service").value == "MRI"
    assert at.toggle(key="dna_overdispersion").value is False
    assert any("overdispersion adjustment off" in c.value for c in at.caption)


def test_a_link_to_a_tab_opens_it_and_an_unknown_one_the_first(page):
    at = page(tab="Waiting-time bands")
    assert not at.exception
    assert any("waiting-time distribution" in h.value for h in at.subheader)
    assert table(at, "Weeks waiting") is not None
    at = page(tab="No such tab")
    assert any("% within 6 weeks by IMD quintile" in h.value for h in at.subheader)


PERIODS = [(None, None), ("2025-05", None), (None, "2025-05"), ("2025-06", "2025-06")]


@pytest.mark.parametrize(("start", "end"), PERIODS)
def test_the_tabs_per_month_frames_are_the_views_exactly(demo_engine, start, end):
    """Picked from every month's rows, worked out once for every trust: exactly what the view
    gives from a read of the period (values, types and order)."""
    for test in ("MRI", "BARIUM_ENEMA", "ECHOCARDIOGRAPHY"):
        every = readers.dm01_by_imd(demo_engine, marts.Period(), test)
        assert dd.sliceable(every)
        rows = readers.dm01_by_imd(demo_engine, marts.Period(start, end), test)
        month = dd.latest_month_in(every, start, end)
        assert month == dd.latest_month(rows)
        if month is None:
            continue
        in_month = dd.in_months(every, month, month)
        quintiles, bands = dd.quintiles_by_unit(every), dd.bands_by_unit(in_month)
        pdt.assert_frame_equal(dd.forest_rows(in_month), dd.forest_rows(rows), check_exact=True)
        picked = dd.in_months(every, start, end)
        for trust in (None, *sorted(every["provider_code"].unique())):
            whole, split = (
                dd.latest_waits(rows, trust),
                dd.latest_of(quintiles, bands, trust, month),
            )
            assert (split.unit, split.month) == (whole.unit, whole.month)
            if whole.quintiles.empty:
                assert split.quintiles.empty and split.bands.empty
                continue
            pdt.assert_frame_equal(whole.quintiles, split.quintiles, check_exact=True)
            pdt.assert_frame_equal(whole.bands, split.bands, check_exact=True)
            trend = dd.ratio_trend(picked, trust)
            pdt.assert_frame_equal(
                dd.ratio_trend(rows, trust).monthly, trend.monthly, check_exact=True
            )
        view = dd.inequalities_view(demo_engine, marts.Period(start, end), test, None)
        pdt.assert_frame_equal(
            view.quintiles, dd.latest_of(quintiles, bands, None, month).quintiles
        )


def test_rows_with_a_missing_band_are_read_per_period_not_sliced(demo_engine):
    # A band missing anywhere makes every count read with it a float, which a period without
    # the gap would read as an integer: the page then reads each period as before.
    every = readers.dm01_by_imd(demo_engine, marts.Period(), "MRI")
    gap = every.copy()
    gap.loc[0, schema.DM01_BANDS[0]] = None
    assert dd.sliceable(every) and not dd.sliceable(gap)
    assert dd.sliceable(every.drop(columns=list(schema.DM01_BANDS)))  # no bands stored at all


def _apart(system: pd.DataFrame, trusts: pd.DataFrame) -> pd.DataFrame:
    """The system's frame then the trusts' one, as the views made them before grouping them
    together (:func:`dd.with_system`)."""
    return pd.concat([system.assign(provider_code=dd.SYSTEM), trusts], ignore_index=True)


@pytest.mark.parametrize("test", sorted(schema.DM01_TESTS))
def test_the_system_grouped_with_the_trusts_gives_the_same_frames(demo_engine, test):
    """One grouping of the rows and the system's copy of them (:func:`dd.with_system`) gives
    exactly the frames two groupings (the system's, the trusts') gave: values, types, order."""
    every = readers.dm01_by_imd(demo_engine, marts.Period(), test)
    quintiles = _apart(
        dep.within_6_weeks_by_quintile(every, ["month"]),
        dep.within_6_weeks_by_quintile(every, dd.UNIT_KEYS),
    )
    quintiles = quintiles[quintiles["total_waiting"] > 0]
    quintiles = quintiles.assign(quintile=quintiles["imd_quintile"].map(QUINTILE_LABELS))
    pdt.assert_frame_equal(dd.quintiles_by_unit(every), quintiles, check_exact=True)
    for month in sorted(every["month"].unique()):
        rows = dd.in_months(every, month, month)
        forest = _apart(dep.quintile_ratio(rows, []), dep.quintile_ratio(rows, ["provider_code"]))
        forest = forest[forest["total_waiting_most"] + forest["total_waiting_least"] > 0]
        forest = forest.assign(
            _trusts=forest["provider_code"] != dd.SYSTEM, _lower=forest["ratio_lower"].fillna(-1.0)
        ).sort_values(["_trusts", "_lower", "provider_code"], ascending=[True, False, True])
        forest = forest.drop(columns=["_trusts", "_lower"]).reset_index(drop=True)
        pdt.assert_frame_equal(dd.forest_rows(rows), forest, check_exact=True)
        if not dd.has_bands(rows):
            assert dd.bands_by_unit(rows).empty
            continue
        bands = _apart(
            waits.waiting_distribution(rows, ["month", "imd_quintile"]),
            waits.waiting_distribution(rows, [*dd.UNIT_KEYS, "imd_quintile"]),
        )
        bands = bands.assign(quintile=bands["imd_quintile"].map(QUINTILE_LABELS))
        pdt.assert_frame_equal(dd.bands_by_unit(rows), bands, check_exact=True)
