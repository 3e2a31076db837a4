"""The Overview's scorecard for any period in milliseconds: :func:`reports.trust_scorecard`'s
rows, from what does not depend on the period, read once per build (issue 17).

Every Overview filter change is a new period, and the scorecard was most of its cost (about
150 ms of pandas a change): the theatre report computed every column of SPEC §7 (gap medians,
late starts) for the five the scorecard keeps, the opportunity merged every list with its
trust and specialty's mean case length, and DM01 was read from SQL every time. Here
:func:`card_sources` holds, once per build, the trusts, the monthly theatre sums, each list's
opportunity figures with its trust × specialty cell numbered, and every DM01 return; a period
is then a mask over them.

Same numbers, not near ones: each sum is the report's groupby sum, bit for bit
(:func:`overview_lists.group_sums`), each ratio, opportunity, scan rate, wait and
judgement the same arithmetic as the report's. A test holds :func:`trust_scorecard` equal to
:func:`reports.trust_scorecard`, frame for frame, for every period of the demo on both
benchmark bases, and on a store whose minutes have fractions.

Each mart is held as arrays (:mod:`overview_lists`), and the scorecard is put together from
arrays, one column at a time, rather than joined frame by frame: a filter change on a dozen
trusts was some 40 ms of pandas indexing. Each list's figures, the one large read, are read
only when a period other than the whole store is first asked for (the whole store's theatre
figures are ``mart_theatre_trust``'s), so the page's first render does not wait for them.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import partial

import numpy as np
import pandas as pd
from sqlalchemy import Engine

from productivity import settings
from productivity.benchmarks import SCAN_RATE_KEYS, Benchmarks, check_basis
from productivity.metrics import waits
from productivity.store import marts, reference, reports, theatre_report
from productivity.views.overview_lists import (
    HeldLists,
    Rows,
    cell_opportunity,
    group_sums,
    held_rows,
    kept,
    list_sources,
    numbered_pairs,
)

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

    Each mart's rows are held as :class:`Rows` in the order the report reads them, trusts
    numbered by their place in ``trust_codes`` (sorted, as the report's groups are; the stored
    trusts' and the summed marts'): ``months``: the theatre month mart's :data:`MONTH_SUMS`;
    ``imaging``: scans and operational hours, with ``pool``, the number of its trust × modality
    (``pools`` names them, ``pool_trust`` numbers their trusts); ``endoscopy``, ``echo``: their
    marts' sums. ``trust_rows``: each of ``trusts``' rows' trust number. ``dm01``: DM01 waits
    per provider and month (:func:`waits.dm01_waits` of every return, as
    :func:`reports.read_dm01` reads them), sorted by provider and month, ``dm01_provider`` the
    place of each row's provider among them, ``dm01_rows`` that of each of ``trusts``' rows
    (-1: none). ``lists``: each list's figures (:func:`overview_lists.list_sources`), read when
    first called or prefetched: only a period other than the whole store needs them.
    """

    trusts: pd.DataFrame
    trust_codes: pd.Index
    trust_rows: np.ndarray
    months: Rows
    imaging: Rows
    pool: np.ndarray
    pools: pd.DataFrame
    pool_trust: np.ndarray
    endoscopy: Rows
    echo: Rows
    dm01: pd.DataFrame
    dm01_provider: np.ndarray
    dm01_rows: np.ndarray
    lists: HeldLists
    # basis -> (what the rates depend on, each pool's rate on it): see pool_rates.
    rates: dict[str, tuple[object, np.ndarray]] = field(default_factory=dict)


