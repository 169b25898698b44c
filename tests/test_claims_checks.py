"""The claim check's decisions one by one, with the exact text, citations and reasons it
gives: a right claim re-pointed to the source that backs it, the article alone for the
author, what is dropped and why, what stands in for a garbled sentence, the coverage and
word-count bounds, and who a sentence naming no role speaks of."""

from __future__ import annotations

import re

import pytest

from assistant.answer import Source, Support
from assistant.claims import (
    MIN_COVERAGE,
    Checked,
    _best_support,
    _carried_roles,
    _Verdict,
    about_the_author_as_subject,
    answers_the_question,
    beyond_the_question,
    check_answer,
    complete_comparison,
    wanted_fact,
)
from tests.test_claims import DS, MLE, SOURCES, article

DS_SENTENCE = ("A data scientist is often required to have a stronger mathematical background but less of a software "
               "engineering background since they can rely on “low code” tools like the industry favorite SAS tool to "
               "complete their work.")
PYTHON_SENTENCE = ("Most ML engineers are required to know the Python coding language specifically, but it’s not "
                   "uncommon to ask an ML engineer to know a secondary language like Swift if building iOS applications "
                   "or Java if building Android applications.")
AUTHOR_SENTENCE = ("I’m a principal machine learning (ML) engineer at a Fortune 50 company, and one of the questions that "
                   "I’m asked most often is the same one posed in the title of this post: “What’s an ML engineer?”")
OVERLAP_SENTENCE = ("The reality is that when it comes to roles like data scientists, ML engineers, and even some kinds of "
                    "software engineers, there’s a lot of overlap in terms of what is expected of skillsets.")
SAS_CLAIM = "Data scientists can rely on low code tools like SAS"
PYTHON_CLAIM = "Most ML engineers are required to know the Python coding language specifically"


def note(n: int, role: str, body: str, kind: str = "role", heading: str = "Opinion") -> Source:
    # A document of its own, so no other test source is the passage before it.
    return Source(n, f"{kind}{n}#0", heading, kind, role, "", f"{heading}\n{body}", 0.5)


def supported(sentence: str, n: int, evidence: str) -> Support:
    return Support(sentence, n, evidence, "supported")


# A right claim citing the wrong source


def test_a_right_claim_citing_the_wrong_source_cites_the_one_that_backs_it() -> None:
    checked = check_answer(f"{SAS_CLAIM} [2].", SOURCES, "Which tools do data scientists use?")
    assert checked.text == f"{SAS_CLAIM} [1]."
    assert checked.supports == [supported(f"{SAS_CLAIM} [1].", 1, DS_SENTENCE)]
    assert checked.dropped == []


def test_a_re_pointed_sentence_joins_the_next_one_with_a_single_space() -> None:
    # The model put a line break after the sentence; the re-pointed one ends in ". " like any other.
    checked = check_answer(f"{SAS_CLAIM} [2].\n{PYTHON_CLAIM} [2].", SOURCES, "Which tools?")
    assert checked.text == f"{SAS_CLAIM} [1]. {PYTHON_CLAIM} [2]."
    assert [(s.sentence, s.source) for s in checked.supports] == [(f"{SAS_CLAIM} [1].", 1), (f"{PYTHON_CLAIM} [2].", 2)]


def test_a_posting_fact_citing_the_article_is_re_pointed_to_the_posting() -> None:
    checked = check_answer("Data scientists at Tala use Python and MXNet [1].", SOURCES, "What tools does Tala use?")
    assert checked.text == "Data scientists at Tala use Python and MXNet [5]."
    assert checked.supports == [supported("Data scientists at Tala use Python and MXNet [5].", 5,
                                          "You will use Python and MXNet.")]


def test_a_re_pointed_claim_keeps_its_last_word_to_the_last_letter() -> None:
    posting = Source(6, "p#0", "ML Engineer", "posting", "ml_engineer", "Acme",
                     "ML Engineer at Acme\nYou will export the models to ONNX.", 0.5)
    checked = check_answer("ML engineers export the models to ONNX [1].", [DS, posting], "q")
    assert checked.text == "ML engineers export the models to ONNX [6]."


def test_a_claim_about_the_author_is_re_pointed_within_the_article() -> None:
    said = "The author is a principal ML engineer at a Fortune 50 company"
    checked = check_answer(f"{said} [1].", SOURCES, "Who is the author?")
    assert checked.text == f"{said} [4]."
    assert checked.supports == [supported(f"{said} [4].", 4, AUTHOR_SENTENCE)]


def test_a_claim_about_the_author_is_never_re_pointed_to_a_posting() -> None:
    # Not an author question, but the claim is about the author: Tala's posting cannot back it.
    checked = check_answer("The author uses Python and MXNet [1].", SOURCES, "What tools do data scientists use?")
    assert checked.text == "" and checked.supports == []
    assert checked.dropped == [("The author uses Python and MXNet [1].", "not in the source: Python, MXNet")]


