"""The board pack: the Overview's evidence as one A4-landscape PDF or a PowerPoint deck.

Example::

    pdf = build_pack(engine, trust="RBL", period="2026-03", fmt="pdf")
    Path(pack_filename(trust="RBL", period="2026-03", fmt="pdf")).write_bytes(pdf)

A pack covers the 12 months to ``period``: a title page, the headline tiles with the scorecard,
the ranking, SPC charts of weekly capped utilisation, the two funnel plots, DM01 waits, and the
methodology with every benchmark's source. Numbers come from :mod:`productivity.reports` and
:mod:`productivity.drilldown`, the readers the pages use; charts are the app's own
:mod:`productivity.charts`, rendered to PNG by vl-convert. Every table and tile goes through
:func:`productivity.export.suppress_small_numbers` (counts from 1 to 4 are shown as ``*``).
Sections are built once as data, then drawn by fpdf2 (a page each) or python-pptx (a slide
each). No Streamlit import: the CLI and a page's download button both call :func:`build_pack`.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import altair as alt
import pandas as pd
import vl_convert
from fpdf import FPDF
from fpdf.fonts import FontFace
from pptx import Presentation
from pptx.dml.color import RGBColor
from pptx.enum.shapes import MSO_SHAPE
from pptx.enum.text import PP_ALIGN
from pptx.util import Inches, Pt
from sqlalchemy import Engine

from productivity import charts, demo, drilldown, funnel, marts, methodology, rebase, reports
from productivity.benchmarks import Benchmarks, load_benchmarks
from productivity.errors import InputError
from productivity.export import SUPPRESSED, suppress_small_numbers
from productivity.metrics import waits
from productivity.schema import DM01_TESTS

COLLABORATIVE = "Cheshire & Merseyside trust collaborative"
FORMATS = ("pdf", "pptx")
MONTHS_COVERED = 12  # a pack reports the 12 months to its period
PNG_SCALE = 2
# The theme asks for Arial, which a server often lacks, and vl-convert then draws no text at
# all; a CSS fallback list keeps the same chart readable wherever it is rendered.
CHART_FONT = f"{charts.nhs_theme()['config']['font']}, DejaVu Sans, Liberation Sans, sans-serif"
FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")  # Debian's fonts-dejavu-core
FONT_FILES = {"": "DejaVuSans.ttf", "B": "DejaVuSans-Bold.ttf", "I": "DejaVuSans-Oblique.ttf"}
MISSING = "–"
NUMBER = re.compile(r"^[✓✗]?\s*([-+]?[\d.,]+%?|[*–])$")  # a number as a table shows it
# Core PDF fonts hold only Latin-1: what the fallback writes instead of each symbol.
ASCII = {"✓": "+", "✗": "x", "▲": "^", "▼": "v", "●": "o", "⚠": "!", "–": "-", "—": "-",
         "≥": ">=", "≤": "<=", "✎": "(local) ", "…": "...", "τ²": "tau2", "Σ": "sum ", "’": "'",
         "→": "->", "›": ">", "−": "-"}  # fmt: skip


@dataclass(frozen=True)
class Column:
    """A pack table column: the frame's ``key``, its heading, format and an optional ✓/✗ key."""

    key: str
    heading: str
    fmt: str = "{}"
    meets: str | None = None
    width: float = 1.0


@dataclass(frozen=True)
class PackTable:
    """A table as text, ready to draw: headings, rows, relative widths, rows in bold."""

    headings: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    widths: tuple[float, ...]
    highlight: frozenset[int] = frozenset()


@dataclass(frozen=True)
class Section:
    """One page or slide: a heading, notes, and a chart, a table and/or tiles (value, label).

    Notes of a section with nothing else are paragraphs that may open with a ``**bold**`` lead.
    """

    heading: str
    notes: tuple[str, ...] = ()
    chart: bytes | None = None
    table: PackTable | None = None
    tiles: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Cover:
    title: str
    period_text: str
    synthetic: bool
    built_at: str
    contents: tuple[str, ...] = ()


@dataclass(frozen=True)
class _Scope:
    """What every section reads: the store, the trust (None = all), the window, the benchmarks."""

    engine: Engine
    trust: str | None
    window: marts.Period
    bench: Benchmarks
    months: int
    card: pd.DataFrame
    dm01: pd.DataFrame  # the latest DM01 month in the window

    def mine(self, codes: pd.Series) -> list[bool]:
        return [code == self.trust for code in codes]


