"""Drive N simulated residents through whole SMS conversations and print what the webhook layer costs.

    .venv/bin/python bench/sms_load.py --residents 20

Starts the real stack on loopback ports (Heard's web app over a temporary SQLite database
with its SMS webhook, the action server, Rasa with the trained model), and a local stand-in
for Twilio's REST API. Each resident texts a whole Spanish complaint, every message signed
as Twilio signs it. The same turns are then sent straight to Rasa's REST channel by as
many concurrent senders, in the same run, and both are printed side by side with their
ratio. Afterwards every stored message is checked: none lost, none answered twice.
Figures only; nothing here passes or fails.
"""

from __future__ import annotations

import argparse
import base64
import os
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select  # noqa: E402
from werkzeug.serving import make_server  # noqa: E402

from app import create_app  # noqa: E402
from bot.sealing import rasa_api_token  # noqa: E402
from intake.crypto import Keyring, new_secrets  # noqa: E402
from intake.db import Database  # noqa: E402
from intake.enums import Direction, MessageState  # noqa: E402
from intake.jobs import Worker  # noqa: E402
from intake.migrate import upgrade  # noqa: E402
from intake.models import Case, Message  # noqa: E402
from tests.bot.conftest import _free_port, _wait_for  # noqa: E402
from tests.twilio_fake import (  # noqa: E402
    ACCOUNT_SID,
    AUTH_TOKEN,
    PUBLIC_BASE_URL,
    FakeTwilio,
    sign,
    sms_form,
)
from webhooks.i18n import t  # noqa: E402
from webhooks.twilio.texts import HOLDING  # noqa: E402

HOLDING_ES = t("es", HOLDING)
SCRIPT = [
    "quiero poner una queja contra un policia",
    "el oficial me empujo contra el carro",
    "listo",
    "no se",
    "Main y Hunter",
    "placa 4471",
    "moreton en el brazo",
    "mi hermana",
    "si",
    "si",
]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def summary(name: str, latencies: list[float], seconds: float) -> str:
    return (
        f"{name:<28} {len(latencies):>5} turns  {len(latencies) / seconds:6.1f} turns/s  "
        f"p50 {percentile(latencies, 0.50):6.0f} ms  p95 {percentile(latencies, 0.95):6.0f} ms  "
        f"p99 {percentile(latencies, 0.99):6.0f} ms"
    )


