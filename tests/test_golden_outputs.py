"""A refactor changes no figure: the demo's reports and pack text equal ``tests/golden/``."""

from __future__ import annotations

import pytest

from tests.golden_outputs import GOLDEN, outputs


@pytest.fixture(scope="module")
def produced(demo_url: str) -> dict[str, bytes]:
    return outputs(demo_url)


@pytest.mark.parametrize("name", sorted(p.name for p in GOLDEN.iterdir()))
def test_output_is_byte_for_byte_the_golden_file(produced: dict[str, bytes], name: str):
    # Regenerate with `python -m tests.golden_outputs` only when a figure is meant to change.
    assert produced[name] == (GOLDEN / name).read_bytes()
