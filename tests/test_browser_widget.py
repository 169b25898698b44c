"""What widget.js shows on a wiki page, in headless Chromium: the chat for an allowed origin,
and for a refused one (or an unreachable server) a message saying what to change."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser_support import ARTIFACTS, Live

pytestmark = pytest.mark.browser

PANEL = "#role-assistant-panel"
QUESTION_BOX = "textarea"  # the embedded chat's question box, whatever its placeholder


def test_a_refused_wiki_sees_why_and_what_to_change(browser, live: Live) -> None:  # type: ignore[no-untyped-def]
    page = browser.new_page(viewport={"width": 1100, "height": 800})
    page.goto(live.other + "/")
    page.locator("#role-assistant-button").click()
    panel = page.locator(PANEL)
    expect(panel).to_contain_text(f"This page ({live.other}) is not allowed to embed the assistant.", timeout=20_000)
    expect(panel).to_contain_text(f"An administrator can add {live.other} to ASSISTANT_ALLOWED_ORIGINS")
    expect(panel).to_contain_text(live.url)  # which server to change
    assert panel.locator("iframe").count() == 0 and len(page.frames) == 1
    assert page.locator("#role-assistant-button").get_attribute("aria-expanded") == "true"
    page.screenshot(path=str(ARTIFACTS / "widget-refused.png"))
    page.close()


def test_an_allowed_wiki_still_opens_the_chat(browser, live: Live) -> None:  # type: ignore[no-untyped-def]
    page = browser.new_page(viewport={"width": 1100, "height": 800})
    page.goto(live.wiki + "/")
    page.locator("#role-assistant-button").click()
    expect(page.frame_locator(f"{PANEL} iframe").locator(QUESTION_BOX).first).to_be_visible(timeout=30_000)
    assert "not allowed" not in page.locator(PANEL).inner_text()
    page.close()


def test_an_unreachable_server_is_named(browser, live: Live) -> None:  # type: ignore[no-untyped-def]
    page = browser.new_page(viewport={"width": 1100, "height": 800})
    page.goto(live.wiki + "/")  # widget.js loaded; then the server stops answering
    page.route("**/embed-check", lambda route: route.abort())
    page.locator("#role-assistant-button").click()
    panel = page.locator(PANEL)
    expect(panel).to_contain_text(f"The assistant's server at {live.url} did not answer", timeout=20_000)
    assert panel.locator("iframe").count() == 0
    # Closed and opened again, it tries again: the server is back.
    page.unroute("**/embed-check")
    page.keyboard.press("Escape")
    page.locator("#role-assistant-button").click()
    expect(page.frame_locator(f"{PANEL} iframe").locator(QUESTION_BOX).first).to_be_visible(timeout=30_000)
    page.close()
