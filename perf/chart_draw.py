"""What drawing each chart costs: ``python -m perf.chart_draw [PAGE ...] [--repeat N]``.

Against the store in ``DATABASE_URL`` (the demo: ``python -m productivity demo --months 12``),
each page (and each of its tabs, and the Theatres and Look-ahead pages with a trust chosen, as
``tests/test_chart_specs.py`` visits them) runs once through AppTest while every chart it
draws (``productivity.ui.widgets.draw``) is kept. Each chart is then drawn again outside the
app (Streamlit's bare mode: the whole element is built, nothing is sent), timed both ways:

- **before**: ``st.altair_chart(chart, width="stretch")`` with Altair's validation off, as
  ``widgets.draw`` drew every chart until :mod:`productivity.ui.chart_draw`;
- **after**: ``chart_draw.draw(chart)``: the spec walked from the chart, then
  ``st.vega_lite_chart``.

Each is the best of ``--repeat`` runs (the machine is shared: the best is the least
disturbed), after a check that both make the same spec. ``spec ms`` is the conversion alone
(Streamlit's ``_convert_altair_to_vega_lite_spec`` against ``chart_draw.vega_lite_spec``);
``arrow ms`` is the part of both spent writing the chart's frames as Arrow.

``--changes N``: then, in the app, each page's filters changed as ``perf.pages`` changes them
(each a cache miss), ``N`` rounds drawing the charts each way in turn: the CPU time of the
script's thread inside ``widgets.draw`` per change (``thread_time``, which other load disturbs
little), against the process's CPU time for the whole change.
Measurement only: nothing in ``productivity`` imports this module.
"""

from __future__ import annotations

import argparse
import copy
import functools
import logging
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from perf.apptest import app, clear_caches, database_url, quiet_streamlit
from perf.common import ROOT
from tests.test_chart_specs import PAGES  # the pages that draw charts, as the chart tests list


@dataclass
class Drawn:
    """A chart a page drew: where, and the chart as it was handed to ``widgets.draw``."""

    page: str
    tab: str
    chart: Any

    @property
    def title(self) -> str:
        text = str(getattr(self.chart, "description", "") or "")
        return text.split(":")[0][:38]


@dataclass
class Timing:
    drawn: Drawn
    before_ms: float
    after_ms: float
    spec_before_ms: float
    spec_after_ms: float
    arrow_ms: float
    datasets_kb: float


def page_label(page: str, query: dict[str, str]) -> str:
    name = page.removesuffix(".py").replace("_", " ")
    return name + "".join(f" ?{k}={v}" for k, v in query.items())


@contextmanager
def kept_charts() -> Iterator[list[Any]]:
    """Every chart ``widgets.draw`` is given meanwhile (a copy, as it was given), drawn too."""
    from productivity.ui import widgets

    kept: list[Any] = []
    draw = widgets.draw

    def keep(chart: Any, where: Any = None) -> None:
        kept.append(copy.deepcopy(chart))
        draw(chart, where)

    widgets.draw = keep
    try:
        yield kept
    finally:
        widgets.draw = draw


def capture(pages: list[tuple[str, dict[str, str]]]) -> list[Drawn]:
    """Each page's charts, tab by tab (every tab of ``ui.page_tabs`` opened in turn)."""
    from tests.conftest import page_tab_sets

    found: list[Drawn] = []
    for page, query in pages:
        label = page_label(page, query)
        clear_caches()
        at = app(ROOT / "pages" / page)
        for key, value in query.items():
            at.query_params[key] = value
        with kept_charts() as kept:
            at.run()
        if at.exception:
            raise RuntimeError(f"{label}: {at.exception[0].message}")
        found += [Drawn(label, "", chart) for chart in kept]
        for key, labels in page_tab_sets(at).items():
            for tab in labels[1:]:  # the first is open already
                at.session_state[key] = tab
                with kept_charts() as kept:
                    at.run()
                found += [Drawn(label, tab, chart) for chart in kept]
    return found


def best_ms(run: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times) * 1000


def streamlit_spec(chart: Any) -> dict[str, Any]:
    """Streamlit's conversion, validation off, as ``widgets.draw`` used to ask for it."""
    from streamlit.elements import vega_charts

    chart = copy.copy(chart)
    object.__setattr__(chart, "to_dict", functools.partial(chart.to_dict, validate=False))
    spec: dict[str, Any] = vega_charts._convert_altair_to_vega_lite_spec(chart)
    return spec


def draw_before(chart: Any) -> None:
    """``widgets.draw`` as it was (on a copy: it sets the chart's ``to_dict``)."""
    draw_before_in_app(copy.copy(chart))


def time_chart(drawn: Drawn, repeat: int) -> Timing:
    import pandas as pd
    from streamlit import dataframe_util

    from productivity.ui import chart_draw

    chart = drawn.chart
    ours = chart_draw.vega_lite_spec(chart)  # raises if the walk does not cover the chart
    theirs = streamlit_spec(chart)
    if ours != theirs:
        raise AssertionError(f"{drawn.page} {drawn.tab} {drawn.title}: the specs differ")
    frames = [f for f in _frames(chart) if isinstance(f, pd.DataFrame)]
    return Timing(
        drawn,
        before_ms=best_ms(lambda: draw_before(chart), repeat),
        after_ms=best_ms(lambda: chart_draw.draw(chart), repeat),
        spec_before_ms=best_ms(lambda: streamlit_spec(chart), repeat),
        spec_after_ms=best_ms(lambda: chart_draw.vega_lite_spec(chart), repeat),
        arrow_ms=best_ms(
            lambda: [dataframe_util.convert_anything_to_arrow_bytes(f) for f in frames], repeat
        ),
        datasets_kb=sum(len(v) for v in ours["datasets"].values() if isinstance(v, bytes)) / 1024,
    )


