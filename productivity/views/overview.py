"""What the Overview page shows: the trust scorecard, ranking and outlier tables in words.

>>> from productivity.benchmarks import load_benchmarks
>>> card = pd.DataFrame({"trust_code": ["RBL"], "name": ["Wirral"], "capped_utilisation": [0.8496]})
>>> row = scorecard_table(card, load_benchmarks(override=None)).iloc[0]
>>> row["Trust"], float(row["Capped util. (≥85%)"]), row["Capped util. ✓/✗"]
('RBL · Wirral', 0.8496, '✗')

Pure shaping of ``reports`` results for the page's tables, bar labels and funnel plot; every
number comes from ``reports``/``funnel``, every benchmark from the benchmark file. No Streamlit
import: the page wraps the readers in ``st.cache_data``.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from productivity import peers, settings
from productivity.benchmarks import BENCHMARK_BASES, Benchmarks
from productivity.columns import COLUMNS, SCORECARD, Column
from productivity.formats import MEETS, MISSES, MISSING, judgements as value_judgements
from productivity.modalities import MODALITIES
from productivity.stats.outliers import OUTLIER_FLAGS, judgements
from productivity.store import marts, reports
from productivity.views.overview_outliers import (
    OUTLIER_AXES,
    OUTLIER_MEASURES,
    RATIO_MEASURES,
    shown_percent,
    trust_label,
)

# Re-exported: the pack draws the same funnels with the same headings.
__all__ = ["OUTLIER_AXES", "OUTLIER_MEASURES", "RATIO_MEASURES", "outlier_flags"]


def ranking_axis(ranking: str | None, what: str) -> tuple[str, str, str]:
    """The ranking chart's value column, axis title and format: a count or a % of activity."""
    if ranking == "percent":
        return "opportunity_share", f"{what.capitalize()} as % of current", ".1%"
    return "opportunity", f"{what.capitalize()} in the period", ",.0f"


def months_between(period: marts.Period, months: tuple[str, ...]) -> list[str]:
    """The months of the store inside ``period`` (for annualising period totals)."""
    return [
        m
        for m in months
        if (not period.start or m >= period.start) and (not period.end or m <= period.end)
    ]


MARK_SUFFIX = " ✓/✗"  # the heading of a value's judgement column: "Capped util. ✓/✗"


def scorecard_table(card: pd.DataFrame, bench: Benchmarks, basis: str = "national") -> pd.DataFrame:
    """The Overview's trust table: each value a number (so it sorts as one) under a heading that
    carries its benchmark, and beside it its ✓/✗ in a column of its own, not colour alone.

    Headings and benchmarks are the column catalogue's scorecard (the pack's too); the page
    formats each value as its catalogue column (:func:`scorecard_formats`). A scan rate is
    judged against the rate the trust is held to on the benchmark ``basis`` (the scorecard's
    ``<key>_meets`` beside its ``<modality>_benchmark_scans_per_hour``,
    :func:`productivity.store.reports.trust_scorecard`): on the ``peer`` basis its own
    peer-group rate, headed ``(≥ own peer rate)`` as in the pack; a value without the rate it
    is held to is shown unmarked (–).
    """
    out = pd.DataFrame({"Trust": card["trust_code"] + " · " + card["name"]})
    for column, heading in _headings(card, bench, basis):
        values = pd.to_numeric(card[column.key], errors="coerce").astype("float64")
        own = reports.OWN_SCAN_RATES.get(column.key)
        if own is None or (basis == "national" and own not in card):
            marks = value_judgements(values, column.judged_by(bench))
        else:
            rates = card[own] if own in card else pd.Series(float("nan"), index=card.index)
            judged = card.get(f"{column.key}_meets", pd.Series(pd.NA, index=card.index))
            meets = judged.astype("object").where(values.notna() & rates.notna())
            marks = meets.map({True: MEETS, False: MISSES}).astype("object").fillna(MISSING)
        out[heading] = values
        out[f"{column.short}{MARK_SUFFIX}"] = marks
    return out


def scorecard_formats(
    card: pd.DataFrame, bench: Benchmarks, basis: str = "national"
) -> dict[str, str]:
    """Each value heading of :func:`scorecard_table` -> the catalogue column whose format it
    takes (``ui.show_table(..., like=...)``)."""
    return {heading: column.key for column, heading in _headings(card, bench, basis)}


def _headings(card: pd.DataFrame, bench: Benchmarks, basis: str) -> list[tuple[Column, str]]:
    """The scorecard columns the card has, each with its heading on ``basis``."""
    found = []
    for column in SCORECARD:
        if column.key not in card:
            continue
        own = reports.OWN_SCAN_RATES.get(column.key)
        peer = own is not None and basis != "national"
        found.append((column, own_heading(column.key) if peer else column.heading_against(bench)))
    return found


