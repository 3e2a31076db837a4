"""The ``spc`` and ``funnel`` commands: statistics over a CSV the user gives (SPEC §7).

They read no store. Each reads and checks its CSV (a located :class:`InputError` names the file,
row and column of the first bad cell), runs :mod:`productivity.stats` and returns what
:mod:`productivity.cli` prints: a DataFrame as CSV, a dict as JSON (``--format``).
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from productivity import export
from productivity.errors import InputError

Output = pd.DataFrame | dict[str, Any]
SPC_COLUMNS = (
    "date", "value", "mean", "lower_limit", "upper_limit", "special_cause", "point_type", "rule",
)  # fmt: skip


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``spc`` and ``funnel`` to the command line's subcommands."""
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


def spc_output(args: argparse.Namespace) -> Output:
    """The XmR chart of the CSV's series: its points (csv), or :func:`spc.to_records` (json)."""
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
        return spc.to_records(result)
    points = result.points[list(SPC_COLUMNS)]
    return points.assign(date=result.points["date"].dt.strftime("%Y-%m-%d"))


def _first_bad(path: Path, frame: pd.DataFrame, column: str, bad: pd.Series, message: str) -> None:
    """Raise a located error at the first row where ``bad`` holds (the header is row 1)."""
    if bad.any():
        row = int(bad.to_numpy().argmax())
        value = frame[column].iloc[row]
        raise InputError.single(
            str(path), message, row=row + 2, column=column, value=None if pd.isna(value) else value
        )


def _numeric_csv(
    path: Path, unit_col: str, columns: Sequence[str], *, positive: str, at_most: str | None = None
) -> pd.DataFrame:
    """The CSV with ``columns`` checked numeric, finite and not negative, ``positive`` above 0
    and (proportions) the first column at most ``at_most``: a located error names the first bad
    cell, where the statistics would name only the unit."""
    frame = _read_csv(path, [unit_col, *columns])
    _first_bad(path, frame, unit_col, frame[unit_col].isna(), "the unit is missing")
    parsed = {column: pd.to_numeric(frame[column], errors="coerce") for column in columns}
    for column, values in parsed.items():
        _first_bad(path, frame, column, values.isna(), "expected a number")
        _first_bad(path, frame, column, ~np.isfinite(values), "expected a finite number")
        _first_bad(path, frame, column, values < 0, "expected a number of 0 or more")
    _first_bad(path, frame, positive, parsed[positive] <= 0, "expected a number greater than 0")
    if at_most is not None:
        _first_bad(
            path,
            frame,
            columns[0],
            parsed[columns[0]] > parsed[at_most],
            f"expected a number no greater than {at_most}",
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


def _ratio_funnel(args: argparse.Namespace) -> Output:
    from productivity.stats import ratio_funnel

    frame = _numeric_csv(
        args.file,
        args.unit_col,
        [args.observed_col, args.expected_col],
        positive=args.expected_col,
    )
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
    return result.to_json_dict() if args.format == "json" else result.units


def funnel_output(args: argparse.Namespace) -> Output:
    """Funnel limits for each unit of the CSV: proportions, or observed ÷ expected ratios."""
    from productivity.stats import funnel

    if _funnel_mode(args) == "ratio":
        return _ratio_funnel(args)
    frame = _numeric_csv(
        args.file,
        args.unit_col,
        [args.numerator_col, args.denominator_col],
        positive=args.denominator_col,
        at_most=args.denominator_col,
    )
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
    if args.format == "csv":
        return result.units
    return {
        "units": export.json_records(result.units),
        "target": result.target,
        "method": result.method,
        "tau2": result.tau2,
    }
