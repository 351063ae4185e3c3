"""Item 11: the report form's draft cookie is issued by the server only, and changes at each step that shows data.

The attacks: a second party plants a ``heard_web`` value of their choosing in the resident's
browser (a shared computer, a cookie set from a sibling subdomain) and reads the draft with
it later; or someone who once saw the cookie (a proxy log, a glance over the shoulder at the
developer tools) reuses it after the resident went on.
"""

from __future__ import annotations

import re

from flask.testing import FlaskClient

from webhooks.pages.texts import COOKIE

PLANTED = "attacker-chosen-value-0123456789abcdef"
NARRATIVE = "Officer Quintero took my phone outside the Weber Avenue library."


def _csrf(page: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found
    return found.group(1)


def _cookie(client: FlaskClient) -> str | None:
    cookie = client.get_cookie(COOKIE)
    return cookie.value if cookie else None


def _fill(client: FlaskClient) -> None:
    """Answer the questions as far as the read-back, as a resident's browser does."""
    answers = [
        ("kind", {"kind": "complaint"}),
        ("what", {"narrative": NARRATIVE}),
        ("when", {"when_text": "last Tuesday"}),
        ("anonymous", {"anonymous": "yes"}),
    ]
    page = client.get("/report").get_data(as_text=True)
    for slug, answer in answers:
        response = client.post(f"/report/{slug}", data={**answer, "csrf": _csrf(page)})
        assert response.status_code == 303, (slug, response.status_code)
        page = client.get(response.headers["Location"]).get_data(as_text=True)


def test_a_planted_cookie_value_is_never_adopted(app) -> None:  # type: ignore[no-untyped-def]
    victim, attacker = app.test_client(), app.test_client()
    victim.set_cookie(COOKIE, PLANTED)
    _fill(victim)
    assert _cookie(victim) != PLANTED

    attacker.set_cookie(COOKIE, PLANTED)
    review = attacker.get("/report/review", follow_redirects=True).get_data(as_text=True)
    assert NARRATIVE not in review


def test_a_planted_value_sent_with_its_own_csrf_token_opens_a_fresh_draft(app) -> None:  # type: ignore[no-untyped-def]
    """The planted value's CSRF token is easy to get (the page shows it); the draft still gets a server token."""
    victim, attacker = app.test_client(), app.test_client()
    attacker.set_cookie(COOKIE, PLANTED)
    planted_csrf = _csrf(attacker.get("/report").get_data(as_text=True))
    victim.set_cookie(COOKIE, PLANTED)
    victim.post("/report/kind", data={"kind": "complaint", "csrf": planted_csrf})
    victim.post("/report/what", data={"narrative": NARRATIVE, "csrf": planted_csrf})
    attacker.set_cookie(COOKIE, PLANTED)
    assert NARRATIVE not in attacker.get("/report/what").get_data(as_text=True)


def test_a_cookie_seen_once_stops_working_after_the_next_step(app) -> None:  # type: ignore[no-untyped-def]
    victim, snoop = app.test_client(), app.test_client()
    page = victim.get("/report").get_data(as_text=True)
    victim.post("/report/kind", data={"kind": "complaint", "csrf": _csrf(page)})
    seen = _cookie(victim)
    assert seen
    page = victim.get("/report/what").get_data(as_text=True)
    victim.post("/report/what", data={"narrative": NARRATIVE, "csrf": _csrf(page)})
    assert _cookie(victim) != seen

    snoop.set_cookie(COOKIE, seen)
    assert NARRATIVE not in snoop.get("/report/what").get_data(as_text=True)
    assert NARRATIVE not in snoop.get("/report/review", follow_redirects=True).get_data(as_text=True)


def test_the_resident_still_files_after_every_rotation(app) -> None:  # type: ignore[no-untyped-def]
    victim = app.test_client()
    _fill(victim)
    review = victim.get("/report/review")
    assert NARRATIVE in review.get_data(as_text=True)
    done = victim.post("/report/review", data={"csrf": _csrf(review.get_data(as_text=True))})
    assert done.status_code == 200
    assert "PIN" in done.get_data(as_text=True) or re.search(r"\d{4}", done.get_data(as_text=True))
