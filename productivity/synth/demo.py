"""The built-in demo: load :mod:`productivity.synth` frames into the store, then build marts.

Example::

    python -m productivity demo --months 12 --seed 1

The demo replaces everything in the store (it is for trying the tool, not for real data) and
records an ``import_run`` with ``source="demo"``, which is how pages know to say the data is
synthetic. The same seed always gives an identical store.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
from sqlalchemy import Engine, delete
from sqlmodel import SQLModel

from productivity import settings
from productivity.ingest.store import start_run
from productivity.store import marts, models, reference
from productivity.store.db import bulk_insert, get_engine, init_db, write_transaction
from productivity.synth import frames as synth

# Children before parents, so deleting in this order respects the foreign keys.
DATA_TABLES = (
    models.TheatreBooking,
    models.TheatreCase,
    models.TheatreList,
    models.ScannerDay,
    models.EndoscopyList,
    models.EchoActivity,
    models.DM01Return,
    models.DM01Deprivation,
    models.ReportingEvent,
    models.PathologySpecimen,
    models.Appointment,
    models.Rebase,
    models.ImportRun,
)


def build_demo(engine: Engine | None = None, seed: int = 1, months: int = 12) -> dict[str, int]:
    """Replace the store's contents with synthetic data; returns rows written per table."""
    engine = init_db(engine or get_engine())
    frames = synth.build_frames(seed=seed, months=months)
    lists = frames.lists.assign(session_date=frames.lists["session_date"].dt.date)
    tables: dict[str, pd.DataFrame] = {
        "theatre_list": lists,
        "theatre_case": frames.cases,
        "scanner_day": frames.imaging.assign(date=pd.to_datetime(frames.imaging["date"]).dt.date),
        "endoscopy_list": frames.endoscopy.assign(
            date=pd.to_datetime(frames.endoscopy["date"]).dt.date
        ),
        "echo_activity": frames.echo.assign(date=pd.to_datetime(frames.echo["date"]).dt.date),
        "dm01_return": frames.dm01.assign(period=pd.to_datetime(frames.dm01["period"]).dt.date),
        "dm01_imd": frames.dm01_imd.assign(
            period=pd.to_datetime(frames.dm01_imd["period"]).dt.date
        ),
        "theatre_booking": frames.bookings.assign(
            session_date=frames.bookings["session_date"].dt.date
        ),
        "reporting_event": frames.reporting,
        "pathology_specimen": frames.pathology,
        "appointment": frames.appointments.assign(
            appointment_date=frames.appointments["appointment_date"].dt.date
        ),
    }
    counts: dict[str, int] = {}
    with write_transaction(engine) as conn:
        for model in DATA_TABLES:
            conn.execute(delete(model))
        reference.seed_reference(conn)
        now = dt.datetime.now(dt.UTC)
        run_id = start_run(
            conn,
            kind="demo",
            file_name=f"synthetic demo (seed {seed}, {months} months)",
            file_hash=f"demo-{seed}-{months}",
            status="loaded",
            source="demo",
            rows=sum(len(f) for f in tables.values()),
            started_at=now,
            finished_at=now,
            message="Synthetic demo data",
            replaced_rows=0,
            trust_codes="",
        )
        for table, frame in tables.items():
            columns = [c.name for c in SQLModel.metadata.tables[table].columns]
            if "import_run_id" in columns and table != "theatre_case":
                frame = frame.assign(import_run_id=run_id)
            frame = frame[[c for c in columns if c in frame.columns]]
            counts[table] = bulk_insert(conn, table, frame)
    settings.kill_point("demo-committed")
    counts |= marts.rebuild_marts(engine)
    return counts
