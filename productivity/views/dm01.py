"""What the Diagnostics page shows of DM01 waits: per trust and test, and the waiting-time bands.

>>> from productivity.benchmarks import load_benchmarks
>>> frame = pd.DataFrame({"provider_code": ["RBL"], "test_code": ["MRI"], "total_waiting": [200],
...     "waiting_6_plus": [9], "waiting_13_plus": [0], "within_6_weeks": [0.955],
...     "backlog_weeks": [0.4]})
>>> dm01_table(frame, load_benchmarks(override=None)).iloc[0].astype(str).tolist()
['RBL', '200', '9', '0.955', '✓', '✗', '0', '✓', '0.4']

Waits are ``report dm01 --by trust`` (:func:`productivity.store.reports.dm01_report`) at the
latest month in the period: a waiting list is a snapshot, not a sum. The monthly trend of one
test (:func:`monthly_waits`) is ``report dm01 --by month``: a snapshot at each month end.
Each ✓/✗ is against the interim ambition, the constitutional standard (one reading:
:meth:`~productivity.benchmarks.Benchmarks.constitutional_within_6_weeks`) and nobody waiting
13+ weeks; headings and formats are the column catalogue's. No Streamlit import.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from sqlalchemy import Engine

from productivity import schema
from productivity.benchmarks import Benchmark, Benchmarks
from productivity.columns import COLUMNS
from productivity.formats import MEETS, MISSES, MISSING, agreeing_format, format_value
from productivity.metrics import waits
from productivity.peers import trust_names
from productivity.store import marts, reports
from productivity.views import dm01_rows
from productivity.views.diagnostics import trust_label

WAITS: tuple[str, ...] = ("under 6 weeks", "6 to under 13 weeks", "13 weeks or more")


@dataclass(frozen=True)
class WaitsView:
    """The DM01 section for one test: the month, per-trust waits, all tests, and the bands."""

    month: str | None
    test: str
    per_trust: pd.DataFrame  # the chosen test, every trust, with a ``trust`` label
    all_tests: pd.DataFrame  # every test, at the chosen trust (or every trust)
    bands: pd.DataFrame
    trend: pd.DataFrame  # the chosen test per trust and month (:func:`monthly_waits`)

    def label_format(self, benchmarks: Benchmarks) -> str:
        """The chart's % label format: a bar marked ✗ never reads as the interim ambition."""
        within = COLUMNS["within_6_weeks"]
        values = self.per_trust.get(within.key, pd.Series(dtype=float))
        return agreeing_format(values, within.fmt, within.judged_by(benchmarks))


TREND_COLUMNS = [
    "month", "trust_code", "trust", "test_code", "total_waiting", "waiting_6_plus",
    "within_6_weeks", "waiting_13_plus",
]  # fmt: skip


def monthly_waits(
    engine: Engine, period: marts.Period, test: str, trust: str | None, benchmarks: Benchmarks
) -> pd.DataFrame:
    """% within 6 weeks and 13+ week waiters of one test at each month end, per trust.

    A tidy frame (:data:`TREND_COLUMNS`), one row per trust and month (the chosen trust only,
    when one is chosen): the rows of ``report dm01 --by month``, so the latest month equals
    the per-trust table. ``month`` is the month's first day; ``trust`` is the code and name
    for a chart's legend.
    """
    return waits_of(every_monthly_wait(engine, period, benchmarks), test, trust)


def every_monthly_wait(
    engine: Engine, period: marts.Period, benchmarks: Benchmarks
) -> pd.DataFrame:
    """:func:`monthly_waits` of every test and trust, sorted by test, trust and month: worked
    out once for a period, whichever test and trust are chosen (:func:`waits_of` picks them)."""
    rows = dm01_rows.read_dm01(engine, period)
    if rows.empty:
        return pd.DataFrame(columns=TREND_COLUMNS)
    # Each group is one provider, test and month, so choosing them after changes no figure.
    rows = reports.dm01_waits(rows, reports.DM01_LEVELS["month"], benchmarks)
    rows = rows[rows["total_waiting"] > 0].rename(columns={"provider_code": "trust_code"})
    rows = rows.assign(
        month=pd.to_datetime(rows["month"], format="%Y-%m"),  # the month's first day
        trust=rows["trust_code"] + " · " + trust_names(rows["trust_code"]).to_numpy(),
    )
    ordered = rows.sort_values(["test_code", "trust_code", "month"])
    return ordered[TREND_COLUMNS].reset_index(drop=True)


def waits_of(monthly: pd.DataFrame, test: str, trust: str | None) -> pd.DataFrame:
    """The rows of one test (and trust, when one is chosen) of :func:`every_monthly_wait`."""
    rows = monthly[monthly["test_code"] == test]
    if trust:
        rows = rows[rows["trust_code"] == trust]
    return rows.reset_index(drop=True) if len(rows) else pd.DataFrame(columns=TREND_COLUMNS)


def trend_table(trend: pd.DataFrame, column: str) -> pd.DataFrame:
    """One measure of the trend by month and trust, newest first; numbers stay numbers (the
    catalogue key heads and formats the column in ``ui.show_table``)."""
    out = pd.DataFrame(
        {
            "Month": trend["month"].dt.strftime("%Y-%m"),
            "Trust": trend["trust_code"],
            column: trend[column],
        }
    )
    return out.sort_values(["Month", "Trust"], ascending=[False, True]).reset_index(drop=True)


