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
BODY_BOTTOM = 6.95  # inches: above the footer
ROW_IN = 0.25  # a table row's least height
CHAR_EM = 0.55  # an average character's width, in ems of its font size
LINE_IN = 1.25  # a line's height, in multiples of the font size


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
    for column, entries in enumerate(halves(cover.contents) if len(cover.contents) > 8
                                     else (cover.contents,)):  # fmt: skip
        _text(slide, 0.6 + column * 6.2, 3.9, 6.0, 2.9, "\n".join(entries), 11)
    _text(slide, 0.6, 6.9, 12, 0.4, f"Data as of {cover.built_at}", 10, GREY)
    caveat = ("Synthetic demo data · " if cover.synthetic else "") + "Counts 1–4 shown as *"
    footer = f"{cover.title} · {cover.period_text} · {caveat}"
    for section in sections:
        _pptx_section(deck, blank, section, footer)
    out = io.BytesIO()
    deck.save(out)
    return out.getvalue()


def _new_slide(deck: Any, layout: Any, heading: str, footer: str) -> Any:
    slide = deck.slides.add_slide(layout)
    _text(slide, EDGE, 0.25, 12.5, 0.6, heading, 24, BLUE, bold=True)
    _text(slide, EDGE, 7.05, 12.5, 0.3, footer, 9, GREY)
    return slide


def _lines(text: str, width: float, size: float) -> int:
    """About how many lines ``text`` wraps to in ``width`` inches at ``size`` points."""
    per_line = max(1, int(width / (size / 72 * CHAR_EM)))
    return max(1, -(-len(text) // per_line))


def _pptx_section(deck: Any, layout: Any, section: Section, footer: str) -> None:
    """A slide for the section, and more when its table runs past the bottom of the slide."""
    slide = _new_slide(deck, layout, section.heading, footer)
    if not (section.chart or section.table or section.tiles):
        for i, column in enumerate(halves(section.notes)):
            _text(slide, EDGE + i * 6.35, 0.95, 6.15, 6, "\n".join(column), 10)
        return
    notes_h = sum(_lines(note, 12.5, 10) for note in section.notes) * LINE_IN * 10 / 72
    _text(slide, EDGE, 0.9, 12.5, notes_h, "\n".join(section.notes), 10)
    y = 0.95 + notes_h + 0.1
    for i, (value, label) in enumerate(section.tiles):
        width = (12.5 - 0.6) / len(section.tiles)
        x = EDGE + i * (width + 0.3)
        _box(slide, x, y, width, 1.2, PALE)
        _text(slide, x + 0.15, y + 0.05, width - 0.3, 0.6, value, 28, BLUE, bold=True)
        _text(slide, x + 0.15, y + 0.7, width - 0.3, 0.5, label, 10)
    y += 1.4 if section.tiles else 0
    if section.chart:
        w, h = fit_png(section.chart, 6.6 if section.table else 12.5, BODY_BOTTOM - y)
        x = EDGE if section.table else (SLIDE_W - w) / 2
        picture = io.BytesIO(section.chart)
        shape = slide.shapes.add_picture(picture, Inches(x), Inches(y), Inches(w), Inches(h))
        # The picture's description is what a screen reader reads in its place.
        shape._element.nvPicPr.cNvPr.set("descr", section.alt)
        shape._element.nvPicPr.cNvPr.set("title", section.heading)
    table = section.table
    x = 7.2 if section.chart else EDGE
    while table is not None:
        width = SLIDE_W - EDGE - x
        fit = _rows_that_fit(table, width, BODY_BOTTOM - y)
        shown, table = table.split(fit)
        _pptx_table(slide, shown, x, y, width)
        if table is not None:  # the rest on a slide of its own, under the same heading
            slide = _new_slide(deck, layout, section.heading + " (continued)", footer)
            x, y = EDGE, 0.95


def _row_heights(table: PackTable, width: float) -> list[float]:
    """Each row's height (headings first) in inches, as PowerPoint will grow it to wrap."""
    size, shares = _font_size(width), [w / sum(table.widths) for w in table.widths]
    heights = []
    for cells in (table.headings, *table.rows):
        lines = max(_lines(text, width * share - 0.2, size) for text, share in zip(
            cells, shares, strict=True))  # fmt: skip
        heights.append(max(ROW_IN, lines * LINE_IN * size / 72 + 0.1))
    return heights


def _rows_that_fit(table: PackTable, width: float, height: float) -> int:
    """How many rows fit in ``height`` inches below the headings (at least one)."""
    heights = _row_heights(table, width)
    used, fit = heights[0], 0
    for row in heights[1:]:
        if used + row > height:
            break
        used, fit = used + row, fit + 1
    return max(1, fit)


def _font_size(width: float) -> float:
    return 9 if width > 8 else 7.5


def _pptx_table(slide: Any, table: PackTable, x: float, y: float, width: float) -> None:
    size = Pt(_font_size(width))
    rows = [table.headings, *table.rows]
    shape = slide.shapes.add_table(
        len(rows),
        len(table.headings),
        Inches(x),
        Inches(y),
        Inches(width),
        Inches(ROW_IN * len(rows)),
    )
    grid, right = shape.table, right_aligned(table)
    for j, share in enumerate(table.widths):
        grid.columns[j].width = Inches(width * share / sum(table.widths))
    for i, cells in enumerate(rows):
        grid.rows[i].height = Inches(ROW_IN)
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
