"""The Gradio chat page: streamed answers whose [n] open their own sources, progress,
Stop, examples, feedback, and the conversation kept across reloads."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import asdict
from html import escape
from typing import Any

import gradio as gr
from gradio.components.chatbot import ChatbotDataMessages
from pydantic import ValidationError

from assistant.answer import Answer
from assistant.errors import AssistantError
from assistant.feedback import Feedback
from assistant.roles import ROLE_FAMILIES
from ui.messages import MAX_HISTORY_TURNS, MAX_MESSAGE_CHARS, message_text
from ui.render import (
    CHIP_SCRIPT,
    CSS,
    KIND_LABELS,
    answer_html,
    answer_text,
    figures_table_html,
    model_label,
    role_label,
    sources_html,
)
from ui.served import FairQueue, ServedIndex, queue_for, waiting

EXAMPLES = [
    "What's the difference between an ML engineer and a data scientist?",
    "Do ML engineers need to know statistics?",
    "Which cloud platforms should an ML engineer know?",
    "What does a data engineer do that a data analyst doesn't?",
]
ANY = "any"


# Only the markup that can load a URL or become HTML is escaped, so ordinary prose, its
# "[1]" citations and its full stops reach the page and the /ask API unchanged: a raw
# tag or autolink (<), a link, image or reference definition ("](", "][", "]:"), a bare
# URL or www. name (GFM linkifies them), a code span (where escapes would show), and a
# backslash that would otherwise escape what follows it.
_MARKUP = re.compile(r"""
    [<`]                                  # raw HTML, <autolink>, code span
  | \\(?=[!-/:-@\[-`{-~])                 # a backslash that would escape the next character
  | \](?=[(\[:])                          # link, image, reference link or definition
  | (?<=https)(?=:) | (?<=http)(?=:) | (?<=ftp)(?=:) | (?<=www)(?=\.)   # bare URLs
""", re.IGNORECASE | re.VERBOSE)
_ESCAPED = re.compile(r"\\([!-/:-@\[-`{-~])")


def inert(text: str) -> str:
    """Chat text shown as text: answers quote postings, and a posting's `![](url)` or
    `<img src>` must not make every viewer's browser load a URL."""
    return _MARKUP.sub(lambda m: "\\" + m.group(0) if m.group(0) else "\\", text)


def plain(text: str) -> str:
    """The text `inert` was given, from what the chat shows."""
    return _ESCAPED.sub(r"\1", text)


class _History(ChatbotDataMessages):
    """The chat history as Gradio validates it, refusing a malformed one (from a script
    calling /ask) with a plain sentence instead of pydantic's report."""

    @classmethod
    def model_validate(cls, obj: Any, **kwargs: Any) -> Any:
        try:
            return super().model_validate(obj, **kwargs)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(part) for part in first["loc"]) or "history"
            raise gr.Error(f"the conversation history is not valid: {where}: {first['msg']} (expected a list of "
                           "{'role': 'user' or 'assistant', 'content': text} messages)") from None


def plain_errors(chatbot: gr.Chatbot) -> gr.Chatbot:
    chatbot.data_model = _History
    return chatbot


def about_markdown(served: ServedIndex) -> str:
    """What the index holds, counted the way the figures count it (postings by the role
    their title names)."""
    try:
        manifest = served.services.pointer.manifest()
    except AssistantError as exc:
        return str(exc)
    kinds = ", ".join(f"{KIND_LABELS.get(k, k).lower()}s {v}" for k, v in sorted(manifest["kind"].items()))
    corpus = served.corpus()
    counts = sorted(((corpus.figures(r).n, r) for r in corpus.roles_present), reverse=True)
    roles = ", ".join(f"{role_label(r)} {n}" for n, r in counts if r != "other")
    other = corpus.figures("other").n if "other" in corpus.roles_present else 0
    return (f"**Documents:** {manifest['documents']} ({kinds}); **passages:** {manifest['chunks']}  \n"
            f"**Job postings by role**, as the figures count them (the role their title names): {roles}"
            + (f"; {other} name none of these roles" if other else "")
            + (f" ({len(corpus.folded)} near-duplicate postings, the same job posted again, counted once)"
               if corpus.folded else "") + "  \n"
            f"**Embedding model:** {model_label(manifest['embedding_model'])}  \n"
            f"**Answers:** {served.services.settings.backend} backend  \n**Last refresh:** {manifest['last_refresh']}")


def history_turns(history: list[dict[str, Any]]) -> list[dict[str, str]]:
    """The conversation as the assistant reads it: plain text, answers without their sources."""
    return [{"role": m["role"], "content": answer_text(plain(message_text(m["content"])))[:MAX_MESSAGE_CHARS]}
            for m in history if m.get("role") in ("user", "assistant")]


def respond(served: ServedIndex, queue: FairQueue, message: str, history: list[dict[str, Any]],
            role: str = ANY, kind: str = ANY, *, by_turn: dict[int, list[dict]] | None = None,
            ) -> Iterator[list[dict[str, Any]]]:
    """Stream one answer into the chat: the question, where the answer is (searching,
    queued, writing), the growing answer, then the checked answer with its own sources
    (also kept in `by_turn`, for feedback)."""
    for shown, answer in answering(served, queue, message, history, role, kind):
        if answer is not None and by_turn is not None:
            by_turn[len(shown) - 1] = [asdict(s) for s in answer.sources]
        yield shown


def api_ask(served: ServedIndex, queue: FairQueue, message: str, history: list[dict[str, Any]],
            role: str = ANY, kind: str = ANY) -> Iterator[tuple[list[dict[str, Any]], str]]:
    """The /ask endpoint: the conversation with the answer as plain text, and its sources."""
    for shown, answer in answering(served, queue, message, history, role, kind):
        if answer is not None:
            shown = [*shown[:-1], {"role": "assistant", "content": answer.answer}]
        yield shown, sources_html(answer.sources if answer is not None else [])


def answering(served: ServedIndex, queue: FairQueue, message: str, history: list[dict[str, Any]],
              role: str, kind: str) -> Iterator[tuple[list[dict[str, Any]], Answer | None]]:
    message = (message or "").strip()
    if not message:
        yield history, None
        return
    if len(message) > MAX_MESSAGE_CHARS or len(history) > MAX_HISTORY_TURNS:
        raise gr.Error(f"a question has at most {MAX_MESSAGE_CHARS:,} characters and a conversation at most "
                       f"{MAX_HISTORY_TURNS} turns: start a new conversation")
    turns = history_turns(history)
    shown = [*history, {"role": "user", "content": inert(message)}, {"role": "assistant", "content": SEARCHING}]
    filters = {"role_family": "" if role == ANY else role, "kind": "" if kind == ANY else kind}
    yield shown, None
    try:
        assistant = served.assistant()
        line = queue_for(assistant, queue)
        ticket = line.ticket()
        try:
            for ahead in waiting(line, ticket):
                shown[-1] = {"role": "assistant", "content": f"*Queued: {ahead} question{'s' * (ahead != 1)} ahead…*"}
                yield shown, None
            streamed = ""
            for event in assistant.stream(message, turns, filters=filters):
                if event.kind == "sources":
                    shown[-1] = {"role": "assistant", "content": WRITING}
                    yield shown, None
                elif event.kind == "token":
                    streamed += event.text
                    shown[-1] = {"role": "assistant", "content": inert(streamed)}
                    yield shown, None
                elif event.kind == "writing":
                    yield shown, None  # unchanged; a Stop takes effect here
                elif event.answer is not None:
                    shown[-1] = {"role": "assistant", "content": finished_html(served, event.answer, len(shown) - 1)}
                    yield shown, event.answer
        finally:
            line.done(ticket)
    except AssistantError as exc:
        raise gr.Error(str(exc)) from None


SEARCHING = "*Searching the article and the postings…*"
WRITING = "*Writing…*"
STOPPED = "*Stopped: this answer is unfinished and was not checked against its sources.*"


def finished_html(served: ServedIndex, answer: Answer, turn: int) -> str:
    asked = answer.figures
    table = (figures_table_html(served.corpus(), asked.roles, asked.skills, compare_href=f"/?compare={','.join(asked.roles)}")
             if asked and not answer.declined else "")
    html = answer_html(answer.answer, answer.sources, answer.supports, turn, table)
    if answer.query and answer.query.strip() != answer.question.strip():
        # A follow-up was searched with words from the conversation: say which.
        html = html.replace('<div class="answer">', f'<div class="answer"><p class="searched">Searched: '
                            f'{escape(answer.query)}</p>', 1)
    return html


def record_feedback(served: ServedIndex, history: list[dict[str, Any]], by_turn: dict[int, list[dict]],
                    index: Any, liked: bool, comment: str) -> str:
    """Store a thumbs up/down on the answer at `index` with the question before it."""
    position = index[0] if isinstance(index, (list, tuple)) else int(index)
    if not 0 <= position < len(history) or history[position].get("role") != "assistant":
        return "Nothing to rate there."
    question = next((plain(message_text(m["content"])) for m in reversed(history[:position]) if m.get("role") == "user"), "")
    content = message_text(history[position]["content"])
    served.services.feedback.add(Feedback(
        rating="up" if liked else "down", question=question, answer=answer_text(plain(content)),
        sources=by_turn.get(position, []), backend=served.services.settings.backend, comment=comment or "",
    ))
    return "Thanks, your feedback was saved."


def make_chat_ui(served: ServedIndex, queue: FairQueue) -> gr.Blocks:
    from ui.admin import admin_tab
    from ui.analytics_tabs import check_tab, compare_tab, opened_on

    # Uploaded files (the Admin tab's) are staged by Gradio; an hour is plenty to ingest one.
    with gr.Blocks(title="Role assistant", delete_cache=(3600, 3600)) as blocks:
        gr.Markdown("## Role assistant\nAsk about data and ML roles. Answers cite the article *Data scientist vs. "
                    "ML engineer* and the job postings they use: click a number to see the passage.")
        with gr.Tabs() as tabs:
            with gr.Tab("Chat", id="chat"):
                chat_tab(served, queue, blocks)
            compare = compare_tab(served)
            check_tab(served)
            admin_tab(served)

        def open_compare(request: gr.Request) -> tuple[Any, ...]:
            opened = opened_on(served, request.query_params.get("compare", "")) if request else None
            if opened is None:
                return (gr.Tabs(), *(gr.skip() for _ in range(1 + len(compare.outputs))))
            return (gr.Tabs(selected="compare"), *opened)

        blocks.load(open_compare, outputs=[tabs, compare.roles, *compare.outputs], api_visibility="private")
    return blocks


MAX_PAST = 10


def archived(past: list[list[dict[str, Any]]], history: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """The past conversations with `history` first (an empty one is not kept, the same one
    not twice), at most MAX_PAST."""
    if not history:
        return past
    return [history, *(p for p in past if p != history)][:MAX_PAST]


def past_titles(past: list[list[dict[str, Any]]]) -> list[tuple[str, int]]:
    """Each past conversation by its first question, and how many questions it has."""
    titles = []
    for i, conversation in enumerate(past):
        questions = [plain(message_text(m["content"])) for m in conversation if m.get("role") == "user"]
        first = questions[0] if questions else "(no question)"
        first = first if len(first) <= 60 else first[:57].rsplit(" ", 1)[0] + "…"
        titles.append((f"{first} ({len(questions)} question{'s' * (len(questions) != 1)})", i))
    return titles


def chat_panel(served: ServedIndex, queue: FairQueue, blocks: gr.Blocks, *, height: int | str, storage_key: str,
               filters: bool, placeholder: str = "Ask a question…") -> tuple[gr.Chatbot, gr.Textbox]:
    """The conversation, its input, Stop and New conversation, examples in the empty chat,
    feedback, and the conversation kept in the browser across reloads."""
    chatbot = plain_errors(gr.Chatbot(
        label="Conversation", show_label=False, height=height, min_height=240, sanitize_html=True,
        render_markdown=True, examples=[{"text": e} for e in EXAMPLES], feedback_options=("Like", "Dislike"),
        placeholder="**Ask about data and ML roles.** Answers come from the article and the job postings, "
                    "with their sources.",
    ))
    with gr.Row(equal_height=True):
        question = gr.Textbox(placeholder=placeholder, show_label=False, submit_btn=True, scale=5,
                              max_length=MAX_MESSAGE_CHARS)
        stop = gr.Button("Stop", variant="stop", visible=False, scale=0, min_width=80, size="md")
    with gr.Row(equal_height=False):
        new = gr.Button("New conversation", variant="secondary", size="sm", scale=1)
        earlier = gr.Dropdown([], value=None, label="Past conversations", scale=2,
                              info=None, interactive=True, allow_custom_value=False)
    if filters:
        with gr.Accordion("Search filters", open=False), gr.Row():
            role = gr.Dropdown([("Any role", ANY), *((role_label(r), r) for r in ROLE_FAMILIES)], value=ANY,
                               label="Role", min_width=120)
            kind = gr.Dropdown([("Any evidence", ANY), ("Article", "article"), ("Job postings", "posting"),
                                ("Role definitions", "role")], value=ANY, label="Evidence", min_width=120)
    with gr.Accordion("Rate an answer", open=False):
        comment = gr.Textbox(placeholder="Optional comment, then use an answer's thumbs up or down", show_label=False,
                             lines=2)
        thanks = gr.Markdown()
    pending = gr.State("")
    by_turn = gr.State({})
    saved = gr.BrowserState([], storage_key=storage_key)
    past = gr.BrowserState([], storage_key=f"{storage_key}-past")

    def choices(conversations: list) -> Any:
        return gr.update(choices=past_titles(conversations), value=None,
                         label=f"Past conversations ({len(conversations)})")

    def start_new(history: list, conversations: list) -> tuple[Any, ...]:
        kept = archived(conversations, history)
        return [], [], "", {}, kept, choices(kept)

    def reopen(picked: int | None, history: list, conversations: list) -> tuple[Any, ...]:
        if picked is None or not 0 <= picked < len(conversations):
            return gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.skip()
        chosen_one = conversations[picked]
        kept = archived([c for c in conversations if c != chosen_one], history)
        return chosen_one, chosen_one, {}, kept, choices(kept)

    def answer_turn(message: str, history: list, turns: dict, *chosen: str):
        yield from respond(served, queue, message, history, *chosen, by_turn=turns)

    def like(h: list, turns: dict, text: str, data: gr.LikeData) -> tuple[str, str]:
        return record_feedback(served, h, turns, data.index, bool(data.liked), text), ""

    chosen = [role, kind] if filters else []
    inputs = [pending, chatbot, by_turn, *chosen]
    # The question leaves the box at once: what is typed while an answer streams stays.
    submitted = question.submit(lambda m: ("", m, gr.update(visible=True)), question, [question, pending, stop],
                                api_visibility="private", queue=False
                                ).then(answer_turn, inputs=inputs, outputs=chatbot, api_visibility="private")
    def pick(example: gr.SelectData) -> tuple[str, str, Any]:
        return "", example.value["text"], gr.update(visible=True)

    picked = chatbot.example_select(pick, None, [question, pending, stop], api_visibility="private", queue=False)
    from_example = picked.then(answer_turn, inputs=inputs, outputs=chatbot, api_visibility="private")

    def again(history: list, turns: dict, *chosen: str, retry: gr.RetryData) -> Iterator[list]:
        """The question of the answer being retried, answered again in its place."""
        at = retry.index[0] if isinstance(retry.index, (list, tuple)) else int(retry.index)
        yield from respond(served, queue, plain(message_text(history[at]["content"])), history[:at], *chosen,
                           by_turn=turns)

    retried = chatbot.retry(again, inputs=[chatbot, by_turn, *chosen], outputs=chatbot, api_visibility="private")
    chatbot.retry(lambda: gr.update(visible=True), None, stop, api_visibility="private", queue=False)
    for event in (submitted, from_example, retried):
        event.then(lambda h: (h, gr.update(visible=False)), chatbot, [saved, stop], api_visibility="private")
    def stopped(history: list) -> tuple[list, list, Any]:
        if history and history[-1].get("role") == "assistant":
            history = [*history[:-1], {"role": "assistant", "content": f"{message_text(history[-1]['content'])}"
                                                                      f"\n\n{STOPPED}"}]
        return history, history, gr.update(visible=False)

    # Cancelled first, then marked: an update the answer sent meanwhile cannot undo the mark.
    stop.click(None, cancels=[submitted, from_example, retried], api_visibility="private", queue=False).then(
        stopped, chatbot, [chatbot, saved, stop], api_visibility="private", queue=False)
    chatbot.like(like, inputs=[chatbot, by_turn, comment], outputs=[thanks, comment], api_visibility="private")
    new.click(start_new, [chatbot, past], [chatbot, saved, question, by_turn, past, earlier], api_visibility="private",
              queue=False)
    earlier.input(reopen, [earlier, chatbot, past], [chatbot, saved, by_turn, past, earlier], api_visibility="private",
                  queue=False)
    chatbot.clear(lambda: ([], {}), outputs=[saved, by_turn], api_visibility="private", queue=False)
    blocks.load(lambda h, p: (h or [], choices(p or [])), [saved, past], [chatbot, earlier], api_visibility="private")
    if filters:
        # "/ask" is the one endpoint gradio_client sees: the question, the conversation so
        # far and the filters in; the conversation with the answer as text, and its sources, out.
        api_sources = gr.HTML(visible=False)

        def ask(message: str, history: list, *chosen: str):
            yield from api_ask(served, queue, message, history, *chosen)

        gr.Button(visible=False).click(
            ask, inputs=[question, chatbot, *chosen], outputs=[chatbot, api_sources], api_name="ask",
            api_description="Answer a question (with the conversation so far) and show the sources.")
    return chatbot, question


def chat_tab(served: ServedIndex, queue: FairQueue, blocks: gr.Blocks) -> None:
    chat_panel(served, queue, blocks, height="62vh", storage_key="role-assistant-chat", filters=True)
    with gr.Accordion("About this corpus", open=False):
        about = gr.Markdown()
    # About reflects the index at page load, so a refresh shows after a reload.
    blocks.load(lambda: about_markdown(served), outputs=about, api_visibility="private")


def mount(app: Any, served: ServedIndex, queue: FairQueue) -> Any:
    return gr.mount_gradio_app(app, make_chat_ui(served, queue), path="/", css=CSS, head=CHIP_SCRIPT,
                               footer_links=["api"], max_file_size=served.services.settings.max_upload_bytes)
