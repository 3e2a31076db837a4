"""What the Health inequalities page shows: ``dm01_imd`` rows from the store, shaped.

>>> from productivity.benchmarks import load_benchmarks
>>> quintiles = pd.DataFrame({"quintile": ["Q1 most deprived"], "total_waiting": [200],
...     "waiting_6_plus": [20], "waiting_13_plus": [2], "within_6_weeks": [0.9]})
>>> quintile_table(quintiles, load_benchmarks(override=None)).iloc[0].astype(str).tolist()
['Q1 most deprived', '200', '20', '0.9', '✗', '2', '✗']

It takes the waiting lists split by IMD quintile (:func:`productivity.store.readers.dm01_by_imd`;
the 14 waiting-time bands too, where the store's table has them), puts them through
:mod:`productivity.metrics.deprivation` and :func:`productivity.stats.spc.xmr`, and turns the
results into readable tables: :func:`inequalities_view` gives every trust's Q1:Q5 ratio with its
95% interval at the latest month (``forest``) and the chosen trust's monthly ratio as an SPC
chart (``spc``). Every number comes from the metric functions; headings, formats and ✓/✗ from
the column catalogue. No Streamlit import.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sqlalchemy import Engine

from productivity.benchmarks import Benchmarks
from productivity.charts import ASSURANCE_TEXT, EVIDENCE_TEXT, QUINTILE_LABELS, VARIATION_TEXT
from productivity.columns import COLUMNS
from productivity.formats import judgements
from productivity.metrics import deprivation as dep, waits
from productivity.schema import DM01_BANDS
from productivity.stats import spc
from productivity.store import marts, readers
from productivity.store.mart_reads import in_period
from productivity.views.diagnostics import trust_label
from productivity.views.spc_points import limit_formats, monthly_points

SYSTEM = "System"
MIN_SPC_MONTHS = 2  # one moving range at least; fewer than spc.MIN_POINTS are trial limits


def has_bands(rows: pd.DataFrame) -> bool:
    """True when every row carries all 14 bands, so the distribution covers everyone counted."""
    return (
        bool(len(rows))
        and all(b in rows for b in DM01_BANDS)
        and bool(rows[list(DM01_BANDS)].notna().all().all())
    )


@dataclass(frozen=True)
class InequalitiesView:
    """Everything the page draws for one test and trust (or the system) over a period."""

    test: str
    unit: str  # the trust code, or SYSTEM
    month: str | None  # the latest month in the period with rows for the test
    quintiles: pd.DataFrame  # per quintile at ``month``: within_6_weeks_by_quintile + label
    bands: pd.DataFrame  # per quintile × band at ``month`` (empty when bands are not stored)
    forest: pd.DataFrame  # the system and every trust: quintile_ratio at ``month`` + label
    monthly: pd.DataFrame  # the unit's quintile_ratio per month
    spc: spc.SPCResult | None


def inequalities_view(
    engine: Engine, period: marts.Period, test: str, trust: str | None
) -> InequalitiesView:
    """The deprivation lens on one DM01 test, for a trust (or the whole system when None)."""
    return view_from_rows(readers.dm01_by_imd(engine, period, test), test, trust)


def forest_rows(rows: pd.DataFrame) -> pd.DataFrame:
    """:attr:`InequalitiesView.forest` without the ``trust`` label: the system and every trust at
    the latest month, in order. It depends on the test and period, not on the trust chosen."""
    month = str(rows["month"].max()) if not rows.empty else None
    latest = rows[rows["month"] == month]
    # The system's ratio and every trust's in one grouping (:func:`with_system`).
    by_unit = dep.quintile_ratio(with_system(latest), ["provider_code"])
    forest = system_first(by_unit)[[*dep.RATIO_COLUMNS, "provider_code"]]
    forest = forest[forest["total_waiting_most"] + forest["total_waiting_least"] > 0]
    # The system first, then trusts by the lower end of the interval, so the clearest gaps lead
    # (a point estimate from a handful of patients would otherwise top the list).
    forest = forest.assign(
        _trusts=forest["provider_code"] != SYSTEM, _lower=forest["ratio_lower"].fillna(-1.0)
    )
    forest = forest.sort_values(
        ["_trusts", "_lower", "provider_code"], ascending=[True, False, True]
    )
    return forest.drop(columns=["_trusts", "_lower"]).reset_index(drop=True)


@dataclass(frozen=True)
class LatestWaits:
    """The unit's waiting list by quintile at the latest month: the page's first tab."""

    unit: str  # the trust code, or SYSTEM
    month: str | None  # the latest month in the period with rows for the test (any trust)
    quintiles: pd.DataFrame  # :attr:`InequalitiesView.quintiles`
    bands: pd.DataFrame  # :attr:`InequalitiesView.bands`


@dataclass(frozen=True)
class RatioTrend:
    """The unit's monthly Q1:Q5 ratio and its SPC: the page's gap-over-time tab."""

    unit: str
    monthly: pd.DataFrame  # :attr:`InequalitiesView.monthly`
    spc: spc.SPCResult | None


def latest_month(rows: pd.DataFrame) -> str | None:
    """The latest month of ``rows`` (every trust's), which every section reports."""
    return str(rows["month"].max()) if not rows.empty else None


def latest_waits(rows: pd.DataFrame, trust: str | None) -> LatestWaits:
    """The quintiles and bands of :func:`view_from_rows` alone (no forest, no SPC)."""
    own = rows[rows["provider_code"] == trust] if trust else rows
    month = latest_month(rows)
    own_latest = own[own["month"] == month]
    quintiles = dep.within_6_weeks_by_quintile(own_latest, [])
    quintiles = quintiles[quintiles["total_waiting"] > 0]
    quintiles = quintiles.assign(quintile=quintiles["imd_quintile"].map(QUINTILE_LABELS))
    bands = pd.DataFrame()
    if has_bands(own_latest) and not quintiles.empty:
        bands = waits.waiting_distribution(own_latest, ["imd_quintile"])
        bands = bands.assign(quintile=bands["imd_quintile"].map(QUINTILE_LABELS))
    return LatestWaits(trust or SYSTEM, month, quintiles.reset_index(drop=True), bands)


def sliceable(rows: pd.DataFrame) -> bool:
    """True when any period's rows of this test, read from the store, would come with the same
    column types as ``rows`` (no band is missing anywhere, so no count becomes a float), so that
    :func:`in_months`, :func:`quintiles_by_unit` and :func:`bands_by_unit` give exactly what a
    read of the period would."""
    bands = [b for b in DM01_BANDS if b in rows]
    return not rows[bands].isna().to_numpy().any()


def in_months(rows: pd.DataFrame, start: str | None, end: str | None) -> pd.DataFrame:
    """``rows`` (one test, every month) within the period, as :func:`readers.dm01_by_imd` reads
    the period when :func:`sliceable` (whole months: ``month`` is the period's ``YYYY-MM``)."""
    return in_period(rows, marts.Period(start, end))


def latest_month_in(rows: pd.DataFrame, start: str | None, end: str | None) -> str | None:
    """:func:`latest_month` of the period's rows, without selecting them."""
    months = rows["month"]
    inside = months[(months >= (start or "")) & (months <= (end or "9999-99"))]
    return str(inside.max()) if not inside.empty else None


UNIT_KEYS = ["provider_code", "month"]  # what :func:`quintiles_by_unit` adds to each row


def with_system(rows: pd.DataFrame) -> pd.DataFrame:
    """``rows`` and the same rows again as the system's (``provider_code`` :data:`SYSTEM`), so
    that one grouping by provider gives every trust's figures and the system's. Each group sums
    the same rows in the same order as grouping the system's rows apart does, so every figure is
    the same to the last bit (``tests/test_page_inequalities.py``), for one metric call, not two.
    """
    return pd.concat([rows, rows.assign(provider_code=SYSTEM)], ignore_index=True)


def system_first(by_unit: pd.DataFrame) -> pd.DataFrame:
    """A grouping of :func:`with_system` rows (sorted by ``provider_code`` first) with the
    system's groups first, then the trusts' in their order: as the system's frame followed by
    the trusts' one."""
    trusts = (by_unit["provider_code"] != SYSTEM).to_numpy()
    order = np.argsort(trusts, kind="stable")
    return by_unit.iloc[order].reset_index(drop=True)


def quintiles_by_unit(rows: pd.DataFrame) -> pd.DataFrame:
    """:attr:`LatestWaits.quintiles` of every trust and of the system (``SYSTEM``) at every
    month of ``rows`` (one test, :func:`sliceable`), by the same metric, grouped by trust and
    month: ``provider_code``, ``month``, then the quintiles' columns (:func:`latest_of`)."""
    by_unit = dep.within_6_weeks_by_quintile(with_system(rows), UNIT_KEYS)
    quintiles = system_first(by_unit)[[*by_unit.columns[1:], "provider_code"]]
    quintiles = quintiles[quintiles["total_waiting"] > 0]
    return quintiles.assign(quintile=quintiles["imd_quintile"].map(QUINTILE_LABELS))


def bands_by_unit(rows: pd.DataFrame) -> pd.DataFrame:
    """:attr:`LatestWaits.bands` of every trust and of the system at every month of ``rows``
    (one test, :func:`sliceable`; empty when the store has no bands), keyed as
    :func:`quintiles_by_unit`."""
    if not has_bands(rows):
        return pd.DataFrame()
    by_unit = waits.waiting_distribution(with_system(rows), [*UNIT_KEYS, "imd_quintile"])
    bands = system_first(by_unit)[[*by_unit.columns[1:], "provider_code"]]
    return bands.assign(quintile=bands["imd_quintile"].map(QUINTILE_LABELS))


def latest_of(
    quintiles: pd.DataFrame, bands: pd.DataFrame | None, trust: str | None, month: str
) -> LatestWaits:
    """:func:`latest_waits` of a period whose latest month is ``month``, picked from
    :func:`quintiles_by_unit` and :func:`bands_by_unit` (exactly the same frames; no bands when
    ``bands`` is None)."""
    unit = trust or SYSTEM

    def pick(frame: pd.DataFrame) -> pd.DataFrame:
        if frame.empty:
            return pd.DataFrame()
        mine = (frame["provider_code"] == unit) & (frame["month"] == month)
        return frame.loc[mine].drop(columns=UNIT_KEYS).reset_index(drop=True)

    own = pick(quintiles)
    # Bands only where the unit has quintiles to show, as latest_waits works them out.
    shown = pick(bands) if bands is not None and not own.empty else pd.DataFrame()
    return LatestWaits(unit, month, own, shown)


def marked_forest(forest: pd.DataFrame, trust: str | None) -> pd.DataFrame:
    """:func:`forest_rows` labelled for the page, the chosen trust marked (▶)."""
    return forest.assign(trust=trust_label(forest["provider_code"], trust))


def ratio_trend(rows: pd.DataFrame, trust: str | None) -> RatioTrend:
    """The monthly Q1:Q5 ratio of :func:`view_from_rows` and its SPC alone."""
    own = rows[rows["provider_code"] == trust] if trust else rows
    monthly = dep.quintile_ratio(own, ["period"])
    series = dep.spc_input(monthly)
    result = None
    if len(series) >= MIN_SPC_MONTHS:
        result = spc.xmr(
            series["value"], series["date"], direction=dep.RATIO_DIRECTION, target=dep.NO_GAP
        )
    return RatioTrend(trust or SYSTEM, monthly, result)


def view_from_rows(
    rows: pd.DataFrame, test: str, trust: str | None, forest: pd.DataFrame | None = None
) -> InequalitiesView:
    """:func:`inequalities_view` over rows already read (one test); ``forest``, when given, is
    :func:`forest_rows` of the same rows, already worked out. The page works out each part
    alone (:func:`latest_waits`, :func:`marked_forest`, :func:`ratio_trend`) for its open tab."""
    latest, trend = latest_waits(rows, trust), ratio_trend(rows, trust)
    forest = marked_forest(forest_rows(rows) if forest is None else forest, trust)
    return InequalitiesView(
        test, latest.unit, latest.month, latest.quintiles, latest.bands, forest, trend.monthly,
        trend.spc,
    )  # fmt: skip


# --------------------------------------------------------------------------------------------
# Tables (text cues beside every colour)


def quintile_table(quintiles: pd.DataFrame, benchmarks: Benchmarks) -> pd.DataFrame:
    """Per quintile: waiting, 6+ weeks, % within 6 weeks and 13+ weeks, numbers under their
    catalogue keys (the table widgets head and format them), each judged value followed by its
    ✓/✗ column: % within 6 weeks against the interim ambition, 13+ weeks against none waiting."""
    within, over_13 = COLUMNS["within_6_weeks"], COLUMNS["waiting_13_plus"]
    return pd.DataFrame(
        {
            "Quintile": quintiles["quintile"],
            "total_waiting": quintiles["total_waiting"],
            "waiting_6_plus": quintiles["waiting_6_plus"],
            within.key: quintiles[within.key],
            f"{within.key}_meets": judgements(quintiles[within.key], within.judged_by(benchmarks)),
            over_13.key: quintiles[over_13.key],
            f"{over_13.key}_meets": judgements(
                quintiles[over_13.key], over_13.judged_by(benchmarks)
            ),
        }
    )


# The band table's and the SPC table's columns, each shown in a catalogue column's format.
BAND_FORMATS: dict[str, str] = dict.fromkeys(QUINTILE_LABELS.values(), "share_6_plus_most")
SPC_FORMATS: dict[str, str] = limit_formats("quintile_ratio")
FOREST_FORMATS: dict[str, str] = {"Lower 95%": "quintile_ratio", "Upper 95%": "quintile_ratio"}


def band_table(bands: pd.DataFrame) -> pd.DataFrame:
    """The share of each quintile's waiting list in each band (fractions): bands down, quintiles
    across, formatted as percentages by :data:`BAND_FORMATS`."""
    wide = bands.pivot(index="band_label", columns="quintile", values="share")
    wide = wide.reindex(index=list(waits.BAND_LABELS.values()))
    return (
        wide.astype("float64")
        .reset_index()
        .rename(columns={"band_label": "Weeks waiting"})
        .rename_axis(columns=None)
    )


def forest_table(forest: pd.DataFrame) -> pd.DataFrame:
    """Per trust: the Q1:Q5 ratio with its 95% CI, the evidence in words, each quintile's share
    waiting 6+ weeks and its waiting list (patients: small counts are hidden), and the gap in
    percentage points; numbers stay numbers († is a column of its own)."""
    return pd.DataFrame(
        {
            "Trust": forest["trust"],
            "quintile_ratio": forest["ratio"],
            "Lower 95%": forest["ratio_lower"],
            "Upper 95%": forest["ratio_upper"],
            "Evidence": forest["evidence"].map(EVIDENCE_TEXT),
            "†": forest["continuity_corrected"].map({True: "†", False: ""}),
            "share_6_plus_most": forest["share_6_plus_most"],
            "total_waiting_most": forest["total_waiting_most"],
            "share_6_plus_least": forest["share_6_plus_least"],
            "total_waiting_least": forest["total_waiting_least"],
            "quintile_gap": forest["gap"] * 100,
        }
    )


def spc_table(result: spc.SPCResult) -> pd.DataFrame:
    """The SPC points: month, ratio, mean and limits (numbers, :data:`SPC_FORMATS`), and the
    point and rule in words."""
    points = result.points
    return monthly_points(result, "quintile_ratio").assign(
        Point=points["point_type"].str.replace("_", " "), Rule=points["rule"].str.replace("_", " ")
    )


def spc_caption(result: spc.SPCResult) -> str:
    few = result.points["trial_limits"].iloc[-1]
    return (
        f"{VARIATION_TEXT.get(result.variation, result.variation)} · "
        f"{ASSURANCE_TEXT.get(result.assurance)}. Lower is better: a falling ratio means the gap "
        "is closing, and special-cause *concern* means it is widening. The target line is 1 (no "
        "gap); 'consistently failing' means every month's limits sit above it."
        + (f" Fewer than {spc.MIN_POINTS} months: trial limits." if few else "")
    )
