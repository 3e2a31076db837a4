"""One figure, one value: each figure rendered from every place it appears agrees (issue 15).

On the 3-month demo store: the Diagnostics page (AppTest), its what-if panel, the board pack
(its public ``build_pack``, read back from the slides) and the CLI (``report clearance``,
``report dm01``, ``report imaging``). Covered: the extra scans (tests) a week at the benchmark
per modality, the weeks to clear the 6-week backlog and what they mean, each trust's additional
scans and the rate it is held to on either benchmark basis (national, or each trust's
peer-group rate: the page and the CLI with the same ``--benchmark-basis``), and DM01's % within
6 weeks and the number waiting 13+ weeks. The what-if panel holds every trust to the national
rates, so it is compared with the page on the national basis.
"""

from __future__ import annotations

import io
import json
import math
from contextlib import redirect_stdout

import pandas as pd
import pytest
from pptx import Presentation

from productivity import cli, pack
from productivity.benchmarks import BENCHMARK_BASES, load_benchmarks
from productivity.columns import COLUMNS
from productivity.formats import marked
from productivity.schema import DM01_TESTS
from productivity.store import db
from tests.conftest import app_page, chart_specs, open_tab, table_with

TRUST = "RBL"
MONTH = "2026-10"  # the demo store's last month: the page's latest DM01 month and the pack's
WHAT_IF_MODALITIES = ("CT", "MRI", "NOUS", "Echo")  # those the what-if panel covers
BACKLOG = "Backlog and what if"  # the Diagnostics tab of the weeks to clear and the what-if


@pytest.fixture
def page(demo_url, monkeypatch):
    return app_page(monkeypatch, demo_url, "Diagnostics.py")


@pytest.fixture
def cli_report(demo_url, monkeypatch):
    """``python -m productivity report …`` on the demo store, as a frame."""
    monkeypatch.setenv("DATABASE_URL", demo_url)
    monkeypatch.delenv("PRODUCTIVITY_BENCHMARKS", raising=False)

    def run(*args: str) -> pd.DataFrame:
        out = io.StringIO()
        with redirect_stdout(out):
            assert cli.main(["report", *args, "--format", "json"]) == cli.EXIT_OK
        return pd.DataFrame(json.loads(out.getvalue()))

    return run


def same(a: float, b: float) -> bool:
    """Equal numbers, or both without a figure (NaN, None or inf: no finite weeks)."""
    finite_a = a is not None and not pd.isna(a) and math.isfinite(a)
    finite_b = b is not None and not pd.isna(b) and math.isfinite(b)
    return (not finite_a and not finite_b) or (finite_a and finite_b and a == pytest.approx(b))


@pytest.mark.parametrize("modality", WHAT_IF_MODALITIES)
def test_extra_a_week_and_weeks_to_clear_agree_everywhere(page, cli_report, modality):
    at = page(modality=modality, what_if="true", benchmark="national", tab=BACKLOG)
    assert not at.exception
    shown = table_with(at, "additional_per_week").set_index("Trust").drop(index="System")
    what_if = table_with(at, f"{modality} extra a week").set_index("Trust")
    report = cli_report("clearance")
    report = report[report["modality"] == modality].set_index("trust_code")
    trusts = shown.index.intersection(what_if.index)
    assert len(trusts) >= 5  # the same trusts in all three, most of the system
    assert set(shown.index) == set(report.index.drop("System"))
    weeks_heading = f"{modality} weeks to clear the 6-week backlog"
    notes = what_if["No weeks-to-clear figure because"]
    for trust in trusts:
        extra = shown.loc[trust, "additional_per_week"]
        assert report.loc[trust, "additional_per_week"] == pytest.approx(extra), trust
        assert what_if.loc[trust, f"{modality} extra a week"] == round(extra, 1), trust
        weeks = shown.loc[trust, "weeks_to_clear_backlog"]
        assert same(report.loc[trust, "weeks_to_clear_backlog"], weeks), trust
        rounded = weeks if pd.isna(weeks) else round(weeks, 1)
        assert same(what_if.loc[trust, weeks_heading], rounded), trust
        # The reason for no figure is the same words on the page and in the what-if panel.
        reason = shown.loc[trust, "clearance"]
        if pd.isna(weeks) and reason != "–":
            assert f"{modality}: {reason}" in notes[trust], trust
        else:
            assert f"{modality}:" not in notes[trust], trust


BASES = ("national", "peer")
SCANNERS = ("CT", "MRI", "NOUS")


