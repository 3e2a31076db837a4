"""The board pack drawn as an A4-landscape PDF with fpdf2: a cover, then a page per section.

Owns the page geometry, the running header and the footer that repeats the caveats, and the
fonts: DejaVu from :data:`FONT_DIR` when installed, else the core Latin-1 fonts with ASCII
stand-ins for the symbols (:data:`ASCII`). :func:`render_pdf` takes the sections as data and never
reads the store; it must not import python-pptx, Streamlit or the database.

The PDF is tagged for screen readers: a document title shown in the window (not the file name),
the language (``en-GB``), a bookmark per section, and a structure tree in reading order, with
each heading an ``H1``, each note a ``P``, each chart a ``Figure`` with its alternative text, and
each table a ``Table`` of ``TR`` rows, its heading cells ``TH`` (scope: column) and the others
``TD`` (:mod:`productivity.pack.pdf_tags`); the running header and footer are marked as
artifacts so they are not read on every page. A table too long for its page
carries on, under the same heading, on the next; the cover's contents give each section's real
first page, so the document is laid out twice.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from fpdf.fonts import FontFace
from fpdf.prefs import ViewerPreferences

from productivity.pack.content import Cover, PackTable, Section
from productivity.pack.pdf_tags import TaggedPdf, TaggedTable
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

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")  # Debian's fonts-dejavu-core
FONT_FILES = {"": "DejaVuSans.ttf", "B": "DejaVuSans-Bold.ttf", "I": "DejaVuSans-Oblique.ttf"}
# Core PDF fonts hold only Latin-1: what the fallback writes instead of each symbol.
ASCII = {"✓": "+", "✗": "x", "▲": "^", "▼": "v", "●": "o", "⚠": "!", "–": "-", "—": "-",
         "≥": ">=", "≤": "<=", "✎": "(local) ", "…": "...", "τ²": "tau2", "Σ": "sum ", "’": "'",
         "→": "->", "›": ">", "−": "-", "φ": "phi", "†": "+"}  # fmt: skip
PAGE_W, PAGE_H, MARGIN = 297.0, 210.0, 12.0  # A4 landscape, mm
CONTENT_W, BOTTOM = PAGE_W - 2 * MARGIN, PAGE_H - 13.0  # BOTTOM: above the footer
LANGUAGE = "en-GB"
CONTINUED = " (continued)"


def _plain(text: str) -> str:
    return text.replace("**", "")


class _PackPdf(TaggedPdf):
    """A4 landscape with a blue running header and a footer that repeats the caveats."""

    def __init__(self, cover: Cover) -> None:
        super().__init__(orientation="L", unit="mm", format="A4")
        self.cover = cover
        self.unicode = all((FONT_DIR / name).exists() for name in FONT_FILES.values())
        for style, name in FONT_FILES.items() if self.unicode else ():
            self.add_font("DejaVu", style, str(FONT_DIR / name))
        self.family = "DejaVu" if self.unicode else "helvetica"
        self.set_margins(MARGIN, 14, MARGIN)  # top: below the running header
        self.set_auto_page_break(True, margin=PAGE_H - BOTTOM)
        self.set_title(_plain(f"Board pack: {cover.title}, {cover.period_text}"))
        self.set_lang(LANGUAGE)
        self.set_subject("Theatre and diagnostics productivity board pack")
        self.set_author("Theatre and diagnostics productivity monitor")
        # A screen reader announces the title, not the file name.
        self.viewer_preferences = ViewerPreferences(display_doc_title=True)
        self.open_role: str | None = None  # the role of the tagged content being drawn
        self.contents_top = 90.0  # mm: where the cover's contents start

    def discard(self) -> None:
        """Close the font files of a document that is never written (fpdf2 closes them only
        in ``output``)."""
        for font in self.fonts.values():
            close = getattr(font, "close", None)
            if close is not None:
                close()

    def t(self, text: str) -> str:
        """Text the font can draw: as it is in DejaVu, else Latin-1 with ASCII stand-ins."""
        if self.unicode:
            return text
        for symbol, stand_in in ASCII_ITEMS:
            text = text.replace(symbol, stand_in)
        return text.encode("latin-1", "replace").decode("latin-1")

    def font(self, size: float, style: str = "", colour: tuple[int, int, int] = INK) -> None:
        self.set_font(self.family, style, size)
        self.set_text_color(*colour)

    @contextmanager
    def tagged(self, role: str) -> Iterator[None]:
        """Content drawn inside is one structure element (``H1``, ``P``, ``Div``) in reading
        order. fpdf2 tags only figures itself (``image(alt_text=...)``); this is its own marked
        content mechanism, with the role named. Content that runs onto a new page is closed in
        the footer and carries on as a second element of the same role (see header)."""
        self.open_role = role
        self._begin(role)
        yield
        self._out("EMC")
        self.open_role = None

    def _begin(self, role: str) -> None:
        mcid = self.struct_builder.next_mcid_for_page(self.page)
        self._add_marked_content(struct_type=f"/{role}", mcid=mcid)
        self._out(f"/{role} <</MCID {mcid}>> BDC")

    @contextmanager
    def artifact(self) -> Iterator[None]:
        """Page furniture a screen reader skips: the running header and the footer."""
        self._out("/Artifact BMC")
        yield
        self._out("EMC")

    def header(self) -> None:
        if self.page_no() == 1:
            return
        with self.artifact():
            self.set_fill_color(*BLUE)
            self.rect(0, 0, PAGE_W, 9, style="F")
            self.font(8.5, "B", WHITE)
            self.set_xy(MARGIN, 1.5)
            self.cell(CONTENT_W / 2, 6, self.t(f"Board pack · {self.cover.title}"))
            self.cell(CONTENT_W / 2, 6, self.t(self.cover.period_text), align="R")
        if self.open_role:  # tagged content carried over from the page before
            self._begin(self.open_role)

    def footer(self) -> None:
        if self.open_role:  # a marked sequence must end on its own page
            self._out("EMC")
        with self.artifact():
            self.set_y(PAGE_H - 9)
            self.font(7.5, "", GREY)
            caveat = "Synthetic demo data · " if self.cover.synthetic else ""
            caveat += "Counts from 1 to 4 are shown as *. Benchmarks and sources: see Methodology."
            self.cell(CONTENT_W * 0.8, 5, self.t(caveat))
            self.cell(CONTENT_W * 0.2, 5, f"Page {self.page_no()} of {{nb}}", align="R")


ASCII_ITEMS = tuple(ASCII.items())


def render_pdf(cover: Cover, sections: Sequence[Section]) -> bytes:
    """The cover and a page (or more, for a long table) per section, as tagged PDF bytes."""
    pdf, scratch = _PackPdf(cover), _PackPdf(cover)
    pdf.add_page()
    _pdf_cover(pdf, cover)
    cover_elements = len(pdf.struct_builder.doc_struct_elem.k) - 1  # before "Data as of"
    starts = []
    for section in sections:
        pdf.add_page()
        pdf.start_section(_plain(section.heading))  # a bookmark, for navigation
        starts.append(pdf.page_no())
        _pdf_section(pdf, section, scratch)
    scratch.discard()
    # The contents go on the cover last, when each section's first page is known (a long table
    # moves the rest); their structure elements then move back to the cover's place, so a
    # screen reader reads them after the title, not at the end of the pack.
    last, pdf.page = pdf.page, 1
    before = len(pdf.struct_builder.doc_struct_elem.k)
    _pdf_contents(pdf, cover, starts)
    elements = pdf.struct_builder.doc_struct_elem.k
    added = elements[before:]
    del elements[before:]
    elements[cover_elements:cover_elements] = added
    pdf.page = last
    return bytes(pdf.output())


def _pdf_cover(pdf: _PackPdf, cover: Cover) -> None:
    pdf.set_fill_color(*BLUE)
    pdf.rect(0, 0, PAGE_W, 78, style="F")
    for top, size, style, text, role in (
        (18, 13, "B", "Theatre and diagnostics productivity · Board pack", "P"),
        (30, 26, "B", cover.title, "H1"),
        (58, 14, "", cover.period_text, "P"),
    ):
        with pdf.tagged(role):
            pdf.set_xy(MARGIN + 4, top)
            pdf.font(size, style, WHITE)
            pdf.multi_cell(CONTENT_W - 8, size * 0.46, pdf.t(text), align="L")
    y = 90.0
    if cover.synthetic:
        with pdf.tagged("P"):
            pdf.set_draw_color(*WARN)
            pdf.set_line_width(1.2)
            pdf.set_xy(MARGIN + 4, y)
            pdf.font(16, "B", WARN)
            pdf.cell(150, 13, pdf.t("SYNTHETIC DEMO DATA"), border=1, align="C")
            pdf.set_xy(MARGIN + 4, y + 15)
            pdf.font(9, "I", WARN)
            pdf.cell(
                0, 5, pdf.t("Every figure comes from generated data, not any trust's records.")
            )
        y += 27
    pdf.contents_top = y
    with pdf.tagged("P"):
        pdf.set_xy(MARGIN + 4, BOTTOM - 8)
        pdf.font(8, "", GREY)
        pdf.cell(0, 5, pdf.t(f"Data as of {cover.built_at} · produced {dt.date.today():%d %b %Y}"))


def _pdf_contents(pdf: _PackPdf, cover: Cover, starts: Sequence[int]) -> None:
    """The cover's list of sections with their first pages."""
    y = pdf.contents_top
    with pdf.tagged("H2"):
        pdf.set_xy(MARGIN + 4, y)
        pdf.font(11, "B")
        pdf.cell(0, 7, "Contents")
    # Two columns when the list is long, so the contents always fit the cover.
    per_column = max(1, -(-len(cover.contents) // 2)) if len(cover.contents) > 10 else 10
    pdf.font(9.5)
    for i, (heading, page) in enumerate(zip(cover.contents, starts, strict=True)):
        column, row = divmod(i, per_column)
        with pdf.tagged("P"):
            pdf.set_xy(MARGIN + 8 + column * CONTENT_W / 2, y + 8 + row * 5.6)
            pdf.cell(CONTENT_W / 2 - 8, 5.6, pdf.t(f"{heading}  ·  page {page}"))


def _heading(pdf: _PackPdf, text: str) -> None:
    with pdf.tagged("H1"):
        pdf.set_xy(MARGIN, 13)
        pdf.font(16, "B", BLUE)
        pdf.cell(CONTENT_W, 9, pdf.t(text))


def _pdf_section(pdf: _PackPdf, section: Section, scratch: _PackPdf) -> None:
    _heading(pdf, section.heading)
    if not (section.chart or section.table or section.tiles):
        _pdf_columns(pdf, section.notes, 24.0)
        return
    y = 24.0
    for note in section.notes:
        with pdf.tagged("P"):
            pdf.font(8.5)
            pdf.set_xy(MARGIN, y)
            pdf.multi_cell(CONTENT_W, 4.2, pdf.t(note), align="L", markdown=True)
        y = pdf.get_y() + 1.5
    y += 2
    if section.tiles:
        width = (CONTENT_W - 2 * 6) / len(section.tiles)
        for i, (value, label) in enumerate(section.tiles):
            x = MARGIN + i * (width + 6)
            pdf.set_fill_color(*PALE)
            pdf.rect(x, y, width, 30, style="F")
            pdf.set_fill_color(*BLUE)
            pdf.rect(x, y, 1.6, 30, style="F")
            with pdf.tagged("P"):
                pdf.set_xy(x + 5, y + 3)
                pdf.font(24, "B", BLUE)
                pdf.cell(width - 8, 12, pdf.t(value))
                pdf.set_xy(x + 5, y + 16)
                pdf.font(8.5)
                pdf.multi_cell(width - 8, 4, pdf.t(label), align="L")
        y += 36
    chart_w = CONTENT_W * 0.52 if section.table else CONTENT_W
    if section.chart:
        w, h = fit_png(section.chart, chart_w, BOTTOM - y)
        x = MARGIN if section.table else MARGIN + (CONTENT_W - w) / 2
        pdf.image(io.BytesIO(section.chart), x=x, y=y, w=w, h=h, alt_text=pdf.t(section.alt),
                  title=pdf.t(section.heading))  # fmt: skip
    if section.table and section.chart:
        x, width, size = MARGIN + chart_w + 5, CONTENT_W - chart_w - 5, 7.5
    else:
        x, width, size = MARGIN, CONTENT_W, 8.0
    table = section.table
    while table is not None:
        fit = _rows_that_fit(scratch, table, x, width, y, size)
        shown, table = table.split(fit)
        _pdf_table(pdf, shown, x, width, y, size)
        if table is not None:  # the rest on a page of its own, under the same heading
            pdf.add_page()
            _heading(pdf, section.heading + CONTINUED)
            x, width, y = MARGIN, CONTENT_W, 24.0


def _surely_fits(table: PackTable, width: float, height: float, size: float) -> bool:
    """True when even a generous estimate of the table's height (every cell's text wrapped at
    a wide average character) leaves room: drawing a table to measure it is slow."""
    char_mm = size * 0.3528 * 0.62  # points to mm, times a wide average character
    shares = [w / sum(table.widths) for w in table.widths]

    def row_height(cells: Sequence[str]) -> float:
        lines = max(
            -(-len(text) * char_mm // max(1.0, width * share - 2.4))
            for text, share in zip(cells, shares, strict=True)
        )
        return max(1.0, lines) * size * 0.5 + 2.0  # line height and padding, as drawn

    total = sum(row_height(cells) for cells in (table.headings, *table.rows))
    return total * 1.2 <= height


def _rows_that_fit(
    scratch: _PackPdf, table: PackTable, x: float, width: float, y: float, size: float
) -> int:
    """How many of the table's rows fit above the footer from ``y`` (at least one), found by
    drawing them on a scratch document: wrapped cells make a row's height unknowable before."""

    if _surely_fits(table, width, BOTTOM - y, size):
        return len(table.rows)

    def fits(rows: int) -> bool:
        scratch.add_page()
        first = scratch.page
        _pdf_table(scratch, table.split(rows)[0], x, width, y, size)
        return scratch.page == first

    if fits(len(table.rows)):
        return len(table.rows)
    low, high = 1, len(table.rows) - 1  # low always fits (or is the least we can show)
    while low < high:
        middle = (low + high + 1) // 2
        low, high = (middle, high) if fits(middle) else (low, middle - 1)
    return low


def _pdf_columns(pdf: _PackPdf, paragraphs: Sequence[str], top: float) -> None:
    """Paragraphs in two columns balanced by length; a ``**lead-in**`` is drawn bold."""
    width = (CONTENT_W - 8) / 2
    for i, column in enumerate(halves(paragraphs)):
        y = top
        for paragraph in column:
            with pdf.tagged("P"):
                pdf.font(9)
                pdf.set_xy(MARGIN + i * (width + 8), y)
                pdf.multi_cell(width, 4.4, pdf.t(paragraph), align="L", markdown=True)
            y = pdf.get_y() + 2


def _pdf_table(
    pdf: _PackPdf, table: PackTable, x: float, width: float, y: float, size: float
) -> None:
    pdf.set_left_margin(x)  # fpdf2 starts each table row at the left margin
    pdf.set_xy(x, y)
    pdf.font(size)
    pdf.set_draw_color(*GREY)
    pdf.set_line_width(0.2)
    bold = FontFace(emphasis="BOLD", fill_color=(214, 230, 245))
    zebra = (FontFace(fill_color=WHITE), FontFace(fill_color=(244, 246, 247)))
    grid = TaggedTable(
        pdf,
        width=width,
        col_widths=table.widths,
        align="LEFT",
        headings_style=FontFace(emphasis="BOLD", color=WHITE, fill_color=BLUE),
        line_height=size * 0.5,
        borders_layout="HORIZONTAL_LINES",
        padding=(0.9, 1.2),
        v_align="MIDDLE",
    )
    aligns = ["R" if right else "L" for right in right_aligned(table)]
    head = grid.row()
    for heading, align in zip(table.headings, aligns, strict=True):
        head.cell(pdf.t(heading), align=align)  # over its numbers, as they are aligned
    for i, cells in enumerate(table.rows):
        row = grid.row()
        style = bold if i in table.highlight else zebra[i % 2]
        for text, align in zip(cells, aligns, strict=True):
            row.cell(pdf.t(text), align=align, style=style)
    pdf.table_start()
    grid.render()  # as FPDF.table() does when its block ends
    pdf.table_elem = pdf.row_elem = None
    pdf.set_left_margin(MARGIN)