def pack_table(
    frame: pd.DataFrame, columns: Sequence[Column], *, highlight: Sequence[bool] = ()
) -> PackTable:
    """Suppress small numbers (counts 1–4 become ``*``), then format every cell as text.

    A ``meets`` column puts ✓ or ✗ before the value, so colour is never the only cue; a missing
    value is shown as –. ``highlight`` marks rows to draw in bold (the pack's own trust).
    """
    frame = frame.reset_index(drop=True)
    shown = suppress_small_numbers(frame[list(dict.fromkeys(c.key for c in columns))])

    def cell(i: int, column: Column) -> str:
        value = shown.at[i, column.key]
        if isinstance(value, str) and value == SUPPRESSED:
            text = SUPPRESSED
        elif not isinstance(value, str) and pd.isna(value):
            return MISSING
        else:
            text = column.fmt.format(value)
        if column.meets is None or pd.isna(frame.at[i, column.meets]):
            return text
        return f"{'✓' if bool(frame.at[i, column.meets]) else '✗'} {text}"

    rows = tuple(tuple(cell(i, c) for c in columns) for i in range(len(frame)))
    return PackTable(
        tuple(c.heading for c in columns),
        rows,
        tuple(c.width for c in columns),
        frozenset(i for i, marked in enumerate(highlight) if marked),
    )


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
    facts = demo.store_facts(engine)
    held, trusts = cast(list[str], facts["months"]), cast(list[str], facts["trusts"])
    end = pd.Period(period, freq="M")
    window = marts.Period(str(end - (MONTHS_COVERED - 1)), period)
    months = [m for m in held if cast(str, window.start) <= m <= period]
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
    scope = _Scope(
        engine,
        trust,
        window,
        bench,
        len(months),
        reports.trust_scorecard(engine, window, bench),
        reports.latest_dm01(engine, window),
    )
    sections = [
        _headlines(scope),
        _ranking(scope),
        *_spc(scope),
        *_funnels(scope),
        _dm01(scope),
        *_methodology(bench),
    ]
    names = cast(dict[str, str], facts["trust_names"])
    cover = Cover(
        title=f"{trust} · {names.get(trust, trust)}" if trust else COLLABORATIVE,
        period_text=f"{MONTHS_COVERED} months to {_month_name(period)} "
        f"({_month_name(cast(str, window.start))} – {_month_name(period)})",
        synthetic=bool(facts["synthetic"]),
        built_at=str(facts["built_at"]),
        contents=tuple(s.heading for s in sections),
    )
    return _render_pdf(cover, sections) if fmt == "pdf" else _render_pptx(cover, sections)


def _check_period(period: str) -> None:
    if not isinstance(period, str) or not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", period):
        raise InputError.single("--period", "expected a month as YYYY-MM", value=period)


def _check_format(fmt: str) -> None:
    if fmt not in FORMATS:
        raise InputError.single("--format", f"expected one of {', '.join(FORMATS)}", value=fmt)


def _month_name(month: str) -> str:
    return f"{pd.Timestamp(month + '-01'):%B %Y}"


# -- sections -------------------------------------------------------------------------------

# Scorecard column -> (heading, format), as on the Overview.
SCORECARD: dict[str, tuple[str, str]] = {
    "capped_utilisation": ("Capped util.", "{:.1%}"),
    "uncapped_utilisation": ("Uncapped util.", "{:.1%}"),
    "ct_scans_per_hour": ("CT scans/hr", "{:.2f}"),
    "mri_scans_per_hour": ("MRI scans/hr", "{:.2f}"),
    "nous_scans_per_hour": ("NOUS scans/hr", "{:.2f}"),
    "endoscopy_utilisation": ("Endoscopy util.", "{:.1%}"),
    "echo_minutes_per_test": ("Echo min/test", "{:.1f}"),
    "dm01_within_6_weeks": ("DM01 <6 wks", "{:.1%}"),
    "dm01_13_plus_weeks": ("DM01 13+ wks", "{:,.0f}"),
}


