"""The Gradio chat page: streamed answers, the sources behind each [n], filters, examples."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from dataclasses import asdict
from typing import Any

import gradio as gr
from gradio.components.chatbot import ChatbotDataMessages
from pydantic import ValidationError

from assistant.answer import Source
from assistant.errors import AssistantError
from assistant.feedback import Feedback
from assistant.roles import ROLE_FAMILIES
from assistant.store import read_manifest
from ui.messages import MAX_HISTORY_TURNS, MAX_MESSAGE_CHARS, message_text
from ui.served import FairQueue, ServedIndex, queue_for

EXAMPLES = [
    "What's the difference between an ML engineer and a data scientist?",
    "Do ML engineers need to know statistics?",
    "Which cloud platforms should an ML engineer know?",
    "What does a data engineer do that a data analyst doesn't?",
]
ANY = "any"
CSS = """
.sources details { border: 1px solid var(--border-color-primary); border-radius: 6px; padding: 4px 8px; margin: 4px 0; }
.sources summary { cursor: pointer; }
.sources .text { white-space: pre-wrap; font-size: 0.9em; }
"""


def sources_html(sources: list[Source]) -> str:
    """Every cited passage, as text: posting content is escaped, never rendered as HTML."""
    if not sources:
        return "<div class='sources'><em>No sources.</em></div>"
    return "<div class='sources'>" + "".join(
        passage_html(f"[{s.n}] {s.heading}", s.kind + (f" · {s.role}" if s.role else ""), s.text) for s in sources
    ) + "</div>"


def passage_html(heading: str, note: str, text: str) -> str:
    """One folded passage: heading and note in the summary, the text (without its title
    line) inside. Everything escaped."""
    body = html.escape(text.partition("\n")[2] or text)
    return (f"<details><summary>{html.escape(heading)} <small>({html.escape(note)})</small></summary>"
            f"<div class='text'>{body}</div></details>")


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
    try:
        manifest = read_manifest(served.services.settings.index_dir)
    except AssistantError as exc:
        return str(exc)
    kinds = ", ".join(f"{k} {v}" for k, v in sorted(manifest["kind"].items()))
    roles = ", ".join(f"{k} {v}" for k, v in sorted(manifest["role_family"].items()))
    return (f"**Documents:** {manifest['documents']} ({kinds}); **chunks:** {manifest['chunks']}  \n"
            f"**Roles:** {roles}  \n**Embedding model:** {manifest['embedding_model']}  \n"
            f"**Answers:** {served.services.settings.backend} backend  \n**Last refresh:** {manifest['last_refresh']}")


def respond(served: ServedIndex, queue: FairQueue, message: str, history: list[dict[str, Any]],
            role: str, kind: str, sources_by_turn: dict[int, list[dict]] | None = None,
            ) -> Iterator[tuple[list[dict[str, Any]], str]]:
    """Stream one answer into the chat: the question, then the growing answer, then the
    checked answer with its sources."""
    message = (message or "").strip()
    if not message:
        yield history, sources_html([])
        return
    if len(message) > MAX_MESSAGE_CHARS or len(history) > MAX_HISTORY_TURNS:
        raise gr.Error(f"a question has at most {MAX_MESSAGE_CHARS:,} characters and a conversation at most "
                       f"{MAX_HISTORY_TURNS} turns: start a new conversation")
    turns = [{"role": m["role"], "content": plain(message_text(m["content"]))[:MAX_MESSAGE_CHARS]}
             for m in history if m.get("role") in ("user", "assistant")]
    shown = [*history, {"role": "user", "content": inert(message)}, {"role": "assistant", "content": ""}]
    filters = {"role_family": "" if role == ANY else role, "kind": "" if kind == ANY else kind}
    try:
        assistant = served.assistant()
        with queue_for(assistant, queue).turn():
            streamed = ""
            sources: list[Source] = []
            for event in assistant.stream(message, turns, filters=filters):
                if event.kind == "sources":
                    sources = event.sources or []
                    yield shown, sources_html(sources)
                elif event.kind == "token":
                    streamed += event.text
                    shown[-1] = {"role": "assistant", "content": inert(streamed)}
                    yield shown, sources_html(sources)
                elif event.answer is not None:
                    shown[-1] = {"role": "assistant", "content": inert(event.answer.answer)}
                    if sources_by_turn is not None:
                        sources_by_turn[len(shown) - 1] = [asdict(s) for s in event.answer.sources]
                    yield shown, sources_html(event.answer.sources)
    except AssistantError as exc:
        raise gr.Error(str(exc)) from None


def record_feedback(served: ServedIndex, history: list[dict[str, Any]], sources_by_turn: dict[int, list[dict]],
                    index: Any, liked: bool, comment: str) -> str:
    """Store a thumbs up/down on the answer at `index` with the question before it."""
    position = index[0] if isinstance(index, (list, tuple)) else int(index)
    if not 0 <= position < len(history) or history[position].get("role") != "assistant":
        return "Nothing to rate there."
    question = next((plain(message_text(m["content"])) for m in reversed(history[:position]) if m.get("role") == "user"), "")
    served.services.feedback.add(Feedback(
        rating="up" if liked else "down", question=question, answer=plain(message_text(history[position]["content"])),
        sources=sources_by_turn.get(position, []), backend=served.services.settings.backend, comment=comment or "",
    ))
    return "Thanks, your feedback was saved."


def make_chat_ui(served: ServedIndex, queue: FairQueue) -> gr.Blocks:
    from ui.admin import admin_tab
    from ui.analytics_tabs import check_tab, compare_tab

    # Uploaded files (the Admin tab's) are staged by Gradio; an hour is plenty to ingest one.
    with gr.Blocks(title="Role assistant", delete_cache=(3600, 3600)) as blocks:
        gr.Markdown("## Role assistant\nAsk about data and ML roles. Answers cite the article and job postings they use.")
        with gr.Tabs():
            with gr.Tab("Chat"):
                chat_tab(served, queue, blocks)
            compare_tab(served)
            check_tab(served)
            admin_tab(served)
    return blocks


def chat_tab(served: ServedIndex, queue: FairQueue, blocks: gr.Blocks) -> None:
    with gr.Row(equal_height=False):
        with gr.Column(scale=3, min_width=300):
            chatbot = plain_errors(gr.Chatbot(label="Conversation", height=460, sanitize_html=True, render_markdown=True))
            question = gr.Textbox(placeholder="Ask a question…", show_label=False, submit_btn=True)
            with gr.Row():
                role = gr.Dropdown([ANY, *ROLE_FAMILIES], value=ANY, label="Role", min_width=120)
                kind = gr.Dropdown([ANY, "article", "posting", "role"], value=ANY, label="Evidence", min_width=120)
                new = gr.Button("New conversation", variant="secondary")
            gr.Examples(EXAMPLES, inputs=question)
        with gr.Column(scale=2, min_width=280):
            gr.Markdown("### Sources")
            sources = gr.HTML(sources_html([]))
            with gr.Accordion("About this corpus", open=False):
                about = gr.Markdown()
    turn_sources = gr.State({})
    with gr.Row():
        comment = gr.Textbox(placeholder="Optional comment, then rate an answer with its thumbs up or down",
                             show_label=False, scale=3)
        thanks = gr.Markdown()

    def ask(message: str, history: list, role: str, kind: str, by_turn: dict):
        yield from respond(served, queue, message, history, role, kind, by_turn)

    def like(h: list, by_turn: dict, text: str, data: gr.LikeData) -> tuple[str, str]:
        return record_feedback(served, h, by_turn, data.index, bool(data.liked), text), ""

    # "/ask" is the one endpoint gradio_client sees; the rest only serve this page.
    question.submit(
        ask, inputs=[question, chatbot, role, kind, turn_sources], outputs=[chatbot, sources], api_name="ask",
        api_description="Answer a question (with the conversation so far) and show the sources.",
    ).then(lambda: "", outputs=question, api_visibility="private")
    chatbot.like(like, inputs=[chatbot, turn_sources, comment], outputs=[thanks, comment], api_visibility="private")
    new.click(lambda: ([], sources_html([]), "", {}), outputs=[chatbot, sources, question, turn_sources],
              api_visibility="private")
    # About reflects the index at page load, so a refresh shows after a reload.
    blocks.load(lambda: about_markdown(served), outputs=about, api_visibility="private")


def mount(app: Any, served: ServedIndex, queue: FairQueue) -> Any:
    return gr.mount_gradio_app(app, make_chat_ui(served, queue), path="/", css=CSS, footer_links=["api"],
                               max_file_size=served.services.settings.max_upload_bytes)
