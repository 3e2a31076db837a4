"""The column catalogue, ✓/✗ marks, Benchmark.meets, the constitutional standard, modalities."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from productivity import columns, formats, settings
from productivity.benchmarks import CONSTITUTIONAL_WITHIN_6_WEEKS, load_benchmarks
from productivity.columns import COLUMNS, SCORECARD, Column
from productivity.formats import mark
from productivity.modalities import BY_TEST, KEYS, MODALITIES, for_test, modality
from productivity.schema import DM01_TESTS
from productivity.views import overview
from tests.golden_outputs import GOLDEN


@pytest.fixture(scope="module")
def bench():
    return load_benchmarks(override=None)


# The catalogue


def test_every_benchmark_a_column_names_is_in_the_file_and_direction_is_said_once(bench):
    for column in COLUMNS.values():
        if column.benchmark:
            assert column.benchmark in bench.items, column.key
            assert column.better is None, f"{column.key}: the benchmark says which way is better"
        assert column.direction(bench) in (None, "higher", "lower"), column.key


def test_keys_headings_and_formats_are_set_and_unique():
    defined = [c for c in columns.CATALOGUE if isinstance(c, Column)]
    assert len({c.key for c in defined}) == len(defined)
    assert len({c.heading for c in columns.CATALOGUE}) == len(columns.CATALOGUE)
    for column in COLUMNS.values():
        assert column.heading and column.short and column.meaning and column.formula
        assert column.area in columns.AREAS
        assert format(3 if column.unit == columns.RANK else 1234.5, column.fmt)  # a valid spec


def test_the_scorecard_columns_are_defined_and_judged(bench):
    keys = [c.key for c in SCORECARD]
    assert keys == [
        "capped_utilisation", "uncapped_utilisation", "ct_scans_per_hour", "mri_scans_per_hour",
        "nous_scans_per_hour", "endoscopy_utilisation", "echo_minutes_per_test",
        "dm01_within_6_weeks", "dm01_13_plus_weeks",
    ]  # fmt: skip
    for column in SCORECARD:
        assert column.benchmark in bench.items
        assert column.alias_of is None or column.alias_of in COLUMNS
    # An alias keeps its definition's words: one meaning per measure.
    assert COLUMNS["ct_scans_per_hour"].meaning == COLUMNS["scans_per_hour"].meaning


def test_the_overview_and_the_pack_head_the_scorecard_alike(bench):
    """The drift the catalogue fixed: "Theatre capped util." vs "Capped util." and the like."""
    card = pd.DataFrame(
        {"trust_code": ["RBL"], "name": ["Wirral"]} | {c.key: [0.5] for c in SCORECARD}
    )

    def value_headings(table: pd.DataFrame) -> str:  # each value's ✓/✗ has a column beside it
        return " ".join(c for c in table.columns if not c.endswith(overview.MARK_SUFFIX))

    headings = value_headings(overview.scorecard_table(card, bench))
    assert headings.startswith("Trust Capped util. (≥85%) Uncapped util. (≥85%) CT scans/hr (≥4)")
    # The golden pack is on the peer basis (the app's default): the Overview's headings on it.
    peer = value_headings(overview.scorecard_table(card, bench, "peer"))
    assert peer.startswith("Trust Capped util. (≥85%) Uncapped util. (≥85%) CT scans/hr (≥ own")
    assert peer in (GOLDEN / "pack.txt").read_text()


@pytest.mark.parametrize(
    ("key", "heading"),
    [
        ("capped_utilisation", "Capped util. (≥85%)"),
        ("echo_minutes_per_test", "Echo min/test (≤45)"),
        ("mri_scans_per_hour", "MRI scans/hr (≥2.5)"),
        ("dm01_13_plus_weeks", "DM01 13+ wks (≤0)"),
        ("within_6_weeks", "Within 6 weeks (≥95%)"),
    ],
)
def test_a_heading_carries_its_benchmark(bench, key, heading):
    assert COLUMNS[key].heading_against(bench) == heading


def test_a_column_without_a_benchmark_cannot_be_judged(bench):
    with pytest.raises(KeyError, match="lists has no benchmark"):
        COLUMNS["lists"].judged_by(bench)


# ✓/✗


@pytest.mark.parametrize(
    ("value", "meets", "fmt", "benchmark", "shown"),
    [
        (0.851, True, ".1%", 0.85, "✓ 85.1%"),
        (0.85, True, ".1%", 0.85, "✓ 85.0%"),  # exactly the benchmark meets it
        # 0.8496 rounds to 85.0%, which would read as the benchmark beside ✗: one more digit
        (0.8496, False, ".1%", 0.85, "✗ 84.96%"),
        (0.84996, False, ".1%", 0.85, "✗ 84.996%"),
        (0.845, False, ".1%", 0.85, "✗ 84.5%"),  # already apart: no extra digit
        (3.997, False, ".2f", 4.0, "✗ 3.997"),  # the demo's RET CT rate against 4 an hour
        (45.04, False, ".1f", 45.0, "✗ 45.04"),  # lower is better: just over 45 minutes
        (44.96, True, ".1f", 45.0, "✓ 45.0"),  # just under: meets, and reads as the benchmark
        (3, False, ",.0f", 0.0, "✗ 3"),
        (1234.4, True, ",.0f", None, "✓ 1,234"),
        (0.9, pd.NA, ".1%", 0.95, "90.0%"),  # no judgement: the value alone
        (math.nan, None, ".1%", 0.85, "–"),
        (None, None, ".1%", None, "–"),
    ],
)
def test_mark(value, meets, fmt, benchmark, shown):
    assert mark(value, meets, fmt, benchmark) == shown


def test_marked_judges_on_the_unrounded_value(bench):
    capped = bench["theatre_capped_utilisation"]  # 0.85, higher is better
    values = pd.Series([0.8496, 0.85, math.nan])
    assert formats.marked(values, ".1%", capped) == ["✗ 84.96%", "✓ 85.0%", "–"]


# Benchmark.meets


@pytest.mark.parametrize(
    ("key", "value", "meets"),
    [
        ("theatre_capped_utilisation", 0.85, True),  # at the benchmark: meets
        ("theatre_capped_utilisation", 0.8499, False),
        ("echo_minutes_per_test", 45.0, True),  # lower is better
        ("echo_minutes_per_test", 45.01, False),
        ("dm01_13_plus_weeks", 0, True),
        ("dm01_13_plus_weeks", 1, False),
        ("theatre_capped_utilisation", math.nan, None),  # no data, no judgement
        ("theatre_capped_utilisation", None, None),
        ("theatre_capped_utilisation", pd.NA, None),
    ],
)
def test_benchmark_meets(bench, key, value, meets):
    assert bench[key].meets(value) is meets


def test_meets_each_is_nullable_boolean(bench):
    judged = bench["echo_minutes_per_test"].meets_each(pd.Series([44.0, 46.0, math.nan]))
    assert str(judged.dtype) == "boolean"
    assert judged.tolist() == [True, False, pd.NA]


# The constitutional standard: one reading, one fallback


def test_the_constitutional_standard_is_read_from_the_file(bench):
    constitutional = bench.constitutional_within_6_weeks()
    assert constitutional.value == 0.99 and constitutional.direction == "higher"
    assert constitutional.meets(0.985) is False and constitutional.meets(0.99) is True


def test_an_override_can_change_the_constitutional_standard(tmp_path):
    override = tmp_path / "local.toml"
    override.write_text("[dm01_within_6_weeks]\nconstitutional = 0.98\n")
    bench = load_benchmarks(override=override)
    assert bench.constitutional_within_6_weeks().value == 0.98
    assert bench.value("dm01_within_6_weeks") == 0.95


def test_a_file_without_the_constitutional_standard_falls_back_to_99_percent(tmp_path):
    national = tmp_path / "national.toml"
    text = settings.BENCHMARKS_FILE.read_text()
    assert "constitutional = 0.99\n" in text
    national.write_text(text.replace("constitutional = 0.99\n", ""))
    bench = load_benchmarks(national, override=None)
    assert "constitutional" not in bench["dm01_within_6_weeks"].extra
    assert bench.constitutional_within_6_weeks().value == CONSTITUTIONAL_WITHIN_6_WEEKS == 0.99


# The modality registry


def test_the_registry_names_every_modality_once(bench):
    assert KEYS == ("CT", "MRI", "NOUS", "Endoscopy", "Echo")
    for m in MODALITIES:
        assert m.benchmark in bench.items
        assert m.column in COLUMNS and m.scorecard in COLUMNS and m.additional in COLUMNS
        assert COLUMNS[m.scorecard].benchmark == m.benchmark
        assert set(m.dm01_tests) <= set(DM01_TESTS)
    assert modality("Endoscopy").unit_keys == ["trust_code", "site"]
    assert modality("CT").unit_keys == ["trust_code", "site", "scanner_id"]


def test_every_dm01_test_with_capacity_has_one_modality():
    assert list(BY_TEST) == [
        "CT", "MRI", "NON_OBSTETRIC_ULTRASOUND", "COLONOSCOPY", "GASTROSCOPY",
        "FLEXI_SIGMOIDOSCOPY", "ECHOCARDIOGRAPHY",
    ]  # fmt: skip
    assert for_test("FLEXI_SIGMOIDOSCOPY").key == "Endoscopy"
    with pytest.raises(ValueError, match="no modality serves 'AUDIOLOGY_ASSESSMENTS'"):
        for_test("AUDIOLOGY_ASSESSMENTS")


def test_an_unknown_modality_is_refused():
    with pytest.raises(ValueError, match="modality must be one of CT, MRI, NOUS"):
        modality("PET")


def test_summarise_is_the_modalitys_metric(bench):
    rows = pd.DataFrame(
        {
            "trust_code": ["A", "A"],
            "modality": ["MRI", "MRI"],
            "scans": [10, 6],
            "operational_hours": [4.0, 2.0],
        }
    )
    out = modality("MRI").summarise(rows, ["trust_code"], bench)
    # 16 scans in 6 hours -> 2.667 an hour; the benchmark 2.5 an hour holds 15: no extra scans
    assert out["scans_per_hour"].item() == pytest.approx(16 / 6)
    assert out["additional_scans"].item() == 0


def test_a_table_shows_catalogue_headings_and_formats():
    from productivity.ui.widgets import column_config, number_format

    assert number_format(".1%") == "percent"
    assert number_format(",.0f") == "%,.0f"
    assert number_format(".2f") == "%.2f"
    assert number_format("d") == "%d"
    assert number_format("") is None
    frame = pd.DataFrame({"capped_utilisation": [0.8], "planned_minutes": [240.0], "Trust": ["A"]})
    config = column_config(frame)
    assert config["capped_utilisation"]["label"] == "Capped util."
    assert config["capped_utilisation"]["type_config"]["format"] == "percent"
    assert config["planned_minutes"]["type_config"]["format"] == "%,.0f"
    assert "Trust" not in config  # already a heading in words
