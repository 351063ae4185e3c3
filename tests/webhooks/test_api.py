import json

import pytest
from openapi_spec_validator import validate
from sqlalchemy import func, select

from intake.cases import tracking
from intake.models import Case, IdempotencyKey
from tests.factories import make_partner, submission_data


@pytest.fixture
def token(session):
    _, token = make_partner(session)
    session.flush()
    return token


def _post(client, token, body, key="key-1", **headers):
    data = body if isinstance(body, (bytes, str)) else json.dumps(body)
    return client.post(
        "/api/v1/complaints",
        data=data,
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}", "Idempotency-Key": key, **headers},
    )


def _count(session, model=Case):
    return session.scalar(select(func.count()).select_from(model))


def test_a_partner_files_a_case(client, token, session):
    response = _post(client, token, submission_data())
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert set(body) == {"tracking_number", "pin", "status"}
    assert body["status"] == "received"
    assert tracking.parse_tracking_number(body["tracking_number"]) is not None
    assert response.headers["Idempotent-Replayed"] == "false"
    case = session.scalars(select(Case)).one()
    assert case.channel.value == "partner" and case.partner_id is not None


def test_the_same_key_twice_gives_one_case_and_the_same_answer(client, token, session):
    first = _post(client, token, submission_data(), key="abc")
    second = _post(client, token, submission_data(), key="abc")
    assert first.status_code == second.status_code == 201
    assert first.get_json() == second.get_json()
    assert second.headers["Idempotent-Replayed"] == "true"
    assert _count(session) == 1


def test_the_same_key_with_another_body_is_a_conflict(client, token, session):
    assert _post(client, token, submission_data(), key="abc").status_code == 201
    response = _post(client, token, submission_data(narrative="otra cosa"), key="abc")
    assert response.status_code == 409 and "different request" in response.get_json()["error"]
    assert _count(session) == 1


def test_keys_belong_to_one_partner(client, token, session):
    _, other = make_partner(session, "Southeast Asian community association")
    session.flush()
    a = _post(client, token, submission_data(), key="shared")
    b = _post(client, other, submission_data(), key="shared")
    assert a.status_code == b.status_code == 201
    assert a.get_json()["tracking_number"] != b.get_json()["tracking_number"]
    assert _count(session) == 2


def test_the_pin_is_not_stored_in_clear(client, token, session):
    pin = _post(client, token, submission_data()).get_json()["pin"]
    row = session.scalars(select(IdempotencyKey)).one()
    assert pin not in (row.response_token or "")


@pytest.mark.parametrize(
    "authorization",
    [None, "", "Bearer", "Bearer ", "Basic dXNlcjpwdw==", "Bearer heard_000000000000_nope", "Bearer nonsense"],
)
def test_no_valid_token_is_401(client, session, authorization):
    make_partner(session)
    session.flush()
    headers = {"Idempotency-Key": "k"}
    if authorization is not None:
        headers["Authorization"] = authorization
    response = client.post("/api/v1/complaints", json=submission_data(), headers=headers)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert _count(session) == 0


def test_a_tampered_token_is_401(client, token, session):
    response = _post(client, token[:-1] + ("A" if token[-1] != "A" else "B"), submission_data())
    assert response.status_code == 401


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (submission_data(narrative=None), "narrative"),
        (submission_data(kind="complain"), "kind"),
        (submission_data(narrative="x" * 1_000_000), "narrative"),
        (submission_data(narrative=["a"]), "narrative"),
        (submission_data(anonymous="no"), "anonymous"),
        (submission_data(contact={"phone": 5551234}), "contact.phone"),
        ([submission_data()], "body"),
        ("null", "body"),
        ("", "body"),
        ("{not json", "body"),
        (b'{"kind": "complaint", "narrative": "caf\xe9"}', "body"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "body"),
        ("[" * 100_000 + "]" * 100_000, "body"),
        ('{"kind":"complaint","language":"es","narrative":"bad \\u0000 nul"}', "narrative"),
        ('{"kind":"complaint","language":"es","narrative":"lone \\ud83d surrogate"}', "narrative"),
    ],
    ids=lambda v: v if isinstance(v, str) and len(v) < 20 else None,
)
def test_bad_bodies_are_422_naming_the_field(client, token, session, body, field):
    response = _post(client, token, body)
    assert response.status_code == 422, response.data[:300]
    assert field in response.get_json()["fields"]
    assert _count(session) == 0


