"""The "Benchmark" control: which benchmark basis a page's imaging opportunity is on.

One control for every page that shows additional scans or judges a scan rate (Overview,
Diagnostics, Mutual aid), bound to the same ``?benchmark=`` query parameter, so a link carries
the choice from page to page and one figure has one value across the app (issue 15).
"""

from __future__ import annotations

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from productivity.benchmarks import BENCHMARK_BASES
from productivity.ui.widgets import plain

# The page's default, the peer basis, first.
DEFAULT_BASIS = "peer"
KEY = "benchmark"


def benchmark_basis(container: DeltaGenerator | None = None) -> str:
    """The radio that chooses the basis (``peer`` or ``national``), in ``container`` (a column;
    the page by default), and the chosen basis.

    The basis is bound to the URL by its label (``?benchmark=national+rates``), and a link may
    name it as the CLI does (``?benchmark=national``); an unknown value shows a warning and the
    default.
    """
    labels = {BENCHMARK_BASES[b]: b for b in (DEFAULT_BASIS, "national")}
    asked = st.query_params.get(KEY)
    if asked in BENCHMARK_BASES and KEY not in st.session_state:
        st.session_state[KEY] = BENCHMARK_BASES[asked]
    elif asked is not None and asked not in labels and asked not in BENCHMARK_BASES:
        st.warning(f"The link asks for benchmark {plain(asked)}: showing {list(labels)[0]}.")
    radio = container.radio if container is not None else st.radio
    choice = radio(
        "Benchmark",
        list(labels),
        key=KEY,
        bind="query-params",
        horizontal=True,
        help="The scan rate each trust is held to: the national rate for every trust, or its "
        "own peer group's rate where the benchmark file sets one.",
    )
    return labels[choice]
