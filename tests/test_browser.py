"""The chat page, the wiki widget and the origin allowlist in headless Chromium.

A real server (uvicorn on 127.0.0.1, the fake embedder and a scripted chat model that
streams slowly enough to watch) and two "wiki" pages on other ports that include
widget.js: one whose origin is allowed, one whose origin is not. Screenshots go to
artifacts/browser/.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from playwright.sync_api import expect

from assistant.container import build_services
from assistant.settings import REPO_ROOT, Settings
from tests.conftest import build_index, free_port
from tests.fakes import HashingEmbedder, ScriptedChat

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]
ARTIFACTS = REPO_ROOT / "artifacts" / "browser"
ADMIN_TOKEN = "browser-admin"
QUESTION = "What's the difference between an ML engineer and a data scientist?"
REPLY = ("ML engineers build, deploy and maintain models in production [1], "
         "while data scientists analyse data and test hypotheses [2].")


class Live:
    def __init__(self, url: str, wiki: str, other: str, chat: ScriptedChat) -> None:
        self.url, self.wiki, self.other, self.chat = url, wiki, other, chat


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
    build_index(services)
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


def watch_answer(scope, timeout_s: float = 30) -> list[str]:  # type: ignore[no-untyped-def]
    """Every distinct text of the latest answer until it is complete."""
    seen: list[str] = []
    deadline = time.monotonic() + timeout_s
    bot = scope.locator("[data-testid='bot']").last
    while time.monotonic() < deadline:
        text = bot.inner_text() if bot.count() else ""
        if text and (not seen or seen[-1] != text):
            seen.append(text)
        if text.strip() == REPLY:
            return seen
        time.sleep(0.03)
    raise AssertionError(f"no complete answer within {timeout_s}s; saw {seen[-3:]}")


def no_sideways_scroll(page) -> bool:  # type: ignore[no-untyped-def]
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_chat_page_streams_an_answer_and_its_sources(browser, live: Live) -> None:  # type: ignore[no-untyped-def]
    live.chat.enqueue(REPLY)
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(live.url + "/")
    page.get_by_placeholder("Ask a question…").fill(QUESTION)
    page.keyboard.press("Enter")
    seen = watch_answer(page)
    assert len(seen) >= 4 and all(REPLY.startswith(s.strip()) for s in seen), seen  # it grew word by word
    sources = page.locator(".sources details")
    expect(sources.nth(1)).to_be_visible()
    assert sources.first.locator("summary").inner_text().startswith("[1] ")
    sources.first.locator("summary").click()
    expect(sources.first.locator(".text")).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "chat-desktop.png"), full_page=True)

    page.set_viewport_size({"width": 390, "height": 844})
    page.wait_for_timeout(300)
    assert no_sideways_scroll(page)
    page.screenshot(path=str(ARTIFACTS / "chat-phone.png"), full_page=True)
    page.close()


def test_the_wiki_widget_opens_the_embedded_chat_and_answers(browser, live: Live) -> None:  # type: ignore[no-untyped-def]
    live.chat.enqueue(REPLY)
    page = browser.new_page(viewport={"width": 1100, "height": 800})
    page.goto(live.wiki + "/")
    button = page.locator("#role-assistant-button")
    assert button.inner_text() == "Ask about roles"
    button.click()
    frame = page.frame_locator("#role-assistant-panel iframe")
    frame.get_by_placeholder("Ask about data and ML roles…").fill(QUESTION)
    frame.get_by_placeholder("Ask about data and ML roles…").press("Enter")
    watch_answer(frame)
    frame.get_by_text("Sources").first.click()
    expect(frame.locator(".sources details").nth(1)).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "wiki-widget.png"))

    # The same origin's page may call the API too (CORS from the allowlist).
    found = page.evaluate(_FETCH_SEARCH, live.url)
    assert found.startswith("ok:"), found
    page.close()


def test_the_embedded_chat_fits_a_360px_column(browser, live: Live) -> None:  # type: ignore[no-untyped-def]
    live.chat.enqueue(REPLY)
    page = browser.new_page(viewport={"width": 360, "height": 640})
    page.goto(live.url + "/embed/")
    page.get_by_placeholder("Ask about data and ML roles…").fill(QUESTION)
    page.keyboard.press("Enter")
    watch_answer(page)
    assert no_sideways_scroll(page)
    page.screenshot(path=str(ARTIFACTS / "embed-360.png"), full_page=True)
    page.close()


def test_a_disallowed_origin_can_neither_frame_nor_call(browser, live: Live) -> None:  # type: ignore[no-untyped-def]
    page = browser.new_page(viewport={"width": 1100, "height": 800})
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))
    page.goto(live.other + "/")
    page.locator("#role-assistant-button").click()
    page.wait_for_timeout(2000)
    # Chromium blocks the frame on the server's frame-ancestors and shows its error page.
    assert any("violates the following Content Security Policy directive" in line
               and f"frame-ancestors 'self' {live.wiki}" in line for line in console), console
    assert [f.url for f in page.frames[1:]] == ["chrome-error://chromewebdata/"]
    page.screenshot(path=str(ARTIFACTS / "other-origin-refused.png"))
    refused = page.evaluate(_FETCH_SEARCH, live.url)
    assert refused.startswith("refused:"), refused
    page.close()


# Runs in the page: a cross-origin call to the search API, as a wiki script would make it.
_FETCH_SEARCH = """async (base) => {
  try {
    const response = await fetch(base + "/api/search", {method: "POST",
      headers: {"Content-Type": "application/json"}, body: JSON.stringify({query: "SQL", k: 1})});
    const body = await response.json();
    return response.ok ? "ok:" + body.results.length : "refused:" + response.status;
  } catch (error) {
    return "refused:" + error.message;
  }
}"""


def test_the_admin_tab_uploads_postings_and_shows_the_summary(browser, live: Live, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    feed = tmp_path / "new-postings.jsonl"
    feed.write_text(
        json.dumps({"id": "web-1", "title": "Vector Search Engineer", "company": "Okapi Maps",
                    "description": "Tune the Okapi vector search.\nRequirements:\n- Python"}) + "\n"
        + json.dumps({"id": "web-2", "title": "Data Analyst", "company": "Okapi Maps"}) + "\n",
        encoding="utf-8")
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(live.url + "/")
    page.get_by_role("tab", name="Admin").click()
    page.get_by_label("Admin token").fill(ADMIN_TOKEN)
    page.locator("input[type=file]").set_input_files(str(feed))
    page.get_by_role("button", name="Upload and refresh").click()
    refused = page.get_by_text("Not ingested; the index is unchanged.")
    expect(refused).to_be_visible(timeout=20_000)
    expect(page.get_by_text("new-postings.jsonl:2: missing description").first).to_be_visible()

    page.get_by_label("Skip invalid records").check()
    page.get_by_role("button", name="Upload and refresh").click()
    expect(page.get_by_text("Published a new index:")).to_be_visible(timeout=20_000)
    expect(page.get_by_text("added 1, updated 0")).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "admin-upload.png"), full_page=True)
    page.close()
    # The chat answers from the new index at once.
    import httpx

    hits = httpx.post(live.url + "/api/search", json={"query": "Okapi vector search", "k": 1}).json()["results"]
    assert hits[0]["doc_id"] == "web-1"


def test_compare_roles_shows_a_chart_a_table_and_a_csv(browser, live: Live) -> None:  # type: ignore[no-untyped-def]
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(live.url + "/")
    page.get_by_role("tab", name="Compare roles").click()
    page.get_by_role("button", name="Compare").click()
    expect(page.get_by_text("Asked for more by ML engineer than data scientist postings")).to_be_visible(timeout=20_000)
    expect(page.get_by_text("Python", exact=True).first).to_be_visible()  # a cell of the table
    expect(page.locator(".vega-embed, canvas, svg[class*='marks']").first).to_be_visible()
    with page.expect_download() as download:
        page.get_by_role("button", name="Download CSV").click()
    csv_text = Path(download.value.path()).read_text(encoding="utf-8")
    assert csv_text.splitlines()[0].startswith("skill,") and "Python" in csv_text
    page.screenshot(path=str(ARTIFACTS / "compare-roles.png"), full_page=True)
    page.close()


def test_gradio_client_calls_the_chat_like_the_readme_shows(live: Live) -> None:
    from gradio_client import Client

    live.chat.enqueue(REPLY)
    client = Client(live.url + "/", verbose=False)
    try:
        conversation, sources = client.predict(QUESTION, [], "any", "any", api_name="/ask")
    finally:
        client.close()
    assert conversation[-1]["content"][0]["text"] == REPLY
    assert sources.count("<details>") >= 2 and "[1] " in sources
