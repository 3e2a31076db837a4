"""Synthetic lists and cases rendered as the canonical theatre extract of SPEC §3.

What a trust would send: one row per case, text columns as the importer reads them. Vectorised
over whole columns, so it renders the national-scale frames too. Pure pandas/numpy: it must not
import the database, SQLModel or Streamlit.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from productivity import schema
from productivity.synth.columns import NAT, as_text, format_minutes, text_array, to_minutes


def theatre_extract(lists: pd.DataFrame, cases: pd.DataFrame) -> pd.DataFrame:
    """The canonical theatre extract of SPEC §3: one row per case, as a trust would send it.

    A list with no cases becomes one row with empty (missing) case fields. ``planned_start`` and
    ``planned_end`` are ``HH:MM``, ``session_date`` is ``YYYY-MM-DD``, milestones are
    ``YYYY-MM-DDTHH:MM`` (missing when absent), and ``cancelled``/``cancel_clinical`` are
    ``Y``/``N``. Rows follow the lists' order, and each list's cases their order in ``cases``.
    Vectorised, so it also renders the national-scale frames.
    """
    at = pd.Index(lists["list_id"]).get_indexer(cases["list_id"])
    if (at < 0).any():
        raise ValueError("cases refer to list_ids that are not in lists")
    counts = np.bincount(at, minlength=len(lists))
    rows = np.repeat(np.arange(len(lists)), np.maximum(counts, 1))
    take = np.full(rows.size, -1)
    take[counts[rows] > 0] = np.argsort(at, kind="stable")
    has = take >= 0

    def case_text(column: str) -> pd.api.extensions.ExtensionArray:
        return as_text(cases[column]).take(take, allow_fill=True)

    def flag(column: str) -> pd.api.extensions.ExtensionArray:
        yn = np.where(cases[column].to_numpy(dtype=bool), 1, 0)
        return text_array(("N", "Y"), np.where(has, yn[np.maximum(take, 0)], -1))

    def stamp(column: str) -> pd.api.extensions.ExtensionArray:
        values = to_minutes(cases[column])[np.maximum(take, 0)]
        return format_minutes(np.where(has, values, NAT), "datetime")

    list_text = {
        c: as_text(lists[c]).take(rows) for c in ("trust_code", "site", "theatre", "session")
    }
    specialty = pd.Series(case_text("specialty")).fillna(
        pd.Series(as_text(lists["specialty"]).take(rows))
    )
    out = pd.DataFrame(
        {
            **list_text,
            "session_date": format_minutes(to_minutes(lists["session_date"])[rows], "date"),
            "planned_start": format_minutes(to_minutes(lists["planned_start"])[rows], "time"),
            "planned_end": format_minutes(to_minutes(lists["planned_end"])[rows], "time"),
            "specialty": specialty,
            **{c: case_text(c) for c in ("case_id", "procedure_code", "priority")},
            **{
                c: stamp(c)
                for c in ("anaesthetic_start", "into_theatre", "knife_to_skin", "out_of_theatre")
            },
            "cancelled": flag("cancelled"),
            "cancel_reason": case_text("cancel_reason"),
            "cancel_clinical": flag("cancel_clinical"),
        }
    )
    return out[list(schema.THEATRE_COLUMNS)]
