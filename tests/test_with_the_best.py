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
    assert result.supports[1].evidence == PRACTICES and result.supports[1].source == 1 and result.dropped == []


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


def test_meaning_and_named_tools_choose_the_best_sentence() -> None:
    # Both share two words of the question; closeness, or the tool the question names, decides.
    first = "ML engineers run pipelines with Jenkins for testing."
    second = "ML engineers run pipelines with GitLab for testing."
    sources = [source(1, PYTHON), source(2, first, second)]
    checked = answer(Support("ML engineers know Python [1].", 1, PYTHON, "supported"))
    question = "Which testing pipelines, on which CI server?"

    def closeness(asked: str, sentences: list[str]) -> list[float]:
        return [0.3 if "GitLab" in s and "Python" not in s else 0.0 for s in sentences]

    def tools(text: str) -> set[str]:
        return {"ci"} if "gitlab" in text.lower() or "ci server" in text.lower() else set()

    def added(**kwargs: object) -> str:
        return with_the_best(checked, question, question, sources, **kwargs).supports[-1].evidence  # type: ignore[arg-type]

    assert added() == first  # earlier in its source
    assert added(closeness=closeness) == second
    assert added(skills_in=tools) == second


def test_the_name_of_the_company_asked_about_is_no_shared_word() -> None:
    says_name = "Evil Corp is a great place to work."
    testing = "Evil Corp uses pytest for unit testing."
    postings = [Source(n, f"p{n}#0", "ML Engineer", "posting", "ml_engineer", "Evil Corp", f"ML Engineer\n{text}", 0.5)
                for n, text in ((1, says_name), (2, testing))]
    checked = answer(Support("Evil Corp is a great place [1].", 1, says_name, "supported"))
    result = with_the_best(checked, "What does EVIL CORP use for unit testing?", "What does EVIL CORP use for unit testing?",
                           postings)
    assert [s.evidence for s in result.supports] == [says_name, testing]


def test_the_answer_s_sentences_are_scored_in_meaning_and_tools_too() -> None:
    # PYTHON shares 1 word against 3 of PRACTICES (0.90 against 2.95), but comes near it in
    # meaning (4.50 against 4.95) or by naming the tool asked about (2.90).
    sources = [source(1, PRACTICES), source(2, PYTHON)]
    checked = answer(Support("ML engineers know Python [2].", 2, PYTHON, "supported"))

    def closeness(asked: str, sentences: list[str]) -> list[float]:
        return [0.9 if "Python" in s else 0.5 for s in sentences]

    def tools(text: str) -> set[str]:
        return {"python"} if "python" in text.lower() or "scripting" in text.lower() else set()

    assert len(with_the_best(checked, QUESTION, QUESTION, sources).supports) == 2
    assert with_the_best(checked, QUESTION, QUESTION, sources, closeness) == checked
    scripting = QUESTION.replace("know?", "know for scripting?")
    assert with_the_best(checked, scripting, scripting, sources, skills_in=tools) == checked


def test_a_sentence_far_in_words_and_meaning_gives_way_to_one_close_in_meaning() -> None:
    off = "The weather in the office was sunny all year."
    shipped = "Models are shipped to production servers and watched there."
    checked = answer(Support("It was sunny [1].", 1, off, "supported"))

    def closeness(asked: str, sentences: list[str]) -> list[float]:
        return [0.8 if "shipped" in s else 0.0 for s in sentences]
    result = with_the_best(checked, "What about deployment?", "What about deployment?", [source(1, off), source(2, shipped)],
                           closeness)
    assert [s.evidence for s in result.supports] == [off, shipped]


def test_a_sentence_that_only_says_the_question_back_does_not_stand_for_its_source() -> None:
    asked = "Is the Fourth Coffee engineer job really engineering?"
    reason = "Day to day the Fourth Coffee engineer job is much closer to an analytics role."
    other = "Fourth Coffee sells coffee."
    sources = [source(1, other, reason)]
    bare = answer(Support("The Fourth Coffee engineer job is not really engineering [1].", 1, reason, "supported"))
    result = with_the_best(bare, asked, asked, sources)
    assert result.text == f"The Fourth Coffee engineer job is not really engineering [1]. {reason.rstrip('.')} [1]."
    assert [s.status for s in result.supports] == ["supported", "added"]
    # One word of its own ("analytics") and the answer gives its reason: it stands.
    reasoned = answer(Support("The Fourth Coffee engineer job is analytics, not engineering [1].", 1, reason,
                              "supported"))
    assert with_the_best(reasoned, asked, asked, sources) == reasoned
