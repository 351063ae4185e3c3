"""The ``worker`` process: background jobs (turns that outlived their webhook, texts, emails, media, translation).

Run: ``python -m worker`` (the Procfile does). It builds the same services as the web
process (``services.build_services``), without the web application.
"""

from __future__ import annotations

import logging
import signal
from collections.abc import Mapping
from types import FrameType
from typing import Any

from intake import audit, jobs
from intake.cases import updates
from intake.db import utcnow
from intake.jobs import Worker
from intake.retention.apply import apply_schedule
from intake.retention.policy import RetentionPolicy
from intake.translation.cases import CaseTranslator
from services import build_services, env_overrides
from webhooks.dialogue_sweep import DraftSweep
from webhooks.pause import DialoguePauses
from webhooks.updates import UpdateComposer

RETENTION_JOB = "retention.apply"


def build_worker(config: Mapping[str, Any] | None = None) -> Worker:
    """Compose the worker from the same configuration as the web application."""
    services = build_services(config)
    translator = CaseTranslator(database=services.database, engine=services.translation)
    anchor = services.settings.instance_dir / audit.ANCHOR_FILE

    def anchor_audit_log() -> None:
        """Move the audit log's anchor outside the database up to its head (a later cut is then caught)."""
        with services.database.session() as session:
            audit.advance_anchor(session, anchor)

    env = env_overrides(config or {})
    policy = RetentionPolicy.from_env(env)
    composer = UpdateComposer(
        database=services.database,
        keyring=services.keyring,
        zone=services.settings.office_zone,
        every_days=updates.every_days(env),
    )
    scheduled: set[str] = set()

    def schedule_retention() -> None:
        """Queue today's retention run once (the dedupe key makes it once across every worker)."""
        today = utcnow().date().isoformat()
        if today in scheduled:
            return
        with services.database.session() as session:
            jobs.enqueue(session, kind=RETENTION_JOB, payload={"day": today}, dedupe_key=f"{RETENTION_JOB}:{today}")
            session.commit()
        scheduled.add(today)

    def apply_retention(_payload: dict[str, Any]) -> None:
        """Purge what the retention schedule says is due (each part is safe to run again after a crash)."""
        report = apply_schedule(
            services.database,
            storage=services.storage,
            keyring=services.keyring,
            policy=policy,
            as_of=utcnow(),
            actor="system:retention",
        )
        for line in report.lines():
            logging.getLogger(__name__).info("retention: %s", line)

    # NOTE: abandoned drafts are forgotten by the dialogue (issue 17); the sweep itself is paced.
    sweep = DraftSweep.from_env(env_overrides(config or {}), database=services.database, keyring=services.keyring)
    pauses = DialoguePauses(database=services.database, keyring=services.keyring, rasa=services.sms.rasa)
    return Worker(
        database=services.database,
        handlers={
            **services.sms.handlers(),
            **services.mail.handlers(),
            **translator.handlers(),
            **composer.handlers(),
            **pauses.handlers(),
            RETENTION_JOB: apply_retention,
        },
        chores=[*services.sms.chores(), anchor_audit_log, schedule_retention, sweep.chore, composer.remind_chore],
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