def test_a_sentence_backed_where_it_points_keeps_its_pointer() -> None:
    # The same sentence in two chunks: the one cited stays cited, even when it is not the first.
    first, second = note(1, "", "Terraform manages the cloud infrastructure.", "article"), note(
        2, "", "Terraform manages the cloud infrastructure.", "article")
    checked = check_answer("Terraform manages the cloud infrastructure [2]!", [first, second], "q")
    assert checked.text == "Terraform manages the cloud infrastructure [2]!"
    assert checked.supports == [supported("Terraform manages the cloud infrastructure [2]!", 2,
                                          "Terraform manages the cloud infrastructure.")]


# The author's questions: the article alone


def test_a_posting_fact_said_in_answer_to_an_author_question_is_dropped() -> None:
    # The sentence does not name the author; the question does, and Tala's salary is not the author's.
    checked = check_answer("The salary is $125,000 – $140,000 per year [5].", SOURCES, "What salary does the author earn?")
    assert checked.text == "" and checked.supports == []
    assert checked.dropped == [("The salary is $125,000 – $140,000 per year [5].", "no article passage backs it")]


def test_a_claim_about_the_author_is_judged_against_the_article_only() -> None:
    # A question about postings, a claim about the author: the posting it cites is not a source for it.
    checked = check_answer("The author earns $125,000 – $140,000 per year [5].", SOURCES,
                           "What does a data scientist at Tala earn?")
    assert checked.text == ""
    assert checked.dropped == [("The author earns $125,000 – $140,000 per year [5].", "no article passage backs it")]
    # The same figure said of the posting is the posting's.
    posting = check_answer("The salary is $125,000 – $140,000 per year [5].", SOURCES,
                           "What does a data scientist at Tala earn?")
    assert posting.text == "The salary is $125,000 – $140,000 per year [5]."


def test_each_side_of_a_comparison_in_an_author_question_rests_on_the_article() -> None:
    # One side cites the posting: in a question about the author that side is judged against
    # the article, where nothing pays data scientists $125,000.
    said = ("Data scientists earn $125,000 – $140,000 per year [5], while ML engineers must have a software "
            "engineering skillset [2].")
    checked = check_answer(said, SOURCES, "What does the author say people earn?")
    assert checked.text == "" and checked.supports == []
    assert checked.dropped == [(said, "role: says data_scientist where the source says ml_engineer")]


def test_a_comparison_about_the_author_is_not_backed_by_a_posting_in_any_question() -> None:
    said = ("The author says data scientists earn $125,000 – $140,000 per year [5], while ML engineers must have a "
            "software engineering skillset [2].")
    checked = check_answer(said, SOURCES, "What do data scientists earn compared with ML engineers?")
    assert checked.supports == []


# What is dropped, and that the sentences after it are still checked


def test_a_bare_yes_is_dropped_and_what_follows_is_checked() -> None:
    checked = check_answer(f"Yes. {SAS_CLAIM} [1].", SOURCES, "Do data scientists use low code tools?")
    assert checked.text == f"{SAS_CLAIM} [1]."
    assert checked.dropped == [("Yes.", "a bare yes or no, which no source backs")]


def test_a_sentence_with_no_content_is_kept_as_it_is_and_what_follows_is_checked() -> None:
    checked = check_answer(f"So it is. {SAS_CLAIM} [1].", SOURCES, "Do data scientists use low code tools?")
    assert checked.text == f"So it is. {SAS_CLAIM} [1]."
    assert checked.supports == [supported(f"{SAS_CLAIM} [1].", 1, DS_SENTENCE)] and checked.dropped == []


def test_an_answer_with_nothing_backed_is_empty_even_with_a_contentless_sentence_kept() -> None:
    checked = check_answer("So it is. The author earns a lot [5].", SOURCES, "What does the author earn?")
    assert checked.text == "" and checked.supports == []
    assert checked.dropped == [("The author earns a lot [5].", "no article passage backs it")]


def test_a_decline_sentence_is_dropped_and_what_follows_is_checked() -> None:
    checked = check_answer(f"The article does not mention remote work [2]. {SAS_CLAIM} [1].", SOURCES, "q")
    assert checked.text == f"{SAS_CLAIM} [1]."
    assert checked.dropped == [("The article does not mention remote work [2].", "says the sources do not cover it")]


def test_the_sample_marker_is_dropped_as_a_marker_and_what_follows_is_checked() -> None:
    marker = "[Illustrative sample posting written for this project; not a real job.]"
    checked = check_answer(f"{marker} {SAS_CLAIM} [1].", SOURCES, "q")
    assert checked.dropped == [(f"{marker} {SAS_CLAIM} [1].", "the sample marker, not content")]
    alone = check_answer(f"{marker} [5]. {PYTHON_CLAIM} [2].", SOURCES, "q")
    assert alone.dropped == [(f"{marker} [5].", "the sample marker, not content")]
    assert alone.text == f"{PYTHON_CLAIM} [2]."


