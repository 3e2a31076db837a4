"""The Overview's scorecard for any period in milliseconds: :func:`reports.trust_scorecard`'s
rows, from what does not depend on the period, read once per build (issue 17).

Every Overview filter change is a new period, and the scorecard was most of its cost (about
150 ms of pandas a change): the theatre report computed every column of SPEC §7 (gap medians,
late starts) for the five the scorecard keeps, the opportunity merged every list with its
trust and specialty's mean case length, and DM01 was read from SQL every time. Here
:func:`card_sources` holds, once per build, the trusts, the monthly theatre sums, each list's
six opportunity columns with its trust × specialty cell numbered, and every DM01 return; a
period is then a mask over them.

Same numbers, not near ones: each sum is pandas' groupby sum over the same rows in the same
order (so the same compensated summation), each ratio, opportunity, scan rate, wait and
judgement the same function as the report's; the imaging, endoscopy and echo reports are the
report's own. A test holds :func:`trust_scorecard` equal to :func:`reports.trust_scorecard`,
frame for frame, for every period of the demo on both benchmark bases.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sqlalchemy import Engine

from productivity.benchmarks import Benchmarks, check_basis
from productivity.metrics import diagnostics, theatre, waits
from productivity.planning import opportunity
from productivity.store import marts, reference, reports, theatre_report
from productivity.store.mart_reads import in_period

# The theatre report's columns the scorecard keeps, as theatre_report gives them.
THEATRE_COLUMNS = (
    "capped_utilisation",
    "uncapped_utilisation",
    "completed_cases",
    "realisable_additional_cases",
    "pooled_additional_cases",
)
# The monthly mart's sums behind them.
MONTH_SUMS = (
    "planned_minutes",
    "capped_touch_minutes",
    "uncapped_touch_minutes",
    "completed_cases",
)


@dataclass(frozen=True)
class CardSources:
    """What the scorecard of any period is computed from, read once per build.

    Each mart's rows are kept in the order the report reads them, their text keys as numbers
    (so a period's rows are taken and grouped at numpy speed, in the same order): ``trust``
    numbers ``trust_codes`` (sorted, as the report's groups are) and ``month`` numbers
    ``month_names`` (-1 for none). ``months``: the theatre month mart's :data:`MONTH_SUMS`.
    ``lists``: each list's opportunity minutes and cases, with ``cell``, the number of its trust
    × specialty in the report's group order (``cells`` names them). ``imaging``: scans and
    operational hours, with ``pool``, the number of its trust × modality (``pools`` names
    them). ``endoscopy``, ``echo``: their marts' sums. ``dm01``: DM01 waits per provider and
    month (:func:`waits.dm01_waits` of every return, as :func:`reports.read_dm01` reads them).
    """

    trusts: pd.DataFrame
    trust_codes: pd.Index
    month_names: pd.Index
    months: pd.DataFrame
    lists: pd.DataFrame
    cells: pd.DataFrame
    imaging: pd.DataFrame
    pools: pd.DataFrame
    endoscopy: pd.DataFrame
    echo: pd.DataFrame
    dm01: pd.DataFrame


def card_sources(engine: Engine) -> CardSources:
    """The period-free inputs of the scorecard, from the store's current build."""
    # The list mart's columns as the theatre report reads them, so the two share one read.
    read = {
        mart: marts.read_mart(engine, mart, columns=[*columns, "month"])
        for mart, columns in (
            (marts.THEATRE_MONTH, ("trust_code", *MONTH_SUMS)),
            (marts.THEATRE_LIST, marts.OPPORTUNITY_COLUMNS),
            (marts.IMAGING, ("trust_code", "modality", "scans", "operational_hours")),
            (marts.ENDOSCOPY, ("trust_code", "planned_points", "used_points", "procedures")),
            (marts.ECHO, ("trust_code", "tests", "scheduled_minutes")),
        )
    }
    months, codes = (
        pd.Index(
            sorted(pd.concat([rows[key] for rows in read.values()]).dropna().unique()),
            dtype=object,
        )
        for key in ("month", "trust_code")
    )

    def numbered(mart: str, *keys: str) -> pd.DataFrame:
        rows = read[mart]
        values = rows.drop(columns=["trust_code", "month", *keys])
        return values.assign(
            trust=codes.get_indexer(rows["trust_code"]), month=months.get_indexer(rows["month"])
        )

    lists, imaging = read[marts.THEATRE_LIST], read[marts.IMAGING]
    cells = lists.groupby(list(opportunity.GROUP), observed=True, dropna=False, sort=True)
    pools = imaging.groupby(["trust_code", "modality"], observed=True, dropna=False, sort=True)
    dm01 = reports.read_dm01(engine)
    return CardSources(
        trusts=reference.stored_trusts(engine),
        trust_codes=codes,
        month_names=months,
        months=numbered(marts.THEATRE_MONTH),
        lists=numbered(marts.THEATRE_LIST, "specialty").assign(cell=cells.ngroup().to_numpy()),
        cells=cells.size().reset_index()[list(opportunity.GROUP)],
        imaging=numbered(marts.IMAGING, "modality").assign(pool=pools.ngroup().to_numpy()),
        pools=pools.size().reset_index()[["trust_code", "modality"]],
        endoscopy=numbered(marts.ENDOSCOPY),
        echo=numbered(marts.ECHO),
        dm01=waits.dm01_waits(dm01, ["provider_code", "month"]) if len(dm01) else dm01,
    )


def months_in(sources: CardSources, period: marts.Period) -> np.ndarray | None:
    """The numbers of the months a read of ``period`` keeps (:func:`in_period`, decided once
    for each month rather than for every row); None: every row, with a month or not."""
    if not (period.start or period.end):
        return None
    named = pd.DataFrame({"month": pd.Series(sources.month_names, dtype=object)})
    return sources.month_names.get_indexer(pd.Index(in_period(named, period)["month"]))


def _in(rows: pd.DataFrame, months: np.ndarray | None) -> pd.DataFrame:
    """The ``rows`` in ``months`` (:func:`months_in`)."""
    return rows if months is None else rows.loc[np.isin(rows["month"].to_numpy(), months)]


def _by_trust(sources: CardSources, out: pd.DataFrame) -> pd.DataFrame:
    """A frame grouped by ``trust`` (numbers) with its ``trust_code`` instead, first."""
    codes = sources.trust_codes[out["trust"].to_numpy()]
    return out.drop(columns="trust").assign(trust_code=codes)


def theatre_rows_of(sources: CardSources, months: np.ndarray | None, target: float) -> pd.DataFrame:
    """:func:`marts.theatre_report` by trust for ``months`` (:func:`months_in`), the
    scorecard's columns of it, indexed by trust code."""
    sums = _in(sources.months, months)
    totals = sums.groupby("trust", sort=True)[list(MONTH_SUMS)].sum()
    out = pd.DataFrame(
        {
            "capped_utilisation": theatre.capped_utilisation(
                totals["capped_touch_minutes"], totals["planned_minutes"]
            ),
            "uncapped_utilisation": theatre.uncapped_utilisation(
                totals["uncapped_touch_minutes"], totals["planned_minutes"]
            ),
            "completed_cases": totals["completed_cases"].astype("int64"),
        }
    )
    extra = cell_opportunity(sources, months, target)
    out = out.join(extra, how="left")
    return out.set_axis(sources.trust_codes[out.index], axis=0)


def theatre_minutes(sources: CardSources, period: marts.Period) -> pd.DataFrame:
    """Each trust's planned and capped touch minutes in ``period``, summed as the theatre
    report by trust sums them (the theatre funnel's totals), ``trust_code`` first."""
    sums = _in(sources.months, months_in(sources, period))
    columns = ["planned_minutes", "capped_touch_minutes"]
    totals = sums.groupby("trust", sort=True)[columns].sum()
    return pd.DataFrame(
        {"trust_code": sources.trust_codes[totals.index]}
        | {column: totals[column].to_numpy() for column in columns}
    )


def cell_opportunity(
    sources: CardSources, months: np.ndarray | None, target: float
) -> pd.DataFrame:
    """Realisable and pooled additional cases per trust (by number) for ``months``, as
    :func:`opportunity.theatre_opportunity` gives them (cell sums, whole cases per list)."""
    lists = _in(sources.lists, months)
    by_cell = lists.groupby("cell", sort=True)
    sums = by_cell[
        ["case_touch_minutes", "completed_cases", "planned_minutes", "capped_touch_minutes"]
    ].sum()
    completed = sums["completed_cases"].where(sums["completed_cases"] > 0)
    cells = sources.cells.loc[sums.index]
    # The report's mean case length has no group for a list without a specialty (so no whole
    # cases there, and no pooled ones), as opportunity.mean_case_minutes drops it.
    mean = (sums["case_touch_minutes"] / completed).where(cells["specialty"].notna().to_numpy())
    per_list = mean.reindex(lists["cell"]).to_numpy()
    planned = lists["planned_minutes"].to_numpy(dtype="float64")
    gap = np.maximum(0.0, target * planned - lists["capped_touch_minutes"].to_numpy())
    whole = np.floor(gap / per_list + opportunity._EPSILON)
    realisable = pd.Series(whole, index=lists.index).groupby(lists["cell"], sort=True).sum()
    shortfall = (target * sums["planned_minutes"] - sums["capped_touch_minutes"]).clip(lower=0.0)
    found = pd.DataFrame(
        {
            "trust": sources.trust_codes.get_indexer(pd.Index(cells["trust_code"])),
            "realisable_additional_cases": realisable.to_numpy(),
            "pooled_additional_cases": (shortfall / mean).fillna(0.0).to_numpy(),
        }
    )
    return found.groupby("trust", sort=True).sum()


def imaging_rows(
    sources: CardSources, months: np.ndarray | None, benchmarks: Benchmarks, basis: str
) -> pd.DataFrame:
    """:func:`reports.imaging_report` by trust for ``months``: per trust × modality, the scans
    per hour, the rate held to on ``basis`` and the additional scans at it, as
    :func:`modalities.scans_at_benchmark` gives them (each trust × modality pooled)."""
    rows = _in(sources.imaging, months)
    pools = sources.pools
    national = pd.Series(benchmarks.scan_rates(), dtype="float64")
    own = benchmarks.trust_scan_rates(pools["trust_code"].unique(), basis)
    pairs = pd.MultiIndex.from_frame(pools[["trust_code", "modality"]])
    rates = own.reindex(pairs).to_numpy()
    rates = np.where(np.isnan(rates), national.reindex(pools["modality"]).to_numpy(), rates)
    by_pool = rows.assign(
        benchmark_scans=rates[rows["pool"].to_numpy()] * rows["operational_hours"]
    ).groupby("pool", sort=True)
    sums = by_pool[["scans", "operational_hours", "benchmark_scans"]].sum()
    hours = sums["operational_hours"]
    return pools.loc[sums.index].assign(
        scans=sums["scans"].to_numpy(),
        operational_hours=hours.to_numpy(),
        scans_per_hour=(sums["scans"] / hours.where(hours != 0)).to_numpy(),
        benchmark_scans_per_hour=rates[sums.index],
        additional_scans=(sums["benchmark_scans"] - sums["scans"]).clip(lower=0).to_numpy(),
    )


def latest_dm01(sources: CardSources, period: marts.Period) -> pd.DataFrame:
    """DM01 waits per provider at its latest month in ``period`` (:func:`reports.latest_dm01`,
    summed as the scorecard sums it)."""
    rows = sources.dm01
    if period.start:
        rows = rows[rows["month"] >= period.start]
    if period.end:
        rows = rows[rows["month"] <= period.end]
    if rows.empty:
        return rows
    latest = rows.groupby("provider_code")["month"].transform("max")
    return rows[rows["month"] == latest].reset_index(drop=True)


def trust_scorecard(
    sources: CardSources,
    engine: Engine,
    period: marts.Period,
    benchmarks: Benchmarks,
    ranking: str = "absolute",
    measure: str = "theatre",
    basis: str = "national",
) -> pd.DataFrame:
    """:func:`reports.trust_scorecard` (see there) from ``sources``. A period without theatre
    lists, scans, endoscopy, echo or DM01 takes the report's own path (its empty sources are its
    own special cases)."""
    check_basis(basis)
    target = benchmarks.value("theatre_capped_utilisation")
    months = months_in(sources, period)
    # A period holding every trust's every month is the report's precomputed one (as there).
    whole = theatre_report.whole_period_report(engine, ["trust_code"], period, target)
    if whole is None:
        theatre_rows = theatre_rows_of(sources, months, target)
    else:
        theatre_rows = whole.set_index("trust_code")[list(THEATRE_COLUMNS)]
    imaging = imaging_rows(sources, months, benchmarks, basis)
    endoscopy = _in(sources.endoscopy, months)
    echo = _in(sources.echo, months)
    dm01 = latest_dm01(sources, period)
    if any(frame.empty for frame in (theatre_rows, imaging, endoscopy, echo, dm01)):
        return reports.trust_scorecard(engine, period, benchmarks, ranking, measure, basis)
    endoscopy = diagnostics.endoscopy_utilisation(
        endoscopy, ["trust"], target=benchmarks.value("endoscopy_list_utilisation")
    )
    echo = diagnostics.echo_minutes_per_test(
        echo, ["trust"], benchmark_minutes=benchmarks.value("echo_minutes_per_test")
    )
    codes = sources.trusts["trust_code"]
    card = {column: sources.trusts[column].to_numpy() for column in sources.trusts.columns}

    def joined(found: pd.DataFrame, columns: dict[str, str]) -> None:
        """``found``'s ``columns`` (indexed by trust code) beside each trust, as a left merge."""
        for column, name in columns.items():
            card[name] = found[column].reindex(codes).to_numpy()

    joined(theatre_rows, {c: c for c in THEATRE_COLUMNS})
    by_trust = imaging.set_index(["trust_code", "modality"])
    rates = by_trust["scans_per_hour"].unstack("modality")
    joined(rates, {m: _rate_key(m) for m in rates.columns})
    held = by_trust["benchmark_scans_per_hour"].unstack("modality")
    joined(held, {m: reports.OWN_SCAN_RATES[_rate_key(m)] for m in held.columns})
    extra = imaging.groupby("trust_code")[["additional_scans", "scans"]].sum()
    joined(extra, {"additional_scans": "additional_scans", "scans": "scans"})
    joined(
        _by_trust(sources, endoscopy).set_index("trust_code"),
        {"utilisation": "endoscopy_utilisation"},
    )
    joined(
        _by_trust(sources, echo).set_index("trust_code"),
        {"minutes_per_test": "echo_minutes_per_test"},
    )
    joined(
        dm01.set_index("provider_code"),
        {
            "within_6_weeks": "dm01_within_6_weeks",
            "waiting_13_plus": "dm01_13_plus_weeks",
            "waiting_6_plus": "dm01_waiting_6_plus",
        },
    )
    return reports.judge_scorecard(pd.DataFrame(card), benchmarks, basis, ranking, measure)


def _rate_key(modality: str) -> str:
    """A modality's scan-rate column on the scorecard: ``CT`` -> ``ct_scans_per_hour``."""
    return f"{modality.lower()}_scans_per_hour"
