"""Role family from a job title: the normalized label used for filters and counts."""

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
