"""Synthetic theatre lists and cases.

Owns the specialty reference table (touch times, day-case and emergency shares, OPCS-4 codes),
cancellation reasons and session times, and the vectorised generator: which sessions each
theatre runs, cases booked to fill them, then run back to back with each trust's late starts,
changeovers, parallel induction and cancellations. :func:`theatre_frames` makes them at any
scale (:mod:`productivity.synth.extracts` renders them as SPEC §3's extract). Pure pandas/numpy:
it must not import the database, SQLModel or Streamlit, nor the diagnostics generator.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from productivity import schema
from productivity.synth.columns import (
    NAT,
    ascii_text,
    decimal_digits,
    text_array,
    to_datetimes,
)
from productivity.synth.dates import (
    bank_holidays,
    is_working_day,
    month_window,
    source_rng,
    weekday_of,
    window_days,
)
from productivity.synth.trusts import STEP_MONTHS, TREND_MONTHS, Trust, scale_trusts, spread_units


@dataclass(frozen=True)
class _Specialty:
    mean: float  # mean touch minutes (anaesthetic start to out of theatre)
    sigma: float  # lognormal shape of touch time
    daycase: float  # share of planned cases done as day cases
    emergency: float  # share of day-list cases that are emergencies
    codes: tuple[str, ...]  # OPCS-4 procedure codes, most common first


_SPECIALTIES: dict[str, _Specialty] = {
    "General Surgery": _Specialty(85, 0.5, 0.55, 0.06, (
        "T20.1", "J18.3", "H01.1", "T24.1", "H51.1", "H07.1", "H33.4")),
    "Trauma & Orthopaedics": _Specialty(105, 0.4, 0.35, 0.12, (
        "W37.1", "W40.1", "W46.1", "W19.1", "W82.2", "A65.1", "T52.1", "W38.1")),
    "Urology": _Specialty(60, 0.6, 0.7, 0.04, (
        "M45.9", "M42.1", "M65.3", "M27.1", "N30.3", "M61.1")),
    "Gynaecology": _Specialty(55, 0.6, 0.65, 0.05, (
        "Q18.1", "Q07.4", "Q08.1", "Q35.2", "Q22.1", "Q10.3")),
    "Obstetrics": _Specialty(55, 0.3, 0.0, 0.35, ("R17.1", "R18.1", "R17.2", "R32.2")),
    "ENT": _Specialty(55, 0.55, 0.7, 0.03, (
        "F34.1", "E03.6", "D15.1", "E20.1", "E14.3", "D14.1")),
    "Ophthalmology": _Specialty(30, 0.4, 0.95, 0.01, (
        "C71.2", "C75.1", "C79.2", "C60.1", "C13.1")),
    "Plastic Surgery": _Specialty(60, 0.6, 0.7, 0.08, (
        "S06.1", "S35.2", "T52.1", "S02.1", "B31.1")),
    "Vascular Surgery": _Specialty(120, 0.6, 0.25, 0.12, (
        "L85.1", "L29.4", "L59.1", "X09.4", "L19.4")),
    "Breast Surgery": _Specialty(75, 0.45, 0.5, 0.0, ("B28.3", "B27.4", "T91.2", "B28.7")),
    "Oral & Maxillofacial Surgery": _Specialty(70, 0.6, 0.7, 0.08, (
        "F09.1", "F10.4", "V16.3", "F02.1")),
    "Cardiac Surgery": _Specialty(240, 0.3, 0.0, 0.05, ("K40.1", "K26.3", "K25.3", "K45.3")),
    "Thoracic Surgery": _Specialty(150, 0.4, 0.05, 0.03, ("E54.3", "T09.1", "E63.1", "E59.1")),
    "Neurosurgery": _Specialty(180, 0.45, 0.05, 0.15, ("A02.2", "A12.1", "A40.1", "A05.1")),
    "Spinal Surgery": _Specialty(150, 0.45, 0.1, 0.05, ("V25.2", "V33.1", "V38.2", "V22.1")),
    "Paediatric Surgery": _Specialty(55, 0.55, 0.6, 0.1, (
        "T19.1", "N30.3", "H01.1", "G40.1", "N08.1")),
    "Paediatric Urology": _Specialty(50, 0.5, 0.8, 0.02, ("N08.1", "M73.2", "N30.3", "M45.9")),
    "Paediatric ENT": _Specialty(40, 0.5, 0.85, 0.02, ("F34.1", "D15.1", "E20.1")),
    "Paediatric Orthopaedics": _Specialty(90, 0.5, 0.4, 0.1, ("W19.1", "W26.1", "W03.1")),
    "Paediatric Cardiac Surgery": _Specialty(240, 0.35, 0.0, 0.05, ("K11.4", "K12.4", "L01.1")),
    "Clinical Oncology": _Specialty(45, 0.4, 0.9, 0.0, ("L91.2", "L91.1", "X85.3")),
}  # fmt: skip
# Day-case share of planned (non-emergency) cases by OPCS-4 code prefix, for the procedures on
# the BADS list (benchmarks/bads.toml): roughly where English trusts are, so that most fall a
# little short of the BADS targets. Other codes take their specialty's share; each trust then
# shifts every share by its ``Trust.daycase`` (log-odds), so rates vary by trust and procedure.
_PROCEDURE_DAYCASE: dict[str, float] = {
    "T20": 0.72, "J18": 0.55, "F34": 0.62, "M42.1": 0.42, "B28": 0.8, "B27": 0.25,
    "A65.1": 0.96, "W82": 0.85, "T52.1": 0.82, "N30.3": 0.9, "N08": 0.88, "N09": 0.88,
    "T19": 0.9, "T24": 0.68, "H51": 0.62, "L85": 0.85, "L87": 0.85, "L88": 0.85, "Q17": 0.9,
    "Q18": 0.9, "Q35": 0.85, "D15": 0.95,
}  # fmt: skip
_SPEC_NAMES = tuple(_SPECIALTIES)
_SPEC_MEAN = np.array([s.mean for s in _SPECIALTIES.values()])
_SPEC_SIGMA = np.array([s.sigma for s in _SPECIALTIES.values()])
_SPEC_EMERG = np.array([s.emergency for s in _SPECIALTIES.values()])
_CODES = tuple(c for s in _SPECIALTIES.values() for c in s.codes)
_CODE_N = np.array([len(s.codes) for s in _SPECIALTIES.values()])
_CODE_FIRST = np.cumsum(_CODE_N) - _CODE_N
# Each code's day-case share, in log-odds (its BADS procedure's, else its specialty's).
_CODE_DAYCASE_LOGIT = np.array([
    np.log(p / (1 - p)) if 0 < p < 1 else (-np.inf if p <= 0 else np.inf)
    for p in (
        _PROCEDURE_DAYCASE.get(code[:5], _PROCEDURE_DAYCASE.get(code[:3], spec.daycase))
        for spec in _SPECIALTIES.values() for code in spec.codes
    )
])  # fmt: skip
_LONG_MINUTES = 150  # specialties this long mostly run all-day lists

_CANCEL_CLINICAL = ("Patient unfit for surgery", "Procedure no longer required")
_CANCEL_OTHER = (
    "No ward bed available", "Theatre staff unavailable", "Emergency case took priority",
    "Equipment failure", "Administrative error",
)  # fmt: skip
_NO_TIME = "Insufficient theatre time"
_REASONS = (*_CANCEL_CLINICAL, *_CANCEL_OTHER, _NO_TIME)
_EVE = schema.SESSIONS.index("EVE")

# Planned session times, minutes after midnight (AM starts at 08:30 or 09:00 by theatre).
_SESSION_TIMES = {"AM": (510, 750), "PM": (810, 1050), "ALL": (510, 1050), "EVE": (1080, 1320)}


def _systematic(weights: np.ndarray, n: int, u: float) -> np.ndarray:
    """``n`` category codes in proportion to ``weights`` (systematic sampling)."""
    cum = np.cumsum(weights / weights.sum())
    return np.minimum(np.searchsorted(cum, (np.arange(n) + u) / n), weights.size - 1)


def _within(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For groups of these sizes laid end to end: each row's group, its position in the group,
    and each group's first row."""
    first = np.cumsum(counts) - counts
    group = np.repeat(np.arange(counts.size), counts)
    return group, np.arange(group.size) - first[group], first


