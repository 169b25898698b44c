"""Hybrid retrieval: dense (Chroma) and BM25, fused by reciprocal rank, then made diverse.

A question that names roles prefers evidence about those roles; a general question keeps
the article in view; no single posting fills the results.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from assistant.embeddings import Embedder, unit_vectors
from assistant.errors import IndexCorrupt
from assistant.lexical import LexicalIndex
from assistant.roles import roles_in, without_roles
from assistant.search import where_clause
from assistant.store import Generation
from assistant.types import Hit

RRF_K = 60
Reranker = Callable[[str, list[Hit]], list[Hit]]


@dataclass(frozen=True)
class RetrievalConfig:
    k: int = 5
    candidates: int = 40
    max_chunks_per_document: int = 2
    max_article_chunks: int = 3
    role_boost: float = 1.25
    company_boost: float = 1.5


_POSTING_WORDS = re.compile(
    r"\b(postings?|job\s+ads?|listings?|openings?|vacanc\w+|hiring|employers?|how\s+many|which\s+compan\w+"
    r"|sample)\b", re.I)


def about_postings(question: str) -> bool:
    """Whether a question asks about postings rather than about the roles in general."""
    return bool(_POSTING_WORDS.search(question))


def _matches(meta: dict[str, Any], filters: dict[str, str]) -> bool:
    return all(not value or meta.get(key) == value for key, value in filters.items())


class HybridRetriever:
    def __init__(
        self,
        generation: Generation,
        embedder: Embedder,
        lexical: LexicalIndex,
        config: RetrievalConfig = RetrievalConfig(),
        reranker: Reranker | None = None,
    ) -> None:
        self.generation = generation
        self.embedder = embedder
        self.lexical = lexical
        self.config = config
        self.reranker = reranker
        self._position = {chunk_id: i for i, chunk_id in enumerate(lexical.ids)}
        # Most questions rank the article on its own as well. It has a few hundred chunks at
        # most, so a dot product with its vectors held here ranks them far faster than a
        # second, filtered Chroma query, and exactly rather than approximately.
        got = generation.collection.get(where={"kind": "article"}, include=["embeddings", "metadatas"])
        rows = np.array([self._position[chunk_id] for chunk_id in got["ids"]], dtype=np.int64)
        order = np.argsort(rows)  # in index order, which breaks ties in every ranking here
        self._article_rows = rows[order]
        self._article_vectors = unit_vectors(np.asarray(got["embeddings"], dtype=np.float32)[order])
        # The words of each passage's section heading, role names aside ("Software
        # Engineering" of "Data scientist vs. ML engineer" leaves nothing).
        self._article_headings = [_heading_words(lexical, str((got["metadatas"][i] or {}).get("section") or ""))
                                  for i in order]
        # Company names a question may mention; short ones ("IT", "Ace") would match words.
        companies = {str(m.get("company")) for m in lexical.metadatas if len(str(m.get("company") or "")) >= 5}
        self._companies = [(f" {name.lower()} ", name) for name in companies]

    def retrieve(self, query: str, *, k: int | None = None, filters: dict[str, str] | None = None) -> list[Hit]:
        k = k or self.config.k
        filters = {key: value for key, value in (filters or {}).items() if value}
        where_clause(filters)  # validates the filter names
        if not len(self.lexical):
            return []
        repaired = self.lexical.repair(query)
        # Embed and score the query once; both rankings below reuse them.
        vector = self.embedder.embed_batch([repaired])[0]
        scores = self.lexical.scores(repaired)
        hits = self._fused(repaired, vector, scores, filters, set(roles_in(repaired)), self._companies_in(repaired))
        if self.reranker is not None:
            hits = self.reranker(repaired, self._filled(hits[: self.config.candidates]))
        if "kind" in filters:
            return self._filled(self._diverse(hits, k))
        # The article is one document among thousands of posting chunks, yet it is what
        # most questions are about: it gets its own ranking and reserved places.
        article = self._fused(repaired, vector, scores, {**filters, "kind": "article"}, set(), set())
        postings_question = about_postings(repaired)
        slots = 1 if postings_question else self.config.max_article_chunks
        # With a single place there is nothing to reserve: the best passage wins.
        chosen = article[: min(slots, k - 1)] if k > 1 else []
        rest = self._diverse([h for h in hits if h.kind != "article" or k == 1], k - len(chosen))
        rest = _each_role(rest, hits, roles_in(repaired))
        if postings_question:
            return self._filled(sorted(chosen + rest, key=lambda h: h.score, reverse=True))
        return self._filled(chosen + rest)

    def core_passages(self) -> list[Hit]:
        """Every article passage, in reading order: the fixed part of a prompt."""
        hits = self._filled([self._to_hit(self.lexical.ids[row], 0.0, None) for row in self._article_rows])
        return sorted(hits, key=lambda h: (h.doc_id, int(h.metadata.get("position", 0))))

    def _companies_in(self, query: str) -> set[str]:
        lowered = f" {query.lower()} "
        return {name for spaced, name in self._companies if spaced in lowered}

    def _fused(self, query: str, vector: list[float], scores: np.ndarray, filters: dict[str, str], roles: set[str],
               companies: set[str]) -> list[Hit]:
        if filters.get("kind") == "article":
            dense, similarity = self._dense_article(vector, filters)
            rankings = [dense, self._lexical_article(scores, filters), self._headings_article(query, filters)]
        else:
            dense, similarity = self._dense(vector, filters)
            rankings = [dense, self._lexical(scores, filters)]
        fused: dict[str, float] = defaultdict(float)
        for ranking in rankings:
            for rank, chunk_id in enumerate(ranking):
                fused[chunk_id] += 1.0 / (RRF_K + rank + 1)
        for chunk_id in fused:
            meta = self.lexical.metadatas[self._position[chunk_id]]
            if roles and meta.get("role_family") in roles:
                fused[chunk_id] *= self.config.role_boost
            if companies and meta.get("company") in companies:
                fused[chunk_id] *= self.config.company_boost
        ranked = sorted(fused, key=fused.__getitem__, reverse=True)
        return [self._to_hit(chunk_id, fused[chunk_id], similarity.get(chunk_id)) for chunk_id in ranked]

    def _dense(self, vector: list[float], filters: dict[str, str]) -> tuple[list[str], dict[str, float]]:
        """Ids by cosine similarity, and the similarities (an absolute relevance signal)."""
        result = self.generation.collection.query(
            query_embeddings=[vector],
            n_results=min(self.config.candidates, len(self.lexical)),
            where=where_clause(filters),
            include=["distances"],
        )
        ids = list(result["ids"][0])
        return ids, {i: 1.0 - float(d) for i, d in zip(ids, result["distances"][0], strict=True)}

    def _dense_article(self, vector: list[float], filters: dict[str, str]) -> tuple[list[str], dict[str, float]]:
        """`_dense` for the article's chunks, from the vectors in memory."""
        if not len(self._article_rows):
            return [], {}
        query = unit_vectors(np.asarray(vector, dtype=np.float32))
        rows, similarities = self._matching_article(self._article_vectors @ query, filters)
        best = np.argsort(-similarities, kind="stable")[: self.config.candidates]
        ids = [self.lexical.ids[rows[i]] for i in best]
        return ids, {chunk_id: float(similarities[i]) for chunk_id, i in zip(ids, best, strict=True)}

    def _lexical(self, scores: np.ndarray, filters: dict[str, str]) -> list[str]:
        # The best few dozen of up to 100k scores need a partition, not a sort; only when
        # filters turn too many of them away is it worth looking further down.
        wanted = self.config.candidates
        depth = wanted
        while True:
            best = _best(scores, depth)
            ranked = [self.lexical.ids[i] for i in best if _matches(self.lexical.metadatas[i], filters)]
            if len(ranked) >= wanted or len(best) < depth:
                return ranked[:wanted]
            depth *= 8

    def _lexical_article(self, scores: np.ndarray, filters: dict[str, str]) -> list[str]:
        rows, article_scores = self._matching_article(scores[self._article_rows], filters)
        return [self.lexical.ids[rows[i]] for i in _best(article_scores, self.config.candidates)]

    def _headings_article(self, query: str, filters: dict[str, str]) -> list[str]:
        """The article's passages whose section heading shares words with the query, most
        shared first: the passages under "Software Engineering" are what "which software
        engineering practices" asks for, though postings make both words common to BM25 and
        the embedder ranks other passages closer."""
        asked = _heading_words(self.lexical, query)
        # One common word ("the industry favorite" and "Where the industry is heading") is
        # chance: a heading matches with all its words, or two of a longer one's. A heading of
        # roles alone ("Data scientist vs. ML engineer") has no words: naming its roles is not
        # enough (measured: it crowds the passage that answers out of the article's places).
        shared = np.array([len(asked & heading) if len(asked & heading) >= min(len(heading), 2) else 0
                           for heading in self._article_headings], dtype=np.float32)
        rows, values = self._matching_article(shared, filters)
        return [self.lexical.ids[rows[i]] for i in _best(values, self.config.candidates)]

    def _matching_article(self, values: np.ndarray, filters: dict[str, str]) -> tuple[np.ndarray, np.ndarray]:
        """The article's rows that pass the filters, with their values."""
        if filters.keys() == {"kind"}:
            return self._article_rows, values
        keep = [i for i, row in enumerate(self._article_rows) if _matches(self.lexical.metadatas[row], filters)]
        return self._article_rows[keep], values[keep]

    def _to_hit(self, chunk_id: str, score: float, dense: float | None) -> Hit:
        """A ranked chunk with only its routing fields, which is all that ranking and spreading
        results need; `_filled` completes the few that are returned."""
        meta = dict(self.lexical.metadatas[self._position[chunk_id]])
        if dense is not None:
            meta["dense"] = round(dense, 4)
        return Hit.from_store(chunk_id, "", meta, score)

    def _filled(self, hits: list[Hit]) -> list[Hit]:
        """The hits with their texts and all their metadata, fetched by id: the lexical index
        keeps no texts, so a worker does not read every chunk's text at start-up."""
        ids = [str(hit.metadata["store_id"]) for hit in hits]
        if not ids:
            return []
        got = self.generation.collection.get(ids=ids, include=["documents", "metadatas"])
        stored = {chunk_id: (text, meta) for chunk_id, text, meta in
                  zip(got["ids"], got["documents"], got["metadatas"], strict=True)}
        missing = [chunk_id for chunk_id in ids if chunk_id not in stored]
        if missing:
            raise IndexCorrupt(f"chunk {missing[0]!r} is in the lexical index of {self.generation.path} but not in "
                               f"its vector store: rebuild with `python -m assistant build`")
        filled = []
        for hit, chunk_id in zip(hits, ids, strict=True):
            text, meta = stored[chunk_id]
            meta = dict(meta or {})
            if "dense" in hit.metadata:
                meta["dense"] = hit.metadata["dense"]
            filled.append(Hit.from_store(chunk_id, text or "", meta, hit.score))
        return filled

    def _diverse(self, hits: list[Hit], k: int) -> list[Hit]:
        per_doc: dict[str, int] = defaultdict(int)
        chosen: list[Hit] = []
        for hit in hits:
            if len(chosen) >= k:
                break
            cap = self.config.max_article_chunks if hit.kind == "article" else self.config.max_chunks_per_document
            if per_doc[hit.doc_id] < cap:
                per_doc[hit.doc_id] += 1
                chosen.append(hit)
        return chosen


