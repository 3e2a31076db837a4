"""Whole-month replacement, stray dates and ``--period`` (issue 13, items 1 and 2).

A corrected file replaces, per trust, the whole calendar months it covers, and says which
trust-months it replaced with the rows each lost and gained. A mistyped date (2027 in a May 2026
file, 1900, 9999-12-31) must never delete other months: it is a located error (exit 2), unless
the user names the months with ``--period``.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from productivity import cli, ingest
from productivity.errors import InputError
from productivity.ingest.months import MonthSpan, bulk_months, parse_period
from productivity.ingest.scopes import MonthChange
from productivity.store import db
from tests.test_ingest_store import count, snapshot

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "data" / "samples"
THEATRE = SAMPLES / "theatre-extract-RBL-May-2026.csv"
DATES = ("session_date", "anaesthetic_start", "into_theatre", "knife_to_skin", "out_of_theatre")
MAY = dt.date(2026, 5, 1)


def sample() -> pd.DataFrame:
    """The RBL May 2026 extract: 144 rows (cases and unused lists) on 4-8 May."""
    return pd.read_csv(THEATRE, dtype=str, keep_default_na=False)


def moved(frame: pd.DataFrame, rows: pd.Series, days: int) -> pd.DataFrame:
    """``frame`` with every date and time of ``rows`` moved ``days`` days on."""
    out = frame.copy()
    for column in DATES:
        when = pd.to_datetime(out.loc[rows, column].replace("", None)) + pd.Timedelta(days=days)
        shape = "%Y-%m-%d" if column == "session_date" else "%Y-%m-%dT%H:%M"
        out.loc[rows, column] = when.dt.strftime(shape).fillna("")
    return out


def write(frame: pd.DataFrame, path: Path) -> Path:
    frame.to_csv(path, index=False)
    return path


def june(tmp_path: Path) -> Path:
    """The same extract moved to June (1-5 June): another month of RBL data."""
    frame = sample()
    return write(moved(frame, frame.index == frame.index, 28), tmp_path / "june.csv")


def one_list(frame: pd.DataFrame) -> pd.Series:
    """Theatre 1's AM list on 8 May: 2 rows."""
    return (
        (frame["theatre"] == "Theatre 1")
        & (frame["session_date"] == "2026-05-08")
        & (frame["session"] == "AM")
    )


def test_a_list_mistyped_as_2027_is_refused_and_no_month_is_lost(engine, tmp_path):
    ingest.import_file(THEATRE, engine=engine)
    ingest.import_file(june(tmp_path), engine=engine)
    before = snapshot(engine)
    frame = sample()
    typo = write(moved(frame, one_list(frame), 365), tmp_path / "t.csv")
    with pytest.raises(InputError) as caught:
        ingest.import_file(typo, engine=engine)
    problems = caught.value.problems
    # The two rows of the list, located; the message offers the --period that would accept them.
    assert [(p.row, p.column, p.value) for p in problems] == [
        (row + 2, "session_date", "2027-05-08") for row in frame.index[one_list(frame)]
    ]
    assert "strays from the bulk of the file (2026-05)" in problems[0].message
    assert "--period 2026-05..2027-05" in problems[0].message
    assert snapshot(engine) == before
    assert cli.main(["import", str(typo)]) == cli.EXIT_BAD_INPUT


def test_a_list_typed_into_the_next_month_is_refused(engine, tmp_path):
    """2 rows in June against 142 in May (1.4% < 5%): June would otherwise be replaced."""
    ingest.import_file(june(tmp_path), engine=engine)
    frame = sample()
    typo = write(moved(frame, one_list(frame), 31), tmp_path / "t.csv")
    before = snapshot(engine)
    with pytest.raises(InputError, match="strays from the bulk"):
        ingest.import_file(typo, engine=engine)
    assert snapshot(engine) == before


@pytest.mark.parametrize("placeholder", ["1900-01-01", "9999-12-31", "1999-12-31"])
def test_dates_outside_the_sane_window_are_located_errors(engine, tmp_path, placeholder):
    ingest.import_file(THEATRE, engine=engine)
    before = snapshot(engine)
    frame = sample()
    frame.loc[10, "session_date"] = placeholder
    path = write(frame, tmp_path / "placeholder.csv")
    with pytest.raises(InputError) as caught:
        ingest.import_file(path, engine=engine)
    [problem] = [p for p in caught.value.problems if p.column == "session_date"]
    assert (problem.row, problem.value) == (12, placeholder)
    assert "outside the expected window" in problem.message
    assert snapshot(engine) == before
    assert cli.main(["import", str(path)]) == cli.EXIT_BAD_INPUT


def test_the_window_ends_a_year_after_the_import(engine, tmp_path):
    """One echo row: 300 days ahead is inside the window, 400 days ahead is not."""
    header = "trust_code,site,date,tests,scheduled_minutes\n"
    soon, late = (dt.date.today() + dt.timedelta(days=n) for n in (300, 400))
    ok = tmp_path / "soon.csv"
    ok.write_text(header + f"RBL,RBL01,{soon},30,600\n")
    assert ingest.import_file(ok, engine=engine).rows == 1
    bad = tmp_path / "late.csv"
    bad.write_text(header + f"RBL,RBL01,{late},30,600\n")
    with pytest.raises(InputError, match="outside the expected window") as caught:
        ingest.import_file(bad, engine=engine)
    assert (caught.value.problems[0].row, caught.value.problems[0].column) == (2, "date")


