"""The Overview's "outlier or opportunity?" section: each trust on its peer group's funnel.

>>> shown_percent(pd.Series([0.8496, 0.845, 0.85]), pd.Series([0.85, 0.85, 0.85])).tolist()
[84.96, 84.5, 85.0]

Three judgements per trust, never merged (SPEC §5, :func:`productivity.stats.outliers.judgements`):
its funnel position among its peer group (a trust alone in its group has no funnel, and the
page says so rather than drawing one), its SPC variation, and its gap to its peer group's
benchmark. Pure shaping, no Streamlit import; the page caches :func:`outliers`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sqlalchemy import Engine

from productivity import peers
from productivity.benchmarks import SCAN_RATE_KEYS, Benchmarks
from productivity.stats import funnel
from productivity.stats.outliers import (
    JUDGEMENT_COLUMNS,
    MISSING,
    NO_PEERS,
    NoTrusts,
    OutlierResult,
    RatioOutlierResult,
    judgements,
    trust_outliers,
    trust_ratio_outliers,
)
from productivity.stats.ratio_funnel import RatioFunnel
from productivity.store import marts, reports

OUTLIER_MEASURES = {
    "theatre": "Theatre capped utilisation",
    "dm01": "DM01 % within 6 weeks",
    "scans": "Imaging scans ÷ scans at the benchmark rate",
}
OUTLIER_AXES = {  # measure -> (proportion or ratio label, volume label)
    "theatre": ("capped utilisation", "planned minutes"),
    "dm01": ("% within 6 weeks", "patients waiting"),
    "scans": ("scans ÷ expected at benchmark", "scans expected at the benchmark rate (log axis)"),
}
# measure -> the source it needs, named as the Data page names it
OUTLIER_SOURCES = {"theatre": "theatre", "dm01": "DM01", "scans": "imaging"}
RATIO_MEASURES = frozenset({"scans"})  # drawn on a ratio funnel (observed ÷ expected)
CURVE_POINTS = 200
ALL_PEERS = "All trusts"  # the peer-group control's first option
MAX_DIGITS = 4  # decimals a value may need to read apart from its benchmark


@dataclass(frozen=True)
class OutlierView:
    """What the section draws: every trust judged, and the one peer group's funnel shown.

    ``trusts``: one row per trust shown, with ``trust_name``, ``peer_label`` and the three
    judgement columns beside the statistics. ``group``: the peer group whose funnel is drawn;
    ``curve`` its limits (None when it has no funnel: a group of one trust). ``centre``: the
    funnel's centre line (the group's pooled proportion, or 1 for a ratio funnel).
    """

    measure: str
    trusts: pd.DataFrame
    group: str | None
    curve: pd.DataFrame | None
    centre: float | None
    tau2: float | None
    alone: tuple[str, ...]  # trusts with no peers here, as "Name (code), peer group"

    @property
    def drawn(self) -> pd.DataFrame:
        """The trusts on the drawn funnel."""
        return self.trusts[self.trusts["peer_group"] == self.group]

    @property
    def benchmark(self) -> float | None:
        """The benchmark line of the drawn funnel: its peer group's (None if they differ)."""
        values = self.drawn["benchmark"].dropna().unique()
        return float(values[0]) if len(values) == 1 else None


def peer_options(codes: pd.Series | list[str]) -> list[str]:
    """The peer-group control's options: all trusts, then each group present, in file order."""
    present = set(peers.peer_of(codes))
    return [ALL_PEERS, *(label for key, label in peers.PEER_GROUPS.items() if key in present)]


def peer_key(label: str | None) -> str | None:
    """The peer-group key of a control label (None for all trusts or an unknown label)."""
    return next((key for key, text in peers.PEER_GROUPS.items() if text == label), None)


def short_name(names: pd.Series) -> pd.Series:
    """Trust names without the 'NHS (Foundation) Trust' every one of them ends with."""
    return names.str.replace(r"\s+NHS( Foundation)? Trust$", "", regex=True).str.strip()


def trust_label(codes: pd.Series) -> pd.Series:
    """'Wirral University Teaching Hospital (RBL)': a trust's short name with its code."""
    names = short_name(peers.trust_names(codes).set_axis(codes.index))
    return names.where(names == codes, names + " (" + codes + ")")


@dataclass(frozen=True)
class Judged:
    """Every trust judged on one measure in one period: what does not depend on the chosen
    peer group or trust, so a page computes it once and draws any group's funnel from it.

    ``trusts``: the statistics, the three judgements in words, ``trust_name`` and
    ``peer_label``; ``funnels``: each peer group with a funnel -> its funnel.
    """

    measure: str
    trusts: pd.DataFrame
    funnels: Mapping[str, funnel.FunnelResult | RatioFunnel]


