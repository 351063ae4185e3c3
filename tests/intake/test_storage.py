"""The one storage interface, on files and on a local S3 server: the same behaviour, only ciphertext stored."""

import stat
from pathlib import Path

import pytest

from intake import evidence
from intake.errors import ConfigurationError
from intake.storage import FolderStorage, NotStored, from_settings
from tests.s3 import s3_endpoint, storage_env, storage_for  # noqa: F401 - fixtures used by name
from webhooks.twilio.spool import Spool

PHOTO = b"\x89PNG\r\n\x1a\n" + b"the officer's badge, close up" * 20


def test_put_open_list_delete(storage_env, tmp_path):  # noqa: F811
    storage = storage_for(storage_env, tmp_path)
    storage.put("evidence/ab/one.bin", b"first")
    storage.put("evidence/cd/two.bin", b"second")
    storage.put("spool/sms/three.msg", b"third")
    storage.put("evidence/ab/one.bin", b"replaced")  # a second put replaces the object whole

    assert storage.open("evidence/ab/one.bin") == b"replaced"
    assert storage.exists("spool/sms/three.msg") and not storage.exists("spool/sms/none.msg")
    listed = list(storage.list("evidence/"))
    assert [found.key for found in listed] == ["evidence/ab/one.bin", "evidence/cd/two.bin"]
    assert [found.size for found in listed] == [8, 6]
    assert all(found.modified.tzinfo is not None for found in listed)
    assert [found.key for found in storage.list("spool/")] == ["spool/sms/three.msg"]

    storage.delete("evidence/ab/one.bin")
    storage.delete("evidence/ab/one.bin")  # already gone: nothing happens
    with pytest.raises(NotStored):
        storage.open("evidence/ab/one.bin")
    assert [found.key for found in storage.list("evidence/")] == ["evidence/cd/two.bin"]


@pytest.mark.parametrize("key", ["../secrets.json", "/etc/passwd", "evidence//x.bin", ".hidden", "a/./b", "a\\b", ""])
def test_keys_that_could_leave_the_store_are_refused(storage_env, tmp_path, key):  # noqa: F811
    storage = storage_for(storage_env, tmp_path)
    with pytest.raises(ValueError):
        storage.put(key, b"x")
    with pytest.raises(ValueError):
        storage.open(key)
    assert not (tmp_path.parent / "secrets.json").exists()


def test_evidence_and_the_spool_store_only_ciphertext(storage_env, tmp_path, keyring):  # noqa: F811
    storage = storage_for(storage_env, tmp_path)
    stored = evidence.store(storage, keyring, PHOTO, "image/png")
    assert evidence.store(storage, keyring, PHOTO, "image/png") == stored  # the same bytes are stored once
    raw = storage.open(stored.storage_key)
    assert b"badge" not in raw and evidence.load(storage, keyring, stored.storage_key) == PHOTO

    spool = Spool(storage, keyring)
    from intake.conversations.messaging import InboundText

    for number in (1, 2):
        spool.put(
            InboundText(provider_id=f"SM{number}", from_number="+12095550142", to_number="+1555", body=f"hi {number}")
        )
    (first_key, _), (second_key, _) = items = list(spool.items())
    assert [inbound.body for _, inbound in items] == ["hi 1", "hi 2"]
    assert b"2095550142" not in storage.open(first_key) and b"hi 1" not in storage.open(first_key)
    spool.remove(first_key)
    assert [key for key, _ in spool.items()] == [second_key]

    evidence.discard(storage, stored.storage_key)
    assert not storage.exists(stored.storage_key)
    with pytest.raises(ValueError):
        evidence.discard(storage, "spool/sms/" + second_key.rsplit("/", 1)[1])


def test_files_are_private(tmp_path):
    storage = FolderStorage(tmp_path / "instance")
    storage.put("evidence/ab/one.bin", b"x")
    assert stat.S_IMODE((tmp_path / "instance" / "evidence" / "ab" / "one.bin").stat().st_mode) == 0o600
    for folder in (
        tmp_path / "instance",
        tmp_path / "instance" / "evidence",
        tmp_path / "instance" / "evidence" / "ab",
    ):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert [p.name for p in (tmp_path / "instance" / "evidence" / "ab").iterdir()] == ["one.bin"]  # no temp file left


@pytest.mark.parametrize("url", ["s3://", "s3:///prefix", "ftp://bucket/x", "s3://bucket/../x", "s3://bucket/p?x=1"])
def test_a_storage_url_heard_cannot_use_is_refused(url):
    with pytest.raises(ConfigurationError):
        from_settings(url, instance_dir=Path("/nonexistent"))


def test_the_default_is_files_under_the_instance_folder(tmp_path):
    storage = from_settings(None, instance_dir=tmp_path)
    assert isinstance(storage, FolderStorage) and storage.root == tmp_path