def test_a_repeated_claim_is_dropped_and_what_follows_is_checked() -> None:
    again = "Data scientists are often required to have a stronger mathematical background [1]."
    checked = check_answer(f"{SAS_CLAIM} [1]. {again} {PYTHON_CLAIM} [2].", SOURCES, "q")
    assert checked.text == f"{SAS_CLAIM} [1]. {PYTHON_CLAIM} [2]."
    assert checked.dropped == [(again, "repeats a sentence already given")]
    assert [s.evidence for s in checked.supports] == [DS_SENTENCE, PYTHON_SENTENCE]


def test_an_uncited_sentence_names_the_source_that_backs_it_in_its_support() -> None:
    checked = check_answer(f"{SAS_CLAIM}. {PYTHON_CLAIM}.", SOURCES, "q")
    assert checked.text == f"{SAS_CLAIM} [1]. {PYTHON_CLAIM} [2]."
    assert checked.supports == [supported(f"{SAS_CLAIM} [1].", 1, DS_SENTENCE),
                                supported(f"{PYTHON_CLAIM} [2].", 2, PYTHON_SENTENCE)]


# A garbled sentence: what the source says instead


def test_a_garbled_sentence_is_replaced_by_the_source_sentence_with_its_citation() -> None:
    swapped = "ML engineers can rely on low code tools like SAS [1]."
    checked = check_answer(f"{swapped} {PYTHON_CLAIM} [2].", SOURCES, "q")
    replacement = DS_SENTENCE[:-1] + " [1]."
    assert checked.text == f"{replacement} {PYTHON_CLAIM} [2]."
    assert checked.supports == [Support(replacement, 1, DS_SENTENCE, "replaced"),
                                supported(f"{PYTHON_CLAIM} [2].", 2, PYTHON_SENTENCE)]
    assert checked.dropped == [(swapped, "role: says ml_engineer where the source says data_scientist")]


def test_a_source_sentence_given_in_place_of_a_garbled_one_is_not_given_again() -> None:
    swapped = "ML engineers can rely on low code tools like SAS [1]."
    checked = check_answer(f"{swapped} {SAS_CLAIM} [1].", SOURCES, "q")
    assert checked.text == DS_SENTENCE[:-1] + " [1]."
    assert checked.dropped == [(swapped, "role: says ml_engineer where the source says data_scientist"),
                               (f"{SAS_CLAIM} [1].", "repeats a sentence already given")]
    twice = check_answer(f"{swapped} ML engineers rely on low code tools like SAS [1].", SOURCES, "q")
    assert [s.status for s in twice.supports] == ["replaced"]
    assert twice.dropped[1] == ("ML engineers rely on low code tools like SAS [1].",
                                "role: says ml_engineer where the source says data_scientist")


def test_a_garbled_sentence_is_not_replaced_by_a_source_sentence_that_asks_a_question() -> None:
    # Said instead, the source's question would answer nothing.
    asks = note(1, "", "Is SQL or Python the harder language for data scientists to learn?", "article")
    said = "Python is the harder language for ML engineers to learn [1]."
    checked = check_answer(said, [asks], "Which language is harder to learn?")
    assert checked.text == "" and checked.supports == []
    assert checked.dropped == [(said, "role: says ml_engineer where the source says data_scientist")]


def test_a_replacement_keeps_the_source_sentence_to_its_last_letter() -> None:
    posting = Source(1, "p#0", "ML Engineer", "posting", "ml_engineer", "Acme",
                     "ML Engineer at Acme\nYou will export the models to ONNX.", 0.5)
    checked = check_answer("Data scientists export the models to ONNX [1].", [posting], "q")
    assert checked.text == "You will export the models to ONNX [1]."
    assert checked.dropped == [("Data scientists export the models to ONNX [1].",
                                "role: says data_scientist where the source says ml_engineer")]


# Bounds: coverage and the number of words


KUBERNETES = note(1, "", "Kubernetes clusters need careful capacity planning.", "article")


def test_coverage_exactly_at_the_bound_is_backed_and_just_under_it_is_not() -> None:
    # Content words kuber, clust, plann, growt, budge: three of five are in the source (60%).
    assert MIN_COVERAGE == 0.6
    at = "Kubernetes clusters need planning for growth and budgets [1]."
    assert check_answer(at, [KUBERNETES], "q").supports == [
        supported(at, 1, "Kubernetes clusters need careful capacity planning.")]
    # kuber, clust, money, growt, budge: two of five (40%).
    under = "Kubernetes clusters need money for growth and budgets [1]."
    checked = check_answer(under, [KUBERNETES], "q")
    assert checked.text == "" and checked.dropped == [(under, "the source covers 40% of its words")]


