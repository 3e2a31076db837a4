"""Each layer imports only the layers beneath it (README "Architecture"; STYLE: layering).

The modules are found by walking the package with ``pkgutil``, so a new module is checked the
day it is added. Two checks: the import graph read from the source (every module, with the
chain of imports that breaks a rule), and each layer imported in a fresh interpreter (nothing
heavier slips in at run time). And one rule within a layer: views run no SQL (README
"Architecture": the store does), so a views module takes only the ``Engine`` type from
SQLAlchemy, to hand to the store, and calls no ``execute``.
"""

from __future__ import annotations

import ast
import importlib.util
import pkgutil
import subprocess
import sys
from functools import cache
from pathlib import Path

import pytest

import productivity

# Layer of each top-level part of the package, lowest first. A module may import its own layer
# and the layers below it, never one above.
LAYERS: dict[str, int] = {
    # pure definitions: pandas, numpy, scipy, altair for drawing
    "settings": 0, "errors": 0, "schema": 0, "benchmarks": 0, "columns": 0, "formats": 0,
    "modalities": 0, "peers": 0, "export": 0, "metrics": 0, "stats": 0, "planning": 0, "charts": 0,
    "benchmark_basis": 0,  # which benchmark value each trust is held to (benchmarks re-exports)
    # data in and out
    "store": 1, "ingest": 1, "synth": 1,
    # shaping store rows for one page, and the board pack
    "views": 2, "pack": 3,
    # Streamlit
    "ui": 4,
    # entry points
    "cli": 5, "__main__": 5, "scheduler": 5,
    "cli_csv": 5,  # the cli's spc and funnel commands
}  # fmt: skip
LAYER_NAMES = ("pure", "store", "views", "pack", "ui", "entry points")
# Third-party packages a layer may not import, even indirectly.
FORBIDDEN: dict[int, tuple[str, ...]] = {
    0: ("streamlit", "sqlalchemy", "sqlmodel", "psycopg"),
    1: ("streamlit",),
    2: ("streamlit",),
    3: ("streamlit",),
}


def all_modules() -> list[str]:
    found = ["productivity"]
    for info in pkgutil.walk_packages(productivity.__path__, "productivity."):
        found.append(info.name)
    return sorted(found)


MODULES = all_modules()


def part(module: str) -> str:
    return module.split(".")[1] if module.count(".") else ""


def layer(module: str) -> int:
    return LAYERS[part(module)] if part(module) else 0


@cache
def source_tree(module: str) -> ast.Module:
    """``module``'s source, parsed."""
    spec = importlib.util.find_spec(module)
    assert spec is not None and spec.origin is not None
    return ast.parse(Path(spec.origin).read_text(encoding="utf-8"))


@cache
def direct_imports(module: str) -> frozenset[str]:
    """Absolute module names imported anywhere in ``module``'s source (functions included)."""
    tree = source_tree(module)
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            # "from productivity.store import marts" imports the module productivity.store.marts
            names.update(
                f"{node.module}.{alias.name}"
                for alias in node.names
                if f"{node.module}.{alias.name}" in MODULES
            )
    return frozenset(names)


def import_chain(module: str, bad: str) -> list[str] | None:
    """The shortest chain of first-party imports from ``module`` to a module starting ``bad``."""
    seen = {module}
    queue: list[list[str]] = [[module]]
    while queue:
        chain = queue.pop(0)
        for name in sorted(direct_imports(chain[-1])):
            if name == bad or name.startswith(bad + "."):
                return [*chain, name]
            if name in MODULES and name not in seen:
                seen.add(name)
                queue.append([*chain, name])
    return None


def test_every_part_of_the_package_has_a_layer():
    unknown = sorted({part(m) for m in MODULES if part(m)} - set(LAYERS))
    assert not unknown, f"give these a layer in LAYERS (and the README): {unknown}"


@pytest.mark.parametrize("module", MODULES)
def test_module_imports_no_layer_above_its_own(module: str):
    own = layer(module)
    for name in direct_imports(module):
        if name.startswith("productivity.") and name in MODULES:
            assert layer(name) <= own, (
                f"{module} ({LAYER_NAMES[own]}) imports {name} ({LAYER_NAMES[layer(name)]})"
            )


@pytest.mark.parametrize("module", [m for m in MODULES if layer(m) in FORBIDDEN])
def test_module_reaches_no_forbidden_package(module: str):
    for bad in FORBIDDEN[layer(module)]:
        chain = import_chain(module, bad)
        assert chain is None, f"{LAYER_NAMES[layer(module)]} layer reaches {bad}: " + " → ".join(
            chain or []
        )


def test_only_the_ui_layer_imports_streamlit():
    """The other direction: Streamlit stays at the top, in ``ui`` (and pages)."""
    importers = [m for m in MODULES if "streamlit" in {n.split(".")[0] for n in direct_imports(m)}]
    assert importers and all(part(m) == "ui" for m in importers), importers


@pytest.mark.parametrize("level", sorted(FORBIDDEN))
def test_layer_imported_in_a_fresh_interpreter_loads_no_forbidden_package(level: int):
    modules = [m for m in MODULES if layer(m) == level]
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}: importlib.import_module(name)\n"
        f"print(','.join(b for b in {FORBIDDEN[level]!r} if b in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "", f"{LAYER_NAMES[level]} layer loads {result.stdout}"


# What a views module may take from SQLAlchemy: the engine's type, passed on to the store.
VIEWS_SQLALCHEMY_NAMES = frozenset({"Engine"})


def sql_in_source(module: str) -> list[str]:
    """Where ``module`` imports from SQLAlchemy anything but :data:`VIEWS_SQLALCHEMY_NAMES`, or
    calls an ``execute`` method: one line each, ``module line N: what``."""
    found = []
    for node in ast.walk(source_tree(module)):
        if isinstance(node, ast.Import):
            found += [
                f"{module} line {node.lineno}: import {alias.name}"
                for alias in node.names
                if alias.name.split(".")[0] == "sqlalchemy"
            ]
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "sqlalchemy":
            found += [
                f"{module} line {node.lineno}: from {node.module} import {alias.name}"
                for alias in node.names
                if node.module != "sqlalchemy" or alias.name not in VIEWS_SQLALCHEMY_NAMES
            ]
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "execute"
        ):
            found.append(f"{module} line {node.lineno}: calls .execute(...)")
    return found


@pytest.mark.parametrize("module", [m for m in MODULES if part(m) == "views"])
def test_views_module_imports_only_engine_from_sqlalchemy_and_executes_no_sql(module: str):
    found = sql_in_source(module)
    assert not found, (
        "views run no SQL (move the statement to productivity/store and call it): "
        + "; ".join(found)
    )
