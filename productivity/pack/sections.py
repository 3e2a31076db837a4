"""The board pack's sections, built as data from the readers the pages use.

Each function takes the :class:`~productivity.pack.scope.Scope` of a pack (store, trust, months,
benchmarks and what every section reads) and returns
:class:`~productivity.pack.content.Section` values. :func:`sections` puts them in order: the
executive summary (:mod:`.summary`), the headline tiles over the benchmark scorecard, the
ranking, SPC charts of weekly capped utilisation, the funnel plots with the three judgements
(:mod:`.judgements`), theatre lost time (:mod:`.theatre_sections`), DM01 waits, DM01 trends, the
inequalities gap and the mutual-aid proposal (:mod:`.diagnostic_sections`), reporting and
missed appointments, and the methodology with every benchmark's source. Headings, formats
and benchmarks come from the column catalogue (:mod:`productivity.columns`), numbers from
:mod:`productivity.store.reports` and :mod:`productivity.views`; charts are the app's own
:mod:`productivity.charts`, rendered to PNG by vl-convert. No Streamlit, and no drawing of pages:
:mod:`productivity.pack.pdf` and :mod:`productivity.pack.slides` do that.
"""

from __future__ import annotations

import pandas as pd

from productivity import charts
from productivity.benchmarks import BENCHMARK_BASES, Benchmarks
from productivity.columns import COLUMNS, SCORECARD
from productivity.formats import against
from productivity.metrics import waits
from productivity.pack import diagnostic_sections, theatre_sections
from productivity.pack.content import Column, Section, pack_table
from productivity.pack.judgements import funnels
from productivity.pack.scope import MONTHS_COVERED, Scope, month_name, png
from productivity.pack.summary import executive_summary
from productivity.schema import DM01_TESTS
from productivity.store import readers, rebase, reports
from productivity.views import methodology, reporting, theatres as drilldown
from productivity.views.overview import basis_caption, own_heading

__all__ = ["MONTHS_COVERED", "Scope", "month_name", "sections"]


def sections(scope: Scope) -> list[Section]:
    """Every section of the pack, in order."""
    return [
        executive_summary(scope),
        _headlines(scope),
        _ranking(scope),
        *_spc(scope),
        *funnels(scope),
        *theatre_sections.lost_time(scope),
        _dm01(scope),
        *diagnostic_sections.dm01_trends(scope),
        *diagnostic_sections.inequalities(scope),
        *diagnostic_sections.mutual_aid(scope),
        _turnaround(scope),
        *_methodology(scope.bench, scope.basis),
    ]


def _headlines(scope: Scope) -> Section:
    """Three tiles over the benchmark scorecard of every trust, all for the pack's months.

    The tiles are totals over the months, as the scorecard beside them (never annualised), so a
    3-month pack shows 3-month figures.
    """
    card, bench = scope.card, scope.bench
    mine = card[card["trust_code"] == scope.trust] if scope.trust else card
    totals = pd.DataFrame(
        {
            "realisable_additional_cases": [mine["realisable_additional_cases"].sum()],
            "additional_scans": [mine["additional_scans"].sum()],
            "patients_waiting_6_plus": [mine["dm01_waiting_6_plus"].sum()],
        }
    )
    values = pack_table(totals, [Column(c, c, ",.0f") for c in totals.columns]).rows[0]
    month = month_name(scope.dm01["month"].max()) if len(scope.dm01) else "no DM01 month"
    labels = (
        f"Additional theatre cases in {scope.span} (realisable, at "
        f"{bench.value('theatre_capped_utilisation'):.0%} capped utilisation)",
        f"Additional CT, MRI and NOUS scans in {scope.span} (at the benchmark scans per hour: "
        f"{scope.basis_words})",
        f"People waiting 6+ weeks for a diagnostic test (DM01, {month})",
    )
    columns = [Column("trust_code", "Trust", width=0.7)]
    for column in SCORECARD:
        target = column.judged_by(bench)
        # A scan rate on the peer basis is judged against the trust's own rate (``_meets``).
        own = scope.basis != "national" and column.key in reports.OWN_SCAN_RATES
        columns.append(
            Column.of(
                column,
                own_heading(column.key) if own else column.heading_against(bench),
                key="dm01_waiting_13_plus" if column.key == "dm01_13_plus_weeks" else None,
                meets=f"{column.key}_meets",
                benchmark=None if own else target.value,
            )
        )
    # The scorecard names the 13+ week count after weeks: renamed so suppression sees patients.
    rows = card.assign(dm01_waiting_13_plus=card["dm01_13_plus_weeks"])
    note = (
        f"Tiles and scorecard: {scope.span} ({scope.months} month(s) with data); waiting lists "
        "at the latest month. Scorecard: ✓ meets the benchmark, ✗ short of it, – no data. "
        + basis_caption(bench, scope.basis)
    )
    if scope.trust:
        note += f" {scope.trust} is in bold among the collaborative's trusts."
    return Section(
        "Headlines and the benchmark scorecard",
        (note,),
        table=pack_table(rows, columns, highlight=scope.mine(card["trust_code"])),
        tiles=tuple(zip(values, labels, strict=True)),
    )


