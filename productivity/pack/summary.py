"""The board pack's one-page executive summary: what a board should act on, first.

Three things, each from the functions the Overview uses, never recomputed:

- the biggest opportunities: the three trusts with the most realisable additional theatre cases
  and the three with the most additional CT, MRI and NOUS scans, by name (the pack's scorecard,
  :func:`productivity.store.reports.trust_scorecard`, for the pack's months);
- what changed since last month: the same scorecard for the latest month and the month before,
  side by side (the trust's own row, or the collaborative's totals and how many trusts meet each
  benchmark);
- special-cause SPC signals: the trusts whose weekly capped utilisation or monthly DM01 % within
  6 weeks shows special cause (the Overview's outlier judgements), with the variation in words.
"""

from __future__ import annotations

import pandas as pd

from productivity import peers
from productivity.charts import ASSURANCE_TEXT, VARIATION_TEXT
from productivity.pack.content import PackTable, Section, count_text
from productivity.pack.scope import Scope, month_name
from productivity.store import marts, reports
from productivity.views.overview import OUTLIER_MEASURES

TOP = 3  # opportunities named per measure
# Scorecard column -> (what it is, format, a count of patients, cases or scans to suppress?)
CHANGES: dict[str, tuple[str, str, bool]] = {
    "capped_utilisation": ("Theatre capped utilisation", ".1%", False),
    "realisable_additional_cases": ("Realisable additional theatre cases", ",.0f", True),
    "additional_scans": ("Additional CT, MRI and NOUS scans", ",.0f", True),
    "dm01_within_6_weeks": ("DM01: % within 6 weeks (all tests)", ".1%", False),
    "dm01_waiting_6_plus": ("DM01: people waiting 6+ weeks", ",.0f", True),
    "dm01_13_plus_weeks": ("DM01: people waiting 13+ weeks", ",.0f", True),
}
# The count key each figure is suppressed under (export.suppress_small_numbers reads names).
COUNT_KEYS = {
    "realisable_additional_cases": "realisable_additional_cases",
    "additional_scans": "additional_scans",
    "dm01_waiting_6_plus": "waiting_6_plus",
    "dm01_13_plus_weeks": "waiting_13_plus",
}
MET = {"capped_utilisation": "theatre", "dm01_within_6_weeks": "DM01 % within 6 weeks"}


def executive_summary(scope: Scope) -> Section:
    """One page: the biggest opportunities, what changed since last month, SPC signals."""
    notes = (*_opportunities(scope), _signals(scope))
    table, changed = _changes(scope)
    return Section("Executive summary", (*notes, changed), table=table)


def _named(codes: pd.Series) -> list[str]:
    return [f"{name} ({code})" for code, name in zip(codes, peers.trust_names(codes), strict=True)]


def _opportunities(scope: Scope) -> list[str]:
    """The three trusts with the most realisable cases, and the three with the most scans."""
    card, target = scope.card, scope.bench.value("theatre_capped_utilisation")
    lines = []
    for key, what in (
        ("realisable_additional_cases", f"additional theatre cases at {target:.0%} capped "
                                        "utilisation (realisable: whole cases that fit a list)"),
        ("additional_scans", "additional CT, MRI and NOUS scans at the benchmark scans per hour "
                             f"({scope.basis_words})"),
    ):  # fmt: skip
        top = card[card[key].fillna(0) > 0].sort_values(key, ascending=False).head(TOP)
        if top.empty:
            lines.append(f"**Biggest opportunities: {what}.** None in {scope.span}.")
            continue
        named = [
            f"{i}. {name}: {count_text(value, key)}"
            for i, (name, value) in enumerate(zip(_named(top["trust_code"]), top[key],
                                                  strict=True), start=1)
        ]  # fmt: skip
        line = f"**Biggest opportunities: {what}, {scope.span}.** " + "; ".join(named) + "."
        if scope.trust and scope.trust not in set(top["trust_code"]):
            mine = card.loc[card["trust_code"] == scope.trust, key]
            own = count_text(mine.iloc[0], key) if len(mine) else "–"
            line += f" {scope.trust}: {own}."
        lines.append(line)
    return lines


