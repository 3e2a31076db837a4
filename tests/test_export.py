"""Small-number suppression: counts from 1 to 4 are shown as * in every export."""

from __future__ import annotations

import pandas as pd

from productivity.export import SUPPRESSED, suppress_small_numbers


def test_counts_one_to_four_are_suppressed():
    frame = pd.DataFrame(
        {
            "trust_code": ["A", "B", "C", "D", "E"],
            "waiting_13_plus": [0, 1, 4, 5, 120],
            "completed_cases": [3, 2, 10, 0, 7],
            "capped_utilisation": [0.02, 1.0, 3.0, 0.5, 0.9],  # a ratio: never suppressed
            "planned_minutes": [1.0, 2.0, 3.0, 4.0, 5.0],  # minutes are not people
        }
    )
    out = suppress_small_numbers(frame)
    assert out["waiting_13_plus"].tolist() == [0, SUPPRESSED, SUPPRESSED, 5, 120]
    assert out["completed_cases"].tolist() == [SUPPRESSED, SUPPRESSED, 10, 0, 7]
    assert out["capped_utilisation"].tolist() == frame["capped_utilisation"].tolist()
    assert out["planned_minutes"].tolist() == frame["planned_minutes"].tolist()
    # The input is left alone.
    assert frame["waiting_13_plus"].tolist() == [0, 1, 4, 5, 120]
    csv = out.to_csv(index=False)
    assert ",*," in csv


def test_band_columns_are_counts():
    frame = pd.DataFrame({"weeks_06": [2, 9], "weeks_13_plus": [0, 3]})
    out = suppress_small_numbers(frame)
    assert out["weeks_06"].tolist() == [SUPPRESSED, 9]
    assert out["weeks_13_plus"].tolist() == [0, SUPPRESSED]


def test_text_that_a_spreadsheet_would_run_is_neutralised():
    """OWASP CSV injection: = + - @ tab and CR at the start of a text cell get a quote."""
    from productivity.export import neutralise_formulas, to_csv

    frame = pd.DataFrame(
        {
            "name": ["=1+1", "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)", "\tx", "\rx", "ok", "-1.5"],
            "count": [1, -2, 3, 4, 5, 6, 7, 8],
            "mixed": ["=x", 1, None, "*", -3.5, "a", "+", "12%"],
        }
    )
    out = neutralise_formulas(frame)
    assert out["name"].tolist() == [
        "'=1+1", "'+cmd|' /C calc'!A0", "'-2+3", "'@SUM(A1)", "'\tx", "'\rx", "ok", "-1.5",
    ]  # fmt: skip
    assert out["count"].tolist() == frame["count"].tolist()  # numbers, negative too, untouched
    assert out["mixed"].tolist()[:2] == ["'=x", 1] and out["mixed"].tolist()[4] == -3.5
    assert out["mixed"].tolist()[6:] == ["'+", "12%"]
    assert frame["name"].iloc[0] == "=1+1", "the input is left alone"
    assert to_csv(frame).splitlines()[1].startswith("'=1+1,1,'=x")


def test_the_drop_folders_problem_reports_are_neutralised(tmp_path):
    """A refused file's values are written beside it: a formula in it must not run."""
    from productivity.errors import InputError
    from productivity.ingest import dropfolder

    error = InputError.single("bad.csv", "not a number", row=2, column="tests", value="=1+1")
    dropfolder.write_problems(error, tmp_path / "bad.csv.errors.csv")
    written = pd.read_csv(tmp_path / "bad.csv.errors.csv", dtype=str)
    assert written.loc[0, "value"] == "'=1+1" and written.loc[0, "row"] == "2"