def test_a_two_word_claim_is_checked_and_a_one_word_claim_is_too_short_to_check() -> None:
    two = check_answer("Kubernetes clusters [1].", [KUBERNETES], "q")
    assert two.supports == [supported("Kubernetes clusters [1].", 1, "Kubernetes clusters need careful capacity planning.")]
    half = check_answer("Kubernetes budgets [1].", [KUBERNETES], "q")
    assert half.dropped == [("Kubernetes budgets [1].", "the source covers 50% of its words")]
    # One word is covered but proves nothing: the source's sentence is said instead.
    one = check_answer("Kubernetes [1].", [KUBERNETES], "q")
    assert one.text == "Kubernetes clusters need careful capacity planning [1]."
    assert one.dropped == [("Kubernetes [1].", "too few words to check")]


# _best_support on its own


def test_best_support_without_a_source_sentence_says_why() -> None:
    assert _best_support("ML engineers deploy models", []) == _Verdict(False, why="no article passage backs it")
    empty = Source(1, "x", "t", "article", "", "", "", 0.1)
    assert _best_support("ML engineers deploy models", [empty]) == _Verdict(False, why="no source sentence backs it")


def test_best_support_of_a_backed_claim_gives_no_reason() -> None:
    assert _best_support("Kubernetes clusters need planning", [KUBERNETES]) == _Verdict(
        True, 1, "Kubernetes clusters need careful capacity planning.", 1.0, "")


def test_a_backed_sentence_wins_over_one_that_covers_more_words_of_the_other_role() -> None:
    # stron, math, stati: the ML engineers' sentence has all three, the data scientists' two.
    source = note(1, "", "ML engineers need strong math, statistics and calculus. Data scientists need strong math.",
                  "article")
    assert _best_support("Data scientists need strong math and statistics", [source]) == _Verdict(
        True, 1, "Data scientists need strong math.", 2 / 3, "")


def test_of_two_sources_saying_the_same_the_first_backs_an_uncited_claim() -> None:
    first, second = note(1, "", "Terraform manages the cloud infrastructure.", "article"), note(
        2, "", "Terraform manages the cloud infrastructure.", "article")
    checked = check_answer("Terraform manages the cloud infrastructure.", [first, second], "q")
    assert checked.text == "Terraform manages the cloud infrastructure [1]."
    assert checked.supports[0].source == 1


def test_a_claim_spread_evenly_over_two_sentences_is_shown_with_the_first() -> None:
    source = note(1, "", "Teams write unit tests. Teams deploy models nightly.", "article")
    assert _best_support("Teams write unit tests and deploy models nightly", [source]) == _Verdict(
        True, 1, "Teams write unit tests.", 1.0, "")


def test_a_posting_s_title_and_company_count_as_its_words() -> None:
    posting = Source(1, "p#0", "Senior Data Scientist", "posting", "data_scientist", "Acme Analytics",
                     "Senior Data Scientist at Acme Analytics\nYou will use Python.", 0.5)
    # acme, analy, senio and pytho, use are in the label and the body; hires is not: 5 of 6.
    said = "Acme Analytics hires senior data scientists who use Python [1]."
    assert check_answer(said, [posting], "q").supports == [supported(said, 1, "You will use Python.")]


# Roles: whose sentence it is


def test_the_heading_is_not_a_sentence_whose_role_the_body_carries() -> None:
    # "What's an ML engineer?" names a role, but the paragraph's first sentence does not follow it.
    source = note(1, "", "Most students spend their time coding algorithms from scratch. Data scientists rarely learn "
                  "software architecture.", "article", heading="What's an ML engineer?")
    said = "Data scientists spend their time coding algorithms from scratch [1]."
    assert check_answer(said, [source], "q").supports == [
        supported(said, 1, "Most students spend their time coding algorithms from scratch.")]


def test_every_line_of_a_passage_is_read() -> None:
    source = note(1, "", "Data scientists spend their time coding algorithms from scratch.\nML engineers ship software.",
                  "article")
    said = "Data scientists spend their time coding algorithms from scratch [1]."
    assert check_answer(said, [source], "q").supports == [
        supported(said, 1, "Data scientists spend their time coding algorithms from scratch.")]


def test_a_posting_speaks_of_its_own_role_even_when_its_title_does_not_name_it() -> None:
    posting = Source(1, "p#0", "Applied ML Lead", "posting", "ml_engineer", "Acme",
                     "Applied ML Lead at Acme\nYou will ship recommendation models in Python.", 0.5)
    said = "ML engineers at Acme ship recommendation models in Python [1]."
    assert check_answer(said, [posting], "q").supports == [
        supported(said, 1, "You will ship recommendation models in Python.")]


