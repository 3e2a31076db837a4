"""The README's two commands, and CI running exactly the README's test command."""

from __future__ import annotations

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
