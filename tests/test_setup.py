"""The setup scripts behind `make run` and `make test`."""

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_find_python310_finds_a_working_3_10():
    result = subprocess.run([ROOT / "scripts/find-python310"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    version = subprocess.run([result.stdout.strip(), "-V"], capture_output=True, text=True).stdout
    assert version.startswith("Python 3.10")


def test_find_python310_fails_clearly_without_one(tmp_path):
    shim = tmp_path / "python3.10"
    shim.write_text("#!/bin/sh\necho 'pyenv: python3.10: command not found' >&2\nexit 127\n")
    shim.chmod(0o755)
    env = {"PATH": f"{tmp_path}:/usr/bin:/bin", "HOME": str(tmp_path), "PYENV_ROOT": str(tmp_path / "none")}
    result = subprocess.run(["/bin/bash", ROOT / "scripts/find-python310"], capture_output=True, text=True, env=env)
    if result.returncode == 0 and Path(result.stdout.strip()).is_relative_to("/usr"):
        return  # this machine has a system Python 3.10; nothing to prove here
    assert result.returncode == 1
    assert "needs Python 3.10" in result.stderr and "PYTHON310" in result.stderr


def test_the_procfile_serves_the_composition_root():
    procfile = (ROOT / "Procfile").read_text()
    assert any(line.startswith("web:") and "app:create_app()" in line for line in procfile.splitlines())


def test_the_procfile_keeps_the_action_server_on_loopback():
    # NOTE: rasa-sdk binds to 0.0.0.0 unless SANIC_HOST says otherwise.
    procfile = (ROOT / "Procfile").read_text()
    actions = next(line for line in procfile.splitlines() if line.startswith("actions:"))
    assert "SANIC_HOST=127.0.0.1" in actions and "-m bot.action_server" in actions


def test_find_python_finds_the_service_python():
    result = subprocess.run([ROOT / "scripts/find-python", "3.12"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    version = subprocess.run([result.stdout.strip(), "-V"], capture_output=True, text=True).stdout
    assert version.startswith("Python 3.12")
