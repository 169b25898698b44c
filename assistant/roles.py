"""The one role vocabulary: the role family of a job title (filters and counts), and the
roles a question or an answer sentence names (retrieval, figures, the claim check)."""

from __future__ import annotations

import re

# Order matters: the first family whose pattern matches wins, so the more specific
# titles ("machine learning engineer", "MLOps") come before the broad ones ("engineer").
_FAMILIES: list[tuple[str, re.Pattern[str]]] = [
    ("mlops_ai_engineer", re.compile(
        r"\b(ml\s*ops|mlops|ai\s+engineer|ai/ml\s+platform|ml\s+platform|machine learning platform"
        r"|llm\s+engineer|genai\s+engineer|generative ai engineer|ai\s+developer)\b", re.I)),
    ("ml_engineer", re.compile(
        r"\b(machine[\s-]+learning\s+(engineer|developer|scientist engineer)|ml\s+engineer"
        r"|ml/ai\s+engineer|ai/ml\s+engineer|deep\s+learning\s+engineer|computer\s+vision\s+engineer"
        r"|nlp\s+engineer|applied\s+ml)\b", re.I)),
    ("research_scientist", re.compile(
        r"\b(research\s+scientist|research\s+engineer|applied\s+scientist|scientist,\s*research)\b",
        re.I)),
    ("data_scientist", re.compile(r"\b(data\s+scien\w*|decision\s+scientist|statistician\w*)\b", re.I)),
    ("data_engineer", re.compile(
        r"\b(data\s+(engineer|architect|platform|pipeline|warehouse)\w*|big\s+data|etl\s+developer"
        r"|analytics\s+engineer|hadoop|spark\s+developer)\b", re.I)),
    ("business_analyst", re.compile(r"\b(business\s+(intelligence\s+)?analyst|bi\s+analyst)\b", re.I)),
    ("data_analyst", re.compile(
        r"\b(data\s+analy\w*|analytics\s+analyst|(product|marketing|reporting|insights|quantitative)"
        r"\s+analyst|analyst)\b", re.I)),
    ("ml_engineer", re.compile(r"\b(machine\s+learning|\bml\b|deep\s+learning)", re.I)),
]

ROLE_FAMILIES = (
    "data_scientist",
    "ml_engineer",
    "data_engineer",
    "data_analyst",
    "mlops_ai_engineer",
    "research_scientist",
    "business_analyst",
    "other",
)


def role_family(title: str) -> str:
    """The normalized role family of a title, 'other' when nothing matches."""
    for family, pattern in _FAMILIES:
        if pattern.search(title):
            return family
    return "other"


# How people name the roles in questions, answers and on the command line. "ML engineer"
# inside "MLOps engineer" or "AI engineer" is taken by the earlier, more specific entry.
_ROLE_WORDS: list[tuple[str, re.Pattern[str]]] = [
    ("mlops_ai_engineer", re.compile(
        r"\b(ml\s*ops(\s+engineers?)?|ai\s+engineers?|llm\s+engineers?|genai\s+engineers?)\b|\bmlops_ai_engineers?\b",
        re.I)),
    ("ml_engineer", re.compile(
        r"\b(ml|machine[\s-]+learning)\s+engineer(s|ing)?\b|\bmles?\b|\bml_engineers?\b", re.I)),
    ("research_scientist", re.compile(r"\b(research|applied)\s+scientists?\b|\bresearch_scientists?\b", re.I)),
    ("data_scientist", re.compile(
        r"\bdata\s+scien(tists?|ce)\b|\bdata_scientists?\b|\bstatisticians?\b|\bdecision\s+scientists?\b", re.I)),
    ("data_engineer", re.compile(r"\bdata\s+engineer(s|ing)?\b|\bdata_engineers?\b", re.I)),
    ("business_analyst", re.compile(
        r"\b(business|bi)(\s+intelligence)?\s+analysts?\b|\bbusiness_analysts?\b", re.I)),
    ("data_analyst", re.compile(r"\bdata\s+analysts?\b|\bdata_analysts?\b", re.I)),
]
# Named in answers and the article, but not a family of the postings' figures.
_OTHER_ROLES: list[tuple[str, re.Pattern[str]]] = [
    ("software_engineer", re.compile(r"\b(software|technology)(\s*/\s*software)?\s+engineers?\b", re.I)),
]


def _named(text: str, vocabulary: list[tuple[str, re.Pattern[str]]]) -> list[str]:
    found: list[tuple[int, str]] = []
    taken: list[tuple[int, int]] = []
    for role, pattern in vocabulary:
        for match in pattern.finditer(text):
            if any(s < match.end() and match.start() < e for s, e in taken):
                continue
            taken.append(match.span())
            found.append((match.start(), role))
    ordered: list[str] = []
    for _, role in sorted(found):
        if role not in ordered:
            ordered.append(role)
    return ordered


def roles_in(text: str) -> list[str]:
    """The role families a text names, in the order they appear."""
    return _named(text, _ROLE_WORDS)


def roles_named(text: str) -> list[str]:
    """Every role a text names, software engineers included: what a claim is about."""
    return _named(text, _ROLE_WORDS + _OTHER_ROLES)


def role_words(text: str) -> list[str]:
    """The words a text names its role families with, in order: "an ML engineer" gives
    "ML engineer", so a follow-up's search keeps the wording its conversation used."""
    spans = sorted({(m.start(), m.end()) for _, pattern in _ROLE_WORDS for m in pattern.finditer(text)})
    kept: list[tuple[int, int]] = []
    for start, end in spans:
        if kept and start < kept[-1][1]:
            if end - start > kept[-1][1] - kept[-1][0]:  # "MLOps engineer" over "ML"
                kept[-1] = (start, end)
            continue
        kept.append((start, end))
    return [text[start:end] for start, end in kept]


def without_roles(text: str) -> str:
    """The text with role names blanked, so "ML engineers" is not read as the skill ML."""
    for _, pattern in _ROLE_WORDS:
        text = pattern.sub(lambda m: " " * len(m.group(0)), text)
    return text
