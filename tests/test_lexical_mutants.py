"""BM25 scores worked out by hand with the Lucene formula, the words BM25 and typo repair
see, the letter counts a saved speller reuses, and how few words typo repair compares
(issue 18, mutation testing). No store: indexes are built in memory."""

from __future__ import annotations

import difflib
import math

import numpy as np
import pytest

from assistant.lexical import _BUCKETS, LexicalIndex, Speller, _bucket, build_lexical

# After stopwords and stemming: [model, skill], [engin, run, model, daili], [noth, here, all].
TEXTS = ["The models and the skills", "Engineers run models daily", "Nothing here at all"]


@pytest.fixture
def index() -> LexicalIndex:
    # Built for each test (milliseconds): mutmut links build_lexical only to the tests that call it.
    return build_lexical(["a", "b", "c"], TEXTS, [{"kind": "posting", "title": "T", "doc_id": "d1"},
                                                  {"kind": "article", "section": "S"}, {}])


def test_the_index_keeps_ids_and_only_the_routing_fields_in_order(index: LexicalIndex) -> None:
    assert len(index) == 3 and index.ids == ["a", "b", "c"]
    assert index.metadatas == [{"kind": "posting", "doc_id": "d1"}, {"kind": "article"}, {}]


def test_stems_drop_stopwords_and_stem_the_rest(index: LexicalIndex) -> None:
    assert index.stems("The models and the skills") == ["model", "skill"]
    assert index.stems("Engineering, running!") == ["engin", "run"]
    assert index.stems("the and at") == []


def test_scores_are_lucene_bm25_counted_by_hand(index: LexicalIndex) -> None:
    # bm25s defaults: k1 = 1.5, b = 0.75; idf = ln(1 + (N - df + 0.5) / (df + 0.5)) and a term
    # counts tf / (tf + k1 * (1 - b + b * dl / avgdl)). "model" is in 2 of the 3 chunks, which
    # have 2, 4 and 3 words after stopwords (avgdl 3): a stopword indexed would change them.
    k1, b, avgdl = 1.5, 0.75, 3.0
    idf = math.log(1 + (3 - 2 + 0.5) / (2 + 0.5))

    def term(dl: int) -> float:
        return idf * 1 / (1 + k1 * (1 - b + b * dl / avgdl))

    scores = index.scores("Which models?")
    assert scores.dtype == np.float32 and scores.shape == (3,)
    assert scores.tolist() == pytest.approx([term(2), term(4), 0.0], rel=1e-6)
    assert scores.tolist() == pytest.approx([0.2211782, 0.1634795, 0.0], rel=1e-6)
    # A word the chunks never use adds nothing; the known ones still count.
    assert index.scores("models xyzzy").tolist() == pytest.approx(scores.tolist(), rel=1e-6)
    # Stemmed on both sides: "engineering" finds "Engineers", in the second chunk only.
    engin = index.scores("engineering")
    assert engin[0] == 0 and engin[1] > 0 and engin[2] == 0


def test_a_query_of_unknown_words_or_stopwords_scores_zero_everywhere(index: LexicalIndex) -> None:
    for query in ("xyzzy", "the and at", ""):
        scores = index.scores(query)
        assert scores.dtype == np.float32 and scores.tolist() == [0.0, 0.0, 0.0]


def test_an_index_without_chunks_scores_nothing_and_repairs_nothing() -> None:
    empty = build_lexical([], [], [])
    assert len(empty) == 0 and empty.bm25 is None
    scores = empty.scores("models")
    assert scores.dtype == np.float32 and scores.shape == (0,)
    assert empty.repair("What does an enginer do?") == "What does an enginer do?"


def test_typo_repair_knows_the_corpus_words_of_four_letters_or_more() -> None:
    lexical = build_lexical(["a"], ["SQL and Java and Spark, or scikit-learn"], [{}])
    assert lexical.speller.known == {"java", "spark", "scikit-learn"}
    # "sprk" has four letters, the least repair looks at: 2 * 4 / (4 + 5) = 0.89 against "spark".
    assert lexical.repair("sprk or javva") == "spark or java"
    # "sql" has three letters and is not known, so "sqll" (2 * 3 / 7 = 0.86) stays.
    assert lexical.repair("sqll") == "sqll"


