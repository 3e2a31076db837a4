"""What the what-if panel shows: the scenario's extra activity a week and weeks to clear.

The numbers are :func:`productivity.planning.scenarios.scenario_opportunity`'s, which uses the
same functions as the Diagnostics page (``opportunity.additional_per_week`` and
``waits.backlog_clearance``), so at the benchmark values the two agree. Numbers stay numeric
for sorting; a weeks-to-clear figure is shown only where it is finite, and the reason where it
is not ("never at this rate" only for a trust short of the interim ambition with no extra
capacity). No Streamlit import.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from productivity.benchmarks import Benchmarks
from productivity.metrics import waits
from productivity.modalities import MODALITIES
from productivity.views.diagnostics import clearance_words

# Modalities whose weeks to clear have no figure for one of these reasons get a note.
_NOTED = (waits.MEETS_AMBITION, waits.NEVER)


def scenario_table(what_if: pd.DataFrame, benchmarks: Benchmarks) -> pd.DataFrame:
    """The what-if result for display: extra activity a week, weeks to clear, and why not."""
    out = pd.DataFrame({"Trust": what_if["trust_code"]})
    if "additional_cases_per_week" in what_if:
        out["Extra theatre cases a week"] = what_if["additional_cases_per_week"].round(1)
    notes = pd.Series("", index=what_if.index)
    for m in MODALITIES:  # those the scenario covers have columns in ``what_if``
        name = m.key.lower()
        extra, weeks = f"additional_{name}_per_week", f"weeks_to_clear_{name}"
        if extra not in what_if:
            continue
        out[f"{m.key} extra a week"] = what_if[extra].round(1)
        finite = what_if[weeks].astype(float)
        out[f"{m.key} weeks to clear the 6-week backlog"] = finite.where(np.isfinite(finite)).round(
            1
        )
        clearance = what_if[f"clearance_{name}"]
        why = (m.key + ": " + clearance_words(clearance, benchmarks)).where(
            clearance.isin(_NOTED), ""
        )
        notes = notes.str.cat(why, sep=" · ").str.strip(" ·")
    out["No weeks-to-clear figure because"] = notes
    return out
