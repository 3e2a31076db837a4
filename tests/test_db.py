"""The store layer: SQLite pragmas, URL rewriting, bulk loads and schema upgrades.

Store tests take the ``engine`` fixture, so they run on SQLite and, when ``TEST_DATABASE_URL``
is set, on PostgreSQL (where ``bulk_insert`` takes the COPY path).
"""

from __future__ import annotations

import datetime as dt
import threading

import pandas as pd
import pytest
from sqlalchemy import Engine, event, inspect, select, text

from productivity import settings
from productivity.store import bulk, db
from productivity.store.models import SQLModel


def _statements(engine: Engine) -> list[str]:
    """Every SQL statement SQLAlchemy sends from now on (COPY on the raw connection is not)."""
    seen: list[str] = []

    @event.listens_for(engine, "before_cursor_execute")
    def _record(_conn, _cursor, statement, *_args) -> None:
        seen.append(statement)

    return seen


def _rows(engine: Engine, table: str, order: str) -> list[dict]:
    meta = SQLModel.metadata.tables[table]
    with engine.connect() as conn:
        result = conn.execute(select(meta).order_by(meta.c[order]))
        return [dict(row._mapping) for row in result]


# --- SQLite connection settings and URLs ----------------------------------------------------


def test_sqlite_connections_get_wal_busy_timeout_and_foreign_keys(tmp_path):
    engine = db.get_engine(f"sqlite:///{tmp_path / 'pragmas.db'}")
    with engine.connect() as conn:
        pragma = {
            name: conn.exec_driver_sql(f"PRAGMA {name}").scalar()
            for name in ("journal_mode", "busy_timeout", "foreign_keys", "synchronous")
        }
    engine.dispose()
    assert pragma == {
        "journal_mode": "wal",
        "busy_timeout": db.SQLITE_BUSY_TIMEOUT_MS,
        "foreign_keys": 1,
        "synchronous": 1,  # NORMAL: safe in WAL mode, and a commit does not wait for fsync
    }


def test_a_sqlite_write_transaction_takes_the_write_lock_up_front(tmp_path):
    engine = db.get_engine(f"sqlite:///{tmp_path / 'begin.db'}")
    seen = _statements(engine)
    with db.write_transaction(engine) as conn:
        conn.exec_driver_sql("SELECT 1")
    with engine.connect() as conn:
        conn.exec_driver_sql("SELECT 2")
    engine.dispose()
    assert seen == ["BEGIN IMMEDIATE", "SELECT 1", "BEGIN", "SELECT 2"]


@pytest.mark.parametrize(
    ("given", "used"),
    [
        (
            "postgres://app:pw@db.example:5432/prod",
            "postgresql+psycopg://app:pw@db.example:5432/prod",
        ),
        ("postgresql://app@db/prod", "postgresql+psycopg://app@db/prod"),
        ("postgresql+psycopg://app@db/prod", "postgresql+psycopg://app@db/prod"),
        ("postgresql+psycopg2://app@db/prod", "postgresql+psycopg2://app@db/prod"),
        ("  sqlite:///data/productivity.db ", "sqlite:///data/productivity.db"),
    ],
)
def test_postgres_urls_are_pointed_at_psycopg_3(given, used):
    assert db.normalise_url(given) == used


def test_get_engine_and_settings_rewrite_heroku_style_urls(monkeypatch):
    engine = db.get_engine("postgres://app@db.invalid/prod")  # no connection is made
    assert (engine.dialect.name, engine.dialect.driver) == ("postgresql", "psycopg")
    assert engine is db.get_engine("postgresql+psycopg://app@db.invalid/prod")
    monkeypatch.setenv("DATABASE_URL", "postgres://app@db.invalid/prod")
    assert settings.database_url() == "postgresql+psycopg://app@db.invalid/prod"


# --- bulk_insert, on both stores ------------------------------------------------------------

