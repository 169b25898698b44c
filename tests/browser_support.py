"""The browser tests' server and Chromium: a real server (uvicorn on 127.0.0.1, the fake
embedder and a scripted chat model that streams slowly enough to watch) and two "wiki"
pages on other ports that include widget.js, one whose origin is allowed and one whose
origin is not. Screenshots go to artifacts/browser/. Test modules import the fixtures."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from assistant.container import build_services
from assistant.settings import REPO_ROOT, Settings
from tests.conftest import build_index, free_port, posting
from tests.fakes import HashingEmbedder, ScriptedChat

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]
ARTIFACTS = REPO_ROOT / "artifacts" / "browser"
ADMIN_TOKEN = "browser-admin"
QUESTION = "What's the difference between an ML engineer and a data scientist?"
# Said as the article says it, so the claim check keeps it; the numbers are the article
# passages' in the prompt (`Live.reply` is the text as streamed).
REPLY = ("An ML engineer must have a software engineering skillset, an absolute must [{n:=absolute}], "
         "while a data scientist is often required to have a stronger mathematical background [{n:=low code}].")


HOSTILE = ("Apply now ![pixel](http://127.0.0.1:9/track.png) <img src=http://127.0.0.1:9/tag.png> "
           "[go](http://127.0.0.1:9/click) or visit www.tracker.example today")
HOSTILE_POSTING = posting(90, title="Data Engineer", company="Tracker Co",
                          description=f"Build Spark pipelines for ads.\n{HOSTILE}.")


class Live:
    def __init__(self, url: str, wiki: str, other: str, chat: ScriptedChat) -> None:
        self.url, self.wiki, self.other, self.chat = url, wiki, other, chat

    def reply(self) -> str:
        return self.chat.sent[-1] if self.chat.sent else "(no reply yet)"


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    import uvicorn

    from ui.api import make_app

    folder = tmp_path_factory.mktemp("browser")
    port, wiki_port, other_port = free_port(), free_port(), free_port()
    url, wiki = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{wiki_port}"
    settings = Settings(index_dir=folder / "index", data_dir=folder / "data", min_relevance=0.2,
                        allowed_origins=[wiki], admin_token=ADMIN_TOKEN)
    chat = ScriptedChat(delay_s=0.12)
    services = build_services(settings, embedder=HashingEmbedder(), chat=chat)
    build_index(services, [HOSTILE_POSTING], folder)
    server = uvicorn.Server(uvicorn.Config(make_app(services), host="127.0.0.1", port=port, log_level="warning",
                                           timeout_graceful_shutdown=2))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()

    # The same wiki page from two origins: the allowlisted one and another.
    pages = folder / "wiki"
    pages.mkdir()
    (pages / "index.html").write_text(
        "<!doctype html><html><head><meta charset='utf-8'><title>Team wiki</title></head><body>"
        "<h1>Team wiki: hiring</h1><p>Our notes on data roles.</p>"
        f"<script src='{url}/widget.js' data-title='Ask about roles'></script></body></html>",
        encoding="utf-8",
    )
    handler = partial(_QuietHandler, directory=str(pages))
    wikis = [ThreadingHTTPServer(("127.0.0.1", p), handler) for p in (wiki_port, other_port)]
    for httpd in wikis:
        threading.Thread(target=httpd.serve_forever, daemon=True).start()
    deadline = time.monotonic() + 60
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.1)
    assert server.started, "the server did not start"
    yield Live(url, wiki, f"http://127.0.0.1:{other_port}", chat)
    for httpd in wikis:
        httpd.shutdown()
        httpd.server_close()
    server.should_exit = True
    thread.join(30)


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def browser():  # type: ignore[no-untyped-def]
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} is missing: apt-get install chromium (bash scripts/install-chromium)"
        if os.environ.get("ASSISTANT_REQUIRE_BROWSER"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        yield chromium
        chromium.close()


def shown_answer(scope) -> str:  # type: ignore[no-untyped-def]
    """The latest answer as the page shows it, its chips read back as [n]; its sources left out."""
    return scope.locator("[data-testid='bot']").last.evaluate("""(bot) => {
        const answer = bot.querySelector(".answer");
        if (!answer) return bot.innerText;
        return [...answer.querySelectorAll(":scope > p")].map((p) => {
            const copy = p.cloneNode(true);
            copy.querySelectorAll("a.chip").forEach((chip) => chip.replaceWith("[" + chip.textContent + "]"));
            return copy.textContent.replace(/ +\\[/g, " [");
        }).join("\\n\\n");
    }""")


def watch_answer(scope, live: Live, timeout_s: float = 30) -> list[str]:  # type: ignore[no-untyped-def]
    """Every distinct text of the latest answer until it is complete (shown with its sources)."""
    seen: list[str] = []
    deadline = time.monotonic() + timeout_s
    bot = scope.locator("[data-testid='bot']").last
    while time.monotonic() < deadline:
        text = shown_answer(scope) if bot.count() else ""
        if text and (not seen or seen[-1] != text):
            seen.append(text)
        if text.strip().startswith(live.reply()) and bot.locator(".answer").count():
            return seen
        time.sleep(0.03)
    raise AssertionError(f"no complete answer within {timeout_s}s; saw {seen[-3:]}")


def no_sideways_scroll(page) -> bool:  # type: ignore[no-untyped-def]
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
