"""Where a page's time goes: ``python -m perf.pages --profile [PAGE ...]``.

For each page, on the store in ``DATABASE_URL``, after a cold first render:

1. **Attribution**, by sampling: a thread looks at the script thread's stack every
   millisecond while the page reruns for each filter change (as :mod:`perf.pages` makes them),
   and gives the time since its last look to one category: SQL reads (SQLAlchemy, the driver,
   ``pandas.read_sql``), the chart (Altair, the Vega-Lite spec and its data, our
   ``productivity.charts``), ``st.dataframe``, CSV downloads, pandas/numpy, ``st.cache_data``'s
   own hashing and pickling, our other Python, and the rest of Streamlit; time with no script
   thread running is AppTest's (building the element tree). Sampling, unlike cProfile, does not
   slow Python code more than C code, so the shares are the real ones. The first render is
   attributed the same way.
2. **Top cumulative functions**, by cProfile in the script thread, over a second set of filter
   changes (fresh values again: each is a cache miss).
3. **What the page sends**: each Vega-Lite chart's spec (JSON bytes), its data (Arrow bytes and
   rows, datasets and inline values), and each ``st.dataframe``'s rows and Arrow bytes, in the
   default view and after the filter changes.

Measurement only: it changes neither the pages nor the store.
"""

from __future__ import annotations

import cProfile
import pstats
import sys
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from perf.apptest import (
    Run,
    app,
    change_filters,
    clear_caches,
    error_of,
    page_name,
    quiet_streamlit,
    timed_run,
)
from perf.common import ROOT
from perf.sizes import ChartSize, TableSize, element_sizes

if TYPE_CHECKING:
    from types import FrameType

    from streamlit.testing.v1 import AppTest

SCRIPT_THREAD = "ScriptRunner.scriptThread"  # the name Streamlit gives the thread a page runs in
SAMPLE_S = 0.001
OUTSIDE = "AppTest, outside the script"
STREAMLIT = "Streamlit: rerun, widgets, elements"
CATEGORIES = ("SQL read", "chart: Altair + Vega-Lite spec", "st.dataframe", "CSV download",
              "pandas/numpy", "st.cache_data hashing/pickling", "our Python", STREAMLIT,
              OUTSIDE)  # fmt: skip
Frame = tuple[str, str]  # (file name, function name)


def _sql(file: str, _: str) -> bool:
    return any(part in file for part in ("/sqlalchemy/", "/sqlite3/", "/psycopg")) or file.endswith(
        "pandas/io/sql.py"
    )


def _chart(file: str, _: str) -> bool:
    return (
        "/altair/" in file
        or file.endswith(("elements/vega_charts.py", "/productivity/ui/chart_draw.py"))
        or ("/productivity/charts/" in file)
    )


def _table(file: str, _: str) -> bool:
    return file.endswith("streamlit/elements/arrow.py")


def _download(file: str, function: str) -> bool:
    return (file.endswith("productivity/ui/tables.py") and function == "download") or (
        function == "download_button" and "/streamlit/" in file
    )


# A sample whose stack holds one of these anywhere is theirs, whatever runs inside them.
OWNERS: tuple[tuple[str, Callable[[str, str], bool]], ...] = (
    ("SQL read", _sql),
    ("chart: Altair + Vega-Lite spec", _chart),
    ("st.dataframe", _table),
    ("CSV download", _download),
)
COMPUTE = ("/pandas/", "/numpy/", "/pyarrow/", "/scipy/")


