"""Tables that sort as numbers, keep the row's name in view, and hide the same small patient
counts on screen as in their CSV; a bad link that says so; charts that describe themselves."""

from __future__ import annotations

import io
import json

import pandas as pd
import pytest
import streamlit.testing.v1.app_test as app_test
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage
from streamlit.testing.v1 import AppTest

from productivity.export import SUPPRESSED
from productivity.ui.widgets import column_config, inferred_format, number_format
from tests.conftest import app_page, chart_specs, every_tab


@pytest.fixture
def downloads(monkeypatch) -> dict[str, bytes]:
    """Every file a page offers for download in an AppTest run, by file name.

    AppTest keeps downloads in a media store of its own; this one also keeps a copy to read.
    A download written on click (``deferred``, a callable) is written at once here, as the
    click would write it.
    """
    import streamlit as st

    kept: dict[str, bytes] = {}
    button = st.download_button

    def eager(label, data, *args, **kwargs):
        return button(label, data() if callable(data) else data, *args, **kwargs)

    monkeypatch.setattr(st, "download_button", eager)

    class Keeping(MemoryMediaFileStorage):
        def load_and_get_id(self, path_or_data, mimetype, kind, filename=None):
            if filename and isinstance(path_or_data, bytes):
                kept[filename] = path_or_data
            return super().load_and_get_id(path_or_data, mimetype, kind, filename)

    monkeypatch.setattr(app_test, "MemoryMediaFileStorage", Keeping)
    return kept


def settings(at: AppTest, index: int = 0) -> dict:
    """The column settings the browser receives for the ``index``-th table."""
    return json.loads(at.dataframe[index].proto.columns)


# The frame's demo store is not needed for a widget on its own: a small script is enough.
def _small_table():
    import pandas as pd

    from productivity.ui.widgets import show_table

    show_table(
        pd.DataFrame(
            {
                "trust_code": ["RBL", "RBN", "REM"],
                "total_waiting": [3, 0, 6027],  # 3 people waiting: hidden; 0 shown
                "completed_cases": [3, 4, 5],  # cases on a list: activity, shown
                "capped_utilisation": [0.8496, 0.91, 0.5],
                "capped_utilisation_meets": ["✗", "✓", "✗"],
            }
        ),
        "small",
    )


def test_a_table_hides_the_patient_counts_its_csv_stars(downloads):
    at = AppTest.from_function(_small_table, default_timeout=60).run()
    assert not at.exception
    shown = at.dataframe[0].value
    # On screen: the 3 people waiting are hidden, the column stays numeric so it sorts.
    assert pd.api.types.is_float_dtype(shown["total_waiting"])
    assert shown["total_waiting"].isna().tolist() == [True, False, False]
    assert shown["completed_cases"].tolist() == [3, 4, 5]
    assert at.dataframe[0].proto.placeholder == SUPPRESSED
    assert any("count of 1 to 4 patients" in c.value for c in at.caption)
    # In the CSV: the same cell is *, nothing else is.
    csv = pd.read_csv(io.BytesIO(downloads["small.csv"]), dtype=str)
    assert csv["total_waiting"].tolist() == [SUPPRESSED, "0", "6027"]
    assert csv["completed_cases"].tolist() == ["3", "4", "5"]


def test_numbers_are_formatted_not_turned_into_text():
    at = AppTest.from_function(_small_table, default_timeout=60).run()
    config = settings(at)
    assert config["trust_code"]["pinned"] is True  # the row's name stays in view
    assert config["total_waiting"]["type_config"] == {"type": "number", "format": "%,.0f"}
    utilisation = config["capped_utilisation"]
    assert utilisation["type_config"]["type"] == "progress"
    assert utilisation["type_config"]["format"] == "percent"
    assert utilisation["label"] == "Capped util. (≥85%)"  # the benchmark in the heading
    assert config["capped_utilisation_meets"]["label"] == "✓/✗"
    assert not any(c.get("pinned") for k, c in config.items() if k != "trust_code")


@pytest.mark.parametrize(
    ("fmt", "expected"),
    [(",.0f", "%,.0f"), (".2f", "%.2f"), (".1%", "percent"), ("d", "%d"), ("", None)],
)
def test_catalogue_formats_become_number_formats(fmt, expected):
    assert number_format(fmt) == expected


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (pd.Series([6027, 12]), "%,d"),  # a count: 6,027
        (pd.Series([6027.0, None]), "%,.0f"),  # whole numbers held as floats
        (pd.Series([1234.56, 2.5]), "%,.1f"),  # large: separators matter more than digits
        (pd.Series([0.123, 0.5]), None),  # small fractions keep Streamlit's digits
    ],
)
def test_numbers_outside_the_catalogue_get_thousands_separators(values, expected):
    assert inferred_format(values) == expected


