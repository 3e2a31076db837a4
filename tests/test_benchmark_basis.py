"""The benchmark basis of imaging opportunity (issue 15): national rates, or each trust's own.

Hand-computed on two trusts, one acute (RBL: CT 4 an hour on either basis) and one children's
(RBS: CT 4 nationally, 2.5 on its peer group's rate in ``benchmarks/national.toml``), then the
CLI flag, and the demo's ranking on the Diagnostics page.
"""

from __future__ import annotations

import io
import json
from contextlib import redirect_stderr, redirect_stdout

import pandas as pd
import pytest

from productivity import cli, modalities
from productivity.benchmarks import load_benchmarks
from productivity.metrics import diagnostics
from tests.conftest import app_page, table_with


@pytest.fixture(scope="module")
def bench():
    return load_benchmarks(override=None)


# RBL (acute): 90 scans in 20 hours, 4.5 an hour, above 4 on either basis.
# RBS (children's): 20 scans in 10 hours in October (2 an hour) and 30 in 10 in November (3).
ROWS = pd.DataFrame(
    {
        "trust_code": ["RBL", "RBL", "RBS", "RBS"],
        "modality": ["CT"] * 4,
        "scanner_id": ["RBL-CT1", "RBL-CT2", "RBS-CT1", "RBS-CT1"],
        "month": ["2026-10", "2026-10", "2026-10", "2026-11"],
        "scans": [40, 50, 20, 30],
        "operational_hours": [10.0, 10.0, 10.0, 10.0],
    }
)
OCTOBER = ROWS[ROWS["month"] == "2026-10"]


def test_the_peer_rates_are_the_benchmark_file_s(bench):
    rates = bench.trust_scan_rates(["RBL", "RBS"], "peer")
    assert rates[("RBL", "CT")] == 4.0 and rates[("RBS", "CT")] == 2.5
    national = bench.trust_scan_rates(["RBL", "RBS"], "national")
    assert national[("RBS", "CT")] == 4.0
    with pytest.raises(ValueError, match="national, peer"):
        bench.trust_scan_rates(["RBL"], "local")


@pytest.mark.parametrize(
    ("basis", "rbl", "rbs", "rbs_rate"),
    [
        # national: RBS 4 x 10 h - 20 = 20; RBL 4 x 20 - 90 < 0 -> 0
        ("national", 0.0, 20.0, 4.0),
        # peer: RBS 2.5 x 10 - 20 = 5; RBL as before (acute: the national 4)
        ("peer", 0.0, 5.0, 2.5),
    ],
)
def test_two_trusts_by_trust(bench, basis, rbl, rbs, rbs_rate):
    out = modalities.scans_at_benchmark(OCTOBER, ["trust_code", "modality"], bench, basis)
    out = out.set_index("trust_code")
    assert out.loc["RBL", "additional_scans"] == rbl
    assert out.loc["RBS", "additional_scans"] == rbs
    assert out.loc["RBL", "benchmark_scans_per_hour"] == 4.0
    assert out.loc["RBS", "benchmark_scans_per_hour"] == rbs_rate
    assert out.loc["RBS", "scans_per_hour"] == 2.0  # the rate itself never depends on the basis


@pytest.mark.parametrize(
    ("basis", "additional", "rate"),
    [
        # national (SPEC §4, pooled in the group): 4 x 30 h - 110 scans = 10 (RBL's fast
        # scanners offset RBS's slow one)
        ("national", 10.0, 4.0),
        # peer: per trust, then summed: RBL 0 + RBS 5 = 5; never from a pooled rate, which would
        # be (4 x 20 + 2.5 x 10) / 30 = 3.5 an hour and give max(0, 105 - 110) = 0
        ("peer", 5.0, 3.5),
    ],
)
def test_the_system_figure_is_the_sum_of_the_trusts_on_the_peer_basis(
    bench, basis, additional, rate
):
    system = modalities.scans_at_benchmark(OCTOBER, ["modality"], bench, basis)
    assert system["additional_scans"].item() == pytest.approx(additional)
    assert system["benchmark_scans_per_hour"].item() == pytest.approx(rate)
    whole = modalities.scans_at_benchmark(OCTOBER, [], bench, basis)
    assert whole["additional_scans"].item() == pytest.approx(additional)


def test_by_month_each_trust_month_is_computed_and_then_summed(bench):
    # RBS peer: October 2.5 x 10 - 20 = 5, November 2.5 x 10 - 30 < 0 -> 0
    by_month = modalities.scans_at_benchmark(ROWS, ["trust_code", "month"], bench, "peer")
    rbs = by_month[by_month["trust_code"] == "RBS"].set_index("month")["additional_scans"]
    assert rbs.to_dict() == {"2026-10": 5.0, "2026-11": 0.0}
    # The system by month sums its trusts' figures for the month: October 0 + 5, November 0.
    system = modalities.scans_at_benchmark(ROWS, ["month"], bench, "peer").set_index("month")
    assert system["additional_scans"].to_dict() == {"2026-10": 5.0, "2026-11": 0.0}
    # Over the whole period a trust is one group: RBS 2.5 x 20 h - 50 = 0.
    whole = modalities.scans_at_benchmark(ROWS, ["trust_code"], bench, "peer")
    assert whole.set_index("trust_code").loc["RBS", "additional_scans"] == 0.0


def test_the_metric_takes_trust_rates_and_falls_back_to_the_national_one():
    own = pd.Series(
        [2.5], index=pd.MultiIndex.from_tuples([("RBS", "CT")], names=["trust_code", "modality"])
    )
    out = diagnostics.scans_per_hour(
        OCTOBER, ["trust_code"], benchmark_rates={"CT": 4.0}, trust_rates=own
    ).set_index("trust_code")
    assert out["benchmark_scans_per_hour"].to_dict() == {"RBL": 4.0, "RBS": 2.5}
    with pytest.raises(ValueError, match="RBL CT"):
        diagnostics.scans_per_hour(OCTOBER, ["trust_code"], trust_rates=own)


