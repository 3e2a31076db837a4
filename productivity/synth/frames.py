"""Deterministic synthetic demo data for the Cheshire & Merseyside collaborative, as DataFrames.

Pure pandas/numpy (plus the stdlib and ``settings`` for the reference files): no database,
SQLModel or Streamlit import. :func:`build_frames` returns every source in the normalised shapes of
:mod:`productivity.schema`, and the store loader writes them. :func:`theatre_frames` and
:func:`imaging_frames` generate the same data at any scale for the performance harness, and
:func:`theatre_extract` renders lists and cases as the canonical theatre extract of SPEC §3.
This module is the public face: it assembles the demo and re-exports the generators' public
names, while the work lives in ``synth_calendar`` (window, days, seeds), ``synth_columns``
(arrays to columns), ``synth_trusts`` (trust profiles), ``synth_theatre`` and
``synth_diagnostics``.

Everything is drawn from ``np.random.SeedSequence(seed, spawn_key=...)``, one child generator per
source and trust keyed by name, so the same arguments always give identical frames and adding a
source or trust never shifts the others. :data:`DEMO_END_MONTH` anchors the calendar.

The trusts differ on purpose: capped utilisation runs from about 65% (REP, REN) to about 88%
(RBN), late starts from about 5 to 35 minutes, and scans per hour sit either side of the
benchmarks. Planted signals, so that SPC and the rankings have a story to find (also in
:data:`PLANTED_SIGNALS`):

* RBL (Wirral): theatre capped utilisation steps up by about 8 points in the last 6 months
  (a Theatre Academy change that worked: on-time starts and fuller lists).
* RWW (Warrington & Halton): capped utilisation drifts down about 1 point a month over the
  last 12 months, with later starts: a deteriorating unit.
* RBT (Mid Cheshire): an MRI upgrade 6 months before the end adds about 4 scans per MRI
  scanner per operational day (about 1,056 more scans a year per machine).
* DM01 waits improve gently across the system (mean waits shorten about 1% a month).
* Deprivation: at REM and RBN patients from more deprived IMD quintiles wait longer; the other
  trusts show no gradient.
* Turnaround and attendance (:mod:`productivity.synth.turnaround`): RJR's CT reporting backlog
  grows, RBN's histopathology lab dips after the Christmas and Easter bank holidays, and DNA
  rates rise with deprivation except at RBL (a reminder scheme).

The other trusts are stable, with month-to-month noise only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields

import pandas as pd

from productivity import schema
from productivity.synth.bookings import make_bookings
from productivity.synth.dates import DEMO_END_MONTH, month_window
from productivity.synth.diagnostics import (
    DM01_IMD_COLUMNS,
    imaging_frames,
    make_dm01,
    make_dm01_imd,
    make_echo,
    make_endoscopy,
    make_imaging,
)
from productivity.synth.extracts import theatre_extract
from productivity.synth.theatre import make_theatres, theatre_frames
from productivity.synth.trusts import ACUTE_PROFILES, TRUSTS, unit_count
from productivity.synth.turnaround import (
    TURNAROUND_SIGNALS,
    make_appointments,
    make_pathology,
    make_reporting,
)

__all__ = [
    "DEMO_END_MONTH", "DM01_IMD_COLUMNS", "PLANTED_SIGNALS", "DemoFrames", "build_frames",
    "borrowed_deprivation", "imaging_frames", "theatre_extract", "theatre_frames",
]  # fmt: skip

PLANTED_SIGNALS: dict[str, str] = {
    "RBL": "Theatres: capped utilisation steps up about 8 points for the last 6 months "
    "(a Theatre Academy change that worked).",
    "RWW": "Theatres: capped utilisation falls steadily, about 1 point a month over the last "
    "12 months, with later starts (deteriorating).",
    "RBT": "Imaging: MRI gains about 4 scans per scanner per operational day for the last "
    "6 months (new technology: about 1,056 more MRI scans a year per machine).",
    "REM": "DM01 deprivation lens: more deprived IMD quintiles wait longer.",
    "RBN": "DM01 deprivation lens: more deprived IMD quintiles wait longer.",
}
# Reporting, pathology and attendance signals (synth/turnaround.py), added to a trust's story.
for _code, _signal in TURNAROUND_SIGNALS.items():
    PLANTED_SIGNALS[_code] = (
        f"{PLANTED_SIGNALS[_code]} {_signal}" if _code in PLANTED_SIGNALS else _signal
    )


@dataclass(frozen=True, eq=False)
class DemoFrames:
    """Every synthetic source, in the normalised shapes of :mod:`productivity.schema`."""

    lists: pd.DataFrame  # schema.LIST_COLUMNS
    cases: pd.DataFrame  # schema.CASE_COLUMNS
    imaging: pd.DataFrame  # schema.IMAGING_COLUMNS
    endoscopy: pd.DataFrame  # schema.ENDOSCOPY_COLUMNS
    echo: pd.DataFrame  # schema.ECHO_COLUMNS
    dm01: pd.DataFrame  # schema.DM01_COLUMNS
    dm01_imd: pd.DataFrame  # DM01_IMD_COLUMNS
    reporting: pd.DataFrame  # schema.REPORTING_EVENT_COLUMNS
    pathology: pd.DataFrame  # schema.PATHOLOGY_SPECIMEN_COLUMNS
    appointments: pd.DataFrame  # schema.APPOINTMENT_COLUMNS
    bookings: pd.DataFrame  # schema.BOOKING_COLUMNS: the six weeks after the window

    def tables(self) -> dict[str, pd.DataFrame]:
        """The frames by name, in a stable order (lists before cases)."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


