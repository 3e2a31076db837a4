"""SPC rebases stored in a real store: parameterised writes, located validation errors."""

from __future__ import annotations

import datetime as dt

import pytest

from productivity.errors import InputError
from productivity.store import rebase

UNIT = "theatre:RBL/RBL01/Theatre 3"
METRIC = "theatre_capped_utilisation"
TODAY = dt.date(2026, 10, 30)


def add(engine, date="2026-05-04", reason="Start-time huddle", **kwargs):
    values = {"unit": UNIT, "metric": METRIC, "user": "j.smith"} | kwargs
    rebase.add_rebase(engine, values["unit"], values["metric"], date, reason, values["user"],
                      today=TODAY)  # fmt: skip


def test_added_rebase_is_listed(engine):
    add(engine)
    found = rebase.list_rebases(engine, UNIT, METRIC)
    assert list(found.columns) == list(rebase.COLUMNS)
    assert found["date"].tolist() == [dt.date(2026, 5, 4)]
    assert found["reason"].tolist() == ["Start-time huddle"]
    assert found["created_by"].tolist() == ["j.smith"]


def test_rebases_are_oldest_first_and_kept_apart_by_unit_and_metric(engine):
    add(engine, dt.date(2026, 7, 1), "Second change")
    add(engine, dt.datetime(2026, 2, 2, 9, 30), "First change")  # a datetime keeps its date
    add(engine, "2026-03-01", "Another theatre", unit="theatre:RBL/RBL01/Theatre 4")
    add(engine, "2026-03-01", "Another metric", metric="theatre_uncapped_utilisation")
    found = rebase.list_rebases(engine, UNIT, METRIC)
    assert found["date"].tolist() == [dt.date(2026, 2, 2), dt.date(2026, 7, 1)]
    assert rebase.list_rebases(engine, "trust:RBL", METRIC).empty


def test_reason_is_stored_verbatim_not_run(engine):
    reason = "'); DROP TABLE rebase; --"
    add(engine, reason=f"  {reason}  ")
    assert rebase.list_rebases(engine, UNIT, METRIC)["reason"].tolist() == [reason]


def test_same_unit_metric_and_date_twice_is_refused(engine):
    add(engine)
    with pytest.raises(InputError) as error:
        add(engine, reason="Again")
    (problem,) = error.value.problems
    assert problem.column == "date" and problem.value == "2026-05-04"
    assert "already has a rebase" in problem.message
    assert len(rebase.list_rebases(engine, UNIT, METRIC)) == 1


@pytest.mark.parametrize(
    ("date", "reason", "column", "message"),
    [
        ("2026-10-31", "Tomorrow's change", "date", "future"),
        ("04/05/2026", "Wrong date format", "date", "YYYY-MM-DD"),
        (None, "No date", "date", "YYYY-MM-DD"),
        ("2026-05-04", "   ", "reason", "give a reason"),
        ("2026-05-04", "x" * (rebase.MAX_REASON + 1), "reason", "keep it to"),
    ],
)
def test_bad_input_names_the_field_and_writes_nothing(engine, date, reason, column, message):
    with pytest.raises(InputError) as error:
        add(engine, date, reason)
    (problem,) = error.value.problems
    assert problem.file == rebase.SOURCE and problem.column == column
    assert message in problem.message
    assert rebase.list_rebases(engine, UNIT, METRIC).empty


def test_every_problem_is_listed_at_once(engine):
    with pytest.raises(InputError) as error:
        add(engine, "not a date", "", unit=" ", user="")
    assert [p.column for p in error.value.problems] == ["unit", "user", "date", "reason"]


def test_today_is_allowed(engine):
    add(engine, TODAY.isoformat())
    assert rebase.list_rebases(engine, UNIT, METRIC)["date"].tolist() == [TODAY]
