"""The figures that link opportunity to waits, each one function, checked by hand (issue 15).

- extra activity a week = the period's additional activity ÷ the weeks of its calendar months;
- weeks to clear the 6-week backlog and what the figure means (``never`` only when true);
- chart labels in a format whose rounding agrees with the ✓/✗ judgement.
"""

from __future__ import annotations

import math

import pandas as pd
import pytest

from productivity.benchmarks import load_benchmarks
from productivity.columns import COLUMNS
from productivity.formats import agreeing_format
from productivity.metrics import waits
from productivity.planning import opportunity


@pytest.fixture(scope="module")
def bench():
    return load_benchmarks(override=None)


@pytest.mark.parametrize(
    ("months", "weeks"),
    [
        (["2026-02"], 28 / 7),  # February 2026: 4 weeks exactly
        (["2026-08", "2026-09", "2026-10"], (31 + 30 + 31) / 7),  # 13.14, though 14 ISO weeks
        (["2026-08", "2026-08", "2026-09"], (31 + 30) / 7),  # a month counts once
        (
            [f"2025-{m:02d}" for m in range(11, 13)] + [f"2026-{m:02d}" for m in range(1, 11)],
            365 / 7,
        ),  # 12 months: 52.14 weeks, not the 53 ISO weeks their days fall in
    ],  # fmt: skip
)
def test_weeks_covered_are_the_days_of_the_months_over_7(months, weeks):
    assert opportunity.weeks_covered(months) == pytest.approx(weeks)


def test_weeks_covered_of_nothing_is_no_figure():
    assert math.isnan(opportunity.weeks_covered([]))


def test_additional_per_week_by_hand():
    # RBL's demo CT: 8,264 extra scans over 12 months (365 days) = 8,264 ÷ 52.142857 = 158.49
    # a week; the old what-if divided by 53 distinct ISO weeks and showed 155.92.
    additional = pd.Series([8264.0, float("nan"), 0.0], index=["RBL", "RBN", "RET"])
    per_week = opportunity.additional_per_week(additional, 365 / 7)
    assert per_week.name == "additional_per_week"
    assert per_week["RBL"] == pytest.approx(158.4877, abs=1e-4)
    assert per_week["RBL"] != pytest.approx(8264.0 / 53)
    assert per_week["RBN"] == 0.0  # no figure: no extra capacity
    assert per_week["RET"] == 0.0


def clearance(waiting, additional, within, target=0.95):
    index = [f"T{i}" for i in range(len(waiting))]
    return waits.backlog_clearance(
        pd.Series(waiting, index=index, dtype=float),
        pd.Series(additional, index=index, dtype=float),
        pd.Series(within, index=index, dtype=float),
        target,
    )


def test_backlog_clearance_by_hand():
    out = clearance(
        waiting=[102, 25, 130, 0, float("nan"), 50],
        additional=[158.5, 0.0, 0.0, 0.0, 10.0, float("nan")],
        within=[0.928, 0.986, 0.925, 1.0, float("nan"), 0.90],
    )
    weeks, meaning = out["weeks_to_clear_backlog"], out["clearance"]
    assert weeks["T0"] == pytest.approx(102 / 158.5)  # 0.64 weeks
    assert meaning["T0"] == waits.CLEARS
    # RBN's demo CT: 98.6% within 6 weeks and no extra capacity: nothing to clear, not "never".
    assert weeks["T1"] == math.inf and meaning["T1"] == waits.MEETS_AMBITION
    # RWW's demo CT: 92.5% (short of 95%) and scanners already faster than 4 an hour.
    assert weeks["T2"] == math.inf and meaning["T2"] == waits.NEVER
    assert weeks["T3"] == 0.0 and meaning["T3"] == waits.NO_BACKLOG
    assert math.isnan(weeks["T4"]) and meaning["T4"] == waits.NO_DATA
    assert math.isnan(weeks["T5"]) and meaning["T5"] == waits.NO_DATA


def test_never_depends_on_the_ambition_in_force():
    # 94% within 6 weeks and no extra capacity: short of the 95% ambition, meets a local 90%.
    assert clearance([40], [0.0], [0.94])["clearance"].item() == waits.NEVER
    assert clearance([40], [0.0], [0.94], 0.90)["clearance"].item() == waits.MEETS_AMBITION
    assert clearance([40], [0.0], [0.95])["clearance"].item() == waits.MEETS_AMBITION  # at it


def test_backlog_clearance_checks_its_target():
    with pytest.raises(ValueError, match="fraction"):
        clearance([1], [1.0], [0.9], target=95)


def test_the_three_backlog_measures_have_different_names(bench):
    names = ["backlog_weeks", "weeks_to_clear_backlog", "additional_per_week"]
    headings = {COLUMNS[n].heading for n in names} | {COLUMNS[n].short for n in names}
    assert len(headings) == 2 * len(names)
    assert "current activity" in COLUMNS["backlog_weeks"].heading
    assert "at benchmark" in COLUMNS["weeks_to_clear_backlog"].heading
    assert "never" in COLUMNS["clearance"].meaning


@pytest.mark.parametrize(
    ("values", "fmt", "expected"),
    [
        ([0.80, 0.97], ".0%", ".0%"),  # nothing short of 95% near it: whole percents will do
        ([0.945], ".0%", ".1%"),  # 94.5% would read "95%" (Vega rounds half up)
        ([0.9496], ".1%", ".2%"),  # 94.96% would read "95.0%"
        ([0.94996], ".1%", ".3%"),
        ([0.95, 0.951], ".0%", ".0%"),  # meeting values never round below 95%
        ([float("nan"), None], ".1%", ".1%"),
    ],
)
def test_agreeing_format_keeps_a_short_value_short(bench, values, fmt, expected):
    ambition = bench["dm01_within_6_weeks"]
    assert agreeing_format(values, fmt, ambition) == expected


def test_agreeing_format_for_a_lower_is_better_benchmark(bench):
    echo = bench["echo_minutes_per_test"]  # 45 minutes, lower is better
    assert agreeing_format([45.04], ".1f", echo) == ".2f"  # "45.0" would read as meeting
    assert agreeing_format([44.96], ".1f", echo) == ".1f"  # meets it: "45.0" is true enough


def test_the_what_if_table_keeps_numbers_and_says_why_there_is_no_figure(bench):
    from productivity.views.whatif import scenario_table

    what_if = pd.DataFrame(
        {
            "trust_code": ["RBL", "RBN", "RWW"],
            "additional_cases_per_week": [69.04, 17.0, 31.2],
            "additional_ct_per_week": [158.4877, 0.0, 0.0],
            "weeks_to_clear_ct": [0.6436, math.inf, math.inf],
            "clearance_ct": [waits.CLEARS, waits.MEETS_AMBITION, waits.NEVER],
        }
    )
    table = scenario_table(what_if, bench).set_index("Trust")
    assert table.loc["RBL", "CT extra a week"] == 158.5
    weeks = table["CT weeks to clear the 6-week backlog"]
    assert weeks["RBL"] == 0.6 and weeks[["RBN", "RWW"]].isna().all()  # no inf shown
    why = table["No weeks-to-clear figure because"]
    assert why["RBL"] == ""
    assert why["RBN"] == "CT: meets the 95% ambition: no extra capacity needed"
    assert why["RWW"] == "CT: never at this rate: below 95%, no extra capacity at benchmark"
