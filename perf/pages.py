"""The page step: every page timed in-process through AppTest, against Streamlit's own floor.

``python -m perf.pages [PAGE ...]`` times the pages against the store in ``DATABASE_URL`` (the
demo: ``python -m productivity demo --months 12``); ``python -m perf`` runs the same step on the
store it generated. Pages are found by glob (``streamlit_app.py``, which shows the Overview, and
every ``pages/*.py``), so a new page is timed without a change here.

For each page: one untimed warm-up render (imports), then rounds of: every cache cleared
(Streamlit's and the store's in-process readers: a cold first render), the first render, then
each filter changed once, in page order, to a value not used before, so each change is a cache
miss. The filters are the sidebar selectboxes (Trust, From, To, Specialty, Modality) and any
other selectbox bound to the URL (a page's own test, site or theatre); selectboxes that appear
after a change (a trust's sites) are changed too. Before them, each of the page's other tabs
(``ui.page_tabs``, of which only the open one runs) is opened once, and the first again: a tab
switch is a click as well, reported beside the filter changes. The floor is a trivial page (a
selectbox, a 1,000-row table and an Altair chart) timed the same way, before and after the
pages, and pooled: the ratios to it are what compare across machines. Targets are reported,
never asserted.

``--profile`` (see :mod:`perf.profiling`) also says where each page's filter change goes.
Nothing in ``productivity`` imports this module; it must not change the pages or the store.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

from perf.apptest import (
    Change,
    app,
    change_filters,
    clear_caches,
    database_url,
    discover,
    error_of,
    page_name,
    quiet_streamlit,
    switch_tabs,
    timed_run,
)
from perf.common import ROOT

PAGE_BUDGET_S = 120.0  # no new round once a page has used this much (one round always runs)
FLOOR_ROUNDS = 6  # per floor measurement (twice a run): cheap, and the ratios' denominator
FLOOR = '''"""The floor: a trivial page, timed as the app's pages are."""
import altair as alt
import numpy as np
import pandas as pd
import streamlit as st

