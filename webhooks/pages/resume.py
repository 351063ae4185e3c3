"""``/report/resume``: a resident who began a report by text opens it on the form with the code they were sent."""

from __future__ import annotations

from flask import g, redirect, request, url_for
from flask.typing import ResponseReturnValue

from intake.conversations import resume, web_sessions
from intake.enums import Channel, Language
from web.extensions import limiter
from web.session import get_session, keyring
from webhooks.pages.common import _check_csrf, _page, bp, rotate
from webhooks.pages.steps import steps_for
from webhooks.pages.texts import EXPIRED, RESUME_REFUSALS
from webhooks.webtext import data_language, page_language, wt

# Where the form goes on from: the first question the text draft had not answered yet.
FIRST_ASKED = ("kind", "what", "when", "where", "officers", "injuries", "witnesses", "anonymous")


def _refused(response: ResponseReturnValue) -> bool:
    """Count a try against the limit only when the code opened nothing (a 422)."""
    return getattr(response, "status_code", 200) == 422


@bp.route("/report/resume", methods=["GET", "POST"])
@limiter.limit("60 per hour", methods=["POST"])
@limiter.limit("10 per hour", methods=["POST"], deduct_when=_refused)
def report_resume() -> ResponseReturnValue:
    """Ask for the code; on POST open the text draft on the form, in the resident's language, once."""
    if request.method == "GET":
        return _page("web/resume.html", error=None)
    if not _check_csrf():
        return _page("web/message.html", 400, heading=EXPIRED, message=None, restart=True)
    session = get_session()
    try:
        opened = resume.redeem_code(session, keyring=keyring(), code=request.form.get("code", "")[:40])
    except resume.ResumeRefused as exc:
        session.commit()  # the refusal of a known code is kept in the audit chain
        return _page("web/resume.html", 422, error=wt(g.lang, RESUME_REFUSALS[exc.reason]))
    g.lang = page_language(opened.language) or g.lang
    language = data_language(g.lang)
    web, _ = web_sessions.open_session(session, keyring=keyring(), channel=Channel.WEB_FORM, language=language)
    g.web_session = web
    draft: dict[str, str] = {
        **opened.answers,
        "language": language,
        "resume_draft_id": opened.draft_id,
        "resume_conversation_id": opened.conversation_id,
    }
    web.language = Language(language)
    web_sessions.save_draft(web, keyring=keyring(), draft=draft)
    rotate(web)
    session.commit()
    asked = [s.slug for s in steps_for(draft)]
    following = next((slug for slug in FIRST_ASKED if slug in asked and not _answered(draft, slug)), None)
    if following is None:
        return redirect(url_for("web.report_review", lang=g.lang), 303)
    return redirect(url_for("web.report_step", slug=following, lang=g.lang), 303)


def _answered(draft: dict[str, str], slug: str) -> bool:
    field = {"what": "narrative", "when": "when_text", "where": "location"}.get(slug, slug)
    return bool(draft.get(field))
