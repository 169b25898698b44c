"""Typo repair and the shortcuts hybrid retrieval takes, checked against the slow ways
they replace: difflib over the whole vocabulary, Chroma's filtered query, a full sort."""

from __future__ import annotations

import difflib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assistant.container import Services
from assistant.lexical import LexicalIndex, Speller, build_lexical
from assistant.retrieval import HybridRetriever, _best, _matches
from assistant.saved_lexical import load_lexical
from tests.conftest import build_index

TEXTS = [
    "The machine learning engineer ships models; the data scientist runs experiments.",
    "A statistician fits GLMs in SAS and R. Engineering, statistics, and Kubernetes.",
    "Scientists and engineers (and analysts) use Python, SQL and C++ every day.",
]


@pytest.fixture(scope="module")
def lexical() -> LexicalIndex:
    return build_lexical([f"c{i}" for i in range(len(TEXTS))], TEXTS, [{"kind": "posting"}] * len(TEXTS))


@pytest.mark.parametrize(("query", "repaired"), [
    ("What does an enginer do", "What does an engineer do"),
    ("scientst skills", "scientist skills"),
    ("Is a statistcian a data scientst?", "Is a statistician a data scientist?"),
    ("kubernets, or not", "kubernetes, or not"),
    ('the "enginer" (scientst)', 'the "engineer" (scientist)'),
])
def test_typos_become_the_corpus_word_and_punctuation_stays(lexical: LexicalIndex, query: str,
                                                            repaired: str) -> None:
    assert lexical.repair(query) == repaired


@pytest.mark.parametrize("query", [
    "Engineers and Scientists use Python",  # known words, whatever their case
    "sas sql glm mle",  # too short to guess at
    "c++ py3torch e-mail",  # not plain words
    "xylophone quartz",  # nothing close enough
])
def test_known_short_and_unlike_words_are_left_alone(lexical: LexicalIndex, query: str) -> None:
    assert lexical.repair(query) == query


def test_an_empty_vocabulary_repairs_nothing() -> None:
    assert Speller([]).repair("What does an enginer do?") == "What does an enginer do?"


@st.composite
def misspelt(draw: st.DrawFn) -> tuple[str, set[str]]:
    """A word, and a vocabulary of words a few edits away from it, many equally close."""
    word = draw(st.text(alphabet="abcé", min_size=4, max_size=9))
    vocabulary = set()
    for _ in range(draw(st.integers(1, 40))):
        other = word
        for _ in range(draw(st.integers(1, 3))):
            at = draw(st.integers(0, len(other)))
            letter = draw(st.sampled_from("abcé1"))
            other = draw(st.sampled_from([other[:at] + letter + other[at:], other[:at] + letter + other[at + 1:],
                                          other[:at] + other[at + 1:]]))
        if len(other) > 3 and other != word:
            vocabulary.add(other)
    return word, vocabulary


@settings(max_examples=500, deadline=None)
@given(misspelt())
def test_the_closest_word_is_the_one_difflib_picks_from_the_whole_vocabulary(case: tuple[str, set[str]]) -> None:
    word, vocabulary = case
    expected = difflib.get_close_matches(word, sorted(vocabulary), n=1, cutoff=0.8)
    assert Speller(vocabulary).closest(word) == (expected[0] if expected else None)


# The shortcuts in HybridRetriever against the shipped corpus indexed with the fakes.


@pytest.fixture
def built(services: Services) -> Services:
    build_index(services)
    return services


QUESTIONS = ["What skills do ML engineers need?", "Why read job postings?", "statistics and experiments",
             "cloud platforms and Kubernetes", "What is a data scientist, according to the author?"]


def test_the_article_ranked_in_memory_matches_the_chroma_query(built: Services) -> None:
    with built.store.reader() as generation:
        retriever = HybridRetriever(generation, built.embedder, load_lexical(generation))
        assert len(retriever._article_rows) > 3
        for question in QUESTIONS:
            vector = built.embedder.embed_batch([question])[0]
            chroma_ids, chroma_similarity = retriever._dense(vector, {"kind": "article"})
            ids, similarity = retriever._dense_article(vector, {"kind": "article"})
            assert ids == chroma_ids
            assert [similarity[i] for i in ids] == pytest.approx([chroma_similarity[i] for i in ids], abs=1e-5)


