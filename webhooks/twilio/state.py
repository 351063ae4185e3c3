"""The state the Twilio channel's parts share (the relay of turns, outbound sends, media)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from intake import jobs
from intake.crypto import Keyring
from intake.db import Database
from intake.storage import Storage
from webhooks.rasa_client import RasaClient
from webhooks.twilio.config import ChannelSettings
from webhooks.twilio.gateway import TwilioGateway
from webhooks.twilio.spool import Spool


class ChannelState:
    """What every part of the channel works with; ``SmsChannel`` sets it up."""

    database: Database
    keyring: Keyring
    settings: ChannelSettings
    storage: Storage
    rasa: RasaClient
    gateway: TwilioGateway
    spool: Spool

    @property
    def executor(self) -> ThreadPoolExecutor:
        raise NotImplementedError

    def handlers(self) -> dict[str, jobs.Handler]:
        raise NotImplementedError

    def holding_answer(self, body: str) -> str:
        raise NotImplementedError
