"""`with_the_best`: a checked answer that leaves out the source sentence bearing most on the
question gets it. Without closeness a sentence scores its shared topic words (less 0.05 a
source, 0.01 a position), so the margins below are counted by hand."""

from __future__ import annotations

from assistant.answer import Source, Support
from assistant.claims import Checked
from assistant.pipeline import with_the_best

PYTHON = "Most ML engineers are required to know the Python coding language."
PRACTICES = "ML engineers follow general software engineering practices such as unit testing and CI/CD."
QUESTION = "Which software engineering practices must ML engineers know?"  # PYTHON shares 1 word, PRACTICES 3


def source(n: int, *sentences: str) -> Source:
    return Source(n, f"article#{n}", "Software Engineering", "article", "", "", "Software Engineering\n"
                  + " ".join(sentences), 0.5)


def answer(*supports: Support) -> Checked:
    return Checked(" ".join(s.sentence for s in supports), list(supports))


def test_an_answer_far_from_the_best_sentence_gets_it() -> None:
    checked = answer(Support("ML engineers know Python [1].", 1, PYTHON, "supported"))
    result = with_the_best(checked, QUESTION, QUESTION, [source(1, PYTHON, PRACTICES)])
    assert result.text == f"ML engineers know Python [1]. {PRACTICES.rstrip('.')} [1]."
    assert [s.status for s in result.supports] == ["supported", "added"]
    assert result.supports[1].evidence == PRACTICES and result.dropped == []


def test_a_replacement_gives_way_and_the_answer_s_own_sentences_stay() -> None:
    off = "The weather in the office was sunny all year."
    checked = answer(Support(f"{PYTHON} [1].", 1, PYTHON, "replaced"), Support("It was sunny [2].", 2, off, "supported"))
    result = with_the_best(checked, QUESTION, QUESTION, [source(1, PYTHON, PRACTICES), source(2, off)])
    assert result.text == f"It was sunny [2]. {PRACTICES.rstrip('.')} [1]."
    assert result.dropped == [(f"{PYTHON} [1].",
                               "a source sentence put in for a misquote, far less on the question than another")]


def test_the_answer_s_own_words_can_take_up_the_question() -> None:
    # The backing sentence shares nothing with the question; the model's sentence does.
    blueprint = "This is the blueprint that shows how a whole system works together."
    checked = answer(Support("Software engineering practices are the blueprint of a system [1].", 1, blueprint,
                             "supported"))
    assert with_the_best(checked, QUESTION, QUESTION, [source(1, blueprint, PRACTICES)]) == checked


def test_an_answer_that_has_the_best_sentence_or_comes_near_it_stands() -> None:
    sources = [source(1, PYTHON, PRACTICES)]
    has_it = answer(Support("They follow unit testing and CI/CD [1].", 1, PRACTICES, "supported"))
    assert with_the_best(has_it, QUESTION, QUESTION, sources) == has_it
    # One shared word fewer than the best sentence (what an answer rests on is scored as the
    # first of its source): 0.99 behind it is near enough, 1.05 is not.
    near = "ML engineers know software tools well."  # 2 shared words
    two = answer(Support("They know software tools [1].", 1, near, "supported"))
    assert with_the_best(two, QUESTION, QUESTION, [source(1, near, PRACTICES)]) == two  # 1.95 and 2.94
    two = answer(Support("They know software tools [2].", 2, near, "supported"))
    assert len(with_the_best(two, QUESTION, QUESTION, [source(1, PRACTICES), source(2, near)]).supports) == 2


def test_what_the_answer_rests_on_counts_though_no_extractive_answer_would_quote_it() -> None:
    asked = "I’m a principal ML engineer, and what’s asked most is “What is software engineering practice?”"
    checked = answer(Support("The author is asked about software engineering practice [1].", 1, asked, "supported"))
    assert with_the_best(checked, QUESTION, QUESTION, [source(1, asked, PRACTICES)]) == checked


def test_meaning_alone_does_not_overrule_the_model() -> None:
    # The best sentence scores 3 points ahead by closeness but shares no more words.
    other = "ML engineers know unit testing, CI/CD and security scanning."  # shares "know", as PYTHON does
    sources = [source(1, PYTHON, other)]
    checked = answer(Support("ML engineers know Python [1].", 1, PYTHON, "supported"))

    def closeness(question: str, sentences: list[str]) -> list[float]:
        return [0.9 if s == other else 0.1 for s in sentences]
    assert with_the_best(checked, "Which tools must ML engineers know?", "Which tools must ML engineers know?",
                         sources, closeness) == checked
