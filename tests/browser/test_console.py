"""The staff console in a real browser: a supervisor triages a Spanish case by keyboard; axe, reflow, skip link.

Heard serves a database of its own here: staff made by the service ``intake staff create``
calls, cases filed by the real filing service, and translations made by the real worker job
with the tiny Argos fixture models (tests/fixtures/argos).
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update
from werkzeug.serving import make_server

from app import create_app
from intake import audit, jobs
from intake.access import staff
from intake.cases import filing as complaints
from intake.cases import lifecycle
from intake.cases.tracking import format_tracking_number
from intake.conversations import messaging
from intake.crypto import Keyring
from intake.db import Database, utcnow
from intake.enums import Channel, Direction, Disposition, JobState, Language, MessageState, Role, Status
from intake.models import AuditEntry, Case, Job, Message, StatusChange
from intake.translation.cases import CaseTranslator
from intake.translation.engine import install_package
from tests.browser.conftest import _free_port, _stay_local, axe_violations
from tests.factories import submission_data

expect = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed (requirements/dev.in)").expect

pytestmark = pytest.mark.slow

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "argos"
PASSWORD = "a long and careful passphrase"
# Sentences the tiny fixture models know by heart, so their translations are exact.
CASE_FIELDS = {
    "narrative": "El oficial me empujó. Se llevaron mi teléfono.",
    "incident_time_text": "Pasó el martes por la noche.",
    "location": "Fue cerca de la escuela.",
    "officers": "Había dos oficiales.",
    "injuries": "Me lastimé el brazo.",
    "witnesses": "Mi vecino lo vio todo.",
}
# The other cases say less: no other details, so every word is one the fixture models know.
BLANK = {name: "" for name in ("incident_time_text", "location", "officers", "injuries", "witnesses")}
NARRATIVE_IN_ENGLISH = "The officer pushed me. They took my phone."
REPLY = "You can call me in the afternoon."
REPLY_IN_SPANISH = "Pueden llamarme por la tarde."
CLOSING_REASON = "The resident's account is not supported by the body camera video."


# What has the focus, and how its focus is drawn.
FOCUSED = """() => { const e = document.activeElement; const s = getComputedStyle(e);
  return {tag: e.tagName, name: e.textContent.trim(), outline: s.outlineStyle + ' ' + s.outlineWidth} }"""


@dataclass
class LiveConsole:
    url: str
    database: Database
    supervisor_id: int
    supervisor_email: str
    supervisor_name: str
    intake_id: int
    intake_name: str
    cases: dict[str, int]  # what each case is for, to its id
    numbers: dict[str, str]  # ... to its tracking number, as the console shows it


def _sms_case(session: Any, keyring: Keyring, phone: str, **fields: Any) -> Case:
    """File a case from a text conversation, as the SMS channel and the bot do, so staff can reply."""
    correspondent = messaging.get_or_create_correspondent(
        session, keyring=keyring, phone=phone, service_number="+12095550100"
    )
    session.flush()
    session.add(
        Message(
            channel=Channel.SMS,
            direction=Direction.INBOUND,
            provider_id=f"SM{correspondent.id:032d}",
            conversation_id=correspondent.conversation_id,
            correspondent_id=correspondent.id,
            body=fields["narrative"],
            language=Language(fields.get("language", "es")),
            state=MessageState.PROCESSED,
        )
    )
    session.flush()
    case, _receipt = complaints.file_case(
        session,
        keyring=keyring,
        submission=complaints.parse_submission(submission_data(channel="sms", **fields)),
        actor="bot",
        conversation_id=correspondent.conversation_id,
    )
    return case


def _seed(database: Database, keyring: Keyring) -> dict[str, Any]:
    """Two staff, two Spanish cases (one to triage, one already in hand) and two that are not Spanish."""
    with database.session() as s:
        # The service behind `intake staff create`.
        supervisor = staff.create_staff(
            s,
            email="Sam.Rivera@City.example",
            role=Role.SUPERVISOR,
            password=PASSWORD,
            actor="cli:admin",
            display_name="Sam Rivera",
        )
        intake = staff.create_staff(
            s, email="ines@city.example", role=Role.INTAKE, password=PASSWORD, actor="cli:admin", display_name="Inés"
        )
        cases = {
            "triage": _sms_case(s, keyring, "+12095550142", **CASE_FIELDS),
            "in_hand": _sms_case(
                s, keyring, "+12095550143", narrative="Me detuvieron sin razón. No me dijeron por qué.", **BLANK
            ),
            "english": complaints.file_case(
                s,
                keyring=keyring,
                submission=complaints.parse_submission(
                    submission_data(
                        channel="web_form",
                        language="en",
                        narrative="An officer yelled at me outside the library.",
                        **BLANK,
                    )
                ),
                actor="test",
            )[0],
            "vietnamese": _sms_case(
                s, keyring, "+12095550144", language="vi", narrative="Cảnh sát đã xô tôi.", **BLANK
            ),
        }
        in_hand = cases["in_hand"]
        lifecycle.change_status(s, case=in_hand, to=Status.TRIAGE, actor="test", reason="test")
        lifecycle.change_status(s, case=in_hand, to=Status.ASSIGNED, actor="test", assignee=intake)
        complaints.add_note(s, case=in_hand, author_id=intake.id, body="Called back; the resident will send a video.")
        s.commit()
        return {
            "supervisor_id": supervisor.id,
            "supervisor_email": supervisor.email,
            "supervisor_name": "Sam Rivera",
            "intake_id": intake.id,
            "intake_name": "Inés",
            "cases": {name: case.id for name, case in cases.items()},
            "numbers": {name: format_tracking_number(case.tracking_number) for name, case in cases.items()},
        }


@pytest.fixture(scope="module")
def console_heard(tmp_path_factory: pytest.TempPathFactory, keyring: Keyring) -> Iterator[LiveConsole]:
    from intake.migrate import upgrade

    instance = tmp_path_factory.mktemp("console-instance")
    url = f"sqlite:///{instance / 'heard.db'}"
    upgrade(url)
    database = Database(url)
    app = create_app(
        {
            "HEARD_INSTANCE_DIR": str(instance),
            "DATABASE": database,
            "KEYRING": keyring,
            "RATELIMIT_ENABLED": False,
        }
    )
    engine = app.extensions["heard.translation"]
    install_package(engine.settings, FIXTURES / "translate-es_en-tiny.argosmodel")
    install_package(engine.settings, FIXTURES / "translate-en_es-tiny.argosmodel")
    seeded = _seed(database, keyring)
    # The worker's real translation job, run now rather than after its back-off.
    with database.session() as s:
        s.execute(update(Job).where(Job.state == JobState.QUEUED).values(run_after=utcnow()))
        s.commit()
    jobs.run_ready(database, CaseTranslator(database=database, engine=engine).handlers())
    with database.session() as s:
        status = {name: s.get_one(Case, case_id).translation_status for name, case_id in seeded["cases"].items()}
    assert status == {"triage": "done", "in_hand": "done", "english": None, "vietnamese": "needs_interpreter"}

    port = _free_port()
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield LiveConsole(url=f"http://127.0.0.1:{port}", database=database, **seeded)
    server.shutdown()
    database.dispose()


@pytest.fixture(scope="module")
def signed_in(browser: Any, console_heard: LiveConsole) -> dict[str, Any]:
    """The supervisor's cookies after one real sign-in, for the checks that do not test signing in."""
    context = browser.new_context(locale="en-US")
    context.route("**/*", _stay_local)
    try:
        _sign_in(context.new_page(), console_heard)
        return dict(context.storage_state())
    finally:
        context.close()


