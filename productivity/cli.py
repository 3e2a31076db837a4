"""``python -m productivity``: a thin command line over the library (SPEC §7).

Each command parses its options, calls one library function and prints. Exit codes: 0 ok,
2 bad input (the message names the file, row and column), 1 anything else. The commands over
the store are here; ``spc`` and ``funnel``, statistics over a CSV the user gives, are
:mod:`productivity.cli_csv`'s.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from productivity import cli_csv, export
from productivity.benchmarks import BENCHMARK_BASES, BenchmarkError, load_benchmarks
from productivity.errors import InputError

EXIT_OK, EXIT_ERROR, EXIT_BAD_INPUT = 0, 1, 2
REPORT_KINDS = (
    "theatre", "imaging", "endoscopy", "echo", "dm01", "daycase", "quality", "reporting",
    "pathology", "attendance", "clearance",
)  # fmt: skip
IMPORT_KINDS = (
    "theatre", "imaging", "endoscopy", "echo", "dm01", "reporting", "pathology", "appointments",
    "bookings",
)  # fmt: skip
# --by levels each report takes (the others take trust, site, theatre, specialty, month).
REPORT_LEVELS = {
    "reporting": ("trust",),
    "pathology": ("trust",),
    "attendance": ("trust", "quintile"),
    "daycase": ("trust", "site", "specialty", "month"),
    "clearance": ("trust",),
}
# Reports whose scan rates take --benchmark-basis (national by default, as SPEC §7 has them).
BASIS_KINDS = ("imaging", "clearance")


def _month(value: str) -> str:
    if not (len(value) == 7 and value[4] == "-" and value[:4].isdigit() and value[5:].isdigit()):
        raise argparse.ArgumentTypeError(f"expected YYYY-MM, got {value!r}")
    if not 1 <= int(value[5:]) <= 12:
        raise argparse.ArgumentTypeError(f"month must be 01-12, got {value!r}")
    return value


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m productivity", description="Theatre and diagnostics productivity monitor"
    )
    commands = parser.add_subparsers(dest="command", required=True)

    demo = commands.add_parser("demo", help="create or refresh the store with synthetic data")
    demo.add_argument("--months", type=int, default=12)
    demo.add_argument("--seed", type=int, default=1)

    load = commands.add_parser("import", help="import a data file (CSV, Excel or DM01 zip)")
    load.add_argument("file", type=Path)
    load.add_argument("--kind", choices=IMPORT_KINDS)
    load.add_argument("--map", type=Path, dest="map_path", help="column-mapping TOML file")
    load.add_argument(
        "--period",
        metavar="YYYY-MM[..YYYY-MM]",
        help="the months the file is about: replaces them for each trust in the file, and "
        "accepts dates far from the bulk of its rows",
    )
    load.add_argument(
        "--drop-identifiers",
        action="store_true",
        help="remove NHS number, birth date, postcode and other identifier columns in memory "
        "before anything is read (otherwise such a file is refused)",
    )

    report = commands.add_parser("report", help="print a report from the store")
    report.add_argument("kind", choices=REPORT_KINDS)
    report.add_argument("--format", choices=("csv", "json"), default="csv")
    report.add_argument(
        "--by",
        choices=("trust", "site", "theatre", "specialty", "month", "quintile"),
        default="trust",
    )
    report.add_argument("--from", dest="start", type=_month)
    report.add_argument("--to", dest="end", type=_month)
    report.add_argument(
        "--benchmark-basis",
        choices=tuple(BENCHMARK_BASES),
        help="imaging and clearance: hold every trust to the national scan rates (the default) "
        "or each trust to its peer group's rate where the benchmark file sets one",
    )

    commands.add_parser("benchmarks", help="print the benchmark table with sources")

    pack = commands.add_parser("pack", help="write a board pack (PDF or slides)")
    pack.add_argument("--trust", help="ODS code; the whole collaborative when omitted")
    pack.add_argument("--period", type=_month, help="the month reported, YYYY-MM (as --to)")
    pack.add_argument("--from", dest="start", type=_month, help="first month (default: 12 back)")
    pack.add_argument("--to", dest="end", type=_month, help="last month, YYYY-MM")
    pack.add_argument("--format", choices=("pdf", "pptx"), default="pdf")
    pack.add_argument("--output", type=Path, help="file to write (default: a name in the cwd)")
    pack.add_argument(
        "--benchmark-basis",
        choices=tuple(BENCHMARK_BASES),
        default="peer",
        help="scan rates: each trust's peer-group rate where the benchmark file sets one (the "
        "default, as the app shows) or the national rates for every trust",
    )

    cli_csv.add_commands(commands)
    return parser


def _print_frame(frame: pd.DataFrame, fmt: str) -> None:
    if fmt == "json":
        print(json.dumps(export.json_records(frame), indent=1))
    else:  # text that a spreadsheet would run as a formula is neutralised
        sys.stdout.write(export.to_csv(frame, lineterminator="\n"))


def _cmd_demo(args: argparse.Namespace) -> int:
    from productivity.synth import demo

    started = time.perf_counter()
    counts = demo.build_demo(seed=args.seed, months=args.months)
    elapsed = time.perf_counter() - started
    rows = ", ".join(f"{table} {count:,}" for table, count in counts.items())
    print(f"Synthetic demo store built in {elapsed:.1f} s: {rows}")
    return EXIT_OK


def _cmd_import(args: argparse.Namespace) -> int:
    from productivity import ingest, settings
    from productivity.store import marts

    result = ingest.import_file(
        args.file,
        kind=args.kind,
        map_path=args.map_path,
        period=args.period,
        drop_identifiers=args.drop_identifiers,
    )
    print(result.report(), flush=True)
    settings.kill_point("import-committed")
    # Rebuilds after a load, and after a duplicate too when an earlier import of it committed
    # but never got its marts (killed, or its rebuild failed).
    marts.ensure_marts()
    return EXIT_OK


def _cmd_report(args: argparse.Namespace) -> int:
    from productivity.store import marts, reports

    levels = REPORT_LEVELS.get(args.kind)
    if (levels is None and args.by == "quintile") or (levels and args.by not in levels):
        allowed = levels or ("trust", "site", "theatre", "specialty", "month")
        raise InputError.single(
            "--by", f"report {args.kind} takes --by {' or '.join(allowed)}, not {args.by!r}"
        )
    if args.start and args.end and args.start > args.end:
        raise InputError.single(
            "--from", f"{args.start} is after --to {args.end}", value=args.start
        )
    if args.benchmark_basis and args.kind not in BASIS_KINDS:
        raise InputError.single(
            "--benchmark-basis",
            f"applies to report {' and '.join(BASIS_KINDS)}, not {args.kind}",
        )
    basis = args.benchmark_basis or "national"
    marts.ensure_marts()
    if args.kind == "clearance":  # the Diagnostics page's own figure, so it is the view's
        from productivity.store.db import get_engine
        from productivity.views import diagnostics

        period = marts.Period(args.start, args.end)
        frame = diagnostics.clearance_report(get_engine(), period, load_benchmarks(), basis)
    else:
        frame = reports.report(
            args.kind, by=args.by, start=args.start, end=args.end, benchmark_basis=basis
        )
    _print_frame(frame, args.format)
    return EXIT_OK


def _cmd_benchmarks(_args: argparse.Namespace) -> int:
    table = load_benchmarks().table()
    _print_frame(table, "csv")
    return EXIT_OK


def _cmd_pack(args: argparse.Namespace) -> int:
    from productivity import pack
    from productivity.store import marts
    from productivity.store.db import get_engine

    end = args.end or args.period
    if end is None or (args.end and args.period and args.end != args.period):
        raise InputError.single("--to", "give the last month once, as --to or --period")
    marts.ensure_marts()
    content = pack.build_pack(
        get_engine(),
        trust=args.trust,
        period=end,
        fmt=args.format,
        start=args.start,
        basis=args.benchmark_basis,
    )
    output = args.output or Path(
        pack.pack_filename(trust=args.trust, period=end, fmt=args.format, start=args.start)
    )
    output.write_bytes(content)
    print(f"Board pack written to {output} ({len(content):,} bytes)")
    return EXIT_OK


def _print_output(output: cli_csv.Output) -> int:
    """Print what a CSV command returned: a frame as CSV, a dict as JSON."""
    if isinstance(output, pd.DataFrame):
        _print_frame(output, "csv")
    else:
        print(json.dumps(output, indent=1))
    return EXIT_OK


def _cmd_spc(args: argparse.Namespace) -> int:
    return _print_output(cli_csv.spc_output(args))


def _cmd_funnel(args: argparse.Namespace) -> int:
    return _print_output(cli_csv.funnel_output(args))


COMMANDS = {
    "demo": _cmd_demo,
    "import": _cmd_import,
    "report": _cmd_report,
    "benchmarks": _cmd_benchmarks,
    "pack": _cmd_pack,
    "spc": _cmd_spc,
    "funnel": _cmd_funnel,
}


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; returns the exit code."""
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on bad options, which is bad input
        return int(exc.code or 0)
    try:
        return COMMANDS[args.command](args)
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except BenchmarkError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except BrokenPipeError:
        return EXIT_OK
    except Exception as exc:  # the last resort: a short message, not a traceback
        print(f"error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return EXIT_ERROR
