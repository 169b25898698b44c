"""Every answer sentence checked against the passage it cites.

Recall and term hits cannot see a swapped claim ("ML engineers need the stronger
mathematical background" from the article's sentence about data scientists), so each
sentence of an answer must be backed by one sentence (or two adjacent ones) of a source
it cites, or of the best source when it cites none:

- the roles it talks about are the roles that source sentence talks about,
- its numbers and names appear in that source,
- most of its content words are covered by that sentence,
- and a sentence about the author or the article is backed by the article, never by a
  posting (a posting's salary is not the author's).

Unsupported sentences are replaced by the source sentence they garbled, or dropped.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from assistant.answer import META, Source, Support, content_terms, topic_stems
from assistant.roles import roles_named, without_roles
from assistant.sentences import answer_sentences, split_sentences

# A sentence needs this share of its content words in the source sentence it rests on.
MIN_COVERAGE = 0.6
_CITATION = re.compile(r"\s*\[(\d+)\]")
# Words that frame a claim rather than make it ("the article says ML engineers are often
# expected to ...") and role words, which the role check judges on its own.
_FRAMING = frozenset(
    """article author post writer says said notes note mentions mentioned states stated explains explained
    according often typically usually generally commonly also expected required requires require need needs
    needed important role roles engineer engineers scientist scientists analyst analysts ml machine learning
    data skillset skillsets skill skills""".split()
)
_ABOUT_AUTHOR = re.compile(r"\b(author|writer|article|post|essay|blog|he|she|his|her|him|they\s+work)\b", re.I)
_SENTENCE_START = re.compile(r"^\W*\w+")
_NAME = re.compile(r"\b([A-Z][A-Za-z0-9+#.&-]*[A-Za-z0-9+#]|[A-Z]|\d[\d,.]*\d|\d)\b|\$\s?\d[\d,.]*[kKmM]?")


# "The article does not mention remote work": a decline in the model's words.
_NOT_COVERED = re.compile(
    r"\b(does|do|did)\s*(not|n[’']t)\s+(mention|say|cover|discuss|specify|state|address|provide|give|name)\b|"
    r"\bno\s+(information|mention|details?)\b|\bnot\s+(mentioned|stated|specified|covered|provided)\b", re.I)
_MARKER = re.compile(r"illustrative sample", re.I)
_YES_NO = re.compile(r"^(\s*)(?:yes|no|yeah|yep|nope)\s*[,!—–-]\s*(\w)", re.I)
_ONLY_YES_NO = re.compile(r"^\W*(?:yes|no|yeah|yep|nope)\W*(\[\d+\]\W*)*$", re.I)
_FIRST_PERSON = re.compile(r"\b(I|I[’']m|I[’']ve|[Mm]y|[Mm]e|[Mm]ine|[Mm]yself)\b")
# "The author builds predictive models" makes the author its subject; "the author says ML
# engineers ..." only frames a claim about others. The article speaks of its author in the
# first person, so only a sentence saying "I" or "my" backs what the author does or is.
_AUTHOR_DOES = re.compile(
    r"\b(?:the\s+(?:author|writer)|he|she)\s+(?:also\s+|actually\s+|personally\s+|often\s+|usually\s+)?(\w+)"
    r"|\b(?:the\s+(?:author|writer)[’']s|his|her)\s+own\b", re.I)
_FRAMING_VERBS = frozenset(
    """says say said notes noted argues argued thinks thought believes believed writes wrote explains explained
    mentions mentioned describes described points pointed suggests suggested states stated claims claimed
    expects expected sees saw calls called defines defined compares compared links linked puts admits adds
    stresses emphasizes emphasises concludes observes observed finds found means meant does did doesn didn
    would could might""".split())


def about_the_author_as_subject(claim: str) -> bool:
    """Whether a sentence says what the author does or is, not only what the author says."""
    return any(m.group(1) is None or m.group(1).lower() not in _FRAMING_VERBS for m in _AUTHOR_DOES.finditer(claim))


def only_says_not_covered(text: str) -> bool:
    """Whether every sentence of an answer says the sources do not cover the question."""
    sentences = [s for s in answer_sentences(text) if content_terms(_CITATION.sub("", s))]
    return bool(sentences) and all(_NOT_COVERED.search(s) for s in sentences)


@dataclass
class Checked:
    text: str
    supports: list[Support] = field(default_factory=list)
    dropped: list[tuple[str, str]] = field(default_factory=list)  # (sentence, why)

    @property
    def wrong_role(self) -> int:
        return sum(1 for _, why in self.dropped if why.startswith("role"))


# A question about the author as a person, not about what the article says.
_OF_THE_AUTHOR = re.compile(r"\b(author|writer|he|she|his|her|him)\b", re.I)


def about_author(text: str) -> bool:
    return bool(_ABOUT_AUTHOR.search(text))


def answerable_from(question: str, sources: Sequence[Source]) -> list[Source]:
    """The sources an answer may quote: the article's alone for a question about the
    author or the article."""
    return [s for s in sources if s.kind == "article"] if about_author(question) else list(sources)


def check_answer(text: str, sources: Sequence[Source], question: str) -> Checked:
    """The answer with only sentences its sources back, and what backs each one."""
    by_n = {s.n: s for s in sources}
    result = Checked("")  # pragma: no mutate: its text is always set at the end
    kept: list[str] = []
    used: set[tuple[int, str]] = set()
    author_question = about_author(question)
    for piece in answer_sentences(text):
        # "Yes, data science doesn't have a 1-to-1 correlation to machine learning" to "Does
        # data science always require it?": no source backs a yes or a no, only what follows.
        piece = _YES_NO.sub(lambda m: m.group(1) + m.group(2).upper(), piece, count=1)
        sentence = piece.strip()
        if _ONLY_YES_NO.match(sentence):
            result.dropped.append((sentence, "a bare yes or no, which no source backs"))
            continue
        cited = [int(n) for n in _CITATION.findall(sentence) if int(n) in by_n]
        claim = _CITATION.sub("", sentence).strip()
        if not content_terms(claim):
            kept.append(piece)  # "Yes." says nothing a source must back
            continue
        if _NOT_COVERED.search(claim) or _MARKER.search(claim):
            result.dropped.append((sentence, "says the sources do not cover it" if _NOT_COVERED.search(claim)
                                   else "the sample marker, not content"))
            continue
        pool = [by_n[n] for n in cited] or list(sources)
        if author_question or about_author(claim):
            pool = [s for s in pool if s.kind == "article"]
        verdict = _sentence_verdict(sentence, pool, by_n, author_question)
        if not verdict.ok and cited and len(_CLAUSE.split(sentence)) == 1:
            # Right claim, wrong pointer: a sentence another given source backs cites that one.
            anywhere = [s for s in sources if not (author_question or about_author(claim)) or s.kind == "article"]
            elsewhere = _best_support(claim, anywhere, sources)
            if elsewhere.ok:
                verdict = elsewhere
                piece = _CITATION.sub("", piece.rstrip()).rstrip(" .") + f" [{verdict.source}]. "
                sentence = piece.strip()
        if verdict.ok and not cited:
            # Attributed to the source that backs it: the reader sees which one.
            piece = re.sub(r"\s*([.!?]?)(\s*)$", rf" [{verdict.source}]\1\2", piece, count=1)
            sentence = piece.strip()
        if verdict.ok:
            if (verdict.source, verdict.evidence) in used:
                result.dropped.append((sentence, "repeats a sentence already given"))
                continue
            used.add((verdict.source, verdict.evidence))
            kept.append(piece)
            result.supports.append(Support(sentence, verdict.source, verdict.evidence, "supported"))
        elif (verdict.garbled and (verdict.source, verdict.evidence) not in used
              and "?" not in verdict.evidence and not META.search(verdict.evidence)):
            # The sentence misquotes one source sentence (a role swapped, a name added): say
            # what the source says instead, unless that is a question the article asks or a
            # sentence about the text itself, which answer nothing.
            used.add((verdict.source, verdict.evidence))
            replacement = f"{verdict.evidence.rstrip(' .')} [{verdict.source}]."
            kept.append(replacement + " ")
            result.supports.append(Support(replacement, verdict.source, verdict.evidence, "replaced"))
            result.dropped.append((sentence, verdict.why))
        else:
            result.dropped.append((sentence, verdict.why or "no source sentence backs it"))
    result.text = "".join(kept).strip() if result.supports else ""
    return result


_CLAUSE = re.compile(r",?\s+(?:while|whereas)\s+|;\s+|,\s+but\s+|,\s+and\s+(?=(?:an?|the)\s)", re.I)


def _sentence_verdict(sentence: str, pool: list[Source], by_n: dict[int, Source], author_question: bool) -> _Verdict:
    """A comparison in one sentence ("ML engineers X [1], while data scientists Y [2]") is
    checked clause by clause, each against what it cites, so one side cannot borrow the
    other side's source."""
    clauses = [c for c in _CLAUSE.split(sentence) if c.strip()]
    whole = _best_support(_CITATION.sub("", sentence).strip(), pool, list(by_n.values()))
    if len(clauses) < 2 or sum(1 for c in clauses if roles_named(c)) < 2:
        return whole
    # A source's own two-sided sentence, quoted as it is (its roles named in the same
    # order), borrows nothing ("...; that is more typical of data scientists" has too few
    # words to check as a clause of its own).
    roles = roles_named(_CITATION.sub("", sentence))
    if whole.ok and whole.coverage >= 0.95 and len(roles) >= 2 and roles_named(whole.evidence) == roles:
        return whole
    verdicts = []
    for clause in clauses:
        cited = [by_n[int(n)] for n in _CITATION.findall(clause) if int(n) in by_n]
        about_the_author = author_question or about_author(clause)
        mine = [s for s in cited if not about_the_author or s.kind == "article"] or pool
        verdicts.append(_best_support(_CITATION.sub("", clause).strip(), mine, list(by_n.values())))
    failed = next((v for v in verdicts if not v.ok), None)
    if failed is not None:
        return _Verdict(False, failed.source, failed.evidence, failed.coverage, failed.why)
    return verdicts[0]


