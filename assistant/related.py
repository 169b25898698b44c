"""Skills asked for together: for one skill, the skills the same postings most often also
ask for, over all postings or those of some roles.

Lift is how many times more often the two appear together than if postings chose them
independently. Ranked by the lower end of its 95% interval (the Wilson interval of the
share of the asked skill's postings that also ask for the other, over that other skill's
share of all postings), so three postings that happen to share a rare skill do not outrank
forty that share a common one; and only skills together in `MIN_TOGETHER` or more postings.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from assistant.analytics import ROLE_LABELS, Corpus, Profile
from assistant.figures import distinct, folded_note, series
from assistant.proportions import wilson_interval

MIN_TOGETHER = 3


@dataclass(frozen=True)
class Related:
    skill: str
    together: int  # postings that ask for both
    count: int  # postings that ask for this skill
    lift: float  # together * n / (count of the asked skill * count)
    lift_low: float  # the lower end of the lift's 95% interval: what the ranking uses
    share: float  # of the postings that ask for the asked skill, the share that also ask for this one


@dataclass(frozen=True)
class Neighbours:
    skill: str
    roles: tuple[str, ...]  # empty: every posting
    n: int  # postings counted
    count: int  # of those, postings that ask for the skill
    related: tuple[Related, ...]
    examples: tuple[Profile, ...]  # postings that ask for the skill and the top related one


def related_skills(corpus: Corpus, skill: str, roles: Sequence[str] = (), top: int = 10,
                   min_together: int = MIN_TOGETHER) -> Neighbours:
    postings = [p for p in corpus.profiles if not roles or p.role in roles]
    n = len(postings)
    with_skill = [p for p in postings if skill in p.skills]
    counts: dict[str, int] = {}
    for p in postings:
        for s in p.skills:
            counts[s] = counts.get(s, 0) + 1
    together: dict[str, int] = {}
    for p in with_skill:
        for s in p.skills - {skill}:
            together[s] = together.get(s, 0) + 1
    related = []
    for s, both in together.items():
        if both < min_together:
            continue
        low, _ = wilson_interval(both, len(with_skill))
        base = counts[s] / n
        related.append(Related(s, both, counts[s], round(both / len(with_skill) / base, 3), round(low / base, 3),
                               round(both / len(with_skill), 4)))
    related.sort(key=lambda r: (-r.lift_low, -r.together, r.skill))
    chosen = tuple(related[:top])
    examples = tuple(p for p in with_skill if chosen and chosen[0].skill in p.skills)[:2]
    return Neighbours(skill, tuple(roles), n, len(with_skill), chosen, examples)


def related_json(result: Neighbours, corpus: Corpus) -> dict[str, Any]:
    names = corpus.taxonomy.skills
    return {
        "skill": result.skill, "name": names[result.skill].name, "roles": list(result.roles),
        "postings": result.n, "count": result.count,
        "method": ("lift = together × postings / (count of each); ranked by the lower end of its 95% interval "
                   f"(Wilson), among skills together in ≥ {MIN_TOGETHER} postings"),
        "related": [{"skill": r.skill, "name": names[r.skill].name, "together": r.together, "count": r.count,
                     "share": r.share, "lift": r.lift, "lift_low": r.lift_low} for r in result.related],
        "examples": [p.doc_id for p in result.examples],
    }


def related_lines(result: Neighbours, corpus: Corpus) -> list[str]:
    names = corpus.taxonomy.skills
    scope = ", ".join(ROLE_LABELS[r] for r in result.roles) + " postings" if result.roles else "postings"
    lines = [f"{names[result.skill].name}: {result.count} of {result.n} {scope} ask for it", "",
             f"{'asked for together with it':<30}{'together':>9}{'share':>8}{'lift':>7}{'at least':>10}"]
    lines += [f"  {names[r.skill].name:<28}{r.together:>9}{r.share:>8.0%}{r.lift:>7.2f}{r.lift_low:>10.2f}"
              for r in result.related]
    if not result.related:
        lines.append(f"  no skill appears with it in {MIN_TOGETHER} or more postings")
    return lines


def related_sentences(result: Neighbours, corpus: Corpus, top: int = 5) -> list[str]:
    """The answer to "what goes with X?", stated by code."""
    names = corpus.taxonomy.skills
    name = names[result.skill].name
    scope = (" and ".join(ROLE_LABELS[r] for r in result.roles) + " postings") if result.roles else "job postings"
    scope = distinct(corpus) + scope
    if not result.count:
        return [f"None of the {result.n} {scope} in the index asks for {name}."]
    verb = "asks" if result.count == 1 else "ask"
    first = f"Of the {result.n} {scope} in the index{folded_note(corpus)}, {result.count} {verb} for {name}."
    if not result.related:
        return [first, f"No other skill appears beside it in {MIN_TOGETHER} or more of them, too few to tell "
                       "what goes with it."]
    first_related, *rest = result.related[:top]
    listed = [f"{names[first_related.skill].name} (in {first_related.together} of the {result.count}, "
              f"{first_related.share:.0%}: {first_related.lift:.1f} times its share of all {scope})"]
    listed += [f"{names[r.skill].name} ({r.together} of {result.count}, {r.share:.0%}: {r.lift:.1f} times)" for r in rest]
    return [first, "The skills asked for most often beside it, relative to how common they are: "
            + series(listed) + "."]
