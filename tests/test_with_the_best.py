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


def test_a_replacement_and_a_sentence_off_the_question_give_way() -> None:
    off = "The weather in the office was sunny all year."
    checked = answer(Support(f"{PYTHON} [1].", 1, PYTHON, "replaced"), Support("It was sunny [2].", 2, off, "supported"))
    result = with_the_best(checked, QUESTION, QUESTION, [source(1, PYTHON, PRACTICES), source(2, off)])
    assert result.text == f"{PRACTICES.rstrip('.')} [1]."
    assert [why for _, why in result.dropped] == ["far less on the question than what the sources say of it"] * 2


def test_an_answer_that_has_the_best_sentence_or_comes_near_it_stands() -> None:
    sources = [source(1, PYTHON, PRACTICES)]
    has_it = answer(Support("They follow unit testing and CI/CD [1].", 1, PRACTICES, "supported"))
    assert with_the_best(has_it, QUESTION, QUESTION, sources) == has_it
    # One shared word fewer than the best sentence: 0.99 behind it is near enough (it comes
    # first in the source), 1.01 is not (it comes second).
    near = "ML engineers know software tools well."  # 2 shared words
    two = answer(Support("They know software tools [1].", 1, near, "supported"))
    assert with_the_best(two, QUESTION, QUESTION, [source(1, near, PRACTICES)]) == two
    assert len(with_the_best(two, QUESTION, QUESTION, [source(1, PRACTICES, near)]).supports) == 2


def test_meaning_alone_does_not_overrule_the_model() -> None:
    # The best sentence scores 3 points ahead by closeness but shares no more words.
    other = "ML engineers know unit testing, CI/CD and security scanning."  # shares "know", as PYTHON does
    sources = [source(1, PYTHON, other)]
    checked = answer(Support("ML engineers know Python [1].", 1, PYTHON, "supported"))

    def closeness(question: str, sentences: list[str]) -> list[float]:
        return [0.9 if s == other else 0.1 for s in sentences]
    assert with_the_best(checked, "Which tools must ML engineers know?", "Which tools must ML engineers know?",
                         sources, closeness) == checked
