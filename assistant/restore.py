"""Undo the automatic synonym substitution in the article with an explicit mapping file.

The mapping (corpus/article/restore_map.tsv) is `substituted<TAB>original[<TAB>comment]` per
line. Rules apply longest first, on whole words, to the phrase as written and, for a
lowercase rule, to its sentence-initial capitalised form.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from assistant.errors import CorpusError


@dataclass(frozen=True)
class Rule:
    source: str
    target: str
    line: int


def load_rules(path: Path) -> list[Rule]:
    rules: list[Rule] = []
    seen: dict[str, int] = {}
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        fields = raw.split("\t")
        if len(fields) < 2 or not fields[0].strip() or not fields[1].strip():
            raise CorpusError(f"{path}:{number}: expected 'substituted<TAB>original', got {raw!r}")
        source, target = fields[0].strip(), fields[1].strip()
        if source in seen:
            raise CorpusError(f"{path}:{number}: {source!r} is already mapped on line {seen[source]}")
        seen[source] = number
        rules.append(Rule(source, target, number))
    return rules


def _variants(rule: Rule) -> Iterable[tuple[str, str]]:
    yield rule.source, rule.target
    if rule.source[:1].islower():
        yield rule.source[:1].upper() + rule.source[1:], rule.target[:1].upper() + rule.target[1:]


def _literal(value: str) -> Callable[[re.Match[str]], str]:
    """A replacement taken as it is (a plain string would have its backslashes read)."""
    return lambda _match: value


def restore(text: str, rules: list[Rule]) -> str:
    for rule in sorted(rules, key=lambda r: len(r.source), reverse=True):
        for source, target in _variants(rule):
            pattern = re.compile(r"(?<!\w)" + re.escape(source) + r"(?!\w)")
            text = pattern.sub(_literal(target), text)
    return text


def surviving_phrases(text: str, rules: list[Rule]) -> list[str]:
    """Mapped phrases still present in `text`: empty for a fully restored text."""
    return [
        source
        for rule in rules
        for source, _ in _variants(rule)
        if re.search(r"(?<!\w)" + re.escape(source) + r"(?!\w)", text)
    ]
