"""One streamed answering path: retrieve, prompt, stream, check citations, fall back.

`ask()` collects the stream; there is no separate non-streaming path.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Generator, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, Protocol

from assistant.answer import (
    DECLINE,
    Answer,
    Source,
    build_core_messages,
    build_messages,
    check_citations,
    condense,
    core_prefix,
    extractive_answer,
    is_decline,
    sources_from,
    supported,
)
from assistant.claims import Checked, answers_the_question, check_answer, complete_comparison, only_says_not_covered
from assistant.injection import drop_obeyed, strip_instructions
from assistant.llm import ChatModel
from assistant.retrieval import about_postings
from assistant.types import Hit

if TYPE_CHECKING:
    from assistant.analytics import Corpus
    from assistant.classify import Classification


def grounded(text: str, sources: list[Source], question: str, query: str | None = None,
             skills_in: Callable[[str], set[str]] | None = None, evidence: list[Source] | None = None) -> Checked:
    """An answer with only what its sources back, that takes up the question, and that
    says what the sources say of each role a comparison names. An answer of which nothing
    is backed is replaced by sentences of the retrieved `evidence` (all `sources` when not
    given) for the search `query` (the question, or its rewrite with the conversation),
    checked the same way; one that only says the sources do not cover the question is a
    decline."""
    def checked_answer(candidate: str) -> Checked:
        return answers_the_question(check_answer(candidate, sources, question), question, skills_in)

    if is_decline(text) or only_says_not_covered(text):
        return Checked("", [], [(text, "the model declined")])
    checked = checked_answer(text)
    evidence = evidence if evidence is not None else sources
    if not checked.supports:
        # A comparison falls back to one source sentence per role; any other question to
        # the sentences that share most with it.
        fallback = answers_the_question(complete_comparison(Checked(""), question, evidence), question, skills_in)
        fallback = fallback if fallback.supports else checked_answer(extractive_answer(query or question, evidence))
        checked = Checked(fallback.text, fallback.supports, checked.dropped + fallback.dropped)
    # The other side of a comparison may come from any source given (the whole article).
    return complete_comparison(checked, question, sources) if checked.supports else checked


class Retriever(Protocol):
    def retrieve(self, query: str, *, k: int | None = None, filters: dict[str, str] | None = None) -> list[Hit]: ...


@dataclass(frozen=True)
class Event:
    kind: Literal["sources", "token", "done"]
    sources: list[Source] | None = None
    text: str = ""
    answer: Answer | None = None


@dataclass(frozen=True)
class PostingCheck:
    corpus: Corpus
    result: Classification
    closest: list[Source]
    article: list[Source]

    def to_json(self) -> dict[str, object]:
        from dataclasses import asdict

        from assistant.figures import classification_json

        return {**classification_json(self.result, self.corpus),
                "closest": [asdict(s) for s in self.closest], "article": [asdict(s) for s in self.article]}


@dataclass
class Assistant:
    retriever: Retriever
    chat: ChatModel | None  # None: the extractive backend
    backend: str
    min_relevance: float = 0.3
    prompt_sources: int = 4
    max_answer_tokens: int = 256
    # The whole corpus's postings, for figures questions and posting checks (loaded on first use).
    corpus: Callable[[], Corpus] | None = None
    # The article's passages, numbered 1..N, when it fits the model's context: every prompt
    # then starts with all of it (see `_generate_with_core`).
    core: list[Source] | None = None
    # The skills and tools a text names (the taxonomy's matcher): a question about Rust is
    # not answered by sentences that never mention it.
    skills_in: Callable[[str], set[str]] | None = None

    def warm(self) -> None:
        """Have the chat model hold the article prefix now rather than at the first question."""
        prepare = getattr(self.chat, "prepare", None)
        if prepare is not None and self.core:
            prepare(core_prefix(self.core))

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
        if evidence is None and self.corpus is not None:
            special = self._corpus_answer(question, history)
            if special is not None:
                yield from special
                return
        asked, query, hits = evidence or self.evidence(question, history, filters=filters, k=k)
        retrieved = time.perf_counter()
        sources = sources_from(hits)
        timings = {"retrieve_ms": round((retrieved - started) * 1000, 1)}
        relevance = max((h.similarity for h in hits), default=0.0)
        # A follow-up is judged with the words its rewrite borrowed from the conversation.
        if not supported(query, sources, relevance=relevance, min_relevance=self.min_relevance):
            # Nothing relevant: show no evidence rather than unrelated passages.
            yield Event("sources", sources=[])
            yield from self._finish(question, DECLINE, [], True, timings, retrieved,
                                    answer=Answer(question, DECLINE, [], self.backend, True, timings, query=query))
            return
        if self.chat is not None and self.core:
            yield from self._generate_with_core(self.chat, question, asked, query, history, hits, timings, retrieved)
            return
        yield Event("sources", sources=sources)
        if self.chat is None:
            checked = grounded(extractive_answer(query, sources), sources, asked, query, self.skills_in)
            answer = self._answer(question, query, checked, sources, timings)
            yield from self._finish(question, answer.answer, answer.sources, answer.declined, timings, retrieved,
                                    answer=answer)
            return
        yield from self._generate(self.chat, question, asked, query, history, sources, timings, retrieved)

    def _generate(self, chat: ChatModel, question: str, asked: str, query: str, history: Sequence[dict[str, str]],
                  sources: list[Source], timings: dict[str, float], retrieved: float) -> Iterator[Event]:
        given = sources[: self.prompt_sources]
        streamed = yield from self._tokens(chat, build_messages(asked, given, history), timings, retrieved)
        text, _ = check_citations(streamed, len(given))
        text = drop_obeyed(text, [s.text for s in given], asked)
        checked = grounded(text, given, asked, query, self.skills_in)
        timings["generate_ms"] = round((time.perf_counter() - retrieved) * 1000, 1)
        yield Event("done", answer=self._answer(question, query, checked, sources, timings))

    def _generate_with_core(self, chat: ChatModel, question: str, asked: str, query: str,
                            history: Sequence[dict[str, str]], hits: list[Hit], timings: dict[str, float],
                            retrieved: float) -> Iterator[Event]:
        """The whole article is the prompt's fixed prefix, numbered 1..N; postings follow it
        only when the question is about postings, so an article question costs the model
        little more than its own words."""
        core = self.core or []
        by_id = {s.id: s for s in core}
        shown = [by_id[h.chunk_id] for h in hits if h.chunk_id in by_id]
        # A posting whose company the question names comes first.
        postings = sorted((h for h in hits if h.kind != "article"),
                          key=lambda h: not (h.company and h.company.lower() in asked.lower()))
        extra = sources_from(postings[: max(0, self.prompt_sources - 1)], start=len(core) + 1) \
            if postings and self._needs_postings(asked, hits) else []
        yield Event("sources", sources=[*shown, *extra])
        given = [*core, *extra]
        prepare = getattr(chat, "prepare", None)  # a model that can keep the prefix evaluated
        if prepare is not None:
            spent = prepare(core_prefix(core))
            if spent:
                timings["prefix_ms"] = round(spent * 1000, 1)
            retrieved = time.perf_counter()
        streamed = yield from self._tokens(chat, build_core_messages(asked, core, extra, history), timings, retrieved)
        text, _ = check_citations(streamed, len(given))
        checked = grounded(drop_obeyed(text, [s.text for s in given], asked), given, asked, query, self.skills_in,
                           evidence=[*shown, *extra])
        cited = {s.source for s in checked.supports} | {int(n) for n in re.findall(r"\[(\d+)\]", checked.text)}
        sources = sorted({s.n: s for s in [*shown, *extra, *(s for s in given if s.n in cited)]}.values(),
                         key=lambda s: s.n)
        timings["generate_ms"] = round((time.perf_counter() - retrieved) * 1000, 1)
        yield Event("done", answer=self._answer(question, query, checked, sources, timings))

    def _tokens(self, chat: ChatModel, messages: list[dict[str, str]], timings: dict[str, float],
                since: float) -> Generator[Event, None, str]:
        """Stream the model's answer as token events, timing the first; returns the text."""
        pieces: list[str] = []
        for piece in chat.stream(messages, max_tokens=self.max_answer_tokens):
            if not pieces:
                timings["first_token_ms"] = round((time.perf_counter() - since) * 1000, 1)
            pieces.append(piece)
            yield Event("token", text=piece)
        return "".join(pieces)

    @staticmethod
    def _needs_postings(question: str, hits: list[Hit]) -> bool:
        """Postings join the prompt when the question asks about them, or when a posting
        is closer to it than any article passage."""
        if about_postings(question):
            return True
        best = {kind: max((h.similarity for h in hits if (h.kind == "article") == (kind == "article")), default=0.0)
                for kind in ("article", "posting")}
        return best["posting"] > best["article"] + 0.05

    def _answer(self, question: str, query: str, checked: Checked, sources: list[Source],
                timings: dict[str, float]) -> Answer:
        """The checked answer, or a decline when no sentence of it is backed by a source."""
        declined = not checked.supports
        return Answer(question, DECLINE if declined else checked.text, sources, self.backend,
                      declined, timings, query=query, supports=checked.supports,
                      dropped=[f"{sentence} ({why})" for sentence, why in checked.dropped])

    def _corpus_answer(self, question: str, history: Sequence[dict[str, str]]) -> Iterator[Event] | None:
        """Figures across the whole corpus, or a posting check, when the question asks for one."""
        from assistant import corpus_answers as ca

        asked = strip_instructions(question) or question
        if ca.looks_like_posting(asked):
            return self._posting_check(question, asked)
        corpus = self.corpus()  # type: ignore[misc]
        query = condense(asked, history)
        request = ca.figures_request(query, corpus)
        if request is None:
            return None
        return self._figures(question, asked, query, corpus, *request)

    def _figures(self, question: str, asked: str, query: str, corpus: Corpus, roles: list[str],
                 skills: list[str]) -> Iterator[Event]:
        from assistant.corpus_answers import figures_sources, figures_summary

        started = time.perf_counter()
        article = self.retriever.retrieve(query, k=2, filters={"kind": "article"})
        sources = figures_sources(corpus, roles, skills, article)
        retrieved = time.perf_counter()
        timings = {"retrieve_ms": round((retrieved - started) * 1000, 1)}
        yield Event("sources", sources=sources)
        # The figures are stated by code, exactly; the model only reports the article's view,
        # from the article's passages alone, so it cannot misquote a number.
        lead = figures_summary(corpus, roles, skills)
        examples = [s for s in sources if s.kind == "posting"]
        if examples:
            lead += " Example postings: " + "; ".join(
                f"{s.heading} [{s.n}]" for s in examples) + "."
        passages = sources[1:1 + len(article)]
        words = extractive_answer(query, passages, max_sentences=1) if passages else DECLINE
        if self.chat is None or not passages:
            text = lead if is_decline(words) else f"{lead} {words}"
            yield from self._finish(question, text, sources, False, timings, retrieved)
            return
        yield Event("token", text=lead + "\n\n")
        timings["first_token_ms"] = round((time.perf_counter() - retrieved) * 1000, 1)
        pieces = []
        for piece in self.chat.stream(build_messages(f"What does the article say about this? {asked}", passages),
                                      max_tokens=self.max_answer_tokens):
            pieces.append(piece)
            yield Event("token", text=piece)
        view, _ = check_citations(drop_obeyed("".join(pieces), [s.text for s in passages], asked),
                                  passages[-1].n, first=passages[0].n)
        # The article's view is checked like any answer; without a backed sentence, its own words.
        checked = Checked("") if is_decline(view) else check_answer(view, passages, asked)
        view = checked.text or ("" if is_decline(words) else words)
        timings["generate_ms"] = round((time.perf_counter() - retrieved) * 1000, 1)
        text = f"{lead}\n\n{view}".strip()
        yield Event("done", answer=Answer(question, text, sources, self.backend, False, timings))

    def check_posting(self, text: str) -> PostingCheck:
        """The role a job description reads like, the closest postings, and what the
        article says about that role."""
        from assistant.analytics import ROLE_LABELS, with_article
        from assistant.classify import classify

        corpus = self.corpus()  # type: ignore[misc]
        result = classify(text, corpus)
        closest = self.retriever.retrieve(text[:2000], k=3, filters={"kind": "posting"})
        article = self.retriever.retrieve(f"What does {with_article(ROLE_LABELS[result.best.role])} do? skills and role",
                                          k=1, filters={"kind": "article"})
        sources = sources_from([*closest, *article])
        return PostingCheck(corpus, result, sources[: len(closest)], sources[len(closest):])

    def _posting_check(self, question: str, asked: str) -> Iterator[Event]:
        from assistant.corpus_answers import posting_check_text

        started = time.perf_counter()
        check = self.check_posting(asked)
        retrieved = time.perf_counter()
        timings = {"retrieve_ms": round((retrieved - started) * 1000, 1)}
        sources = [*check.closest, *check.article]
        yield Event("sources", sources=sources)
        text = posting_check_text(check.result, check.corpus, check.closest, check.article)
        yield from self._finish(question, text, sources, False, timings, retrieved)

    def _finish(self, question: str, text: str, sources: list[Source], declined: bool,
                timings: dict[str, float], retrieved: float, *, answer: Answer | None = None) -> Iterator[Event]:
        yield Event("token", text=text)
        elapsed = round((time.perf_counter() - retrieved) * 1000, 1)
        timings.update(first_token_ms=elapsed, generate_ms=elapsed)
        yield Event("done", answer=answer or Answer(question, text, sources, self.backend, declined, timings))

    def ask(self, question: str, history: Sequence[dict[str, str]] = (), **kwargs: object) -> Answer:
        for event in self.stream(question, history, **kwargs):  # type: ignore[arg-type]
            if event.kind == "done" and event.answer is not None:
                return event.answer
        raise RuntimeError("the answer stream ended without an answer")
