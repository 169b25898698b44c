"""BM25 over the chunks of one index generation, with light typo repair.

Exact terms ("SAS", "GLMs", "Kubernetes") are what dense embeddings miss and BM25 finds.
"""

from __future__ import annotations

import difflib
import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

import bm25s
import numpy as np
import Stemmer

_WORD = re.compile(r"(?u)\b\w[\w+#.-]*\w\b|\b\w\b")
_PUNCTUATION = ".,;:!?\"'()"


# What retrieval filters, boosts and spreads results on. The rest of a chunk (its text,
# title, position) is fetched by id for the few chunks a question returns.
ROUTING_FIELDS = ("kind", "role_family", "company", "doc_id", "source")
# Everything that decides the tokens; a saved index made with other settings is not used.
TOKENIZER = {"stopwords": "en", "stemmer": "english", "words": _WORD.pattern, "bm25s": bm25s.__version__}


def routing(meta: dict[str, Any]) -> dict[str, Any]:
    return {key: meta[key] for key in ROUTING_FIELDS if key in meta}


class LexicalIndex:
    """BM25 over every chunk, typo repair, and each chunk's routing fields, in index order."""

    def __init__(self, ids: Sequence[str], metadatas: Sequence[dict[str, Any]], bm25: bm25s.BM25 | None,
                 speller: Speller) -> None:
        self.ids = list(ids)
        self.metadatas = list(metadatas)
        self.bm25 = bm25  # None for a generation without chunks, which bm25s cannot index
        self.speller = speller
        self._stemmer = Stemmer.Stemmer(TOKENIZER["stemmer"])
        self._vocab = bm25.vocab_dict if bm25 is not None else {}

    def __len__(self) -> int:
        return len(self.ids)

    def repair(self, query: str) -> str:
        """Replace words the corpus never uses by the closest word it does ("enginer" -> "engineer")."""
        return self.speller.repair(query)

    def stems(self, text: str) -> list[str]:
        """The words of `text` as BM25 sees them: stopwords out, stemmed."""
        return list(bm25s.tokenize([text], stopwords=TOKENIZER["stopwords"], stemmer=self._stemmer,
                                   show_progress=False, return_ids=False)[0])

    def scores(self, query: str) -> np.ndarray:
        tokens = self.stems(query)
        known = [t for t in tokens if t in self._vocab]
        if not known or self.bm25 is None:
            return np.zeros(len(self.ids), dtype=np.float32)
        return np.asarray(self.bm25.get_scores(known), dtype=np.float32)


def build_lexical(ids: Sequence[str], texts: Sequence[str], metadatas: Sequence[dict[str, Any]]) -> LexicalIndex:
    """Index chunk texts: tokenize, stem, score with BM25, and collect the words typo repair knows."""
    bm25 = None
    if texts:
        tokens = bm25s.tokenize(list(texts), stopwords=TOKENIZER["stopwords"],
                                stemmer=Stemmer.Stemmer(TOKENIZER["stemmer"]), show_progress=False)
        bm25 = bm25s.BM25()
        bm25.index(tokens, show_progress=False)
    # Surface words seen in the corpus, for repairing misspelt query words.
    speller = Speller(w for text in texts for w in _WORD.findall(text.lower()) if len(w) > 3)
    return LexicalIndex(ids, [routing(m) for m in metadatas], bm25, speller)


class Speller:
    """Typo repair that picks the word `difflib.get_close_matches(word, vocabulary, n=1,
    cutoff=0.8)` would, without comparing the word against the whole vocabulary.

    difflib's similarity is 2*M / (len(a) + len(b)), and the M matched characters can be
    no more than the characters the two words share, counted as multisets. That bound,
    counted in numpy for all words at once, rules out nearly all of the vocabulary; the
    rest are compared in order of their bound, stopping once no word left can beat the
    best so far.
    """

    cutoff = 0.8

    def __init__(self, words: Iterable[str], letters: np.ndarray | None = None) -> None:
        """`letters`, when given, is the `letters` of a Speller of the same words (saved with
        them), so that loading one skips counting the letters of every word again."""
        self.known = frozenset(words)
        # Sorted by length, so the words of the lengths that can pass are one slice.
        self.words = sorted(self.known, key=lambda w: (len(w), w))
        self._lengths = np.array([len(w) for w in self.words], dtype=np.int64)
        if letters is not None and letters.shape == (_BUCKETS, len(self.words)):
            self.letters = letters
            return
        # How often each letter occurs in each word: one row per letter, one column per word.
        self.letters = np.zeros((_BUCKETS, len(self.words)), dtype=np.uint16)
        for column, word in enumerate(self.words):
            for bucket in map(_bucket, word):
                self.letters[bucket, column] += 1

    def repair(self, query: str) -> str:
        out = []
        for word in query.split():
            bare = word.strip(_PUNCTUATION)
            lowered = bare.lower()
            if len(lowered) > 3 and lowered.isalpha() and lowered not in self.known:
                match = self.closest(lowered)
                if match:  # keeps the quotes or question mark around the word
                    head = len(word) - len(word.lstrip(_PUNCTUATION))
                    word = word[:head] + match + word[head + len(bare):]
            out.append(word)
        return " ".join(out)

    def closest(self, word: str) -> str | None:
        """The known word most like `word`, if any is similar enough."""
        size = len(word)
        # Shared characters are at most the shorter word's length, so the bound only passes
        # lengths from 2/3 to 3/2 of the word's; rounding outwards keeps every candidate.
        start = int(np.searchsorted(self._lengths, math.floor(size * 2 / 3), side="left"))
        stop = int(np.searchsorted(self._lengths, math.ceil(size * 3 / 2), side="right"))
        shared = np.zeros(stop - start, dtype=np.int64)
        for bucket, count in Counter(map(_bucket, word)).items():
            shared += np.minimum(self.letters[bucket, start:stop], count)
        # difflib's own arithmetic, so a bound and a ratio of the same matches compare equal.
        bounds = 2.0 * shared / (size + self._lengths[start:stop])
        rows = np.flatnonzero(bounds >= self.cutoff)
        matcher = difflib.SequenceMatcher(b=word)
        best: tuple[float, str] | None = None
        for row in rows[np.argsort(-bounds[rows], kind="stable")]:
            if best and bounds[row] < best[0]:
                break
            candidate = self.words[start + row]
            matcher.set_seq1(candidate)
            score = matcher.ratio()
            # The highest score wins and, as in get_close_matches, the larger word breaks a tie.
            if score >= self.cutoff and (best is None or (score, candidate) > best):
                best = (score, candidate)
        return best[1] if best else None


# a-z each have their own count; any other character shares one of a few buckets, which can
# only overcount what two words share, so the bound stays a bound.
_BUCKETS = 26 + 6


def _bucket(char: str) -> int:
    code = ord(char) - ord("a")
    return code if 0 <= code < 26 else 26 + ord(char) % 6
