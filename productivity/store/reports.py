"""Reports for ``python -m productivity report KIND``: mart rows in, one tidy table out.

The CLI and the pages share these readers, so a number on a page and in a report always agree.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sqlalchemy import Engine, select

from productivity import modalities, peers
from productivity.benchmarks import BENCHMARK_BASES, Benchmarks, check_basis, load_benchmarks
from productivity.columns import SCORECARD
from productivity.metrics import diagnostics, theatre, waits
from productivity.metrics.turnaround import EventKind
from productivity.planning import opportunity, scenarios
from productivity.stats import outliers
from productivity.store import attendance, marts, models, reference, turnaround
from productivity.store.db import get_engine
from productivity.store.dm01_reports import (
    DM01_LEVELS as DM01_LEVELS,
    dm01_report as dm01_report,
    dm01_waits as dm01_waits,
    latest_dm01 as latest_dm01,
    read_dm01 as read_dm01,
)

# --by LEVEL -> keys for each diagnostic report ("theatre" means the finest unit: a scanner).
IMAGING_LEVELS = {
    "trust": ["trust_code", "modality"],
    "site": ["trust_code", "site", "modality"],
    "theatre": ["trust_code", "site", "scanner_id", "modality"],
    "specialty": ["modality"],
    "month": ["trust_code", "modality", "month"],
}
SITE_LEVELS = {
    "trust": ["trust_code"],
    "site": ["trust_code", "site"],
    "theatre": ["trust_code", "site"],
    "specialty": ["trust_code"],
    "month": ["trust_code", "month"],
}


def imaging_report(
    engine: Engine, by: str, period: marts.Period, benchmarks: Benchmarks, basis: str = "national"
) -> pd.DataFrame:
    """``report imaging`` on the benchmark ``basis`` (:func:`modalities.scans_at_benchmark`)."""
    rows = marts.read_mart(engine, marts.IMAGING, period)
    keys = IMAGING_LEVELS[by]
    if rows.empty:
        # The same columns as a report with rows, so a script reading it need not special-case.
        columns = [*keys, "scans", "operational_hours", "scans_per_hour"]
        return pd.DataFrame(columns=[*columns, "benchmark_scans_per_hour", "additional_scans"])
    return modalities.scans_at_benchmark(rows, keys, benchmarks, basis)


def endoscopy_report(
    engine: Engine, by: str, period: marts.Period, benchmarks: Benchmarks
) -> pd.DataFrame:
    rows = marts.read_mart(engine, marts.ENDOSCOPY, period)
    target = benchmarks.value("endoscopy_list_utilisation")
    return diagnostics.endoscopy_utilisation(rows, SITE_LEVELS[by], target=target)


def echo_report(
    engine: Engine, by: str, period: marts.Period, benchmarks: Benchmarks
) -> pd.DataFrame:
    rows = marts.read_mart(engine, marts.ECHO, period)
    minutes = benchmarks.value("echo_minutes_per_test")
    return diagnostics.echo_minutes_per_test(rows, SITE_LEVELS[by], benchmark_minutes=minutes)


def report(
    kind: str,
    *,
    by: str = "trust",
    start: str | None = None,
    end: str | None = None,
    engine: Engine | None = None,
    benchmark_basis: str = "national",
) -> pd.DataFrame:
    """The report table for ``kind`` (theatre, imaging, endoscopy, echo, dm01, daycase, quality,
    reporting, pathology, attendance). ``benchmark_basis`` (national or peer) applies to
    ``imaging``'s benchmark rates."""
    engine = engine or get_engine()
    benchmarks = load_benchmarks()
    period = marts.Period(start, end)
    if kind == "theatre":
        return marts.theatre_report(engine, by=by, period=period, benchmarks=benchmarks)
    if kind == "daycase":
        from productivity.store import daycase

        return daycase.daycase_report(engine, by=by, period=period)
    if kind == "quality":
        from productivity.store import quality

        start_date, end_date = period.dates()
        return quality.read_quality(engine, start=start_date, end=end_date)
    if kind in ("reporting", "pathology"):
        event_kind: EventKind = "reporting" if kind == "reporting" else "pathology"
        return turnaround.turnaround_report(engine, event_kind, period, benchmarks)
    if kind == "attendance":
        return attendance.attendance_report(marts.read_mart(engine, marts.ATTENDANCE, period), by)
    readers = {
        "imaging": imaging_report,
        "endoscopy": endoscopy_report,
        "echo": echo_report,
        "dm01": dm01_report,
    }
    if kind not in readers:
        raise ValueError(f"unknown report {kind!r}")
    if kind == "imaging":
        return imaging_report(engine, by, period, benchmarks, benchmark_basis)
    return readers[kind](engine, by, period, benchmarks)


