"""The pages' reads: rows from the marts and reference tables, filtered in SQL, shaped by ``views``.

>>> from productivity.store.db import get_engine, init_db
>>> store = init_db(get_engine("sqlite://"))
>>> list(site_locations(store).columns)
['trust_code', 'latitude', 'longitude']

Every SQL statement a page needs lives here (or in :mod:`productivity.store.marts` and
:mod:`productivity.store.reports`), so a module of ``views`` only shapes frames. Filters are
parameters, and column names are checked against the table, so no caller's value reaches SQL
text. No Streamlit, no metric arithmetic.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd
import sqlalchemy as sa
from sqlalchemy import Engine, text

from productivity.metrics import theatre
from productivity.modalities import Modality
from productivity.schema import DM01_BANDS
from productivity.store import marts, models, reference

# A modality's kind of activity -> the mart that holds its rows.
ACTIVITY_MARTS: dict[str, str] = {
    "imaging": marts.IMAGING,
    "endoscopy": marts.ENDOSCOPY,
    "echo": marts.ECHO,
}
IMD_COLUMNS: tuple[str, ...] = (
    "period", "provider_code", "test_code", "imd_quintile", "total_waiting", "waiting_6_plus",
    "waiting_13_plus",
)  # fmt: skip
# Columns a theatre-list read may filter on, exactly (``trust_code`` and below).
UNIT_FILTERS = ("trust_code", "site", "theatre", "specialty")


def modality_rows(
    engine: Engine, modality: Modality, period: marts.Period, trust: str | None = None
) -> pd.DataFrame:
    """The modality's mart rows in the period (imaging rows of that modality only)."""
    mart = ACTIVITY_MARTS[modality.activity]
    extra = {"modality": modality.key} if modality.imaging else None
    return marts.read_mart(engine, mart, period, [trust] if trust else None, extra)


def _where(period: marts.Period, filters: Mapping[str, str | None]) -> tuple[str, dict[str, str]]:
    """The SQL filter of a period and exact-match unit filters (every value a parameter)."""
    clause, params = period.where()
    for i, (column, value) in enumerate((c, v) for c, v in filters.items() if v):
        if column not in UNIT_FILTERS:
            raise ValueError(f"cannot filter theatre lists on {column!r}")
        clause += f" AND {column} = :unit_{i}"
        params[f"unit_{i}"] = value
    return clause, params


def theatre_lists(
    engine: Engine,
    period: marts.Period,
    filters: Mapping[str, str | None],
    columns: Sequence[str] | None = None,
) -> pd.DataFrame:
    """List-level mart rows of a unit (``filters``: trust_code, site, theatre, specialty).

    Naming the ``columns`` keeps a system-wide read small: the mart's text columns cost most.
    """
    if columns is None:
        trust = filters.get("trust_code")
        extra = {c: v for c, v in filters.items() if v and c != "trust_code"}
        return marts.read_mart(
            engine, marts.THEATRE_LIST, period, [trust] if trust else None, extra
        )
    clause, params = _where(period, filters)
    present = {c["name"] for c in sa.inspect(engine).get_columns(marts.THEATRE_LIST)}
    # dict.fromkeys: a column named twice would come back twice, as a two-column frame
    chosen = ", ".join(f'"{c}"' for c in dict.fromkeys(columns) if c in present)
    query = text(f'SELECT {chosen} FROM "{marts.THEATRE_LIST}" WHERE {clause}')
    with engine.connect() as conn:
        rows = pd.read_sql_query(query, conn, params=params)
    flags = [c for c in theatre.FLAG_COLUMNS if c in rows.columns]  # SQLite stores them as 0/1
    return rows.astype(dict.fromkeys(flags, "bool"))


def theatre_gaps(
    engine: Engine, period: marts.Period, filters: Mapping[str, str | None]
) -> pd.DataFrame:
    """A unit's changeover-gap histogram in the period: ``gap_minutes, gaps``.

    Counts of equal gaps are summed in SQL across the mart's rows, which keeps the exact
    median and total of every gap in scope while returning a few hundred rows at most.
    """
    clause, params = _where(period, filters)
    query = text(
        f'SELECT gap_minutes, SUM(gaps) AS gaps FROM "{marts.THEATRE_GAP}" WHERE {clause} '
        "GROUP BY gap_minutes ORDER BY gap_minutes"
    )
    with engine.connect() as conn:
        return pd.read_sql_query(query, conn, params=params)