LISTS = pd.DataFrame(
    {
        "list_id": [1, 2],
        "trust_code": ["RBL", "RBL"],
        "site": ["RBL01", "RBL01"],
        "theatre": ["Theatre 1", "Theatre 2"],
        "session_date": pd.to_datetime(["2026-05-04", "2026-05-05"]),
        "session": ["AM", "PM"],
        "specialty": ["General Surgery", "Urology"],
        "planned_start": pd.to_datetime(["2026-05-04 08:30", "2026-05-05 13:30"]),
        "planned_end": pd.to_datetime(["2026-05-04 12:30", "2026-05-05 17:30"]),
        "import_run_id": [1.0, float("nan")],  # an id column with a gap arrives as floats
    }
)
CASES = pd.DataFrame(
    {
        "list_id": [1, 1, 2],
        "case_id": ["C1", "C2", "C3"],
        "specialty": ["General Surgery", "General Surgery", "Urology"],
        "priority": ["elective", None, float("nan")],
        # 08:40 in London in May is 07:40 UTC; the other two are missing
        "into_theatre": [pd.Timestamp("2026-05-04 08:40", tz="Europe/London"), pd.NaT, pd.NaT],
        "cancelled": [False, True, False],
        # cancel_clinical is left out: the model's default (False) fills it
    }
)


def _seed_trust_and_run(conn) -> None:
    db.bulk_insert(
        conn, "trust", pd.DataFrame({"trust_code": ["RBL"], "name": ["Wirral"], "type": ["acute"]})
    )
    frame = pd.DataFrame(
        {"kind": ["theatre"], "file_name": ["f.csv"], "file_hash": ["h1"], "status": ["loaded"]}
    )
    db.bulk_insert(conn, "import_run", frame)  # rows, message, started_at, source: defaults


def test_bulk_insert_round_trips_types_nulls_and_defaults(engine):
    seen = _statements(engine)
    with db.write_transaction(engine) as conn:
        _seed_trust_and_run(conn)
        assert db.bulk_insert(conn, "theatre_list", LISTS) == 2
        assert db.bulk_insert(conn, "theatre_case", CASES) == 3
    lists = _rows(engine, "theatre_list", "list_id")
    assert [(r["session_date"], r["planned_start"], r["import_run_id"]) for r in lists] == [
        (dt.date(2026, 5, 4), dt.datetime(2026, 5, 4, 8, 30), 1),
        (dt.date(2026, 5, 5), dt.datetime(2026, 5, 5, 13, 30), None),
    ]
    cases = _rows(engine, "theatre_case", "case_id")
    assert [
        (c["priority"], c["into_theatre"], c["cancelled"], c["cancel_clinical"]) for c in cases
    ] == [
        ("elective", dt.datetime(2026, 5, 4, 7, 40), False, False),
        (None, None, True, False),
        (None, None, False, False),
    ]
    (run,) = _rows(engine, "import_run", "id")
    assert (run["rows"], run["message"], run["source"]) == (0, "", "cli")
    assert abs(run["started_at"] - dt.datetime.now(dt.UTC)) < dt.timedelta(minutes=5)
    inserts = [s for s in seen if s.lstrip().upper().startswith("INSERT INTO")]
    # Rows go to the driver itself (COPY on PostgreSQL, the DB-API executemany on SQLite),
    # never row by row through SQLAlchemy's statement processing.
    assert inserts == []


def test_a_copy_belongs_to_the_callers_transaction(engine):
    with pytest.raises(RuntimeError), db.write_transaction(engine) as conn:
        _seed_trust_and_run(conn)
        db.bulk_insert(conn, "theatre_list", LISTS)
        raise RuntimeError("the file had a problem after its rows were written")
    for table in ("trust", "import_run", "theatre_list"):
        with engine.connect() as conn:
            assert conn.execute(text(f"SELECT count(*) FROM {table}")).scalar() == 0


