"""Key rotation as an operator runs it: every encrypted thing survives dropping the old key."""

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from intake import cli, crypto, evidence, rekey
from intake.access import staff
from intake.cases import filing
from intake.conversations import messaging, web_sessions
from intake.db import Database
from intake.enums import Channel, Direction, Role
from intake.models import Correspondent, Message, StaffUser, WebSession
from intake.storage import Storage
from tests.factories import submission_data
from tests.s3 import s3_endpoint, storage_env, storage_for  # noqa: F401 - fixtures used by name
from tests.test_cli import env as cli_env  # noqa: F401 - the fixture is used by name
from tests.test_cli import intake
from webhooks.twilio.spool import Spool

PHONE = "+12095550142"
PHOTO = b"\x89PNG\r\n\x1a\n" + b"evidence bytes" * 40


@pytest.fixture
def env(cli_env, storage_env):  # noqa: F811
    """The command's environment, on files under the instance folder and on a local S3 bucket."""
    return {**cli_env, **storage_env}


def _storage(env: dict[str, str]) -> Storage:
    return storage_for(env, Path(env["HEARD_INSTANCE_DIR"]))


def _put_everything(storage: Storage, url: str, keyring: crypto.Keyring) -> dict[str, object]:
    """Store one of every kind of encrypted thing, as the running service stores them."""
    database = Database(url)
    with database.session() as s:
        submission = filing.parse_submission(submission_data())
        receipt, _ = filing.file_case_idempotently(
            s, keyring=keyring, scope="bot", key="k-1", submission=submission, actor="test"
        )
        correspondent = messaging.get_or_create_correspondent(s, keyring=keyring, phone=PHONE, service_number="+1555")
        s.flush()
        inbound = Message(
            channel=Channel.SMS,
            direction=Direction.INBOUND,
            provider_id="SM1",
            body="status",
            correspondent_id=correspondent.id,
            answer=messaging.seal_answer(keyring, "<Response>your PIN is 123456</Response>"),
            meta={"sealed_body": keyring.encrypt("your PIN is 123456"), "media": 0},
        )
        s.add(inbound)
        web, _ = web_sessions.open_session(s, keyring=keyring, channel=Channel.WEB_FORM, language="es")
        web_sessions.save_draft(web, keyring=keyring, draft={"narrative": "Me pararon sin motivo", "name": "María"})
        staff.create_staff(s, email="ana@city.gov", role=Role.SUPERVISOR, password="a long passphrase", actor="t")
        secret = staff.enable_totp(s, keyring=keyring, email="ana@city.gov", actor="t")
        s.commit()
        ids = {"message": inbound.id, "web": web.id}
    database.dispose()
    stored = evidence.store(storage, keyring, PHOTO, "image/png")
    Spool(storage, keyring).put(
        messaging.InboundText(provider_id="SM2", from_number=PHONE, to_number="+1555", body="hola", media=(), meta={})
    )
    return {**ids, "receipt": receipt, "totp": secret, "evidence": stored.storage_key}


def _read_everything(storage: Storage, url: str, keyring: crypto.Keyring, put: dict[str, object]) -> None:
    database = Database(url)
    with database.session() as s:
        submission = filing.parse_submission(submission_data())
        replayed, again = filing.file_case_idempotently(
            s, keyring=keyring, scope="bot", key="k-1", submission=submission, actor="test"
        )
        assert again and replayed == put["receipt"]
        correspondent = s.scalars(select(Correspondent)).one()
        assert keyring.decrypt(correspondent.phone_token) == PHONE
        message = s.get(Message, put["message"])
        assert message is not None and message.answer is not None
        assert "123456" in messaging.open_answer(keyring, message.answer)
        assert messaging.outbound_text(keyring, message) == "your PIN is 123456"
        web = s.get(WebSession, put["web"])
        assert web is not None and web_sessions.load_draft(web, keyring=keyring)["name"] == "María"
        user = s.scalars(select(StaffUser)).one()
        assert keyring.decrypt(user.totp_secret_token) == put["totp"]
    database.dispose()
    assert evidence.load(storage, keyring, str(put["evidence"])) == PHOTO
    spooled = list(Spool(storage, keyring).items())
    assert [item.body for _, item in spooled] == ["hola"]