def test_the_article_s_role_tag_is_not_what_its_sentences_say() -> None:
    # The real article is tagged ml_engineer (corpus.article_document); a sentence of it that
    # names no role, with none named before it, is about no role in particular.
    source = note(1, "ml_engineer", "Pivoting into a new skillset takes years of practice.", "article")
    said = "ML engineers take years of practice to pivot into a new skillset [1]."
    checked = check_answer(said, [source], "q")
    assert checked.supports == [Support("Pivoting into a new skillset takes years of practice [1].", 1,
                                        "Pivoting into a new skillset takes years of practice.", "replaced")]
    assert checked.dropped == [(said, "role: the source does not talk about ml_engineer")]


def test_a_tagged_article_sentence_naming_no_role_speaks_of_the_role_named_before_it() -> None:
    students = Source(1, "article#1", "What's an ML engineer?", "article", "ml_engineer", "",
                      DS.text.replace("What's an ML engineer?\n", "Opinion\n"), 0.6)
    said = ("Data science students typically spend the majority of their time coding a machine learning algorithm "
            "from scratch in the C++ programming language [1].")
    assert [s.status for s in check_answer(said, [students], "q").supports] == ["supported"]


def test_a_posting_of_no_known_role_carries_the_role_named_before() -> None:
    posting = Source(1, "p#0", "Quant Researcher", "posting", "other", "Acme",
                     "Quant Researcher at Acme\nData scientists on this team build pricing models. They ship them to "
                     "production in Python.", 0.5)
    # ship, produ, pytho are in "They ship them ...", which names no role of its own.
    said = "Data scientists ship their models to production in Python [1]."
    assert check_answer(said, [posting], "q").supports == [
        supported(said, 1, "They ship them to production in Python.")]


def test_a_role_note_sentence_naming_no_role_is_its_own_role_s_even_after_another_role() -> None:
    source = note(1, "ml_engineer", "Data scientists design the studies. Many roles specialise in deep learning for "
                  "computer vision.", heading="Machine Learning Engineer (role note)")
    said = "Data scientists specialise in deep learning for computer vision [1]."
    checked = check_answer(said, [source], "q")
    assert checked.text == "Many roles specialise in deep learning for computer vision [1]."
    assert checked.dropped == [(said, "role: says data_scientist where the source says ml_engineer")]


def test_the_roles_said_and_the_roles_in_the_source_are_both_named_in_the_reason() -> None:
    said = "Data engineers and data analysts share a lot of overlap in what is expected of skillsets [4]."
    checked = check_answer(said, SOURCES, "q")
    assert checked.dropped == [(said, "role: says data_analyst, data_engineer where the source says data_scientist, "
                                      "ml_engineer, software_engineer")]
    assert checked.text == OVERLAP_SENTENCE[:-1] + " [4]."


def test_a_relation_between_roles_names_what_the_source_sentence_names() -> None:
    three = "ML engineers, data scientists and data engineers share a lot of overlap in what is expected of skillsets [4]."
    assert check_answer(three, SOURCES, "q").dropped == [
        (three, "role: relates data_engineer, data_scientist, ml_engineer; the source sentence names data_scientist, "
                "ml_engineer, software_engineer")]
    vary = note(1, "", "These definitions really do vary quite a bit between companies.", "article")
    two = "ML engineers and data scientists have definitions that vary quite a bit between companies [1]."
    checked = check_answer(two, [vary], "q")
    assert checked.dropped == [(two, "role: relates data_scientist, ml_engineer; the source sentence names no role")]
    assert checked.text == "These definitions really do vary quite a bit between companies [1]."


def test_a_negated_claim_of_an_affirmed_source_sentence_is_replaced() -> None:
    said = "A data scientist is not required to have a stronger mathematical background [1]."
    checked = check_answer(said, [DS], "q")
    assert checked.dropped == [(said, "polarity: the sentence negates what the source affirms, or the reverse")]
    assert checked.supports == [Support(DS_SENTENCE[:-1] + " [1].", 1, DS_SENTENCE, "replaced")]


def test_a_swapped_side_word_is_named_and_a_wrong_role_is_named_first() -> None:
    weaker = "A data scientist is often required to have a weaker mathematical background [1]."
    assert check_answer(weaker, [DS], "q").dropped == [
        (weaker, "swapped: says weaker mathe… where the source says otherwise")]
    both = "A ML engineer is often required to have a weaker mathematical background [1]."
    assert check_answer(both, [DS], "q").dropped == [
        (both, "role: says ml_engineer where the source says data_scientist")]


# _carried_roles


def test_carried_roles_are_those_of_the_nearest_of_three_sentences_before() -> None:
    sentences = [
        "Data scientists build models.",   # 0: nothing before it
        "They tune them.",                 # 1: from 0
        "Results are shared.",             # 2: from 0, two back
        "Reports follow.",                 # 3: from 0, three back
        "Nobody reads them.",              # 4: 0 is four back, too far
        "ML engineers deploy them.",       # 5: 2, 3, 4 name no role
        "Then they monitor.",              # 6: from 5
        "Software engineers review the code.",  # 7: from 5 (its own role is not carried to itself)
    ]
    assert _carried_roles(sentences) == [set(), {"data_scientist"}, {"data_scientist"}, {"data_scientist"}, set(),
                                         set(), {"ml_engineer"}, {"ml_engineer"}]
    assert _carried_roles(["Nobody reads them.", "Data scientists build models."]) == [set(), set()]
    assert _carried_roles([]) == []


