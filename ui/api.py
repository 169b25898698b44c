"""The HTTP API: chat (JSON or server-sent events), search, status, health, feedback,
postings upload, and an OpenAI-compatible chat endpoint. Documented by FastAPI's OpenAPI
page at /docs. The chat page, the embeddable chat and widget.js are mounted in the same app."""

from __future__ import annotations

import json
import os
import time
import uuid
from collections.abc import Iterator
from contextlib import asynccontextmanager
from dataclasses import asdict
from typing import Any, Literal

from fastapi import Depends, FastAPI, File, Form, Header, HTTPException, Request, UploadFile
from fastapi.responses import JSONResponse, RedirectResponse, StreamingResponse
from fastapi.routing import APIRoute
from pydantic import BaseModel, Field

from assistant.analytics import StatsError, resolve_roles
from assistant.answer import Answer
from assistant.container import Services
from assistant.errors import (
    AssistantError,
    BackendUnavailable,
    CorpusError,
    IndexBusy,
    IndexCorrupt,
    IndexNotBuilt,
    IndexWriteError,
)
from assistant.feedback import Feedback
from assistant.pipeline import Assistant
from assistant.settings import Settings
from assistant.store import read_manifest
from assistant.uploads import UnsupportedUpload, UploadTooLarge, ingest_upload
from ui.admin import AdminRefused, check_admin
from ui.guards import RequestGuard, served_hosts
from ui.messages import MAX_HISTORY_TURNS, MAX_MESSAGE_CHARS, message_text
from ui.origins import install_origin_policy
from ui.served import FairQueue, ServedIndex, queue_for, waiting

MAX_BODY_BYTES = 1_000_000
_STATUS = {StatsError: 400, IndexWriteError: 507, IndexNotBuilt: 503, IndexCorrupt: 503, BackendUnavailable: 503,
           IndexBusy: 409, UploadTooLarge: 413, UnsupportedUpload: 415, CorpusError: 400}
# Paths that take files; everything else is held to MAX_BODY_BYTES.
_UPLOAD_PATHS = ("/api/postings", "/gradio_api/upload")
_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]


class Turn(BaseModel):
    role: Literal["user", "assistant"]
    content: str = Field(max_length=MAX_MESSAGE_CHARS)


class Filters(BaseModel):
    kind: Literal["article", "posting", "role"] | None = None
    role_family: str | None = None
    company: str | None = None

    def as_dict(self) -> dict[str, str]:
        return {key: value for key, value in self.model_dump().items() if value}


class ChatRequest(BaseModel):
    message: str = Field(min_length=1, max_length=MAX_MESSAGE_CHARS)
    history: list[Turn] = Field(default_factory=list, max_length=MAX_HISTORY_TURNS)
    filters: Filters | None = None
    backend: Literal["local", "openai", "extractive"] | None = None
    k: int | None = Field(None, ge=1, le=20)
    stream: bool = False


class SearchRequest(BaseModel):
    query: str = Field(min_length=1, max_length=MAX_MESSAGE_CHARS)
    k: int = Field(5, ge=1, le=50)
    filters: Filters | None = None


class ClassifyRequest(BaseModel):
    text: str = Field(min_length=20, max_length=100_000, description="A job description.")


class FeedbackRequest(BaseModel):
    rating: Literal["up", "down"]
    question: str = Field(min_length=1, max_length=MAX_MESSAGE_CHARS)
    answer: str = Field(min_length=1, max_length=20_000)
    sources: list[dict[str, Any]] = Field(default_factory=list, max_length=50)
    backend: str = Field("", max_length=100)
    comment: str = Field("", max_length=2000)


class OpenAIMessage(BaseModel):
    role: str
    content: str | list[dict[str, Any]] = ""


class OpenAIRequest(BaseModel):
    model: str = "role-assistant"
    messages: list[OpenAIMessage] = Field(min_length=1, max_length=80)
    stream: bool = False


def _sse(event: str, data: Any) -> str:
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