def card_sources(engine: Engine) -> CardSources:
    """The period-free inputs of the scorecard, from the store's current build (each list's
    figures when first asked for, then held with the rest)."""
    trusts = reference.stored_trusts(engine)
    summed = {
        mart: marts.distinct_values(engine, mart, ["trust_code"])["trust_code"]
        for mart in (marts.THEATRE_MONTH, marts.IMAGING, marts.ENDOSCOPY, marts.ECHO)
    }
    codes = pd.Index(
        sorted({*trusts["trust_code"], *itertools.chain.from_iterable(summed.values())}),
        dtype=object,
    )
    months, _, _ = held_rows(engine, marts.THEATRE_MONTH, codes, [], MONTH_SUMS)
    imaging, pool_codes, pool_labels = held_rows(
        engine, marts.IMAGING, codes, ["modality"], ("scans", "operational_hours")
    )
    # A pool is a trust × modality, numbered in the report's group order.
    size = len(pool_labels["modality"])
    pool, pool_trust, pool_modality = numbered_pairs(imaging.trust, pool_codes["modality"], size)
    pools = pd.DataFrame(
        {
            "trust_code": codes[pool_trust].to_numpy(),
            "modality": np.array([*pool_labels["modality"], None], dtype=object)[pool_modality],
        }
    )
    endoscopy, _, _ = held_rows(
        engine, marts.ENDOSCOPY, codes, [], ("planned_points", "used_points")
    )
    echo, _, _ = held_rows(engine, marts.ECHO, codes, [], ("tests", "scheduled_minutes"))
    dm01 = reports.read_dm01(engine)
    if len(dm01):
        dm01 = waits.dm01_waits(dm01, ["provider_code", "month"])
        dm01 = dm01.sort_values(["provider_code", "month"], kind="stable").reset_index(drop=True)
    providers = pd.Index(dm01["provider_code"].dropna().unique() if len(dm01) else [], dtype=object)
    return CardSources(
        trusts=trusts,
        trust_codes=codes,
        trust_rows=codes.get_indexer(pd.Index(trusts["trust_code"], dtype=object)),
        months=months,
        imaging=imaging,
        pool=pool,
        pools=pools,
        pool_trust=pool_trust,
        endoscopy=endoscopy,
        echo=echo,
        dm01=dm01,
        dm01_provider=providers.get_indexer(pd.Index(dm01["provider_code"], dtype=object))
        if len(dm01)
        else np.zeros(0, dtype=np.int64),
        dm01_rows=providers.get_indexer(pd.Index(trusts["trust_code"], dtype=object)),
        lists=HeldLists(partial(list_sources, engine, codes)),
    )


def _sums_by_trust(rows: Rows, keep: np.ndarray | None, names: Sequence[str]) -> pd.DataFrame:
    """``names`` summed per trust number over the kept rows (as the report's groupby)."""
    return group_sums(kept(rows.trust, keep), {n: kept(rows.figures[n], keep) for n in names})


def _ratio(numerator: np.ndarray, denominator: np.ndarray, positive: bool = False) -> np.ndarray:
    """``numerator ÷ denominator``, NaN where the denominator is 0 (not > 0 when ``positive``),
    as ``safe_ratio`` and the theatre utilisations divide."""
    empty = denominator <= 0 if positive else denominator == 0
    return numerator / np.where(empty, np.nan, denominator)


def theatre_rows_of(sources: CardSources, period: marts.Period, target: float) -> pd.DataFrame:
    """:func:`marts.theatre_report` by trust for ``period``, the scorecard's columns of it,
    indexed by trust number."""
    totals = _sums_by_trust(sources.months, sources.months.keep(period), MONTH_SUMS)
    planned = totals["planned_minutes"].to_numpy()
    out = pd.DataFrame(
        {
            "capped_utilisation": _ratio(
                totals["capped_touch_minutes"].to_numpy(), planned, positive=True
            ),
            "uncapped_utilisation": _ratio(
                totals["uncapped_touch_minutes"].to_numpy(), planned, positive=True
            ),
            "completed_cases": totals["completed_cases"].to_numpy().astype("int64"),
        },
        index=totals.index,
    )
    if out.empty:
        return out
    return out.join(cell_opportunity(sources.lists(), period, target), how="left")