@dataclass(frozen=True)
class _Verdict:
    ok: bool
    source: int = 0
    evidence: str = ""
    coverage: float = 0.0
    why: str = ""
    garbled: bool = False


def _best_support(claim: str, pool: Sequence[Source], given: Sequence[Source] = ()) -> _Verdict:
    """The best backing for `claim` among `pool`; `given` (all the answer's sources) is where
    an article passage's predecessor is looked up, cited or not."""
    words = _claim_words(claim)
    claimed_roles = set(roles_named(claim))
    of_the_author = about_the_author_as_subject(claim)
    names = _names(claim)
    best = _Verdict(False, why="no source sentence backs it" if pool else "no article passage backs it")
    best_score = -1.0
    by_id = {source.id: source for source in [*given, *pool]}
    for source in pool:
        body = source.text.partition("\n")[2] or source.text
        own_role = source.kind != "article" and source.role and source.role != "other"
        # An article passage's heading ("Data scientist vs. ML engineer") names roles its
        # sentences may not speak of; a posting's title is what its role is.
        passage_roles = set(roles_named(body)) if source.kind == "article" else (
            set(roles_named(source.text)) | ({source.role} if own_role else set()))
        lowered = source.text.lower()
        missing = [n for n in names if n.lower() not in lowered]
        # The source's label (a posting's title and company) is part of what it says.
        label = source.heading
        sentences = split_sentences(body)
        # One sentence, or two adjacent ones; the roles are those of the sentence that
        # carries the claim's words, so a neighbour naming the other role cannot lend it.
        windows = [(s, i) for i, s in enumerate(sentences)] + [
            (f"{a} {b}", i if _coverage(words, a) >= _coverage(words, b) else i + 1)
            for i, (a, b) in enumerate(zip(sentences, sentences[1:], strict=False))]
        # A role note's or posting's sentence that names no role is about its own role; an
        # article sentence that names none is about the role the sentences before it named
        # ("... students majoring in data science ... students typically spend the majority
        # of their time coding" is not about ML engineers).
        # The passage before, when given (the whole article is), carries its roles into
        # this one's first sentences.
        before = _previous_sentences(source, by_id)
        carried = _carried_roles([*before, *sentences])[len(before):]
        for window, at in windows:
            shown = sentences[at]
            coverage = _coverage(words, f"{window} {label}")
            roles_here = set(roles_named(shown)) or (set() if own_role else carried[at])
            if own_role:
                roles_here.add(source.role)
            role_problem = ""  # pragma: no mutate: only its truth is read, and None is as false
            if claimed_roles:
                if roles_here and not claimed_roles & roles_here:
                    role_problem = (f"role: says {', '.join(sorted(claimed_roles))} where the source says "
                                    f"{', '.join(sorted(roles_here))}")
                elif len(claimed_roles) >= 2 and not claimed_roles <= roles_here:
                    # "ML engineers are software engineers with a different title": a relation
                    # between roles needs one sentence that names them all.
                    role_problem = (f"role: relates {', '.join(sorted(claimed_roles))}; the source sentence names "
                                    f"{', '.join(sorted(roles_here)) or 'no role'}")
                elif not claimed_roles <= passage_roles:
                    role_problem = f"role: the source does not talk about {', '.join(sorted(claimed_roles - passage_roles))}"
            # "They are not the same role" from "Company A might define the role ... the exact
            # same way": a claim must say yes where its source says yes.
            if not role_problem and _polarity_differs(claim, shown):
                role_problem = "polarity: the sentence negates what the source affirms, or the reverse"
            swapped = _swapped_modifier(claim, shown) if not role_problem else None
            if swapped:
                role_problem = f"swapped: says {swapped}" + ("" if ", where" in swapped else
                                                             " where the source says otherwise")
            # Not a misquote to put right: the source sentence says nothing of the author, so
            # it does not answer what the sentence was about.
            stranger = of_the_author and not _FIRST_PERSON.search(window)
            ok = coverage >= MIN_COVERAGE and len(words) >= 2 and not role_problem and not missing and not stranger
            score = coverage + (1.0 if ok else 0.0)
            if score > best_score:
                best_score = score
                why = role_problem or (f"not in the source: {', '.join(missing)}" if missing else
                                       "about the author, where the source sentence does not speak of the author"
                                       if stranger else
                                       "too few words to check" if len(words) < 2 else
                                       f"the source covers {coverage:.0%} of its words")
                best = _Verdict(ok, source.n, shown, coverage, "" if ok else why,
                                garbled=not ok and not stranger and coverage >= MIN_COVERAGE)
    return best