def outliers(
    engine: Engine,
    period: marts.Period,
    bench: Benchmarks,
    measure: str,
    overdispersion: bool,
    peer: str | None = None,
    trust: str | None = None,
) -> OutlierView | None:
    """Every trust judged among its peers on ``measure``, and the funnel of one peer group;
    None when no trust has data for the measure in the period.

    The funnel drawn is ``peer``'s; else the chosen ``trust``'s group; else the largest group
    with a funnel. With ``peer`` the table keeps that group's trusts only.
    """
    found = judged(engine, period, bench, measure, overdispersion)
    return None if found is None else view_of(found, peer, trust)


def judged(
    engine: Engine,
    period: marts.Period,
    bench: Benchmarks,
    measure: str,
    overdispersion: bool,
    theatre_minutes: pd.DataFrame | None = None,
) -> Judged | None:
    """Every trust's statistics and judgements on ``measure`` (None: no trust has data).

    ``theatre_minutes``: each trust's planned and capped touch minutes in ``period`` where the
    caller holds them (:func:`productivity.views.overview_card.theatre_minutes`), so the theatre
    funnel need not sum the whole theatre report again."""
    found: OutlierResult | RatioOutlierResult
    try:
        if measure in RATIO_MEASURES:
            found = scan_ratio_outliers(engine, period, bench, overdispersion)
        elif measure == "theatre" and theatre_minutes is not None:
            found = theatre_outliers(engine, period, bench, theatre_minutes, overdispersion)
        elif measure == "theatre":
            found = reports.trust_theatre_outliers(
                engine, period, bench, overdispersion=overdispersion
            )
        else:
            found = reports.trust_dm01_outliers(
                engine, period, bench, overdispersion=overdispersion
            )
    except NoTrusts:
        return None
    trusts = found.trusts
    codes = trusts["trust_code"]
    words = judgements(
        trusts, benchmark_words="its benchmark rate" if measure in RATIO_MEASURES else None
    )
    trusts = pd.concat([trusts, words], axis=1).assign(
        trust_name=trust_label(codes),
        peer_label=trusts["peer_group"].map(peers.PEER_GROUPS).fillna(trusts["peer_group"]),
    )
    return Judged(measure, trusts, found.funnels)


def theatre_outliers(
    engine: Engine,
    period: marts.Period,
    bench: Benchmarks,
    totals: pd.DataFrame,
    overdispersion: bool,
) -> OutlierResult:
    """:func:`reports.trust_theatre_outliers` from each trust's ``totals`` (planned and capped
    touch minutes in ``period``, as the theatre report sums them): the funnel and benchmark
    gap of capped utilisation among each trust's peers, and its weekly SPC."""
    codes = totals["trust_code"]
    return trust_outliers(
        totals,
        reports.trust_weekly_utilisation(engine, period),
        numerator="capped_touch_minutes",
        denominator="planned_minutes",
        value="value",
        target=bench.for_trusts("theatre_capped_utilisation", codes),
        overdispersion=overdispersion,
        groups=peers.peer_of(codes).set_axis(codes),
    )


def scan_ratio_outliers(
    engine: Engine, period: marts.Period, bench: Benchmarks, overdispersion: bool
) -> RatioOutlierResult:
    """Each trust's scans ÷ the scans its operational hours would hold at its peer group's
    benchmark rates (CT, MRI and NOUS each at its own), on its peer group's ratio funnel.

    Expected = Σ over the trust's modalities of its benchmark scans per hour × operational
    hours, so 1 is exactly its benchmark.
    """
    rows = reports.imaging_report(engine, "trust", period, bench)
    rate = pd.Series(np.nan, index=rows.index)
    for modality, key in SCAN_RATE_KEYS.items():
        chosen = rows["modality"] == modality
        rate[chosen] = bench.for_trusts(key, rows.loc[chosen, "trust_code"]).to_numpy()
    rows = rows.assign(expected_scans=rate * rows["operational_hours"])
    per_trust = rows.groupby("trust_code", sort=True)[["scans", "expected_scans"]].sum()
    per_trust = per_trust[per_trust["expected_scans"] > 0].reset_index()
    codes = per_trust["trust_code"]
    return trust_ratio_outliers(
        per_trust,
        observed="scans",
        expected="expected_scans",
        overdispersion=overdispersion,
        groups=peers.peer_of(codes).set_axis(codes),
    )


