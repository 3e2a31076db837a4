"""The scheduler worker's heartbeat: the ``scheduler_status`` table, written and read.

One row per job (and one for the worker itself): its last run, that run's status and message,
and its next run. The worker (:mod:`productivity.scheduler`) writes it; the Data page reads it
through :func:`read_status`, so a page never needs to import the worker or APScheduler. The
table has its own ``MetaData``: it is the worker's, not part of the models' schema. Times are
stored in UTC like the other audit timestamps and read back in Europe/London time. Imports no
Streamlit and no APScheduler.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Engine
from sqlmodel.sql.sqltypes import UTCDateTime

from productivity import settings
from productivity.store import db
from productivity.store.retry import first_line

log = logging.getLogger("productivity.scheduler")

STATUS = sa.Table(
    "scheduler_status",
    sa.MetaData(),
    sa.Column("job", sa.String(64), primary_key=True),
    sa.Column("last_run_at", UTCDateTime()),
    sa.Column("last_status", sa.String(16)),  # ok | error | missed | running | stopped
    sa.Column("last_message", sa.Text),
    sa.Column("next_run_at", UTCDateTime()),
)
STATUS_COLUMNS = tuple(c.name for c in STATUS.columns)


def now() -> dt.datetime:
    """The time a status row records: timezone-aware UTC."""
    return dt.datetime.now(dt.UTC)


def ensure_status_table(engine: Engine) -> None:
    """Create ``scheduler_status`` if the store has none."""
    STATUS.create(engine, checkfirst=True)


def record_status(engine: Engine, rows: dict[str, dict[str, Any]]) -> None:
    """Upsert ``scheduler_status`` rows (job -> columns) in one transaction.

    Only the columns given change, so a job's run and the scheduler's next run time are
    recorded independently.
    """
    with db.write_transaction(engine) as conn:
        for job, values in rows.items():
            changed = conn.execute(sa.update(STATUS).where(STATUS.c.job == job).values(**values))
            if changed.rowcount == 0:
                conn.execute(sa.insert(STATUS).values(job=job, **values))


def record_quietly(engine: Engine, job: str, **values: Any) -> None:
    """:func:`record_status` for one job, logging a store error instead of raising it."""
    # The heartbeat must never take a job (or the worker) down with it.
    try:
        record_status(engine, {job: values})
    except sa_exc.SQLAlchemyError as error:
        log.warning("could not record status of %s: %s", job, first_line(error))


def read_status(engine: Engine | None = None) -> pd.DataFrame:
    """The worker's status, one row per job: last run, its status and message, next run.

    Times are timezone-aware, in Europe/London. Empty (with these columns) before a worker ran.
    """
    engine = engine or db.get_engine()
    rows: list[Any] = []
    if db.has_table(STATUS.name, engine):
        with engine.connect() as conn:
            rows = list(conn.execute(sa.select(STATUS).order_by(STATUS.c.job)).mappings())
    frame = pd.DataFrame(rows, columns=list(STATUS_COLUMNS))
    for column in ("last_run_at", "next_run_at"):
        frame[column] = pd.to_datetime(frame[column], utc=True).dt.tz_convert(settings.TIMEZONE)
    return frame
