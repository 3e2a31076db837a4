"""The Theatres page's in-memory reads of a trust's rows give what the SQL readers give."""

from __future__ import annotations

import pandas as pd
import pytest

from productivity.store import marts, readers
from productivity.views import theatre_ranking, theatre_rows, theatres

PERIODS = [marts.Period(), marts.Period("2026-09", "2026-09"), marts.Period("2026-09", None)]


def units(engine) -> list[dict[str, str]]:
    found = readers.trust_sites_and_theatres(engine, "RBL")
    site, theatre = found["site"].iloc[0], found["theatre"].iloc[0]
    return [
        {"trust_code": "RBL"},
        {"trust_code": "RBL", "site": site},
        {"trust_code": "RBL", "site": site, "theatre": theatre},
        {"trust_code": "RBL", "specialty": "General Surgery"},
    ]


@pytest.mark.parametrize("period", PERIODS)
@pytest.mark.parametrize(
    "columns", [theatres.UNIT_VIEW_COLUMNS, theatre_ranking.READ_COLUMNS, None]
)
def test_list_rows_are_the_sql_readers(demo_engine, period, columns):
    for unit in units(demo_engine):
        expected = readers.theatre_lists(demo_engine, period, unit, columns)
        assert len(expected)
        got = theatre_rows.theatre_lists(demo_engine, period, unit, columns)
        pd.testing.assert_frame_equal(got, expected, check_exact=True)


@pytest.mark.parametrize("period", PERIODS)
def test_gap_histograms_and_trust_sums_are_the_sql_readers(demo_engine, period):
    for unit in units(demo_engine):
        expected = readers.theatre_gaps(demo_engine, period, unit)
        got = theatre_rows.theatre_gaps(demo_engine, period, unit)
        # PostgreSQL's SUM of integers reads back as a float: the values must agree exactly,
        # and the in-memory counts are integers on either store.
        pd.testing.assert_frame_equal(got, expected, check_exact=True, check_dtype=False)
        assert pd.api.types.is_integer_dtype(got["gaps"])
    for specialty in (None, "General Surgery"):
        expected = readers.theatre_sums_by_trust(demo_engine, period, specialty)
        got = theatre_rows.theatre_sums_by_trust(demo_engine, period, specialty)
        pd.testing.assert_frame_equal(got, expected, check_exact=True)


def test_rows_are_held_per_trust_only(demo_engine):
    with pytest.raises(ValueError, match="per trust"):
        theatre_rows.theatre_lists(demo_engine, marts.Period(), {"site": "RBL01"})
    with pytest.raises(ValueError, match="cannot filter"):
        theatre_rows.theatre_lists(demo_engine, marts.Period(), {"trust_code": "RBL", "x": "1"})


def test_every_trusts_sites_and_theatres_read_once_are_each_trusts(demo_engine):
    every = readers.sites_and_theatres(demo_engine)
    assert every["trust_code"].nunique() > 1
    for trust in every["trust_code"].unique():
        expected = readers.trust_sites_and_theatres(demo_engine, trust)
        got = theatre_rows.trust_sites_and_theatres(demo_engine, trust)
        order = ["site", "theatre"]
        pd.testing.assert_frame_equal(
            got.sort_values(order, ignore_index=True),
            expected.sort_values(order, ignore_index=True),
        )
    assert theatre_rows.trust_sites_and_theatres(demo_engine, "XXX").empty
