"""The synthetic demo's trust profiles: the 12 collaborative trusts and the synthetic ones at scale.

Owns :class:`Trust` (each trust's theatres, specialty mix, utilisation levers, scanners,
endoscopy, echo and DM01 parameters), the calibrated :data:`TRUSTS` with their planted signals
(:data:`STEP_MONTHS`, :data:`TREND_MONTHS`), the synthetic district general trusts (X01, X02, ...)
that :func:`scale_trusts` adds for the performance harness, and how a trust's theatres or scanners
are laid out across its sites (:func:`spread_units`). Pure numpy: it must not import pandas,
the database, SQLModel or Streamlit, nor the theatre or diagnostics generators.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from productivity import schema
from productivity.synth.dates import source_rng

STEP_MONTHS = 6  # planted step changes cover the last 6 months of the window
TREND_MONTHS = 12  # planted trends run over the last 12 months
_ACUTE_TESTS = tuple(t for t in schema.DM01_TESTS if t != "ELECTROPHYSIOLOGY")


@dataclass(frozen=True, eq=False)
class Trust:
    """One trust's parameters for every generator: theatres, imaging, endoscopy, echo, DM01."""

    theatres: dict[str, int]  # site -> theatres
    mix: dict[str, float]  # specialty weights
    fill: float  # booked minutes per planned minute: the utilisation lever
    late: float  # mean minutes late on lists that start late
    gap: float  # mean changeover minutes
    parallel: float  # share of changeovers with parallel induction
    site_mix: dict[str, dict[str, float]] = field(default_factory=dict)
    eve: float = 0.0  # chance the emergency theatre runs an evening list on a working day
    unused: float = 0.03
    cancel: float = 0.03
    daycase: float = 0.0  # shift of every procedure's day-case share, in log-odds
    fill_step: float = 0.0  # planted: added for the last STEP_MONTHS months
    late_step: float = 0.0
    fill_trend: float = 0.0  # planted: per month over the last TREND_MONTHS months
    late_trend: float = 0.0
    scanners: dict[str, tuple[int, int, int]] = field(default_factory=dict)  # site -> CT/MRI/NOUS
    scan_rate: tuple[float, float, float] = (1.0, 1.0, 1.0)  # multiple of benchmark scans/hr
    ed_sites: tuple[str, ...] = ()  # sites with 24/7 CT for the emergency department
    mri_step: float = 0.0  # planted: extra MRI scans per scanner-day, last STEP_MONTHS months
    endoscopy: dict[str, int] = field(default_factory=dict)  # site -> rooms
    endo_use: float = 0.9
    echo: dict[str, float] = field(default_factory=dict)  # site -> tests per working day
    echo_minutes: float = 45.0
    dm01_weight: float = 0.0  # share of the system's non-imaging waiting list
    within_6: float = 0.9  # typical % within 6 weeks
    tests: tuple[str, ...] = _ACUTE_TESTS
    imd: tuple[float, ...] = (0.3, 0.18, 0.17, 0.17, 0.18)  # catchment share, most deprived first
    imd_gradient: float = 0.0


_DGH_MIX = {
    "General Surgery": 0.18, "Trauma & Orthopaedics": 0.2, "Urology": 0.1, "Gynaecology": 0.09,
    "Obstetrics": 0.05, "ENT": 0.09, "Ophthalmology": 0.1, "Breast Surgery": 0.05,
    "Plastic Surgery": 0.05, "Oral & Maxillofacial Surgery": 0.05, "Vascular Surgery": 0.04,
}  # fmt: skip
_DAY_SURGERY_MIX = {"Ophthalmology": 0.35, "Urology": 0.25, "Trauma & Orthopaedics": 0.2,
                    "General Surgery": 0.2}  # fmt: skip
_ORTHO_MIX = {"Trauma & Orthopaedics": 0.6, "Ophthalmology": 0.2, "Urology": 0.1,
              "General Surgery": 0.1}  # fmt: skip