def make_app(services: Services, *, warm: bool = True, chat_page: bool = True) -> FastAPI:
    served = ServedIndex(services)
    queue = FairQueue()
    state: dict[str, Any] = {"ready": False, "error": ""}

    @asynccontextmanager
    async def lifespan(_app: FastAPI):
        if warm:
            # Load the index, the models, the article prefix (from disk after the first run)
            # and the postings' figures once, before the first question: a burst of first
            # questions must not each wait for them.
            try:
                served.assistant().warm()
                served.corpus()
                state["ready"] = True
            except AssistantError as exc:
                state["error"] = str(exc)
        yield
        served.close()

    app = FastAPI(
        title="Role assistant",
        description="Questions about data and ML roles, answered from an article and job postings, with evidence.",
        version="0.1.0",
        lifespan=lifespan,
    )
    app.state.served = served

    install_origin_policy(app, services.settings.allowed_origins)

    @app.exception_handler(AssistantError)
    async def assistant_error(_request: Request, exc: AssistantError) -> JSONResponse:
        status = next((code for kind, code in _STATUS.items() if isinstance(exc, kind)), 500)
        body: dict[str, Any] = {"error": str(exc)}
        if isinstance(exc, CorpusError) and exc.problems != [str(exc)]:
            body["problems"] = exc.problems
        return JSONResponse(body, status_code=status)

    @app.exception_handler(AdminRefused)
    async def admin_refused(_request: Request, exc: AdminRefused) -> JSONResponse:
        return JSONResponse({"error": str(exc)}, status_code=exc.status)

    @app.exception_handler(ValueError)
    async def value_error(_request: Request, exc: ValueError) -> JSONResponse:
        return JSONResponse({"error": str(exc)}, status_code=400)

    def authorized(authorization: str | None = Header(None), x_api_key: str | None = Header(None)) -> None:
        key = services.settings.api_key.get_secret_value()
        if not key:
            return
        given = x_api_key or (authorization or "").removeprefix("Bearer ").strip()
        if given != key:
            raise HTTPException(401, "a valid API key is required (Authorization: Bearer KEY or X-API-Key)")

    @app.get("/api/health")
    def health() -> dict[str, Any]:
        """Liveness, and readiness once the index and models are loaded; `pid` tells the
        worker process apart when `serve --workers N` runs several."""
        return {"status": "ok", "ready": state["ready"], "error": state["error"], "pid": os.getpid()}

    @app.get("/api/status")
    def status() -> dict[str, Any]:
        return {**read_manifest(services.settings.index_dir), "backend": services.settings.backend}

    @app.post("/api/search")
    def search(request: SearchRequest, _: None = Depends(authorized)) -> dict[str, Any]:
        retriever = served.assistant("extractive").retriever
        hits = retriever.retrieve(request.query, k=request.k, filters=(request.filters or Filters()).as_dict())
        return {"query": request.query, "results": [
            {"id": h.chunk_id, "doc_id": h.doc_id, "title": h.title, "company": h.company, "kind": h.kind,
             "role": h.role_family, "score": h.score, "text": h.text} for h in hits]}

    @app.post("/api/chat", response_model=None)
    def chat(request: ChatRequest, _: None = Depends(authorized)) -> dict[str, Any] | StreamingResponse:
        """The same JSON as `ask --json`; with `stream: true`, server-sent events:
        `queued` (while waiting for the model), `sources`, `token`..., `done` (the answer)."""
        assistant = served.assistant(request.backend)
        history = [turn.model_dump() for turn in request.history]
        filters = (request.filters or Filters()).as_dict()
        if not request.stream:
            with queue_for(assistant, queue).turn():
                return assistant.ask(request.message, history, filters=filters, k=request.k).to_json()
        return StreamingResponse(
            _stream(assistant, queue_for(assistant, queue), request.message, history, filters, request.k),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )

    @app.get("/api/stats")
    def stats(roles: str = "", skills: str = "", _: None = Depends(authorized)) -> dict[str, Any]:
        """Exact figures over every indexed posting. `roles` and `skills` are comma-separated
        (default: every role, every skill); with two roles, the skills that separate them."""
        from assistant.figures import stats_json

        corpus = served.corpus()
        chosen = resolve_roles(roles.split(",")) if roles.strip() else corpus.roles_present
        return stats_json(corpus, chosen, services.taxonomy.resolve(skills.split(",")) if skills.strip() else None)

    @app.post("/api/classify")
    def classify(request: ClassifyRequest, _: None = Depends(authorized)) -> dict[str, Any]:
        """The role a job description reads like by its content, why, the closest postings and
        what the article says about that role."""
        return served.posting_check(request.text).to_json()

    @app.post("/api/feedback")
    def feedback(request: FeedbackRequest, _: None = Depends(authorized)) -> dict[str, int]:
        """Thumbs up or down on an answer, with an optional comment."""
        return {"id": services.feedback.add(Feedback(**request.model_dump()))}

    def admin(authorization: str | None = Header(None), x_admin_token: str | None = Header(None)) -> None:
        check_admin(services.settings, x_admin_token or (authorization or "").removeprefix("Bearer ").strip())

    @app.post("/api/postings")
    def upload_postings(
        file: UploadFile = File(description="Postings as .jsonl, .json or .csv"),
        skip_invalid: bool = Form(False, description="Ingest the valid records and list the rejected ones."),
        sync: bool = Form(False, description="Remove postings missing from this file's previous upload."),
        _: None = Depends(admin),
    ) -> dict[str, Any]:
        """Add or refresh postings (admin token required). Returns the ingest summary; a bad
        file gets a 4xx naming each problem, and the index is left as it was."""
        data = file.file.read(services.settings.max_upload_bytes + 1)
        return ingest_upload(services, file.filename or "", data, skip_invalid=skip_invalid, sync=sync).summary()

    @app.post("/v1/chat/completions", response_model=None)
    def chat_completions(request: OpenAIRequest, _: None = Depends(authorized)) -> dict[str, Any] | StreamingResponse:
        """OpenAI-compatible chat: the last user message is the question, earlier turns the
        history; the answer ends with its numbered sources."""
        turns = [{"role": m.role, "content": message_text(m.content)}
                 for m in request.messages if m.role in ("user", "assistant")]
        if not turns or turns[-1]["role"] != "user":
            raise HTTPException(400, "the last message must come from the user")
        question, history = turns[-1]["content"], turns[:-1]
        assistant = served.assistant()
        completion_id = f"chatcmpl-{uuid.uuid4().hex[:24]}"
        if not request.stream:
            with queue_for(assistant, queue).turn():
                answer = assistant.ask(question, history)
            return {
                "id": completion_id, "object": "chat.completion", "created": int(time.time()), "model": request.model,
                "choices": [{"index": 0, "finish_reason": "stop",
                             "message": {"role": "assistant", "content": answer.answer + _sources_text(answer)}}],
                "sources": [asdict(s) for s in answer.sources],
            }
        return StreamingResponse(
            _openai_stream(assistant, queue_for(assistant, queue), question, history, completion_id, request.model),
            media_type="text/event-stream",
        )

    known = [route for route in app.routes if isinstance(route, APIRoute)]

    @app.api_route("/api/{rest:path}", methods=_METHODS, include_in_schema=False)
    @app.api_route("/v1/{rest:path}", methods=_METHODS, include_in_schema=False)
    def unrouted(request: Request) -> JSONResponse:
        """Without this, the chat page mounted at "/" answers a wrong method with 404."""
        allowed = sorted({m for r in known if r.path_regex.match(request.url.path) for m in r.methods or ()})
        if allowed:
            return JSONResponse({"error": f"{request.method} is not allowed here; use {', '.join(allowed)}"},
                                status_code=405, headers={"Allow": ", ".join(allowed)})
        return JSONResponse({"error": f"no such endpoint: {request.url.path} (see /docs)"}, status_code=404)

    if chat_page:
        from ui.chat import mount
        from ui.embed import mount_embed

        # /embed first: the chat page at "/" would otherwise take every path.
        app = mount_embed(app, served, queue)
        app = mount(app, served, queue)
    else:
        @app.get("/", include_in_schema=False)
        def api_only() -> RedirectResponse:
            return RedirectResponse("/docs")
    settings = services.settings
    # Added last, so it runs first: nothing else reads a body it refuses.
    app.add_middleware(RequestGuard, hosts=served_hosts(settings.host, settings.allowed_hosts),
                       limit_for=lambda path: _body_limit(settings, path),
                       admit=lambda path, headers: _admit(settings, path, headers))
    return app


