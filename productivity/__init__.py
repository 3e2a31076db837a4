"""Theatre and diagnostics productivity monitor.

The package is layered: ``metrics/``, ``opportunity``, ``spc`` and ``funnel`` are pure functions
over DataFrames; ``models``, ``db``, ``ingest``, ``marts`` and ``synth`` own the store; ``charts``
draws; ``ui`` and ``pages/`` are the Streamlit app; ``cli`` and ``scheduler`` are thin entry points.
"""

__version__ = "0.1.0"
