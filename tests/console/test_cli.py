"""``intake staff totp``: run as a user runs it, then the code it sets works at sign-in."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from intake import crypto
from intake.access import staff, totp
from intake.db import Database
from intake.errors import SignInRefused
from intake.models import StaffUser

INTAKE = str(Path(sys.executable).parent / "intake")


def _intake(env, *args, stdin=""):
    return subprocess.run([INTAKE, *args], env=env, input=stdin, capture_output=True, text=True, timeout=120)


@pytest.fixture
def env(fresh_database_url, tmp_path):
    return {**os.environ, "DATABASE_URL": fresh_database_url, "HEARD_INSTANCE_DIR": str(tmp_path / "instance")}


def test_staff_totp_prints_a_secret_that_signs_in(env, fresh_database_url, tmp_path):
    assert _intake(env, "secrets", "init").returncode == 0
    made = _intake(
        env, "staff", "create", "--email", "ana@city.gov", "--role", "supervisor", stdin="a long passphrase\n"
    )
    assert made.returncode == 0, made.stderr
    result = _intake(env, "staff", "totp", "--email", "Ana@City.gov")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    secret = lines[-1]
    assert lines[-2].startswith("otpauth://totp/Heard%3Aana%40city.gov?secret=" + secret)
    keyring = crypto.load_keyring(tmp_path / "instance", environ={})
    database = Database(fresh_database_url)
    with database.session() as s:
        signed = staff.sign_in(s, email="ana@city.gov", password="a long passphrase")
        assert signed.needs_code
        with pytest.raises(SignInRefused):
            staff.check_code(s, keyring=keyring, staff_id=signed.user.id, code="12345")
        user = staff.check_code(s, keyring=keyring, staff_id=signed.user.id, code=totp.code_at(secret, time.time()))
        assert isinstance(user, StaffUser)
        assert secret not in (user.totp_secret_token or "")
    database.dispose()
    missing = _intake(env, "staff", "totp", "--email", "nobody@city.gov")
    assert missing.returncode == 1 and "has no account" in missing.stderr