# answers_the_question


def skills_in(text: str) -> set[str]:
    return {tool for tool in ("Rust", "Kubernetes", "Python") if tool.lower() in re.findall(r"\w+", text.lower())}


def one_support(sentence: str, evidence: str, n: int = 2) -> Checked:
    return Checked(sentence, [supported(sentence, n, evidence)])


def test_a_tool_named_in_the_answer_sentence_answers_a_question_about_it() -> None:
    checked = one_support("ML engineers need Python [2].", "ML engineers write code.")
    assert answers_the_question(checked, "Do ML engineers need Python?", skills_in) is checked


def test_a_tool_named_only_in_the_evidence_answers_a_question_about_it() -> None:
    checked = one_support("Most ML engineers must know one main coding language [2].", PYTHON_SENTENCE)
    assert answers_the_question(checked, "Do ML engineers need Python?", skills_in) is checked


def test_tools_at_the_end_of_unpunctuated_sentences_and_evidence_are_still_seen() -> None:
    # A posting's bullet has no full stop, nor has the model's last sentence.
    said = Checked("", [supported("They use Python [5]", 5, "Skills: SQL"),
                        supported("ML engineers write code [2].", 2, "ML engineers write code")])
    assert answers_the_question(said, "Do ML engineers need Python?", skills_in) is said
    backed = Checked("", [supported("ML engineers write code [2].", 2, "Skills: Python"),
                          supported("They use SQL [5].", 5, "Skills: SQL")])
    assert answers_the_question(backed, "Do ML engineers need Python?", skills_in) is backed


def test_an_answer_without_the_tools_asked_about_is_declined_naming_them() -> None:
    checked = one_support("It is an absolute must for an ML engineer to have a software engineering skillset [2].",
                          "When it comes to deep learning specifically, it’s an absolute “must” for an ML engineer to "
                          "have a software engineering skillset.")
    declined = answers_the_question(checked, "Do ML engineers need Rust or Kubernetes?", skills_in)
    assert declined == Checked("", [], [(checked.supports[0].sentence, "the sources say nothing of Kubernetes, Rust")])


def test_an_answer_without_the_kind_of_fact_asked_for_is_declined_saying_so() -> None:
    checked = check_answer(f"{PYTHON_CLAIM} [2].", [MLE], "q")
    declined = answers_the_question(checked, "How old is the author?")
    assert declined == Checked("", [], [(f"{PYTHON_CLAIM} [2].", "the question asks for an age and the sources give none")])


def test_a_name_the_question_already_gave_is_not_the_name_it_asks_for() -> None:
    # "Amazon" just before the citation is still the question's own word, not an answer.
    checked = one_support("The author works at a company like Amazon [4].", AUTHOR_SENTENCE, n=4)
    declined = answers_the_question(checked, "Which company does the author work for, Amazon?")
    assert declined.supports == []
    assert declined.dropped == [("The author works at a company like Amazon [4].",
                                 "the question asks for a name and the sources give none")]


def test_a_sentence_that_only_says_the_question_back_is_dropped() -> None:
    said_back = Support("Actuaries have been re-titled as data scientists [1].", 1, "x", "supported")
    answer = Support("Business value is business value [1].", 1, "y", "supported")
    question = "Why have actuaries been re-titled as data scientists?"
    result = beyond_the_question(Checked("", [said_back, answer]), question)
    assert result.supports == [answer] and result.text == "Business value is business value [1]."
    assert result.dropped == [(said_back.sentence, "says only what the question says")]
    # One word of its own is an answer ("SAS"); so is denying what the question asks.
    sas = Support("The author calls SAS the industry favorite [1].", 1, "z", "supported")
    assert beyond_the_question(Checked(sas.sentence, [sas]), "Which tool is the industry favorite?").supports == [sas]
    denied = Support("The Fourth Coffee job is not really ML engineering [2].", 2, "w", "supported")
    asked = "Is the Fourth Coffee job really ML engineering?"
    assert beyond_the_question(Checked(denied.sentence, [denied]), asked).supports == [denied]
    unchanged = Checked(answer.sentence, [answer])
    assert beyond_the_question(unchanged, question) is unchanged


def test_what_the_author_believes_must_be_in_what_they_say() -> None:
    # "believes" is a word of the claim, not framing: "The author believes data scientists are
    # more likely to have a mathematical background, which is a prerequisite for software
    # engineering" passed the 60% bar without it, with "prerequisite" in no source.
    heading = Source(1, "article#16", "Where the industry is heading", "article", "", "",
                     "Where the industry is heading\nI see a growing need for ML engineers in general.", 0.5)
    checked = check_answer("The author believes there is a growing need for ML engineers [1].", [heading], "Where?")
    assert checked.supports == [] and checked.dropped[0][1] == "the source covers 50% of its words"


