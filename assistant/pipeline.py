"""One streamed answering path: retrieve, prompt, stream, check citations, fall back.

`ask()` collects the stream; there is no separate non-streaming path.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Generator, Iterator, Sequence
from dataclasses import dataclass

from assistant.answer import (
    DECLINE,
    MAX_SCORE_BEHIND_BEST,
    Answer,
    Closeness,
    FiguresAsked,
    Source,
    Support,
    build_core_messages,
    build_messages,
    check_citations,
    condense,
    core_prefix,
    extractive_answer,
    is_decline,
    named_companies,
    scored,
    scored_sentences,
    sources_from,
    supported,
    topic_stems,
)
from assistant.claims import (
    Checked,
    about_author,
    answerable_from,
    answers_the_question,
    beyond_the_question,
    check_answer,
    complete_comparison,
    only_says_not_covered,
)
from assistant.corpus_answerer import CorpusAnswerer
from assistant.events import Event, stated
from assistant.injection import drop_obeyed, strip_instructions
from assistant.llm import ChatModel, Sampling
from assistant.retrieval import about_postings
from assistant.sentences import answer_sentences
from assistant.types import Hit, Retriever


def grounded(text: str, sources: list[Source], question: str, query: str | None = None,
             skills_in: Callable[[str], set[str]] | None = None, evidence: list[Source] | None = None,
             closeness: Closeness | None = None) -> Checked:
    """An answer with only what its sources back, that takes up the question, and that
    says what the sources say of each role a comparison names. An answer of which nothing
    is backed is replaced by sentences of the retrieved `evidence` (all `sources` when not
    given) for the search `query` (the question, or its rewrite with the conversation),
    checked the same way; one that only says the sources do not cover the question is a
    decline."""
    def checked_answer(candidate: str) -> Checked:
        if is_decline(candidate):  # an extractive answer that found nothing is no claim to check
            return Checked("")
        return answers_the_question(beyond_the_question(check_answer(candidate, sources, question), question),
                                    question, skills_in)

    # A small model declines questions its sources do answer ("Does the author give a
    # precise definition?"), so its decline is a claim like any other: the retrieved
    # sentences are tried, under the same checks, before the answer is a decline.
    declined = is_decline(text) or only_says_not_covered(text)
    checked = Checked("", [], [(text, "the model declined")]) if declined else checked_answer(text)
    evidence = evidence if evidence is not None else sources
    if not checked.supports:
        # A comparison falls back to one source sentence per role; any other question to
        # the sentences that share most with it.
        fallback = answers_the_question(complete_comparison(Checked(""), question, evidence), question, skills_in)
        fallback = fallback if fallback.supports else checked_answer(extractive_answer(
            query or question, answerable_from(question, evidence), closeness=closeness, skills_in=skills_in))
        if declined and not _takes_up(question, fallback, closeness):
            # Over the model's own decline only a sentence plainly on the question stands:
            # "Does the article cover remote work?" is not answered by "... complete their work".
            fallback = Checked("", [], fallback.dropped)
        checked = Checked(fallback.text, fallback.supports, checked.dropped + fallback.dropped)
    if checked.supports:
        cited = {s.source for s in checked.supports}
        checked = with_the_best(checked, question, query or question,
                                [*evidence, *(s for s in sources if s.n in cited)], closeness, skills_in)
    # The other side of a comparison may come from any source given (the whole article).
    return complete_comparison(checked, question, sources) if checked.supports else checked


def with_the_best(checked: Checked, question: str, query: str, sources: Sequence[Source],
                  closeness: Closeness | None = None, skills_in: Callable[[str], set[str]] | None = None) -> Checked:
    """The answer with the source sentence that bears most on the question, when every
    sentence of the answer scores far below that one, by the measure and margin an
    extractive answer uses ("Python" for "which software engineering practices", where the
    article lists unit testing, security scanning and CI/CD). The answer's own sentences
    stay; sentences the check put in for a misquote give way."""
    pool = answerable_from(question, list({s.n: s for s in sources}.values()))
    ranked = scored_sentences(query, pool, closeness=closeness, skills_in=skills_in)
    if not ranked:
        return checked
    best = ranked[0]
    # A sentence of the answer is scored by what backs it, as it is (a backing sentence no
    # extractive answer would quote still counts), or with the answer's own words, which may
    # be what takes up the question ("The technical architecture skillset involves building a
    # blueprint ..." rests on "This is the “blueprint” that ...").
    # A sentence that only says the question's words back ("The Fourth Coffee machine learning
    # engineer job is not really ML engineering", whose source says it is "much closer to an
    # analytics or junior data science role") gives no reason, so its backing does not count.
    asked = topic_stems(question)
    candidates = [(s.source, 0, text) for s in checked.supports
                  if not topic_stems(re.sub(r"\[\d+\]", "", s.sentence)) <= asked
                  for text in (s.evidence, f"{s.sentence} {s.evidence}")]
    on = scored(query, candidates, named_companies(question, pool), closeness=closeness, skills_in=skills_in)
    # Closeness in meaning alone does not overrule the model: the best sentence must also
    # share more of the question's words than any of the answer.
    if any(o.score >= best.score - MAX_SCORE_BEHIND_BEST or o.shared >= best.shared for o in on):
        return checked
    kept = [s for s in checked.supports if s.status != "replaced"]
    supports = [*kept, Support(f"{best.sentence.rstrip(' .')} [{best.n}].", best.n, best.sentence, "added")]
    dropped = [(s.sentence, "a source sentence put in for a misquote, far less on the question than another")
               for s in checked.supports if s not in kept]
    return Checked(" ".join(s.sentence for s in supports), supports, [*checked.dropped, *dropped])


# The words of the question a sentence must share to answer it over the model's decline,
# or how close in meaning it must be without them: above the 0.55 an extractive answer asks
# of a sentence that shares no word, as the model's decline is a judgement too. Read from
# two answers: 0.68 for the article's "Data science is known as such because it mirrors the
# scientific method" (asked where the name comes from), 0.62 for "a growing need for ML
# engineers" (asked whether the article says anything about working remotely).
MIN_SHARED_OVER_DECLINE = 2
MIN_CLOSENESS_OVER_DECLINE = 0.65


def _takes_up(question: str, checked: Checked, closeness: Closeness | None = None) -> bool:
    """Whether a source sentence the answer rests on shares enough of the question's own
    words (roles aside: they are in most sentences), stems compared, or is as close to it in
    meaning as a sentence without a shared word must be ("where the name 'data science'
    comes from": "Data science is known as such because it mirrors the scientific method")."""
    asked = topic_stems(question)
    if any(len(asked & topic_stems(s.evidence)) >= MIN_SHARED_OVER_DECLINE for s in checked.supports):
        return True
    evidence = [s.evidence for s in checked.supports]
    return bool(closeness and evidence and max(closeness(question, evidence)) >= MIN_CLOSENESS_OVER_DECLINE)


@dataclass
class Assistant:
    retriever: Retriever
    chat: ChatModel | None  # None: the extractive backend
    backend: str
    min_relevance: float = 0.3
    prompt_sources: int = 4
    max_answer_tokens: int = 256
    # Figures questions and pasted postings, answered from the whole corpus before retrieval.
    corpus_answers: CorpusAnswerer | None = None
    # The article's passages, numbered 1..N, when it fits the model's context: every prompt
    # then starts with all of it (see `_generate_with_core`).
    core: list[Source] | None = None
    # The skills and tools a text names (the taxonomy's matcher): a question about Rust is
    # not answered by sentences that never mention it.
    skills_in: Callable[[str], set[str]] | None = None
    # How close in meaning sentences are to the question, for extractive answers.
    closeness: Closeness | None = None
    # What the corpus can answer, said after a decline.
    coverage: Callable[[], str] | None = None

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
        sampling: Sampling | None = None,
    ) -> Iterator[Event]:
        """`evidence` is what `evidence()` returned for this question, when the caller
        needed it first (the evaluation does), so it is not retrieved twice. `sampling`: the
        caller's answer length and temperature for the model, if any writes the answer."""
        started = time.perf_counter()
        sampling = sampling or Sampling()
        # Figures come first with evidence given too: the evaluation must see what a user sees.
        if self.corpus_answers is not None:
            special = self.corpus_answers.answer(question, history, sampling)
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
            yield from stated(Answer(question, self._decline(), [], self.backend, True, timings, query=query),
                              retrieved)
            return
        if self.chat is not None and self.core:
            yield from self._generate_with_core(self.chat, question, asked, query, history, hits, timings, retrieved,
                                                sampling)
            return
        figures = self._figures(asked, len(sources) + 1)
        yield Event("sources", sources=[*sources, *figures])
        if self.chat is None:
            quoted = extractive_answer(query, answerable_from(asked, sources), closeness=self.closeness,
                                       skills_in=self.skills_in)
            checked = grounded(quoted, sources, asked, query, self.skills_in, closeness=self.closeness)
            yield from stated(self._answer(question, query, checked, sources, timings, figures), retrieved)
            return
        yield from self._generate(self.chat, question, asked, query, history, sources, timings, retrieved, figures,
                                  sampling)

    def _generate(self, chat: ChatModel, question: str, asked: str, query: str, history: Sequence[dict[str, str]],
                  sources: list[Source], timings: dict[str, float], retrieved: float,
                  figures: list[Source], sampling: Sampling) -> Iterator[Event]:
        given = sources[: self.prompt_sources]
        streamed = yield from self._tokens(chat, build_messages(asked, given, history), timings, retrieved,
                                           self._backed(given, given, asked), sampling)
        text, _ = check_citations(streamed, len(given))
        text = drop_obeyed(text, [s.text for s in given], asked)
        checked = grounded(text, given, asked, query, self.skills_in, closeness=self.closeness)
        timings["generate_ms"] = round((time.perf_counter() - retrieved) * 1000, 1)
        yield Event("done", answer=self._answer(question, query, checked, sources, timings, figures))

    def _generate_with_core(self, chat: ChatModel, question: str, asked: str, query: str,
                            history: Sequence[dict[str, str]], hits: list[Hit], timings: dict[str, float],
                            retrieved: float, sampling: Sampling) -> Iterator[Event]:
        """The whole article is the prompt's fixed prefix, numbered 1..N; postings follow it
        only when the question is about postings, so an article question costs the model
        little more than its own words."""
        core = self.core or []
        by_id = {s.id: s for s in core}
        shown = [by_id[h.chunk_id] for h in hits if h.chunk_id in by_id]
        # A posting whose company the question names comes first.
        postings = sorted((h for h in hits if h.kind != "article"),
                          key=lambda h: not (h.company and h.company.lower() in asked.lower()))
        retrieved_postings = sources_from(postings[: max(0, self.prompt_sources - 1)], start=len(core) + 1)
        extra = retrieved_postings if postings and self._needs_postings(asked, hits) else []
        figures = self._figures(asked, len(core) + len(retrieved_postings) + 1)
        yield Event("sources", sources=[*shown, *extra, *figures])
        given = [*core, *extra]
        prepare = getattr(chat, "prepare", None)  # a model that can keep the prefix evaluated
        if prepare is not None:
            spent = prepare(core_prefix(core))
            if spent:
                timings["prefix_ms"] = round(spent * 1000, 1)
            retrieved = time.perf_counter()
        # An answer the sources do not back falls back to the retrieved sentences, the
        # postings' and role notes' too ("Do ML engineers need statistics?" has its answer
        # in a role note), though the model was given only the article.
        pool = [*core, *retrieved_postings]  # `extra` is all of `retrieved_postings` or none of it
        streamed = yield from self._tokens(chat, build_core_messages(asked, core, extra, history), timings, retrieved,
                                           self._backed(given, pool, asked), sampling)
        text, _ = check_citations(streamed, len(given))
        # A question about the author falls back to the whole article: retrieval can miss
        # the one aside that answers it ("Is the writer job hunting?").
        article = core if about_author(asked) else shown
        checked = grounded(drop_obeyed(text, [s.text for s in given], asked), pool, asked, query, self.skills_in,
                           evidence=[*article, *retrieved_postings], closeness=self.closeness)
        cited = {s.source for s in checked.supports} | {int(n) for n in re.findall(r"\[(\d+)\]", checked.text)}
        sources = sorted({s.n: s for s in [*shown, *extra, *(s for s in pool if s.n in cited)]}.values(),
                         key=lambda s: s.n)
        timings["generate_ms"] = round((time.perf_counter() - retrieved) * 1000, 1)
        yield Event("done", answer=self._answer(question, query, checked, sources, timings, figures))

    def _tokens(self, chat: ChatModel, messages: list[dict[str, str]], timings: dict[str, float],
                since: float, backed: Callable[[str], str | None], sampling: Sampling) -> Generator[Event, None, str]:
        """Stream the model's answer, a sentence at a time and only the sentences `backed`
        accepts, as it corrects them, timing the first token and the first words shown;
        returns the whole text as the model wrote it.
        A reader never sees a claim the check will take back (an invented salary shown for
        the seconds until the answer is replaced)."""
        pieces: list[str] = []
        settled = 0  # characters of the text already shown or held back

        def judged(sentences: list[str]) -> Iterator[Event]:
            nonlocal settled
            for sentence in sentences:
                settled += len(sentence)
                shown = backed(sentence) if sentence.strip() else None
                if shown:
                    timings.setdefault("first_shown_ms", round((time.perf_counter() - since) * 1000, 1))
                    yield Event("token", text=shown)

        for piece in chat.stream(messages, max_tokens=sampling.tokens(self.max_answer_tokens),
                                 temperature=sampling.temperature):
            if not pieces:
                timings["first_token_ms"] = round((time.perf_counter() - since) * 1000, 1)
            pieces.append(piece)
            unsettled = "".join(pieces)[settled:]
            # Only where a sentence can have ended; the last one may go on.
            ready = list(judged(answer_sentences(unsettled)[:-1])) if re.search(r"[.!?\]\n]", unsettled) else []
            yield from ready or [Event("writing")]
        text = "".join(pieces)
        yield from judged(answer_sentences(text[settled:]))
        return text

    def _backed(self, given: list[Source], pool: list[Source], asked: str) -> Callable[[str], str | None]:
        """The next streamed sentence as the checks of the whole answer will leave it (a
        right claim citing the wrong source points at the right one), or None when they
        would drop it, judged after the sentences already shown (a second sentence backed
        by the same source sentence is a repeat the answer drops)."""
        texts = [s.text for s in given]
        shown: list[str] = []

        def backed(sentence: str) -> str | None:
            text, _ = check_citations(sentence, len(given))
            if drop_obeyed(text, texts, asked).strip() != text.strip():
                return None
            checked = check_answer("".join([*shown, text]), pool, asked)
            if not checked.text.strip() or checked.dropped:
                return None
            shown.append(text)
            alone = check_answer(text, pool, asked).text.rstrip()
            return (alone or text.rstrip()) + sentence[len(sentence.rstrip()):]  # the space before the next one

        return backed

    @staticmethod
    def _needs_postings(question: str, hits: list[Hit]) -> bool:
        """Postings join the prompt when the question asks about them, or when a posting
        is closer to it than any article passage."""
        if about_postings(question):
            return True
        best = {kind: max((h.similarity for h in hits if (h.kind == "article") == (kind == "article")), default=0.0)
                for kind in ("article", "posting")}
        return best["posting"] > best["article"] + 0.05

    def _figures(self, question: str, n: int) -> list[Source]:
        """The corpus figures a comparison of two roles gets, as source `n` (none or one).
        A question about the author or the article gets the article's words alone."""
        if self.corpus_answers is None or about_author(question):
            return []
        figures = self.corpus_answers.comparison(question, n)
        return [figures] if figures is not None else []

    def _answer(self, question: str, query: str, checked: Checked, sources: list[Source],
                timings: dict[str, float], figures: Sequence[Source] = ()) -> Answer:
        """The checked answer, or a decline when no sentence of it is backed by a source.
        The figures of a comparison follow an answer, stated by code, never alone."""
        declined = not checked.supports
        text, supports, asked = checked.text, checked.supports, None
        if not declined:
            for source in figures:
                sentence = source.text.partition("\n")[2]
                text += f"\n\n{sentence.removesuffix('.')} [{source.n}]."
                supports = [*supports, Support(sentence, source.n, sentence, "supported")]
                sources = [*sources, source]
                asked = FiguresAsked(source.role.split(","))
        return Answer(question, self._decline() if declined else text, sources, self.backend,
                      declined, timings, query=query, supports=supports, figures=asked,
                      dropped=[f"{sentence} ({why})" for sentence, why in checked.dropped])

    def _decline(self) -> str:
        return f"{DECLINE} {self.coverage()}".strip() if self.coverage is not None else DECLINE

    def ask(self, question: str, history: Sequence[dict[str, str]] = (), **kwargs: object) -> Answer:
        for event in self.stream(question, history, **kwargs):  # type: ignore[arg-type]
            if event.kind == "done" and event.answer is not None:
                return event.answer
        raise RuntimeError("the answer stream ended without an answer")
