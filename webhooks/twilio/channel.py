"""The SMS channel's work: answer each stored message in order, send replies, keep evidence.

The webhook stores a message and gives this service a few seconds to answer it inline;
whatever is not done by then is finished here in the background (in the web process
first, by the ``worker`` process when that one is gone), and the reply goes out
through Twilio's REST API. Every step is keyed by ids already stored, so running a
step twice changes nothing.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

from intake import jobs
from intake.crypto import Keyring
from intake.db import Database
from intake.storage import Storage
from webhooks.rasa_client import RasaClient, api_token
from webhooks.twilio import release
from webhooks.twilio.config import ChannelSettings
from webhooks.twilio.gateway import TwilioGateway
from webhooks.twilio.media import MediaFetcher
from webhooks.twilio.outbound import OutboundSender
from webhooks.twilio.relay import TurnRelay
from webhooks.twilio.spool import Spool


class SmsChannel(TurnRelay, OutboundSender, MediaFetcher):
    """Answers residents who text Heard; built once by the composition root."""

    def __init__(
        self,
        *,
        database: Database,
        keyring: Keyring,
        settings: ChannelSettings,
        storage: Storage,
        rasa: RasaClient | None = None,
        gateway: TwilioGateway | None = None,
    ) -> None:
        self.database = database
        self.keyring = keyring
        self.settings = settings
        self.storage = storage
        self.rasa = rasa or RasaClient(
            settings.rasa_url, token=api_token(configured=settings.rasa_token, internal_token=keyring.internal_token)
        )
        self.gateway = gateway or TwilioGateway(settings)
        self.spool = Spool(storage, keyring)
        self._executor: ThreadPoolExecutor | None = None

    def handlers(self) -> dict[str, jobs.Handler]:
        """The job kinds this channel runs."""
        return {
            "sms.turn": self.run_turns,
            "sms.send": self.send,
            "sms.media": self.fetch_media,
            "twilio.media.delete": self.delete_media,
            "voice.recording": self.fetch_recording,
            "quarantine.release": self.release_quarantine,
        }

    def release_quarantine(self, _payload: dict[str, Any]) -> None:
        """Process the kept texts whose signature holds for the configuration now."""
        release.release_all(database=self.database, keyring=self.keyring, settings=self.settings)

    def chores(self) -> list[Any]:
        """What the worker does on every round besides jobs."""
        return [self.drain_spool, self.settle_orphans]

    @property
    def executor(self) -> ThreadPoolExecutor:
        if self._executor is None:
            self._executor = ThreadPoolExecutor(max_workers=8, thread_name_prefix="sms-turn")
        return self._executor