def trust_scorecard(
    engine: Engine,
    period: marts.Period,
    benchmarks: Benchmarks,
    ranking: str = "absolute",
    measure: str = "theatre",
    basis: str = "national",
) -> pd.DataFrame:
    """One row per trust: every headline metric, whether it meets its benchmark, and the rank.

    Ranked by one opportunity ``measure`` (realisable additional theatre cases, or additional
    scans), as an absolute count or as a share of current activity (``ranking``); the
    ``ranking`` column says which ranking is in use. Additional scans and each scan rate's
    ``<key>_meets`` are on the benchmark ``basis`` (:func:`imaging_report`): the rate each trust
    is held to for each modality is in ``<modality>_benchmark_scans_per_hour`` (its own
    peer-group rate on the ``peer`` basis), and ``benchmark_basis`` names the basis.
    """
    check_basis(basis)
    # The store's trusts, not only the file's: a trust registered there has a row too.
    trusts = reference.stored_trusts(engine)
    theatre_rows = marts.theatre_report(engine, by="trust", period=period, benchmarks=benchmarks)
    card = trusts.merge(
        theatre_rows[
            [
                "trust_code",
                "capped_utilisation",
                "uncapped_utilisation",
                "completed_cases",
                "realisable_additional_cases",
                "pooled_additional_cases",
            ]
        ],
        on="trust_code",
        how="left",
    )
    imaging = imaging_report(engine, "trust", period, benchmarks, basis)
    if not imaging.empty:
        rates = imaging.pivot(index="trust_code", columns="modality", values="scans_per_hour")
        rates.columns = [f"{m.lower()}_scans_per_hour" for m in rates.columns]
        held = imaging.pivot(
            index="trust_code", columns="modality", values="benchmark_scans_per_hour"
        )
        held.columns = [OWN_SCAN_RATES[f"{m.lower()}_scans_per_hour"] for m in held.columns]
        extra = imaging.groupby("trust_code")[["additional_scans", "scans"]].sum()
        card = card.merge(rates.join(held).join(extra).reset_index(), on="trust_code", how="left")
    endoscopy = endoscopy_report(engine, "trust", period, benchmarks)
    card = card.merge(
        endoscopy[["trust_code", "utilisation"]].rename(
            columns={"utilisation": "endoscopy_utilisation"}
        ),
        on="trust_code",
        how="left",
    )
    echo = echo_report(engine, "trust", period, benchmarks)
    echo = echo.rename(columns={"minutes_per_test": "echo_minutes_per_test"})
    card = card.merge(echo[["trust_code", "echo_minutes_per_test"]], on="trust_code", how="left")
    dm01 = latest_dm01(engine, period)
    if not dm01.empty:
        totals = waits.dm01_waits(dm01, ["provider_code"]).rename(
            columns={
                "provider_code": "trust_code",
                "within_6_weeks": "dm01_within_6_weeks",
                "waiting_13_plus": "dm01_13_plus_weeks",
                "waiting_6_plus": "dm01_waiting_6_plus",
            }
        )
        columns = ["trust_code", "dm01_within_6_weeks", "dm01_13_plus_weeks", "dm01_waiting_6_plus"]
        card = card.merge(totals[columns], on="trust_code", how="left")
    return judge_scorecard(card, benchmarks, basis, ranking, measure)


