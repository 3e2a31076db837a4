"""Charts are built without Altair's debug-mode checks, to the same spec.

``ui.chart_draw`` turns Altair's debug mode off: with it on, every schema object a chart is
built of (``alt.Legend``, ``alt.Scale``, …) validates itself as it is made, 10 to 20 ms of a
chart's build on every rerun. The check never changes the spec, and
``tests/test_chart_specs.py`` validates every page's charts against the schema instead.
"""

from __future__ import annotations

import json

import pandas as pd
from altair.utils import schemapi

from productivity import charts
from productivity.stats import spc
from productivity.ui import chart_draw


def _trend() -> object:
    frame = pd.DataFrame(
        {
            "month": pd.to_datetime(["2025-04-01", "2025-05-01", "2025-04-01", "2025-05-01"]),
            "within_6_weeks": [0.91, 0.93, 0.88, 0.9],
            "trust": ["RBL", "RBL", "System", "System"],
        }
    )
    return charts.trend(
        frame, "month", "within_6_weeks", "% under 6 weeks", benchmark=0.95, colour="trust"
    )


def _spc() -> object:
    dates = pd.date_range("2025-04-07", periods=12, freq="7D")
    values = pd.Series([0.8, 0.82, 0.79, 0.85, 0.81, 0.9, 0.83, 0.8, 0.84, 0.86, 0.78, 0.95])
    result = spc.xmr(values, pd.Series(dates), direction="higher", target=0.85)
    return charts.spc_chart(result, label="Share within target", fmt=".1%")


def test_the_app_builds_charts_without_altair_s_debug_checks() -> None:
    assert chart_draw is not None and schemapi.DEBUG_MODE is False


def test_a_chart_built_with_the_checks_has_the_same_spec() -> None:
    for build in (_trend, _spc):
        with schemapi.debug_mode(True):
            checked = chart_draw.vega_lite_spec(build())
        unchecked = chart_draw.vega_lite_spec(build())
        spec = {k: v for k, v in unchecked.items() if k != "datasets"}
        assert json.dumps(spec) == json.dumps({k: v for k, v in checked.items() if k != "datasets"})
        assert unchecked["datasets"] == checked["datasets"]