def _previous_sentences(source: Source, by_id: dict[str, Source], last: int = 3) -> list[str]:
    """The last sentences of the article passage just before `source` ("article#12" for
    "article#13"), when it is among the sources."""
    document, _, index = source.id.rpartition("#")
    if source.kind != "article" or not index.isdigit():
        return []
    previous = by_id.get(f"{document}#{int(index) - 1}")
    if previous is None:
        return []
    return list(split_sentences(previous.text.partition("\n")[2] or previous.text))[-last:]


def _carried_roles(sentences: Sequence[str], back: int = 3) -> list[set[str]]:
    """For each sentence, the roles of the nearest of the `back` sentences before it that
    names any: who an article sentence without a role speaks of."""
    named = [set(roles_named(s)) for s in sentences]
    return [next((named[j] for j in range(i - 1, max(-1, i - 1 - back), -1) if named[j]), set())
            for i in range(len(sentences))]


# Words that come in opposite pairs: "left brained engineering" from "right brained
# creativity ... left brained engineering" keeps every word and swaps the sides.
_OPPOSITES = {a: b for x, y in (("left", "right"), ("more", "less"), ("stronger", "weaker"), ("higher", "lower"),
                                ("junior", "senior"), ("easier", "harder"), ("before", "after"), ("front", "back"))
              for a, b in ((x, y), (y, x))}
