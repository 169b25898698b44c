"""Corpus refresh from the web: the admin token check, and the chat page's Admin tab."""

from __future__ import annotations

import hmac
from pathlib import Path
from typing import Any

import gradio as gr

from assistant.errors import AssistantError, CorpusError
from assistant.settings import Settings
from assistant.uploads import UPLOAD_SUFFIXES, ingest_upload
from ui.served import ServedIndex


class AdminRefused(Exception):
    def __init__(self, message: str, status: int) -> None:
        self.status = status
        super().__init__(message)


def check_admin(settings: Settings, given: str | None) -> None:
    expected = settings.admin_token.get_secret_value()
    if not expected:
        raise AdminRefused("corpus uploads are turned off: the server has no ASSISTANT_ADMIN_TOKEN", 403)
    # Constant time, so response timing does not reveal how much of a guess was right.
    if not given or not hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8")):
        raise AdminRefused("a valid admin token is required (X-Admin-Token or Authorization: Bearer)", 401)


def upload_markdown(served: ServedIndex, token: str, path: str | None, skip_invalid: bool, sync: bool,
                    progress: gr.Progress | None = None) -> str:
    """Run one upload from the Admin tab and describe the outcome."""
    try:
        check_admin(served.services.settings, token)
    except AdminRefused as exc:
        return f"**Refused:** {exc}"
    if not path:
        return "**Choose a file first** (" + ", ".join(UPLOAD_SUFFIXES) + ")."

    def report_progress(done: int, total: int) -> None:
        if progress is not None:
            progress((done, total), desc="Embedding chunks", unit="chunks")

    try:
        report = ingest_upload(served.services, Path(path).name, Path(path).read_bytes(),
                               skip_invalid=skip_invalid, sync=sync, on_progress=report_progress)
    except CorpusError as exc:
        problems = "".join(f"\n- {_code(p)}" for p in exc.problems[:50])
        more = f"\n- … and {len(exc.problems) - 50} more" if len(exc.problems) > 50 else ""
        return f"**Not ingested; the index is unchanged.** {_code(str(exc))}{problems}{more}"
    except AssistantError as exc:
        return f"**Not ingested; the index is unchanged.** {_code(str(exc))}"
    head, *details = report.lines()
    state = "Published a new index" if report.published else "Nothing changed"
    return f"**{state}:** {head}" + "".join(f"\n- {_code(line.strip())}" for line in details)


def _code(text: str) -> str:
    """Inline code, so file text in a message is shown as it is, never as Markdown or HTML."""
    return "`" + text.replace("`", "'") + "`"


def admin_tab(served: ServedIndex) -> None:
    """Only on a server with uploads turned on, and the form only after a valid token."""
    if not served.services.settings.admin_token.get_secret_value():
        return  # no tab that looks usable; the server also refuses Gradio's upload route
    with gr.Tab("Admin"):
        gr.Markdown(
            "Add or refresh postings: upload a JSONL, JSON or CSV file and the index is refreshed; "
            "unchanged postings cost nothing. A file with invalid records is refused as a whole "
            "unless you choose to skip them, and the index stays as it was."
        )
        with gr.Row(equal_height=True):
            token = gr.Textbox(label="Admin token", type="password", max_lines=1, scale=3)
            unlock = gr.Button("Continue", variant="secondary", scale=1)
        refused = gr.Markdown()
        with gr.Column(visible=False) as form:
            upload = gr.File(label="Postings file", file_types=list(UPLOAD_SUFFIXES), type="filepath")
            with gr.Row():
                skip = gr.Checkbox(label="Skip invalid records (ingest the valid ones, list the rest)")
                sync = gr.Checkbox(label="Remove postings that are gone from this file's previous upload")
            run = gr.Button("Upload and refresh", variant="primary")
            result = gr.Markdown()

        def check(t: str) -> tuple[str, Any]:
            try:
                check_admin(served.services.settings, t)
            except AdminRefused as exc:
                return f"**Refused:** {exc}", gr.update(visible=False)
            return "", gr.update(visible=True)

        def submit(t: str, p: str | None, s: bool, y: bool, progress: gr.Progress = gr.Progress()) -> str:
            return upload_markdown(served, t, p, s, y, progress)

        for event in (unlock.click, token.submit):
            event(check, inputs=token, outputs=[refused, form], api_visibility="private")
        # Scripts use POST /api/postings; this event only serves the tab (and checks the token again).
        run.click(submit, inputs=[token, upload, skip, sync], outputs=result, concurrency_limit=1,
                  api_visibility="private")
