"""Near-duplicate postings in a feed: what MinHash LSH finds, checked against the exact
similarity of every pair, how long it takes, and examples to read. Prints one JSON object.

    .venv/bin/python benchmarks/near_duplicates.py ../shared/data/postings.jsonl ../shared/data/incoming.jsonl

Each file is measured alone, then all of them together. Exact duplicates are dropped
first, as a refresh does (they are never indexed).
"""

from __future__ import annotations

import argparse
import json
import time
from itertools import combinations
from pathlib import Path

from assistant.chunking import content_hash
from assistant.near_duplicates import (
    THRESHOLD,
    candidate_pairs,
    fold,
    jaccard,
    representatives,
    shingles,
    signatures,
)
from assistant.sources import load_paths


def postings(paths: list[Path]) -> dict[str, tuple[str, str, str]]:
    """doc id -> (title, location, text), the first of each exact duplicate only."""
    seen: set[str] = set()
    kept = {}
    for doc in load_paths(paths, max_record_bytes=10_000_000).documents:
        digest = content_hash(doc)
        if doc.kind == "posting" and digest not in seen:
            seen.add(digest)
            kept[doc.doc_id] = (doc.title, doc.location, doc.text)
    return kept


def measure(docs: dict[str, tuple[str, str, str]], examples: int) -> dict:
    texts = {doc_id: text for doc_id, (_, _, text) in docs.items()}
    started = time.perf_counter()
    sigs = dict(zip(texts, signatures(texts.values()), strict=True))
    hashed = time.perf_counter()
    candidates = candidate_pairs(sigs)
    found = fold(candidates, texts)
    done = time.perf_counter()

    # Every pair, exactly: what LSH should have found, and how close the nearest misses are.
    sets = {doc_id: shingles(text) for doc_id, text in texts.items()}
    every = {(a, b): jaccard(sets[a], sets[b]) for a, b in combinations(sorted(sets), 2)}
    truth = {pair for pair, s in every.items() if s > THRESHOLD}
    confirmed = {pair for pair in candidates if every[pair] > THRESHOLD}
    below = max((s for s in every.values() if s <= THRESHOLD), default=0.0)
    above = min((every[p] for p in truth), default=0.0)
    clusters = len(set(representatives(truth).values()))
    sample = sorted(truth, key=lambda p: every[p])[:: max(1, len(truth) // examples)][:examples]
    return {
        "postings": len(docs),
        "near_duplicate_pairs": len(truth),
        "clusters": clusters,
        "folded": len(found),
        "distinct_after_folding": len(docs) - len(found),
        "lsh_candidates": len(candidates),
        "lsh_false_positives_dropped": len(candidates) - len(confirmed),
        "lsh_missed_pairs": sorted(f"{a} ~ {b}" for a, b in truth - confirmed),
        "highest_similarity_not_folded": round(below, 4),
        "lowest_similarity_folded": round(above, 4),
        "seconds_minhash": round(hashed - started, 3),
        "seconds_lsh_and_check": round(done - hashed, 3),
        "examples": [{"similarity": round(every[(a, b)], 4), "a": f"{a}: {docs[a][0]} ({docs[a][1]})",
                      "b": f"{b}: {docs[b][0]} ({docs[b][1]})"} for a, b in sample],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--examples", type=int, default=5)
    args = parser.parse_args()
    result = {str(path): measure(postings([path]), args.examples) for path in args.files}
    if len(args.files) > 1:
        result["all together"] = measure(postings(args.files), args.examples)
    print(json.dumps(result, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
