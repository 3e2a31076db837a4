"""The Mutual aid page's tables, tiles and chart rows, their CSVs and the board pack's, from a plan.

Tables on screen are numeric, with report-style column names that the column catalogue
(:mod:`productivity.columns`) heads and formats (``patients_per_week``, ``distance_km``); each
has a mask of the cells withheld so that no hidden count can be worked out from a total beside
it (:func:`withheld`, :mod:`productivity.planning.aid_disclosure`), which ``ui.show_table``
hides as it hides a count of 1 to 4 patients. The CSVs (:func:`proposals_export`,
:func:`trusts_export`) and the pack show ``*`` in the same cells. The words say "sends patients"
and "takes patients", and name trusts (:func:`trust_label`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar, cast

import pandas as pd

from productivity import settings
from productivity.export import SUPPRESSED, suppress_small_numbers
from productivity.peers import PEER_GROUPS, trust_names
from productivity.planning import aid_disclosure
from productivity.planning.mutual_aid import MutualAidPlan, count_text
from productivity.schema import DM01_TESTS

T = TypeVar("T")
# The per-trust CSV: catalogue keys and raw names (the style of downloads).
TRUST_EXPORT_COLUMNS: tuple[str, ...] = (
    "trust_code", "trust_name", "peer_group", "role", "total_waiting", "waiting_6_plus",
    "waiting_6_plus_without_aid", "waiting_6_plus_after", "within_6_weeks", "weekly_activity",
    "spare_per_week", "need_per_week", "offer_per_week", "patients_sent_per_week",
    "patients_taken_per_week", "reason",
)  # fmt: skip
# The plan's trust columns under their catalogue keys.
_TRUST_KEYS = {
    "waiting_6_plus_before": "waiting_6_plus",
    "sends_per_week": "patients_sent_per_week",
    "takes_per_week": "patients_taken_per_week",
}
_PROJECTION_KEYS = {
    "waiting_6_plus_before": "waiting_6_plus",
    "reduction": "waiting_6_plus_reduction",
}
WITHHELD_NOTE = (
    "* also marks a total, or a figure worked out from a hidden count, that would give a hidden "
    "count away (the rule is on the Methodology page)."
)


def test_label(test: str) -> str:
    """The DM01 name of a test, e.g. ``Magnetic Resonance Imaging``."""
    return DM01_TESTS.get(test, test)


def trust_label(codes: pd.Series) -> pd.Series:
    """A short name and the code of each trust: ``Walton Centre (RET)``.

    The name from :func:`productivity.peers.trust_names` without "The" and "NHS (Foundation)
    Trust", which every name shares; a code the trusts file does not name stays a code.
    """
    codes = codes.astype(str).reset_index(drop=True)
    where = settings.TRUSTS_FILE
    new = [code for code in dict.fromkeys(codes.tolist()) if (where, code) not in _LABELS]
    if new:
        made = _labels(pd.Series(new, dtype=codes.dtype))
        _LABELS.update(((where, code), label) for code, label in zip(new, made, strict=True))
    labels = [_LABELS[(where, code)] for code in codes.tolist()]
    return pd.Series(labels, index=codes.index, dtype=codes.dtype, name="trust")


# Each trust's label, by trusts file: a plan's tables label the same few trusts again and again,
# and the string work of a label costs more than looking it up (the file is read once anyway).
_LABELS: dict[tuple[object, str], str] = {}


def _labels(codes: pd.Series) -> pd.Series:
    names = trust_names(codes)
    short = names.str.replace(r"^The\s+", "", regex=True).str.replace(
        r"\s+NHS(\s+Foundation)?\s+Trust$", "", regex=True
    )
    return short.where(names == codes, short + " (" + codes + ")").rename("trust")


# What has been worked out for the last plan: the page asks for each piece several times a
# rerun (a table, its mask, its CSV), and each costs pandas work. One plan at a time, by
# identity; callers never change the frames in place.
_MEMO: list[tuple[MutualAidPlan, dict[tuple[str, str | None], object]]] = []


def _cached(plan: MutualAidPlan, key: tuple[str, str | None], make: Callable[[], T]) -> T:
    last = _MEMO[-1] if _MEMO else None  # one read: another session may replace it meanwhile
    if last is None or last[0] is not plan:
        last = (plan, {})
        _MEMO[:] = [last]
    if key not in last[1]:
        last[1][key] = make()
    return cast(T, last[1][key])


def withheld(plan: MutualAidPlan) -> aid_disclosure.Withheld:
    """The plan's cells withheld beyond the counts of 1 to 4 (:mod:`~.aid_disclosure`)."""
    return _cached(
        plan,
        ("withheld", None),
        lambda: aid_disclosure.withheld(plan.proposals, plan.trusts, plan.projection),
    )


