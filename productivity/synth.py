"""Deterministic synthetic demo data for the Cheshire & Merseyside collaborative, as DataFrames.

Pure pandas/numpy (plus the stdlib and ``settings`` for the reference files): no database,
SQLModel or Streamlit import. :func:`build_frames` returns every source in the normalised shapes of
:mod:`productivity.schema`, and the store loader writes them. :func:`theatre_frames` and
:func:`imaging_frames` generate the same data at any scale for the performance harness, and
:func:`theatre_extract` renders lists and cases as the canonical theatre extract of SPEC §3.

Everything is drawn from ``np.random.SeedSequence(seed, spawn_key=...)``, one child generator per
source and trust keyed by name, so the same arguments always give identical frames and adding a
source or trust never shifts the others. :data:`DEMO_END_MONTH` anchors the calendar.

The trusts differ on purpose: capped utilisation runs from about 65% (REP, REN) to about 88%
(RBN), late starts from about 5 to 35 minutes, and scans per hour sit either side of the
benchmarks. Planted signals, so that SPC and the rankings have a story to find (also in
:data:`PLANTED_SIGNALS`):

* RBL (Wirral): theatre capped utilisation steps up by about 8 points in the last 6 months
  (a Theatre Academy change that worked: on-time starts and fuller lists).
* RWW (Warrington & Halton): capped utilisation drifts down about 1 point a month over the
  last 12 months, with later starts: a deteriorating unit.
* RBT (Mid Cheshire): an MRI upgrade 6 months before the end adds about 4 scans per MRI
  scanner per operational day (about 1,056 more scans a year per machine).
* DM01 waits improve gently across the system (mean waits shorten about 1% a month).
* Deprivation: at REM and RBN patients from more deprived IMD quintiles wait longer; the other
  trusts show no gradient.

The other trusts are stable, with month-to-month noise only.
"""

from __future__ import annotations

import zlib
from collections import Counter
from dataclasses import dataclass, field, fields

import numpy as np
import pandas as pd

from productivity import schema, settings
from productivity.benchmarks import SCAN_RATE_KEYS, load_benchmarks

__all__ = [
    "DEMO_END_MONTH", "DM01_IMD_COLUMNS", "PLANTED_SIGNALS", "DemoFrames", "build_frames",
    "imaging_frames", "theatre_extract", "theatre_frames",
]  # fmt: skip

DEMO_END_MONTH = "2026-10"  # fixed anchor: the same seed always gives an identical store

PLANTED_SIGNALS: dict[str, str] = {
    "RBL": "Theatres: capped utilisation steps up about 8 points for the last 6 months "
    "(a Theatre Academy change that worked).",
    "RWW": "Theatres: capped utilisation falls steadily, about 1 point a month over the last "
    "12 months, with later starts (deteriorating).",
    "RBT": "Imaging: MRI gains about 4 scans per scanner per operational day for the last "
    "6 months (new technology: about 1,056 more MRI scans a year per machine).",
    "REM": "DM01 deprivation lens: more deprived IMD quintiles wait longer.",
    "RBN": "DM01 deprivation lens: more deprived IMD quintiles wait longer.",
}

DM01_IMD_COLUMNS: tuple[str, ...] = (
    "period", "provider_code", "test_code", "imd_quintile", "total_waiting", "waiting_6_plus",
    "waiting_13_plus", *schema.DM01_BANDS,
)  # fmt: skip

_STEP_MONTHS = 6  # planted step changes cover the last 6 months of the window
_TREND_MONTHS = 12  # planted trends run over the last 12 months

# England & Wales bank holidays: no elective lists, no routine diagnostics.
_BANK_HOLIDAYS = np.array([
    "2024-01-01", "2024-03-29", "2024-04-01", "2024-05-06", "2024-05-27", "2024-08-26",
    "2024-12-25", "2024-12-26", "2025-01-01", "2025-04-18", "2025-04-21", "2025-05-05",
    "2025-05-26", "2025-08-25", "2025-12-25", "2025-12-26", "2026-01-01", "2026-04-03",
    "2026-04-06", "2026-05-04", "2026-05-25", "2026-08-31", "2026-12-25", "2026-12-28",
    "2027-01-01", "2027-03-26", "2027-03-29", "2027-05-03", "2027-05-31", "2027-08-30",
    "2027-12-27", "2027-12-28",
], dtype="datetime64[D]").astype(np.int64)  # fmt: skip


# --------------------------------------------------------------------------------------------
# Reference tables


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
_SPEC_NAMES = tuple(_SPECIALTIES)
_SPEC_MEAN = np.array([s.mean for s in _SPECIALTIES.values()])
_SPEC_SIGMA = np.array([s.sigma for s in _SPECIALTIES.values()])
_SPEC_DAYCASE = np.array([s.daycase for s in _SPECIALTIES.values()])
_SPEC_EMERG = np.array([s.emergency for s in _SPECIALTIES.values()])
_CODES = tuple(c for s in _SPECIALTIES.values() for c in s.codes)
_CODE_N = np.array([len(s.codes) for s in _SPECIALTIES.values()])
_CODE_FIRST = np.cumsum(_CODE_N) - _CODE_N
_LONG_MINUTES = 150  # specialties this long mostly run all-day lists

