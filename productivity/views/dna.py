"""Missed appointments through the deprivation lens, for the Health inequalities page.

>>> rows = pd.DataFrame({"trust_code": ["A", "A"], "month": ["2025-04", "2025-04"],
...     "imd_quintile": [1, 5], "appointments": [100, 100], "dnas": [12, 4]})
>>> round(float(quintile_gap(rows)["gap"].iloc[0]), 2)   # 12/100 − 4/100
0.08

It reads the attendance mart (``mart_attendance``: appointments and DNAs per trust × service ×
month × IMD quintile, built by :mod:`productivity.store.attendance`) and shapes three things:
the DNA rate by quintile per trust, the standardised DNA ratio of each trust on a ratio funnel
(:func:`productivity.stats.ratio_funnel.ratio_funnel`, target 1), and the monthly gap between
the most and least deprived quintiles as an SPC chart. Every rate and ratio comes from
:mod:`productivity.metrics.attendance`. Imports no Streamlit and no charts.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sqlalchemy import Engine

from productivity.metrics.attendance import dna_by_quintile, dna_rate, standardised_dna_ratio
from productivity.stats import spc
from productivity.stats.ratio_funnel import RatioFunnel, ratio_funnel
from productivity.store import marts
from productivity.store.mart_reads import read_mart
from productivity.store.mart_tables import ATTENDANCE

SYSTEM = "System"
MOST, LEAST = 1, 5  # IMD quintiles: Q1 the most deprived fifth, Q5 the least
MIN_SPC_MONTHS = 2
CURVE_POINTS = 200
QUINTILE_NAMES: dict[int, str] = {
    1: "Q1 most deprived", 2: "Q2", 3: "Q3", 4: "Q4", 5: "Q5 least deprived",
}  # fmt: skip


@dataclass(frozen=True)
class DnaView:
    """Everything the DNA sections draw for one service (or all), trust and period."""

    services: list[str]
    by_quintile: pd.DataFrame  # per trust × quintile: appointments, dnas, dna_rate
    unit_quintiles: pd.DataFrame  # the chosen trust (or the system) per quintile
    ratios: pd.DataFrame  # per trust: standardised DNA ratio and its funnel position
    funnel: RatioFunnel | None
    curve: pd.DataFrame
    gap: pd.DataFrame  # per month: Q1 rate, Q5 rate, gap
    spc: spc.SPCResult | None


def quintile_gap(rows: pd.DataFrame) -> pd.DataFrame:
    """Per month: the DNA rate in Q1 and in Q5 and the gap, Q1 − Q5 (a fraction; empty when
    either quintile had no appointments)."""
    rates = dna_rate(rows[rows["imd_quintile"].isin([MOST, LEAST])], ["month", "imd_quintile"])
    wide = rates.pivot(index="month", columns="imd_quintile", values="dna_rate")
    wide = wide.reindex(columns=[MOST, LEAST])
    out = pd.DataFrame(
        {
            "month": wide.index.astype(str),
            "dna_rate_most": wide[MOST].to_numpy(dtype=float),
            "dna_rate_least": wide[LEAST].to_numpy(dtype=float),
        }
    )
    out["gap"] = out["dna_rate_most"] - out["dna_rate_least"]
    return out.reset_index(drop=True)


def services(engine: Engine) -> list[str]:
    """Every service in the attendance mart, in order (:attr:`DnaView.services`)."""
    rows = read_mart(engine, ATTENDANCE)
    return sorted(rows["service"].dropna().unique().tolist())


def service_rows(engine: Engine, period: marts.Period, service: str | None) -> pd.DataFrame:
    """The attendance mart's rows in the period, of one service when given, with the IMD
    quintile as a number: what every DNA section starts from."""
    return _of_service(read_mart(engine, ATTENDANCE, period), service)


def _of_service(rows: pd.DataFrame, service: str | None) -> pd.DataFrame:
    if service:
        rows = rows[rows["service"] == service]
    return rows.assign(imd_quintile=pd.to_numeric(rows["imd_quintile"], errors="coerce"))


def trust_quintiles(rows: pd.DataFrame) -> pd.DataFrame:
    """:attr:`DnaView.by_quintile`: every trust's DNA rate per quintile (empty without rows)."""
    return dna_by_quintile(rows, by=["trust_code"]) if not rows.empty else pd.DataFrame()