_DEGREE = {word: "more" for word in ("stronger", "higher", "greater", "better", "bigger")} | {
    word: "less" for word in ("weaker", "lower", "fewer", "smaller")}
_TOKEN = re.compile(r"[a-z0-9]+")


def _swapped_modifier(claim: str, source_sentence: str) -> str | None:
    """The claim's "left … creativity" when the source pairs creativity with "right" and
    never with "left": what a side word qualifies is its next content word (within two)."""
    said, source = _TOKEN.findall(claim.lower()), _TOKEN.findall(source_sentence.lower())

    def qualified(tokens: list[str], at: int) -> str | None:
        following = [t for t in tokens[at + 1:at + 4] if content_terms(t) and t not in ("brained", "brain")]
        return _stem(following[0]) if following else None

    def pairs(tokens: list[str]) -> dict[tuple[str, str], str]:
        # Degrees are one scale: "a stronger software engineering background" swaps "less of
        # a software engineering background". Each pair keeps the word as written.
        return {(_DEGREE.get(t, t), q): t for i, t in enumerate(tokens)
                if (t in _OPPOSITES or t in _DEGREE) and (q := qualified(tokens, i))}

    in_source = pairs(source)
    sides = {side for side, _ in in_source}
    for (side, thing), written in pairs(said).items():
        if (side, thing) not in in_source and (_OPPOSITES[side], thing) in in_source:
            return f"{written} {thing}…"
        # A source that qualifies both sides ("right brained creativity … left brained
        # engineering") backs a claim about one side only for what that side qualifies there.
        if (side, thing) not in in_source and side in sides and _OPPOSITES[side] in sides:
            return f"{written} {thing}…, where the source pairs {side} and {_OPPOSITES[side]} with other things"
        # "a stronger software engineering background" from "a strong data science
        # background ... obtain a software engineering skillset": a comparison the source
        # never makes. ("more", used loosely, is left to the checks above.)
        if written in _DEGREE and (side, thing) not in in_source:
            return f"{written} {thing}…, where the source makes no such comparison"
    return None


