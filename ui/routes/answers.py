"""Search and chat (JSON, or server-sent events with `stream: true`)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import asdict
from typing import Any, Literal

from fastapi import APIRouter, Depends
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from assistant.errors import AssistantError
from assistant.pipeline import Assistant
from assistant.settings import Backend
from ui.messages import MAX_HISTORY_TURNS, MAX_MESSAGE_CHARS
from ui.routes.auth import Check
from ui.served import FairQueue, ServedIndex, queue_for, waiting


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
    backend: Backend | None = None
    k: int | None = Field(None, ge=1, le=20)
    stream: bool = False


class SearchRequest(BaseModel):
    query: str = Field(min_length=1, max_length=MAX_MESSAGE_CHARS)
    k: int = Field(5, ge=1, le=50)
    filters: Filters | None = None


def router(served: ServedIndex, queue: FairQueue, authorized: Check) -> APIRouter:
    routes = APIRouter()

    @routes.post("/api/search")
    def search(request: SearchRequest, _: None = Depends(authorized)) -> dict[str, Any]:
        retriever = served.assistant("extractive").retriever
        hits = retriever.retrieve(request.query, k=request.k, filters=(request.filters or Filters()).as_dict())
        return {"query": request.query, "results": [
            {"id": h.chunk_id, "doc_id": h.doc_id, "title": h.title, "company": h.company, "kind": h.kind,
             "role": h.role_family, "score": h.score, "text": h.text} for h in hits]}

    @routes.post("/api/chat", response_model=None)
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

    return routes


def _sse(event: str, data: Any) -> str:
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


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
            elif event.kind == "writing":
                yield ":\n\n"  # an SSE comment, which clients skip: a client gone is noticed here
            elif event.answer is not None:
                yield _sse("done", event.answer.to_json())
    except AssistantError as exc:
        yield _sse("error", {"error": str(exc)})
    finally:
        queue.done(ticket)
