"""Day-case rates against BADS for the Theatres page's unit: by procedure, site or specialty.

>>> list(BREAKDOWNS)  # what a row adds to its procedure group
['Procedure', 'Site', 'Specialty']

:func:`unit_daycase` gives a unit's rates, e.g. ``unit_daycase(engine, Unit("RBL"), period,
"Site")``.

Rates and additional day cases are :mod:`productivity.metrics.daycase` over the day-case mart
(:func:`productivity.store.daycase.daycase_rates`): completed elective and day cases of each BADS
procedure group, emergencies excluded. The mart is by site, not theatre, so a chosen theatre
shows its site. A group with fewer than :data:`SMALL_NUMBERS_CASES` cases is *small numbers*:
shown, not marked against its target. No Streamlit import.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sqlalchemy import Engine

from productivity.metrics import daycase
from productivity.store import daycase as store, marts
from productivity.views.theatres import Unit

SMALL_NUMBERS_CASES = 10
# Segmented-control labels (in the URL as shown) -> the keys each row adds.
BREAKDOWNS: dict[str, tuple[str, ...]] = {
    "Procedure": (), "Site": ("site",), "Specialty": ("specialty",),
}  # fmt: skip
# The columns a table shows first (the counts follow; the download keeps all of them).
SHOWN = (
    "procedure", "daycase_rate", "target_rate", "meets_target", "additional_daycases",
    "daycase_cases", "elective_cases",
)  # fmt: skip
COLUMNS = (
    "procedure", "elective_cases", "daycase_cases", "daycase_rate", "target_rate",
    "meets_target", "additional_daycases",
)  # fmt: skip


def unit_daycase(
    engine: Engine, unit: Unit, period: marts.Period, breakdown: str = "Procedure"
) -> pd.DataFrame:
    """The unit's day-case rate per BADS procedure group (and site or specialty)."""
    keys = BREAKDOWNS[breakdown]
    groups = daycase.load_bads()
    rates = store.daycase_rates(
        engine, keys, period, trust=unit.trust, site=unit.site if unit.trust else None,
        specialty=unit.specialty, groups=groups,
    )  # fmt: skip
    if rates.empty:
        return pd.DataFrame(columns=[*keys, *COLUMNS, "procedure_group"])
    # The name without its bracketed detail ("Breast-conserving excision"): tables stay narrow.
    names = {g.key: g.name.split(" (")[0] for g in groups}
    cases = rates["elective_cases"] + rates["daycase_cases"]
    meets = np.where(rates["daycase_rate"] >= rates["target_rate"], "✓", "✗")
    rates["procedure"] = rates["procedure_group"].map(names)
    rates["meets_target"] = np.where(
        cases < SMALL_NUMBERS_CASES, "small numbers", np.where(cases == 0, "–", meets)
    )
    rates["additional_daycases"] = rates["additional_daycases"].round(1)
    return rates[[*keys, *COLUMNS, "procedure_group"]]


def daycase_note(unit: Unit) -> str:
    """The section's caption: the definition, the target's source, and what a theatre shows."""
    where = (
        " Day cases are counted by site: the chosen theatre's whole site is shown."
        if unit.theatre
        else ""
    )
    return (
        "Day-case rate = completed day cases ÷ completed day cases and elective inpatients of "
        "each BADS procedure group (emergencies excluded); the tick is the group's BADS target "
        "(benchmarks/bads.toml). Additional day cases = max(0, target × cases − day cases). "
        f"Fewer than {SMALL_NUMBERS_CASES} cases: small numbers, not marked." + where
    )
