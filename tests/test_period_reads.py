"""A period applied in memory to a mart cached per build gives the rows SQL would select, and the
turnaround medians of every group at once equal the median of each group's histogram."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Engine, text

from productivity import ingest, settings
from productivity.store import marts
from productivity.store.mart_reads import in_period
from productivity.views.reporting import median_from_histogram, medians_from_histograms

SAMPLES = settings.DATA_DIR / "samples"


def test_in_period_keeps_the_months_inside_both_ends():
    rows = pd.DataFrame(
        {"month": ["2026-01", "2026-02", "2026-03", None, "2026-04"], "n": range(5)}
    )
    kept = in_period(rows, marts.Period("2026-02", "2026-03"))
    assert kept["n"].tolist() == [1, 2] and kept.index.tolist() == [0, 1]
    assert in_period(rows, marts.Period("2026-03", None))["n"].tolist() == [2, 4]
    assert in_period(rows, marts.Period(None, "2026-01"))["n"].tolist() == [0]


def test_a_period_read_equals_the_sql_condition(engine: Engine):
    for sample in ("theatre-extract-RBL-May-2026.csv", "appointments-RBL-May-2026.csv"):
        ingest.import_file(SAMPLES / sample, engine=engine)
    marts.rebuild_marts(engine)
    for period in (marts.Period("2026-05", "2026-05"), marts.Period("2026-06", None)):
        clause, params = period.where()
        for mart in (marts.THEATRE_MONTH, marts.THEATRE_WEEK, marts.ATTENDANCE):
            with engine.connect() as conn:
                query = text(f'SELECT * FROM "{mart}" WHERE {clause}')
                expected = pd.read_sql_query(query, conn, params=params)
            # An empty SELECT has no values to type its columns by: compare those by name only.
            pd.testing.assert_frame_equal(
                marts.read_mart(engine, mart, period), expected, check_dtype=not expected.empty
            )
    month = marts.read_mart(engine, marts.THEATRE_MONTH, marts.Period("2026-05", "2026-05"))
    assert len(month) > 0
    assert marts.read_mart(engine, marts.THEATRE_MONTH, marts.Period("2026-06", None)).empty
    limited = marts.read_mart(
        engine, marts.THEATRE_MONTH, marts.Period("2026-05", None), columns=["trust_code", "lists"]
    )
    assert list(limited.columns) == ["trust_code", "lists"] and len(limited) == len(month)


def test_medians_of_every_group_at_once():
    days = pd.DataFrame(
        {
            "trust_code": ["A", "A", "A", "A", "B", "C", "C"],
            "measure": ["m"] * 7,
            "days": [3, 1, 2, 3, 5, 4, 7],
            "events": [1, 1, 1, 1, 0, 2, 1],
        }
    )
    # A: 1, 2, 3, 3 -> (2 + 3) / 2; B: no events, no median; C: 4, 4, 7 -> 4.
    got = medians_from_histograms(days, ["trust_code", "measure"])
    assert got.to_dict("records") == [
        {"trust_code": "A", "measure": "m", "median_days": 2.5},
        {"trust_code": "C", "measure": "m", "median_days": 4.0},
    ]
    for code, median in (("A", 2.5), ("C", 4.0)):
        assert median_from_histogram(days[days["trust_code"] == code]) == median
