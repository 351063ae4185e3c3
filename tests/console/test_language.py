"""The console speaks English or Spanish, chosen by each staff member; residents' words are never touched."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.pofile import read_po

from intake.enums import Role
from tests.console.conftest import CSRF, sign_in, sms_case

SPANISH = Path(__file__).resolve().parents[2] / "locales" / "es" / "LC_MESSAGES" / "console.po"


def spanish(english: str) -> str:
    """The Spanish catalog's words for ``english`` (so the test follows the catalog, not a copy of it)."""
    with SPANISH.open("rb") as handle:
        catalog = read_po(handle)
    translated = catalog.get(english)
    assert translated is not None and translated.string, f"the Spanish catalog lacks {english!r}"
    return str(translated.string)


def test_the_browser_preference_picks_spanish_before_sign_in(client):
    html = client.get("/console/login", headers={"Accept-Language": "es-US,es;q=0.9,en;q=0.5"}).get_data(as_text=True)
    assert '<html lang="es">' in html
    assert spanish("Sign in") in html and ">Sign in<" not in html
    english = client.get("/console/login", headers={"Accept-Language": "en-US"}).get_data(as_text=True)
    assert '<html lang="en">' in english and "Sign in" in english


def test_a_staff_member_switches_language_and_it_sticks(client, session, keyring, team):
    case, _ = sms_case(session, keyring)
    sign_in(client, team[Role.INTAKE])
    response = client.post(
        "/console/language", data={"csrf_token": CSRF, "locale": "es", "next": f"/console/cases/{case.id}"}
    )
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/console/cases/{case.id}")
    html = client.get(f"/console/cases/{case.id}", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert '<html lang="es">' in html and spanish("Queue") in html
    # The resident's own words stay as they were written, marked with their language.
    assert re.search(r'<blockquote class="narrative" lang="es">El oficial me empujó', html)
    client.post("/console/language", data={"csrf_token": CSRF, "locale": "en", "next": "/console/"})
    assert '<html lang="en">' in client.get("/console/").get_data(as_text=True)


def test_the_switch_needs_its_csrf_token_and_never_leaves_the_console(client, session, team):
    sign_in(client, team[Role.INTAKE])
    assert client.post("/console/language", data={"locale": "es"}).status_code == 400
    for away in ("https://evil.example/", "//evil.example/console/", "/api/v1/complaints"):
        response = client.post("/console/language", data={"csrf_token": CSRF, "locale": "es", "next": away})
        assert response.status_code == 303 and response.headers["Location"].endswith("/console/")


def test_an_unknown_language_is_ignored(client, team):
    sign_in(client, team[Role.INTAKE])
    client.post("/console/language", data={"csrf_token": CSRF, "locale": "xx", "next": "/console/"})
    assert '<html lang="en">' in client.get("/console/", headers={"Accept-Language": "fr"}).get_data(as_text=True)