def theatre_minutes(sources: CardSources, period: marts.Period) -> pd.DataFrame:
    """Each trust's planned and capped touch minutes in ``period``, summed as the theatre
    report by trust sums them (the theatre funnel's totals), ``trust_code`` first."""
    columns = ["planned_minutes", "capped_touch_minutes"]
    totals = _sums_by_trust(sources.months, sources.months.keep(period), columns)
    totals = totals[totals.index >= 0]  # a row without a trust code names no trust
    return pd.DataFrame(
        {"trust_code": sources.trust_codes[totals.index].to_numpy()}
        | {column: totals[column].to_numpy() for column in columns}
    )


def imaging_rows(
    sources: CardSources, period: marts.Period, benchmarks: Benchmarks, basis: str
) -> pd.DataFrame:
    """:func:`reports.imaging_report` by trust for ``period``: per trust × modality (by pool
    number), the scans per hour, the rate held to on ``basis`` and the additional scans at it,
    as :func:`modalities.scans_at_benchmark` gives them (each trust × modality pooled)."""
    keep = sources.imaging.keep(period)
    pools = sources.pools
    rates = pool_rates(sources, benchmarks, basis)
    pool = kept(sources.pool, keep)
    scans, hours = (kept(sources.imaging.figures[c], keep) for c in ("scans", "operational_hours"))
    figures = {"scans": scans, "operational_hours": hours, "benchmark_scans": rates[pool] * hours}
    sums = group_sums(pool, figures)
    scans, hours, expected = (sums[c].to_numpy() for c in figures)
    with np.errstate(invalid="ignore"):
        additional = expected - scans
    return pd.DataFrame(
        {
            "trust": sources.pool_trust[sums.index],
            "modality": pools["modality"].to_numpy()[sums.index],
            "scans": scans,
            "scans_per_hour": _ratio(scans, hours),
            "benchmark_scans_per_hour": rates[sums.index],
            "additional_scans": np.where(additional < 0, 0.0, additional),  # clip(lower=0)
        }
    )


def pool_rates(sources: CardSources, benchmarks: Benchmarks, basis: str) -> np.ndarray:
    """The scans per hour each pool (trust × modality) is held to on ``basis``: its own
    peer-group rate where the benchmark file sets one, else the national rate. The same for
    every period, so kept with the sources for the benchmarks in use."""
    # What the rates depend on: the scan-rate benchmarks (equal, not the same object: the ui
    # caches copies) and the trusts file's peer groups.
    of = (tuple(benchmarks.items[key] for key in SCAN_RATE_KEYS.values()), settings.TRUSTS_FILE)
    held = sources.rates.get(basis)
    if held is not None and held[0] == of:
        return held[1]
    pools = sources.pools
    national = pd.Series(benchmarks.scan_rates(), dtype="float64")
    own = benchmarks.trust_scan_rates(pools["trust_code"].unique(), basis)
    pairs = pd.MultiIndex.from_frame(pools[["trust_code", "modality"]])
    rates = own.reindex(pairs).to_numpy()
    rates = np.where(np.isnan(rates), national.reindex(pools["modality"]).to_numpy(), rates)
    sources.rates[basis] = (of, rates)
    return rates


def latest_dm01(sources: CardSources, period: marts.Period) -> pd.DataFrame:
    """DM01 waits per provider at its latest month in ``period`` (:func:`reports.latest_dm01`,
    summed as the scorecard sums it), with ``provider``, its place among the providers."""
    rows = sources.dm01
    if rows.empty:
        return rows
    keep = (sources.dm01_provider >= 0) & rows["month"].notna().to_numpy()
    if period.start:
        keep &= (rows["month"] >= period.start).to_numpy()
    if period.end:
        keep &= (rows["month"] <= period.end).to_numpy()
    found = np.flatnonzero(keep)
    provider = sources.dm01_provider[found]
    # Rows are sorted by provider, then month: a provider's last kept row is its latest month.
    last = np.append(provider[1:] != provider[:-1], len(found) > 0)[: len(found)]
    latest: pd.DataFrame = rows.iloc[found[last]].assign(provider=provider[last])
    return latest


def _beside(values: np.ndarray, at: np.ndarray) -> np.ndarray:
    """``values[at]`` for each trust row, NaN where ``at`` is -1 (as a left merge gives)."""
    if (at >= 0).all():
        taken: np.ndarray = values[at]
        return taken
    out = np.full(len(at), np.nan)
    out[at >= 0] = values[at[at >= 0]]
    return out


