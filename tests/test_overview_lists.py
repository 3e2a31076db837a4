"""The Overview scorecard's per-build arrays (issue 17): a mart read as arrays is
``read_mart``'s rows, each list's figures are read only when a period other than the whole
store asks for them (or a prefetch does), and one read serves every call."""

from __future__ import annotations

import gc
import logging
import threading
import time

import numpy as np
import pandas as pd
import pytest

from productivity.benchmarks import load_benchmarks
from productivity.store import marts
from productivity.store.mart_reads import mart_arrays
from productivity.views import overview_card as oc, overview_lists as ol


def test_a_mart_as_arrays_is_read_mart_s_rows_in_order(demo_engine):
    keys, figures = ("trust_code", "specialty", "month"), ol.LIST_FIGURES
    codes, labels, values = mart_arrays(demo_engine, marts.THEATRE_LIST, keys, figures)
    rows = marts.read_mart(demo_engine, marts.THEATRE_LIST, columns=[*keys, *figures])
    for key in keys:
        assert list(labels[key]) == sorted(labels[key])
        shown = pd.Series(labels[key][codes[key]], dtype=object).where(codes[key] >= 0)
        expected = rows[key].astype(object).where(rows[key].notna())
        pd.testing.assert_series_equal(shown, expected, check_names=False)
    for name in figures:
        np.testing.assert_array_equal(values[name], rows[name].to_numpy(dtype="float64"))


def test_unknown_columns_are_refused(demo_engine):
    with pytest.raises(ValueError, match="no column"):
        mart_arrays(demo_engine, marts.THEATRE_LIST, ["trust_code"], ["nonsense"])
    with pytest.raises(ValueError, match="unknown mart"):
        mart_arrays(demo_engine, "sqlite_master", ["name"], [])


def test_the_whole_store_s_scorecard_reads_no_list(demo_engine, monkeypatch):
    reads: list[object] = []
    real = ol.list_sources
    monkeypatch.setattr(oc, "list_sources", lambda *a: reads.append(a) or real(*a))
    sources = oc.card_sources(demo_engine)
    bench = load_benchmarks(override=None)
    oc.trust_scorecard(sources, demo_engine, marts.Period(), bench)
    assert reads == []
    months = sources.months.months
    oc.trust_scorecard(sources, demo_engine, marts.Period(months[1], months[-2]), bench)
    oc.trust_scorecard(sources, demo_engine, marts.Period(months[2], None), bench)
    assert len(reads) == 1  # then held


def test_a_prefetch_reads_once_and_a_call_waits_for_it():
    started, release = threading.Event(), threading.Event()
    reads: list[int] = []

    def slow_read() -> ol.ListSources:
        started.set()
        release.wait(5)
        reads.append(1)
        return "held"  # type: ignore[return-value]

    held = ol.HeldLists(slow_read)
    held.prefetch()
    assert started.wait(5)
    held.prefetch()  # already under way: no second read, and no wait
    waiting = threading.Thread(target=held)
    waiting.start()
    release.set()
    waiting.join(5)
    assert held() == "held" and reads == [1]


def test_a_failed_prefetch_is_read_again_on_use():
    outcomes = iter([RuntimeError("store busy"), "held"])
    done = threading.Event()

    def read() -> ol.ListSources:
        outcome = next(outcomes)
        if isinstance(outcome, Exception):
            done.set()
            raise outcome
        return outcome  # type: ignore[return-value]

    held = ol.HeldLists(read)
    held.prefetch()
    assert done.wait(5)
    assert held() == "held"


def test_a_failed_prefetch_is_logged(caplog: pytest.LogCaptureFixture):
    def read() -> ol.ListSources:
        raise RuntimeError("store busy, for the log")

    def logged() -> list[logging.LogRecord]:
        # Only this test's failure: another test's prefetch thread may log meanwhile.
        return [r for r in caplog.records if r.exc_info and "for the log" in str(r.exc_info[1])]

    held = ol.HeldLists(read)
    with caplog.at_level(logging.WARNING, logger="productivity.overview"):
        held.prefetch(delay_s=0)
        deadline = time.monotonic() + 5
        while not logged() and time.monotonic() < deadline:
            time.sleep(0.01)
    assert [r.getMessage() for r in logged()] == ["reading every list in the background failed"]


def test_pairs_are_numbered_as_a_groupby_by_trust_then_key_numbers_them():
    trust = np.array([1, 0, 1, -1, 0, 1])
    code = np.array([2, -1, 0, 1, 2, 2])
    pair, pair_trust, pair_code = ol.numbered_pairs(trust, code, 3)
    frame = pd.DataFrame({"t": trust, "k": np.where(code >= 0, code, np.nan)})[trust >= 0]
    groups = frame.groupby(["t", "k"], dropna=False, sort=True).ngroup().to_numpy()
    np.testing.assert_array_equal(pair[trust >= 0], groups)
    assert pair[3] == -1
    assert pair_trust.tolist() == [0, 0, 1, 1]
    assert pair_code.tolist() == [2, 3, 0, 2]


@pytest.mark.parametrize("size, groups", [(0, 1), (40, 3), (700, 12), (20_000, 150)])
def test_group_sums_are_pandas_groupby_sums_bit_for_bit(size, groups):
    rng = np.random.default_rng(size)
    keys = rng.integers(-1, groups, size)
    whole = rng.integers(0, 500, size).astype(float)
    whole[::7] = np.nan
    fractions = rng.random(size) * 100
    fractions[::5] = np.nan
    figures = {"whole": whole, "fractions": fractions, "none": np.full(size, np.nan)}
    expected = pd.DataFrame(figures).groupby(pd.Index(keys), sort=True).sum()
    pd.testing.assert_frame_equal(ol.group_sums(keys, figures), expected, check_exact=True)


def test_a_prefetch_reads_nothing_once_its_lists_are_no_longer_held():
    reads: list[int] = []
    held = ol.HeldLists(lambda: reads.append(1))  # type: ignore[arg-type,return-value]
    held.prefetch(delay_s=0.1)
    del held  # the page's cache cleared, or the store rebuilt, before the thread reads
    gc.collect()
    for thread in [t for t in threading.enumerate() if t.name == "overview-lists"]:
        thread.join(5)
    assert reads == []


def test_lists_are_read_with_the_first_render_up_to_the_collaboratives_size(monkeypatch):
    """At most EAGER_LISTS lists are read at once (the first other period is then as quick as
    any change); more are read in the background, so the first render does not wait for them."""
    from types import SimpleNamespace

    from productivity.ui import overview as loaders

    calls: list[str] = []

    def read_now() -> None:
        calls.append("now")

    read_now.prefetch = lambda: calls.append("background")  # type: ignore[attr-defined]
    sources = SimpleNamespace(lists=read_now)
    monkeypatch.setattr(loaders, "held_sources", lambda: sources)
    monkeypatch.setattr(loaders, "engine", lambda: None)
    monkeypatch.setattr(loaders.marts, "build_stamp", lambda _: "stamp")
    monkeypatch.setattr(loaders, "list_count", lambda _: loaders.EAGER_LISTS)
    loaders.prefetch_lists()
    monkeypatch.setattr(loaders, "list_count", lambda _: loaders.EAGER_LISTS + 1)
    loaders.prefetch_lists()
    assert calls == ["now", "background"]