def view_of(found: Judged, peer: str | None, trust: str | None) -> OutlierView:
    """What the section draws of ``found`` for the chosen ``peer`` group and ``trust``
    (see :func:`outliers`)."""
    trusts, funnels = found.trusts, found.funnels
    codes = trusts["trust_code"]
    group = peer or (
        str(trusts.loc[codes == trust, "peer_group"].iloc[0])
        if trust in set(codes)
        else max(funnels, key=lambda g: int((trusts["peer_group"] == g).sum()), default=None)
    )
    if peer:
        trusts = trusts[trusts["peer_group"] == peer]
    alone = trusts[trusts["flag"] == NO_PEERS]
    curve, centre, tau2 = None, None, None
    drawn = trusts[trusts["peer_group"] == group]
    result = funnels.get(group) if group and len(drawn) else None
    if isinstance(result, funnel.FunnelResult):
        low = max(1.0, drawn["denominator"].min() / 2)
        curve = funnel.funnel_curve(
            result.target, low, drawn["denominator"].max() * 2, tau2=result.tau2
        )
        centre, tau2 = result.target, result.tau2
    elif isinstance(result, RatioFunnel):
        low, high = drawn["expected"].min() / 2, drawn["expected"].max() * 2
        curve = result.curve(np.geomspace(max(1.0, low), high, CURVE_POINTS))
        centre, tau2 = result.target, result.tau2
    return OutlierView(
        measure=found.measure,
        trusts=trusts.reset_index(drop=True),
        group=group,
        curve=curve,
        centre=centre,
        tau2=tau2,
        alone=tuple(alone["trust_name"] + ", " + alone["peer_label"]),
    )


def shown_apart(
    values: pd.Series, benchmarks: pd.Series, *, digits: int, scale: float = 1.0
) -> pd.Series:
    """``values × scale`` to ``digits`` decimals, or more where rounding would carry a value
    to the other side of (or onto) its benchmark: the judgement is on the exact value, so the
    number shown must agree with it (84.96% against 85% shows as 84.96, never 85.0)."""
    exact = values >= benchmarks
    target = (benchmarks * scale).round(9)
    shown = (values * scale).round(digits)
    for more in range(digits + 1, digits + MAX_DIGITS + 1):
        crossed = ((shown >= target) != exact) & values.notna() & benchmarks.notna()
        if not crossed.any():
            break
        shown = shown.mask(crossed, (values * scale).round(more))
    return shown


def shown_percent(values: pd.Series, benchmarks: pd.Series) -> pd.Series:
    """Fractions as percentages to 1 decimal, apart from their benchmarks (:func:`shown_apart`)."""
    return shown_apart(values, benchmarks, digits=1, scale=100)


def outlier_table(view: OutlierView) -> pd.DataFrame:
    """The section's table: each trust, its value, and the three judgements in words.

    Numbers stay numbers (they sort); the value has digits enough never to read as its
    benchmark when it is short of it.
    """
    trusts = view.trusts
    table = pd.DataFrame({"Trust": trusts["trust_name"], "Peer group": trusts["peer_label"]})
    if view.measure in RATIO_MEASURES:
        table["Scans"] = trusts["observed"].round(0)
        table["Expected at peer benchmark"] = trusts["expected"].round(0).astype("int64")
        table["Ratio (1 = benchmark)"] = shown_apart(trusts["ratio"], trusts["benchmark"], digits=2)
    else:
        label = OUTLIER_AXES[view.measure][0]
        table[f"{label.capitalize()} (%)"] = shown_percent(
            trusts["proportion"], trusts["benchmark"]
        )
    for column, heading in JUDGEMENT_COLUMNS.items():
        table[heading] = trusts[column]
    return table


def no_funnel_text(view: OutlierView) -> str:
    """Why no funnel is drawn: the chosen peer group has one trust with data (or none)."""
    group = peers.PEER_GROUPS.get(str(view.group), "chosen")
    return (
        f"No funnel to draw: the {group} peer group has only one trust with data here, and a "
        "trust cannot be compared with itself. Its SPC variation and benchmark gap are in the "
        "table."
    )


def funnel_caption(view: OutlierView) -> str:
    """What the drawn funnel is, and who has no peer funnel (said, not drawn)."""
    parts = []
    if view.curve is not None and view.centre is not None:
        group = peers.PEER_GROUPS.get(str(view.group), str(view.group))
        n = len(view.drawn)
        if view.measure in RATIO_MEASURES:
            centre = "1 is each trust's own peer-group benchmark rate"
            spread = (
                f"limits widened for overdispersion (τ² = {view.tau2:.4f})"
                if view.tau2 is not None
                else "exact Poisson limits"
            )
        else:
            centre = f"centre: the group's pooled {view.centre:.1%}"
            spread = (
                f"τ² = {view.tau2:.5f}" if view.tau2 is not None else "no overdispersion adjustment"
            )
        parts.append(
            f"Funnel of the {group} peer group ({n} trusts); {centre}; {spread}. "
            "Outside 99.8% is an outlier, outside 95% a warning."
        )
    if view.alone:
        parts.append(
            "No peer funnel (the only trust of its group with data): "
            + "; ".join(view.alone)
            + ". Judged on SPC and its benchmark only."
        )
    return " ".join(parts) or MISSING
