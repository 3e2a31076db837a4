"""The board pack: the Overview's evidence as one A4-landscape PDF or a PowerPoint deck.

Example::

    pdf = build_pack(engine, trust="RBL", period="2026-03", fmt="pdf")
    Path(pack_filename(trust="RBL", period="2026-03", fmt="pdf")).write_bytes(pdf)

A pack covers the 12 months to ``period``: a title page, the headline tiles with the scorecard,
the ranking, SPC charts of weekly capped utilisation, the two funnel plots, DM01 waits, and the
methodology with every benchmark's source. Numbers come from :mod:`productivity.store.reports` and
:mod:`productivity.views.theatres`, the readers the pages use; charts are the app's own
:mod:`productivity.charts`, rendered to PNG by vl-convert. Every table and tile goes through
:func:`productivity.export.suppress_small_numbers` (counts from 1 to 4 are shown as ``*``).
This module owns the arguments, the scope and the sections, built once as data
(:mod:`productivity.pack.content`), then drawn by :mod:`productivity.pack.pdf` (fpdf2, a page
each) or :mod:`productivity.pack.slides` (python-pptx, a slide each). No Streamlit import: the CLI
and a page's download button both call :func:`build_pack`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import cast

import altair as alt
import pandas as pd
import vl_convert
from sqlalchemy import Engine

from productivity import charts
from productivity.benchmarks import Benchmarks, load_benchmarks
from productivity.errors import InputError
from productivity.metrics import waits
from productivity.pack.content import MISSING, Column, Cover, PackTable, Section, pack_table
from productivity.pack.pdf import render_pdf
from productivity.pack.slides import render_pptx
from productivity.schema import DM01_TESTS
from productivity.stats import funnel
from productivity.store import marts, rebase, reports
from productivity.synth import demo
from productivity.views import methodology, theatres as drilldown

__all__ = [
    "COLLABORATIVE", "FORMATS", "MISSING", "MONTHS_COVERED", "Column", "Cover", "PackTable",
    "Section", "build_pack", "pack_filename", "pack_table",
]  # fmt: skip

COLLABORATIVE = "Cheshire & Merseyside trust collaborative"
FORMATS = ("pdf", "pptx")
MONTHS_COVERED = 12  # a pack reports the 12 months to its period
PNG_SCALE = 2
# The theme asks for Arial, which a server often lacks, and vl-convert then draws no text at
# all; a CSS fallback list keeps the same chart readable wherever it is rendered.
CHART_FONT = f"{charts.nhs_theme()['config']['font']}, DejaVu Sans, Liberation Sans, sans-serif"


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
    return render_pdf(cover, sections) if fmt == "pdf" else render_pptx(cover, sections)


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
    # Altair leaves NaN in an all-empty text column (a source the store lacks, an SPC flag a
    # lone trust cannot have), which is not JSON: make every NaN a null.
    spec = json.dumps(json.loads(sized.to_json(), parse_constant=lambda _name: None))
    return vl_convert.vegalite_to_png(spec, scale=PNG_SCALE)