@pytest.mark.parametrize("basis", BASES)
@pytest.mark.parametrize("modality", SCANNERS)
def test_the_page_on_each_basis_equals_the_cli_on_the_same_basis(page, cli_report, modality, basis):
    at = page(modality=modality, benchmark=basis)
    assert not at.exception
    # Each trust's additional scans and its rate: the bars' data against report imaging.
    (bars,) = [
        f
        for s in chart_specs(at)
        for f in s["frames"].values()
        if {"trust_code", "additional_scans", "benchmark_scans_per_hour"} <= set(f)
        and "scanner_id" not in f
    ]
    bars = bars.set_index("trust_code")
    report = cli_report("imaging", "--by", "trust", "--benchmark-basis", basis)
    report = report[report["modality"] == modality].set_index("trust_code")
    assert set(bars.index) == set(report.index)
    for column in ("scans", "operational_hours", "additional_scans", "benchmark_scans_per_hour"):
        assert bars[column].to_numpy() == pytest.approx(report.loc[bars.index, column].to_numpy())
    # The table beside the bars shows the same rate each trust is held to.
    shown = table_with(at, "benchmark_scans_per_hour").set_index("Trust")
    for trust in shown.index:
        rate = report.loc[trust.removeprefix("▶ "), "benchmark_scans_per_hour"]
        assert shown.loc[trust, "benchmark_scans_per_hour"] == pytest.approx(rate), trust
    # The weeks-to-clear table against report clearance on the same basis, System row too.
    backlog = table_with(open_tab(at, BACKLOG), "additional_per_week").set_index("Trust")
    clearance = cli_report("clearance", "--benchmark-basis", basis)
    clearance = clearance[clearance["modality"] == modality].set_index("trust_code")
    assert set(backlog.index) == set(clearance.index)
    for trust in backlog.index:
        assert backlog.loc[trust, "additional_per_week"] == pytest.approx(
            clearance.loc[trust, "additional_per_week"]
        ), trust
        assert same(
            backlog.loc[trust, "weeks_to_clear_backlog"],
            clearance.loc[trust, "weeks_to_clear_backlog"],
        ), trust
    # The bases differ where a peer group has its own rate (the children's trust RBS).
    if basis == "peer":
        national = cli_report("imaging", "--by", "trust")
        national = national[national["modality"] == modality].set_index("trust_code")
        assert (
            report.loc["RBS", "benchmark_scans_per_hour"]
            < national.loc["RBS", "benchmark_scans_per_hour"]
        )


def test_the_demo_discrepancy_is_gone(page):
    # Issue 15 saw RBL's CT at 158.5 a week on Diagnostics and 155.9 in the what-if panel.
    at = page(modality="CT", what_if="true", trust=TRUST, tab=BACKLOG)
    shown = table_with(at, "additional_per_week").set_index("Trust")
    what_if = table_with(at, "CT extra a week").set_index("Trust")
    assert list(what_if.index) == [TRUST]
    assert what_if.loc[TRUST, "CT extra a week"] == round(
        shown.loc[TRUST, "additional_per_week"], 1
    )


def pack_dm01_rows(engine, trust: str) -> dict[str, dict[str, str]]:
    """The pack's DM01 table for ``trust``, read back from its slides: test name -> cells."""
    deck = Presentation(io.BytesIO(pack.build_pack(engine, trust=trust, period=MONTH, fmt="pptx")))
    rows: dict[str, dict[str, str]] = {}
    for slide in deck.slides:
        for shape in slide.shapes:
            if not shape.has_table:
                continue
            cells = [[c.text for c in row.cells] for row in shape.table.rows]
            headings = cells[0]
            if headings[0] == "Test" and any(h.startswith("Within 6 weeks") for h in headings):
                rows |= {r[0]: dict(zip(headings, r, strict=True)) for r in cells[1:]}
    return rows


