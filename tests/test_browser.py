"""The chat page, the wiki widget and the origin allowlist in headless Chromium.

A real server (uvicorn on 127.0.0.1, the fake embedder and a scripted chat model that
streams slowly enough to watch) and two "wiki" pages on other ports that include
widget.js: one whose origin is allowed, one whose origin is not. Screenshots go to
artifacts/browser/.
"""

from __future__ import annotations

import json
import os
import re
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
from tests.conftest import build_index, free_port, posting
from tests.fakes import HashingEmbedder, ScriptedChat

pytestmark = pytest.mark.browser

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


def watch_answer(scope, live: Live, timeout_s: float = 30) -> list[str]:  # type: ignore[no-untyped-def]
    """Every distinct text of the latest answer until it is complete."""
    seen: list[str] = []
    deadline = time.monotonic() + timeout_s
    bot = scope.locator("[data-testid='bot']").last
    while time.monotonic() < deadline:
        text = bot.inner_text() if bot.count() else ""
        if text and (not seen or seen[-1] != text):
            seen.append(text)
        if text.strip() == live.reply():
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
    seen = watch_answer(page, live)
    assert len(seen) >= 4 and all(live.reply().startswith(s.strip()) for s in seen), seen  # it grew word by word
    sources = page.locator(".sources details")
    expect(sources.nth(1)).to_be_visible()
    # Every passage the answer cites is among the sources shown.
    for n in re.findall(r"\[(\d+)\]", live.reply()):
        expect(sources.locator("summary").filter(has_text=re.compile(rf"^\[{n}\] "))).to_be_visible()
    assert re.match(r"\[\d+\] ", sources.first.locator("summary").inner_text())
    sources.first.locator("summary").click()
    expect(sources.first.locator(".text")).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "chat-desktop.png"), full_page=True)

    page.set_viewport_size({"width": 390, "height": 844})
    page.wait_for_timeout(300)
    assert no_sideways_scroll(page)
    page.screenshot(path=str(ARTIFACTS / "chat-phone.png"), full_page=True)
    page.close()


# A posting's own markup, quoted by the answer (and kept by the claim check: it is what the
# posting says).
HOSTILE = ("Apply now ![pixel](http://127.0.0.1:9/track.png) <img src=http://127.0.0.1:9/tag.png> "
           "[go](http://127.0.0.1:9/click) or visit www.tracker.example today")
HOSTILE_POSTING = posting(90, title="Data Engineer", company="Tracker Co",
                          description=f"Build Spark pipelines for ads.\n{HOSTILE}.")


@pytest.mark.parametrize("path", ["/", "/embed/"])
def test_corpus_markup_in_an_answer_loads_nothing_and_reads_as_text(browser, live: Live, path: str) -> None:  # type: ignore[no-untyped-def]
    """A posting's image or tag quoted in an answer made every viewer's browser fetch its URL."""
    live.chat.enqueue(f"{HOSTILE} [{{n:Tracker Co}}].")
    page = browser.new_page(viewport={"width": 1100, "height": 800})
    fetched: list[str] = []
    page.on("request", lambda request: fetched.append(request.url))
    page.goto(live.url + path)
    box = page.get_by_placeholder("Ask a question…" if path == "/" else "Ask about data and ML roles…")
    box.fill("What does the Tracker Co posting say?")
    box.press("Enter")
    bot = page.locator("[data-testid='bot']").last
    expect(bot).to_contain_text("www.tracker.example today [", timeout=30_000)
    page.wait_for_timeout(500)
    assert bot.inner_text().strip() == live.reply()  # every character shown, as text
    assert bot.locator("img, a, iframe").count() == 0
    assert not [url for url in fetched if ":9/" in url or "tracker.example" in url], fetched
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
    watch_answer(frame, live)
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
    watch_answer(page, live)
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
    assert conversation[-1]["content"][0]["text"] == live.reply() and "[" in live.reply()
    assert sources.count("<details>") >= 2 and re.search(r"<summary>\[\d+\] ", sources)