def test_bulk_insert_reports_progress_in_chunks(engine, monkeypatch):
    monkeypatch.setattr(bulk, "CHUNK_ROWS", 2)
    frame = pd.DataFrame(
        {"trust_code": [f"T{i:02d}" for i in range(5)], "name": ["n"] * 5, "type": ["acute"] * 5}
    )
    reported: list[float] = []
    with db.write_transaction(engine) as conn:
        assert db.bulk_insert(conn, "trust", frame, progress=reported.append) == 5
        assert db.bulk_insert(conn, "trust", frame.iloc[:0]) == 0
    assert reported[-1] == 1.0
    assert reported == sorted(reported)
    assert len(reported) >= 3  # 2 + 2 + 1 rows


def test_bulk_insert_refuses_a_column_the_table_lacks(engine):
    frame = pd.DataFrame({"trust_code": ["RBL"], "name": ["W"], "type": ["acute"], "nhs_no": [1]})
    with pytest.raises(ValueError, match="nhs_no"), db.write_transaction(engine) as conn:
        db.bulk_insert(conn, "trust", frame)


# --- schema versions and upgrades -----------------------------------------------------------

# A store as an early version wrote it, before schema versions: import_run had no source or
# replaced_rows, theatre_case no cancel_clinical, and there was no import_issue table.
OLD_SCHEMA = (
    """CREATE TABLE trust (trust_code VARCHAR(5) PRIMARY KEY, name VARCHAR NOT NULL,
       type VARCHAR NOT NULL, parent_code VARCHAR)""",
    """CREATE TABLE import_run (id INTEGER PRIMARY KEY, kind VARCHAR NOT NULL,
       file_name VARCHAR NOT NULL, file_hash VARCHAR NOT NULL, status VARCHAR NOT NULL,
       rows INTEGER NOT NULL, trust_codes VARCHAR NOT NULL, period_from DATE, period_to DATE,
       message VARCHAR NOT NULL, started_at TIMESTAMP NOT NULL, finished_at TIMESTAMP)""",
    """CREATE TABLE theatre_list (list_id INTEGER PRIMARY KEY, trust_code VARCHAR NOT NULL,
       site VARCHAR NOT NULL, theatre VARCHAR NOT NULL, session_date DATE NOT NULL,
       session VARCHAR NOT NULL, specialty VARCHAR NOT NULL, planned_start TIMESTAMP NOT NULL,
       planned_end TIMESTAMP NOT NULL, import_run_id INTEGER)""",
    """CREATE TABLE theatre_case (id INTEGER PRIMARY KEY, list_id INTEGER NOT NULL,
       case_id VARCHAR NOT NULL, specialty VARCHAR NOT NULL, procedure_code VARCHAR,
       priority VARCHAR, anaesthetic_start TIMESTAMP, into_theatre TIMESTAMP,
       knife_to_skin TIMESTAMP, out_of_theatre TIMESTAMP, cancelled BOOLEAN NOT NULL,
       cancel_reason VARCHAR)""",
    "INSERT INTO trust VALUES ('RBL', 'Wirral', 'acute', NULL)",
    """INSERT INTO import_run VALUES (7, 'theatre', 'may.csv', 'abc', 'loaded', 2, 'RBL',
       '2026-05-04', '2026-05-04', 'loaded 2 theatre rows', '2026-05-05 09:00:00', NULL)""",
    """INSERT INTO theatre_list VALUES (1, 'RBL', 'RBL01', 'Theatre 1', '2026-05-04', 'AM',
       'General Surgery', '2026-05-04 08:30:00', '2026-05-04 12:30:00', 7)""",
    """INSERT INTO theatre_case VALUES (1, 1, 'C1', 'General Surgery', NULL, 'elective', NULL,
       '2026-05-04 08:47:00', NULL, '2026-05-04 10:28:00', FALSE, NULL)""",
    """INSERT INTO theatre_case VALUES (2, 1, 'C2', 'General Surgery', NULL, 'elective', NULL,
       NULL, NULL, NULL, TRUE, 'list overran')""",
)


@pytest.fixture
def old_store(engine) -> Engine:
    """The ``engine`` store emptied and rebuilt by hand as an early version left it."""
    SQLModel.metadata.drop_all(engine)
    with db.write_transaction(engine) as conn:
        for statement in OLD_SCHEMA:
            conn.execute(text(statement))
    return engine


