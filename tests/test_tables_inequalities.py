"""Issue 15 on the Health inequalities and Reporting pages: every table keeps its numbers numeric
(so a column sorts as numbers) with the column catalogue's format, and counts of 1 to 4
patients are still hidden on screen and starred in the CSV; events (examinations) never are."""

from __future__ import annotations

import io
import json

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from productivity.columns import COLUMNS
from productivity.export import SUPPRESSED
from productivity.ui.widgets import number_format
from tests.conftest import app_page, every_tab
from tests.test_tables import downloads  # noqa: F401  (a fixture)


def tables(at: AppTest) -> list[tuple[pd.DataFrame, dict]]:
    """Every table the run drew: its data and the column settings the browser receives."""
    return [(d.value, json.loads(d.proto.columns)) for d in at.dataframe]


def every_table(at: AppTest) -> list[tuple[pd.DataFrame, dict]]:
    """Every table of every tab of the page (each tab drawn in turn)."""
    found: list[tuple[pd.DataFrame, dict]] = []
    for _, shown in every_tab(at):
        assert not shown.exception
        found += tables(shown)
    return found


def with_column(
    at: AppTest | list[tuple[pd.DataFrame, dict]], name: str
) -> tuple[pd.DataFrame, dict]:
    """The first table with the column ``name``: of the run, or of ``every_table``'s list."""
    found = tables(at) if isinstance(at, AppTest) else at
    return next((frame, config) for frame, config in found if name in frame.columns)


def fmt(config: dict, name: str) -> str | None:
    return config[name]["type_config"].get("format")


def expected_format(key: str) -> str | None:
    return number_format(COLUMNS[key].fmt)


def no_numbers_as_text(found: list[tuple[pd.DataFrame, dict]]) -> None:
    """No table holds a number (or a percentage) formatted as text (a code such as the patient
    source ``01`` is a label, not a number)."""
    for frame, _ in found:
        for name in frame.columns:
            if pd.api.types.is_numeric_dtype(frame[name]):
                continue
            text = frame[name].dropna().astype(str)
            assert not text.str.fullmatch(r"(?!0\d)[✓✗]? ?[-+]?[\d,]+(\.\d+)?%?").any(), name


@pytest.fixture
def inequalities(demo_url, monkeypatch):
    return app_page(monkeypatch, demo_url, "Inequalities.py")


@pytest.fixture
def reporting(demo_url, monkeypatch):
    return app_page(monkeypatch, demo_url, "Reporting.py")


def test_the_inequalities_tables_are_numbers_in_the_catalogue_format(inequalities):
    at = inequalities()
    assert not at.exception
    found = every_table(at)
    no_numbers_as_text(found)
    quintiles, config = with_column(found, "within_6_weeks_meets")
    for key in ("total_waiting", "waiting_6_plus", "waiting_13_plus"):
        assert pd.api.types.is_numeric_dtype(quintiles[key]), key
        assert fmt(config, key) == expected_format(key) == "%,.0f"  # 3,957 not 3957
    assert config["within_6_weeks"]["type_config"]["format"] == "percent"
    assert config["within_6_weeks"]["label"] == "Within 6 weeks (≥95%)"  # the benchmark file's
    assert config["within_6_weeks_meets"]["label"] == "✓/✗"
    assert config["Quintile"]["pinned"] is True
    # Sorting "Waiting" sorts numbers: the largest list first, not "888" before "3,957".
    waiting = quintiles["total_waiting"]
    assert waiting.sort_values(ascending=False).tolist() == sorted(waiting, reverse=True)

    forest, config = with_column(found, "quintile_ratio")
    numeric = ["quintile_ratio", "Lower 95%", "Upper 95%", "share_6_plus_most", "quintile_gap"]
    assert all(pd.api.types.is_float_dtype(forest[c]) for c in numeric)
    assert fmt(config, "quintile_ratio") == fmt(config, "Lower 95%") == "%.2f"
    assert fmt(config, "share_6_plus_most") == "percent"
    assert fmt(config, "total_waiting_most") == "%,.0f"
    assert fmt(config, "quintile_gap") == expected_format("quintile_gap") == "%.1f"
    assert config["Trust"]["pinned"] is True

    bands, config = with_column(found, "Weeks waiting")
    assert fmt(config, "Q1 most deprived") == "percent"
    assert pd.api.types.is_float_dtype(bands["Q1 most deprived"])
    spc, config = with_column(found, "Rule")
    assert fmt(config, "Upper limit") == fmt(config, "quintile_ratio") == "%.2f"


