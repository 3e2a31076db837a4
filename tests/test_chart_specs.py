"""Every chart on every page is a valid Vega-Lite spec.

The app draws charts without Altair's schema check (``ui.widgets.draw``: it costs more than
half of a redraw), so this test is where an invalid encoding or property is caught.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

import jsonschema
import pytest

from tests.conftest import app_page, every_tab

# Each page as it opens, and the Theatres and Look-ahead pages with a trust chosen (their
# per-trust charts: SPC, lost time, the next six weeks' lists).
PAGES = [
    ("Overview.py", {}),
    ("Theatres.py", {}),
    ("Theatres.py", {"trust": "RBL"}),
    ("Diagnostics.py", {}),
    ("Inequalities.py", {}),
    ("Reporting.py", {}),
    ("Mutual_aid.py", {}),
    ("Look_ahead.py", {"trust": "RBL"}),
]


@cache
def vega_lite_schema() -> dict[str, Any]:
    from altair.vegalite import load_schema

    schema: dict[str, Any] = load_schema()
    return schema


def test_an_invalid_spec_is_caught() -> None:
    """The check fails on a spec Altair would refuse, so the page test cannot pass blindly."""
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"mark": "point", "encoding": {"x": {"field": 3}}}, vega_lite_schema())


@pytest.mark.parametrize(("page", "query"), PAGES)
def test_every_chart_on_the_page_is_valid_vega_lite(
    monkeypatch: pytest.MonkeyPatch, demo_url: str, page: str, query: dict[str, str]
) -> None:
    at = app_page(monkeypatch, demo_url, page)(**query)
    drawn = 0
    for tab, shown in every_tab(at):  # only the open tab runs: check each one's charts
        assert not shown.exception, tab
        for element in shown.get("vega_lite_chart"):
            drawn += 1
            jsonschema.validate(json.loads(element.proto.spec), vega_lite_schema())
    assert drawn, f"{page} drew no chart"
