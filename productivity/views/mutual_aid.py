"""The mutual-aid matcher's inputs, read from the store, and the plan for one DM01 test.

>>> list(TESTS)[:3], TESTS["GASTROSCOPY"]
(['CT', 'MRI', 'NON_OBSTETRIC_ULTRASOUND'], 'Endoscopy')

:func:`propose` (``propose(engine, "MRI", period, benchmarks, max_distance_km=40)``) gives the
plan. Per trust, for the chosen test: the DM01 waiting list and the number waiting 6+ weeks at the
latest month of the period, the weekly activity (:func:`productivity.metrics.waits.weekly_activity`)
and the spare capacity a week at benchmark productivity over the last whole weeks of the period:

- CT, MRI, non-obstetric ultrasound: scanner hours at the benchmark scans per hour minus the
  scans done (``additional_scans`` of :func:`~productivity.metrics.diagnostics.scans_per_hour`);
- colonoscopy, gastroscopy, flexi sigmoidoscopy: the unused points to the 95% list target
  (``additional_points``), shared between the three tests in proportion to the points of each
  test's DM01 activity at the trust, then turned into procedures at the point table;
- echocardiography: the tests the scheduled minutes would hold at the benchmark slot length.

Which modality serves a test is the registry's (:mod:`productivity.modalities`); each trust's
peer group, which decides who may take its patients (``data/mutual_aid_eligibility.toml``), and
its name are :mod:`productivity.peers`'. Distances come from the site coordinates in the store
(``data/sites.csv`` when it has none). Metric arithmetic stays in ``metrics/`` and the matcher
in :mod:`productivity.planning.mutual_aid`.

The tables (:func:`proposal_table`, :func:`trust_table`, :func:`projection_table`), their CSVs
(:func:`proposals_export`, :func:`trusts_export`) and the board pack name trusts and say
"sends patients" / "takes patients"; each count of patients from 1 to 4 is ``*`` in all of them
(:func:`suppress_patients`).
"""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Engine

from productivity.benchmarks import Benchmarks
from productivity.export import SUPPRESS_BELOW, SUPPRESSED
from productivity.metrics import waits
from productivity.modalities import BY_TEST, for_test
from productivity.peers import PEER_GROUPS, peer_of, trust_names
from productivity.planning import mutual_aid
from productivity.planning.mutual_aid import count_text as count_text  # the page's tiles
from productivity.schema import DM01_TESTS
from productivity.store import marts, readers, reports
from productivity.views.diagnostics import whole_weeks

# DM01 test -> the modality whose capacity serves it (the page's options, in this order).
TESTS: dict[str, str] = {test: serving.key for test, serving in BY_TEST.items()}
# The per-trust CSV: raw column names (the catalogue's style for downloads).
TRUST_EXPORT_COLUMNS: tuple[str, ...] = (
    "trust_code", "trust_name", "peer_group", "role", "total_waiting", "waiting_6_plus_before",
    "waiting_6_plus_without_aid", "waiting_6_plus_after", "within_6_weeks", "weekly_activity",
    "spare_per_week", "need_per_week", "offer_per_week", "sends_per_week", "takes_per_week",
    "reason",
)  # fmt: skip
# Columns that count patients (waiting, tested or moved), suppressed from 1 to 4 on screen, in
# the CSVs and in the pack alike. Spare capacity, need and offer count slots, not patients.
PATIENT_COUNTS: tuple[str, ...] = (
    "total_waiting", "waiting_6_plus_before", "waiting_6_plus_without_aid",
    "waiting_6_plus_after", "weekly_activity", "sends_per_week", "takes_per_week",
    "patients_per_week", "patients_in_horizon",
)  # fmt: skip
RECENT_WEEKS = 4  # spare capacity is the mean over this many whole weeks at the period's end


