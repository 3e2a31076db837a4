"""What every section of a board pack reads, and how a chart becomes a PNG for print.

:class:`Scope` holds the store, the trust (``None`` for the whole collaborative), the months and
the benchmarks, with the results several sections share (the scorecard, the latest DM01 month,
the outlier judgements) read once. :func:`png` renders the app's own Altair chart with
vl-convert. No Streamlit and no drawing of pages.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cached_property
from typing import cast

import altair as alt
import pandas as pd
import vl_convert
from sqlalchemy import Engine

from productivity import charts
from productivity.benchmarks import BENCHMARK_BASES, Benchmarks
from productivity.stats.outliers import OutlierResult
from productivity.store import marts, reports

MONTHS_COVERED = 12  # a pack reports the 12 months to its period
PNG_SCALE = 2
# The theme asks for Arial, which a server often lacks, and vl-convert then draws no text at
# all; a CSS fallback list keeps the same chart readable wherever it is rendered.
_THEME_FONT = cast(dict[str, str], charts.nhs_theme()["config"])["font"]
CHART_FONT = f"{_THEME_FONT}, DejaVu Sans, Liberation Sans, sans-serif"


@dataclass(frozen=True)
class Scope:
    """What every section reads: the store, the trust (None = all), the window, the benchmarks."""

    engine: Engine
    trust: str | None
    window: marts.Period
    bench: Benchmarks
    months: int
    card: pd.DataFrame
    dm01: pd.DataFrame  # the latest DM01 month in the window
    basis: str = "peer"  # the benchmark basis of scan rates (the app's default), as ``card``'s

    @property
    def basis_words(self) -> str:
        """The scan-rate benchmark basis in words, e.g. ``each trust's peer-group rate``."""
        return BENCHMARK_BASES[self.basis]

    def mine(self, codes: pd.Series) -> list[bool]:
        return [code == self.trust for code in codes]

    @property
    def span(self) -> str:
        """The months covered, in words: ``the 3 months August – October 2026``."""
        start, end = str(self.window.start), str(self.window.end)
        if start == end:
            return f"{month_name(end)}"
        count = (pd.Period(end, freq="M") - pd.Period(start, freq="M")).n + 1
        return f"the {count} months {month_name(start)} – {month_name(end)}"

    @cached_property
    def theatre_outliers(self) -> OutlierResult:
        """The Overview's theatre funnel and SPC flags for the window (read once per pack)."""
        return reports.trust_theatre_outliers(self.engine, self.window, self.bench)

    @cached_property
    def dm01_outliers(self) -> OutlierResult:
        return reports.trust_dm01_outliers(self.engine, self.window, self.bench)


def month_name(month: str) -> str:
    """``2026-03`` → ``March 2026``."""
    return f"{pd.Timestamp(month + '-01'):%B %Y}"


def png(chart: alt.TopLevelMixin, width: int) -> bytes:
    """The app's chart as a PNG ``width`` px wide; its only change is the font fallback list."""
    # Axis labels that would touch are dropped (greedy), so tick labels never overlap in print.
    sized = (
        chart.properties(width=width)
        .configure(font=CHART_FONT)
        .configure_axis(labelOverlap="greedy", labelSeparation=4)
    )
    # Altair leaves NaN in an all-empty text column (a source the store lacks, an SPC flag a
    # lone trust cannot have), which is not JSON: make every NaN a null.
    spec = json.dumps(json.loads(sized.to_json(), parse_constant=lambda _name: None))
    return bytes(vl_convert.vegalite_to_png(spec, scale=PNG_SCALE))
