"""Twilio's REST API as Heard uses it: send a text, fetch and delete MMS media."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

import requests
from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response
from twilio.rest import Client

from webhooks.twilio.config import TWILIO_API, ChannelSettings

log = logging.getLogger(__name__)
TIMEOUT_SECONDS = 15


class TransientError(Exception):
    """Twilio is busy, down or unreachable: try again later."""


class PermanentError(Exception):
    """Twilio refused for good (an invalid or opted-out number, a bad request)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code


@dataclass(frozen=True)
class SentMessage:
    """What Twilio answered when it accepted a message."""

    sid: str
    status: str
    segments: int | None


class _RebasedHttpClient(TwilioHttpClient):  # type: ignore[misc]
    """Send the SDK's requests to ``base_url`` instead of api.twilio.com (a local stand-in in tests)."""

    def __init__(self, base_url: str) -> None:
        super().__init__(timeout=TIMEOUT_SECONDS)
        self.base_url = base_url

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Response:
        return super().request(method, rebase(url, self.base_url), *args, **kwargs)


def rebase(url: str, base_url: str) -> str:
    """Point a Twilio API URL at ``base_url``."""
    if base_url != TWILIO_API and url.startswith(TWILIO_API):
        return base_url + url[len(TWILIO_API) :]
    return url


class TwilioGateway:
    """The few REST calls Heard makes, with Twilio's errors sorted into retry-later and give-up."""

    def __init__(self, settings: ChannelSettings) -> None:
        self.settings = settings
        self._client: Client | None = None

    @property
    def client(self) -> Client:
        if self._client is None:
            self._client = Client(
                self.settings.account_sid,
                self.settings.auth_token,
                http_client=_RebasedHttpClient(self.settings.api_base_url),
            )
        return self._client

    def send_sms(self, *, to: str, from_: str, body: str, status_callback: str | None) -> SentMessage:
        """Send one text (an SMS, or WhatsApp to ``whatsapp:`` addresses); raise TransientError or PermanentError."""
        return self._create(to=to, from_=from_, body=body, status_callback=status_callback)

    def send_template(
        self, *, to: str, from_: str, content_sid: str, variables: dict[str, str], status_callback: str | None
    ) -> SentMessage:
        """Send an approved WhatsApp template (Twilio's Content API) with its variables filled."""
        return self._create(
            to=to,
            from_=from_,
            content_sid=content_sid,
            content_variables=json.dumps(variables, ensure_ascii=False),
            status_callback=status_callback,
        )

    def _create(self, **fields: Any) -> SentMessage:
        try:
            message = self.client.messages.create(**fields)
        except TwilioRestException as exc:
            if exc.status == 429 or exc.status >= 500:
                raise TransientError(f"Twilio answered {exc.status}") from exc
            raise PermanentError(str(exc.code or exc.status), str(exc.msg)) from exc
        except requests.RequestException as exc:
            raise TransientError(f"Twilio unreachable: {type(exc).__name__}") from exc
        segments = int(message.num_segments) if message.num_segments else None
        return SentMessage(sid=str(message.sid), status=str(message.status or "queued"), segments=segments)

    def redirect_call(self, call_sid: str, twiml: str) -> None:
        """Give a call in progress new instructions (the TTY path, when Baudot tones are heard)."""
        try:
            self.client.calls(call_sid).update(twiml=twiml)
        except TwilioRestException as exc:
            raise PermanentError(str(exc.code or exc.status), str(exc.msg)) from exc
        except requests.RequestException as exc:
            raise TransientError(f"Twilio unreachable: {type(exc).__name__}") from exc

    def _media_request(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        target = rebase(url, self.settings.api_base_url)
        if not target.startswith(self.settings.api_base_url + "/"):
            raise PermanentError("media-url", "media URL is not on Twilio's API host")
        try:
            response = requests.request(
                method,
                target,
                auth=(self.settings.account_sid, self.settings.auth_token),
                timeout=TIMEOUT_SECONDS,
                allow_redirects=True,
                **kwargs,
            )
        except requests.RequestException as exc:
            raise TransientError(f"media host unreachable: {type(exc).__name__}") from exc
        if response.status_code == 429 or response.status_code >= 500:
            raise TransientError(f"media host answered {response.status_code}")
        return response

    def download_media(self, url: str, *, max_bytes: int) -> tuple[bytes, str]:
        """Fetch one media item with Heard's credentials; stop reading past ``max_bytes``."""
        response = self._media_request("GET", url, stream=True)
        with response:
            if response.status_code != 200:
                raise PermanentError(str(response.status_code), "media could not be fetched")
            chunks: list[bytes] = []
            size = 0
            for chunk in response.iter_content(64 * 1024):
                size += len(chunk)
                chunks.append(chunk)
                if size > max_bytes:
                    break
            return b"".join(chunks), response.headers.get("Content-Type", "")

    def delete_media(self, url: str) -> None:
        """Delete a media item at Twilio once Heard holds its own copy."""
        response = self._media_request("DELETE", url)
        if response.status_code not in (204, 404):
            raise PermanentError(str(response.status_code), "media could not be deleted")
