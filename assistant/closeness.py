"""How close in meaning sentences are to a question, by the index's own embedder: an
extractive answer picks the sentences that answer, not only those that share words."""

from __future__ import annotations

import threading
from collections.abc import Sequence

import numpy as np

from assistant.embeddings import Embedder, unit_vectors


class Closeness:
    """Cosine similarity of sentences to a text. Sentence vectors are kept (the article's
    sentences come back with almost every question) up to `keep` of them."""

    def __init__(self, embedder: Embedder, keep: int = 20_000) -> None:
        self.embedder = embedder
        self.keep = keep
        self._vectors: dict[str, np.ndarray] = {}
        self._lock = threading.Lock()

    def __call__(self, text: str, sentences: Sequence[str]) -> list[float]:
        if not sentences:
            return []
        with self._lock:
            known = {s: self._vectors[s] for s in sentences if s in self._vectors}
        missing = [s for s in dict.fromkeys(sentences) if s not in known]
        vectors = unit_vectors(np.asarray(self.embedder.embed_batch([text, *missing]), dtype=np.float32))
        fresh = dict(zip(missing, vectors[1:], strict=True))
        with self._lock:
            if len(self._vectors) + len(fresh) > self.keep:
                self._vectors.clear()
            self._vectors.update(fresh)
        known.update(fresh)
        rows = np.stack([known[s] for s in sentences])
        return [float(x) for x in rows @ vectors[0]]
