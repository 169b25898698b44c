"""Questions that compare two seniority levels or two regions of postings ("Do senior ML
engineer postings ask for more cloud skills than junior ones?", "How do data scientist
postings in India differ from those in the US?"), answered by code from the exact
figures, with 95% intervals, and saying so when a group is too small to tell.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.analytics import ROLE_LABELS, Corpus
from assistant.answer import Source
from assistant.figures import series
from assistant.region import REMOTE, UNKNOWN, region_label
from assistant.roles import roles_in, without_roles
from assistant.segments import (
    MIN_GROUP_POSTINGS,
    Difference,
    category_difference,
    groups_of,
    separating,
    skill_difference,
    within,
)
from assistant.seniority import LEVEL_LABELS

# A question about postings (not about the job itself) that compares.
_ABOUT_POSTINGS = re.compile(
    r"\b(postings?|jobs?|job\s+ads?|listings?|openings?|vacanc(y|ies)|ask(s|ed|ing)?\s+for|requir(e|es|ed|ements?)"
    r"|skills?|tools?)\b", re.I)
_COMPARES = re.compile(r"\b(more|less|fewer|differ\w*|compar\w*|vs|versus|than|between)\b", re.I)
_LEVEL_WORDS = {
    "junior": re.compile(r"\b(junior|jr|entry[\s-]+level|interns?|internships?|graduates?)\b", re.I),
    "mid": re.compile(r"\bmid[\s-]*(level|career)\b|\bintermediate\b", re.I),
    "senior": re.compile(r"\b(senior|sr)\b", re.I),
    "lead": re.compile(r"\b(lead|staff|principal)\b", re.I),
    "manager": re.compile(r"\b(managers?|managerial|directors?|heads?\s+of)\b", re.I),
}
# Ways of naming a country that its ISO names miss. "US" only in capitals: "us" is a pronoun.
_COUNTRY_WORDS = {
    "US": r"\bUS\b|\bU\.S\.(A\.)?|\bUSA\b|\b(?i:america|american|united\s+states)\b",
    "IN": r"\b(?i:india|indian)\b",
    "GB": r"\bUK\b|\b(?i:britain|british|united\s+kingdom)\b",
}
_CATEGORY_WORDS = {
    "cloud": re.compile(r"\bcloud\b", re.I),
    "ml": re.compile(r"\b(machine\s+learning|deep\s+learning|ML|AI)\s+(skills?|tools?|requirements?)\b", re.I),
    "software": re.compile(r"\bsoftware(\s+engineering)?\s+(skills?|tools?|requirements?)\b", re.I),
    "stats": re.compile(r"\b(statistics|statistical|math|maths|mathematics)\s+(skills?|knowledge|requirements?)\b",
                        re.I),
    "data_eng": re.compile(r"\bdata\s+engineering\s+(skills?|tools?|requirements?)\b", re.I),
    "analytics": re.compile(r"\b(analytics|BI)\s+(skills?|tools?|requirements?)\b", re.I),
    "business": re.compile(r"\b(business|communication|soft)\s+skills?\b", re.I),
}
_CATEGORY_NOUNS = {
    "ml": "a machine learning skill",
    "software": "a software engineering skill",
    "cloud": "an architecture or cloud skill",
    "stats": "a statistics or mathematics skill",
    "data_eng": "a data engineering skill",
    "analytics": "an analytics or BI skill",
    "business": "a communication or business skill",
}


@dataclass(frozen=True)
class GroupQuestion:
    by: str  # "seniority" or "region"
    a: str
    b: str
    role: str | None  # None: postings of every role
    category: str | None = None  # what is compared: a category, else the skills, else what separates them
    skills: tuple[str, ...] = ()


def group_question(question: str, corpus: Corpus) -> GroupQuestion | None:
    """The two groups of one role a question compares, or None for any other question."""
    if not corpus.profiles or not (_ABOUT_POSTINGS.search(question) and _COMPARES.search(question)):
        return None
    roles = roles_in(question)
    if len(roles) > 1:
        return None  # two roles: the role comparison's question
    words = without_roles(question)
    for by, patterns in (("seniority", _LEVEL_WORDS), ("region", _region_words(corpus))):
        named = sorted((match.start(), group) for group, pattern in patterns.items()
                       if (match := pattern.search(words)))
        if len(named) >= 2:
            rest = words
            for pattern in patterns.values():
                rest = pattern.sub(lambda m: " " * len(m.group(0)), rest)
            return _what(GroupQuestion(by, named[0][1], named[1][1], roles[0] if roles else None), rest, corpus)
    return None


def _region_words(corpus: Corpus) -> dict[str, re.Pattern[str]]:
    """Words for the regions the postings have: a country by its names, remote by "remote"."""
    words: dict[str, re.Pattern[str]] = {}
    for group in groups_of(corpus, "region"):
        if group == UNKNOWN:
            continue
        if group == REMOTE:
            words[group] = re.compile(r"\bremote\b", re.I)
            continue
        names = [_COUNTRY_WORDS[group]] if group in _COUNTRY_WORDS else []
        names.append(r"\b(?i:" + re.escape(region_label(group)) + r")\b")
        words[group] = re.compile("|".join(names))
    return words


def _what(asked: GroupQuestion, rest: str, corpus: Corpus) -> GroupQuestion:
    for category, pattern in _CATEGORY_WORDS.items():
        if pattern.search(rest):
            return GroupQuestion(asked.by, asked.a, asked.b, asked.role, category=category)
    order = list(corpus.taxonomy.skills)
    skills = tuple(sorted(corpus.taxonomy.find(rest), key=order.index)[:3])
    return GroupQuestion(asked.by, asked.a, asked.b, asked.role, skills=skills)


def group_sentences(corpus: Corpus, asked: GroupQuestion) -> list[str]:
    """The answer, in plain sentences with the exact counts and intervals."""
    if asked.category is not None:
        return [_difference_sentence(asked, category_difference(corpus, asked.by, asked.role, asked.a, asked.b,
                                                                asked.category), _category_phrase(corpus, asked.category))]
    if asked.skills:
        return [_difference_sentence(asked, skill_difference(corpus, asked.by, asked.role, asked.a, asked.b, skill),
                                     corpus.taxonomy.skills[skill].name) for skill in asked.skills]
    return [_separating_sentence(corpus, asked)]


def group_source(corpus: Corpus, asked: GroupQuestion, n: int = 1) -> Source:
    """The figures as source `n`: what was counted and how, then the answer's sentences."""
    kinds = "seniority levels" if asked.by == "seniority" else "regions"
    title = (f"Corpus figures: {_role(asked)} postings by {asked.by}, "
             f"{_group_name(asked.by, asked.a)} vs {_group_name(asked.by, asked.b)}")
    scope = (f"Exact counts over all {len(corpus.profiles)} job postings in the index: a posting's seniority comes "
             f"from its title, its country from its location; {kinds} with fewer than {MIN_GROUP_POSTINGS} postings "
             f"are not compared.")
    role = asked.role or ""
    return Source(n, "figures", title, "figures", role, "", f"{title}\n{scope} {' '.join(group_sentences(corpus, asked))}",
                  1.0)