def own_heading(key: str) -> str:
    """A scan rate's heading on the peer basis, e.g. ``CT scans/hr (≥ own peer rate)``."""
    return f"{COLUMNS[key].short} (≥ own peer rate)"


def basis_caption(bench: Benchmarks, basis: str) -> str:
    """Which benchmark basis the additional scans and the scan-rate ✓/✗ are on, in words."""
    scanners = [m for m in MODALITIES if m.imaging]
    national = ", ".join(f"{m.key} {bench.value(m.benchmark):g}" for m in scanners)
    if basis == "national":
        return (
            f"Scans: additional scans and scan-rate ✓/✗ on {BENCHMARK_BASES[basis]} "
            f"(scans per operational hour: {national}) for every trust."
        )
    own = "; ".join(
        f"{m.key}: {text}" for m in scanners if (text := bench[m.benchmark].peer_text())
    )
    return (
        f"Scans: additional scans and scan-rate ✓/✗ on {BENCHMARK_BASES[basis]} "
        f"({own or 'none set'}; every other trust the national rate: {national}); "
        "computed per trust and modality, then summed."
    )


def peer_ranking(card: pd.DataFrame, peer: str | None, measure: str, ranking: str) -> pd.DataFrame:
    """The scorecard ranked within one peer group (all trusts when ``peer`` is None), with
    ``trust_label`` (name and code) and ``peer_label`` for charts and tables."""
    named = _named(tuple(card["trust_code"]), settings.TRUSTS_FILE)
    if peer is not None:
        card = card[(named.groups == peer).to_numpy()]
        card = reports.rank_opportunity(card, measure, ranking) if len(card) else card
        named = _named(tuple(card["trust_code"]), settings.TRUSTS_FILE)
    return card.assign(
        trust_label=named.labels.set_axis(card.index),
        peer_label=named.peer_labels.set_axis(card.index),
    )


@dataclass(frozen=True)
class _Named:
    groups: pd.Series
    labels: pd.Series
    peer_labels: pd.Series


@functools.lru_cache(maxsize=64)
def _named(codes: tuple[str, ...], trusts_file: Path) -> _Named:
    """Each trust's peer group, label and peer group's label, for a tuple of codes: the same
    dozen trusts every filter change (the trusts file, whose path keys the cache, names them)."""
    codes_series = pd.Series(codes, dtype="str")
    groups = peers.peer_of(codes)
    return _Named(groups, trust_label(codes_series), groups.map(peers.PEER_GROUPS))


def period_text(period: marts.Period, months: tuple[str, ...]) -> str:
    """The months a period total covers, e.g. 'Mar 2026 – May 2026 (3 months)'."""
    chosen = months_between(period, months)
    if not chosen:
        return "no months"
    first, last = (pd.Timestamp(f"{m}-01").strftime("%b %Y") for m in (chosen[0], chosen[-1]))
    span = first if first == last else f"{first} – {last}"
    return f"{span} ({len(chosen)} month{'s' if len(chosen) != 1 else ''})"


@dataclass(frozen=True)
class Tile:
    """A headline number with a label that says which months it covers."""

    label: str
    value: str
    help: str


def headline_tiles(
    card: pd.DataFrame,
    period: marts.Period,
    store_months: tuple[str, ...],
    bench: Benchmarks,
    basis: str = "national",
) -> list[Tile]:
    """The Overview's three headline numbers, over the same period as the ranking table.

    Opportunity tiles are totals for the chosen months (the sum of the table's column), their
    help giving the annual rate; the DM01 tile is a snapshot at the latest month.
    """
    months = months_between(period, store_months)
    covers = period_text(period, store_months)
    per_year = 12 / max(1, len(months))
    target = bench.value("theatre_capped_utilisation")
    tiles = []
    for title, column, what in (
        ("Additional theatre cases (realisable)", "realisable_additional_cases",
         f"Whole cases that fit inside a list at the {target:.0%} benchmark"),
        ("Additional scans (CT, MRI, NOUS)", "additional_scans",
         f"Scans at the benchmark rate ({BENCHMARK_BASES[basis]}) in the hours already run"),
    ):  # fmt: skip
        total = float(card[column].fillna(0).sum()) if column in card else 0.0
        tiles.append(
            Tile(
                f"{title}, {covers}",
                f"{total:,.0f}",
                f"{what}, in {covers}: about {total * per_year:,.0f} a year at this rate.",
            )
        )
    latest = period_text(marts.Period(months[-1], months[-1]), store_months) if months else "–"
    waiting = card["dm01_waiting_6_plus"].sum() if "dm01_waiting_6_plus" in card else 0
    tiles.append(
        Tile(
            f"People waiting 6+ weeks for a diagnostic test, {latest}",
            f"{waiting:,.0f}",
            "DM01 at the latest month in the period: a snapshot, not a total.",
        )
    )
    return tiles


