"""Charts are drawn with the spec ``st.altair_chart`` would send for them (``ui.chart_draw``).

``widgets.draw`` no longer hands the chart to ``st.altair_chart``: ``chart_draw.vega_lite_spec``
walks it to Vega-Lite and ``st.vega_lite_chart`` draws that. These tests hold it to what
Streamlit's own conversion (``_convert_altair_to_vega_lite_spec``, validation off, as the app
always drew) makes of the same chart: the same JSON text, key order included, and the same
datasets (names, which are hashes of the content, and Arrow bytes), for every chart of every
page and tab, for charts built to reach the walk's corners, and, for two pages, the same
elements sent to the browser.
"""

from __future__ import annotations

import copy
import functools
import json
from typing import Any

import altair as alt
import numpy as np
import pandas as pd
import pytest

from perf.chart_draw import streamlit_spec
from productivity import charts
from productivity.ui import chart_draw, widgets
from tests.conftest import app_page, every_tab
from tests.test_chart_specs import PAGES


def assert_same_spec(chart: Any) -> None:
    """Our spec is Streamlit's: the same JSON text (so the same keys in the same order) and
    the same datasets, in the same order, under the same names, holding the same bytes."""
    theirs = streamlit_spec(chart)
    ours = chart_draw.vega_lite_spec(chart)
    assert json.dumps(without_data(ours)) == json.dumps(without_data(theirs))
    assert list(ours["datasets"]) == list(theirs["datasets"])
    assert ours["datasets"] == theirs["datasets"]


def without_data(spec: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in spec.items() if k != "datasets"}