def test_the_other_side_of_a_comparison_comes_from_the_article_before_a_role_note() -> None:
    # Both share "data engineering" and "role" with the question; the note speaks of the data
    # engineer alone (+1), the article names the analyst too but is the article (+1.5).
    article = Source(1, "article#5", "The three skillsets", "article", "", "", "The three skillsets\nI omitted data "
                     "engineering because it is more often relegated to a role like a data analyst or data engineer.", 0.5)
    note = Source(2, "role2#0", "Data Engineer (role note)", "role", "data_engineer", "", "Data Engineer (role note)\n"
                  "A data engineer owns data engineering: the pipelines that move data into the warehouse.", 0.5)
    ml = Support("ML engineers build models [3].", 3, "ML engineers build models.", "supported")
    result = complete_comparison(Checked(ml.sentence, [ml]), "Is data engineering the ML engineer's role or the "
                                 "data engineer's?", [note, article])
    assert [s.source for s in result.supports] == [3, 1] and result.supports[1].status == "added"



SEPARATES = "ML engineer vs data scientist: what actually separates the two?"
DICHOTOMY = ("With this understanding of data science, you can begin to see a dichotomy between the skillsets of a "
             "data scientist and an ML engineer.")
MENTORING = ("I have the pleasure of mentoring many students at many of the top-name universities majoring in data "
             "science, and they'll tell you this is definitely the focus.")
MUST = "It's an absolute must for an ML engineer to have a software engineering skillset."


def _dichotomy_article() -> Source:
    return Source(1, "article#1", "Data scientist vs. ML engineer", "article", "", "",
                  f"Data scientist vs. ML engineer\n{DICHOTOMY} {DS_SENTENCE} {MENTORING} {MUST}", 0.6)


def test_a_comparison_that_asks_only_how_roles_differ_gets_the_sentences_that_contrast_them() -> None:
    result = complete_comparison(Checked(""), SEPARATES, [_dichotomy_article()])
    # The ML engineer's side first, then the data scientist's that answers it (software engineering).
    assert [s.evidence for s in result.supports] == [MUST, DS_SENTENCE]
    assert all(s.status == "added" for s in result.supports)


def test_the_other_side_of_the_headline_question_answers_what_was_said_of_the_first() -> None:
    omitted = ("I deliberately omitted data engineering because I find more often than not that it is relegated "
               "to a role like a data analyst or data engineer, rather than the ML engineer with a background in it.")
    article = Source(4, "article#4", "The three skillsets", "article", "", "", f"The three skillsets\n{omitted}", 0.6)
    said = Support(f"{DS_SENTENCE[:-1]} [12].", 12, DS_SENTENCE, "supported")
    result = complete_comparison(Checked(said.sentence, [said]), "What's the difference between an ML engineer "
                                 "and a data scientist?", [article, _dichotomy_article()])
    assert [s.evidence for s in result.supports] == [DS_SENTENCE, MUST]


def test_a_sentence_that_says_two_roles_differ_but_not_how_answers_for_neither() -> None:
    said = Support(f"{DICHOTOMY[:-1]} [1].", 1, DICHOTOMY, "supported")
    result = complete_comparison(Checked(said.sentence, [said]), SEPARATES, [_dichotomy_article()])
    assert [s.evidence for s in result.supports] == [DICHOTOMY, MUST, DS_SENTENCE]
    # A question with a topic of its own takes the sentence as it is.
    topical = complete_comparison(Checked(said.sentence, [said]), "How do an ML engineer and a "
                                  "data scientist differ in their coding?", [_dichotomy_article()])
    assert topical.supports == [said]


# What the author does or is: the article says it in the first person.


@pytest.mark.parametrize("claim, of_the_author", [
    ("The author builds predictive models to solve business problems.", True),
    ("He works at a Fortune 50 company.", True),
    ("The author personally enjoys reading job postings.", True),
    ("The author's own job involves batch inference.", True),
    ("The author is a principal ML engineer.", True),
    ("The author says ML engineers need cloud skills.", False),
    ("She thinks data scientists are valuable.", False),
    ("According to the author, ML engineers need AWS.", False),
    ("In the author's view, the maths is harder to learn.", False),
    ("ML engineers build APIs.", False),
])
def test_a_sentence_about_what_the_author_does_is_told_from_one_that_only_reports_them(
        claim: str, of_the_author: bool) -> None:
    assert about_the_author_as_subject(claim) is of_the_author


ARCHITECTURE = article(7, "batch inference solutions")
INFERENCE = article(8, "draw inferences on future data")


