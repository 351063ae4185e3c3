"""Print, per language, how residents who write naturally fare: texts to a filed report, refusals, seconds.

    .venv/bin/python bench/conversations.py                 # all ten corpus files, three personas each
    .venv/bin/python bench/conversations.py --languages es,vi --personas 1

Starts the real processes on loopback ports (Heard's web app in-process over a temporary SQLite
database, the action server, Rasa with bot/models/current.tar.gz, a local Twilio stand-in) and
drives the adaptive simulated residents of tests/bot/resident.py through signed Twilio webhooks:
each texts its story from tests/corpora, answers whatever the bot asks, files, then checks its
status. Figures only; tests/bot/test_corpus_personas.py is the pass/fail version.
"""

from __future__ import annotations

import argparse
import base64
import os
import statistics
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from werkzeug.serving import make_server  # noqa: E402

from app import create_app  # noqa: E402
from intake.crypto import Keyring, new_secrets  # noqa: E402
from intake.db import Database  # noqa: E402
from intake.migrate import upgrade  # noqa: E402
from tests.bot.conftest import _free_port, _wait_for  # noqa: E402
from tests.bot.resident import LANGUAGES, PERSONAS, Outcome, Resident  # noqa: E402
from tests.bot.test_twilio_conversations import _bodies  # noqa: E402
from tests.twilio_fake import ACCOUNT_SID, AUTH_TOKEN, PUBLIC_BASE_URL, FakeTwilio, post_signed, sms_form  # noqa: E402


def _keyring() -> Keyring:
    secrets = new_secrets()
    return Keyring(
        tuple(secrets["fernet_keys"]),
        base64.b64decode(str(secrets["hmac_key"])),  # type: ignore[arg-type]
        str(secrets["secret_key"]),
        str(secrets["internal_token"]),
    )


def _table(outcomes: list[Outcome]) -> None:
    print(
        "| language | personas | filed | status checked | texts to filed (median, max) | refusals "
        "| not in language | s per conversation |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for lang in LANGUAGES:
        mine = [o for o in outcomes if o.lang == lang]
        if not mine:
            continue
        texts = [o.texts_to_filed for o in mine if o.texts_to_filed]
        median = f"{statistics.median(texts):g}" if texts else "-"
        print(
            f"| {lang} | {len(mine)} | {len(texts)} | {sum(o.status_ok for o in mine)} | "
            f"{median}, {max(texts) if texts else '-'} | {sum(len(o.refusals) for o in mine)} | "
            f"{sum(len(o.not_in_language) for o in mine)} | {statistics.mean(o.seconds for o in mine):.1f} |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--languages", default=",".join(LANGUAGES))
    parser.add_argument("--personas", type=int, default=PERSONAS)
    parser.add_argument("--show", action="store_true", help="print every refusal and failed conversation")
    parser.add_argument("--transcripts", action="store_true", help="with --show: print every conversation")
    args = parser.parse_args()
    keyring = _keyring()
    with tempfile.TemporaryDirectory() as instance:
        url = f"sqlite:///{instance}/heard.db"
        upgrade(url)
        database = Database(url)
        web_port, actions_port, rasa_port = _free_port(), _free_port(), _free_port()
        internal = create_app({"HEARD_INSTANCE_DIR": instance, "DATABASE": database, "KEYRING": keyring})
        server = make_server("127.0.0.1", web_port, internal, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        env = {
            **os.environ,
            "HEARD_INSTANCE_DIR": instance,
            "HEARD_INTERNAL_URL": f"http://127.0.0.1:{web_port}",
            "HEARD_INTERNAL_TOKEN": keyring.internal_token,
            # Rasa's tracker store seals every event with Heard's key (bot/tracker_store.py).
            "HEARD_FERNET_KEYS": ",".join(keyring.fernet_keys),
            "SANIC_HOST": "127.0.0.1",
            "HEARD_ACTIONS_URL": f"http://127.0.0.1:{actions_port}/webhook",
            "RASA_PORT": str(rasa_port),
            "HEARD_NARRATIVE_PAUSE_SECONDS": "0",
        }
        actions = subprocess.Popen(
            [sys.executable, "-m", "bot.action_server", "--actions", "bot.actions", "--port", str(actions_port)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        rasa = subprocess.Popen(
            [str(ROOT / "scripts/rasa-run")], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        twilio = FakeTwilio().start()
        try:
            _wait_for(f"http://127.0.0.1:{actions_port}/health", 60, actions)
            _wait_for(f"http://127.0.0.1:{rasa_port}/", 240, rasa)
            app = create_app(
                {
                    "TESTING": True,
                    "HEARD_INSTANCE_DIR": instance,
                    "DATABASE": database,
                    "KEYRING": keyring,
                    "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
                    "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
                    "TWILIO_API_BASE_URL": twilio.url,
                    "PUBLIC_BASE_URL": PUBLIC_BASE_URL,
                    "RASA_URL": f"http://127.0.0.1:{rasa_port}",
                    "HEARD_INLINE_REPLY_SECONDS": "10",
                    "HEARD_SMS_RATE_PER_SECOND": "1000",
                }
            )
            client = app.test_client()
            outcomes = []
            for number, lang in enumerate(args.languages.split(",")):
                for persona in range(args.personas):
                    phone = f"+1209555{4000 + number * 10 + persona:04d}"

                    def send(body: str, phone: str = phone) -> list[str]:
                        return _bodies(post_signed(client, "/twilio/sms", sms_form(body, sender=phone)).data)

                    outcome = Resident(lang, persona, send).run()
                    outcomes.append(outcome)
                    if args.show and (args.transcripts or not outcome.ok):
                        print(f"--- {lang} persona {persona}: refusals {outcome.refusals}")
                        for sent, got in outcome.transcript:
                            print(f"> {sent}\n< " + "\n< ".join(got))
            _table(outcomes)
        finally:
            twilio.stop()
            for process in (rasa, actions):
                process.terminate()
                process.wait(timeout=30)
            server.shutdown()
            database.dispose()


if __name__ == "__main__":
    main()