_NEGATION = re.compile(r"\b(not|no|never|none|neither|nor|without|cannot)\b|n[’']t\b", re.I)


_CONTRAST = re.compile(r"[,;:]?\s+\b(?:but|although|though|however|yet|whereas|while)\b|;\s*", re.I)


def _closest_clause(words: set[str], sentence: str) -> str:
    """The clause of a source sentence that carries the claim's words ("it isn't easy to
    pivot, but it's easier for ..."): negation is compared there."""
    clauses = [c for c in _CONTRAST.split(sentence) if c and c.strip()]
    return max(clauses, key=lambda c: _coverage(words, c)) if clauses else sentence


def _polarity_differs(claim: str, source_sentence: str) -> bool:
    """Whether a clause of the claim negates what the source clause closest to it says, or
    the reverse (clause by clause: "it isn't easy to pivot, but it's easier ...")."""
    for clause in _CONTRAST.split(claim):
        words = _claim_words(clause or "")
        if words and _negated(clause) != _negated(_closest_clause(words, source_sentence)):
            return True
    return False


def _negated(text: str) -> bool:
    return bool(_NEGATION.search(re.sub(r"^\W*(yes|no)\b,?", "", text, flags=re.I)))


def _stem(word: str) -> str:
    return word[:5] if len(word) > 5 else word


def _claim_words(claim: str) -> set[str]:
    return {_stem(w) for w in content_terms(claim) if w not in _FRAMING}


def _coverage(words: set[str], window: str) -> float:
    if not words:
        return 1.0
    have = {_stem(w) for w in content_terms(window)}
    return len(words & have) / len(words)


def _names(claim: str) -> list[str]:
    """Numbers and proper names: they must appear in the source as written."""
    first = _SENTENCE_START.match(claim)
    start = first.end() if first else 0
    names = []
    for match in _NAME.finditer(claim):
        token = match.group(0).strip()
        if match.start() < start and not token[:1].isdigit() and not token.startswith("$"):
            continue  # a capital that only starts the sentence
        lowered = token.lower().rstrip(".")
        if lowered in _FRAMING or lowered in {"i", "a", "ai", "ml", "dl", "the", "and", "or", "in", "yes", "no"}:
            continue
        if re.fullmatch(r"[A-Z][a-z]+", token) and lowered in _COMMON_CAPITALS:
            continue
        names.append(token.rstrip("."))
    return names


_COMMON_CAPITALS = frozenset("this that these those they it its their there however also both while when".split())


# Words a comparison asks with that tell no topic: "ML engineer vs data scientist: what
# actually separates the two?" asks for whatever the sources contrast.
_COMPARING = frozenset(_stem(w) for w in """vs versus differ differs difference differences different
    separate separates separating distinguish distinguishes compare compared comparison contrast two
    actually really main key between""".split())
# What a sentence that contrasts a role with others says: "a stronger mathematical background
# but less of a software engineering background".
_CONTRASTS = re.compile(r"\b(more|less|stronger|weaker|than|rather|instead|unlike|whereas|must)\b", re.I)