def test_period_confirms_the_months_and_replaces_exactly_them(engine, tmp_path):
    ingest.import_file(THEATRE, engine=engine)
    ingest.import_file(june(tmp_path), engine=engine)
    frame = sample()
    typo = write(moved(frame, one_list(frame), 365), tmp_path / "t.csv")
    # A period that does not hold the 2027 list still refuses it, located.
    with pytest.raises(InputError, match=r"outside the period named \(--period 2026-05\)"):
        ingest.import_file(typo, engine=engine, period="2026-05")
    result = ingest.import_file(typo, engine=engine, period="2026-05..2027-05")
    # Every month of the named period is replaced for RBL: May (144 rows -> 142), June (144 ->
    # none: the user said the file is about June too) and May 2027 (nothing -> 2).
    assert result.changes == (
        MonthChange("RBL", MAY, 144, 142),
        MonthChange("RBL", dt.date(2026, 6, 1), 144, 0),
        MonthChange("RBL", dt.date(2027, 5, 1), 0, 2),
    )
    assert result.replaced_rows == 144 + 144
    # Only the file's rows remain: 144, of which one is an unused list (June's are gone).
    assert count(engine, "theatre_case") == 143


def test_the_cli_period_option(engine, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
    frame = sample()
    typo = write(moved(frame, one_list(frame), 365), tmp_path / "t.csv")
    assert cli.main(["import", str(typo), "--period", "2026-05..2027-05"]) == cli.EXIT_OK
    out = capsys.readouterr().out
    assert "added RBL 2026-05 (lost 0, gained 142)" in out
    assert "added RBL 2027-05 (lost 0, gained 2)" in out
    assert cli.main(["import", str(THEATRE), "--period", "2026-13"]) == cli.EXIT_BAD_INPUT
    assert "a month must be 01-12" in capsys.readouterr().err


def test_a_corrected_file_reports_each_trust_month_lost_and_gained(engine, tmp_path):
    ingest.import_file(THEATRE, engine=engine)
    ingest.import_file(june(tmp_path), engine=engine)
    frame = sample()
    kept = frame[frame["theatre"] != "Theatre 3"]
    result = ingest.import_file(write(kept, tmp_path / "corrected.csv"), engine=engine)
    # May only: its 144 rows are replaced by the file's; June's 144 are untouched.
    assert result.changes == (MonthChange("RBL", MAY, 144, len(kept)),)
    assert f"RBL 2026-05 (lost 144, gained {len(kept)})" in result.message
    assert f"replaced RBL 2026-05 (lost 144, gained {len(kept)})" in result.report()
    assert count(engine, "theatre_list") == 56 + len(kept.drop_duplicates(
        ["site", "theatre", "session_date", "session"]))  # fmt: skip


def test_months_between_a_files_months_are_not_replaced(engine, tmp_path):
    """A file with rows in May and July replaces May and July, never June."""
    ingest.import_file(june(tmp_path), engine=engine)
    frame = sample()
    half = frame["session_date"] >= "2026-05-06"
    both = moved(frame, half, 61)
    result = ingest.import_file(write(both, tmp_path / "may-july.csv"), engine=engine)
    assert [(c.month.month, c.lost) for c in result.changes] == [(5, 0), (7, 0)]
    by_month = db.read_frame(
        "SELECT substr(CAST(session_date AS TEXT), 1, 7) AS month, count(*) AS n "
        "FROM theatre_list GROUP BY 1 ORDER BY 1",
        engine=engine,
    )
    assert by_month["month"].tolist() == ["2026-05", "2026-06", "2026-07"]


def test_bulk_months_and_parse_period():
    dates = pd.Series(pd.to_datetime(["2026-05-04"] * 40 + ["2026-06-01"] * 30 + ["2027-05-08"]))
    assert bulk_months(dates) == MonthSpan(MAY, dt.date(2026, 6, 1))
    sparse = pd.Series(pd.to_datetime(["2026-05-04"] * 40 + ["2026-06-01"]))  # 1/40 < 5%
    assert bulk_months(sparse) == MonthSpan(MAY, MAY)
    gap = pd.Series(pd.to_datetime(["2026-05-04"] * 4 + ["2026-07-01"] * 4))  # one empty month
    assert bulk_months(gap) == MonthSpan(MAY, dt.date(2026, 7, 1))
    assert parse_period("2026-04..2026-06").months() == [
        dt.date(2026, 4, 1), MAY, dt.date(2026, 6, 1)
    ]  # fmt: skip
    assert MonthSpan(MAY, MAY).end == dt.date(2026, 5, 31)
    for bad in ("2026-5", "2026-06..2026-04", "May 2026", ""):
        with pytest.raises(InputError):
            parse_period(bad)
