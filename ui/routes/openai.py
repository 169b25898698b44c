"""The OpenAI-compatible API: /v1/models and /v1/chat/completions (JSON or streamed chunks),
for the clients teams already run (Open WebUI, LibreChat, the OpenAI SDK, LangChain).

A model id is a backend. Each answer carries its numbered sources twice: as a "Sources:"
block ending the text, for clients that show only text, and as `search_results` (the name
OpenAI-compatible search APIs such as Perplexity's give them), for clients that read JSON."""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Depends
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from assistant.answer import Answer
from assistant.errors import AssistantError
from assistant.llm import Sampling, token_counter
from assistant.pipeline import Assistant
from assistant.settings import Backend
from ui.errors import OpenAIRefusal, code_of, openai_error, status_of
from ui.messages import message_text
from ui.render import cited_numbers, source_preview
from ui.routes.auth import Check
from ui.served import FairQueue, ServedIndex, queue_for, waiting

MODEL = "role-assistant"  # the configured backend; MODEL-<backend> names each backend
OWNER = "role-assistant"


class Message(BaseModel):
    role: str
    # A string, a list of parts, or null (an assistant turn that called a tool): only its text is read.
    content: Any = ""


class StreamOptions(BaseModel):
    include_usage: bool = False


class CompletionRequest(BaseModel):
    # OpenAI clients send many more fields (top_p, seed, logit_bias, metadata...): ignored, not refused.
    model_config = ConfigDict(extra="ignore")

    model: str = MODEL
    messages: list[Message] = Field(min_length=1, max_length=80)
    stream: bool = False
    stream_options: StreamOptions | None = None
    temperature: float | None = Field(None, ge=0, le=2)
    max_tokens: int | None = Field(None, ge=1)
    max_completion_tokens: int | None = Field(None, ge=1)
    # Accepted and ignored: the answer is checked and rewritten after the model writes it,
    # so a stop sequence could not hold for what the client receives.
    stop: str | list[str] | None = None
    user: str | None = None
    n: int | None = None
    tools: list[Any] | None = None
    functions: list[Any] | None = None
    tool_choice: Any = None
    function_call: Any = None

    @field_validator("n")
    @classmethod
    def _one_answer(cls, n: int | None) -> int | None:
        if n not in (None, 1):
            raise ValueError("only n=1 is supported: the assistant writes one checked answer per question")
        return n

    @field_validator("tools", "functions")
    @classmethod
    def _no_tools(cls, value: list[Any] | None, info: ValidationInfo) -> list[Any] | None:
        if value:
            raise ValueError(f"{info.field_name} are not supported: the assistant answers from its sources "
                             "and calls no functions")
        return value

    @field_validator("tool_choice", "function_call")
    @classmethod
    def _no_calls(cls, value: Any, info: ValidationInfo) -> Any:
        if value not in (None, "none", "auto"):
            raise ValueError(f"{info.field_name} is not supported: the assistant calls no functions")
        return value

    def sampling(self) -> Sampling:
        return Sampling(self.max_completion_tokens or self.max_tokens, self.temperature or 0.0)


def model_ids(configured: Backend, backends: list[Backend]) -> dict[str, Backend]:
    """Each model id a client may ask for, and the backend it answers with."""
    return {MODEL: configured, **{f"{MODEL}-{backend}": backend for backend in backends}}


def backend_for(models: dict[str, Backend], model: str) -> Backend:
    if model not in models:
        raise OpenAIRefusal(404, f"the model {model!r} does not exist: use one of {', '.join(models)} (GET /v1/models)",
                            param="model", code="model_not_found")
    return models[model]


def router(served: ServedIndex, queue: FairQueue, authorized: Check) -> APIRouter:
    routes = APIRouter()
    settings = served.services.settings
    started = int(time.time())

    def models() -> dict[str, Backend]:
        return model_ids(settings.backend, served.services.backends())

    def model(model_id: str, backend: Backend) -> dict[str, Any]:
        return {"id": model_id, "object": "model", "created": started, "owned_by": OWNER, "backend": backend}

    @routes.get("/v1/models")
    def list_models(_: None = Depends(authorized)) -> dict[str, Any]:
        """The model ids: `role-assistant` (the configured backend) and one per backend this
        server can answer with. Listing loads no model."""
        return {"object": "list", "data": [model(model_id, backend) for model_id, backend in models().items()]}

    @routes.get("/v1/models/{model_id}")
    def get_model(model_id: str, _: None = Depends(authorized)) -> dict[str, Any]:
        return model(model_id, backend_for(models(), model_id))

    @routes.post("/v1/chat/completions", response_model=None)
    def chat_completions(request: CompletionRequest, _: None = Depends(authorized)) -> dict[str, Any] | StreamingResponse:
        """OpenAI-compatible chat: the last user message is the question, earlier user and
        assistant turns the history (system messages are ignored); `model` picks the backend.
        The answer keeps its [n] markers, ends with its numbered sources, and carries them in
        `search_results`."""
        backend = backend_for(models(), request.model)
        turns = [{"role": m.role, "content": _as_asked(m.role, message_text(m.content))}
                 for m in request.messages if m.role in ("user", "assistant")]
        if not turns or turns[-1]["role"] != "user":
            raise OpenAIRefusal(400, "the last message must come from the user", param="messages")
        question, history = turns[-1]["content"], turns[:-1]
        assistant = served.assistant(backend)
        reply = Reply(f"chatcmpl-{uuid.uuid4().hex[:24]}", request.model, int(time.time()))
        count = token_counter(assistant.chat)
        prompt_tokens = sum(count(turn["content"]) for turn in turns)
        if not request.stream:
            with queue_for(assistant, queue).turn():
                answer = assistant.ask(question, history, sampling=request.sampling())
            content = answer.answer + sources_text(answer)
            return reply.completion(content, search_results(answer), usage(prompt_tokens, count(content)))
        include_usage = request.stream_options is not None and request.stream_options.include_usage
        return StreamingResponse(
            _stream(assistant, queue_for(assistant, queue), question, history, request.sampling(), reply,
                    (prompt_tokens, count) if include_usage else None),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )

    return routes