def test_a_missing_idempotency_key_is_422(client, token, session):
    response = client.post("/api/v1/complaints", json=submission_data(), headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 422 and "Idempotency-Key" in response.get_json()["fields"]
    assert _count(session) == 0


def test_a_body_over_two_megabytes_is_413_as_json(client, token, session):
    response = _post(client, token, json.dumps(submission_data(narrative="x" * 3_000_000)))
    assert response.status_code == 413 and "error" in response.get_json()
    assert _count(session) == 0


def _status(client, token, number, pin):
    return client.get(
        f"/api/v1/complaints/{number}/status", query_string={"pin": pin}, headers={"Authorization": f"Bearer {token}"}
    )


def test_status_with_the_pin_in_a_header(client, token):
    receipt = _post(client, token, submission_data()).get_json()
    auth = {"Authorization": f"Bearer {token}"}
    path = f"/api/v1/complaints/{receipt['tracking_number']}/status"
    answer = client.get(path, headers={**auth, "X-Heard-PIN": receipt["pin"]})
    assert answer.status_code == 200 and answer.get_json()["status"] == "received"
    assert client.get(path, headers={**auth, "X-Heard-PIN": "000000"}).status_code == 404


def test_status_with_the_pin(client, token):
    receipt = _post(client, token, submission_data()).get_json()
    response = _status(client, token, receipt["tracking_number"], receipt["pin"])
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "received" and body["tracking_number"] == receipt["tracking_number"]
    assert "narrative" not in body and "contact" not in body


def test_unknown_number_and_wrong_pin_look_the_same(client, token):
    receipt = _post(client, token, submission_data()).get_json()
    wrong = "000000" if receipt["pin"] != "000000" else "999999"
    a = _status(client, token, receipt["tracking_number"], wrong)
    b = _status(client, token, tracking.format_tracking_number(tracking.new_tracking_number()), receipt["pin"])
    c = _status(client, token, "12345", receipt["pin"])
    assert a.status_code == b.status_code == c.status_code == 404
    assert a.get_json() == b.get_json() == c.get_json()


def test_status_look_ups_are_rate_limited_per_case(client, token):
    receipt = _post(client, token, submission_data()).get_json()
    codes = [_status(client, token, receipt["tracking_number"], f"{i:06d}").status_code for i in range(12)]
    assert codes[:10] == [404] * 10
    assert codes[10:] == [429, 429]
    # Even the right PIN waits now: guessing cannot outrun the limit.
    assert _status(client, token, receipt["tracking_number"], receipt["pin"]).status_code == 429


def test_the_openapi_document_is_valid_and_describes_the_api(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    spec = response.get_json()
    validate(spec)
    assert {"/complaints", "/complaints/{tracking_number}/status"} <= set(spec["paths"])
    assert set(spec["components"]["schemas"]["Submission"]["properties"]) >= set(submission_data())


def test_healthz_reports_the_database(database, connection, keyring, tmp_path):
    from tests.webhooks.test_health import Stub, _app

    rasa = Stub()  # /healthz also asks Rasa now; a stand-in answers for it
    try:
        response = _app(database, connection, keyring, tmp_path, RASA_URL=rasa.url).test_client().get("/healthz")
    finally:
        rasa.stop()
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "ok" and body["components"]["database"]["status"] == "ok"


def test_unknown_api_paths_answer_json(client, token):
    response = client.get("/api/v1/nothing-here", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 404 and "error" in response.get_json()
    assert response.headers["Content-Security-Policy"].startswith("default-src 'none'")
