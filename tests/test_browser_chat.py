"""The chat as a reader uses it, in headless Chromium: citation chips that open their own
answer's passage, Stop, typing while an answer streams, and a reload that keeps the
conversation."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser_support import (
    ARTIFACTS,
    QUESTION,
    REPLY,
    Live,
    assert_role_colours,
    cells_past_their_block,
    chart_colours,
    contrast,
    no_sideways_scroll,
    watch_answer,
)

pytestmark = pytest.mark.browser

FOLLOW_UP = "Do ML engineers need software engineering?"
SECOND = "It is an absolute must for an ML engineer to have a software engineering skillset [{n:=absolute}]."
# A checked first sentence, shown at once, then one long sentence still being written.
LONG = ("ML engineers must have a software engineering skillset [{n:=absolute}]. "
        + " ".join(["ML engineers deploy models"] * 60) + " [{n:=absolute}].")


def ask(page, question: str) -> None:  # type: ignore[no-untyped-def]
    """Ask, and wait for the new answer's message, so the answer watched is this one."""
    answers = page.locator("[data-testid='bot']")
    before = answers.count()
    box = page.get_by_placeholder("Ask a question…")
    box.fill(question)
    box.press("Enter")
    expect(answers).to_have_count(before + 1, timeout=15_000)


def test_chips_open_their_own_answers_passage_with_the_supporting_sentence_marked(browser, live: Live) -> None:  # type: ignore[no-untyped-def]
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(live.url + "/")
    # The empty chat offers examples; one click asks.
    example = page.get_by_text("Do ML engineers need to know statistics?").first
    expect(example).to_be_visible()
    live.chat.enqueue(REPLY)
    ask(page, QUESTION)
    watch_answer(page, live)
    first_reply = live.reply()
    live.chat.enqueue(SECOND)
    ask(page, FOLLOW_UP)
    watch_answer(page, live)

    # The first answer's chips still open the first answer's passages, not the second's.
    first = page.locator("[data-testid='bot']").first
    n = re.findall(r"\[(\d+)\]", first_reply)[0]
    chip = first.locator("a.chip").first
    assert chip.inner_text() == n and chip.get_attribute("title")
    chip.focus()
    page.keyboard.press("Enter")  # chips are links: the keyboard opens them too
    passage = first.locator(f"details.src#t1-s{n}")
    expect(passage).to_have_attribute("open", "")
    expect(passage.locator("mark").first).to_be_visible()
    marked = passage.locator("mark").first.inner_text()
    assert marked and marked.split()[0].lower() in passage.inner_text().lower()
    assert first.locator(f"#t3-s{n}").count() == 0  # the second answer's passages live in the second answer
    # No internal ids or role codes in what a reader sees.
    visible = page.locator("main").inner_text()
    assert not re.search(r"\b(ml_engineer|data_scientist|packaged:|article#|sample-\d+)\b", visible), visible[:500]
    page.screenshot(path=str(ARTIFACTS / "chat-chips-desktop.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.wait_for_timeout(300)
    assert no_sideways_scroll(page)
    page.screenshot(path=str(ARTIFACTS / "chat-chips-phone.png"), full_page=True)

    # A reload keeps the conversation, chips and all; New conversation clears it.
    expect(page.get_by_role("button", name="Stop")).to_be_hidden()  # hidden once the answer is saved
    page.reload()
    expect(page.locator("[data-testid='bot']")).to_have_count(2, timeout=15_000)
    expect(page.locator("[data-testid='bot']").first.locator("a.chip").first).to_be_visible()
    page.get_by_role("button", name="New conversation").click()
    expect(page.locator("[data-testid='bot']")).to_have_count(0)
    page.reload()
    expect(page.get_by_text("Do ML engineers need to know statistics?").first).to_be_visible()
    assert page.locator("[data-testid='bot']").count() == 0
    # The conversation it put away is among the past ones, and opens again.
    past = page.get_by_label(re.compile(r"Past conversations \(1\)"))
    expect(past).to_be_visible()
    past.click()
    page.get_by_role("option", name=re.compile(re.escape(QUESTION[:40]))).click()
    expect(page.locator("[data-testid='bot']")).to_have_count(2)
    page.close()


def test_stop_ends_an_answer_and_what_is_typed_meanwhile_is_kept(browser, live: Live) -> None:  # type: ignore[no-untyped-def]
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(live.url + "/")
    live.chat.enqueue(LONG)  # about 180 words at 0.12 s: 20 s if nobody stops it
    ask(page, "What do ML engineers do?")
    bot = page.locator("[data-testid='bot']").last
    expect(bot).to_contain_text("software engineering skillset", timeout=15_000)
    # A half-written answer offers nothing to copy or rate; the buttons come once it ends.
    buttons = page.locator(".message-buttons-left").last
    for name in ("Copy message", "Like", "Dislike"):
        expect(buttons.get_by_label(name, exact=True)).to_be_hidden()
    box = page.get_by_placeholder("Ask a question…")
    box.fill("a question typed while the answer streams")
    stop = page.get_by_role("button", name="Stop")
    expect(stop).to_be_visible()
    stop.click()
    page.wait_for_timeout(1500)
    stopped = bot.inner_text()
    page.wait_for_timeout(1500)
    assert bot.inner_text() == stopped and stopped.count("deploy") < 60  # no more words came
    assert "Stopped: this answer is unfinished" in stopped
    expect(stop).to_be_hidden()
    assert box.input_value() == "a question typed while the answer streams"
    # Stopped, it may be copied and rated: it says it is unfinished and unchecked.
    for name in ("Copy message", "Like", "Dislike"):
        expect(buttons.get_by_label(name, exact=True)).to_be_visible()
    # The model is free again: the next question is answered.
    live.chat.enqueue(SECOND)
    ask(page, FOLLOW_UP)
    expect(buttons.get_by_label("Like", exact=True)).to_be_hidden()  # the new answer's, while it is written
    watch_answer(page, live)
    for name in ("Copy message", "Like", "Dislike"):
        expect(buttons.get_by_label(name, exact=True)).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "chat-after-stop.png"), full_page=True)
    page.close()


