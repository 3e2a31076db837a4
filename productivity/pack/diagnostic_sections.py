"""The board pack's diagnostics over time and between groups: DM01 trends, the inequalities gap,
and the mutual-aid proposal.

- DM01 trends: % within 6 weeks and the number waiting 13+ weeks, month by month, through
  :func:`productivity.metrics.waits.dm01_waits` over the DM01 returns of the pack's months (as
  ``report dm01 --by month`` and the Overview's monthly DM01 SPC read them);
- the inequalities gap: the Health inequalities page's views,
  :func:`productivity.views.inequalities.inequalities_view` (% within 6 weeks by IMD quintile
  and the Q1:Q5 ratio) and :func:`productivity.views.dna.dna_view` (DNA rate by quintile and the
  standardised DNA ratio);
- mutual aid: the Mutual aid page's plan (:func:`productivity.views.mutual_aid.propose`, at the
  page's default distance and capacity share) for MRI and CT, worded as a trust that *sends
  patients* and one that *takes patients*.
"""

from __future__ import annotations

import pandas as pd

from productivity import charts, peers
from productivity.charts import EVIDENCE_TEXT, ratio_text
from productivity.columns import COLUMNS
from productivity.formats import MISSING
from productivity.metrics import waits
from productivity.pack.content import Column, PackTable, Section, pack_table
from productivity.pack.scope import Scope, png
from productivity.planning.mutual_aid import MutualAidPlan
from productivity.stats.ratio_funnel import RatioFunnel
from productivity.store import reports
from productivity.views import dna, inequalities as ineq, mutual_aid as aid

INEQUALITY_TESTS = ("MRI", "CT", "NON_OBSTETRIC_ULTRASOUND")  # the imaging tests, largest lists
AID_TESTS = ("MRI", "CT")


def _targets(scope: Scope) -> dict[str, float]:
    return {
        "within_6_weeks_target": scope.bench.value("dm01_within_6_weeks"),
        "constitutional_target": scope.bench.constitutional_within_6_weeks().value,
        "waiting_13_plus_target": scope.bench.value("dm01_13_plus_weeks"),
    }


def dm01_trends(scope: Scope) -> list[Section]:
    """The unit's monthly DM01 trend (chart and table), then every trust month by month."""
    rows = reports.read_dm01(scope.engine, scope.window)
    if rows.empty:
        return [Section("DM01 trends", (f"No DM01 returns in {scope.span}.",))]
    targets = _targets(scope)
    by_trust = waits.dm01_waits(rows, ["provider_code", "month"], **targets)
    system = waits.dm01_waits(rows.assign(unit="System"), ["unit", "month"], **targets)
    unit = scope.trust or "System"
    own = (
        by_trust[by_trust["provider_code"] == scope.trust].rename(columns={"provider_code": "unit"})
        if scope.trust
        else system
    )
    lines = pd.concat([own, system] if scope.trust else [own], ignore_index=True)
    lines = lines.assign(date=pd.to_datetime(lines["month"] + "-01"))
    within = COLUMNS["within_6_weeks"]
    target = targets["within_6_weeks_target"]
    chart = charts.trend(
        lines, "date", "within_6_weeks", within.heading, benchmark=target, colour="unit"
    )
    over_13 = COLUMNS["waiting_13_plus"]
    table = pack_table(
        own.assign(month_text=own["month"].map(_month_short)),
        [
            Column("month_text", "Month", width=0.8),
            Column.of(COLUMNS["total_waiting"]),
            Column.of(COLUMNS["waiting_6_plus"]),
            Column.of(within, within.heading_against(scope.bench),
                      meets="meets_within_6_weeks_target", benchmark=target),
            Column.of(over_13, over_13.heading_against(scope.bench),
                      meets="meets_13_plus_target", benchmark=targets["waiting_13_plus_target"]),
        ],
    )  # fmt: skip
    first, last = own.iloc[0], own.iloc[-1]
    alt_text = (
        f"Line chart of {unit}'s DM01 % within 6 weeks by month, {_month_short(first['month'])} "
        f"to {_month_short(last['month'])}: from {first['within_6_weeks']:.1%} to "
        f"{last['within_6_weeks']:.1%}, against the {target:.0%} benchmark"
        + (", with the system's line for comparison." if scope.trust else ".")
    )
    trend = Section(
        f"DM01 trends: {unit}, all tests",
        (
            f"Month-end waiting lists, every DM01 test, {scope.span}. ✓/✗ against the "
            f"{target:.0%} interim ambition and nobody waiting 13+ weeks.",
        ),
        chart=png(chart, 470),
        table=table,
        alt=alt_text,
    )
    return [trend, *_trust_months(scope, by_trust)]


