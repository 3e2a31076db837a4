"""Synthetic diagnostics: scanner-days, endoscopy lists, echo, DM01 waits and their IMD lens.

Owns the DM01 reference mix (each test's share of a waiting list, relative wait and activity
mix) and the generators: imaging at the national benchmark scans per hour scaled by each trust,
endoscopy points, echo tests, DM01 waiting lists and activity consistent with them by Little's
law, and the waiting list split by IMD quintile (:data:`DM01_IMD_COLUMNS`). :func:`imaging_frames`
makes scanner-days at any scale. Pure pandas/numpy plus ``settings`` and ``benchmarks`` for the
reference files: it must not import the database, SQLModel or Streamlit, nor the theatre
generator.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from productivity import schema, settings
from productivity.benchmarks import SCAN_RATE_KEYS, load_benchmarks
from productivity.synth.columns import text_array, to_datetimes
from productivity.synth.dates import (
    bank_holidays,
    is_working_day,
    month_window,
    source_rng,
    weekday_of,
    window_days,
)
from productivity.synth.trusts import STEP_MONTHS, TRUSTS, Trust, scale_trusts, spread_units

DM01_IMD_COLUMNS: tuple[str, ...] = (
    "period", "provider_code", "test_code", "imd_quintile", "total_waiting", "waiting_6_plus",
    "waiting_13_plus", *schema.DM01_BANDS,
)  # fmt: skip

_SCANNER_PREFIX = {"CT": "CT", "MRI": "MRI", "NOUS": "US"}
_ALL_TESTS = tuple(schema.DM01_TESTS)
# Share of a provider's waiting list by test (roughly England's mix), and how the mean wait of a
# test compares with the provider's typical wait (sleep studies and echo wait longest).
_TEST_SHARE = {
    "MRI": 0.13, "CT": 0.09, "NON_OBSTETRIC_ULTRASOUND": 0.40, "BARIUM_ENEMA": 0.002,
    "DEXA_SCAN": 0.04, "AUDIOLOGY_ASSESSMENTS": 0.05, "ECHOCARDIOGRAPHY": 0.10,
    "ELECTROPHYSIOLOGY": 0.004, "PERIPHERAL_NEUROPHYS": 0.025, "SLEEP_STUDIES": 0.03,
    "URODYNAMICS": 0.008, "COLONOSCOPY": 0.045, "FLEXI_SIGMOIDOSCOPY": 0.012,
    "CYSTOSCOPY": 0.02, "GASTROSCOPY": 0.05,
}  # fmt: skip
_TEST_WAIT = {
    "MRI": 1.1, "CT": 0.6, "NON_OBSTETRIC_ULTRASOUND": 1.0, "BARIUM_ENEMA": 0.8,
    "DEXA_SCAN": 0.9, "AUDIOLOGY_ASSESSMENTS": 1.2, "ECHOCARDIOGRAPHY": 1.3,
    "ELECTROPHYSIOLOGY": 1.0, "PERIPHERAL_NEUROPHYS": 1.3, "SLEEP_STUDIES": 1.6,
    "URODYNAMICS": 1.4, "COLONOSCOPY": 1.1, "FLEXI_SIGMOIDOSCOPY": 1.0, "CYSTOSCOPY": 1.0,
    "GASTROSCOPY": 1.1,
}  # fmt: skip
# Activity mix: (planned, unscheduled) per waiting-list test done.
_ACTIVITY_MIX = {"CT": (0.12, 0.33), "MRI": (0.15, 0.13), "NON_OBSTETRIC_ULTRASOUND": (0.1, 0.13),
                 "ECHOCARDIOGRAPHY": (0.13, 0.22), "COLONOSCOPY": (0.25, 0.03),
                 "GASTROSCOPY": (0.2, 0.05), "DEXA_SCAN": (0.1, 0.0)}  # fmt: skip
_DM01_SYSTEM_WAITING = 66_700  # SPEC §1: about 66,700 waiting across the collaborative
_WEEKS_PER_MONTH = 365.25 / 12 / 7


def _imaging_trust(
    rng: np.random.Generator,
    trust: Trust,
    n_scanners: int,
    days: np.ndarray,
    day_month: np.ndarray,
    bench: np.ndarray,
) -> tuple[list[str], dict[str, np.ndarray]]:
    """One row per scanner per operational day: hours and scans (vectorised over the grid)."""
    units = [
        (site, k)
        for site, counts in trust.scanners.items()
        for k, n in enumerate(counts)
        for _ in range(n)
    ]
    names, mods, is_247 = [], [], []
    for site, k, number in spread_units(units, n_scanners):
        modality = schema.MODALITIES[k]
        names.append(f"{site}-{_SCANNER_PREFIX[modality]}{number}")
        mods.append(k)
        is_247.append(modality == "CT" and number == 1 and site in trust.ed_sites)
    mod = np.array(mods)
    always = np.array(is_247)
    n_s = mod.size
    weekday_hours = np.where(
        mod == 2, rng.choice([8.0, 9.0, 10.0], n_s), rng.choice([10.0, 12.0, 12.0], n_s)
    )
    sat = np.where(mod == 1, rng.random(n_s) < 0.4, (mod == 0) & (rng.random(n_s) < 0.3)) * 8.0
    sun = ((mod == 1) & (rng.random(n_s) < 0.15)) * 8.0
    weekday = weekday_of(days)
    holiday = np.isin(days, bank_holidays(days))
    hours = np.where(
        holiday[None, :],
        0.0,
        np.where(
            weekday[None, :] < 5,
            weekday_hours[:, None],
            np.where(weekday[None, :] == 5, sat[:, None], sun[:, None]),
        ),
    )
    hours = np.where(always[:, None], 24.0, hours)
    shape = hours.shape
    down = rng.random(shape) < 0.02
    hours = np.where(down, np.round(hours * rng.uniform(0, 0.7, shape) * 2) / 2, hours)
    extended = (rng.random(shape) < 0.04) & ~always[:, None] & (hours > 0)
    hours = hours + extended * 2.0
    rate = bench[mod] * np.array(trust.scan_rate)[mod] * np.exp(rng.normal(0, 0.06, n_s))
    rate = np.where(always, rate * 0.9, rate)  # overnight CT runs slower
    expected = rate[:, None] * hours * np.exp(rng.normal(0, 0.08, shape))
    after = (day_month > day_month.max() - STEP_MONTHS)[None, :]
    expected += (mod == 1)[:, None] * after * trust.mri_step * hours / weekday_hours[:, None]
    scans = rng.poisson(expected)
    si, di = np.nonzero(hours > 0)
    return names, {
        "scanner": si,
        "modality": mod[si],
        "date": days[di],
        "operational_hours": hours[si, di],
        "scans": scans[si, di],
    }


def _national_scan_rates() -> np.ndarray:
    """Benchmark scans per hour by modality from the national file, ignoring a local override,
    so that a seed always gives the same data."""
    items = load_benchmarks(settings.BENCHMARKS_FILE).items
    rates = [items[SCAN_RATE_KEYS[m]] for m in schema.MODALITIES]
    return np.array([b.national_value if b.overridden else b.value for b in rates], dtype=float)


def make_imaging(seed: int, plan: list[tuple[str, Trust, int]], window: np.ndarray) -> pd.DataFrame:
    """Scanner-days of each planned (trust code, trust, scanners) over the window."""
    days, day_month = window_days(window)
    bench = _national_scan_rates()
    codes: list[str] = []
    names: list[str] = []
    frames: list[dict[str, np.ndarray]] = []
    for code, trust, n in plan:
        if n == 0:
            continue
        scanner_names, part = _imaging_trust(
            source_rng(seed, "imaging", code), trust, n, days, day_month, bench
        )
        part["scanner"] = part["scanner"] + len(names)
        part["trust"] = np.full(part["scanner"].size, len(codes))
        codes.append(code)
        names += scanner_names
        frames.append(part)
    cat = {k: np.concatenate([f[k] for f in frames]) for k in frames[0]}
    return pd.DataFrame(
        {
            "trust_code": text_array(codes, cat["trust"]),
            "site": text_array([s.rsplit("-", 1)[0] for s in names], cat["scanner"]),
            "scanner_id": text_array(names, cat["scanner"]),
            "modality": text_array(schema.MODALITIES, cat["modality"]),
            "date": to_datetimes(cat["date"] * 1440),
            "operational_hours": cat["operational_hours"],
            "scans": cat["scans"].astype(np.int64),
        }
    )[list(schema.IMAGING_COLUMNS)]


def imaging_frames(
    n_scanners: int,
    months: int,
    seed: int,
    *,
    start_month: str | None = None,
    trusts: int | None = None,
) -> pd.DataFrame:
    """Scanner-days at any scale (the imaging counterpart of :func:`theatre_frames`).

    Returns:
        One row per scanner per operational day, :data:`schema.IMAGING_COLUMNS`.

    Raises:
        ValueError: for fewer than one scanner or month, or more trusts than scanners.
    """
    window = month_window(months, None, start_month)
    return make_imaging(seed, scale_trusts(seed, n_scanners, trusts, "scanner"), window)


def make_endoscopy(seed: int, window: np.ndarray) -> pd.DataFrame:
    """Endoscopy lists at the acute trusts: AM and PM per room per working day, 12 points."""
    days, _ = window_days(window)
    days = days[is_working_day(days)]
    frames = []
    for code, trust in TRUSTS.items():
        rng = source_rng(seed, "endoscopy", code)
        rooms = [(site, k) for site, n in trust.endoscopy.items() for k in range(1, n + 1)]
        if not rooms:
            continue
        ri, di, session = np.nonzero(rng.random((len(rooms), days.size, 2)) < 0.88)
        n = ri.size
        planned = rng.choice([12, 12, 12, 12, 12, 12, 12, 12, 10, 14], n)
        use = np.clip(rng.normal(trust.endo_use, 0.08, n), 0.4, 1.0)
        used = np.round(planned * use).astype(np.int64)
        colonoscopies = rng.binomial(used // 2, 0.4)  # 2 points each; the rest 1-point OGDs
        frames.append(
            pd.DataFrame(
                {
                    "trust_code": code,
                    "site": [rooms[i][0] for i in ri],
                    "room": [f"Endoscopy Room {rooms[i][1]}" for i in ri],
                    "date": to_datetimes(days[di] * 1440),
                    "session": np.array(["AM", "PM"])[session],
                    "planned_points": planned.astype(np.int64),
                    "used_points": used,
                    "procedures": used - colonoscopies,
                }
            )
        )
    return pd.concat(frames, ignore_index=True)[list(schema.ENDOSCOPY_COLUMNS)]


def make_echo(seed: int, window: np.ndarray) -> pd.DataFrame:
    """Echo at the acute trusts and RBQ: tests and scheduled minutes per site per working day."""
    days, _ = window_days(window)
    days = days[is_working_day(days)]
    frames = []
    for code, trust in TRUSTS.items():
        rng = source_rng(seed, "echo", code)
        for site, per_day in trust.echo.items():
            tests = np.maximum(1, rng.poisson(per_day, days.size))
            minutes = tests * trust.echo_minutes * np.exp(rng.normal(0, 0.05, days.size))
            frames.append(
                pd.DataFrame(
                    {
                        "trust_code": code,
                        "site": site,
                        "date": to_datetimes(days * 1440),
                        "tests": tests.astype(np.int64),
                        "scheduled_minutes": np.round(minutes).astype(np.int64),
                    }
                )
            )
    return pd.concat(frames, ignore_index=True)[list(schema.ECHO_COLUMNS)]


def _band_shares(mean_weeks: np.ndarray) -> np.ndarray:
    """Share of a waiting list in each DM01 band when waits are exponential with this mean."""
    edges = np.exp(-np.arange(14)[None, :] / mean_weeks[..., None])
    return np.concatenate([edges[..., :-1] - edges[..., 1:], edges[..., -1:]], axis=-1)


def make_dm01(
    seed: int, window: np.ndarray, imaging: pd.DataFrame, echo: pd.DataFrame
) -> pd.DataFrame:
    """DM01 waiting lists and activity by month, provider and test (all 15 tests).

    CT, MRI, NOUS and (where the echo source has it) echo activity is the month's scans or tests
    from those frames, and their waiting list follows from Little's law (waiting = weekly
    waiting-list activity x mean wait). The other tests share what is left of the system's
    ~66,700 waiting; their activity again follows from Little's law.
    """
    trusts = pd.read_csv(settings.TRUSTS_FILE, dtype=str).set_index("trust_code")
    n_m = window.size
    ago = np.arange(n_m)[::-1]
    measured = pd.concat(
        [
            imaging.assign(test=imaging["modality"].map(schema.MODALITY_DM01_TEST)).rename(
                columns={"scans": "n"}
            ),
            echo.assign(test="ECHOCARDIOGRAPHY").rename(columns={"tests": "n"}),
        ]
    )
    monthly = measured.pivot_table(
        index=["trust_code", "test"],
        columns=measured["date"].dt.to_period("M"),
        values="n",
        aggfunc="sum",
        fill_value=0,
    )
    periods = pd.PeriodIndex(window.astype("datetime64[D]"), freq="M")
    mean_weeks = {}
    for code, trust in TRUSTS.items():
        base = 6 / -np.log(1 - trust.within_6)
        waits = np.array([base * _TEST_WAIT[t] for t in _ALL_TESTS])
        mean_weeks[code] = waits[None, :] * (1 + 0.01 * ago[:, None])  # waits improve ~1%/month
    activity_of: dict[tuple[str, str], np.ndarray] = {}  # measured activity by month
    waiting_of: dict[tuple[str, str], np.ndarray] = {}  # Little's law waiting list by month
    monthly = monthly.reindex(columns=periods, fill_value=0)
    for (code, test), activity in zip(
        monthly.index.tolist(), monthly.to_numpy(dtype=np.int64), strict=True
    ):
        weekly = activity.mean() / (1 + sum(_ACTIVITY_MIX[test])) / _WEEKS_PER_MONTH
        activity_of[code, test] = activity
        waiting_of[code, test] = weekly * mean_weeks[code][:, _ALL_TESTS.index(test)]
    left = _DM01_SYSTEM_WAITING - sum(v.mean() for v in waiting_of.values())
    share = {
        (c, t): tr.dm01_weight * _TEST_SHARE[t]
        for c, tr in TRUSTS.items()
        for t in tr.tests
        if (c, t) not in waiting_of
    }
    scale = max(left, 0.3 * _DM01_SYSTEM_WAITING) / sum(share.values())
    rows = []
    for code, trust in TRUSTS.items():
        rng = source_rng(seed, "dm01", code)
        for j, test in enumerate(_ALL_TESTS):
            m = mean_weeks[code][:, j] * np.exp(rng.normal(0, 0.04, n_m))
            planned_mix, unscheduled_mix = _ACTIVITY_MIX.get(test, (0.05, 0.02))
            if (code, test) in waiting_of:
                waiting = waiting_of[code, test] * np.exp(rng.normal(0, 0.03, n_m))
                total = activity_of[code, test]
                mix = np.array([1.0, planned_mix, unscheduled_mix])
                activity = rng.multinomial(total, mix / mix.sum())
            elif test in trust.tests:
                waiting = share[code, test] * scale * np.exp(rng.normal(0, 0.04, n_m))
                done = rng.poisson(waiting * _WEEKS_PER_MONTH / m)
                activity = np.stack(
                    [done, rng.poisson(done * planned_mix), rng.poisson(done * unscheduled_mix)],
                    axis=1,
                )
            else:
                waiting, activity = np.zeros(n_m), np.zeros((n_m, 3), dtype=np.int64)
            bands = rng.multinomial(np.round(waiting).astype(np.int64), _band_shares(m))
            rows.append((code, test, bands, activity))
    n_rows = len(rows) * n_m
    bands = np.concatenate([r[2] for r in rows]).astype(np.int64)
    activity = np.concatenate([r[3] for r in rows]).astype(np.int64)
    providers = [r[0] for r in rows for _ in range(n_m)]
    frame = pd.DataFrame(
        {
            "period": np.tile(
                to_datetimes(window.astype("datetime64[D]").astype(np.int64) * 1440), len(rows)
            ),
            "provider_code": providers,
            "provider_name": trusts.loc[providers, "name"].to_numpy(),
            "test_code": [r[1] for r in rows for _ in range(n_m)],
            "total_waiting": bands.sum(axis=1),
            "waiting_6_plus": bands[:, 6:].sum(axis=1),
            "waiting_13_plus": bands[:, 13],
            **{band: bands[:, i] for i, band in enumerate(schema.DM01_BANDS)},
            "waiting_list_activity": activity[:, 0],
            "planned_activity": activity[:, 1],
            "unscheduled_activity": activity[:, 2],
            "total_activity": activity.sum(axis=1),
        },
        index=pd.RangeIndex(n_rows),
    )
    return frame[list(schema.DM01_COLUMNS)]


def make_dm01_imd(seed: int, dm01: pd.DataFrame) -> pd.DataFrame:
    """Each provider x test x month waiting list split into IMD quintiles (1 = most deprived).

    Each band is shared among quintiles by the trust's catchment; where ``imd_gradient`` is set
    (REM, RBN) the longer bands lean towards the more deprived quintiles.
    """
    rng = source_rng(seed, "dm01_imd")
    bands = dm01[list(schema.DM01_BANDS)].to_numpy(dtype=np.int64)
    codes = dm01["provider_code"].to_numpy(dtype=object)
    catchment = np.array([TRUSTS[c].imd for c in codes])
    gradient = np.array([TRUSTS[c].imd_gradient for c in codes])
    lean = (np.arange(14) / 13 - 0.3)[None, :, None] * ((3 - np.arange(1, 6)) / 2)[None, None, :]
    p = catchment[:, None, :] * np.exp(gradient[:, None, None] * lean)
    split = rng.multinomial(bands, p / p.sum(axis=2, keepdims=True))  # rows x bands x quintiles
    long = split.transpose(0, 2, 1).reshape(-1, 14)
    frame = pd.DataFrame(
        {
            "period": np.repeat(dm01["period"].to_numpy(), 5),
            "provider_code": np.repeat(codes, 5),
            "test_code": np.repeat(dm01["test_code"].to_numpy(dtype=object), 5),
            "imd_quintile": np.tile(np.arange(1, 6, dtype=np.int64), len(dm01)),
            "total_waiting": long.sum(axis=1),
            "waiting_6_plus": long[:, 6:].sum(axis=1),
            "waiting_13_plus": long[:, 13],
            **{b: long[:, i] for i, b in enumerate(schema.DM01_BANDS)},
        }
    )
    return frame[list(DM01_IMD_COLUMNS)]
