"""What another local user of the machine can read: nothing of Heard's (issue 16, item 13)."""

import os
import stat
import subprocess
from pathlib import Path

import pytest

from app import create_app
from intake import evidence
from intake.conversations.messaging import InboundText
from intake.storage import FolderStorage
from tests.test_cli import INTAKE, ROOT
from webhooks.twilio.spool import Spool


def _others_can_reach(path: Path) -> bool:
    return bool(stat.S_IMODE(path.stat().st_mode) & 0o077)


def _everything_under(root: Path) -> list[Path]:
    return [root, *root.rglob("*")]


@pytest.fixture
def loose_umask():
    """The usual umask (0022), under which a file is readable by every local user unless made otherwise."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def test_the_command_makes_a_private_instance_and_database(tmp_path, loose_umask):
    instance = tmp_path / "srv" / "instance"
    env = {
        **os.environ,
        "HEARD_INSTANCE_DIR": str(instance),
        "DATABASE_URL": f"sqlite:///{instance / 'heard.db'}",
        "PYTHONPATH": str(ROOT),
    }
    for args in (["secrets", "init"], ["db", "upgrade"], ["partner", "create", "Stockton NAACP"]):
        done = subprocess.run([INTAKE, *args], env=env, capture_output=True, text=True, timeout=120, umask=0o022)
        assert done.returncode == 0, done.stderr
    assert (instance / "heard.db").exists()
    assert [p for p in _everything_under(instance) if _others_can_reach(p)] == []
    assert stat.S_IMODE(instance.stat().st_mode) == 0o700


def test_an_installation_made_before_is_tightened_at_start(tmp_path, loose_umask, keyring):
    instance = tmp_path / "instance"
    instance.mkdir(mode=0o755)
    database = instance / "heard.db"
    database.write_bytes(b"")
    database.chmod(0o644)
    (instance / "evidence" / "ab").mkdir(parents=True)
    old_evidence = instance / "evidence" / "ab" / "ab12.bin"
    old_evidence.write_bytes(b"token")
    old_evidence.chmod(0o644)
    create_app(
        {
            "TESTING": True,
            "HEARD_INSTANCE_DIR": str(instance),
            "KEYRING": keyring,
            "DATABASE_URL": f"sqlite:///{database}",
        }
    )
    assert [p for p in _everything_under(instance) if _others_can_reach(p)] == []


def test_evidence_and_the_spool_are_private(tmp_path, loose_umask, keyring):
    instance = tmp_path / "instance"
    stored = evidence.store(FolderStorage(instance), keyring, b"\x89PNG\r\n\x1a\n" + b"x" * 100, "image/png")
    Spool(FolderStorage(instance), keyring).put(
        InboundText(provider_id="SM1", from_number="+12095550142", to_number="+1555", body="hola", media=(), meta={})
    )
    assert (instance / stored.storage_key).exists() and list((instance / "spool" / "sms").glob("*.msg"))
    assert [p for p in _everything_under(instance) if _others_can_reach(p)] == []
