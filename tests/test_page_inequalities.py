"""The Health inequalities page in AppTest on the 3-month demo: tests, trusts, empty states."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

TIMEOUT = 60  # seconds: the first run of a session reads the store
PAGE = str(Path(__file__).resolve().parent.parent / "pages" / "Inequalities.py")


@pytest.fixture
def page(demo_url, monkeypatch):
    """A fresh AppTest of the page file (as a deep link runs it), on the demo store."""
    monkeypatch.setenv("DATABASE_URL", demo_url)
    monkeypatch.delenv("PRODUCTIVITY_BENCHMARKS", raising=False)
    st.cache_data.clear()
    st.cache_resource.clear()  # ui.engine() may hold another test's store

    def start(**query: str) -> AppTest:
        at = AppTest.from_file(PAGE, default_timeout=TIMEOUT)
        for key, value in query.items():
            at.query_params[key] = value
        # AppTest has no URL path, so the frame's navigation would pick the default page;
        # a real deep link's path (/Inequalities) picks this one, as switch_page does here.
        at.switch_page("Inequalities.py")
        return at.run()

    return start


def specs(at: AppTest) -> list[dict]:
    """Each Vega-Lite chart's spec, with its datasets decoded into DataFrames."""
    found = []
    for element in at.get("vega_lite_chart"):
        spec = json.loads(element.proto.spec)
        spec["frames"] = {
            d.name: pa.ipc.open_stream(d.data.data).read_all().to_pandas()
            for d in element.proto.datasets
        }
        found.append(spec)
    return found


def spec_text(spec: dict) -> str:
    """A chart's spec without its data, as text to search for titles and labels."""
    return json.dumps({k: v for k, v in spec.items() if k not in ("frames", "datasets")})


def table(at: AppTest, column: str) -> pd.DataFrame:
    """The first table with a column whose heading starts with ``column``."""
    return next(d.value for d in at.dataframe if any(str(c).startswith(column) for c in d.value))


def test_the_page_draws_quintiles_ratios_and_spc(page):
    at = page()
    assert not at.exception
    assert at.title[0].value == "Health inequalities"
    assert at.selectbox(key="test").value == "MRI"
    # % within 6 weeks by quintile, the waiting distribution by quintile (the demo stores the
    # bands), the forest of ratios, the SPC chart; each with a download
    assert len(at.get("vega_lite_chart")) == 4
    assert len(at.get("download_button")) == 4
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
    assert "<6 weeks (≥95%)" in quintiles.columns  # the benchmark, from the benchmark file


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
    forest = table(at, "Ratio (95% CI)").set_index("Trust")
    assert forest.index[0] == "System"
    assert forest.loc["▶ REM", "Evidence"] == "▲ wider gap"
    assert forest.loc["RBL", "Evidence"] == "● no evidence of a gap"
    (frames,) = [s["frames"] for s in specs(at) if "log scale" in spec_text(s)]
    (points,) = [f for f in frames.values() if "evidence_text" in f]
    assert {"▲ wider gap", "● no evidence of a gap"} <= set(points["evidence_text"])
    (rule,) = [f for f in frames.values() if "label" in f and "value" in f]
    assert rule.iloc[0].to_dict() == {"value": 1.0, "label": "1 = no gap"}
    (spc,) = [s for s in specs(at) if "Variation" in json.dumps(s.get("title", ""))]
    assert "Assurance" in json.dumps(spc["title"])
    assert any("Lower is better" in c.value for c in at.caption)


def test_a_trust_without_the_test_says_so(page):
    at = page(trust="REN", test="Cardiology - Echocardiography")  # a cancer trust: no echo
    assert not at.exception
    messages = [i.value for i in at.info]
    assert any("Nobody is recorded by IMD quintile" in m for m in messages)
    assert any("months with a Q1:Q5 ratio" in m for m in messages)
    assert len(at.get("vega_lite_chart")) == 1  # the other trusts' ratios are still compared
