"""Weeks to clear the 6-week backlog at benchmark productivity (SPEC §4 "Opportunity → waits").

The Diagnostics page's table, ``report clearance`` and the what-if panel's words all come from
here (re-exported by :mod:`productivity.views.diagnostics`), so the figures agree. The extra
activity is the modality's metric (:meth:`productivity.modalities.Modality.summarise`) on the
chosen benchmark basis. No Streamlit import.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sqlalchemy import Engine

from productivity.benchmarks import Benchmarks
from productivity.formats import MISSING, benchmark_text
from productivity.metrics import waits
from productivity.modalities import MODALITIES, Modality, modality
from productivity.planning import opportunity
from productivity.store import marts, readers
from productivity.views import dm01_rows

SYSTEM = "System"
NATIONAL = "national"  # the default benchmark basis (:data:`BENCHMARK_BASES`)


BACKLOG_COLUMNS = [
    "trust_code", "total_waiting", "waiting_6_plus", "within_6_weeks", "additional_per_week",
    "weeks_to_clear_backlog", "clearance",
]  # fmt: skip


def backlog_clearance(
    engine: Engine,
    key: str,
    period: marts.Period,
    benchmarks: Benchmarks,
    basis: str = NATIONAL,
) -> pd.DataFrame:
    """Weeks to clear the 6-week backlog at benchmark productivity, per trust and for the system.

    SPEC §4 "Opportunity → waits": the trust's additional scans (procedures, tests) at the
    benchmark (on ``basis``: national rates, or each trust's peer-group rate) over the period,
    a week by :func:`opportunity.additional_per_week` over the weeks of the period's months
    (:func:`opportunity.weeks_covered`), set against the number waiting 6+ weeks for the
    modality's DM01 test(s) at the latest month, by :func:`waits.backlog_clearance` (whose
    ``clearance`` says when "never" is true). The system row sums the counts across trusts.
    The what-if panel and ``report clearance`` use the same functions, so the figures agree.
    Imaging adds ``benchmark_scans_per_hour``, the rate each trust is held to (the system's
    hours-weighted).
    """
    found = modality(key)
    latest = dm01_rows.latest_dm01(engine, period)
    return _backlog(readers.modality_rows(engine, found, period), found, latest, benchmarks, basis)


def _backlog(
    rows: pd.DataFrame,
    found: Modality,
    latest: pd.DataFrame,
    benchmarks: Benchmarks,
    basis: str,
    whole: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The backlog table; ``whole`` is ``found.summarise(rows, [], …)`` when the caller has it."""
    rate = ["benchmark_scans_per_hour"] if found.imaging else []
    if not found.dm01_tests or latest.empty or rows.empty:
        return pd.DataFrame(columns=[*BACKLOG_COLUMNS, *rate])
    trusts = found.summarise(rows, ["trust_code"], benchmarks, basis)
    # The months once each (the weeks are a sum of whole months' days, whatever the order).
    weeks = opportunity.weeks_covered(rows["month"].unique())
    per_week = opportunity.additional_per_week(trusts[found.additional], weeks)
    whole = found.summarise(rows, [], benchmarks, basis) if whole is None else whole
    # The system first, then each trust; built from the columns at once, not row frames joined.
    extra = pd.DataFrame(
        {
            "trust_code": [SYSTEM, *trusts["trust_code"]],
            "additional_per_week": [per_week.sum(), *per_week],
            **{column: [whole[column].iloc[0], *trusts[column]] for column in rate},
        }
    )
    # The system is one more unit of the same DM01 rows: waits of trusts with capacity data.
    tests = latest[
        latest["test_code"].isin(found.dm01_tests)
        & latest["provider_code"].isin(extra["trust_code"])
    ]
    codes = np.concatenate([tests["provider_code"].to_numpy(), [SYSTEM] * len(tests)])
    units = tests.iloc[np.tile(np.arange(len(tests)), 2)].reset_index(drop=True)
    units["trust_code"] = pd.Series(codes, dtype=tests["provider_code"].dtype)
    waiting = waits.dm01_waits(units, ["trust_code"])
    out = extra.merge(waiting, on="trust_code", how="inner")
    cleared = waits.backlog_clearance(
        out["waiting_6_plus"],
        out["additional_per_week"],
        out["within_6_weeks"],
        benchmarks.value("dm01_within_6_weeks"),
    )
    return out.join(cleared)[[*BACKLOG_COLUMNS, *rate]]


def clearance_report(
    engine: Engine, period: marts.Period, benchmarks: Benchmarks, basis: str = NATIONAL
) -> pd.DataFrame:
    """``report clearance [--benchmark-basis]``: :func:`backlog_clearance` of every modality,
    one row per trust."""
    parts = [
        backlog_clearance(engine, found.key, period, benchmarks, basis)[BACKLOG_COLUMNS].assign(
            modality=found.key
        )
        for found in MODALITIES
    ]
    out = pd.concat([p for p in parts if not p.empty] or parts[:1], ignore_index=True)
    return out[["modality", *BACKLOG_COLUMNS]]


def clearance_words(clearance: pd.Series, benchmarks: Benchmarks) -> pd.Series:
    """:func:`waits.backlog_clearance`'s ``clearance`` in words, for tables and the what-if."""
    ambition = benchmark_text(benchmarks["dm01_within_6_weeks"])
    words = {
        waits.NO_BACKLOG: "nobody waits 6+ weeks",
        waits.CLEARS: "clears with the extra capacity",
        waits.MEETS_AMBITION: f"meets the {ambition} ambition: no extra capacity needed",
        waits.NEVER: f"never at this rate: below {ambition}, no extra capacity at benchmark",
        waits.NO_DATA: MISSING,
    }
    return clearance.map(words).fillna(MISSING)