def _columns(engine: Engine, table: str) -> set[str]:
    return {c["name"] for c in inspect(engine).get_columns(table)}


def test_an_older_store_is_upgraded_with_every_row_kept(old_store):
    assert "source" not in _columns(old_store, "import_run")
    applied = db.upgrade(old_store)
    assert applied == [m.version for m in db.MIGRATIONS]
    for table in SQLModel.metadata.tables.values():
        assert {c.name for c in table.columns} <= _columns(old_store, table.name), table.name
    (run,) = _rows(old_store, "import_run", "id")
    assert (run["id"], run["file_hash"], run["rows"], run["message"]) == (
        7, "abc", 2, "loaded 2 theatre rows",
    )  # fmt: skip
    assert (run["source"], run["replaced_rows"]) == ("cli", 0)  # the new columns' defaults
    cases = _rows(old_store, "theatre_case", "id")
    assert [(c["case_id"], c["cancelled"], c["cancel_reason"]) for c in cases] == [
        ("C1", False, None),
        ("C2", True, "list overran"),
    ]
    assert [c["cancel_clinical"] for c in cases] == [False, False]
    assert _rows(old_store, "theatre_list", "list_id")[0]["import_run_id"] == 7
    with old_store.connect() as conn:
        assert db.schema_version(conn) == db.SCHEMA_VERSION
    # the upgraded store takes new rows through the normal path
    with db.write_transaction(old_store) as conn:
        db.bulk_insert(
            conn,
            "import_issue",
            pd.DataFrame(
                {"import_run_id": [7], "trust_code": ["RBL"], "month": [dt.date(2026, 5, 1)],
                 "issue": ["duplicate rows dropped"], "count": [3]}
            ),
        )  # fmt: skip
    assert db.upgrade(old_store) == []  # a second run changes nothing


def test_init_db_on_a_current_store_changes_nothing(engine):
    seen = _statements(engine)
    assert db.init_db(engine) is engine
    assert not [s for s in seen if s.lstrip().upper().startswith(("CREATE", "ALTER", "INSERT"))]
    with engine.connect() as conn:
        versions = conn.execute(text("SELECT version FROM schema_version")).scalars().all()
    assert versions == [db.SCHEMA_VERSION]  # a new store records only the newest version


def _add_column(sql: str, order: list[int], version: int):
    def apply(conn) -> None:
        order.append(version)
        conn.execute(text(sql))

    return apply


def test_migrations_newer_than_the_store_run_once_in_order(engine):
    order: list[int] = []
    first, second = db.SCHEMA_VERSION + 1, db.SCHEMA_VERSION + 2
    later = [
        db.Migration(second, "rebase note length", _add_column(
            "ALTER TABLE rebase ADD COLUMN note_length INTEGER", order, second
        )),
        *db.MIGRATIONS,
        db.Migration(first, "rebase note", _add_column(
            "ALTER TABLE rebase ADD COLUMN note VARCHAR", order, first
        )),
    ]  # fmt: skip
    assert db.upgrade(engine, later) == [first, second]
    assert order == [first, second]
    assert {"note", "note_length"} <= _columns(engine, "rebase")
    assert db.upgrade(engine, later) == []
    with engine.connect() as conn:
        assert db.schema_version(conn) == second


def test_a_failed_migration_leaves_the_store_as_it_was(engine):
    def broken(conn) -> None:
        conn.execute(text("ALTER TABLE rebase ADD COLUMN half_done INTEGER"))
        raise RuntimeError("migration bug")

    with pytest.raises(RuntimeError):
        db.upgrade(engine, [*db.MIGRATIONS, db.Migration(db.SCHEMA_VERSION + 1, "bad", broken)])
    assert "half_done" not in _columns(engine, "rebase")
    with engine.connect() as conn:
        assert db.schema_version(conn) == db.SCHEMA_VERSION


