"""What a wiki page embeds: `/embed`, a compact chat for an iframe, and `/widget.js`,
the one script tag that opens it from a floating button (after `/embed-check` says the
page's origin may)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import gradio as gr
from fastapi import FastAPI
from fastapi.responses import FileResponse, JSONResponse, RedirectResponse

from ui.chat import chat_panel
from ui.render import CHIP_SCRIPT, CSS
from ui.served import FairQueue, ServedIndex

WIDGET_JS = Path(__file__).with_name("static") / "widget.js"
# The chat page's styles, made compact for a narrow iframe.
EMBED_CSS = CSS + """
footer { display: none !important; }
.gradio-container { padding: 0 !important; min-width: 0 !important; }
.gradio-container .main { padding: 6px 8px !important; }
details.src { padding: 2px 6px; margin: 3px 0; }
details.src .text { font-size: 0.85em; }
.embed-title h3 { margin: 0 0 2px 0; font-size: 1.05em; }
"""


def make_embed_ui(served: ServedIndex, queue: FairQueue) -> gr.Blocks:
    with gr.Blocks(title="Role assistant", fill_height=True) as blocks:
        gr.Markdown("### Role assistant\nAnswers from an article on the ML engineer role and real job postings; "
                    "click a number to see its source.", elem_classes="embed-title")
        chat_panel(served, queue, blocks, height=380, storage_key="role-assistant-embed", filters=False,
                   placeholder="Ask about data and ML roles…")
    return blocks


def mount_embed(app: FastAPI, served: ServedIndex, queue: FairQueue) -> Any:
    @app.get("/widget.js", include_in_schema=False)
    def widget() -> FileResponse:
        # Short cache: wikis pick up a new version within minutes.
        return FileResponse(WIDGET_JS, media_type="text/javascript", headers={"Cache-Control": "public, max-age=300"})

    @app.get("/embed-check", include_in_schema=False)
    def embed_check() -> JSONResponse:
        # widget.js asks before it opens the frame; a refused origin never gets here (the
        # origin policy answers its readable 403). No caching, so a changed allowlist counts.
        return JSONResponse({"allowed": True}, headers={"Cache-Control": "no-store"})

    @app.get("/embed", include_in_schema=False)
    def embed() -> RedirectResponse:
        return RedirectResponse("embed/", status_code=307)

    return gr.mount_gradio_app(app, make_embed_ui(served, queue), path="/embed", css=EMBED_CSS, head=CHIP_SCRIPT,
                               footer_links=[])