# ------------------------------------------------------------------ keyboard helpers


def _is_focused(locator: Any) -> bool:
    return bool(locator.evaluate("(e) => e === document.activeElement"))


def _tab_to(page: Any, locator: Any, limit: int = 120) -> None:
    """Press Tab until ``locator`` has the focus, as a keyboard user would, or fail saying it cannot be reached."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if _is_focused(locator):
            return
    raise AssertionError(f"{locator} cannot be reached with Tab")


def _press_and_wait(page: Any, key: str = "Enter") -> None:
    """Press a key that submits a form, and wait for the page it leads to."""
    with page.expect_navigation():
        page.keyboard.press(key)


def _sign_in(page: Any, heard: LiveConsole) -> None:
    page.goto(f"{heard.url}/console/login")
    _tab_to(page, page.get_by_label("Email"))
    page.keyboard.type(heard.supervisor_email.upper())  # the address is matched whatever its case
    page.keyboard.press("Tab")
    assert _is_focused(page.get_by_label("Password"))
    page.keyboard.type(PASSWORD)
    _press_and_wait(page)
    expect(page).to_have_url(f"{heard.url}/console/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Queue")


def _queue_rows(page: Any) -> list[dict[str, str]]:
    """Read the queue table: each row's tracking number, language and the lang of the resident's words."""
    rows: list[dict[str, str]] = page.locator("table.queue tbody tr").evaluate_all(
        """(rows) => rows.map((r) => ({
             number: r.querySelector('th a').textContent.trim(),
             language: r.cells[2].textContent.trim(),
             words_lang: r.cells[6].getAttribute('lang'),
           }))"""
    )
    return rows


def _audit_rows(page: Any) -> list[dict[str, Any]]:
    """Read the audit page's table, newest first."""
    rows = page.locator("main table tbody tr").evaluate_all(
        "(rows) => rows.map((r) => Array.from(r.cells, (c) => c.textContent.trim()))"
    )
    return [
        {"seq": int(seq), "who": who, "action": action, "case": case, "details": json.loads(details)}
        for seq, _when, who, action, case, details, _hash in rows
    ]


