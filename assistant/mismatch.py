"""Titles against content across the corpus: which role each posting's skills read like,
next to the role its title names (the article's "Company A might define the role of an
ML engineer the exact same way that Company B defines a data scientist role").

Each posting is judged by the same naive Bayes as a pasted posting (`classify`), but with
the posting itself left out of its title role's counts, so a role's own postings do not
vote for themselves.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from assistant.analytics import ROLE_LABELS, Corpus, Profile
from assistant.classify import log_likelihood, seen_skills, skill_chances

MIN_SKILLS = 3  # a posting naming fewer taxonomy skills says too little about its content
# A role needs this many postings before its content is a model to judge others by: with the
# shared postings' six MLOps titles, a data scientist asking for linear algebra and
# Elasticsearch "read like" MLOps by chance.
MIN_CANDIDATE_POSTINGS = 10
UNCLEAR = "unclear"


@dataclass(frozen=True)
class Reading:
    """What one posting's content reads like."""

    profile: Profile
    reads_like: str  # a role, or UNCLEAR
    confidence: float  # the naive Bayes probability of `reads_like`, equal priors
    margin: float  # log-likelihood of `reads_like` over the title role's: how clearly it reads so
    evidence: tuple[str, ...]  # its skills that most favour `reads_like` over its title role

    @property
    def mismatched(self) -> bool:
        return self.reads_like not in (UNCLEAR, self.profile.role) and self.profile.role != "other"


@dataclass(frozen=True)
class Mismatch:
    candidates: tuple[str, ...]  # the roles content is judged against
    readings: tuple[Reading, ...]

    def by_title(self) -> dict[str, dict[str, Any]]:
        """For each title role: its n and the share of its postings that read like each role."""
        result: dict[str, dict[str, Any]] = {}
        titles = Counter(r.profile.role for r in self.readings)
        for title in sorted(titles, key=_role_order):
            reads = Counter(r.reads_like for r in self.readings if r.profile.role == title)
            n = titles[title]
            result[title] = {"n": n, "counts": dict(sorted(reads.items(), key=lambda kv: _role_order(kv[0]))),
                             "reads_like": {role: round(count / n, 4)
                                            for role, count in sorted(reads.items(), key=lambda kv: _role_order(kv[0]))}}
        return result

    def examples(self, title: str | None = None, reads_like: str | None = None, limit: int = 10) -> list[Reading]:
        """The postings whose content most clearly reads like a role other than their title's."""
        chosen = [r for r in self.readings if r.mismatched and (title is None or r.profile.role == title)
                  and (reads_like is None or r.reads_like == reads_like)]
        # Naive Bayes probabilities crowd at 1.0; the margin still tells the clear cases apart.
        chosen.sort(key=lambda r: (-r.margin, r.profile.doc_id))
        return chosen[:limit]

    def count(self, title: str, reads_like: str) -> tuple[int, int]:
        """(postings titled `title` whose content reads like `reads_like`, postings titled `title`)."""
        titled = [r for r in self.readings if r.profile.role == title]
        return sum(r.reads_like == reads_like for r in titled), len(titled)


def _role_order(role: str) -> int:
    order = [*ROLE_LABELS, UNCLEAR]
    return order.index(role) if role in order else len(order)


def candidate_roles(corpus: Corpus) -> list[str]:
    return [r for r in corpus.roles_present if r != "other" and corpus.figures(r).n >= MIN_CANDIDATE_POSTINGS]


def readings(corpus: Corpus) -> Mismatch:
    """The corpus's readings, computed once per generation."""
    if "mismatch" not in corpus.memo:
        corpus.memo["mismatch"] = read_postings(corpus)
    result: Mismatch = corpus.memo["mismatch"]
    return result


def read_postings(corpus: Corpus) -> Mismatch:
    candidates = candidate_roles(corpus)
    seen = seen_skills(corpus, candidates)
    return Mismatch(tuple(candidates), tuple(reading(p, corpus, candidates, seen) for p in corpus.profiles))


