"""The board pack: a PDF or PowerPoint of one trust (or the collaborative) for chosen months.

``build.py`` checks the arguments and the months, ``scope.py`` holds what every section reads,
``sections.py`` puts the sections in order (with ``summary.py``, ``judgements.py``,
``theatre_sections.py`` and ``diagnostic_sections.py``), ``content.py`` holds the typed tables,
``labels.py`` keeps chart labels apart, ``pdf.py`` (tagged) and ``slides.py`` draw them, and
``style.py`` holds the shared look.
"""

from productivity.pack.build import build_pack, pack_filename

__all__ = ["build_pack", "pack_filename"]
