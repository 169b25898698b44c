"""The Gradio chat page mounted in the app, and the function behind it."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from markdown_it import MarkdownIt

from assistant.answer import Source
from assistant.container import Services
from tests.fakes import ScriptedChat
from ui.chat import SEARCHING, WRITING, inert, plain, respond
from ui.render import answer_text, sources_html
from ui.served import FairQueue, ServedIndex


def test_the_chat_page_is_served_at_the_root(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200 and "gradio" in page.text.lower()
    assert client.get("/api/health").json()["ready"] is True


def test_respond_streams_the_answer_then_shows_checked_sources(api_services: Services,
                                                               chat: ScriptedChat) -> None:
    chat.enqueue("ML engineers must have a software engineering skillset [{n:=absolute}].")
    served = ServedIndex(api_services)
    updates = [[dict(m) for m in shown] for shown in
               respond(served, FairQueue(), "What skills do ML engineers need?", [], "any", "any")]
    history = updates[-1]
    assert history[-2]["role"] == "user" and plain(history[-2]["content"]) == "What skills do ML engineers need?"
    assert history[-1]["role"] == "assistant"
    # Where the answer is, then the answer a checked sentence at a time, then the answer with its own sources.
    said = [u[-1]["content"] for u in updates]
    changes = [c for i, c in enumerate(said) if i == 0 or c != said[i - 1]]  # the model writing repeats the last
    assert changes[:3] == [SEARCHING, WRITING, chat.sent[-1]] and len(changes) == 4
    assert len(updates) > len(changes)  # an update while the sentence was written: where a Stop takes effect
    assert answer_text(history[-1]["content"]) == chat.sent[-1]
    cited = re.findall(r"\[(\d+)\]", chat.sent[-1])[0]
    content = history[-1]["content"]
    assert f'<a class="chip" href="#t1-s{cited}"' in content and f'<details class="src cited" id="t1-s{cited}">' in content
    assert "<mark>" in content and "\n\n" not in content  # one HTML block
    served.close()


def test_posting_text_is_shown_as_text() -> None:
    evil = Source(1, "p1#0", "<img src=x onerror=alert(1)>", "posting", "data_engineer", "Evil <b>Corp</b>",
                  "Title\n<script>alert('x')</script> Build pipelines.", 0.5)
    rendered = sources_html([evil])
    assert "<script>" not in rendered and "<img" not in rendered and "<b>" not in rendered
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; Build pipelines." in rendered
    assert "&lt;img src=x onerror=alert(1)&gt;" in rendered


def test_feedback_from_the_page_and_the_api_is_stored_and_exported(api_services: Services, client,
                                                                    chat: ScriptedChat) -> None:
    from ui.chat import record_feedback

    chat.enqueue("ML engineers must have a software engineering skillset [{n:=absolute}].")
    served = ServedIndex(api_services)
    by_turn: dict = {}
    history = list(respond(served, FairQueue(), "What skills do ML engineers need?", [], "any", "any", by_turn=by_turn))[-1]
    assert record_feedback(served, history, by_turn, 1, False, "too short") == "Thanks, your feedback was saved."
    assert record_feedback(served, history, by_turn, 0, True, "") == "Nothing to rate there."
    saved = client.post("/api/feedback", json={"rating": "up", "question": "q?", "answer": "a [1].",
                                               "sources": [{"n": 1}], "backend": "extractive"})
    assert saved.status_code == 200 and saved.json()["id"] == 2
    assert client.post("/api/feedback", json={"rating": "meh", "question": "q", "answer": "a"}).status_code == 422
    first, second = api_services.feedback.export()
    assert (first["rating"], first["comment"], first["question"]) == ("down", "too short",
                                                                       "What skills do ML engineers need?")
    assert first["answer"] == chat.sent[-1] and first["sources"]
    assert (second["rating"], second["backend"], second["sources"]) == ("up", "extractive", [{"n": 1}])
    assert api_services.feedback.path.parent == api_services.settings.data_dir
    served.close()


TRACKING = "Apply now ![pixel](http://127.0.0.1:9/track.png) <img src=x onerror=alert(1)> [go](javascript:alert(1))"


def test_corpus_markup_in_an_answer_is_shown_as_text_never_rendered(api_services: Services, chat: ScriptedChat) -> None:
    """A posting's image or HTML quoted in an answer made every viewer's browser fetch its URL."""
    markdown = MarkdownIt("commonmark")
    chat.enqueue(f"It is an absolute must for an ML engineer to have a software engineering skillset [{{n:Software}}]. "
                 f"{TRACKING} [{{n:Software}}].")
    served = ServedIndex(api_services)
    for shown in respond(served, FairQueue(), "What skills do ML engineers need? <img src=y>", [], "any", "any"):
        for message in shown:
            html_out = markdown.render(message["content"])
            # The only links are the chips to the answer's own sources.
            assert "<img" not in html_out and not re.search(r'<a (?!class="chip" href="#t\d+-s\d+")', html_out), html_out
    assert "software engineering" in answer_text(shown[-1]["content"])
    served.close()


@pytest.mark.parametrize("text", [TRACKING, "a\\b \\[1] $x$ 1. *x* `code` # h", "", "plain words",
                                  "[1]: http://127.0.0.1:9/x.png and ![a][1] [b][] <http://x.example>",
                                  "see www.tracker.example or HTTPS://tracker.example/p?q=1 \\"])
def test_inert_text_round_trips_and_renders_no_link_image_or_tag(text: str) -> None:
    shown = inert(text)
    assert plain(shown) == text
    rendered = MarkdownIt("commonmark").render(shown)
    assert "<img" not in rendered and "<a " not in rendered and "<code" not in rendered, rendered
    # GFM (Gradio's renderer) also links bare URLs: their scheme or "www." is broken up.
    assert not re.search(r"(?i)(https?|ftp):|www\.", shown.replace("\\:", "").replace("\\.", ""))


def test_ordinary_answers_are_shown_exactly_as_written() -> None:
    """Escaping everything put "\\[1\\]" and "\\." in every answer a script read from /ask."""
    prose = "ML engineers deploy models [1], while data scientists test hypotheses (e.g. A/B tests) [2]. 1. *Python*"
    assert inert(prose) == prose


def _call_ask(client: TestClient, data: list) -> str:
    event = client.post("/gradio_api/call/ask", json={"data": data}).json()["event_id"]
    return client.get(f"/gradio_api/call/ask/{event}").text


@pytest.mark.parametrize(("data", "says"), [
    (["x" * 900_000, [], "any", "any"], "a question has at most 4,000 characters"),
    (["hi", [{"role": "user", "content": [{"type": "text", "text": "q"}]}] * 41, "any", "any"],
     "a conversation at most 40 turns"),
    (["hi", "notalist", "any", "any"], "the conversation history is not valid: history: Input should be a valid list"),
    (["hi", [{"role": "user", "content": 5}], "any", "any"], "the conversation history is not valid: 0.content"),
])
def test_the_ask_endpoint_has_the_api_limits_and_plain_errors(client: TestClient, data: list, says: str) -> None:
    reply = _call_ask(client, data)
    assert "event: error" in reply and says in reply
    assert "pydantic" not in reply and "validation error for" not in reply


def test_about_this_corpus_counts_postings_as_the_figures_do(api_services: Services) -> None:
    from ui.chat import about_markdown

    served = ServedIndex(api_services)
    corpus = served.corpus()
    about = about_markdown(served)
    for role, label in (("data_scientist", "Data scientist"), ("ml_engineer", "ML engineer")):
        assert f"{label} {corpus.figures(role).n}" in about
    assert "data_scientist" not in about and "packaged:" not in about and "job postings " in about.lower()
    served.close()


def test_a_figures_answer_is_shown_with_its_table(api_services: Services, chat: ScriptedChat) -> None:
    chat.enqueue("The article says ML engineers need machine learning [{n:=machine}].")
    served = ServedIndex(api_services)
    final = list(respond(served, FairQueue(), "Which skills separate ML engineers from data scientists?", []))[-1]
    content = final[-1]["content"]
    assert content.startswith('<div class="answer">') and '<table class="figures">' in content
    assert "ML engineer postings (n=8) ask more often for" in answer_text(content) and "<table" not in answer_text(content)
    served.close()


def test_past_conversations_keep_the_newest_first_once_each() -> None:
    from ui.chat import MAX_PAST, archived, past_titles

    one = [{"role": "user", "content": "What does an ML engineer do?"}, {"role": "assistant", "content": "a"}]
    two = [{"role": "user", "content": "Do ML engineers need statistics? " + "x " * 40},
           {"role": "assistant", "content": "b"}, {"role": "user", "content": "and cloud?"},
           {"role": "assistant", "content": "c"}]
    past = archived(archived([], one), two)
    assert past == [two, one] and archived(past, []) == past and archived(past, one) == [one, two]
    assert past_titles(past) == [("Do ML engineers need statistics? x x x x x x x x x x x x… (2 questions)", 0),
                                 ("What does an ML engineer do? (1 question)", 1)]
    many = []
    for i in range(MAX_PAST + 3):
        many = archived(many, [{"role": "user", "content": f"q{i}"}])
    assert len(many) == MAX_PAST and many[0][0]["content"] == f"q{MAX_PAST + 2}"