def _difference_sentence(asked: GroupQuestion, d: Difference, what: str) -> str:
    first = _phrase(asked, asked.a)
    small = [(n, group) for n, group in ((d.n_a, asked.a), (d.n_b, asked.b)) if n < MIN_GROUP_POSTINGS]
    if small:
        counted = [f"Of the {n} {_phrase(asked, group)}, {_share(count, n)} ask for {what}."
                   for n, count, group in ((d.n_a, d.count_a, asked.a), (d.n_b, d.count_b, asked.b))
                   if n >= MIN_GROUP_POSTINGS]
        return " ".join([_too_few(asked, small), *counted])
    assert d.ci95 is not None
    low, high = d.ci95
    lead = (f"Of {d.n_a} {first}, {_share(d.count_a, d.n_a)} ask for {what}, against "
            f"{_share(d.count_b, d.n_b)} of {d.n_b} {_short(asked, asked.b, bare=True)}: a difference of "
            f"{_points(d.diff)} point{'' if abs(round(d.diff * 100)) == 1 else 's'}")
    if d.clear:
        return f"{lead} (95% interval {_points(low)} to {_points(high)})."
    return f"{lead}, but its 95% interval ({_points(low)} to {_points(high)}) includes zero: too few postings to tell."


def _separating_sentence(corpus: Corpus, asked: GroupQuestion) -> str:
    split = within(corpus, asked.by, asked.role)
    n_a, n_b = split.figures(asked.a).n, split.figures(asked.b).n
    small = [(n, group) for n, group in ((n_a, asked.a), (n_b, asked.b)) if n < MIN_GROUP_POSTINGS]
    if small:
        return _too_few(asked, small)
    names = corpus.taxonomy.skills
    sides = []
    for group, other in ((asked.a, asked.b), (asked.b, asked.a)):
        listed = [f"{names[c.skill].name} ({c.count_a / c.n_a:.0%} vs {c.count_b / c.n_b:.0%}, {_points(c.diff)} "
                  f"points more, 95% interval {_points(c.ci95[0])} to {_points(c.ci95[1])})"
                  for c in separating(corpus, asked.by, asked.role, group, other)]
        sides.append((group, listed))
    scope = f"Of {n_a} {_phrase(asked, asked.a)} and {n_b} {_short(asked, asked.b, bare=True)}"
    if not any(listed for _, listed in sides):
        # The largest gaps are still worth naming, said as what they are: possibly chance.
        gaps = [f"{names[c.skill].name} for {_group_name(asked.by, c_group)} ({c.count_a / c.n_a:.0%} vs "
                f"{c.count_b / c.n_b:.0%})"
                for c_group, c_other in ((asked.a, asked.b), (asked.b, asked.a))
                for c in split.contrast(c_group, c_other, top=1, fdr=1.0)]
        largest = ""
        if gaps:
            largest = (f" The largest gap, {gaps[0]}, is not clear enough to rule out chance." if len(gaps) == 1 else
                       f" The largest gaps, {series(gaps)}, are not clear enough to rule out chance.")
        return (f"{scope}, neither group asks for any skill clearly more often than the other: no difference "
                "stands out once every skill tested is taken into account (95% intervals, false discovery rate 5%)."
                + largest)
    parts = [f"{_those(asked, group)} ask more often for {series(listed)}" if listed
             else f"{_those(asked, group)} ask for no skill clearly more often" for group, listed in sides]
    return f"{scope}, {parts[0]}; {parts[1]}."