# One line each for theatres, imaging, endoscopy/echo and DM01. Calibrated so that capped
# utilisation runs from about 65% (REP, REN) to about 88% (RBN); see :mod:`productivity.synth`.
# fmt: off
TRUSTS: dict[str, Trust] = {
    "REM": Trust(
        {"REM01": 22, "REM02": 18, "REM03": 8},
        {**{k: v for k, v in _DGH_MIX.items() if k not in ("Gynaecology", "Obstetrics")},
         "Vascular Surgery": 0.07},
        fill=1.12, late=18, gap=12, parallel=0.1, eve=0.3, unused=0.035, daycase=0.2,
        site_mix={"REM03": _DAY_SURGERY_MIX},
        scanners={"REM01": (3, 2, 4), "REM02": (2, 3, 4), "REM03": (1, 1, 2)},
        scan_rate=(1.0, 0.92, 0.97), ed_sites=("REM01", "REM02"),
        endoscopy={"REM01": 3, "REM02": 3, "REM03": 2}, endo_use=0.86,
        echo={"REM01": 38, "REM02": 34, "REM03": 10}, echo_minutes=52,
        dm01_weight=0.24, within_6=0.74, imd=(0.5, 0.17, 0.13, 0.11, 0.09), imd_gradient=1.0),
    "RBN": Trust(
        {"RBN01": 12, "RBN02": 5, "RBN03": 3, "RBN04": 5}, {**_DGH_MIX, "Plastic Surgery": 0.14},
        fill=1.107, late=5, gap=5, parallel=0.3, eve=0.3, unused=0.02, cancel=0.008,
        daycase=0.8,
        site_mix={"RBN03": {"Gynaecology": 0.35, "Obstetrics": 0.3, "General Surgery": 0.35},
                  "RBN04": {"Ophthalmology": 0.35, "Plastic Surgery": 0.25,
                            "Trauma & Orthopaedics": 0.2, "Breast Surgery": 0.2}},
        scanners={"RBN01": (2, 2, 4), "RBN02": (1, 1, 2), "RBN03": (0, 0, 1), "RBN04": (1, 0, 2)},
        scan_rate=(1.15, 1.05, 1.02), ed_sites=("RBN01", "RBN02"),
        endoscopy={"RBN01": 3, "RBN02": 2, "RBN04": 1}, endo_use=0.94,
        echo={"RBN01": 30, "RBN02": 15, "RBN04": 8}, echo_minutes=44,
        dm01_weight=0.15, within_6=0.93, imd=(0.36, 0.19, 0.17, 0.15, 0.13), imd_gradient=1.0),
    "RBL": Trust(
        {"RBL01": 14, "RBL02": 6}, _DGH_MIX, fill=1.1, late=28, gap=15, parallel=0.03, eve=0.25,
        site_mix={"RBL02": _ORTHO_MIX}, fill_step=0.07, late_step=-16, daycase=-0.5,
        scanners={"RBL01": (2, 2, 4), "RBL02": (1, 0, 2)}, scan_rate=(0.9, 0.9, 0.93),
        ed_sites=("RBL01",),
        endoscopy={"RBL01": 3, "RBL02": 1}, echo={"RBL01": 30, "RBL02": 8}, echo_minutes=48,
        dm01_weight=0.11, within_6=0.8, imd=(0.28, 0.17, 0.17, 0.18, 0.2)),
    "RWW": Trust(
        {"RWW01": 12, "RWW02": 4}, _DGH_MIX, fill=1.03, late=20, gap=10, parallel=0.12, eve=0.25,
        site_mix={"RWW02": _ORTHO_MIX}, fill_trend=-0.011, late_trend=1.2,
        daycase=-0.2,
        scanners={"RWW01": (2, 2, 3), "RWW02": (1, 0, 2)}, scan_rate=(1.08, 0.84, 1.0),
        ed_sites=("RWW01",),
        endoscopy={"RWW01": 3, "RWW02": 1}, endo_use=0.84, echo={"RWW01": 28, "RWW02": 8},
        echo_minutes=57, dm01_weight=0.1, within_6=0.82, imd=(0.22, 0.2, 0.2, 0.2, 0.18)),
    "RJR": Trust(
        {"RJR01": 16}, {**_DGH_MIX, "Vascular Surgery": 0.07},
        fill=1.094, late=7, gap=6, parallel=0.22, eve=0.25, unused=0.02, cancel=0.01,
        daycase=-0.7,
        scanners={"RJR01": (2, 2, 5)}, scan_rate=(1.05, 1.1, 0.95), ed_sites=("RJR01",),
        endoscopy={"RJR01": 3}, endo_use=0.92, echo={"RJR01": 32}, echo_minutes=46,
        dm01_weight=0.09, within_6=0.9, imd=(0.12, 0.18, 0.22, 0.24, 0.24)),
    "RJN": Trust(
        {"RJN01": 10}, _DGH_MIX,
        fill=1.11, late=10, gap=8, parallel=0.15, eve=0.2, unused=0.025, cancel=0.012,
        daycase=0.35,
        scanners={"RJN01": (2, 2, 4)}, scan_rate=(0.88, 1.0, 1.1), ed_sites=("RJN01",),
        endoscopy={"RJN01": 2}, endo_use=0.96, echo={"RJN01": 20}, echo_minutes=41,
        dm01_weight=0.06, within_6=0.97, imd=(0.06, 0.12, 0.2, 0.27, 0.35)),
    "RBT": Trust(
        {"RBT01": 12, "RBT02": 2}, _DGH_MIX, fill=1.12, late=15, gap=14, parallel=0.05, eve=0.2,
        site_mix={"RBT02": _DAY_SURGERY_MIX}, daycase=0.5,
        scanners={"RBT01": (2, 2, 4), "RBT02": (1, 0, 1)}, scan_rate=(0.95, 0.86, 0.98),
        ed_sites=("RBT01",), mri_step=4.0,
        endoscopy={"RBT01": 3}, endo_use=0.82, echo={"RBT01": 26}, echo_minutes=55,
        dm01_weight=0.09, within_6=0.82, imd=(0.1, 0.18, 0.24, 0.25, 0.23)),
    "RBS": Trust(
        {"RBS01": 10},
        {"Paediatric Surgery": 0.3, "Paediatric Urology": 0.12, "Paediatric ENT": 0.15,
         "Paediatric Orthopaedics": 0.15, "Plastic Surgery": 0.1, "Neurosurgery": 0.08,
         "Paediatric Cardiac Surgery": 0.1},
        fill=1.1, late=26, gap=16, parallel=0.05, unused=0.045, daycase=0.3,
        scanners={"RBS01": (1, 2, 2)}, scan_rate=(0.8, 0.75, 0.9), ed_sites=("RBS01",),
        dm01_weight=0.06, within_6=0.85,
        tests=("MRI", "CT", "NON_OBSTETRIC_ULTRASOUND", "AUDIOLOGY_ASSESSMENTS",
               "ECHOCARDIOGRAPHY", "PERIPHERAL_NEUROPHYS", "SLEEP_STUDIES", "URODYNAMICS",
               "COLONOSCOPY", "CYSTOSCOPY", "GASTROSCOPY")),
    "RBQ": Trust(
        {"RBQ01": 6}, {"Cardiac Surgery": 0.7, "Thoracic Surgery": 0.3},
        fill=1.095, late=12, gap=15, parallel=0.15, unused=0.025, cancel=0.012,
        scanners={"RBQ01": (2, 1, 0)}, scan_rate=(1.05, 0.7, 1.0),
        echo={"RBQ01": 60}, echo_minutes=42, dm01_weight=0.04, within_6=0.95,
        tests=("MRI", "CT", "ECHOCARDIOGRAPHY", "ELECTROPHYSIOLOGY", "SLEEP_STUDIES")),
    "RET": Trust(
        {"RET01": 6}, {"Neurosurgery": 0.6, "Spinal Surgery": 0.4},
        fill=1.03, late=14, gap=14, parallel=0.1, cancel=0.015,
        scanners={"RET01": (1, 2, 0)},
        dm01_weight=0.03, within_6=0.94, tests=("MRI", "CT", "PERIPHERAL_NEUROPHYS")),
    "REP": Trust(
        {"REP01": 5}, {"Gynaecology": 0.6, "Obstetrics": 0.4},
        fill=1.1, late=24, gap=16, parallel=0.0, unused=0.05, cancel=0.035,
        scanners={"REP01": (0, 1, 2)}, scan_rate=(1.0, 0.9, 1.1),
        dm01_weight=0.02, within_6=0.96,
        tests=("MRI", "NON_OBSTETRIC_ULTRASOUND", "URODYNAMICS", "CYSTOSCOPY")),
    "REN": Trust(
        {"REN01": 1}, {"Clinical Oncology": 1.0}, fill=1.0, late=25, gap=10, parallel=0.0,
        scanners={"REN01": (1, 1, 0), "REN02": (1, 0, 0)}, scan_rate=(0.95, 0.85, 1.0),
        dm01_weight=0.01, within_6=0.98, tests=("MRI", "CT")),
}
# fmt: on


