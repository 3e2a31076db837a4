"""The Look-ahead page's shaping: the 6-4-2 look-ahead of a trust's booked lists.

>>> import datetime as dt
>>> default_as_of(dt.date(2026, 11, 2), today=dt.date(2026, 12, 3))  # the first booked day
datetime.date(2026, 11, 2)
>>> list(WINDOW_CHOICES)
['All six weeks', '6 weeks out', '4 weeks out', '2 weeks out']

:func:`look_ahead` reads a trust's bookings and runs the look-ahead as of a date (one row per
list 0-42 days out); :func:`meeting_table` is what the scheduling meeting works through.

Expected minutes, expected utilisation, unfilled minutes, the 6/4/2 windows and the flags are
defined once, in :mod:`productivity.metrics.lookahead`; the history's medians come from the marts
(:func:`productivity.store.bookings.read_medians`). This module only picks, filters and words
them. No Streamlit import: the page wraps these in ``st.cache_data``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from urllib.parse import urlencode

import numpy as np
import pandas as pd
from sqlalchemy import Engine

from productivity.metrics import lookahead
from productivity.store import bookings as store, mart_lookahead as lists_mart, marts

# Segmented-control labels -> the weeks-out window they keep (None = all three).
WINDOW_CHOICES: dict[str, int | None] = {
    "All six weeks": None, "6 weeks out": 6, "4 weeks out": 4, "2 weeks out": 2,
}  # fmt: skip
FLAG, OK = "⚑ below", "✓ at or above"
PAGE = "Look_ahead"  # the page's URL path: a row's link opens its trust there
MEETING_COLUMNS = (
    "session_date", "weeks_out", "flag", "site", "theatre", "session", "specialty",
    "expected_utilisation", "unfilled_minutes", "fill_with", "booked_cases", "expected_minutes",
    "planned_minutes", "planned_start", "planned_end", "weekday", "check",
)  # fmt: skip
SUMMARY_COLUMNS = ("weeks_out", "lists", "flagged", "unfilled_hours", "cases_to_fill")
SOURCE_TEXT = {
    "booked": "the surgeon's booked minutes",
    "procedure": "the trust's median for the procedure (5 or more cases)",
    "specialty": "the trust's median for the specialty",
    "none": "no estimate (no history for the procedure or the specialty)",
}


@dataclass(frozen=True)
class LookAheadView:
    """A trust's booked lists in the next six weeks, and where their estimates came from."""

    lists: pd.DataFrame  # metrics.lookahead columns + typical_procedure, weekday
    sources: pd.DataFrame  # expected_source, cases
    history: store.History
    as_of: dt.date
    target: float
    outside: int  # booked lists before as_of or more than six weeks after it
    meeting: pd.DataFrame | None = None  # meeting_table(lists), when worked out beforehand

    @property
    def empty(self) -> bool:
        return self.lists.empty


def default_as_of(first_day: dt.date | None, today: dt.date) -> dt.date:
    """The scheduling meeting's date: the first day of the trust's bookings (a bookings file is
    sent on the day its first list is planned from), or today when there are none."""
    return first_day if first_day is not None else today


def look_ahead(engine: Engine, trust: str, as_of: dt.date, target: float) -> LookAheadView:
    """Read a trust's bookings and history medians once and run the look-ahead as of ``as_of``."""
    bookings = store.read_bookings(engine, trust)
    medians, history = store.read_medians(engine, trust)
    per_list = lookahead.lookahead(bookings, None, as_of, target, medians=medians)
    cases = lookahead.expected_case_minutes(bookings, None, as_of, medians=medians)
    sources = _sources(cases["expected_source"])
    kept, outside = _in_window(per_list, medians[1])
    return LookAheadView(kept, sources, history, as_of, target, outside)


@dataclass(frozen=True)
class EveryTrust:
    """The look-ahead of every trust with bookings, each as of its own first booked day (the
    page's default): what the overview sums, and each trust's view without running it again."""

    lists: pd.DataFrame  # every list 0-42 days out, as LookAheadView.lists, all trusts
    sources: pd.DataFrame  # per trust with bookings and source: trust_code, expected_source, cases
    dates: pd.DataFrame  # store.booking_dates: trust_code, first_day, last_day, rows
    outside: pd.Series  # per trust: booked lists outside its six weeks
    as_of: dict[str, dt.date]
    target: float


