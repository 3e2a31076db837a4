"""Running a page in-process through AppTest, and changing its filters as a user would.

Owns what the harness counts as a page (``streamlit_app.py``, which shows the Overview, and every
``pages/*.py``, by glob), what it counts as a filter (every sidebar selectbox and every selectbox
bound to the URL), and how it picks a filter's next value: one not used before, so each change
is a cache miss. :mod:`perf.pages` times with it and :mod:`perf.profiling` profiles with it.
Measurement only: it changes neither the pages nor the store.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from perf.common import ROOT

if TYPE_CHECKING:
    from streamlit.components.v2.component_manager import BidiComponentManager
    from streamlit.testing.v1 import AppTest

ENTRYPOINT = "streamlit_app.py"
SIDEBAR_FILTERS = ("Trust", "From", "To", "Specialty", "Modality")  # as the frame draws them
RUN_TIMEOUT_S = 3600.0  # AppTest's own default (3 s) would fail a slow page instead of timing it


@dataclass
class Change:
    """One filter change: which filter, the value it was set to, and how long the rerun took."""

    filter: str
    value: str
    seconds: float  # wall time
    cpu_s: float = 0.0  # CPU time of the process meanwhile: far less disturbed by other load
    charts: int = -1  # Vega-Lite charts the page drew after it (0: likely an empty state)
    applied: bool = True  # the filter showed the value after the rerun


@dataclass(frozen=True)
class Run:
    seconds: float
    cpu_s: float


def discover(root: Path = ROOT) -> list[Path]:
    """The entrypoint (it shows the Overview) and every page file, by glob."""
    return [root / ENTRYPOINT, *sorted((root / "pages").glob("*.py"))]


def page_name(path: Path) -> str:
    if path.name == ENTRYPOINT:
        return "Overview (entrypoint)"
    return path.stem.replace("_", " ")


def clear_caches() -> None:
    """Forget everything a cold server would not have: Streamlit's caches (data and resources:
    the engine is made again, as in a fresh process), the compiled pages, and every in-process
    reader cache of the store (any ``clear_read_cache`` a loaded ``productivity`` module
    offers)."""
    import streamlit as st

    st.cache_data.clear()
    st.cache_resource.clear()
    for scripts in _SCRIPTS:
        scripts.clear()
    for name, module in list(sys.modules.items()):
        clear = getattr(module, "clear_read_cache", None)
        if name.startswith("productivity.") and callable(clear):
            clear()


def filter_boxes(at: AppTest) -> list[Any]:
    """The selectboxes that act as filters: every one in the sidebar, in order, then every other
    one bound to the URL; disabled ones and ones with a single option are left alone."""
    sidebar = list(at.sidebar.selectbox)
    ids = {box.id for box in sidebar}
    bound = [box for box in at.selectbox if box.id not in ids and box.proto.query_param_key]
    return [box for box in [*sidebar, *bound] if not box.proto.disabled and len(box.options) >= 2]


def box_name(box: Any) -> str:
    return str(box.key or box.label)


def current_index(box: Any) -> int | None:
    """The index of ``box``'s option now chosen (None if AppTest cannot map it back)."""
    try:
        return int(box.index) if box.index is not None else None
    except ValueError:  # a format_func that is a lookup (dict.get) cannot format a label
        return None


def select_option(box: Any, index: int) -> None:
    """Choose option ``index`` as the browser does, by its label. AppTest's own
    ``select_index`` passes the label through the page's ``format_func``, which fails when that
    is a lookup such as ``dict.get``; this sends the label as the widget's state instead."""
    from streamlit.proto.WidgetStates_pb2 import WidgetState
    from streamlit.testing.v1.element_tree import Selectbox

    class ByLabel(Selectbox):  # type: ignore[type-arg]
        @property
        def _widget_state(self) -> WidgetState:
            state = WidgetState()
            state.id = self.id
            state.string_value = self.options[chosen]
            return state

    chosen = index
    box.__class__ = ByLabel


