"""Names from data are shown as text, never rendered as Markdown (issue 13, item 6).

A site called ``RBL99 [click me](http://evil.example/phish) ![t](http://evil.example/pixel.png)``
used to show a live link on the Theatres page, and the browser fetched the image.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from productivity import ingest
from productivity.store import marts
from productivity.ui.widgets import plain
from tests.conftest import fresh_store, store_url

ROOT = Path(__file__).resolve().parent.parent
THEATRE = ROOT / "data" / "samples" / "theatre-extract-RBL-May-2026.csv"
SITE = "RBL99 [click me](http://evil.example/phish) ![t](http://evil.example/pixel.png)"
SPECIALTY = "**Bold** :material/home: <b>x</b> $x^2$ www.evil.example"
TEXT_KINDS = ("title", "header", "subheader", "markdown", "caption", "info", "warning", "error",
              "success")  # fmt: skip


@pytest.fixture(scope="module")
def evil_url(tmp_path_factory) -> str:
    frame = pd.read_csv(THEATRE, dtype=str, keep_default_na=False)
    frame["site"] = frame["site"].replace({"RBL01": SITE})
    frame["specialty"] = SPECIALTY
    path = tmp_path_factory.mktemp("evil") / "evil.csv"
    frame.to_csv(path, index=False)
    url = store_url(path.parent, "evil.db")
    engine = fresh_store(url)
    ingest.import_file(path, engine=engine)
    marts.rebuild_marts(engine)
    return url


def test_plain_escapes_every_markdown_construct():
    shown = plain(SITE + "\n# heading")
    assert "](" not in shown and "![" not in shown and "\n" not in shown
    assert shown.startswith(r"RBL99 \[click me\]\(http\://evil\.example/phish\)")
    assert plain(":material/home: $x$") == r"\:material/home\: \$x\$"


def test_the_theatres_page_shows_data_names_as_text(evil_url, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", evil_url)
    st.cache_data.clear()
    st.cache_resource.clear()
    at = AppTest.from_file(str(ROOT / "pages" / "Theatres.py"), default_timeout=90)
    at.secrets.update({"productivity": {}})
    for key, value in {"trust": "RBL", "site": SITE, "specialty": SPECIALTY}.items():
        at.query_params[key] = value
    at.switch_page("Theatres.py")
    at.run()
    assert not at.exception
    texts = [str(e.value) for kind in TEXT_KINDS for e in at.get(kind)]
    mentions = [t for t in texts if "click me" in t or "Bold" in t]
    assert mentions, "the page names the unit and the specialty"
    for text in mentions:
        assert "[click me](" not in text and "![t](" not in text and "**Bold**" not in text
        assert ":material/home:" not in text and "$x^2$" not in text
