"""Print the bot's start-up time, memory and per-turn latency (and how long training takes).

    .venv/bin/python bench/bot.py            # uses bot/models/current.tar.gz
    .venv/bin/python bench/bot.py --train    # also times a full `rasa train` into a temp dir

Starts the real processes on loopback ports (Heard's web app in-process over a temporary
SQLite database, the action server, Rasa) and drives whole Spanish conversations through
Rasa's REST channel. Figures only; nothing here passes or fails.
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
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from werkzeug.serving import make_server  # noqa: E402

from app import create_app  # noqa: E402
from bot.sealing import rasa_api_token  # noqa: E402
from intake.crypto import Keyring, new_secrets  # noqa: E402
from intake.db import Database  # noqa: E402
from intake.migrate import upgrade  # noqa: E402
from tests.bot.conftest import Conversation, _free_port, _wait_for  # noqa: E402

SCRIPT = [
    "hola",
    "quiero poner una queja contra un policia",
    "el oficial me empujo contra el carro",
    "listo",
    "15 de noviembre",
    "si",
    "Main y Hunter",
    "placa 4471",
    "moreton en el brazo",
    "mi hermana",
    "si",
    "si",
]


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def time_training() -> float:
    with tempfile.TemporaryDirectory() as out:
        start = time.perf_counter()
        subprocess.run(
            [
                str(ROOT / ".venv-rasa/bin/rasa"),
                "train",
                "--config",
                "bot/config.yml",
                "--domain",
                "bot/domain.yml",
                "--data",
                "bot/data",
                "nlu",
                "--out",
                out,
                "--quiet",
            ],
            cwd=ROOT,
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train", action="store_true")
    parser.add_argument("--conversations", type=int, default=5)
    args = parser.parse_args()
    if args.train:
        print(f"training (rasa train, full pipeline): {time_training():.1f} s")

    secrets = new_secrets()
    keyring = Keyring(
        tuple(secrets["fernet_keys"]),
        base64.b64decode(str(secrets["hmac_key"])),  # type: ignore[arg-type]
        str(secrets["secret_key"]),
        str(secrets["internal_token"]),
    )
    with tempfile.TemporaryDirectory() as instance:
        url = f"sqlite:///{instance}/heard.db"
        upgrade(url)
        database = Database(url)
        web_port, actions_port, rasa_port = _free_port(), _free_port(), _free_port()
        server = make_server(
            "127.0.0.1",
            web_port,
            create_app({"HEARD_INSTANCE_DIR": instance, "DATABASE": database, "KEYRING": keyring}),
            threaded=True,
        )
        threading.Thread(target=server.serve_forever, daemon=True).start()
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
        start = time.perf_counter()
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
            actions_ready = time.perf_counter() - start
            _wait_for(f"http://127.0.0.1:{rasa_port}/", 240, rasa)
            Conversation(f"http://127.0.0.1:{rasa_port}", {"channel": "web_chat"}, token=rasa_api_token(env)).say(
                "hola"
            )
            rasa_ready = time.perf_counter() - start
            turns = []
            for _ in range(args.conversations):
                talk = Conversation(f"http://127.0.0.1:{rasa_port}", {"channel": "web_chat"}, token=rasa_api_token(env))
                for line in SCRIPT:
                    t0 = time.perf_counter()
                    talk.say(line)
                    turns.append((time.perf_counter() - t0) * 1000)
            turns.sort()
            print(f"action server ready:  {actions_ready:.1f} s after start")
            print(f"rasa ready (model loaded, first answer): {rasa_ready:.1f} s after start")
            print(f"memory (RSS): rasa {rss_mib(rasa.pid):.0f} MiB, actions {rss_mib(actions.pid):.0f} MiB")
            print(
                f"per-turn latency over {len(turns)} turns: median {statistics.median(turns):.0f} ms, "
                f"p95 {turns[int(len(turns) * 0.95) - 1]:.0f} ms, max {turns[-1]:.0f} ms"
            )
        finally:
            for process in (rasa, actions):
                process.terminate()
                process.wait(timeout=30)
            server.shutdown()
            database.dispose()


if __name__ == "__main__":
    main()