def kept_charts(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Every chart ``widgets.draw`` is given from now on (as given), and drawn as usual."""
    kept: list[Any] = []
    draw = widgets.draw

    def keep(chart: Any, where: Any = None) -> None:
        kept.append(copy.deepcopy(chart))
        draw(chart, where)

    monkeypatch.setattr(widgets, "draw", keep)
    return kept


@pytest.mark.parametrize(("page", "query"), PAGES)
def test_every_chart_on_the_page_is_drawn_with_streamlit_s_spec(
    monkeypatch: pytest.MonkeyPatch, demo_url: str, page: str, query: dict[str, str]
) -> None:
    kept = kept_charts(monkeypatch)
    at = app_page(monkeypatch, demo_url, page)(**query)
    for tab, shown in every_tab(at):  # only the open tab runs: draw each one's charts
        assert not shown.exception, tab
    assert kept, f"{page} drew no chart"
    for chart in kept:
        # Every chart the app draws is one the walk covers (else it raises Unsupported).
        assert_same_spec(chart)


def draw_as_before(chart: Any, where: Any = None) -> None:
    """``widgets.draw`` before ``chart_draw``: Streamlit's conversion, validation off."""
    import streamlit as st

    object.__setattr__(chart, "to_dict", functools.partial(chart.to_dict, validate=False))
    (st if where is None else where).altair_chart(chart, width="stretch")


@pytest.mark.parametrize(("page", "query"), [("Theatres.py", {"trust": "RBL"}),
                                             ("Diagnostics.py", {})])  # fmt: skip
def test_the_page_sends_the_browser_the_same_charts_as_st_altair_chart(
    monkeypatch: pytest.MonkeyPatch, demo_url: str, page: str, query: dict[str, str]
) -> None:
    now = app_page(monkeypatch, demo_url, page)(**query)
    monkeypatch.setattr(widgets, "draw", draw_as_before)
    before = app_page(monkeypatch, demo_url, page)(**query)
    sent_now, sent_before = now.get("vega_lite_chart"), before.get("vega_lite_chart")
    assert sent_now and len(sent_now) == len(sent_before)
    for ours, theirs in zip(sent_now, sent_before, strict=True):
        assert ours.proto == theirs.proto  # the spec's text, the Arrow datasets, every setting


# Charts built to reach the corners of the walk.
FRAME = pd.DataFrame(
    {
        "n": [3, 1, 2],
        "x": [0.5, np.nan, 2.0],
        "s": pd.Series(["a", "b", "c"], dtype="str"),
        "o": pd.Series(["a", 1, None], dtype=object),
        "t": pd.to_datetime(["2026-01-05", "2026-01-12", "2026-01-19"]),
        "tz": pd.to_datetime(["2026-01-05", "2026-01-12", "2026-01-19"]).tz_localize("UTC"),
        "b": [True, False, True],
        "i": pd.array([1, None, 3], dtype="Int64"),
        "c": pd.Categorical(["lo", "hi", "lo"], categories=["lo", "hi"], ordered=True),
        "u": pd.Categorical(["p", "q", "p"]),
    }
)


def typed_by_data(frame: pd.DataFrame) -> alt.Chart:
    """Every channel's type left to Altair to infer from the frame's columns."""
    chart: alt.Chart = (
        alt.Chart(frame)
        .mark_point()
        .encode(
            x=alt.X("n"),
            y=alt.Y("x", scale=alt.Scale(zero=False)),
            color=alt.Color("c"),
            shape=alt.Shape("u"),
            tooltip=[alt.Tooltip(c) for c in frame.columns],
        )
    )
    return chart


def corners() -> dict[str, Any]:
    target = pd.DataFrame({"value": [0.8], "label": ["target 80%"]})
    base = alt.Chart(FRAME).encode(x=alt.X("t:T"), y=alt.Y("n:Q"))
    return {
        "types inferred from every kind of column": typed_by_data(FRAME),
        "shorthands in plain strings and lists": alt.Chart(FRAME)
        .mark_bar()
        .encode(x="s:N", y="sum(n):Q", tooltip=["s", "n:Q", "month(t)"]),
        "a chart without data": alt.Chart().mark_rule().encode(y=alt.datum(1), x=alt.value(0)),
        "numpy and pandas values in properties": alt.Chart(FRAME)
        .mark_line(opacity=np.float64(0.5), strokeWidth=np.int64(2))  # type: ignore[arg-type]
        .encode(
            x=alt.X(
                "t:T",
                scale=alt.Scale(domain=[pd.Timestamp("2026-01-01"), pd.Timestamp("2026-02-01")]),
            ),
            y=alt.Y("x:Q", scale=alt.Scale(domain=np.array([0.0, 3.0]))),  # type: ignore[arg-type]
        ),  # fmt: skip
        "a condition on a field without a type": alt.Chart(FRAME)
        .mark_point()
        .encode(
            x=alt.X("n:Q"),
            color=alt.ColorValue("red", condition={"test": "datum.n > 1", "field": "s"}),
        ),
        "a condition on a value": alt.Chart(FRAME)
        .mark_text()
        .encode(
            text=alt.Text("n:Q"),
            color=alt.condition("datum.n > 1", alt.value("white"), alt.value("black")),
        ),  # fmt: skip
        "layers Altair lifts the shared frame from": alt.layer(
            base.mark_line(), base.mark_point()
        ).properties(height=200, title=alt.Title(["two", "lines"], fontSize=13)),
        "layers holding one frame each, and a benchmark": charts.theme.layer_chart(
            layer=[base.mark_line(), base.mark_point(), charts.benchmark_rule(1.5, "goal")],
            height=300,
            padding={"top": 16},
        ),
        "frames equal but not the same": alt.layer(
            alt.Chart(target).mark_rule().encode(y="value:Q"),
            alt.Chart(target.copy()).mark_text().encode(y="value:Q", text="label:N"),
        ),
        "a transform and a sort": alt.Chart(FRAME)
        .mark_bar()
        .encode(x=alt.X("s:N", sort=["c", "b", "a"]), y=alt.Y("double:Q"))
        .transform_calculate(double="2 * datum.n"),
        # (Without the object column: Altair warns it cannot type one without values.)
        "an empty frame": typed_by_data(FRAME.iloc[0:0].drop(columns="o")),
    }


@pytest.mark.parametrize("name", list(corners()))
def test_a_chart_built_for_a_corner_of_the_walk_has_streamlit_s_spec(name: str) -> None:
    assert_same_spec(corners()[name])


def test_a_shorthand_s_type_follows_its_column_s_dtype_from_chart_to_chart() -> None:
    """The inferred type is remembered per shorthand and dtype: never carried over to a column
    of another dtype, nor (for object columns, typed by their values) to other values."""
    frames = [
        pd.DataFrame({"v": [1, 2]}),
        pd.DataFrame({"v": ["a", "b"]}),
        pd.DataFrame({"v": [1.5, 2.5]}),
        pd.DataFrame({"v": pd.to_datetime(["2026-01-01", "2026-01-02"])}),
        pd.DataFrame({"v": pd.Series([1, 2], dtype=object)}),
        pd.DataFrame({"v": pd.Series(["a", "b"], dtype=object)}),
        pd.DataFrame({"v": pd.Categorical(["b", "a"], categories=["b", "a"], ordered=True)}),
        pd.DataFrame({"v": pd.Categorical(["b", "a"], categories=["a", "b"], ordered=True)}),
    ]
    for frame in [*frames, *frames]:
        chart = alt.Chart(frame).mark_point().encode(x=alt.X("v"), tooltip=[alt.Tooltip("v")])
        assert_same_spec(chart)


def test_the_page_s_chart_functions_on_their_own_frames_have_streamlit_s_spec() -> None:
    trend = pd.DataFrame(
        {"month": pd.to_datetime(["2026-01-01", "2026-02-01"] * 2), "rate": [0.8, 0.85, 0.7, 0.9],
         "series": ["A", "A", "B", "B"]}
    )  # fmt: skip
    steps = pd.DataFrame(
        {"step": ["planned", "late start", "used"], "minutes": [600.0, 50.0, 550.0],
         "kind": ["total", "loss", "total"]}
    )  # fmt: skip
    for chart in (
        charts.trend(trend, "month", "rate", "Rate", benchmark=0.85, colour="series"),
        charts.trend(trend, "month", "rate", "Rate"),
        charts.waterfall(steps),
        charts.ranking_bars(
            pd.DataFrame({"trust_code": ["A", "B"], "gap": [3.0, 5.0]}), "gap", "Gap"
        ),
    ):
        assert_same_spec(chart)


@pytest.mark.parametrize(
    "chart",
    [
        pytest.param(
            alt.Chart(FRAME).mark_point().encode(x="n:Q").add_params(alt.selection_point()),
            id="selection parameter",
        ),
        pytest.param(
            alt.hconcat(alt.Chart(FRAME).mark_point(), alt.Chart(FRAME).mark_bar()), id="concat"
        ),
        pytest.param(alt.Chart(FRAME).mark_point().encode(x="n:Q").facet(column="s:N"), id="facet"),
        pytest.param(
            alt.Chart(FRAME)
            .mark_point()
            .encode(x="n:Q", y="w:Q")
            .transform_lookup(
                lookup="s", from_=alt.LookupData(pd.DataFrame({"s": ["a"], "w": [1]}), "s", ["w"])
            ),
            id="lookup frame",
        ),
    ],
)
def test_a_chart_the_walk_does_not_cover_is_left_to_streamlit(chart: Any) -> None:
    with pytest.raises(chart_draw.Unsupported):
        chart_draw.vega_lite_spec(chart)


def test_a_chart_the_walk_does_not_cover_is_still_drawn() -> None:
    from streamlit.testing.v1 import AppTest

    def page() -> None:
        import altair as alt
        import pandas as pd

        from productivity.ui import widgets

        frame = pd.DataFrame({"a": [1, 2], "b": [3, 4]})
        points = alt.Chart(frame).mark_point().encode(x="a:Q", y="b:Q")
        widgets.draw(alt.hconcat(points, points))
        widgets.draw(points)

    at = AppTest.from_function(page).run()
    assert not at.exception
    assert len(at.get("vega_lite_chart")) == 2
