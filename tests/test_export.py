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
