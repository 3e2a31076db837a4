"""The board pack: a PDF or PowerPoint of one trust (or the collaborative) for one month.

``build.py`` gathers the sections from the store, ``content.py`` holds the typed tables,
``pdf.py`` and ``slides.py`` draw them, ``style.py`` holds the shared look.
"""

from productivity.pack.build import build_pack, pack_filename

__all__ = ["build_pack", "pack_filename"]