def waiting_bands(
    engine: Engine,
    period: marts.Period,
    test: str,
    trust: str | None,
    latest: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Patients in each waiting-time band for one test at the trust (or the whole system).

    At the latest month in the period (``latest``: those rows, when the caller has them);
    empty when nobody is recorded as waiting.
    """
    latest = dm01_rows.latest_dm01(engine, period) if latest is None else latest
    latest = latest[latest["test_code"] == test]
    if trust:
        latest = latest[latest["provider_code"] == trust]
    if latest.empty or latest["total_waiting"].sum() == 0:
        return pd.DataFrame(columns=["band", "band_label", "patients", "share", "wait"])
    out = waits.waiting_distribution(latest, [])
    six = out["band"].isin(schema.DM01_BANDS_6_PLUS)
    thirteen = out["band"] == schema.DM01_BANDS[-1]
    out["wait"] = WAITS[0]
    out.loc[six, "wait"] = WAITS[1]
    out.loc[thirteen, "wait"] = WAITS[2]
    return out


@dataclass(frozen=True)
class PeriodWaits:
    """The period's DM01 snapshot, whatever test and trust are chosen (picklable, for caching):
    each provider's latest month and ``report dm01 --by trust`` of it, every test and trust."""

    month: str | None  # the latest month; None with no return in the period
    latest: pd.DataFrame  # the DM01 rows of each provider's latest month
    table: pd.DataFrame  # waits per trust and test, with the test's name
    monthly: pd.DataFrame  # every test and trust at each month end (:func:`every_monthly_wait`)


def period_waits(engine: Engine, period: marts.Period, benchmarks: Benchmarks) -> PeriodWaits:
    """The part of :func:`waits_view` every test and trust share."""
    latest = dm01_rows.latest_dm01(engine, period)
    monthly = every_monthly_wait(engine, period, benchmarks)
    if latest.empty:
        return PeriodWaits(None, latest, pd.DataFrame(), monthly)
    table = reports.dm01_waits(latest, reports.DM01_LEVELS["trust"], benchmarks)
    table.insert(2, "test_name", table["test_code"].map(schema.DM01_TESTS))
    return PeriodWaits(str(latest["month"].iloc[0]), latest, table, monthly)


def waits_view(
    engine: Engine,
    period: marts.Period,
    test: str,
    trust: str | None,
    benchmarks: Benchmarks,
    every: PeriodWaits | None = None,
) -> WaitsView:
    """DM01 waits per trust and test (``report dm01 --by trust``) at the latest month;
    ``every`` is :func:`period_waits` of the same period when the caller has it."""
    every = every or period_waits(engine, period, benchmarks)
    trend = waits_of(every.monthly, test, trust)
    if every.month is None:
        empty = pd.DataFrame()
        return WaitsView(None, test, empty, empty, empty, trend)
    table = every.table
    per_trust = table[table["test_code"] == test].reset_index(drop=True)
    all_tests = table[table["provider_code"] == trust] if trust else table
    return WaitsView(
        month=every.month,
        test=test,
        per_trust=per_trust.assign(trust=trust_label(per_trust["provider_code"], trust)),
        all_tests=all_tests.reset_index(drop=True),
        bands=waiting_bands(engine, period, test, trust, every.latest),
        trend=trend,
    )


def _marks(values: pd.Series, benchmark: Benchmark) -> pd.Series:
    """✓ / ✗ / – for each value against ``benchmark`` (a column of its own, so the number beside
    it stays a number and sorts as one)."""
    judged = benchmark.meets_each(values.astype("float64"))
    return judged.map({True: MEETS, False: MISSES}).astype("object").fillna(MISSING)


def dm01_table(table: pd.DataFrame, benchmarks: Benchmarks) -> pd.DataFrame:
    """DM01 waits, numbers kept numeric under their catalogue keys (the table widgets head and
    format them), each judged value followed by its ✓/✗: against the interim ambition, the
    constitutional standard and nobody waiting 13+ weeks.

    One test's table names the test in its heading, so it has no column of one repeated name.
    """
    within, over_13 = COLUMNS["within_6_weeks"], COLUMNS["waiting_13_plus"]
    constitutional = benchmarks.constitutional_within_6_weeks()
    out = pd.DataFrame(
        {
            "Trust": table["provider_code"],
            "Test": table.get("test_name", table["test_code"]).fillna(table["test_code"]),
            "total_waiting": table["total_waiting"],
            "waiting_6_plus": table["waiting_6_plus"],
            within.key: table[within.key],
            f"{within.key}_meets": _marks(table[within.key], within.judged_by(benchmarks)),
            f"meets_constitutional_{constitutional.value:.0%}": _marks(
                table[within.key], constitutional
            ),
            over_13.key: table[over_13.key],
            f"{over_13.key}_meets": _marks(table[over_13.key], over_13.judged_by(benchmarks)),
            "backlog_weeks": table["backlog_weeks"],
        }
    )
    return out if table["test_code"].nunique() > 1 else out.drop(columns="Test")


def band_table(bands: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "Weeks waiting": bands["band_label"],
            "Patients": bands["patients"].map("{:,.0f}".format),
            "Share": bands["share"].map(lambda v: format_value(v, ".1%")),
        }
    )