def _ranking(scope: Scope) -> Section:
    """The Overview's ranking bars (realisable cases, absolute) and the ranking table."""
    card, target = scope.card, scope.bench.value("theatre_capped_utilisation")
    counts = pack_table(card, [Column("realisable_additional_cases", "", ",.0f")]).rows
    labels = [
        f"{count[0]} · {u:.0%} vs {target:.0%}" if pd.notna(u) else count[0]
        for count, u in zip(counts, card["capped_utilisation"], strict=True)
    ]
    label = f"Realisable additional theatre cases in {scope.span}"
    chart = charts.ranking_bars(card.assign(label=labels), "opportunity", label)
    table = pack_table(
        card.fillna({"pooled_additional_cases": 0.0, "additional_scans": 0.0}),
        [
            Column.of(COLUMNS["rank"], width=0.5),
            Column("trust_code", "Trust", width=0.6),
            *(
                Column.of(COLUMNS[key])
                for key in (
                    "realisable_additional_cases",
                    "pooled_additional_cases",
                    "additional_scans",
                    "opportunity_share",
                )
            ),
        ],
        highlight=scope.mine(card["trust_code"]),
    )
    ranking = card["ranking"].iloc[0] if len(card) else "absolute count"
    return Section(
        f"Trusts ranked by additional theatre cases ({ranking})",
        (
            f"Realisable cases: whole cases that fit inside a list at {target:.0%} capped "
            "utilisation; pooled cases pool the minutes (the Model Health-style figure). Bars "
            "are labelled with the trust's capped utilisation against the benchmark. Additional "
            f"scans at the benchmark scans per hour: {scope.basis_words}.",
        ),
        chart=png(chart, 340),
        table=table,
        alt=f"Bar chart: {label}, {len(card)} trusts, largest first: "
        + "; ".join(f"{code} {text}" for code, text in zip(card["trust_code"], labels,
                                                            strict=True)),
    )  # fmt: skip


def _spc(scope: Scope) -> list[Section]:
    """The trust's SPC chart; for the collaborative, one per trust with special cause."""
    if scope.trust:
        return [_spc_section(scope, scope.trust)]
    if scope.card["capped_utilisation"].notna().any():
        found = scope.theatre_outliers.trusts
        special = found.loc[found["spc_special_cause"], "trust_code"].tolist()
    else:
        special = []
    return [_spc_section(scope, code) for code in special] or [
        Section(
            "Weekly capped utilisation (SPC)",
            ("No trust's weekly capped utilisation shows special cause: all common cause.",),
        )
    ]


