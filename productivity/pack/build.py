"""The board pack: the Overview's evidence as one A4-landscape PDF or a PowerPoint deck.

>>> pack_filename(trust="rbl", period="2026-03", fmt="pdf")
'board-pack-RBL-2026-03.pdf'

A pack covers the months ``start`` to ``period`` (the 12 months to ``period`` when no start is
given; the Overview passes its chosen months, so the pack shows the page's figures): a title
page, then the sections of :mod:`productivity.pack.sections` (the executive summary, headline
tiles with the scorecard, the ranking, SPC charts of weekly capped utilisation, the funnel plots,
theatre lost time, DM01 waits and trends, the inequalities gap, the mutual-aid proposal, and the
methodology with every benchmark's source). Every table and tile goes through
:func:`productivity.export.suppress_small_numbers` (counts from 1 to 4 are shown as ``*``). This
module owns the arguments and the scope; the sections are built once as data
(:mod:`productivity.pack.content`), then drawn by :mod:`productivity.pack.pdf` (fpdf2, a page
each) or :mod:`productivity.pack.slides` (python-pptx, a slide each). No Streamlit import: the CLI
and a page's download button both call :func:`build_pack`.
"""

from __future__ import annotations

import re

import pandas as pd
from sqlalchemy import Engine

from productivity.benchmarks import Benchmarks, check_basis, load_benchmarks
from productivity.errors import InputError
from productivity.pack.content import MISSING, Column, Cover, PackTable, Section, pack_table
from productivity.pack.pdf import render_pdf
from productivity.pack.sections import MONTHS_COVERED, Scope, month_name, sections
from productivity.pack.slides import render_pptx
from productivity.store import marts, reports
from productivity.store.facts import store_facts

__all__ = [
    "COLLABORATIVE", "FORMATS", "MISSING", "MONTHS_COVERED", "Column", "Cover", "PackTable",
    "Section", "build_pack", "pack_filename", "pack_table",
]  # fmt: skip

COLLABORATIVE = "Cheshire & Merseyside trust collaborative"
FORMATS = ("pdf", "pptx")


def pack_filename(*, trust: str | None, period: str, fmt: str, start: str | None = None) -> str:
    """``board-pack-RBL-2026-03.pdf``; ``board-pack-collaborative-2026-03.pptx`` for all trusts;
    ``board-pack-RBL-2026-01-to-2026-03.pdf`` when the first month is chosen.

    Raises:
        InputError: a bad ``--period``, ``--from`` or ``--format``.
    """
    _check_period(period)
    _check_format(fmt)
    months = period
    if start is not None:
        _check_period(start, "--from")
        months = f"{start}-to-{period}"
    return f"board-pack-{trust.strip().upper() if trust else 'collaborative'}-{months}.{fmt}"


def build_pack(
    engine: Engine,
    *,
    trust: str | None,
    period: str,
    fmt: str,
    benchmarks: Benchmarks | None = None,
    start: str | None = None,
    basis: str = "peer",
) -> bytes:
    """The board pack for one trust (or the whole collaborative) as PDF or PPTX bytes.

    ``period`` (``YYYY-MM``) is the month the pack reports, the last of the months it covers;
    ``start`` is the first (default: the 12 months to ``period``). Every figure is for those
    months, as the pages show them for the same filters. ``fmt`` is ``pdf`` (A4 landscape, a
    page per section) or ``pptx`` (a slide per section). ``basis`` is the benchmark basis of the
    scan rates (additional scans, the scorecard's ✓/✗, mutual aid's spare capacity): ``peer``,
    the app's default, holds each trust to its peer group's rate where the benchmark file sets
    one; ``national`` holds every trust to the national rates.

    Raises:
        InputError: a bad ``--period``/``--to``, ``--from`` or ``--format``, a ``--from`` after
            the ``--to``, a ``--trust`` with no data in the store, or no data at all in the
            months; each names the argument.
    """
    _check_period(period)
    _check_format(fmt)
    if start is None:
        start = str(pd.Period(period, freq="M") - (MONTHS_COVERED - 1))
    else:
        _check_period(start, "--from")
        if start > period:
            raise InputError.single("--from", f"is after the last month {period}", value=start)
    check_basis(basis)
    bench = benchmarks or load_benchmarks()
    facts = store_facts(engine)
    held, trusts = facts.months, facts.trusts
    window = marts.Period(start, period)
    months = [m for m in held if start <= m <= period]
    if not months:
        span = f"{held[0]} to {held[-1]}" if held else "no data"
        raise InputError.single(
            "--period",
            f"no data in {start} to {period}; the store holds {span}",
            value=period,
        )
    if trust is not None:
        trust = trust.strip().upper()
        if trust not in trusts:
            known = ", ".join(trusts) or "none"
            raise InputError.single("--trust", f"no data; trusts with data: {known}", value=trust)
    scope = Scope(
        engine,
        trust,
        window,
        bench,
        len(months),
        reports.trust_scorecard(engine, window, bench, basis=basis),
        reports.latest_dm01(engine, window),
        basis,
    )
    parts = sections(scope)
    cover = Cover(
        title=f"{trust} · {facts.trust_names.get(trust, trust)}" if trust else COLLABORATIVE,
        period_text=period_text(start, period),
        synthetic=facts.synthetic,
        built_at=facts.built_at,
        contents=tuple(s.heading for s in parts),
    )
    return render_pdf(cover, parts) if fmt == "pdf" else render_pptx(cover, parts)


def period_text(start: str, end: str) -> str:
    """``3 months to October 2026 (August 2026 – October 2026)``; one month is named alone."""
    count = (pd.Period(end, freq="M") - pd.Period(start, freq="M")).n + 1
    if count == 1:
        return f"1 month: {month_name(end)}"
    return f"{count} months to {month_name(end)} ({month_name(start)} – {month_name(end)})"


def _check_period(period: str, argument: str = "--period") -> None:
    if not isinstance(period, str) or not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", period):
        raise InputError.single(argument, "expected a month as YYYY-MM", value=period)


def _check_format(fmt: str) -> None:
    if fmt not in FORMATS:
        raise InputError.single("--format", f"expected one of {', '.join(FORMATS)}", value=fmt)
