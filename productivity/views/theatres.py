"""What the Theatres page shows: one unit's tidy frames, shaped from the marts' list rows.

>>> unit = Unit(trust="RBL", site="RBL01", specialty="ENT")
>>> unit.key, unit.label, unit.filters
('site:RBL/RBL01|specialty:ENT', 'RBL › RBL01 · ENT', {'trust_code': 'RBL', 'site': 'RBL01', \
'specialty': 'ENT'})

A *unit* is what a Theatre Academy graduate chose on the page: a trust, optionally a site and a
theatre within it, and optionally a specialty (all trusts when no trust is chosen). The rows come
from :mod:`productivity.store.readers`, filtered in SQL by period and unit; the functions here
take those list-level rows and return small frames for ``charts``. Every aggregate is a ratio of
sums through :mod:`productivity.metrics.theatre`; the lost-time steps come from
:mod:`productivity.metrics.lost_time`; ✓/✗ come from :mod:`productivity.columns`. No Streamlit
import: pages wrap these in ``st.cache_data``.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from sqlalchemy import Engine

from productivity.benchmarks import Benchmark
from productivity.formats import MEETS, MISSES, MISSING
from productivity.metrics import lost_time, theatre
from productivity.store import marts, readers
from productivity.views import theatre_rows
from productivity.views.theatre_spc import (
    SPC_NOTE as SPC_NOTE,
    rebase_markers as rebase_markers,
    spc_note as spc_note,
    spc_series as spc_series,
    unit_spc as unit_spc,
)

UTILISATION_METRIC = "theatre_capped_utilisation"  # benchmark key, and the rebase table's metric
GRAINS = {"week": "Weekly", "month": "Monthly"}
MEASURES = {"capped_utilisation": "Capped", "uncapped_utilisation": "Uncapped"}
BAND_LABELS = {"gt10": ">10 min", "gt15": ">15 min", "ge30": "≥30 min"}
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
SESSIONS = ("AM", "PM", "ALL", "EVE")
TREND_NOTE = (
    "Dashed line: the {target:.0%} benchmark ({source}). Capped utilisation counts touch time "
    "inside the planned session only; uncapped also counts overruns, so it can pass 100%."
)
WATERFALL_NOTE = (
    "Planned minutes fall to capped touch time: unused sessions (no case done), late starts, "
    "changeover gaps and early finishes. *Other* (unexplained) is what is left over so that the "
    "steps add up exactly: cases that started before the planned start or after the planned end, "
    "overlapping (parallel) cases, and gaps that fell outside the planned session. It can be "
    "negative. Overrun minutes (grey, beside) are touch time after the planned end: they are not "
    "part of the planned minutes, so they sit beside the waterfall, not in it."
)
# What unit_view needs from the list mart: the keys it groups by and every summed column.
UNIT_VIEW_COLUMNS: tuple[str, ...] = (
    "trust_code", "specialty", "week", "month", "weekday", "session", "unused",
    "late_start_minutes", "early_finish_minutes", "overrun_minutes", *theatre.SUM_COLUMNS,
)  # fmt: skip
# The columns the page's tables show beside a chart (their downloads keep every column).
TREND_COLUMNS = ["period", *MEASURES]
HEATMAP_COLUMNS = ["weekday", "session", "lists", "capped_utilisation"]
BAND_COLUMNS = ["measure", "band", "share", "lists"]
COMPARISON_COLUMNS = ["trust", "lists", *MEASURES, "meets_target"]
LIST_TABLE_COLUMNS = (
    "session_date", "weekday", "session", "site", "theatre", "specialty", "planned_start",
    "planned_end", "planned_minutes", "completed_cases", "cancelled_cases", "capped_utilisation",
    "meets_target", "uncapped_utilisation", "late_start_minutes", "early_finish_minutes",
    "overrun_minutes", "unused",
)  # fmt: skip


@dataclass(frozen=True)
class Unit:
    """A drill-down choice: trust → site → theatre, and a specialty (``None`` = all)."""

    trust: str | None = None
    site: str | None = None
    theatre: str | None = None
    specialty: str | None = None

    @property
    def path(self) -> list[str]:
        """Trust, site, theatre as chosen: a site counts only within a trust, a theatre only
        within a site (theatre names repeat across sites)."""
        path: list[str] = []
        for part in (self.trust, self.site, self.theatre):
            if not part:
                break
            path.append(part)
        return path

    @property
    def key(self) -> str:
        """The rebase table's unit: ``trust:RBL``, ``theatre:RBL/RBL01/Theatre 3|specialty:X``."""
        path = self.path
        key = (
            f"{('trust', 'site', 'theatre')[len(path) - 1]}:{'/'.join(path)}" if path else "system"
        )
        return f"{key}|specialty:{self.specialty}" if self.specialty else key

    @property
    def label(self) -> str:
        return " › ".join(self.path or ["All trusts"]) + (
            f" · {self.specialty}" if self.specialty else ""
        )

    @property
    def trusts(self) -> list[str] | None:
        return [self.trust] if self.trust else None

    @property
    def extra(self) -> dict[str, str]:
        """Exact-match mart filters below the trust: site, theatre (as in ``path``), specialty."""
        chosen = dict(zip(("site", "theatre"), self.path[1:], strict=False))
        return chosen | ({"specialty": self.specialty} if self.specialty else {})

    @property
    def filters(self) -> dict[str, str]:
        """Every exact-match filter of the unit's lists, the trust's included."""
        return ({"trust_code": self.trust} if self.trust else {}) | self.extra