def test_the_partial_lexical_ranking_is_the_head_of_the_full_one(built: Services) -> None:
    with built.store.reader() as generation:
        retriever = HybridRetriever(generation, built.embedder, load_lexical(generation))
        lexical = retriever.lexical
        for question in QUESTIONS:
            scores = lexical.scores(question)
            # Rare filters make the ranking look past the first candidates.
            for filters in ({}, {"kind": "posting"}, {"role_family": "data_engineer"}, {"company": "nobody"}):
                full = [lexical.ids[i] for i in np.argsort(-scores, kind="stable")
                        if scores[i] > 0 and _matches(lexical.metadatas[i], filters)]
                assert retriever._lexical(scores, filters) == full[: retriever.config.candidates]
            article = [lexical.ids[i] for i in np.argsort(-scores, kind="stable")
                       if scores[i] > 0 and lexical.metadatas[i].get("kind") == "article"]
            assert retriever._lexical_article(scores, {"kind": "article"}) == article[: retriever.config.candidates]


@pytest.mark.parametrize("n", range(1, 9))
def test_the_best_scores_come_in_order_with_ties_in_index_order(n: int) -> None:
    scores = np.array([1, 2, 2, 0, 2, 3, 0, 2, 1], dtype=np.float32)
    assert _best(scores, n).tolist() == [5, 1, 2, 4, 7, 0, 8][:n]


def test_retrieval_embeds_each_question_once(built: Services) -> None:
    with built.store.reader() as generation:
        retriever = HybridRetriever(generation, built.embedder, load_lexical(generation))
        before = len(built.embedder.texts)
        retriever.retrieve("What skills do ML enginers need?")
        retriever.retrieve("What skills do ML engineers need?", filters={"kind": "article"})
        assert built.embedder.texts[before:] == ["What skills do ML engineers need?"] * 2


def _sections(retriever: HybridRetriever, ids: list[str]) -> list[str]:
    return [str(h.metadata.get("section")) for h in retriever._filled([retriever._to_hit(i, 0.0, None) for i in ids])]


def test_a_section_heading_ranks_the_passages_under_it(built: Services) -> None:
    with built.store.reader() as generation:
        retriever = HybridRetriever(generation, built.embedder, load_lexical(generation))
        sections = _sections(retriever, [retriever.lexical.ids[row] for row in retriever._article_rows])
        under = {name: sections.count(name) for name in set(sections)}

        def ranked(question: str) -> list[str]:
            return _sections(retriever, retriever._headings_article(question, {"kind": "article"}))

        assert ranked("Which software engineering practices must ML engineers know?") == (
            ["Software Engineering"] * under["Software Engineering"])
        # Two headings with both their words: each passage of either, in reading order.
        both = ranked("software engineering or technical architecture?")
        assert sorted(both) == sorted(["Software Engineering"] * under["Software Engineering"]
                                      + ["Technical Architecture"] * under["Technical Architecture"])
        assert both == [s for s in sections if s in ("Software Engineering", "Technical Architecture")]
        # Two of the three words of "Machine Learning / Deep Learning" are enough.
        assert set(ranked("Is deep learning part of the job?")) == {"Machine Learning / Deep Learning"}
        # One word of a two-word heading is chance; question words and roles say nothing.
        assert ranked("Which tool does the author call the industry favorite?") == []
        assert ranked("How does the author work with other engineers?") == []
        assert ranked("What is an ML engineer, and where does a data scientist fit?") == []
        assert ranked("Where does industry experience come in?") == []  # not "Where the industry is heading"
        # A heading of roles alone ("Data scientist vs. ML engineer") has no word of its own:
        # its "vs." matched every question with one ("data engineers vs ML engineers").
        assert ranked("ML engineer vs data scientist") == []
        assert ranked("data engineers vs ML engineers?") == []
        assert ranked("What does a data scientist do?") == []


def test_the_heading_lifts_its_passage_into_the_article_places(built: Services) -> None:
    with built.store.reader() as generation:
        retriever = HybridRetriever(generation, built.embedder, load_lexical(generation))
        def first(question: str, n: int) -> list[str]:
            return [str(h.metadata.get("section")) for h in retriever.retrieve(question) if h.kind == "article"][:n]

        # Without the heading each of these passages ties with others or ranks below them.
        assert first("What software engineering practices does the article say ML engineers need?", 1) == [
            "Software Engineering"]
        assert first("What are the three skillsets?", 1) == ["The three skillsets of an ML engineer"]
        assert first("What does technical architecture involve?", 2) == ["Technical Architecture"] * 2