_CANCEL_CLINICAL = ("Patient unfit for surgery", "Procedure no longer required")
_CANCEL_OTHER = (
    "No ward bed available", "Theatre staff unavailable", "Emergency case took priority",
    "Equipment failure", "Administrative error",
)  # fmt: skip
_NO_TIME = "Insufficient theatre time"
_REASONS = (*_CANCEL_CLINICAL, *_CANCEL_OTHER, _NO_TIME)
_EVE = schema.SESSIONS.index("EVE")
_NAT = np.iinfo(np.int64).min  # missing, in int64 minutes (the same bits as NaT)

# Planned session times, minutes after midnight (AM starts at 08:30 or 09:00 by theatre).
_SESSION_TIMES = {"AM": (510, 750), "PM": (810, 1050), "ALL": (510, 1050), "EVE": (1080, 1320)}
_SCANNER_PREFIX = {"CT": "CT", "MRI": "MRI", "NOUS": "US"}

_ALL_TESTS = tuple(schema.DM01_TESTS)
_ACUTE_TESTS = tuple(t for t in _ALL_TESTS if t != "ELECTROPHYSIOLOGY")
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


@dataclass(frozen=True, eq=False)
class _Trust:
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
    fill_step: float = 0.0  # planted: added for the last _STEP_MONTHS months
    late_step: float = 0.0
    fill_trend: float = 0.0  # planted: per month over the last _TREND_MONTHS months
    late_trend: float = 0.0
    scanners: dict[str, tuple[int, int, int]] = field(default_factory=dict)  # site -> CT/MRI/NOUS
    scan_rate: tuple[float, float, float] = (1.0, 1.0, 1.0)  # multiple of benchmark scans/hr
    ed_sites: tuple[str, ...] = ()  # sites with 24/7 CT for the emergency department
    mri_step: float = 0.0  # planted: extra MRI scans per scanner-day, last _STEP_MONTHS months
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
# utilisation runs from about 65% (REP, REN) to about 88% (RBN); see the module docstring.
# fmt: off
_TRUSTS: dict[str, _Trust] = {
    "REM": _Trust(
        {"REM01": 22, "REM02": 18, "REM03": 8},
        {**{k: v for k, v in _DGH_MIX.items() if k not in ("Gynaecology", "Obstetrics")},
         "Vascular Surgery": 0.07},
        fill=1.12, late=18, gap=12, parallel=0.1, eve=0.3, unused=0.035,
        site_mix={"REM03": _DAY_SURGERY_MIX},
        scanners={"REM01": (3, 2, 4), "REM02": (2, 3, 4), "REM03": (1, 1, 2)},
        scan_rate=(1.0, 0.92, 0.97), ed_sites=("REM01", "REM02"),
        endoscopy={"REM01": 3, "REM02": 3, "REM03": 2}, endo_use=0.86,
        echo={"REM01": 38, "REM02": 34, "REM03": 10}, echo_minutes=52,
        dm01_weight=0.24, within_6=0.74, imd=(0.5, 0.17, 0.13, 0.11, 0.09), imd_gradient=1.0),
    "RBN": _Trust(
        {"RBN01": 12, "RBN02": 5, "RBN03": 3, "RBN04": 5}, {**_DGH_MIX, "Plastic Surgery": 0.14},
        fill=1.107, late=5, gap=5, parallel=0.3, eve=0.3, unused=0.02, cancel=0.008,
        site_mix={"RBN03": {"Gynaecology": 0.35, "Obstetrics": 0.3, "General Surgery": 0.35},
                  "RBN04": {"Ophthalmology": 0.35, "Plastic Surgery": 0.25,
                            "Trauma & Orthopaedics": 0.2, "Breast Surgery": 0.2}},
        scanners={"RBN01": (2, 2, 4), "RBN02": (1, 1, 2), "RBN03": (0, 0, 1), "RBN04": (1, 0, 2)},
        scan_rate=(1.15, 1.05, 1.02), ed_sites=("RBN01", "RBN02"),
        endoscopy={"RBN01": 3, "RBN02": 2, "RBN04": 1}, endo_use=0.94,
        echo={"RBN01": 30, "RBN02": 15, "RBN04": 8}, echo_minutes=44,
        dm01_weight=0.15, within_6=0.93, imd=(0.36, 0.19, 0.17, 0.15, 0.13), imd_gradient=1.0),
    "RBL": _Trust(
        {"RBL01": 14, "RBL02": 6}, _DGH_MIX, fill=1.1, late=28, gap=15, parallel=0.03, eve=0.25,
        site_mix={"RBL02": _ORTHO_MIX}, fill_step=0.07, late_step=-16,
        scanners={"RBL01": (2, 2, 4), "RBL02": (1, 0, 2)}, scan_rate=(0.9, 0.9, 0.93),
        ed_sites=("RBL01",),
        endoscopy={"RBL01": 3, "RBL02": 1}, echo={"RBL01": 30, "RBL02": 8}, echo_minutes=48,
        dm01_weight=0.11, within_6=0.8, imd=(0.28, 0.17, 0.17, 0.18, 0.2)),
    "RWW": _Trust(
        {"RWW01": 12, "RWW02": 4}, _DGH_MIX, fill=1.03, late=20, gap=10, parallel=0.12, eve=0.25,
        site_mix={"RWW02": _ORTHO_MIX}, fill_trend=-0.011, late_trend=1.2,
        scanners={"RWW01": (2, 2, 3), "RWW02": (1, 0, 2)}, scan_rate=(1.08, 0.84, 1.0),
        ed_sites=("RWW01",),
        endoscopy={"RWW01": 3, "RWW02": 1}, endo_use=0.84, echo={"RWW01": 28, "RWW02": 8},
        echo_minutes=57, dm01_weight=0.1, within_6=0.82, imd=(0.22, 0.2, 0.2, 0.2, 0.18)),
    "RJR": _Trust(
        {"RJR01": 16}, {**_DGH_MIX, "Vascular Surgery": 0.07},
        fill=1.094, late=7, gap=6, parallel=0.22, eve=0.25, unused=0.02, cancel=0.01,
        scanners={"RJR01": (2, 2, 5)}, scan_rate=(1.05, 1.1, 0.95), ed_sites=("RJR01",),
        endoscopy={"RJR01": 3}, endo_use=0.92, echo={"RJR01": 32}, echo_minutes=46,
        dm01_weight=0.09, within_6=0.9, imd=(0.12, 0.18, 0.22, 0.24, 0.24)),
    "RJN": _Trust(
        {"RJN01": 10}, _DGH_MIX,
        fill=1.11, late=10, gap=8, parallel=0.15, eve=0.2, unused=0.025, cancel=0.012,
        scanners={"RJN01": (2, 2, 4)}, scan_rate=(0.88, 1.0, 1.1), ed_sites=("RJN01",),
        endoscopy={"RJN01": 2}, endo_use=0.96, echo={"RJN01": 20}, echo_minutes=41,
        dm01_weight=0.06, within_6=0.97, imd=(0.06, 0.12, 0.2, 0.27, 0.35)),
    "RBT": _Trust(
        {"RBT01": 12, "RBT02": 2}, _DGH_MIX, fill=1.12, late=15, gap=14, parallel=0.05, eve=0.2,
        site_mix={"RBT02": _DAY_SURGERY_MIX},
        scanners={"RBT01": (2, 2, 4), "RBT02": (1, 0, 1)}, scan_rate=(0.95, 0.86, 0.98),
        ed_sites=("RBT01",), mri_step=4.0,
        endoscopy={"RBT01": 3}, endo_use=0.82, echo={"RBT01": 26}, echo_minutes=55,
        dm01_weight=0.09, within_6=0.82, imd=(0.1, 0.18, 0.24, 0.25, 0.23)),
    "RBS": _Trust(
        {"RBS01": 10},
        {"Paediatric Surgery": 0.3, "Paediatric Urology": 0.12, "Paediatric ENT": 0.15,
         "Paediatric Orthopaedics": 0.15, "Plastic Surgery": 0.1, "Neurosurgery": 0.08,
         "Paediatric Cardiac Surgery": 0.1},
        fill=1.1, late=26, gap=16, parallel=0.05, unused=0.045,
        scanners={"RBS01": (1, 2, 2)}, scan_rate=(0.8, 0.75, 0.9), ed_sites=("RBS01",),
        dm01_weight=0.06, within_6=0.85,
        tests=("MRI", "CT", "NON_OBSTETRIC_ULTRASOUND", "AUDIOLOGY_ASSESSMENTS",
               "ECHOCARDIOGRAPHY", "PERIPHERAL_NEUROPHYS", "SLEEP_STUDIES", "URODYNAMICS",
               "COLONOSCOPY", "CYSTOSCOPY", "GASTROSCOPY")),
    "RBQ": _Trust(
        {"RBQ01": 6}, {"Cardiac Surgery": 0.7, "Thoracic Surgery": 0.3},
        fill=1.095, late=12, gap=15, parallel=0.15, unused=0.025, cancel=0.012,
        scanners={"RBQ01": (2, 1, 0)}, scan_rate=(1.05, 0.7, 1.0),
        echo={"RBQ01": 60}, echo_minutes=42, dm01_weight=0.04, within_6=0.95,
        tests=("MRI", "CT", "ECHOCARDIOGRAPHY", "ELECTROPHYSIOLOGY", "SLEEP_STUDIES")),
    "RET": _Trust(
        {"RET01": 6}, {"Neurosurgery": 0.6, "Spinal Surgery": 0.4},
        fill=1.03, late=14, gap=14, parallel=0.1, cancel=0.015,
        scanners={"RET01": (1, 2, 0)},
        dm01_weight=0.03, within_6=0.94, tests=("MRI", "CT", "PERIPHERAL_NEUROPHYS")),
    "REP": _Trust(
        {"REP01": 5}, {"Gynaecology": 0.6, "Obstetrics": 0.4},
        fill=1.1, late=24, gap=16, parallel=0.0, unused=0.05, cancel=0.035,
        scanners={"REP01": (0, 1, 2)}, scan_rate=(1.0, 0.9, 1.1),
        dm01_weight=0.02, within_6=0.96,
        tests=("MRI", "NON_OBSTETRIC_ULTRASOUND", "URODYNAMICS", "CYSTOSCOPY")),
    "REN": _Trust(
        {"REN01": 1}, {"Clinical Oncology": 1.0}, fill=1.0, late=25, gap=10, parallel=0.0,
        scanners={"REN01": (1, 1, 0), "REN02": (1, 0, 0)}, scan_rate=(0.95, 0.85, 1.0),
        dm01_weight=0.01, within_6=0.98, tests=("MRI", "CT")),
}
# fmt: on