def trust_inputs(
    engine: Engine,
    test: str,
    period: marts.Period,
    benchmarks: Benchmarks,
    recent_weeks: int = RECENT_WEEKS,
) -> pd.DataFrame:
    """One row per trust that reports ``test`` to DM01: :data:`mutual_aid.TRUST_COLUMNS` and
    ``peer_group`` (:func:`productivity.peers.peer_of`).

    A trust with nobody waiting and no activity for the test is left out; a trust without
    capacity data has no spare capacity (0).

    Raises:
        ValueError: ``test`` is not one of :data:`TESTS`.
    """
    if test not in TESTS:
        raise ValueError(f"mutual aid covers {', '.join(TESTS)}, not {test!r}")
    latest = reports.latest_dm01(engine, period)
    columns = list(mutual_aid.TRUST_COLUMNS)
    rows = latest[latest["test_code"] == test]
    if rows.empty:
        return pd.DataFrame(columns=[*columns, "peer_group"])
    dm01 = waits.dm01_waits(rows, ["provider_code"]).rename(columns={"provider_code": "trust_code"})
    dm01 = dm01[(dm01["total_waiting"] > 0) | (dm01["weekly_activity"] > 0)]
    spare = spare_capacity(engine, test, period, benchmarks, latest, recent_weeks)
    out = dm01.merge(spare, on="trust_code", how="left")
    out["spare_per_week"] = out["spare_per_week"].fillna(0.0)
    out["peer_group"] = peer_of(out["trust_code"]).to_numpy()
    return out[[*columns, "peer_group"]].reset_index(drop=True)


def spare_capacity(
    engine: Engine,
    test: str,
    period: marts.Period,
    benchmarks: Benchmarks,
    latest_dm01: pd.DataFrame,
    recent_weeks: int = RECENT_WEEKS,
) -> pd.DataFrame:
    """``trust_code`` and ``spare_per_week``: tests a week at benchmark beyond those done."""
    serving = for_test(test)
    rows = readers.modality_rows(engine, serving, period)
    weeks = last_whole_weeks(rows, recent_weeks)
    rows = rows[rows["week"].isin(weeks)] if len(rows) else rows
    if rows.empty:
        return pd.DataFrame(columns=["trust_code", "spare_per_week"])
    spare = serving.summarise(rows, ["trust_code"], benchmarks)
    if len(serving.dm01_tests) == 1:
        spare["spare"] = spare[serving.additional]
    else:
        # Endoscopy lists serve several tests: their unused points are shared between them.
        points = benchmarks.endoscopy_points()
        share = endoscopy_point_share(latest_dm01, test, points)
        test_share = spare["trust_code"].map(share).fillna(1 / len(serving.dm01_tests))
        spare["spare"] = spare["additional_points"] * test_share / points[test]
    spare["spare_per_week"] = spare["spare"].fillna(0.0) / len(weeks)
    return spare[["trust_code", "spare_per_week"]]


def endoscopy_point_share(
    latest_dm01: pd.DataFrame, test: str, points: dict[str, float]
) -> pd.Series:
    """Per trust, ``test``'s share of the points of its DM01 endoscopy activity.

    Unused list points serve colonoscopy, gastroscopy and flexi sigmoidoscopy alike; sharing
    them by each test's points of activity keeps the three tests' capacities from overlapping.
    """
    shared = for_test(test).dm01_tests
    rows = latest_dm01[latest_dm01["test_code"].isin(shared)]
    activity = waits.dm01_waits(rows, ["provider_code", "test_code"])
    activity["points"] = activity["weekly_activity"] * activity["test_code"].map(points)
    by_trust = activity.pivot_table(
        index="provider_code", columns="test_code", values="points", aggfunc="sum", fill_value=0
    ).reindex(columns=list(shared), fill_value=0)
    total = by_trust.sum(axis=1)
    return (by_trust[test] / total.where(total > 0)).dropna()


def last_whole_weeks(rows: pd.DataFrame, count: int) -> list[str]:
    """The last ``count`` weeks (Monday, ``YYYY-MM-DD``) lying wholly inside the months read.

    A week cut by the period's edge holds only some of its days, which would understate the
    capacity a week; with no whole week, every week present is used.
    """
    if rows.empty:
        return []
    weeks = sorted(rows["week"].unique())
    whole = whole_weeks(pd.Series(weeks), rows["month"])
    chosen = [w for w, ok in zip(weeks, whole, strict=True) if ok] or weeks
    return chosen[-count:]


def distances(engine: Engine) -> pd.DataFrame:
    """Km between the trusts' nearest sites, from the store's sites (or ``data/sites.csv``)."""
    return mutual_aid.trust_distances(readers.site_locations(engine))


def propose(
    engine: Engine,
    test: str,
    period: marts.Period,
    benchmarks: Benchmarks,
    *,
    max_distance_km: float = mutual_aid.DEFAULT_MAX_DISTANCE_KM,
    capacity_share: float = mutual_aid.DEFAULT_CAPACITY_SHARE,
    recent_weeks: int = RECENT_WEEKS,
    eligibility: mutual_aid.AidEligibility | None = None,
) -> mutual_aid.MutualAidPlan:
    """The mutual-aid plan for ``test`` over ``period`` (see :func:`mutual_aid.match`).

    ``eligibility`` defaults to the peer-group rules in ``data/mutual_aid_eligibility.toml``.

    Raises:
        ValueError: ``test`` is not a mutual-aid test.
        EligibilityError: the eligibility file is missing or invalid.
    """
    params = mutual_aid.MatchParameters(
        within_6_weeks_target=benchmarks.value("dm01_within_6_weeks"),
        max_distance_km=max_distance_km,
        capacity_share=capacity_share,
    )
    inputs = trust_inputs(engine, test, period, benchmarks, recent_weeks)
    return mutual_aid.match(inputs, distances(engine), test, params, eligibility)


