"""The answers that come from the whole corpus rather than from a few passages: figures
questions ("how many data engineer postings ask for Spark?") and pasted postings. The
pipeline asks this component first; `None` means the question is an ordinary one."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass

from assistant.analytics import ROLE_LABELS, Corpus, with_article
from assistant.answer import (
    DECLINE,
    Answer,
    FiguresAsked,
    Source,
    build_messages,
    check_citations,
    condense,
    extractive_answer,
    is_decline,
    sources_from,
)
from assistant.claims import Checked, about_author, check_answer
from assistant.classify import Classification, classify
from assistant.corpus_answers import (
    coverage_note,
    figures_request,
    figures_sources,
    figures_summary,
    looks_like_posting,
    posting_check_text,
)
from assistant.events import Event, stated
from assistant.figures import comparison_sentence
from assistant.injection import drop_obeyed, strip_instructions
from assistant.llm import ChatModel, Sampling
from assistant.mismatch import readings
from assistant.reading_answers import (
    MismatchAsked,
    RelatedAsked,
    mismatch_request,
    mismatch_sentences,
    mismatch_sources,
    related_answer,
    related_request,
)
from assistant.related import related_skills
from assistant.roles import roles_in, roles_named
from assistant.segment_answers import GroupQuestion, group_question, group_sentences, group_source
from assistant.types import Retriever


@dataclass(frozen=True)
class PostingCheck:
    corpus: Corpus
    result: Classification
    closest: list[Source]
    article: list[Source]

    def to_json(self) -> dict[str, object]:
        from assistant.figures import classification_json

        return {**classification_json(self.result, self.corpus),
                "closest": [asdict(s) for s in self.closest], "article": [asdict(s) for s in self.article]}


@dataclass
class CorpusAnswerer:
    corpus: Callable[[], Corpus]  # the generation's postings, profiled on first use
    retriever: Retriever
    chat: ChatModel | None  # None: the extractive backend
    backend: str
    max_answer_tokens: int = 256

    def answer(self, question: str, history: Sequence[dict[str, str]] = (),
               sampling: Sampling | None = None) -> Iterator[Event] | None:
        """The figures or the posting check the question asks for, or None for any other
        question. `sampling`: the caller's length and temperature for the model's part."""
        asked = strip_instructions(question) or question
        if looks_like_posting(asked):
            return self._posting_check(question, asked)
        corpus = self.corpus()
        query = condense(asked, history)
        if about_author(query):
            # "How many years has the author worked?" and "which practices does the article
            # name?" are the article's to answer, not the postings' figures.
            return None
        mismatch = mismatch_request(query, corpus)
        if mismatch is not None:
            return self._mismatch(question, query, corpus, mismatch)
        related = related_request(query, corpus)
        if related is not None:
            return self._related(question, query, corpus, related)
        groups = group_question(query, corpus)
        if groups is not None:
            return self._group_comparison(question, query, corpus, groups)
        request = figures_request(query, corpus)
        if request is None:
            return None
        return self._figures(question, asked, query, corpus, *request, sampling=sampling or Sampling())

    def comparison(self, question: str, n: int) -> Source | None:
        """For a question that compares two roles, what the postings add, as source `n`:
        the skills each role's postings ask for clearly more often than the other's."""
        roles = roles_in(question)
        if len(roles) != 2:
            return None
        sentence = comparison_sentence(self.corpus(), roles[0], roles[1])
        if sentence is None:
            return None
        title = "Corpus figures: " + " vs ".join(f"{ROLE_LABELS[r]} postings" for r in roles)
        return Source(n, "figures", title, "figures", ",".join(roles), "", f"{title}\n{sentence}", 1.0)

    def coverage(self, sections: Sequence[str]) -> str:
        """What a decline points to: the article's sections and what the postings give."""
        return coverage_note(sections, self.corpus())

    def check_posting(self, text: str) -> PostingCheck:
        """The role a job description reads like, the closest postings, and what the
        article says about that role."""
        corpus = self.corpus()
        result = classify(text, corpus)
        closest = self.retriever.retrieve(text[:2000], k=3, filters={"kind": "posting"})
        article = self.retriever.retrieve(f"What does {with_article(ROLE_LABELS[result.best.role])} do? skills and role",
                                          k=1, filters={"kind": "article"})
        sources = sources_from([*closest, *article])
        return PostingCheck(corpus, result, sources[: len(closest)], sources[len(closest):])

    def _figures(self, question: str, asked: str, query: str, corpus: Corpus, roles: list[str],
                 skills: list[str], *, sampling: Sampling) -> Iterator[Event]:
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
            lead += " Example postings: " + "; ".join(f"{s.heading} [{s.n}]" for s in examples) + "."
        passages = sources[1:1 + len(article)]
        words = extractive_answer(query, passages, max_sentences=1) if passages else DECLINE
        own_words = "" if is_decline(words) or not _on_roles(words, roles) else words
        if self.chat is None or not passages:
            text = f"{lead} {own_words}".strip()
            yield from stated(Answer(question, text, sources, self.backend, False, timings, query=query,
                                     figures=FiguresAsked(roles, skills)), retrieved)
            return
        yield Event("token", text=lead + "\n\n")
        timings["first_token_ms"] = round((time.perf_counter() - retrieved) * 1000, 1)
        pieces = []
        for piece in self.chat.stream(build_messages(f"What does the article say about this? {asked}", passages),
                                      max_tokens=sampling.tokens(self.max_answer_tokens),
                                      temperature=sampling.temperature):
            # The model's words are checked before they are shown (the done event carries
            # them): a reader never sees a sentence the check takes back.
            pieces.append(piece)
            yield Event("writing")
        view, _ = check_citations(drop_obeyed("".join(pieces), [s.text for s in passages], asked),
                                  passages[-1].n, first=passages[0].n)
        # The article's view is checked like any answer; without a backed sentence, its own words.
        checked = Checked("") if is_decline(view) else check_answer(view, passages, asked)
        kept = [support for support in checked.supports if _on_roles(support.sentence, roles)]
        checked = Checked(" ".join(support.sentence for support in kept), kept, [
            *checked.dropped, *((support.sentence, "role: not a role the figures are about")
                                for support in checked.supports if support not in kept)])
        timings["generate_ms"] = round((time.perf_counter() - retrieved) * 1000, 1)
        text = f"{lead}\n\n{checked.text or own_words}".strip()
        yield Event("done", answer=Answer(question, text, sources, self.backend, False, timings, query=query,
                                          supports=checked.supports, figures=FiguresAsked(roles, skills),
                                          dropped=[f"{s} ({why})" for s, why in checked.dropped]))

    def _mismatch(self, question: str, query: str, corpus: Corpus, asked: MismatchAsked) -> Iterator[Event]:
        started = time.perf_counter()
        result = readings(corpus)
        examples = result.examples(asked.title, asked.reads_like, limit=3)
        text = mismatch_sentences(result, corpus, asked, examples)
        yield from self._stated(question, query, text, mismatch_sources(corpus, asked, text, examples), started)

    def _related(self, question: str, query: str, corpus: Corpus, asked: RelatedAsked) -> Iterator[Event]:
        started = time.perf_counter()
        text, sources = related_answer(related_skills(corpus, asked.skill, asked.roles), corpus)
        yield from self._stated(question, query, text, sources, started)

    def _group_comparison(self, question: str, query: str, corpus: Corpus, asked: GroupQuestion) -> Iterator[Event]:
        """Two seniority levels or regions of one role, compared by code: no passage or model
        has these counts."""
        started = time.perf_counter()
        sources = [group_source(corpus, asked)]
        text = " ".join(group_sentences(corpus, asked)) + " [1]"
        yield from self._stated(question, query, text, sources, started, retrieve_ms=0.0)

    def _stated(self, question: str, query: str, text: str, sources: list[Source], started: float,
                retrieve_ms: float | None = None) -> Iterator[Event]:
        """An answer written by code from the whole corpus: its sources, then all of it."""
        if retrieve_ms is None:
            retrieve_ms = round((time.perf_counter() - started) * 1000, 1)
        yield Event("sources", sources=sources)
        yield from stated(Answer(question, text, sources, self.backend, False, {"retrieve_ms": retrieve_ms},
                                 query=query), started)

    def _posting_check(self, question: str, asked: str) -> Iterator[Event]:
        started = time.perf_counter()
        check = self.check_posting(asked)
        retrieved = time.perf_counter()
        timings = {"retrieve_ms": round((retrieved - started) * 1000, 1)}
        sources = [*check.closest, *check.article]
        yield Event("sources", sources=sources)
        text = posting_check_text(check.result, check.corpus, check.closest, check.article)
        yield from stated(Answer(question, text, sources, self.backend, False, timings, query=asked), retrieved)


def _on_roles(sentence: str, roles: Sequence[str]) -> bool:
    """Whether the article's words beside the figures are about their roles: "a growing
    need for ML engineers" is no comment on data engineer postings."""
    named = set(roles_named(sentence))
    return not named or bool(named & set(roles))
