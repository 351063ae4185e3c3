"""A supervisor's export or erasure of one resident's data, on the resident's request (issue 17).

Thin like every console view: the service in ``intake/privacy.py`` checks the role (supervisors
only), requires a reason and writes the audit entry; a refusal keeps only its ``access.denied``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from flask import Flask, Response, abort, flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from console import views
from intake import privacy
from intake.cases import tracking
from intake.db import flush_deleted
from intake.errors import NotFound, OnLegalHold, PermissionDenied, ValidationError
from intake.models import Case
from web.session import get_session, keyring, storage

bp = views.section("resident_data", __name__, "/console/cases/<int:case_id>/resident-data")


def init_app(app: Flask) -> None:
    """Register the pages once."""
    if bp.name not in app.blueprints:
        app.register_blueprint(bp)


def _back(case_id: int, message: str, category: str) -> ResponseReturnValue:
    flash(message, category)
    return redirect(url_for("console.case", case_id=case_id), 303)


def _with_reason(case_id: int, act: Callable[[str], Any]) -> tuple[Any, ResponseReturnValue | None]:
    """Run a supervisor's act with the form's reason; commit it, or answer the refusal (second item)."""
    db = get_session()
    try:
        done = act(request.form.get("reason", ""))
    except PermissionDenied as exc:
        views.refused(exc)
    except NotFound:
        abort(404)
    except OnLegalHold:
        db.rollback()
        held = _("This case is on legal hold. Lift the hold, with its reason, before erasing.")
        return None, _back(case_id, held, "error")
    except ValidationError:
        db.rollback()
        return None, _back(case_id, _("Give a reason of at most 500 characters."), "error")
    db.commit()
    return done, None


@bp.post("/export")
def export(case_id: int) -> ResponseReturnValue:
    """Download what one resident gave Heard, as JSON (supervisors, with a reason)."""
    db = get_session()
    data, refusal = _with_reason(
        case_id,
        lambda reason: privacy.export_for(
            db, keyring=keyring(), viewer=views._viewer(), case_id=case_id, reason=reason
        ),
    )
    if refusal is not None:
        return refusal
    number = tracking.format_tracking_number(db.get(Case, case_id).tracking_number)  # type: ignore[union-attr]
    body = json.dumps(data, ensure_ascii=False, indent=2)
    headers = {
        "Content-Disposition": f'attachment; filename="heard-resident-data-{number}.json"',
        "Cache-Control": "no-store",
    }
    return Response(body, mimetype="application/json", headers=headers)


@bp.post("/erase")
def erase(case_id: int) -> ResponseReturnValue:
    """Erase one resident's data from a case (supervisors, with a reason and a tick)."""
    db = get_session()
    if request.form.get("confirm") != "yes":
        # NOTE: the role is checked first, so a refused try is audited even without the tick.
        _checked, refusal = _with_reason(case_id, lambda _reason: privacy.check_may_erase(
            db, viewer=views._viewer(), case_id=case_id))  # fmt: skip
        return refusal or _back(case_id, _("Tick the box to confirm the erasure."), "error")
    erasure, refusal = _with_reason(
        case_id, lambda reason: privacy.erase_for(db, viewer=views._viewer(), case_id=case_id, reason=reason)
    )
    if refusal is not None:
        return refusal
    privacy.remove_erased_files(db, storage(), erasure.stored_keys)  # NOTE: only once the erasure is committed
    flush_deleted(db.get_bind().engine)  # the erased words out of SQLite's log too
    return _back(case_id, _("The resident's data was erased."), "success")