def every_trust(engine: Engine, target: float, today: dt.date) -> EveryTrust:
    """The look-ahead of every trust as of its own first booked day (:func:`default_as_of`).

    From the look-ahead list mart (:mod:`productivity.store.mart_lookahead`: every booked
    list's sums, built with the marts), to which only the as-of dates and the target are
    applied here: what :func:`every_trust_from_bookings` gives, without reading every booking.
    Each list's figures depend only on its own cases and its trust's medians, so a trust's rows
    are those :func:`look_ahead` gives it (:func:`trust_view`).
    """
    dates = store.booking_dates(engine)
    sums, counts = lists_mart.every_list(engine)
    if dates.empty or sums.empty:  # nothing booked: the empty frames typed as the run types them
        return every_trust_from_bookings(engine, target, today)
    as_of = _as_of_by_trust(dates, today)
    by_specialty = marts.read_mart(engine, marts.EXPECTED_SPECIALTY)
    # The order every_trust_from_bookings runs them in: by as-of date, then as booked.
    day = sums["trust_code"].map(as_of)
    order = np.lexsort((sums["list_order"].to_numpy(), sums["trust_code"].to_numpy(dtype=str),
                        pd.to_datetime(day).to_numpy()))  # fmt: skip
    sums = sums.iloc[order].reset_index(drop=True)
    sums = sums.drop(columns="list_order")
    per_list = lookahead.list_outlook(sums, pd.Series(day.to_numpy()[order]), target)
    return _every(per_list, by_specialty, counts, dates, as_of, target)


def every_trust_from_bookings(engine: Engine, target: float, today: dt.date) -> EveryTrust:
    """:func:`every_trust` run over every booking and every median: one read of each, and the
    look-ahead once per distinct as-of date (usually one), not once per trust."""
    dates = store.booking_dates(engine)
    as_of = _as_of_by_trust(dates, today)
    bookings = store.read_bookings(engine)
    medians, _ = store.read_medians(engine)
    # Expected minutes of a booked case do not depend on the as-of date (only its window does).
    cases = lookahead.expected_case_minutes(bookings, None, today, medians=medians)
    parts = []
    for day in sorted(set(as_of.values())):
        trusts = [t for t, d in as_of.items() if d == day]
        chosen = bookings["trust_code"].isin(trusts).to_numpy()
        mine = cases[cases["trust_code"].isin(trusts).to_numpy()]
        parts.append(
            lookahead.lookahead(bookings[chosen], None, day, target, medians=medians, cases=mine)
        )
    if parts:
        per_list = pd.concat(parts, ignore_index=True)
    else:
        per_list = lookahead.lookahead(bookings, None, today, target, medians=medians, cases=cases)
    counts = pd.crosstab(cases["trust_code"], cases["expected_source"])
    return _every(per_list, medians[1], counts, dates, as_of, target)


def _as_of_by_trust(dates: pd.DataFrame, today: dt.date) -> dict[str, dt.date]:
    return {t: default_as_of(d, today) for t, d in zip(dates["trust_code"], dates["first_day"],
                                                       strict=True)}  # fmt: skip


def _every(
    per_list: pd.DataFrame,
    by_specialty: pd.DataFrame,
    counts: pd.DataFrame,
    dates: pd.DataFrame,
    as_of: dict[str, dt.date],
    target: float,
) -> EveryTrust:
    """:class:`EveryTrust` of every booked list's look-ahead; ``counts`` holds each trust's
    booked cases per source (a column per source, or ``source_<name>``)."""
    kept, _ = _in_window(per_list, by_specialty)
    outside = per_list.loc[per_list["weeks_out"].isna().to_numpy(), "trust_code"].value_counts()
    counts = counts.set_axis([str(c).removeprefix("source_") for c in counts.columns], axis=1)
    counts = counts.reindex(index=list(dates["trust_code"]), columns=list(lookahead.SOURCES),
                            fill_value=0).astype("int64")  # fmt: skip
    sources = (
        counts.rename_axis(index="trust_code", columns=None)
        .reset_index()
        .melt(id_vars="trust_code", var_name="expected_source", value_name="cases")
        .sort_values("trust_code", kind="stable", ignore_index=True)
    )
    return EveryTrust(kept, sources, dates, outside, as_of, target)


def trust_view(every: EveryTrust, trust: str, history: store.History) -> LookAheadView | None:
    """A trust's look-ahead as of its first booked day, taken from :func:`every_trust` (None
    for a trust without bookings); ``history`` is the trust's (``store.read_medians``)."""
    if trust not in every.as_of:
        return None
    mine = (every.lists["trust_code"] == trust).to_numpy()
    lists = every.lists[mine].reset_index(drop=True)
    # One trust's meeting table, worked out here rather than every trust's at the first render.
    meeting = meeting_table(lists)
    counts = every.sources[(every.sources["trust_code"] == trust).to_numpy()]
    # Each case's source again (their order does not count): what _sources counts.
    source = pd.Series(np.repeat(counts["expected_source"].to_numpy(dtype=object),
                                 counts["cases"].to_numpy()), dtype="string")  # fmt: skip
    outside = int(every.outside.get(trust, 0))
    as_of = every.as_of[trust]
    return LookAheadView(lists, _sources(source), history, as_of, every.target, outside, meeting)


