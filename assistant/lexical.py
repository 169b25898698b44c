"""BM25 over the chunks of one index generation, with light typo repair.

Exact terms ("SAS", "GLMs", "Kubernetes") are what dense embeddings miss and BM25 finds.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from typing import Any

import bm25s
import numpy as np
import Stemmer

_WORD = re.compile(r"(?u)\b\w[\w+#.-]*\w\b|\b\w\b")


class LexicalIndex:
    def __init__(self, ids: Sequence[str], texts: Sequence[str], metadatas: Sequence[dict[str, Any]]) -> None:
        self.ids = list(ids)
        self.texts = list(texts)
        self.metadatas = list(metadatas)
        self._stemmer = Stemmer.Stemmer("english")
        self._bm25 = bm25s.BM25()
        tokens = bm25s.tokenize(self.texts, stopwords="en", stemmer=self._stemmer, show_progress=False)
        self._bm25.index(tokens, show_progress=False)
        self._vocab = tokens.vocab
        # Surface words seen in the corpus, for repairing misspelt query words.
        self._words = sorted({w for text in self.texts for w in _WORD.findall(text.lower()) if len(w) > 3})

    def __len__(self) -> int:
        return len(self.ids)

    def repair(self, query: str) -> str:
        """Replace words the corpus never uses by the closest word it does ("enginer" -> "engineer")."""
        known = set(self._words)
        out = []
        for word in re.findall(r"\S+", query):
            bare = word.strip(".,;:!?\"'()").lower()
            if len(bare) > 3 and bare.isalpha() and bare not in known:
                match = difflib.get_close_matches(bare, self._words, n=1, cutoff=0.8)
                if match:
                    word = match[0]
            out.append(word)
        return " ".join(out)

    def scores(self, query: str) -> np.ndarray:
        tokens = bm25s.tokenize([query], stopwords="en", stemmer=self._stemmer, show_progress=False,
                                return_ids=False)[0]
        known = [t for t in tokens if t in self._vocab]
        if not known:
            return np.zeros(len(self.ids), dtype=np.float32)
        return np.asarray(self._bm25.get_scores(known), dtype=np.float32)