def _body_limit(settings: Settings, path: str) -> int:
    return settings.max_upload_bytes + 100_000 if path.endswith(_UPLOAD_PATHS) else MAX_BODY_BYTES


def _admit(settings: Settings, path: str, headers: dict[str, str]) -> tuple[int, str] | None:
    """Uploads are refused before their body is read: the API's without a valid admin token,
    Gradio's when uploads are off (the Admin tab's file input is its only use) and always
    under /embed, which has no file input."""
    if path == "/api/postings":
        try:
            bearer = headers.get("authorization", "").removeprefix("Bearer ").strip()
            check_admin(settings, headers.get("x-admin-token") or bearer)
        except AdminRefused as exc:
            return exc.status, str(exc)
    elif path.endswith("/gradio_api/upload") and (path.startswith("/embed") or not settings.admin_token.get_secret_value()):
        return 403, "file uploads are turned off on this server"
    return None


def _sources_text(answer: Answer) -> str:
    if not answer.sources:
        return ""
    lines = [f"[{s.n}] {s.heading} ({s.kind}, {s.id})"
             for s in answer.sources]
    return "\n\nSources:\n" + "\n".join(lines)


def _stream(assistant: Assistant, queue: FairQueue, message: str, history: list[dict[str, str]],
            filters: dict[str, str], k: int | None) -> Iterator[str]:
    ticket = queue.ticket()
    try:
        for ahead in waiting(queue, ticket):
            yield _sse("queued", {"ahead": ahead})
        for event in assistant.stream(message, history, filters=filters, k=k):
            if event.kind == "sources":
                yield _sse("sources", [asdict(s) for s in event.sources or []])
            elif event.kind == "token":
                yield _sse("token", {"text": event.text})
            elif event.answer is not None:
                yield _sse("done", event.answer.to_json())
    except AssistantError as exc:
        yield _sse("error", {"error": str(exc)})
    finally:
        queue.done(ticket)


def _openai_stream(assistant: Assistant, queue: FairQueue, question: str, history: list[dict[str, str]],
                   completion_id: str, model: str) -> Iterator[str]:
    def chunk(delta: dict[str, str], finish: str | None = None) -> str:
        body = {"id": completion_id, "object": "chat.completion.chunk", "created": int(time.time()), "model": model,
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
        return f"data: {json.dumps(body, ensure_ascii=False)}\n\n"

    ticket = queue.ticket()
    try:
        for _ahead in waiting(queue, ticket):
            yield ": waiting for the model\n\n"  # an SSE comment keeps the connection alive
        yield chunk({"role": "assistant", "content": ""})
        streamed = ""
        for event in assistant.stream(question, history):
            if event.kind == "token":
                streamed += event.text
                yield chunk({"content": event.text})
            elif event.kind == "done" and event.answer is not None:
                tail = _sources_text(event.answer)
                if event.answer.answer != streamed.strip():
                    tail = "\n\n(Checked answer: " + event.answer.answer + ")" + tail
                yield chunk({"content": tail})
        yield chunk({}, "stop")
        yield "data: [DONE]\n\n"
    finally:
        queue.done(ticket)