def test_rotate_retire_and_restart_reads_every_encrypted_thing(env, fresh_database_url):
    instance = Path(env["HEARD_INSTANCE_DIR"])
    assert intake(env, "secrets", "init").returncode == 0
    put = _put_everything(_storage(env), fresh_database_url, crypto.load_keyring(instance, environ={}))

    rotated = intake(env, "keys", "rotate")
    assert rotated.returncode == 0, rotated.stderr
    # A process not yet restarted still writes with the old key after the rotation.
    old_only = json.loads((instance / crypto.SECRETS_FILE).read_text())["fernet_keys"][1]
    old = crypto.Keyring(fernet_keys=(old_only,), hmac_key=b"h" * 32, secret_key="s")
    late = evidence.store(_storage(env), old, b"%PDF-1.4 written late by an old worker", "application/pdf")

    too_soon = intake(env, "keys", "retire")
    assert too_soon.returncode == 1 and "dialogues in progress" in too_soon.stderr
    retired = intake(env, "keys", "retire", "--grace-hours", "0")
    assert retired.returncode == 0, retired.stdout + retired.stderr
    assert "nothing needs the older keys" in retired.stdout

    # Restart: a new Keyring from the secrets as they are now, holding the new key alone.
    restarted = crypto.load_keyring(instance, environ={})
    assert len(restarted.fernet_keys) == 1 and restarted.fernet_keys[0] != old_only
    _read_everything(_storage(env), fresh_database_url, restarted, put)
    assert evidence.load(_storage(env), restarted, late.storage_key).startswith(b"%PDF")


def test_an_interrupted_rotation_resumes_with_the_same_key(env, fresh_database_url):
    instance = Path(env["HEARD_INSTANCE_DIR"])
    assert intake(env, "secrets", "init").returncode == 0
    put = _put_everything(_storage(env), fresh_database_url, crypto.load_keyring(instance, environ={}))
    # The first run added its key and was killed before it rewrote anything.
    assert crypto.begin_rotation(instance, now="2026-01-01T00:00:00+00:00")
    keyring = crypto.load_keyring(instance, environ={})
    database = Database(fresh_database_url)
    assert rekey.survey(database, _storage(env), keyring).needs_old_keys
    database.dispose()

    resumed = intake(env, "keys", "rotate")
    assert resumed.returncode == 0, resumed.stderr
    assert "resuming" in resumed.stdout
    assert len(json.loads((instance / crypto.SECRETS_FILE).read_text())["fernet_keys"]) == 2
    retired = intake(env, "keys", "retire")  # the rotation began long ago: no grace left to wait
    assert retired.returncode == 0, retired.stdout + retired.stderr
    _read_everything(_storage(env), fresh_database_url, crypto.load_keyring(instance, environ={}), put)


def test_retire_refuses_while_anything_needs_an_old_key(env, fresh_database_url, monkeypatch):
    instance = Path(env["HEARD_INSTANCE_DIR"])
    assert intake(env, "secrets", "init").returncode == 0
    _put_everything(_storage(env), fresh_database_url, crypto.load_keyring(instance, environ={}))
    assert crypto.begin_rotation(instance, now="2026-01-01T00:00:00+00:00")

    def cannot_write(
        storage: Storage, key: str, token: bytes, rotate: object
    ) -> None:  # a full disk, a read-only mount
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(rekey, "_rewrite", cannot_write)
    refused = CliRunner().invoke(cli.main, ["keys", "retire"], env=env)
    assert refused.exit_code == 1
    assert "still under an older key: evidence files: 1, spooled messages: 1" in refused.output
    assert "do NOT remove" in refused.output
    assert len(json.loads((instance / crypto.SECRETS_FILE).read_text())["fernet_keys"]) == 2
