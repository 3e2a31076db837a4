"""What the Health inequalities page shows: ``dm01_imd`` rows read from the store and shaped.

Example::

    view = inequalities_view(engine, Period("2026-01", "2026-10"), "MRI", "REM")
    view.forest        # every trust's Q1:Q5 ratio with its 95% interval, at the latest month
    view.spc           # the chosen trust's monthly ratio as an spc.SPCResult (None: too few)

It reads the waiting lists split by IMD quintile (``models.DM01Deprivation``; the 14 waiting-time
bands too, where the store's table has them), puts them through :mod:`productivity.metrics
.deprivation` and :func:`productivity.stats.spc.xmr`, and turns the results into readable tables and
Altair charts. Every number comes from the metric functions; no Streamlit import.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import sqlalchemy as sa
from sqlalchemy import Engine

from productivity.charts import (
    ASSURANCE_TEXT,
    EVIDENCE_TEXT,
    QUINTILE_LABELS,
    VARIATION_TEXT,
    ratio_text,
)
from productivity.metrics import deprivation as dep, waits
from productivity.schema import DM01_BANDS
from productivity.stats import spc
from productivity.store import marts, models
from productivity.views.diagnostics import mark, trust_label

IMD_COLUMNS: tuple[str, ...] = (
    "period", "provider_code", "test_code", "imd_quintile", "total_waiting", "waiting_6_plus",
    "waiting_13_plus",
)  # fmt: skip
SYSTEM = "System"
MIN_SPC_MONTHS = 2  # one moving range at least; fewer than spc.MIN_POINTS are trial limits


def stored_bands(engine: Engine) -> tuple[str, ...]:
    """The waiting-time band columns the store's ``dm01_imd`` table has (none, or all 14)."""
    present = {
        c["name"] for c in sa.inspect(engine).get_columns(models.DM01Deprivation.__tablename__)
    }
    return DM01_BANDS if set(DM01_BANDS) <= present else ()


def read_imd(
    engine: Engine, period: marts.Period | None = None, test: str | None = None
) -> pd.DataFrame:
    """``dm01_imd`` rows in the period (and of one test), with ``period`` as a date and ``month``.

    The 14 band columns come too when the table has them (NaN where a row was loaded without).
    """
    table = models.DM01Deprivation.__table__
    columns = [table.c[c] for c in IMD_COLUMNS]
    columns += [
        table.c[b] if b in table.c else sa.column(b, sa.Integer) for b in stored_bands(engine)
    ]
    query = sa.select(*columns).select_from(table)
    period = period or marts.Period()
    if period.start:
        query = query.where(table.c.period >= pd.Period(period.start, "M").start_time.date())
    if period.end:
        query = query.where(table.c.period <= pd.Period(period.end, "M").end_time.date())
    if test:
        query = query.where(table.c.test_code == test)
    with engine.connect() as conn:
        rows = pd.read_sql_query(query, conn)
    rows["period"] = pd.to_datetime(rows["period"])
    rows["month"] = rows["period"].dt.strftime("%Y-%m")
    return rows