def judge_scorecard(
    card: pd.DataFrame, benchmarks: Benchmarks, basis: str, ranking: str, measure: str
) -> pd.DataFrame:
    """The scorecard's last steps, from one row per trust with its figures: each figure judged
    against its benchmark, the trusts with any figure kept, and the ranking."""
    # The scorecard's columns, each judged against its benchmark from the column catalogue. A
    # store without some source (theatres only, no DM01 yet) still has every column, empty and
    # numeric (an empty source merged in is object dtype, whose all-NaN chart data is not JSON),
    # so the pages and the pack say what is missing instead of failing on a KeyError.
    keys = [column.key for column in SCORECARD]
    # Columns made as arrays and the frame built once: setting some thirty columns one by one
    # on a frame of a dozen trusts was most of the Overview's filter change (pandas overhead).
    figures: dict[str, np.ndarray] = {}
    for key in dict.fromkeys((*keys, *SCORECARD_COUNTS, *OWN_SCAN_RATES.values())):
        if key in card.columns:
            figures[key] = pd.to_numeric(card[key], errors="coerce").to_numpy(
                "float64", na_value=np.nan
            )
        else:
            figures[key] = np.full(len(card), np.nan)
    verdicts: dict[str, pd.arrays.BooleanArray] = {}
    for column in SCORECARD:
        judged = column.judged_by(benchmarks)
        value = figures[column.key]
        # A scan rate against the rate the trust is held to on the basis (its own peer rate).
        own = OWN_SCAN_RATES.get(column.key)
        bar = figures[own] if own is not None else np.full(len(card), judged.value)
        with np.errstate(invalid="ignore"):
            meets = value >= bar if judged.higher_is_better else value <= bar
        verdicts[f"{column.key}_meets"] = pd.arrays.BooleanArray(
            meets, np.isnan(value) | np.isnan(bar)
        )
    columns: dict[str, object] = {name: figures.get(name, card[name]) for name in card.columns}
    columns |= {name: values for name, values in figures.items() if name not in columns}
    columns |= verdicts
    card = pd.DataFrame(columns, index=card.index)
    card = card[card[keys].notna().any(axis=1)]
    card = card.assign(benchmark_basis=BENCHMARK_BASES[basis])
    return rank_opportunity(card, measure, ranking)


# Scorecard scan rate -> the column of the rate each trust is held to (on the basis in use).
OWN_SCAN_RATES: dict[str, str] = {
    m.scorecard: f"{m.key.lower()}_benchmark_scans_per_hour"
    for m in modalities.MODALITIES
    if m.imaging
}


# Scorecard counts that come from one source each (absent when the store lacks it).
SCORECARD_COUNTS = ("additional_scans", "scans", "dm01_waiting_6_plus")
# Opportunity measure -> (opportunity column, current activity column, what it counts).
OPPORTUNITY_MEASURES: dict[str, tuple[str, str, str]] = {
    "theatre": ("realisable_additional_cases", "completed_cases", "additional theatre cases"),
    "scans": ("additional_scans", "scans", "additional CT, MRI and NOUS scans"),
}


def rank_opportunity(card: pd.DataFrame, measure: str, ranking: str) -> pd.DataFrame:
    """Rank the scorecard's trusts by one opportunity measure (absolute or % of activity)."""
    value, current, _ = OPPORTUNITY_MEASURES[measure]
    card = card.assign(
        **{c: card.get(c, pd.Series(0.0, index=card.index)).fillna(0.0) for c in (value, current)}
    )
    ranked = opportunity.rank_trusts(card, value, current, ranking=ranking)
    return ranked.assign(opportunity=ranked[value], measure=measure)


def trust_weekly_utilisation(engine: Engine, period: marts.Period) -> pd.DataFrame:
    """Weekly capped utilisation per trust (ratio of sums over each week's lists)."""
    sums = marts.read_mart(engine, marts.THEATRE_WEEK, period)
    if sums.empty:
        return pd.DataFrame(columns=["trust_code", "week", "value"])
    weekly = theatre.ratios(theatre.resum(sums, ["trust_code", "week"]))
    return weekly.rename(columns={"capped_utilisation": "value"})[["trust_code", "week", "value"]]