def test_the_dna_tables_are_numbers_in_the_catalogue_format(inequalities):
    found = every_table(inequalities())
    rates, config = with_column(found, "Q1 − Q5 gap")
    assert pd.api.types.is_float_dtype(rates["Q1 most deprived"])
    assert fmt(config, "Q1 most deprived") == fmt(config, "Q1 − Q5 gap") == "percent"
    funnel, config = with_column(found, "standardised_ratio")
    assert pd.api.types.is_numeric_dtype(funnel["dnas"])
    assert fmt(config, "dnas") == "%,.0f"
    assert fmt(config, "expected_dnas") == fmt(config, "Lower 99.8%") == "%.2f"
    gap, config = with_column(found, "Q5 least deprived")
    assert fmt(config, "Q5 least deprived") == "percent"


def test_small_waiting_lists_by_quintile_are_hidden_and_starred(inequalities, downloads):  # noqa: F811
    at = inequalities(tab="Waits gap by trust")
    at.selectbox(key="test").select("BARIUM_ENEMA").run()
    at.run()  # a query-parameter-bound widget may settle on the second run
    assert not at.exception
    forest, _ = with_column(at, "quintile_ratio")
    # REM has 4 barium enema patients in Q5: a patient count, hidden on screen (still numeric)
    rem = forest.set_index("Trust").loc["REM"]
    assert pd.api.types.is_float_dtype(forest["total_waiting_least"])
    assert pd.isna(rem["total_waiting_least"]) and rem["total_waiting_most"] == 19
    assert any("count of 1 to 4 patients" in c.value for c in at.caption)
    (name,) = [n for n in downloads if n.endswith("-ratio.csv") and "barium" in n]
    csv = pd.read_csv(io.BytesIO(downloads[name]), dtype=str).set_index("provider_code")
    assert csv.loc["REM", "total_waiting_least"] == SUPPRESSED
    assert csv.loc["REM", "total_waiting_most"] == "19"


def test_the_reporting_tables_are_numbers_and_events_are_never_hidden(reporting, downloads):  # noqa: F811
    at = reporting()
    assert not at.exception
    found = every_table(at)
    no_numbers_as_text(found)
    marks, config = with_column(found, "reporting_ct_urgent_meets")
    assert pd.api.types.is_float_dtype(marks["reporting_ct_urgent"])
    assert config["reporting_ct_urgent"]["label"] == "CT urgent (≥95%)"
    assert config["Trust"]["pinned"] is True
    days, config = with_column(found, "turnaround_days")
    assert pd.api.types.is_integer_dtype(days["turnaround_days"])
    assert fmt(config, "turnaround_days") == "%,.0f" and fmt(config, "events") == "%,.0f"
    backlog, config = with_column(found, "0-7 days")
    assert pd.api.types.is_integer_dtype(backlog["0-7 days"])
    assert fmt(config, "0-7 days") == fmt(config, "unreported") == "%,.0f"
    spc, config = with_column(found, "Upper limit")
    assert fmt(config, "Upper limit") == fmt(config, "share_within_target") == "percent"
    # Events are examinations, not patients: a small count is shown, on screen and in the CSV.
    assert days["events"].between(1, 4).any()
    (name,) = [n for n in downloads if n.endswith("-days.csv")]
    csv = pd.read_csv(io.BytesIO(downloads[name]), dtype=str)
    assert SUPPRESSED not in set(csv["events"])