def complete_comparison(checked: Checked, question: str, sources: Sequence[Source]) -> Checked:
    """A question that names two or more roles gets what the sources say about each: a
    role the answer left out gets the source sentence that speaks of it alone and bears
    most on the question and on what was said of the other sides, so the sides answer one
    another. A question that asks only how the roles differ takes the sentences that
    contrast a role with others. Software engineers count ("are ML engineers basically
    software engineers with another title?"), though the postings' figures have no family
    for them."""
    roles = roles_named(question)
    if len(roles) < 2:
        return checked
    topic = _claim_words(question) - _COMPARING
    # A sentence that names the roles and contrasts nothing does not answer for them, nor
    # does it say what the other sides must answer.
    answering = [s.sentence for s in checked.supports if topic or _CONTRASTS.search(s.sentence)]
    covered = {role for sentence in answering for role in roles_named(sentence)}
    wanted = topic | _claim_words(" ".join(answering))
    used = {(s.source, s.evidence) for s in checked.supports}
    supports = list(checked.supports)
    for role in roles:
        if role in covered:
            continue
        best: tuple[float, Source, str] | None = None
        for source in sources:
            body = source.text.partition("\n")[2] or source.text
            for sentence in split_sentences(body):
                named = roles_named(sentence)
                if (role not in named or (source.n, sentence) in used or "?" in sentence
                        or len(content_terms(sentence)) < 4 or META.search(sentence)
                        or (wanted and not wanted & _claim_words(sentence))
                        # "you can begin to see a dichotomy between the skillsets of a data
                        # scientist and an ML engineer" says that they differ, not how.
                        or (not topic and not _CONTRASTS.search(sentence))):
                    continue
                # Sentences from the article come first (the article is what the question is
                # asked of, and the role notes only sum a role up), then those about this role alone.
                score = (len(wanted & _claim_words(sentence)) + (1.0 if named == [role] else 0.0)
                         + (1.5 if source.kind == "article" else 0.0) - 0.01 * source.n)
                if not topic:  # one contrast is enough: "more often than not" is none
                    score += 0.5
                if best is None or score > best[0]:
                    best = (score, source, sentence)
        if best is not None:
            _, source, sentence = best
            text = f"{sentence.rstrip(' .')} [{source.n}]."
            supports.append(Support(text, source.n, sentence, "added"))
            used.add((source.n, sentence))
            wanted |= _claim_words(sentence)
    return Checked(" ".join(s.sentence for s in supports), supports, checked.dropped)


# Questions that ask for one kind of fact: an answer without such a fact (taken from its
# sources, by the checks above) does not answer them, however well its sentences are backed.
@dataclass(frozen=True)
class _Want:
    kind: str
    asks: re.Pattern[str]  # the question asks for this kind of fact
    fact: re.Pattern[str]  # an answer sentence gives one
    # Said in the question's own word ("Which does he prefer?" "I prefer ..."); a name or a
    # number the question already gives is not the one it asks for.
    own_words: bool = False


_NUMBER_WORDS = r"\b(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|dozens?|hundreds?)\b"
_WANTS: list[_Want] = [
    _Want("an age", re.compile(r"\bhow\s+old\b|\b(his|her|their|the\s+author'?s?)\s+age\b", re.I),
     re.compile(r"\b\d{1,3}(\s*years?\s*old|-year-old|s\b)|\baged?\s+\d|\b(twenties|thirties|forties|fifties|sixties)\b",
                re.I)),
    _Want("an amount of money", re.compile(
        r"\b(salary|salaries|paid|pay|earns?|earning|compensation|income)\b|\bhow\s+much\b[^?]*\b(make|cost|earn)", re.I),
     re.compile(r"[$€£]\s?\d|\d\s?(k|usd|eur|dollars|euros)\b", re.I)),
    _Want("a number", re.compile(r"\bhow\s+many\b|\byears\s+of\s+experience\b|\bexactly\b|\bcut-?offs?\b|\bthresholds?\b"
                            r"|\bwhat\s+(percentage|percent|share|proportion|fraction)\b", re.I),
     re.compile(rf"\d|{_NUMBER_WORDS}|\b(half|quarter|third|percent)\b", re.I)),
    # "Which does the author prefer, PyTorch or TensorFlow?" is not answered by a sentence
    # that names both and prefers neither.
    _Want("a preference", re.compile(r"\bprefer(s|red|ence)?\b|\bwould\s+rather\b|\blikes?\s+better\b", re.I),
     re.compile(r"\b(prefer\w*|favou?rite|rather|better|best|love|go-to)\b", re.I), own_words=True),
    _Want("a recommendation", re.compile(r"\brecommend(s|ed|ation|ations)?\b", re.I),
     re.compile(r"\b(recommend\w*|suggest\w*|advi[cs]e\w*|should|encourage\w*)\b", re.I), own_words=True),
    _Want("a degree", re.compile(r"\bph\.?\s?d\b|\bdoctorates?\b|\b(master|bachelor)[’']?s?\b|\bdegrees?\b", re.I),
     re.compile(r"\bph\.?\s?d\b|\bdoctora\w*|\b(master|bachelor)[’']?s?\b|\bdegrees?\b|\bgraduat\w*|\bdiploma", re.I),
          own_words=True),
    _Want("a past", re.compile(r"\bcareer\s+(path|history)\b|\bbefore\s+(becoming|they\s+became|(s)?he\s+became)\b"
                          r"|\bused\s+to\s+(be|work)\b|\bprevious(ly)?\s+(job|role|work|position)\b", re.I),
     re.compile(r"\b(was|were|used\s+to|worked|started|began|spent|studied|became|switched|moved)\b", re.I), own_words=True),
    _Want("a date", re.compile(r"\bwhen\b[^?]*\b(published|written|wrote|posted|founded)\b|\bwhat\s+year\b", re.I),
     re.compile(r"\b(19|20)\d\d\b|\b(january|february|march|april|may|june|july|august|september|october|"
                r"november|december)\b", re.I)),
    _Want("a name", re.compile(
        # "Which top-name universities ...", not "What does the company ...".
        r"\b(which|what)\s+((?!(do|does|did|is|are|was|were|the|a|an|of)\b)[\w-]+\s+){0,2}"
        r"(company|companies|employer|firm|university|universities|college|school|city|town|country"
        r"|(cloud\s+)?(platform|provider)s?)\b"
        r"|\bwho\s+(wrote|is\s+the\s+author|is\s+the\s+writer)\b|\bname\s+of\b|\b(author|writer)'?s\s+name\b"
        r"|\bwhere\b[^?]*\b(live|lives|work|works|study|studied|based)\b|\bworks?\s+(for|at)\b", re.I),
     re.compile(r"(?<!^)(?<![.!?]\s)\b[A-Z][a-z]+[A-Za-z]*\b")),
]


