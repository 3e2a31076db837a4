"""The README's two commands, and CI running exactly the README's test command."""

from __future__ import annotations

import tomllib
from pathlib import Path

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
    for command in ("ruff format --check .", "ruff check .", "mypy productivity"):
        assert f"\n{command}\n" in ci, command
