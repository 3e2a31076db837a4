"""Nobody in: identifiers refused, free text never stored, map paths confined (issue 13, item 11).

Headers such as "Date of Birth (DOB)", "Pt Name", "MRN" and "Hospital Number" are refused like
NHS number; a cancellation reason is stored as its category only; a column map's ``[options]``
paths stay inside the map's folder and the refusal never says whether an outside file exists.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from productivity import ingest
from productivity.errors import InputError
from productivity.ingest.maps import load_map
from productivity.ingest.pid import is_pid_header
from productivity.ingest.theatre_columns import CANCEL_CATEGORIES, cancel_category
from productivity.store import db

ROOT = Path(__file__).resolve().parent.parent
THEATRE = ROOT / "data" / "samples" / "theatre-extract-RBL-May-2026.csv"


@pytest.mark.parametrize(
    "header",
    ["Date of Birth (DOB)", "Pt Name", "MRN", "Hospital Number", "Hospital No.", "Patient DOB",
     "Local Patient ID", "NHS_No", "Post Code", "Surname"],
)  # fmt: skip
def test_identifier_headers_are_refused_and_their_values_never_repeated(tmp_path, header):
    frame = pd.read_csv(THEATRE, dtype=str, keep_default_na=False)
    frame[header] = "SECRET-" + frame.index.astype(str)
    path = tmp_path / "theatre.csv"
    frame.to_csv(path, index=False)
    with pytest.raises(InputError) as caught:
        ingest.read_file(path)
    [problem] = caught.value.problems
    assert (problem.row, problem.column) == (1, header)
    assert "patient-identifiable column refused" in problem.message
    assert "SECRET" not in str(caught.value)


@pytest.mark.parametrize(
    "header",
    ["Hospital", "Site Name", "Provider Name", "Theatre Name", "Patient Class",
     "PATIENT SOURCE SETTING TYPE (DIAGNOSTIC IMAGING)", "Postcode District", "Case Number"],
)  # fmt: skip
def test_ordinary_headers_that_share_a_word_are_not_refused(header):
    assert not is_pid_header(header)


@pytest.mark.parametrize(
    ("reason", "clinical", "category"),
    [
        ("Patient unfit for surgery - Mrs J Smith, chest infection", False, "clinical"),
        ("No ward bed available", False, "hospital-non-clinical"),
        ("List overran", False, "hospital-non-clinical"),
        ("Hospital - non-clinical", False, "hospital-non-clinical"),
        ("Patient DNA", False, "patient"),
        ("Patient declined surgery", False, "patient"),
        ("Surgeon called to theatre 2", True, "clinical"),  # the clinical flag decides
        ("see notes for Mr A Jones", False, "other"),
        ("", False, None),
    ],
)
def test_a_cancellation_reason_is_stored_as_its_category(reason, clinical, category):
    got = cancel_category(pd.Series([reason]), pd.Series([clinical]))[0]
    if category is None:
        assert pd.isna(got)
    else:
        assert got == category and got in CANCEL_CATEGORIES


def test_free_text_never_reaches_the_store(engine, tmp_path):
    frame = pd.read_csv(THEATRE, dtype=str, keep_default_na=False)
    live = frame["case_id"] != ""
    frame.loc[live, "cancelled"] = "Y"
    frame.loc[live, "cancel_reason"] = "Pt Mrs Jane Smith (MRN 1234567) unwell"
    path = tmp_path / "theatre.csv"
    frame.to_csv(path, index=False)
    ingest.import_file(path, engine=engine)
    stored = db.read_frame("SELECT DISTINCT cancel_reason FROM theatre_case", engine=engine)
    assert stored["cancel_reason"].tolist() == ["clinical"]


def map_with(tmp_path: Path, value: str) -> Path:
    folder = tmp_path / "maps"
    folder.mkdir(exist_ok=True)
    path = folder / "map.toml"
    path.write_text(f'kind = "imaging"\n[options]\nsessions_file = "{value}"\n')
    return path


def test_map_option_paths_stay_in_the_maps_folder(tmp_path):
    inside = map_with(tmp_path, "sessions.csv")
    assert load_map(inside).option_path("sessions_file") == (inside.parent / "sessions.csv")
    (tmp_path / "outside.csv").write_text("secret\n")
    messages = set()
    for value in ("../outside.csv", "../missing.csv", "/etc/passwd", "/etc/no-such-file"):
        cmap = load_map(map_with(tmp_path, value))
        with pytest.raises(InputError) as caught:
            cmap.option_path("sessions_file")
        messages.add(str(caught.value))
    # One message for an outside file that exists and one that does not: nothing is confirmed.
    assert len(messages) == 1 and "must name a file in the map's own folder" in messages.pop()


def test_a_link_out_of_the_maps_folder_is_refused(tmp_path):
    path = map_with(tmp_path, "linked.csv")
    (tmp_path / "outside.csv").write_text("x\n")
    (path.parent / "linked.csv").symlink_to(tmp_path / "outside.csv")
    with pytest.raises(InputError, match="map's own folder"):
        load_map(path).option_path("sessions_file")
