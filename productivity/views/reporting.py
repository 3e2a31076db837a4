"""What the Reporting and pathology page shows: the turnaround marts, summed and shaped.

>>> days = pd.DataFrame({"days": [1, 2, 5], "events": [1, 2, 1]})
>>> median_from_histogram(days)   # 1, 2, 2, 5: the middle two are 2 and 2
2.0

It reads the three turnaround marts (``mart_turnaround``, ``mart_turnaround_days``,
``mart_backlog``, built by :mod:`productivity.store.turnaround`) for a period and trust, sums
their counts, and takes every share as Σ within ÷ Σ (within + breaches), empty (never 0) when
nothing is decided, as SPEC §4 defines it; the SPC of the monthly share comes from
:func:`productivity.stats.spc.xmr`; the page's tables and caption are
:mod:`productivity.views.reporting_tables`'s. Imports no Streamlit and no charts.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sqlalchemy import Engine

from productivity.benchmarks import Benchmarks
from productivity.columns import COLUMNS
from productivity.formats import against, marked
from productivity.metrics.diagnostics import safe_ratio
from productivity.metrics.turnaround import AGE_BANDS, MEASURE_FILTERS
from productivity.stats import spc
from productivity.store import marts
from productivity.store.mart_reads import read_mart
from productivity.store.mart_tables import BACKLOG, TURNAROUND, TURNAROUND_DAYS
from productivity.store.turnaround import DRILL_KEYS

SYSTEM = "System"
COUNTS = ["events", "within_target", "breaches", "pending"]
# The drill-down keys in words, for the page's selector and the tables' headings.
DRILL_HEADINGS: dict[str, str] = {
    "modality": "Modality",
    "priority": "Priority",
    "patient_source": "Patient source",
    "lab": "Laboratory",
    "specimen_type": "Specimen type",
}
# Each measure's heading in a narrow table (the benchmark's label is the long form).
MEASURE_SHORT: dict[str, str] = {
    "reporting_ct_urgent": "CT urgent",
    "reporting_ct_routine": "CT routine",
    "reporting_mri_urgent": "MRI urgent",
    "reporting_mri_routine": "MRI routine",
    "reporting_all_28_days": "All in 28 days",
    "pathology_cancer_10_days": "Cancer histo. 10 wd",
}
MIN_SPC_MONTHS = 2  # one moving range at least; fewer than spc.MIN_POINTS are trial limits


@dataclass(frozen=True)
class ReportingView:
    """Everything the page draws for one measure, trust (or the system) and period."""

    measure: str
    kind: str  # reporting or pathology
    trusts: pd.DataFrame  # per trust × every measure of the kind: counts, share, median
    monthly: pd.DataFrame  # per month, for the chosen trust or the system: counts and share
    spc: spc.SPCResult | None
    days: pd.DataFrame  # reported events by whole turnaround days
    backlog: pd.DataFrame  # unreported now, per age band (and drill key)
    drill: pd.DataFrame  # the chosen measure per value of the drill-down key
    drill_by: str


def measure_kind(measure: str) -> str:
    """``reporting`` or ``pathology``: which events a measure covers."""
    return MEASURE_FILTERS[measure][0]


def measures_of(kind: str) -> list[str]:
    return [key for key, (k, *_) in MEASURE_FILTERS.items() if k == kind]


def median_from_histogram(days: pd.DataFrame) -> float:
    """The exact median of whole ``days`` weighted by ``events`` (mean of the middle two)."""
    counted = days.groupby("days", sort=True)["events"].sum()
    counted = counted[counted > 0]
    total = int(counted.sum())
    if total == 0:
        return float("nan")
    ends = np.cumsum(counted.to_numpy())
    values = counted.index.to_numpy()
    # 0-based positions (total − 1) // 2 and total // 2 of the sorted events.
    low = values[np.searchsorted(ends, (total - 1) // 2, side="right")]
    high = values[np.searchsorted(ends, total // 2, side="right")]
    return float((low + high) / 2)


def medians_from_histograms(days: pd.DataFrame, keys: Sequence[str]) -> pd.DataFrame:
    """:func:`median_from_histogram` of every ``keys`` group at once (no loop over groups):
    ``keys`` and ``median_days``; a group with no events has none."""
    keys = list(keys)
    if days.empty:
        return pd.DataFrame(columns=[*keys, "median_days"])
    counted = days.groupby([*keys, "days"], sort=True)["events"].sum().reset_index()
    counted = counted[counted["events"] > 0].reset_index(drop=True)
    grouped = counted.groupby(keys, sort=False)["events"]
    total, ends = grouped.transform("sum"), grouped.cumsum()
    starts = ends - counted["events"]

    def at(position: pd.Series) -> pd.Series:
        # The histogram row holding each group's 0-based position: starts <= position < ends.
        holds = (starts <= position) & (position < ends)
        return counted.loc[holds].set_index(keys)["days"]

    low, high = at((total - 1) // 2), at(total // 2)
    medians = ((low + high) / 2).astype(float).rename("median_days")
    return medians.reset_index()


def with_share(frame: pd.DataFrame, keys: Sequence[str]) -> pd.DataFrame:
    """Counts summed per ``keys`` and the share within target: within ÷ (within + breaches)."""
    out = frame.groupby(list(keys), sort=True, dropna=False)[COUNTS].sum().reset_index()
    decided = out["within_target"] + out["breaches"]
    out["share_within_target"] = safe_ratio(out["within_target"].astype(float), decided)
    return out


def trust_shares(
    counts: pd.DataFrame, days: pd.DataFrame, kind: str, benchmarks: Benchmarks
) -> pd.DataFrame:
    """Per trust × measure of ``kind``: counts, share within target, target and median days."""
    out = with_share(counts, ["trust_code", "measure"])
    medians = medians_from_histograms(days, ["trust_code", "measure"])
    out = out.merge(medians, on=["trust_code", "measure"], how="left")
    out["median_days"] = out["median_days"].astype(float)
    return with_targets(out, kind, benchmarks)


def with_targets(out: pd.DataFrame, kind: str, benchmarks: Benchmarks) -> pd.DataFrame:
    """:func:`trust_shares`' rows with each measure's target and label, in trust then
    measure order."""
    order = {m: i for i, m in enumerate(measures_of(kind))}
    out["target_share"] = out["measure"].map(lambda m: benchmarks[m].value)
    out["label"] = out["measure"].map(lambda m: benchmarks[m].label)
    return out.sort_values(
        ["trust_code", "measure"], key=lambda s: s.map(order) if s.name == "measure" else s
    ).reset_index(drop=True)


def monthly_share(counts: pd.DataFrame) -> pd.DataFrame:
    """Per month: counts and the share within target (months with nothing decided dropped)."""
    out = with_share(counts, ["month"])
    return out[out["share_within_target"].notna()].reset_index(drop=True)


def share_spc(monthly: pd.DataFrame, target: float) -> spc.SPCResult | None:
    """An XmR chart of the monthly share within target (None with under two months)."""
    if len(monthly) < MIN_SPC_MONTHS:
        return None
    dates = pd.to_datetime(monthly["month"] + "-01")
    return spc.xmr(monthly["share_within_target"], dates, direction="higher", target=target)


def backlog_by_band(backlog: pd.DataFrame, keys: Sequence[str] = ()) -> pd.DataFrame:
    """Unreported events per age band (× ``keys``), every band present, in band order."""
    out = backlog.groupby([*keys, "age_band"], sort=False)["unreported"].sum().reset_index()
    grid = pd.DataFrame({"age_band": list(AGE_BANDS)})
    if keys:
        grid = out[list(keys)].drop_duplicates().merge(grid, how="cross")
    out = grid.merge(out, on=[*keys, "age_band"], how="left")
    out["unreported"] = out["unreported"].fillna(0).astype("int64")
    return out


def reporting_view(
    engine: Engine,
    period: marts.Period,
    measure: str,
    trust: str | None,
    benchmarks: Benchmarks,
    drill_by: str | None = None,
    trusts: pd.DataFrame | None = None,
) -> ReportingView:
    """Every section of the page at once (the page works out each tab's alone:
    :func:`kind_trust_shares`, :func:`monthly_trend`, :func:`chosen_days`,
    :func:`trust_backlog`, :func:`drill_view`).

    ``trusts``, when given, is :func:`kind_trust_shares` for the measure's kind and the period,
    already worked out (it depends on neither the measure nor the trust chosen).
    """
    kind = measure_kind(measure)
    monthly, result = monthly_trend(engine, period, measure, trust, benchmarks)
    drill, drill_key = drill_view(engine, period, measure, trust, drill_by)
    return ReportingView(
        measure=measure,
        kind=kind,
        trusts=kind_trust_shares(engine, period, kind, benchmarks) if trusts is None else trusts,
        monthly=monthly,
        spc=result,
        days=chosen_days(engine, period, measure, trust),
        backlog=trust_backlog(engine, kind, trust),
        drill=drill,
        drill_by=drill_key,
    )


def kind_trust_shares(
    engine: Engine, period: marts.Period, kind: str, benchmarks: Benchmarks
) -> pd.DataFrame:
    """:attr:`ReportingView.trusts` on its own: every trust × measure of ``kind``."""
    counts = read_mart(engine, TURNAROUND, period)
    days = read_mart(engine, TURNAROUND_DAYS, period)
    return trust_shares(
        counts[counts["kind"] == kind], days[days["kind"] == kind], kind, benchmarks
    )


def chosen_counts(
    engine: Engine, period: marts.Period, measure: str, trust: str | None
) -> pd.DataFrame:
    """The turnaround mart's counts of one measure, of the chosen trust when given."""
    counts = read_mart(engine, TURNAROUND, period)
    mine = counts[(counts["kind"] == measure_kind(measure)) & (counts["measure"] == measure)]
    return mine[mine["trust_code"] == trust] if trust else mine


