"""A local S3 server (moto's, in this process, on a free port) and the storage backends to run tests on.

Import the fixtures by name in a test module: ``from tests.s3 import s3_endpoint, storage_env``.
``storage_env`` runs a test once on files under the instance folder and once on a bucket
of its own; its value is the environment that selects the backend (empty for files).
"""

from __future__ import annotations

import socket
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from intake.storage import Storage, from_settings

CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "heard-test",
    "AWS_SECRET_ACCESS_KEY": "heard-test-secret",
    "AWS_DEFAULT_REGION": "us-east-1",
}
BACKENDS = ("files", "s3")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """Start moto's S3 server on a free port for the session; skip, saying why, when moto is missing."""
    try:
        from moto.server import ThreadedMotoServer
    except ImportError as exc:
        pytest.skip(f"moto[server] is not installed ({exc}); the S3 storage backend is NOT tested")
    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


def new_bucket(endpoint: str) -> str:
    """Create an empty bucket of a test's own on the local server and return its name."""
    import boto3

    name = f"heard-{uuid.uuid4().hex[:20]}"
    client = boto3.session.Session(
        aws_access_key_id=CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        region_name=CREDENTIALS["AWS_DEFAULT_REGION"],
    ).client("s3", endpoint_url=endpoint)
    client.create_bucket(Bucket=name)
    return name


@pytest.fixture(params=BACKENDS)
def storage_env(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The settings that select one backend, also set in this process's environment for boto3."""
    if request.param == "files":
        monkeypatch.delenv("HEARD_STORAGE_URL", raising=False)
        return {}
    endpoint = request.getfixturevalue("s3_endpoint")
    env = {
        **CREDENTIALS,
        "HEARD_STORAGE_URL": f"s3://{new_bucket(endpoint)}/heard",
        "HEARD_S3_ENDPOINT_URL": endpoint,
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return env


def storage_for(env: dict[str, str], instance_dir: Path) -> Storage:
    """Build the storage ``env`` selects, as the service does."""
    return from_settings(env.get("HEARD_STORAGE_URL"), instance_dir=instance_dir, environ=env)