def test_what_the_author_does_is_backed_only_by_a_sentence_that_says_i() -> None:
    # h3-01: "The author builds predictive models ..." rested on an article sentence about
    # predictive models in general, which is not about the author; nor is that sentence put in
    # as a correction: it does not say what the author builds.
    claim = "The author builds predictive models that draw inferences on future data [8]."
    invented = check_answer(claim, [ARCHITECTURE, INFERENCE], "What does the author build in their own job?")
    assert invented.supports == [] and invented.text == ""
    assert invented.dropped == [(claim,
                                 "about the author, where the source sentence does not speak of the author")]
    told = "The author builds machine learning APIs and batch inference solutions [7]."
    backed = check_answer(told, [ARCHITECTURE, INFERENCE], "What does the author build in their own job?")
    assert backed.text == told and backed.supports[0].evidence.startswith("In my own role as an ML engineer")
    # What the author says of others needs no "I".
    reported = "The author says a company may ask an ML engineer to understand cloud services like AWS [7]."
    assert check_answer(reported, [ARCHITECTURE], "What does the author say about AWS?").text == reported


@pytest.mark.parametrize("question, sentence, evidence, kind", [
    ("Which does the author personally prefer, PyTorch or TensorFlow?",
     "ML engineers work with TensorFlow or PyTorch [2].",
     "Regardless of whether you choose to work with TensorFlow, PyTorch, or even other libraries, I write code.",
     "a preference"),
    ("Which certifications does the author recommend to land an ML engineer job?",
     "I see companies ask an ML engineer to understand AWS [2].",
     "I see companies ask an ML engineer to understand AWS.", "a recommendation"),
    ("What percentage of the postings the author looked at asked for AWS?",
     "I look at postings that ask an ML engineer to understand AWS [2].",
     "I look at postings that ask an ML engineer to understand AWS.", "a number"),
    ("What p-value cutoff does the article use?", "I compare a control group by its p-value [2].",
     "I compare a control group by its p-value.", "a number"),
    ("What was the author's career path before becoming an ML engineer?",
     "I am a principal ML engineer at a Fortune 50 company [2].",
     "I am a principal ML engineer at a Fortune 50 company.", "a past"),
    ("Does the article say you need a PhD to be an ML engineer?",
     "I see students majoring in data science at many of the top-name universities [2].",
     "I see students majoring in data science at many of the top-name universities.", "a degree"),
    # Words between "which" and the kind of name asked for.
    ("Which top-name universities does the author mentor data science students at?",
     "The author mentors students at many of the top-name universities [2].",
     "I have the pleasure of mentoring many students at many of the top-name universities.", "a name"),
    # The platforms a general sentence names are not the ones the author's company runs on.
    ("Which cloud platform does the author's Fortune 50 company actually run on: AWS, GCP or Azure?",
     "Companies ask ML engineers to understand Amazon Web Services or Microsoft Azure [2].",
     "It's common for a company to ask that an ML engineer understand Amazon Web Services or Microsoft Azure.",
     "a name"),
])
def test_an_answer_without_the_preference_recommendation_number_or_past_asked_for_is_declined(
        question: str, sentence: str, evidence: str, kind: str) -> None:
    checked = one_support(sentence, evidence)
    declined = answers_the_question(checked, question)
    assert declined == Checked("", [], [(sentence, f"the question asks for {kind} and the sources give none")])


@pytest.mark.parametrize("question, sentence", [
    ("Which does the author prefer, PyTorch or TensorFlow?", "I prefer PyTorch to TensorFlow [2]."),
    ("Which certifications does the author recommend?", "I recommend the AWS certification [2]."),
    ("What percentage of the postings the author read asked for AWS?", "I found 40% of them ask for AWS [2]."),
    ("What was the author's career path?", "I worked as a data analyst first [2]."),
    ("Do data scientist postings ask for a PhD?", "Most ask for a PhD or a master's degree [2]."),
    ("Which cloud platforms should an ML engineer know?", "Companies ask for Amazon Web Services [2]."),
    # What the article says of others needs no "I".
    ("Which cloud platforms does the article say ML engineers are asked to understand?",
     "Companies ask ML engineers to understand Microsoft Azure [2]."),
])
def test_the_kind_of_fact_asked_for_said_by_the_author_answers(question: str, sentence: str) -> None:
    checked = one_support(sentence, sentence.replace(" [2]", ""))
    assert answers_the_question(checked, question) is checked


@pytest.mark.parametrize("question, kind", [
    ("Which top-name universities does the author mentor students at?", "a name"),
    ("Which cloud providers does the author's company use?", "a name"),
    ("What big tech company does the author work for?", "a name"),
    # A verb or an article after "what" is no name asked for.
    ("What does the company's posting ask for?", None),
    ("What kinds of companies hire ML engineers?", None),
    ("Which of the companies offers the highest salary?", "an amount of money"),
])
def test_the_kind_of_name_asked_for_may_follow_a_word_or_two(question: str, kind: str | None) -> None:
    wanted = wanted_fact(question)
    assert (wanted.kind if wanted else None) == kind
