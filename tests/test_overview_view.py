"""The Overview's shaping: labels that never round onto the benchmark, periods, peer ranking."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from productivity.benchmarks import load_benchmarks
from productivity.store import marts
from productivity.views import overview as ov, overview_outliers as oo

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(
    ("value", "benchmark", "shown"),
    [
        (0.845, 0.85, 84.5),  # 1 decimal already reads short of 85
        (0.8496, 0.85, 84.96),  # 85.0 would read as meeting it: one more decimal
        (0.84996, 0.85, 84.996),  # and another
        (0.85, 0.85, 85.0),  # exactly on it meets it
        (0.8504, 0.85, 85.0),  # above, rounding down onto it still reads as meeting it
        (0.9, float("nan"), 90.0),  # no benchmark: plain 1 decimal
    ],
)
def test_a_value_never_rounds_across_its_benchmark(value, benchmark, shown):
    got = oo.shown_percent(pd.Series([value]), pd.Series([benchmark]))
    assert got.iloc[0] == pytest.approx(shown)


def test_a_ratio_just_short_of_1_keeps_its_digits():
    got = oo.shown_apart(pd.Series([0.998, 1.0, 1.234]), pd.Series([1.0] * 3), digits=2)
    assert got.tolist() == [0.998, 1.0, 1.23]


def test_bar_labels_show_84_5_against_85_not_85():
    card = pd.DataFrame(
        {"opportunity": [1234.0, 10.0, 5.0], "capped_utilisation": [0.845, 0.8496, None]}
    )
    labels = ov.gap_labels(card, "theatre", load_benchmarks(override=None)).tolist()
    assert labels == ["1,234 · 84.5% vs 85%", "10 · 84.96% vs 85%", "5"]


def test_period_text_names_the_months_a_total_covers():
    months = ("2026-01", "2026-02", "2026-03", "2026-04")
    assert ov.period_text(marts.Period("2026-02", "2026-04"), months) == (
        "Feb 2026 – Apr 2026 (3 months)"
    )
    assert ov.period_text(marts.Period("2026-04", "2026-04"), months) == "Apr 2026 (1 month)"


def test_headline_tiles_are_the_tables_totals_for_the_period():
    card = pd.DataFrame(
        {
            "realisable_additional_cases": [600.0, 95.0],  # 695 in 3 months
            "additional_scans": [10.0, None],
            "dm01_waiting_6_plus": [40, 2],
        }
    )
    months = ("2026-01", "2026-02", "2026-03")
    cases, scans, waiting = ov.headline_tiles(
        card, marts.Period(), months, load_benchmarks(override=None)
    )
    assert cases.label == "Additional theatre cases (realisable), Jan 2026 – Mar 2026 (3 months)"
    assert cases.value == "695"
    assert "about 2,780 a year at this rate" in cases.help  # 695 × 12 / 3
    assert scans.value == "10"
    assert waiting.label.endswith("Mar 2026 (1 month)") and waiting.value == "42"


def test_ranking_within_a_peer_group_reranks_from_1():
    card = pd.DataFrame(
        {
            "trust_code": ["RBS", "RBL", "RWW"],
            "realisable_additional_cases": [900.0, 500.0, 100.0],
            "pooled_additional_cases": [950.0, 520.0, 110.0],
            "additional_scans": [0.0, 0.0, 0.0],
            "completed_cases": [1000.0, 1000.0, 1000.0],
        }
    )
    ranked = ov.peer_ranking(card, "acute", "theatre", "absolute")
    assert ranked["trust_code"].tolist() == ["RBL", "RWW"]
    assert ranked["rank"].tolist() == [1, 2]
    assert ranked["trust_label"].tolist() == [
        "Wirral University Teaching Hospital (RBL)",
        "Warrington and Halton Teaching Hospitals (RWW)",
    ]
    table = ov.ranking_table(ranked)
    assert list(table.columns[:3]) == ["Rank", "Trust", "Peer group"]
    assert set(table["Peer group"]) == {"Acute"}
    everyone = ov.peer_ranking(card, None, "theatre", "absolute")
    assert everyone["peer_label"].tolist() == ["Children's", "Acute", "Acute"]


def test_peer_options_list_only_groups_present():
    assert oo.peer_options(["RBL", "RBS", "RWW"]) == ["All trusts", "Acute", "Children's"]
    assert oo.peer_key("Children's") == "children" and oo.peer_key("All trusts") is None


def test_no_module_or_page_of_the_overview_merges_the_judgements_into_one_outlier_word():
    owned = [
        "pages/Overview.py",
        "productivity/views/overview.py",
        "productivity/views/overview_outliers.py",
        "productivity/stats/outliers.py",
        "productivity/charts/statistics.py",
        "productivity/charts/comparison.py",
    ]
    for path in owned:
        assert "⚠ outlier" not in (ROOT / path).read_text(encoding="utf-8"), path