@dataclass(frozen=True)
class Reply:
    """What every object of one completion shares, and the objects themselves."""

    id: str
    model: str
    created: int

    def completion(self, content: str, results: list[dict[str, Any]], counted: dict[str, int]) -> dict[str, Any]:
        return {"id": self.id, "object": "chat.completion", "created": self.created, "model": self.model,
                "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": content}}],
                "usage": counted, "search_results": results}

    def chunk(self, delta: dict[str, str] | None, finish: str | None = None, **extra: Any) -> str:
        """One streamed chunk; without a delta, one with no choices (the usage chunk)."""
        choices = [] if delta is None else [{"index": 0, "delta": delta, "finish_reason": finish}]
        return _event({"id": self.id, "object": "chat.completion.chunk", "created": self.created, "model": self.model,
                       "choices": choices, **extra})


def _event(data: dict[str, Any]) -> str:
    return f"data: {json.dumps(data, ensure_ascii=False)}\n\n"


def usage(prompt_tokens: int, completion_tokens: int) -> dict[str, int]:
    return {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens}


_SOURCES = "\n\nSources:\n"
_CHECKED = re.compile(r"\n\n\(Checked answer: (.*)\)\Z", re.S)


def sources_text(answer: Answer) -> str:
    """The sources as text after the answer, for clients that show only the text."""
    if not answer.sources:
        return ""
    lines = [f"[{s.n}] {s.heading} ({s.kind}, {s.id})" + (f" {s.url}" if s.url else "") for s in answer.sources]
    return _SOURCES + "\n".join(lines)


def _as_asked(role: str, text: str) -> str:
    """A turn as the assistant reads it. An earlier answer of ours comes back from the client
    as it was sent: with its sources block and, streamed, maybe the unchecked text before
    the checked answer; only the checked answer is worth the next search and prompt."""
    if role != "assistant":
        return text
    text = text.rpartition(_SOURCES)[0] or text
    checked = _CHECKED.search(text)
    return checked.group(1) if checked else text


def search_results(answer: Answer) -> list[dict[str, Any]]:
    """The answer's numbered sources as data: `n` is the [n] in the text, `id` the passage,
    `snippet` the source's sentence that backs the answer (the passage's start for a source
    the answer does not cite), `cited` whether it does."""
    cited = cited_numbers(answer.answer, answer.sources, answer.supports)
    evidence: dict[int, list[str]] = {}
    for support in answer.supports:
        evidence.setdefault(support.source, []).append(support.evidence)
    return [{"n": s.n, "title": s.title, "url": s.url or None,
             "snippet": " … ".join(dict.fromkeys(evidence.get(s.n, []))) or source_preview(s),
             "kind": s.kind, "company": s.company or None, "id": s.id, "cited": s.n in cited}
            for s in answer.sources]


def _stream(assistant: Assistant, queue: FairQueue, question: str, history: list[dict[str, str]],
            sampling: Sampling, reply: Reply, counting: tuple[int, Callable[[str], int]] | None) -> Iterator[str]:
    """The answer as chunks: its text as the model writes it, then the rest of the text
    (the checked answer when checking changed it, the sources) with `search_results`, then
    the finish and, when `counting` (the prompt's tokens and a counter), the usage. An
    error once the stream has begun is an `error` event, as OpenAI sends one."""
    ticket = queue.ticket()
    try:
        for _ahead in waiting(queue, ticket):
            yield ": waiting for the model\n\n"  # an SSE comment keeps the connection alive
        yield reply.chunk({"role": "assistant", "content": ""})
        streamed = ""
        for event in assistant.stream(question, history, sampling=sampling):
            if event.kind == "token":
                streamed += event.text
                yield reply.chunk({"content": event.text})
            elif event.kind == "writing":
                yield ": writing\n\n"  # a comment SDKs skip: a client gone ends the generation here
            elif event.kind == "done" and event.answer is not None:
                tail = sources_text(event.answer)
                if event.answer.answer != streamed.strip():
                    tail = f"\n\n(Checked answer: {event.answer.answer})" + tail
                streamed += tail
                yield reply.chunk({"content": tail}, search_results=search_results(event.answer))
        yield reply.chunk({}, "stop")
        if counting is not None:
            prompt_tokens, count = counting
            yield reply.chunk(None, usage=usage(prompt_tokens, count(streamed)))
    except AssistantError as exc:
        yield _event(openai_error(status_of(exc), str(exc), code=code_of(exc)))
    finally:
        queue.done(ticket)
    yield "data: [DONE]\n\n"