def _month_short(month: str) -> str:
    return f"{pd.Timestamp(month + '-01'):%b %Y}"


def _trust_months(scope: Scope, by_trust: pd.DataFrame) -> list[Section]:
    """Every trust month by month: % within 6 weeks, then the number waiting 13+ weeks."""
    months = sorted(by_trust["month"].unique())
    shown = []
    for value, key, fmt, title in (
        ("within_6_weeks", "within_6_weeks", ".1%", "% within 6 weeks"),
        ("waiting_13_plus", "waiting_13_plus", ",.0f", "people waiting 13+ weeks"),
    ):
        wide = by_trust.pivot(index="provider_code", columns="month", values=value)
        wide = wide.reindex(columns=months)
        wide.columns = [f"{key}_{m}" for m in months]  # named so counts are suppressed
        wide = wide.reset_index()
        columns = [
            Column("provider_code", "Trust", width=0.7),
            *(Column(f"{key}_{m}", _month_short(m), fmt) for m in months),
        ]
        shown.append(
            Section(
                f"DM01 trends by trust: {title}",
                (f"All DM01 tests, month-end waiting lists, {scope.span}.",),
                table=pack_table(wide, columns, highlight=scope.mine(wide["provider_code"])),
            )
        )
    return shown


def inequalities(scope: Scope) -> list[Section]:
    """Waits and missed appointments by IMD quintile for the unit, and each trust's DNA ratio."""
    unit = scope.trust or "the system"
    rows: list[dict[str, object]] = []
    for test in INEQUALITY_TESTS:
        view = ineq.inequalities_view(scope.engine, scope.window, test, scope.trust)
        if view.quintiles.empty:
            continue
        shares = dict(zip(view.quintiles["imd_quintile"], view.quintiles["within_6_weeks"],
                          strict=True))  # fmt: skip
        wanted = scope.trust or ineq.SYSTEM
        forest = view.forest[view.forest["provider_code"] == wanted]
        gap = ratio_text(forest.iloc[0]) if len(forest) else MISSING
        evidence = EVIDENCE_TEXT.get(forest["evidence"].iloc[0], "") if len(forest) else ""
        rows.append({"measure": f"{aid.test_label(test)}: % within 6 weeks ({view.month})",
                     **{f"q{q}": shares.get(q) for q in range(1, 6)},
                     "gap": f"Q1:Q5 ratio {gap} {evidence}".strip()})  # fmt: skip
    dnas = dna.dna_view(scope.engine, scope.window, scope.trust, None)
    if not dnas.unit_quintiles.empty:
        rates = dict(zip(dnas.unit_quintiles["imd_quintile"], dnas.unit_quintiles["dna_rate"],
                         strict=True))  # fmt: skip
        most, least = rates.get(dna.MOST), rates.get(dna.LEAST)
        gap = (
            f"Q1 − Q5: {(most - least) * 100:+.1f} pts"
            if most is not None and least is not None
            else MISSING
        )
        rows.append({"measure": "DNA rate (CT, MRI and endoscopy appointments)",
                     **{f"q{q}": rates.get(q) for q in range(1, 6)}, "gap": gap})  # fmt: skip
    sections = []
    if rows:
        frame = pd.DataFrame(rows)
        columns = [
            Column("measure", "Measure", width=2.4),
            *(Column(f"q{q}", dna.QUINTILE_NAMES[q], ".1%") for q in range(1, 6)),
            Column("gap", "Most against least deprived", width=2.2),
        ]
        sections.append(
            Section(
                f"Inequalities: waits and missed appointments by deprivation, {unit}",
                (
                    "IMD 2019 quintile of where patients live: Q1 the most deprived fifth, Q5 the "
                    "least. Waits at the latest month; DNAs over the months. Q1:Q5 ratio: the "
                    "share waiting 6+ weeks in Q1 ÷ that in Q5 with its 95% interval (1 = no "
                    "gap); ▲ wider gap: the interval is above 1. DNA gap in percentage points.",
                ),
                table=pack_table(frame, columns),
            )
        )
    if dnas.funnel is not None:
        sections.append(_dna_ratios(scope, dnas.funnel))
    return sections or [Section("Inequalities", (f"No data by IMD quintile in {scope.span}.",))]