def run_webhook(web_url: str, residents: int) -> tuple[list[float], float, int]:
    latencies: list[float] = []
    holding = 0
    lock = threading.Lock()

    def resident(index: int) -> None:
        nonlocal holding
        session = requests.Session()
        phone = f"+1209555{index:04d}"
        for line in SCRIPT:
            form = sms_form(line, sender=phone)
            started = time.perf_counter()
            response = session.post(
                f"{web_url}/twilio/sms",
                data=form,
                headers={"X-Twilio-Signature": sign(PUBLIC_BASE_URL + "/twilio/sms", form)},
                timeout=30,
            )
            elapsed = (time.perf_counter() - started) * 1000
            response.raise_for_status()
            with lock:
                latencies.append(elapsed)
                holding += HOLDING_ES in response.text

    threads = [threading.Thread(target=resident, args=(i,)) for i in range(residents)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies, time.perf_counter() - started, holding


def run_direct(rasa_url: str, residents: int, token: str) -> tuple[list[float], float]:
    latencies: list[float] = []
    lock = threading.Lock()

    def resident() -> None:
        session = requests.Session()
        sender = uuid.uuid4().hex
        for line in SCRIPT:
            started = time.perf_counter()
            response = session.post(
                f"{rasa_url}/webhooks/rest/webhook",
                json={"sender": sender, "message": line, "metadata": {"channel": "sms", "language": "es"}},
                headers={"Authorization": f"Bearer {token}"},  # Heard's REST channel answers only this
                timeout=30,
            )
            elapsed = (time.perf_counter() - started) * 1000
            response.raise_for_status()
            with lock:
                latencies.append(elapsed)

    threads = [threading.Thread(target=resident) for _ in range(residents)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies, time.perf_counter() - started


def _unanswered(database: Database) -> int:
    with database.session() as s:
        count = s.scalar(
            select(func.count())
            .select_from(Message)
            .where(Message.direction == Direction.INBOUND, Message.state != MessageState.PROCESSED)
        )
        s.rollback()
    return int(count or 0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--residents", type=int, default=20)
    args = parser.parse_args()
    secrets = new_secrets()
    keyring = Keyring(
        tuple(secrets["fernet_keys"]),  # type: ignore[arg-type]
        base64.b64decode(str(secrets["hmac_key"])),
        str(secrets["secret_key"]),
        str(secrets["internal_token"]),
    )
    fake = FakeTwilio().start()
    with tempfile.TemporaryDirectory() as instance:
        url = f"sqlite:///{instance}/heard.db"
        upgrade(url)
        database = Database(url)
        web_port, actions_port, rasa_port = _free_port(), _free_port(), _free_port()
        rasa_url = f"http://127.0.0.1:{rasa_port}"
        app = create_app(
            {
                "HEARD_INSTANCE_DIR": instance,
                "DATABASE": database,
                "KEYRING": keyring,
                "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
                "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
                "TWILIO_API_BASE_URL": fake.url,
                "PUBLIC_BASE_URL": PUBLIC_BASE_URL,
                "RASA_URL": rasa_url,
                "HEARD_SMS_RATE_PER_SECOND": "1000",
                "RATELIMIT_ENABLED": False,
            }
        )
        server = make_server("127.0.0.1", web_port, app, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        sms = app.extensions["heard.sms"]
        worker = Worker(database=database, handlers=sms.handlers(), chores=sms.chores())
        threading.Thread(target=worker.run_forever, daemon=True).start()  # the Procfile's worker process
        env = {
            **os.environ,
            "HEARD_INSTANCE_DIR": instance,
            "HEARD_INTERNAL_URL": f"http://127.0.0.1:{web_port}",
            "HEARD_INTERNAL_TOKEN": keyring.internal_token,
            # Rasa's tracker store and the action server seal with Heard's key (issue 17).
            "HEARD_FERNET_KEYS": ",".join(keyring.fernet_keys),
            "SANIC_HOST": "127.0.0.1",
            "HEARD_ACTIONS_URL": f"http://127.0.0.1:{actions_port}/webhook",
            "RASA_PORT": str(rasa_port),
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
        try:
            _wait_for(f"http://127.0.0.1:{actions_port}/health", 60, actions)
            _wait_for(f"{rasa_url}/", 240, rasa)
            run_direct(rasa_url, 2, rasa_api_token(env))  # warm up both paths
            direct_a, direct_a_s = run_direct(rasa_url, args.residents, rasa_api_token(env))
            webhook, webhook_s, holding = run_webhook(f"http://127.0.0.1:{web_port}", args.residents)
            direct_b, direct_b_s = run_direct(rasa_url, args.residents, rasa_api_token(env))
            waited = time.perf_counter()
            while time.perf_counter() - waited < 120 and _unanswered(database):
                time.sleep(1)  # the worker finishes turns that outlived their webhook
            direct = direct_a + direct_b
            print(f"{args.residents} concurrent residents, {len(SCRIPT)} messages each (Spanish complaint)")
            print(summary("Rasa REST channel (before)", direct_a, direct_a_s))
            print(summary("SMS webhook (signed)", webhook, webhook_s))
            print(summary("Rasa REST channel (after)", direct_b, direct_b_s))
            ratio50 = percentile(webhook, 0.5) / percentile(direct, 0.5)
            ratio95 = percentile(webhook, 0.95) / percentile(direct, 0.95)
            print(f"webhook / direct: p50 x{ratio50:.2f}, p95 x{ratio95:.2f}; holding replies: {holding}")
            with database.session() as s:
                inbound = s.scalar(
                    select(func.count()).select_from(Message).where(Message.direction == Direction.INBOUND)
                )
                unanswered = s.scalar(
                    select(func.count())
                    .select_from(Message)
                    .where(Message.direction == Direction.INBOUND, Message.state != MessageState.PROCESSED)
                )
                cases = s.scalar(select(func.count()).select_from(Case))
                per_channel = dict(s.execute(select(Case.channel, func.count()).group_by(Case.channel)).all())
                repeated = s.execute(
                    select(Case.conversation_id, func.count()).group_by(Case.conversation_id).having(func.count() > 1)
                ).all()
                answers = s.execute(
                    select(Message.reply_to_id, func.count())
                    .where(Message.direction == Direction.OUTBOUND)
                    .group_by(Message.reply_to_id)
                ).all()
            expected = args.residents * len(SCRIPT)
            print(
                f"SMS: messages sent {expected}, stored {inbound}, unanswered {unanswered}, answered {len(answers)}; "
                f"waited {time.perf_counter() - waited:.0f} s for the worker"
            )
            print(
                f"cases filed {cases} from {3 * args.residents} conversations (SMS and both direct runs): "
                f"{ {str(k): v for k, v in per_channel.items()} }; "
                f"conversations with more than one case: {len(repeated)}"
            )
            worker.stopping.set()
        finally:
            for process in (rasa, actions):
                process.terminate()
                process.wait(timeout=30)
            server.shutdown()
            database.dispose()
            fake.stop()


if __name__ == "__main__":
    main()
