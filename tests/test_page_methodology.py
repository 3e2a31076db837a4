"""The Methodology page in AppTest: definitions, statistics, benchmarks, overrides marked."""

from __future__ import annotations

import gc
import importlib
import tomllib
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from productivity import settings
from productivity.views import methodology

TIMEOUT = 60
PAGE = str(Path(__file__).resolve().parent.parent / "pages" / "Methodology.py")


@pytest.fixture
def page(demo_url, monkeypatch):
    """Run the Methodology page file on the demo store, optionally with a benchmark override."""
    monkeypatch.setenv("DATABASE_URL", demo_url)
    monkeypatch.delenv("PRODUCTIVITY_BENCHMARKS", raising=False)

    def start(override: Path | None = None) -> AppTest:
        if override is not None:
            monkeypatch.setenv("PRODUCTIVITY_BENCHMARKS", str(override))
        st.cache_data.clear()  # ui.benchmarks() is cached; an override must be read afresh
        st.cache_resource.clear()
        at = AppTest.from_file(PAGE, default_timeout=TIMEOUT)
        at.switch_page("Methodology.py")  # AppTest has no URL path to pick the page by
        return at.run()

    return start


def markdown(at: AppTest) -> str:
    return "\n".join(m.value for m in at.markdown)


def test_every_definition_and_the_statistics_are_shown(page):
    at = page()
    assert not at.exception
    assert at.title[0].value == "Methodology"
    assert [t.label for t in at.tabs] == list(methodology.AREAS)
    text = markdown(at)
    for d in methodology.DEFINITIONS:
        assert f"**{d.name}**" in text
        if d.column:
            assert f"`{d.column}`" in text
    assert "Benchmark 85%" in text  # filled from the benchmark file
    for title, _ in methodology.STATISTICS:
        assert f"**{title}**" in text
    assert any(b.label.startswith("Download the definitions") for b in at.get("download_button"))


def test_the_benchmark_table_is_the_file(page):
    at = page()
    shown = at.table[0].value
    with settings.BENCHMARKS_FILE.open("rb") as handle:
        raw = tomllib.load(handle)
    assert list(shown.index) == list(raw)
    for column in ("Label", "Value", "Unit", "Direction", "Status", "Effective date", "Source"):
        assert column in shown.columns
    assert shown.loc["mri_scans_per_hour", "Source"] == raw["mri_scans_per_hour"]["source"]
    assert "National value" not in shown.columns
    assert not at.warning or all("Overridden" not in w.value for w in at.warning)


def test_an_override_is_marked_with_the_national_value_beside(page, tmp_path):
    override = tmp_path / "local.toml"
    override.write_text("[mri_scans_per_hour]\nvalue = 2.8\n")
    at = page(override)
    assert not at.exception
    shown = at.table[0].value
    assert shown.loc["mri_scans_per_hour", "Value"] == "✎ 2.8 scans an hour"
    assert shown.loc["mri_scans_per_hour", "National value"] == "2.5 scans an hour"
    assert shown.loc["ct_scans_per_hour", "National value"] == ""
    assert any("✎ Overridden locally" in w.value and "mri_scans_per_hour" in w.value
               for w in at.warning)  # fmt: skip
    assert "MRI 2.8 scans an hour" in markdown(at)  # the definitions follow the override too


def test_the_first_page_run_hides_long_lived_objects_from_the_garbage_collector(page):
    # Full collections otherwise walk every module's objects: 0.1-0.2 s on a random click.
    frame = importlib.import_module("productivity.ui.frame")  # the module, not ui.frame()
    at = page()
    assert not at.exception
    assert frame._FROZEN.is_set()
    assert gc.get_freeze_count() > 100_000
