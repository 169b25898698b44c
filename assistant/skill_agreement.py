"""How well the skill matcher agrees with a careful reader: precision and recall of
`Taxonomy.find` against postings whose skills were labelled by hand.

A label file has one JSON object per line: the posting's `id`, the taxonomy `skills` a
reader finds in its text, and an optional `note` on the judgement calls. The texts stay
in the postings file; only ids and labels are kept with the tests.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from assistant.errors import CorpusError
from assistant.skills import Taxonomy


@dataclass(frozen=True)
class Labelled:
    doc_id: str
    skills: frozenset[str]
    note: str = ""


@dataclass(frozen=True)
class Disagreement:
    doc_id: str
    skill: str
    kind: str  # "extra": the matcher found it, the reader did not; "missed": the other way round
    context: str  # the text around the matcher's first mention (empty for a missed skill)


@dataclass
class Agreement:
    tp: Counter[str] = field(default_factory=Counter)
    fp: Counter[str] = field(default_factory=Counter)
    fn: Counter[str] = field(default_factory=Counter)
    disagreements: list[Disagreement] = field(default_factory=list)

    @property
    def precision(self) -> float:
        found = sum(self.tp.values()) + sum(self.fp.values())
        return sum(self.tp.values()) / found if found else 1.0

    @property
    def recall(self) -> float:
        labelled = sum(self.tp.values()) + sum(self.fn.values())
        return sum(self.tp.values()) / labelled if labelled else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def read_labels(path: Path, taxonomy: Taxonomy) -> list[Labelled]:
    """The labels in `path`; an id used twice or a skill the taxonomy lacks is an error."""
    labels: list[Labelled] = []
    seen: set[str] = set()
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise CorpusError(f"{path}: cannot read the skill labels ({exc.strerror})") from exc
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        where = f"{path}:{number}"
        try:
            record = json.loads(line)
            doc_id, skills = str(record["id"]), record["skills"]
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise CorpusError(f"{where}: expected {{\"id\": ..., \"skills\": [...]}} ({exc})") from exc
        unknown = sorted(set(skills) - set(taxonomy.skills))
        if unknown:
            raise CorpusError(f"{where}: {doc_id}: skills not in the taxonomy: {', '.join(unknown)}")
        if doc_id in seen:
            raise CorpusError(f"{where}: {doc_id} is labelled twice")
        seen.add(doc_id)
        labels.append(Labelled(doc_id, frozenset(skills), str(record.get("note", ""))))
    return labels


def agreement(labels: list[Labelled], texts: dict[str, str], taxonomy: Taxonomy, width: int = 60) -> Agreement:
    """Per skill, the postings where matcher and reader agree (tp), where only the matcher
    finds the skill (fp) and where only the reader does (fn)."""
    missing = [label.doc_id for label in labels if label.doc_id not in texts]
    if missing:
        raise CorpusError(f"labelled postings not in the postings file: {', '.join(missing)}")
    result = Agreement()
    for label in labels:
        text = texts[label.doc_id]
        first: dict[str, tuple[int, int]] = {}
        for mention in taxonomy.mentions(text):
            first.setdefault(mention.skill, (mention.start, mention.end))
        found = set(first)
        for skill in sorted(found | label.skills):
            if skill in found and skill in label.skills:
                result.tp[skill] += 1
            elif skill in found:
                result.fp[skill] += 1
                start, end = first[skill]
                context = text[max(0, start - width):end + width].replace("\n", " ")
                result.disagreements.append(Disagreement(label.doc_id, skill, "extra", context))
            else:
                result.fn[skill] += 1
                result.disagreements.append(Disagreement(label.doc_id, skill, "missed", ""))
    return result
