"""``intake backup`` and ``intake restore``, run as processes while residents are texting (SQLite and PostgreSQL)."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, func, inspect, select, text
from sqlalchemy.engine import make_url

from app import create_app
from intake import audit, crypto, evidence
from intake.conversations.messaging import InboundText
from intake.db import Database
from intake.models import Attachment, Case, Message
from intake.retention.backup import MANIFEST, Manifest, verify_evidence
from intake.storage import FolderStorage
from tests.conftest import PG_URL
from tests.factories import make_case
from tests.s3 import new_bucket, s3_endpoint, storage_env, storage_for  # noqa: F401 - fixtures used by name
from tests.twilio_fake import ACCOUNT_SID, AUTH_TOKEN, PUBLIC_BASE_URL, FakeTwilio, post_signed, sms_form
from webhooks.twilio.spool import Spool

INTAKE = str(Path(sys.executable).parent / "intake")
ROOT = Path(__file__).resolve().parents[2]
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(256)) * 16


def _env(database_url: str, instance: Path, storage_url: str | None = None) -> dict[str, str]:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "HEARD_INSTANCE_DIR": str(instance),
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    }
    if storage_url is not None:
        env["HEARD_STORAGE_URL"] = storage_url
    return env


def intake(
    database_url: str, instance: Path, *args: str, storage_url: str | None = None
) -> subprocess.CompletedProcess[str]:
    """Run ``intake`` as a process, on the storage this process's environment names (or ``storage_url``)."""
    return subprocess.run(
        [INTAKE, *args],
        env=_env(database_url, instance, storage_url),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.fixture
def empty_database_url(fresh_database_url: str, tmp_path: Path) -> Iterator[str]:
    """A database of the same engine with no tables at all, for a restore."""
    if fresh_database_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'restored' / 'heard.db'}"
        return
    assert PG_URL
    admin = create_engine(make_url(fresh_database_url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    name = f"heard_restore_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield make_url(fresh_database_url).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _count(database: Database, model: Any) -> int:
    with database.session() as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def _residents_texting(app: Any, stop: threading.Event, sent: list[str], errors: list[str]) -> list[threading.Thread]:
    def resident(number: int) -> None:
        client = app.test_client()
        turn = 0
        while not stop.is_set():
            turn += 1
            body = "AYUDA" if turn % 3 == 0 else f"El oficial me empujó, mensaje {turn}"
            form = sms_form(body, sender=f"+1209555{number:04d}")
            response = post_signed(client, "/twilio/sms", form)
            if response.status_code != 200:
                errors.append(f"{response.status_code}: {response.data[:200]!r}")
            sent.append(form["MessageSid"])

    return [threading.Thread(target=resident, args=(n,), daemon=True) for n in range(4)]


def test_a_backup_taken_while_residents_text_restores_into_an_empty_instance_and_verifies(
    fresh_database_url,
    empty_database_url,
    tmp_path,
    storage_env,  # noqa: F811
):
    source = tmp_path / "source"
    assert intake(fresh_database_url, source, "secrets", "init").returncode == 0
    source_storage = storage_for(storage_env, source)
    # On S3 the copy goes into another bucket, under another prefix; on files, into another instance folder.
    target_env = dict(storage_env)
    if storage_env:
        target_env["HEARD_STORAGE_URL"] = f"s3://{new_bucket(storage_env['HEARD_S3_ENDPOINT_URL'])}/restored"
    keyring = crypto.load_keyring(source, environ={})
    audit.use_key(audit.chain_key(keyring.hmac_key))
    database = Database(fresh_database_url)
    with database.session() as s:
        for n in range(3):
            case, _ = make_case(s, keyring, narrative=f"Story number {n}")
            data = JPEG + bytes([n])
            stored = evidence.store(source_storage, keyring, data, "image/jpeg")
            s.add(
                Attachment(
                    case_id=case.id,
                    content_type="image/jpeg",
                    size_bytes=len(data),
                    sha256=stored.sha256,
                    storage_key=stored.storage_key,
                )
            )
        s.commit()
    spooled = Spool(source_storage, keyring).put(
        InboundText(provider_id="SMspooled", from_number="+12095550111", to_number="+12095550100", body="hola")
    )

    fake = FakeTwilio().start()
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": fresh_database_url,
            "HEARD_INSTANCE_DIR": str(source),
            "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
            "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
            "TWILIO_API_BASE_URL": fake.url,
            "PUBLIC_BASE_URL": PUBLIC_BASE_URL,
            "RASA_URL": "http://127.0.0.1:9",  # no dialogue: the residents get the honest holding answer
            "HEARD_INLINE_REPLY_SECONDS": "1",
        }
    )
    stop, sent, errors = threading.Event(), [], []
    threads = _residents_texting(app, stop, sent, errors)
    try:
        for thread in threads:
            thread.start()
        assert _wait_for(lambda: _count(database, Message) >= 8), "the residents' texts never arrived"
        before = _count(database, Message)
        backup = intake(fresh_database_url, source, "backup", "--out", str(tmp_path / "backup"))
        assert _wait_for(lambda: _count(database, Message) > before + 8), "no texts arrived during and after"
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=60)
        fake.stop()
        app.extensions["heard.database"].dispose()
    after = _count(database, Message)
    assert backup.returncode == 0, backup.stderr
    assert "NOT in the backup" in backup.stdout and errors == []
    assert source_storage.describe() in backup.stdout
    folder = tmp_path / "backup"
    assert not list(folder.rglob(crypto.SECRETS_FILE))
    assert crypto.SECRETS_FILE not in "".join(p.name for p in folder.rglob("*"))
    manifest = Manifest.read(folder)
    assert before <= manifest.counts["messages"] <= after
    evidence_keys = {stored.key for stored in source_storage.list("evidence/")}
    assert len(evidence_keys) == 3
    assert {entry["path"] for entry in manifest.files} >= {spooled, *evidence_keys}
    for entry in manifest.files:
        assert hashlib.sha256((folder / "files" / entry["path"]).read_bytes()).hexdigest() == entry["sha256"]

    # The keys travel apart from the backup, as the README says.
    target = tmp_path / "restored"
    target.mkdir(mode=0o700, exist_ok=True)
    shutil.copy2(source / crypto.SECRETS_FILE, target / crypto.SECRETS_FILE)
    target_storage = storage_for(target_env, target)
    assert not [found for prefix in ("evidence/", "spool/") for found in target_storage.list(prefix)]
    restored = intake(
        empty_database_url, target, "restore", str(folder), storage_url=target_env.get("HEARD_STORAGE_URL")
    )
    assert restored.returncode == 0, restored.stderr
    assert target_storage.describe() in restored.stdout
    assert "3 of 3 evidence files decrypt and match" in restored.stdout and "audit chain intact" in restored.stdout
    verified = intake(empty_database_url, target, "audit", "verify", storage_url=target_env.get("HEARD_STORAGE_URL"))
    assert verified.returncode == 0, verified.stderr

    copy = Database(empty_database_url)
    try:
        checked, problems = verify_evidence(copy, target_storage, keyring)
        assert (checked, problems) == (3, [])
        for table, count in manifest.counts.items():
            with copy.session() as s:
                assert s.scalar(text(f'SELECT count(*) FROM "{table}"')) == count, table
        with copy.session() as s, database.session() as original:
            restored_ids = set(s.scalars(select(Message.provider_id).where(Message.provider_id.is_not(None))))
            original_ids = set(original.scalars(select(Message.provider_id)))
            assert restored_ids <= original_ids and len(restored_ids) >= before // 2
            assert s.scalar(select(func.count()).select_from(Case)) == 3
        assert target_storage.open(spooled) == source_storage.open(spooled)
        for key in evidence_keys:
            assert target_storage.open(key) == source_storage.open(key)
        if not storage_env:
            assert oct((target / spooled).stat().st_mode & 0o777) == "0o600"
    finally:
        copy.dispose()
        database.dispose()

    again = intake(empty_database_url, target, "restore", str(folder), storage_url=target_env.get("HEARD_STORAGE_URL"))
    assert again.returncode == 1 and "not empty" in again.stderr