@dataclass(frozen=True)
class UnitView:
    """Everything the Theatres page draws for one unit, from one read of the marts."""

    summary: pd.DataFrame  # one row: the theatre report's columns for the unit
    weekly: pd.DataFrame
    monthly: pd.DataFrame
    waterfall: pd.DataFrame
    bands: pd.DataFrame
    heatmap: pd.DataFrame

    @property
    def empty(self) -> bool:
        return self.summary.empty


def unit_options(engine: Engine, trust: str) -> pd.DataFrame:
    """The sites (with names) and theatres of a trust's lists: ``site, site_name, theatre``, by
    site and then theatre in natural order ("Theatre 2" before "Theatre 10")."""
    # Every trust's are read and put in order once per build (theatre_rows).
    return theatre_rows.trust_sites_and_theatres(engine, trust)


OVER_TIME_COLUMNS = [
    "period", "lists", "planned_minutes", "capped_touch_minutes", "uncapped_touch_minutes",
    *MEASURES, "whole",
]  # fmt: skip


def utilisation_over_time(per_list: pd.DataFrame, grain: str) -> pd.DataFrame:
    """Capped and uncapped utilisation per week or month (ratios of sums), then every other
    ratio of :func:`productivity.metrics.theatre.ratios` for the same periods.

    ``period`` is the first day of the week (its Monday) or of the month, as ``YYYY-MM-DD``.
    ``whole`` is False for a week cut by the edge of the rows' months (its Monday before the
    first month, or its Friday after the last): it lacks working days, so SPC leaves it out.
    """
    if grain not in GRAINS:
        raise ValueError(f"grain must be one of {list(GRAINS)}, not {grain!r}")
    if per_list.empty:
        return pd.DataFrame(columns=OVER_TIME_COLUMNS)
    return over_time(theatre.sum_lists(per_list, [grain]), grain, per_list["month"])


def over_time(sums: pd.DataFrame, grain: str, months: pd.Series) -> pd.DataFrame:
    """:func:`utilisation_over_time` from rows already summed to ``grain`` (``sum_lists`` or
    ``resum`` output); ``months`` are the months of the lists summed (they mark whole weeks)."""
    if sums.empty:
        return pd.DataFrame(columns=OVER_TIME_COLUMNS)
    # Column names as objects: pandas 3's str column index makes each new column (ratios adds
    # 30) several times dearer to insert and to look up, on frames of a few dozen rows.
    return periods_of(
        theatre.ratios(sums.set_axis(sums.columns.astype(object), axis=1)), grain, months
    )


