"""Four reader processes render while one importer writes, for ``CONCURRENCY_SECONDS`` (30).

Real processes, the app's own functions. The importer loads canonical theatre and imaging CSV
files (SPEC §3), one month at a time, each replacing the same month's earlier file, and
rebuilds the marts after each, as the Data page does. Readers call what pages call
(``marts.theatre_report``, ``reports.trust_scorecard``) and, after each render, check that they
never see part of an import:

- in ONE read transaction (SQLite WAL: a snapshot; PostgreSQL: REPEATABLE READ), the rows each
  loaded ``import_run`` left in the store are all of its ``rows`` or none of them, and every month
  holds exactly the lists and scanner-days its file had;
- every mart holds every month with exactly its file's lists, planned minutes, scanner-days and
  scans, so a reader never sees a half-built or missing mart. On PostgreSQL this is one
  statement per mart at READ COMMITTED (what pages use): a REPEATABLE READ snapshot taken
  before a swap commits would find the swapped-in table empty, as PostgreSQL's manual warns
  for DDL ("MVCC caveats"), so pages must not read marts at that level.

Reader latencies (median and p95 per operation) are printed (``pytest -s``) and written to
``reader-latency.json`` in the test's tmp_path.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import time
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import Connection, Engine, text

from productivity import ingest
from productivity.benchmarks import load_benchmarks
from productivity.store import db, marts, reports

ROOT = Path(__file__).resolve().parent.parent
SECONDS = float(os.environ.get("CONCURRENCY_SECONDS", "30"))
READERS = 4
TRUST, SITE = "RBL", "RBL01"
MONTHS = ("2026-01", "2026-02", "2026-03", "2026-04", "2026-05", "2026-06")
CASES_PER_LIST = 2
PLANNED_MINUTES = 240  # every list runs 08:30-12:30
SCANNERS = (("RBL-CT1", "CT"), ("RBL-MR1", "MRI"))
SCAN_DAYS = 10


def lists_in(month: str) -> int:
    """Each month has its own list count, so a mart mixing two states cannot add up."""
    return 3 + MONTHS.index(month)


def scans_per_day(month: str) -> int:
    return 20 + MONTHS.index(month)


def theatre_csv(month: str, variant: int) -> str:
    """A canonical theatre extract: lists_in(month) morning lists, two completed cases each.

    ``variant`` names the cases and shifts their times, so each file is new content for the same
    trust and month (replacing the month's earlier file) with the same counts and planned minutes.
    """
    lines = [
        "trust_code,site,theatre,session_date,session,planned_start,planned_end,specialty,"
        "case_id,procedure_code,priority,anaesthetic_start,into_theatre,knife_to_skin,"
        "out_of_theatre,cancelled,cancel_reason,cancel_clinical"
    ]
    shift = dt.timedelta(minutes=variant % 20)
    for day in range(1, lists_in(month) + 1):
        date = f"{month}-{day:02d}"
        for case in range(CASES_PER_LIST):
            start = dt.datetime.fromisoformat(f"{date}T09:00") + case * dt.timedelta(hours=2)
            times = ",".join(
                (start + shift + dt.timedelta(minutes=m)).strftime("%Y-%m-%dT%H:%M")
                for m in (0, 10, 15, 70)
            )
            lines.append(
                f"{TRUST},{SITE},Theatre 1,{date},AM,08:30,12:30,General Surgery,"
                f"{TRUST}-{date}-{case}-v{variant},T20.1,elective,{times},N,,N"
            )
    return "\n".join(lines) + "\n"


def imaging_csv(month: str, variant: int) -> str:
    lines = ["trust_code,site,scanner_id,modality,date,operational_hours,scans"]
    for scanner, modality in SCANNERS:
        for day in range(1, SCAN_DAYS + 1):
            hours = 10 + variant / 1000  # a new file each time; the checks use scans and days
            lines.append(
                f"{TRUST},{SITE},{scanner},{modality},{month}-{day:02d},{hours},"
                f"{scans_per_day(month)}"
            )
    return "\n".join(lines) + "\n"


def import_month(engine: Engine, folder: Path, month: str, variant: int) -> None:
    for kind, content in (("theatre", theatre_csv), ("imaging", imaging_csv)):
        path = folder / f"{kind}-{month}-{variant}.csv"
        path.write_text(content(month, variant))
        result = ingest.import_file(path, kind=kind, engine=engine)
        assert result.status == "loaded", result.message
        path.unlink()


# --- the checks a reader makes ---------------------------------------------------------------


def case_level_problems(conn: Connection) -> list[str]:
    """What a torn read of the case-level tables would show; run inside one transaction."""
    runs = conn.execute(text("SELECT id, kind, rows FROM import_run WHERE status = 'loaded'"))
    expected = {run_id: (kind, rows) for run_id, kind, rows in runs}
    cases = dict(
        conn.execute(
            text(
                "SELECT l.import_run_id, count(*) FROM theatre_case c "
                "JOIN theatre_list l ON l.list_id = c.list_id GROUP BY l.import_run_id"
            )
        ).all()
    )
    days = dict(
        conn.execute(
            text("SELECT import_run_id, count(*) FROM scanner_day GROUP BY import_run_id")
        ).all()
    )
    problems = []
    for run_id, (kind, rows) in expected.items():
        seen = (cases if kind == "theatre" else days).get(run_id, 0)
        if seen not in (0, rows):
            problems.append(f"import_run {run_id} ({kind}): {seen} of {rows} rows visible")
    for run_id in (set(cases) | set(days)) - set(expected):
        problems.append(f"rows of import_run {run_id} visible before the run itself")
    for month in MONTHS:
        lists = conn.execute(
            text(
                "SELECT count(*) FROM theatre_list WHERE session_date BETWEEN :lo AND :hi "
                "AND trust_code = :trust"
            ),
            {"lo": f"{month}-01", "hi": f"{month}-28", "trust": TRUST},
        ).scalar()
        if lists != lists_in(month):
            problems.append(f"{month}: {lists} theatre lists, the file had {lists_in(month)}")
    return problems


def mart_problems(conn: Connection) -> list[str]:
    """What a reader of a half-built, empty or missing mart would see: one statement per mart."""
    problems = []
    lists = {
        month: (count, minutes)
        for month, count, minutes in conn.execute(
            text(
                f"SELECT month, count(*), sum(planned_minutes) FROM {marts.THEATRE_LIST} "
                "GROUP BY month"
            )
        )
    }
    want = {m: (lists_in(m), float(lists_in(m) * PLANNED_MINUTES)) for m in MONTHS}
    if {m: (c, float(p)) for m, (c, p) in lists.items()} != want:
        problems.append(f"{marts.THEATRE_LIST}: {lists}, expected {want}")
    imaging = {
        month: (int(days), int(scans))
        for month, days, scans in conn.execute(
            text(f"SELECT month, sum(days), sum(scans) FROM {marts.IMAGING} GROUP BY month")
        )
    }
    per_month = SCAN_DAYS * len(SCANNERS)
    want_imaging = {m: (per_month, per_month * scans_per_day(m)) for m in MONTHS}
    if imaging != want_imaging:
        problems.append(f"{marts.IMAGING}: {imaging}, expected {want_imaging}")
    return problems


@contextmanager
def _read_transaction(engine: Engine) -> Iterator[Connection]:
    """One read transaction: a WAL snapshot on SQLite, REPEATABLE READ on PostgreSQL."""
    options = {"isolation_level": "REPEATABLE READ"} if engine.dialect.name != "sqlite" else {}
    with engine.connect().execution_options(**options) as conn, conn.begin():
        yield conn


# --- the processes ---------------------------------------------------------------------------


def _write(path: Path, outcome: dict) -> None:
    path.write_text(json.dumps(outcome))


def _ready() -> float:
    """Tell the test this process is ready, wait for its go, and return the deadline."""
    print("ready", flush=True)
    sys.stdin.readline()
    return time.time() + SECONDS


def reader(url: str, out: str) -> None:
    """Render and check for SECONDS; every error is recorded, never raised."""
    engine = db.get_engine(url)
    benchmarks = load_benchmarks()
    deadline = _ready()
    everything = marts.Period()
    outcome: dict = {"errors": [], "torn": [], "latency": {}, "renders": 0}

    def timed(name: str, call):
        started = time.perf_counter()
        result = call()
        outcome["latency"].setdefault(name, []).append(time.perf_counter() - started)
        return result

    while time.time() < deadline:
        try:
            started = time.perf_counter()
            timed("theatre_report", lambda: marts.theatre_report(engine, by="trust"))
            timed(
                "trust_scorecard",
                lambda: reports.trust_scorecard(engine, everything, benchmarks),
            )
            outcome["latency"].setdefault("render", []).append(time.perf_counter() - started)
            with _read_transaction(engine) as conn:
                torn = timed("case_check", lambda: case_level_problems(conn))
                if engine.dialect.name == "sqlite":  # the same snapshot covers the marts
                    torn += timed("mart_check", lambda: mart_problems(conn))
            if engine.dialect.name != "sqlite":
                with engine.connect() as conn:
                    torn += timed("mart_check", lambda: mart_problems(conn))
            outcome["torn"].extend(torn)
            outcome["renders"] += 1
        except Exception:  # noqa: BLE001 (each one is reported by the test)
            outcome["errors"].append(traceback.format_exc())
    _write(Path(out), outcome)


def importer(url: str, out: str, folder: str) -> None:
    """Replace one month after another (theatre then imaging), rebuilding marts after each."""
    engine = db.get_engine(url)
    deadline = _ready()
    outcome: dict = {"errors": [], "imports": 0, "latency": {}}
    variant = len(MONTHS)
    while time.time() < deadline:
        month = MONTHS[variant % len(MONTHS)]
        try:
            started = time.perf_counter()
            import_month(engine, Path(folder), month, variant)
            rebuilt = time.perf_counter()
            marts.rebuild_marts(engine)
            done = time.perf_counter()
            outcome["latency"].setdefault("import", []).append(rebuilt - started)
            outcome["latency"].setdefault("rebuild_marts", []).append(done - rebuilt)
            outcome["imports"] += 1
        except Exception:  # noqa: BLE001
            outcome["errors"].append(traceback.format_exc())
        variant += 1
    _write(Path(out), outcome)


def start_process(call: str, log: Path) -> subprocess.Popen[str]:
    """Run ``call`` (a reader or the importer) in a new interpreter.

    A plain subprocess rather than multiprocessing: after an AppTest has run in this pytest
    process, ``__main__`` is a page script, and a spawned child would run that page first.
    """
    with log.open("w") as errors:
        return subprocess.Popen(
            [sys.executable, "-c", f"from tests.test_concurrency import *; {call}"],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=errors,
            text=True,
        )


def summarise(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]
    return {
        "n": len(ordered),
        "median_ms": round(statistics.median(ordered) * 1000, 1),
        "p95_ms": round(p95 * 1000, 1),
        "max_ms": round(ordered[-1] * 1000, 1),
    }


def test_readers_never_see_a_lock_error_or_half_an_import(engine, tmp_path):
    folder = tmp_path / "files"
    folder.mkdir()
    for variant, month in enumerate(MONTHS):
        import_month(engine, folder, month, variant)
    marts.rebuild_marts(engine)
    with engine.connect() as conn:
        assert case_level_problems(conn) == []
        assert mart_problems(conn) == []
    url = engine.url.render_as_string(hide_password=False)
    engine.dispose()

    outputs = [tmp_path / f"reader-{i}.json" for i in range(READERS)]
    calls = [f"reader({url!r}, {str(path)!r})" for path in outputs]
    calls.append(f"importer({url!r}, {str(tmp_path / 'importer.json')!r}, {str(folder)!r})")
    logs = [tmp_path / f"process-{i}.log" for i in range(len(calls))]
    processes = [start_process(call, log) for call, log in zip(calls, logs, strict=True)]
    try:
        # The clock starts when every process has imported the app and is ready.
        for process, log in zip(processes, logs, strict=True):
            assert process.stdout.readline() == "ready\n", log.read_text()[-3000:]
        for process in processes:
            process.stdin.write("go\n")
            process.stdin.flush()
        for process, log in zip(processes, logs, strict=True):
            assert process.wait(timeout=SECONDS + 300) == 0, log.read_text()[-3000:]
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.wait()
            process.stdin.close()
            process.stdout.close()

    readers = [json.loads(path.read_text()) for path in outputs]
    written = json.loads((tmp_path / "importer.json").read_text())
    errors = [e for r in readers for e in r["errors"]]
    lock_errors = [e for e in errors if "locked" in e.lower()]
    assert lock_errors == [], lock_errors[0]
    assert errors == [], errors[0]
    assert written["errors"] == [], written["errors"][0]
    torn = [t for r in readers for t in r["torn"]]
    assert torn == [], torn[:5]
    assert written["imports"] >= 2, "the importer must keep writing while readers read"
    assert all(r["renders"] >= 3 for r in readers)

    latency = {
        name: summarise([s for r in readers for s in r["latency"].get(name, [])])
        for name in ("render", "theatre_report", "trust_scorecard", "case_check", "mart_check")
    }
    report = {
        "store": engine.dialect.name,
        "seconds": SECONDS,
        "readers": READERS,
        "renders": sum(r["renders"] for r in readers),
        "imports": written["imports"],
        "reader_latency": latency,
        "writer_latency": {k: summarise(v) for k, v in written["latency"].items()},
    }
    summary = tmp_path / "reader-latency.json"
    summary.write_text(json.dumps(report, indent=2))
    print(f"\nreader latency under write load on {engine.dialect.name}: {summary}")
    for name, numbers in {**latency, **report["writer_latency"]}.items():
        print(
            f"  {name:16} median {numbers['median_ms']:8.1f} ms   p95 {numbers['p95_ms']:8.1f} ms"
            f"   (n={numbers['n']})"
        )


@pytest.mark.parametrize("month", MONTHS[:2])
def test_the_generated_files_add_up(engine, tmp_path, month):
    """The checks' arithmetic, on a quiet store: one month's files as the readers expect them."""
    import_month(engine, tmp_path, month, variant=0)
    with engine.connect() as conn:
        rows = dict(conn.execute(text("SELECT kind, rows FROM import_run")).all())
    # lists_in(2026-01) = 3 lists x 2 cases; 2 scanners x 10 days
    assert rows == {
        "theatre": lists_in(month) * CASES_PER_LIST,
        "imaging": SCAN_DAYS * len(SCANNERS),
    }


def test_the_checks_see_a_torn_import_and_a_half_built_mart(engine, tmp_path):
    """The readers' checks are not vacuous: half an import and half a mart are both reported."""
    for variant, month in enumerate(MONTHS):
        import_month(engine, tmp_path, month, variant)
    marts.rebuild_marts(engine)
    with db.write_transaction(engine) as conn:
        conn.execute(text("DELETE FROM theatre_case WHERE case_id LIKE 'RBL-2026-01-%-0-v0'"))
        conn.execute(text(f"DELETE FROM {marts.IMAGING} WHERE month = '2026-06'"))
    with engine.connect() as conn:
        torn = case_level_problems(conn)
        half = mart_problems(conn)
    # 2026-01 had 3 lists x 2 cases = 6 rows; case 0 of each list is gone
    assert torn == ["import_run 1 (theatre): 3 of 6 rows visible"]
    assert len(half) == 1 and half[0].startswith(marts.IMAGING)