def ranking_table(card: pd.DataFrame) -> pd.DataFrame:
    """The ranking beside its chart: extra cases (whole and pooled) and scans in the period,
    and the share, with each trust's name and peer group."""
    counts = ["realisable_additional_cases", "pooled_additional_cases", "additional_scans"]
    # Built from the card's columns, not a copy of the card's sixty: a frame of a dozen rows.
    table = {
        COLUMNS["rank"].short: card["rank"],
        "Trust": card.get("trust_label", card["trust_code"]),
    }
    if "peer_label" in card:
        table["Peer group"] = card["peer_label"]
    # Whole cases and scans, and the share as a percentage, so the table sorts by number.
    for column in counts:
        table[COLUMNS[column].short] = card[column].fillna(0).round(0)
    table[COLUMNS["opportunity_share"].short] = (card["opportunity_share"] * 100).round(1)
    return pd.DataFrame(table)


def outlier_flags(table: pd.DataFrame) -> pd.DataFrame:
    """An outlier table's three judgements as text beside its columns (the pack's table too):
    ``funnel_flag`` (funnel position among peers), ``spc`` (SPC variation and assurance),
    ``benchmark_text`` (meets the benchmark, or short of it: an opportunity), and
    ``outlier_text``, which is the funnel position alone (outside 99.8%), never SPC."""
    judged = judgements(table, short=True)
    return table.assign(
        funnel_flag=judged["funnel_position"],
        spc=judged["spc_signal"],
        outlier_text=table["flag"]
        .isin(OUTLIER_FLAGS)
        .map({True: "outside 99.8% limits", False: "no"}),
        benchmark_text=judged["benchmark_gap"],
    )


def gap_labels(card: pd.DataFrame, measure: str, bench: Benchmarks) -> pd.Series:
    """Bar labels that name the benchmark gap, e.g. '6,019 · 62% vs 85%'."""
    if measure == "theatre":
        # The opportunity is counted at the national benchmark, so the label names that one;
        # the value keeps digits enough not to read as it (84.5% is never "85%").
        target = bench.value("theatre_capped_utilisation")
        utilisation = card["capped_utilisation"]
        shown = shown_percent(utilisation, pd.Series(target, index=card.index))
        text = shown.map(lambda u: f" · {u:g}% vs {target:.0%}")
        return card["opportunity"].map("{:,.0f}".format) + text.where(utilisation.notna(), "")
    # The imaging modalities each trust is short of its scans-per-hour benchmark on.
    below = pd.Series("", index=card.index, dtype=object)
    for m in (m for m in MODALITIES if m.imaging and m.scorecard in card):
        # Against the rate the trust is held to on the scorecard's basis, where it says.
        meets = card.get(f"{m.scorecard}_meets")
        if meets is None:
            meets = bench[m.benchmark].meets_each(card[m.scorecard])
        short = meets.astype("boolean").eq(False).fillna(False)
        below = below.mask(short.astype(bool), below.where(below == "", below + ", ") + m.key)
    suffix = below.map(lambda names: f" · below on {names}" if names else "")
    return card["opportunity"].map("{:,.0f}".format) + suffix


def scenario_table(what_if: pd.DataFrame) -> pd.DataFrame:
    """The what-if result for display: extra activity a week and weeks to clear each backlog."""
    shown = {"trust_code": "Trust", "additional_cases_per_week": "Extra cases/week"}
    for m in MODALITIES:  # those the scenario covers have columns in ``what_if``
        shown[f"additional_{m.key.lower()}_per_week"] = f"Extra {m.key}/week"
        shown[f"weeks_to_clear_{m.key.lower()}"] = f"Weeks to clear {m.key} 6+ wk backlog"
    table = what_if[[c for c in shown if c in what_if]].round(1)
    for column in [c for c in shown if c.startswith("weeks_to_clear_") and c in table]:
        table[column] = table[column].map(_weeks_text)
    return table.rename(columns=shown)


def _weeks_text(weeks: float) -> str:
    if pd.isna(weeks):
        return "–"
    return "never at this rate" if weeks == float("inf") else f"{weeks:.1f}"
