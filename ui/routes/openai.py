"""The OpenAI-compatible chat endpoint, /v1/chat/completions (JSON or streamed chunks)."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from dataclasses import asdict
from typing import Any

from fastapi import APIRouter, Depends, HTTPException
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from assistant.answer import Answer
from assistant.pipeline import Assistant
from ui.messages import message_text
from ui.routes.auth import Check
from ui.served import FairQueue, ServedIndex, queue_for, waiting


class OpenAIMessage(BaseModel):
    role: str
    content: str | list[dict[str, Any]] = ""


class OpenAIRequest(BaseModel):
    model: str = "role-assistant"
    messages: list[OpenAIMessage] = Field(min_length=1, max_length=80)
    stream: bool = False


def router(served: ServedIndex, queue: FairQueue, authorized: Check) -> APIRouter:
    routes = APIRouter()

    @routes.post("/v1/chat/completions", response_model=None)
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

    return routes


def _sources_text(answer: Answer) -> str:
    if not answer.sources:
        return ""
    lines = [f"[{s.n}] {s.heading} ({s.kind}, {s.id})"
             for s in answer.sources]
    return "\n\nSources:\n" + "\n".join(lines)


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