def shows(at: AppTest, name: str, value: str) -> bool:
    """Whether the filter ``name`` shows ``value`` (a change the page undid measures nothing)."""
    box = next((b for b in at.selectbox if box_name(b) == name), None)
    index = current_index(box) if box is not None else None
    return box is not None and index is not None and box.options[index] == value


def next_index(
    options: list[str],
    current: int,
    used: set[str],
    order: str = "middle",
    allowed: range | None = None,
) -> int | None:
    """The option to change to: one not in ``used`` (a cache miss), not ``current``, within
    ``allowed``. ``order`` "first" takes the earliest such option, "last" the latest, "middle"
    the middle one. None when there is none."""
    allowed = allowed if allowed is not None else range(len(options))
    fresh = [i for i in allowed if i != current and options[i] not in used]
    if not fresh:
        return None
    return {"first": fresh[0], "last": fresh[-1]}.get(order, fresh[len(fresh) // 2])


def _choice(at: AppTest, box: Any, used: set[str]) -> int | None:
    """A fresh option for ``box``; From and To keep From <= To (else the page falls back to the
    whole range, the default, which is no change). From moves up from the first month and To
    down from the last, so the period stays as wide, and the work as large, as it can."""
    options, name = list(box.options), box_name(box).lower()
    current = current_index(box)
    current = -1 if current is None else current
    other = {b.key: current_index(b) for b in at.selectbox if b.key in ("from", "to")}
    if name == "from" and (to := other.get("to")) is not None:
        return next_index(options, current, used, "first", range(to + 1))
    if name == "to" and (start := other.get("from")) is not None:
        return next_index(options, current, used, "last", range(start, len(options)))
    return next_index(options, current, used)


@contextmanager
def quiet_streamlit() -> Iterator[None]:
    """Streamlit logs a warning each time a cache is cleared outside a script run: not news.

    ``logging.disable``, because each AppTest run sets Streamlit's loggers' levels again."""
    previous = logging.root.manager.disable
    logging.disable(logging.WARNING)
    try:
        yield
    finally:
        logging.disable(previous)


_COMPONENTS: list[BidiComponentManager] = []  # one component registry for all AppTests
_SCRIPTS: list[Any] = []  # one compiled-script cache for every AppTest run of the process


def _share_script_cache() -> None:
    """Have every AppTest run share one cache of compiled page scripts, as a server does.

    A server compiles each page once (its ``Runtime`` holds one ``ScriptCache``); AppTest makes
    a new cache for every run, so each rerun parsed the page again and rewrote its syntax tree
    for Streamlit's "magic" (about 5-10 ms a rerun of a page, and ~1 ms of the floor's): a cost
    no visitor pays. :func:`clear_caches` empties it, so a cold first render still compiles.
    """
    if _SCRIPTS:
        return
    from streamlit.runtime.scriptrunner.script_cache import ScriptCache
    from streamlit.testing.v1 import app_test, local_script_runner

    shared = ScriptCache()
    _SCRIPTS.append(shared)
    for module in (app_test, local_script_runner):
        if getattr(module, "ScriptCache", None) is ScriptCache:  # skipped if Streamlit moves it
            module.ScriptCache = lambda: shared  # type: ignore[attr-defined]


def app(path: Path) -> AppTest:
    """A fresh AppTest of ``path``, sharing one component registry with the others.

    Each new AppTest otherwise scans every installed package for custom components on its
    first run (0.25-0.3 s here), which a server does once at start-up, not per visitor: left
    in, it would be a quarter of a second of every first render that is not the page's.
    """
    from streamlit.testing.v1 import AppTest

    _share_script_cache()
    at = AppTest.from_file(str(path.resolve()), default_timeout=RUN_TIMEOUT_S)
    if hasattr(at, "_bidi_component_manager"):  # private: skipped if Streamlit renames it
        if not _COMPONENTS:
            from streamlit.components.v2.component_manager import BidiComponentManager

            registry = BidiComponentManager()
            registry.discover_and_register_components(start_file_watching=False)
            _COMPONENTS.append(registry)
        at._bidi_component_manager = _COMPONENTS[0]
    return at


def timed_run(at: AppTest) -> Run:
    """``at.run()``: its wall time, and the process's CPU time meanwhile (every thread: the
    script's, and AppTest's own, which mostly sleeps while it waits)."""
    start, cpu = time.perf_counter(), time.process_time()
    at.run()
    return Run(time.perf_counter() - start, time.process_time() - cpu)


def error_of(at: AppTest) -> str | None:
    if not at.exception:
        return None
    return str(at.exception[0].message).strip().splitlines()[0][:200]


def change_filters(
    at: AppTest, used: dict[str, set[str]], run: Callable[[AppTest], Run] = timed_run
) -> Iterator[Change]:
    """Change each filter of the rendered page ``at`` once, in page order, to a fresh value,
    rerunning after each; filters that appear on the way (a trust's sites) are changed too.
    ``used`` holds the values each filter has had (updated); it starts again for a filter whose
    every value has been used (the caches are cleared before each round, so still a miss)."""
    done: set[str] = set()
    while True:
        box = next((b for b in filter_boxes(at) if box_name(b) not in done), None)
        if box is None:
            return
        name = box_name(box)
        done.add(name)
        seen = used.setdefault(name, set())
        now = current_index(box)
        if now is not None:
            seen.add(box.options[now])
        index = _choice(at, box, seen)
        if index is None:  # every value used: start again
            seen.clear()
            index = _choice(at, box, seen)
        if index is None:
            continue
        value = str(box.options[index])
        seen.add(value)
        select_option(box, index)
        timing = run(at)
        charts = len(at.get("vega_lite_chart"))
        yield Change(name, value, timing.seconds, timing.cpu_s, charts, shows(at, name, value))
        if at.exception:
            return


def tab_sets(at: AppTest) -> dict[str, list[str]]:
    """The page's lazy tabs (``ui.page_tabs``: st.tabs bound to the URL): key -> labels."""
    found: dict[str, list[str]] = {}

    def walk(node: Any) -> None:
        proto: Any = getattr(node, "proto", None)
        try:
            is_tabs = proto is not None and proto.HasField("tab_container")
        except (AttributeError, ValueError):  # an element's proto, not a block's
            is_tabs = False
        if is_tabs and proto.tab_container.query_param_key:
            found[proto.tab_container.query_param_key] = [
                str(child.label) for child in node.children.values()
            ]
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(at._tree)
    return found


def open_tab(at: AppTest, key: str, label: str, default: str) -> None:
    """Choose tab ``label`` of the tab set ``key`` for the next run, as a click does: in the
    session and in the URL. A browser's URL drops a bound widget's default value; AppTest's
    keeps the last one written, which would win over the session on the next run."""
    at.session_state[key] = label
    if label == default:
        at.query_params.pop(key, None)
    else:
        at.query_params[key] = label


def switch_tabs(at: AppTest, run: Callable[[AppTest], Run] = timed_run) -> Iterator[Change]:
    """Open each of the page's other tabs once, as a click on it does (only the open tab's
    section runs, so each is a rerun that draws it), then the first tab again."""
    for key, labels in tab_sets(at).items():
        for label in [*labels[1:], labels[0]]:
            open_tab(at, key, label, labels[0])
            timing = run(at)
            charts = len(at.get("vega_lite_chart"))
            yield Change(f"tab {key}", label, timing.seconds, timing.cpu_s, charts)
            if at.exception:
                return


@contextmanager
def database_url(url: str | None) -> Iterator[None]:
    """``DATABASE_URL`` set to ``url`` for the block (unchanged when None)."""
    previous = os.environ.get("DATABASE_URL")
    if url is not None:
        os.environ["DATABASE_URL"] = url
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop("DATABASE_URL", None)
        else:
            os.environ["DATABASE_URL"] = previous