def unit_quintiles(rows: pd.DataFrame, trust: str | None) -> pd.DataFrame:
    """:attr:`DnaView.unit_quintiles`: the chosen trust (or the system) per quintile (empty
    without rows)."""
    if rows.empty:
        return pd.DataFrame()
    own = rows[rows["trust_code"] == trust] if trust else rows
    quintiles = dna_by_quintile(own, by=())
    return quintiles[quintiles["appointments"] > 0].reset_index(drop=True)


def quintiles_by_unit(rows: pd.DataFrame) -> pd.DataFrame:
    """Every trust's DNA rate per quintile and the system's (``trust_code`` :data:`SYSTEM`), in
    one grouping of the rows and the system's copy of them: each group sums the same rows in
    the same order as :func:`trust_quintiles` and :func:`unit_quintiles` do, so
    :func:`trusts_of` and :func:`unit_of` pick exactly their frames from it, for one metric
    call, not two (empty without rows)."""
    if rows.empty:
        return pd.DataFrame()
    both = pd.concat([rows, rows.assign(trust_code=SYSTEM)], ignore_index=True)
    return dna_by_quintile(both, by=["trust_code"])


def trusts_of(by_unit: pd.DataFrame) -> pd.DataFrame:
    """:func:`trust_quintiles` picked from :func:`quintiles_by_unit`."""
    if by_unit.empty:
        return pd.DataFrame()
    return by_unit[by_unit["trust_code"] != SYSTEM].reset_index(drop=True)


def unit_of(by_unit: pd.DataFrame, trust: str | None) -> pd.DataFrame:
    """:func:`unit_quintiles` picked from :func:`quintiles_by_unit`: the chosen trust's rows (or
    the system's) with appointments, empty when it has none."""
    if by_unit.empty:
        return pd.DataFrame()
    mine = (by_unit["trust_code"] == (trust or SYSTEM)) & (by_unit["appointments"] > 0)
    if not mine.any():
        return pd.DataFrame()
    return by_unit[mine].drop(columns="trust_code").reset_index(drop=True)


def gap_trend(rows: pd.DataFrame, trust: str | None) -> tuple[pd.DataFrame, spc.SPCResult | None]:
    """:attr:`DnaView.gap` and :attr:`DnaView.spc`: the chosen trust's (or the system's)
    monthly Q1 − Q5 DNA rate gap and its SPC (None with fewer than two months; empty without
    rows)."""
    if rows.empty:
        return pd.DataFrame(), None
    own = rows[rows["trust_code"] == trust] if trust else rows
    gap = quintile_gap(own)
    gap = gap[gap["gap"].notna()].reset_index(drop=True)
    if len(gap) < MIN_SPC_MONTHS:
        return gap, None
    # A wider gap is worse: "lower" makes a rising gap special cause concern.
    return gap, spc.xmr(gap["gap"], pd.to_datetime(gap["month"] + "-01"), direction="lower")


def dna_view(
    engine: Engine,
    period: marts.Period,
    trust: str | None,
    service: str | None,
    overdispersion: bool = True,
    system: DnaView | None = None,
) -> DnaView:
    """Read the attendance mart once and shape the three DNA sections (the page works out each
    part alone for its open tab: :func:`unit_quintiles`, :func:`gap_trend`,
    :func:`ratio_funnel_of`).

    ``system``, when given, is :func:`every_trust_view` of the same period, service and
    overdispersion: its every-trust parts (by quintile, ratios, funnel) are taken from it rather
    than worked out again, as they do not depend on the trust.
    """
    every = read_mart(engine, ATTENDANCE, period)
    services, rows = _services_in(every), _of_service(every, service)
    if rows.empty:
        empty = pd.DataFrame()
        return DnaView(services, empty, empty, empty, None, empty, empty, None)
    if system is not None:
        by_quintile, ratios, funnel, curve = (
            system.by_quintile,
            system.ratios,
            system.funnel,
            system.curve,
        )
    else:
        by_quintile, ratios, funnel, curve = _every_trust(rows, overdispersion)
    gap, result = gap_trend(rows, trust)
    own = unit_quintiles(rows, trust)
    return DnaView(services, by_quintile, own, ratios, funnel, curve, gap, result)