def classify(stack: list[Frame]) -> str:
    """The category of one sample; ``stack`` is innermost frame first.

    An owner (SQL, chart, table, download) anywhere in the stack takes the sample. Otherwise the
    innermost frame that is ours or Streamlit's decides, and pandas/numpy frames inside our code
    count as pandas/numpy: a sample in pandas under ``st.cache_data``'s pickling is the cache's.
    """
    for name, owns in OWNERS:
        if any(owns(file, function) for file, function in stack):
            return name
    compute = False
    for file, _ in stack:
        if any(part in file for part in COMPUTE):
            compute = True
        elif "/streamlit/runtime/caching/" in file:
            return "st.cache_data hashing/pickling"
        elif "/productivity/" in file or file.startswith(str(ROOT)):
            return "pandas/numpy" if compute else "our Python"
        elif "/streamlit/" in file:
            return STREAMLIT
    return STREAMLIT


def frames_of(frame: FrameType | None) -> list[Frame]:
    out = []
    while frame is not None:
        out.append((frame.f_code.co_filename, frame.f_code.co_name))
        frame = frame.f_back
    return out


class Sampler:
    """Time-weighted stack samples of the page's script thread, while :meth:`run` runs.

    Each look gives the time since the previous one to what the script thread is doing, so a
    look delayed by the GIL (Python code holds it up to the switch interval, 5 ms; SQLite
    releases it) still weighs what it stood for. The switch interval is left alone: shortening
    it would slow the Python-heavy parts (Altair) more than the C parts (SQLite), and bias the
    shares it measures.
    """

    def __init__(self, interval: float = SAMPLE_S) -> None:
        self.interval = interval
        self.seconds: defaultdict[str, float] = defaultdict(float)
        self.active = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="perf-sampler", daemon=True)

    def __enter__(self) -> Sampler:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()

    def run(self, at: AppTest) -> Run:
        """``at.run()``, sampled."""
        self.active = True
        try:
            return timed_run(at)
        finally:
            self.active = False

    def _loop(self) -> None:
        last = time.perf_counter()
        while not self._stop.wait(self.interval):
            now = time.perf_counter()
            elapsed, last = now - last, now
            if not self.active:
                continue
            frames = sys._current_frames()
            script = [t.ident for t in threading.enumerate() if t.name == SCRIPT_THREAD]
            stacks = [frames_of(frames.get(ident)) for ident in script if ident in frames]
            self.seconds[classify(stacks[0]) if stacks else OUTSIDE] += elapsed


@contextmanager
def script_profiles() -> Iterator[list[cProfile.Profile]]:
    """cProfile each script thread started in the block (a page runs in a new thread per run)."""
    profiles: list[cProfile.Profile] = []

    def hook(*_: object) -> None:
        if threading.current_thread().name == SCRIPT_THREAD:
            profile = cProfile.Profile()
            profiles.append(profile)
            profile.enable()  # replaces this hook for the rest of the thread
        else:
            sys.setprofile(None)

    threading.setprofile(hook)
    try:
        yield profiles
    finally:
        threading.setprofile(None)


@contextmanager
def counted_statements() -> Iterator[list[int]]:
    """The number of SQL statements any engine runs in the block (SQLAlchemy's event)."""
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    box = [0]

    def count(*_: object) -> None:
        box[0] += 1

    event.listen(Engine, "before_cursor_execute", count)
    try:
        yield box
    finally:
        event.remove(Engine, "before_cursor_execute", count)


# ---------------------------------------------------------------------------------------------
# A page's profile


@dataclass
class PageProfile:
    page: str
    first_s: float = 0.0
    first: dict[str, float] = field(default_factory=dict)  # category -> seconds
    changes: int = 0
    changes_s: float = 0.0
    change: dict[str, float] = field(default_factory=dict)  # category -> seconds, all changes
    top: list[tuple[float, int, str]] = field(default_factory=list)  # (cum s, calls, function)
    profiled_s: float = 0.0  # wall time of the cProfile'd changes
    charts: list[ChartSize] = field(default_factory=list)  # default view
    tables: list[TableSize] = field(default_factory=list)
    charts_after: list[ChartSize] = field(default_factory=list)  # after the filter changes
    tables_after: list[TableSize] = field(default_factory=list)
    first_statements: int = 0  # SQL statements run by the first render
    change_statements: int = 0  # by all the sampled filter changes
    error: str | None = None

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def _where(file: str) -> str:
    for marker in ("/site-packages/", str(ROOT) + "/"):
        if marker in file:
            return file.split(marker, 1)[1]
    return file


