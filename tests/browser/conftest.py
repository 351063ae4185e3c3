"""Browser tests: Python Playwright driving Debian's Chromium, with axe-core from npm injected.

They skip, saying why, when Playwright, /usr/bin/chromium or tests/browser/node_modules/axe-core
is missing (`apt-get install chromium`, `npm ci --prefix tests/browser`; never `playwright install`).
Heard runs on a loopback port over a fresh database; the dialogue is a stand-in that answers
in the resident's language, and every request that would leave this machine is refused.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from werkzeug.serving import make_server

from app import create_app
from intake.db import Database
from webhooks.chat import RASA_EXTENSION
from webhooks.rasa_client import DialogueAnswer

CHROMIUM = Path("/usr/bin/chromium")
AXE = Path(__file__).resolve().parent / "node_modules" / "axe-core" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]

REPLIES = {
    "en": "Thank you. When did it happen?",
    "es": "Gracias. ¿Cuándo pasó?",
    "vi": "Cảm ơn quý vị. Chuyện xảy ra khi nào?",
}


class EchoDialogue:
    """Answers each message in the language the widget named, like the real dialogue would."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    def send(self, *, sender: str, text: str, metadata: dict[str, Any]) -> DialogueAnswer:
        self.calls.append({"sender": sender, "text": text, "metadata": metadata})
        language = metadata.get("language", "en")
        return DialogueAnswer(texts=(REPLIES.get(language, REPLIES["en"]), f"“{text}”"))


@dataclass
class LiveHeard:
    url: str
    database: Database
    dialogue: EchoDialogue


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def playwright_api() -> Iterator[Any]:
    sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed (requirements/dev.in)")
    if not CHROMIUM.exists():
        print("\nbrowser tests SKIPPED: /usr/bin/chromium is missing (apt-get install chromium)")
        pytest.skip("/usr/bin/chromium is missing: apt-get install chromium")
    with sync_api.sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="session")
def browser(playwright_api: Any) -> Iterator[Any]:
    launched = playwright_api.chromium.launch(executable_path=str(CHROMIUM))
    yield launched
    launched.close()


@pytest.fixture(scope="session")
def live_heard(tmp_path_factory: pytest.TempPathFactory, keyring: Any) -> Iterator[LiveHeard]:
    from intake.migrate import upgrade

    instance = tmp_path_factory.mktemp("browser-instance")
    url = f"sqlite:///{instance / 'heard.db'}"
    upgrade(url)
    database = Database(url)
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    app = create_app(
        {
            "HEARD_INSTANCE_DIR": str(instance),
            "DATABASE": database,
            "KEYRING": keyring,
            "HEARD_LEAVE_URL": f"{base}/healthz",
            # NOTE: limits are tested through the API; a browser suite opens many sessions from one address.
            "RATELIMIT_ENABLED": False,
        }
    )
    dialogue = EchoDialogue()
    app.extensions[RASA_EXTENSION] = dialogue
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield LiveHeard(url=base, database=database, dialogue=dialogue)
    server.shutdown()
    database.dispose()


def _stay_local(route: Any) -> None:
    if route.request.url.startswith(("http://127.0.0.1", "data:", "about:")):
        route.continue_()
    else:
        route.abort()


@pytest.fixture
def context_factory(browser: Any) -> Iterator[Any]:
    made: list[Any] = []

    def make(**options: Any) -> Any:
        context = browser.new_context(locale=options.pop("locale", "en-US"), **options)
        context.route("**/*", _stay_local)
        made.append(context)
        return context

    yield make
    for context in made:
        context.close()


@pytest.fixture
def page(context_factory: Any) -> Any:
    return context_factory().new_page()


@pytest.fixture
def axe_page(context_factory: Any) -> Any:
    """A page that may have axe-core injected: CSP forbids that script, so this context bypasses it."""
    if not AXE.exists():
        print("\naxe checks SKIPPED: tests/browser/node_modules/axe-core is missing (npm ci --prefix tests/browser)")
        pytest.skip("axe-core is missing: npm ci --prefix tests/browser")
    return context_factory(bypass_csp=True).new_page()


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """Run axe-core with the WCAG 2.2 AA tags; return its violations, each with the nodes it found."""
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("(tags) => axe.run(document, {runOnly: {type: 'tag', values: tags}})", AXE_TAGS)
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in result["violations"]
    ]


# The real dialogue (Rasa, the action server and a web app over a fresh database), for whole chats.
from tests.bot.conftest import bot_stack  # noqa: E402, F401