def every_trust_view(
    engine: Engine, period: marts.Period, service: str | None, overdispersion: bool = True
) -> DnaView:
    """Only the every-trust parts of :func:`dna_view` (by quintile, ratios, funnel): the same
    whichever trust is chosen, so a page works them out once and passes them as ``system``."""
    every = read_mart(engine, ATTENDANCE, period)
    services, rows = _services_in(every), _of_service(every, service)
    empty = pd.DataFrame()
    if rows.empty:
        return DnaView(services, empty, empty, empty, None, empty, empty, None)
    by_quintile, ratios, funnel, curve = _every_trust(rows, overdispersion)
    return DnaView(services, by_quintile, empty, ratios, funnel, curve, empty, None)


def _services_in(rows: pd.DataFrame) -> list[str]:
    return sorted(rows["service"].dropna().unique().tolist())


def trust_ratios(engine: Engine, period: marts.Period) -> pd.DataFrame:
    """Only :attr:`DnaView.ratios` of :func:`dna_view` for every service (the same frame),
    without the funnel, curve and SPC: the scorecards show the ratio alone."""
    rows = read_mart(engine, ATTENDANCE, period)
    if rows.empty:
        return pd.DataFrame()
    rows = rows.assign(imd_quintile=pd.to_numeric(rows["imd_quintile"], errors="coerce"))
    return _ratios(rows)


def _ratios(rows: pd.DataFrame) -> pd.DataFrame:
    """Each trust's standardised DNA ratio, trusts with DNAs expected only."""
    ratios = standardised_dna_ratio(rows, by=["trust_code"])
    return ratios[ratios["expected_dnas"] > 0].reset_index(drop=True)


def _every_trust(
    rows: pd.DataFrame, overdispersion: bool
) -> tuple[pd.DataFrame, pd.DataFrame, RatioFunnel | None, pd.DataFrame]:
    """The parts of :func:`dna_view` that cover every trust: by quintile, ratios, funnel."""
    return (trust_quintiles(rows), *ratio_funnel_of(rows, overdispersion))


def ratio_funnel_of(
    rows: pd.DataFrame, overdispersion: bool
) -> tuple[pd.DataFrame, RatioFunnel | None, pd.DataFrame]:
    """:attr:`DnaView.ratios`, ``funnel`` and ``curve`` of :func:`service_rows`: every trust's
    standardised DNA ratio on its funnel, and the funnel's limits along the expected DNAs
    (empty, and no funnel, without rows)."""
    if rows.empty:
        return pd.DataFrame(), None, pd.DataFrame()
    ratios = _ratios(rows)
    funnel, curve = None, pd.DataFrame()
    if not ratios.empty:
        funnel = ratio_funnel(ratios, "trust_code", "dnas", "expected_dnas", overdispersion)
        low, high = ratios["expected_dnas"].min(), ratios["expected_dnas"].max()
        curve = funnel.curve(np.geomspace(max(1.0, low / 2), high * 2, CURVE_POINTS))
    return ratios, funnel, curve


