"""Several Rasa replicas: each conversation has its own, another takes over when it is down;
the narrative pause is a job in Heard's queue, superseded by a new pause, cancelled when the resident writes.

The whole stack with real replicas, killed mid-load, is tests/bot/test_replicas.py.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from intake.conversations import inbound, pauses
from intake.enums import Channel, Direction, JobState
from intake.models import Job, Message
from tests.webhooks.test_health import _app, closed_port_url
from webhooks.pause import already_fired, still_waiting
from webhooks.rasa_client import DialogueUnavailable, RasaClient, replica_order, replica_urls


class Replica:
    """Stands in for one Rasa replica's REST channel: answers every POST with ``status`` and its own name."""

    def __init__(self, name: str, status: int = 200) -> None:
        replica = self
        self.name, self.status, self.senders = name, status, []  # type: ignore[var-annotated]

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                replica.senders.append(body.get("sender"))
                answer = json.dumps([{"recipient_id": body.get("sender"), "text": replica.name}]).encode()
                self.send_response(replica.status)
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def do_GET(self) -> None:
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *_args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def replicas() -> Iterator[list[Replica]]:
    started = [Replica("a"), Replica("b")]
    yield started
    for replica in started:
        replica.stop()


def test_rasa_url_lists_replicas() -> None:
    assert replica_urls(" http://a:5005/, http://b:5005 ,http://a:5005") == ("http://a:5005", "http://b:5005")
    assert replica_urls("") == ("http://127.0.0.1:5005",)


def test_each_conversation_has_one_replica_and_a_lost_one_moves_only_its_own() -> None:
    urls = ("http://a", "http://b", "http://c")
    ids = [f"conversation-{i}" for i in range(300)]
    first = {i: replica_order(urls, i)[0] for i in ids}
    assert first == {i: replica_order(urls, i)[0] for i in ids}  # stable, in every process
    assert all(sum(1 for u in first.values() if u == url) > 50 for url in urls)  # spread over all
    without_c = {i: replica_order(("http://a", "http://b"), i)[0] for i in ids}
    assert all(without_c[i] == first[i] for i in ids if first[i] != "http://c")


def test_a_conversation_goes_to_its_replica_and_to_another_when_it_is_down(replicas: list[Replica]) -> None:
    a, b = replicas
    client = RasaClient(f"{a.url},{b.url}", timeout=5)
    ids = [f"c{i}" for i in range(20)]
    for conversation in ids:
        answer = client.send(sender=conversation, text="hi", metadata={})
        assert answer.texts == ((replica_order(client.urls, conversation)[0] == a.url and "a") or "b",)
    assert a.senders and b.senders and set(a.senders).isdisjoint(b.senders)
    a.status = 500  # a's dialogue fails: b takes every conversation
    assert {client.send(sender=c, text="hi", metadata={}).texts for c in ids} == {("b",)}
    a.stop()  # a is gone
    assert {client.send(sender=c, text="hi", metadata={}).texts for c in ids} == {("b",)}
    b.status = 503
    with pytest.raises(DialogueUnavailable):
        client.send(sender="c1", text="hi", metadata={})


def test_health_names_each_replica_and_stays_up_while_one_answers(database, connection, keyring, tmp_path, replicas):  # type: ignore[no-untyped-def]
    down = closed_port_url()
    app = _app(database, connection, keyring, tmp_path, RASA_URL=f"{replicas[0].url},{down}")
    rasa = app.test_client().get("/healthz").json["components"]["rasa"]
    assert rasa["status"] == "ok"
    assert rasa["replicas"] == {replicas[0].url: {"status": "ok"}, down: rasa["replicas"][down]}
    assert rasa["replicas"][down]["status"] == "unavailable"


def _user(stamp: float, intent: str = "inform", external: bool = False) -> dict[str, Any]:
    return {
        "event": "user",
        "timestamp": stamp,
        "metadata": {"is_external": True} if external else {},
        "parse_data": {"intent": {"name": intent}},
    }


def _bot(text: str) -> dict[str, Any]:
    return {"event": "bot", "text": text}


WAITING = {"active_loop": {"name": "complaint_form"}, "slots": {"requested_slot": "narrative_more"}}


def test_a_due_pause_fires_only_while_the_resident_is_silent_and_the_dialogue_waits() -> None:
    told = [_user(1.0), _bot("Anything more?"), _user(2.0), _bot("Anything more?")]
    assert still_waiting({**WAITING, "events": told}, 2.0)
    assert not still_waiting({**WAITING, "events": told}, 1.0)  # they wrote since
    assert not still_waiting({**WAITING, "events": [*told, _user(3.0)]}, 2.0)
    moved_on = {"active_loop": {"name": "complaint_form"}, "slots": {"requested_slot": "incident_time"}}
    assert not still_waiting({**moved_on, "events": told}, 2.0)
    assert not still_waiting({"slots": {}, "active_loop": {}, "events": told}, 2.0)


def test_a_pause_that_fired_is_found_with_what_the_bot_said() -> None:
    events = [_user(2.0), _bot("Anything more?"), _user(5.0, "EXTERNAL_narrative_pause", True), _bot("When?")]
    assert already_fired(events, 2.0) == ["When?"]
    assert already_fired(events[:2], 2.0) is None
    assert already_fired([*events, _user(9.0), _bot("Where?")], 2.0) == ["When?"]
    assert already_fired(events, 1.0) is None


def _queued(session: Session) -> list[Job]:
    return list(session.scalars(select(Job).where(Job.kind == pauses.KIND, Job.state == JobState.QUEUED)))


def test_a_new_pause_supersedes_the_last_and_a_new_message_cancels_it(session: Session) -> None:
    first = pauses.schedule_pause(session, conversation_id="conv-1", seconds=60, after=1.5)
    other = pauses.schedule_pause(session, conversation_id="conv-2", seconds=60, after=1.5)
    again = pauses.schedule_pause(session, conversation_id="conv-1", seconds=60, after=1.5)
    assert again.id == first.id  # the same pause asked twice is one job
    second = pauses.schedule_pause(session, conversation_id="conv-1", seconds=60, after=2.5)
    assert {j.id for j in _queued(session)} == {second.id, other.id}
    message = Message(
        channel=Channel.SMS, direction=Direction.INBOUND, provider_id="SM-pause-1", conversation_id="conv-1", body="x"
    )
    inbound.store_inbound(session, message=message)
    assert {j.id for j in _queued(session)} == {other.id}
    with pytest.raises(ValueError):
        pauses.schedule_pause(session, conversation_id="conv-1", seconds=0, after=3.0)


def test_the_dialogue_queues_a_pause_through_the_internal_api(client, keyring, session: Session) -> None:  # type: ignore[no-untyped-def]
    headers = {"Authorization": f"Bearer {keyring.internal_token}"}
    answer = client.post(
        "/internal/v1/conversations/conv-9/pause", json={"seconds": 30, "after": 7.25}, headers=headers
    )
    assert answer.status_code == 202, answer.json
    (job,) = [j for j in _queued(session) if j.payload["conversation_id"] == "conv-9"]
    assert job.payload["after"] == 7.25
    for bad in (
        {"seconds": 0, "after": 1.0},
        {"seconds": 30},
        {"seconds": "30", "after": 1.0},
        {"seconds": 9e9, "after": 1},
    ):
        refused = client.post("/internal/v1/conversations/conv-9/pause", json=bad, headers=headers)
        assert refused.status_code == 422, bad
    assert client.post("/internal/v1/conversations/conv-9/pause", json={"seconds": 30, "after": 1.0}).status_code == 401
