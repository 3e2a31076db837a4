"""An SPC result's monthly points as a table of numbers, for the pages that show them under a
catalogue column (Health inequalities: the Q1:Q5 ratio; Reporting: the share within target).

>>> limit_formats("quintile_ratio")["Upper limit"]
'quintile_ratio'

The month, the value under its catalogue key, and the mean and limits as plain numbers headed in
words, which :func:`limit_formats` shows in the value's format; each page adds the point type
(and rule) in its own words. Imports no Streamlit and no charts.
"""

from __future__ import annotations

import pandas as pd

from productivity.stats import spc

LIMITS = ("Mean", "Lower limit", "Upper limit")


def limit_formats(value: str) -> dict[str, str]:
    """The table's mean and limits, each shown as the ``value`` column they bound (a table
    widget's ``like``)."""
    return dict.fromkeys(LIMITS, value)


def monthly_points(result: spc.SPCResult, value: str) -> pd.DataFrame:
    """The points of ``result``: ``Month`` (YYYY-MM), the value under the catalogue key
    ``value``, then the mean and limits (float64)."""
    points = result.points
    return pd.DataFrame(
        {
            "Month": points["date"].dt.strftime("%Y-%m"),
            value: points["value"].astype("float64"),
            **{name: points[column].astype("float64") for name, column in zip(
                LIMITS, ("mean", "lower_limit", "upper_limit"), strict=True
            )},
        }
    )  # fmt: skip