def monthly_trend(
    engine: Engine, period: marts.Period, measure: str, trust: str | None, benchmarks: Benchmarks
) -> tuple[pd.DataFrame, spc.SPCResult | None]:
    """:attr:`ReportingView.monthly` and its SPC against the measure's target."""
    monthly = monthly_share(chosen_counts(engine, period, measure, trust))
    return monthly, share_spc(monthly, benchmarks[measure].value)


def chosen_days(
    engine: Engine, period: marts.Period, measure: str, trust: str | None
) -> pd.DataFrame:
    """:attr:`ReportingView.days`: reported events of the measure by whole turnaround days."""
    days = read_mart(engine, TURNAROUND_DAYS, period)
    days = days[(days["kind"] == measure_kind(measure)) & (days["measure"] == measure)]
    if trust:
        days = days[days["trust_code"] == trust]
    return days.groupby("days", sort=True)["events"].sum().reset_index()


def trust_backlog(engine: Engine, kind: str, trust: str | None) -> pd.DataFrame:
    """:attr:`ReportingView.backlog`: unreported events now per trust × age band (a snapshot at
    each trust's as-at, so no period)."""
    backlog = read_mart(engine, BACKLOG)
    backlog = backlog[backlog["kind"] == kind]
    if trust:
        backlog = backlog[backlog["trust_code"] == trust]
    return backlog_by_band(backlog, ["trust_code"]) if not backlog.empty else backlog