def _starred(frame: pd.DataFrame, mask: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with ``*`` in the masked cells and in each count of 1 to 4 patients."""
    out = suppress_small_numbers(frame)
    for column in (c for c in mask.columns if c in out.columns and mask[c].any()):
        shown = out[column].astype(object)
        shown[mask[column].to_numpy()] = SUPPRESSED
        out[column] = shown
    return out


# --- proposals ------------------------------------------------------------------------------------


def _proposals(plan: MutualAidPlan, trust: str | None) -> tuple[pd.DataFrame, pd.DataFrame]:
    return _cached(plan, ("proposals", trust), lambda: _make_proposals(plan, trust))


def _make_proposals(plan: MutualAidPlan, trust: str | None) -> tuple[pd.DataFrame, pd.DataFrame]:
    rows, hidden = plan.proposals, withheld(plan).transfers
    if trust is not None:
        mine = (rows["from_trust"] == trust) | (rows["to_trust"] == trust)
        rows, hidden = rows[mine], hidden[mine]
    out = pd.DataFrame(
        {
            "sends_patients_code": rows["from_trust"].to_numpy(),
            "sends_patients": trust_label(rows["from_trust"]).to_numpy(),
            "takes_patients_code": rows["to_trust"].to_numpy(),
            "takes_patients": trust_label(rows["to_trust"]).to_numpy(),
            "test_code": rows["test_code"].to_numpy(),
            "patients_per_week": rows["patients_per_week"].to_numpy(),
            "patients_in_horizon": rows["patients_per_week"].to_numpy()
            * max(plan.parameters.projection_weeks),
            "distance_km": rows["distance_km"].to_numpy(),
        }
    )
    # The horizon's figure is weeks × the weekly one, so it goes with it (12 = 1 a week).
    hidden = hidden.to_numpy() | aid_disclosure.small(out["patients_per_week"]).to_numpy()
    mask = pd.DataFrame(False, index=out.index, columns=out.columns)
    mask["patients_per_week"] = mask["patients_in_horizon"] = hidden
    return out, mask


PROPOSAL_TABLE_COLUMNS: tuple[str, ...] = (
    "sends_patients", "takes_patients", "test", "patients_per_week", "patients_in_horizon",
    "distance_km",
)  # fmt: skip


def proposals_export(plan: MutualAidPlan, trust: str | None = None) -> pd.DataFrame:
    """The proposals for the CSV and the pack: codes and names of the trusts that send and take
    patients, patients a week and over the projection, and km; withheld counts are ``*``. Given
    a ``trust``, only the transfers it sends or takes (a board pack's view)."""
    return _cached(plan, ("proposals_export", trust), lambda: _starred(*_proposals(plan, trust)))


def proposal_table(plan: MutualAidPlan, trust: str | None = None) -> pd.DataFrame:
    """The proposals on screen, numeric: who sends and takes patients, the test, patients a week
    and over the projection, and km. Hide :func:`proposal_withheld`'s cells with it."""
    return _cached(plan, ("proposal_table", trust), lambda: _proposal_table(plan, trust))


def _proposal_table(plan: MutualAidPlan, trust: str | None) -> pd.DataFrame:
    rows, _ = _proposals(plan, trust)
    return rows.assign(test=rows["test_code"].map(test_label)).loc[:, list(PROPOSAL_TABLE_COLUMNS)]


def proposal_withheld(plan: MutualAidPlan, trust: str | None = None) -> pd.DataFrame:
    """The cells of :func:`proposal_table` to hide (True)."""

    def make() -> pd.DataFrame:
        mask = _proposals(plan, trust)[1].assign(test=False)
        return mask.loc[:, list(PROPOSAL_TABLE_COLUMNS)]

    return _cached(plan, ("proposal_withheld", trust), make)


# --- trusts ---------------------------------------------------------------------------------------


def _trusts(plan: MutualAidPlan) -> tuple[pd.DataFrame, pd.DataFrame]:
    return _cached(plan, ("trusts", None), lambda: _make_trusts(plan))


def _make_trusts(plan: MutualAidPlan) -> tuple[pd.DataFrame, pd.DataFrame]:
    # The plan's waiting_6_plus is waiting_6_plus_before's input: the same figure, once.
    rows = plan.trusts.drop(columns="waiting_6_plus").assign(
        trust_name=trust_label(plan.trusts["trust_code"]).to_numpy()
    )
    mask = withheld(plan).trusts.reindex(columns=rows.columns, fill_value=False)
    rows, mask = rows.rename(columns=_TRUST_KEYS), mask.rename(columns=_TRUST_KEYS)
    columns = list(TRUST_EXPORT_COLUMNS)
    return rows.loc[:, columns].reset_index(drop=True), mask.loc[:, columns].reset_index(drop=True)


def trusts_export(plan: MutualAidPlan) -> pd.DataFrame:
    """Each trust's inputs, role, flows and 6+ week waiters for the CSV; withheld cells ``*``."""
    return _cached(plan, ("trusts_export", None), lambda: _starred(*_trusts(plan)))


TRUST_TABLE_COLUMNS: tuple[str, ...] = (
    "trust", "peer_group", "role", "waiting_6_plus", "waiting_6_plus_without_aid",
    "waiting_6_plus_after", "patients_sent_per_week", "patients_taken_per_week",
    "spare_per_week", "within_6_weeks", "why",
)  # fmt: skip


def trust_table(plan: MutualAidPlan) -> pd.DataFrame:
    """Each trust's role and why, its flows, and its 6+ week waiters now and, on its own and
    with mutual aid, after the projection's last week (numeric; see :func:`trust_withheld`)."""

    def make() -> pd.DataFrame:
        rows, _ = _trusts(plan)
        return rows.assign(
            trust=rows["trust_name"],
            peer_group=rows["peer_group"].map(PEER_GROUPS),
            why=rows["reason"],
        ).loc[:, list(TRUST_TABLE_COLUMNS)]

    return _cached(plan, ("trust_table", None), make)


def trust_withheld(plan: MutualAidPlan) -> pd.DataFrame:
    """The cells of :func:`trust_table` to hide (True)."""

    def make() -> pd.DataFrame:
        mask = _trusts(plan)[1]
        return mask.assign(trust=False, why=False).loc[:, list(TRUST_TABLE_COLUMNS)]

    return _cached(plan, ("trust_withheld", None), make)


# --- the projection, tiles and chart -----------------------------------------------------------


def projection_table(plan: MutualAidPlan) -> pd.DataFrame:
    """The system's 6+ week waiters at each projection week: now, on their own, with aid, and
    how many fewer with aid (numeric; see :func:`projection_withheld`)."""
    return _cached(
        plan, ("projection_table", None), lambda: plan.projection.rename(columns=_PROJECTION_KEYS)
    )


def projection_withheld(plan: MutualAidPlan) -> pd.DataFrame:
    """The cells of :func:`projection_table` to hide (True)."""
    return _cached(
        plan,
        ("projection_withheld", None),
        lambda: withheld(plan).projection.rename(columns=_PROJECTION_KEYS),
    )


def shown_count(value: float, hidden: bool) -> str:
    """A patient count for a tile or a sentence: ``*`` when withheld or from 1 to 4."""
    return SUPPRESSED if hidden else count_text(value)


def tiles(plan: MutualAidPlan) -> list[tuple[str, str, str | None, str]]:
    """The page's tiles: (label, value, delta, help). The first is the patients moved a week;
    then, for each projection week, the 6+ week waiters with mutual aid."""
    hide = withheld(plan)
    moved = plan.proposals["patients_per_week"].sum()
    found: list[tuple[str, str, str | None, str]] = [
        ("Patients moved a week", shown_count(moved, hide.moved), None, "")
    ]
    rows = zip(plan.projection.iterrows(), hide.projection.iterrows(), strict=True)
    for (_, row), (_, cells) in rows:

        def text(column: str, row: pd.Series = row, cells: pd.Series = cells) -> str:
            return shown_count(row[column], bool(cells[column]))

        found.append(
            (
                f"6+ week waiters after {row['weeks']} weeks",
                text("waiting_6_plus_after"),
                f"-{text('reduction')} with mutual aid" if row["reduction"] else None,
                f"{text('waiting_6_plus_without_aid')} if each trust cleared its own list "
                f"alone; {text('waiting_6_plus_before')} wait 6+ weeks now.",
            )
        )
    return found


def reason(plan: MutualAidPlan) -> str:
    """What the plan achieves in one sentence, or why there is no transfer, giving away no
    withheld count."""
    hide = withheld(plan)
    if plan.no_transfer or not (hide.moved or hide.projection["reduction"].any()):
        return plan.reason
    return (
        f"{len(plan.proposals)} transfer(s) are proposed. The patients moved a week in all, and "
        "how many fewer wait 6+ weeks, are withheld: with the transfers shown they would give "
        "a hidden count away."
    )


def moved_text(plan: MutualAidPlan) -> str:
    """The patients moved a week in all, as a tile or the pack shows it."""
    moved = plan.proposals["patients_per_week"].sum() if len(plan.proposals) else 0
    return shown_count(moved, withheld(plan).moved)


def before_after(plan: MutualAidPlan) -> pd.DataFrame:
    """Long frame for the chart: ``trust_code`` (the trust's name and code), ``when`` (now, or
    after N weeks with mutual aid) and ``waiting``; a withheld count is left out (missing)."""
    weeks = max(plan.parameters.projection_weeks)
    rows, mask = _trusts(plan)
    labels = {"waiting_6_plus": "Now", "waiting_6_plus_after": f"After {weeks} weeks"}
    hidden = mask[list(labels)] | rows[list(labels)].apply(aid_disclosure.small)
    values = rows[list(labels)].astype(float).mask(hidden)
    long = values.assign(trust_code=rows["trust_name"]).melt(
        id_vars=["trust_code"], value_vars=list(labels), var_name="when", value_name="waiting"
    )
    return long.assign(when=long["when"].map(labels))