def trust_look_ahead(
    engine: Engine, every: EveryTrust, trust: str, as_of: dt.date
) -> LookAheadView:
    """:func:`look_ahead` of ``trust`` as of ``as_of`` at ``every``'s target: taken from
    ``every`` when ``as_of`` is the trust's first booked day (the page's default), else run."""
    if every.as_of.get(trust) == as_of:
        _, history = store.read_medians(engine, trust)
        found = trust_view(every, trust, history)
        if found is not None:
            return found
    if not store.has_bookings(engine, trust):
        return _without_bookings(engine, every, trust, as_of)
    return look_ahead(engine, trust, as_of, every.target)


def _without_bookings(
    engine: Engine, every: EveryTrust, trust: str, as_of: dt.date
) -> LookAheadView:
    """:func:`look_ahead` of a trust without a single booking, whatever the date: no list, no
    case (its empty table's columns are ``every``'s), and its history."""
    _, history = store.read_medians(engine, trust)
    lists = every.lists.iloc[:0].reset_index(drop=True)
    sources = _sources(pd.Series(dtype="string"))
    return LookAheadView(lists, sources, history, as_of, every.target, 0)


def _sources(source: pd.Series) -> pd.DataFrame:
    """Booked cases per source of their expected minutes (every source, 0 when none)."""
    return (
        source.value_counts()
        .reindex(list(lookahead.SOURCES), fill_value=0)
        .rename_axis("expected_source")
        .rename("cases")
        .reset_index()
    )


