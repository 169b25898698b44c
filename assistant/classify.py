"""Which role a job description reads like, judged by its content, not its title.

A Bernoulli naive Bayes over taxonomy skills: each role's postings give the chance that a
posting of that role mentions each skill (Laplace-smoothed), and a description scores by
how likely its mentioned and unmentioned skills are under each role. Equal priors, so a
role with many postings does not win by numbers alone.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field

from assistant.analytics import (
    MIN_ROLE_POSTINGS,
    ROLE_LABELS,
    Corpus,
    RoleFigures,
    StatsError,
    category_shares,
    with_article,
)
from assistant.roles import role_family

TYPICAL = 0.5  # a skill at least this share of a role's postings mention is typical of it
RARE = 0.1


@dataclass
class RoleFit:
    role: str
    n: int
    log_likelihood: float
    probability: float = 0.0
    matches: list[str] = field(default_factory=list)  # its skills this role's postings often mention
    unusual: list[str] = field(default_factory=list)  # its skills this role's postings rarely mention
    missing: list[str] = field(default_factory=list)  # typical skills of the role it does not mention


@dataclass
class Classification:
    skills: list[str]
    mentions: list[tuple[str, str]]  # (skill, text as written)
    profile: dict[str, float]
    fits: list[RoleFit]  # best first
    distinctive: list[tuple[str, float, float]]  # (skill, share in best role, share in the others)
    title: str = ""  # the description's first line when it reads as a job title
    title_role: str = "other"  # the role family that title names

    @property
    def title_mismatch(self) -> bool:
        """Its title names one role and its content reads like another."""
        return self.title_role != "other" and self.title_role != self.best.role

    @property
    def best(self) -> RoleFit:
        return self.fits[0]

    def why(self, corpus: Corpus) -> str:
        names = corpus.taxonomy.skills
        best = self.best
        if not self.skills:
            return "It mentions none of the skills in the taxonomy, so its content says little about the role."
        lead = f"It reads most like {with_article(ROLE_LABELS[best.role])} posting (of {best.n} in the corpus)"
        if self.title_mismatch:
            lead = (f"Titled {self.title}, it reads like {with_article(ROLE_LABELS[best.role])} posting "
                    f"(of {best.n} in the corpus), not {with_article(ROLE_LABELS[self.title_role])} one")
        elif self.title_role != "other":
            lead = (f"Titled {self.title}, it also reads like {with_article(ROLE_LABELS[best.role])} posting "
                    f"(of {best.n} in the corpus)")
        parts = [lead]
        if self.distinctive:
            shown = ", ".join(f"{names[s].name} ({a:.0%} of {ROLE_LABELS[best.role]} postings vs {b:.0%} of others)"
                              for s, a, b in self.distinctive[:4])
            parts.append(f"because it asks for {shown}")
        if len(self.fits) > 1:
            parts.append(f"next is {ROLE_LABELS[self.fits[1].role]}")
        return "; ".join(parts) + "."


def classify(text: str, corpus: Corpus) -> Classification:
    taxonomy = corpus.taxonomy
    mentions = taxonomy.mentions(text)
    present = {m.skill for m in mentions}
    roles = [r for r in corpus.roles_present if r != "other" and corpus.figures(r).n >= MIN_ROLE_POSTINGS]
    if not roles:
        raise StatsError(f"the index has no role with {MIN_ROLE_POSTINGS} or more postings to compare with")
    # A skill no candidate role's postings mention says nothing about the role; counted as
    # absent it would only reward the role with the most postings (its smoothed share is lowest).
    seen = seen_skills(corpus, roles)
    fits = []
    for role in roles:
        figures = corpus.figures(role)
        fit = RoleFit(role, figures.n, log_likelihood(skill_chances(figures, seen), present))
        for skill in sorted(present, key=lambda s: -figures.share(s)):
            share = figures.share(skill)
            (fit.matches if share >= 0.3 else fit.unusual if share < RARE else []).append(skill)
        fit.missing = sorted((s for s in taxonomy.skills if figures.share(s) >= TYPICAL and s not in present),
                             key=lambda s: -figures.share(s))
        fits.append(fit)
    top = max(f.log_likelihood for f in fits)
    total = sum(math.exp(f.log_likelihood - top) for f in fits)
    for fit in fits:
        fit.probability = math.exp(fit.log_likelihood - top) / total
    fits.sort(key=lambda f: -f.log_likelihood)
    return Classification(
        skills=sorted(present, key=list(taxonomy.skills).index),
        mentions=[(m.skill, m.text) for m in mentions],
        profile=category_shares(Counter(taxonomy.skills[m.skill].category for m in mentions)),
        fits=fits,
        distinctive=_distinctive(present, fits[0].role, corpus),
        **_title(text),
    )


def seen_skills(corpus: Corpus, roles: Sequence[str]) -> list[str]:
    """The skills some posting of these roles mentions, in taxonomy order."""
    return [s for s in corpus.taxonomy.skills if any(corpus.figures(r).counts.get(s) for r in roles)]


def skill_chances(figures: RoleFigures, seen: Sequence[str], left_out: frozenset[str] | None = None) -> dict[str, float]:
    """The chance that a posting of the role mentions each skill, Laplace-smoothed. With
    `left_out` (the skills of one of the role's own postings), that posting is taken out of
    the counts, so it does not vote for its own role."""
    n = figures.n - (left_out is not None)
    out = left_out or frozenset()
    return {s: (figures.counts.get(s, 0) - (s in out) + 1) / (n + 2) for s in seen}


def log_likelihood(chances: dict[str, float], present: Collection[str]) -> float:
    """How likely a posting's mentioned and unmentioned skills are under those chances."""
    return sum(math.log(p if s in present else 1 - p) for s, p in chances.items())


def _title(text: str) -> dict[str, str]:
    """A pasted posting usually starts with its title: a short first line that names a role."""
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")
    first = re.sub(r"^(job\s+)?title\s*:\s*", "", first, flags=re.I)
    if not first or len(first) > 80:
        return {}
    family = role_family(first)
    return {"title": first, "title_role": family} if family != "other" else {}


def _distinctive(present: set[str], role: str, corpus: Corpus) -> list[tuple[str, float, float]]:
    """The description's skills that most set its best role apart from the other postings."""
    inside = corpus.figures(role)
    others = [p for p in corpus.profiles if p.role != role]
    scored = []
    for skill in present:
        share_in = inside.share(skill)
        share_out = sum(skill in p.skills for p in others) / len(others) if others else 0.0
        if share_in > share_out:
            scored.append((skill, share_in, share_out))
    scored.sort(key=lambda t: -math.log((t[1] + 0.01) / (t[2] + 0.01)))
    return scored
