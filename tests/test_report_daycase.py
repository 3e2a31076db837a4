"""``report daycase`` (SPEC §4 day-case rates, issue 16) on a hand-built store, through the CLI.

RBL has two sites and two months of General Surgery and Urology lists:

    RBL01, March, General Surgery: hernia (T20.1) day 3, elective 1; an emergency and a
           cancelled day case are not counted. Cholecystectomy (J18.3) day 1, elective 1.
    RBL02, April, General Surgery: hernia day 1, elective 3.
    RBL02, April, Urology:         TURBT (M42.1) day 2, elective 2.
    REM01, March, General Surgery: hernia day 4, elective 0.

so RBL hernia = (3 + 1) ÷ (3 + 1 + 1 + 3) = 4 ÷ 8 = 0.5 against 0.80: 0.8 × 8 − 4 = 2.4 more.
"""

from __future__ import annotations

import io
import json

import pandas as pd
import pytest
from sqlalchemy import Engine

from productivity.errors import InputError
from productivity.store import daycase as store_daycase, marts, reference
from productivity.store.db import bulk_insert, write_transaction
from tests.test_cli import run_cli
from tests.test_metrics_theatre import make_cases

T = pd.Timestamp
COLUMNS = [
    "trust_code", "procedure_group", "elective_cases", "daycase_cases", "daycase_rate",
    "target_rate", "additional_daycases",
]  # fmt: skip


def lists() -> pd.DataFrame:
    rows = [
        (1, "RBL", "RBL01", "2026-03-02", "General Surgery"),
        (2, "RBL", "RBL02", "2026-04-06", "General Surgery"),
        (3, "RBL", "RBL02", "2026-04-07", "Urology"),
        (4, "REM", "REM01", "2026-03-03", "General Surgery"),
    ]
    return pd.DataFrame(
        [
            {
                "list_id": list_id,
                "trust_code": trust,
                "site": site,
                "theatre": "Theatre 1",
                "session_date": T(day).date(),
                "session": "ALL",
                "specialty": specialty,
                "planned_start": T(f"{day} 08:00"),
                "planned_end": T(f"{day} 18:00"),
            }  # fmt: skip
            for list_id, trust, site, day, specialty in rows
        ]
    )


def cases() -> pd.DataFrame:
    made: list[dict] = []

    def add(list_id: int, code: str, priority: str, n: int, *, cancelled: bool = False) -> None:
        day = lists().set_index("list_id").loc[list_id, "session_date"]
        for _ in range(n):
            i = len(made)
            start = T(f"{day} 08:00") + pd.Timedelta(minutes=30 * i % 480)
            made.append(
                {
                    "list_id": list_id,
                    "case_id": f"c{i}",
                    "procedure_code": code,
                    "priority": priority,
                    "cancelled": cancelled,
                    "anaesthetic_start": None if cancelled else start,
                    "into_theatre": None if cancelled else start,
                    "out_of_theatre": None if cancelled else start + pd.Timedelta(minutes=25),
                }  # fmt: skip
            )

    add(1, "T20.1", "daycase", 3)
    add(1, "T20.1", "elective", 1)
    add(1, "T20.1", "emergency", 1)
    add(1, "T20.1", "daycase", 1, cancelled=True)
    add(1, "J18.3", "daycase", 1)
    add(1, "J18.3", "elective", 1)
    add(2, "T20.1", "daycase", 1)
    add(2, "T20.1", "elective", 3)
    add(3, "M42.1", "daycase", 2)
    add(3, "M42.1", "elective", 2)
    add(4, "T20.2", "daycase", 4)
    return make_cases(made)


