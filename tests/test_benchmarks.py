"""The benchmark file loads, validates, and takes a local override."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from productivity.benchmarks import REQUIRED_KEYS, BenchmarkError, load_benchmarks
from productivity.settings import BENCHMARKS_FILE


def test_national_file_has_every_spec_benchmark():
    benchmarks = load_benchmarks(override=None)
    expected = {
        "theatre_capped_utilisation": 0.85, "ct_scans_per_hour": 4, "mri_scans_per_hour": 2.5,
        "nous_scans_per_hour": 3, "endoscopy_list_utilisation": 0.95, "echo_minutes_per_test": 45,
        "dm01_within_6_weeks": 0.95, "dm01_13_plus_weeks": 0, "day_case_rate": 0.85,
        "otd_cancellation_rate": 0.01, "late_start_minutes": 15, "early_finish_minutes": 30,
        "overrun_minutes": 30,
    }  # fmt: skip
    for key, value in expected.items():
        assert benchmarks.value(key) == value, key
    assert set(REQUIRED_KEYS) <= set(benchmarks.items)
    for item in benchmarks:
        assert item.status in ("programme", "national", "assumed")
        assert item.direction in ("higher", "lower")
        assert isinstance(item.effective, dt.date) and item.source
    assert benchmarks["dm01_within_6_weeks"].extra["constitutional"] == 0.99
    assert benchmarks.scan_rates() == {"CT": 4.0, "MRI": 2.5, "NOUS": 3.0}
    assert benchmarks.endoscopy_points()["COLONOSCOPY"] == 2
    assert benchmarks.endoscopy_points()["list"] == 12
    assert benchmarks.overridden() == []


def test_override_replaces_one_value(tmp_path: Path):
    override = tmp_path / "local.toml"
    override.write_text("[theatre_capped_utilisation]\nvalue = 0.8\n")
    benchmarks = load_benchmarks(override=override)
    item = benchmarks["theatre_capped_utilisation"]
    assert item.value == 0.8 and item.overridden and item.national_value == 0.85
    assert benchmarks.value("ct_scans_per_hour") == 4
    assert benchmarks.overridden() == ["theatre_capped_utilisation"]
    table = benchmarks.table().set_index("key")
    assert table.loc["theatre_capped_utilisation", "overridden"]


def test_override_from_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    override = tmp_path / "local.toml"
    override.write_text("[mri_scans_per_hour]\nvalue = 3.0\n")
    monkeypatch.setenv("PRODUCTIVITY_BENCHMARKS", str(override))
    assert load_benchmarks().value("mri_scans_per_hour") == 3.0


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[ct_scans_per_hour]\nvalue = 'four'\n", r"\[ct_scans_per_hour\] value must be a number"),
        (
            "[theatre_capped_utilisation]\nvalue = 85\n",
            r"\[theatre_capped_utilisation\] is a fraction",
        ),
        ("[ct_scans_per_hour]\ndirection = 'up'\n", r"\[ct_scans_per_hour\] direction"),
        ("[ct_scans_per_hour]\nstatus = 'guess'\n", r"\[ct_scans_per_hour\] status"),
        ("[ct_scans_per_hour]\neffective = 'soon'\n", r"\[ct_scans_per_hour\] effective"),
        ("[made_up_key]\nvalue = 1\n", r"\[made_up_key\] is not a known benchmark"),
        ("not toml at all [", "not valid TOML"),
    ],
)
def test_bad_override_names_the_key(tmp_path: Path, text: str, message: str):
    override = tmp_path / "bad.toml"
    override.write_text(text)
    with pytest.raises(BenchmarkError, match=message) as info:
        load_benchmarks(override=override)
    assert "bad.toml" in str(info.value)


def test_bad_national_file_names_the_key(tmp_path: Path):
    text = BENCHMARKS_FILE.read_text().replace('unit = "scans/hour"', "", 1)
    broken = tmp_path / "national.toml"
    broken.write_text(text)
    with pytest.raises(BenchmarkError, match=r"\[ct_scans_per_hour\] is missing unit"):
        load_benchmarks(broken, override=None)


def test_missing_file():
    with pytest.raises(BenchmarkError, match="not found"):
        load_benchmarks(Path("/nonexistent/national.toml"), override=None)
