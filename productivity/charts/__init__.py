"""Altair charts with one NHS theme. Charts draw results; they never compute a metric.

Every chart takes a tidy DataFrame already computed by ``metrics``/``marts``/``spc``/``funnel``
and returns an ``alt.Chart``. Benchmark lines are drawn on the chart; colour is always paired with
a text or shape cue, for accessibility. No Streamlit import. One module per kind of chart:
``theme`` (palette, theme, benchmark lines), ``comparison`` (units side by side), ``activity``
(over time and within a unit), ``statistics`` (SPC and funnel), ``inequalities`` (deprivation),
``lookahead`` (booked lists against the benchmark).
"""

from productivity.charts.activity import (
    bands,
    heatmap,
    trend,
    waterfall,
)
from productivity.charts.comparison import (
    MEETS,
    MISSES,
    before_after,
    distribution,
    metric_vs_benchmark,
    ordered_bars,
    ranking_bars,
    rates_against_targets,
)
from productivity.charts.inequalities import (
    EVIDENCE_STYLE,
    EVIDENCE_TEXT,
    QUINTILE_LABELS,
    RATIO_AXIS,
    RATIO_LABEL,
    band_lines,
    forest_chart,
    quintile_bars,
    ratio_text,
)
from productivity.charts.lookahead import LOOKAHEAD_STATUS, lookahead_chart
from productivity.charts.statistics import (
    ASSURANCE_TEXT,
    FUNNEL_FLAG_TEXT,
    SPC_STYLES,
    VARIATION_TEXT,
    funnel_chart,
    ratio_funnel_chart,
    spc_chart,
)
from productivity.charts.theme import (
    BACKGROUND,
    BENCHMARK,
    BENCHMARK_DASHES,
    NHS_BLUE,
    NHS_DARK_BLUE,
    NHS_GREEN,
    NHS_GREY,
    NHS_ORANGE,
    NHS_PURPLE,
    NHS_RED,
    SERIES_STYLES,
    TEXT,
    axis_format,
    benchmark_lines,
    benchmark_rule,
    category_axis,
    nhs_theme,
)

__all__ = [
    "MEETS",
    "MISSES",
    "ASSURANCE_TEXT",
    "BACKGROUND",
    "BENCHMARK",
    "BENCHMARK_DASHES",
    "EVIDENCE_STYLE",
    "EVIDENCE_TEXT",
    "FUNNEL_FLAG_TEXT",
    "LOOKAHEAD_STATUS",
    "NHS_BLUE",
    "NHS_DARK_BLUE",
    "NHS_GREEN",
    "NHS_GREY",
    "NHS_ORANGE",
    "NHS_PURPLE",
    "NHS_RED",
    "QUINTILE_LABELS",
    "RATIO_AXIS",
    "RATIO_LABEL",
    "SERIES_STYLES",
    "SPC_STYLES",
    "TEXT",
    "VARIATION_TEXT",
    "axis_format",
    "band_lines",
    "bands",
    "before_after",
    "benchmark_lines",
    "benchmark_rule",
    "category_axis",
    "distribution",
    "forest_chart",
    "funnel_chart",
    "ratio_funnel_chart",
    "heatmap",
    "lookahead_chart",
    "metric_vs_benchmark",
    "nhs_theme",
    "ordered_bars",
    "quintile_bars",
    "ranking_bars",
    "ratio_text",
    "rates_against_targets",
    "spc_chart",
    "trend",
    "waterfall",
]

from productivity.charts import schema_memo  # noqa: E402

# Altair's schema converter built once per process, not once per chart (see schema_memo).
schema_memo.install()