def _headlines(scope: _Scope) -> Section:
    """Three annualised tiles (as the Overview's) over the benchmark scorecard of every trust."""
    card, bench = scope.card, scope.bench
    mine = card[card["trust_code"] == scope.trust] if scope.trust else card
    per_year = MONTHS_COVERED / max(1, scope.months)
    totals = pd.DataFrame(
        {
            "realisable_additional_cases": [mine["realisable_additional_cases"].sum() * per_year],
            "additional_scans": [mine["additional_scans"].sum() * per_year],
            "patients_waiting_6_plus": [mine["dm01_waiting_6_plus"].sum()],
        }
    )
    values = pack_table(totals, [Column(c, c, "{:,.0f}") for c in totals.columns]).rows[0]
    month = _month_name(scope.dm01["month"].max()) if len(scope.dm01) else "no DM01 month"
    labels = (
        "Additional theatre cases a year (realisable, at "
        f"{bench.value('theatre_capped_utilisation'):.0%} capped utilisation)",
        "Additional CT, MRI and NOUS scans a year (at the benchmark scans per hour)",
        f"People waiting 6+ weeks for a diagnostic test (DM01, {month})",
    )
    columns = [Column("trust_code", "Trust", width=0.7)]
    for column, (heading, fmt) in SCORECARD.items():
        key, higher = reports.SCORECARD_METRICS[column]
        limit = f"{bench.value(key):.0%}" if "%" in fmt else f"{bench.value(key):g}"
        shown = "dm01_waiting_13_plus" if column == "dm01_13_plus_weeks" else column
        sign = "≥" if higher else "≤"
        columns.append(Column(shown, f"{heading} ({sign}{limit})", fmt, f"{column}_meets"))
    # The scorecard names the 13+ week count after weeks: renamed so suppression sees patients.
    rows = card.assign(dm01_waiting_13_plus=card["dm01_13_plus_weeks"])
    note = (
        f"Tiles: period totals annualised over {scope.months} month(s) with data. Scorecard: ✓ "
        "meets the benchmark, ✗ short of it, – no data."
    )
    if scope.trust:
        note += f" {scope.trust} is in bold among the collaborative's trusts."
    return Section(
        "Headlines and the benchmark scorecard",
        (note,),
        table=pack_table(rows, columns, highlight=scope.mine(card["trust_code"])),
        tiles=tuple(zip(values, labels, strict=True)),
    )


def _ranking(scope: _Scope) -> Section:
    """The Overview's ranking bars (realisable cases, absolute) and the ranking table."""
    card, target = scope.card, scope.bench.value("theatre_capped_utilisation")
    counts = pack_table(card, [Column("realisable_additional_cases", "", "{:,.0f}")]).rows
    labels = [
        f"{count[0]} · {u:.0%} vs {target:.0%}" if pd.notna(u) else count[0]
        for count, u in zip(counts, card["capped_utilisation"], strict=True)
    ]
    label = f"Realisable additional theatre cases in the {MONTHS_COVERED} months"
    chart = charts.ranking_bars(card.assign(label=labels), "opportunity", label)
    table = pack_table(
        card.fillna({"pooled_additional_cases": 0.0, "additional_scans": 0.0}),
        [
            Column("rank", "Rank", width=0.5),
            Column("trust_code", "Trust", width=0.6),
            Column("realisable_additional_cases", "Extra cases (realisable)", "{:,.0f}"),
            Column("pooled_additional_cases", "Extra cases (pooled)", "{:,.0f}"),
            Column("additional_scans", "Extra scans", "{:,.0f}"),
            Column("opportunity_share", "% of current cases", "{:.1%}"),
        ],
        highlight=scope.mine(card["trust_code"]),
    )
    ranking = card["ranking"].iloc[0] if len(card) else "absolute count"
    return Section(
        f"Trusts ranked by additional theatre cases ({ranking})",
        (
            f"Realisable cases: whole cases that fit inside a list at {target:.0%} capped "
            "utilisation; pooled cases pool the minutes (the Model Health-style figure). Bars "
            "are labelled with the trust's capped utilisation against the benchmark.",
        ),
        chart=_png(chart, 340),
        table=table,
    )


def _spc(scope: _Scope) -> list[Section]:
    """The trust's SPC chart; for the collaborative, one per trust with special cause."""
    if scope.trust:
        return [_spc_section(scope, scope.trust)]
    if scope.card["capped_utilisation"].notna().any():
        outliers, _ = reports.trust_theatre_outliers(scope.engine, scope.window, scope.bench)
        special = outliers.loc[outliers["spc_special_cause"], "trust_code"].tolist()
    else:
        special = []
    return [_spc_section(scope, code) for code in special] or [
        Section(
            "Weekly capped utilisation (SPC)",
            ("No trust's weekly capped utilisation shows special cause: all common cause.",),
        )
    ]


def _spc_section(scope: _Scope, code: str) -> Section:
    """The Theatres page's SPC chart for one trust: whole weeks, with its stored rebases."""
    unit, benchmark = drilldown.Unit(trust=code), scope.bench[drilldown.UTILISATION_METRIC]
    per_list = drilldown.read_lists(scope.engine, unit, scope.window, drilldown.UNIT_VIEW_COLUMNS)
    series = drilldown.spc_series(drilldown.utilisation_over_time(per_list, "week"))
    heading = f"{code}: weekly capped utilisation (SPC)"
    if len(series) < 2:
        return Section(heading, ("Fewer than 2 whole weeks of lists: no SPC chart.",))
    stored = rebase.list_rebases(scope.engine, unit.key, drilldown.UTILISATION_METRIC)
    result = drilldown.unit_spc(series, stored["date"], benchmark)
    markers = drilldown.rebase_markers(stored, series)
    chart = charts.spc_chart(
        result.points,
        variation=result.variation,
        assurance=result.assurance,
        label="Capped utilisation",
        rebases=markers,
    )
    notes = [drilldown.spc_note(result, benchmark.value)]
    if not scope.trust:
        notes.insert(0, "Shown because this trust's chart shows special cause.")
    notes += [
        f"Rebased from {d}: {why}"
        for d, why in zip(markers["date"], markers["reason"], strict=True)
    ]
    return Section(heading, tuple(notes), chart=_png(chart, 860))


