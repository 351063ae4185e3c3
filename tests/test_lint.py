"""The code stays as STYLE.md asks: ruff's lint and format checks pass."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUFF = str(Path(sys.executable).parent / "ruff")


def test_ruff_lint_passes():
    result = subprocess.run([RUFF, "check", "--no-cache", str(ROOT)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_format_is_applied():
    result = subprocess.run([RUFF, "format", "--check", "--no-cache", str(ROOT)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_strict_passes_on_every_package():
    """mypy --strict over intake, web, webhooks, console, bot, nlu and the top-level modules (pyproject's list)."""
    mypy = str(Path(sys.executable).parent / "mypy")
    result = subprocess.run([mypy, "--no-incremental"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_import_contracts_hold():
    """The layers of ARCHITECTURE.md (.importlinter): no Flask, Rasa or twilio in intake; console never imports
    webhooks; the bot reaches the queue over HTTP only; no cycles between the domain's or the webhooks' parts."""
    lint_imports = str(Path(sys.executable).parent / "lint-imports")
    result = subprocess.run([lint_imports, "--no-cache"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
