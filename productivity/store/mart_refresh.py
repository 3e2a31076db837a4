"""Refresh the marts after an import: only what it touched, inside the import's transaction.

Example::

    with db.write_transaction(engine) as conn:
        fresh = marts_current(conn)          # before the file's rows go in
        ...store the file, record its run...
        if fresh:
            refresh_marts(conn, "theatre", {"RBL": {"2026-05"}})

A full rebuild reads every case in the store (about 30 s at region scale); an import of one
trust's month changes only that trust's rows. So, by the kind of file:

- **theatre**: the list-level marts (lists, gaps, month, week and trust-gap sums, day cases,
  data-quality counts) are recomputed for the touched trust-months and replace those rows; the
  look-ahead's history medians, which span each trust's last 12 months, and the theatre report
  over each trust's every month (``mart_theatre_trust``) are recomputed for the touched trusts.
  Every one of these marts is keyed by trust and month, and a case counts in the month of its
  list (a case running past midnight into the next month stays with its list), so nothing
  outside the touched trust-months can change.
- **imaging, endoscopy, echo, reporting, pathology, appointments**: that kind's marts alone are
  rebuilt (they are small, and the turnaround marts classify every event against its trust's
  latest one).
- **bookings**: the look-ahead list mart's rows of the trusts in the file (every other mart
  ignores bookings); a theatre import replaces them for its touched trusts too, as their
  history medians change.
- **DM01, deprivation**: no mart reads them.

Everything is written through the caller's connection, so the refresh commits or rolls back with
the import: a reader sees the marts before the file or after it, never half of them. It is only
valid when the marts were current before the import (the caller checks
:func:`~productivity.store.mart_build.marts_current` first); the build row then gets a new build
stamp and the store's data stamp, so the marts stay current. Imports no Streamlit.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping
from contextlib import contextmanager
from typing import cast

import pandas as pd
from sqlalchemy import Connection, Engine, bindparam, text

from productivity.benchmarks import Benchmarks, load_benchmarks
from productivity.metrics import theatre
from productivity.store.attendance import build_attendance_mart
from productivity.store.mart_build import (
    build_diagnostic_marts,
    data_stamp,
    index_mart,
    insert_rows,
    theatre_frames,
    theatre_marts,
    write_build_row,
    write_mart,
)
from productivity.store.mart_lookahead import mart_frame as lookahead_frame
from productivity.store.mart_reads import records_frame
from productivity.store.mart_tables import (
    DAYCASE,
    EXPECTED_PROCEDURE,
    EXPECTED_SPECIALTY,
    LOOKAHEAD_LIST,
    MONTH_KEYS,
    QUALITY,
    THEATRE_GAP,
    THEATRE_GAP_TRUST,
    THEATRE_LIST,
    THEATRE_MONTH,
    THEATRE_TRUST,
    THEATRE_WEEK,
    TRUST_GAP_KEYS,
    WEEK_KEYS,
)
from productivity.store.theatre_report import refreshed_trust_rows
from productivity.store.turnaround import build_turnaround_marts

# Marts keyed by trust and month: the touched trust-months' rows are replaced.
TRUST_MONTH_MARTS = (THEATRE_LIST, THEATRE_GAP, THEATRE_MONTH, THEATRE_WEEK, THEATRE_GAP_TRUST,
                     DAYCASE, QUALITY)  # fmt: skip
# Marts keyed by trust alone (the look-ahead's 12-month history, the whole-period theatre
# report, the booked lists' look-ahead with that history's medians): the touched trusts' rows.
TRUST_MARTS = (EXPECTED_PROCEDURE, EXPECTED_SPECIALTY, THEATRE_TRUST, LOOKAHEAD_LIST)
# Kinds whose marts are rebuilt whole (small), and kinds no mart reads.
WHOLE_KINDS = ("imaging", "endoscopy", "echo", "reporting", "pathology", "appointments")

Scope = Mapping[str, Collection[str]]  # trust code -> the YYYY-MM months an import touched


class _InTransaction:
    """An engine stand-in for the builders that open ``engine.connect()``: it hands them the
    caller's connection, so they read the rows the transaction has just written."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    @contextmanager
    def connect(self) -> Iterator[Connection]:
        yield self.conn


def refresh_marts(
    conn: Connection, kind: str, scope: Scope, benchmarks: Benchmarks | None = None
) -> dict[str, int]:
    """Bring current marts up to date with an import of ``kind`` that touched ``scope``,
    inside the caller's transaction. Returns the rows written per mart refreshed."""
    benchmarks = benchmarks or load_benchmarks()
    written: dict[str, int] = {}
    if kind == "theatre" and scope:
        written = _refresh_theatre(conn, benchmarks, scope)
    elif kind in WHOLE_KINDS:
        written = _rebuild_kind(conn, kind, benchmarks)
    elif kind == "bookings" and scope:
        written = _refresh_lookahead(conn, set(scope))
    write_build_row(conn, benchmarks, data_stamp(conn))
    return written