def _signals(scope: Scope) -> str:
    """Every trust whose SPC chart shows special cause, by measure, with the variation."""
    parts = []
    for measure, present, result in (
        ("theatre", scope.card["capped_utilisation"].notna().any(), "theatre_outliers"),
        ("dm01", scope.card["dm01_within_6_weeks"].notna().any(), "dm01_outliers"),
    ):
        if not present:
            continue
        trusts = getattr(scope, result).trusts
        special = trusts[trusts["spc_special_cause"]]
        found = [
            f"{name}: {VARIATION_TEXT[v].removeprefix('Variation: ')}, "
            f"{ASSURANCE_TEXT.get(a if pd.notna(a) else None, '').removeprefix('Assurance: ')}"
            for name, v, a in zip(_named(special["trust_code"]), special["spc_variation"],
                                  special["spc_assurance"], strict=True)
        ]  # fmt: skip
        text = "; ".join(found) if found else "none: every trust shows common cause"
        parts.append(f"{OUTLIER_MEASURES[measure]}: {text}.")
    body = " ".join(parts) or "No theatre or DM01 data in the months."
    return f"**Special-cause signals (SPC, Making Data Count).** {body}"


def _changes(scope: Scope) -> tuple[PackTable | None, str]:
    """The latest month of the pack beside the month before it, as a table, and a note."""
    end = str(scope.window.end)
    before = str(pd.Period(end, freq="M") - 1)
    latest, previous = (
        reports.trust_scorecard(scope.engine, marts.Period(m, m), scope.bench, basis=scope.basis)
        for m in (end, before)
    )
    head = f"**What changed since last month ({month_name(before)} → {month_name(end)}).**"
    if previous.empty or latest.empty:
        return None, f"{head} The store holds no {month_name(before)} to compare with."
    who = scope.trust or "the collaborative (totals)"
    # A rate is not summed over trusts: the collaborative's rows are counts, and how many
    # trusts meet each benchmark.
    keys = [k for k, (_, _, count) in CHANGES.items() if scope.trust or count]
    rows = [_change_row(key, previous, latest, scope.trust) for key in keys]
    if not scope.trust:
        for key, what in MET.items():
            old, new = (int(card[f"{key}_meets"].fillna(False).astype(bool).sum())
                        for card in (previous, latest))  # fmt: skip
            rows.append((f"Trusts meeting the {what} benchmark", str(old), str(new),
                         f"{new - old:+d}"))  # fmt: skip
    table = PackTable(
        ("Measure", month_name(before), month_name(end), "Change"),
        tuple(rows),
        (2.6, 1.0, 1.0, 0.8),
    )
    note = (
        f"{head} Each month on its own, for {who}; waiting lists at each month's end. "
        "Change in percentage points (pts) for rates. A count from 1 to 4 is shown as *, and "
        "so is any change that would reveal one."
    )
    return table, note


def _change_row(
    key: str, previous: pd.DataFrame, latest: pd.DataFrame, trust: str | None
) -> tuple[str, str, str, str]:
    """A measure in each month and the change: the trust's own value, or the trusts' total."""
    what, fmt, count = CHANGES[key]
    values = []
    for card in (previous, latest):
        rows = card[card["trust_code"] == trust] if trust else card
        values.append(float(rows[key].sum(min_count=1)) if len(rows) else float("nan"))
    old, new = values
    known = pd.notna(old) and pd.notna(new)
    if not count:
        shown = [f"{v:{fmt}}" if pd.notna(v) else "–" for v in values]
        return (what, shown[0], shown[1], f"{(new - old) * 100:+.1f} pts" if known else "–")
    texts = [count_text(v, COUNT_KEYS[key], fmt) for v in values]
    change = "*" if "*" in texts else (f"{new - old:+,.0f}" if known else "–")
    return (what, texts[0], texts[1], change)