def _flash(page: Any, role: str) -> Any:
    return page.get_by_role("main").get_by_role(role)


# ------------------------------------------------------------------ the whole triage, by keyboard


def test_a_supervisor_triages_a_spanish_case_by_keyboard_and_finds_every_step_audited(
    context_factory: Any, console_heard: LiveConsole
) -> None:
    heard = console_heard
    page = context_factory().new_page()
    blocked: list[str] = []  # anything the strict CSP refused (an inline style or script) is a fault
    page.on("console", lambda m: blocked.append(m.text) if "Content Security Policy" in m.text else None)
    case_id = heard.cases["triage"]

    # 1. Sign in.
    _sign_in(page, heard)
    everything = {row["number"] for row in _queue_rows(page)}
    assert everything == set(heard.numbers.values())  # the Spanish, English and Vietnamese cases

    # 2. Filter the queue to Spanish cases.
    language = page.get_by_label("Language", exact=True)
    _tab_to(page, language)
    language.select_option("es")
    _tab_to(page, page.get_by_role("button", name="Show cases"))
    _press_and_wait(page)
    assert "language=es" in page.url
    rows = _queue_rows(page)
    assert {row["number"] for row in rows} == {heard.numbers["triage"], heard.numbers["in_hand"]}
    assert all(row["language"].startswith("Spanish") and row["words_lang"] == "es" for row in rows)
    expect(page.locator("table.queue caption")).to_have_text("2 matching cases")
    expect(page.get_by_label("Language", exact=True)).to_have_value("es")  # the filter stays shown

    # 3. Open the Spanish case; its English translation is beside the original, which is marked Spanish.
    link = page.get_by_role("link", name=heard.numbers["triage"])
    _tab_to(page, link)
    _press_and_wait(page)
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Case {heard.numbers['triage']}")
    words = page.get_by_role("region", name="In the resident's words")
    original = words.locator("blockquote.narrative")
    expect(original).to_have_text(CASE_FIELDS["narrative"])
    expect(original).to_have_attribute("lang", "es")
    translation = words.get_by_role("figure")
    expect(translation.locator("blockquote")).to_have_text(NARRATIVE_IN_ENGLISH)
    expect(translation.locator("blockquote")).to_have_attribute("lang", "en")
    expect(translation.locator("figcaption")).to_contain_text("argos (translate-es_en 0.1)")
    expect(words.locator("dd[lang=es]", has_text="Fue cerca de la escuela.")).to_contain_text(
        "Translation: It was near the school."
    )

    # 4. Categorise it.
    category = page.get_by_label("Category", exact=True)
    _tab_to(page, category)
    category.select_option("use_of_force")
    _tab_to(page, page.get_by_role("button", name="Save the category"))
    _press_and_wait(page)
    expect(_flash(page, "status")).to_have_text("The category is saved.")
    with heard.database.session() as s:
        assert s.get_one(Case, case_id).category == "use_of_force"

    # 5. Assign it.
    assignee = page.get_by_label("Assign to")
    _tab_to(page, assignee)
    assignee.select_option(str(heard.intake_id))
    _tab_to(page, page.get_by_role("button", name="Assign", exact=True))
    _press_and_wait(page)
    expect(_flash(page, "status")).to_have_text("The case is assigned.")
    with heard.database.session() as s:
        case = s.get_one(Case, case_id)
        assert (case.status, case.assignee_id) == (Status.ASSIGNED, heard.intake_id)

    # 6. Reply to the resident: preview it in Spanish, then send it; it is queued, not sent from the page.
    _tab_to(page, page.get_by_label("Text message to the resident"))
    page.keyboard.type(REPLY)
    _tab_to(page, page.get_by_role("button", name="Preview in the resident's language"))
    _press_and_wait(page)
    previewed = page.get_by_label("The reply as the resident will read it (you may edit it)")
    expect(previewed).to_have_value(REPLY_IN_SPANISH)
    expect(previewed).to_have_attribute("lang", "es")
    expect(page.locator("#a-reply-hint")).to_contain_text("translate-en_es 0.1")
    with heard.database.session() as s:
        assert not s.scalars(
            select(Message).where(Message.case_id == case_id, Message.direction == Direction.OUTBOUND)
        ).all()  # a preview sends nothing
    _tab_to(page, page.get_by_role("button", name="Send the reply"))
    _press_and_wait(page)
    expect(_flash(page, "status")).to_have_text("The reply is queued to be sent.")
    with heard.database.session() as s:
        sent = s.scalars(
            select(Message).where(Message.case_id == case_id, Message.direction == Direction.OUTBOUND)
        ).one()
        assert (sent.direction, sent.state, sent.body, sent.language) == (
            Direction.OUTBOUND,
            MessageState.QUEUED,
            REPLY_IN_SPANISH,
            Language.ES,
        )
        assert sent.meta is not None and sent.meta["staff_id"] == heard.supervisor_id
        assert sent.meta["machine_translated"] is True and sent.meta["source_text"] == REPLY
        queued = s.scalars(select(Job).where(Job.kind == "sms.send")).all()
        assert [job.payload for job in queued if job.state is JobState.QUEUED] == [{"message_id": sent.id}]
    conversation = page.get_by_role("region", name="Conversation")
    expect(conversation.locator("p[lang=es]", has_text=REPLY_IN_SPANISH)).to_be_visible()

    # 7. Close it: without a reason it is refused, visibly and announced; with one it closes.
    def close(reason: str) -> None:
        move_to = page.get_by_label("Move to")
        _tab_to(page, move_to)
        move_to.select_option("closed")
        page.keyboard.press("Tab")
        disposition = page.get_by_label("Disposition (only when closing)")
        assert _is_focused(disposition)
        disposition.select_option("unfounded")
        page.keyboard.press("Tab")
        assert _is_focused(page.get_by_label("Reason (needed to close, withdraw or reopen)"))
        page.keyboard.type(reason)
        _tab_to(page, page.get_by_role("button", name="Change the status"))
        _press_and_wait(page)

    close("")
    refusal = _flash(page, "alert")
    expect(refusal).to_have_text("closing a case needs a reason")
    expect(refusal).to_be_visible()
    with heard.database.session() as s:
        assert s.get_one(Case, case_id).status is Status.ASSIGNED
        assert not s.scalars(select(StatusChange).where(StatusChange.to_status == Status.CLOSED)).all()
    close(CLOSING_REASON)
    expect(_flash(page, "status")).to_have_text("The status is changed.")
    expect(page.get_by_role("main").get_by_role("alert")).to_have_count(0)
    with heard.database.session() as s:
        case = s.get_one(Case, case_id)
        assert (case.status, case.disposition) == (Status.CLOSED, Disposition.UNFOUNDED)
        closing = s.scalars(select(StatusChange).where(StatusChange.to_status == Status.CLOSED)).one()
        assert (closing.case_id, closing.reason) == (case_id, CLOSING_REASON)
    history = page.get_by_role("region", name="Status history")
    expect(history.get_by_role("row").last).to_contain_text(CLOSING_REASON)

    # 8. The audit log: every step is there, by this supervisor, and the chain verifies.
    _tab_to(page, page.get_by_role("navigation", name="Console").get_by_role("link", name="Audit log"))
    _press_and_wait(page)
    expect(page.get_by_role("heading", level=1)).to_have_text("Audit log")
    expect(_flash(page, "status")).to_have_text(re.compile(r"^The chain verifies: all \d+ entries are intact"))
    mine = [row for row in _audit_rows(page) if row["who"] == heard.supervisor_name]
    sign_in_entry = next(row for row in mine if row["action"] == "staff.signed_in")
    assert sign_in_entry["details"] == {"staff_id": heard.supervisor_id}
    queues = [row["details"] for row in mine if row["action"] == "queue.viewed"]
    assert {"filters": {"language": "es"}, "sort": "newest", "page": False, "shown": 2} in queues

    case_filter = page.get_by_label("Only the case with internal number")
    _tab_to(page, case_filter)
    page.keyboard.type(str(case_id))
    _press_and_wait(page)
    assert f"case={case_id}" in page.url
    trail = list(reversed(_audit_rows(page)))  # oldest first
    assert trail and all(row["case"] == str(case_id) for row in trail)
    steps = [
        (row["action"], row["details"])
        for row in trail
        if row["who"] == heard.supervisor_name and row["action"] != "case.viewed"
    ]
    assert steps == [
        ("case.categorised", {"from": None, "to": "use_of_force"}),
        ("case.status_changed", {"from": "received", "to": "triage", "disposition": None, "assignee_id": None}),
        (
            "case.status_changed",
            {"from": "triage", "to": "assigned", "disposition": None, "assignee_id": heard.intake_id},
        ),
        ("case.replied", {"channel": "sms", "message_ids": [sent.id]}),
        ("case.status_changed", {"from": "assigned", "to": "closed", "disposition": "unfounded", "assignee_id": None}),
    ]
    viewed = [row for row in trail if row["action"] == "case.viewed" and row["who"] == heard.supervisor_name]
    assert viewed and viewed[0]["details"] == {"role": "supervisor", "contact_shown": True, "full": True}
    assert trail[0]["action"] == "case.filed"

    # The page's word against the database's own check of the chain.
    with heard.database.session() as s:
        assert audit.verify_chain(s).ok
        recorded = s.scalars(
            select(AuditEntry.action).where(
                AuditEntry.case_id == case_id, AuditEntry.actor == f"staff:{heard.supervisor_id}"
            )
        ).all()
    assert [a for a in recorded if a != "case.viewed"] == [action for action, _details in steps]
    assert blocked == []