def _frames(obj: Any) -> Iterator[Any]:
    """The frames a chart holds (its own and its layers'), each once."""
    import altair as alt

    seen: set[int] = set()

    def walk(value: Any) -> Iterator[Any]:
        if isinstance(value, alt.SchemaBase):
            for item in value._kwds.values():
                yield from walk(item)
        elif isinstance(value, (list, tuple)):
            for item in value:
                yield from walk(item)
        elif hasattr(value, "columns") and id(value) not in seen:
            seen.add(id(value))
            yield value

    yield from walk(obj)


def table(timings: list[Timing]) -> str:
    head = (
        f"{'page':26} {'tab':14} {'chart':38} {'data KB':>7} {'before ms':>9} {'after ms':>8} "
        f"{'ratio':>6} {'spec ms before':>14} {'after':>6} {'arrow ms':>8}"
    )
    lines = [head, "-" * len(head)]
    for t in timings:
        d = t.drawn
        lines.append(
            f"{d.page[:26]:26} {d.tab[:14]:14} {d.title:38} {t.datasets_kb:7.1f} "
            f"{t.before_ms:9.2f} {t.after_ms:8.2f} {t.before_ms / t.after_ms:5.1f}x "
            f"{t.spec_before_ms:14.2f} {t.spec_after_ms:6.2f} {t.arrow_ms:8.2f}"
        )
    lines.append("")
    pages = list(dict.fromkeys(t.drawn.page for t in timings))
    for page in [*pages, "all pages"]:
        rows = [t for t in timings if page in ("all pages", t.drawn.page)]
        before, after = sum(t.before_ms for t in rows), sum(t.after_ms for t in rows)
        lines.append(
            f"{page:26} {len(rows):3} charts: {before:7.1f} ms -> {after:6.1f} ms "
            f"({before / after:4.1f}x; per chart: median {_median(rows, 'before_ms'):5.2f} -> "
            f"{_median(rows, 'after_ms'):5.2f} ms)"
        )
    return "\n".join(lines)


def _median(rows: list[Timing], name: str) -> float:
    return float(statistics.median(getattr(t, name) for t in rows))


@dataclass
class Changes:
    """One page's filter changes drawn one way: CPU seconds per change, in draw and in all."""

    draw_s: list[float]
    change_s: list[float]


def in_app(page: str, query: dict[str, str], rounds: int) -> dict[str, Changes]:
    """The page's filter changes, ``rounds`` times each way (before, after, in turn)."""
    from perf.apptest import change_filters
    from productivity.ui import chart_draw, widgets

    spent = [0.0]
    real = widgets.draw
    ways = {"before": draw_before_in_app, "after": chart_draw.draw}
    found = {way: Changes([], []) for way in ways}
    # Each way its own record of values used: both make the same changes, in the same order.
    used: dict[str, dict[str, set[str]]] = {way: {} for way in ways}
    for _ in range(rounds):
        for way, draw in ways.items():

            def timed(chart: Any, where: Any = None, draw: Any = draw) -> None:
                start = time.thread_time()
                draw(chart, where)
                spent[0] += time.thread_time() - start

            widgets.draw = timed
            try:
                clear_caches()
                at = app(ROOT / "pages" / page)
                for key, value in query.items():
                    at.query_params[key] = value
                at.run()
                spent[0] = 0.0
                for change in change_filters(at, used[way]):
                    found[way].draw_s.append(spent[0])
                    found[way].change_s.append(change.cpu_s)
                    spent[0] = 0.0
            finally:
                widgets.draw = real
    return found


def draw_before_in_app(chart: Any, where: Any = None) -> None:
    """``widgets.draw`` as it was, in the app: validation off, then ``altair_chart``."""
    import streamlit as st

    object.__setattr__(chart, "to_dict", functools.partial(chart.to_dict, validate=False))
    (st if where is None else where).altair_chart(chart, width="stretch")


def changes_table(results: dict[str, dict[str, Changes]]) -> str:
    head = (
        f"{'page':26} {'n':>3} {'draw CPU ms a change: before':>28} {'after':>6} "
        f"{'change CPU ms: before':>21} {'after':>6}"
    )
    lines = [head, "-" * len(head)]
    for page, ways in results.items():
        before, after = ways["before"], ways["after"]
        draws = f"{_ms(before.draw_s):28.1f} {_ms(after.draw_s):6.1f}"
        changes = f"{_ms(before.change_s):21.1f} {_ms(after.change_s):6.1f}"
        lines.append(f"{page:26} {len(after.change_s):3} {draws} {changes}")
    lines.append("(medians over the changes; before and after alternate, round by round)")
    return "\n".join(lines)


def _ms(values: list[float]) -> float:
    return statistics.median(values) * 1000 if values else float("nan")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m perf.chart_draw", description=__doc__)
    parser.add_argument("pages", nargs="*", help="page files' names (default: every page)")
    parser.add_argument("--repeat", type=int, default=7, help="runs per chart (the best counts)")
    parser.add_argument("--url", help="the store (default: DATABASE_URL)")
    parser.add_argument("--changes", type=int, default=0, help="rounds of filter changes")
    args = parser.parse_args(argv)
    chosen = [
        (page, query)
        for page, query in PAGES
        if not args.pages or Path(page).stem.lower() in {p.lower() for p in args.pages}
    ]
    with database_url(args.url), quiet_streamlit():
        drawn = capture(chosen)
        logging.getLogger("streamlit").setLevel(logging.ERROR)  # bare mode's warnings
        timings = [time_chart(d, args.repeat) for d in drawn]
        print(table(timings), flush=True)
        if args.changes:
            results = {page_label(p, q): in_app(p, q, args.changes) for p, q in chosen}
            print()
            print(changes_table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
