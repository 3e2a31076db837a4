"""Settings read from the environment: the store URL, paths and the timezone.

Nothing here is cached at import, so tests can point ``DATABASE_URL`` at a temporary store.
"""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = ROOT / "data"
BENCHMARKS_FILE = ROOT / "benchmarks" / "national.toml"
TRUSTS_FILE = DATA_DIR / "trusts.csv"
DEFAULT_DATABASE_URL = f"sqlite:///{DATA_DIR / 'productivity.store.db'}"
TIMEZONE = "Europe/London"


def database_url() -> str:
    """The store URL: ``DATABASE_URL`` or the SQLite file ``data/productivity.store.db``.

    Heroku-style ``postgres://`` URLs are rewritten to the psycopg 3 driver.
    """
    return normalise_url(os.environ.get("DATABASE_URL", "").strip() or DEFAULT_DATABASE_URL)


def normalise_url(url: str) -> str:
    """``url`` with PostgreSQL pointed at psycopg 3.

    Hosting platforms hand out ``postgres://`` URLs, and SQLAlchemy reads a bare
    ``postgresql://`` as psycopg2, which is not installed; both become ``postgresql+psycopg://``.
    Other URLs (SQLite, or PostgreSQL with an explicit driver) are returned unchanged.
    """
    url = url.strip()
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def benchmarks_override() -> Path | None:
    """The local benchmark override file named by ``PRODUCTIVITY_BENCHMARKS``, if any."""
    value = os.environ.get("PRODUCTIVITY_BENCHMARKS", "").strip()
    return Path(value) if value else None


def drop_dir() -> Path:
    """The scheduler's drop folder (``PRODUCTIVITY_DROP_DIR``, default ``data/drop``)."""
    return Path(os.environ.get("PRODUCTIVITY_DROP_DIR", "") or DATA_DIR / "drop")
