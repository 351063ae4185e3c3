"""The widget and the form in a real browser: keyboard only, axe-core, reflow, leaving quickly."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest
from sqlalchemy import select

from intake.models import Attachment, Case, WebSession
from tests.browser.conftest import axe_violations

pytestmark = pytest.mark.slow

WIDGET = "#heard-chat-widget"
ACTIVE = (
    "() => { const r = document.querySelector('#heard-chat-widget').shadowRoot;"
    " return r.activeElement && (r.activeElement.id || r.activeElement.className) || null }"
)
STORE = "() => window.sessionStorage.getItem('heard.chat.v1')"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4


def _widget(page: Any) -> Any:
    return page.locator(WIDGET)


def _tab_to_launcher(page: Any) -> None:
    for _ in range(30):
        page.keyboard.press("Tab")
        if page.evaluate(ACTIVE) == "launcher":
            return
    raise AssertionError("the chat button cannot be reached with Tab")


def _open_by_keyboard(page: Any, url: str) -> None:
    page.goto(url)
    _widget(page).locator(".launcher").wait_for()
    _tab_to_launcher(page)
    page.keyboard.press("Enter")
    assert page.evaluate(ACTIVE) == "heard-input"


def _send(page: Any, text: str, replies: int) -> None:
    log = _widget(page).locator("[role=log] > .msg")
    before = log.count()
    page.keyboard.type(text)
    page.keyboard.press("Enter")
    log.nth(before + replies).wait_for()  # the resident's line and the dialogue's answers


def test_a_keyboard_only_chat_keeps_focus_and_names_each_speaker(page, live_heard):
    _open_by_keyboard(page, f"{live_heard.url}/?lang=en")
    log = _widget(page).locator("[role=log]")
    assert log.get_attribute("aria-live") == "polite"
    _send(page, "An officer pushed me <img src=x onerror=alert(1)>", 2)
    assert page.evaluate(ACTIVE) == "heard-input"  # focus stays in the input after Enter
    lines = log.locator(".msg")
    texts = [lines.nth(i).inner_text() for i in range(lines.count())]
    assert texts[1].startswith("You:") and "<img src=x onerror=alert(1)>" in texts[1]
    assert texts[2].startswith("Heard:") and "When did it happen?" in texts[2]
    assert _widget(page).locator("img").count() == 0  # HTML in a message stays characters
    assert all(lines.nth(i).get_attribute("lang") == "en" for i in range(lines.count()))
    tree = log.aria_snapshot()
    assert "You:" in tree and "Heard:" in tree
    metadata = live_heard.dialogue.calls[-1]["metadata"]
    assert {k: metadata[k] for k in ("channel", "language")} == {"channel": "web_chat", "language": "en"}
    assert metadata["heard_message_id"].startswith("web_chat:")  # the dialogue takes it once


def test_the_language_picker_and_each_messages_lang(page, live_heard):
    page.goto(f"{live_heard.url}/?lang=en")
    widget = _widget(page)
    widget.locator(".launcher").click()
    options = widget.locator("#heard-language option")
    assert options.count() == 10 and options.nth(3).inner_text() == "Tiếng Việt"  # Chinese is offered twice
    widget.locator("#heard-language").select_option("vi")
    assert widget.locator("label[for=heard-input]").inner_text() == "Nhập tin nhắn của quý vị"
    widget.locator("#heard-input").fill("Cảnh sát xô tôi ngã")
    widget.locator("#heard-input").press("Enter")
    widget.locator(".msg.from-heard >> nth=1").wait_for()
    mine = widget.locator(".msg.from-you").first
    assert mine.get_attribute("lang") == "vi" and mine.inner_text().startswith("Quý vị:")
    assert widget.locator(".msg.from-heard").nth(1).get_attribute("lang") == "vi"


def test_a_taiwanese_browser_chats_in_traditional_chinese(context_factory, live_heard):
    page = context_factory(locale="zh-TW").new_page()
    page.goto(f"{live_heard.url}/")
    assert page.locator("html").get_attribute("lang") == "zh-Hant"
    widget = _widget(page)
    widget.locator(".launcher").click()
    assert widget.locator(".heard").get_attribute("lang") == "zh-Hant"
    assert widget.locator("#heard-language").input_value() == "zh-Hant"
    assert widget.locator("label[for=heard-input]").inner_text() == "輸入您的訊息"
    widget.locator("#heard-input").fill("警察推了我")
    widget.locator("#heard-input").press("Enter")
    widget.locator(".msg.from-heard >> nth=2").wait_for()
    mine = widget.locator(".msg.from-you").first
    assert mine.get_attribute("lang") == "zh-Hant" and mine.inner_text().startswith("您：")
    assert widget.locator(".msg.from-heard").nth(1).get_attribute("lang") == "zh-Hant"
    sent = [call for call in live_heard.dialogue.calls if call["text"] == "警察推了我"]
    assert sent and {k: sent[-1]["metadata"].get(k) for k in ("channel", "language", "script")} == {
        "channel": "web_chat",
        "language": "zh",
        "script": "Hant",
    }
    widget.locator("#heard-language").select_option("zh-Hans")
    assert widget.locator(".heard").get_attribute("lang") == "zh-Hans"
    assert widget.locator("label[for=heard-input]").inner_text() == "输入您的消息"


def test_a_reload_resumes_the_chat_and_the_data_lang_default(context_factory, live_heard):
    page = context_factory(locale="es-MX").new_page()
    page.goto(f"{live_heard.url}/")  # no ?lang: the browser's Spanish decides
    widget = _widget(page)
    widget.locator(".launcher").click()
    assert widget.locator(".heard").get_attribute("lang") == "es"
    widget.locator("#heard-input").fill("me empujaron")
    widget.locator("#heard-input").press("Enter")
    widget.locator(".msg.from-heard >> nth=2").wait_for()
    assert page.evaluate(STORE)
    page.reload()
    widget.locator(".msg.from-you").first.wait_for()
    assert widget.locator(".msg.from-you").first.inner_text().endswith("me empujaron")
    assert widget.locator("#heard-panel").is_visible()


def test_leave_quickly_clears_everything_and_replaces_the_page(page, live_heard):
    page.goto(f"{live_heard.url}/?lang=en")
    widget = _widget(page)
    widget.locator(".launcher").click()
    widget.locator("#heard-input").fill("something happened")
    widget.locator("#heard-input").press("Enter")
    widget.locator(".msg.from-heard >> nth=1").wait_for()
    token = page.evaluate("() => JSON.parse(window.sessionStorage.getItem('heard.chat.v1')).token")
    assert token
    history = page.evaluate("() => history.length")
    widget.get_by_role("button", name="Leave quickly").click()
    page.wait_for_url(f"{live_heard.url}/healthz")
    assert page.evaluate("() => history.length") == history  # replaced, not added: Back does not return
    assert page.evaluate(STORE) is None
    # The widget tells the server as it leaves (a keepalive request): allow it a moment to land.
    deadline = time.monotonic() + 10
    ended: list[object] = []
    while not ended and time.monotonic() < deadline:
        with live_heard.database.session() as s:
            ended = list(s.scalars(select(WebSession).where(WebSession.end_reason == "abandoned")))
        time.sleep(0.2)
    assert ended  # the server forgot the session too


@pytest.mark.parametrize("path", ["/?lang=en", "/report?lang=es"])
def test_no_horizontal_scroll_at_320_css_pixels(context_factory, live_heard, path):
    page = context_factory(viewport={"width": 320, "height": 640}).new_page()
    page.goto(f"{live_heard.url}{path}")
    if path.startswith("/?"):
        _widget(page).locator(".launcher").click()
        _widget(page).locator("#heard-input").wait_for()
        box = _widget(page).locator("#heard-panel").bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 320
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 320


def test_the_files_question_reflows_at_320_css_pixels_with_a_long_file_name(context_factory, live_heard):
    page = context_factory(viewport={"width": 320, "height": 640}, java_script_enabled=False).new_page()
    page.goto(f"{live_heard.url}/report?lang=lo")
    page.locator("#kind-complaint").check()
    with page.expect_navigation():
        page.locator("main button[type=submit]").click()
    page.locator("#narrative").fill("ຕຳຫຼວດຍູ້ຂ້ອຍ")
    with page.expect_navigation():
        page.locator("main button[type=submit]").click()
    page.goto(f"{live_heard.url}/report/evidence?lang=lo")
    name = "ພາບຖ່າຍ-" + "x" * 120 + ".png"
    page.locator("#evidence").set_input_files({"name": name, "mimeType": "image/png", "buffer": PNG})
    with page.expect_navigation():
        page.locator("main button[type=submit]").last.click()
    page.goto(f"{live_heard.url}/report/evidence?lang=lo")
    assert page.locator(".uploads .file-name").inner_text() == name
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 320


def test_text_size_can_be_raised(page, live_heard):
    page.goto(f"{live_heard.url}/?lang=en")
    widget = _widget(page)
    widget.locator(".launcher").click()
    size = (
        "() => getComputedStyle("
        "document.querySelector('#heard-chat-widget').shadowRoot.querySelector('.heard')).fontSize"
    )
    before = float(page.evaluate(size).rstrip("px"))
    widget.get_by_role("button", name="Larger text").click()
    widget.get_by_role("button", name="Larger text").click()
    assert float(page.evaluate(size).rstrip("px")) > before * 1.2


def test_axe_finds_nothing_on_the_demo_page_closed_open_and_mid_conversation(axe_page, live_heard):
    page = axe_page
    page.goto(f"{live_heard.url}/?lang=en")
    _widget(page).locator(".launcher").wait_for()
    assert (found := axe_violations(page)) == [], found
    _widget(page).locator(".launcher").click()
    assert (found := axe_violations(page)) == [], found
    _widget(page).locator("#heard-input").fill("they took my phone")
    _widget(page).locator("#heard-input").press("Enter")
    _widget(page).locator(".msg.from-heard >> nth=1").wait_for()
    assert (found := axe_violations(page)) == [], found


def test_axe_finds_nothing_on_every_report_step_and_the_status_page(axe_page, live_heard):
    page = axe_page
    page.goto(f"{live_heard.url}/report?lang=km")
    assert axe_violations(page) == [], "kind"
    page.get_by_label("ប្ដឹងអំពីការប្រព្រឹត្តរបស់ប៉ូលិស").check()
    page.locator("button[type=submit]").last.click()
    answers = {"what": "ប៉ូលិសបានរុញខ្ញុំ", "where": "ផ្សារ"}
    for step in ["what", "when", "where", "officers", "injuries", "witnesses"]:
        page.wait_for_url(re.compile(f"/report/{step}"))
        assert axe_violations(page) == [], step
        if step in answers:
            page.locator("textarea").fill(answers[step])
        page.locator("button[type=submit]").last.click()
    page.wait_for_url(re.compile("/report/evidence"))
    assert axe_violations(page) == [], "evidence"
    page.locator("#evidence").set_input_files(
        [
            {"name": "photo.png", "mimeType": "image/png", "buffer": PNG},
            {"name": "notes.html", "mimeType": "text/html", "buffer": b"<p>not evidence</p>"},
        ]
    )
    page.locator("button[type=submit]").last.click()
    page.locator(".error-summary").wait_for()  # the refused file is named, the photo is kept and listed
    assert page.locator("#evidence").get_attribute("aria-invalid") == "true"
    assert page.locator(".uploads .file-name").all_inner_texts() == ["photo.png"]
    assert axe_violations(page) == [], "evidence with an error and a file"
    page.locator("button[type=submit]").last.click()
    page.wait_for_url(re.compile("/report/anonymous"))
    page.locator("button[type=submit]").last.click()  # no choice: the error page must be accessible too
    assert axe_violations(page) == [], "anonymous with an error"
    page.locator("#anonymous-no").check()
    page.locator("button[type=submit]").last.click()
    page.wait_for_url(re.compile("/report/contact"))
    assert axe_violations(page) == [], "contact"
    page.locator("#phone").fill("209-555-0142")
    page.locator("button[type=submit]").last.click()
    page.wait_for_url(re.compile("/report/review"))
    assert axe_violations(page) == [], "review"
    page.locator("main button[type=submit]").click()
    page.get_by_text("លេខតាមដានរបស់លោកអ្នកគឺ").wait_for()
    assert axe_violations(page) == [], "done"
    page.goto(f"{live_heard.url}/status?lang=km")
    assert axe_violations(page) == [], "status"


@pytest.mark.parametrize("lang", ["km", "es"])
def test_axe_finds_nothing_on_an_error_page(axe_page, live_heard, lang):
    page = axe_page
    response = page.goto(f"{live_heard.url}/no/such/page?lang={lang}")
    assert response.status == 404 and page.locator("html").get_attribute("lang") == lang
    assert page.locator("main a[href^='/report']").count() == 1  # a way back to the form
    assert axe_violations(page) == [], "404"


def test_a_spanish_report_with_javascript_off_by_keyboard(context_factory, live_heard):
    page = context_factory(java_script_enabled=False, locale="es-US").new_page()
    page.goto(f"{live_heard.url}/report")
    assert page.locator("html").get_attribute("lang") == "es"

    def answer(fill: dict[str, str] | None = None, choose: str | None = None) -> None:
        for selector, value in (fill or {}).items():
            page.locator(selector).focus()
            page.keyboard.type(value)
        if choose:
            page.locator(choose).focus()
            page.keyboard.press("Space")
        page.locator("main button[type=submit]").focus()
        with page.expect_navigation():
            page.keyboard.press("Enter")

    answer(choose="#kind-complaint")
    answer({"#narrative": "El agente me empujó y me quitó el teléfono."})
    answer({"#when_text": "el sábado en la noche"})
    answer({"#location": "Calle Main y Weber"})
    answer({"#officers": "placa 4471"})
    answer()
    answer({"#witnesses": "mi hermana"})
    # A file input needs no script: the browser sends the chosen file in the multipart form.
    page.locator("#evidence").set_input_files({"name": "placa <4471>.png", "mimeType": "image/png", "buffer": PNG})
    answer()
    answer(choose="#anonymous-yes")
    assert "Revise su reporte" in page.locator("h1").inner_text()
    assert "placa <4471>.png" in page.locator(".summary").inner_text()
    answer()
    number = re.search(r"\d{3}-\d{3}-\d{4}", page.locator("main").inner_text()).group(0)
    with live_heard.database.session() as s:
        case = s.scalars(select(Case).where(Case.tracking_number == number.replace("-", ""))).one()
        assert case.language.value == "es" and case.channel.value == "web_form" and case.anonymous
        assert case.narrative == "El agente me empujó y me quitó el teléfono."
        files = s.scalars(select(Attachment).where(Attachment.case_id == case.id)).all()
        assert [(a.filename, a.content_type) for a in files] == [("placa <4471>.png", "image/png")]


def test_files_too_large_to_send_give_the_question_again_in_the_browser(context_factory, live_heard, tmp_path):
    page = context_factory(java_script_enabled=False, locale="es-US").new_page()
    page.goto(f"{live_heard.url}/report")
    page.locator("#kind-complaint").check()
    with page.expect_navigation():
        page.locator("main button[type=submit]").click()
    page.locator("#narrative").fill("me empujaron")
    with page.expect_navigation():
        page.locator("main button[type=submit]").click()
    page.goto(f"{live_heard.url}/report/evidence")
    # Five files at the 10 MB limit are more than one form may carry (4 of the largest size).
    big = tmp_path / "video.mp4"
    big.write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"\x00" * (10 * 1024 * 1024 - 16))
    page.locator("#evidence").set_input_files([big] * 5)
    with page.expect_navigation() as navigation:
        page.locator("main button[type=submit]").last.click()
    assert navigation.value.status == 413  # the browser shows Heard's page, not a reset connection
    assert "demasiado grandes para enviarlos todos a la vez" in page.locator(".error-summary").inner_text()
    assert page.locator("#evidence").get_attribute("aria-invalid") == "true"