@dataclass(frozen=True, eq=False)
class DemoFrames:
    """Every synthetic source, in the normalised shapes of :mod:`productivity.schema`."""

    lists: pd.DataFrame  # schema.LIST_COLUMNS
    cases: pd.DataFrame  # schema.CASE_COLUMNS
    imaging: pd.DataFrame  # schema.IMAGING_COLUMNS
    endoscopy: pd.DataFrame  # schema.ENDOSCOPY_COLUMNS
    echo: pd.DataFrame  # schema.ECHO_COLUMNS
    dm01: pd.DataFrame  # schema.DM01_COLUMNS
    dm01_imd: pd.DataFrame  # DM01_IMD_COLUMNS

    def tables(self) -> dict[str, pd.DataFrame]:
        """The frames by name, in a stable order (lists before cases)."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


# --------------------------------------------------------------------------------------------
# Small helpers


def _rng(seed: int, *names: str) -> np.random.Generator:
    """An independent generator for one source/trust, keyed by name rather than by order."""
    key = tuple(zlib.crc32(name.encode()) for name in names)
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=key))


def _month(value: str) -> np.datetime64:
    try:
        return np.datetime64(value, "M")
    except ValueError as exc:
        raise ValueError(f"month must look like 'YYYY-MM', got {value!r}") from exc


def _window(months: int, end_month: str | None, start_month: str | None) -> np.ndarray:
    """The calendar months of the window (datetime64[M]), oldest first."""
    if months < 1:
        raise ValueError(f"months must be at least 1, got {months}")
    if start_month is not None:
        return _month(start_month) + np.arange(months)
    return _month(end_month or DEMO_END_MONTH) - np.arange(months)[::-1]


def _days(window: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every day of the window as int days since 1970, and its month's index in the window."""
    first = window[0].astype("datetime64[D]").astype(np.int64)
    last = (window[-1] + 1).astype("datetime64[D]").astype(np.int64)
    days = np.arange(first, last)
    month = days.astype("datetime64[D]").astype("datetime64[M]") - window[0]
    return days, month.astype(np.int64)


