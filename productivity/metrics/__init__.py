"""Metric definitions (SPEC §4) as pure functions over DataFrames: one function per report column.

``theatre``, ``diagnostics`` and ``waits`` take the canonical frames of :mod:`productivity.schema`
and return DataFrames or Series with ratios as fractions (0.85, not 85). Every aggregate is a ratio
of sums over its group, never a mean of row ratios, and every benchmark is a parameter that the
caller passes from the benchmark file. The modules import only the stdlib, numpy and pandas, so
marts, the CLI and the pages can share one definition of each metric and never re-derive it.
"""