FUNNELS = {
    "theatre": ("Theatre capped utilisation", "capped utilisation", "planned minutes"),
    "dm01": ("DM01 % within 6 weeks", "% within 6 weeks", "patients waiting"),
}


def _funnels(scope: _Scope) -> list[Section]:
    """The Overview's two funnel plots (95% and 99.8% limits), each with its outlier table."""
    readers = {
        "theatre": (reports.trust_theatre_outliers, scope.card["capped_utilisation"].notna()),
        "dm01": (reports.trust_dm01_outliers, scope.card["dm01_within_6_weeks"].notna()),
    }
    sections = []
    for measure, (reader, present) in readers.items():
        title, label, volume = FUNNELS[measure]
        if not present.any():
            sections.append(Section(f"Outlier or opportunity? {title}", ("No data.",)))
            continue
        table, result = reader(scope.engine, scope.window, scope.bench)
        sections.append(_funnel(scope, table, result, title, label, volume))
    return sections


def _funnel(
    scope: _Scope,
    table: pd.DataFrame,
    result: funnel.FunnelResult,
    title: str,
    label: str,
    volume: str,
) -> Section:
    low, high = max(1.0, table["denominator"].min() / 2), table["denominator"].max() * 2
    curve = funnel.funnel_curve(result.target, low, high, tau2=result.tau2)
    chart = charts.funnel_chart(
        table, curve, target=result.target, label=label, volume_label=volume, unit="trust_code"
    )
    shown = table.assign(
        funnel_flag=table["flag"].map(charts.FUNNEL_FLAG_TEXT),
        spc=table["spc_variation"].fillna(MISSING).str.replace("_", " "),
        outlier_text=table["outlier"].map({True: "⚠ outlier", False: "no"}),
        benchmark_text=table["below_benchmark"].map({True: "✗ below", False: "✓ meets"}),
    )
    spread = f"τ² = {result.tau2:.5f}" if result.tau2 is not None else "no overdispersion"
    columns = [
        Column("trust_code", "Trust", width=0.55),
        Column("proportion", "Value", "{:.1%}", width=0.65),
        Column("funnel_flag", "Funnel", width=1.5),
        Column("spc", "SPC", width=1.1),
        Column("outlier_text", "Outlier", width=0.8),
        Column("benchmark_text", "Benchmark", width=0.95),
    ]
    return Section(
        f"Outlier or opportunity? {title}",
        (
            f"Centre: the system's {result.target:.1%}; 95% and 99.8% limits, widened for "
            f"overdispersion (DerSimonian–Laird, {spread}). An outlier is outside 99.8% or shows "
            "SPC special cause; below the benchmark is an opportunity, not an outlier.",
        ),
        chart=_png(chart, 330),
        table=pack_table(shown, columns, highlight=scope.mine(table["trust_code"])),
    )


def _dm01(scope: _Scope) -> Section:
    """DM01 waits at the latest month: per test for a trust, per trust for the collaborative."""
    within = scope.bench["dm01_within_6_weeks"]
    constitutional = float(within.extra.get("constitutional", 0.99))
    targets = {
        "within_6_weeks_target": within.value,
        "constitutional_target": constitutional,
        "waiting_13_plus_target": scope.bench.value("dm01_13_plus_weeks"),
    }
    latest, trust = scope.dm01, scope.trust
    if trust:
        latest = latest[latest["provider_code"] == trust]
        order = {code: i for i, code in enumerate(DM01_TESTS)}
        rows = waits.dm01_waits(latest, ["test_code"], **targets)
        rows = rows[(rows["total_waiting"] > 0) | (rows["total_activity"] > 0)]
        rows = rows.sort_values("test_code", key=lambda codes: codes.map(order))
        rows["name"] = rows["test_code"].map(lambda code: DM01_TESTS.get(code, code))
    else:
        rows = waits.dm01_waits(latest, ["provider_code"], **targets)
        rows = rows.rename(columns={"provider_code": "name"})
    total = latest.assign(name=f"All tests ({trust})" if trust else "All trusts")
    rows = pd.concat([rows, waits.dm01_waits(total, ["name"], **targets)], ignore_index=True)
    table = pack_table(
        rows,
        [
            Column("name", "Test" if trust else "Trust", width=2.4 if trust else 1.0),
            Column("total_waiting", "Waiting list", "{:,.0f}"),
            Column("waiting_6_plus", "Waiting 6+ weeks", "{:,.0f}"),
            Column(
                "within_6_weeks",
                f"% within 6 weeks (vs {within.value:.0%})",
                "{:.1%}",
                "meets_within_6_weeks_target",
            ),
            Column(
                "within_6_weeks",
                f"% within 6 weeks (vs {constitutional:.0%})",
                "{:.1%}",
                "meets_constitutional_target",
            ),
            Column("waiting_13_plus", "Waiting 13+ weeks (≤0)", "{:,.0f}", "meets_13_plus_target"),
            Column("backlog_weeks", "Backlog (weeks)", "{:.1f}"),
        ],  # fmt: skip
        highlight=[i == len(rows) - 1 for i in range(len(rows))],
    )
    month = _month_name(latest["month"].max()) if len(latest) else "no DM01 month"
    return Section(
        f"DM01 diagnostic waits, {month}",
        (
            f"Month-end waiting list. ✓/✗ against the {within.value:.0%} interim ambition, the "
            f"{constitutional:.0%} constitutional standard, and nobody waiting 13+ weeks. "
            "Backlog: the number waiting 6+ weeks ÷ tests done a week.",
        ),
        table=table,
    )