def _weekday(days: np.ndarray) -> np.ndarray:
    return (days + 3) % 7  # 1970-01-01 was a Thursday; Monday = 0


def _working(days: np.ndarray) -> np.ndarray:
    return (_weekday(days) < 5) & ~np.isin(days, _BANK_HOLIDAYS)


def _take(
    categories: tuple[str, ...] | list[str], codes: np.ndarray
) -> pd.api.extensions.ExtensionArray:
    """Categories by integer code as pandas' ``str`` dtype; code -1 gives a missing value."""
    return pd.array(list(categories), dtype="str").take(codes, allow_fill=True)


def _ascii(buf: np.ndarray, valid: np.ndarray | None = None) -> pd.api.extensions.ExtensionArray:
    """Rows of an (n, width) uint8 ASCII buffer as a ``str`` array, missing where not ``valid``.

    Building the Arrow buffers directly is ~20x faster than formatting strings row by row, which
    matters at national scale (12 million case ids).
    """
    n, width = buf.shape
    try:
        import pyarrow as pa
    except ImportError:  # pragma: no cover - pandas' str dtype normally brings pyarrow
        values = np.ascontiguousarray(buf).view(f"S{width}").ravel().astype(f"U{width}")
        out = values.astype(object)
        if valid is not None:
            out[~valid] = None
        return pd.array(out, dtype="str")
    large = n * width >= 2**31 - 1
    offsets = np.arange(n + 1, dtype=np.int64 if large else np.int32) * width
    bitmap = None if valid is None else pa.py_buffer(np.packbits(valid, bitorder="little"))
    array_type = pa.LargeStringArray if large else pa.StringArray
    arrow = array_type.from_buffers(
        n, pa.py_buffer(offsets), pa.py_buffer(np.ascontiguousarray(buf)), bitmap
    )
    return pd.array(arrow, dtype="str")


