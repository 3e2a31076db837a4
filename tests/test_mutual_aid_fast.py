"""The mutual-aid inputs worked out once per build equal, to the last bit, what they replace.

:mod:`productivity.views.aid_waits` picks each period's latest DM01 returns, waits and endoscopy
point shares from every provider × month; :mod:`productivity.views.aid_capacity` keeps every
"To" month's spare capacity from one grouped sum. Each is checked here against the calculation
it replaces, for every period of the demo store.
"""

from __future__ import annotations

import pickle

import pandas as pd
import pytest

from productivity.benchmarks import load_benchmarks
from productivity.metrics import waits
from productivity.store import marts, readers, reports
from productivity.views import aid_capacity, aid_waits, mutual_aid as mutual_aid_data

ENDOSCOPY = ["COLONOSCOPY", "GASTROSCOPY", "FLEXI_SIGMOIDOSCOPY"]


def every_period(months: list[str]) -> list[marts.Period]:
    """Every From and To month, each end open too."""
    ends = [None, *months]
    return [marts.Period(s, e) for s in ends for e in ends if not (s and e and s > e)]


def test_each_periods_latest_returns_and_waits_are_picked_as_worked_out_alone(demo_engine):
    months = sorted(reports.read_dm01(demo_engine)["month"].unique())
    points = load_benchmarks().endoscopy_points()
    mutual_aid_data.clear_read_cache()
    for period in [*every_period(months), marts.Period("2001-01", "2001-02")]:
        latest = reports.latest_dm01(demo_engine, period)
        rows, by_test = aid_waits.period_waits(demo_engine, period)
        pd.testing.assert_frame_equal(rows, latest, check_exact=True)
        if latest.empty:
            assert by_test.empty
            continue
        alone = waits.dm01_waits(latest, ["provider_code", "test_code"])
        pd.testing.assert_frame_equal(by_test, alone, check_exact=True)
        for test in ENDOSCOPY:
            pd.testing.assert_series_equal(
                aid_waits.point_share(demo_engine, period, test, points),
                aid_capacity.endoscopy_point_share(latest, test, points),
                check_exact=True,
            )


def test_a_new_build_is_read_again(demo_engine, monkeypatch):
    mutual_aid_data.clear_read_cache()
    first = aid_waits.dm01_months(demo_engine)
    assert aid_waits.dm01_months(demo_engine) is first
    monkeypatch.setattr(aid_waits.marts, "build_stamp", lambda _: "another build")
    assert aid_waits.dm01_months(demo_engine) is not first


def _fractional(read):
    """A reader whose hours, points and minutes have fractions no float holds exactly (a tenth
    of a small count), the same for a row whatever period it is read in: sums of them depend on
    the order they are added in, which the rows worked out at once must keep."""

    def modality_rows(engine, serving, period, trust=None):
        rows = read(engine, serving, period, trust)
        for column, count in (
            ("operational_hours", "scans"),
            ("planned_points", "procedures"),
            ("scheduled_minutes", "tests"),
        ):
            if column in rows.columns:
                rows = rows.assign(**{column: rows[column] + (rows[count] % 7) * 0.1})
        return rows

    return modality_rows


@pytest.mark.parametrize("fractions", [False, True])
@pytest.mark.parametrize("basis", ["national", "peer"])
@pytest.mark.parametrize("test", ["MRI", "GASTROSCOPY", "ECHOCARDIOGRAPHY"])
def test_every_to_months_spare_capacity_at_once_is_each_worked_out_alone(
    demo_engine, monkeypatch, test, basis, fractions
):
    if fractions:
        monkeypatch.setattr(readers, "modality_rows", _fractional(readers.modality_rows))
    bench = load_benchmarks()
    months = sorted(marts.read_mart(demo_engine, marts.IMAGING)["month"].unique())
    periods = every_period(months)

    def spare(period: marts.Period) -> pd.DataFrame:
        latest = mutual_aid_data.latest_dm01(demo_engine, period)
        return aid_capacity.spare_capacity(demo_engine, test, period, bench, latest, basis=basis)

    mutual_aid_data.clear_read_cache()
    spare(periods[0])
    at_once = len(aid_capacity._SPARE)
    assert at_once > 1  # the first period kept every month's last weeks
    kept = [spare(period) for period in periods[1:]]
    assert len(aid_capacity._SPARE) < at_once + len(periods) - 1  # "To" months found theirs
    monkeypatch.setattr(aid_capacity, "_every_end_month", lambda *_: None)
    for period, found in zip(periods[1:], kept, strict=True):
        mutual_aid_data.clear_read_cache()
        pd.testing.assert_frame_equal(found, spare(period), check_exact=True)


def test_spare_capacity_is_kept_for_a_copy_of_the_benchmarks(demo_engine):
    """The page's benchmarks are a new copy each rerun (st.cache_data), and a benchmark without
    a value is NaN, so the copy never equals the set the sums were kept for; they are compared
    pickled."""
    bench = load_benchmarks()
    copy = pickle.loads(pickle.dumps(bench))
    period = marts.Period()
    latest = mutual_aid_data.latest_dm01(demo_engine, period)
    mutual_aid_data.clear_read_cache()
    first = aid_capacity.spare_capacity(demo_engine, "MRI", period, bench, latest)
    kept = len(aid_capacity._SPARE)
    again = aid_capacity.spare_capacity(demo_engine, "MRI", period, copy, latest)
    assert len(aid_capacity._SPARE) == kept
    pd.testing.assert_frame_equal(again, first, check_exact=True)


def test_trust_labels_kept_per_code_are_the_labels_worked_out_afresh():
    from productivity import settings
    from productivity.peers import _read
    from productivity.views import aid_tables

    codes = [*_read(settings.TRUSTS_FILE).index, "ZZZ", "X0D"]
    aid_tables._LABELS.clear()
    for case in (
        pd.Series(codes),
        pd.Series([*codes[::-1], *codes], index=range(100, 100 + 2 * len(codes))),
        pd.Series([], dtype=object),
        pd.Series(["RBL", None, "RET"]),
        pd.Series(codes, dtype="string"),
    ):
        afresh = aid_tables._labels(case.astype(str).reset_index(drop=True))
        pd.testing.assert_series_equal(aid_tables.trust_label(case), afresh, check_exact=True)
    assert len(aid_tables._LABELS) > len(codes) - 1  # each code worked out once


@pytest.mark.parametrize("test", ["MRI", "GASTROSCOPY", "ECHOCARDIOGRAPHY"])
def test_each_periods_last_whole_weeks_from_the_builds_pairs_are_the_rows_own(demo_engine, test):
    from productivity.modalities import for_test

    serving = for_test(test)
    stamp = marts.build_stamp(demo_engine)
    assert stamp  # else the pairs are not kept and this would compare a path with itself
    months = sorted(readers.modality_rows(demo_engine, serving, marts.Period())["month"].unique())
    aid_capacity.clear_read_cache()
    checked = 0
    for period in [*every_period(months), marts.Period("2001-01", "2001-02")]:
        for count in (1, aid_capacity.RECENT_WEEKS, 9):
            rows = readers.modality_rows(demo_engine, serving, period)
            alone = aid_capacity._last_weeks(rows, count)
            assert aid_capacity._period_weeks(demo_engine, serving, period, count, stamp) == alone
            checked += bool(alone[0])
    assert len(aid_capacity._PAIRS) == 1 and checked
