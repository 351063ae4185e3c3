"""The ``worker`` process: background jobs (turns that outlived their webhook, sends, media, translation).

Run: ``python -m worker`` (the Procfile does). It builds the same services as the web
process (``services.build_services``), without the web application.
"""

from __future__ import annotations

import logging
import signal
from collections.abc import Mapping
from types import FrameType
from typing import Any

from intake import audit
from intake.jobs import Worker
from intake.translation.cases import CaseTranslator
from services import build_services
from webhooks.pause import DialoguePauses


def build_worker(config: Mapping[str, Any] | None = None) -> Worker:
    """Compose the worker from the same configuration as the web application."""
    services = build_services(config)
    translator = CaseTranslator(database=services.database, engine=services.translation)
    anchor = services.settings.instance_dir / audit.ANCHOR_FILE

    def anchor_audit_log() -> None:
        """Move the audit log's anchor outside the database up to its head (a later cut is then caught)."""
        with services.database.session() as session:
            audit.advance_anchor(session, anchor)

    pauses = DialoguePauses(database=services.database, keyring=services.keyring, rasa=services.sms.rasa)
    return Worker(
        database=services.database,
        handlers={**services.sms.handlers(), **translator.handlers(), **pauses.handlers()},
        chores=[*services.sms.chores(), anchor_audit_log],
    )


def main() -> None:
    """Run until SIGTERM or SIGINT, finishing the job at hand first."""
    worker = build_worker()

    def stop(_signum: int, _frame: FrameType | None) -> None:
        logging.getLogger(__name__).info("stopping after the current job")
        worker.stopping.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    worker.run_forever()


if __name__ == "__main__":
    main()
