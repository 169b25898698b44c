"""The eval's own figures: what counts as an answer resting on its expected evidence."""

from __future__ import annotations

from typing import Any

from assistant.evaluation import both_sides, on_evidence, summarize

EVIDENCE = ["These definitions really do vary quite a bit!", "companies define these roles pretty ambiguously"]


def test_a_sentence_rests_on_the_evidence_when_it_has_half_of_a_phrase_s_words() -> None:
    assert on_evidence("Definitions of the role vary from company to company [2].", EVIDENCE)  # definitions, vary
    assert on_evidence("Companies define these roles ambiguously [1].", EVIDENCE)
    # "definitions" alone is one word of three: not what the phrase says.
    assert not on_evidence("The article gives no definitions [1].", EVIDENCE)
    assert not on_evidence("Cboe Global Markets is an Equal Opportunity Employer [5].", EVIDENCE)
    assert not on_evidence("Anything at all.", [])


def row(id_: str, *, refuse: bool = False, declined: bool = False, evidence_in_answer: bool | None = None,
        off: int = 0, judged: int = 0) -> dict[str, Any]:
    return {"id": id_, "category": "article", "refuse": refuse, "declined": declined, "has_evidence": True,
            "rank": 1, "terms": None, "total_ms": 1.0, "first_token_ms": 1.0, "first_shown_ms": 1.0,
            "evidence_in_answer": evidence_in_answer, "off_evidence": off, "judged_sentences": judged}


def test_the_summary_counts_answers_on_their_evidence_and_sentences_off_it() -> None:
    rows = [row("a", evidence_in_answer=True, off=1, judged=3), row("b", evidence_in_answer=False, off=2, judged=2),
            row("c", evidence_in_answer=True, off=0, judged=1), row("d", refuse=True, declined=True)]
    summary = summarize(rows, k=5, backend="extractive")
    assert summary["evidence_in_answer"] == round(2 / 3, 3)
    assert summary["no_evidence_in_answer"] == ["b"]
    assert summary["sentences_off_evidence"] == round(3 / 6, 3)
    assert summary["unanswerable_declined"] == 1.0 and summary["answerable_declined"] == 0.0


def test_a_comparison_is_answered_on_both_sides_when_each_role_is_named_or_one_is_and_vice_versa() -> None:
    roles = ["data_scientist", "ml_engineer"]
    assert both_sides("A data scientist knows more math. An ML engineer codes more.", roles)
    assert not both_sides("A data scientist knows more math.", roles)
    assert both_sides("It is easier for a data scientist to learn to code than vice versa.", roles)
    assert both_sides("It is easier for a data scientist to learn to code than the other way round.", roles)
    # "Vice versa" in a sentence about neither role, or with a third role asked about, is not enough.
    assert not both_sides("A data scientist knows math. Coding helps math and vice versa.", roles)
    assert not both_sides("It is easier for a data scientist to learn to code than vice versa.",
                          [*roles, "data_engineer"])
