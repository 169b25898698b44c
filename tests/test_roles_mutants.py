"""The roles a text names, checked by hand: text order, each role once, software engineers
only for claims, role names blanked to spaces of the same length, and the rule that an
earlier vocabulary entry keeps the text it matched (issue 18, mutation testing)."""

from __future__ import annotations

import re

import pytest

from assistant.roles import _named, role_family, roles_in, roles_named, without_roles


def test_roles_come_in_the_order_the_text_names_them_not_the_vocabulary_s() -> None:
    # The vocabulary lists ML engineers before data scientists.
    assert roles_in("Data scientists and ML engineers") == ["data_scientist", "ml_engineer"]
    assert roles_in("ML engineers and data scientists") == ["ml_engineer", "data_scientist"]
    assert roles_in("A data analyst, a research scientist and an MLOps engineer") == [
        "data_analyst", "research_scientist", "mlops_ai_engineer"]


def test_a_role_named_twice_is_listed_once_where_it_first_appears() -> None:
    assert roles_in("ML engineers, data scientists, and again ML engineers") == ["ml_engineer", "data_scientist"]
    assert roles_in("data engineering, data engineers, data_engineer") == ["data_engineer"]


def test_a_text_without_roles_names_none() -> None:
    assert roles_in("") == []
    assert roles_in("Python, SQL and machine learning") == []
    assert roles_named("Python, SQL and machine learning") == []


def test_software_engineers_are_named_in_claims_but_are_no_family() -> None:
    text = "Software engineers and data engineers"
    assert roles_in(text) == ["data_engineer"]
    assert roles_named(text) == ["software_engineer", "data_engineer"]
    assert roles_named("ML engineers vs technology / software engineers") == ["ml_engineer", "software_engineer"]


def test_role_names_are_blanked_to_spaces_of_the_same_length() -> None:
    # "ML engineers" is 12 characters; the skill "ML" after it stays.
    assert without_roles("ML engineers use ML.") == " " * 12 + " use ML."
    # "Data scientists" and "MLOps engineers" are 15 characters each; every vocabulary entry is applied.
    assert without_roles("Data scientists and MLOps engineers know ML") == " " * 15 + " and " + " " * 15 + " know ML"
    # Software engineers are no family: their name stays.
    assert without_roles("software engineers write Python") == "software engineers write Python"
    assert without_roles("") == ""


def _vocabulary(*entries: tuple[str, str]) -> list[tuple[str, re.Pattern[str]]]:
    return [(role, re.compile(pattern)) for role, pattern in entries]


def test_an_earlier_entry_keeps_the_text_it_matched() -> None:
    # No two entries of the shipped vocabularies can overlap (each match starts and ends at a
    # word boundary of different words), so the rule is checked with vocabularies made for it.
    assert _named("abc", _vocabulary(("first", "ab"), ("second", "bc"))) == ["first"]
    assert _named("abc", _vocabulary(("second", "bc"), ("first", "ab"))) == ["second"]
    # Touching is not overlapping: a match may end where another starts, on either side.
    assert _named("abcd", _vocabulary(("first", "ab"), ("second", "cd"))) == ["first", "second"]
    assert _named("abcd", _vocabulary(("second", "cd"), ("first", "ab"))) == ["first", "second"]
    # A match that overlaps is skipped, and the entry's later matches are still read.
    assert _named("abc", _vocabulary(("first", "b"), ("second", "ab|c"))) == ["first", "second"]
    assert _named("xabc", _vocabulary(("first", "b"), ("second", "ab|x"))) == ["second", "first"]


@pytest.mark.parametrize(("title", "family"), [
    ("Chef", "other"),
    ("", "other"),
    ("Deep Learning Researcher", "ml_engineer"),  # the broad last entry
])
def test_a_title_no_family_matches_is_other(title: str, family: str) -> None:
    assert role_family(title) == family
