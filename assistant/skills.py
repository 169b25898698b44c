"""Skill taxonomy: the reviewable list in corpus/skills.tsv and an exact matcher over it.

Matching is literal text with word boundaries, never a model, so every count can be
explained by the words that produced it (`Taxonomy.mentions`). The matching rules are
written for reviewers at the top of corpus/skills.tsv; this module implements them.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from assistant.errors import CorpusError
from assistant.settings import REPO_ROOT

CATEGORIES: dict[str, str] = {
    "ml": "Machine learning & deep learning",
    "software": "Software engineering",
    "cloud": "Architecture & cloud",
    "stats": "Statistics & mathematics",
    "data_eng": "Data engineering",
    "analytics": "Analytics & BI",
    "business": "Communication & business",
}

HEADER = ("id", "name", "category", "patterns")
_ID = re.compile(r"[a-z][a-z0-9_]*")
# A space in a pattern: "machine learning" also reads "machine-learning", "machine  learning".
_GAP = r"[\s\-]+"
_GAP_RUN = re.compile(r"[\s\-]+")
# Lower-cased with spaces and hyphens folded: how resolve() compares what a user typed.
_LOOKUP_GAP = re.compile(r"[\s_\-]+")


@dataclass(frozen=True)
class Skill:
    id: str
    name: str
    category: str
    patterns: tuple[str, ...]  # as written in the file, "=" kept on case-sensitive ones
    exclusions: tuple[str, ...] = ()  # the "!" phrases, without the "!", "=" kept


@dataclass(frozen=True)
class Mention:
    skill: str
    start: int
    end: int
    text: str


@dataclass(frozen=True)
class _Pattern:
    text: str
    sensitive: bool
    skill: str
    excluded: bool


class Taxonomy:
    """The skills of one taxonomy file and the one regular expression that finds them."""

    def __init__(self, skills: dict[str, Skill], version: str) -> None:
        self.skills = skills
        self.version = version
        self._regex, self._by_group = _compile([p for skill in skills.values() for p in _patterns(skill)])
        self._lookup = _lookup_table(skills)

    def mentions(self, text: str) -> list[Mention]:
        """Every counted match, left to right, none overlapping another."""
        found = []
        for match in self._regex.finditer(text):
            pattern = self._by_group[match.lastindex or 0]
            if pattern is not None and not pattern.excluded:
                found.append(Mention(pattern.skill, match.start(), match.end(), match.group()))
        return found

    def find(self, text: str) -> set[str]:
        """Ids of the skills mentioned at least once."""
        return {mention.skill for mention in self.mentions(text)}

    def by_category(self) -> dict[str, list[str]]:
        """Category id -> skill ids in file order; every category present, even if empty."""
        grouped: dict[str, list[str]] = {category: [] for category in CATEGORIES}
        for skill in self.skills.values():
            grouped[skill.category].append(skill.id)
        return grouped

    def resolve(self, names: Iterable[str]) -> list[str]:
        """Skill ids for what a user typed (ids, names or spellings, any case), in order, once each."""
        ids: list[str] = []
        unknown: list[str] = []
        for name in names:
            skill = self._lookup.get(_lookup_key(name))
            if skill is None:
                unknown.append(name)
            elif skill not in ids:
                ids.append(skill)
        if unknown:
            quoted = ", ".join(f"'{name}'" for name in unknown)
            noun = "skill" if len(unknown) == 1 else "skills"
            raise CorpusError(f"unknown {noun} {quoted}; known: {', '.join(self.skills)}")
        return ids


def load_taxonomy(path: Path | None = None) -> Taxonomy:
    """The taxonomy in `path` (default corpus/skills.tsv), parsed again only when the file changes."""
    path = path or REPO_ROOT / "corpus" / "skills.tsv"
    try:
        stat = path.stat()
    except OSError as exc:
        raise CorpusError(f"{path}: cannot read the skill taxonomy ({exc.strerror})") from exc
    return _load(path, path.resolve(), stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=8)
def _load(path: Path, _resolved: Path, _mtime_ns: int, _size: int) -> Taxonomy:
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CorpusError(f"{path}: not UTF-8 ({exc.reason} at byte {exc.start})") from exc
    return Taxonomy(_parse(text, path), hashlib.sha256(data).hexdigest()[:12])


def _parse(text: str, path: Path) -> dict[str, Skill]:
    problems: list[str] = []
    skills: dict[str, Skill] = {}
    id_lines: dict[str, int] = {}
    # Lower-cased, space-folded pattern -> where it was seen, to report two skills sharing it.
    seen: dict[str, list[_Seen]] = {}
    header_seen = False

    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        columns = [column.strip() for column in line.split("\t")]
        where = f"{path}:{number}"
        if not header_seen:
            header_seen = True
            if tuple(columns) != HEADER:
                problems.append(f"{where}: expected the header line '{chr(9).join(HEADER)}' (tab-separated)")
                break
            continue
        if len(columns) != len(HEADER):
            problems.append(f"{where}: expected {len(HEADER)} tab-separated columns "
                            f"({', '.join(HEADER)}), found {len(columns)}")
            continue
        skill_id, name, category, written = columns
        if not _ID.fullmatch(skill_id):
            problems.append(f"{where}: id '{skill_id}' is not lower_snake_case")
            continue
        if skill_id in id_lines:
            problems.append(f"{where}: duplicate id '{skill_id}' (first on line {id_lines[skill_id]})")
            continue
        id_lines[skill_id] = number
        if not name:
            problems.append(f"{where}: skill '{skill_id}' has no name")
        if category not in CATEGORIES:
            problems.append(f"{where}: unknown category '{category}'; valid: {', '.join(CATEGORIES)}")
            continue
        entries = [entry.strip() for entry in written.split("|")] if written else []
        bad = _check_patterns(entries, skill_id, number, seen)
        if bad:
            problems.extend(f"{where}: {problem}" for problem in bad)
            continue
        skills[skill_id] = Skill(
            id=skill_id,
            name=name,
            category=category,
            patterns=tuple(entry for entry in entries if not entry.startswith("!")),
            exclusions=tuple(entry[1:] for entry in entries if entry.startswith("!")),
        )

    if not header_seen:
        problems.append(f"{path}: empty taxonomy, expected the header line '{chr(9).join(HEADER)}'")
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise CorpusError(problems[0] + more, problems)
    return skills


def _check_patterns(entries: list[str], skill_id: str, line: int, seen: dict[str, list[_Seen]]) -> list[str]:
    """What is wrong with one skill's patterns; records them in `seen` for the lines after."""
    if not any(entry and not entry.startswith("!") for entry in entries):
        return [f"skill '{skill_id}' has no patterns"]
    problems = []
    for entry in entries:
        pattern = _split(entry, skill_id)
        if not pattern.text:
            problems.append(f"empty pattern in '{entry}'" if entry else "empty pattern (two | in a row?)")
            continue
        if not any(char.isalnum() for char in pattern.text):
            problems.append(f"pattern '{entry}' has no letter or digit")
            continue
        folded = _GAP_RUN.sub(" ", pattern.text)
        for other in seen.get(folded.lower(), []):
            # Two case-sensitive spellings that differ in case never match the same text.
            if pattern.sensitive and other.pattern.sensitive and folded != other.folded:
                continue
            if other.pattern.skill != skill_id:
                problems.append(f"pattern '{entry}' of '{skill_id}' is also used by "
                                f"'{other.pattern.skill}' (line {other.line}: '{other.written}')")
            elif other.pattern.excluded != pattern.excluded:
                problems.append(f"pattern '{pattern.text}' of '{skill_id}' is both counted and excluded")
        seen.setdefault(folded.lower(), []).append(_Seen(pattern, folded, line, entry))
    return problems


