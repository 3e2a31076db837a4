"""The board pack PDF's tables in the structure tree: ``Table``, ``TR``, ``TH`` and ``TD``.

fpdf2 (2.8) tags figures itself but draws a table's cells as loose text, and its structure tree
holds only the document's children. :class:`Tree` keeps nested elements (written out with the
rest, their marked content numbered per page in the parent tree), :class:`TaggedPdf` adds a
``Table`` element, its rows and cells, and :class:`TaggedTable` marks each cell as fpdf2 draws
it: the headings' row ``TH`` with ``/Scope /Column``, the others ``TD``. Used by
:mod:`productivity.pack.pdf`; no Streamlit, no store.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from fpdf import FPDF
from fpdf.structure_tree import StructElem, StructureTreeBuilder
from fpdf.syntax import PDFObject
from fpdf.table import Table


class Cell(StructElem):
    """A table cell's structure element, with an attribute dictionary (a heading's scope)."""

    __slots__ = ("a",)

    def __init__(self, role: str, parent: StructElem, mcid: int, page: int) -> None:
        super().__init__(f"/{role}", parent, [mcid], page_number=page)
        self.a = "<</O /Table /Scope /Column>>" if role == "TH" else None


class Tree(StructureTreeBuilder):
    """fpdf2's structure tree, with elements nested below the document's children (a table's
    rows and cells): written out with the rest, and their marked content numbered per page."""

    def next_mcid_for_page(self, page_number: int) -> int:
        spid = self.spid_per_page_number.get(page_number)
        if spid is None:
            return 0
        marked = self.struct_tree_root.parent_tree.nums[spid]
        return sum(1 for elem in marked if isinstance(elem, StructElem) and elem.k)

    def register(self, page_number: int, elem: StructElem) -> int:
        """Put a nested element with marked content in the page's parent tree; its id."""
        spid = self.spid_per_page_number.setdefault(page_number, len(self.spid_per_page_number))
        self.struct_tree_root.parent_tree.nums[spid].append(elem)
        return spid

    def __iter__(self) -> Iterator[PDFObject]:
        yield self.struct_tree_root
        yield self.doc_struct_elem
        yield self.struct_tree_root.parent_tree
        pending = list(reversed(self.doc_struct_elem.k))
        while pending:  # depth first, in reading order
            elem = pending.pop()
            yield elem
            pending.extend(reversed([k for k in elem.k if isinstance(k, StructElem)]))


class TaggedTable(Table):
    """fpdf2's table, each row a ``TR`` and each cell's drawing marked as a ``TH`` or ``TD``."""

    def __init__(self, pdf: TaggedPdf, **options: Any) -> None:
        super().__init__(pdf, **options)
        self.pdf = pdf

    def _render_table_row(self, i: int, *args: Any, **kwargs: Any) -> None:
        self.pdf.table_row()
        super()._render_table_row(i, *args, **kwargs)

    def _render_table_cell(self, i: int, j: int, *args: Any, **kwargs: Any) -> Any:
        if kwargs.get("cell_height_info") is None:
            return super()._render_table_cell(i, j, *args, **kwargs)  # measuring only
        with self.pdf.table_cell("TH" if i < self._num_heading_rows else "TD"):
            return super()._render_table_cell(i, j, *args, **kwargs)


class TaggedPdf(FPDF):
    """An FPDF whose tables are tagged (draw them with :class:`TaggedTable`)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.struct_builder: Tree = Tree()
        self.table_elem: StructElem | None = None  # the table being drawn, and its row
        self.row_elem: StructElem | None = None

    def table_start(self) -> None:
        """A ``Table`` element, in reading order, for the rows drawn next."""
        tree = self.struct_builder
        self.table_elem = StructElem("/Table", tree.doc_struct_elem, [], page_number=self.page)
        tree.doc_struct_elem.k.append(self.table_elem)

    def table_row(self) -> None:
        """A ``TR`` element of the table, for the cells drawn next."""
        assert self.table_elem is not None, "a row outside a table"
        self.row_elem = StructElem("/TR", self.table_elem, [], page_number=self.page)
        self.table_elem.k.append(self.row_elem)

    @contextmanager
    def table_cell(self, role: str) -> Iterator[None]:
        """What is drawn inside is one cell of the row: a ``TH`` or ``TD`` element."""
        assert self.row_elem is not None, "a cell outside a row"
        mcid = self.struct_builder.next_mcid_for_page(self.page)
        cell = Cell(role, self.row_elem, mcid, self.page)
        # fpdf2 sets /Pg only on the document's children (StructElem types it as None).
        cell.pg = self.pages[self.page]  # type: ignore[assignment]
        self.row_elem.k.append(cell)
        self.pages[self.page].struct_parents = self.struct_builder.register(self.page, cell)
        self._out(f"/{role} <</MCID {mcid}>> BDC")
        yield
        self._out("EMC")
