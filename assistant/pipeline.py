"""One streamed answering path: retrieve, prompt, stream, check citations, fall back.

`ask()` collects the stream; there is no separate non-streaming path.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

from assistant.answer import (
    DECLINE,
    Answer,
    Source,
    build_messages,
    check_citations,
    condense,
    extractive_answer,
    is_decline,
    sources_from,
    strip_instructions,
    supported,
)
from assistant.llm import ChatModel
from assistant.types import Hit


class Retriever(Protocol):
    def retrieve(self, query: str, *, k: int | None = None, filters: dict[str, str] | None = None) -> list[Hit]: ...


@dataclass(frozen=True)
class Event:
    kind: Literal["sources", "token", "done"]
    sources: list[Source] | None = None
    text: str = ""
    answer: Answer | None = None


@dataclass
class Assistant:
    retriever: Retriever
    chat: ChatModel | None  # None: the extractive backend
    backend: str
    min_relevance: float = 0.3
    prompt_sources: int = 4
    max_answer_tokens: int = 256

    def evidence(
        self,
        question: str,
        history: Sequence[dict[str, str]] = (),
        *,
        filters: dict[str, str] | None = None,
        k: int | None = None,
    ) -> tuple[str, str, list[Hit]]:
        """The question without instructions aimed at the assistant, the standalone search
        query, and the passages retrieved for it."""
        asked = strip_instructions(question) or question
        query = condense(asked, history)
        return asked, query, self.retriever.retrieve(query, k=k, filters=filters)

    def stream(
        self,
        question: str,
        history: Sequence[dict[str, str]] = (),
        *,
        filters: dict[str, str] | None = None,
        k: int | None = None,
        evidence: tuple[str, str, list[Hit]] | None = None,
    ) -> Iterator[Event]:
        """`evidence` is what `evidence()` returned for this question, when the caller
        needed it first (the evaluation does), so it is not retrieved twice."""
        started = time.perf_counter()
        asked, query, hits = evidence or self.evidence(question, history, filters=filters, k=k)
        retrieved = time.perf_counter()
        sources = sources_from(hits)
        timings = {"retrieve_ms": round((retrieved - started) * 1000, 1)}
        relevance = max((float(h.metadata.get("dense", 0.0)) for h in hits), default=0.0)
        if not supported(asked, sources, relevance=relevance, min_relevance=self.min_relevance):
            # Nothing relevant: show no evidence rather than unrelated passages.
            yield Event("sources", sources=[])
            yield from self._finish(question, DECLINE, [], True, timings, retrieved)
            return
        yield Event("sources", sources=sources)
        if self.chat is None:
            yield from self._finish(question, extractive_answer(query, sources), sources, False, timings, retrieved)
            return

        given = sources[: self.prompt_sources]
        pieces: list[str] = []
        first_token: float | None = None
        for piece in self.chat.stream(build_messages(asked, given, history), max_tokens=self.max_answer_tokens):
            if first_token is None:
                first_token = time.perf_counter()
                timings["first_token_ms"] = round((first_token - retrieved) * 1000, 1)
            pieces.append(piece)
            yield Event("token", text=piece)
        text, cited = check_citations("".join(pieces), len(given))
        if is_decline(text):
            text, declined = DECLINE, True
        elif not cited:
            # An answer that cites nothing it was given is not grounded: use the evidence itself.
            text, declined = extractive_answer(query, given), False
        else:
            declined = False
        timings["generate_ms"] = round((time.perf_counter() - retrieved) * 1000, 1)
        answer = Answer(question, text, sources, self.backend, declined, timings)
        yield Event("done", answer=answer)

    def _finish(self, question: str, text: str, sources: list[Source], declined: bool,
                timings: dict[str, float], retrieved: float) -> Iterator[Event]:
        yield Event("token", text=text)
        elapsed = round((time.perf_counter() - retrieved) * 1000, 1)
        timings.update(first_token_ms=elapsed, generate_ms=elapsed)
        yield Event("done", answer=Answer(question, text, sources, self.backend, declined, timings))

    def ask(self, question: str, history: Sequence[dict[str, str]] = (), **kwargs: object) -> Answer:
        for event in self.stream(question, history, **kwargs):  # type: ignore[arg-type]
            if event.kind == "done" and event.answer is not None:
                return event.answer
        raise RuntimeError("the answer stream ended without an answer")
