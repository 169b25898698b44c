"""The figures split by a posting's seniority (from its title) or region (its location's
country): per group and role, how many postings and which skills they ask for, and for
two groups of one role, whether one asks for something more often than the other.

A group of fewer than MIN_GROUP_POSTINGS postings is reported but never compared: its
shares move by ten points or more with a single posting.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from assistant.analytics import ROLE_LABELS, Contrast, Corpus, Profile, StatsError, newcombe_interval
from assistant.region import REMOTE, UNKNOWN, region_label
from assistant.seniority import LEVEL_LABELS, LEVELS
from assistant.skills import CATEGORIES

Grouping = Literal["seniority", "region"]
GROUPINGS: dict[str, Callable[[Profile], str]] = {
    "seniority": lambda p: p.seniority,
    "region": lambda p: p.region,
}
MIN_GROUP_POSTINGS = 10


def grouping(by: str) -> Callable[[Profile], str]:
    if by not in GROUPINGS:
        raise StatsError(f"--by {by!r}: expected one of {', '.join(GROUPINGS)}")
    return GROUPINGS[by]


def groups_of(corpus: Corpus, by: str) -> list[str]:
    """The groups present: levels junior to manager; countries by postings, most first,
    then remote and unknown."""
    present = Counter(grouping(by)(p) for p in corpus.profiles)
    if by == "seniority":
        return [level for level in LEVELS if present[level]]
    countries = sorted((g for g in present if g not in (REMOTE, UNKNOWN)), key=lambda g: (-present[g], g))
    return countries + [g for g in (REMOTE, UNKNOWN) if present[g]]


def within(corpus: Corpus, by: str, role: str | None) -> Corpus:
    """The postings of one role (all postings for None), each with its group in place of
    its role, so the role figures and contrasts count groups."""
    key = grouping(by)
    return Corpus(corpus.taxonomy, [dataclasses.replace(p, role=key(p)) for p in corpus.profiles
                                    if role is None or p.role == role], exact=corpus.exact)


def group_label(by: str, group: str) -> str:
    if by == "seniority":
        return LEVEL_LABELS.get(group, group)
    return region_label(group)


def segments_json(corpus: Corpus, by: str, roles: Sequence[str], skills: Sequence[str] | None = None) -> dict[str, Any]:
    chosen = list(skills or corpus.taxonomy.skills)
    result: dict[str, Any] = {"by": by, "postings": len(corpus.profiles), "exact": corpus.exact,
                              "taxonomy": corpus.taxonomy.version, "min_group_postings": MIN_GROUP_POSTINGS,
                              "labels": {}, "groups": {}}
    split = {role: within(corpus, by, role) for role in roles}
    for group in groups_of(corpus, by):
        result["labels"][group] = group_label(by, group)
        result["groups"][group] = {}
        for role in roles:
            f = split[role].figures(group)
            result["groups"][group][role] = {
                "n": f.n,
                "skills": {s: round(f.share(s), 4) for s in chosen},
                "skill_counts": {s: f.counts.get(s, 0) for s in chosen},
                "categories": {c: round(f.category_counts.get(c, 0) / f.n, 4) if f.n else 0.0 for c in CATEGORIES},
                "category_counts": {c: f.category_counts.get(c, 0) for c in CATEGORIES},
            }
    return result


def segments_lines(corpus: Corpus, by: str, roles: Sequence[str], skills: Sequence[str] | None = None,
                   top: int = 10) -> list[str]:
    """Per role, a table with a column per group: n, category shares, skill shares."""
    names = corpus.taxonomy.skills
    groups = groups_of(corpus, by)
    width = max(10, *(len(g) for g in groups)) + 2 if groups else 10
    label_width = 34
    lines = [f"{len(corpus.profiles)} postings by {by}" + ("" if corpus.exact else " (approximate: index predates "
                                                         "the document table; refresh it for exact counts)")]
    if by == "region":
        lines.append("  " + ", ".join(f"{g} = {group_label(by, g)}" for g in groups))
    for role in roles:
        split = within(corpus, by, role)
        shown = [g for g in groups if split.figures(g).n]  # a group with none of this role's postings is no column
        figures = [split.figures(g) for g in shown]
        lines += ["", f"{ROLE_LABELS[role]}", f"  {'':<{label_width}}" + "".join(f"{g:>{width}}" for g in shown),
                  f"  {'postings (n)':<{label_width}}" + "".join(f"{f.n:>{width}}" for f in figures)]
        if not shown:
            continue
        for category, label in CATEGORIES.items():
            lines.append(f"  {label:<{label_width}}" + "".join(
                f"{(f.category_counts.get(category, 0) / f.n if f.n else 0):>{width}.0%}" for f in figures))
        chosen = list(skills) if skills else sorted(
            names, key=lambda s: (-sum(f.counts.get(s, 0) for f in figures), s))[:top]
        for skill in chosen:
            lines.append(f"  {names[skill].name[:label_width]:<{label_width}}" + "".join(
                f"{f'{f.share(skill):.0%} ({f.counts.get(skill, 0)})':>{width}}" for f in figures))
    small = f"groups of fewer than {MIN_GROUP_POSTINGS} postings are too small to compare"
    return [*lines, "", small]


@dataclass(frozen=True)
class Difference:
    """How much more often the postings of group a ask for something than those of group b.
    `ci95` is None when either group is too small to compare."""

    count_a: int
    n_a: int
    count_b: int
    n_b: int
    ci95: tuple[float, float] | None

    @property
    def diff(self) -> float:
        return self.count_a / self.n_a - self.count_b / self.n_b

    @property
    def too_small(self) -> bool:
        return self.ci95 is None

    @property
    def clear(self) -> bool:
        """The interval lies wholly on one side of zero."""
        return self.ci95 is not None and (self.ci95[0] > 0 or self.ci95[1] < 0)


def difference(count_a: int, n_a: int, count_b: int, n_b: int) -> Difference:
    if min(n_a, n_b) < MIN_GROUP_POSTINGS:
        return Difference(count_a, n_a, count_b, n_b, None)
    return Difference(count_a, n_a, count_b, n_b, newcombe_interval(count_a, n_a, count_b, n_b))


def category_difference(corpus: Corpus, by: str, role: str | None, a: str, b: str, category: str) -> Difference:
    """Postings that ask for any skill of the category, group a against group b."""
    split = within(corpus, by, role)
    fa, fb = split.figures(a), split.figures(b)
    return difference(fa.category_counts.get(category, 0), fa.n, fb.category_counts.get(category, 0), fb.n)


def skill_difference(corpus: Corpus, by: str, role: str | None, a: str, b: str, skill: str) -> Difference:
    split = within(corpus, by, role)
    fa, fb = split.figures(a), split.figures(b)
    return difference(fa.counts.get(skill, 0), fa.n, fb.counts.get(skill, 0), fb.n)


def separating(corpus: Corpus, by: str, role: str | None, a: str, b: str, top: int = 3) -> list[Contrast]:
    """The skills group a asks for clearly more often than group b (nothing when either
    group is too small to compare)."""
    split = within(corpus, by, role)
    if min(split.figures(a).n, split.figures(b).n) < MIN_GROUP_POSTINGS:
        return []
    return split.contrast(a, b, top=top)