def test_a_figures_answer_shows_its_table(browser, live: Live) -> None:  # type: ignore[no-untyped-def]
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(live.url + "/")
    live.chat.enqueue("The article says ML engineers need machine learning [{n:=machine}].")
    ask(page, "Which skills separate ML engineers from data scientists?")
    table = page.locator("[data-testid='bot']").last.locator("table.figures")
    expect(table).to_be_visible(timeout=30_000)
    headers = table.locator("th").all_inner_texts()
    assert headers[:3] == ["Skill", "ML engineer n=8", "Data scientist n=9"] or \
        (headers[0] == "Skill" and "ML engineer" in headers[1] and "Data scientist" in headers[2]), headers
    # With 8 and 9 sample postings, only machine learning separates the roles once every
    # skill tested is accounted for (false discovery rate 5%).
    assert table.locator("tbody tr").first.inner_text().startswith("Machine learning") and "pts for" in table.inner_text()
    page.screenshot(path=str(ARTIFACTS / "chat-figures.png"), full_page=True)
    # On a phone every column fits the message, its words not broken letter by letter, and
    # its secondary text (caption, sources line) and bars still stand out.
    page.set_viewport_size({"width": 390, "height": 844})
    page.wait_for_timeout(500)
    first_cell = table.locator("tbody tr").first.locator("td").first.bounding_box()
    assert first_cell is not None and first_cell["height"] < 30, first_cell  # "Machine learning" on one line
    assert no_sideways_scroll(page)
    assert cells_past_their_block(page, "table.figures caption, table.figures th, table.figures td") == []
    assert table.evaluate("(t) => t.scrollWidth <= t.clientWidth + 1")
    assert_figures_stand_out(page)
    table.scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "chat-figures-phone.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})
    # Its link opens the whole page on the Compare tab, with the same two roles compared.
    with page.context.expect_page() as opened:
        page.get_by_role("link", name="Compare ML engineer vs Data scientist in full").click()
    compare = opened.value
    expect(compare.get_by_text("Asked for more by ML engineer than data scientist postings")).to_be_visible(
        timeout=30_000)
    expect(compare.get_by_role("tab", name="Compare", selected=True)).to_be_visible()
    compare.screenshot(path=str(ARTIFACTS / "compare-from-link.png"), full_page=True)
    compare.close()
    page.close()


def assert_figures_stand_out(page) -> None:  # type: ignore[no-untyped-def]
    """The latest answer's table caption and sources line pass WCAG AA (4.5:1) and its bars
    the 3:1 asked of graphics, against the message they are drawn on."""
    bot = page.locator("[data-testid='bot']").last
    for part in ("table.figures caption", "details.msg-sources > summary"):
        ratio = contrast(bot.locator(part).first)
        assert ratio >= 4.5, (part, round(ratio, 2))
    ratio = contrast(bot.locator("table.figures .bar").first, "fill")
    assert ratio >= 3, ("bar", round(ratio, 2))


