"""Text-to-web: a resident texting a report sends WEB, finishes it on the no-JavaScript form, and one case is filed.

Signed Twilio webhooks, the real Rasa and action server, the real form; Twilio's REST API is the
local stand-in of tests/twilio_fake.py.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import func, select

from intake.models import Case, ResumeCode
from tests.bot.conftest import make_twilio_app
from tests.bot.test_twilio_conversations import Texter

pytestmark = pytest.mark.slow

CODE = re.compile(r"\b([2-9A-Z]{4}-[2-9A-Z]{4})\b")
CSRF = re.compile(r'name="csrf" value="([^"]+)"')


@pytest.fixture
def twilio_app(bot_stack, keyring, fake_twilio, tmp_path):  # type: ignore[no-untyped-def]
    return make_twilio_app(bot_stack, keyring, fake_twilio, tmp_path)


def _csrf(page: Any) -> str:
    found = CSRF.search(page.get_data(as_text=True))
    assert found, page.get_data(as_text=True)[:300]
    return found.group(1)


def _cases(bot_stack: Any) -> int:
    with bot_stack.database.session() as s:
        return int(s.scalar(select(func.count()).select_from(Case)) or 0)


def test_a_texted_report_finished_on_the_web_files_exactly_one_case(twilio_app, bot_stack):
    before = _cases(bot_stack)
    resident = Texter(twilio_app, "+12095550231")
    for line in ["quiero poner una queja contra un policía", "el oficial me empujó y me quitó el teléfono", "listo"]:
        assert resident.text(line)
    assert resident.text("no sé")  # when
    assert resident.text("calle Main y Weber")  # where
    reply = resident.text("WEB")
    code = CODE.search(reply)
    assert code, reply
    assert "/report/resume?lang=es" in reply and "30 minutos" in reply  # in Spanish, with the form's address
    with bot_stack.database.session() as s:
        row = s.scalars(select(ResumeCode).order_by(ResumeCode.id.desc())).first()
        assert row is not None and code.group(1).replace("-", "") not in row.code_digest
    # The code opens the form with the answers so far, in Spanish.
    browser = twilio_app.test_client()
    entry = browser.get("/report/resume")
    opened = browser.post("/report/resume", data={"csrf": _csrf(entry), "code": code.group(1)})
    assert opened.status_code == 303 and "lang=es" in opened.headers["Location"], opened.get_data(as_text=True)[:300]
    where = browser.get("/report/where?lang=es").get_data(as_text=True)
    assert "calle Main y Weber" in where and '<html lang="es"' in where
    what = browser.get("/report/what?lang=es").get_data(as_text=True)
    assert "el oficial me empujó y me quitó el teléfono" in what
    asked = browser.get("/report/anonymous?lang=es")
    browser.post("/report/anonymous", data={"csrf": _csrf(asked), "lang": "es", "anonymous": "yes"})
    review = browser.get("/report/review?lang=es")
    done = browser.post("/report/review", data={"csrf": _csrf(review), "lang": "es"})
    assert done.status_code == 200 and _cases(bot_stack) == before + 1
    # The code was single use.
    again = browser.post("/report/resume", data={"csrf": _csrf(browser.get("/report/resume")), "code": code.group(1)})
    assert again.status_code == 422
    # The texted draft, finished by text too, is not filed a second time; the resident is told why.
    for answer in ["no sé", "nadie", "nadie", "sí"]:
        assert resident.text(answer)
    last = resident.text("sí")
    assert "se terminó en la web" in last, last
    assert _cases(bot_stack) == before + 1
