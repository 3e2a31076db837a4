"""Per-peer-group benchmark values: in the file, overridable locally, validated like the rest."""

from __future__ import annotations

from pathlib import Path

import pytest

from productivity.benchmarks import BenchmarkError, load_benchmarks
from productivity.settings import BENCHMARKS_FILE
from productivity.views import methodology


def test_the_national_file_holds_specialist_trusts_to_their_own_assumed_values():
    bench = load_benchmarks(override=None)
    # RBS Alder Hey is children's, RBQ heart, RBL acute; XXX is not in trusts.csv (acute).
    rates = bench.for_trusts("ct_scans_per_hour", ["RBL", "RBS", "RBQ", "XXX"])
    assert rates.to_dict() == {"RBL": 4.0, "RBS": 2.5, "RBQ": 2.5, "XXX": 4.0}
    assert rates.index.name == "trust_code"
    # GIRFT's 85% is national for every trust: theatres have no peer values, peers only decide
    # who is compared with whom
    utilisation = bench.for_trusts("theatre_capped_utilisation", ["REP", "REN", "RWW"])
    assert utilisation.tolist() == [0.85, 0.85, 0.85]
    # dm01 has no peer values: every trust is held to the national 95%
    assert set(bench.for_trusts("dm01_within_6_weeks", ["RBS", "RBL"])) == {0.95}
    children = bench["ct_scans_per_hour"].peer_values["children"]
    assert children.status == "assumed" and "no published source" in children.source
    assert bench["ct_scans_per_hour.peer_groups.children"].value == 2.5
    assert bench.overridden() == []


def test_the_methodology_table_lists_peer_values_with_their_status():
    bench = load_benchmarks(override=None)
    table = bench.table().set_index("key")
    assert table.loc["ct_scans_per_hour", "peer_groups"].startswith("Children's 2.5 (assumed)")
    assert table.loc["dm01_within_6_weeks", "peer_groups"] == ""
    assert table.loc["theatre_capped_utilisation", "peer_groups"] == ""
    notes = methodology.benchmark_table(bench).set_index("Key").loc["mri_scans_per_hour", "Notes"]
    assert "peer groups: Children's 1.5 (assumed)" in notes


def national_with(tmp_path: Path, extra: str) -> Path:
    path = tmp_path / "national.toml"
    text = BENCHMARKS_FILE.read_text()
    # replace the file's own CT peer table with the test's
    start = text.index("[ct_scans_per_hour.peer_groups]")
    end = text.index("[mri_scans_per_hour]")
    path.write_text(text[:start] + extra + "\n" + text[end:])
    return path


def test_a_bare_number_in_the_file_is_an_assumed_value(tmp_path: Path):
    path = national_with(tmp_path, "[ct_scans_per_hour.peer_groups]\nchildren = 2\n")
    bench = load_benchmarks(path, override=None)
    assert bench.for_trusts("ct_scans_per_hour", ["RBS", "RBQ"]).tolist() == [2.0, 4.0]
    assert bench["ct_scans_per_hour"].peer_values["children"].status == "assumed"


def test_an_override_file_changes_one_peer_group_and_says_so(tmp_path: Path):
    override = tmp_path / "local.toml"
    override.write_text("[ct_scans_per_hour.peer_groups]\nchildren = 3.0\nambulance = 1\n")
    bench = load_benchmarks(override=override)
    ct = bench["ct_scans_per_hour"]
    assert ct.value == 4.0 and not ct.overridden  # the national value itself is untouched
    children = ct.peer_values["children"]
    assert children.value == 3.0 and children.overridden and children.national_value == 2.5
    assert children.status == "assumed"  # a bare number keeps the file's status and source
    assert ct.peer_values["heart"].value == 2.5 and not ct.peer_values["heart"].overridden
    # a new group: its national value was the national rate
    assert ct.peer_values["ambulance"].national_value == 4.0
    assert bench.overridden() == [
        "ct_scans_per_hour.peer_groups.children",
        "ct_scans_per_hour.peer_groups.ambulance",
    ]
    assert bench.for_trusts("ct_scans_per_hour", ["RBS"]).tolist() == [3.0]
    assert (
        "✎ Children's 3 (assumed)"
        in bench.table().set_index("key").loc["ct_scans_per_hour", "peer_groups"]
    )


def test_overriding_the_national_value_leaves_peer_values_alone(tmp_path: Path):
    override = tmp_path / "local.toml"
    override.write_text("[ct_scans_per_hour]\nvalue = 3.5\n")
    bench = load_benchmarks(override=override)
    assert bench.for_trusts("ct_scans_per_hour", ["RBL", "RBS"]).tolist() == [3.5, 2.5]
    assert bench.overridden() == ["ct_scans_per_hour"]


BAD_PEER_VALUES = [
    ("[ct_scans_per_hour.peer_groups]\nchildren = 'fast'\n",
     r"\[ct_scans_per_hour\.peer_groups\] children value must be a number"),
    ("[ct_scans_per_hour.peer_groups]\ndental = 2\n",
     r"\[ct_scans_per_hour\.peer_groups\] 'dental' is not a peer group"),
    ("[theatre_capped_utilisation.peer_groups]\nchildren = 80\n",
     r"\[theatre_capped_utilisation\.peer_groups\] children is a fraction"),
    ("[ct_scans_per_hour.peer_groups]\nchildren = -1\n",
     r"\[ct_scans_per_hour\.peer_groups\] children value must not be negative"),
    ("[ct_scans_per_hour.peer_groups]\nchildren = { value = 2, status = 'guess' }\n",
     r"\[ct_scans_per_hour\.peer_groups\] children status must be one of"),
    ("[ct_scans_per_hour.peer_groups]\nchildren = { rate = 2 }\n",
     r"\[ct_scans_per_hour\.peer_groups\] children needs a value"),
    ("[ct_scans_per_hour]\npeer_groups = 2\n",
     r"\[ct_scans_per_hour\.peer_groups\] must be a table of peer groups"),
]  # fmt: skip


@pytest.mark.parametrize(("text", "message"), BAD_PEER_VALUES)
def test_a_bad_peer_value_in_an_override_is_refused_naming_file_and_key(
    tmp_path: Path, text: str, message: str
):
    override = tmp_path / "bad.toml"
    override.write_text(text)
    with pytest.raises(BenchmarkError, match=message) as info:
        load_benchmarks(override=override)
    assert str(info.value).startswith(str(override))


@pytest.mark.parametrize(("text", "message"), BAD_PEER_VALUES[:2])
def test_a_bad_peer_value_in_the_national_file_is_refused_naming_file_and_key(
    tmp_path: Path, text: str, message: str
):
    path = national_with(tmp_path, text)
    with pytest.raises(BenchmarkError, match=message) as info:
        load_benchmarks(path, override=None)
    assert str(info.value).startswith(str(path))


def test_for_trusts_reads_the_trusts_file_it_is_given(tmp_path: Path):
    trusts = tmp_path / "trusts.csv"
    trusts.write_text("trust_code,name,type,peer_group,parent_code\nRAA,A,specialist,heart,Q\n")
    bench = load_benchmarks(override=None)
    assert bench.for_trusts("mri_scans_per_hour", ["RAA", "RBS"], trusts).tolist() == [1.5, 2.5]