@dataclass(frozen=True)
class _Seen:
    pattern: _Pattern
    folded: str
    line: int
    written: str


def _split(entry: str, skill_id: str) -> _Pattern:
    """A pattern as written ("!", then "=", then the text) into its parts."""
    excluded = entry.startswith("!")
    text = entry[1:] if excluded else entry
    sensitive = text.startswith("=")
    return _Pattern(text[1:].strip() if sensitive else text.strip(), sensitive, skill_id, excluded)


def _patterns(skill: Skill) -> list[_Pattern]:
    return [_split(entry, skill.id) for entry in (*skill.patterns, *(f"!{e}" for e in skill.exclusions))]


def _compile(patterns: list[_Pattern]) -> tuple[re.Pattern[str], list[_Pattern | None]]:
    """One regular expression for all patterns, and which pattern each of its groups stands for.

    A flat alternation of ~600 patterns tries every one at every character (minutes for
    a thousand postings). Instead the expression checks the left edge first, which
    fails at once inside a word, then picks one branch per first character with a
    single comparison, and goes on through a trie of what follows, so a word costs a
    few comparisons whatever the size of the taxonomy. Each pattern ends in an empty
    group, so `lastindex` says which one matched.
    """
    by_first: dict[str, _Node] = {}
    for pattern in patterns:
        rest = _tokens(pattern.text, pattern.sensitive)[1:]
        for first in _variants(pattern.text[0], pattern.sensitive):
            by_first.setdefault(first, _Node()).add(rest, pattern)
    groups: list[_Pattern | None] = [None]
    branches = [re.escape(first) + node.regex(groups) for first, node in sorted(by_first.items())]
    return re.compile(f"{_LEFT_EDGE}(?:{'|'.join(branches)})"), groups


