"""The board pack: the Overview's evidence as one A4-landscape PDF or a PowerPoint deck.

>>> pack_filename(trust="rbl", period="2026-03", fmt="pdf")
'board-pack-RBL-2026-03.pdf'

A pack covers the 12 months to ``period``: a title page, then the sections of
:mod:`productivity.pack.sections` (headline tiles with the scorecard, the ranking, SPC charts of
weekly capped utilisation, the two funnel plots, DM01 waits, and the methodology with every
benchmark's source). Every table and tile goes through
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

from productivity.benchmarks import Benchmarks, load_benchmarks
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


def pack_filename(*, trust: str | None, period: str, fmt: str) -> str:
    """``board-pack-RBL-2026-03.pdf``; ``board-pack-collaborative-2026-03.pptx`` for all trusts.

    Raises:
        InputError: a bad ``--period`` or ``--format``.
    """
    _check_period(period)
    _check_format(fmt)
    return f"board-pack-{trust.strip().upper() if trust else 'collaborative'}-{period}.{fmt}"


def build_pack(
    engine: Engine,
    *,
    trust: str | None,
    period: str,
    fmt: str,
    benchmarks: Benchmarks | None = None,
) -> bytes:
    """The board pack for one trust (or the whole collaborative) as PDF or PPTX bytes.

    ``period`` (``YYYY-MM``) is the month the pack reports; it covers the 12 months to it.
    ``fmt`` is ``pdf`` (A4 landscape, a page per section) or ``pptx`` (a slide per section).

    Raises:
        InputError: a bad ``--period`` or ``--format``, a ``--trust`` with no data in the
            store, or no data at all in the 12 months; each names the argument.
    """
    _check_period(period)
    _check_format(fmt)
    bench = benchmarks or load_benchmarks()
    facts = store_facts(engine)
    held, trusts = facts.months, facts.trusts
    start = str(pd.Period(period, freq="M") - (MONTHS_COVERED - 1))
    window = marts.Period(start, period)
    months = [m for m in held if start <= m <= period]
    if not months:
        span = f"{held[0]} to {held[-1]}" if held else "no data"
        raise InputError.single(
            "--period",
            f"no data in the {MONTHS_COVERED} months to it; the store holds {span}",
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
        reports.trust_scorecard(engine, window, bench),
        reports.latest_dm01(engine, window),
    )
    parts = sections(scope)
    cover = Cover(
        title=f"{trust} · {facts.trust_names.get(trust, trust)}" if trust else COLLABORATIVE,
        period_text=f"{MONTHS_COVERED} months to {month_name(period)} "
        f"({month_name(start)} – {month_name(period)})",
        synthetic=facts.synthetic,
        built_at=facts.built_at,
        contents=tuple(s.heading for s in parts),
    )
    return render_pdf(cover, parts) if fmt == "pdf" else render_pptx(cover, parts)


def _check_period(period: str) -> None:
    if not isinstance(period, str) or not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", period):
        raise InputError.single("--period", "expected a month as YYYY-MM", value=period)


def _check_format(fmt: str) -> None:
    if fmt not in FORMATS:
        raise InputError.single("--format", f"expected one of {', '.join(FORMATS)}", value=fmt)