def test_the_first_shown_column_is_pinned_even_when_reordered():
    frame = pd.DataFrame({"lists": [1], "Trust": ["RBL · Liverpool"], "scans": [6027]})
    config = column_config(frame, ["Trust", "scans"])
    assert config["Trust"]["pinned"] is True
    assert not config["lists"].get("pinned") and not config["scans"].get("pinned")


@pytest.fixture
def theatres(demo_url, monkeypatch):
    return app_page(monkeypatch, demo_url, "Theatres.py", from_entrypoint=True)


def test_the_theatre_lists_show_and_download_every_case_count(theatres, downloads):
    """The lists CSV once showed completed_cases as * on most lists: cases are not patients."""
    at = theatres(trust="RBL", tab="Lists")
    assert not at.exception
    table = next(d for d in at.dataframe if "planned_start" in d.value)
    rows = table.value
    assert pd.api.types.is_integer_dtype(rows["completed_cases"])
    assert rows["completed_cases"].between(1, 4).any()  # small counts exist, and are shown
    config = json.loads(table.proto.columns)
    assert config["session_date"]["pinned"] is True
    assert config["meets_target"]["label"] == "Meets target"  # ✓/✗ beside, not in, the value
    assert config["capped_utilisation"]["type_config"]["type"] == "progress"
    csv = pd.read_csv(io.BytesIO(downloads["lists.csv"]))
    assert SUPPRESSED not in set(csv["completed_cases"].astype(str))
    assert csv["completed_cases"].tolist() == rows["completed_cases"].tolist()


def test_every_theatres_chart_describes_itself(theatres):
    at = theatres(trust="RBL")
    specs = [spec for _, tab in every_tab(at) for spec in chart_specs(tab)]  # each tab's charts
    assert specs
    for spec in specs:
        description = spec.get("description", "")
        assert description and "Vega" not in description, spec.get("title")
    described = " ".join(s["description"] for s in specs)
    assert "Lost time" in described and "SPC chart" in described


@pytest.mark.parametrize(
    ("query", "named"),
    [({"trust": "XYZ"}, "XYZ"), ({"trust": "RBL", "from": "1999-01"}, "1999")],
)
def test_a_bad_link_says_so(theatres, query, named):
    at = theatres(**query)
    assert not at.exception
    warnings = [w.value for w in at.warning if "not in the data" in w.value]
    assert len(warnings) == 1 and named in warnings[0], [w.value for w in at.warning]


def test_a_good_link_has_no_warning(theatres):
    at = theatres(trust="RBL")
    assert not any("not in the data" in w.value for w in at.warning)
    assert at.selectbox(key="trust").value == "RBL"


def test_the_methodology_page_states_the_small_number_rule(demo_url, monkeypatch):
    at = app_page(monkeypatch, demo_url, "Methodology.py")()
    assert not at.exception
    text = " ".join(m.value for m in at.markdown).replace("\\", "")
    assert "Counts of 1 to 4 patients" in text and "Waiting 13+ weeks" in text
    assert "Counts of activity (cases, scans, tests)" in text


def test_a_download_made_on_click_is_made_then_and_holds_the_same_csv(monkeypatch):
    from productivity.ui import tables, widgets

    sent: dict[str, object] = {}
    monkeypatch.setattr(widgets.st, "dataframe", lambda *_, **__: None)
    monkeypatch.setattr(widgets.st, "caption", lambda *_, **__: None)
    monkeypatch.setattr(tables, "_benchmarks", lambda: None)
    monkeypatch.setattr(widgets.st, "download_button", lambda label, data, **_: sent.update(
        {"deferred" if callable(data) else "eager": data}))  # fmt: skip
    frame = pd.DataFrame({"trust": ["=cmd", "B"], "patients": [3, 40], "trust_link": ["?a", "?b"]})
    made: list[int] = []

    def make() -> pd.DataFrame:
        made.append(1)
        return frame

    widgets.show_table(frame, "x", raw=make, deferred=True)
    assert not made  # not on the rerun
    widgets.show_table(frame, "x")
    on_click = sent["deferred"]()  # type: ignore[operator]
    assert made == [1] and on_click == sent["eager"]
    assert b"'=cmd" in on_click and b"*" in on_click and b"link" not in on_click