# ------------------------------------------------------------------ axe-core, reflow and the keyboard


def test_axe_finds_nothing_on_the_login_queue_case_and_audit_pages(axe_page: Any, console_heard: LiveConsole) -> None:
    heard = console_heard
    page = axe_page
    page.goto(f"{heard.url}/console/login")
    assert (found := axe_violations(page)) == [], ("login", found)
    page.get_by_label("Email").fill(heard.supervisor_email)
    page.get_by_label("Password").fill("not the password at all")
    page.get_by_role("button", name="Sign in").click()
    expect(_flash(page, "alert")).to_be_visible()
    assert (found := axe_violations(page)) == [], ("login refused", found)
    _sign_in(page, heard)
    assert (found := axe_violations(page)) == [], ("queue", found)
    page.goto(f"{heard.url}/console/?language=es&status=assigned")
    page.set_viewport_size({"width": 320, "height": 640})
    assert (found := axe_violations(page)) == [], ("queue filtered, 320 px wide", found)
    page.set_viewport_size({"width": 1280, "height": 720})
    page.goto(f"{heard.url}/console/?from=2026-13-45")
    expect(_flash(page, "alert")).to_be_visible()
    assert (found := axe_violations(page)) == [], ("queue with a wrong filter", found)

    # The case in hand: transcript, notes, status history and audit trail all show.
    case_url = f"{heard.url}/console/cases/{heard.cases['in_hand']}"
    page.goto(case_url)
    expect(page.get_by_role("region", name="Internal notes")).to_be_visible()
    assert (found := axe_violations(page)) == [], ("case", found)
    page.set_viewport_size({"width": 320, "height": 640})
    assert (found := axe_violations(page)) == [], ("case, 320 px wide", found)
    page.set_viewport_size({"width": 1280, "height": 720})
    page.get_by_label("Text message to the resident").fill(REPLY)
    page.get_by_role("button", name="Preview in the resident's language").click()
    expect(page.get_by_label("The reply as the resident will read it (you may edit it)")).to_be_visible()
    assert (found := axe_violations(page)) == [], ("case with a reply preview", found)
    page.goto(case_url)
    page.get_by_label("Move to").select_option("closed")
    page.get_by_role("button", name="Change the status").click()
    expect(_flash(page, "alert")).to_be_visible()  # refused: neither a disposition nor a reason
    assert (found := axe_violations(page)) == [], ("case with an error", found)
    page.goto(f"{heard.url}/console/cases/999999")
    assert (found := axe_violations(page)) == [], ("not found", found)

    page.goto(f"{heard.url}/console/audit")
    assert (found := axe_violations(page)) == [], ("audit", found)
    with heard.database.session() as s:
        dead = jobs.enqueue(s, kind="sms.send", payload={})
        dead.state, dead.last_error = JobState.DEAD, "TwilioRestException: 21610"
        s.commit()
    page.goto(f"{heard.url}/console/operations/")
    expect(page.get_by_role("button", name="Queue every dead job again")).to_be_visible()
    assert (found := axe_violations(page)) == [], ("operations", found)
    with heard.database.session() as s:
        assert s.get_one(Case, heard.cases["in_hand"]).status is Status.ASSIGNED  # the refused close changed nothing


