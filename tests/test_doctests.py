"""Every ``>>>`` example in the package's docstrings runs and shows what it says.

Modules are found with ``pkgutil`` (as in test_layering), so a new example is checked the day it
is written; an example that cannot run as a doctest belongs in a test instead.
"""

from __future__ import annotations

import doctest
import importlib
import importlib.util
import pkgutil
from pathlib import Path

import pytest

import productivity


def modules_with_examples() -> list[str]:
    names = ["productivity"]
    names += [m.name for m in pkgutil.walk_packages(productivity.__path__, "productivity.")]
    found = []
    for name in sorted(names):
        spec = importlib.util.find_spec(name)
        assert spec is not None and spec.origin is not None
        if ">>>" in Path(spec.origin).read_text(encoding="utf-8"):
            found.append(name)
    return found


@pytest.mark.parametrize("name", modules_with_examples())
def test_docstring_examples_run(name: str):
    module = importlib.import_module(name)
    failed, tried = doctest.testmod(module, optionflags=doctest.ELLIPSIS, verbose=False)
    assert tried, f"{name} has '>>>' but no example doctest could find"
    assert failed == 0, f"{failed} of {tried} examples in {name} failed (see the output above)"
