"""Reference data: the trusts (``data/trusts.csv``) and sites (``data/sites.csv``) in the store.

Every data row names a trust by its ODS code, so the trust table must be seeded before any
import. Seeding is an upsert by parameterised statements: running it twice changes nothing.
"""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Connection, Engine, delete, select

from productivity import settings
from productivity.store import models

SITES_FILE = settings.DATA_DIR / "sites.csv"


def read_trusts() -> pd.DataFrame:
    return pd.read_csv(settings.TRUSTS_FILE, dtype="str", keep_default_na=False)


def stored_trusts(engine: Engine) -> pd.DataFrame:
    """The trusts in the store (``trust_code``, ``name``, ``type``): those of
    ``data/trusts.csv`` once seeded, and any other a deployment registered there; the file's
    when the store has none yet."""
    trust = models.table_of(models.Trust)
    with engine.connect() as conn:
        rows = conn.execute(select(trust.c.trust_code, trust.c.name, trust.c.type)).all()
    listed = read_trusts()[["trust_code", "name", "type"]]
    if not rows:
        return listed
    found = pd.DataFrame([tuple(r) for r in rows], columns=["trust_code", "name", "type"])
    # In the file's order (as before), then any other trust by code.
    place = found["trust_code"].map(pd.Series(range(len(listed)), index=listed["trust_code"]))
    found = found.assign(place=place.fillna(len(listed))).sort_values(["place", "trust_code"])
    return found.drop(columns="place").fillna("").astype("str").reset_index(drop=True)


def read_sites() -> pd.DataFrame:
    if not SITES_FILE.exists():
        return pd.DataFrame(columns=["trust_code", "site", "site_name", "latitude", "longitude"])
    return pd.read_csv(SITES_FILE, dtype={"trust_code": "str", "site": "str", "site_name": "str"})


def seed_reference(conn: Connection) -> None:
    """Insert or refresh the trusts and sites from ``data/`` inside the caller's transaction."""
    trusts = read_trusts()
    trust = models.table_of(models.Trust)
    known = set(conn.execute(select(trust.c.trust_code)).scalars())
    for row in trusts.to_dict("records"):
        values = {k: row[k] or None for k in ("trust_code", "name", "type", "parent_code")}
        if row["trust_code"] in known:
            conn.execute(
                trust.update().where(trust.c.trust_code == row["trust_code"]).values(values)
            )
        else:
            conn.execute(trust.insert().values(values))
    sites = read_sites()
    conn.execute(delete(models.Site))
    if not sites.empty:
        plain = sites.astype(object).where(sites.notna(), None)
        records = [{str(k): v for k, v in row.items()} for row in plain.to_dict("records")]
        conn.execute(models.table_of(models.Site).insert(), records)