def test_building_and_querying_print_no_progress_bars(capfd: pytest.CaptureFixture[str]) -> None:
    lexical = build_lexical(["a", "b"], TEXTS[:2], [{}, {}])
    lexical.stems("The models")
    lexical.scores("models")
    assert capfd.readouterr().err == ""


def test_letters_have_their_own_buckets_and_other_characters_share_six() -> None:
    # The letter counts are saved beside the words (assistant/saved_lexical.py), so the buckets
    # are part of the saved format: a-z are 0-25, anything else 26 + its code point mod 6.
    assert [_bucket(c) for c in "abyz"] == [0, 1, 24, 25]
    assert _BUCKETS == 32
    assert _bucket("`") == 26 + 96 % 6 == 26  # just before "a"
    assert _bucket("{") == 26 + 123 % 6 == 29  # just after "z"
    assert [_bucket(c) for c in "0-+#.é7A"] == [26, 29, 27, 31, 30, 31, 27, 31]


def test_a_speller_counts_each_letter_of_each_word() -> None:
    speller = Speller(["abca", "zz"])
    assert speller.words == ["zz", "abca"]  # by length, then alphabetically
    assert speller.letters.shape == (_BUCKETS, 2) and speller.letters.dtype == np.uint16
    assert {(int(r), int(c)): int(speller.letters[r, c]) for r, c in zip(*np.nonzero(speller.letters), strict=True)} \
        == {(25, 0): 2, (0, 1): 2, (1, 1): 1, (2, 1): 1}
    # Digits count in the shared buckets like any other character that is no letter.
    assert Speller(["2020", "70"]).closest("20200") == "2020"


def test_saved_letters_are_reused_only_when_they_fit_the_words() -> None:
    words = ["engine", "engineer"]
    counted = Speller(words)
    assert Speller(words, letters=counted.letters).letters is counted.letters
    wrong = np.zeros((_BUCKETS, 1), dtype=np.uint16)
    recounted = Speller(words, letters=wrong)
    assert recounted.letters is not wrong and recounted.letters.tolist() == counted.letters.tolist()
    assert recounted.closest("enginer") == "engineer"


def test_a_word_exactly_at_the_cutoff_or_the_edge_of_the_lengths_is_a_match() -> None:
    # "spork" and "spark" share s, p and r, k: 2 * 4 / (5 + 5) = 0.8, the cutoff itself.
    assert difflib.get_close_matches("spork", ["spark"], n=1, cutoff=0.8) == ["spark"]
    assert Speller(["spark"]).closest("spork") == "spark"
    assert Speller(["spark"]).repair("Is spork needed?") == "Is spark needed?"
    # A word half as long again, or two thirds as long, can still reach 0.8: 2 * 4 / (4 + 6).
    assert Speller(["sparks"]).closest("spar") == "sparks"
    assert Speller(["spar"]).closest("sparks") == "spar"
    # One letter more either way cannot: 2 * 4 / (4 + 7) = 0.73, 2 * 3 / (3 + 5) = 0.75.
    assert Speller(["sparkss"]).closest("spar") is None
    assert Speller(["spa"]).closest("spark") is None


def test_typo_repair_compares_only_words_whose_bound_can_still_win(monkeypatch: pytest.MonkeyPatch) -> None:
    compared: list[str] = []

    class Counting(difflib.SequenceMatcher):
        def ratio(self) -> float:
            compared.append(str(self.a))
            return super().ratio()

    monkeypatch.setattr(difflib, "SequenceMatcher", Counting)
    # Bounds for "enginer" (e2 n2 g i r): engineer 2*7/15 = 0.93, engine 2*6/13 = 0.92,
    # engineers 2*7/16 = 0.88, ranging 2*5/14 = 0.71, xylophone 2*2/16 = 0.25. "engineer" is
    # compared first and its ratio is its bound (engine + r: 14/15), so no other can beat it.
    speller = Speller(["engineer", "engineers", "engine", "xylophone", "ranging"])
    assert speller.closest("enginer") == "engineer"
    assert compared == ["engineer"]