def _alloc(total: int, weights: npt.NDArray[np.float64]) -> npt.NDArray[np.int64]:
    """Split ``total`` into integers proportional to ``weights`` (largest remainder), each >= 1."""
    raw = weights / weights.sum() * (total - weights.size)
    counts: npt.NDArray[np.int64] = np.floor(raw).astype(np.int64)
    short = total - weights.size - counts.sum()
    counts[np.argsort(counts - raw, kind="stable")[:short]] += 1
    return counts + 1


def _synthetic_code(i: int) -> str:
    """Synthetic trust codes X01, X02, ... XZZ: three characters like an ODS code."""
    digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    return "X" + digits[(i + 1) // 36] + digits[(i + 1) % 36]


def _synthetic_trust(rng: np.random.Generator, code: str, size: int) -> Trust:
    """A district general trust with random but plausible parameters (for the scale frames)."""
    sites = {
        f"{code}{i + 1:02d}": int(n) for i, n in enumerate(_alloc(size, np.ones(-(-size // 12))))
    }
    ct, mri, nous = rng.uniform(0.8, 1.15, 3)
    return Trust(
        sites, _DGH_MIX, fill=float(rng.uniform(1.0, 1.12)), late=float(rng.uniform(5, 28)),
        gap=float(rng.uniform(5, 18)), parallel=float(rng.uniform(0, 0.25)), eve=0.25,
        cancel=float(rng.uniform(0.01, 0.035)), scanners={f"{code}01": (1, 1, 1)},
        scan_rate=(float(ct), float(mri), float(nous)), ed_sites=(f"{code}01",),
    )  # fmt: skip


def scale_trusts(
    seed: int, n_units: int, trusts: int | None, unit: str
) -> list[tuple[str, Trust, int]]:
    """Demo trusts first, then synthetic ones; ``n_units`` theatres or scanners split among them."""
    if n_units < 1:
        raise ValueError(f"need at least one {unit}, got {n_units}")
    n_trusts = trusts if trusts is not None else max(1, round(n_units / 20))
    if not 1 <= n_trusts <= min(n_units, len(TRUSTS) + 36 * 36 - 2):
        raise ValueError(f"trusts must be between 1 and the number of {unit}s, got {n_trusts}")
    rng = source_rng(seed, "scale", unit)
    demo = [(c, t) for c, t in TRUSTS.items() if unit_count(t, unit) > 0][:n_trusts]
    sizes = rng.lognormal(np.log(20), 0.5, n_trusts - len(demo))
    counts = _alloc(n_units, np.array([unit_count(t, unit) for _, t in demo] + list(sizes)))
    made = [
        (code, _synthetic_trust(rng, code, int(n)))
        for code, n in zip(
            map(_synthetic_code, range(sizes.size)), counts[len(demo) :], strict=True
        )
    ]
    return [(code, trust, int(n)) for (code, trust), n in zip(demo + made, counts, strict=True)]


def unit_count(trust: Trust, unit: str) -> int:
    """How many theatres (``unit`` "theatre") or scanners (``unit`` "scanner") the trust has."""
    if unit == "theatre":
        return sum(trust.theatres.values())
    return sum(sum(c) for c in trust.scanners.values())


def spread_units(units: list[tuple[str, int]], n: int) -> list[tuple[str, int, int]]:
    """``n`` units (site, kind) cycling through ``units`` with the sites interleaved, so that any
    number of units spans the sites; each numbered within its site and kind (Theatre 1, 2, ...)."""
    by_site: dict[str, list[int]] = {}
    for site, kind in units:
        by_site.setdefault(site, []).append(kind)
    longest = max(len(kinds) for kinds in by_site.values())
    template = [(s, k[i]) for i in range(longest) for s, k in by_site.items() if i < len(k)]
    seen: Counter[tuple[str, int]] = Counter()
    out = []
    for j in range(n):
        key = template[j % len(template)]
        seen[key] += 1
        out.append((*key, seen[key]))
    return out


# The acute demo trusts (every DM01 test but electrophysiology): the profiles the scale frames'
# synthetic district general trusts borrow for the sources they have no generator of their own.
ACUTE_PROFILES: tuple[str, ...] = tuple(
    code for code, trust in TRUSTS.items() if trust.tests == _ACUTE_TESTS
)