def _methodology(bench: Benchmarks) -> list[Section]:
    """The benchmark table with sources, then how each figure and statistic is made."""
    shown = methodology.benchmark_table(bench).rename(columns=str.lower)
    columns = [
        Column("label", "Benchmark", width=1.5),
        Column("value", "Value", width=0.75),
        *([Column("national value", "National", width=0.6)] if "national value" in shown else []),
        Column("status", "Status", width=0.55),
        Column("effective date", "Effective", width=0.6),
        Column("source", "Source", width=3.4),
    ]
    overridden = bench.overridden()
    notes = (
        f"From {', '.join(p.name for p in bench.sources)}."
        + (f" Local values (✎) replace: {', '.join(overridden)}." if overridden else ""),
        "Status: national = published national guidance; programme = the collaborative's "
        "workplan; assumed = a working value with no published source.",
    )
    wanted = ("capped_utilisation", "realisable_additional_cases", "pooled_additional_cases",
              "additional_scans", "within_6_weeks", "backlog_weeks")  # fmt: skip
    words = {d.column: d for d in methodology.definitions(bench) if d.column in wanted}
    reading = [f"**{words[c].name}.** {words[c].definition} ({words[c].formula})" for c in wanted]
    reading += [f"**{title}** {text}" for title, text in methodology.STATISTICS]
    reading.append(
        "**Small numbers.** Counts of patients, cases, scans or tests from 1 to 4 are shown as * "
        "in every table of this pack, so that no figure can identify a handful of patients."
    )
    return [
        Section(
            "Methodology: benchmarks and their sources", notes, table=pack_table(shown, columns)
        ),
        Section("Methodology: how the figures are made", tuple(reading)),
    ]


def _png(chart: alt.TopLevelMixin, width: int) -> bytes:
    """The app's chart as a PNG ``width`` px wide; its only change is the font fallback list."""
    sized = chart.properties(width=width).configure(font=CHART_FONT)
    return vl_convert.vegalite_to_png(sized.to_json(), scale=PNG_SCALE)


def _fit(png: bytes, width: float, height: float) -> tuple[float, float]:
    """The largest (w, h) with the PNG's shape inside a width × height box (any unit)."""
    w, h = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")  # IHDR
    scale = min(width / w, height / h)
    return w * scale, h * scale


def _plain(text: str) -> str:
    return text.replace("**", "")


def _right_aligned(table: PackTable) -> list[bool]:
    """A column of numbers (✓/✗, * and – included) is right-aligned; the first column never."""
    return [
        j > 0 and all(NUMBER.match(row[j]) for row in table.rows)
        for j in range(len(table.headings))
    ]


def _halves(paragraphs: Sequence[str]) -> tuple[Sequence[str], Sequence[str]]:
    """Paragraphs split into two columns of about equal length (the left one no shorter)."""
    half, done = sum(map(len, paragraphs)) / 2, 0
    for i, paragraph in enumerate(paragraphs):
        if done >= half:
            return paragraphs[:i], paragraphs[i:]
        done += len(paragraph)
    return paragraphs, ()


# -- PDF ------------------------------------------------------------------------------------

PAGE_W, PAGE_H, MARGIN = 297.0, 210.0, 12.0  # A4 landscape, mm
CONTENT_W, BOTTOM = PAGE_W - 2 * MARGIN, PAGE_H - 13.0  # BOTTOM: above the footer


def _rgb(hex_colour: str) -> tuple[int, int, int]:
    return int(hex_colour[1:3], 16), int(hex_colour[3:5], 16), int(hex_colour[5:7], 16)


# The app's one theme (charts.py), as RGB for fpdf2 and python-pptx.
BLUE, INK, GREY = _rgb(charts.NHS_BLUE), _rgb(charts.TEXT), _rgb(charts.NHS_GREY)
PALE, WARN, WHITE = _rgb(charts.BACKGROUND), _rgb(charts.NHS_RED), (255, 255, 255)