# The tables' columns headed in words, each shown in a catalogue column's format.
RATE_COLUMNS: list[str] = [*QUINTILE_NAMES.values(), "Q1 − Q5 gap"]
QUINTILE_FORMATS: dict[str, str] = dict.fromkeys(RATE_COLUMNS, "dna_rate")
FUNNEL_FORMATS: dict[str, str] = {
    "Lower 99.8%": "standardised_ratio", "Upper 99.8%": "standardised_ratio",
}  # fmt: skip
GAP_COLUMNS: dict[str, str] = {
    "month": "Month", "dna_rate_most": QUINTILE_NAMES[MOST],
    "dna_rate_least": QUINTILE_NAMES[LEAST], "gap": "Q1 − Q5 gap",
}  # fmt: skip


def quintile_table(by_quintile: pd.DataFrame, names: Mapping[str, str]) -> pd.DataFrame:
    """One row per trust, one DNA rate column per quintile (fractions, shown as percentages by
    :data:`QUINTILE_FORMATS`), Q1 first."""
    known = by_quintile[by_quintile["imd_quintile"].notna() & (by_quintile["appointments"] > 0)]
    wide = known.pivot(index="trust_code", columns="imd_quintile", values="dna_rate")
    wide = wide.reindex(columns=list(QUINTILE_NAMES)).rename(columns=QUINTILE_NAMES)
    out = wide.reset_index(drop=True).astype("float64").rename_axis(columns=None)
    out.insert(0, "Trust", list(wide.index))
    out["Q1 − Q5 gap"] = out[QUINTILE_NAMES[MOST]] - out[QUINTILE_NAMES[LEAST]]
    out["Name"] = [names.get(c, "") for c in wide.index]  # last: the rates stay in view
    return out


def gap_table(gap: pd.DataFrame) -> pd.DataFrame:
    """The monthly Q1 and Q5 DNA rates and their gap (fractions, :data:`QUINTILE_FORMATS`),
    headed in words; the download keeps :attr:`DnaView.gap`'s names."""
    return gap[list(GAP_COLUMNS)].rename(columns=GAP_COLUMNS)


def funnel_numbers(funnel: RatioFunnel, names: Mapping[str, str]) -> pd.DataFrame:
    """Each trust's observed DNAs (patients: small counts are hidden), expected DNAs, the
    standardised ratio and its 99.8% limits (numbers under catalogue keys or formatted by
    :data:`FUNNEL_FORMATS`), and its funnel position."""
    units = funnel.units
    return pd.DataFrame(
        {
            "Trust": units["unit"],
            "dnas": units["observed"],
            "expected_dnas": units["expected"].astype("float64"),
            "standardised_ratio": units["ratio"].astype("float64"),
            "Lower 99.8%": units["lower_998"].astype("float64"),
            "Upper 99.8%": units["upper_998"].astype("float64"),
            "Position": units["position"],
            "Name": [names.get(c, "") for c in units["unit"]],  # last: the numbers stay in view
        }
    )


def funnel_table(funnel: RatioFunnel, names: Mapping[str, str]) -> pd.DataFrame:
    """:func:`funnel_numbers` headed in words and rounded, for the board pack."""
    words = {"dnas": "Observed DNAs", "expected_dnas": "Expected DNAs",
             "standardised_ratio": "Standardised ratio"}  # fmt: skip
    digits = {"Expected DNAs": 1, "Standardised ratio": 3, "Lower 99.8%": 3, "Upper 99.8%": 3}
    return funnel_numbers(funnel, names).rename(columns=words).round(digits)


def funnel_caption(funnel: RatioFunnel) -> str:
    if funnel.adjusted:
        how = (
            f"limits widened for overdispersion (φ = {funnel.phi:.2f}, τ² = {funnel.tau2:.4f}, "
            "SHMI method with 10% truncation)"
        )
    elif funnel.phi is not None:
        how = f"exact Poisson limits (φ = {funnel.phi:.2f} ≤ 1, so no widening)"
    else:
        how = "exact Poisson limits (overdispersion adjustment off)"
    return (
        "Standardised DNA ratio = observed DNAs ÷ the DNAs expected at the system's rate in "
        f"each IMD quintile (indirect standardisation). 1 means as expected; {how}."
    )
