"""An SPC section, as the Diagnostics, Health inequalities and Reporting pages draw one: a
heading, the XmR chart of an :func:`productivity.stats.spc.xmr` result at full width with its
caption, and its table (with the download) folded under it; or why there is nothing to draw.

One widget for the four SPC sections, so they read and behave alike. Streamlit only: the
pages' views shape the result, the table and the words.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import pandas as pd

from productivity import charts
from productivity.stats import spc
from productivity.ui.widgets import chart_with_table, section


def variation_words(result: spc.SPCResult) -> str:
    """The result's variation in words (the caption when a page gives none)."""
    return charts.VARIATION_TEXT.get(result.variation, result.variation)


def spc_section(
    title: str,
    result: spc.SPCResult | None,
    empty: str,
    *,
    label: str,
    fmt: str,
    table: Callable[[spc.SPCResult], pd.DataFrame],
    name: str,
    raw: pd.DataFrame | None = None,
    caption: Callable[[spc.SPCResult], str] = variation_words,
    like: Mapping[str, str] | None = None,
    rebases: pd.DataFrame | None = None,
) -> None:
    """The section ``title`` with the SPC chart of ``result`` (its y axis ``label``, values as
    ``fmt``; ``rebases`` marked), ``caption(result)`` under it and ``table(result)`` folded
    below; ``empty`` says why when there is no result or it has no points.

    ``name`` names the download, which holds ``raw`` (the table when None); ``like`` is
    :func:`productivity.ui.widgets.show_table`'s. Tables and captions are made only when there
    is a result to draw.
    """
    points = result.points if result is not None else None
    if not section(title, points, empty) or result is None:
        return
    chart = charts.spc_chart(result, label=label, fmt=fmt, rebases=rebases)
    chart_with_table(
        chart, table(result), name, raw=raw, caption=caption(result), below=True, like=like,
        deferred=True,
    )  # fmt: skip
