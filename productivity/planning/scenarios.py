"""What-if scenarios: recompute the opportunity and the backlog-clearing time under new values.

Example::

    base = Scenario.from_benchmarks(benchmarks)
    what_if = replace(base, echo_minutes_per_test=20)      # AI-assisted echo
    result = scenario_opportunity(per_list, imaging, echo, dm01_latest, what_if)

A scenario is never a benchmark: :meth:`Scenario.changes` lists every value that differs from
the benchmark file, so pages can label them as scenario values. Pure: pandas and numpy.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields

import numpy as np
import pandas as pd

from productivity.benchmarks import Benchmarks
from productivity.metrics import diagnostics, waits
from productivity.planning import opportunity
from productivity.schema import MODALITY_DM01_TEST


@dataclass(frozen=True)
class Scenario:
    target_utilisation: float
    scan_rates: Mapping[str, float] = field(default_factory=dict)
    echo_minutes_per_test: float = 45.0
    extra_sessions_per_week: float = 0.0  # per trust, each a planned list of average length
    cancellation_rate: float | None = None  # on-the-day non-clinical rate; None = as now
    # The DM01 interim ambition: says whether "no extra capacity" means "never clears".
    within_6_weeks_target: float = 0.95
    # Per (trust, modality): a rate that replaces ``scan_rates`` for that trust, such as its
    # peer group's benchmark (a tuple, so that a scenario stays hashable for caching).
    trust_scan_rates: tuple[tuple[str, str, float], ...] = ()

    @classmethod
    def from_benchmarks(cls, benchmarks: Benchmarks) -> Scenario:
        """The scenario that equals the benchmark file (the default on every page)."""
        return cls(
            target_utilisation=benchmarks.value("theatre_capped_utilisation"),
            scan_rates=benchmarks.scan_rates(),
            echo_minutes_per_test=benchmarks.value("echo_minutes_per_test"),
            within_6_weeks_target=benchmarks.value("dm01_within_6_weeks"),
        )

    def changes(self, base: Scenario) -> dict[str, tuple[object, object]]:
        """Values that differ from ``base``: name -> (benchmark value, scenario value)."""
        out: dict[str, tuple[object, object]] = {}
        for item in fields(self):
            mine, theirs = getattr(self, item.name), getattr(base, item.name)
            if item.name == "scan_rates":
                for modality, rate in dict(mine).items():
                    if dict(theirs).get(modality) != rate:
                        out[f"{modality} scans per hour"] = (dict(theirs).get(modality), rate)
            elif item.name == "trust_scan_rates":
                continue  # the basis the page chose, said by the page, not a scenario value
            elif mine != theirs:
                out[item.name.replace("_", " ")] = (theirs, mine)
        return out


def scenario_opportunity(
    per_list: pd.DataFrame,
    imaging: pd.DataFrame,
    echo: pd.DataFrame,
    dm01_latest: pd.DataFrame,
    scenario: Scenario,
    *,
    weeks: float | Mapping[str, float] | None = None,
) -> pd.DataFrame:
    """Per trust: extra theatre cases and scans/tests a week, and weeks to clear the backlog.

    - theatre: realisable additional cases at the scenario target, plus extra sessions (each
      filled at the trust's current cases per list), plus cases no longer cancelled on the day
      when the cancellation rate falls to the scenario's;
    - imaging: additional scans at the scenario rates; echo: Σ minutes ÷ scenario minutes − tests;
      each a week by :func:`~productivity.planning.opportunity.additional_per_week`, as the
      Diagnostics page shows them;
    - ``weeks_to_clear_<modality>`` and ``clearance_<modality>``: the waiting 6+ weeks for the
      matching DM01 test against the additional tests a week
      (:func:`~productivity.metrics.waits.backlog_clearance`).

    ``weeks`` is the length of the period the frames cover, to turn totals into weekly rates:
    one number, or one per source (``theatre``, ``imaging``, ``echo``). Left out, each figure's
    weeks are :func:`~productivity.planning.opportunity.weeks_covered` by the ``month`` column of
    the rows it comes from (for imaging, the modality's own rows), as on the Diagnostics page.
    """

    def span(source: str, rows: pd.DataFrame) -> float:
        if weeks is None:
            return opportunity.weeks_covered(rows["month"])
        return float(weeks[source]) if isinstance(weeks, Mapping) else float(weeks)

    trusts = sorted(
        set(per_list.get("trust_code", pd.Series(dtype=str)))
        | set(imaging.get("trust_code", pd.Series(dtype=str)))
    )
    out = pd.DataFrame({"trust_code": trusts})
    if not per_list.empty:
        theatre_weeks = span("theatre", per_list)
        theatre = opportunity.theatre_opportunity(
            per_list, scenario.target_utilisation, ["trust_code"]
        )
        sums = per_list.groupby("trust_code", as_index=False).agg(
            lists=("list_id", "count"),
            completed=("completed_cases", "sum"),
            scheduled=("scheduled_cases", "sum"),
            cancelled=("cancelled_non_clinical", "sum"),
        )
        theatre = theatre.merge(sums, on="trust_code")
        cases_per_list = theatre["completed"] / theatre["lists"].where(theatre["lists"] > 0)
        extra_sessions = scenario.extra_sessions_per_week * cases_per_list
        if scenario.cancellation_rate is None:
            saved = 0.0
        else:
            rate_now = theatre["cancelled"] / theatre["scheduled"].where(theatre["scheduled"] > 0)
            saved = (
                np.maximum(0.0, rate_now - scenario.cancellation_rate)
                * theatre["scheduled"]
                / theatre_weeks
            )
        theatre["additional_cases_per_week"] = (
            theatre["realisable_additional_cases"] / theatre_weeks
            + extra_sessions.fillna(0)
            + saved
        )
        out = out.merge(
            theatre[["trust_code", "additional_cases_per_week"]], on="trust_code", how="left"
        )
    waiting = (
        waits.dm01_waits(dm01_latest, ["provider_code", "test_code"])
        if not dm01_latest.empty
        else None
    )
    for modality in ("CT", "MRI", "NOUS"):
        rows = imaging[imaging["modality"] == modality] if not imaging.empty else imaging
        column = f"additional_{modality.lower()}_per_week"
        if rows.empty:
            out[column] = 0.0
        else:
            rates = {modality: scenario.scan_rates.get(modality, 0.0)}
            own = _own_rates(scenario, modality)
            scans = diagnostics.scans_per_hour(
                rows, ["trust_code"], benchmark_rates=rates, trust_rates=own
            )
            scans[column] = opportunity.additional_per_week(
                scans["additional_scans"], span("imaging", rows)
            )
            out = out.merge(scans[["trust_code", column]], on="trust_code", how="left")
        out = _weeks_to_clear(
            out, waiting, MODALITY_DM01_TEST[modality], column, modality.lower(), scenario
        )
    if not echo.empty:
        released = diagnostics.echo_minutes_per_test(
            echo, ["trust_code"], benchmark_minutes=scenario.echo_minutes_per_test
        )
        released["additional_echo_per_week"] = opportunity.additional_per_week(
            released["additional_tests"], span("echo", echo)
        )
        out = out.merge(
            released[["trust_code", "additional_echo_per_week"]], on="trust_code", how="left"
        )
    else:
        out["additional_echo_per_week"] = 0.0
    out = _weeks_to_clear(
        out, waiting, MODALITY_DM01_TEST["echo"], "additional_echo_per_week", "echo", scenario
    )
    return out


def _weeks_to_clear(
    out: pd.DataFrame,
    waiting: pd.DataFrame | None,
    test: str,
    column: str,
    name: str,
    scenario: Scenario,
) -> pd.DataFrame:
    target, clearance = f"weeks_to_clear_{name}", f"clearance_{name}"
    if waiting is None:
        out[target], out[clearance] = np.nan, waits.NO_DATA
        return out
    rows = waiting[waiting["test_code"] == test][
        ["provider_code", "waiting_6_plus", "within_6_weeks"]
    ]
    rows = rows.rename(
        columns={
            "provider_code": "trust_code",
            "waiting_6_plus": f"waiting_6_plus_{name}",
            "within_6_weeks": f"within_6_weeks_{name}",
        }
    )
    out = out.merge(rows, on="trust_code", how="left")
    out[column] = out[column].fillna(0.0)
    cleared = waits.backlog_clearance(
        out[f"waiting_6_plus_{name}"],
        out[column],
        out[f"within_6_weeks_{name}"],
        scenario.within_6_weeks_target,
    )
    out[target], out[clearance] = cleared["weeks_to_clear_backlog"], cleared["clearance"]
    return out


def _own_rates(scenario: Scenario, modality: str) -> pd.Series | None:
    """The trusts' own rates for ``modality`` (indexed by trust and modality, as
    :func:`~productivity.metrics.diagnostics.scans_per_hour` takes them), or None."""
    own = [(trust, mod, rate) for trust, mod, rate in scenario.trust_scan_rates if mod == modality]
    if not own:
        return None
    frame = pd.DataFrame(own, columns=["trust_code", "modality", "rate"])
    return frame.set_index(["trust_code", "modality"])["rate"].astype("float64")
