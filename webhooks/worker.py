"""The ``worker`` process: background jobs (turns that outlived their webhook, sends, media, translation).

Run: ``python -m webhooks.worker`` (the Procfile does).
"""

from __future__ import annotations

import logging
import os
import signal
from types import FrameType

from intake import audit
from intake.jobs import Worker
from intake.translation.cases import CaseTranslator
from intake.translation.engine import TranslationEngine, TranslationSettings


def build_worker() -> Worker:
    """Compose the worker from the same configuration as the web application."""
    from app import create_app

    app = create_app()
    database = app.extensions["heard.database"]
    sms = app.extensions["heard.sms"]
    translator = CaseTranslator(
        database=database,
        engine=TranslationEngine(TranslationSettings.from_env(os.environ, app.config["HEARD_SETTINGS"].instance_dir)),
    )
    anchor = app.config["HEARD_SETTINGS"].instance_dir / audit.ANCHOR_FILE

    def anchor_audit_log() -> None:
        """Move the audit log's anchor outside the database up to its head (a later cut is then caught)."""
        with database.session() as session:
            audit.advance_anchor(session, anchor)

    chores = [*sms.chores(), anchor_audit_log]
    return Worker(database=database, handlers={**sms.handlers(), **translator.handlers()}, chores=chores)


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