def test_figures_stand_out_in_dark_mode(browser, live: Live) -> None:  # type: ignore[no-untyped-def]
    page = browser.new_page(viewport={"width": 390, "height": 844}, color_scheme="dark")
    page.goto(live.url + "/")
    page.wait_for_function("document.body.classList.contains('dark')", timeout=10_000)  # it follows the reader's scheme
    live.chat.enqueue("The article says ML engineers need machine learning [{n:=machine}].")
    ask(page, "Which skills separate ML engineers from data scientists?")
    table = page.locator("[data-testid='bot']").last.locator("table.figures")
    expect(table).to_be_visible(timeout=30_000)
    assert_figures_stand_out(page)
    table.scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "chat-figures-phone-dark.png"), full_page=True)
    # The Compare chart: no white backdrop behind light labels, bars that stand out, text that reads.
    page.get_by_role("tab", name="Compare").click()
    chart = page.locator(".vega-embed").first
    expect(chart.locator("svg.marks")).to_be_visible(timeout=20_000)
    page.wait_for_timeout(800)
    colours = chart_colours(chart)
    assert colours["backdrop"] < 1.1 and colours["bar_colours"] >= 2 and colours["bars"] >= 3 \
        and colours["text"] >= 4.5, colours
    assert_role_colours(chart, ["ML engineer", "Data scientist"])
    page.screenshot(path=str(ARTIFACTS / "tab-compare-390-dark.png"), full_page=True)
    page.close()


INTERNAL = re.compile(r"\b(ml_engineer|data_scientist|data_engineer|mlops_ai_engineer|packaged:|article#\d|sample-\d+|"
                      r"p\d+#\d)\b")


@pytest.mark.parametrize("width", [1280, 390, 360])
def test_every_tab_reads_without_internal_ids(browser, live: Live, width: int) -> None:  # type: ignore[no-untyped-def]
    page = browser.new_page(viewport={"width": width, "height": 900})
    page.goto(live.url + "/")
    expect(page.get_by_text("Do ML engineers need to know statistics?").first).to_be_visible()
    page.get_by_text("About this corpus").click()
    expect(page.get_by_text("Job postings by role")).to_be_visible()
    assert no_sideways_scroll(page), "Chat"
    page.screenshot(path=str(ARTIFACTS / f"tab-chat-{width}.png"), full_page=True)
    shots = {"chat": None}
    for tab in ("Compare", "Check posting", "Admin"):
        page.get_by_role("tab", name=tab).click()
        if tab == "Compare":
            expect(page.get_by_text("Asked for more by ML engineer").first).to_be_visible(timeout=20_000)
        if tab == "Check posting":
            page.get_by_label("Job description").fill(
                "Machine Learning Engineer. Responsibilities: deploy PyTorch models with Docker and Kubernetes, "
                "build CI/CD for training pipelines, monitor drift. Requirements: Python, AWS, 3+ years of experience.")
            page.get_by_role("button", name="Check", exact=True).click()
            expect(page.get_by_text(re.compile("Reads most like"))).to_be_visible(timeout=20_000)
        shots[tab] = tab
        visible = page.locator("body").inner_text()
        assert not INTERNAL.search(visible), (tab, INTERNAL.search(visible).group(0))
        name = tab.lower().replace(" ", "-")
        if tab == "Compare":
            # Every column of both tables in view, none behind a sideways scroll.
            page.wait_for_timeout(500)
            assert cells_past_their_block(page, "table.header-table th, .compare-notes th, .compare-notes td") == []
        page.screenshot(path=str(ARTIFACTS / f"tab-{name}-{width}.png"), full_page=True)
        assert no_sideways_scroll(page), tab
    page.close()


def test_the_last_answer_can_be_asked_again(browser, live: Live) -> None:  # type: ignore[no-untyped-def]
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(live.url + "/")
    live.chat.enqueue(REPLY)
    ask(page, QUESTION)
    watch_answer(page, live)
    live.chat.enqueue(SECOND)
    page.get_by_role("button", name=re.compile("retry", re.I)).last.click()
    watch_answer(page, live)
    answers = page.locator("[data-testid='bot']")
    expect(answers).to_have_count(1)  # in place of the first answer, not after it
    assert page.locator("[data-testid='user']").count() == 1
    page.close()