WRAPPERS = (
    "threading.py",
    "scriptrunner",
    "streamlit/testing/",
    "exec_code.py",
    "cache_utils.py",
    "<frozen",
    "~",
)


def top_functions(profiles: list[cProfile.Profile], n: int) -> list[tuple[float, int, str]]:
    """The ``n`` functions with the most cumulative time, without the script runner's own
    wrappers (each holds the whole run)."""
    if not profiles:
        return []
    stats = pstats.Stats(profiles[0])
    for extra in profiles[1:]:
        stats.add(extra)
    rows = []
    for (file, line, function), (_, calls, _, cumulative, _) in stats.stats.items():  # type: ignore[attr-defined]
        if any(w in file for w in WRAPPERS) or function == "<module>" and file.startswith("<"):
            continue
        rows.append((cumulative, calls, f"{_where(file)}:{line}({function})"))
    return sorted(rows, reverse=True)[:n]


def profile_page(path: Path, used: dict[str, set[str]] | None = None, n: int = 25) -> PageProfile:
    """Attribute a cold first render and each filter change of ``path`` (see the module doc)."""
    used = {} if used is None else used
    result = PageProfile(page_name(path))
    with quiet_streamlit():
        clear_caches()  # the engine too: it may be another store's
        warm = app(path)
        warm.run()
        if (error := error_of(warm)) is not None:
            result.error = error
            return result
        clear_caches()
        at = app(path)
        with Sampler() as sampler, counted_statements() as statements:
            result.first_s = sampler.run(at).seconds
        result.first, result.first_statements = dict(sampler.seconds), statements[0]
        result.charts, result.tables = element_sizes(at)
        with Sampler() as sampler, counted_statements() as statements:
            changes = list(change_filters(at, used, run=sampler.run))
        result.change_statements = statements[0]
        result.changes, result.changes_s = len(changes), sum(c.seconds for c in changes)
        result.change = dict(sampler.seconds)
        result.charts_after, result.tables_after = element_sizes(at)
        clear_caches()
        at = app(path)
        at.run()
        with script_profiles() as profiles:
            again = list(change_filters(at, used))
        result.profiled_s = sum(c.seconds for c in again)
        result.top = top_functions(profiles, n)
        result.error = error_of(at)
    return result


def profile_pages(
    paths: list[Path], n: int = 25, log: Callable[[str], None] = lambda _: None
) -> list[PageProfile]:
    out = []
    for path in paths:
        out.append(profile_page(path, n=n))
        p = out[-1]
        log(f"  profiled {p.page}: {p.changes} changes, {p.changes_s:.2f} s" + (
            f" ERROR {p.error}" if p.error else ""))  # fmt: skip
    return out


# ---------------------------------------------------------------------------------------------
# Report


def _share(seconds: dict[str, float], total: float, name: str) -> str:
    value = seconds.get(name, 0.0)
    return f"{value:7.3f} {100 * value / total:4.0f}%" if total else "      -     -"


def _kb(n: int) -> str:
    return f"{n / 1024:,.1f}"