class _PackPdf(FPDF):
    """A4 landscape with a blue running header and a footer that repeats the caveats."""

    def __init__(self, cover: Cover) -> None:
        super().__init__(orientation="L", unit="mm", format="A4")
        self.cover = cover
        self.unicode = all((FONT_DIR / name).exists() for name in FONT_FILES.values())
        for style, name in FONT_FILES.items() if self.unicode else ():
            self.add_font("DejaVu", style, str(FONT_DIR / name))
        self.family = "DejaVu" if self.unicode else "helvetica"
        self.set_margins(MARGIN, 14, MARGIN)  # top: below the running header
        self.set_auto_page_break(True, margin=PAGE_H - BOTTOM)
        self.set_title(_plain(f"Board pack: {cover.title}"))
        self.set_author("Theatre and diagnostics productivity monitor")

    def t(self, text: str) -> str:
        """Text the font can draw: as it is in DejaVu, else Latin-1 with ASCII stand-ins."""
        if self.unicode:
            return text
        for symbol, stand_in in ASCII.items():
            text = text.replace(symbol, stand_in)
        return text.encode("latin-1", "replace").decode("latin-1")

    def font(self, size: float, style: str = "", colour: tuple[int, int, int] = INK) -> None:
        self.set_font(self.family, style, size)
        self.set_text_color(*colour)

    def header(self) -> None:
        if self.page_no() == 1:
            return
        self.set_fill_color(*BLUE)
        self.rect(0, 0, PAGE_W, 9, style="F")
        self.font(8.5, "B", WHITE)
        self.set_xy(MARGIN, 1.5)
        self.cell(CONTENT_W / 2, 6, self.t(f"Board pack · {self.cover.title}"))
        self.cell(CONTENT_W / 2, 6, self.t(self.cover.period_text), align="R")

    def footer(self) -> None:
        self.set_y(PAGE_H - 9)
        self.font(7.5, "", GREY)
        caveat = "Synthetic demo data · " if self.cover.synthetic else ""
        caveat += "Counts from 1 to 4 are shown as *. Benchmarks and sources: see Methodology."
        self.cell(CONTENT_W * 0.8, 5, self.t(caveat))
        self.cell(CONTENT_W * 0.2, 5, f"Page {self.page_no()} of {{nb}}", align="R")


def _render_pdf(cover: Cover, sections: Sequence[Section]) -> bytes:
    pdf = _PackPdf(cover)
    pdf.add_page()
    _pdf_cover(pdf, cover)
    for section in sections:
        pdf.add_page()
        _pdf_section(pdf, section)
    return bytes(pdf.output())


def _pdf_cover(pdf: _PackPdf, cover: Cover) -> None:
    pdf.set_fill_color(*BLUE)
    pdf.rect(0, 0, PAGE_W, 78, style="F")
    for y, size, style, text in (
        (18, 13, "B", "Theatre and diagnostics productivity · Board pack"),
        (30, 26, "B", cover.title),
        (58, 14, "", cover.period_text),
    ):
        pdf.set_xy(MARGIN + 4, y)
        pdf.font(size, style, WHITE)
        pdf.multi_cell(CONTENT_W - 8, size * 0.46, pdf.t(text), align="L")
    y = 90.0
    if cover.synthetic:
        pdf.set_draw_color(*WARN)
        pdf.set_line_width(1.2)
        pdf.set_xy(MARGIN + 4, y)
        pdf.font(16, "B", WARN)
        pdf.cell(150, 13, pdf.t("SYNTHETIC DEMO DATA"), border=1, align="C")
        pdf.set_xy(MARGIN + 4, y + 15)
        pdf.font(9, "I", WARN)
        pdf.cell(0, 5, pdf.t("Every figure comes from generated data, not any trust's records."))
        y += 27
    pdf.set_xy(MARGIN + 4, y)
    pdf.font(11, "B")
    pdf.cell(0, 7, "Contents")
    pdf.font(10)
    for number, heading in enumerate(cover.contents, start=2):
        pdf.set_xy(MARGIN + 8, pdf.get_y() + 6.2)
        pdf.cell(0, 6, pdf.t(f"{heading}  ·  page {number}"))
    pdf.set_xy(MARGIN + 4, BOTTOM - 8)
    pdf.font(8, "", GREY)
    pdf.cell(0, 5, pdf.t(f"Data as of {cover.built_at} · produced {dt.date.today():%d %b %Y}"))