@pytest.mark.parametrize("where", ["queue", "Spanish queue", "case", "audit"])
def test_no_horizontal_scroll_at_320_css_pixels(
    context_factory: Any, console_heard: LiveConsole, signed_in: dict[str, Any], where: str
) -> None:
    heard = console_heard
    path = {
        "queue": "/console/",
        "Spanish queue": "/console/?language=es",
        "case": f"/console/cases/{heard.cases['in_hand']}",
        "audit": "/console/audit",
    }[where]
    page = context_factory(viewport={"width": 320, "height": 640}, storage_state=signed_in).new_page()
    page.goto(heard.url + path)
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 320
    # A data table wider than the screen scrolls inside a named region that a keyboard can focus.
    scrollers = page.locator(".table-scroll").evaluate_all(
        """(found) => found.map((e) => ({
             scrolls: e.scrollWidth > e.clientWidth,
             tabindex: e.getAttribute('tabindex'),
             named_by: e.getAttribute('aria-labelledby'),
           }))"""
    )
    assert any(s["scrolls"] for s in scrollers), scrollers
    assert all(s["tabindex"] == "0" and s["named_by"] for s in scrollers if s["scrolls"]), scrollers


def test_the_skip_link_and_the_case_actions_are_reached_by_keyboard_with_a_visible_focus(
    context_factory: Any, console_heard: LiveConsole, signed_in: dict[str, Any]
) -> None:
    page = context_factory(storage_state=signed_in).new_page()
    page.goto(f"{console_heard.url}/console/cases/{console_heard.cases['in_hand']}")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to the main content")
    assert _is_focused(skip)
    box = skip.bounding_box()
    assert box is not None and box["x"] >= 0 and box["y"] >= 0  # shown on screen once it has the focus
    page.keyboard.press("Enter")
    assert page.evaluate("() => document.activeElement.id") == "main"
    # From the main content, Tab reaches every action on the case, each with a visible focus ring.
    wanted = {
        "Save the category",
        "Assign",
        "Change the status",
        "Add the note",
        "Preview in the resident's language",
        "Send as written",
    }
    reached: dict[str, str] = {}
    for _ in range(80):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUSED)
        if focused["tag"] == "BUTTON" and focused["name"] in wanted:
            reached[focused["name"]] = focused["outline"]
        if set(reached) == wanted:
            break
    assert set(reached) == wanted
    assert all(
        outline.startswith("solid") and float(outline.split()[1].rstrip("px")) >= 2 for outline in reached.values()
    )
