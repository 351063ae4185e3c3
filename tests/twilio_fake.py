"""A local stand-in for what lies off this machine: Twilio's REST API and its media host.

It answers ``Messages.json`` like Twilio (a message resource with a fresh SID; a text, or a
WhatsApp template by ``ContentSid`` + ``ContentVariables``, refusing a message with neither), serves
registered media only to requests with the account's Basic credentials, records
every request, and can be told to fail the next few requests (429, 500, a 400 error).
Webhook requests are built as Twilio builds them, with real signatures.
"""

from __future__ import annotations

import base64
import json
import threading
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from twilio.request_validator import RequestValidator

ACCOUNT_SID = "AC" + "0" * 30 + "01"
AUTH_TOKEN = "test-auth-token-0123456789abcdef"
HEARD_NUMBER = "+12095550100"
HEARD_WHATSAPP = "whatsapp:+12095550199"
PUBLIC_BASE_URL = "https://heard.example.org"


@dataclass
class Recorded:
    method: str
    path: str
    form: dict[str, str]
    authorized: bool


@dataclass
class FakeTwilio:
    """Twilio's REST API and media host, on 127.0.0.1."""

    requests: list[Recorded] = field(default_factory=list)
    media: dict[str, tuple[bytes, str]] = field(default_factory=dict)
    failures: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    # Media paths that answer 500 this many more times before they are served.
    flaky_media: dict[str, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    url: str = ""

    def start(self) -> FakeTwilio:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_args: Any) -> None:
                pass

            def _authorized(self) -> bool:
                expected = "Basic " + base64.b64encode(f"{ACCOUNT_SID}:{AUTH_TOKEN}".encode()).decode()
                return self.headers.get("Authorization") == expected

            def _send(self, status: int, body: bytes, content_type: str = "application/json") -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _record(self, form: dict[str, str]) -> Recorded:
                entry = Recorded(self.command, urlsplit(self.path).path, form, self._authorized())
                with fake.lock:
                    fake.requests.append(entry)
                return entry

            def _failure(self) -> tuple[int, dict[str, Any]] | None:
                with fake.lock:
                    return fake.failures.pop(0) if fake.failures else None

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                entry = self._record(form)
                if not entry.authorized:
                    return self._send(401, b'{"code": 20003, "message": "Authenticate", "status": 401}')
                failure = self._failure()
                if failure:
                    return self._send(failure[0], json.dumps({"status": failure[0], **failure[1]}).encode())
                if "/Calls/" in entry.path and entry.path.endswith(".json"):
                    call = {"sid": entry.path.rsplit("/", 1)[1].removesuffix(".json"), "status": "in-progress"}
                    return self._send(200, json.dumps(call).encode())
                if not entry.path.endswith("/Messages.json"):
                    return self._send(404, b'{"status": 404}')
                body = form.get("Body", "")
                content_sid = form.get("ContentSid", "")
                if not body and not content_sid and not form.get("MediaUrl"):
                    message = "A text message body, media URL or ContentSid is required."
                    return self._send(400, json.dumps({"code": 21619, "message": message, "status": 400}).encode())
                if content_sid and not content_sid.startswith("HX"):
                    return self._send(400, b'{"code": 21655, "message": "The ContentSid is Invalid.", "status": 400}')
                ucs2 = any(ord(c) > 0x7F for c in body)
                per = 67 if ucs2 else 153
                segments = 1 if len(body) <= (70 if ucs2 else 160) else -(-len(body) // per)
                resource = {
                    "sid": "SM" + uuid.uuid4().hex,
                    "account_sid": ACCOUNT_SID,
                    "to": form.get("To"),
                    "from": form.get("From"),
                    "body": body,
                    "content_sid": content_sid or None,
                    "status": "queued",
                    "num_segments": str(segments),
                    "direction": "outbound-api",
                }
                self._send(201, json.dumps(resource).encode())

            def do_GET(self) -> None:
                entry = self._record({})
                if not entry.authorized:
                    return self._send(401, b'{"status": 401}')
                with fake.lock:
                    flaky = fake.flaky_media.get(entry.path, 0)
                    if flaky:
                        fake.flaky_media[entry.path] = flaky - 1
                if flaky:
                    return self._send(500, b'{"status": 500}')
                item = fake.media.get(entry.path)
                if item is None:
                    return self._send(404, b'{"status": 404}')
                self._send(200, item[0], item[1])

            def do_DELETE(self) -> None:
                entry = self._record({})
                if not entry.authorized:
                    return self._send(401, b'{"status": 401}')
                found = fake.media.pop(entry.path, None)
                self.send_response(204 if found else 404)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def add_media(self, message_sid: str, data: bytes, content_type: str) -> str:
        """Host one media item the way Twilio does; return its URL (as Twilio would post it)."""
        path = f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/{message_sid}/Media/ME{uuid.uuid4().hex}"
        self.media[path] = (data, content_type)
        return "https://api.twilio.com" + path

    def sent(self) -> list[dict[str, str]]:
        """The texts Heard sent through the REST API, in order."""
        with self.lock:
            return [r.form for r in self.requests if r.method == "POST" and r.path.endswith("/Messages.json")]

    def templates(self) -> list[dict[str, str]]:
        """The WhatsApp templates Heard sent (ContentSid and ContentVariables), in order."""
        return [form for form in self.sent() if form.get("ContentSid")]

    def texts(self) -> list[dict[str, str]]:
        """The free-form messages Heard sent (a Body), in order."""
        return [form for form in self.sent() if not form.get("ContentSid")]

    def redirected(self) -> list[dict[str, str]]:
        """The calls Heard gave new instructions, with the TwiML it sent."""
        with self.lock:
            return [r.form for r in self.requests if r.method == "POST" and "/Calls/" in r.path]

    def deleted(self) -> list[str]:
        with self.lock:
            return [r.path for r in self.requests if r.method == "DELETE"]


def new_message_sid() -> str:
    return "SM" + uuid.uuid4().hex


def sms_form(
    body: str,
    *,
    sender: str = "+12095550142",
    sid: str | None = None,
    media: list[tuple[str, str]] | None = None,
) -> dict[str, str]:
    """The fields Twilio posts for an incoming SMS or MMS, as it posts them."""
    sid = sid or new_message_sid()
    form = {
        "ToCountry": "US",
        "ToState": "CA",
        "SmsMessageSid": sid,
        "NumMedia": str(len(media or [])),
        "ToCity": "STOCKTON",
        "FromZip": "95202",
        "SmsSid": sid,
        "FromState": "CA",
        "SmsStatus": "received",
        "FromCity": "STOCKTON",
        "Body": body,
        "FromCountry": "US",
        "To": HEARD_NUMBER,
        "ToZip": "95202",
        "NumSegments": "1",
        "MessageSid": sid,
        "AccountSid": ACCOUNT_SID,
        "From": sender,
        "ApiVersion": "2010-04-01",
    }
    for i, (url, content_type) in enumerate(media or []):
        form[f"MediaUrl{i}"] = url
        form[f"MediaContentType{i}"] = content_type
    return form


def whatsapp_form(
    body: str,
    *,
    sender: str = "whatsapp:+12095550142",
    sid: str | None = None,
    media: list[tuple[str, str]] | None = None,
) -> dict[str, str]:
    """The fields Twilio posts to the Messaging webhook for an incoming WhatsApp message."""
    sid = sid or new_message_sid()
    form = {
        "SmsMessageSid": sid,
        "NumMedia": str(len(media or [])),
        "ProfileName": "Resident",
        "MessageType": "image" if media else "text",
        "SmsSid": sid,
        "WaId": sender.removeprefix("whatsapp:+"),
        "SmsStatus": "received",
        "Body": body,
        "To": HEARD_WHATSAPP,
        "NumSegments": "1",
        "ReferralNumMedia": "0",
        "MessageSid": sid,
        "AccountSid": ACCOUNT_SID,
        "From": sender,
        "ApiVersion": "2010-04-01",
    }
    for i, (url, content_type) in enumerate(media or []):
        form[f"MediaUrl{i}"] = url
        form[f"MediaContentType{i}"] = content_type
    return form


def sign(url: str, params: dict[str, str] | str, token: str = AUTH_TOKEN) -> str:
    """Sign a request exactly as Twilio does (the SDK's own validator computes it)."""
    validator = RequestValidator(token)
    if isinstance(params, str):
        return str(validator.compute_signature(url, {}))
    return str(validator.compute_signature(url, params))


def post_signed(
    client: Any, path: str, form: dict[str, str], *, token: str = AUTH_TOKEN, base: str = PUBLIC_BASE_URL
) -> Any:
    """POST a form to the app as Twilio would, signed over the public URL."""
    return client.post(path, data=form, headers={"X-Twilio-Signature": sign(base + path, form, token)})