def _pdf_section(pdf: _PackPdf, section: Section) -> None:
    pdf.set_xy(MARGIN, 13)
    pdf.font(16, "B", BLUE)
    pdf.cell(CONTENT_W, 9, pdf.t(section.heading))
    if not (section.chart or section.table or section.tiles):
        _pdf_columns(pdf, section.notes, 24.0)
        return
    y = 24.0
    pdf.font(8.5)
    for note in section.notes:
        pdf.set_xy(MARGIN, y)
        pdf.multi_cell(CONTENT_W, 4.2, pdf.t(note), align="L")
        y = pdf.get_y() + 1.5
    y += 2
    if section.tiles:
        width = (CONTENT_W - 2 * 6) / len(section.tiles)
        for i, (value, label) in enumerate(section.tiles):
            x = MARGIN + i * (width + 6)
            pdf.set_fill_color(*PALE)
            pdf.rect(x, y, width, 30, style="F")
            pdf.set_fill_color(*BLUE)
            pdf.rect(x, y, 1.6, 30, style="F")
            pdf.set_xy(x + 5, y + 3)
            pdf.font(24, "B", BLUE)
            pdf.cell(width - 8, 12, pdf.t(value))
            pdf.set_xy(x + 5, y + 16)
            pdf.font(8.5)
            pdf.multi_cell(width - 8, 4, pdf.t(label), align="L")
        y += 36
    chart_w = CONTENT_W * 0.52 if section.table else CONTENT_W
    if section.chart:
        w, h = _fit(section.chart, chart_w, BOTTOM - y)
        x = MARGIN if section.table else MARGIN + (CONTENT_W - w) / 2
        pdf.image(io.BytesIO(section.chart), x=x, y=y, w=w, h=h)
    if section.table and section.chart:
        _pdf_table(pdf, section.table, MARGIN + chart_w + 5, CONTENT_W - chart_w - 5, y, 7.5)
    elif section.table:
        _pdf_table(pdf, section.table, MARGIN, CONTENT_W, y, 8)


def _pdf_columns(pdf: _PackPdf, paragraphs: Sequence[str], top: float) -> None:
    """Paragraphs in two columns balanced by length; a ``**lead-in**`` is drawn bold."""
    width = (CONTENT_W - 8) / 2
    pdf.font(9)
    for i, column in enumerate(_halves(paragraphs)):
        y = top
        for paragraph in column:
            pdf.set_xy(MARGIN + i * (width + 8), y)
            pdf.multi_cell(width, 4.4, pdf.t(paragraph), align="L", markdown=True)
            y = pdf.get_y() + 2


def _pdf_table(
    pdf: _PackPdf, table: PackTable, x: float, width: float, y: float, size: float
) -> None:
    pdf.set_left_margin(x)  # fpdf2 starts each table row at the left margin
    pdf.set_xy(x, y)
    pdf.font(size)
    pdf.set_draw_color(*GREY)
    pdf.set_line_width(0.2)
    bold = FontFace(emphasis="BOLD", fill_color=(214, 230, 245))
    zebra = (FontFace(fill_color=WHITE), FontFace(fill_color=(244, 246, 247)))
    with pdf.table(
        width=width,
        col_widths=table.widths,
        align="LEFT",
        headings_style=FontFace(emphasis="BOLD", color=WHITE, fill_color=BLUE),
        line_height=size * 0.5,
        borders_layout="HORIZONTAL_LINES",
        padding=(0.9, 1.2),
        v_align="MIDDLE",
    ) as grid:
        head = grid.row()
        for heading in table.headings:
            head.cell(pdf.t(heading), align="L")
        aligns = ["R" if right else "L" for right in _right_aligned(table)]
        for i, cells in enumerate(table.rows):
            row = grid.row()
            style = bold if i in table.highlight else zebra[i % 2]
            for text, align in zip(cells, aligns, strict=True):
                row.cell(pdf.t(text), align=align, style=style)
    pdf.set_left_margin(MARGIN)


# -- PPTX -----------------------------------------------------------------------------------

SLIDE_W, SLIDE_H, EDGE = 13.333, 7.5, 0.4  # 16:9, inches


def _render_pptx(cover: Cover, sections: Sequence[Section]) -> bytes:
    deck = Presentation()
    deck.slide_width, deck.slide_height = Inches(SLIDE_W), Inches(SLIDE_H)
    blank = deck.slide_layouts[6]
    slide = deck.slides.add_slide(blank)
    _box(slide, 0, 0, SLIDE_W, 2.9, BLUE)
    _text(slide, 0.6, 0.5, 12, 0.5, "Theatre and diagnostics productivity · Board pack", 16,
          WHITE, bold=True)  # fmt: skip
    _text(slide, 0.6, 1.05, 12, 1.0, cover.title, 32, WHITE, bold=True)
    _text(slide, 0.6, 2.2, 12, 0.5, cover.period_text, 16, WHITE)
    if cover.synthetic:
        _text(slide, 0.6, 3.2, 12, 0.6, "SYNTHETIC DEMO DATA: not any trust's records", 20, WARN,
              bold=True)  # fmt: skip
    _text(slide, 0.6, 4.0, 12, 2.8, "\n".join(cover.contents), 13)
    _text(slide, 0.6, 6.9, 12, 0.4, f"Data as of {cover.built_at}", 10, GREY)
    caveat = ("Synthetic demo data · " if cover.synthetic else "") + "Counts 1–4 shown as *"
    for section in sections:
        slide = deck.slides.add_slide(blank)
        _text(slide, EDGE, 0.25, 12.5, 0.6, section.heading, 24, BLUE, bold=True)
        footer = f"{cover.title} · {cover.period_text} · {caveat}"
        _text(slide, EDGE, 7.05, 12.5, 0.3, footer, 9, GREY)
        _pptx_body(slide, section)
    out = io.BytesIO()
    deck.save(out)
    return out.getvalue()


