"""Email out: staff replies to residents who chose email, through a real SMTP relay on this machine (aiosmtpd).

The relay is a local stand-in for the city's: STARTTLS with a self-signed certificate and
AUTH, or TLS from the first byte (smtps); it can ask Heard to try later (451) or refuse an
address for good (550).
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import ipaddress
import socket
import ssl
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from sqlalchemy import select, update

from app import create_app
from intake import jobs
from intake.cases import tracking
from intake.conversations import mail
from intake.db import Database, utcnow
from intake.enums import Channel, JobState, MessageState
from intake.errors import ConfigurationError, ValidationError
from intake.models import AuditEntry, Case, Job, Message, StaffUser
from intake.triage import actions as triage_actions
from tests.console.conftest import sign_in
from tests.factories import make_case, make_staff
from webhooks.i18n import t
from webhooks.mail.config import MailSettings
from webhooks.mail.texts import SUBJECT
from webhooks.twilio.texts import MACHINE_TRANSLATED

NARRATIVE = "El oficial me empujó contra el carro y no me dijo por qué me paraba."
MAIL_FROM = "Heard <heard@city.example>"
USER, PASSWORD = "heard-relay", "p@ss word/42"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _self_signed(directory: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and localhost, signed by its own key (a relay's self-signed certificate)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "heard-test-relay")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "relay.pem", directory / "relay.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path


@dataclass
class Relay:
    """What the local relay received, and what it is told to answer."""

    received: list[tuple[str, list[str], bytes]] = field(default_factory=list)
    logins: list[str] = field(default_factory=list)
    refused: dict[str, str] = field(default_factory=dict)
    busy: int = 0

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        if address in self.refused:
            return self.refused[address]
        if self.busy:
            self.busy -= 1
            return "451 4.3.0 Mailbox busy, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.received.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content))
        return "250 Message accepted for delivery"

    def authenticate(self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
        ok = isinstance(data, LoginPassword) and (data.login, data.password) == (USER.encode(), PASSWORD.encode())
        if ok:
            self.logins.append(data.login.decode())
        return AuthResult(success=ok, handled=False)

    def letters(self) -> list[EmailMessage]:
        return [email.message_from_bytes(raw, policy=email.policy.default) for _, _, raw in self.received]  # type: ignore[misc]


@pytest.fixture
def certificate(tmp_path: Path) -> tuple[Path, Path]:
    return _self_signed(tmp_path)


def _tls(certificate: tuple[Path, Path]) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(str(certificate[0]), str(certificate[1]))
    return context


@pytest.fixture
def starttls_relay(certificate: tuple[Path, Path]) -> Iterator[tuple[Relay, int]]:
    """A relay on 127.0.0.1 that requires STARTTLS before anything, then AUTH."""
    relay, port = Relay(), _free_port()
    controller = Controller(
        relay,
        hostname="127.0.0.1",
        port=port,
        tls_context=_tls(certificate),
        require_starttls=True,
        authenticator=relay.authenticate,
        auth_required=True,
        auth_require_tls=True,
    )
    controller.start()
    yield relay, port
    controller.stop()


@pytest.fixture
def db(fresh_database_url: str) -> Iterator[Database]:
    database = Database(fresh_database_url)
    yield database
    database.dispose()


def _app(db: Database, keyring: Any, tmp_path: Path, **env: str) -> Any:
    return create_app({"TESTING": True, "HEARD_INSTANCE_DIR": str(tmp_path), "DATABASE": db, "KEYRING": keyring, **env})


def _starttls_env(port: int, certificate: tuple[Path, Path]) -> dict[str, str]:
    return {
        "HEARD_SMTP_URL": f"smtp://{USER}:p%40ss%20word%2F42@127.0.0.1:{port}",
        "HEARD_MAIL_FROM": MAIL_FROM,
        "HEARD_SMTP_CA_FILE": str(certificate[0]),
    }


def _work(app: Any) -> int:
    """Run the worker once, every waiting job made ready now (no back-off in tests)."""
    db = app.extensions["heard.database"]
    with db.session() as s:
        s.execute(update(Job).where(Job.state == JobState.QUEUED).values(run_after=utcnow()))
        s.commit()
    return jobs.Worker(database=db, handlers=app.extensions["heard.mail"].handlers(), chores=[]).run_once()


@dataclass
class Filed:
    case_id: int
    tracking_number: str
    pin: str
    staff_id: int


def _email_case(db: Database, keyring: Any, *, address: str = "maria@example.org", preferred: str = "email") -> Filed:
    with db.session() as s:
        user = s.scalars(select(StaffUser)).first() or make_staff(s)
        contact = {"name": "María López", "email": address, "phone": "(209) 555-0142", "preferred": preferred}
        case, receipt = make_case(s, keyring, narrative=NARRATIVE, contact=contact)
        s.commit()
        return Filed(case.id, case.tracking_number, receipt.pin, user.id)


def _reply(db: Database, filed: Filed, text: str, **kwargs: Any) -> Message:
    with db.session() as s:
        viewer = s.get(StaffUser, filed.staff_id)
        (sent,) = triage_actions.reply(s, viewer=viewer, case_id=filed.case_id, text=text, **kwargs)
        s.commit()
        s.expunge(sent)
        return sent


def _message(db: Database, message_id: int) -> Message:
    with db.session() as s:
        found = s.get(Message, message_id)
        assert found is not None
        s.expunge(found)
        return found


def _parts(letter: EmailMessage) -> tuple[str, str]:
    plain = letter.get_body(("plain",))
    html = letter.get_body(("html",))
    assert plain is not None and html is not None
    return plain.get_content(), html.get_content()


def test_a_staff_reply_goes_by_email_as_text_and_html_in_the_residents_language(
    db, keyring, tmp_path, starttls_relay, certificate
):
    relay, port = starttls_relay
    app = _app(db, keyring, tmp_path, **_starttls_env(port, certificate))
    filed = _email_case(db, keyring)
    queued = _reply(
        db,
        filed,
        f"Recibimos su reporte. Si alguien le pide el código {filed.pin}, no lo dé.",
        translated_from="We received your report.",
        models=("argos-en-es",),
    )
    assert queued.channel is Channel.EMAIL and queued.state is MessageState.QUEUED
    assert filed.pin not in queued.body  # never kept, never sent
    assert relay.received == []  # the worker sends it, not the request
    _work(app)
    ((mail_from, rcpt, _),) = relay.received
    assert mail_from == "heard@city.example" and rcpt == ["maria@example.org"]
    assert relay.logins == [USER]  # over STARTTLS (the relay refuses AUTH without it)
    (letter,) = relay.letters()
    assert letter.get_content_type() == "multipart/alternative"
    assert letter["Subject"] == t("es", SUBJECT) and letter["Content-Language"] == "es"
    assert letter["From"] == MAIL_FROM and letter["To"] == "maria@example.org"
    plain, html = _parts(letter)
    for body in (plain, html):
        assert "Recibimos su reporte." in body
        assert tracking.format_tracking_number(filed.tracking_number) in body
        assert t("es", MACHINE_TRANSLATED).split(" ")[0] in body and "máquina" in body
        assert "(209) 555-0100" in body and "oficina independiente" in body
        assert filed.pin not in body  # neither the receipt's PIN nor any other
        assert "empujó" not in body and NARRATIVE[:30] not in body  # never the narrative
    assert '<html lang="es"' in html and "&lt;" not in plain
    sent = _message(db, queued.id)
    assert sent.state is MessageState.SENT and sent.provider_id == letter["Message-ID"]
    with db.session() as s:
        entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "case.replied")).one()
        assert entry.summary == {"channel": "email", "message_ids": [queued.id]}


def test_a_busy_relay_is_tried_again_and_a_refused_address_is_shown_on_the_case_page(
    db, keyring, tmp_path, starttls_relay, certificate
):
    relay, port = starttls_relay
    app = _app(db, keyring, tmp_path, **_starttls_env(port, certificate))
    relay.busy = 1
    busy = _reply(db, _email_case(db, keyring), "Su caso fue asignado.")
    _work(app)
    waiting = _message(db, busy.id)
    assert waiting.state is MessageState.QUEUED and waiting.error_code == "smtp-451" and relay.received == []
    with db.session() as s:
        job = s.scalars(select(Job).where(Job.dedupe_key == f"{mail.SEND_KIND}:{busy.id}")).one()
        later = job.run_after if job.run_after.tzinfo else job.run_after.replace(tzinfo=dt.UTC)
        assert job.state is JobState.QUEUED and later - utcnow() > dt.timedelta(seconds=50)  # waits a minute
    _work(app)
    assert _message(db, busy.id).state is MessageState.SENT and len(relay.received) == 1
    relay.refused["nobody@example.org"] = "550 5.1.1 <nobody@example.org>: Recipient address rejected"
    filed = _email_case(db, keyring, address="nobody@example.org")
    bounced = _reply(db, filed, "Su caso fue asignado.")
    _work(app)
    _work(app)
    failed = _message(db, bounced.id)
    assert failed.state is MessageState.FAILED and failed.error_code == "smtp-550"
    assert "nobody@" not in failed.meta["error"]  # the relay's words (with the address) are not kept
    with db.session() as s:
        job = s.scalars(select(Job).where(Job.dedupe_key == f"{mail.SEND_KIND}:{bounced.id}")).one()
        assert job.state is JobState.DONE and job.attempts == 1  # a bounce is not tried again
        staff = s.get(StaffUser, filed.staff_id)
        assert staff is not None
    client = app.test_client()
    sign_in(client, staff)
    page = client.get(f"/console/cases/{filed.case_id}").get_data(as_text=True)
    assert "Delivery problem: smtp-550" in page and "refused" in page
    assert "Email to the resident" in page  # the reply form says how the reply will go


def test_smtps_with_the_relays_own_certificate_and_an_untrusted_certificate_is_not_used(
    db, keyring, tmp_path, certificate
):
    relay, port = Relay(), _free_port()
    controller = Controller(relay, hostname="127.0.0.1", port=port, ssl_context=_tls(certificate))
    controller.start()
    try:
        untrusted = _app(db, keyring, tmp_path, HEARD_SMTP_URL=f"smtps://127.0.0.1:{port}", HEARD_MAIL_FROM=MAIL_FROM)
        queued = _reply(db, _email_case(db, keyring), "Su caso fue cerrado.")
        _work(untrusted)
        refused = _message(db, queued.id)
        assert refused.state is MessageState.QUEUED and refused.error_code == "tls" and relay.received == []
        trusted = _app(
            db,
            keyring,
            tmp_path,
            HEARD_SMTP_URL=f"smtps://127.0.0.1:{port}",
            HEARD_MAIL_FROM=MAIL_FROM,
            HEARD_SMTP_CA_FILE=str(certificate[0]),
        )
        _work(trusted)
        assert _message(db, queued.id).state is MessageState.SENT
        (letter,) = relay.letters()
        assert "Su caso fue cerrado." in _parts(letter)[0]
    finally:
        controller.stop()


# NOTE: the stand-in relay (aiosmtpd) leaves its refused connections' sockets to the garbage collector,
# which in the full suite (CI, 2026-12-05) surfaced as unraisable ResourceWarnings in this test; they are
# the stand-in's, not Heard's. Every other warning still fails the test.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_a_relay_without_starttls_gets_nothing_and_after_the_last_try_the_email_is_marked_failed(db, keyring, tmp_path):
    relay, port = Relay(), _free_port()
    controller = Controller(relay, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        app = _app(db, keyring, tmp_path, HEARD_SMTP_URL=f"smtp://127.0.0.1:{port}", HEARD_MAIL_FROM=MAIL_FROM)
        queued = _reply(db, _email_case(db, keyring), "Su caso fue cerrado.")
        for _ in range(mail.ATTEMPTS):
            _work(app)
        failed = _message(db, queued.id)
        assert failed.state is MessageState.FAILED and failed.error_code == "no-starttls"
        assert failed.meta["attempts"] == mail.ATTEMPTS and relay.received == []
    finally:
        controller.stop()


def test_only_a_resident_who_chose_email_is_emailed(db, keyring, tmp_path):
    filed = _email_case(db, keyring, preferred="sms")
    with pytest.raises(ValidationError, match="another way"):
        _reply(db, filed, "Hola.")
    with db.session() as s:
        assert s.scalars(select(Message).where(Message.channel == Channel.EMAIL)).all() == []
        case = s.get(Case, filed.case_id)
        assert case is not None and case.contact is not None


def test_the_relay_url_is_read_and_a_password_never_crosses_in_clear():
    settings = MailSettings.from_env(
        {"HEARD_SMTP_URL": "smtps://user%40city:p%2Fw@mail.city.example", "HEARD_MAIL_FROM": MAIL_FROM}
    )
    assert (settings.host, settings.port, settings.implicit_tls) == ("mail.city.example", 465, True)
    assert (settings.username, settings.password, settings.envelope_from) == ("user@city", "p/w", "heard@city.example")
    plain = MailSettings.from_env({"HEARD_SMTP_URL": "smtp://relay:25?starttls=off", "HEARD_MAIL_FROM": MAIL_FROM})
    assert plain.starttls is False and plain.username is None and plain.port == 25
    assert MailSettings.from_env({"HEARD_SMTP_URL": "smtp://relay", "HEARD_MAIL_FROM": MAIL_FROM}).port == 587
    with pytest.raises(ConfigurationError, match="without credentials"):
        MailSettings.from_env({"HEARD_SMTP_URL": "smtp://u:p@relay?starttls=off", "HEARD_MAIL_FROM": MAIL_FROM})
    with pytest.raises(ConfigurationError, match="HEARD_MAIL_FROM"):
        MailSettings.from_env({"HEARD_SMTP_URL": "smtp://relay"})
    with pytest.raises(ConfigurationError, match="HEARD_SMTP_URL"):
        MailSettings.from_env({"HEARD_SMTP_URL": "http://relay", "HEARD_MAIL_FROM": MAIL_FROM})
    assert MailSettings.from_env({}).configured is False


@pytest.mark.parametrize(
    "stored", ["ana,victim@example.org", "Ana<victim@example.org>", "añá@example.org", "an\x01a@example.org"]
)
def test_an_address_an_earlier_heard_kept_that_is_not_one_mailbox_is_never_written_into_an_email(
    db, keyring, tmp_path, starttls_relay, certificate, stored
):
    relay, port = starttls_relay
    app = _app(db, keyring, tmp_path, **_starttls_env(port, certificate))
    filed = _email_case(db, keyring)
    with db.session() as s:
        case = s.get(Case, filed.case_id)
        assert case is not None and case.contact is not None
        case.contact.email_token = keyring.encrypt(stored)  # taken before addresses had to be one mailbox
        s.commit()
    queued = _reply(db, filed, "Su caso fue asignado.")
    _work(app)
    failed = _message(db, queued.id)
    assert relay.received == []
    assert failed.state is MessageState.FAILED and failed.error_code == "bad-address"
    with db.session() as s:
        job = s.scalars(select(Job).where(Job.dedupe_key == f"{mail.SEND_KIND}:{queued.id}")).one()
        assert job.state is JobState.DONE and job.attempts == 1  # final: not tried again for hours


def test_an_international_domain_is_sent_to_in_its_ascii_form(db, keyring, tmp_path, starttls_relay, certificate):
    relay, port = starttls_relay
    app = _app(db, keyring, tmp_path, **_starttls_env(port, certificate))
    filed = _email_case(db, keyring)
    with db.session() as s:
        case = s.get(Case, filed.case_id)
        assert case is not None and case.contact is not None
        case.contact.email_token = keyring.encrypt("ana@bücher.example")
        s.commit()
    _reply(db, filed, "Su caso fue asignado.")
    _work(app)
    ((_, rcpt, _),) = relay.received
    assert rcpt == ["ana@xn--bcher-kva.example"]
    (letter,) = relay.letters()
    assert letter["To"] == "ana@xn--bcher-kva.example"