def _backed_up_case(database_url: str, tmp_path: Path) -> tuple[Path, Path, str]:
    """An instance with one case and its photo, backed up; return the instance, the backup and the photo's key."""
    source = tmp_path / "source"
    assert intake(database_url, source, "secrets", "init").returncode == 0
    keyring = crypto.load_keyring(source, environ={})
    audit.use_key(audit.chain_key(keyring.hmac_key))
    database = Database(database_url)
    with database.session() as s:
        case, _ = make_case(s, keyring)
        stored = evidence.store(FolderStorage(source), keyring, JPEG, "image/jpeg")
        s.add(Attachment(case_id=case.id, content_type="image/jpeg", size_bytes=len(JPEG), sha256=stored.sha256,
                         storage_key=stored.storage_key))  # fmt: skip
        s.commit()
    database.dispose()
    folder = tmp_path / "backup"
    assert intake(database_url, source, "backup", "--out", str(folder)).returncode == 0
    return source, folder, stored.storage_key


def test_a_restore_refuses_a_backup_that_differs_from_its_manifest_and_writes_nothing(
    fresh_database_url, empty_database_url, tmp_path
):
    source, folder, storage_key = _backed_up_case(fresh_database_url, tmp_path)
    assert intake(fresh_database_url, source, "backup", "--out", str(folder)).returncode == 1  # never over a backup
    tampered = folder / "files" / storage_key
    data = bytearray(tampered.read_bytes())
    data[-5] ^= 0x01
    tampered.write_bytes(bytes(data))
    assert hashlib.sha256(bytes(data)).hexdigest() not in (folder / MANIFEST).read_text()

    target = tmp_path / "restored"
    refused = intake(empty_database_url, target, "restore", str(folder))
    assert refused.returncode == 1 and "differs from the manifest" in refused.stderr
    assert not (target / "evidence").exists()
    engine = create_engine(empty_database_url)
    try:
        with engine.connect() as conn:
            tables = conn.execute(
                text(
                    "SELECT count(*) FROM sqlite_master WHERE type='table'"
                    if empty_database_url.startswith("sqlite")
                    else "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"
                )
            ).scalar_one()
        assert tables == 0
    finally:
        engine.dispose()