def wanted_fact(question: str) -> _Want | None:
    return next((want for want in _WANTS if want.asks.search(question)), None)


def answers_the_question(checked: Checked, question: str,
                         skills_in: Callable[[str], set[str]] | None = None) -> Checked:
    """The checked answer, or nothing when it does not answer the question: the question
    names skills or tools (Rust, Kubernetes) and neither the answer nor the source
    sentences it rests on mention any of them, or it asks for a kind of fact (an age, a
    salary, a company's name) that the answer does not give."""
    if not checked.supports:
        return checked
    said = " ".join(_CITATION.sub("", s.sentence) for s in checked.supports)
    if skills_in is not None:
        asked_skills = skills_in(without_roles(question))
        backed = " ".join(s.evidence for s in checked.supports)
        if asked_skills and not asked_skills & skills_in(f"{said} {backed}"):
            return _declined(checked, "the sources say nothing of " + ", ".join(sorted(asked_skills)))
    wanted = wanted_fact(question)
    if wanted is not None:
        asked = {w.lower() for w in re.findall(r"\w+", question)}
        # The author writes in the first person: a fact about them ("a Fortune 50 company")
        # comes from a sentence that says "I", not from one about cloud services that names
        # Amazon.
        # What the article says of others ("Which cloud platforms does the article say ...")
        # needs no "I".
        about = [s for s in checked.supports if not _OF_THE_AUTHOR.search(question) or _FIRST_PERSON.search(s.evidence)]
        found = [m.group(0) for s in about for m in wanted.fact.finditer(_CITATION.sub("", s.sentence))
                 if wanted.own_words or m.group(0).lower() not in asked]
        if not found:
            return _declined(checked, f"the question asks for {wanted.kind} and the sources give none")
    return checked


def beyond_the_question(checked: Checked, question: str) -> Checked:
    """The answer without sentences that only say the question back ("Actuaries and
    statisticians have been re-titled as data scientists [11]." to "Why have actuaries and
    statisticians been re-titled as data scientists?"): every word of theirs that tells a
    topic is the question's, and they deny nothing the question does not."""
    asked = topic_stems(question)

    def restates(support: Support) -> bool:
        claim = _CITATION.sub("", support.sentence)
        return topic_stems(claim) <= asked and _negated(claim) == _negated(question)

    said_back = [s for s in checked.supports if restates(s)]
    if not said_back:
        return checked
    kept = [s for s in checked.supports if s not in said_back]
    return Checked(" ".join(s.sentence for s in kept), kept,
                   [*checked.dropped, *((s.sentence, "says only what the question says") for s in said_back)])


def _declined(checked: Checked, why: str) -> Checked:
    return Checked("", [], [*checked.dropped, *((s.sentence, why) for s in checked.supports)])