def _dna_ratios(scope: Scope, funnel: RatioFunnel) -> Section:
    """The Health inequalities page's standardised DNA ratio per trust, with its funnel position."""
    codes = funnel.units["unit"]
    table = dna.funnel_table(funnel, dict(zip(codes, peers.trust_names(codes), strict=True)))
    table = table.rename(columns={"Observed DNAs": "dna_patients", "Expected DNAs": "expected"})
    columns = [
        Column("Trust", "Trust", width=0.6),
        Column("Name", "Name", width=2.6),
        Column("dna_patients", "Observed DNAs", ",.0f"),
        Column("expected", "Expected DNAs", ",.1f"),
        Column("Standardised ratio", "Ratio", ".2f", width=0.7),
        Column("Lower 99.8%", "Lower 99.8%", ".2f", width=0.8),
        Column("Upper 99.8%", "Upper 99.8%", ".2f", width=0.8),
        Column("Position", "Funnel position", width=1.2),
    ]
    return Section(
        "Inequalities: standardised DNA ratio by trust",
        (f"{scope.span[0].upper()}{scope.span[1:]}. {dna.funnel_caption(funnel)}",),
        table=pack_table(table, columns, highlight=scope.mine(table["Trust"])),
    )


def mutual_aid(scope: Scope) -> list[Section]:
    """The Mutual aid page's proposal for MRI and CT: who sends patients to whom, and the effect."""
    found = []
    for test in AID_TESTS:
        plan = aid.propose(scope.engine, test, scope.window, scope.bench, basis=scope.basis)
        name = aid.test_label(test)
        heading = f"Mutual aid: {name}"
        if plan.trusts.empty:
            found.append(Section(heading, (f"No trust reports {name} waits in {scope.span}.",)))
            continue
        weeks = max(plan.parameters.projection_weeks)
        roles = plan.trusts.set_index("trust_code")["role"]  # sends / takes patients, or neither
        notes = [aid.reason(plan)]  # no total that would give a hidden count away
        if scope.trust and scope.trust in roles.index:
            notes.append(f"{scope.trust}'s role: {roles[scope.trust]}.")
        notes.append(
            "Default limits as on the Mutual aid page: at most "
            f"{plan.parameters.max_distance_km:.0f} km between nearest sites, "
            f"{plan.parameters.capacity_share:.0%} of spare capacity "
            "offered. A trust that takes patients keeps what it needs to clear its own backlog. "
            + aid.basis_caption(test, scope.basis)
        )
        chart = charts.before_after(aid.before_after(plan), f"After {weeks} weeks")
        table = None if plan.no_transfer else aid_table(plan, scope.trust)
        alt_text = (
            f"Bar chart of people waiting 6+ weeks for {name} at each trust, now and after "
            f"{weeks} weeks of the plan; {aid.moved_text(plan)} patients a week move "
            "between trusts."
        )
        found.append(
            Section(heading, tuple(notes), chart=png(chart, 420), table=table, alt=alt_text)
        )
    return found


def aid_table(plan: MutualAidPlan, trust: str | None) -> PackTable:
    """The proposals as the pack shows them: the CSV's cells, so ``*`` for a count of 1 to 4
    and for one that a total would give away; ``trust``'s transfers in bold."""
    weeks = max(plan.parameters.projection_weeks)
    return pack_table(
        aid.proposals_export(plan),
        [
            Column("sends_patients", "Sends patients", width=1.8),
            Column("takes_patients", "Takes patients", width=1.8),
            Column.of(COLUMNS["patients_per_week"], width=0.8),
            Column.of(COLUMNS["patients_in_horizon"], f"Patients in {weeks} weeks", width=0.8),
            Column.of(COLUMNS["distance_km"], width=0.8),
        ],
        highlight=[
            trust in (a, b)
            for a, b in zip(plan.proposals["from_trust"], plan.proposals["to_trust"], strict=True)
        ],
    )