def _places(numbers: np.ndarray, trust_rows: np.ndarray, size: int) -> np.ndarray:
    """Each trust row's place among ``numbers`` (trust numbers, each once), -1 for none."""
    place = np.full(size + 1, -1)
    known = numbers >= 0
    place[numbers[known]] = np.flatnonzero(known)
    return place[np.where(trust_rows >= 0, trust_rows, size)]


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
    size, rows = len(sources.trust_codes), sources.trust_rows
    # A period holding every trust's every month is the report's precomputed one (as there).
    whole = theatre_report.whole_period_report(engine, ["trust_code"], period, target)
    if whole is None:
        theatre_rows = theatre_rows_of(sources, period, target)
        theatre_at = _places(theatre_rows.index.to_numpy(), rows, size)
    else:
        theatre_rows = whole[list(THEATRE_COLUMNS)]
        numbers = sources.trust_codes.get_indexer(pd.Index(whole["trust_code"], dtype=object))
        theatre_at = _places(numbers, rows, size)
    imaging = imaging_rows(sources, period, benchmarks, basis)
    endoscopy = _sums_by_trust(
        sources.endoscopy, sources.endoscopy.keep(period), ("planned_points", "used_points")
    )
    echo = _sums_by_trust(sources.echo, sources.echo.keep(period), ("tests", "scheduled_minutes"))
    dm01 = latest_dm01(sources, period)
    if any(frame.empty for frame in (theatre_rows, imaging, endoscopy, echo, dm01)):
        return reports.trust_scorecard(engine, period, benchmarks, ranking, measure, basis)
    card = {column: sources.trusts[column].to_numpy() for column in sources.trusts.columns}
    for column in THEATRE_COLUMNS:
        card[column] = _beside(theatre_rows[column].to_numpy(), theatre_at)
    # Each modality's rate and the rate held to, a column per modality with a scan (sorted).
    pool_trust, modality = imaging["trust"].to_numpy(), imaging["modality"].to_numpy(object)
    modalities = sorted(imaging["modality"].dropna().unique())
    for values, named in (
        ("scans_per_hour", _rate_key),
        ("benchmark_scans_per_hour", lambda m: reports.OWN_SCAN_RATES[_rate_key(m)]),
    ):
        figures = imaging[values].to_numpy(dtype="float64")
        for each in modalities:
            of = modality == each
            card[named(each)] = _beside(figures[of], _places(pool_trust[of], rows, size))
    extra = group_sums(
        pool_trust, {c: imaging[c].to_numpy() for c in ("additional_scans", "scans")}
    )
    at = _places(extra.index.to_numpy(), rows, size)
    for column in ("additional_scans", "scans"):
        card[column] = _beside(extra[column].to_numpy(), at)
    card["endoscopy_utilisation"] = _beside(
        _ratio(endoscopy["used_points"].to_numpy(), endoscopy["planned_points"].to_numpy()),
        _places(endoscopy.index.to_numpy(), rows, size),
    )
    card["echo_minutes_per_test"] = _beside(
        _ratio(echo["scheduled_minutes"].to_numpy(), echo["tests"].to_numpy()),
        _places(echo.index.to_numpy(), rows, size),
    )
    at = _places(dm01["provider"].to_numpy(), sources.dm01_rows, len(sources.dm01_rows))
    for column, name in (
        ("within_6_weeks", "dm01_within_6_weeks"),
        ("waiting_13_plus", "dm01_13_plus_weeks"),
        ("waiting_6_plus", "dm01_waiting_6_plus"),
    ):
        card[name] = _beside(dm01[column].to_numpy(), at)
    return reports.judge_scorecard(pd.DataFrame(card), benchmarks, basis, ranking, measure)


def _rate_key(modality: str) -> str:
    """A modality's scan-rate column on the scorecard: ``CT`` -> ``ct_scans_per_hour``."""
    return f"{modality.lower()}_scans_per_hour"
