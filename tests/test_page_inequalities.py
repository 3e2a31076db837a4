"""The Health inequalities page in AppTest on the 3-month demo: tests, trusts, empty states."""

from __future__ import annotations

import json

import pytest

from tests.conftest import app_page, chart_specs as specs, spec_text, table_with as table


@pytest.fixture
def page(demo_url, monkeypatch):
    """A fresh AppTest of the page file (as a deep link runs it), on the demo store."""
    return app_page(monkeypatch, demo_url, "Inequalities.py")


def test_the_page_draws_quintiles_ratios_and_spc(page):
    at = page()
    assert not at.exception
    assert at.title[0].value == "Health inequalities"
    assert at.selectbox(key="test").value == "MRI"
    # % within 6 weeks by quintile, the waiting distribution by quintile (the demo stores the
    # bands), the forest of ratios, the SPC chart; then DNA rates by quintile, the standardised
    # DNA ratio funnel and the SPC of the Q1 − Q5 DNA gap; each with a download
    assert len(at.get("vega_lite_chart")) == 7
    assert len(at.get("download_button")) == 7
    headings = [h.value for h in at.subheader]
    assert any(h.startswith("Is the gap widening?") for h in headings)
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
    at = page(trust="REM")
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
    # the Q1:Q5 waits SPC, then the DNA gap's
    spc, _ = [s for s in specs(at) if "Variation" in json.dumps(s.get("title", ""))]
    assert "Assurance" in json.dumps(spc["title"])
    assert any("Lower is better" in c.value for c in at.caption)


def test_a_trust_without_the_test_says_so(page):
    at = page(trust="REN", test="Cardiology - Echocardiography")  # a cancer trust: no echo
    assert not at.exception
    messages = [i.value for i in at.info]
    assert any("Nobody is recorded by IMD quintile" in m for m in messages)
    assert any("months with a Q1:Q5 ratio" in m for m in messages)
    # the other trusts' ratios are still compared; REN has appointments for the three DNA charts
    assert len(at.get("vega_lite_chart")) == 1 + 3


def test_the_dna_sections_draw_the_funnel_and_the_gap(page):
    at = page()
    assert not at.exception
    headings = [h.value for h in at.subheader]
    assert "Standardised DNA ratio by trust: funnel" in headings
    assert any(h.startswith("Is the DNA gap widening?") for h in headings)
    assert at.toggle(key="dna_overdispersion").value is True
    funnel = next(s for s in specs(at) if "Standardised DNA ratio" in spec_text(s))
    assert "Control limits" in spec_text(funnel)  # the 95% and 99.8% lines' legend
    (rule,) = [f for f in funnel["frames"].values() if "label" in f and "value" in f]
    assert rule.iloc[0].to_dict() == {"value": 1.0, "label": "benchmark 1"}
    (limits,) = [f for f in funnel["frames"].values() if "level" in f]
    assert set(limits["level"]) == {"95%", "99.8%"}
    quintiles = table(at, "Q1 − Q5 gap")
    assert "Q1 most deprived" in quintiles.columns and len(quintiles) == 12  # every demo trust


def test_the_dna_filters_come_from_the_url(page):
    at = page(service="MRI", dna_overdispersion="false")
    assert not at.exception
    assert at.selectbox(key="service").value == "MRI"
    assert at.toggle(key="dna_overdispersion").value is False
    assert any("overdispersion adjustment off" in c.value for c in at.caption)