def test_an_unknown_basis_fails_loudly(bench):
    with pytest.raises(ValueError, match="benchmark basis"):
        modalities.scans_at_benchmark(OCTOBER, ["trust_code"], bench, "regional")


def run_cli(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = cli.main(list(args))
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def on_demo(demo_url, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", demo_url)
    monkeypatch.delenv("PRODUCTIVITY_BENCHMARKS", raising=False)


def imaging(*flags: str) -> pd.DataFrame:
    code, out, _ = run_cli("report", "imaging", *flags, "--format", "json")
    assert code == cli.EXIT_OK
    return pd.DataFrame(json.loads(out)).set_index(["trust_code", "modality"])


def test_cli_report_imaging_keeps_national_by_default_and_takes_the_flag(on_demo):
    default, national, peer = (
        imaging(),
        imaging("--benchmark-basis", "national"),
        imaging("--benchmark-basis", "peer"),
    )
    pd.testing.assert_frame_equal(default, national)  # SPEC §7 unchanged
    assert list(peer.reset_index().columns) == list(default.reset_index().columns)
    assert default.loc[("RBS", "CT"), "benchmark_scans_per_hour"] == 4.0
    assert peer.loc[("RBS", "CT"), "benchmark_scans_per_hour"] == 2.5
    assert peer.loc[("RBL", "CT")].equals(default.loc[("RBL", "CT")])  # acute: the same
    assert (peer["scans_per_hour"] == default["scans_per_hour"]).all()


def test_cli_refuses_the_flag_where_it_means_nothing(on_demo):
    code, _, err = run_cli("report", "dm01", "--benchmark-basis", "peer")
    assert code == cli.EXIT_BAD_INPUT and "--benchmark-basis" in err
    code, _, err = run_cli("report", "imaging", "--benchmark-basis", "regional")
    assert code == cli.EXIT_BAD_INPUT and "regional" in err


def test_cli_help_documents_the_flag(capsys):
    assert cli.main(["report", "--help"]) == cli.EXIT_OK
    assert "--benchmark-basis {national,peer}" in capsys.readouterr().out


@pytest.fixture
def page(demo_url, monkeypatch):
    return app_page(monkeypatch, demo_url, "Diagnostics.py")


def ranking(at) -> list[str]:
    """The trusts in rank order: the Diagnostics table keeps ``rank`` numeric under its key;
    the Overview's ranking table heads it ``Rank``."""
    table = next(d.value for d in at.dataframe if {"rank", "Rank"} & set(map(str, d.value)))
    return table.sort_values("rank" if "rank" in table else "Rank")["Trust"].tolist()


def test_on_the_peer_basis_rbs_is_no_longer_first_in_the_diagnostics_ranking(page):
    # September of the 3-month demo, where (as over the 12-month demo's year) the children's
    # trust tops the MRI opportunity when held to the adult rate.
    month = {"modality": "MRI", "from": "2026-09", "to": "2026-09"}
    national = page(**month, benchmark="national")
    assert not national.exception
    assert ranking(national)[0] == "RBS"  # children's scans held to the adult MRI rate
    peer = page(**month)  # the page's default
    assert not peer.exception
    assert peer.radio(key="benchmark").value == "each trust's peer-group rate"
    assert ranking(peer)[0] != "RBS"
    rates = table_with(peer, "benchmark_scans_per_hour").set_index("Trust")
    assert rates.loc["RBS", "benchmark_scans_per_hour"] == 1.5  # its own rate, shown
    assert rates.loc["RBL", "benchmark_scans_per_hour"] == 2.5
    captions = " ".join(c.value for c in peer.caption)
    assert "each trust's peer-group rate" in captions


@pytest.fixture
def overview(demo_url, monkeypatch):
    return app_page(monkeypatch, demo_url, "Overview.py")


def test_on_the_peer_basis_rbs_is_no_longer_first_in_the_overview_s_scans_ranking(overview):
    # September of the 3-month demo, ranked by additional scans as a share of current scans:
    # held to the adult rates the children's trust tops the ranking; at its own rates it does not.
    month = {
        "opportunity": "Imaging scans",
        "ranking": "Share of current activity",
        "from": "2026-09",
        "to": "2026-09",
    }
    national = overview(**month, benchmark="national")
    assert not national.exception
    assert ranking(national)[0].endswith("(RBS)")
    peer = overview(**month)  # the page's default, as on Diagnostics
    assert not peer.exception
    assert peer.radio(key="benchmark").value == "each trust's peer-group rate"
    assert not ranking(peer)[0].endswith("(RBS)")
    captions = " ".join(c.value for c in peer.caption)
    assert "on each trust's peer-group rate" in captions
    # The scorecard judges RBS's scan rates against its own rates (MRI 1.78 an hour: short of
    # the adult 2.5, above the children's 1.5), under the pack's headings.
    # The scorecard is the Overview's "Scorecard" tab.
    national = overview(**month, benchmark="national", tab="Scorecard")
    peer = overview(**month, tab="Scorecard")
    for at, mark in ((national, "✗"), (peer, "✓")):
        card = table_with(at, "MRI scans/hr").set_index("Trust")
        rbs = next(t for t in card.index if t.startswith("RBS"))
        assert card.loc[rbs, "MRI scans/hr ✓/✗"] == mark
    assert "MRI scans/hr (≥ own peer rate)" in table_with(peer, "MRI scans/hr").columns
    assert "MRI scans/hr (≥2.5)" in table_with(national, "MRI scans/hr").columns
