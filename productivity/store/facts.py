"""What the store holds, for the page filters and the board pack: :class:`StoreFacts`.

>>> from productivity.store.db import get_engine, init_db
>>> store = init_db(get_engine("sqlite://"))
>>> store_is_empty(store), store_facts(store).months, store_facts(store).built_at
(True, (), 'never')

Trusts with data, months, specialties, trust names, whether the data is the synthetic demo
(an ``import_run`` with ``source="demo"``) and when it was last built, read once from the store
and its marts. No Streamlit: ``ui.frame`` caches :func:`store_facts` and the pack calls it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, func, select
from sqlmodel import col

from productivity import settings
from productivity.store import marts, models


@dataclass(frozen=True)
class StoreFacts:
    """The store's contents in brief: what the filters offer, and where the data came from."""

    trusts: tuple[str, ...] = ()  # with data in a theatre or diagnostic mart
    months: tuple[str, ...] = ()  # ``YYYY-MM``, in order
    specialties: tuple[str, ...] = ()
    trust_names: dict[str, str] = field(default_factory=dict)
    synthetic: bool = False  # the data is the built-in demo
    built_at: str = "never"  # the last import, London wall-clock time


def store_is_empty(engine: Engine) -> bool:
    """True when nothing was ever loaded: no theatre lists, no DM01 returns, no loaded import.

    Only then does the app generate the demo: a store holding just imaging (or any one source)
    is a trust's real data, and synthetic rows must never be mixed into it.
    """
    with engine.connect() as conn:
        lists = conn.execute(select(func.count()).select_from(models.TheatreList)).scalar()
        returns = conn.execute(select(func.count()).select_from(models.DM01Return)).scalar()
        loaded = conn.execute(
            select(func.count())
            .select_from(models.ImportRun)
            .where(col(models.ImportRun.status) == "loaded")
        ).scalar()
    return not lists and not returns and not loaded


def store_facts(engine: Engine) -> StoreFacts:
    """What the page filters offer: trusts with data, months, specialties; and provenance."""
    with engine.connect() as conn:
        demo_runs = conn.execute(
            select(func.count())
            .select_from(models.ImportRun)
            .where(col(models.ImportRun.source) == "demo", col(models.ImportRun.status) == "loaded")
        ).scalar()
        built = conn.execute(select(func.max(col(models.ImportRun.finished_at)))).scalar()
        trusts = select(col(models.Trust.trust_code), col(models.Trust.name))
        names = {str(code): str(name) for code, name in conn.execute(trusts)}
    months: set[str] = set()
    codes: set[str] = set()
    specialties: set[str] = set()
    if marts.marts_exist(engine):
        for mart in (marts.THEATRE_LIST, marts.IMAGING, marts.ENDOSCOPY, marts.ECHO):
            found = marts.distinct_values(engine, mart, ("month", "trust_code"))
            months |= {str(m) for m in found["month"]}
            codes |= {str(t) for t in found["trust_code"]}
        found = marts.distinct_values(engine, marts.THEATRE_LIST, ("specialty",))
        specialties = {str(s) for s in found["specialty"]}
    return StoreFacts(
        trusts=tuple(sorted(codes)),
        months=tuple(sorted(months)),
        specialties=tuple(sorted(specialties)),
        trust_names=names,
        synthetic=bool(demo_runs),
        built_at=_local(built),
    )


def _local(moment: dt.datetime | None) -> str:
    """A stored UTC timestamp as London wall-clock text, for captions."""
    if moment is None:
        return "never"
    if moment.tzinfo is None:  # SQLite returns naive UTC
        moment = moment.replace(tzinfo=dt.UTC)
    return f"{moment.astimezone(ZoneInfo(settings.TIMEZONE)):%d %b %Y %H:%M}"