# BM25's stopwords keep these, and a heading's "what is an ML engineer?" matches every question;
# the "vs." of "Data scientist vs. ML engineer" matched every question that says "vs".
_QUESTION_WORDS = frozenset({"what", "where", "when", "which", "who", "whom", "whose", "why", "how", "vs", "versus"})


def _heading_words(lexical: LexicalIndex, text: str) -> set[str]:
    """The stemmed words of a heading or question that can say what it is about."""
    return set(lexical.stems(without_roles(text))) - _QUESTION_WORDS


def _each_role(chosen: list[Hit], ranked: list[Hit], roles: list[str]) -> list[Hit]:
    """A question that names two roles or more gets evidence about each ("How is a data
    engineer different from a data analyst?" is not answered from two analyst postings): a
    role without a place gets its best-ranked chunk, its role note first, in the place of the
    last chunk of a role that has more than one, or of no role the question names."""
    if len(roles) < 2:
        return chosen
    chosen = list(chosen)
    for role in roles:
        if any(h.role_family == role for h in chosen):
            continue
        # The role's own note, which says what the role is, before any posting.
        theirs = [h for h in ranked if h.role_family == role and h.kind != "article" and h not in chosen]
        best = next((h for h in theirs if h.kind == "role"), theirs[0] if theirs else None)
        counts = Counter(h.role_family for h in chosen)
        spare = [i for i, h in enumerate(chosen) if counts[h.role_family] > 1 or h.role_family not in roles]
        if best is not None and spare:
            chosen[spare[-1]] = best
    return chosen


def _best(scores: np.ndarray, n: int) -> np.ndarray:
    """Indices of the n highest positive scores, best first, equal scores in index order."""
    positive = np.flatnonzero(scores > 0)
    if len(positive) > n:
        # Every score tied with the n-th comes along, so that position, not argpartition's
        # arbitrary choice, decides which of them make the cut.
        cut = len(positive) - n
        threshold = np.partition(scores[positive], cut)[cut]
        positive = positive[scores[positive] >= threshold]
    return positive[np.argsort(-scores[positive], kind="stable")[:n]]

