"""Every metric a report prints is defined on the Methodology page, in words and as a formula."""

from __future__ import annotations

import subprocess
import sys
import tomllib

import pytest

from productivity import settings
from productivity.benchmarks import load_benchmarks
from productivity.store import marts, reports
from productivity.views import methodology

KEYS = {"trust_code", "provider_code", "test_code", "modality", "site", "scanner_id", "month"}


@pytest.fixture(scope="module")
def bench():
    return load_benchmarks(override=None)


def test_every_spec_section_7_theatre_report_column_is_defined():
    missing = set(marts.THEATRE_REPORT_COLUMNS) - methodology.documented_columns()
    assert not missing, f"not on the Methodology page: {sorted(missing)}"


@pytest.mark.parametrize(
    "kind",
    ["theatre", "imaging", "endoscopy", "echo", "dm01", "reporting", "pathology", "attendance"],
)
def test_every_column_each_report_prints_is_defined(demo_engine, kind):
    columns = set(reports.report(kind, engine=demo_engine).columns) - KEYS
    missing = columns - methodology.documented_columns()
    assert not missing, f"report {kind}: not on the Methodology page: {sorted(missing)}"


def test_the_opportunity_to_waits_link_is_defined():
    assert "weeks_to_clear_backlog" in methodology.documented_columns()


def test_each_definition_has_words_and_a_formula_and_one_name(bench):
    found = methodology.definitions(bench)
    assert len({d.name for d in found}) == len(found)
    assert all(d.definition.strip() and d.formula.strip() for d in found)
    assert {d.area for d in found} == set(methodology.AREAS)
    columns = [d.column for d in found if d.column]
    assert len(columns) == len(set(columns))


def test_placeholders_are_benchmark_keys_and_are_all_filled(bench):
    words = methodology.benchmark_words(bench)
    for d in methodology.DEFINITIONS:
        for text in (d.definition, d.formula):
            assert methodology.placeholders(text) <= set(words), d.name
    for d in methodology.definitions(bench):
        assert "{" not in d.definition + d.formula, d.name


def test_benchmark_values_come_from_the_file(bench):
    text = {d.column: d.definition for d in methodology.definitions(bench)}
    assert "Benchmark 85%" in text["capped_utilisation"]
    assert "Interim ambition 95%; the constitutional standard is 99%" in text["within_6_weeks"]
    assert "more than 15 minutes late" in text["late_start_share"]


def test_an_override_changes_the_words(tmp_path):
    override = tmp_path / "local.toml"
    override.write_text("[theatre_capped_utilisation]\nvalue = 0.9\n")
    text = {d.column: d.definition for d in methodology.definitions(load_benchmarks(
        override=override))}  # fmt: skip
    assert "Benchmark 90%" in text["capped_utilisation"]


def test_statistics_cover_spc_funnels_and_outlier_versus_opportunity():
    titles = " ".join(title for title, _ in methodology.STATISTICS)
    words = " ".join(text for _, text in methodology.STATISTICS)
    for needed in ("SPC", "Special cause", "Funnel", "Outlier or opportunity"):
        assert needed in titles
    for needed in ("2.66", "3.267", "99.8%", "DerSimonian", "trial limits", "hit and miss"):
        assert needed in words


def test_benchmark_table_is_rendered_from_the_file_not_retyped(bench):
    with settings.BENCHMARKS_FILE.open("rb") as handle:
        raw = tomllib.load(handle)
    table = methodology.benchmark_table(bench)
    assert table["Key"].tolist() == list(raw)
    assert table.columns.tolist() == [
        "Key", "Label", "Value", "Unit", "Direction", "Status", "Effective date", "Source",
        "Notes",
    ]  # fmt: skip
    row = table.set_index("Key").loc["echo_minutes_per_test"]
    assert row["Value"] == "45 minutes" and row["Source"] == raw["echo_minutes_per_test"]["source"]
    assert row["Effective date"] == "2023-04-01"
    assert "scenario ai assisted: 20 minutes" in row["Notes"]
    assert "constitutional: 99%" in table.set_index("Key").loc["dm01_within_6_weeks", "Notes"]


def test_overridden_values_are_marked_with_the_national_value_beside(tmp_path):
    override = tmp_path / "local.toml"
    override.write_text("[ct_scans_per_hour]\nvalue = 3.5\n")
    table = methodology.benchmark_table(load_benchmarks(override=override)).set_index("Key")
    assert table.loc["ct_scans_per_hour", "Value"] == "✎ 3.5 scans an hour"
    assert table.loc["ct_scans_per_hour", "National value"] == "4 scans an hour"
    assert table.loc["mri_scans_per_hour", "Value"] == "2.5 scans an hour"
    assert table.loc["mri_scans_per_hour", "National value"] == ""


@pytest.mark.parametrize(
    ("value", "unit", "words"),
    [
        (0.85, "fraction", "85%"),
        (0.995, "fraction", "99.5%"),
        (45.0, "minutes", "45 minutes"),
        (2.5, "scans/hour", "2.5 scans an hour"),
        (0, "patients", "0"),
    ],
)
def test_format_benchmark(value, unit, words):
    assert methodology.format_benchmark(value, unit) == words


def test_methodology_imports_no_streamlit_or_store():
    code = (
        "import sys, productivity.views.methodology\n"
        "print(','.join(m for m in ('streamlit', 'sqlalchemy') if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)  # fmt: skip
    assert result.stdout.strip() == ""