def periods_of(rated: pd.DataFrame, grain: str, months: pd.Series) -> pd.DataFrame:
    """:func:`over_time` of summed rows that already carry their ratios (``theatre.ratios``)."""
    sums = rated.copy()
    sums["period"] = sums[grain] if grain == "week" else sums[grain] + "-01"
    sums["whole"] = True
    if grain == "week":
        first = pd.Timestamp(months.min() + "-01")
        last = pd.Timestamp(months.max() + "-01") + pd.offsets.MonthEnd(1)
        monday = pd.to_datetime(sums["period"])
        sums["whole"] = (monday >= first) & (monday + pd.Timedelta(days=4) <= last)
    # Every other ratio of the summed rows follows, for the page's other trends and tiles.
    rest = [c for c in sums.columns if c not in (*OVER_TIME_COLUMNS, grain)]
    out = sums[[*OVER_TIME_COLUMNS, *rest]].sort_values("period", ignore_index=True)
    # Column by column: astype with a mapping rebuilds every one of the ~60 columns.
    out["lists"] = out["lists"].astype("int64")
    out["whole"] = out["whole"].astype(bool)
    return out


def utilisation_long(over_time: pd.DataFrame) -> pd.DataFrame:
    """:func:`utilisation_over_time` as one row per period × measure, for the trend chart."""
    long = over_time.melt(
        id_vars="period", value_vars=list(MEASURES), var_name="measure", value_name="utilisation"
    )
    long["measure"] = long["measure"].map(MEASURES)
    return long


def bands(per_list: pd.DataFrame) -> pd.DataFrame:
    """Shares of used lists starting late / finishing early by >10, >15 and ≥30 minutes."""
    if per_list.empty:
        return pd.DataFrame(columns=["measure", "band", "share", "lists", "used_lists"])
    return bands_of(theatre.ratios(theatre.sum_lists(per_list, [])))


def bands_of(summary: pd.DataFrame) -> pd.DataFrame:
    """:func:`bands` from the unit's one-row sums and ratios (e.g. its theatre summary)."""
    sums = summary.iloc[0]
    rows = [
        (measure, BAND_LABELS[suffix], sums[f"{prefix}_{suffix}_share"],
         int(sums[f"{prefix}_{suffix}"]), int(sums["used_lists"]))
        for prefix, measure in (("late_start", "Late start"), ("early_finish", "Early finish"))
        for suffix, _, _ in theatre.BANDS
    ]  # fmt: skip
    return pd.DataFrame(rows, columns=["measure", "band", "share", "lists", "used_lists"])


HEATMAP_SHOWN = ["weekday", "session", "lists", "planned_minutes", "capped_utilisation"]


def heatmap(per_list: pd.DataFrame) -> pd.DataFrame:
    """Capped utilisation per weekday × session (AM, PM, ALL, EVE)."""
    if per_list.empty:
        return pd.DataFrame(columns=HEATMAP_SHOWN)
    # Only the sums it shows: lists, planned and capped touch minutes (as sum_lists adds them).
    shown = ["lists", "planned_minutes", "capped_touch_minutes"]
    frame = per_list.assign(lists=1)[["weekday", "session", *shown]].astype(
        dict.fromkeys(shown, "float64")
    )
    sums = frame.groupby(["weekday", "session"], as_index=False, observed=True, dropna=False)[
        shown
    ].sum()
    return heatmap_of(sums)


def heatmap_of(sums: pd.DataFrame) -> pd.DataFrame:
    """:func:`heatmap` from the lists' sums per weekday × session (``lists``,
    ``planned_minutes``, ``capped_touch_minutes`` as float64), in any order."""
    if sums.empty:
        return pd.DataFrame(columns=HEATMAP_SHOWN)
    sums["capped_utilisation"] = theatre.capped_utilisation(
        sums["capped_touch_minutes"], sums["planned_minutes"]
    )
    order = [
        sums["weekday"].map({d: i for i, d in enumerate(WEEKDAYS)}),
        sums["session"].map({s: i for i, s in enumerate(SESSIONS)}),
    ]
    sums = sums.assign(_day=order[0], _session=order[1]).sort_values(["_day", "_session"])
    return sums[HEATMAP_SHOWN].astype({"lists": "int64"}).reset_index(drop=True)


