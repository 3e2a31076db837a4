"""Synthetic theatre bookings for the 6-4-2 look-ahead: the six weeks after the demo's history.

The future lists and their eventual cases come from the same generator as the history
(:func:`productivity.synth.theatre.make_theatres`, on random streams of their own), so each
trust keeps its theatres, specialty mix and fill. What makes them bookings is under-booking that
eases as the day nears, as in a real 6-4-2 meeting: about 93% of a list's eventual cases are
booked 0-2 weeks out, 80% at 3-4 weeks and 62% at 5-6 weeks; a list whose cases are all still
to come is an unbooked list. Emergency (CEPOD) evening lists and emergency cases are never
booked ahead, so they are left out. A few trusts' systems send the surgeon's estimate of each
case (``booked_minutes``) and a consultant code; the others send neither, so the look-ahead
falls back on the trust's history; about 3% of bookings are a procedure variant with no history
at the trust (the specialty's median is used). Pure pandas/numpy: no database, SQLModel or
Streamlit.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from productivity import schema
from productivity.synth.dates import source_rng
from productivity.synth.theatre import make_theatres
from productivity.synth.trusts import Trust

LOOKAHEAD_DAYS = 42  # six weeks, the 6-4-2 horizon
# (last day out, share of a list's eventual cases booked by now), nearest first.
BOOKED_SHARE: tuple[tuple[int, float], ...] = ((14, 0.93), (28, 0.8), (42, 0.62))
# Trusts whose booking systems export the surgeon's estimate and the consultant.
ESTIMATE_TRUSTS: frozenset[str] = frozenset({"RBN", "REM", "RJN"})
RARE_SHARE = 0.03  # bookings of a procedure variant the trust has no history of


def make_bookings(
    seed: int, plan: list[tuple[str, Trust, int]], first_day: str | np.datetime64
) -> pd.DataFrame:
    """Bookings (:data:`productivity.schema.BOOKING_COLUMNS`) for the six weeks from
    ``first_day``: one row per booked case, one empty row per unbooked list.

    ``session_date`` is a datetime at midnight, ``planned_start``/``planned_end`` full datetimes
    (as the store holds them); ``booked_minutes`` is float (NaN where not sent).
    """
    start = np.datetime64(str(first_day), "D")
    end = start + LOOKAHEAD_DAYS
    months = np.arange(start.astype("datetime64[M]"), (end + 1).astype("datetime64[M]") + 1)
    lists, cases = make_theatres(seed, plan, months, source="bookings")
    dates = lists["session_date"].to_numpy(dtype="datetime64[D]")
    lists = lists[(dates >= start) & (dates < end) & (lists["session"] != "EVE").to_numpy()]
    cases = cases[cases["list_id"].isin(lists["list_id"]) & (cases["priority"] != "emergency")]

    rng = source_rng(seed, "bookings", "booked")
    day = lists.set_index("list_id")["session_date"].reindex(cases["list_id"]).to_numpy()
    days_out = (day.astype("datetime64[D]") - start).astype(np.int64)
    share = np.select(
        [days_out <= last for last, _ in BOOKED_SHARE], [s for _, s in BOOKED_SHARE], 0.0
    )
    booked = cases[rng.random(len(cases)) < share]

    touch = booked["out_of_theatre"] - booked["anaesthetic_start"].fillna(booked["into_theatre"])
    noise = np.exp(rng.normal(0, 0.2, len(booked)))
    estimate: pd.Series = (touch.dt.total_seconds() / 60 * noise).round(-1)
    merged = lists.merge(
        booked.drop(columns="specialty").assign(booked_minutes=estimate.clip(lower=10)),
        on="list_id",
        how="left",
    )
    sends = merged["trust_code"].isin(list(ESTIMATE_TRUSTS)) & merged["case_id"].notna()
    merged["booked_minutes"] = merged["booked_minutes"].where(sends)
    merged["consultant_code"] = _consultants(merged).where(sends)
    # A few bookings are a rarer variant of a common procedure ("T20.1" becomes "T20.8"), with
    # no history of its own at the trust: the look-ahead falls back on the specialty's median.
    rare = merged["case_id"].notna() & (rng.random(len(merged)) < RARE_SHARE)
    merged["procedure_code"] = merged["procedure_code"].mask(
        rare, merged["procedure_code"].str.slice(0, -1) + "8"
    )
    # Booking ids are not the history's case ids: "RBL-00001234" becomes "RBL-BK00001234".
    merged["case_id"] = merged["case_id"].str.replace("-", "-BK", n=1, regex=False)
    return merged[list(schema.BOOKING_COLUMNS)].reset_index(drop=True)


def _consultants(frame: pd.DataFrame) -> pd.Series:
    """A GMC-style code ("C" and 7 digits) per trust, theatre, weekday and session: a list's
    consultant is the same week after week."""
    weekday = pd.to_datetime(frame["session_date"]).dt.day_of_week.astype("str")
    key = frame["trust_code"] + "|" + frame["theatre"] + "|" + weekday + "|" + frame["session"]
    number = pd.util.hash_pandas_object(key, index=False).to_numpy() % np.uint64(10_000_000)
    return pd.Series("C" + pd.Series(number).astype("str").str.zfill(7).to_numpy(), frame.index)


def bookings_file(bookings: pd.DataFrame) -> pd.DataFrame:
    """Bookings as a trust would send them (SPEC §3 text): dates ``YYYY-MM-DD``, planned times
    ``HH:MM``, booked minutes as whole numbers, empty cells where nothing is known."""
    out = bookings.copy()
    out["session_date"] = pd.to_datetime(out["session_date"]).dt.strftime("%Y-%m-%d")
    for column in ("planned_start", "planned_end"):
        out[column] = pd.to_datetime(out[column]).dt.strftime("%H:%M")
    minutes = out["booked_minutes"].round().astype("Int64").astype("str")
    out["booked_minutes"] = minutes.where(out["booked_minutes"].notna(), "")
    return out.fillna("")