@pytest.mark.parametrize("test", ["CT", "MRI", "NON_OBSTETRIC_ULTRASOUND", "ECHOCARDIOGRAPHY"])
def test_dm01_within_6_weeks_and_13_plus_agree_everywhere(page, cli_report, demo_url, test):
    bench = load_benchmarks(override=None)
    report = cli_report("dm01", "--by", "trust")
    report = report[report["test_code"] == test].set_index("provider_code")
    at = page(dm01_test=test, tab="DM01 waits")
    assert not at.exception
    assert at.selectbox(key="dm01_test").value == test
    # The bars' data are the page's numbers; the table beside them is the same rows in words.
    (bars,) = [
        f
        for s in chart_specs(at)
        for f in s["frames"].values()
        if {"within_6_weeks", "provider_code"} <= set(f)
    ]
    bars = bars.set_index("provider_code")
    for trust in bars.index:
        assert bars.loc[trust, "within_6_weeks"] == pytest.approx(
            report.loc[trust, "within_6_weeks"]
        )
        assert bars.loc[trust, "waiting_13_plus"] == report.loc[trust, "waiting_13_plus"]
    # The monthly trend's latest month is the same snapshot (both trend charts hold the frame).
    trend = next(
        f
        for s in chart_specs(at)
        for f in s["frames"].values()
        if {"within_6_weeks", "month", "trust"} <= set(f)
    )
    last = trend[trend["month"] == trend["month"].max()].set_index("trust_code")
    for trust in last.index:
        assert last.loc[trust, "within_6_weeks"] == pytest.approx(bars.loc[trust, "within_6_weeks"])
    # The page's table and the pack say the same thing in the same words for the trust.
    within, over_13 = COLUMNS["within_6_weeks"], COLUMNS["waiting_13_plus"]
    within_heading = within.heading_against(bench)
    over_13_heading = over_13.heading_against(bench)
    # The page's table keeps the numbers (under their keys) with a ✓/✗ column beside each.
    table = table_with(at, "within_6_weeks_meets").set_index("Trust")
    row = report.loc[TRUST]
    expected_within = marked([row["within_6_weeks"]], within.fmt, within.judged_by(bench))[0]
    expected_13 = marked([row["waiting_13_plus"]], over_13.fmt, over_13.judged_by(bench))[0]
    assert table.loc[TRUST, "within_6_weeks"] == pytest.approx(row["within_6_weeks"])
    assert table.loc[TRUST, "within_6_weeks_meets"] == expected_within[0]
    assert table.loc[TRUST, "waiting_13_plus_meets"] == expected_13[0]
    shown_13 = table.loc[TRUST, "waiting_13_plus"]  # NaN on screen where it is a small count
    assert shown_13 == row["waiting_13_plus"] or 1 <= row["waiting_13_plus"] <= 4
    pack_row = pack_dm01_rows(db.get_engine(demo_url), TRUST)[DM01_TESTS[test]]
    assert pack_row[within_heading] == expected_within
    count = int(row["waiting_13_plus"])
    if 1 <= count <= 4:  # the pack suppresses small counts of patients
        assert pack_row[over_13_heading] == expected_13.replace(str(count), "*")
    else:
        assert pack_row[over_13_heading] == expected_13


@pytest.fixture
def overview(demo_url, monkeypatch):
    return app_page(monkeypatch, demo_url, "Overview.py")


def overview_card(at) -> pd.DataFrame:
    """The Overview's scorecard as its ranking chart holds it (every trust's row), by trust."""
    (card,) = [
        f
        for s in chart_specs(at)
        for f in s["frames"].values()
        if {"trust_code", "additional_scans", "opportunity"} <= set(f)
    ]
    return card.set_index("trust_code")


@pytest.mark.parametrize("basis", BASES)
def test_the_overview_s_additional_scans_equal_diagnostics_and_the_cli_on_each_basis(
    overview, page, cli_report, basis
):
    # The Overview takes the same ?benchmark= as Diagnostics (so a link carries it).
    at = overview(opportunity="Imaging scans", benchmark=basis)
    assert not at.exception
    assert at.radio(key="benchmark").value == BENCHMARK_BASES[basis]
    card = overview_card(at)
    report = cli_report("imaging", "--by", "trust", "--benchmark-basis", basis)
    per_trust = report.groupby("trust_code")["additional_scans"].sum()
    shown = card["additional_scans"].dropna()
    assert set(shown.index) == set(per_trust.index)
    assert shown.to_numpy() == pytest.approx(per_trust.loc[shown.index].to_numpy())
    # The Diagnostics page's bars per modality, summed per trust, are the same figure.
    diagnostics = pd.Series(0.0, index=shown.index)
    for modality in SCANNERS:
        bars = next(
            f
            for s in chart_specs(page(modality=modality, benchmark=basis))
            for f in s["frames"].values()
            if {"trust_code", "additional_scans", "benchmark_scans_per_hour"} <= set(f)
            and "scanner_id" not in f
        )
        diagnostics = diagnostics.add(
            bars.set_index("trust_code")["additional_scans"], fill_value=0.0
        )
    assert shown.to_numpy() == pytest.approx(diagnostics.loc[shown.index].to_numpy())
    # Each scan rate is judged against the rate the trust is held to on the same basis.
    for modality in SCANNERS:
        rates = report[report["modality"] == modality].set_index("trust_code")
        held = card[f"{modality.lower()}_benchmark_scans_per_hour"].dropna()
        assert held.to_numpy() == pytest.approx(
            rates.loc[held.index, "benchmark_scans_per_hour"].to_numpy()
        )
    captions = " ".join(c.value for c in at.caption)
    assert f"on {BENCHMARK_BASES[basis]}" in captions
