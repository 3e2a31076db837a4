"""The turnaround summary from pre-summed counts (a mart), exactly as from the events themselves.

:func:`productivity.metrics.turnaround.turnaround_summary` classifies events; a mart keeps what
it found summed by trust, measure, month and drill-down keys, with a histogram of whole
turnaround days. :func:`summary_from_counts` turns those sums back into the same table for any
period or grouping: counts add up, the share within target is a ratio of sums, and the median
comes from the histogram, so it is the median of every reported event in scope. Pure: pandas,
numpy and the turnaround and theatre metric helpers only.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from productivity.metrics.diagnostics import as_keys, require_columns, safe_ratio
from productivity.metrics.theatre import median_from_counts
from productivity.metrics.turnaround import SUMMARY_COLUMNS, EventKind, TurnaroundMeasure

COUNTS: tuple[str, ...] = ("within_target", "breaches", "pending")


def summary_from_counts(
    counts: pd.DataFrame,
    days: pd.DataFrame,
    measures: Sequence[TurnaroundMeasure],
    *,
    kind: EventKind = "reporting",
    by: Sequence[str] = (),
) -> pd.DataFrame:
    """One row per trust (× ``by`` keys) × measure of ``kind``, from summed counts (SPEC §4).

    ``counts`` has ``trust_code``, the ``by`` keys, ``measure`` and ``within_target``,
    ``breaches``, ``pending`` (any other columns are summed over); every group in it gets a row
    for each measure, zeros where it has none of the measure's events. ``days`` has the same
    keys, ``measure``, ``days`` (whole days in the measure's day kind, reported events only) and
    ``events``. ``events`` = within + breaches + pending; ``share_within_target`` = within ÷
    (within + breaches), NaN when nothing is decided; ``median_days`` is the median over the
    histogram, NaN when nothing is reported. Targets repeat the measure's benchmark.

    Returns:
        The columns and order of :func:`~productivity.metrics.turnaround.turnaround_summary`.

    Raises:
        ValueError: a column is missing.
    """
    keys = ["trust_code", *(k for k in as_keys(by) if k != "trust_code")]
    require_columns(counts, [*keys, "measure", *COUNTS], "turnaround counts")
    require_columns(days, [*keys, "measure", "days", "events"], "turnaround days")
    chosen = pd.DataFrame(
        {
            "measure": [m.key for m in measures if m.kind == kind],
            "target_share": [float(m.target_share) for m in measures if m.kind == kind],
            "target_days": [int(m.days) for m in measures if m.kind == kind],
            "day_kind": [m.day_kind for m in measures if m.kind == kind],
        }
    )
    chosen["_order"] = np.arange(len(chosen))
    columns = [*keys, *SUMMARY_COLUMNS[1:]]
    if counts.empty or chosen.empty:
        return pd.DataFrame(columns=columns)
    summed = counts.groupby([*keys, "measure"], dropna=False)[list(COUNTS)].sum().reset_index()
    out = counts[keys].drop_duplicates().merge(chosen, how="cross")
    out = out.merge(summed, on=[*keys, "measure"], how="left")
    for column in COUNTS:
        out[column] = out[column].fillna(0).astype("int64")
    out["events"] = out["within_target"] + out["breaches"] + out["pending"]
    decided = out["within_target"] + out["breaches"]
    out["share_within_target"] = safe_ratio(out["within_target"].astype(float), decided)
    medians = _medians(days, [*keys, "measure"])
    out = out.merge(medians, on=[*keys, "measure"], how="left")
    out["median_days"] = out["median_days"].astype(float)
    out = out.sort_values([*keys, "_order"], kind="stable", na_position="last")
    return out[columns].reset_index(drop=True)


def _medians(days: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """The median of each group's day histogram (one call per group of a small mart)."""
    if days.empty:
        return pd.DataFrame({**{k: pd.Series(dtype=object) for k in keys}, "median_days": []})
    histogram = days.groupby([*keys, "days"], dropna=False)["events"].sum().reset_index()
    return (
        histogram.groupby(keys, dropna=False)[["days", "events"]]
        .apply(lambda g: median_from_counts(g["days"].to_numpy(), g["events"].to_numpy()))
        .rename("median_days")
        .reset_index()
    )
