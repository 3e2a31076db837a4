"""The demo's report and board-pack text, pinned so a refactor can prove it changed nothing.

``tests/test_golden_outputs.py`` compares these outputs on the 3-month demo store with the files
in ``tests/golden/``. A change that *means* to alter a figure regenerates them, on a fresh
3-month demo (seed 1), and the diff of ``tests/golden/`` shows what moved:

    python -m tests.golden_outputs
"""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

GOLDEN = Path(__file__).resolve().parent / "golden"
ROOT = GOLDEN.parent.parent
PACK_PERIOD = "2026-10"  # the 3-month demo's last month
# When the store was built and the pack produced: the only text that differs run to run.
STAMP = re.compile(rb"(Data as of|produced) \d{2} \w{3} \d{4}( \d{2}:\d{2})?")


def _cli(url: str, *args: str) -> bytes:
    env = {**os.environ, "DATABASE_URL": url}
    env.pop("PRODUCTIVITY_BENCHMARKS", None)
    return subprocess.run(
        [sys.executable, "-m", "productivity", *args],
        cwd=ROOT, env=env, capture_output=True, check=True,
    ).stdout  # fmt: skip


def outputs(url: str) -> dict[str, bytes]:
    """``report theatre --by trust``, ``report dm01`` (CSV) and the board pack's text."""
    from pypdf import PdfReader

    with tempfile.TemporaryDirectory() as folder:
        pdf = Path(folder) / "pack.pdf"
        _cli(url, "pack", "--period", PACK_PERIOD, "--format", "pdf", "--output", str(pdf))
        reader = PdfReader(io.BytesIO(pdf.read_bytes()))
        pack_text = "\n\f\n".join(page.extract_text() for page in reader.pages)
    return {
        "report_theatre_by_trust.csv": _cli(url, "report", "theatre", "--by", "trust"),
        "report_dm01.csv": _cli(url, "report", "dm01"),
        "pack.txt": STAMP.sub(rb"\1 <stamp>", pack_text.encode()),
    }


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'demo.db'}"
        _cli(url, "demo", "--months", "3", "--seed", "1")
        GOLDEN.mkdir(exist_ok=True)
        for name, content in outputs(url).items():
            (GOLDEN / name).write_bytes(content)
            print(f"wrote tests/golden/{name} ({len(content):,} bytes)")


if __name__ == "__main__":
    main()
