"""Pure modules import neither Streamlit nor the database layer (STYLE: layering)."""

from __future__ import annotations

import subprocess
import sys

import pytest

PURE = [
    "productivity.metrics.theatre", "productivity.metrics.diagnostics",
    "productivity.metrics.waits", "productivity.opportunity", "productivity.spc",
    "productivity.funnel", "productivity.schema", "productivity.errors",
    "productivity.metrics.deprivation", "productivity.scenarios", "productivity.outliers",
    "productivity.metrics.lost_time",
]  # fmt: skip


@pytest.mark.parametrize("module", PURE)
def test_pure_module_imports_no_streamlit_or_database(module: str):
    code = (
        f"import sys, {module}\n"
        "bad = [m for m in ('streamlit', 'sqlmodel', 'sqlalchemy') if m in sys.modules]\n"
        "print(','.join(bad))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "", f"{module} imports {result.stdout.strip()}"


def test_charts_import_no_streamlit():
    code = "import sys, productivity.charts; print('streamlit' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"