def page_report(p: PageProfile, top: int) -> str:
    lines = [f"== {p.page}"]
    if p.error:
        return "\n".join([*lines, f"   ERROR: {p.error}"])
    first_total, change_total = sum(p.first.values()), sum(p.change.values())
    per = p.changes_s / p.changes if p.changes else 0.0
    lines.append(f"   first render {p.first_s:.3f} s, {p.first_statements} SQL statements; "
                 f"{p.changes} filter changes {p.changes_s:.3f} s (mean {per:.3f} s), "
                 f"{p.change_statements} SQL statements")  # fmt: skip
    lines.append(f"   {'where the time goes':38}  {'first render':>13}  {'filter changes':>13}")
    for name in CATEGORIES:
        if p.first.get(name, 0) or p.change.get(name, 0):
            lines.append(f"   {name:38}  {_share(p.first, first_total, name)}  "
                         f"{_share(p.change, change_total, name)}")  # fmt: skip
    lines.append(f"   top cumulative functions (cProfile in the script thread; the filter changes "
                 f"took {p.profiled_s:.3f} s under the profiler):")  # fmt: skip
    for cumulative, calls, where in p.top[:top]:
        share = 100 * cumulative / p.profiled_s if p.profiled_s else 0
        lines.append(f"   {cumulative:8.3f} s {share:4.0f}% {calls:8,}  {where}")
    lines.append("   charts in the default view: spec KB, data KB (Arrow), rows")
    for i, c in enumerate(p.charts, 1):
        lines.append(f"   {i:3}. {c.chart:40} {_kb(c.spec_bytes):>8} {_kb(c.data_bytes):>8} "
                     f"{c.rows:>8,}")  # fmt: skip
    views = (("default view", p.charts, p.tables),
             ("after the changes", p.charts_after, p.tables_after))  # fmt: skip
    for label, charts, tables in views:
        lines.append(
            f"   {label}: {len(charts)} charts, spec {_kb(sum(c.spec_bytes for c in charts))} KB, "
            f"data {_kb(sum(c.data_bytes for c in charts))} KB, "
            f"{sum(c.rows for c in charts):,} rows; {len(tables)} st.dataframe, "
            f"{sum(t.rows for t in tables):,} rows, {_kb(sum(t.bytes for t in tables))} KB"
        )
    return "\n".join(lines)


def summary_table(profiles: list[PageProfile]) -> str:
    """One line per page: the share of filter-change time per category."""
    short = ("SQL", "chart", "table", "download", "pandas", "cache", "ours", "Streamlit", "AppTest")
    head = f"{'page':24} {'change s':>8} " + " ".join(f"{s:>9}" for s in short)
    lines = ["filter-change time by category (% of the page's sampled changes)", head,
             "-" * len(head)]  # fmt: skip
    for p in profiles:
        total = sum(p.change.values())
        if p.error or not total:
            continue
        shares = " ".join(f"{100 * p.change.get(c, 0) / total:8.0f}%" for c in CATEGORIES)
        lines.append(f"{p.page:24} {p.changes_s / max(1, p.changes):8.3f} {shares}")
    return "\n".join(lines)


def sizes_table(profiles: list[PageProfile]) -> str:
    """One line per page: what its default view sends (charts and tables)."""
    head = (f"{'page':24} {'charts':>6} {'spec KB':>8} {'data KB':>8} {'rows':>7} "
            f"{'most rows':>9} {'tables':>6} {'rows':>7} {'KB':>7}")  # fmt: skip
    lines = ["what each page sends in its default view (charts: Vega-Lite spec and Arrow data)",
             head, "-" * len(head)]  # fmt: skip
    for p in profiles:
        if p.error:
            continue
        charts, tables = p.charts, p.tables
        lines.append(
            f"{p.page:24} {len(charts):6} {_kb(sum(c.spec_bytes for c in charts)):>8} "
            f"{_kb(sum(c.data_bytes for c in charts)):>8} {sum(c.rows for c in charts):7,} "
            f"{max((c.rows for c in charts), default=0):9,} {len(tables):6} "
            f"{sum(t.rows for t in tables):7,} {_kb(sum(t.bytes for t in tables)):>7}"
        )
    return "\n".join(lines)


def report(profiles: list[PageProfile], top: int = 15) -> str:
    return "\n\n".join(
        [summary_table(profiles), sizes_table(profiles), *(page_report(p, top) for p in profiles)]
    )
