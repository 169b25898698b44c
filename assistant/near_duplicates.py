"""Near-duplicate postings: the same job re-posted in another city or with a line changed.

Two postings are near-duplicates when more than 80% of their word 5-shingles are shared
(exact Jaccard similarity of the two shingle sets). MinHash LSH (datasketch) proposes the
candidate pairs, so the work grows with the corpus, not with its square; each candidate
is then checked with the exact Jaccard, so LSH's false positives never fold a posting.
The LSH is set to a much lower threshold than the one decided on, so that pairs just
above 0.8 are not missed for the sake of its estimate.

Near-duplicates form clusters (connected groups); the figures count each cluster once,
as its representative: the smallest doc id, so the same postings always give the same
figures, whatever order they were ingested in.
"""

from __future__ import annotations

import re
import struct
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from datasketch import LeanMinHash, MinHash, MinHashLSH

from assistant.documents import DocumentTable

SHINGLE_WORDS = 5
THRESHOLD = 0.8  # more than this share of shingles in common makes a near-duplicate
NUM_PERM = 128
SEED = 1
SCHEME = "affine32"  # datasketch's default since 2.0, named so stored MinHashes stay comparable
CANDIDATE_THRESHOLD = 0.5  # LSH's, well below THRESHOLD: at 0.8 it would miss about half the pairs near 0.8
_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class NearDuplicate:
    doc_id: str
    of: str  # the representative of its cluster, which the figures count
    similarity: float  # exact Jaccard of the two postings' shingles


def shingles(text: str) -> set[str]:
    """Runs of five words, case and punctuation ignored (so a re-flowed list still matches)."""
    words = _WORD.findall(text.lower())
    if len(words) <= SHINGLE_WORDS:
        return {" ".join(words)} if words else set()
    return {" ".join(words[i:i + SHINGLE_WORDS]) for i in range(len(words) - SHINGLE_WORDS + 1)}


def jaccard(a: set[str], b: set[str]) -> float:
    union = len(a | b)
    return len(a & b) / union if union else 0.0


def signatures(texts: Iterable[str]) -> list[bytes]:
    """Each text's MinHash, serialized, to keep beside the text so a refresh only hashes
    the postings it writes."""
    sets = [[s.encode("utf-8") for s in shingles(t)] for t in texts]
    serialized = []
    for minhash in MinHash.bulk(sets, num_perm=NUM_PERM, seed=SEED, scheme=SCHEME):
        lean = LeanMinHash(minhash)
        buffer = bytearray(lean.bytesize(byteorder="<"))
        lean.serialize(buffer, byteorder="<")
        serialized.append(bytes(buffer))
    return serialized


def current(signature: bytes) -> LeanMinHash | None:
    """A stored MinHash, or None when it was made some other way (another datasketch
    scheme or number of permutations) and cannot be compared with today's."""
    try:
        minhash = LeanMinHash.deserialize(signature, byteorder="<")
    except (ValueError, struct.error):
        return None
    return minhash if (minhash.seed, len(minhash), minhash.scheme) == (SEED, NUM_PERM, SCHEME) else None


def candidate_pairs(signatures_by_id: Mapping[str, bytes]) -> set[tuple[str, str]]:
    """Pairs (smaller id, larger id) whose MinHashes say they may be near-duplicates."""
    lsh = MinHashLSH(threshold=CANDIDATE_THRESHOLD, num_perm=NUM_PERM)
    hashes = {doc_id: minhash for doc_id, sig in signatures_by_id.items() if (minhash := current(sig))}
    with lsh.insertion_session() as session:
        for doc_id, minhash in hashes.items():
            session.insert(doc_id, minhash)
    return {(min(a, b), max(a, b)) for a, minhash in hashes.items() for b in lsh.query(minhash) if a != b}


def confirmed_pairs(candidates: Iterable[tuple[str, str]], texts: Mapping[str, str],
                    threshold: float = THRESHOLD) -> dict[tuple[str, str], float]:
    """The candidates whose exact similarity is above the threshold, with that similarity."""
    similarity = _Similarity(texts)
    return {pair: s for pair in candidates if (s := similarity(*pair)) > threshold}


class _Similarity:
    """Exact Jaccard of two postings' shingles, each posting shingled once."""

    def __init__(self, texts: Mapping[str, str]) -> None:
        self._texts = texts
        self._shingles: dict[str, set[str]] = {}

    def _of(self, doc_id: str) -> set[str]:
        if doc_id not in self._shingles:
            self._shingles[doc_id] = shingles(self._texts[doc_id])
        return self._shingles[doc_id]

    def __call__(self, a: str, b: str) -> float:
        return jaccard(self._of(a), self._of(b))


def representatives(pairs: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Every posting in a cluster but its representative (the smallest id) -> that representative."""
    parent: dict[str, str] = {}

    def root(x: str) -> str:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in pairs:
        ra, rb = root(a), root(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)  # a root is always its cluster's smallest id
    return {x: root(x) for x in sorted(parent) if root(x) != x}


def fold(candidates: Iterable[tuple[str, str]], texts: Mapping[str, str],
         threshold: float = THRESHOLD) -> list[NearDuplicate]:
    """The near-duplicates among the candidate pairs (`texts` has every posting they name),
    each with its cluster's representative and its own similarity to it (below the
    threshold when the two are joined only through others of the cluster)."""
    similarity = _Similarity(texts)
    confirmed = [pair for pair in candidates if similarity(*pair) > threshold]
    return [NearDuplicate(doc_id, rep, round(similarity(rep, doc_id), 4))
            for doc_id, rep in representatives(confirmed).items()]


def near_duplicates(texts: Mapping[str, str], threshold: float = THRESHOLD) -> list[NearDuplicate]:
    """The near-duplicates among postings given as doc id -> text."""
    ids = list(texts)
    return fold(candidate_pairs(dict(zip(ids, signatures(texts[i] for i in ids), strict=True))), texts, threshold)


def refold(table: DocumentTable) -> tuple[list[NearDuplicate], int]:
    """Bring a refreshed document table's clusters up to date: MinHash the postings written
    since the last refresh, then find every cluster again (a removed or changed posting can
    split one or change its representative). Returns the postings whose cluster changed,
    and how many postings in all are now near-duplicates."""
    unsigned = table.unsigned_postings()
    stored = table.signatures()
    unsigned.update(table.texts(doc_id for doc_id, sig in stored.items() if current(sig) is None))
    table.set_signatures(dict(zip(unsigned, signatures(unsigned.values()), strict=True)))
    candidates = candidate_pairs(table.signatures())
    found = fold(candidates, table.texts(doc_id for pair in candidates for doc_id in pair))
    before = table.duplicate_of()
    table.set_duplicate_of({d.doc_id: d.of for d in found})
    return [d for d in found if before.get(d.doc_id) != d.of], len(found)
