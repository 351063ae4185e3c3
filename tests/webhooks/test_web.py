"""Errors answer in their caller's terms: a small page in the resident's language, JSON for programs."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.webhooks.test_report import Resident, _csrf, _text

PAGE_CSP = "script-src 'self'"


def _is_resident_page(response: Any, lang: str) -> str:
    """Check the answer is Heard's own small page in ``lang``, with a way on and no trace; return its text."""
    assert response.mimetype == "text/html", response.get_data(as_text=True)[:300]
    html = response.get_data(as_text=True)
    assert f'<html lang="{lang}"' in html and response.headers["Content-Language"] == lang
    assert PAGE_CSP in response.headers["Content-Security-Policy"] and response.headers["Cache-Control"] == "no-store"
    assert f'href="/report?lang={lang}"' in html and f'href="/status?lang={lang}"' in html  # a way back
    assert "Traceback" not in html and 'File "' not in html
    assert not re.search(r"<script(?![^>]*\bsrc=)", html)
    return _text(html)


def test_an_unknown_page_is_a_localized_page_not_werkzeugs(client):
    response = client.get("/denuncias/vieja?lang=es")
    assert response.status_code == 404
    text = _is_resident_page(response, "es")
    assert "No encontramos esta página." in text and "Not Found" not in text


def test_an_unknown_report_step_follows_the_browsers_language(client):
    response = client.get("/report/nowhere", headers={"Accept-Language": "vi-VN,vi;q=0.9"})
    assert response.status_code == 404
    assert "Chúng tôi không tìm thấy trang này." in _is_resident_page(response, "vi")


def test_a_wrong_method_is_a_localized_page_that_still_says_what_is_allowed(client):
    response = client.post("/?lang=km")
    assert response.status_code == 405 and "GET" in response.headers["Allow"]
    assert "ទំព័រនេះមិនអាចធ្វើអ្វីដែលកម្មវិធីរុករករបស់លោកអ្នកបានស្នើសុំបានទេ។" in _is_resident_page(response, "km")


def test_an_oversized_answer_is_a_friendly_page_and_the_draft_survives(client):
    ana = Resident(client, "es")
    ana.go("kind", "/report/what", kind="complaint")
    response = ana.answer("what", narrative="x" * (3 * 1024 * 1024))
    assert response.status_code == 413
    text = _is_resident_page(response, "es")
    assert "Lo que envió es demasiado grande." in text and "no se perdieron" in text
    assert "Request Entity Too Large" not in text and "Content Too Large" not in text
    ana.go("what", "/report/when", narrative="me empujó")  # the draft and its cookie still work


def test_too_many_requests_is_a_localized_page(client):
    csrf = _csrf(client.get("/status?lang=tl").get_data(as_text=True))
    codes = [
        client.post("/status", data={"csrf": csrf, "lang": "tl", "tracking_number": f"{i:010d}", "pin": ""}).status_code
        for i in range(20)
    ]
    assert set(codes) == {422}
    response = client.post("/status?lang=tl", data={"csrf": csrf, "lang": "tl", "tracking_number": "1", "pin": "1"})
    assert response.status_code == 429
    assert "Masyado pong mabilis ang pagpapadala ninyo." in _is_resident_page(response, "tl")


def test_a_crash_on_a_residents_page_is_a_localized_page_with_911_and_no_trace(client, monkeypatch):
    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("database password is hunter2")

    monkeypatch.setattr("webhooks.pages.status.complaints.prove_case", broken)
    csrf = _csrf(client.get("/status?lang=zh").get_data(as_text=True))
    response = client.post("/status", data={"csrf": csrf, "lang": "zh", "tracking_number": "482-193-7703", "pin": "1"})
    assert response.status_code == 500
    text = _is_resident_page(response, "zh-Hans")  # "zh" is read in Simplified characters
    assert "我们这边出了问题。" in text and "911" in text
    assert "hunter2" not in response.get_data(as_text=True) and "RuntimeError" not in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("get", "/api/v1/nothing", 404),
        ("get", "/internal/v1/nothing", 404),
        ("put", "/chat/api/messages", 405),
        ("get", "/chat/api/nothing", 404),
        ("post", "/healthz", 405),
    ],
)
def test_programs_still_get_json(client, method, path, status):
    response = getattr(client, method)(path)
    assert response.status_code == status and response.is_json and "error" in response.json


def test_a_crash_in_the_chat_api_is_still_json(client, monkeypatch):
    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr("webhooks.chat.web_sessions.open_session", broken)
    response = client.post("/chat/api/sessions", json={"lang": "es"})
    assert response.status_code == 500 and response.is_json and "boom" not in response.get_data(as_text=True)


def test_twilios_webhooks_keep_their_own_answers(client):
    response = client.get("/twilio/sms")
    assert response.status_code == 405
    assert "911" not in response.get_data(as_text=True) and "Content-Language" not in response.headers
