"""Settings read from the environment: the store URL, paths and the timezone.

Nothing here is cached at import, so tests can point ``DATABASE_URL`` at a temporary store.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = ROOT / "data"
BENCHMARKS_FILE = ROOT / "benchmarks" / "national.toml"
TRUSTS_FILE = DATA_DIR / "trusts.csv"
DEFAULT_DATABASE_URL = f"sqlite:///{DATA_DIR / 'productivity.db'}"
TIMEZONE = "Europe/London"
# Crash tests name a point here to have a real process killed there (see kill_point).
KILL_AT_ENV = "PRODUCTIVITY_KILL_AT"


def database_url() -> str:
    """The store URL: ``DATABASE_URL`` or the SQLite file ``data/productivity.db``.

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


def kill_point(name: str) -> None:
    """End this process at once, as ``kill -9`` would, when ``PRODUCTIVITY_KILL_AT`` is ``name``.

    A test hook: crash tests run a real CLI process that dies between two steps (``import`` at
    ``import-committed``: the file's rows committed, the marts not yet rebuilt; ``demo`` at
    ``demo-committed``) and check that the next command recovers. Unset, it costs one lookup.
    """
    if os.environ.get(KILL_AT_ENV) == name:
        os.kill(os.getpid(), getattr(signal, "SIGKILL", signal.SIGTERM))