V1_DM01_IMD = """CREATE TABLE dm01_imd (id INTEGER PRIMARY KEY, period DATE NOT NULL,
    provider_code VARCHAR NOT NULL, test_code VARCHAR NOT NULL, imd_quintile INTEGER NOT NULL,
    total_waiting INTEGER NOT NULL, waiting_6_plus INTEGER NOT NULL,
    waiting_13_plus INTEGER NOT NULL, import_run_id INTEGER)"""


def test_a_version_1_store_gets_the_deprivation_week_bands(engine):
    """Version 2 added 14 optional bands to dm01_imd; a version-1 store keeps its rows."""
    with db.write_transaction(engine) as conn:
        conn.execute(text("DROP TABLE dm01_imd"))
        conn.execute(text(V1_DM01_IMD))
        conn.execute(
            text("INSERT INTO dm01_imd VALUES (1, '2026-05-01', 'RBL', 'MRI', 1, 120, 40, 9, NULL)")
        )
        conn.execute(text("DELETE FROM schema_version"))
        conn.execute(text("INSERT INTO schema_version (version, applied_at) VALUES (1, :at)"),
                     {"at": dt.datetime(2026, 5, 1, 9, 0)})  # fmt: skip
    assert db.init_db(engine) is engine
    (row,) = _rows(engine, "dm01_imd", "id")
    assert (row["provider_code"], row["total_waiting"], row["waiting_13_plus"]) == ("RBL", 120, 9)
    assert row["weeks_00"] is None and row["weeks_13_plus"] is None
    with engine.connect() as conn:
        versions = conn.execute(text("SELECT version FROM schema_version ORDER BY version"))
        assert versions.scalars().all() == list(range(1, db.SCHEMA_VERSION + 1))


def test_a_version_2_store_gets_the_bookings_table_and_keeps_its_rows(engine):
    """Version 3 added theatre_booking (the 6-4-2 look-ahead); nothing else changes."""
    with db.write_transaction(engine) as conn:
        conn.execute(text("DROP TABLE theatre_booking"))
        conn.execute(text("DELETE FROM schema_version"))
        conn.execute(text("INSERT INTO schema_version (version, applied_at) VALUES (2, :at)"),
                     {"at": dt.datetime(2026, 5, 1, 9, 0)})  # fmt: skip
        conn.execute(text("INSERT INTO trust VALUES ('RBL', 'Wirral', 'acute', NULL)"))
    assert "theatre_booking" not in inspect(engine).get_table_names()
    db.init_db(engine)
    assert "theatre_booking" in inspect(engine).get_table_names()
    assert _rows(engine, "trust", "trust_code")[0]["name"] == "Wirral"
    with engine.connect() as conn:
        versions = conn.execute(text("SELECT version FROM schema_version ORDER BY version"))
        assert versions.scalars().all() == list(range(2, db.SCHEMA_VERSION + 1))


def _indexes(engine: Engine, table: str) -> set[str]:
    return {str(i["name"]) for i in inspect(engine).get_indexes(table)}


def test_a_version_3_store_loses_the_redundant_case_list_index_and_keeps_its_rows(engine):
    """Version 4 dropped ix_theatre_case_list_id: the unique (list_id, case_id) index serves
    the same lookups. The drop is idempotent and keeps every row."""
    with db.write_transaction(engine) as conn:
        conn.execute(text("CREATE INDEX ix_theatre_case_list_id ON theatre_case (list_id)"))
        conn.execute(text("DELETE FROM schema_version"))
        conn.execute(text("INSERT INTO schema_version (version, applied_at) VALUES (3, :at)"),
                     {"at": dt.datetime(2026, 5, 1, 9, 0)})  # fmt: skip
        conn.execute(text("INSERT INTO trust VALUES ('RBL', 'Wirral', 'acute', NULL)"))
    assert "ix_theatre_case_list_id" in _indexes(engine, "theatre_case")
    db.init_db(engine)
    assert "ix_theatre_case_list_id" not in _indexes(engine, "theatre_case")
    assert _rows(engine, "trust", "trust_code")[0]["name"] == "Wirral"
    with engine.connect() as conn:
        versions = conn.execute(text("SELECT version FROM schema_version ORDER BY version"))
        assert versions.scalars().all() == [3, 4]
    with db.write_transaction(engine) as conn:  # again (as by a replica): nothing to drop
        db.MIGRATIONS[-1].apply(conn)