def _spc_section(scope: Scope, code: str) -> Section:
    """The Theatres page's SPC chart for one trust: whole weeks, with its stored rebases."""
    unit, benchmark = drilldown.Unit(trust=code), scope.bench[drilldown.UTILISATION_METRIC]
    per_list = readers.theatre_lists(
        scope.engine, scope.window, unit.filters, drilldown.UNIT_VIEW_COLUMNS
    )
    series = drilldown.spc_series(drilldown.utilisation_over_time(per_list, "week"))
    heading = f"{code}: weekly capped utilisation (SPC)"
    if len(series) < 2:
        return Section(heading, ("Fewer than 2 whole weeks of lists: no SPC chart.",))
    stored = rebase.list_rebases(scope.engine, unit.key, drilldown.UTILISATION_METRIC)
    result = drilldown.unit_spc(series, stored["date"], benchmark)
    markers = drilldown.rebase_markers(stored, series)
    label = COLUMNS["capped_utilisation"].heading
    chart = charts.spc_chart(result, label=label, rebases=markers)
    notes = [drilldown.spc_note(result, benchmark.value)]
    if not scope.trust:
        notes.insert(0, "Shown because this trust's chart shows special cause.")
    notes += [
        f"Rebased from {d}: {why}"
        for d, why in zip(markers["date"], markers["reason"], strict=True)
    ]
    points = result.points
    alt_text = (
        f"SPC chart of {code}'s weekly capped utilisation, {len(points)} weeks from "
        f"{points['date'].min():%d %b %Y} to {points['date'].max():%d %b %Y}: mean "
        f"{points['mean'].iloc[-1]:.1%}, limits {points['lower_limit'].iloc[-1]:.1%} to "
        f"{points['upper_limit'].iloc[-1]:.1%}, latest week {points['value'].iloc[-1]:.1%}. "
        f"{charts.VARIATION_TEXT.get(result.variation, result.variation)}; "
        f"{charts.ASSURANCE_TEXT.get(result.assurance)}; target {benchmark.value:.0%}."
    )
    return Section(heading, tuple(notes), chart=png(chart, 860), alt=alt_text)


def _dm01(scope: Scope) -> Section:
    """DM01 waits at the latest month: per test for a trust, per trust for the collaborative."""
    within = scope.bench["dm01_within_6_weeks"]
    constitutional = scope.bench.constitutional_within_6_weeks()
    over_13 = COLUMNS["waiting_13_plus"].judged_by(scope.bench)
    targets = {
        "within_6_weeks_target": within.value,
        "constitutional_target": constitutional.value,
        "waiting_13_plus_target": over_13.value,
    }
    within_6, over_13_column = COLUMNS["within_6_weeks"], COLUMNS["waiting_13_plus"]
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
            Column.of(COLUMNS["total_waiting"]),
            Column.of(COLUMNS["waiting_6_plus"]),
            *(
                Column.of(
                    within_6, against(within_6.short, judged), meets=meets, benchmark=judged.value
                )
                for judged, meets in (
                    (within, "meets_within_6_weeks_target"),
                    (constitutional, "meets_constitutional_target"),
                )
            ),
            Column.of(
                over_13_column,
                over_13_column.heading_against(scope.bench),
                meets="meets_13_plus_target",
                benchmark=over_13.value,
            ),
            Column.of(COLUMNS["backlog_weeks"]),
        ],  # fmt: skip
        highlight=[i == len(rows) - 1 for i in range(len(rows))],
    )
    month = month_name(latest["month"].max()) if len(latest) else "no DM01 month"
    return Section(
        f"DM01 diagnostic waits, {month}",
        (
            f"Month-end waiting list. ✓/✗ against the {within.value:.0%} interim ambition, the "
            f"{constitutional.value:.0%} constitutional standard, and nobody waiting 13+ weeks. "
            "Backlog: the number waiting 6+ weeks ÷ tests done a week.",
        ),
        table=table,
    )


def _turnaround(scope: Scope) -> Section:
    """The Overview's turnaround and attendance scorecard: every trust, six targets, DNAs."""
    card = reporting.turnaround_scorecard(scope.engine, scope.window, scope.bench, {})
    columns = [Column(str(c), str(c), width=0.7 if c == "Trust" else 1.0) for c in card.columns]
    note = (
        "Share of imaging examinations (cancer histopathology specimens) reported within each "
        "target, of those decided: ✓ meets it, ✗ short of it, – no events. Unreported events "
        "not yet past the deadline are pending and left out. DNA ratio: observed ÷ expected "
        "DNAs at the system's rate in each IMD quintile (1 = as expected)."
    )
    if scope.trust:
        note += f" {scope.trust} is in bold among the collaborative's trusts."
    return Section(
        "Reporting, pathology and missed appointments",
        (note,),
        table=pack_table(card, columns, highlight=[t == scope.trust for t in card["Trust"]]),
    )


def _methodology(bench: Benchmarks, basis: str) -> list[Section]:
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
        f"Benchmark basis of scan rates in this pack: {BENCHMARK_BASES[basis]}, as the app "
        f"shows by default. {basis_caption(bench, basis)} Mutual aid's spare capacity is "
        "counted on the same basis. The command line's imaging report keeps the national "
        "rates unless asked for the peer basis; its pack command takes the same choice.",
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
