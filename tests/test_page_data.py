"""The Data page in AppTest on the 3-month demo store: its three tabs, and the data-quality
report of a trust and period as the report command reads it."""

from __future__ import annotations

import pandas as pd
import pytest

from productivity import ingest
from productivity.store import marts, reports
from tests.conftest import ROOT, app_page, every_tab, page_tab_sets

TABS = ["Import", "Data quality", "Drop folder"]


@pytest.fixture
def page(demo_url, monkeypatch):
    return app_page(monkeypatch, demo_url, "Data.py")


def subheaders(at) -> list[str]:
    return [s.value for s in at.subheader]


def test_the_import_tab_opens_first_and_each_tab_draws_only_its_section(page):
    at = page()
    assert not at.exception
    assert page_tab_sets(at) == {"tab": TABS}
    drawn = {label: subheaders(run) for label, run in every_tab(at)}
    assert drawn == {
        "Import": ["Load a file", "Import history"],
        "Data quality": ["Data quality"],
        "Drop folder": ["Scheduled drop folder"],
    }


def test_the_import_tab_has_the_uploader_and_the_history(page):
    at = page()
    assert [u.label for u in at.get("file_uploader")] == ["File", "Column map (TOML, optional)"]
    history = at.dataframe[0].value
    assert len(history) and {"kind", "status", "rows"} <= set(history.columns)


def test_the_quality_tab_shows_the_report_of_the_trust_and_period(page, demo_engine):
    months = sorted(marts.read_mart(demo_engine, marts.THEATRE_MONTH)["month"].unique())
    at = page(tab="Data quality", trust="RBL", **{"from": months[1], "to": months[-1]})
    assert not at.exception
    (table,) = [d.value for d in at.dataframe]
    expected = reports.quality_table(demo_engine, marts.Period(months[1], months[-1]), "RBL")
    assert table["trust_code"].tolist() == expected["trust_code"].tolist() == ["RBL"] * 2
    assert table["month"].tolist() == expected["month"].tolist() == months[1:]
    counts = ["lists", "cases", "anaesthetic_fallback", "lists_without_cases", "long_cases"]
    pd.testing.assert_frame_equal(
        table[counts].reset_index(drop=True), expected[counts], check_dtype=False
    )
    assert expected["lists"].gt(0).all() and expected["cases"].gt(0).all()


def test_the_drop_folder_tab_says_when_no_worker_has_run(page):
    at = page(tab="Drop folder")
    assert not at.exception
    assert any("No scheduler worker has run" in i.value for i in at.info)


def _import_upload(path: str) -> None:
    """An AppTest script: a data manager's click on Import with the file at ``path`` uploaded
    (the uploaded file as Streamlit hands it over: a name and its bytes)."""
    from pathlib import Path

    from productivity.ui import data

    class Upload:
        name = Path(path).name

        def getvalue(self) -> bytes:
            return Path(path).read_bytes()

    data.run_import(Upload(), "recognise from the columns", None, False)  # type: ignore[arg-type]


def _run_import(path, monkeypatch, url):
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("DATABASE_URL", url)
    st.cache_data.clear()
    st.cache_resource.clear()
    return AppTest.from_function(_import_upload, args=(str(path),), default_timeout=60).run()


def test_an_upload_is_imported_and_a_bad_one_names_its_problems(engine, tmp_path, monkeypatch):
    """The Import button's work: the file's rows loaded with the marts current, or nothing
    changed and a table of located problems."""
    samples = ROOT / "data" / "samples"
    # A store with some data and current marts (an empty one would get the whole demo).
    ingest.import_file(samples / "echo-activity-May-2026.csv", engine=engine)
    marts.rebuild_marts(engine)
    url = engine.url.render_as_string(hide_password=False)
    sample = samples / "endoscopy-lists-RBL-May-2026.csv"
    at = _run_import(sample, monkeypatch, url)
    assert not at.exception and not at.error
    assert "loaded 20 endoscopy rows for RBL" in at.success[0].value
    assert marts.marts_current(engine)
    uploads = reports.import_history(engine).query("source == 'upload'")
    assert uploads[["file_name", "status"]].values.tolist() == [[sample.name, "loaded"]]

    bad = tmp_path / "endoscopy-bad.csv"
    lines = sample.read_text().splitlines()
    header, first = lines[0].split(","), lines[1].split(",")
    first[header.index("planned_points")] = "many"
    bad.write_text("\n".join([lines[0], ",".join(first), *lines[2:]]) + "\n")
    at = _run_import(bad, monkeypatch, url)
    assert not at.exception and not at.success
    assert at.error[0].value.startswith(r"**endoscopy\-bad\.csv was not loaded**")  # escaped
    problems = at.dataframe[0].value
    assert "planned_points" in problems.to_string()
    uploads = reports.import_history(engine).query("source == 'upload'")  # newest first
    assert uploads["status"].tolist() == ["failed", "loaded"], "the bad file loaded nothing"