@pytest.fixture
def store(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Engine:
    with write_transaction(engine) as conn:
        reference.seed_reference(conn)
        bulk_insert(conn, "theatre_list", lists())
        bulk_insert(conn, "theatre_case", cases())
    marts.rebuild_marts(engine)
    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
    return engine


def report(*args: str) -> pd.DataFrame:
    code, out, err = run_cli("report", "daycase", *args)
    assert code == 0, err
    return pd.read_csv(io.StringIO(out))


def test_by_trust_has_exactly_the_contract_columns_and_hand_computed_rates(store: Engine):
    frame = report("--by", "trust", "--format", "csv")
    assert list(frame.columns) == COLUMNS
    rows = frame.set_index(["trust_code", "procedure_group"])
    hernia = rows.loc[("RBL", "inguinal_hernia")]
    assert (hernia["daycase_cases"], hernia["elective_cases"]) == (4, 4)
    assert hernia["daycase_rate"] == pytest.approx(0.5)  # 4 ÷ 8
    assert hernia["target_rate"] == pytest.approx(0.80)
    assert hernia["additional_daycases"] == pytest.approx(2.4)  # 0.8 × 8 − 4
    chole = rows.loc[("RBL", "laparoscopic_cholecystectomy")]
    assert chole["daycase_rate"] == pytest.approx(0.5)  # 1 ÷ 2
    assert chole["additional_daycases"] == pytest.approx(0.5)  # 0.75 × 2 − 1
    rem = rows.loc[("REM", "inguinal_hernia")]
    assert rem["daycase_rate"] == 1 and rem["additional_daycases"] == 0  # above target: 0
    # Trusts in code order, groups in the BADS file's order (hernia, chole, ..., TURBT).
    assert frame["trust_code"].tolist() == ["RBL", "RBL", "RBL", "REM"]
    assert frame["procedure_group"].tolist()[:3] == [
        "inguinal_hernia", "laparoscopic_cholecystectomy", "turbt",
    ]  # fmt: skip


def test_json_has_the_same_rows(store: Engine):
    code, out, _ = run_cli("report", "daycase", "--by", "trust", "--format", "json")
    assert code == 0
    records = json.loads(out)
    assert list(records[0]) == COLUMNS
    assert records[0]["trust_code"] == "RBL" and records[0]["daycase_rate"] == pytest.approx(0.5)


def test_by_site_and_specialty_and_period(store: Engine):
    site = report("--by", "site").set_index(["trust_code", "site", "procedure_group"])
    # RBL01 hernia: 3 of 4 → 0.75 (0.8 × 4 − 3 = 0.2 more); RBL02 hernia: 1 of 4 → 0.25.
    assert site.loc[("RBL", "RBL01", "inguinal_hernia"), "daycase_rate"] == pytest.approx(0.75)
    assert site.loc[("RBL", "RBL01", "inguinal_hernia"), "additional_daycases"] == pytest.approx(
        0.2
    )
    assert site.loc[("RBL", "RBL02", "inguinal_hernia"), "daycase_rate"] == pytest.approx(0.25)
    specialty = report("--by", "specialty").set_index(["trust_code", "specialty"])
    assert specialty.loc[("RBL", "Urology"), "daycase_rate"] == pytest.approx(0.5)  # 2 ÷ 4
    march = report("--from", "2026-03", "--to", "2026-03").set_index(
        ["trust_code", "procedure_group"]
    )
    assert march.loc[("RBL", "inguinal_hernia"), "daycase_rate"] == pytest.approx(0.75)
    assert ("RBL", "turbt") not in march.index  # April only


def test_by_theatre_is_bad_input(store: Engine):
    code, _, err = run_cli("report", "daycase", "--by", "theatre")
    assert code == 2 and "report daycase takes --by trust or site or specialty or month" in err
    with pytest.raises(InputError, match="day-case report is by trust, site, specialty, month"):
        store_daycase.daycase_report(store, "theatre")  # the library says so too


def test_an_empty_store_gives_the_columns_and_no_rows(engine: Engine):
    marts.rebuild_marts(engine)
    frame = store_daycase.daycase_report(engine, "trust")
    assert list(frame.columns) == COLUMNS and frame.empty