class _Node:
    """A trie of regex tokens; the patterns that end here are its terminals."""

    def __init__(self) -> None:
        self.children: dict[str, _Node] = {}
        self.terminals: list[_Pattern] = []
        self.depth = 0  # tokens in the longest pattern below

    def add(self, tokens: list[str], pattern: _Pattern) -> None:
        self.depth = max(self.depth, len(tokens))
        if tokens:
            self.children.setdefault(tokens[0], _Node()).add(tokens[1:], pattern)
        else:
            self.terminals.append(pattern)

    def regex(self, groups: list[_Pattern | None]) -> str:
        # Python takes the first alternative that matches, so going deeper before ending
        # here makes the longest pattern win: "Power BI" over "Power", "go to" (an
        # exclusion) over "Go". Siblings whose tokens overlap (a hyphen and a gap, "G"
        # and "[Gg]") are tried longest first, which is right in every case the
        # taxonomy has.
        options = [token + child.regex(groups)
                   for token, child in sorted(self.children.items(), key=lambda item: -item[1].depth)]
        for pattern in self.terminals:
            groups.append(pattern)
            options.append("()" + _right_edge(pattern.text))
        return options[0] if len(options) == 1 else f"(?:{'|'.join(options)})"


# The character before a match is no letter or digit, nor an "&" glued to one (R&D).
_LEFT_EDGE = r"(?<!\w)(?<!\w&)"


def _right_edge(text: str) -> str:
    if len(text) == 1:
        # One letter is too easily part of something else: R&D, Q&R, R-squared, C-suite, D.C.
        return r"(?<![&.\-][\s\S])(?![\w&+#]|[.\-]\w)"
    # Only a pattern ending in a letter or digit needs a right edge: "C++17" is still C++.
    return r"(?!\w|&\w)" if _is_word(text[-1]) else ""


def _tokens(text: str, sensitive: bool) -> list[str]:
    """One regex piece per character; a run of spaces becomes one gap."""
    tokens: list[str] = []
    for char in text:
        if char.isspace():
            if tokens[-1] != _GAP:
                tokens.append(_GAP)
            continue
        variants = _variants(char, sensitive)
        tokens.append(re.escape(variants[0]) if len(variants) == 1 else f"[{''.join(variants)}]")
    return tokens


def _variants(char: str, sensitive: bool) -> list[str]:
    """The characters that `char` matches: itself, and its other case when case does not matter."""
    if sensitive:
        return [char]
    return sorted({char, *(c for c in (char.lower(), char.upper()) if len(c) == 1)})


def _is_word(char: str) -> bool:
    return char.isalnum() or char == "_"


def _lookup_key(name: str) -> str:
    return _LOOKUP_GAP.sub(" ", name.strip().lstrip("=")).lower()


def _lookup_table(skills: dict[str, Skill]) -> dict[str, str]:
    # Ids win over names and names over spellings, should two of them fold to the same key.
    table: dict[str, str] = {}
    for layer in (
        lambda skill: [skill.id],
        lambda skill: [skill.name],
        lambda skill: list(skill.patterns),
    ):
        for skill in skills.values():
            for name in layer(skill):
                table.setdefault(_lookup_key(name), skill.id)
    return table
