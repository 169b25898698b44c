"""Exact corpus-wide figures: which skills the postings of each role ask for, what
separates two roles, and which role a posting's content reads like.

Everything is counted over the whole text of every indexed posting (the generation's
document table), never over retrieved passages. A posting's role is its title's role
family; its content is the set of taxonomy skills it mentions. Near-duplicate postings
(the same job re-posted, marked at refresh) count once: `n` is distinct postings.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistant.documents import FILE as DOCUMENTS_FILE
from assistant.documents import StoredDocument, from_chunks, read_documents
from assistant.errors import AssistantError
from assistant.proportions import FDR, bh_adjust, fisher_p, newcombe_intervals
from assistant.proportions import newcombe_interval as newcombe_interval  # it used to live here
from assistant.region import region
from assistant.roles import ROLE_FAMILIES, roles_in
from assistant.seniority import seniority
from assistant.skills import CATEGORIES, Taxonomy

MIN_ROLE_POSTINGS = 3  # roles with fewer postings are not offered as a classification
ROLE_LABELS = {
    "data_scientist": "data scientist",
    "ml_engineer": "ML engineer",
    "data_engineer": "data engineer",
    "data_analyst": "data analyst",
    "mlops_ai_engineer": "MLOps / AI engineer",
    "research_scientist": "research scientist",
    "business_analyst": "business analyst",
    "other": "other",
}


def with_article(label: str) -> str:
    """ "an ML engineer", "a data scientist": ML and MLOps are read letter by letter."""
    return ("an " if label[0].lower() in "aeio" or label.startswith("ML") else "a ") + label


class StatsError(AssistantError):
    """A request for figures that cannot be met (an unknown role or skill)."""

    exit_code = 2


@dataclass(frozen=True)
class Profile:
    """One posting as the figures see it."""

    doc_id: str
    title: str
    company: str
    role: str
    skills: frozenset[str]
    mentions: Counter[str]  # category -> mentions of its skills
    text: str
    seniority: str = "mid"  # assistant.seniority.LEVELS, from the title
    region: str = "unknown"  # ISO country code, "remote" or "unknown", from the location


@dataclass
class RoleFigures:
    role: str
    n: int
    counts: dict[str, int]  # skill -> postings that mention it
    category_counts: dict[str, int]  # category -> postings that mention any of its skills
    profile: dict[str, float]  # category -> mean share of a posting's skill mentions

    def share(self, skill: str) -> float:
        return self.counts.get(skill, 0) / self.n if self.n else 0.0


@dataclass(frozen=True)
class Contrast:
    """How much more often the postings of role a mention a skill than those of role b."""

    skill: str
    count_a: int
    n_a: int
    count_b: int
    n_b: int
    diff: float
    ci95: tuple[float, float]
    log_odds_ratio: float
    examples: tuple[str, ...]
    q: float = 1.0  # Benjamini–Hochberg adjusted p-value over the skills of the comparison


@dataclass(frozen=True)
class SkillTest:
    q: float
    ci95: tuple[float, float]  # of the first role's share minus the second's, roles in name order


@dataclass
class Corpus:
    """The postings of one published generation, profiled with one taxonomy: `profiles` are
    the distinct postings, `folded` the near-duplicates left out (doc id -> the posting
    counted for it)."""

    taxonomy: Taxonomy
    profiles: list[Profile]
    exact: bool = True
    folded: dict[str, str] = field(default_factory=dict)
    _figures: dict[str, RoleFigures] = field(default_factory=dict)
    _tests: dict[tuple[str, str, tuple[str, ...]], dict[str, SkillTest]] = field(default_factory=dict)
    memo: dict[str, Any] = field(default_factory=dict, repr=False)  # results computed once per generation

    @property
    def roles_present(self) -> list[str]:
        present = Counter(p.role for p in self.profiles)
        return [r for r in ROLE_FAMILIES if present[r]]

    def figures(self, role: str) -> RoleFigures:
        if role not in self._figures:
            self._figures[role] = role_figures(role, [p for p in self.profiles if p.role == role], self.taxonomy)
        return self._figures[role]

    def contrast(self, a: str, b: str, skills: Sequence[str] | None = None, top: int = 10,
                 fdr: float = FDR) -> list[Contrast]:
        """Skills that role `a` asks for more than role `b`, surest first (by the lower end
        of the 95% interval of the difference in share): only where that interval is above
        0 and the skill's q (its p-value corrected over all skills of the comparison) is at
        most `fdr`, so at most that share of the skills listed is expected to be chance."""
        fa, fb = self.figures(a), self.figures(b)
        if not fa.n or not fb.n:
            return []
        chosen = tuple(skills or self.taxonomy.skills)
        tests = self.skill_tests(a, b, chosen)
        contrasts = []
        for skill, test in tests.items():
            # The tests are stored with a first: b over a is the other side of the same interval.
            low, high = test.ci95 if a == min(a, b) else (-test.ci95[1], -test.ci95[0])
            if test.q > fdr or low <= 0:
                continue
            ca, cb = fa.counts.get(skill, 0), fb.counts.get(skill, 0)
            examples = tuple(p.doc_id for p in self.profiles if p.role == a and skill in p.skills)[:3]
            contrasts.append(Contrast(skill, ca, fa.n, cb, fb.n, ca / fa.n - cb / fb.n, (low, high),
                                      log_odds_ratio(ca, fa.n, cb, fb.n), examples, test.q))
        contrasts.sort(key=lambda c: (-c.ci95[0], c.skill))
        return contrasts[:top]

    def q_values(self, a: str, b: str, skills: Sequence[str]) -> dict[str, float]:
        return {skill: test.q for skill, test in self.skill_tests(a, b, skills).items()}

    def skill_tests(self, a: str, b: str, skills: Sequence[str]) -> dict[str, SkillTest]:
        """Each skill's Benjamini–Hochberg q for "roles a and b mention it equally often"
        (Fisher's exact test) and its interval, with the roles in name order. Corrected over
        the skills that either role mentions at all: one neither mentions can never differ,
        and counting it would only make the others look less sure. Computed once per pair
        of roles and choice of skills, since chat answers ask for both directions."""
        first, second = sorted((a, b))
        key = (first, second, tuple(skills))
        if key not in self._tests:
            fa, fb = self.figures(first), self.figures(second)
            tested = [s for s in dict.fromkeys(skills) if fa.counts.get(s, 0) or fb.counts.get(s, 0)]
            ca, cb = [fa.counts.get(s, 0) for s in tested], [fb.counts.get(s, 0) for s in tested]
            q_values = bh_adjust([fisher_p(x, fa.n, y, fb.n) for x, y in zip(ca, cb, strict=True)])
            intervals = newcombe_intervals(ca, fa.n, cb, fb.n)
            self._tests[key] = {s: SkillTest(q, ci) for s, q, ci in zip(tested, q_values, intervals, strict=True)}
        return self._tests[key]

    def examples(self, role: str, skill: str, limit: int = 3) -> list[Profile]:
        return [p for p in self.profiles if p.role == role and skill in p.skills][:limit]


def profile(doc: StoredDocument, taxonomy: Taxonomy) -> Profile:
    mentions = taxonomy.mentions(doc.text)
    by_category = Counter(taxonomy.skills[m.skill].category for m in mentions)
    return Profile(doc.doc_id, doc.title, doc.company, doc.role_family,
                   frozenset(m.skill for m in mentions), by_category, doc.text,
                   seniority=seniority(doc.title), region=region(doc.location))


def category_shares(mentions: Counter[str]) -> dict[str, float]:
    """A posting's content profile: the share of its skill mentions in each category."""
    total = sum(mentions.values())
    return {category: (mentions[category] / total if total else 0.0) for category in CATEGORIES}


def role_figures(role: str, profiles: list[Profile], taxonomy: Taxonomy) -> RoleFigures:
    counts = Counter(skill for p in profiles for skill in p.skills)
    category_counts = Counter(
        category for p in profiles for category in {taxonomy.skills[s].category for s in p.skills}
    )
    shares = [category_shares(p.mentions) for p in profiles if p.mentions]
    mean = {c: (sum(s[c] for s in shares) / len(shares) if shares else 0.0) for c in CATEGORIES}
    return RoleFigures(role, len(profiles), dict(counts), dict(category_counts), mean)


def load_corpus(generation_path: Path, taxonomy: Taxonomy,
                chunks: Callable[[], tuple[list[str], list[str], list[dict[str, Any]]]] | None = None) -> Corpus:
    """The postings of a generation. `chunks` gives (ids, texts, metadatas) to rebuild the
    texts of an index made before the document table; figures from it are marked not exact."""
    if (generation_path / DOCUMENTS_FILE).is_file() or chunks is None:
        postings = read_documents(generation_path, kind="posting")
        return Corpus(taxonomy, [profile(d, taxonomy) for d in postings if not d.duplicate_of],
                      folded={d.doc_id: d.duplicate_of for d in postings if d.duplicate_of})
    documents = [d for d in from_chunks(*chunks()) if d.kind == "posting"]
    return Corpus(taxonomy, [profile(d, taxonomy) for d in documents], exact=False)


def log_odds_ratio(count_a: int, n_a: int, count_b: int, n_b: int) -> float:
    """With 0.5 added to every cell, so a skill no posting of one role mentions stays finite."""
    return math.log((count_a + 0.5) / (n_a - count_a + 0.5)) - math.log((count_b + 0.5) / (n_b - count_b + 0.5))


def resolve_roles(names: Iterable[str]) -> list[str]:
    """Role ids from ids or the way people write them ("ML engineer", "data scientists")."""
    roles: list[str] = []
    for name in (n.strip() for n in names if n.strip()):
        key = name.lower().replace(" ", "_").replace("-", "_")
        role = key if key in ROLE_FAMILIES else next(iter(roles_in(name)), None)
        if role is None:
            raise StatsError(f"unknown role {name!r}; known: {', '.join(ROLE_FAMILIES)}")
        if role not in roles:
            roles.append(role)
    return roles
