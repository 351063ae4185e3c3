"""The no-JavaScript report form, the status page and the demo page, as a browser without script sees them."""

from __future__ import annotations

import datetime as dt
import re
from html import unescape
from typing import Any

import pytest
from sqlalchemy import select

from intake.cases import duplicates, tracking
from intake.enums import Channel, Kind, Language, PreferredContact
from intake.models import Case, Contact, WebSession
from tests.factories import make_case


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, html[:500]
    return found.group(1)


def _text(html: str) -> str:
    main = html[html.index("<main") :]
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", main)))


class Resident:
    """One person filling the form in a browser with JavaScript off."""

    def __init__(self, client: Any, lang: str) -> None:
        self.client = client
        self.lang = lang
        page = client.get(f"/report?lang={lang}")
        assert page.status_code == 200
        self.csrf = _csrf(page.get_data(as_text=True))

    def answer(self, slug: str, **fields: str) -> Any:
        response = self.client.post(f"/report/{slug}", data={"csrf": self.csrf, "lang": self.lang, **fields})
        self.follow(response)
        return response

    def follow(self, response: Any) -> None:
        """Read the form's new CSRF token as the browser does: the draft's cookie changes at every step."""
        text = response.get_data(as_text=True)
        location = response.headers.get("Location", "")
        if response.status_code == 303 and location.startswith(("/report", "http://localhost/report")):
            text = self.client.get(location).get_data(as_text=True)
        found = re.search(r'name="csrf" value="([^"]+)"', text)
        if found:
            self.csrf = found.group(1)

    def go(self, slug: str, expected_next: str, **fields: str) -> None:
        response = self.answer(slug, **fields)
        assert response.status_code == 303, _text(response.get_data(as_text=True))[:400]
        assert response.headers["Location"].startswith(expected_next), response.headers["Location"]


def _case(session: Any, number: str) -> Case:
    digits = number.replace("-", "")
    return session.scalars(select(Case).where(Case.tracking_number == digits)).one()


def test_a_whole_complaint_in_spanish_files_the_residents_words(client, session, keyring):
    ana = Resident(client, "es")
    first = client.get("/report?lang=es").get_data(as_text=True)
    assert '<html lang="es" dir="ltr">' in first and "¿Qué desea hacer?" in first and "911" in first
    ana.go("kind", "/report/what", kind="complaint")
    ana.go("what", "/report/when", narrative="El oficial me empujó <b>contra</b> el carro.")
    ana.go("when", "/report/where", when_text="el sábado en la noche", when_date="2026-11-01", when_time="21:30")
    ana.go("where", "/report/officers", location="Calle Main y Weber")
    ana.go("officers", "/report/injuries", officers="placa 4471")
    ana.go("injuries", "/report/witnesses", injuries="")
    ana.go("witnesses", "/report/evidence", witnesses="mi hermana")
    ana.go("evidence", "/report/anonymous")  # no file chosen: nothing to add, nothing refused
    ana.go("anonymous", "/report/contact", anonymous="no")
    ana.go("contact", "/report/review", name="Ana Reyes", phone="(209) 555-0142", preferred="sms", times="de noche")
    review = client.get("/report/review?lang=es").get_data(as_text=True)
    shown = _text(review)
    assert "Revise su reporte" in shown and "El oficial me empujó <b>contra</b> el carro." in shown
    assert "<b>contra</b>" not in review  # the resident's words are text, never markup
    assert "Ana Reyes" in shown and "Mensaje de texto" in shown and "Pregunta 11 de 11" in shown
    done = client.post("/report/review", data={"csrf": ana.csrf, "lang": "es"})
    assert done.status_code == 200
    assert "heard_web=;" in done.headers["Set-Cookie"]  # the browser forgets the draft
    page = _text(done.get_data(as_text=True))
    number = re.search(r"(\d{3}-\d{3}-\d{4})", page).group(1)
    pin = re.search(r"Su PIN es (\d{6})", page).group(1)
    case = _case(session, number)
    assert case.channel is Channel.WEB_FORM and case.language is Language.ES and case.kind is Kind.COMPLAINT
    assert case.narrative == "El oficial me empujó <b>contra</b> el carro."
    assert case.location == "Calle Main y Weber" and case.officers == "placa 4471" and case.injuries is None
    assert case.witnesses == "mi hermana\ncontact times: de noche"
    assert case.incident_time_text == "el sábado en la noche"
    assert case.incident_at == dt.datetime(2026, 11, 2, 5, 30, tzinfo=dt.timezone.utc)  # 21:30 PST in Stockton
    contact = session.get(Contact, case.id)
    assert keyring.decrypt(contact.phone_token) == "+12095550142" and contact.preferred is PreferredContact.SMS
    web = session.scalars(select(WebSession).where(WebSession.case_id == case.id)).one()
    assert web.draft_token is None and web.end_reason == "filed"

    # The status page, with the number and PIN from the receipt.
    status_page = client.get("/status?lang=es").get_data(as_text=True)
    answer = client.post(
        "/status", data={"csrf": _csrf(status_page), "lang": "es", "tracking_number": number, "pin": pin}
    )
    assert answer.status_code == 200
    shown = _text(answer.get_data(as_text=True))
    assert f"Estado del reporte {number}" in shown and "Recibido el" in shown


