"""The board pack's look, shared by the PDF and PowerPoint renderers.

Owns the app's theme colours (:mod:`productivity.charts`) as RGB, which table columns are
right-aligned because they hold numbers, how a chart PNG fits a box, and how paragraphs split
into two balanced columns. It reads only the colour constants of :mod:`productivity.charts`;
it must not import fpdf2, python-pptx, Streamlit or the store.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from productivity import charts
from productivity.pack.content import PackTable

NUMBER = re.compile(r"^[✓✗]?\s*([-+]?[\d.,]+%?|[*–])$")  # a number as a table shows it


def _rgb(hex_colour: str) -> tuple[int, int, int]:
    return int(hex_colour[1:3], 16), int(hex_colour[3:5], 16), int(hex_colour[5:7], 16)


# The app's one theme (charts.py), as RGB for fpdf2 and python-pptx.
BLUE, INK, GREY = _rgb(charts.NHS_BLUE), _rgb(charts.TEXT), _rgb(charts.NHS_GREY)
PALE, WARN, WHITE = _rgb(charts.BACKGROUND), _rgb(charts.NHS_RED), (255, 255, 255)


def fit_png(png: bytes, width: float, height: float) -> tuple[float, float]:
    """The largest (w, h) with the PNG's shape inside a width × height box (any unit)."""
    w, h = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")  # IHDR
    scale = min(width / w, height / h)
    return w * scale, h * scale


def right_aligned(table: PackTable) -> list[bool]:
    """A column of numbers (✓/✗, * and – included) is right-aligned; the first column never."""
    return [
        j > 0 and all(NUMBER.match(row[j]) for row in table.rows)
        for j in range(len(table.headings))
    ]


def halves(paragraphs: Sequence[str]) -> tuple[Sequence[str], Sequence[str]]:
    """Paragraphs split into two columns of about equal length (the left one no shorter)."""
    half, done = sum(map(len, paragraphs)) / 2, 0
    for i, paragraph in enumerate(paragraphs):
        if done >= half:
            return paragraphs[:i], paragraphs[i:]
        done += len(paragraph)
    return paragraphs, ()