_DIGIT_PAIRS = np.array([[48 + i // 10, 48 + i % 10] for i in range(100)], dtype=np.uint8)


def _digits(values: np.ndarray, width: int) -> np.ndarray:
    """Zero-padded decimal digits of non-negative integers as an (n, width) uint8 buffer.

    ``width`` is even: two digits at a time from a lookup table.
    """
    pairs = [_DIGIT_PAIRS[(values // 10**p) % 100] for p in range(width - 2, -1, -2)]
    return np.concatenate(pairs, axis=1)


def _minutes(values: pd.Series) -> np.ndarray:
    """Datetimes as int64 minutes since 1970 (NaT stays the int64 minimum)."""
    return values.to_numpy(dtype="datetime64[ns]").astype("datetime64[m]").astype(np.int64)


def _datetimes(minutes: np.ndarray) -> np.ndarray:
    """Int64 minutes since 1970 (``_NAT`` for missing) as datetime64[us], converted in place:
    pass an array nobody else holds."""
    nat = minutes == _NAT
    minutes *= 60_000_000
    minutes[nat] = _NAT
    return minutes.view("datetime64[us]")


def _format_minutes(minutes: np.ndarray, part: str) -> pd.api.extensions.ExtensionArray:
    """Minutes since 1970 as ``YYYY-MM-DDTHH:MM`` (part "datetime"), ``YYYY-MM-DD`` or ``HH:MM``."""
    valid = minutes != _NAT
    m = np.where(valid, minutes, 0)
    day = m // 1440
    hour, minute = divmod(m - day * 1440, 60)
    d64 = day.astype("datetime64[D]")
    month_start = d64.astype("datetime64[M]")
    year = month_start.astype("datetime64[Y]").astype(np.int64) + 1970
    month = month_start.astype(np.int64) % 12 + 1
    dom = (d64 - month_start.astype("datetime64[D]")).astype(np.int64) + 1

    def char(c: str) -> np.ndarray:
        return np.full((m.size, 1), ord(c), dtype=np.uint8)

    date = [_digits(year, 4), char("-"), _digits(month, 2), char("-"), _digits(dom, 2)]
    time = [_digits(hour, 2), char(":"), _digits(minute, 2)]
    pieces = {"date": date, "time": time, "datetime": [*date, char("T"), *time]}[part]
    return _ascii(np.concatenate(pieces, axis=1), None if valid.all() else valid)


def _alloc(total: int, weights: np.ndarray) -> np.ndarray:
    """Split ``total`` into integers proportional to ``weights`` (largest remainder), each >= 1."""
    raw = weights / weights.sum() * (total - weights.size)
    counts = np.floor(raw).astype(np.int64)
    short = total - weights.size - counts.sum()
    counts[np.argsort(counts - raw, kind="stable")[:short]] += 1
    return counts + 1


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
    return total - total[start] + values[start]


def _spec_weights(mix: dict[str, float]) -> np.ndarray:
    return np.array([mix.get(name, 0.0) for name in _SPEC_NAMES])


# --------------------------------------------------------------------------------------------
# Theatres


def _synthetic_code(i: int) -> str:
    """Synthetic trust codes X01, X02, ... XZZ: three characters like an ODS code."""
    digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    return "X" + digits[(i + 1) // 36] + digits[(i + 1) % 36]


def _synthetic_trust(rng: np.random.Generator, code: str, size: int) -> _Trust:
    """A district general trust with random but plausible parameters (for the scale frames)."""
    sites = {
        f"{code}{i + 1:02d}": int(n) for i, n in enumerate(_alloc(size, np.ones(-(-size // 12))))
    }
    ct, mri, nous = rng.uniform(0.8, 1.15, 3)
    return _Trust(
        sites, _DGH_MIX, fill=float(rng.uniform(1.0, 1.12)), late=float(rng.uniform(5, 28)),
        gap=float(rng.uniform(5, 18)), parallel=float(rng.uniform(0, 0.25)), eve=0.25,
        cancel=float(rng.uniform(0.01, 0.035)), scanners={f"{code}01": (1, 1, 1)},
        scan_rate=(float(ct), float(mri), float(nous)), ed_sites=(f"{code}01",),
    )  # fmt: skip


def _scale_trusts(
    seed: int, n_units: int, trusts: int | None, unit: str
) -> list[tuple[str, _Trust, int]]:
    """Demo trusts first, then synthetic ones; ``n_units`` theatres or scanners split among them."""
    if n_units < 1:
        raise ValueError(f"need at least one {unit}, got {n_units}")
    n_trusts = trusts if trusts is not None else max(1, round(n_units / 20))
    if not 1 <= n_trusts <= min(n_units, len(_TRUSTS) + 36 * 36 - 2):
        raise ValueError(f"trusts must be between 1 and the number of {unit}s, got {n_trusts}")
    rng = _rng(seed, "scale", unit)
    demo = [(c, t) for c, t in _TRUSTS.items() if _units(t, unit) > 0][:n_trusts]
    sizes = rng.lognormal(np.log(20), 0.5, n_trusts - len(demo))
    counts = _alloc(n_units, np.array([_units(t, unit) for _, t in demo] + list(sizes)))
    made = [
        (code, _synthetic_trust(rng, code, int(n)))
        for code, n in zip(
            map(_synthetic_code, range(sizes.size)), counts[len(demo) :], strict=True
        )
    ]
    return [(code, trust, int(n)) for (code, trust), n in zip(demo + made, counts, strict=True)]


def _units(trust: _Trust, unit: str) -> int:
    if unit == "theatre":
        return sum(trust.theatres.values())
    return sum(sum(c) for c in trust.scanners.values())


def _spread(units: list[tuple[str, int]], n: int) -> list[tuple[str, int, int]]:
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


def _month_effects(
    trust: _Trust, n_months: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Per month of the window: the trust's fill and late-start mean, with the planted signals."""
    rel = np.arange(n_months) - (n_months - 1)  # 0 = the last month
    after = rel > -_STEP_MONTHS
    ago = -np.maximum(rel, -(_TREND_MONTHS - 1))  # months before the end, within the trend
    fill = trust.fill + rng.normal(0, 0.012, n_months) + after * trust.fill_step
    fill = fill - trust.fill_trend * ago
    late = trust.late + after * trust.late_step - trust.late_trend * ago
    return fill, np.maximum(late, 3.0)


def _sessions(
    rng: np.random.Generator, trust: _Trust, slots: list[tuple[str, int, int]], days: np.ndarray
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

    work = _working(days)[None, :]
    weekday = _weekday(days)[None, :]
    u = rng.random((n_th, days.size))
    v = (u - 0.06) / 0.94  # 6% of weekday theatre-days closed (maintenance, no staff)
    p_all = np.where(long, 0.85, 0.1)
    day_all = work & (u >= 0.06) & (v < p_all)
    am_only = (v >= p_all) & (v < p_all + 0.06)
    pm_only = (v >= p_all + 0.06) & (v < p_all + 0.11)
    open_ = work & (u >= 0.06) & ~day_all
    w = rng.random((n_th, days.size))
    weekend = ((weekday == 5) & (w < 0.03)) | ((weekday == 6) & (w < 0.005))
    weekend &= ~np.isin(days, _BANK_HOLIDAYS)[None, :]
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
    rng: np.random.Generator, trust: _Trust, lists: dict[str, np.ndarray], fill: np.ndarray,
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
        times[name] = np.full(total, _NAT)
        times[name][is_done] = np.floor(values + 0.5)  # whole minutes, as theatre systems record
        times[name][cancelled] = _NAT
    times["anaesthetic_start"][rng.random(total) < 0.01] = _NAT  # for the data-quality report

    case_list, case_spec = lc[rows], cs[rows]
    u = rng.random(total)
    p_emerg = np.where(is_eve[case_list], 0.9, _SPEC_EMERG[case_spec])
    p_day = p_emerg + (1 - p_emerg) * _SPEC_DAYCASE[case_spec]
    code = _CODE_FIRST[case_spec] + (rng.random(total) ** 1.5 * _CODE_N[case_spec]).astype(int)
    return {
        "case_list": case_list, "case_specialty": case_spec, "procedure_code": code,
        "priority": np.where(u < p_emerg, 2, np.where(u < p_day, 1, 0)),
        **times, "cancelled": cancelled, "cancel_reason": reason, "cancel_clinical": clinical,
    }  # fmt: skip


def _theatre_trust(
    rng: np.random.Generator, trust: _Trust, n_theatres: int, days: np.ndarray,
    day_month: np.ndarray, site_index: dict[str, int],
) -> dict[str, np.ndarray]:  # fmt: skip
    """Lists and cases of one trust as arrays (vectorised over theatres, days, lists and cases)."""
    units = [(site, 0) for site, n in trust.theatres.items() for _ in range(n)]
    slots = _spread(units, n_theatres)
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
            "trust_code": _take(codes, list_trust),
            "site": _take(sites, cat.pop("site")),
            "theatre": _take([f"Theatre {i + 1}" for i in range(n_th)], cat.pop("theatre")),
            "session_date": _datetimes(cat.pop("session_date") * 1440),
            "session": _take(schema.SESSIONS, cat.pop("session")),
            "specialty": _take(_SPEC_NAMES, cat.pop("specialty")),
            "planned_start": _datetimes(cat.pop("planned_start")),
            "planned_end": _datetimes(cat.pop("planned_end")),
        },
        copy=False,
    )
    list_id = cat.pop("case_list") + (np.cumsum(n_lists) - n_lists)[case_trust] + 1
    # Case ids: trust code, dash, 8-digit running number within the trust ("REM-00001234").
    trust_bytes = np.frombuffer("".join(codes).encode("ascii"), dtype=np.uint8).reshape(-1, 3)
    within = np.arange(n_cases.sum()) - (np.cumsum(n_cases) - n_cases)[case_trust] + 1
    dash = np.full((within.size, 1), ord("-"), dtype=np.uint8)
    case_id = _ascii(np.concatenate([trust_bytes[case_trust], dash, _digits(within, 8)], axis=1))
    del within, case_trust
    columns = {
        "list_id": list_id,
        "case_id": case_id,
        "specialty": _take(_SPEC_NAMES, cat.pop("case_specialty")),
        "procedure_code": _take(_CODES, cat.pop("procedure_code")),
        "priority": _take(schema.PRIORITIES, cat.pop("priority")),
    }
    for name in ("anaesthetic_start", "into_theatre", "knife_to_skin", "out_of_theatre"):
        columns[name] = _datetimes(cat.pop(name))
    columns["cancelled"] = cat.pop("cancelled")
    columns["cancel_reason"] = _take(_REASONS, cat.pop("cancel_reason"))
    columns["cancel_clinical"] = cat.pop("cancel_clinical")
    return lists, pd.DataFrame(columns, copy=False)


def _theatres(
    seed: int, plan: list[tuple[str, _Trust, int]], window: np.ndarray
) -> tuple[pd.DataFrame, pd.DataFrame]:
    days, day_month = _days(window)
    sites = sorted({s for _, t, _ in plan for s in t.theatres})
    site_index = {s: i for i, s in enumerate(sites)}
    parts = [
        (code, _theatre_trust(_rng(seed, "theatre", code), trust, n, days, day_month, site_index))
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
    window = _window(months, None, start_month)
    return _theatres(seed, _scale_trusts(seed, n_theatres, trusts, "theatre"), window)


# --------------------------------------------------------------------------------------------
# Diagnostics


def _imaging_trust(
    rng: np.random.Generator,
    trust: _Trust,
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
    for site, k, number in _spread(units, n_scanners):
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
    weekday = _weekday(days)
    holiday = np.isin(days, _BANK_HOLIDAYS)
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
    after = (day_month > day_month.max() - _STEP_MONTHS)[None, :]
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


def _imaging(seed: int, plan: list[tuple[str, _Trust, int]], window: np.ndarray) -> pd.DataFrame:
    days, day_month = _days(window)
    bench = _national_scan_rates()
    codes, names, frames = [], [], []
    for code, trust, n in plan:
        if n == 0:
            continue
        scanner_names, part = _imaging_trust(
            _rng(seed, "imaging", code), trust, n, days, day_month, bench
        )
        part["scanner"] = part["scanner"] + len(names)
        part["trust"] = np.full(part["scanner"].size, len(codes))
        codes.append(code)
        names += scanner_names
        frames.append(part)
    cat = {k: np.concatenate([f[k] for f in frames]) for k in frames[0]}
    return pd.DataFrame(
        {
            "trust_code": _take(codes, cat["trust"]),
            "site": _take([s.rsplit("-", 1)[0] for s in names], cat["scanner"]),
            "scanner_id": _take(names, cat["scanner"]),
            "modality": _take(schema.MODALITIES, cat["modality"]),
            "date": _datetimes(cat["date"] * 1440),
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
    window = _window(months, None, start_month)
    return _imaging(seed, _scale_trusts(seed, n_scanners, trusts, "scanner"), window)


def _endoscopy(seed: int, window: np.ndarray) -> pd.DataFrame:
    """Endoscopy lists at the acute trusts: AM and PM per room per working day, 12 points."""
    days, _ = _days(window)
    days = days[_working(days)]
    frames = []
    for code, trust in _TRUSTS.items():
        rng = _rng(seed, "endoscopy", code)
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
                    "date": _datetimes(days[di] * 1440),
                    "session": np.array(["AM", "PM"])[session],
                    "planned_points": planned.astype(np.int64),
                    "used_points": used,
                    "procedures": used - colonoscopies,
                }
            )
        )
    return pd.concat(frames, ignore_index=True)[list(schema.ENDOSCOPY_COLUMNS)]


def _echo(seed: int, window: np.ndarray) -> pd.DataFrame:
    """Echo at the acute trusts and RBQ: tests and scheduled minutes per site per working day."""
    days, _ = _days(window)
    days = days[_working(days)]
    frames = []
    for code, trust in _TRUSTS.items():
        rng = _rng(seed, "echo", code)
        for site, per_day in trust.echo.items():
            tests = np.maximum(1, rng.poisson(per_day, days.size))
            minutes = tests * trust.echo_minutes * np.exp(rng.normal(0, 0.05, days.size))
            frames.append(
                pd.DataFrame(
                    {
                        "trust_code": code,
                        "site": site,
                        "date": _datetimes(days * 1440),
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


def _dm01(seed: int, window: np.ndarray, imaging: pd.DataFrame, echo: pd.DataFrame) -> pd.DataFrame:
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
    for code, trust in _TRUSTS.items():
        base = 6 / -np.log(1 - trust.within_6)
        waits = np.array([base * _TEST_WAIT[t] for t in _ALL_TESTS])
        mean_weeks[code] = waits[None, :] * (1 + 0.01 * ago[:, None])  # waits improve ~1%/month
    activity_of: dict[tuple[str, str], np.ndarray] = {}  # measured activity by month
    waiting_of: dict[tuple[str, str], np.ndarray] = {}  # Little's law waiting list by month
    monthly = monthly.reindex(columns=periods, fill_value=0)
    for (code, test), row in monthly.iterrows():
        activity = row.to_numpy(dtype=np.int64)
        weekly = activity.mean() / (1 + sum(_ACTIVITY_MIX[test])) / _WEEKS_PER_MONTH
        activity_of[code, test] = activity
        waiting_of[code, test] = weekly * mean_weeks[code][:, _ALL_TESTS.index(test)]
    left = _DM01_SYSTEM_WAITING - sum(v.mean() for v in waiting_of.values())
    share = {
        (c, t): tr.dm01_weight * _TEST_SHARE[t]
        for c, tr in _TRUSTS.items()
        for t in tr.tests
        if (c, t) not in waiting_of
    }
    scale = max(left, 0.3 * _DM01_SYSTEM_WAITING) / sum(share.values())
    rows = []
    for code, trust in _TRUSTS.items():
        rng = _rng(seed, "dm01", code)
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
                _datetimes(window.astype("datetime64[D]").astype(np.int64) * 1440), len(rows)
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


def _dm01_imd(seed: int, dm01: pd.DataFrame) -> pd.DataFrame:
    """Each provider x test x month waiting list split into IMD quintiles (1 = most deprived).

    Each band is shared among quintiles by the trust's catchment; where ``imd_gradient`` is set
    (REM, RBN) the longer bands lean towards the more deprived quintiles.
    """
    rng = _rng(seed, "dm01_imd")
    bands = dm01[list(schema.DM01_BANDS)].to_numpy(dtype=np.int64)
    codes = dm01["provider_code"].to_numpy(dtype=object)
    catchment = np.array([_TRUSTS[c].imd for c in codes])
    gradient = np.array([_TRUSTS[c].imd_gradient for c in codes])
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


# --------------------------------------------------------------------------------------------
# Public entry points


def build_frames(seed: int = 1, months: int = 12, end_month: str = DEMO_END_MONTH) -> DemoFrames:
    """The whole demo: the 12 trusts' theatres, imaging, endoscopy, echo, DM01 and IMD lens.

    ``months`` whole calendar months ending with ``end_month``. The same arguments always give
    identical frames.

    Raises:
        ValueError: for fewer than one month or a malformed ``end_month``.
    """
    window = _window(months, end_month, None)
    theatres = [(code, trust, _units(trust, "theatre")) for code, trust in _TRUSTS.items()]
    scanners = [(code, trust, _units(trust, "scanner")) for code, trust in _TRUSTS.items()]
    lists, cases = _theatres(seed, theatres, window)
    imaging = _imaging(seed, scanners, window)
    echo = _echo(seed, window)
    dm01 = _dm01(seed, window, imaging, echo)
    return DemoFrames(
        lists=lists,
        cases=cases,
        imaging=imaging,
        endoscopy=_endoscopy(seed, window),
        echo=echo,
        dm01=dm01,
        dm01_imd=_dm01_imd(seed, dm01),
    )


def theatre_extract(lists: pd.DataFrame, cases: pd.DataFrame) -> pd.DataFrame:
    """The canonical theatre extract of SPEC §3: one row per case, as a trust would send it.

    A list with no cases becomes one row with empty (missing) case fields. ``planned_start`` and
    ``planned_end`` are ``HH:MM``, ``session_date`` is ``YYYY-MM-DD``, milestones are
    ``YYYY-MM-DDTHH:MM`` (missing when absent), and ``cancelled``/``cancel_clinical`` are
    ``Y``/``N``. Rows follow the lists' order, and each list's cases their order in ``cases``.
    Vectorised, so it also renders the national-scale frames.
    """
    at = pd.Index(lists["list_id"]).get_indexer(cases["list_id"])
    if (at < 0).any():
        raise ValueError("cases refer to list_ids that are not in lists")
    counts = np.bincount(at, minlength=len(lists))
    rows = np.repeat(np.arange(len(lists)), np.maximum(counts, 1))
    take = np.full(rows.size, -1)
    take[counts[rows] > 0] = np.argsort(at, kind="stable")
    has = take >= 0

    def case_text(column: str) -> pd.api.extensions.ExtensionArray:
        return pd.array(cases[column], dtype="str").take(take, allow_fill=True)

    def flag(column: str) -> pd.api.extensions.ExtensionArray:
        yn = np.where(cases[column].to_numpy(dtype=bool), 1, 0)
        return _take(("N", "Y"), np.where(has, yn[np.maximum(take, 0)], -1))

    def stamp(column: str) -> pd.api.extensions.ExtensionArray:
        values = _minutes(cases[column])[np.maximum(take, 0)]
        return _format_minutes(np.where(has, values, _NAT), "datetime")

    list_text = {
        c: pd.array(lists[c], dtype="str").take(rows)
        for c in ("trust_code", "site", "theatre", "session")
    }
    specialty = pd.Series(case_text("specialty")).fillna(
        pd.Series(pd.array(lists["specialty"], dtype="str").take(rows))
    )
    out = pd.DataFrame(
        {
            **list_text,
            "session_date": _format_minutes(_minutes(lists["session_date"])[rows], "date"),
            "planned_start": _format_minutes(_minutes(lists["planned_start"])[rows], "time"),
            "planned_end": _format_minutes(_minutes(lists["planned_end"])[rows], "time"),
            "specialty": specialty,
            **{c: case_text(c) for c in ("case_id", "procedure_code", "priority")},
            **{
                c: stamp(c)
                for c in ("anaesthetic_start", "into_theatre", "knife_to_skin", "out_of_theatre")
            },
            "cancelled": flag("cancelled"),
            "cancel_reason": case_text("cancel_reason"),
            "cancel_clinical": flag("cancel_clinical"),
        }
    )
    return out[list(schema.THEATRE_COLUMNS)]
