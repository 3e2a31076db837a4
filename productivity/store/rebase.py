"""Manual SPC rebases: a date and a reason from which a unit's limits are recalculated.

Example::

    add_rebase(engine, "theatre:RBL/RBL01/Theatre 3", "theatre_capped_utilisation",
               "2026-05-04", "New start-time huddle from the Theatre Academy", "j.smith")
    list_rebases(engine, "theatre:RBL/RBL01/Theatre 3", "theatre_capped_utilisation")

A rebase is keyed by unit, metric and date (the ``rebase`` table), stored once and shown to every
user of that unit's chart. Writes are parameterised and run in one transaction; bad input raises
:class:`productivity.errors.InputError` naming the field, so a page can show it beside the form.
Who may rebase is decided by the page (``auth.require_data_manager``), not here.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError

from productivity.errors import InputError, Problem
from productivity.store import models
from productivity.store.db import write_transaction

SOURCE = "rebase"  # the "file" an InputError names: the rebase form or call
MAX_REASON = 500  # characters: a sentence or two, enough to say what changed and why
COLUMNS = ("date", "reason", "created_by", "created_at")
_TABLE = models.table_of(models.Rebase)


def _as_date(value: object) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        return None


def add_rebase(
    engine: Engine,
    unit: str,
    metric: str,
    date: dt.date | str,
    reason: str,
    user: str,
    *,
    today: dt.date | None = None,
) -> None:
    """Store a rebase of ``metric``'s SPC chart for ``unit`` from ``date``.

    Raises:
        InputError: an empty unit, metric or user; a date that is not ``YYYY-MM-DD`` or lies
            after ``today``; an empty or over-long reason; or a rebase already stored for this
            unit and metric on that date. Every problem found is listed.
    """
    problems: list[Problem] = []

    def problem(column: str, value: object, message: str) -> None:
        problems.append(Problem(SOURCE, None, column, None if value is None else str(value),
                                message))  # fmt: skip

    for column, value in (("unit", unit), ("metric", metric), ("user", user)):
        if not str(value or "").strip():
            problem(column, value, f"a rebase needs a {column}")
    day = _as_date(date)
    if day is None:
        problem("date", date, "the date must be a date (YYYY-MM-DD)")
    elif day > (today or dt.date.today()):
        problem("date", day.isoformat(), "a rebase cannot start in the future")
    text = (reason or "").strip()
    if not text:
        problem("reason", reason, "give a reason: what changed on this date")
    elif len(text) > MAX_REASON:
        problem("reason", None, f"the reason is {len(text)} characters; keep it to {MAX_REASON}")
    if problems:
        raise InputError(problems)
    duplicate = InputError.single(
        SOURCE,
        "this unit's chart already has a rebase on that date",
        column="date",
        value=day.isoformat() if day else date,
    )
    values = {
        "unit": unit.strip(),
        "metric": metric.strip(),
        "date": day,
        "reason": text,
        "created_by": user.strip(),
        "created_at": models.utc_now(),
    }
    key = (_TABLE.c.unit == values["unit"]) & (_TABLE.c.metric == values["metric"])
    try:
        with write_transaction(engine) as conn:
            if conn.execute(select(_TABLE.c.id).where(key & (_TABLE.c.date == day))).first():
                raise duplicate
            conn.execute(_TABLE.insert().values(values))
    except IntegrityError:  # a concurrent insert of the same rebase won the race
        raise duplicate from None


def list_rebases(engine: Engine, unit: str, metric: str) -> pd.DataFrame:
    """The unit's rebases of ``metric``, oldest first: ``date, reason, created_by, created_at``."""
    query = (
        select(*[_TABLE.c[c] for c in COLUMNS])
        .where((_TABLE.c.unit == unit) & (_TABLE.c.metric == metric))
        .order_by(_TABLE.c.date)
    )
    with engine.connect() as conn:
        frame = pd.read_sql_query(query, conn)
    frame["date"] = pd.to_datetime(frame["date"]).dt.date
    return frame