def _pptx_body(slide: Any, section: Section) -> None:
    if not (section.chart or section.table or section.tiles):
        for i, column in enumerate(_halves(section.notes)):
            _text(slide, EDGE + i * 6.35, 0.95, 6.15, 6, "\n".join(column), 10)
        return
    _text(slide, EDGE, 0.9, 12.5, 0.6, "\n".join(section.notes), 10)
    y = 1.6
    for i, (value, label) in enumerate(section.tiles):
        width = (12.5 - 0.6) / len(section.tiles)
        x = EDGE + i * (width + 0.3)
        _box(slide, x, y, width, 1.2, PALE)
        _text(slide, x + 0.15, y + 0.05, width - 0.3, 0.6, value, 28, BLUE, bold=True)
        _text(slide, x + 0.15, y + 0.7, width - 0.3, 0.5, label, 10)
    y += 1.4 if section.tiles else 0
    if section.chart:
        w, h = _fit(section.chart, 6.6 if section.table else 12.5, 6.95 - y)
        x = EDGE if section.table else (SLIDE_W - w) / 2
        picture = io.BytesIO(section.chart)
        slide.shapes.add_picture(picture, Inches(x), Inches(y), Inches(w), Inches(h))
    if section.table:
        x = 7.2 if section.chart else EDGE
        _pptx_table(slide, section.table, x, y, SLIDE_W - EDGE - x)


def _pptx_table(slide: Any, table: PackTable, x: float, y: float, width: float) -> None:
    size = Pt(9 if width > 8 else 7.5)
    rows = [table.headings, *table.rows]
    shape = slide.shapes.add_table(
        len(rows),
        len(table.headings),
        Inches(x),
        Inches(y),
        Inches(width),
        Inches(0.25 * len(rows)),
    )
    grid, right = shape.table, _right_aligned(table)
    for j, share in enumerate(table.widths):
        grid.columns[j].width = Inches(width * share / sum(table.widths))
    for i, cells in enumerate(rows):
        grid.rows[i].height = Inches(0.25)
        for j, text in enumerate(cells):
            cell = grid.cell(i, j)
            cell.text = text
            cell.text_frame.paragraphs[0].alignment = PP_ALIGN.RIGHT if right[j] else None
            for run in (r for p in cell.text_frame.paragraphs for r in p.runs):
                run.font.size = size
                run.font.bold = i == 0 or (i - 1) in table.highlight
                if i == 0:
                    run.font.color.rgb = RGBColor(*WHITE)
            if i == 0:
                cell.fill.solid()
                cell.fill.fore_color.rgb = RGBColor(*BLUE)


def _text(
    slide: Any,
    x: float,
    y: float,
    w: float,
    h: float,
    text: str,
    size: float,
    colour: tuple[int, int, int] = INK,
    *,
    bold: bool = False,
) -> None:
    """A wrapped text box; a line's ``**lead-in**`` is set bold."""
    frame = slide.shapes.add_textbox(Inches(x), Inches(y), Inches(w), Inches(h)).text_frame
    frame.word_wrap = True
    for i, line in enumerate(text.split("\n")):
        paragraph = frame.paragraphs[0] if i == 0 else frame.add_paragraph()
        lead, _, rest = line[2:].partition("**") if line.startswith("**") else ("", "", line)
        for part, strong in ((lead, True), (rest, bold)):
            if part:
                run = paragraph.add_run()
                run.text = part
                run.font.size, run.font.bold = Pt(size), strong
                run.font.color.rgb = RGBColor(*colour)
        paragraph.space_after = Pt(size * 0.5)


def _box(slide: Any, x: float, y: float, w: float, h: float, fill: tuple[int, int, int]) -> None:
    shape = slide.shapes.add_shape(MSO_SHAPE.RECTANGLE, Inches(x), Inches(y), Inches(w), Inches(h))
    shape.fill.solid()
    shape.fill.fore_color.rgb = RGBColor(*fill)
    shape.line.fill.background()