def reading(profile: Profile, corpus: Corpus, candidates: Sequence[str], seen: Sequence[str]) -> Reading:
    if len(profile.skills) < MIN_SKILLS or len(candidates) < 2:  # one role: nothing to tell apart
        return Reading(profile, UNCLEAR, 0.0, 0.0, ())
    # Each role's chances, with this posting taken out of its own role's counts.
    chances: dict[str, dict[str, float]] = {}
    scores: dict[str, float] = {}
    for role in candidates:
        figures = corpus.figures(role)
        own = role == profile.role
        if figures.n - own <= 0:
            continue
        chances[role] = skill_chances(figures, seen, profile.skills if own else None)
        scores[role] = log_likelihood(chances[role], profile.skills)
    if not scores:
        return Reading(profile, UNCLEAR, 0.0, 0.0, ())
    top = max(scores.values())
    total = sum(math.exp(v - top) for v in scores.values())
    best = max(scores, key=lambda r: (scores[r], r == profile.role))
    confidence = math.exp(scores[best] - top) / total
    baseline = chances.get(profile.role)
    evidence: tuple[str, ...] = ()
    if best != profile.role and baseline is not None:
        favouring = [(math.log(chances[best][s] / baseline[s]), s) for s in profile.skills if s in chances[best]]
        evidence = tuple(s for ratio, s in sorted(favouring, key=lambda t: (-t[0], t[1])) if ratio > 0)[:5]
    elif best != profile.role:
        by_share = sorted(profile.skills & set(chances[best]), key=lambda s: (-chances[best][s], s))
        evidence = tuple(by_share[:5])
    # A title role with no content model ("other") is measured against the runner-up.
    against = scores.get(profile.role, max((v for r, v in scores.items() if r != best), default=scores[best]))
    return Reading(profile, best, round(confidence, 4), round(scores[best] - against, 3), evidence)


def mismatch_json(result: Mismatch, corpus: Corpus, title: str | None = None, limit: int = 10) -> dict[str, Any]:
    names = corpus.taxonomy.skills
    by_title = result.by_title()
    return {
        "postings": len(result.readings),
        "candidates": list(result.candidates),
        "method": ("naive Bayes over taxonomy skills with equal priors, each posting left out of its own "
                   f"title role's counts; postings naming fewer than {MIN_SKILLS} skills are '{UNCLEAR}'; "
                   f"content is judged against the roles with {MIN_CANDIDATE_POSTINGS} or more postings"),
        "by_title": {t: v for t, v in by_title.items() if title is None or t == title},
        "examples": [{"id": r.profile.doc_id, "title": r.profile.title, "company": r.profile.company,
                      "title_role": r.profile.role, "reads_like": r.reads_like, "confidence": r.confidence,
                      "margin": r.margin,
                      "evidence": [names[s].name for s in r.evidence]}
                     for r in result.examples(title, limit=limit)],
    }


def mismatch_lines(result: Mismatch, corpus: Corpus, title: str | None = None, limit: int = 10) -> list[str]:
    names = corpus.taxonomy.skills
    columns = [*result.candidates, UNCLEAR]
    width = 10
    lines = [f"{len(result.readings)} postings: the role each one's title names (rows) against the role its "
             "skills read like (columns), share of the row", ""]
    lines.append(f"{'titled':<22}{'n':>5}" + "".join(f"{_short(c):>{width}}" for c in columns))
    for role, row in result.by_title().items():
        if title is not None and role != title:
            continue
        lines.append(f"{ROLE_LABELS.get(role, role):<22}{row['n']:>5}" + "".join(
            f"{row['reads_like'].get(c, 0):>{width}.0%}" for c in columns))
    lines += ["", "postings whose content most clearly reads like another role:"]
    for r in result.examples(title, limit=limit):
        lines.append(f"  {r.profile.doc_id}  {r.profile.title} · {r.profile.company}: titled "
                     f"{ROLE_LABELS.get(r.profile.role, r.profile.role)}, reads like {ROLE_LABELS[r.reads_like]} "
                     f"({r.confidence:.0%}); {', '.join(names[s].name for s in r.evidence) or 'its skills overall'}")
    return lines


def _short(role: str) -> str:
    return {"data_scientist": "data sci", "ml_engineer": "ML eng", "data_engineer": "data eng",
            "data_analyst": "analyst", "mlops_ai_engineer": "MLOps/AI", "research_scientist": "research",
            "business_analyst": "BI/biz", "other": "other", UNCLEAR: "unclear"}.get(role, role[:9])
