"""The README: its two commands (CI runs the test one), its paths and architecture; doctests."""

from __future__ import annotations

import doctest
import importlib
import importlib.util
import pkgutil
import re
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()
APP_COMMAND = (
    "python3 -m venv .venv && . .venv/bin/activate && pip install -r requirements.txt "
    "&& streamlit run streamlit_app.py"
)
TEST_COMMAND = (
    "python3 -m venv .venv && . .venv/bin/activate && pip install -r requirements-dev.txt "
    "&& python -m pytest"
)


def test_readme_has_the_two_commands():
    assert APP_COMMAND in README
    assert TEST_COMMAND in README


def test_ci_runs_the_readme_test_command():
    assert TEST_COMMAND in (ROOT / ".ci" / "run").read_text()


def test_every_cli_command_is_documented():
    from productivity.cli import COMMANDS

    for command in COMMANDS:
        assert f"python -m productivity {command}" in README, command


def test_readme_screenshots_exist():
    for name in ("overview", "theatres"):
        assert f"docs/screenshots/{name}.png" in README
        assert (ROOT / "docs" / "screenshots" / f"{name}.png").exists()


# Paths and modules the README names, and its architecture section against the layering test.
SECTION = re.compile(r"^## Architecture\n(.*?)^## ", re.S | re.M)


def test_every_path_the_readme_names_exists():
    # Code and documentation; data/ also names files the user makes (the store, a lookup).
    paths = set(re.findall(r"(?<![\w./-])((?:productivity|tests|pages|perf|benchmarks|docs)"
                           r"/[\w./-]*\w)", README))  # fmt: skip
    assert {"productivity/columns.py", "productivity/planning/opportunity.py"} <= paths
    missing = sorted(p for p in paths if not (ROOT / p).exists() and "*" not in p)
    assert not missing, f"the README names paths that do not exist: {missing}"


def test_every_module_the_readme_names_exists():
    modules = set(re.findall(r"python -m (productivity[\w.]*)", README))
    modules |= set(re.findall(r"`(productivity\.[\w.]+)`", README))
    assert "productivity.scheduler" in modules
    missing = sorted(m for m in modules if importlib.util.find_spec(m) is None)
    assert not missing, f"the README names modules that do not exist: {missing}"


def test_the_architecture_section_names_every_layer_and_only_real_modules():
    from tests.test_layering import LAYERS

    found = SECTION.search(README)
    assert found, "README has no '## Architecture' section"
    table = "\n".join(line for line in found.group(1).splitlines() if line.startswith("|"))
    named = set(re.findall(r"`([\w/.]+)`", table))
    assert {part.removesuffix("/") for part in named} >= set(LAYERS), "a layer is not named"
    for name in named:
        places = [ROOT / name, ROOT / "productivity" / name]
        places += [ROOT / "productivity" / f"{name}.py", ROOT / "productivity/views" / f"{name}.py"]
        assert any(place.exists() for place in places), f"the architecture names {name}"


# Docstring examples are doctests, and they run.
def _modules() -> list[str]:
    import productivity

    names = ["productivity"]
    names += [m.name for m in pkgutil.walk_packages(productivity.__path__, "productivity.")]
    return sorted(names)


def _source(module: str) -> str:
    spec = importlib.util.find_spec(module)
    assert spec is not None and spec.origin is not None
    return Path(spec.origin).read_text(encoding="utf-8")


WITH_EXAMPLES = [m for m in _modules() if ">>> " in _source(m)]


@pytest.mark.parametrize("module", WITH_EXAMPLES)
def test_docstring_examples_run(module: str):
    finder = doctest.DocTestFinder()
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    report: list[str] = []
    for test in finder.find(importlib.import_module(module)):
        runner.run(test, out=report.append)
    assert runner.failures == 0, "".join(report)


def test_the_layers_above_the_store_have_no_unrunnable_examples():
    """An ``Example::`` block is never run, so it can name a function that does not exist."""
    for part in ("views", "pack", "ui"):
        loose = [m for m in _modules() if m.startswith(f"productivity.{part}")
                 and "Example::" in _source(m)]  # fmt: skip
        assert not loose, f"make these examples doctests (>>>) or drop them: {loose}"
    assert len(WITH_EXAMPLES) >= 10


def _lines(name: str) -> list[str]:
    """The lines of a requirements or constraints file, without comments and blank lines."""
    lines = (line.split("#", 1)[0].strip() for line in (ROOT / name).read_text().splitlines())
    return [line for line in lines if line]


def _requirements(name: str) -> list[str]:
    """The requirements in a requirements file (its -r and -c options left out)."""
    return [line for line in _lines(name) if not line.startswith("-")]


def test_pyproject_declares_the_requirement_files():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["dependencies"] == _requirements("requirements.txt")
    assert project["optional-dependencies"]["dev"] == _requirements("requirements-dev.txt")


def test_constraints_pin_every_requirement_within_its_bounds():
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    assert "-c constraints.txt" in _lines("requirements-dev.txt")
    pins = {}
    for line in _lines("constraints.txt"):
        name, version = line.split("==")
        pins[canonicalize_name(name)] = version
    for line in _requirements("requirements.txt") + _requirements("requirements-dev.txt"):
        requirement = Requirement(line)
        pinned = pins.get(canonicalize_name(requirement.name))
        assert pinned is not None, f"constraints.txt does not pin {requirement.name}"
        assert requirement.specifier.contains(pinned), f"{requirement.name}=={pinned} vs {line}"


def test_ci_checks_format_lint_and_types():
    ci = (ROOT / ".ci" / "run").read_text()
    for command in (
        "ruff format --check .",
        "ruff check .",
        "mypy productivity pages perf streamlit_app.py",
    ):
        assert f"\n{command}\n" in ci, command
