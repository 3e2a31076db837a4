"""Marts never stay older than the data: a kill after a commit, or a failed rebuild, heals.

Real processes, killed for real: ``PRODUCTIVITY_KILL_AT`` makes ``python -m productivity`` send
itself SIGKILL at a named point (``import-committed``: the file's rows committed, the marts not
yet rebuilt; ``demo-committed``: the same for the demo). The next command that reads marts
(``report``, ``pack``, a duplicate ``import``, the app's engine, the worker's scan) finds the marts'
data stamp behind the store's and rebuilds, and its report equals one from a clean build.
"""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest
from sqlalchemy import Engine

from productivity import cli, ingest, settings
from productivity.store import db, marts, reports
from tests.conftest import fresh_store, store_url
from tests.golden_outputs import GOLDEN

SAMPLES = settings.DATA_DIR / "samples"
THEATRE = SAMPLES / "theatre-extract-RBL-May-2026.csv"
ENDOSCOPY = SAMPLES / "endoscopy-lists-RBL-May-2026.csv"
KILLED = -signal.SIGKILL


def killed(url: str, point: str, *args: str) -> subprocess.CompletedProcess[str]:
    """``python -m productivity ARGS`` in a real process on ``url``, killed at ``point``."""
    environment = {**os.environ, "DATABASE_URL": url, settings.KILL_AT_ENV: point}
    environment.pop("PRODUCTIVITY_BENCHMARKS", None)
    return subprocess.run(
        [sys.executable, "-m", "productivity", *args],
        cwd=settings.ROOT, env=environment, capture_output=True, text=True, timeout=300,
    )  # fmt: skip