def unit_view(
    engine: Engine, unit: Unit, period: marts.Period, target: float, *, with_heatmap: bool = True
) -> UnitView:
    """Read the unit's list and gap rows once and shape every frame the page draws.

    ``with_heatmap=False`` leaves the weekday × session heatmap empty (the page draws the
    ranking's own heatmap once a trust is chosen)."""
    # A trust's rows are held in memory (theatre_rows); every trust's are summed in SQL.
    held = bool(unit.trust)
    lists = theatre_rows.theatre_lists if held else readers.theatre_lists
    per_list = lists(engine, period, unit.filters, UNIT_VIEW_COLUMNS)
    gaps = (theatre_rows.theatre_gaps if held else readers.theatre_gaps)(
        engine, period, unit.filters
    )
    summary = marts.theatre_summary(per_list, gaps, [], target) if len(per_list) else per_list
    return UnitView(
        summary=summary,
        weekly=utilisation_over_time(per_list, "week"),
        monthly=utilisation_over_time(per_list, "month"),
        waterfall=lost_time.lost_time_steps(per_list, lost_time.histogram_total(gaps)),
        bands=bands_of(summary) if len(per_list) else bands(per_list),
        heatmap=heatmap(per_list if with_heatmap else per_list.iloc[:0]),
    )


def _meets_text(values: pd.Series, benchmark: Benchmark) -> pd.Series:
    """✓ or ✗ for each value against the benchmark; – where there is no value."""
    meets = benchmark.meets_each(values).astype(object)
    return meets.map({True: MEETS, False: MISSES}).fillna(MISSING)


def list_table(
    engine: Engine, unit: Unit, period: marts.Period, benchmark: Benchmark
) -> pd.DataFrame:
    """One row per list of the unit (the only list-level read), newest first.

    ``meets_target`` marks each list ✓ or ✗ against the capped-utilisation ``benchmark``.
    """
    lists = theatre_rows.theatre_lists if unit.trust else readers.theatre_lists
    per_list = lists(engine, period, unit.filters)
    if per_list.empty:
        return pd.DataFrame(columns=list(LIST_TABLE_COLUMNS))
    per_list["capped_utilisation"] = theatre.capped_utilisation(
        per_list["capped_touch_minutes"], per_list["planned_minutes"]
    )
    per_list["uncapped_utilisation"] = theatre.uncapped_utilisation(
        per_list["uncapped_touch_minutes"], per_list["planned_minutes"]
    )
    per_list["meets_target"] = _meets_text(per_list["capped_utilisation"], benchmark)
    table = per_list[list(LIST_TABLE_COLUMNS)].astype({"unused": bool})
    minutes = ["planned_minutes", "late_start_minutes", "early_finish_minutes", "overrun_minutes"]
    table[minutes] = table[minutes].round(0)
    return table.sort_values(
        ["session_date", "site", "theatre", "session"],
        ascending=[False, True, True, True],
        ignore_index=True,
    )


def specialty_comparison(
    engine: Engine, unit: Unit, period: marts.Period, benchmark: Benchmark
) -> pd.DataFrame:
    """Capped and uncapped utilisation of the unit's specialty (or all) at every trust.

    The minutes are summed per trust from the weekly mart held per build
    (:func:`theatre_rows.theatre_sums_by_trust`); the ratios are then formed by
    :mod:`productivity.metrics.theatre`. ``trust`` is the code, marked ``▶`` for the unit's
    trust so it stands out on the chart; rows run from the highest capped utilisation down,
    and ``meets_target`` marks each ✓ or ✗ against the ``benchmark``.
    """
    columns = ["trust", "trust_code", "lists", "planned_minutes", *MEASURES, "meets_target"]
    sums = theatre_rows.theatre_sums_by_trust(engine, period, unit.specialty)
    if sums.empty:
        return pd.DataFrame(columns=columns)
    sums["capped_utilisation"] = theatre.capped_utilisation(
        sums["capped_touch_minutes"], sums["planned_minutes"]
    )
    sums["uncapped_utilisation"] = theatre.uncapped_utilisation(
        sums["uncapped_touch_minutes"], sums["planned_minutes"]
    )
    chosen = sums["trust_code"] == unit.trust
    sums["trust"] = sums["trust_code"].where(~chosen, "▶ " + sums["trust_code"])
    sums["meets_target"] = _meets_text(sums["capped_utilisation"], benchmark)
    ranked = sums.sort_values("capped_utilisation", ascending=False, ignore_index=True)
    return ranked[columns].astype({"lists": "int64"})