def theatre_sums_by_trust(
    engine: Engine, period: marts.Period, specialty: str | None = None
) -> pd.DataFrame:
    """Per trust: lists, planned, capped and uncapped touch minutes (one specialty, or all).

    Summed in SQL: four sums per trust come back, not every list of the system.
    """
    clause, params = _where(period, {"specialty": specialty})
    query = text(
        "SELECT trust_code, COUNT(*) AS lists, SUM(planned_minutes) AS planned_minutes, "
        "SUM(capped_touch_minutes) AS capped_touch_minutes, "
        "SUM(uncapped_touch_minutes) AS uncapped_touch_minutes "
        f'FROM "{marts.THEATRE_LIST}" WHERE {clause} GROUP BY trust_code '
        "ORDER BY trust_code"
    )
    with engine.connect() as conn:
        return pd.read_sql_query(query, conn, params=params)


def trust_sites_and_theatres(engine: Engine, trust: str) -> pd.DataFrame:
    """The distinct ``site, site_name, theatre`` of a trust's lists (names from the sites)."""
    query = text(
        f'SELECT DISTINCT site, theatre FROM "{marts.THEATRE_LIST}" WHERE trust_code = :trust'
    )
    table = sa.inspect(models.Site).local_table
    sites = sa.select(table.c.site, table.c.site_name)
    with engine.connect() as conn:
        found = pd.read_sql_query(query, conn, params={"trust": trust})
        names = pd.read_sql_query(sites, conn)
    found = found.merge(names, on="site", how="left")
    found["site_name"] = found["site_name"].fillna(found["site"])
    return found[["site", "site_name", "theatre"]]


def theatre_specialties(
    engine: Engine, trust: str | None = None, site: str | None = None
) -> list[str]:
    """The specialties with lists in the marts, of one trust (and site) when given, sorted."""
    clause, params = _where(marts.Period(), {"trust_code": trust, "site": site})
    query = text(f'SELECT DISTINCT specialty FROM "{marts.THEATRE_MONTH}" WHERE {clause}')
    with engine.connect() as conn:
        found = conn.execute(query, params).scalars().all()
    return sorted(str(s) for s in found if s is not None)


def stored_imd_bands(engine: Engine) -> tuple[str, ...]:
    """The waiting-time band columns the store's ``dm01_imd`` table has (none, or all 14)."""
    table = models.DM01Deprivation.__tablename__
    present = {c["name"] for c in sa.inspect(engine).get_columns(table)}
    return DM01_BANDS if set(DM01_BANDS) <= present else ()


def dm01_by_imd(
    engine: Engine, period: marts.Period | None = None, test: str | None = None
) -> pd.DataFrame:
    """``dm01_imd`` rows in the period (and of one test), with ``period`` as a date and ``month``.

    The 14 band columns come too when the table has them (NaN where a row was loaded without).
    """
    table = sa.inspect(models.DM01Deprivation).local_table
    columns = [table.c[c] for c in IMD_COLUMNS]
    columns += [
        table.c[b] if b in table.c else sa.column(b, sa.Integer) for b in stored_imd_bands(engine)
    ]
    query = sa.select(*columns).select_from(table)
    period = period or marts.Period()
    if period.start:
        query = query.where(table.c.period >= pd.Period(period.start, "M").start_time.date())
    if period.end:
        query = query.where(table.c.period <= pd.Period(period.end, "M").end_time.date())
    if test:
        query = query.where(table.c.test_code == test)
    with engine.connect() as conn:
        rows = pd.read_sql_query(query, conn)
    rows["period"] = pd.to_datetime(rows["period"])
    rows["month"] = rows["period"].dt.strftime("%Y-%m")
    return rows


def site_locations(engine: Engine) -> pd.DataFrame:
    """Each site's ``trust_code, latitude, longitude``: the store's, else ``data/sites.csv``."""
    table = sa.inspect(models.Site).local_table
    query = sa.select(table.c.trust_code, table.c.latitude, table.c.longitude)
    with engine.connect() as conn:
        sites = pd.read_sql_query(query, conn)
    if sites.dropna().empty:
        sites = reference.read_sites()[["trust_code", "latitude", "longitude"]]
    return sites


def sites_and_theatres(engine: Engine) -> pd.DataFrame:
    """The distinct ``trust_code, site, site_name, theatre`` of every trust's lists: what
    :func:`trust_sites_and_theatres` gives each trust, in one read."""
    query = text(f'SELECT DISTINCT trust_code, site, theatre FROM "{marts.THEATRE_LIST}"')
    table = sa.inspect(models.Site).local_table
    sites = sa.select(table.c.site, table.c.site_name)
    with engine.connect() as conn:
        found = pd.read_sql_query(query, conn)
        names = pd.read_sql_query(sites, conn)
    found = found.merge(names, on="site", how="left")
    found["site_name"] = found["site_name"].fillna(found["site"])
    return found[["trust_code", "site", "site_name", "theatre"]]