def run(url: str, *args: str, benchmarks: Path | None = None) -> tuple[int, str, str]:
    """``python -m productivity ARGS`` on ``url`` in this process: (exit code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with pytest.MonkeyPatch.context() as patch, redirect_stdout(out), redirect_stderr(err):
        patch.setenv("DATABASE_URL", url)
        patch.delenv(settings.KILL_AT_ENV, raising=False)
        if benchmarks is None:
            patch.delenv("PRODUCTIVITY_BENCHMARKS", raising=False)
        else:
            patch.setenv("PRODUCTIVITY_BENCHMARKS", str(benchmarks))
        code = cli.main(list(args))
    return code, out.getvalue(), err.getvalue()


def url_of(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


@pytest.fixture(scope="module")
def reference_report(tmp_path_factory: pytest.TempPathFactory) -> str:
    """``report theatre --by theatre`` of a store that imported both samples without a kill."""
    url = store_url(tmp_path_factory.mktemp("reference"), "reference.db")
    fresh_store(url)
    for path in (ENDOSCOPY, THEATRE):
        assert run(url, "import", str(path))[0] == 0
    code, out, err = run(url, "report", "theatre", "--by", "theatre")
    assert code == 0, err
    db.get_engine(url).dispose()
    return out


def test_marts_record_the_data_they_were_built_from(engine: Engine):
    assert marts.data_stamp(engine) == ""  # nothing loaded yet
    ingest.import_file(ENDOSCOPY, engine=engine)
    assert not marts.marts_current(engine)  # never built
    assert marts.ensure_marts(engine) is True
    assert marts.marts_current(engine)
    assert marts.ensure_marts(engine) is False  # nothing newer: no second build
    before = marts.data_stamp(engine)
    ingest.import_file(THEATRE, engine=engine)  # committed, marts not rebuilt
    assert marts.data_stamp(engine) != before
    assert not marts.marts_current(engine)
    assert marts.theatre_report(engine).empty  # the stale marts do not have it yet
    assert marts.ensure_marts(engine) is True
    assert marts.theatre_report(engine)["lists"].sum() > 0


def test_an_import_killed_after_its_commit_is_in_the_next_report(engine, reference_report):
    url = url_of(engine)
    assert run(url, "import", str(ENDOSCOPY))[0] == 0
    result = killed(url, "import-committed", "import", str(THEATRE))
    assert result.returncode == KILLED, result.stderr
    assert result.stdout.startswith("loaded 144 theatre rows for RBL")
    # The rows are in the store and the marts do not know: the state the issue describes.
    assert not marts.marts_current(engine)
    assert marts.theatre_report(engine).empty

    code, out, err = run(url, "report", "theatre", "--by", "theatre")
    assert code == 0, err
    assert out == reference_report  # byte for byte, as after a clean import
    assert marts.marts_current(engine)


def test_re_importing_the_killed_file_says_duplicate_and_rebuilds(engine, reference_report):
    url = url_of(engine)
    assert run(url, "import", str(ENDOSCOPY))[0] == 0
    assert killed(url, "import-committed", "import", str(THEATRE)).returncode == KILLED
    code, out, err = run(url, "import", str(THEATRE))
    assert code == 0, err
    assert "already loaded" in out and "nothing added" in out
    assert marts.marts_current(engine)  # the duplicate's command rebuilt the stale marts
    assert run(url, "report", "theatre", "--by", "theatre")[1] == reference_report


def test_a_failed_rebuild_leaves_the_next_report_to_rebuild(engine, reference_report, tmp_path):
    url = url_of(engine)
    assert run(url, "import", str(ENDOSCOPY))[0] == 0
    broken = tmp_path / "local.toml"
    broken.write_text("[late_start_minutes\n")  # a local override with a typo
    code, out, err = run(url, "import", str(THEATRE), benchmarks=broken)
    # The rows committed; the rebuild after them could not read the benchmarks.
    assert code == 2 and "not valid TOML" in err
    assert out.startswith("loaded 144 theatre rows")
    assert not marts.marts_current(engine)

    code, out, err = run(url, "report", "theatre", "--by", "theatre")  # the typo fixed
    assert code == 0, err
    assert out == reference_report


def test_a_demo_killed_after_its_commit_reports_as_the_demo(tmp_path: Path):
    """The killed demo replaced an import (its run id is 1 again on SQLite) and still heals."""
    url = store_url(tmp_path, "killed-demo.db")
    engine = fresh_store(url)
    assert run(url, "import", str(THEATRE))[0] == 0
    result = killed(url, "demo-committed", "demo", "--months", "3", "--seed", "1")
    assert result.returncode == KILLED, result.stderr
    assert not marts.marts_current(engine)

    code, out, err = run(url, "report", "theatre", "--by", "trust")
    assert code == 0, err
    # The golden file is this report on a clean 3-month demo (seed 1).
    assert out == (GOLDEN / "report_theatre_by_trust.csv").read_text()
    db.get_engine(url).dispose()


@pytest.fixture
def specialty_map(tmp_path, monkeypatch):
    """A copy of the specialty map that a test may edit, read in place of the shipped one."""
    from productivity.ingest import checks

    path = tmp_path / "specialties.toml"
    path.write_bytes(checks.SPECIALTIES_FILE.read_bytes())
    monkeypatch.setattr(checks, "SPECIALTIES_FILE", path)
    checks.specialty_names.cache_clear()
    yield path
    monkeypatch.undo()
    checks.specialty_names.cache_clear()  # no later test reads the edited map


def test_an_edited_specialty_map_makes_the_marts_stale(engine, specialty_map):
    """The quality mart counts lists whose specialty the map does not name: editing the map
    leaves the marts stale, and the rebuild counts with the new map."""

    def unmapped() -> int:
        quality = reports.quality_table(engine, marts.Period(None, None), "RBL")
        return int(quality["unmapped_specialties"].sum())

    ingest.import_file(THEATRE, engine=engine)
    assert marts.ensure_marts(engine) is True and marts.marts_current(engine)
    assert unmapped() == 0  # every specialty of the sample is in the map
    general = marts.read_mart(engine, marts.THEATRE_LIST, trusts=["RBL"])
    lists = int((general["specialty"] == "General Surgery").sum())
    assert lists > 0

    shipped = specialty_map.read_text()
    specialty_map.write_text(
        "\n".join(line for line in shipped.splitlines() if not line.startswith('"General Surgery"'))
    )
    assert not marts.marts_current(engine)  # the build counted with the old map
    assert marts.ensure_marts(engine) is True
    assert unmapped() == lists  # General Surgery's lists are unmapped now
    assert marts.marts_current(engine) and marts.ensure_marts(engine) is False

    specialty_map.write_text(shipped)  # back as shipped: stale again, and 0 after the rebuild
    assert not marts.marts_current(engine)
    assert marts.ensure_marts(engine) is True and unmapped() == 0
