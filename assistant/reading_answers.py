"""Chat questions about how postings read, answered by code from the whole corpus:
"How many data scientist postings read like ML engineering jobs?" (titles against
content) and "What goes with Kubernetes?" (skills asked for together)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from assistant.analytics import ROLE_LABELS, Corpus, Profile
from assistant.answer import Source
from assistant.corpus_answers import excerpt
from assistant.figures import capital, distinct, series
from assistant.mismatch import MIN_CANDIDATE_POSTINGS, Mismatch, Reading
from assistant.related import Neighbours, related_sentences
from assistant.roles import roles_in, without_roles

_READS_LIKE = re.compile(
    r"\b(reads?|look|looks|sound|sounds|are|is)\s+(really\s+|actually\s+|more\s+)?like\b|\breally\s+(are|is)\b"
    r"|\btitles?\b.*\b(match|fit|reflect)\w*\b|\bactually\s+(are|is)\b|\b(are|is)\s+(really|actually|secretly)\b|\bin\s+disguise\b|\bmislabel\w*\b|\btitles?\s+(against|vs\.?|versus)\s+content\b",
    re.I)
_TOGETHER = re.compile(
    r"\b(go(es)?\s+(together\s+)?with|alongside|together\s+with|along\s+with|paired\s+with|combined\s+with"
    r"|in\s+combination\s+with|co-?occur\w*|besides|related\s+to|next\s+to|asked\s+(for\s+)?with)\b", re.I)


@dataclass(frozen=True)
class MismatchAsked:
    title: str  # the role the postings' titles name
    reads_like: str | None  # the role their content is asked about; None: any other role


@dataclass(frozen=True)
class RelatedAsked:
    skill: str
    roles: tuple[str, ...]


def mismatch_request(question: str, corpus: Corpus) -> MismatchAsked | None:
    if not corpus.profiles or not _READS_LIKE.search(question):
        return None
    roles = roles_in(question)
    if not roles or ("posting" not in question.lower() and "job" not in question.lower()
                     and "title" not in question.lower() and len(roles) < 2):
        return None
    return MismatchAsked(roles[0], roles[1] if len(roles) > 1 else None)


def related_request(question: str, corpus: Corpus) -> RelatedAsked | None:
    if not corpus.profiles or not _TOGETHER.search(question):
        return None
    skills = sorted(corpus.taxonomy.find(without_roles(question)), key=question.lower().find)
    if len(skills) != 1:
        return None
    return RelatedAsked(skills[0], tuple(r for r in roles_in(question) if corpus.figures(r).n))


def mismatch_sentences(result: Mismatch, corpus: Corpus, asked: MismatchAsked, examples: Sequence[Reading]) -> str:
    title = ROLE_LABELS.get(asked.title, asked.title)
    titled = [r for r in result.readings if r.profile.role == asked.title]
    if not titled:
        return f"No posting in the index has a {title} title."
    if len(result.candidates) < 2:
        enough = ("only " + series([ROLE_LABELS[r] for r in result.candidates]) + " has" if result.candidates
                  else "no role has")
        return (f"The index has too few postings to tell what postings read like: a role needs "
                f"{MIN_CANDIDATE_POSTINGS} or more postings before its content can be compared with others, and "
                f"{enough} that many [1].")
    if asked.reads_like is not None:
        count, n = result.count(asked.title, asked.reads_like)
        other = ROLE_LABELS.get(asked.reads_like, asked.reads_like)
        lead = (f"Of the {n} {distinct(corpus)}postings titled {title}, {count} ({count / n:.0%}) {_read(count)} like "
                f"{other} postings by their content, judged by the skills they ask for [1].")
    else:
        others = [r for r in titled if r.mismatched]
        share = len(others) / len(titled)
        lead = (f"Of the {len(titled)} {distinct(corpus)}postings titled {title}, {len(others)} ({share:.0%}) "
                f"{_read(len(others))} more like another role by their content [1].")
    row = result.by_title()[asked.title]
    spread = [f"{ROLE_LABELS.get(role, role) if role != 'unclear' else 'too few skills to tell'} {share:.0%}"
              for role, share in sorted(row["reads_like"].items(), key=lambda kv: -kv[1]) if share]
    parts = [lead, f"All {row['n']} read like: {', '.join(spread)} [1]."]
    if examples:
        names = corpus.taxonomy.skills
        parts.append("For example: " + "; ".join(
            f"{r.profile.title} at {r.profile.company} reads like {ROLE_LABELS[r.reads_like]} "
            f"({', '.join(names[s].name for s in r.evidence[:3]) or 'its skills overall'}) [{i}]"
            for i, r in enumerate(examples, start=2)) + ".")
    return " ".join(parts)


def mismatch_sources(corpus: Corpus, asked: MismatchAsked, text: str, examples: Sequence[Reading]) -> list[Source]:
    title = f"Corpus figures: postings titled {ROLE_LABELS.get(asked.title, asked.title)}, by what they read like"
    sources = [Source(1, "figures", title, "figures", asked.title, "", f"{title}\n{text}", 1.0)]
    sources += [_posting_source(i, r.profile, corpus, r.evidence[:1]) for i, r in enumerate(examples, start=2)]
    return sources


def related_answer(result: Neighbours, corpus: Corpus) -> tuple[str, list[Source]]:
    sentences = related_sentences(result, corpus)
    name = corpus.taxonomy.skills[result.skill].name
    title = f"Corpus figures: skills asked for with {name}" + (
        " in " + " and ".join(ROLE_LABELS[r] for r in result.roles) + " postings" if result.roles else "")
    text = " ".join(sentences)
    sources = [Source(1, "figures", title, "figures", ",".join(result.roles), "", f"{title}\n{text}", 1.0)]
    shown = (result.related[0].skill,) if result.related else ()
    sources += [_posting_source(i, p, corpus, shown) for i, p in enumerate(result.examples, start=2)]
    answer = " ".join(sentences)[:-1] + " [1]."
    if result.examples and result.related:
        top = corpus.taxonomy.skills[result.related[0].skill].name
        answer += (f" {capital(series([f'{p.title} at {p.company} [{i}]' for i, p in enumerate(result.examples, 2)]))}"
                   f" ask for both {name} and {top}.")
    return answer, sources


def _read(count: int) -> str:
    return "reads" if count == 1 else "read"


def _posting_source(n: int, p: Profile, corpus: Corpus, skills: Sequence[str]) -> Source:
    piece = excerpt(p.text, corpus, skills, width=400)
    return Source(n, p.doc_id, p.title, "posting", p.role, p.company, f"{p.title} at {p.company}\n{piece}", 0.0)