t = st.sidebar.selectbox("Trust", [f"T{i}" for i in range(20)], key="trust", bind="query-params")
df = pd.DataFrame({"x": np.arange(1000), "y": np.random.default_rng(len(t)).random(1000)})
st.title(t)
st.dataframe(df)
st.altair_chart(alt.Chart(df).mark_line().encode(x="x", y="y"))
'''


@dataclass(frozen=True)
class Targets:
    """Issue 17's page targets at one scale; ``None`` = no target of that kind there."""

    name: str
    first_s: float | None = None  # first render at most this (strictly under, if first_strict)
    first_strict: bool = False
    change_s: float | None = None  # median filter change at most this
    change_floor_x: float | None = None  # median filter change at most this × the floor's
    worst_floor_x: float | None = None  # worst filter change at most this × the floor's median

    def check(self, page: PageTiming, floor: PageTiming) -> list[tuple[str, bool]]:
        """Each target in force with whether ``page`` met it. A page that failed misses all; a
        page without filters has no change targets."""
        out: list[tuple[str, bool]] = []
        first, change, worst = page.first_s, page.change_median_s, page.change_worst_s
        base = floor.change_median_s
        if self.first_s is not None:
            op = "<" if self.first_strict else "<="
            ok = first is not None and (
                first < self.first_s if self.first_strict else first <= self.first_s
            )
            out.append((f"first{op}{self.first_s:g}s", ok and not page.error))
        if not page.changes and not page.error:
            return out
        if self.change_s is not None:
            ok = change is not None and change <= self.change_s
            out.append((f"change<={self.change_s * 1000:.0f}ms", ok))
        if self.change_floor_x is not None and base:
            ok = change is not None and change <= self.change_floor_x * base
            out.append((f"change<={self.change_floor_x:g}x", ok))
        if self.worst_floor_x is not None and base:
            ok = worst is not None and worst <= self.worst_floor_x * base
            out.append((f"worst<={self.worst_floor_x:g}x", ok))
        # Opening a tab is a click too: its median is held to the filter change's target.
        tab = page.tab_median_s
        if tab is not None and self.change_s is not None:
            out.append((f"tab<={self.change_s * 1000:.0f}ms", tab <= self.change_s))
        if tab is not None and self.change_floor_x is not None and base:
            out.append((f"tab<={self.change_floor_x:g}x", tab <= self.change_floor_x * base))
        return out


TARGETS = {
    # The collaborative's own size: the 12-month demo (282k cases).
    "collaborative": Targets(
        "collaborative", first_s=1.0, first_strict=True, change_floor_x=5, worst_floor_x=10
    ),
    "region": Targets("region", first_s=1.5, change_s=0.3),  # 1.5m cases a year
    "national": Targets("national", change_s=0.5),  # 12m cases a year
}
SCALE_TARGETS = {"tiny": "collaborative", "trust": "collaborative", "region": "region",
                 "national": "national"}  # fmt: skip


@dataclass
class PageTiming:
    """One page's samples; the statistics are over every round."""

    page: str
    path: str
    firsts: list[float] = field(default_factory=list)  # wall time of each first render
    changes: list[Change] = field(default_factory=list)
    error: str | None = None
    first_cpu: list[float] = field(default_factory=list)  # CPU time of each first render
    first_charts: int = 0  # Vega-Lite charts in the first render (the default view)
    tabs: list[Change] = field(default_factory=list)  # each other tab opened once a round

    @property
    def chartless(self) -> int:
        """Changes after which a page that draws charts drew none: most likely an empty state
        ("no lists for this unit"), which is quicker than the page and flatters its median."""
        return sum(c.charts == 0 for c in self.changes) if self.first_charts else 0

    @property
    def unapplied(self) -> int:
        """Changes the filter did not show afterwards (the page reset it): measured, flagged."""
        return sum(not c.applied for c in self.changes)

    @property
    def first_s(self) -> float | None:
        return statistics.median(self.firsts) if self.firsts else None

    @property
    def first_cpu_s(self) -> float | None:
        return statistics.median(self.first_cpu) if self.first_cpu else None

    @property
    def change_median_s(self) -> float | None:
        return statistics.median(c.seconds for c in self.changes) if self.changes else None

    @property
    def change_cpu_s(self) -> float | None:
        return statistics.median(c.cpu_s for c in self.changes) if self.changes else None

    @property
    def change_worst_s(self) -> float | None:
        return max(c.seconds for c in self.changes) if self.changes else None

    @property
    def tab_median_s(self) -> float | None:
        return statistics.median(c.seconds for c in self.tabs) if self.tabs else None

    @property
    def tab_worst_s(self) -> float | None:
        return max(c.seconds for c in self.tabs) if self.tabs else None

    @property
    def worst_change(self) -> Change | None:
        return max(self.changes, key=lambda c: c.seconds) if self.changes else None

    def as_dict(self) -> dict[str, object]:
        return {**asdict(self), "first_s": self.first_s, "change_median_s": self.change_median_s,
                "change_worst_s": self.change_worst_s, "first_cpu_s": self.first_cpu_s,
                "change_cpu_s": self.change_cpu_s, "tab_median_s": self.tab_median_s,
                "tab_worst_s": self.tab_worst_s}  # fmt: skip


@dataclass
class PagesReport:
    """Every page and the pooled floor, with the targets they are read against."""

    pages: list[PageTiming]
    floor: PageTiming
    targets: Targets
    indicative: bool = False  # the targets are set for another scale
    load_average: tuple[float, ...] = ()

    def as_dict(self) -> dict[str, object]:
        rows = [{**p.as_dict(), "targets": self.targets.check(p, self.floor)} for p in self.pages]
        return {"targets": asdict(self.targets), "indicative": self.indicative,
                "floor": self.floor.as_dict(), "pages": rows,
                "load_average": list(self.load_average)}  # fmt: skip


def measure_page(path: Path, rounds: int, budget_s: float = PAGE_BUDGET_S) -> PageTiming:
    """Warm up, then ``rounds`` of (caches cleared, first render, each filter changed)."""
    timing = PageTiming(page_name(path), str(path))
    used: dict[str, set[str]] = {}
    with quiet_streamlit():
        clear_caches()  # the engine too: it may be another store's
        warm = app(path)
        warm.run()
        timing.error = error_of(warm)
        for _ in range(max(1, rounds)):
            spent = sum(timing.firsts) + sum(c.seconds for c in timing.changes)
            if timing.error or (timing.firsts and spent > budget_s):
                break
            clear_caches()
            at = app(path)
            first = timed_run(at)
            timing.firsts.append(first.seconds)
            timing.first_cpu.append(first.cpu_s)
            timing.first_charts = max(timing.first_charts, len(at.get("vega_lite_chart")))
            timing.error = error_of(at)
            # Tabs first, on the default view: a filter change may end in an empty state
            # (a trust outside the chosen peer group), which draws no tabs.
            if timing.error is None:
                timing.tabs.extend(switch_tabs(at))
                timing.error = error_of(at)
            if timing.error is None:
                timing.changes.extend(change_filters(at, used))
                timing.error = error_of(at)
    return timing


@contextmanager
def floor_page() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="perf-floor-") as folder:
        path = Path(folder) / "floor.py"
        path.write_text(FLOOR)
        yield path


def pooled(first: PageTiming, second: PageTiming) -> PageTiming:
    return PageTiming("FLOOR", first.path, first.firsts + second.firsts,
                      first.changes + second.changes, first.error or second.error,
                      first.first_cpu + second.first_cpu)  # fmt: skip


def measure_pages(
    paths: list[Path], rounds: int, targets: Targets, *, url: str | None = None,
    budget_s: float = PAGE_BUDGET_S, log: Callable[[str], None] = lambda _: None,
    indicative: bool = False,
) -> PagesReport:  # fmt: skip
    """Every page in ``paths``, and the floor before and after them (pooled)."""
    with database_url(url), floor_page() as floor_path:
        before = measure_page(floor_path, FLOOR_ROUNDS)
        pages = []
        for path in paths:
            pages.append(measure_page(path, rounds, budget_s))
            log(f"  {summary_line(pages[-1])}")
        after = measure_page(floor_path, FLOOR_ROUNDS)
    floor = pooled(before, after)
    log(f"  {summary_line(floor)}")
    return PagesReport(pages, floor, targets, indicative, tuple(os.getloadavg()))


def summary_line(t: PageTiming) -> str:
    if t.error:
        return f"{t.page}: ERROR {t.error}"
    change = f"{t.change_median_s:.3f}/{t.change_worst_s:.3f} s" if t.changes else "no change"
    return f"{t.page}: first {t.first_s:.3f} s, change {change} ({len(t.changes)} changes)"


# ---------------------------------------------------------------------------------------------
# Report


def _s(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def _x(value: float | None, base: float | None) -> str:
    return "-" if value is None or not base else f"{value / base:.1f}x"


def _count(p: PageTiming) -> str:
    flags = [f"{n} {what}" for n, what in ((p.chartless, "blank"), (p.unapplied, "undone")) if n]
    return f"{len(p.changes)}" + (f" ({', '.join(flags)})" if flags else "")


def _tabs(p: PageTiming) -> str:
    if not p.tabs:
        return "-"
    return f"{_s(p.tab_median_s)}/{_s(p.tab_worst_s)} ({len(p.tabs)})"


def pages_table(report: PagesReport) -> str:
    """Per page: first render, change median/worst (s), ratios to the floor and the targets."""
    floor = report.floor
    base_change, base_first = floor.change_median_s, floor.first_s
    head = ("page", "first s", "change med s", "worst s", "n", "change/floor", "worst/floor",
            "first/floor", "CPU first", "CPU change", "tab med/worst s", "tab/floor",
            "targets")  # fmt: skip
    star = "*" if report.indicative else ""
    body = []
    for p in [*report.pages, floor]:
        if p.error:
            body.append((p.page, *["-"] * 11, f"ERROR: {p.error}"))
            continue
        checks = report.targets.check(p, floor) if p is not floor else []
        marks = ", ".join(f"{name} {'met' if ok else 'MISSED'}{star}" for name, ok in checks)
        body.append((
            p.page, _s(p.first_s), _s(p.change_median_s), _s(p.change_worst_s),
            _count(p), _x(p.change_median_s, base_change),
            _x(p.change_worst_s, base_change), _x(p.first_s, base_first), _s(p.first_cpu_s),
            _s(p.change_cpu_s), _tabs(p), _x(p.tab_median_s, base_change), marks,
        ))  # fmt: skip
    widths = [max(len(row[i]) for row in (head, *body)) for i in range(len(head))]
    lines = ["  ".join(c.ljust(w) if i in (0, len(head) - 1) else c.rjust(w)
                       for i, (c, w) in enumerate(zip(row, widths, strict=True))).rstrip()
             for row in (head, *body)]  # fmt: skip
    lines.insert(1, "-" * max(len(line) for line in lines))
    worst = [f"{p.page}: {w.filter} -> {w.value} {w.seconds:.3f} s"
             for p in report.pages if (w := p.worst_change)]  # fmt: skip
    note = " (* indicative: set for another scale)" if star else ""
    lines.append(
        f"targets: {report.targets.name} scale{note}. CPU: the process's CPU seconds "
        "(medians), which other load on the machine disturbs far less than wall time. "
        "n: filter changes (blank: the page drew no chart after it, likely an empty state; "
        "undone: the filter did not show the new value after the rerun). tab: each other "
        "page tab opened once a round, then the first again (only the open tab's section runs)"
    )
    lines.append("worst change per page: " + "; ".join(worst))
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# Command line: python -m perf.pages [PAGE ...]


def resolve(names: list[str], root: Path = ROOT) -> list[Path]:
    """Page arguments as paths: a path, a file name in pages/, or a page name ("Mutual_aid")."""
    if not names:
        return discover(root)
    out = []
    for name in names:
        candidates = [Path(name), root / name, root / "pages" / name, root / "pages" / f"{name}.py"]
        found = next((c for c in candidates if c.is_file()), None)
        if found is None:
            raise SystemExit(f"no page {name!r}: give a path, or a name in {root / 'pages'}")
        out.append(found)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m perf.pages", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("pages", nargs="*", help="page files or names (default: every page)")
    parser.add_argument("--rounds", type=int, default=3, help="first renders per page")
    parser.add_argument("--targets", choices=TARGETS, default="collaborative")
    parser.add_argument("--budget", type=float, default=PAGE_BUDGET_S,
                        help="seconds per page after which no new round starts")  # fmt: skip
    parser.add_argument("--profile", action="store_true",
                        help="also profile each page's filter changes")  # fmt: skip
    parser.add_argument("--top", type=int, default=15, help="functions shown per page profile")
    parser.add_argument("--json", type=Path, default=None, help="write the results here")
    args = parser.parse_args(argv)
    paths = resolve(args.pages)
    sys.path.insert(0, str(ROOT))  # pages import productivity from this tree

    def log(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    url = os.environ.get("DATABASE_URL", "(default store)")
    log(f"perf.pages on {url}: {len(paths)} page(s), {args.rounds} round(s) each")
    load = [round(x, 2) for x in os.getloadavg()]
    report = measure_pages(paths, args.rounds, TARGETS[args.targets], budget_s=args.budget, log=log)
    end = [round(x, 2) for x in report.load_average]
    print(f"\nLoad average (1/5/15 min): {load} at start, {end} at end, {os.cpu_count()} cores")
    print(pages_table(report))
    payload: dict[str, object] = {"url": url, "rounds": args.rounds, **report.as_dict()}
    if args.profile:
        from perf import profiling

        profiles = profiling.profile_pages(paths, log=log)
        print()
        print(profiling.report(profiles, args.top))
        payload["profiles"] = [p.as_dict() for p in profiles]
    if args.json:
        args.json.write_text(json.dumps(payload, indent=2, default=str) + "\n")
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
