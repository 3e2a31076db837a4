"""The performance harness: ``python -m perf --scale tiny|trust|region|national``.

On one set of synthetic data (:mod:`productivity.synth`), in one run, it times our code against a
baseline, step by step:

1. ``theatre metrics``: list_metrics + case_gaps + theatre_opportunity + summarise per
   trust × month, a month at a time, against the same computation in DuckDB SQL
   (:mod:`perf.duckdb_baseline`). Our per-list and per trust-month results must equal DuckDB's to
   1e-9 before any time is reported; a mismatch prints a diff and exits 1.
2. ``import``: ``ingest.import_file`` on a theatre extract CSV against bare ``pandas.read_csv`` +
   ``DataFrame.to_sql`` of the same file into a fresh SQLite file.
3. ``marts``: ``marts.rebuild_marts`` on the store against pandas ``read_sql`` + the DuckDB SQL +
   ``to_sql`` (DuckDB's sqlite scanner needs a download, so it is not used); then a corrected
   file for one trust's month imported with ``refresh_marts=True`` (only the touched marts
   refreshed, in the import's transaction) against that full rebuild.
4. ``pages``: every page through Streamlit's AppTest on that store (:mod:`perf.pages`): the
   first render and the median and worst filter change, each filter to a fresh value, against
   a trivial page (the floor) timed the same way in the same run.

Steps 1-3 live in :mod:`perf.steps`. It prints the tables and writes them, with the machine it
ran on, to ``perf/results/latest.json`` (one entry per scale; ``tiny`` writes nothing unless
``--out`` is given). Targets are reported, never asserted. This is not a test module: timings
live here, correctness lives in tests/.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

from perf import apptest, pages, report
from perf.common import RESULTS, SCALES, MismatchError, Result, Scale, calibrated
from perf.steps import complete_store, step_import, step_marts, step_metrics, step_refresh

# The scales each step's target is set for; at other scales it is shown as indicative.
TARGET_SCALES = {"theatre metrics": ("national",), "import": ("region", "national")}
STEPS = ("metrics", "import", "marts", "pages")


def step_pages(
    url: str, scale_name: str, scale: Scale, log: Callable[[str], None]
) -> pages.PagesReport:
    """Every page on the store at ``url``, against the floor, read against the scale's targets."""
    targets = pages.TARGETS[pages.SCALE_TARGETS[scale_name]]
    # The collaborative targets are set on the 12-month demo (282k cases), not these stores.
    indicative = scale_name in ("tiny", "trust")
    return pages.measure_pages(
        apptest.discover(), scale.page_rounds, targets, url=url, log=log, indicative=indicative
    )


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m perf", description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", choices=SCALES, default="tiny")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--steps", default=",".join(STEPS),
                        help=f"comma-separated subset of {','.join(STEPS)}")  # fmt: skip
    parser.add_argument("--threads", type=int, default=None,
                        help="DuckDB threads (default: DuckDB's own, one per core)")  # fmt: skip
    parser.add_argument("--page-rounds", type=int, default=None,
                        help="first renders per page (default: the scale's)")  # fmt: skip
    parser.add_argument(
        "--full-store", action="store_true",
        help="load every month into the store even at national scale (for the page step)",
    )  # fmt: skip
    parser.add_argument(
        "--out", type=Path, default=None,
        help="results JSON (default perf/results/latest.json; tiny writes none)",
    )  # fmt: skip
    parser.add_argument(
        "--workdir", type=Path, default=None,
        help="where generated files and stores go (default: a temp dir, removed after)",
    )  # fmt: skip
    args = parser.parse_args(argv)
    steps = [s.strip() for s in args.steps.split(",") if s.strip()]
    unknown = sorted(set(steps) - set(STEPS))
    if unknown:
        parser.error(f"unknown steps {unknown}: choose from {', '.join(STEPS)}")
    args.steps = steps
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    scale = calibrated(SCALES[args.scale], args.seed)
    if args.full_store:
        scale = dataclasses.replace(scale, store_all=True)
    if args.page_rounds is not None:
        scale = dataclasses.replace(scale, page_rounds=args.page_rounds)

    def log(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    work = args.workdir or Path(tempfile.mkdtemp(prefix=f"perf-{args.scale}-"))
    work.mkdir(parents=True, exist_ok=True)
    results: list[Result] = []
    notes: list[str] = []
    timed_pages: pages.PagesReport | None = None
    started = time.perf_counter()
    load_at_start = [round(x, 2) for x in os.getloadavg()]
    try:
        if "metrics" in args.steps:
            log(f"[1] theatre metrics: ours vs DuckDB, {scale.months} month(s) of "
                f"{scale.theatres:,} theatres")  # fmt: skip
            results += step_metrics(scale, args.seed, args.threads, log)
        url = None
        if {"import", "marts", "pages"} & set(args.steps):
            log("[2] import: ingest.import_file vs read_csv + to_sql")
            imported, url, months = step_import(scale, args.seed, work, log)
            results.append(imported)
            counts = complete_store(scale, args.seed, url, months, work, log)
            if not scale.store_all:
                notes.append(f"the store holds only the imported cases ({counts['theatre_case']:,}"
                             f" of {scale.months} months' theatre cases); imaging and the demo's "
                             "other sources are whole")  # fmt: skip
        if url and ({"marts", "pages"} & set(args.steps)):
            log("[3] marts: rebuild_marts vs read_sql + DuckDB + to_sql")
            results.append(step_marts(url, args.threads))
            log("[3b] one trust's month re-imported, marts refreshed vs the full rebuild")
            results.append(step_refresh(scale, args.seed, url, work, results[-1].ours_s))
        if url and "pages" in args.steps:
            log(f"[4] pages: every page through AppTest, {scale.page_rounds} round(s), "
                "and the floor")  # fmt: skip
            timed_pages = step_pages(url, args.scale, scale, log)
    except MismatchError as exc:
        log(f"MISMATCH: {exc}")
        return 1
    finally:
        if args.workdir is None:
            shutil.rmtree(work, ignore_errors=True)
    wall = time.perf_counter() - started
    for r in results:
        r.applies = args.scale in TARGET_SCALES.get(r.step, (args.scale,))
    load_at_end = [round(x, 2) for x in os.getloadavg()]
    info = report.machine() | {
        "load_average_at_start": load_at_start,
        "load_average_at_end": load_at_end,
    }
    print(f"\nperf --scale {args.scale}: {info['cores']} cores, {info['ram']}, {info['cpu']}; "
          f"python {info['python']}, pandas {info['pandas']}, numpy {info['numpy']}, "
          f"duckdb {info['duckdb']}, streamlit {info['streamlit']}; wall {wall:.0f} s")  # fmt: skip
    busy = max(load_at_start[0], load_at_end[0]) > (os.cpu_count() or 1)
    print(
        f"Load average (1/5/15 min): {load_at_start} at start, {load_at_end} at end"
        + (" (above the core count: other work competed)" if busy else "")
    )
    print("Memory: peak RSS of the process during the step (VmHWM after a reset) in MB, and in")
    print("brackets how far it rose above the RSS at the step's start.")
    print(report.table(results))
    for r in results:
        if r.note:
            print(f"  {r.step}: {r.note}")
    if any(r.met is not None and not r.applies for r in results):
        print("  * indicative: that target is set for another scale (see perf/README.md)")
    for note in notes:
        print(f"  note: {note}")
    if timed_pages is not None:
        print(f"\nPages: in-process AppTest, {scale.page_rounds} round(s) of (caches cleared, "
              "first render, every filter changed to a fresh value); seconds")  # fmt: skip
        print(pages.pages_table(timed_pages))
    out = args.out or (None if args.scale == "tiny" else RESULTS)
    if out:
        payload = {
            "scale": args.scale, "scale_config": asdict(scale), "seed": args.seed,
            "machine": info, "wall_s": wall, "notes": notes, "table": report.table(results),
            "steps": [{**asdict(r), "ratio": r.ratio} for r in results],
        }  # fmt: skip
        if timed_pages is not None:
            payload["pages_table"] = pages.pages_table(timed_pages)
            payload["pages"] = timed_pages.as_dict()
        report.write_results(out, args.scale, payload)
        print(f"wrote {out}")
    return 0
