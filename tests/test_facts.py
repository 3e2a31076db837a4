"""What the app knows about its store: when it is empty enough to get the demo."""

from __future__ import annotations

from pathlib import Path

import pytest

from productivity import ingest
from productivity.errors import InputError
from productivity.store import facts

SAMPLES = Path(__file__).resolve().parent.parent / "data" / "samples"


def test_a_store_holding_only_imaging_is_not_empty_so_never_gets_the_demo(engine):
    assert facts.store_is_empty(engine)
    ingest.import_file(SAMPLES / "imaging-scanner-days-May-2026.csv", engine=engine)
    assert not facts.store_is_empty(engine)


def test_a_failed_import_leaves_the_store_empty(engine, tmp_path: Path):
    bad = tmp_path / "echo.csv"
    bad.write_text("trust_code,site,date,tests,scheduled_minutes\nRBL,RBL01,9999-12-31,5,200\n")
    with pytest.raises(InputError, match="9999-12-31"):
        ingest.import_file(bad, engine=engine)
    assert facts.store_is_empty(engine)
