"""The diagnostic modalities: what each one measures, against which benchmark, from which data.

>>> modality("MRI").benchmark, modality("MRI").column, modality("MRI").unit
('mri_scans_per_hour', 'scans_per_hour', 'scanner')
>>> [m.key for m in MODALITIES]
['CT', 'MRI', 'NOUS', 'Endoscopy', 'Echo']
>>> for_test("GASTROSCOPY").key
'Endoscopy'

A :class:`Modality` is one of CT, MRI, non-obstetric ultrasound, endoscopy and echo. It says
which activity holds its rows (``imaging``, ``endoscopy`` or ``echo``: a store reader turns that
into a mart), its productivity column in the reports and the scorecard (keys of
:mod:`productivity.columns`), its benchmark key, the DM01 tests its capacity serves, the finest
unit its distribution shows, its additional activity at the benchmark, and the metric function
that summarises its rows. Pages, views, mutual aid and the page filter all read this registry
rather than testing a modality's name. Pure: no Streamlit, no store.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pandas as pd

from productivity.benchmarks import SCAN_RATE_KEYS, Benchmarks, check_basis
from productivity.metrics import diagnostics
from productivity.schema import MODALITY_DM01_TEST


def scans_at_benchmark(
    rows: pd.DataFrame, by: Sequence[str], benchmarks: Benchmarks, basis: str = "national"
) -> pd.DataFrame:
    """Scans per hour and the additional scans at benchmark per group of imaging rows.

    The one place the benchmark basis is applied (every page, report and the CLI call it):
    ``national`` holds every trust to the benchmark file's national rate (SPEC §4, pooled
    within each group and modality); ``peer`` holds each trust to its own peer group's rate
    where the file sets one (:meth:`Benchmarks.trust_scan_rates`), computing the additional
    scans per trust × modality (× ``by``'s other keys, such as month) at that trust's rate
    and summing them to the group, never from a pooled rate. See
    :func:`productivity.metrics.diagnostics.scans_per_hour`.

    Raises:
        ValueError: an unknown basis, or a column the metric needs is missing.
    """
    check_basis(basis)
    national = benchmarks.scan_rates()
    if basis == "national":
        return diagnostics.scans_per_hour(rows, by, benchmark_rates=national)
    own = benchmarks.trust_scan_rates(rows["trust_code"].unique(), basis)
    return diagnostics.scans_per_hour(rows, by, benchmark_rates=national, trust_rates=own)


def _imaging(rows: pd.DataFrame, by: list[str], benchmarks: Benchmarks, basis: str) -> pd.DataFrame:
    return scans_at_benchmark(rows, by, benchmarks, basis)


# The benchmark file sets no peer-group values for endoscopy or echo (their national value
# holds for every trust), so the basis does not change them.
def _endoscopy(
    rows: pd.DataFrame, by: list[str], benchmarks: Benchmarks, basis: str
) -> pd.DataFrame:
    target = benchmarks.value(ENDOSCOPY.benchmark)
    return diagnostics.endoscopy_utilisation(rows, by, target=target)


def _echo(rows: pd.DataFrame, by: list[str], benchmarks: Benchmarks, basis: str) -> pd.DataFrame:
    minutes = benchmarks.value(ECHO.benchmark)
    return diagnostics.echo_minutes_per_test(rows, by, benchmark_minutes=minutes)


@dataclass(frozen=True)
class Modality:
    """One diagnostic modality (see the module docstring)."""

    key: str  # the page's option and URL value; the imaging mart's ``modality`` value
    name: str
    activity: str  # "imaging", "endoscopy" or "echo": the kind of rows that measure it
    benchmark: str  # the benchmark key of its productivity
    column: str  # the report column of its productivity (a catalogue key)
    scorecard: str  # the trust scorecard's column for it (a catalogue key)
    axis: str  # the productivity axis title
    dm01_tests: tuple[str, ...]  # the DM01 tests its capacity serves
    unit: str  # the finest unit its distribution shows: "scanner" or "site"
    additional: str  # the report column of additional activity at the benchmark
    additional_label: str
    metric: Callable[[pd.DataFrame, list[str], Benchmarks, str], pd.DataFrame]

    @property
    def unit_keys(self) -> list[str]:
        """The columns that name one unit of the distribution."""
        return ["trust_code", "site", *(["scanner_id"] if self.unit == "scanner" else [])]

    @property
    def imaging(self) -> bool:
        return self.activity == "imaging"

    def summarise(
        self,
        rows: pd.DataFrame,
        by: Sequence[str],
        benchmarks: Benchmarks,
        basis: str = "national",
    ) -> pd.DataFrame:
        """Its productivity per group of activity rows: a ratio of sums, from ``metrics``.

        ``basis`` (national or peer) is the benchmark basis of a scan rate
        (:func:`scans_at_benchmark`).
        """
        check_basis(basis)
        return self.metric(rows, list(by), benchmarks, basis)


def _scanner(key: str, name: str) -> Modality:
    return Modality(
        key=key,
        name=name,
        activity="imaging",
        benchmark=SCAN_RATE_KEYS[key],
        column="scans_per_hour",
        scorecard=f"{key.lower()}_scans_per_hour",
        axis=f"{key} scans per operational hour",
        dm01_tests=(MODALITY_DM01_TEST[key],),
        unit="scanner",
        additional="additional_scans",
        additional_label="Additional scans at benchmark",
        metric=_imaging,
    )


CT = _scanner("CT", "Computed tomography")
MRI = _scanner("MRI", "Magnetic resonance imaging")
NOUS = _scanner("NOUS", "Non-obstetric ultrasound")
ENDOSCOPY = Modality(
    key="Endoscopy",
    name="Endoscopy",
    activity="endoscopy",
    benchmark="endoscopy_list_utilisation",
    column="utilisation",
    scorecard="endoscopy_utilisation",
    axis="Endoscopy list utilisation (points)",
    # DM01 has no "endoscopy" test: lists serve these three together.
    dm01_tests=("COLONOSCOPY", "GASTROSCOPY", "FLEXI_SIGMOIDOSCOPY"),
    unit="site",
    additional="additional_procedures",
    additional_label="Additional procedures at benchmark",
    metric=_endoscopy,
)
ECHO = Modality(
    key="Echo",
    name="Echocardiography",
    activity="echo",
    benchmark="echo_minutes_per_test",
    column="minutes_per_test",
    scorecard="echo_minutes_per_test",
    axis="Echo minutes per test",
    dm01_tests=(MODALITY_DM01_TEST["echo"],),
    unit="site",
    additional="additional_tests",
    additional_label="Capacity released at benchmark (tests)",
    metric=_echo,
)
MODALITIES: tuple[Modality, ...] = (CT, MRI, NOUS, ENDOSCOPY, ECHO)
KEYS: tuple[str, ...] = tuple(m.key for m in MODALITIES)
# DM01 test -> the modality whose capacity serves it, in the registry's order.
BY_TEST: dict[str, Modality] = {test: m for m in MODALITIES for test in m.dm01_tests}


def modality(key: str) -> Modality:
    """The modality called ``key`` (CT, MRI, NOUS, Endoscopy, Echo).

    Raises:
        ValueError: an unknown modality.
    """
    for found in MODALITIES:
        if found.key == key:
            return found
    raise ValueError(f"modality must be one of {', '.join(KEYS)}, not {key!r}")


def for_test(test: str) -> Modality:
    """The modality whose capacity serves the DM01 ``test``.

    Raises:
        ValueError: no modality serves it.
    """
    if test not in BY_TEST:
        raise ValueError(f"no modality serves {test!r}; these do: {', '.join(BY_TEST)}")
    return BY_TEST[test]