def drill_view(
    engine: Engine, period: marts.Period, measure: str, trust: str | None, drill_by: str | None
) -> tuple[pd.DataFrame, str]:
    """The chosen measure per value of the drill-down key (:attr:`ReportingView.drill`), and
    the key used: the page's drill-down section alone, so changing the key redoes only it."""
    kind = measure_kind(measure)
    drill = drill_by if drill_by in DRILL_KEYS[kind] else DRILL_KEYS[kind][0]
    mine = chosen_counts(engine, period, measure, trust)
    if mine.empty:
        return pd.DataFrame(), drill
    shares = with_share(mine, [drill]).rename(columns={drill: "group"})
    return shares.assign(group=shares["group"].replace("", "not recorded")), drill


def trust_name(codes: pd.Series, names: Mapping[str, str]) -> pd.Series:
    """``RBL · Wirral University Teaching Hospital`` where the name is known, else the code."""
    return codes.map(lambda c: f"{c} · {names[c]}" if c in names else str(c))


def backlog_total(backlog: pd.DataFrame) -> pd.DataFrame:
    """The unreported backlog summed over trusts, per age band."""
    if backlog.empty:
        return backlog
    return backlog_by_band(backlog)


def turnaround_scorecard(
    engine: Engine, period: marts.Period, benchmarks: Benchmarks, names: Mapping[str, str]
) -> pd.DataFrame:
    """Every trust against the six turnaround targets (✓/✗), with its DNA rate and standardised
    DNA ratio: the Overview's and the board pack's turnaround and attendance scorecard.

    A trust with no events of a kind shows – for that kind's targets.
    """
    from productivity.views import dna  # the attendance half of the scorecard

    counts = read_mart(engine, TURNAROUND, period)
    shares = with_share(counts, ["trust_code", "measure"]) if not counts.empty else counts
    ratios = dna.trust_ratios(engine, period)  # the ratios alone, as dna_view has them
    trusts = sorted(set(shares.get("trust_code", [])) | set(ratios.get("trust_code", [])))
    out = pd.DataFrame({"trust_code": trusts})
    for measure in MEASURE_FILTERS:
        bench = benchmarks[measure]
        mine = shares[shares["measure"] == measure] if not shares.empty else shares
        values = out["trust_code"].map(
            dict(zip(mine.get("trust_code", []), mine.get("share_within_target", []), strict=True))
        )
        out[against(MEASURE_SHORT[measure], bench)] = marked(values.to_numpy(), ".1%", bench)
    dna_rates = dict(zip(ratios.get("trust_code", []), ratios.get("dna_rate", []), strict=True))
    ratio = dict(
        zip(ratios.get("trust_code", []), ratios.get("standardised_ratio", []), strict=True)
    )
    out[COLUMNS["dna_rate"].short] = (
        out["trust_code"].map(dna_rates).map(COLUMNS["dna_rate"].format)
    )
    out[COLUMNS["standardised_ratio"].short] = (
        out["trust_code"].map(ratio).map(COLUMNS["standardised_ratio"].format)
    )
    out.insert(0, "Trust", trust_name(out["trust_code"], names))
    return out.drop(columns="trust_code")
