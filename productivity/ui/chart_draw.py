"""A chart's Vega-Lite spec in a fraction of the time ``st.altair_chart`` takes, the same spec.

``st.altair_chart(chart)`` turns the chart into Vega-Lite with ``chart.to_dict()``, and
Altair's ``to_dict`` spends most of its time on work whose result never reaches the spec:
each layered chart is copied by building it again, which deep-copies every layer twice (and
a chart's benchmark lines are a layered chart of their own); every string, number and list in
the spec is checked against a runtime protocol; every channel's shorthand (``"date:T"``) is
parsed again with regular expressions. On this app's charts that was 5 to 25 ms a chart, drawn
5 to 8 times on every rerun.

:func:`vega_lite_spec` walks the chart's own properties (``_kwds``) as Altair's ``to_dict``
does, in the same order, with the same rules (the code of Altair 6.3 it mirrors is named at
each step), without those copies and checks (the walk is :mod:`productivity.ui.chart_walk`'s),
and stores each frame as Streamlit does (its own Arrow transformer, named by a hash of the
bytes). :func:`draw` hands that spec to ``st.vega_lite_chart``, which sends it exactly as
``st.altair_chart`` would have sent Altair's.
It covers the charts this app builds (``productivity.charts``): single and layered charts, on
pandas frames, without selection parameters; for any other chart it raises
:class:`Unsupported` and :func:`draw` lets Streamlit convert the chart as before.
``tests/test_chart_draw.py`` checks, chart by chart on every page, that the spec is the one
Streamlit makes, byte for byte.
"""

from __future__ import annotations

import functools
from typing import Any, cast

import altair as alt
import streamlit as st
from altair.utils import schemapi, update_nested
from altair.vegalite.v6.schema import SCHEMA_URL
from streamlit.delta_generator import DeltaGenerator

from productivity.ui.chart_walk import Unsupported as Unsupported, chart_properties

__all__ = ["Unsupported", "draw", "vega_lite_spec"]


def vega_lite_spec(chart: Any) -> dict[str, Any]:
    """What Streamlit's ``_convert_altair_to_vega_lite_spec`` makes of ``chart`` (validation
    off, as :func:`draw` always drew): the Vega-Lite spec, with each frame as Arrow bytes in
    ``datasets`` under the name Streamlit gives it.

    Raises:
        Unsupported: a chart this walk does not cover (another kind of chart, selection
            parameters, data that is not a pandas frame, Altair's "default" theme).
    """
    if type(chart) not in (alt.Chart, alt.LayerChart):
        raise Unsupported(type(chart).__name__)
    if alt.theme.active == "default":  # Streamlit swaps it for "none" while converting
        raise Unsupported("Altair's default theme")
    spec, datasets = chart_properties(chart)
    # TopLevelMixin.to_dict, at the top: the schema, the theme, the inline datasets.
    if "$schema" not in spec:
        spec["$schema"] = SCHEMA_URL
    theme = alt.theme.get()
    if theme is None:
        raise Unsupported("no Altair theme")
    spec = cast(dict[str, Any], update_nested(theme(), spec, copy=True))
    if datasets.inline:
        spec.setdefault("datasets", {}).update(datasets.inline)
    # _convert_altair_to_vega_lite_spec: Streamlit's Arrow datasets win over Altair's.
    arrow, existing = datasets.arrow, spec.get("datasets")
    spec["datasets"] = {**existing, **arrow} if isinstance(existing, dict) else arrow
    return spec


def draw(chart: Any, where: DeltaGenerator | None = None) -> None:
    """Draw ``chart`` at full width in ``where`` (the page's main body when None) as
    ``st.altair_chart(chart, width="stretch")`` draws it without validation; a chart
    :func:`vega_lite_spec` does not cover goes through Streamlit's own conversion."""
    try:
        spec = vega_lite_spec(chart)
    except Unsupported:
        # SchemaBase.__setattr__ would store the partial as a chart property, hence object's.
        object.__setattr__(chart, "to_dict", functools.partial(chart.to_dict, validate=False))
        (st if where is None else where).altair_chart(chart, width="stretch")
        return
    (st if where is None else where).vega_lite_chart(spec, width="stretch")


# Altair checks each schema object against the Vega-Lite schema as it is built (its debug
# mode: every alt.Legend, alt.Scale, alt.Axis, … validates itself), 10 to 20 ms of a chart's
# build, on every rerun, for a check whose result never reaches the spec. The app draws
# without Altair's checks (see above); tests/test_chart_specs.py validates every page's charts
# against the schema instead, and tests/test_chart_draw.py that the spec is the same.
schemapi.disable_debug_mode()