def test_lookups_by_list_id_use_the_unique_case_index(engine):
    if engine.dialect.name != "sqlite":
        pytest.skip("SQLite's query plan")
    with engine.connect() as conn:
        plan = conn.execute(
            text("EXPLAIN QUERY PLAN SELECT * FROM theatre_case WHERE list_id = 1")
        ).all()
    assert "INDEX sqlite_autoindex_theatre_case_1 (list_id=?)" in " ".join(str(r[-1]) for r in plan)


# The columns of every table at SCHEMA_VERSION. When this test fails, models.py has changed:
# append a db.Migration that brings an older store to the new shape, then update this record.
SCHEMA = {
    "appointment": "id trust_code service appointment_date attendance_code imd_quintile "
    "first_or_follow_up import_run_id",
    "dm01_imd": "id period provider_code test_code imd_quintile total_waiting waiting_6_plus "
    "waiting_13_plus weeks_00 weeks_01 weeks_02 weeks_03 weeks_04 weeks_05 weeks_06 weeks_07 "
    "weeks_08 weeks_09 weeks_10 weeks_11 weeks_12 weeks_13_plus import_run_id",
    "dm01_return": "id period provider_code provider_name test_code total_waiting "
    "waiting_6_plus waiting_13_plus weeks_00 weeks_01 weeks_02 weeks_03 weeks_04 weeks_05 "
    "weeks_06 weeks_07 weeks_08 weeks_09 weeks_10 weeks_11 weeks_12 weeks_13_plus "
    "waiting_list_activity planned_activity unscheduled_activity total_activity import_run_id",
    "echo_activity": "id trust_code site date tests scheduled_minutes import_run_id",
    "endoscopy_list": "id trust_code site room date session planned_points used_points "
    "procedures import_run_id",
    "import_issue": "id import_run_id trust_code month issue count",
    "import_run": "id kind file_name file_hash status rows replaced_rows trust_codes "
    "period_from period_to message started_at finished_at source",
    "pathology_specimen": "id trust_code lab specimen_type cancer_pathway received_datetime "
    "authorised_datetime import_run_id",
    "rebase": "id unit metric date reason created_by created_at",
    "reporting_event": "id trust_code site modality priority patient_source test_datetime "
    "report_datetime request_datetime nicip_code imd_quintile import_run_id",
    "scanner_day": "id trust_code site scanner_id modality date operational_hours scans "
    "import_run_id",
    "schema_version": "version applied_at",
    "site": "site trust_code site_name latitude longitude",
    "theatre_booking": "id trust_code site theatre session_date session specialty planned_start "
    "planned_end case_id procedure_code priority consultant_code booked_minutes import_run_id",
    "theatre_case": "id list_id case_id specialty procedure_code priority anaesthetic_start "
    "into_theatre knife_to_skin out_of_theatre cancelled cancel_reason cancel_clinical",
    "theatre_list": "list_id trust_code site theatre session_date session specialty "
    "planned_start planned_end import_run_id",
    "trust": "trust_code name type parent_code",
}


def test_the_models_are_the_schema_of_the_newest_version():
    models = {
        name: " ".join(c.name for c in table.columns)
        for name, table in sorted(SQLModel.metadata.tables.items())
    }
    assert db.SCHEMA_VERSION == 4, "a new version: record its columns in SCHEMA"
    assert models == SCHEMA


def test_replicas_starting_together_create_the_schema_once(engine):
    SQLModel.metadata.drop_all(engine)
    errors: list[BaseException] = []

    def start() -> None:
        try:
            db.init_db(engine)
        except BaseException as exc:  # noqa: BLE001 (reported by the assertion below)
            errors.append(exc)

    threads = [threading.Thread(target=start) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with engine.connect() as conn:
        versions = conn.execute(text("SELECT version FROM schema_version")).scalars().all()
    assert versions == [db.SCHEMA_VERSION]
