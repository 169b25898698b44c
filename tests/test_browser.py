"""The chat page, the wiki widget and the origin allowlist in headless Chromium."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from assistant.settings import REPO_ROOT
from tests.browser_support import (
    ADMIN_TOKEN,
    ARTIFACTS,
    HOSTILE,
    QUESTION,
    REPLY,
    Live,
    assert_role_colours,
    cells_overflowing,
    cells_past_their_block,
    chart_colours,
    no_sideways_scroll,
    overlapping_labels,
    shown_answer,
    watch_answer,
)

pytestmark = pytest.mark.browser


def test_chat_page_streams_an_answer_and_its_sources(browser, live: Live) -> None:  # type: ignore[no-untyped-def]
    live.chat.enqueue(REPLY)
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(live.url + "/")
    page.get_by_placeholder("Ask a question…").fill(QUESTION)
    page.keyboard.press("Enter")
    seen = watch_answer(page, live)
    grown = [s for s in seen if not s.startswith(("Searching", "Writing", "Queued"))]
    # It came a checked sentence at a time (never half a sentence), then whole, with the corpus
    # figures after it.
    assert grown and all(live.reply().startswith(s.strip()) and s.strip().endswith("].") for s in grown[:-1]), seen
    # (On a busy machine the page may be read only once the answer is whole: the sentences it
    # showed before then are what the line above checks.)
    assert grown[-1].startswith(live.reply())
    # Each cited passage is one of this answer's sources, listed first and marked as cited.
    bot = page.locator("[data-testid='bot']").last
    cited = re.findall(r"\[(\d+)\]", live.reply())
    chips = [c.inner_text() for c in bot.locator("a.chip").all()]
    # The checks may add a sentence (the other side of a comparison, the sentence that answers),
    # and the corpus figures follow: a chip each, after the model's own, none twice.
    assert chips[: len(cited)] == cited and len(chips) > len(cited) and len(set(chips)) == len(chips), chips
    summaries = bot.locator("details.src.cited > summary")
    listed = [re.findall(r"\[(\d+)\]", s.text_content() or "") for s in summaries.all()]
    assert [n[0] for n in listed][: len(set(cited))] == list(dict.fromkeys(cited)), listed
    page.screenshot(path=str(ARTIFACTS / "chat-desktop.png"), full_page=True)

    page.set_viewport_size({"width": 390, "height": 844})
    page.wait_for_timeout(300)
    assert no_sideways_scroll(page)
    page.screenshot(path=str(ARTIFACTS / "chat-phone.png"), full_page=True)
    page.close()


# A posting's own markup, quoted by the answer (and kept by the claim check: it is what the
# posting says).


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
    expect(bot.locator(".answer")).to_contain_text("www.tracker.example today", timeout=30_000)
    page.wait_for_timeout(500)
    assert shown_answer(page).strip().startswith(live.reply())  # every character shown, as text
    assert bot.locator("img, iframe, a:not(.chip)").count() == 0
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
    frame.locator("a.chip").first.click()
    expect(frame.locator("details.src.cited mark").first).to_be_visible()
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
    # widget.js asks first and shows why instead of a frame (tests/test_browser_widget.py);
    # an <iframe> pasted into the page is still blocked by the server's frame-ancestors.
    page.evaluate("""(src) => { const f = document.createElement("iframe"); f.src = src;
                                document.body.appendChild(f); }""", live.url + "/embed/")
    page.wait_for_timeout(2000)
    # Chromium blocks the frame and shows its error page.
    assert any("violates the following Content Security Policy directive" in line
               and f"frame-ancestors 'self' {live.wiki}" in line for line in console), console
    assert [f.url for f in page.frames[1:]] == ["chrome-error://chromewebdata/"]
    page.screenshot(path=str(ARTIFACTS / "other-origin-refused.png"))
    refused = page.evaluate(_FETCH_SEARCH, live.url)
    assert refused == "refused:403", refused  # readable: the preflight passes, the call is refused
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
    # The form shows only after a valid token.
    page.get_by_label("Admin token").fill("wrong")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_text("a valid admin token is required")).to_be_visible()
    assert page.locator("input[type=file]").count() == 0 or not page.locator("input[type=file]").is_visible()
    page.get_by_label("Admin token").fill(ADMIN_TOKEN)
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("button", name="Upload and refresh")).to_be_visible()
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
    page.get_by_role("tab", name="Compare").click()
    page.get_by_role("button", name="Compare").click()
    expect(page.get_by_text("Asked for more by ML engineer than data scientist postings")).to_be_visible(timeout=20_000)
    expect(page.get_by_text("Python", exact=True).first).to_be_visible()  # a cell of the table
    expect(page.locator(".vega-embed, canvas, svg[class*='marks']").first).to_be_visible()
    page.wait_for_timeout(500)
    assert_role_colours(page.locator(".vega-embed").first, ["ML engineer", "Data scientist"])
    with page.expect_download() as download:
        page.get_by_role("button", name="Download CSV").click()
    csv_text = Path(download.value.path()).read_text(encoding="utf-8")
    assert csv_text.splitlines()[0].startswith("skill,") and "Python" in csv_text
    page.screenshot(path=str(ARTIFACTS / "compare-roles.png"), full_page=True)
    chart = page.locator(".vega-embed").first
    assert overlapping_labels(chart) == []
    colours = chart_colours(chart)  # light mode (tests/test_browser_chat.py has dark)
    assert colours["backdrop"] < 1.1 and colours["bars"] >= 3 and colours["text"] >= 4.5, colours
    # On a phone: no sideways scroll, the chart fits the column and none of its labels (drawn
    # as SVG text, so in the page to measure) overlaps another or sticks out.
    for width in (390, 360):
        page.set_viewport_size({"width": width, "height": 844})
        page.wait_for_timeout(800)
        assert no_sideways_scroll(page)
        box = chart.locator("svg.marks").bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width, box
        assert overlapping_labels(chart) == [], width
        page.screenshot(path=str(ARTIFACTS / f"compare-roles-{width}.png"), full_page=True)

    # Three roles: a bar each in its colour, a column each, all of it in view at 360 px.
    page.get_by_label("Roles").click()
    page.get_by_role("option", name="Data engineer").click()
    page.get_by_role("button", name="Compare").click()
    expect(page.locator(".compare-table th").filter(has_text="Data engineer")).to_be_visible(timeout=20_000)
    page.wait_for_timeout(800)
    assert_role_colours(chart, ["ML engineer", "Data scientist", "Data engineer"])
    headers = page.locator(".compare-table thead th").all_inner_texts()
    assert [h.split(" (n=")[0].replace("\n", " ") for h in headers] == ["Skill", "ML engineer", "Data scientist",
                                                                           "Data engineer"], headers
    assert no_sideways_scroll(page) and overlapping_labels(chart) == []
    assert cells_past_their_block(page, ".compare-table th, .compare-table td") == []
    assert cells_overflowing(page, ".compare-table th .wrap, .compare-table td .cell-wrap") == []
    page.screenshot(path=str(ARTIFACTS / "compare-three-roles-360.png"), full_page=True)
    page.close()


def test_an_example_posting_in_compare_opens_to_its_text(browser, live: Live) -> None:  # type: ignore[no-untyped-def]
    samples = [json.loads(line) for line in (REPO_ROOT / "corpus" / "samples" / "postings.jsonl").open(encoding="utf-8")]
    for width, scheme in ((1280, "light"), (390, "light"), (1280, "dark"), (390, "dark")):
        page = browser.new_page(viewport={"width": width, "height": 900}, color_scheme=scheme)
        page.goto(live.url + "/")
        page.get_by_role("tab", name="Compare").click()
        example = page.locator(".compare-notes a.to-passage").first
        expect(example).to_be_visible(timeout=20_000)
        name = example.inner_text()
        title, _, company = name.partition(" · ")
        record = next(r for r in samples if r["title"] == title and r["company"] == company)
        example.click()
        # The posting opens below the tables, in view, its text a reader can read.
        posting = page.locator(".compare-notes details.src[open]")
        expect(posting).to_have_count(1)
        expect(posting.locator("summary")).to_contain_text(name)
        body = record["description"].splitlines()[2][:80]
        expect(posting.locator(".text")).to_contain_text(body)
        expect(posting.locator(".text")).to_be_in_viewport()
        assert no_sideways_scroll(page)
        page.screenshot(path=str(ARTIFACTS / f"compare-example-{width}-{scheme}.png"), full_page=True)
        page.close()


def test_gradio_client_calls_the_chat_like_the_readme_shows(live: Live) -> None:
    from gradio_client import Client

    live.chat.enqueue(REPLY)
    client = Client(live.url + "/", verbose=False)
    try:
        conversation, sources = client.predict(QUESTION, [], "any", "any", api_name="/ask")
    finally:
        client.close()
    assert conversation[-1]["content"][0]["text"].startswith(live.reply()) and "[" in live.reply()
    assert sources.count('<details class="src">') >= 2 and re.search(r"<summary>\[\d+\] ", sources)