def _refresh_theatre(conn: Connection, benchmarks: Benchmarks, scope: Scope) -> dict[str, int]:
    if conn.execute(text(f'SELECT count(*) FROM "{THEATRE_LIST}"')).scalar_one() == 0:
        # Built from an empty store, the marts' column types came from empty frames: write
        # them whole, as a full rebuild would, rather than append to them.
        return _rebuild_kind(conn, "theatre", benchmarks)
    per_list, gaps, from_cases = theatre_frames(conn, benchmarks, scope)
    per_list = per_list[per_list["month"] != ""]  # the empty store's placeholder frame
    trust_gaps = gaps.groupby([*TRUST_GAP_KEYS, "gap_minutes"], as_index=False)[["gaps"]].sum()
    by_month = {
        THEATRE_LIST: per_list,
        THEATRE_GAP: gaps,
        THEATRE_MONTH: theatre.sum_lists(per_list, MONTH_KEYS),
        THEATRE_WEEK: theatre.sum_lists(per_list, WEEK_KEYS),
        THEATRE_GAP_TRUST: trust_gaps.astype({"gaps": "int64"}),
        DAYCASE: from_cases[DAYCASE],
        QUALITY: from_cases[QUALITY],
    }
    for name, frame in by_month.items():
        for trust, months in scope.items():
            _delete(conn, name, trust, sorted(months))
        _append(conn, name, frame)
    # A trust's whole-period report spans all its months: read once its months are replaced.
    target = benchmarks.value("theatre_capped_utilisation")
    by_trust = dict(from_cases) | {THEATRE_TRUST: refreshed_trust_rows(conn, list(scope), target)}
    if _is_empty(conn, LOOKAHEAD_LIST):  # typed by an empty frame: written whole below
        by_trust[LOOKAHEAD_LIST] = by_trust[EXPECTED_PROCEDURE].iloc[:0]
    else:
        medians = (from_cases[EXPECTED_PROCEDURE], from_cases[EXPECTED_SPECIALTY])
        by_trust[LOOKAHEAD_LIST] = lookahead_frame(conn, medians, list(scope))
    for name in TRUST_MARTS:
        for trust in scope:
            _delete(conn, name, trust)
        _append(conn, name, by_trust[name])
    written = {name: len(frame) for name, frame in by_month.items()} | {
        name: len(by_trust[name]) for name in TRUST_MARTS
    }
    if _is_empty(conn, LOOKAHEAD_LIST):
        written |= _refresh_lookahead(conn, set(scope))
    return written


def _refresh_lookahead(conn: Connection, trusts: set[str]) -> dict[str, int]:
    """The look-ahead list mart's rows of ``trusts`` from their bookings and the history
    medians as the transaction sees them (after a bookings import, or a theatre one that
    changed the medians); the whole mart when it is empty (typed by an empty frame then)."""
    whole = _is_empty(conn, LOOKAHEAD_LIST)
    chosen = None if whole else sorted(trusts)
    medians = (_trust_rows(conn, EXPECTED_PROCEDURE, chosen),
               _trust_rows(conn, EXPECTED_SPECIALTY, chosen))  # fmt: skip
    frame = lookahead_frame(conn, medians, chosen)
    if whole:
        conn.execute(text(f'DROP TABLE IF EXISTS "{LOOKAHEAD_LIST}"'))
        write_mart(conn, LOOKAHEAD_LIST, frame)
        index_mart(conn, LOOKAHEAD_LIST, frame)
    else:
        for trust in trusts:
            _delete(conn, LOOKAHEAD_LIST, trust)
        _append(conn, LOOKAHEAD_LIST, frame)
    return {LOOKAHEAD_LIST: len(frame)}


def _is_empty(conn: Connection, name: str) -> bool:
    return int(conn.execute(text(f'SELECT count(*) FROM "{name}"')).scalar_one()) == 0


def _trust_rows(conn: Connection, name: str, trusts: list[str] | None) -> pd.DataFrame:
    """A mart's rows (of ``trusts``), read through the transaction."""
    statement = f'SELECT * FROM "{name}"'
    if trusts is None:
        return records_frame(conn.execute(text(statement)))
    query = text(statement + " WHERE trust_code IN :trusts").bindparams(
        bindparam("trusts", expanding=True)
    )
    return records_frame(conn.execute(query, {"trusts": trusts}))


def _rebuild_kind(conn: Connection, kind: str, benchmarks: Benchmarks) -> dict[str, int]:
    """That kind's marts built again from the store (as the transaction sees it), replaced."""
    engine = cast(Engine, _InTransaction(conn))  # the builders only call connect()
    frames: dict[str, pd.DataFrame]
    if kind == "theatre":
        frames = theatre_marts(conn, benchmarks)
    elif kind in ("imaging", "endoscopy", "echo"):
        frames = build_diagnostic_marts(conn)
    elif kind in ("reporting", "pathology"):
        frames = build_turnaround_marts(engine, benchmarks)
    else:
        frames = build_attendance_mart(engine)
    for name, frame in frames.items():
        conn.execute(text(f'DROP TABLE IF EXISTS "{name}"'))
        write_mart(conn, name, frame)
        index_mart(conn, name, frame)
    return {name: len(frame) for name, frame in frames.items()}


def _delete(conn: Connection, name: str, trust: str, months: list[str] | None = None) -> None:
    """Delete a trust's rows (in those months) from mart ``name`` (a name of this module)."""
    statement = f'DELETE FROM "{name}" WHERE trust_code = :trust'
    params: dict[str, object] = {"trust": trust}
    if months is not None:
        statement += " AND month IN :months"
        params["months"] = months
        query = text(statement).bindparams(bindparam("months", expanding=True))
    else:
        query = text(statement)
    conn.execute(query, params)


def _append(conn: Connection, name: str, frame: pd.DataFrame) -> None:
    if not frame.empty:
        frame.to_sql(name, conn, index=False, if_exists="append", chunksize=100_000,
                     method=insert_rows)  # fmt: skip
