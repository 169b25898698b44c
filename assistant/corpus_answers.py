"""Questions the top few passages cannot answer: counts and shares across the whole
corpus, and "what role does this posting really describe?". They get the exact figures
as a citable source, next to what the article says."""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence

from assistant.analytics import ROLE_LABELS, Corpus
from assistant.answer import Source, sources_from
from assistant.classify import Classification
from assistant.figures import capital, comparison_sentence, figures_passage, figures_sentences, series
from assistant.roles import roles_in, without_roles
from assistant.types import Hit

# Words that ask for a count, a share or a ranking across postings. A bare "statistics"
# is a skill, not a request for figures.
_QUANTITATIVE = re.compile(
    r"\bhow\s+(many|often|common|frequently|much\s+more)\b|\bwhat\s+(share|percent(age)?|proportion|fraction)\b"
    r"|\bpercent(age)?\b|\bshare\s+of\b|\bproportion\b"
    r"|\bmost\s+(common(ly)?|frequent(ly)?|requested|required|popular|in[- ]demand|asked[- ]for|often)\b"
    r"|\btop\s+(\d+\s+)?(skills|tools|technologies)\b"
    # "Which skills separate them?" asks for figures; "what actually separates the two?"
    # asks what the article says, and gets the figures after its words.
    r"|\b(skills|tools|technologies|requirements)\b.*\b(separate|distinguish)(e?s)?\b"
    r"|\b(separate|distinguish)(e?s)?\b.*\b(skills|tools|technologies|requirements)\b"
    r"|\b(across|in)\s+(the\s+|all\s+)?(job\s+)?postings\b|\bcompare\b.*\bskills\b"
    r"|\b(show\s+up|appear|come\s+up|ask\s+for|asked\s+for|mentioned)\s+(the\s+)?most\b",
    re.I,
)
_POSTING_CUES = re.compile(
    r"\b(responsibilities|requirements|qualifications|what\s+you('ll|\s+will)\s+(do|bring)|we\s+are\s+looking"
    r"|about\s+the\s+role|nice\s+to\s+have|must\s+have|years\s+of\s+experience|you\s+will|benefits)\b",
    re.I,
)
_CHECK_REQUEST = re.compile(r"^\s*(check|classify|analy[sz]e)\b[^\n]{0,40}\b(posting|job|description|ad)\b", re.I)


def figures_request(question: str, corpus: Corpus) -> tuple[list[str], list[str]] | None:
    """The roles and skills a question asks figures for, or None for any other question."""
    if not corpus.profiles or not _QUANTITATIVE.search(question):
        return None
    roles = [r for r in roles_in(question) if corpus.figures(r).n]
    skills = sorted(corpus.taxonomy.find(without_roles(question)), key=list(corpus.taxonomy.skills).index)
    if not roles and not skills:
        return None
    if not roles:
        roles = [r for r in corpus.roles_present if r != "other"]
    return roles, skills


def looks_like_posting(text: str) -> bool:
    """A pasted job description, rather than a question."""
    if _CHECK_REQUEST.search(text) and len(text) >= 200:
        return True
    return len(text) >= 250 and len({m.group(0).lower() for m in _POSTING_CUES.finditer(text)}) >= 2


def figures_sources(corpus: Corpus, roles: Sequence[str], skills: Sequence[str], article: Sequence[Hit]) -> list[Source]:
    """[1] the figures, then the article's passages, then example postings."""
    title = "Corpus figures: " + " vs ".join(f"{ROLE_LABELS[r]} postings" for r in roles[:3])
    if len(roles) > 3:
        title += f" and {len(roles) - 3} more roles"
    sources = [Source(1, "figures", title, "figures", ",".join(roles), "",
                      f"{title}\n{figures_passage(corpus, roles, skills)}", 1.0)]
    sources += sources_from(article, start=2)
    for role, skill in _example_targets(corpus, roles, skills):
        for example in corpus.examples(role, skill, limit=1):
            if any(s.id == example.doc_id for s in sources):
                continue
            sources.append(Source(len(sources) + 1, example.doc_id, example.title, "posting", example.role,
                                  example.company,
                                  f"{example.title} at {example.company}\n{excerpt(example.text, corpus, {skill})}", 0.0))
    return sources


def _example_targets(corpus: Corpus, roles: Sequence[str], skills: Sequence[str]) -> list[tuple[str, str]]:
    if len(roles) == 2:
        a, b = roles
        pairs = [(a, c.skill) for c in corpus.contrast(a, b, skills or None, top=1)]
        return pairs + [(b, c.skill) for c in corpus.contrast(b, a, skills or None, top=1)]
    return [(role, skills[0]) for role in roles[:2]] if skills else []


def excerpt(text: str, corpus: Corpus, skills: Collection[str], width: int = 300) -> str:
    """The part of a posting around its first mention of one of `skills`, so the passage
    shown beside an answer holds what the answer says of it."""
    mention = next((m for m in corpus.taxonomy.mentions(text) if m.skill in skills), None)
    start = max(0, (mention.start if mention else 0) - width // 2)
    piece = text[start:start + width].strip()
    return ("…" if start else "") + piece + ("…" if start + width < len(text) else "")


def figures_summary(corpus: Corpus, roles: Sequence[str], skills: Sequence[str]) -> str:
    """The sentences that lead an extractive answer to a figures question: what separates
    two roles when the question names two, else each role's figures. Two roles read as one
    plain sentence, the three clearest skills each way; the intervals and the rest are in
    the figures source the sentence cites."""
    if len(roles) == 2 and not skills:
        plain = comparison_sentence(corpus, roles[0], roles[1])
        if plain is not None:
            return plain[:-1] + " [1]."
    sentences = figures_sentences(corpus, roles, skills)
    per_role, separating = sentences[1:1 + len(roles)], sentences[1 + len(roles):]
    return " ".join(separating or per_role[:3]) + " [1]"


def posting_check_text(result: Classification, corpus: Corpus, closest: Sequence[Source],
                       article: Sequence[Source]) -> str:
    """The answer to a pasted posting: the role its content reads like and why, then the
    closest postings and what the article says about that role."""
    names = corpus.taxonomy.skills
    lines = [result.why(corpus)]
    if result.skills:
        lines.append("Skills it mentions: " + ", ".join(names[s].name for s in result.skills) + ".")
    if result.best.missing:
        lines.append(f"Typical of {ROLE_LABELS[result.best.role]} postings but not mentioned: "
                     + ", ".join(names[s].name for s in result.best.missing[:5]) + ".")
    if closest:
        lines.append("Closest postings: " + "; ".join(
            f"{s.heading} [{s.n}]" for s in closest) + ".")
    if article:
        first = article[0]
        body = first.text.partition("\n")[2] or first.text
        lines.append(f"What the article says: {body[:400].rsplit(' ', 1)[0]}… [{first.n}]")
    return "\n\n".join(lines)


def coverage_note(sections: Sequence[str], corpus: Corpus) -> str:
    """What the corpus can answer, for a decline to point to: the article's sections and
    the roles the postings are for."""
    topics = [capital(s.removeprefix("Introduction: ")) for s in dict.fromkeys(sections)
              if s.lower() not in ("introduction", "conclusion", "")]
    parts = []
    if topics:
        parts.append("The article's sections are " + series([f"“{t}”" for t in topics]) + ".")
    roles = [ROLE_LABELS[r] for r in corpus.roles_present if r != "other"]
    if corpus.profiles:
        parts.append(f"The {len(corpus.profiles)} job postings give the skills, tools and requirements employers "
                     f"ask for" + (f", for roles such as {series(roles)}." if roles else "."))
    return " ".join(parts)
