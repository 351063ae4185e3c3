"""Concurrent repeats of one idempotency key create exactly one case, with committed data."""

import threading

from sqlalchemy import func, select

from app import create_app
from intake.db import Database
from intake.models import Case
from tests.factories import make_partner, submission_data

THREADS = 8


def test_concurrent_repeats_of_one_key_create_one_case(fresh_database_url, keyring, tmp_path):
    database = Database(fresh_database_url)
    with database.session() as s:
        _, token = make_partner(s)
        s.commit()
    app = create_app({"TESTING": True, "HEARD_INSTANCE_DIR": str(tmp_path), "DATABASE": database, "KEYRING": keyring})
    barrier = threading.Barrier(THREADS)
    responses = []
    lock = threading.Lock()

    def post(key):
        client = app.test_client()
        barrier.wait()
        response = client.post(
            "/api/v1/complaints",
            json=submission_data(),
            headers={"Authorization": f"Bearer {token}", "Idempotency-Key": key},
        )
        with lock:
            responses.append((key, response.status_code, response.get_json()))

    keys = ["same-key"] * (THREADS - 2) + ["other-1", "other-2"]
    threads = [threading.Thread(target=post, args=(key,)) for key in keys]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert [code for _, code, _ in responses] == [201] * THREADS, responses
    same = [body for key, _, body in responses if key == "same-key"]
    assert all(body == same[0] for body in same)
    with database.session() as s:
        assert s.scalar(select(func.count()).select_from(Case)) == 3
    database.dispose()
