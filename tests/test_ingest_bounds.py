"""Plausibility bounds for every kind (issue 13, item 10): implausible values are located errors.

Each bound is stated in SPEC terms beside its constant (a list's points, a site's day, a row of
DM01); here each is checked at its edge: the bound itself loads, just above it is refused.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from productivity import ingest
from productivity.errors import InputError
from productivity.ingest import dm01, echo, endoscopy, imaging

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "data" / "samples"


def problems(path: Path) -> list[tuple[int | None, str | None, str]]:
    with pytest.raises(InputError) as caught:
        ingest.read_file(path)
    return [(p.row, p.column, p.message) for p in caught.value.problems]


def write(tmp_path: Path, name: str, header: str, *rows: str) -> Path:
    path = tmp_path / name
    path.write_text("\n".join((header, *rows)) + "\n")
    return path


ENDOSCOPY = "trust_code,site,room,date,session,planned_points,used_points"
ECHO = "trust_code,site,date,tests,scheduled_minutes"
IMAGING = "trust_code,site,scanner_id,modality,date,operational_hours,scans"


@pytest.mark.parametrize(
    ("header", "row", "column", "limit"),
    [
        (ENDOSCOPY, "RBL,RBL01,Room 1,2026-05-04,AM,12,{}", "used_points", 60),
        (ENDOSCOPY, "RBL,RBL01,Room 1,2026-05-04,AM,{},12", "planned_points", 60),
        (ECHO, "RBL,RBL01,2026-05-04,30,{}", "scheduled_minutes", 14_400),
        (ECHO, "RBL,RBL01,2026-05-04,{},14400", "tests", 1_440),
        (IMAGING, "RBL,RBL01,CT1,CT,2026-05-04,24,{}", "scans", 480),
    ],
)
def test_each_bound_loads_at_its_edge_and_refuses_beyond(tmp_path, header, row, column, limit):
    at_edge = write(tmp_path, "edge.csv", header, row.format(limit))
    assert ingest.read_file(at_edge).rows == 1
    for value in (limit + 1, "1e20"):
        found = problems(write(tmp_path, "over.csv", header, row.format(value)))
        assert [(r, c) for r, c, _ in found] == [(2, column)]
        assert found[0][2].startswith(f"implausible: more than {limit:,}")


def test_the_bounds_are_the_named_constants():
    # 5 lists of 12 points; 10 rooms x 24 h x 60 min; a test every 10 min of those; 20 scans/h
    assert endoscopy.POINTS_BOUND.limit == 5 * 12
    assert echo.MINUTES_BOUND.limit == 10 * 24 * 60
    assert echo.TESTS_BOUND.limit == 10 * 24 * 60 / 10
    assert imaging.SCANS_BOUND.limit == 20 * 24
    assert dm01.COUNT_BOUND.limit == 2_000_000


def test_procedure_rows_that_add_up_past_a_list_are_refused(tmp_path):
    """61 colonoscopies (2 points each) on one list: 122 points, over 60."""
    header = "trust_code,site,room,date,session,procedure_type"
    rows = ["RBL,RBL01,Room 1,2026-05-04,AM,COLONOSCOPY"] * 31
    found = problems(write(tmp_path, "procedures.csv", header, *rows))
    assert [(r, c) for r, c, _ in found] == [(2, "procedure_type")]  # the list's first row
    assert "more than 60 points" in found[0][2]


def test_dm01_counts_past_englands_whole_list_are_refused(tmp_path):
    with zipfile.ZipFile(SAMPLES / "DM01-MAY-2026-full-extract.zip") as archive:
        text = archive.read(archive.namelist()[0]).decode()
    frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    frame.loc[0, "13+ Weeks"] = "900000000000000000"  # 9e17 patients waiting
    path = tmp_path / "DM01-MAY-2026-full-extract.csv"
    frame.to_csv(path, index=False)
    found = problems(path)
    assert (2, "13+ Weeks") in [(r, c) for r, c, _ in found]
    assert any("implausible: more than 2,000,000" in m for _, _, m in found)


THEATRE = SAMPLES / "theatre-extract-RBL-May-2026.csv"


@pytest.mark.parametrize(
    ("column", "value", "fragment"),
    [
        # A 400-day case: 3,808% uncapped utilisation if it got in.
        ("out_of_theatre", "2027-06-08T10:00", "more than a day from the list's session_date"),
        # Within the list's day-and-a-bit, but over 24 hours from anaesthetic start.
        ("out_of_theatre", "{next}T23:00", "a case of more than 24 hours"),
        ("anaesthetic_start", "2026-04-01T08:00", "more than a day from the list's session_date"),
        ("planned_end", "{next}T12:30", "a planned session of more than 24 hours"),
    ],
)
def test_implausible_theatre_times_are_located(tmp_path, column, value, fragment):
    frame = pd.read_csv(THEATRE, dtype=str, keep_default_na=False)
    day = pd.Timestamp(frame.loc[0, "session_date"])
    frame.loc[0, column] = value.format(next=(day + pd.Timedelta(days=1)).date())
    path = tmp_path / "theatre.csv"
    frame.to_csv(path, index=False)
    found = problems(path)
    assert [(r, c) for r, c, m in found if fragment in m] == [(2, column)]
    assert all(r in (2, 3) for r, _, _ in found)  # at most its list's other row disagrees


def test_a_long_but_possible_case_loads(tmp_path):
    """16 hours (a free-flap reconstruction) is unusual, not impossible."""
    frame = pd.read_csv(THEATRE, dtype=str, keep_default_na=False)
    start = pd.Timestamp(frame.loc[0, "anaesthetic_start"])
    frame.loc[0, "out_of_theatre"] = (start + pd.Timedelta(hours=16)).strftime("%Y-%m-%dT%H:%M")
    path = tmp_path / "theatre.csv"
    frame.to_csv(path, index=False)
    assert ingest.read_file(path).rows == 144