def test_an_anonymous_commendation_in_khmer_asks_fewer_questions(client, session):
    sok = Resident(client, "km")
    sok.go("kind", "/report/what", kind="commendation")
    sok.go("what", "/report/when", narrative="ប៉ូលិសបានជួយកូនខ្ញុំដែលវង្វេង។")
    sok.go("when", "/report/where", when_text="ម្សិលមិញ", when_date="2026-11-01")
    sok.go("where", "/report/officers", location="ផ្សារ")
    sok.go("officers", "/report/anonymous", officers="")  # a commendation skips injuries and witnesses
    sok.go("anonymous", "/report/review", anonymous="yes")  # and an anonymous report skips contact
    review = client.get("/report/review?lang=km").get_data(as_text=True)
    assert '<html lang="km"' in review and "មិនបញ្ចេញឈ្មោះ" in review and "សំណួរទី 7 ក្នុងចំណោម 7" in review
    done = client.post("/report/review", data={"csrf": sok.csrf, "lang": "km"}).get_data(as_text=True)
    page = _text(done)
    assert "លេខតាមដានរបស់លោកអ្នកគឺ" in page
    case = _case(session, re.search(r"(\d{3}-\d{3}-\d{4})", page).group(1))
    assert case.kind is Kind.COMMENDATION and case.language is Language.KM and case.anonymous
    assert case.narrative == "ប៉ូលិសបានជួយកូនខ្ញុំដែលវង្វេង។" and case.incident_at is None
    assert case.incident_time_text == "2026-11-01 — ម្សិលមិញ"  # a day without an hour stays words
    assert session.get(Contact, case.id) is None


@pytest.mark.parametrize(
    ("slug", "fields", "field", "message"),
    [
        ("what", {"narrative": "   "}, "narrative", "Por favor, cuéntenos qué pasó."),
        ("what", {"narrative": "x" * 20_001}, "narrative", "20000 caracteres"),
        ("when", {"when_date": "2999-01-01"}, "when_date", "La fecha no puede ser en el futuro."),
        ("contact", {"phone": "12"}, "phone", "no es un número"),
        ("contact", {"email": "ana@"}, "email", "dirección de correo"),
        ("contact", {"preferred": "email"}, "preferred", "correo electrónico"),
        ("anonymous", {}, "anonymous", "elija una opción"),
    ],
)
def test_answers_are_checked_like_every_other_channel_and_errors_say_so(client, slug, fields, field, message):
    ana = Resident(client, "es")
    ana.go("kind", "/report/what", kind="complaint")
    if slug != "what":
        ana.go("what", "/report/when", narrative="me empujó")
    if slug == "contact":
        ana.go("anonymous", "/report/contact", anonymous="no")
    response = ana.answer(slug, **fields)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'role="alert"' in html and "Hay un problema" in html and message in unescape(html)
    assert f'id="{field}-error"' in html
    if field not in ("preferred", "anonymous"):
        assert re.search(rf'id="{field}"[^>]*aria-invalid="true"', html)


def test_a_form_without_its_csrf_token_is_refused(client):
    client.get("/report?lang=en")
    response = client.post("/report/kind", data={"kind": "complaint", "lang": "en"})
    assert response.status_code == 400 and "expired" in response.get_data(as_text=True)


