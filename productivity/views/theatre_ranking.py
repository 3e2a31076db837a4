"""Rank a trust's theatres, specialties and lists by minutes lost to each cause, and drill in.

>>> link({"trust": "RBL", "site": "RBL01", "theatre": "Theatre 3"}, marts.Period("2026-05"))
'Theatres?trust=RBL&site=RBL01&theatre=Theatre+3&from=2026-05'
>>> heat_column("Late starts")
'late_start_minutes_per_list'

:func:`trust_lists` reads a trust's lists once; :func:`rank` ranks its theatres or specialties
by a measure, :func:`rank_lists` its lists, and :func:`heatmap` shows the measure by day of
week and session.

One read of the trust's list mart gives every table and the heatmap, so they always agree. The
minutes lost per cause are :func:`productivity.metrics.lost_time.lost_minutes_by_cause` (the
waterfall's steps, list by list); realisable cases are
:func:`productivity.planning.opportunity.list_opportunity` over the whole trust, so each list's
mean case length is its trust and specialty's over the period (SPEC §4), whichever site or theatre
is shown. Each row has a ``link``: the Theatres page's own URL for that unit. No Streamlit import.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlencode

import pandas as pd
from sqlalchemy import Engine

from productivity.metrics import lost_time, theatre
from productivity.planning import opportunity
from productivity.store import marts, readers
from productivity.views import theatre_rows
from productivity.views.theatres import SESSIONS, WEEKDAYS, Unit

PAGE = "Theatres"  # the page's URL path: a link keeps the reader on it
LIST_LIMIT = 100  # lists shown in the list ranking: the worst, by the chosen measure
READ_COLUMNS = (
    "trust_code", "site", "theatre", "specialty", "session_date", "session", "weekday", "month",
    "planned_start", "planned_end", "planned_minutes", "capped_touch_minutes", "unused",
    "late_start_minutes", "early_finish_minutes", "overrun_minutes",
    lost_time.IN_SESSION_GAPS, "completed_cases", "case_touch_minutes",
)  # fmt: skip
SUMMED = (
    "planned_minutes", "capped_touch_minutes", "completed_cases", "lost_minutes",
    *lost_time.CAUSE_COLUMNS, "realisable_additional_cases",
)  # fmt: skip


@dataclass(frozen=True)
class RankMeasure:
    """What a ranking sorts by, and how its heatmap shows it."""

    column: str
    ascending: bool  # True: the lowest first (utilisation)
    heat_label: str
    heat_fmt: str


# Plain labels as options, so the URL holds what the user sees (?rank=Late+starts).
RANK_MEASURES: dict[str, RankMeasure] = {
    "Capped utilisation": RankMeasure("capped_utilisation", True, "Capped util.", ".0%"),
    "Realisable additional cases": RankMeasure(
        "realisable_additional_cases", False, "Realisable cases per list", ".2f"
    ),
    "Lost minutes (all causes)": RankMeasure("lost_minutes", False, "Lost min per list", ",.0f"),
    **{
        label: RankMeasure(column, False, f"{label} (min per list)", ",.0f")
        for label, column in (
            ("Unused sessions", "unused_minutes"),
            ("Late starts", "late_start_minutes"),
            ("Changeover gaps", "gap_minutes"),
            ("Early finishes", "early_finish_minutes"),
            ("Other (unexplained)", "other_minutes"),
            ("Overruns", "overrun_minutes"),
        )
    },
}
# level -> (the keys of a row, the URL parameters it sets)
LEVELS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "theatre": (("site", "theatre"), ("site", "theatre")),
    "specialty": (("specialty",), ("specialty",)),
}
TABLE_COLUMNS = (
    "lists", "capped_utilisation", "lost_minutes", "lost_minutes_per_list", "unused_minutes",
    "late_start_minutes", "gap_minutes", "early_finish_minutes", "other_minutes",
    "overrun_minutes", "realisable_additional_cases", "link",
)  # fmt: skip


def trust_lists(engine: Engine, unit: Unit, period: marts.Period, target: float) -> pd.DataFrame:
    """The unit's lists with the minutes lost to each cause and realisable cases per list.

    The whole trust is read (its specialty only, when one is chosen) so that realisable cases
    use the trust's mean case length; then the unit's site and theatre are kept.
    """
    scope = Unit(unit.trust, specialty=unit.specialty)
    # A trust's rows are held in memory (theatre_rows); every trust's are read in SQL.
    lists = theatre_rows.theatre_lists if scope.trust else readers.theatre_lists
    rows = lists(engine, period, scope.filters, READ_COLUMNS)
    if rows.empty:
        return pd.DataFrame(columns=[*READ_COLUMNS, *SUMMED])
    causes = lost_time.lost_minutes_by_cause(rows)
    whole = opportunity.list_opportunity(rows, target)["realisable_additional_cases"]
    out = pd.concat(
        [rows.drop(columns=["late_start_minutes", "early_finish_minutes", "overrun_minutes"]),
         causes, whole.fillna(0.0).rename("realisable_additional_cases")],
        axis=1,
    )  # fmt: skip
    return within(out, unit)


def within(lists: pd.DataFrame, unit: Unit) -> pd.DataFrame:
    """The lists of :func:`trust_lists` (of the unit's whole trust) at the unit's site and
    theatre, index renumbered."""
    for column, value in zip(("site", "theatre"), unit.path[1:], strict=False):
        lists = lists[lists[column] == value]
    return lists.reset_index(drop=True)


def link(params: dict[str, object], period: marts.Period) -> str:
    """The Theatres page's relative URL for a unit, keeping the chosen months."""
    query = {k: v for k, v in params.items() if v} | {"from": period.start, "to": period.end}
    return f"{PAGE}?{urlencode({k: v for k, v in query.items() if v})}"


def _with_ratios(sums: pd.DataFrame) -> pd.DataFrame:
    sums["capped_utilisation"] = theatre.capped_utilisation(
        sums["capped_touch_minutes"], sums["planned_minutes"]
    )
    sums["lost_minutes_per_list"] = sums["lost_minutes"] / sums["lists"]
    return sums


def _sorted(frame: pd.DataFrame, measure: str) -> pd.DataFrame:
    """Sorted by the measure, minutes in whole minutes (per list to one decimal) for reading."""
    chosen = RANK_MEASURES[measure]
    minutes = [c for c in ("lost_minutes", *lost_time.CAUSE_COLUMNS) if c in frame]
    out = frame.sort_values(
        chosen.column, ascending=chosen.ascending, kind="stable", ignore_index=True
    )
    out[minutes] = out[minutes].round(0)
    out["lost_minutes_per_list"] = out["lost_minutes_per_list"].round(1)
    return out


def rank(lists: pd.DataFrame, level: str, measure: str, period: marts.Period) -> pd.DataFrame:
    """Theatres (``level="theatre"``) or specialties ranked by ``measure``, each with a link.

    Minutes are summed over the unit's lists; capped utilisation is a ratio of sums.
    """
    keys, params = LEVELS[level]
    if lists.empty:
        return pd.DataFrame(columns=[*keys, *TABLE_COLUMNS])
    sums = lists.assign(lists=1).groupby(list(keys), as_index=False)[["lists", *SUMMED]].sum()
    sums = _with_ratios(sums)
    trust = str(lists["trust_code"].iloc[0])
    sums["link"] = [
        link({"trust": trust, **dict(zip(params, values, strict=True))}, period)
        for values in sums[list(keys)].itertuples(index=False)
    ]  # one per theatre or specialty, a few dozen rows
    return _sorted(sums, measure)[[*keys, *TABLE_COLUMNS]]


def rank_lists(lists: pd.DataFrame, measure: str, limit: int = LIST_LIMIT) -> pd.DataFrame:
    """The ``limit`` lists that lose most to ``measure`` (or have the lowest utilisation), each
    linked to its theatre in its own month."""
    keys = ["session_date", "weekday", "session", "site", "theatre", "specialty"]
    if lists.empty:
        return pd.DataFrame(columns=[*keys, *TABLE_COLUMNS])
    chosen = _with_ratios(lists.assign(lists=1))
    top = _sorted(chosen, measure).head(limit)
    top = top.assign(
        link=[
            link({"trust": t, "site": s, "theatre": th}, marts.Period(m, m))
            for t, s, th, m in top[["trust_code", "site", "theatre", "month"]].itertuples(
                index=False
            )
        ]
    )  # at most LIST_LIMIT rows
    return top[[*keys, *[c for c in TABLE_COLUMNS if c != "lists"]]].reset_index(drop=True)


def heat_column(measure: str) -> str:
    """The heatmap's value column: ``capped_utilisation``, or ``<cause>_per_list``."""
    column = RANK_MEASURES[measure].column
    return column if column == "capped_utilisation" else f"{column}_per_list"


def heatmap(lists: pd.DataFrame, measure: str) -> pd.DataFrame:
    """``measure`` per weekday × session (column :func:`heat_column`): capped utilisation as a
    ratio of sums, anything else per list (Σ over the cell's lists ÷ its lists, to one decimal),
    so busy and quiet sessions compare."""
    value = heat_column(measure)
    columns = ["weekday", "session", "lists", value]
    if lists.empty:
        return pd.DataFrame(columns=columns)
    chosen = RANK_MEASURES[measure]
    sums = _with_ratios(
        lists.assign(lists=1).groupby(["weekday", "session"], as_index=False)[["lists", *SUMMED]]
        .sum()
    )  # fmt: skip
    if value != chosen.column:
        sums[value] = (sums[chosen.column] / sums["lists"]).round(1)
    order = [
        sums["weekday"].map({d: i for i, d in enumerate(WEEKDAYS)}),
        sums["session"].map({s: i for i, s in enumerate(SESSIONS)}),
    ]
    sums = sums.assign(_day=order[0], _session=order[1]).sort_values(["_day", "_session"])
    return sums[columns].astype({"lists": "int64"}).reset_index(drop=True)


def rank_note(measure: str, levels: Sequence[str] = ("theatres", "specialties", "lists")) -> str:
    """Which ranking is in use, in words (SPEC: tables say which ranking they use)."""
    chosen = RANK_MEASURES[measure]
    order = "lowest first" if chosen.ascending else "most first"
    return (
        f"Ranked by {measure.lower()} ({order}); sort by any column. Minutes are summed over "
        f"the period's lists. *Open* drills into the {', '.join(levels[:-1])} or {levels[-1]}"
        " on this page."
    )