def _category_phrase(corpus: Corpus, category: str) -> str:
    examples = [corpus.taxonomy.skills[s].name for s in corpus.taxonomy.by_category()[category][:3]]
    such = f" (such as {', '.join(examples[:-1])} or {examples[-1]})" if len(examples) > 1 else ""
    return _CATEGORY_NOUNS[category] + such


def _role(asked: GroupQuestion) -> str:
    return ROLE_LABELS[asked.role] if asked.role else "job"


def _group_name(by: str, group: str) -> str:
    if by == "seniority":
        return LEVEL_LABELS[group]
    return group if group == REMOTE else _country(group)


def _country(code: str) -> str:
    name = region_label(code)
    return f"the {name}" if name.startswith(("United ", "Netherlands", "Philippines")) else name


def _phrase(asked: GroupQuestion, group: str) -> str:
    """ "senior ML engineer postings", "data scientist postings in India"."""
    if asked.by == "seniority" or group == REMOTE:
        return f"{_group_name(asked.by, group)} {_role(asked)} postings"
    return f"{_role(asked)} postings in {_country(group)}"


def _short(asked: GroupQuestion, group: str, bare: bool = False) -> str:
    """The second group, once the first has named the role: "junior ones", "those in the
    United States" ("in the United States" when `bare`, after a number)."""
    if asked.by == "seniority" or group == REMOTE:
        return f"{_group_name(asked.by, group)} ones"
    return f"in {_country(group)}" if bare else f"those in {_country(group)}"


def _those(asked: GroupQuestion, group: str) -> str:
    if asked.by == "seniority" or group == REMOTE:
        return f"the {_group_name(asked.by, group)} ones"
    return f"those in {_country(group)}"


def _too_few(asked: GroupQuestion, small: list[tuple[int, str]]) -> str:
    """ "Only 4 junior ML engineer postings are in the index: too few to tell." """
    if len(small) == 1 and small[0][0] == 0:
        return f"No {_phrase(asked, small[0][1])} are in the index: nothing to compare."
    listed = [f"{n or 'no'} {_phrase(asked, group).replace(' postings', ' posting', 1 if n == 1 else 0)}" for n, group in small]
    verb = "is" if len(small) == 1 and small[0][0] == 1 else "are"
    return f"Only {' and '.join(listed)} {verb} in the index: too few to tell."


def _share(count: int, n: int) -> str:
    return f"{count / n:.0%} ({count})"


def _points(share: float) -> str:
    return str(round(share * 100))
