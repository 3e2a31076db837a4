"""The marts read from the cases themselves: day-case counts and the look-ahead's history.

:func:`productivity.store.mart_build.build_theatre_marts` reads the store a month at a time;
:class:`CaseMarts` takes each month's lists and cases from the same read, so the cases are never
read twice:

- ``DAYCASE``: completed elective and day cases per trust, site, specialty, month and BADS
  procedure group (:func:`productivity.metrics.daycase.daycase_rates`);
- ``EXPECTED_PROCEDURE`` and ``EXPECTED_SPECIALTY``: median touch minutes per procedure code and
  per specialty over each trust's last 12 months, ending at its latest list
  (:func:`productivity.metrics.lookahead.history_medians`), with the specialty's typical
  procedure and the window's first and last days with a case;
- ``QUALITY``: the data-quality report's counts per trust and month
  (:func:`productivity.store.quality.mart_rows`).

Only the cases inside their trust's window are kept between months, so memory stays bounded by
a year of cases. Arithmetic lives in ``metrics/``. Imports no Streamlit.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection

import pandas as pd
from sqlalchemy import Connection, Engine, func, select

from productivity.metrics import daycase, lookahead
from productivity.store import models, quality
from productivity.store.mart_tables import (
    DAYCASE,
    DAYCASE_COUNTS,
    DAYCASE_KEYS,
    EXPECTED_PROCEDURE,
    EXPECTED_SPECIALTY,
    QUALITY,
)


def latest_list_dates(bind: Engine | Connection) -> dict[str, pd.Timestamp]:
    """Each trust's latest list date: where its look-ahead history window ends."""
    table = models.table_of(models.TheatreList)
    query = select(table.c.trust_code, func.max(table.c.session_date)).group_by(table.c.trust_code)
    if isinstance(bind, Connection):
        return {str(code): pd.Timestamp(day) for code, day in bind.execute(query).all()}
    with bind.connect() as conn:
        return {str(code): pd.Timestamp(day) for code, day in conn.execute(query).all()}


class CaseMarts:
    """Collects a month at a time, then gives the day-case and look-ahead marts.

    ``trusts`` limits the look-ahead history to those trusts (a refresh after an import).
    """

    def __init__(self, bind: Engine | Connection, trusts: Collection[str] | None = None) -> None:
        self.groups = daycase.load_bads()
        ends = latest_list_dates(bind)
        self.ends = ends if trusts is None else {t: d for t, d in ends.items() if t in trusts}
        self.counts: list[pd.DataFrame] = []
        self.history: list[pd.DataFrame] = []
        self.quality: list[pd.DataFrame] = []

    def in_window(self, start: dt.date, end: dt.date) -> bool:
        """Whether the month [start, end) overlaps any trust's look-ahead history window."""
        return any(
            pd.Timestamp(start) <= day
            and pd.Timestamp(end) > day - pd.DateOffset(months=lookahead.HISTORY_MONTHS)
            for day in self.ends.values()
        )

    def add_month(self, lists: pd.DataFrame, cases: pd.DataFrame, month: pd.Series) -> None:
        """One month's normalised lists and cases; ``month`` is each list's ``YYYY-MM``."""
        self.add_counts(lists, cases, month)
        self.add_history(lists, cases)

    def add_counts(self, lists: pd.DataFrame, cases: pd.DataFrame, month: pd.Series) -> None:
        """The day-case counts of a month's lists and cases."""
        keyed = lists.assign(month=month.to_numpy())
        rates = daycase.daycase_rates(cases, self.groups, DAYCASE_KEYS, lists=keyed)
        self.counts.append(rates[[*DAYCASE_KEYS, *DAYCASE_COUNTS]])
        # The data-quality counts of the same lists and cases (whole trust-months).
        self.quality.append(quality.mart_rows(lists, cases))

    def add_history(self, lists: pd.DataFrame, cases: pd.DataFrame) -> None:
        """The look-ahead history of a month's lists and cases (within each trust's window)."""
        history = lookahead.history_from_cases(lists, cases)
        self.history.append(lookahead.history_window(history, self.ends)[list(history.columns)])

    def frames(self) -> dict[str, pd.DataFrame]:
        """The three marts, by name."""
        counts = (
            pd.concat(self.counts, ignore_index=True)
            if self.counts
            else pd.DataFrame(columns=[*DAYCASE_KEYS, *DAYCASE_COUNTS])
        )
        history = (
            pd.concat(self.history, ignore_index=True)
            if self.history
            else pd.DataFrame(columns=list(lookahead.HISTORY_COLUMNS))
        )
        by_procedure, by_specialty = lookahead.history_medians(history, self.ends)
        # The window's first and last days with a completed case (what the page says it used).
        dates = pd.to_datetime(history["session_date"]).groupby(history["trust_code"])
        window = (
            pd.DataFrame(
                {
                    "history_from": dates.min().dt.strftime("%Y-%m-%d"),
                    "history_to": dates.max().dt.strftime("%Y-%m-%d"),
                },
                dtype="str",
            )
            .rename_axis("trust_code")
            .reset_index()
        )
        checks = (
            pd.concat(self.quality, ignore_index=True) if self.quality else quality.empty_mart()
        )
        return {
            QUALITY: checks,
            DAYCASE: counts.astype({"elective_cases": "int64", "daycase_cases": "int64"}),
            EXPECTED_PROCEDURE: by_procedure,
            EXPECTED_SPECIALTY: by_specialty.merge(window, on="trust_code", how="left"),
        }
