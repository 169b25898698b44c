"""Official definitions against postings: the skills O*NET and ESCO list for an occupation,
linked to the taxonomy with its own matcher, next to the share of a role's postings that
ask for each, and the skills the postings often ask for that the definitions leave out.

The definitions are the index's documents of kind "role" (roles.jsonl at ingest), whose
text is the description, then "Tasks:", "Technology:" and "Skills:" lists (see
`sources._role_text`). ESCO records have only the description.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.analytics import Corpus, StatsError
from assistant.documents import StoredDocument
from assistant.roles import roles_in

SECTIONS = {"Tasks:": "tasks", "Technology:": "technology", "Skills:": "skills"}
# ESCO titles the role vocabulary does not read: its "artificial intelligence engineer" has
# "machine learning engineer" among its alternative labels; O*NET has no ML engineer occupation.
TITLE_ROLES = {"artificial intelligence engineer": "ml_engineer", "computer vision engineer": "ml_engineer"}
_ONET_CODE = re.compile(r"\d\d-\d{4}\.\d\d")
MIN_SHARE = 0.2


@dataclass(frozen=True)
class Definition:
    """One occupation of O*NET or ESCO, its lists split out of the document text."""

    doc_id: str
    title: str
    role: str  # the role family it defines, "" when none
    description: str
    lists: dict[str, tuple[str, ...]]  # "tasks", "technology", "skills" -> items

    @property
    def name(self) -> str:
        if _ONET_CODE.fullmatch(self.doc_id):
            return f"O*NET {self.doc_id} {self.title}"
        return f"ESCO {self.title}" if "esco" in self.doc_id.lower() else self.title


@dataclass(frozen=True)
class Listing:
    definition: str  # Definition.name
    field: str  # description, tasks, technology or skills
    item: str  # the words that named the skill: a technology entry, or the matched text


@dataclass(frozen=True)
class OfficialSkill:
    skill: str
    count: int  # postings of the role that mention it
    n: int
    listings: tuple[Listing, ...] = ()

    @property
    def share(self) -> float:
        return self.count / self.n if self.n else 0.0


@dataclass(frozen=True)
class OfficialComparison:
    role: str
    n: int
    definitions: tuple[str, ...]
    listed: tuple[OfficialSkill, ...]  # most asked for first
    unlisted: tuple[OfficialSkill, ...]  # asked for by at least min_share of the postings, not listed
    unmatched: tuple[str, ...]  # technology entries no taxonomy skill matches
    min_share: float


def definition(doc: StoredDocument) -> Definition:
    parts = doc.text.split("\n\n")
    description: list[str] = []
    lists: dict[str, tuple[str, ...]] = {}
    for part in parts:
        head, _, rest = part.partition("\n")
        items = rest.split("\n")
        if head in SECTIONS and all(item.startswith("- ") for item in items):
            lists[SECTIONS[head]] = tuple(item[2:].strip() for item in items)
        else:
            description.append(part)
    role = TITLE_ROLES.get(doc.title.strip().lower()) or next(iter(roles_in(doc.title)), "")
    return Definition(doc.doc_id, doc.title, role, "\n\n".join(description), lists)


def compare_official(corpus: Corpus, definitions: list[Definition], role: str,
                     min_share: float = MIN_SHARE) -> OfficialComparison:
    """The skills the definitions of `role` list, each with the share of the role's postings
    that mention it, and the skills at least `min_share` of those postings mention that no
    definition lists."""
    mine = [d for d in definitions if d.role == role]
    if not mine:
        known = sorted({d.role for d in definitions if d.role})
        raise StatsError(f"no official definition (O*NET or ESCO) of {role} in the index; "
                         f"defined roles: {', '.join(known) or 'none'}")
    taxonomy = corpus.taxonomy
    listings: dict[str, list[Listing]] = {}
    unmatched: list[str] = []
    for d in mine:
        fields = [("description", d.description)] + [(f, item) for f in ("tasks", "technology", "skills")
                                                    for item in d.lists.get(f, ())]
        for field, text in fields:
            mentions = taxonomy.mentions(text)
            if field == "technology" and not mentions:
                unmatched.append(text)
            for m in mentions:
                # A technology entry is one tool, shown whole; of prose, the first words that
                # named the skill in that field are enough.
                listing = Listing(d.name, field, text if field == "technology" else m.text)
                seen = listings.setdefault(m.skill, [])
                if not any(k.definition == d.name and k.field == field and (field != "technology" or k.item == text)
                           for k in seen):
                    seen.append(listing)
    figures = corpus.figures(role)

    def skill(s: str) -> OfficialSkill:
        return OfficialSkill(s, figures.counts.get(s, 0), figures.n, tuple(listings.get(s, ())))

    listed = sorted((skill(s) for s in listings), key=lambda o: (-o.count, o.skill))
    unlisted = sorted((skill(s) for s in taxonomy.skills if s not in listings
                       and figures.n and figures.counts.get(s, 0) / figures.n >= min_share),
                      key=lambda o: (-o.count, o.skill))
    return OfficialComparison(role, figures.n, tuple(d.name for d in mine), tuple(listed), tuple(unlisted),
                              tuple(dict.fromkeys(unmatched)), min_share)


def official_json(c: OfficialComparison, corpus: Corpus) -> dict[str, object]:
    names = corpus.taxonomy.skills

    def entry(o: OfficialSkill) -> dict[str, object]:
        return {"skill": o.skill, "name": names[o.skill].name, "share": round(o.share, 4), "count": o.count,
                "listed_by": [vars(listing) for listing in o.listings]}

    return {"role": c.role, "n": c.n, "definitions": list(c.definitions), "min_share": c.min_share,
            "listed": [entry(o) for o in c.listed], "not_listed": [entry(o) for o in c.unlisted],
            "unmatched_technology": list(c.unmatched)}


def official_lines(c: OfficialComparison, corpus: Corpus) -> list[str]:
    names = corpus.taxonomy.skills

    def where(o: OfficialSkill) -> str:
        shown = "; ".join(f"{listing.definition} {listing.field}: {listing.item}" for listing in o.listings[:2])
        return shown + (f" (+{len(o.listings) - 2} more)" if len(o.listings) > 2 else "")

    lines = [f"official definitions of {c.role}: {', '.join(c.definitions)}", f"{c.role} postings: n={c.n}", "",
             "listed by the definitions, with the share of postings that mention each:"]
    lines += [f"  {names[o.skill].name:<26}{f'{o.share:.0%} ({o.count})':>10}  {where(o)}" for o in c.listed]
    lines += ["", f"mentioned by at least {c.min_share:.0%} of the postings but listed by no definition:"]
    lines += [f"  {names[o.skill].name:<26}{f'{o.share:.0%} ({o.count})':>10}" for o in c.unlisted] or ["  none"]
    if c.unmatched:
        shown = ", ".join(c.unmatched[:12]) + (f" and {len(c.unmatched) - 12} more" if len(c.unmatched) > 12 else "")
        lines += ["", f"technology entries no taxonomy skill matches ({len(c.unmatched)}): {shown}"]
    return lines