def _cumsum_within(values: np.ndarray, group: np.ndarray, first: np.ndarray) -> np.ndarray:
    """Inclusive cumulative sum restarting at each group (rows sorted by group)."""
    total = np.cumsum(values)
    start = first[group]
    out: np.ndarray = total - total[start] + values[start]
    return out


def _spec_weights(mix: dict[str, float]) -> np.ndarray:
    return np.array([mix.get(name, 0.0) for name in _SPEC_NAMES])


def _month_effects(
    trust: Trust, n_months: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Per month of the window: the trust's fill and late-start mean, with the planted signals."""
    rel = np.arange(n_months) - (n_months - 1)  # 0 = the last month
    after = rel > -STEP_MONTHS
    ago = -np.maximum(rel, -(TREND_MONTHS - 1))  # months before the end, within the trend
    fill = trust.fill + rng.normal(0, 0.012, n_months) + after * trust.fill_step
    fill = fill - trust.fill_trend * ago
    late = trust.late + after * trust.late_step - trust.late_trend * ago
    return fill, np.maximum(late, 3.0)


def _sessions(
    rng: np.random.Generator, trust: Trust, slots: list[tuple[str, int, int]], days: np.ndarray
) -> dict[str, np.ndarray]:
    """One trust's lists: which sessions each theatre runs on each day, and their specialty.

    Weekdays: AM + PM, an all-day list (most days for long specialties), AM or PM only, or
    closed; rare weekend lists; evening lists in the emergency theatre; none on bank holidays.
    """
    n_th = len(slots)
    mixes = np.zeros((n_th, len(_SPEC_NAMES)))
    primary = np.zeros(n_th, dtype=np.int64)
    for site in dict.fromkeys(s for s, _, _ in slots):
        idx = [i for i, (s, _, _) in enumerate(slots) if s == site]
        weights = _spec_weights(trust.site_mix.get(site, trust.mix))
        mixes[idx] = weights / weights.sum()
        primary[idx] = rng.permutation(_systematic(weights, len(idx), rng.random()))
    long = (_SPEC_MEAN[primary] >= _LONG_MINUTES)[:, None]
    am_start = np.where(rng.random(n_th) < 0.6, 510, 540)  # 08:30 or 09:00 by theatre
    eve_rate = np.zeros(n_th)
    eve_rate[0] = trust.eve  # the emergency (CEPOD) theatre of the main site

    work = is_working_day(days)[None, :]
    weekday = weekday_of(days)[None, :]
    u = rng.random((n_th, days.size))
    v = (u - 0.06) / 0.94  # 6% of weekday theatre-days closed (maintenance, no staff)
    p_all = np.where(long, 0.85, 0.1)
    day_all = work & (u >= 0.06) & (v < p_all)
    am_only = (v >= p_all) & (v < p_all + 0.06)
    pm_only = (v >= p_all + 0.06) & (v < p_all + 0.11)
    open_ = work & (u >= 0.06) & ~day_all
    w = rng.random((n_th, days.size))
    weekend = ((weekday == 5) & (w < 0.03)) | ((weekday == 6) & (w < 0.005))
    weekend &= ~np.isin(days, bank_holidays(days))[None, :]
    masks = {
        "AM": (open_ & ~pm_only) | (weekend & ~long),
        "PM": open_ & ~am_only,
        "ALL": day_all | (weekend & long),
        "EVE": work & (w < eve_rate[:, None]),
    }
    parts = []
    for name, mask in masks.items():
        ti, di = np.nonzero(mask)
        start = am_start[ti] if name == "AM" else np.full(ti.size, _SESSION_TIMES[name][0])
        end = start + _SESSION_TIMES[name][1] - _SESSION_TIMES[name][0]
        parts.append((ti, di, np.full(ti.size, schema.SESSIONS.index(name)), start, end))
    ti, di, session, start, end = (np.concatenate(p) for p in zip(*parts, strict=True))
    order = np.lexsort((start, di, ti))
    ti, di, session, start, end = ti[order], di[order], session[order], start[order], end[order]

    # Specialty: usually the theatre's own; evening lists take the emergency specialty.
    n = ti.size
    cum = np.cumsum(mixes[ti], axis=1)
    drawn = np.minimum((rng.random(n)[:, None] > cum).sum(axis=1), len(_SPEC_NAMES) - 1)
    spec = np.where(rng.random(n) < 0.8, primary[ti], drawn)
    emergency = [s for s in ("General Surgery", "Trauma & Orthopaedics") if trust.mix.get(s)]
    if emergency:
        spec = np.where(session == _EVE, _SPEC_NAMES.index(emergency[0]), spec)
    day = days[di]
    return {
        "theatre": ti, "day_index": di, "session_date": day, "session": session,
        "specialty": spec, "planned_start": day * 1440 + start, "planned_end": day * 1440 + end,
    }  # fmt: skip


def _cases(
    rng: np.random.Generator, trust: Trust, lists: dict[str, np.ndarray], fill: np.ndarray,
    late_mean: np.ndarray,
) -> dict[str, np.ndarray]:  # fmt: skip
    """One trust's cases: booked to fill each list, then run back to back with the trust's
    late starts, changeovers, parallel induction, cancellations and missing milestones."""
    spec, ps, pe = lists["specialty"], lists["planned_start"], lists["planned_end"]
    is_eve = lists["session"] == _EVE
    n_lists = spec.size

    # Booking: each list takes cases in turn while their estimated minutes (touch time as the
    # surgeon estimates it, plus a changeover) fit the trust's target after its usual late start.
    p_on_time = np.clip(0.6 - late_mean / 60, 0.15, 0.55)
    gap_eff = trust.gap * (1 - trust.parallel)
    fill = np.where(is_eve, 1.1, fill + rng.normal(0, 0.04, n_lists))
    target = fill * (pe - ps) - (1 - p_on_time) * (late_mean + 2) + gap_eff
    n_cand = np.ceil(target / (0.5 * _SPEC_MEAN[spec] + gap_eff)).astype(np.int64) + 4
    n_cand[rng.random(n_lists) < trust.unused] = 0  # unused sessions: nothing booked or done
    lc, pos, first = _within(n_cand)
    cs = spec[lc]
    mu = np.log(_SPEC_MEAN[cs]) - _SPEC_SIGMA[cs] ** 2 / 2
    touch = np.clip(rng.lognormal(mu, _SPEC_SIGMA[cs]), 8, 720)
    booked = touch * np.exp(rng.normal(0, 0.15, touch.size)) + gap_eff
    fits = (_cumsum_within(booked, lc, first) <= target[lc]) | (pos == 0)
    kept = _cumsum_within((~fits).astype(np.int64), lc, first) == 0  # the prefix that fits
    for _ in range(3):  # then first fit: the next waiting case short enough for the time left
        room = target - np.bincount(lc, weights=booked * kept, minlength=n_lists)
        can = np.nonzero(~kept & (booked <= room[lc]))[0]
        kept[can[np.unique(lc[can], return_index=True)[1]]] = True
    done = kept & (rng.random(kept.size) >= trust.cancel)
    late = np.where(
        rng.random(n_lists) < p_on_time, rng.uniform(-5, 2, n_lists), 2 + rng.exponential(late_mean)
    )

    # Completed cases run back to back: anaesthetic start = previous out + changeover, which is
    # negative with parallel induction (the next patient anaesthetised before the last leaves).
    li, pos, first = _within(np.bincount(lc[done], minlength=n_lists))
    d = touch[done]
    n = d.size
    anaes = d * rng.uniform(0.1, 0.25, n)
    gap = np.where(
        rng.random(n) < trust.parallel,
        -anaes * rng.uniform(0.3, 0.8, n),
        rng.gamma(2.5, trust.gap / 2.5, n),
    )
    step = np.zeros(n)
    step[1:] = d[:-1] + gap[1:]
    step[pos == 0] = 0
    t_anaes = ps[li] + late[li] + _cumsum_within(step, li, first)
    t_into = t_anaes + anaes
    t_out = t_anaes + d
    t_knife = t_into + np.minimum(rng.uniform(3, 15, n), 0.4 * (t_out - t_into))
    # Some teams would rather cancel than start a case after the session should have ended.
    no_time = (rng.random(n_lists) < 0.35)[li] & ~is_eve[li] & (t_anaes > pe[li])

    # Cases in booking order; those cancelled on the day have no milestones.
    rows = np.nonzero(kept)[0]
    total = rows.size
    is_done = done[rows]
    cancelled = ~is_done
    cancelled[is_done] = no_time
    clinical = ~is_done & (rng.random(total) < 0.4)
    reason = np.where(
        clinical,
        rng.integers(0, len(_CANCEL_CLINICAL), total),
        len(_CANCEL_CLINICAL) + rng.integers(0, len(_CANCEL_OTHER), total),
    )
    reason[is_done] = np.where(no_time, len(_REASONS) - 1, -1)
    times = {}
    for name, values in (("anaesthetic_start", t_anaes), ("into_theatre", t_into),
                         ("knife_to_skin", t_knife), ("out_of_theatre", t_out)):  # fmt: skip
        times[name] = np.full(total, NAT)
        times[name][is_done] = np.floor(values + 0.5)  # whole minutes, as theatre systems record
        times[name][cancelled] = NAT
    times["anaesthetic_start"][rng.random(total) < 0.01] = NAT  # for the data-quality report

    case_list, case_spec = lc[rows], cs[rows]
    u = rng.random(total)
    p_emerg = np.where(is_eve[case_list], 0.9, _SPEC_EMERG[case_spec])
    code = _CODE_FIRST[case_spec] + (rng.random(total) ** 1.5 * _CODE_N[case_spec]).astype(int)
    # The procedure's day-case share, shifted by the trust's (no extra draw: every other figure
    # of the demo stays as it was).
    with np.errstate(over="ignore"):
        share = 1 / (1 + np.exp(-(_CODE_DAYCASE_LOGIT[code] + trust.daycase)))
    p_day = p_emerg + (1 - p_emerg) * share
    return {
        "case_list": case_list, "case_specialty": case_spec, "procedure_code": code,
        "priority": np.where(u < p_emerg, 2, np.where(u < p_day, 1, 0)),
        **times, "cancelled": cancelled, "cancel_reason": reason, "cancel_clinical": clinical,
    }  # fmt: skip


def _theatre_trust(
    rng: np.random.Generator, trust: Trust, n_theatres: int, days: np.ndarray,
    day_month: np.ndarray, site_index: dict[str, int],
) -> dict[str, np.ndarray]:  # fmt: skip
    """Lists and cases of one trust as arrays (vectorised over theatres, days, lists and cases)."""
    units = [(site, 0) for site, n in trust.theatres.items() for _ in range(n)]
    slots = spread_units(units, n_theatres)
    lists = _sessions(rng, trust, slots, days)
    fill, late = _month_effects(trust, int(day_month.max()) + 1, rng)
    month = day_month[lists.pop("day_index")]
    cases = _cases(rng, trust, lists, fill[month], late[month])
    theatre = lists["theatre"]
    lists["site"] = np.array([site_index[s] for s, _, _ in slots])[theatre]
    lists["theatre"] = np.array([k - 1 for _, _, k in slots])[theatre]
    return lists | cases


def _theatre_assemble(
    parts: list[tuple[str, dict[str, np.ndarray]]], sites: list[str]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One lists frame and one cases frame from per-trust arrays, ids numbered in order.

    Columns are concatenated, converted and released one at a time, and the frames take the
    arrays without copying, to keep peak memory near the size of the result at national scale.
    """
    codes = [c for c, _ in parts]
    n_lists = np.array([p["session_date"].size for _, p in parts])
    n_cases = np.array([p["case_list"].size for _, p in parts])
    cat = {k: np.concatenate([p.pop(k) for _, p in parts]) for k in list(parts[0][1])}
    list_trust = np.repeat(np.arange(len(parts)), n_lists)
    case_trust = np.repeat(np.arange(len(parts)), n_cases)
    n_th = int(cat["theatre"].max()) + 1 if cat["theatre"].size else 1
    lists = pd.DataFrame(
        {
            "list_id": np.arange(1, n_lists.sum() + 1, dtype=np.int64),
            "trust_code": text_array(codes, list_trust),
            "site": text_array(sites, cat.pop("site")),
            "theatre": text_array([f"Theatre {i + 1}" for i in range(n_th)], cat.pop("theatre")),
            "session_date": to_datetimes(cat.pop("session_date") * 1440),
            "session": text_array(schema.SESSIONS, cat.pop("session")),
            "specialty": text_array(_SPEC_NAMES, cat.pop("specialty")),
            "planned_start": to_datetimes(cat.pop("planned_start")),
            "planned_end": to_datetimes(cat.pop("planned_end")),
        },
        copy=False,
    )
    list_id = cat.pop("case_list") + (np.cumsum(n_lists) - n_lists)[case_trust] + 1
    # Case ids: trust code, dash, 8-digit running number within the trust ("REM-00001234").
    trust_bytes = np.frombuffer("".join(codes).encode("ascii"), dtype=np.uint8).reshape(-1, 3)
    within = np.arange(n_cases.sum()) - (np.cumsum(n_cases) - n_cases)[case_trust] + 1
    dash = np.full((within.size, 1), ord("-"), dtype=np.uint8)
    case_id = ascii_text(
        np.concatenate([trust_bytes[case_trust], dash, decimal_digits(within, 8)], axis=1)
    )
    del within, case_trust
    columns = {
        "list_id": list_id,
        "case_id": case_id,
        "specialty": text_array(_SPEC_NAMES, cat.pop("case_specialty")),
        "procedure_code": text_array(_CODES, cat.pop("procedure_code")),
        "priority": text_array(schema.PRIORITIES, cat.pop("priority")),
    }
    for name in ("anaesthetic_start", "into_theatre", "knife_to_skin", "out_of_theatre"):
        columns[name] = to_datetimes(cat.pop(name))
    columns["cancelled"] = cat.pop("cancelled")
    columns["cancel_reason"] = text_array(_REASONS, cat.pop("cancel_reason"))
    columns["cancel_clinical"] = cat.pop("cancel_clinical")
    return lists, pd.DataFrame(columns, copy=False)


def make_theatres(
    seed: int, plan: list[tuple[str, Trust, int]], window: np.ndarray, *, source: str = "theatre"
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Lists and cases of each planned (trust code, trust, theatres) over the window.

    ``source`` names the random streams (another name gives other lists on the same pattern,
    e.g. the future lists of the bookings).
    """
    days, day_month = window_days(window)
    sites = sorted({s for _, t, _ in plan for s in t.theatres})
    site_index = {s: i for i, s in enumerate(sites)}
    parts = [
        (
            code,
            _theatre_trust(source_rng(seed, source, code), trust, n, days, day_month, site_index),
        )
        for code, trust, n in plan
        if n > 0
    ]
    return _theatre_assemble(parts, sites)


def theatre_frames(
    n_theatres: int,
    months: int,
    seed: int,
    *,
    start_month: str | None = None,
    trusts: int | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Theatre lists and cases at any scale, for the performance harness.

    The demo trusts come first (keeping their sites, specialties and planted signals); past
    them, synthetic district general trusts get codes X01, X02, ... ``trusts`` defaults to one
    per 20 theatres, and the theatres are split among them by size. The window starts at
    ``start_month`` (default: ``months`` months ending at :data:`DEMO_END_MONTH`). Throughput is
    realistic, about 1,500 cases per theatre a year, so 3,200 theatres give about 5 million cases
    (about 7,700 theatres give 12 million).
    Vectorised: the only Python loop is over trusts.

    Returns:
        ``(lists, cases)`` in the shapes of :data:`schema.LIST_COLUMNS` and
        :data:`schema.CASE_COLUMNS`.

    Raises:
        ValueError: for fewer than one theatre or month, or more trusts than theatres.
    """
    window = month_window(months, None, start_month)
    return make_theatres(seed, scale_trusts(seed, n_theatres, trusts, "theatre"), window)