def test_the_review_can_change_an_answer_and_come_back(client):
    ana = Resident(client, "en")
    for slug, nxt, fields in [
        ("kind", "/report/what", {"kind": "complaint"}),
        ("what", "/report/when", {"narrative": "pushed"}),
        ("when", "/report/where", {}),
        ("where", "/report/officers", {"location": "Main"}),
        ("officers", "/report/injuries", {}),
        ("injuries", "/report/witnesses", {}),
        ("witnesses", "/report/evidence", {}),
        ("evidence", "/report/anonymous", {}),
        ("anonymous", "/report/review", {"anonymous": "yes"}),
    ]:
        ana.go(slug, nxt, **fields)
    review = client.get("/report/review").get_data(as_text=True)
    assert 'href="/report/where?lang=en&amp;from=review"' in review
    change = client.get("/report/where?lang=en&from=review").get_data(as_text=True)
    assert 'name="from" value="review"' in change and "Main" in change
    ana.go("where", "/report/review", location="Weber Avenue", **{"from": "review"})
    assert "Weber Avenue" in client.get("/report/review").get_data(as_text=True)


def test_leave_quickly_forgets_the_draft_and_goes_somewhere_neutral(client, session):
    ana = Resident(client, "en")
    ana.go("kind", "/report/what", kind="complaint")
    leave = client.get("/report/leave")
    assert leave.status_code == 303 and leave.headers["Location"] == "https://www.weather.gov/"
    assert "heard_web=;" in leave.headers["Set-Cookie"]
    assert client.get("/report/what").status_code == 303  # nothing left to resume
    assert session.scalars(select(WebSession).where(WebSession.end_reason == "abandoned")).one()


def test_the_status_page_says_the_same_for_a_wrong_pin_and_an_unknown_number(client, session, keyring):
    _, receipt = make_case(session, keyring)
    session.commit()
    number = receipt.as_dict()["tracking_number"]
    csrf = _csrf(client.get("/status?lang=vi").get_data(as_text=True))
    wrong = client.post("/status", data={"csrf": csrf, "lang": "vi", "tracking_number": number, "pin": "000000"})
    unknown = client.post("/status", data={"csrf": csrf, "lang": "vi", "tracking_number": "123-456-7890", "pin": "1"})
    assert wrong.status_code == unknown.status_code == 404
    assert _text(wrong.get_data(as_text=True)) == _text(unknown.get_data(as_text=True))
    assert "Không có hồ sơ nào khớp" in _text(wrong.get_data(as_text=True))
    right = client.post("/status", data={"csrf": csrf, "lang": "vi", "tracking_number": number, "pin": receipt.pin})
    assert "Tình trạng hồ sơ" in _text(right.get_data(as_text=True))


def _status_page(client: Any, receipt: Any, lang: str) -> str:
    csrf = _csrf(client.get(f"/status?lang={lang}").get_data(as_text=True))
    number = receipt.as_dict()["tracking_number"]
    answer = client.post("/status", data={"csrf": csrf, "lang": lang, "tracking_number": number, "pin": receipt.pin})
    assert answer.status_code == 200
    return _text(answer.get_data(as_text=True))


def test_the_status_page_says_a_merged_report_was_joined_with_another(client, session, keyring):
    original, original_receipt = make_case(session, keyring)
    duplicate, receipt = make_case(session, keyring)
    duplicate_merged = "Este reporte se unió a otro reporte sobre los mismos hechos"
    session.commit()
    assert duplicate_merged not in _status_page(client, receipt, "es")
    duplicates.merge(session, case=duplicate, into=original, actor="supervisor", reason="The same stop, twice.")
    session.commit()
    shown = _status_page(client, receipt, "es")
    assert "Estado del reporte" in shown and duplicate_merged in shown
    assert "su PIN siguen funcionando" in shown
    # The resident is not told the other case's number, and the case it joined says nothing of merging.
    assert tracking.format_tracking_number(original.tracking_number) not in shown
    assert duplicate_merged not in _status_page(client, original_receipt, "es")


def test_pages_carry_a_strict_policy_and_no_inline_script(client):
    for path in ["/", "/report", "/status", "/report/nowhere"]:
        response = client.get(path)
        policy = response.headers["Content-Security-Policy"]
        assert "script-src 'self'" in policy and "'unsafe-inline'" not in policy and "frame-ancestors 'none'" in policy
        html = response.get_data(as_text=True)
        assert not re.search(r"<script(?![^>]*\bsrc=)", html), path
        assert " style=" not in html and "<style" not in html
        assert response.headers["Cache-Control"] == "no-store"


