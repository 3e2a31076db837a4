"""Three judgements of each trust (SPEC §5), each named on its own, never merged into one flag.

>>> totals = pd.DataFrame({"trust_code": ["A", "B", "C"], "touch": [850, 700, 9000],
...                        "planned": [1000, 1000, 10000]})
>>> weekly = pd.DataFrame({"trust_code": "A", "week": ["2026-01-05", "2026-01-12", "2026-01-19"],
...                        "value": [0.84, 0.85, 0.86]})
>>> found = trust_outliers(totals, weekly, numerator="touch", denominator="planned",
...                        value="value", target=0.85)
>>> found.trusts[["trust_code", "flag", "below_benchmark"]].to_numpy().tolist()
[['A', 'within', False], ['B', 'below_95', True], ['C', 'within', False]]
>>> for label in judgements(found.trusts).loc[1]: print(label)
▼ below 95% limit: warning, worse than peers
– no SPC chart (fewer than 2 points)
✗ short of 85%: opportunity

1. *Funnel position*: where the trust sits on its peer group's funnel (centre: the group's pooled
   proportion): outside 99.8% is an outlier, outside 95% a warning, else within. A trust alone in
   its peer group has no funnel of its own (``flag`` :data:`NO_PEERS`).
2. *SPC variation* (NHS Making Data Count) of its own series, with the assurance icon against its
   benchmark: special cause improving is good news, not a warning.
3. *Gap to the benchmark* (its peer group's value where the benchmark file has one): meets it,
   or falls short (an opportunity). Most trusts short of a benchmark are typical of the system.

:func:`judgements` is the one place these are put in words; pages and the pack call it.
Pure: pandas plus :mod:`funnel` and :mod:`spc`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from productivity.stats import funnel, spc
from productivity.stats.funnel import FunnelResult
from productivity.stats.ratio_funnel import POSITIONS, RatioFunnel, ratio_funnel

OUTLIER_FLAGS = ("above_998", "below_998")
NO_PEERS = "no_peers"  # the trust is the only one in its peer group: no funnel to sit on
ALL_TRUSTS = "all"  # the peer group when none is given: every trust compared with every other
MIN_PEERS = 2  # a funnel needs at least two trusts to compare


class NoTrusts(ValueError):
    """No trust has data for the measure (a store holding other sources only, or an empty
    period): there is nothing to judge, which a page says rather than fails on."""


# The three judgements: column -> heading (the Overview's and the pack's tables).
JUDGEMENT_COLUMNS: dict[str, str] = {
    "funnel_position": "Funnel position (vs peer group)",
    "spc_signal": "SPC variation (assurance)",
    "benchmark_gap": "Benchmark",
}
# Funnel flag -> (arrow, which side, which limits, what it is): the arrow repeats the words.
_POSITIONS: dict[str, tuple[str, str, str, str]] = {
    "above_998": ("▲▲", "above", "99.8%", "outlier"),
    "above_95": ("▲", "above", "95%", "warning"),
    "below_95": ("▼", "below", "95%", "warning"),
    "below_998": ("▼▼", "below", "99.8%", "outlier"),
}
WITHIN_TEXT = "● within limits"
NO_PEERS_TEXT = "○ no peer funnel: the only trust in its peer group"
# Making Data Count variation and assurance icons, as their letters and words.
VARIATION_WORDS: dict[str, str] = {
    "improvement": "I: special cause improving",
    "concern": "C: special cause concerning",
    "neutral_high": "H: special cause, high",
    "neutral_low": "L: special cause, low",
    "common_cause": "common cause",
}
ASSURANCE_WORDS: dict[str, str] = {
    "consistent_pass": "P: consistently passing",
    "consistent_fail": "F: consistently failing",
    "hit_and_miss": "?: hit and miss",
}
NO_SPC_TEXT = "– no SPC chart (fewer than 2 points)"
NOT_CHARTED_TEXT = "– not charted over time for this measure"
MISSING = "–"


@dataclass(frozen=True)
class OutlierResult:
    """Every trust's judgements, and the funnels they were judged against (drawn, never
    recomputed).

    ``trusts``: ``trust_code``, ``peer_group``, the funnel's columns (``proportion``,
    ``denominator``, ``target`` = the peer group's centre, limits, ``flag``), ``spc_variation``,
    ``spc_assurance``, ``funnel_outlier``, ``spc_special_cause``, ``benchmark`` (the value the
    trust is held to) and ``below_benchmark`` (<NA> without a benchmark or a value).
    ``funnels``: each peer group with at least :data:`MIN_PEERS` trusts -> its funnel.
    ``funnel``: the largest group's (kept for callers that draw one funnel).
    """

    trusts: pd.DataFrame
    funnel: FunnelResult
    funnels: Mapping[str, FunnelResult] = field(default_factory=dict)


def trust_outliers(
    totals: pd.DataFrame,
    weekly: pd.DataFrame,
    *,
    numerator: str,
    denominator: str,
    value: str,
    target: float | pd.Series,
    direction: str = "higher",
    overdispersion: bool = True,
    method: str = "normal",
    groups: pd.Series | None = None,
) -> OutlierResult:
    """Per trust: its funnel position among its peers, its SPC variation, its benchmark gap.

    ``totals`` has one row per ``trust_code`` with the numerator and denominator of the
    proportion (e.g. capped touch and planned minutes); ``weekly`` has ``trust_code``, ``week``
    and ``value``. ``target`` is the benchmark: one value, or a Series of values indexed by trust
    code (each trust's peer-group value). ``groups`` (indexed by trust code) says which peer
    group each trust belongs to; each group gets its own funnel centred on its pooled
    proportion. Without it every trust is compared with every other.

    Raises:
        ValueError: no trust has a denominator above 0 (see :func:`funnel.funnel`).
    """
    usable = totals[totals[denominator] > 0].reset_index(drop=True)
    if usable.empty:
        raise NoTrusts(f"no trust has {denominator} above 0")
    codes = usable["trust_code"].astype(str)
    benchmark = _per_trust(target, codes)
    peer = (
        codes.map(groups).fillna(ALL_TRUSTS).astype(str)
        if groups is not None
        else pd.Series(ALL_TRUSTS, index=codes.index)
    )
    frames, funnels = [], {}
    for key, rows in usable.groupby(peer, sort=False):
        result = funnel.funnel(
            rows["trust_code"],
            rows[numerator],
            rows[denominator],
            method=method,
            overdispersion=overdispersion,
        )
        units = result.units.set_axis(rows.index)
        if len(rows) < MIN_PEERS:
            # One trust is its own centre: limits around it would be nonsense, so none.
            limits = ["target", "lower_95", "upper_95", "lower_998", "upper_998"]
            units = units.assign(**dict.fromkeys(limits, math.nan), flag=NO_PEERS)
        else:
            funnels[str(key)] = result
        frames.append(units.assign(peer_group=str(key)))
    out = pd.concat(frames).sort_index().rename(columns={"unit": "trust_code"})
    largest = max(funnels.values(), key=lambda r: len(r.units), default=None)
    shown = largest or funnel.funnel(codes, usable[numerator], usable[denominator])
    out = out.merge(_spc_signals(weekly, value, direction, benchmark), on="trust_code", how="left")
    special = out["spc_variation"].fillna("common_cause") != "common_cause"
    out["funnel_outlier"] = out["flag"].isin(OUTLIER_FLAGS)
    out["spc_special_cause"] = special
    out["benchmark"] = out["trust_code"].map(benchmark).astype("float64")
    short = out["proportion"] < out["benchmark"]
    if direction != "higher":
        short = out["proportion"] > out["benchmark"]
    out["below_benchmark"] = short.astype("boolean").mask(out["benchmark"].isna())
    return OutlierResult(out, shown, funnels)


@dataclass(frozen=True)
class RatioOutlierResult:
    """Trusts on ratio funnels (observed ÷ expected at their benchmark, so 1 is the benchmark).

    ``trusts``: the ratio funnel's unit columns with ``trust_code``, ``peer_group``, ``flag``
    (as :func:`funnel.funnel` names positions, or :data:`NO_PEERS`), ``benchmark`` (1) and
    ``below_benchmark``; limits are NaN for a trust alone in its group. ``funnels``: each peer
    group with at least :data:`MIN_PEERS` trusts -> its ratio funnel.
    """

    trusts: pd.DataFrame
    funnels: Mapping[str, RatioFunnel]


# ratio_funnel.POSITIONS -> the funnel flags, so one labeller reads both kinds of funnel.
_RATIO_FLAGS = dict(zip(POSITIONS, funnel.FLAGS, strict=True))


def trust_ratio_outliers(
    per_trust: pd.DataFrame,
    *,
    observed: str,
    expected: str,
    overdispersion: bool = True,
    groups: pd.Series | None = None,
) -> RatioOutlierResult:
    """Each trust's observed ÷ expected on its peer group's ratio funnel (target 1).

    ``per_trust`` has one row per ``trust_code``; ``expected`` should already use each trust's
    peer-group benchmark, so 1 means "at its benchmark". ``groups`` as :func:`trust_outliers`.
    """
    if per_trust.empty:
        raise NoTrusts(f"no trust has {expected}")
    codes = per_trust["trust_code"].astype(str).reset_index(drop=True)
    rows = per_trust.reset_index(drop=True)
    peer = codes.map(groups) if groups is not None else pd.Series(index=codes.index, dtype=str)
    frames, funnels = [], {}
    for key, members in rows.groupby(peer.fillna(ALL_TRUSTS).astype(str), sort=False):
        # One trust cannot estimate overdispersion among its peers: its limits are dropped anyway.
        spread = overdispersion and len(members) >= MIN_PEERS
        result = ratio_funnel(members, "trust_code", observed, expected, spread)
        units = result.units.set_axis(members.index).assign(
            peer_group=str(key), flag=result.units["position"].map(_RATIO_FLAGS).to_numpy()
        )
        if len(members) < MIN_PEERS:
            limits = ["lower_95", "upper_95", "lower_998", "upper_998"]
            units = units.assign(
                **dict.fromkeys(limits, math.nan), flag=NO_PEERS, position="no peer funnel"
            )
        else:
            funnels[str(key)] = result
        frames.append(units)
    out = pd.concat(frames).sort_index().rename(columns={"unit": "trust_code"})
    out["benchmark"] = 1.0
    out["below_benchmark"] = (out["ratio"] < 1.0).astype("boolean")
    return RatioOutlierResult(out, funnels)


def _per_trust(target: float | pd.Series, codes: pd.Series) -> pd.Series:
    """The benchmark of each trust code, indexed by code."""
    if isinstance(target, pd.Series):
        return target.reindex(pd.Index(codes)).astype("float64")
    return pd.Series(float(target), index=pd.Index(codes), dtype="float64")


def _spc_signals(
    weekly: pd.DataFrame, value: str, direction: str, benchmark: pd.Series
) -> pd.DataFrame:
    """Each trust's SPC variation and assurance (against its own benchmark).

    One chart per trust, as :func:`spc.xmr` draws it, but only its two icons are computed
    (:func:`spc.signals`): the weeks are parsed and sorted once for every trust, not per trust.
    """
    columns = ["trust_code", "spc_variation", "spc_assurance"]
    rows = weekly.loc[weekly[value].notna() & weekly["trust_code"].notna()]
    if rows.empty:
        return pd.DataFrame(columns=columns)
    rows = pd.DataFrame(
        {"trust_code": rows["trust_code"], "when": pd.to_datetime(rows["week"]), "y": rows[value]}
    ).sort_values(["trust_code", "when"], kind="stable")
    codes = rows["trust_code"].to_numpy()
    when = rows["when"].to_numpy()
    y = rows["y"].to_numpy(dtype=float, na_value=np.nan)
    starts = np.flatnonzero(np.concatenate(([True], codes[1:] != codes[:-1])))
    ends = np.append(starts[1:], len(codes))
    found = []
    for first, last in zip(starts.tolist(), ends.tolist(), strict=True):
        if last - first < 2:
            continue
        code = codes[first]
        target = benchmark.get(code)
        target = None if target is None or pd.isna(target) else float(target)
        dates = when[first:last]
        if (dates[1:] == dates[:-1]).any() or pd.isna(dates).any():
            # a repeated or missing week: xmr says which (it refuses the series)
            spc.xmr(pd.Series(y[first:last]), pd.Series(dates), direction=direction, target=target)
        variation, assurance = spc.signals(y[first:last], direction=direction, target=target)
        found.append((code, variation, assurance))
    return pd.DataFrame(found, columns=columns)


def judgements(
    trusts: pd.DataFrame,
    *,
    direction: str = "higher",
    benchmark_fmt: str = ".0%",
    benchmark_words: str | None = None,
    short: bool = False,
) -> pd.DataFrame:
    """The three judgements in words, one column each (:data:`JUDGEMENT_COLUMNS`), same index.

    ``trusts`` needs ``flag`` (a funnel flag or :data:`NO_PEERS`), ``benchmark`` and
    ``below_benchmark``; ``spc_variation`` and ``spc_assurance`` are read when present (without
    them the measure has no SPC chart). ``benchmark_words`` names the benchmark instead of its
    value (a ratio's 1 is "its benchmark rate"). Each
    label carries a symbol or letter beside its words, so colour is never the only cue:

    - ``funnel_position``: "▲▲ above 99.8% limit: outlier, better than peers", "▲ above 95%
      limit: warning, …", "● within limits", or that the trust has no peer funnel;
    - ``spc_signal``: "I: special cause improving · ?: hit and miss" (variation, then assurance
      against the benchmark where there is one), "common cause", or no chart;
    - ``benchmark_gap``: "✓ meets 85%" or "✗ short of 85%: opportunity" (judged on the exact
      value), "– no benchmark" or "–" with no value.

    ``short`` gives the same judgements tersely, for narrow tables (the board pack): "▼▼ below
    99.8%: outlier", "I: improving · F", "✗ short of 85%".
    """
    better = {"above": "better", "below": "worse"}
    if direction != "higher":
        better = {"above": "worse", "below": "better"}

    def position(flag: object) -> str:
        if flag == NO_PEERS:
            return "○ no peers" if short else NO_PEERS_TEXT
        if flag not in _POSITIONS:
            return WITHIN_TEXT if flag == "within" else MISSING
        arrow, side, level, what = _POSITIONS[str(flag)]
        if short:
            return f"{arrow} {side} {level}: {what}"
        return f"{arrow} {side} {level} limit: {what}, {better[side]} than peers"

    charted = "spc_variation" in trusts

    def signal(variation: object, assurance: object) -> str:
        if not isinstance(variation, str):
            return MISSING if short else NO_SPC_TEXT if charted else NOT_CHARTED_TEXT
        words = VARIATION_WORDS.get(variation, variation.replace("_", " "))
        if short:  # "I: special cause improving" -> "I: improving"; the assurance letter only
            words = words.replace("special cause ", "").replace("special cause, ", "")
            return (
                f"{words} · {ASSURANCE_WORDS[assurance][0]}"
                if assurance in ASSURANCE_WORDS
                else words
            )
        return f"{words} · {ASSURANCE_WORDS[assurance]}" if assurance in ASSURANCE_WORDS else words

    def gap(below: Any, target: Any) -> str:
        if pd.isna(target):
            return "– no benchmark"
        if pd.isna(below):
            return MISSING
        shown = benchmark_words or benchmark_text(float(target), benchmark_fmt)
        if not below:
            return f"✓ meets {shown}"
        return f"✗ short of {shown}" + ("" if short else ": opportunity")

    none = pd.Series(None, index=trusts.index, dtype=object)
    variation, assurance = trusts.get("spc_variation", none), trusts.get("spc_assurance", none)
    return pd.DataFrame(
        {
            "funnel_position": [position(f) for f in trusts["flag"]],
            "spc_signal": [signal(v, a) for v, a in zip(variation, assurance, strict=True)],
            "benchmark_gap": [
                gap(s, t)
                for s, t in zip(trusts["below_benchmark"], trusts["benchmark"], strict=True)
            ],
        },
        index=trusts.index,
    )


def benchmark_text(value: float, fmt: str) -> str:
    """The benchmark in ``fmt``, with more digits only where it is not a round number (82.5%)."""
    text = format(value, fmt)
    head, _, kind = fmt.rpartition(".")
    digits, suffix = (int(kind[:-1]), kind[-1]) if kind[:-1].isdigit() else (None, "")
    if digits is None:
        return text
    scale = 100 if suffix == "%" else 1
    for extra in range(4):
        text = format(value, f"{head}.{digits + extra}{suffix}")
        if abs(round(value * scale, digits + extra) - value * scale) < 1e-9:
            break
    return text
