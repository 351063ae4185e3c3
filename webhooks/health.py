"""``/healthz``: the state of each component, for load balancers and people."""

from __future__ import annotations

from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue
from sqlalchemy import text

from web.extensions import limiter
from web.session import get_session

bp = Blueprint("health", __name__)


def _database_state() -> dict[str, str]:
    session = get_session()
    try:
        session.execute(text("SELECT 1"))
    except Exception as exc:  # any failure means the component is down
        session.rollback()
        return {"status": "unavailable", "error": type(exc).__name__}
    return {"status": "ok", "backend": session.get_bind().dialect.name}


@bp.get("/healthz")
@limiter.exempt
def healthz() -> ResponseReturnValue:
    """Report each component; 503 when one the service needs is down."""
    components = {"database": _database_state()}
    healthy = all(c["status"] == "ok" for c in components.values())
    return jsonify({"status": "ok" if healthy else "degraded", "components": components}), 200 if healthy else 503