def test_label(test: str) -> str:
    """The DM01 name of a test, e.g. ``Magnetic Resonance Imaging``."""
    return DM01_TESTS.get(test, test)


def trust_label(codes: pd.Series) -> pd.Series:
    """A short name and the code of each trust: ``Walton Centre (RET)``.

    The name from :func:`productivity.peers.trust_names` without "The" and "NHS (Foundation)
    Trust", which every name shares; a code the trusts file does not name stays a code.
    """
    codes = codes.astype(str).reset_index(drop=True)
    names = trust_names(codes)
    short = names.str.replace(r"^The\s+", "", regex=True).str.replace(
        r"\s+NHS(\s+Foundation)?\s+Trust$", "", regex=True
    )
    return short.where(names == codes, short + " (" + codes + ")").rename("trust")


def suppress_patients(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy with each :data:`PATIENT_COUNTS` value from 1 to 4 shown as ``*``.

    The rule and symbol of :mod:`productivity.export` (``SUPPRESS_BELOW``), applied by name to
    the columns that count patients, so the screen, the CSVs and the pack hide the same cells.
    """
    out = frame.copy()
    for column in (c for c in PATIENT_COUNTS if c in out.columns):
        values = out[column]
        if not pd.api.types.is_numeric_dtype(values):
            continue  # already suppressed
        small = values.notna() & (values >= 1) & (values < SUPPRESS_BELOW)
        if small.any():
            shown = values.astype(object)
            shown[small] = SUPPRESSED
            out[column] = shown
    return out


def _shown(column: pd.Series) -> pd.Series:
    """A count column for the screen: numbers stay numbers (they sort as numbers) unless some are
    suppressed, when the whole column is text (``*``, ``1,234``) as Arrow needs one type."""
    if pd.api.types.is_numeric_dtype(column):
        return column
    return column.map(lambda v: v if isinstance(v, str) else count_text(v))


def proposals_export(plan: mutual_aid.MutualAidPlan, trust: str | None = None) -> pd.DataFrame:
    """The proposals for the CSV: codes and names of the trusts that send and take patients,
    patients a week and over the horizon, and km; patient counts suppressed. Given a ``trust``,
    only the transfers it sends or takes (a board pack's view)."""
    rows = plan.proposals
    if trust is not None:
        rows = rows[(rows["from_trust"] == trust) | (rows["to_trust"] == trust)]
    out = pd.DataFrame(
        {
            "sends_patients_code": rows["from_trust"],
            "sends_patients": trust_label(rows["from_trust"]).to_numpy(),
            "takes_patients_code": rows["to_trust"],
            "takes_patients": trust_label(rows["to_trust"]).to_numpy(),
            "test_code": rows["test_code"],
            "patients_per_week": rows["patients_per_week"],
            "patients_in_horizon": rows["patients_per_week"]
            * max(plan.parameters.projection_weeks),
            "distance_km": rows["distance_km"],
        }
    )
    hidden = out["patients_per_week"].between(1, SUPPRESS_BELOW - 1)
    out = suppress_patients(out)
    # The horizon's total would give a suppressed weekly count away (12 = 1 a week).
    horizon = out["patients_in_horizon"].astype(object)
    horizon[hidden] = SUPPRESSED
    return out.assign(patients_in_horizon=horizon)


def proposal_table(plan: mutual_aid.MutualAidPlan, trust: str | None = None) -> pd.DataFrame:
    """The proposals with readable headings and trust names, and the patients each moves over
    the horizon; patient counts from 1 to 4 shown as ``*``. Given a ``trust``, only the
    transfers it sends or takes."""
    weeks = max(plan.parameters.projection_weeks)
    rows = proposals_export(plan, trust)
    return pd.DataFrame(
        {
            "Sends patients": rows["sends_patients"],
            "Takes patients": rows["takes_patients"],
            "Test": rows["test_code"].map(test_label),
            "Patients a week": _shown(rows["patients_per_week"]),
            f"Patients in {weeks} weeks": _shown(rows["patients_in_horizon"]),
            "Distance (km)": rows["distance_km"],
        }
    )


def trusts_export(plan: mutual_aid.MutualAidPlan) -> pd.DataFrame:
    """Each trust's inputs, role, flows and 6+ week waiters for the CSV, counts suppressed."""
    rows = plan.trusts.assign(trust_name=trust_label(plan.trusts["trust_code"]).to_numpy())
    return suppress_patients(rows.loc[:, list(TRUST_EXPORT_COLUMNS)])


def trust_table(plan: mutual_aid.MutualAidPlan) -> pd.DataFrame:
    """Each trust's role and why, its flows, and its 6+ week waiters now and after the plan."""
    rows, weeks = trusts_export(plan), max(plan.parameters.projection_weeks)
    return pd.DataFrame(
        {
            "Trust": rows["trust_name"],
            "Peer group": rows["peer_group"].map(PEER_GROUPS),
            "Role": rows["role"],
            "Waiting 6+ weeks": _shown(rows["waiting_6_plus_before"]),
            f"After {weeks} weeks on its own": _shown(rows["waiting_6_plus_without_aid"]),
            f"After {weeks} weeks with mutual aid": _shown(rows["waiting_6_plus_after"]),
            "Sends a week": _shown(rows["sends_per_week"]),
            "Takes a week": _shown(rows["takes_per_week"]),
            "Spare a week": rows["spare_per_week"].round(1),
            "within_6_weeks": rows["within_6_weeks"],  # a fraction, shown as a percentage
            "Why": rows["reason"],
        }
    )


def projection_table(plan: mutual_aid.MutualAidPlan) -> pd.DataFrame:
    """The system's 6+ week waiters at each projection week: now, on their own, with aid."""
    rows = plan.projection
    return pd.DataFrame(
        {
            "Weeks": rows["weeks"],
            "Waiting 6+ weeks now": rows["waiting_6_plus_before"].map(count_text),
            "Each trust on its own": rows["waiting_6_plus_without_aid"].map(count_text),
            "With mutual aid": rows["waiting_6_plus_after"].map(count_text),
            "Fewer with mutual aid": rows["reduction"].map(count_text),
        }
    )


def constraint_table(plan: mutual_aid.MutualAidPlan) -> pd.DataFrame:
    """The constraints that bound the optimum: limit and use a week (km for distance)."""
    rows = plan.binding
    return pd.DataFrame(
        {
            "Constraint": rows["constraint"],
            "Trust": rows["trust_code"].map(_pair_label),
            "Limit": rows["limit"].map(_tenths),
            "Used": rows["used"].map(_tenths),
            "Why": rows["note"],
        }
    )


def _pair_label(codes: str) -> str:
    # "RBT → RWW" for a distance limit, one code otherwise.
    return " → ".join(trust_label(pd.Series(codes.split(" → "))))


def _tenths(value: float) -> str:
    # A limit of 0.03 a week printed as "0.0" would read as no limit at all.
    return f"{value:,.1f}" if value >= 0.05 or value == 0 else "<0.1"


def before_after(plan: mutual_aid.MutualAidPlan) -> pd.DataFrame:
    """Long frame for the chart: ``trust_code`` (the trust's name and code), ``when`` (now, or
    after N weeks with mutual aid) and ``waiting``; a suppressed count (1 to 4) is left out."""
    weeks = max(plan.parameters.projection_weeks)
    rows = plan.trusts.assign(trust_code=trust_label(plan.trusts["trust_code"]).to_numpy())
    labels = {"waiting_6_plus_before": "Now", "waiting_6_plus_after": f"After {weeks} weeks"}
    long = rows.melt(
        id_vars=["trust_code"], value_vars=list(labels), var_name="when", value_name="waiting"
    )
    small = long["waiting"].between(1, SUPPRESS_BELOW - 1)
    return long.assign(when=long["when"].map(labels), waiting=long["waiting"].where(~small))


def eligibility_table(
    test: str, eligibility: mutual_aid.AidEligibility | None = None
) -> pd.DataFrame:
    """For ``test``: each peer group and the peer groups that may take its patients."""
    rules = eligibility or mutual_aid.load_eligibility()
    return pd.DataFrame(
        {
            "Trusts in the peer group": list(PEER_GROUPS.values()),
            "May send patients to": [
                ", ".join(PEER_GROUPS[g] for g in PEER_GROUPS if g in rules.takers(test, key))
                or "no trust"
                for key in PEER_GROUPS
            ],
        }
    )