def test_a_manifest_naming_a_file_outside_the_stored_folders_is_refused_before_anything_is_restored(
    fresh_database_url, empty_database_url, tmp_path
):
    import json

    _source, folder, _key = _backed_up_case(fresh_database_url, tmp_path)
    # An edited manifest points one file at "evidence/../x.bin", a real file with the right sum.
    manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    entry = manifest["files"][0]
    shutil.copy(folder / "files" / entry["path"], folder / "files" / "x.bin")
    entry["path"] = "evidence/../x.bin"
    (folder / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")

    target = tmp_path / "restored"
    refused = intake(empty_database_url, target, "restore", str(folder))
    assert refused.returncode == 1 and "outside evidence/ and spool/" in refused.stderr, refused.stderr
    assert not (target / "evidence").exists() and not (target / "x.bin").exists()
    engine = create_engine(empty_database_url)
    try:
        with engine.connect() as conn:
            assert not inspect(conn).get_table_names()  # the database was never touched
    finally:
        engine.dispose()


def _wait_for(condition: Any, timeout: float = 120.0) -> bool:
    from intake.jobs import wait_for

    return wait_for(condition, timeout=timeout, interval=0.1)


def test_a_file_removed_while_the_backup_runs_is_in_it_when_the_snapshot_points_at_it(
    fresh_database_url, tmp_path, keyring, monkeypatch
):
    """An erasure or a purge between the snapshot and the file copy must not leave a row without its file."""
    from intake.retention import backup

    storage = FolderStorage(tmp_path / "instance")
    database = Database(fresh_database_url)
    with database.session() as s:
        case, _ = make_case(s, keyring)
        stored = evidence.store(storage, keyring, JPEG, "image/jpeg")
        s.add(Attachment(case_id=case.id, content_type="image/jpeg", size_bytes=len(JPEG), sha256=stored.sha256,
                         storage_key=stored.storage_key))  # fmt: skip
        s.commit()
    database.dispose()
    snapshots = {"sqlite": "_sqlite_snapshot", "postgresql": "_pg_snapshot"}
    name = snapshots[make_url(fresh_database_url).get_backend_name()]
    snapshot = getattr(backup, name)

    def snapshot_then_erase(*args: Any) -> Any:
        taken = snapshot(*args)
        storage.delete(stored.storage_key)  # the row in the snapshot still points at it
        return taken

    monkeypatch.setattr(backup, name, snapshot_then_erase)
    manifest = backup.take_backup(fresh_database_url, storage, tmp_path / "backup", instance_dir=tmp_path / "instance")
    assert not storage.exists(stored.storage_key)
    assert stored.storage_key in {entry["path"] for entry in manifest.files}
    copy = tmp_path / "backup" / "files" / stored.storage_key
    assert keyring.decrypt_bytes(copy.read_bytes()) == JPEG
