"""``/healthz``: the state of each component, for load balancers and people.

``status`` is ``ok`` while everything residents need answers (the database, Rasa, and
the action server when this deployment names one); otherwise ``degraded`` with 503.
What staff must see to but residents do not wait on (a silent worker, dead jobs, a
queue falling behind, no translation packages) is listed in ``alerts``, with 200.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import requests
from flask import Blueprint, current_app, jsonify
from flask.typing import ResponseReturnValue
from sqlalchemy import text

from intake import jobs, quarantine
from intake.db import utcnow
from intake.translation.engine import installed_pairs
from web.extensions import limiter
from web.session import get_session
from webhooks.rasa_client import replica_urls

bp = Blueprint("health", __name__)

# Connect and read timeouts for a probe: a load balancer's check must not hang on a dead peer.
PROBE_TIMEOUT = (1.0, 2.0)
# The oldest due job waiting longer than this means the workers are not keeping up.
QUEUE_LAG = dt.timedelta(minutes=5)
NEEDED = ("database", "rasa", "actions")


def _database_state() -> dict[str, Any]:
    session = get_session()
    try:
        session.execute(text("SELECT 1"))
    except Exception as exc:  # any failure means the component is down
        session.rollback()
        return {"status": "unavailable", "error": type(exc).__name__}
    return {"status": "ok", "backend": session.get_bind().dialect.name}


def _probe(url: str) -> dict[str, Any]:
    """GET ``url``; ok on any answer below 500 (the server is up and speaking HTTP)."""
    try:
        response = requests.get(url, timeout=PROBE_TIMEOUT)
    except requests.RequestException as exc:
        return {"status": "unavailable", "error": type(exc).__name__}
    if response.status_code >= 500:
        return {"status": "unavailable", "error": f"HTTP {response.status_code}"}
    return {"status": "ok"}


def _rasa_state(setting: str) -> dict[str, Any]:
    """Probe every Rasa replica in ``RASA_URL``; ok while at least one answers (the others take over)."""
    replicas = {url: _probe(url + "/") for url in replica_urls(setting)}
    up = sum(1 for state in replicas.values() if state["status"] == "ok")
    state: dict[str, Any] = {"status": "ok" if up else "unavailable", "replicas": replicas}
    if len(replicas) == 1:
        state = dict(next(iter(replicas.values())))
    return state


def _actions_state(actions_url: str | None) -> dict[str, Any]:
    if actions_url is None:
        return {"status": "not configured"}
    # rasa-sdk serves GET /health beside POST /webhook.
    return _probe(actions_url.removesuffix("/webhook") + "/health")


def _iso(when: dt.datetime | None) -> str | None:
    return when.isoformat() if when else None


def _queue_states(now: dt.datetime) -> tuple[dict[str, Any], dict[str, Any]]:
    """Report the worker (last heartbeat) and the queue (depth, oldest due job, dead jobs)."""
    health = jobs.queue_health(get_session(), now=now)
    worker: dict[str, Any]
    if health.last_heartbeat is None:
        worker = {"status": "never seen", "last_heartbeat": None}
    else:
        silent = now - health.last_heartbeat
        worker = {
            "status": "ok" if silent < jobs.HEARTBEAT_STALE else "silent",
            "last_heartbeat": _iso(health.last_heartbeat),
            "seconds_since_heartbeat": round(silent.total_seconds(), 1),
        }
    worker["workers"] = health.workers_seen
    lag = now - health.oldest_due_at if health.oldest_due_at else None
    queue = {
        "status": "dead jobs" if health.dead else "behind" if lag and lag > QUEUE_LAG else "ok",
        "queued": health.queued,
        "due": health.due,
        "running": health.running,
        "dead": health.dead,
        "oldest_due_at": _iso(health.oldest_due_at),
        "oldest_due_seconds": round(lag.total_seconds(), 1) if lag else None,
    }
    return worker, queue


def _quarantine_state() -> dict[str, Any]:
    """Report the texts whose signature failed, kept unprocessed (an alert, never a 503: forgers cannot flip it)."""
    state = quarantine.state(get_session())
    return {"status": "alert" if state.waiting else "ok", "waiting": state.waiting, "oldest": _iso(state.oldest)}


def _alerts(components: dict[str, dict[str, Any]]) -> list[str]:
    alerts = []
    kept = components.get("quarantine")
    if kept and kept["waiting"]:
        alerts.append(
            f"{kept['waiting']} texts whose Twilio signature failed are kept unprocessed: check TWILIO_AUTH_TOKEN"
            " and PUBLIC_BASE_URL, then `intake quarantine release`"
        )
    worker, queue, translation = components.get("worker"), components.get("queue"), components["translation"]
    if worker and worker["status"] != "ok":
        alerts.append(f"worker {worker['status']}: replies that miss the inline window and translations wait")
    if queue and queue.get("dead"):
        alerts.append(f"{queue['dead']} dead jobs: see `intake jobs status`, then `intake jobs retry-dead`")
    if queue and queue["status"] == "behind":
        alerts.append(f"the oldest due job has waited {queue['oldest_due_seconds']} s")
    if translation["status"] != "ok":
        alerts.append("no translation packages installed: `intake translate install`")
    return alerts


@bp.get("/healthz")
@limiter.exempt
def healthz() -> ResponseReturnValue:
    """Report each component; 503 when one residents need is down."""
    channel = current_app.extensions["heard.channel_settings"]
    translation = current_app.extensions["heard.translation"]
    components: dict[str, dict[str, Any]] = {
        "database": _database_state(),
        "rasa": _rasa_state(channel.rasa_url),
        "actions": _actions_state(channel.actions_url),
    }
    if components["database"]["status"] == "ok":
        try:
            components["worker"], components["queue"] = _queue_states(utcnow())
            components["quarantine"] = _quarantine_state()
        except Exception as exc:  # e.g. a database not yet migrated: say so, never fail the check
            get_session().rollback()
            components["queue"] = {"status": "unavailable", "error": type(exc).__name__}
    pairs = installed_pairs(translation.settings)
    components["translation"] = {"status": "ok" if pairs else "none installed", "pairs": pairs}
    healthy = all(components[name]["status"] in ("ok", "not configured") for name in NEEDED)
    body = {"status": "ok" if healthy else "degraded", "components": components, "alerts": _alerts(components)}
    return jsonify(body), 200 if healthy else 503