def trust_theatre_outliers(
    engine: Engine, period: marts.Period, benchmarks: Benchmarks, *, overdispersion: bool = True
) -> outliers.OutlierResult:
    """Funnel (capped touch ÷ planned minutes) among each trust's peer group, SPC flags and
    the gap to its peer group's benchmark, for every trust's theatres."""
    totals = marts.theatre_report(engine, by="trust", period=period, benchmarks=benchmarks)
    codes = totals["trust_code"]
    return outliers.trust_outliers(
        totals,
        trust_weekly_utilisation(engine, period),
        numerator="capped_touch_minutes",
        denominator="planned_minutes",
        value="value",
        target=benchmarks.for_trusts("theatre_capped_utilisation", codes),
        overdispersion=overdispersion,
        groups=peers.peer_of(codes).set_axis(codes),
    )


def trust_dm01_outliers(
    engine: Engine, period: marts.Period, benchmarks: Benchmarks, *, overdispersion: bool = True
) -> outliers.OutlierResult:
    """Funnel (waiting under 6 weeks ÷ total waiting) among each provider's peer group, and
    monthly SPC flags, per provider."""
    latest = waits.dm01_waits(latest_dm01(engine, period), ["provider_code"])
    latest = latest.rename(columns={"provider_code": "trust_code"})
    latest["under_6_weeks"] = latest["total_waiting"] - latest["waiting_6_plus"]
    monthly = waits.dm01_waits(read_dm01(engine, period), ["provider_code", "month"])
    monthly = monthly.rename(
        columns={"provider_code": "trust_code", "month": "week", "within_6_weeks": "value"}
    )
    return outliers.trust_outliers(
        latest,
        monthly,
        numerator="under_6_weeks",
        denominator="total_waiting",
        value="value",
        target=benchmarks.for_trusts("dm01_within_6_weeks", latest["trust_code"]),
        overdispersion=overdispersion,
        groups=peers.peer_of(latest["trust_code"]).set_axis(latest["trust_code"]),
    )


def scenario_report(
    engine: Engine, period: marts.Period, scenario: scenarios.Scenario
) -> pd.DataFrame:
    """Per trust: additional activity a week and weeks to clear the 6-week backlog (what-if).

    Each rate a week is over the weeks of the calendar months its rows cover
    (:func:`productivity.planning.opportunity.weeks_covered`), as on the Diagnostics page.
    """
    columns = [
        *marts.OPPORTUNITY_COLUMNS,
        "list_id",
        "month",
        "scheduled_cases",
        "cancelled_non_clinical",
    ]
    per_list = marts.read_mart(engine, marts.THEATRE_LIST, period, columns=columns)
    imaging = marts.read_mart(engine, marts.IMAGING, period)
    echo = marts.read_mart(engine, marts.ECHO, period)
    return scenarios.scenario_opportunity(
        per_list, imaging, echo, latest_dm01(engine, period), scenario
    )


def import_history(engine: Engine, limit: int = 200) -> pd.DataFrame:
    """The latest import runs, newest first, for the Data page."""
    table = models.table_of(models.ImportRun)
    columns = [
        "id",
        "started_at",
        "source",
        "kind",
        "file_name",
        "status",
        "rows",
        "replaced_rows",
        "trust_codes",
        "period_from",
        "period_to",
        "message",
    ]
    query = select(*[table.c[c] for c in columns]).order_by(table.c.id.desc()).limit(limit)
    with engine.connect() as conn:
        return pd.read_sql_query(query, conn)


def quality_table(engine: Engine, period: marts.Period, trust: str | None) -> pd.DataFrame:
    """The data-quality report (SPEC §3, issue 5) for a period and optionally one trust."""
    from productivity.store import quality

    start, end = period.dates()
    report = quality.read_quality(
        engine, trust_codes=[trust] if trust else None, start=start, end=end
    )
    if not report.empty:
        report["month"] = pd.to_datetime(report["month"]).dt.strftime("%Y-%m")
    return report