def build_frames(seed: int = 1, months: int = 12, end_month: str = DEMO_END_MONTH) -> DemoFrames:
    """The whole demo: the 12 trusts' theatres, imaging, endoscopy, echo, DM01 and IMD lens,
    imaging reporting, histopathology and appointments.
    Theatre bookings for the six weeks after the window (the 6-4-2 look-ahead) come last.

    ``months`` whole calendar months ending with ``end_month``. The same arguments always give
    identical frames.

    Raises:
        ValueError: for fewer than one month or a malformed ``end_month``.
    """
    window = month_window(months, end_month, None)
    theatres = [(code, trust, unit_count(trust, "theatre")) for code, trust in TRUSTS.items()]
    scanners = [(code, trust, unit_count(trust, "scanner")) for code, trust in TRUSTS.items()]
    lists, cases = make_theatres(seed, theatres, window)
    imaging = make_imaging(seed, scanners, window)
    echo = make_echo(seed, window)
    dm01 = make_dm01(seed, window, imaging, echo)
    return DemoFrames(
        lists=lists,
        cases=cases,
        imaging=imaging,
        endoscopy=make_endoscopy(seed, window),
        echo=echo,
        dm01=dm01,
        dm01_imd=make_dm01_imd(seed, dm01),
        reporting=make_reporting(seed, window),
        pathology=make_pathology(seed, window),
        appointments=make_appointments(seed, window),
        bookings=make_bookings(seed, theatres, window[-1] + 1),
    )


def borrowed_deprivation(
    seed: int, codes: Sequence[str], months: int = 12, end_month: str = DEMO_END_MONTH
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """DM01 waits, their IMD split and appointments for the scale frames' synthetic trusts
    ``codes`` (X01, ...), which :func:`theatre_frames` gives theatres and scanners but no
    deprivation lens: each borrows an acute demo trust's profile (catchment, waits, scanners),
    in turn, drawn on streams of its own (one seed per round of profiles), so no two trusts'
    figures are the same. Same shapes as :class:`DemoFrames`' ``dm01``, ``dm01_imd`` and
    ``appointments``; the demo's own frames are not touched.
    """
    if not codes:
        return (pd.DataFrame(columns=list(schema.DM01_COLUMNS)),
                pd.DataFrame(columns=list(DM01_IMD_COLUMNS)),
                pd.DataFrame(columns=list(schema.APPOINTMENT_COLUMNS)))  # fmt: skip
    window = month_window(months, end_month, None)
    scanners = [(code, trust, unit_count(trust, "scanner")) for code, trust in TRUSTS.items()]
    dm01: list[pd.DataFrame] = []
    imd: list[pd.DataFrame] = []
    appointments: list[pd.DataFrame] = []
    for start in range(0, len(codes), len(ACUTE_PROFILES)):
        chunk = codes[start : start + len(ACUTE_PROFILES)]
        named = dict(zip(ACUTE_PROFILES, chunk, strict=False))  # profile -> synthetic code
        round_seed = seed + 1_000 * (start // len(ACUTE_PROFILES) + 1)
        echo = make_echo(round_seed, window)
        waits = make_dm01(round_seed, window, make_imaging(round_seed, scanners, window), echo)
        by_quintile = make_dm01_imd(round_seed, waits)
        booked = make_appointments(round_seed, window)
        for frame, column, parts in (
            (waits, "provider_code", dm01), (by_quintile, "provider_code", imd),
            (booked, "trust_code", appointments),
        ):  # fmt: skip
            mine = frame[frame[column].isin(list(named))]
            parts.append(mine.assign(**{column: mine[column].map(named).astype("str")}))
    out: pd.DataFrame = pd.concat(dm01, ignore_index=True)
    out["provider_name"] = "Synthetic trust " + out["provider_code"]
    return out, pd.concat(imd, ignore_index=True), pd.concat(appointments, ignore_index=True)
