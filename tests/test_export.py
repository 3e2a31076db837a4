"""The small-number rule (counts of 1 to 4 patients suppressed, nothing else) and formula
neutralising for every export."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from productivity import export
from productivity.export import (
    SUPPRESSED,
    hide_small_numbers,
    is_patient_count,
    suppress_small_numbers,
    to_csv,
)


def test_counts_of_one_to_four_patients_are_suppressed_and_nothing_else():
    frame = pd.DataFrame(
        {
            "trust_code": ["A", "B", "C", "D", "E"],
            "waiting_13_plus": [0, 1, 4, 5, 120],  # people waiting: suppressed from 1 to 4
            "dnas": [2.0, 0.0, 9.0, 3.0, None],  # people who did not attend: the same
            "completed_cases": [3, 2, 10, 0, 7],  # cases on a list: activity, shown
            "lists": [1, 2, 3, 4, 5],  # lists identify nobody
            "cases_per_list": [1.0, 2.0, 3.0, 4.0, 5.0],
            "capped_utilisation": [0.02, 1.0, 3.0, 0.5, 0.9],  # a ratio: never suppressed
            "planned_minutes": [1.0, 2.0, 3.0, 4.0, 5.0],  # minutes are not people
        }
    )
    out = suppress_small_numbers(frame)
    assert out["waiting_13_plus"].tolist() == [0, SUPPRESSED, SUPPRESSED, 5, 120]
    assert out["dnas"].tolist()[:4] == [SUPPRESSED, 0.0, 9.0, SUPPRESSED]
    for shown in ("completed_cases", "lists", "cases_per_list", "capped_utilisation",
                  "planned_minutes"):  # fmt: skip
        assert out[shown].tolist() == frame[shown].tolist(), shown
    # The input is left alone.
    assert frame["waiting_13_plus"].tolist() == [0, 1, 4, 5, 120]
    assert to_csv(out).splitlines()[2] == "B,*,0.0,2,2,2.0,1.0,2.0"


def test_the_screen_hides_the_same_cells_and_keeps_the_column_numeric():
    frame = pd.DataFrame({"total_waiting": [3, 0, 6027], "completed_cases": [3, 4, 5]})
    shown, hidden = hide_small_numbers(frame)
    assert hidden == 1
    assert pd.api.types.is_float_dtype(shown["total_waiting"])  # still sorts as numbers
    assert shown["total_waiting"].isna().tolist() == [True, False, False]
    assert shown["total_waiting"].tolist()[1:] == [0.0, 6027.0]
    assert shown["completed_cases"].tolist() == [3, 4, 5]
    # the same cells as the CSV
    starred = suppress_small_numbers(frame)["total_waiting"] == SUPPRESSED
    assert starred.tolist() == shown["total_waiting"].isna().tolist()
    assert hide_small_numbers(frame[["completed_cases"]])[1] == 0


@pytest.mark.parametrize(
    ("name", "patients"),
    [
        ("total_waiting", True), ("Waiting", True), ("13+ weeks", True), ("weeks_13_plus", True),
        ("weeks_06", True), ("Patients a week", True), ("patients_per_week", True),
        ("dm01_waiting_13_plus", True), ("dm01_waiting_6_plus", True), ("DM01 13+ wks", True),
        ("waiting_list_activity", False), ("additional_scans", False),
        ("waiting_13_plus_2026-08", True), ("within_6_weeks_2026-08", False),
        ("completed_cases", False), ("scans", False), ("tests", False), ("lists", False),
        ("weeks_to_clear_backlog", False), ("planned_minutes", False), ("cases_per_list", False),
    ],
)  # fmt: skip
def test_patient_count_columns_are_named_by_the_catalogue(name, patients):
    assert is_patient_count(name) is patients


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


# --- the fast paths against the frame-wide calculation they replace --------------------------


def _frame_wide_hide(frame: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """hide_small_numbers as first written: one mask frame, pandas all the way."""
    from productivity.export import SUPPRESS_BELOW

    mask = pd.DataFrame(False, index=frame.index, columns=frame.columns)
    for column in frame.columns:
        series = frame[column]
        if not is_patient_count(str(column)) or pd.api.types.is_bool_dtype(series):
            continue
        values = pd.to_numeric(series, errors="coerce")
        mask[column] = values.notna() & (values >= 1) & (values < SUPPRESS_BELOW)
    return _frame_wide_cells(frame, mask)


def _frame_wide_cells(frame: pd.DataFrame, mask: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    mask = mask.reindex(index=frame.index, columns=frame.columns, fill_value=False).astype(bool)
    hidden = int(mask.to_numpy().sum())
    if not hidden:
        return frame, 0
    out = frame.copy()
    for column in [c for c in mask.columns if mask[c].any()]:
        series = out[column]
        if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
            out[column] = series.astype("float64").mask(mask[column])
        else:
            out[column] = series.astype(object).mask(mask[column], SUPPRESSED)
    return out, hidden


def _frame_wide_withhold(shown: pd.DataFrame, withheld: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    mask = withheld.reindex(index=shown.index, columns=shown.columns, fill_value=False)
    return _frame_wide_cells(
        shown, mask.astype(bool) & shown.notna() & (shown.astype(object) != SUPPRESSED)
    )


def _tables(seed: int) -> list[pd.DataFrame]:
    import numpy as np

    rng = np.random.default_rng(seed)
    n = int(rng.integers(0, 9))
    counts = rng.integers(0, 8, n)
    floats = np.where(rng.random(n) < 0.3, np.nan, rng.integers(0, 8, n).astype(float))
    frame = pd.DataFrame(
        {
            "trust": pd.Series([f"T{i}" for i in range(n)], dtype="str"),
            "patients_per_week": counts,
            "waiting_6_plus": floats,
            "dnas": pd.Series(rng.integers(0, 8, n), dtype="Int64"),
            "patients": pd.Series([str(v) if v % 3 else SUPPRESSED for v in counts], dtype=object),
            "13+ weeks": counts.astype("uint16"),
            "patients_flag": counts > 2,
            "completed_cases": counts,
            "distance_km": floats,
        },
        index=pd.RangeIndex(n) if seed % 2 else pd.Index(rng.permutation(n) * 10),
    )
    return [frame, frame.iloc[:0], frame[["trust", "completed_cases"]]]


@pytest.mark.parametrize("seed", range(40))
def test_hiding_column_by_column_is_exactly_the_frame_wide_rule(seed):
    from pandas.testing import assert_frame_equal

    from productivity.export import hide_withheld

    for frame in _tables(seed):
        fast, hidden = hide_small_numbers(frame)
        slow, hidden_slow = _frame_wide_hide(frame)
        assert hidden == hidden_slow
        assert_frame_equal(fast, slow)
        rng = pd.Series(range(len(frame)), index=frame.index)
        withheld = pd.DataFrame(
            {
                column: (rng * (seed + position) % 3 == 0)
                for position, column in enumerate(frame.columns)
                if position % 2 == seed % 2
            },
            index=frame.index,
        )
        fast_w, extra = hide_withheld(fast, withheld)
        slow_w, extra_slow = _frame_wide_withhold(slow, withheld)
        assert extra == extra_slow
        assert_frame_equal(fast_w, slow_w)


def test_json_records_are_plain_python_in_full_precision():
    frame = pd.DataFrame(
        {
            "share": [6 / 14, np.nan, np.inf],
            "count": [1, 2, 3],
            "trust": ["RBL", None, "=1+1"],
            "at": pd.to_datetime(["2026-01-01 00:00", "2026-02-03 04:05", None]),
            "flag": [True, False, True],
            "maybe": pd.array([1, None, 3], dtype="Int64"),
        }
    )
    rows = export.json_records(frame)
    assert rows[0] == {"share": 6 / 14, "count": 1, "trust": "RBL", "flag": True, "maybe": 1,
                       "at": "2026-01-01T00:00:00.000"}  # fmt: skip
    assert rows[1]["share"] is None and rows[1]["trust"] is None and rows[1]["maybe"] is None
    assert rows[2]["share"] is None and rows[2]["at"] is None  # inf and NaT: strict JSON
    assert json.loads(json.dumps(rows)) == rows
    assert [type(rows[0][c]) for c in ("share", "count", "flag")] == [float, int, bool]
