"""The board pack drawn as a 16:9 PowerPoint deck with python-pptx: a title slide, then a slide
per section.

Owns the slide geometry and how tiles, a chart, a table and notes are placed on a slide.
:func:`render_pptx` takes the sections as data and never reads the store; it must not import
fpdf2, Streamlit or the database.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

from pptx import Presentation
from pptx.dml.color import RGBColor
from pptx.enum.shapes import MSO_SHAPE
from pptx.enum.text import PP_ALIGN
from pptx.util import Inches, Pt

from productivity.pack.content import Cover, PackTable, Section
from productivity.pack.style import (
    BLUE,
    GREY,
    INK,
    PALE,
    WARN,
    WHITE,
    fit_png,
    halves,
    right_aligned,
)

SLIDE_W, SLIDE_H, EDGE = 13.333, 7.5, 0.4  # 16:9, inches


def render_pptx(cover: Cover, sections: Sequence[Section]) -> bytes:
    deck = Presentation()
    deck.slide_width, deck.slide_height = Inches(SLIDE_W), Inches(SLIDE_H)
    blank = deck.slide_layouts[6]
    slide = deck.slides.add_slide(blank)
    _box(slide, 0, 0, SLIDE_W, 2.9, BLUE)
    _text(slide, 0.6, 0.5, 12, 0.5, "Theatre and diagnostics productivity · Board pack", 16,
          WHITE, bold=True)  # fmt: skip
    _text(slide, 0.6, 1.05, 12, 1.0, cover.title, 32, WHITE, bold=True)
    _text(slide, 0.6, 2.2, 12, 0.5, cover.period_text, 16, WHITE)
    if cover.synthetic:
        _text(slide, 0.6, 3.2, 12, 0.6, "SYNTHETIC DEMO DATA: not any trust's records", 20, WARN,
              bold=True)  # fmt: skip
    _text(slide, 0.6, 4.0, 12, 2.8, "\n".join(cover.contents), 13)
    _text(slide, 0.6, 6.9, 12, 0.4, f"Data as of {cover.built_at}", 10, GREY)
    caveat = ("Synthetic demo data · " if cover.synthetic else "") + "Counts 1–4 shown as *"
    for section in sections:
        slide = deck.slides.add_slide(blank)
        _text(slide, EDGE, 0.25, 12.5, 0.6, section.heading, 24, BLUE, bold=True)
        footer = f"{cover.title} · {cover.period_text} · {caveat}"
        _text(slide, EDGE, 7.05, 12.5, 0.3, footer, 9, GREY)
        _pptx_body(slide, section)
    out = io.BytesIO()
    deck.save(out)
    return out.getvalue()


def _pptx_body(slide: Any, section: Section) -> None:
    if not (section.chart or section.table or section.tiles):
        for i, column in enumerate(halves(section.notes)):
            _text(slide, EDGE + i * 6.35, 0.95, 6.15, 6, "\n".join(column), 10)
        return
    _text(slide, EDGE, 0.9, 12.5, 0.6, "\n".join(section.notes), 10)
    y = 1.6
    for i, (value, label) in enumerate(section.tiles):
        width = (12.5 - 0.6) / len(section.tiles)
        x = EDGE + i * (width + 0.3)
        _box(slide, x, y, width, 1.2, PALE)
        _text(slide, x + 0.15, y + 0.05, width - 0.3, 0.6, value, 28, BLUE, bold=True)
        _text(slide, x + 0.15, y + 0.7, width - 0.3, 0.5, label, 10)
    y += 1.4 if section.tiles else 0
    if section.chart:
        w, h = fit_png(section.chart, 6.6 if section.table else 12.5, 6.95 - y)
        x = EDGE if section.table else (SLIDE_W - w) / 2
        picture = io.BytesIO(section.chart)
        slide.shapes.add_picture(picture, Inches(x), Inches(y), Inches(w), Inches(h))
    if section.table:
        x = 7.2 if section.chart else EDGE
        _pptx_table(slide, section.table, x, y, SLIDE_W - EDGE - x)


def _pptx_table(slide: Any, table: PackTable, x: float, y: float, width: float) -> None:
    size = Pt(9 if width > 8 else 7.5)
    rows = [table.headings, *table.rows]
    shape = slide.shapes.add_table(
        len(rows),
        len(table.headings),
        Inches(x),
        Inches(y),
        Inches(width),
        Inches(0.25 * len(rows)),
    )
    grid, right = shape.table, right_aligned(table)
    for j, share in enumerate(table.widths):
        grid.columns[j].width = Inches(width * share / sum(table.widths))
    for i, cells in enumerate(rows):
        grid.rows[i].height = Inches(0.25)
        for j, text in enumerate(cells):
            cell = grid.cell(i, j)
            cell.text = text
            cell.text_frame.paragraphs[0].alignment = PP_ALIGN.RIGHT if right[j] else None
            for run in (r for p in cell.text_frame.paragraphs for r in p.runs):
                run.font.size = size
                run.font.bold = i == 0 or (i - 1) in table.highlight
                if i == 0:
                    run.font.color.rgb = _rgb(WHITE)
            if i == 0:
                cell.fill.solid()
                cell.fill.fore_color.rgb = _rgb(BLUE)


def _text(
    slide: Any,
    x: float,
    y: float,
    w: float,
    h: float,
    text: str,
    size: float,
    colour: tuple[int, int, int] = INK,
    *,
    bold: bool = False,
) -> None:
    """A wrapped text box; a line's ``**lead-in**`` is set bold."""
    frame = slide.shapes.add_textbox(Inches(x), Inches(y), Inches(w), Inches(h)).text_frame
    frame.word_wrap = True
    for i, line in enumerate(text.split("\n")):
        paragraph = frame.paragraphs[0] if i == 0 else frame.add_paragraph()
        lead, _, rest = line[2:].partition("**") if line.startswith("**") else ("", "", line)
        for part, strong in ((lead, True), (rest, bold)):
            if part:
                run = paragraph.add_run()
                run.text = part
                run.font.size, run.font.bold = Pt(size), strong
                run.font.color.rgb = _rgb(colour)
        paragraph.space_after = Pt(size * 0.5)


def _rgb(colour: tuple[int, int, int]) -> RGBColor:
    return RGBColor(*colour)  # type: ignore[no-untyped-call]  # python-pptx has no annotations


def _box(slide: Any, x: float, y: float, w: float, h: float, fill: tuple[int, int, int]) -> None:
    shape = slide.shapes.add_shape(MSO_SHAPE.RECTANGLE, Inches(x), Inches(y), Inches(w), Inches(h))
    shape.fill.solid()
    shape.fill.fore_color.rgb = _rgb(fill)
    shape.line.fill.background()