def has_bands(rows: pd.DataFrame) -> bool:
    """True when every row carries all 14 bands, so the distribution covers everyone counted."""
    return (
        bool(len(rows))
        and all(b in rows for b in DM01_BANDS)
        and rows[list(DM01_BANDS)].notna().all().all()
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
    return view_from_rows(read_imd(engine, period, test), test, trust)


def view_from_rows(rows: pd.DataFrame, test: str, trust: str | None) -> InequalitiesView:
    """:func:`inequalities_view` over rows already read (one test)."""
    unit = trust or SYSTEM
    own = rows[rows["provider_code"] == trust] if trust else rows
    month = str(rows["month"].max()) if not rows.empty else None
    latest, own_latest = rows[rows["month"] == month], own[own["month"] == month]
    quintiles = dep.within_6_weeks_by_quintile(own_latest, [])
    quintiles = quintiles[quintiles["total_waiting"] > 0]
    quintiles = quintiles.assign(quintile=quintiles["imd_quintile"].map(QUINTILE_LABELS))
    bands = pd.DataFrame()
    if has_bands(own_latest) and not quintiles.empty:
        bands = waits.waiting_distribution(own_latest, ["imd_quintile"])
        bands = bands.assign(quintile=bands["imd_quintile"].map(QUINTILE_LABELS))
    forest = pd.concat(
        [dep.quintile_ratio(latest, []).assign(provider_code=SYSTEM),
         dep.quintile_ratio(latest, ["provider_code"])],
        ignore_index=True,
    )  # fmt: skip
    forest = forest[forest["total_waiting_most"] + forest["total_waiting_least"] > 0]
    # The system first, then trusts by the lower end of the interval, so the clearest gaps lead
    # (a point estimate from a handful of patients would otherwise top the list).
    forest = forest.assign(
        trust=trust_label(forest["provider_code"], trust),
        _trusts=forest["provider_code"] != SYSTEM,
        _lower=forest["ratio_lower"].fillna(-1.0),
    )
    forest = forest.sort_values(
        ["_trusts", "_lower", "provider_code"], ascending=[True, False, True]
    )
    forest = forest.drop(columns=["_trusts", "_lower"]).reset_index(drop=True)
    monthly = dep.quintile_ratio(own, ["period"])
    series = dep.spc_input(monthly)
    result = None
    if len(series) >= MIN_SPC_MONTHS:
        result = spc.xmr(
            series["value"], series["date"], direction=dep.RATIO_DIRECTION, target=dep.NO_GAP
        )
    quintiles = quintiles.reset_index(drop=True)
    return InequalitiesView(test, unit, month, quintiles, bands, forest, monthly, result)


# --------------------------------------------------------------------------------------------
# Tables (text cues beside every colour)


def _fmt(value: float, fmt: str) -> str:
    return "–" if pd.isna(value) else f"{value:{fmt}}"


def quintile_table(quintiles: pd.DataFrame, target: float) -> pd.DataFrame:
    """Per quintile: waiting, 6+ and 13+ weeks, and % within 6 weeks with ✓/✗ against ``target``."""
    within = quintiles["within_6_weeks"]
    return pd.DataFrame(
        {
            "Quintile": quintiles["quintile"],
            "Waiting": quintiles["total_waiting"].map("{:,.0f}".format),
            "6+ weeks": quintiles["waiting_6_plus"].map("{:,.0f}".format),
            f"<6 weeks (≥{target:.0%})": [
                mark(v, m, ".1%") for v, m in zip(within, within >= target, strict=True)
            ],
            "13+ weeks": quintiles["waiting_13_plus"].map("{:,.0f}".format),
        }
    )


def band_table(bands: pd.DataFrame) -> pd.DataFrame:
    """The share of each quintile's waiting list in each band: bands down, quintiles across."""
    wide = bands.pivot(index="band_label", columns="quintile", values="share")
    wide = wide.reindex(index=list(waits.BAND_LABELS.values()))
    return (
        wide.map(lambda v: _fmt(v, ".1%"))
        .reset_index()
        .rename(columns={"band_label": "Weeks waiting"})
        .rename_axis(columns=None)
    )


def forest_table(forest: pd.DataFrame) -> pd.DataFrame:
    """Per trust: each quintile's 6+ week share, the ratio with its 95% CI, the gap and evidence."""

    def share(side: str) -> pd.Series:
        return forest.apply(
            lambda r: (
                f"{_fmt(r[f'share_6_plus_{side}'], '.1%')} of {r[f'total_waiting_{side}']:,.0f}"
            ),
            axis=1,
        )

    return pd.DataFrame(
        {
            "Trust": forest["trust"],
            "Ratio (95% CI)": forest.apply(ratio_text, axis=1),
            "Evidence": forest["evidence"].map(EVIDENCE_TEXT),
            "Q1 waiting 6+ weeks": share("most"),
            "Q5 waiting 6+ weeks": share("least"),
            "Gap (points)": (forest["gap"] * 100).map(lambda v: _fmt(v, "+.1f")),
        }
    )


def spc_table(result: spc.SPCResult) -> pd.DataFrame:
    points = result.points
    return pd.DataFrame(
        {
            "Month": points["date"].dt.strftime("%Y-%m"),
            "Ratio": points["value"].map(lambda v: _fmt(v, ".2f")),
            "Mean": points["mean"].map(lambda v: _fmt(v, ".2f")),
            "Lower limit": points["lower_limit"].map(lambda v: _fmt(v, ".2f")),
            "Upper limit": points["upper_limit"].map(lambda v: _fmt(v, ".2f")),
            "Point": points["point_type"].str.replace("_", " "),
            "Rule": points["rule"].str.replace("_", " "),
        }
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


# --------------------------------------------------------------------------------------------
# Charts (Altair, the NHS theme of ``charts``; they draw results and compute nothing)
