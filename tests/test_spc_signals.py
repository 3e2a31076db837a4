"""spc.signals (the Overview's quick path) gives exactly xmr's two icons."""

import numpy as np
import pandas as pd
import pytest

from productivity.stats import spc
from productivity.stats.outliers import _spc_signals


@pytest.mark.parametrize("direction", spc.DIRECTIONS)
def test_signals_are_xmr_icons(direction):
    rng = np.random.default_rng(7)
    for _ in range(200):
        n = int(rng.integers(1, 30))
        values = np.round(rng.normal(0.8, 0.05, n) + rng.normal(0, 0.02) * np.arange(n), 2)
        target = None if rng.random() < 0.3 else float(rng.normal(0.8, 0.05))
        chart = spc.xmr(values, pd.date_range("2026-01-05", periods=n, freq="7D"),
                        direction=direction, target=target)  # fmt: skip
        assert spc.signals(values, direction=direction, target=target) == (
            chart.variation, chart.assurance,
        )  # fmt: skip


def test_a_repeated_week_is_refused_as_xmr_refuses_it():
    weekly = pd.DataFrame({"trust_code": "A", "week": ["2026-01-05", "2026-01-05", "2026-01-12"],
                           "value": [0.8, 0.9, 0.85]})  # fmt: skip
    with pytest.raises(ValueError, match="more than once"):
        _spc_signals(weekly, "value", "higher", pd.Series({"A": 0.85}))
    with pytest.raises(ValueError, match="infinite|SPC needs every value"):
        spc.signals(np.array([0.8, np.inf]))
