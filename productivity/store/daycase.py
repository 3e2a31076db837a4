"""Day-case rates against BADS, read from the day-case mart: ``report daycase`` and the pages.

Example::

    daycase_report(engine, by="trust")                      # the CLI report's rows
    daycase_rates(engine, ["site"], Period("2026-05", "2026-10"), trust="RBL")

The mart (:data:`productivity.store.marts.DAYCASE`) holds completed elective and day cases per
trust, site, specialty, month and BADS procedure group; the rates and the additional day cases
are formed by :func:`productivity.metrics.daycase.rates_from_counts` after summing, so every
level is a ratio of sums. No Streamlit import.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
from sqlalchemy import Engine

from productivity.errors import InputError
from productivity.metrics import daycase
from productivity.store import marts

# --by LEVEL -> the keys of each row (before procedure_group).
DAYCASE_LEVELS: dict[str, tuple[str, ...]] = {
    "trust": ("trust_code",),
    "site": ("trust_code", "site"),
    "specialty": ("trust_code", "specialty"),
    "month": ("trust_code", "month"),
}


def daycase_rates(
    engine: Engine,
    by: Sequence[str],
    period: marts.Period | None = None,
    *,
    trust: str | None = None,
    site: str | None = None,
    specialty: str | None = None,
    groups: Sequence[daycase.ProcedureGroup] | None = None,
) -> pd.DataFrame:
    """Day-case rate per ``by`` × procedure group for a trust, site and specialty (or all).

    Columns: the ``by`` keys, then :data:`productivity.metrics.daycase.RATE_COLUMNS`.
    """
    extra = {k: v for k, v in (("site", site), ("specialty", specialty)) if v}
    counts = marts.read_mart(
        engine, marts.DAYCASE, period, [trust] if trust else None, extra or None
    )
    return daycase.rates_from_counts(counts, groups or daycase.load_bads(), by)


def daycase_report(
    engine: Engine, by: str = "trust", period: marts.Period | None = None
) -> pd.DataFrame:
    """Rows of ``python -m productivity report daycase --by LEVEL``.

    ``--by trust`` gives exactly ``trust_code, procedure_group, elective_cases, daycase_cases,
    daycase_rate, target_rate, additional_daycases``; site, specialty and month add their key
    after the trust code.

    Raises:
        InputError: a level the day-case report does not have (theatre).
    """
    if by not in DAYCASE_LEVELS:
        raise InputError.single(
            "--by",
            f"the day-case report is by {', '.join(DAYCASE_LEVELS)}, not {by!r}",
            value=by,
        )
    return daycase_rates(engine, DAYCASE_LEVELS[by], period)