def test_the_language_picker_names_each_language_in_its_own_script(client):
    html = client.get("/report", headers={"Accept-Language": "vi-VN,vi;q=0.9"}).get_data(as_text=True)
    assert '<html lang="vi"' in html
    for code, name in [
        ("es", "Español"),
        ("zh-Hans", "中文（简体）"),
        ("zh-Hant", "中文（繁體）"),
        ("km", "ភាសាខ្មែរ"),
        ("hmn", "Hmoob"),
        ("pa", "ਪੰਜਾਬੀ"),
    ]:
        assert f'<option value="{code}" lang="{code}">{name}</option>' in html
    assert html.count("<option ") == 10


@pytest.mark.parametrize(
    ("query", "accept", "lang", "words"),
    [
        ("?lang=zh-Hant", "en-US", "zh-Hant", "您想做甚麼？"),
        ("?lang=zh-Hans", "zh-TW", "zh-Hans", "您想做什么？"),
        ("?lang=zh", "zh-HK", "zh-Hans", "您想做什么？"),  # "zh" named is the Simplified catalog, as before
        ("", "zh-TW,zh;q=0.9,en;q=0.5", "zh-Hant", "您想做甚麼？"),
        ("", "zh-HK", "zh-Hant", "您想做甚麼？"),
        ("", "zh-Hant-US", "zh-Hant", "您想做甚麼？"),
        ("", "zh-CN,zh;q=0.9", "zh-Hans", "您想做什么？"),
        ("", "zh-Hans-HK", "zh-Hans", "您想做什么？"),
    ],
)
def test_chinese_pages_are_written_the_way_the_resident_asks(client, query, accept, lang, words):
    response = client.get(f"/report{query}", headers={"Accept-Language": accept})
    html = response.get_data(as_text=True)
    assert f'<html lang="{lang}"' in html and words in _text(html)
    assert f'<option value="{lang}" lang="{lang}" selected>' in html
    assert response.headers["Content-Language"] == lang


def test_a_report_written_in_traditional_chinese_is_filed_as_chinese(client, session):
    mei = Resident(client, "zh-Hant")
    mei.go("kind", "/report/what?lang=zh-Hant", kind="commendation")
    mei.go("what", "/report/when?lang=zh-Hant", narrative="警員幫我找到了走失的孩子。")
    mei.go("when", "/report/where?lang=zh-Hant", when_text="昨天")
    mei.go("where", "/report/officers?lang=zh-Hant", location="市場")
    mei.go("officers", "/report/anonymous?lang=zh-Hant", officers="")
    mei.go("anonymous", "/report/review?lang=zh-Hant", anonymous="yes")
    # Without the language named, the draft's Chinese is read the way the browser writes it.
    review = client.get("/report/review", headers={"Accept-Language": "zh-TW"}).get_data(as_text=True)
    assert '<html lang="zh-Hant"' in review and "感謝一位警員的良好工作" in _text(review)
    done = client.post("/report/review", data={"csrf": mei.csrf, "lang": "zh-Hant"}).get_data(as_text=True)
    assert '<html lang="zh-Hant"' in done
    case = _case(session, re.search(r"(\d{3}-\d{3}-\d{4})", _text(done)).group(1))
    assert case.language is Language.ZH and case.narrative == "警員幫我找到了走失的孩子。"


def test_the_status_page_answers_in_traditional_chinese(client, session, keyring):
    _, receipt = make_case(session, keyring)
    session.commit()
    csrf = _csrf(client.get("/status", headers={"Accept-Language": "zh-TW"}).get_data(as_text=True))
    number = receipt.as_dict()["tracking_number"]
    form = {"csrf": csrf, "tracking_number": number, "pin": receipt.pin}
    by_browser = client.post("/status", data=form, headers={"Accept-Language": "zh-HK"})
    by_picker = client.post("/status", data={**form, "lang": "zh-Hant"}, headers={"Accept-Language": "en"})
    for response in (by_browser, by_picker):
        html = response.get_data(as_text=True)
        assert '<html lang="zh-Hant"' in html and '<input type="hidden" name="lang" value="zh-Hant">' in html
        assert f"報告 {number} 的狀態：已收到，等待審查。" in _text(html)
    simplified = client.post("/status", data={**form, "lang": "zh-Hans"}).get_data(as_text=True)
    assert '<html lang="zh-Hans"' in simplified and f"报告 {number} 的状态：已收到，等待审查。" in _text(simplified)


def test_the_demo_page_embeds_the_widget_like_a_city_page_would(client):
    html = client.get("/?lang=es").get_data(as_text=True)
    assert '<script src="/chat/widget.js" data-lang="es"' in html and "defer" in html
    assert 'href="/report?lang=es"' in html and "Ciudad de Millbrook" in html