def _in_window(per_list: pd.DataFrame, by_specialty: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """The lists 0-42 days out, with their specialty's typical procedure and weekday, and the
    number of lists outside the six weeks; ``by_specialty`` is the medians' second table."""
    typical = by_specialty[["trust_code", "specialty", "typical_procedure"]]
    per_list = per_list.merge(typical, on=["trust_code", "specialty"], how="left")
    inside = per_list["weeks_out"].notna()
    kept = per_list[inside.to_numpy()].reset_index(drop=True)
    kept["weekday"] = pd.to_datetime(kept["session_date"]).dt.day_name()
    return kept, int((~inside).sum())


def filter_lists(lists: pd.DataFrame, window: int | None, flagged_only: bool) -> pd.DataFrame:
    """The lists of one weeks-out window (None = all), optionally only those flagged."""
    return lists[_kept(lists, window, flagged_only)].reset_index(drop=True)


def meeting_rows(view: LookAheadView, window: int | None, flagged_only: bool) -> pd.DataFrame:
    """:func:`meeting_table` of :func:`filter_lists` (its rows of ``view.meeting`` when that was
    worked out beforehand: each row is its own list's)."""
    if view.meeting is None:
        return meeting_table(filter_lists(view.lists, window, flagged_only))
    return view.meeting[_kept(view.lists, window, flagged_only)].reset_index(drop=True)


def _kept(lists: pd.DataFrame, window: int | None, flagged_only: bool) -> np.ndarray:
    keep = pd.Series(True, index=lists.index)
    if window is not None:
        keep &= lists["weeks_out"] == window
    if flagged_only:
        keep &= lists["flagged"]
    return keep.to_numpy(dtype=bool)


def window_summary(lists: pd.DataFrame) -> pd.DataFrame:
    """Per window (6, 4, 2 weeks out): lists, flagged lists, unfilled hours, cases to fill."""
    frame = lists.assign(
        lists=1,
        unfilled_hours=lists["unfilled_minutes"].where(lists["flagged"], 0.0) / 60,
        cases_to_fill=lists["cases_to_fill"].where(lists["flagged"], 0).fillna(0),
    )
    sums = frame.groupby("weeks_out")[["lists", "flagged", "unfilled_hours", "cases_to_fill"]].sum()
    sums = sums.reindex([w for _, w in reversed(lookahead.WINDOWS)], fill_value=0)
    out = sums.rename_axis("weeks_out").reset_index()
    out["unfilled_hours"] = out["unfilled_hours"].round(2)
    return out.astype({"weeks_out": "int64", "lists": "int64", "flagged": "int64",
                       "cases_to_fill": "int64"})[list(SUMMARY_COLUMNS)]  # fmt: skip


def window_tile(summary: pd.DataFrame, weeks: int) -> tuple[str, str]:
    """A window's tile: "312 of 350" flagged, and its unfilled hours and cases in the help."""
    row = summary.loc[weeks].astype(float)
    value = f"{row['flagged']:,.0f} of {row['lists']:,.0f}"
    note = (
        f"{row['unfilled_hours']:,.0f} unfilled hours on the flagged lists; "
        f"{row['cases_to_fill']:,.0f} cases of the specialty's typical length would fill them."
    )
    return value, note


def fill_with(lists: pd.DataFrame) -> pd.Series:
    """How each flagged list's gap could be filled, in words: "2 cases of about 65 min
    (most often T20.1)"; empty for a list at or above the benchmark."""
    cases = lists["cases_to_fill"]
    median = lists["specialty_median_minutes"]
    typical = lists.get("typical_procedure", pd.Series(pd.NA, index=lists.index))
    # A trust with bookings but no case history has no cases to fill (NA): compare as False.
    one, none_fit = cases.eq(1).fillna(False), cases.eq(0).fillna(False)
    words = (
        cases.astype("string") + np.where(one.to_numpy(bool), " case", " cases") + " of about "
        + median.round().astype("Int64").astype("string") + " min"
        + (" (most often " + typical.astype("string") + ")").fillna("")
    )  # fmt: skip
    none = "no history for the specialty: fill by hand"
    words = words.mask(cases.isna(), none).mask(none_fit, "less than one typical case")
    return words.where(lists["flagged"], "")


def meeting_table(lists: pd.DataFrame) -> pd.DataFrame:
    """The lists as the scheduling meeting reads them: flags in words, the gap in cases."""
    if lists.empty:
        return pd.DataFrame(columns=list(MEETING_COLUMNS))
    out = lists.assign(
        session_date=pd.to_datetime(lists["session_date"]).dt.strftime("%Y-%m-%d"),
        planned_start=pd.to_datetime(lists["planned_start"]).dt.strftime("%H:%M"),
        planned_end=pd.to_datetime(lists["planned_end"]).dt.strftime("%H:%M"),
        flag=np.where(lists["flagged"], FLAG, OK),
        fill_with=fill_with(lists),
        check=np.where(
            lists["estimate_incomplete"],
            lists["unestimated_cases"].astype("str") + " case(s) without an estimate",
            "",
        ),
        expected_minutes=lists["expected_minutes"].round(0),
        unfilled_minutes=lists["unfilled_minutes"].round(0),
    )
    return out[list(MEETING_COLUMNS)].astype({"weeks_out": "int64"})


def history_note(view: LookAheadView) -> str:
    """Where the expected minutes came from, with the history's size, in one sentence."""
    history = view.history
    if history.empty:
        return (
            "No completed cases of this trust in the store: only the surgeons' booked minutes "
            "give estimates. Import the theatre extract to use the trust's own history."
        )
    used = "; ".join(
        f"{int(n):,} from {SOURCE_TEXT[source]}"
        for source, n in zip(view.sources["expected_source"], view.sources["cases"], strict=True)
        if n
    )
    return (
        f"Expected minutes come from the trust's own history: {history.cases:,} completed "
        f"cases from {_day(history.first_day)} to {_day(history.last_day)} (median touch "
        f"minutes per procedure code with at least {lookahead.MIN_PROCEDURE_CASES} cases, else "
        f"per specialty). Booked cases: {used or 'none'}."
    )


def _day(text: str | None) -> str:
    return "–" if not text else f"{pd.Timestamp(text):%-d %b %Y}"


def trust_overview(every: EveryTrust) -> pd.DataFrame:
    """Every trust with bookings, each as of its own first booked day (:func:`every_trust`):
    lists in the next six weeks, lists flagged at 6, 4 and 2 weeks out, and the unfilled hours
    of flagged lists."""
    columns = ["trust_code", "as_of", "lists", "flagged_6", "flagged_4", "flagged_2",
               "unfilled_hours", "link"]  # fmt: skip
    if every.dates.empty:
        return pd.DataFrame(columns=columns)
    lists = every.lists
    flagged = lists[lists["flagged"].to_numpy()]
    counts = flagged.groupby(["trust_code", "weeks_out"]).size().unstack(fill_value=0)
    out = pd.DataFrame({"trust_code": every.dates["trust_code"]})
    out["as_of"] = out["trust_code"].map(every.as_of)
    out["lists"] = out["trust_code"].map(lists.groupby("trust_code").size()).fillna(0)
    for weeks in (6, 4, 2):
        found = counts[weeks] if weeks in counts else pd.Series(dtype="int64")
        out[f"flagged_{weeks}"] = out["trust_code"].map(found).fillna(0).astype("int64")
    hours = flagged.groupby("trust_code")["unfilled_minutes"].sum() / 60
    out["unfilled_hours"] = out["trust_code"].map(hours).fillna(0.0).round(1)
    out["link"] = [f"{PAGE}?{urlencode({'trust': t})}" for t in out["trust_code"]]
    return out.astype({"lists": "int64"})[columns]
