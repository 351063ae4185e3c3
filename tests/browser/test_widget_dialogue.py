"""Whole complaints through the widget, keyboard only, with the real Rasa, ending in the queue."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select
from werkzeug.serving import make_server

from app import create_app
from intake import tracking
from intake.models import Case
from tests.browser.conftest import _free_port

pytestmark = pytest.mark.slow

WAIT_FOR_ANSWER = """([before]) => {
  const log = document.querySelector('#heard-chat-widget').shadowRoot.querySelector('[role=log]');
  const lines = log.querySelectorAll('.msg');
  return log.getAttribute('aria-busy') === 'false' && lines.length > before + 1
    && lines[lines.length - 1].classList.contains('from-heard');
}"""


@pytest.fixture
def widget_url(bot_stack: Any, keyring: Any, tmp_path: Any) -> Iterator[str]:
    port = _free_port()
    app = create_app(
        {
            "HEARD_INSTANCE_DIR": str(tmp_path),
            "DATABASE": bot_stack.database,
            "KEYRING": keyring,
            "RASA_URL": bot_stack.rasa_url,
            "HEARD_LEAVE_URL": f"http://127.0.0.1:{port}/healthz",
        }
    )
    server = make_server("127.0.0.1", port, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{port}"
    server.shutdown()


@pytest.mark.parametrize(
    ("language", "lines", "yes"),
    [
        (
            "en",
            ["I want to file a complaint about a cop", "he pushed me to the ground", "done", "idk", "Main St"],
            "yes",
        ),
        pytest.param(
            "vi",
            ["tôi muốn khiếu nại cảnh sát", "anh ta xô tôi ngã xuống đất", "xong", "không biết", "đường Main"],
            "có",
            marks=pytest.mark.skip(
                reason="issue 5, open: in two fresh-clone CI runs a turn of this Vietnamese widget conversation got no "
                "answer within 180 s (it passed on the developer's machine); not yet diagnosed"
            ),
        ),
    ],
)
def test_a_whole_complaint_through_the_widget_by_keyboard(context_factory, widget_url, bot_stack, language, lines, yes):
    page = context_factory().new_page()
    page.goto(f"{widget_url}/?lang={language}")
    widget = page.locator("#heard-chat-widget")
    widget.locator(".launcher").focus()
    page.keyboard.press("Enter")
    no_one = {"en": "no one", "vi": "không ai"}[language]
    unknown = {"en": "idk", "vi": "không biết"}[language]
    for line in [*lines, unknown, no_one, no_one, yes, yes]:
        before = widget.locator(".msg").count()
        page.keyboard.type(line)
        page.keyboard.press("Enter")
        # NOTE: generous: a turn through Rasa takes seconds, more on a loaded 2-core CI machine.
        page.wait_for_function(WAIT_FOR_ANSWER, arg=[before], timeout=180_000)
    widget.locator(".done-text").wait_for()
    said = widget.locator("[role=log]").inner_text()
    number = re.search(r"\d{3}-\d{3}-\d{4}", said)
    assert number, said
    assert all(line.get_attribute("lang") == language for line in widget.locator(".msg").all())
    assert page.evaluate("() => window.sessionStorage.getItem('heard.chat.v1')") is None
    with bot_stack.database.session() as s:
        case = s.scalars(
            select(Case).where(Case.tracking_number == tracking.parse_tracking_number(number.group(0)))
        ).one()
        assert case.channel.value == "web_chat" and case.language.value == language
        assert case.narrative == lines[1]
