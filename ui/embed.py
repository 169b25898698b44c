"""What a wiki page embeds: `/embed`, a compact chat for an iframe, and `/widget.js`,
the one script tag that opens it from a floating button."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import gradio as gr
from fastapi import FastAPI
from fastapi.responses import FileResponse, RedirectResponse

from ui.chat import ANY, CSS, plain_errors, respond, sources_html
from ui.served import FairQueue, ServedIndex

WIDGET_JS = Path(__file__).with_name("static") / "widget.js"
# The chat page's styles, made compact for a narrow iframe.
EMBED_CSS = CSS + """
footer { display: none !important; }
.gradio-container { padding: 0 !important; min-width: 0 !important; }
.gradio-container .main { padding: 6px 8px !important; }
.sources details { padding: 2px 6px; margin: 3px 0; }
.sources summary { font-size: 0.9em; }
.sources .text { font-size: 0.85em; }
"""


def make_embed_ui(served: ServedIndex, queue: FairQueue) -> gr.Blocks:
    with gr.Blocks(title="Role assistant", fill_height=True) as blocks:
        chatbot = plain_errors(gr.Chatbot(show_label=False, height=380, min_height=200, sanitize_html=True, scale=1))
        question = gr.Textbox(placeholder="Ask about data and ML roles…", show_label=False, submit_btn=True)
        with gr.Accordion("Sources", open=False):
            sources = gr.HTML(sources_html([]))

        def submit(m: str, h: list):
            yield from respond(served, queue, m, h, ANY, ANY)

        question.submit(submit, inputs=[question, chatbot], outputs=[chatbot, sources],
                        api_visibility="private").then(lambda: "", outputs=question, api_visibility="private")
    return blocks


def mount_embed(app: FastAPI, served: ServedIndex, queue: FairQueue) -> Any:
    @app.get("/widget.js", include_in_schema=False)
    def widget() -> FileResponse:
        # Short cache: wikis pick up a new version within minutes.
        return FileResponse(WIDGET_JS, media_type="text/javascript", headers={"Cache-Control": "public, max-age=300"})

    @app.get("/embed", include_in_schema=False)
    def embed() -> RedirectResponse:
        return RedirectResponse("embed/", status_code=307)

    return gr.mount_gradio_app(app, make_embed_ui(served, queue), path="/embed", css=EMBED_CSS, footer_links=[])
