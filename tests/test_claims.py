"""The claim check: every answer sentence backed by the source sentence it cites, with the
roles, numbers and names of that sentence; comparisons answered for each side; questions
the sources cannot answer declined."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

import pytest

from assistant.answer import MIN_CLOSENESS_ALONE, Source, depends_on_history, extractive_answer
from assistant.claims import (
    MIN_COVERAGE,
    answers_the_question,
    check_answer,
    complete_comparison,
)
from assistant.pipeline import MIN_CLOSENESS_OVER_DECLINE, grounded
from assistant.sentences import answer_sentences
from assistant.settings import REPO_ROOT

ARTICLE = (REPO_ROOT / "corpus" / "article" / "article.restored.txt").read_text(encoding="utf-8").splitlines()


def paragraph(words: str) -> str:
    return next(p for p in ARTICLE if words in p)


def article(n: int, words: str) -> Source:
    return Source(n, f"article#{n}", "What's an ML engineer?", "article", "", "",
                  "What's an ML engineer?\n" + paragraph(words), 0.6)


DS = article(1, "low code")  # "A data scientist is often required to have a stronger mathematical background ..."
MLE = article(2, "absolute “must”")  # "... an absolute “must” for an ML engineer to have a software engineering skillset."
PIVOT = article(3, "vice versa")
AUTHOR = article(4, "Fortune 50 company")
POSTING = Source(5, "p1#0", "Data Scientist", "posting", "data_scientist", "Tala",
                 "Data Scientist at Tala\nSalary: $125,000 – $140,000 per year. You will use Python and MXNet.", 0.4)
SOURCES = [DS, MLE, PIVOT, AUTHOR, POSTING]
HEADLINE = "What's the difference between an ML engineer and a data scientist?"
SWAPPED = ("A ML engineer is often expected to have a stronger mathematical background but less of a software "
           "engineering background since they can rely on “low code” tools like SAS to complete their work [1].")


def test_the_headline_swap_is_caught_and_replaced_by_what_the_source_says() -> None:
    checked = check_answer(SWAPPED, SOURCES, HEADLINE)
    assert checked.wrong_role == 1 and "ml_engineer where the source says data_scientist" in checked.dropped[0][1]
    assert checked.text.startswith("A data scientist is often required to have a stronger mathematical background")
    assert [s.status for s in checked.supports] == ["replaced"] and checked.supports[0].source == 1


def test_a_claim_that_swaps_the_sides_of_a_pair_is_not_backed_by_the_words_it_kept() -> None:
    brain = article(6, "right brained creativity")
    swapped = check_answer("The author links the left brained creativity to building models [6].", [brain],
                           "Which side of the brain goes with engineering?")
    assert not swapped.supports or swapped.supports[0].status == "replaced"
    assert "left creat" not in swapped.text.lower().replace("-", " ") and swapped.dropped
    assert "swapped: says left creat" in swapped.dropped[0][1]
    right = check_answer("It offers right brained creativity when building models and left brained engineering "
                         "to implement these models [6].", [brain], "Which side of the brain goes with engineering?")
    assert [s.status for s in right.supports] == ["supported"]
    # The source gives the role both sides; one side alone, said of the role, is not what it says.
    one_side = check_answer("The article associates the left brain with ML engineers [6].", [brain],
                            "Which side of the brain does the article associate with ML engineers?")
    assert [s.status for s in one_side.supports] == ["replaced"] and one_side.text.startswith(
        "It offers this great middle ground of right brained creativity")
    assert one_side.dropped[0][1] == "swapped: says left ml…, where the source pairs left and right with other things"
    engineering = check_answer("The role calls for left brained engineering to implement these models [6].", [brain],
                               "Which side of the brain goes with engineering?")
    assert [s.status for s in engineering.supports] == ["supported"]
    weaker = check_answer("A data scientist is often required to have a weaker mathematical background [1].", [DS],
                          "Who needs more math?")
    assert "swapped: says weaker mathe" in weaker.dropped[0][1]


def test_a_stronger_background_where_the_source_says_less_of_one_is_a_swap() -> None:
    question = "Who needs a stronger software engineering background, data scientists or ML engineers?"
    swapped = check_answer("Data scientists typically need a stronger software engineering background [1].", [DS],
                           question)
    assert not [s for s in swapped.supports if s.status == "supported"]
    assert swapped.dropped[0][1] == "swapped: says stronger softw… where the source says otherwise"
    right = check_answer("Data scientists typically need a stronger mathematical background [1].", [DS], question)
    assert [s.status for s in right.supports] == ["supported"]
    # Nor is a comparison the source never makes: "a strong data science background" is no
    # "stronger software engineering background".
    invented = check_answer("Data scientists typically need a stronger software engineering background [3].", [PIVOT],
                            question)
    assert not [s for s in invented.supports if s.status == "supported"]
    assert invented.dropped[0][1] == "swapped: says stronger softw…, where the source makes no such comparison"


def test_a_two_sided_source_sentence_quoted_as_it_is_is_kept() -> None:
    note = Source(7, "role-note#0", "Machine Learning Engineer (role note)", "role", "ml_engineer", "",
                  "Machine Learning Engineer (role note)\nMachine learning engineers do need statistics, mainly for "
                  "sound evaluation, but they are rarely the ones designing studies; that is more typical of data "
                  "scientists.", 0.4)
    quoted = ("Machine learning engineers do need statistics, mainly for sound evaluation, but they are rarely the "
              "ones designing studies; that is more typical of data scientists [7].")
    assert [s.status for s in check_answer(quoted, [note], "Do ML engineers need statistics?").supports] == ["supported"]
    # Its sides swapped, it is not the source's sentence any more, and each clause is checked on its own.
    swapped = quoted.replace("Machine learning engineers", "Data scientists").replace("of data scientists", "of ML engineers")
    assert not [s for s in check_answer(swapped, [note], "Do ML engineers need statistics?").supports
                if s.status == "supported"]


def test_a_role_note_sentence_that_names_no_role_is_about_the_note_s_role_not_its_neighbour_s() -> None:
    note = Source(1, "role-note#0", "Machine Learning Engineer (role note)", "role", "ml_engineer", "",
                  "Machine Learning Engineer (role note)\nMany roles specialise in deep learning for computer "
                  "vision, NLP, search or recommendations, usually with PyTorch or TensorFlow. Machine learning "
                  "engineers do need statistics, but they are rarely the ones designing studies; that is more "
                  "typical of data scientists.", 0.5)
    question = "Who tends to do more computer vision and NLP work, data scientists or ML engineers?"
    swapped = check_answer("Data scientists tend to do more computer vision and NLP work [1].", [note], question)
    # The swap is taken back; what stands in its place is the note's own sentence.
    assert [why for _, why in swapped.dropped] == ["role: says data_scientist where the source says ml_engineer"]
    assert [s.status for s in swapped.supports] == ["replaced"]
    assert swapped.text.startswith("Many roles specialise in deep learning") and "Data scientists" not in swapped.text
    right = check_answer("ML engineer roles often specialise in deep learning for computer vision and NLP [1].",
                         [note], question)
    assert [(s.status, s.source) for s in right.supports] == [("supported", 1)]


def test_an_article_sentence_naming_no_role_is_about_the_role_named_before_it() -> None:
    students = article(1, "students typically spend")
    question = "Do ML engineers ever build predictive models on tabular data?"
    given_to_mles = check_answer("ML engineers typically spend the majority of their time coding a machine learning "
                                 "algorithm from scratch in the C++ programming language [1].", [students], question)
    assert not [s for s in given_to_mles.supports if s.status == "supported"]
    assert given_to_mles.dropped[0][1] == "role: says ml_engineer where the source says data_scientist"
    said_of_students = ("Data science students typically spend the majority of their time coding a machine learning "
                        "algorithm from scratch in the C++ programming language [1].")
    assert [s.status for s in check_answer(said_of_students, [students], question).supports] == ["supported"]


def test_the_role_carries_over_from_the_passage_before_and_never_from_a_heading() -> None:
    paragraph_ = paragraph("students typically spend")
    mentoring, _, rest = paragraph_.partition(" What’s interestingly NOT")
    mentoring = mentoring[mentoring.index("I have the pleasure"):]
    heading = "Trying to understand … | Data scientist vs. ML engineer"
    first = Source(13, "article#12", heading, "article", "", "", f"{heading}\n{mentoring} What’s interestingly NOT{rest}"
                   .split(" When it comes to machine learning")[0], 0.5)
    students = Source(14, "article#13", heading, "article", "", "",
                      heading + "\nWhen it comes to machine learning" + paragraph_.split("When it comes to machine learning")[1],
                      0.5)
    claim = ("ML engineers typically spend the majority of their time coding a machine learning algorithm from scratch "
             "in the C++ programming language [14].")
    question = "Do ML engineers ever build predictive models on tabular data?"
    # The passage before names data science students: the claim gives their time to ML engineers.
    checked = check_answer(claim, [first, students], question)
    assert not [s for s in checked.supports if s.status == "supported"]
    assert checked.dropped[0][1] == "role: says ml_engineer where the source says data_scientist"
    # Alone, the passage names no role in its sentences; its heading's "ML engineer" lends none.
    alone = check_answer(claim, [students], question)
    assert not [s for s in alone.supports if s.status == "supported"]
    assert alone.dropped[0][1] == "role: the source does not talk about ml_engineer"


def test_a_misquote_of_a_question_the_article_asks_is_not_replaced_by_that_question() -> None:
    asked = article(9, "A question I hear frequently")
    checked = check_answer("There is a difference between a data scientist and an ML engineer [9].", [asked],
                           "Is there really a difference between a data scientist and an ML engineer?")
    assert checked.supports == [] and checked.text == ""
    assert checked.dropped[0][0] == "There is a difference between a data scientist and an ML engineer [9]."


def test_a_relation_between_roles_needs_one_source_sentence_that_names_them_all() -> None:
    overlap = article(1, "Company A might define")
    question = "Are ML engineers basically just software engineers with a different title?"
    checked = check_answer("ML engineers are generally considered to be software engineers with a different title [1].",
                           [overlap], question)
    assert not [s for s in checked.supports if s.status == "supported"]
    assert checked.dropped[0][1].startswith("role: relates ml_engineer, software_engineer")


def test_a_yes_or_no_is_not_a_claim_a_source_backs() -> None:
    correlation = article(1, "1-to-1 correlation")
    question = "Does data science always require machine learning?"
    checked = check_answer("Yes, data science doesn’t have a direct, 1-to-1 correlation to machine learning [1]. Yes.",
                           [correlation], question)
    assert checked.text == "Data science doesn’t have a direct, 1-to-1 correlation to machine learning [1]."
    assert checked.dropped == [("Yes.", "a bare yes or no, which no source backs")]


def test_the_same_claim_said_twice_is_kept_once() -> None:
    twice = ("A data scientist is often required to have a stronger mathematical background [1]. "
             "Data scientists are often required to have a stronger mathematical background [1].")
    checked = check_answer(twice, SOURCES, "Who needs more math?")
    assert len(checked.supports) == 1 and "repeats" in checked.dropped[0][1]


def test_each_side_of_a_one_sentence_comparison_is_checked_against_its_own_citation() -> None:
    right = ("ML engineers must have a software engineering skillset [2], while data scientists need a stronger "
             "mathematical background [1].")
    swapped = ("ML engineers need a stronger mathematical background [1], while data scientists must have a software "
               "engineering skillset [2].")
    assert check_answer(right, SOURCES, HEADLINE).text == right
    checked = check_answer(swapped, SOURCES, HEADLINE)
    assert checked.text == "" and checked.dropped[0][1].startswith("role")


def test_a_sentence_naming_both_roles_is_backed_by_a_sentence_about_one_of_them() -> None:
    easier = ("It is easier for someone with a strong data science background to obtain a software engineering "
              "skillset than vice versa [3].")
    assert check_answer(easier, SOURCES, "Which is easier to learn?").text == easier


@pytest.mark.parametrize(("question", "answer", "why"), [
    ("What salary does the author earn?", "The author earns $125,000 – $140,000 per year [5].",
     "no article passage backs it"),
    ("What tools does the article name?", "The article names PyTorch, TensorFlow, and MXNet [2].",
     "not in the source: MXNet"),
    ("How old is the author?", "The author is 45 years old [4].", "not in the source: 45"),
    ("Which company does the author work for?", "The author works for Tala [4].", "not in the source: Tala"),
])
def test_facts_not_in_the_cited_source_and_posting_facts_about_the_author_are_dropped(
        question: str, answer: str, why: str) -> None:
    checked = check_answer(answer, SOURCES, question)
    assert checked.text == "" and checked.dropped[0][1] == why


def test_a_posting_fact_is_kept_when_it_is_said_of_the_posting() -> None:
    said = "The Tala posting pays $125,000 – $140,000 per year [5]."
    assert check_answer(said, SOURCES, "What does the Tala data scientist posting pay?").text == said


def test_coverage_bound() -> None:
    # Five content words, three of them in the source: 60% passes, 40% does not.
    source = Source(1, "a#1", "t", "article", "", "", "t\nKubernetes clusters need careful capacity planning.", 0.5)
    assert MIN_COVERAGE == 0.6
    assert check_answer("Kubernetes clusters need planning for growth and budgets [1].", [source], "q").supports
    assert not check_answer("Kubernetes clusters want money for growth and budgets [1].", [source], "q").supports


def test_an_uncited_sentence_is_attributed_to_the_source_that_backs_it() -> None:
    checked = check_answer("It is an absolute must for an ML engineer to have a software engineering skillset.",
                           SOURCES, "Do ML engineers need software engineering?")
    assert checked.supports and checked.supports[0].source == 2


def test_a_comparison_that_gives_one_side_gets_the_other_from_the_sources() -> None:
    one_side = check_answer("A data scientist is often required to have a stronger mathematical background but less "
                            "of a software engineering background [1].", SOURCES, HEADLINE)
    both = complete_comparison(one_side, HEADLINE, SOURCES)
    added = [s for s in both.supports if s.status == "added"]
    assert len(added) == 1 and added[0].source == 2 and "ML engineer" in added[0].sentence
    assert both.text.endswith("[2].")
    # Nothing is added that shares no word with the question or the answer, nor a sentence
    # about the text itself.
    meta = article(7, "nail down a very precise definition")
    question = "Precise definition of ML engineer versus data scientist?"
    added = complete_comparison(check_answer("", [meta], question), question, [meta]).supports
    assert not [s for s in added if "not going to try" in s.sentence or "we’ll" in s.sentence]
    assert not complete_comparison(check_answer("", [POSTING], HEADLINE), "Kubernetes: ML engineer vs data scientist?",
                                   [POSTING]).supports
    # A question about one role is left as it is.
    assert complete_comparison(one_side, "What do data scientists need?", SOURCES) is one_side
    # Software engineers are a side too, though the postings' figures have no family for them.
    general = article(8, "basic things that go along")  # "... any other general software engineer role: ..."
    titles = "Are ML engineers basically just software engineers with a different title?"
    company = article(1, "Company A might define")
    ml_only = check_answer("Company A might define the role of an ML engineer the exact same way that Company B "
                           "defines a data scientist role [1].", [company], titles)
    added = [s for s in complete_comparison(ml_only, titles, [company, general]).supports if s.status == "added"]
    assert [s.source for s in added] == [8] and "software engineer role" in added[0].sentence


@pytest.mark.parametrize(("question", "answer", "answered"), [
    ("How old is the author?", "I’m a principal machine learning (ML) engineer at a Fortune 50 company [4].", False),
    ("Which Fortune 50 company does the author work for?",
     "I’m a principal machine learning (ML) engineer at a Fortune 50 company [4].", False),
    ("What salary does the author earn?", "I’m a principal machine learning (ML) engineer at a Fortune 50 company [4].",
     False),
    ("Does the author recommend learning Rust?",
     "It is an absolute must for an ML engineer to have a software engineering skillset [2].", False),
    ("What does the Tala posting pay?", "The Tala posting pays $125,000 – $140,000 per year [5].", True),
    # The author's employer is in a sentence that says "I", not in one that lists cloud vendors.
    ("The Fortune 50 company the author works at — that's Amazon, right?",
     "It’s common for a company to ask that an ML engineer understand cloud services like Amazon Web Services (AWS), "
     "Google Cloud Platform (GCP), or Microsoft Azure [6].", False),
    ("Which company does the author work for?",
     "I’m a principal machine learning (ML) engineer at a Fortune 50 company [4].", True),
    ("Do ML engineers need software engineering?",
     "It is an absolute must for an ML engineer to have a software engineering skillset [2].", True),
])
def test_answers_that_do_not_take_up_the_question_are_declined(question: str, answer: str, answered: bool) -> None:
    checked = answers_the_question(check_answer(answer, [*SOURCES, article(6, "Amazon Web Services")], question),
                                   question, skills_in)
    assert bool(checked.supports) is answered, checked.dropped


def skills_in(text: str) -> set[str]:
    """A taxonomy of three tools, matched as the real one matches whole words."""
    return {tool for tool in ("Rust", "Kubernetes", "Python") if tool.lower() in re.findall(r"\w+", text.lower())}


def test_a_question_about_a_tool_is_answered_by_a_sentence_that_names_it() -> None:
    python = "Most ML engineers are required to know the Python coding language specifically [2]."
    sources = [*SOURCES, article(6, "Python coding language")]
    sources[-1] = Source(2, *list(sources[-1].__dict__.values())[1:])
    checked = answers_the_question(check_answer(python, sources[-1:], "Do ML engineers need Python?"),
                                   "Do ML engineers need Python?", skills_in)
    assert checked.supports
    rust = answers_the_question(check_answer(python, sources[-1:], "Is Rust or Python needed?"),
                                "Is Rust or Python needed?", skills_in)
    assert rust.supports  # one of the tools asked about is answered


def test_an_uncited_sentence_gets_the_citation_of_what_backs_it_and_markers_are_dropped() -> None:
    checked = check_answer("It is an absolute must for an ML engineer to have a software engineering skillset.",
                           SOURCES, "Do ML engineers need software engineering?")
    assert checked.text.endswith("skillset [2].")
    marker = check_answer("[Illustrative sample posting written for this project; not a real job.] [5].", SOURCES, "q")
    assert not marker.supports


def test_an_answer_saying_the_sources_do_not_cover_it_is_a_decline() -> None:
    said = grounded("The article does not mention remote work [2].", SOURCES, "Does the article cover remote work?")
    assert not said.supports and said.dropped == [("The article does not mention remote work [2].",
                                                   "the model declined")]


def test_a_model_decline_gives_way_to_a_source_sentence_plainly_on_the_question() -> None:
    definition = article(7, "difficult to nail down a precise definition")
    question = "Does the author give a precise definition of the ML engineer role?"
    answered = grounded("I can't answer that from the article and the job postings I have.", [definition], question)
    assert answered.supports and {s.status for s in answered.supports} == {"supported"}
    assert "difficult to nail down a precise definition" in answered.text
    # One shared word ("work") is not enough to overrule the model.
    said = grounded("I can't answer that.", [DS], "Does the article cover remote work?")
    assert not said.supports
    # Nor is closeness in meaning, unless it is as close as a sentence without a shared word must be.
    name = article(8, "known as such")
    asked = "How does the article explain where the name 'data science' comes from?"

    def close(at: float) -> Callable[[str, Sequence[str]], list[float]]:
        return lambda _, sentences: [at if "known as such" in s else 0.0 for s in sentences]

    explained = grounded("I can't answer that.", [name], asked, closeness=close(MIN_CLOSENESS_OVER_DECLINE))
    assert "mirrors the scientific method" in explained.text
    # Close enough for an extractive answer, not to overrule the model.
    assert MIN_CLOSENESS_ALONE < MIN_CLOSENESS_OVER_DECLINE - 0.01
    assert not grounded("I can't answer that.", [name], asked,
                        closeness=close(MIN_CLOSENESS_OVER_DECLINE - 0.01)).supports


def test_grounded_falls_back_to_checked_evidence_and_declines_when_nothing_is_backed() -> None:
    invented = grounded("The author is 45 years old [4].", SOURCES, "How old is the author?")
    assert not invented.supports and any("45" in sentence for sentence, _ in invented.dropped)
    rescued = grounded("ML engineers love Rust [2].", SOURCES, "Do ML engineers need a software engineering skillset?")
    assert rescued.supports and "software engineering skillset" in rescued.text


def test_sentences_are_split_by_a_splitter_that_knows_eg() -> None:
    algorithms = article(1, "from scratch in the C++")
    answer = extractive_answer("Which algorithms do students code from scratch in C++?", [algorithms], max_sentences=1)
    assert "(e.g. support vector machine, naive bayes, gradient boosted trees) from scratch" in answer
    assert answer_sentences("Python is needed. [1] So is Java [2].") == ["Python is needed. [1] ", "So is Java [2]."]
    hostile = "Apply now ![pixel](http://x/t.png) or visit www.x.example today [17]. Python [1]."
    assert answer_sentences(hostile) == [hostile[:-11], "Python [1]."]


def test_extractive_answers_skip_pieces_of_sentences_a_posting_s_layout_broke() -> None:
    broken = Source(1, "p#0", "ML Engineer", "posting", "ml_engineer", "Acme",
                    "ML Engineer at Acme\nWe will mentor\nyou and allow you to grow in areas of software engineering.\n"
                    "Software engineering practice matters here: code review and testing.", 0.5)
    answer = extractive_answer("Is software engineering important?", [broken])
    assert "you and allow you" not in answer and "Software engineering practice matters" in answer


def test_extractive_answers_skip_sentences_about_the_text_itself() -> None:
    meta = article(1, "nail down a very precise definition")
    answer = extractive_answer("What is a precise definition of an ML engineer?", [meta])
    assert "I’m not going to try" not in answer and "Instead, I believe" not in answer


@pytest.mark.parametrize(("question", "depends"), [
    ("and what about cloud skills?", True),
    ("why is that?", True),
    ("which languages?", True),
    ("which low-code tool did it name?", True),
    ("Do data scientists use SAS?", False),
    ("How old is the author?", False),
    ("What cloud platforms should ML engineers know?", False),
    ("and data engineers?", True),
])
def test_only_questions_that_lean_on_the_conversation_are_rewritten(question: str, depends: bool) -> None:
    assert depends_on_history(question) is depends


def test_a_fallback_that_finds_nothing_is_a_decline_not_a_backed_sentence() -> None:
    # The model's sentence is backed by nothing, and no source sentence shares a word with the
    # question: the extractive fallback's own "I can't answer" must not come back as a claim.
    checked = grounded("The author manages a team of 100+ people [1].", [AUTHOR], "How big is the team the author manages?",
                       evidence=[AUTHOR])
    assert not checked.supports and not checked.text
