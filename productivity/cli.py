"""``python -m productivity``: a thin command line over the library (SPEC §7).

Each command parses its options, calls one library function and prints. Exit codes: 0 ok,
2 bad input (the message names the file, row and column), 1 anything else.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from productivity import export
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

    spc = commands.add_parser("spc", help="make-data-count XmR chart of a series in a CSV")
    spc.add_argument("file", type=Path)
    spc.add_argument("--date-col", required=True)
    spc.add_argument("--value-col", required=True)
    spc.add_argument("--direction", choices=("higher", "lower", "neutral"), default="higher")
    spc.add_argument("--target", type=float)
    spc.add_argument("--rebase", action="append", default=[], metavar="YYYY-MM-DD")
    spc.add_argument("--no-screen-outliers", action="store_true")
    spc.add_argument("--format", choices=("csv", "json"), default="csv")

    funnel = commands.add_parser(
        "funnel",
        help="funnel plot limits for proportions (--numerator-col/--denominator-col) or for "
        "observed ÷ expected ratios (--observed-col/--expected-col) in a CSV",
    )
    funnel.add_argument("file", type=Path)
    funnel.add_argument("--unit-col", required=True)
    funnel.add_argument("--numerator-col")
    funnel.add_argument("--denominator-col")
    funnel.add_argument("--observed-col", help="ratio mode: observed counts")
    funnel.add_argument("--expected-col", help="ratio mode: expected counts")
    funnel.add_argument("--target", type=float)
    funnel.add_argument("--method", choices=("normal", "arcsine"), default="normal")
    funnel.add_argument("--overdispersion", action="store_true", help="proportions: adjust")
    funnel.add_argument(
        "--no-overdispersion", action="store_true", help="ratios: exact Poisson limits only"
    )
    funnel.add_argument("--format", choices=("csv", "json"), default="csv")
    return parser


def _print_frame(frame: pd.DataFrame, fmt: str) -> None:
    if fmt == "json":
        print(frame.to_json(orient="records", date_format="iso", indent=1, double_precision=15))
    else:  # text that a spreadsheet would run as a formula is neutralised
        sys.stdout.write(export.to_csv(frame, lineterminator="\n"))


def _read_csv(path: Path, columns: Sequence[str]) -> pd.DataFrame:
    try:
        frame = pd.read_csv(path)
    except FileNotFoundError:
        raise InputError.single(str(path), "file not found") from None
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as exc:
        raise InputError.single(str(path), f"not a readable CSV file: {exc}") from None
    for column in columns:
        if column not in frame.columns:
            raise InputError.single(
                str(path),
                f"column not found; the file has {', '.join(map(str, frame.columns))}",
                row=1,
                column=column,
            )
    return frame


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


def _cmd_spc(args: argparse.Namespace) -> int:
    from productivity.stats import spc

    frame = _read_csv(args.file, [args.date_col, args.value_col])
    if frame.empty:
        raise InputError.single(
            str(args.file), "the file has a header row but no data rows: expected a series", row=1
        )
    dates = pd.to_datetime(frame[args.date_col], errors="coerce", format="mixed")
    values = pd.to_numeric(frame[args.value_col], errors="coerce")
    checks = (
        (args.date_col, dates.isna(), "expected a date"),
        (args.value_col, values.isna() | ~np.isfinite(values), "expected a finite number"),
        (args.date_col, dates.duplicated(), "the date appears on an earlier row: expected one "
         "value per date"),
    )  # fmt: skip
    for column, bad, message in checks:
        if bad.any():
            row = int(bad.to_numpy().argmax())
            raise InputError.single(
                str(args.file), message, row=row + 2, column=column, value=frame[column].iloc[row]
            )
    try:
        rebase = [pd.Timestamp(d) for d in args.rebase]
    except ValueError as exc:
        raise InputError.single("--rebase", f"expected YYYY-MM-DD: {exc}") from None
    try:
        result = spc.xmr(
            values,
            dates,
            direction=args.direction,
            target=args.target,
            rebase_dates=rebase,
            screen_outliers=not args.no_screen_outliers,
        )
    except ValueError as exc:  # what the series cannot be charted with is bad input
        raise InputError.single(str(args.file), str(exc)) from None
    if args.format == "json":
        print(json.dumps(spc.to_records(result), indent=1))
    else:
        columns = [
            "date",
            "value",
            "mean",
            "lower_limit",
            "upper_limit",
            "special_cause",
            "point_type",
            "rule",
        ]
        points = result.points[columns].assign(date=result.points["date"].dt.strftime("%Y-%m-%d"))
        _print_frame(points, "csv")
    return EXIT_OK


def _numeric_csv(path: Path, unit_col: str, columns: Sequence[str]) -> pd.DataFrame:
    """The CSV with ``columns`` checked numeric (a located error names the first bad cell)."""
    frame = _read_csv(path, [unit_col, *columns])
    for column in columns:
        parsed = pd.to_numeric(frame[column], errors="coerce")
        if parsed.isna().any():
            row = int(parsed.isna().to_numpy().argmax())
            raise InputError.single(
                str(path),
                "expected a number",
                row=row + 2,
                column=column,
                value=frame[column].iloc[row],
            )
    return frame


def _funnel_mode(args: argparse.Namespace) -> str:
    """``ratio`` (observed ÷ expected) or ``proportion``, from which column pair is given."""
    ratio = args.observed_col is not None or args.expected_col is not None
    proportion = args.numerator_col is not None or args.denominator_col is not None
    if ratio and proportion:
        raise InputError.single(
            "funnel", "give --observed-col/--expected-col or --numerator-col/--denominator-col"
        )
    pair = (
        ("--observed-col", args.observed_col, "--expected-col", args.expected_col)
        if ratio
        else ("--numerator-col", args.numerator_col, "--denominator-col", args.denominator_col)
    )
    if pair[1] is None or pair[3] is None:
        raise InputError.single("funnel", f"{pair[0]} and {pair[2]} are both needed")
    if ratio and (args.overdispersion or args.method != "normal"):
        raise InputError.single(
            "funnel", "ratio mode takes --no-overdispersion, not --overdispersion or --method"
        )
    if proportion and args.no_overdispersion:
        raise InputError.single("funnel", "--no-overdispersion is for ratio mode")
    return "ratio" if ratio else "proportion"


def _ratio_funnel(args: argparse.Namespace) -> int:
    from productivity.stats import ratio_funnel

    frame = _numeric_csv(args.file, args.unit_col, [args.observed_col, args.expected_col])
    try:
        result = ratio_funnel.ratio_funnel(
            frame.assign(**{args.unit_col: frame[args.unit_col].astype(str)}),
            args.unit_col,
            args.observed_col,
            args.expected_col,
            overdispersion=not args.no_overdispersion,
            target=1.0 if args.target is None else args.target,
        )
    except ValueError as exc:
        raise InputError.single(str(args.file), str(exc)) from None
    if args.format == "json":
        print(json.dumps(result.to_json_dict(), indent=1))
    else:
        _print_frame(result.units, "csv")
    return EXIT_OK


def _cmd_funnel(args: argparse.Namespace) -> int:
    from productivity.stats import funnel

    if _funnel_mode(args) == "ratio":
        return _ratio_funnel(args)
    frame = _numeric_csv(args.file, args.unit_col, [args.numerator_col, args.denominator_col])
    try:
        result = funnel.funnel(
            frame[args.unit_col].astype(str),
            pd.to_numeric(frame[args.numerator_col]),
            pd.to_numeric(frame[args.denominator_col]),
            target=args.target,
            method=args.method,
            overdispersion=args.overdispersion,
        )
    except ValueError as exc:
        raise InputError.single(str(args.file), str(exc)) from None
    if args.format == "json":
        payload = {
            "units": json.loads(result.units.to_json(orient="records")),
            "target": result.target,
            "method": result.method,
            "tau2": result.tau2,
        }
        print(json.dumps(payload, indent=1))
    else:
        _print_frame(result.units, "csv")
    return EXIT_OK


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
