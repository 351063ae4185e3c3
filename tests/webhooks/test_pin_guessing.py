"""PIN guessing, as an outsider tries it: every spelling of a number, several processes, the bot's API."""

import re

import pytest
from sqlalchemy import select

from app import create_app
from intake.cases import filing
from intake.db import Database
from intake.models import AuditEntry, Case
from tests.factories import make_case

KHMER = str.maketrans("0123456789", "០១២៣៤៥៦៧៨៩")


def _spellings(number: str) -> list[str]:
    """The same tracking number as a guesser types it to get a fresh budget each time."""
    plain = number.replace("-", "")
    return [
        number,
        "\t" + number,
        "\u3000" + number,
        number + "\x0b",
        number.translate(KHMER),
        plain.translate(str.maketrans("0123456789", "０１２３４５６７８９")),
        " " + plain + " ",
        number.replace("-", " "),
    ]


@pytest.fixture
def filed(fresh_database_url, keyring):
    database = Database(fresh_database_url)
    with database.session() as s:
        case, receipt = make_case(s, keyring)
        s.commit()
        yield database, receipt.as_dict()["tracking_number"], receipt.pin, case.id
    database.dispose()


@pytest.fixture
def web(fresh_database_url, keyring, tmp_path):
    """Start web processes on the same database, each with limits of its own (memory://)."""
    apps = []

    def start():
        config = {"TESTING": True, "HEARD_INSTANCE_DIR": str(tmp_path / f"web{len(apps)}"), "KEYRING": keyring}
        apps.append(create_app({**config, "DATABASE_URL": fresh_database_url}))
        return apps[-1].test_client()

    yield start
    for app in apps:
        app.extensions["heard.database"].dispose()


def test_guessing_through_the_bots_api_locks_the_pin_across_processes(filed, web, keyring):
    database, number, pin, case_id = filed
    auth = {"Authorization": f"Bearer {keyring.internal_token}"}
    webs = [web(), web()]
    answers = []
    for i in range(15):  # under every rate limit: only the lock stops them
        spelling = _spellings(number)[i % 8]
        guess = {"tracking_number": spelling, "pin": f"{(int(pin) + 1 + i) % 1_000_000:06d}"}
        answers.append(webs[i % 2].post("/internal/v1/status", json=guess, headers=auth).status_code)
    assert answers[: filing.PIN_LOCK_AFTER] == [404] * filing.PIN_LOCK_AFTER
    assert answers[filing.PIN_LOCK_AFTER :] == [423] * (15 - filing.PIN_LOCK_AFTER)
    # Even the right PIN opens nothing now, from either process; the words are refused too.
    right = webs[0].post("/internal/v1/status", json={"tracking_number": number, "pin": pin}, headers=auth)
    assert right.status_code == 423 and right.get_json()["error"] == "pin_locked"
    words = {"tracking_number": number, "pin": pin, "text": "I withdraw my complaint", "channel": "sms"}
    assert webs[1].post("/internal/v1/information", json=words, headers=auth).status_code == 423
    with database.session() as s:
        assert s.get(Case, case_id).pin_locked_at is not None
        assert "case.pin_locked" in s.scalars(select(AuditEntry.action)).all()
        # Staff unlock it once the resident called; the right PIN works again.
        filing.unlock_pin(s, case=s.get(Case, case_id), actor="staff:1")
        s.commit()
    again = webs[0].post("/internal/v1/status", json={"tracking_number": number, "pin": pin}, headers=auth)
    assert again.status_code == 200


def test_the_status_page_counts_every_spelling_as_one_number(filed, web):
    number = filed[1]
    client = web()
    page = client.get("/status?lang=es").get_data(as_text=True)
    csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    codes = []
    for i in range(12):
        form = {"csrf": csrf, "lang": "es", "tracking_number": _spellings(number)[i % 8], "pin": "000000"}
        codes.append(client.post("/status", data=form).status_code)
    # Ten an hour per case, however the number is spelled (the eleventh is the limit's, not the lock's).
    assert codes[10:] == [429, 429], codes


def test_a_locked_pin_tells_the_resident_in_their_language_how_to_get_help(filed, web):
    database, number, pin, case_id = filed
    with database.session() as s:
        s.get(Case, case_id).pin_failures = filing.PIN_LOCK_AFTER
        s.commit()
    client = web()
    page = client.get("/status?lang=es").get_data(as_text=True)
    csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    form = {"csrf": csrf, "lang": "es", "tracking_number": number, "pin": pin}
    locked = client.post("/status", data=form)
    assert locked.status_code == 423
    text = locked.get_data(as_text=True)
    assert "bloqueado" in text and "(209) 555-0100" in text
