"""Retrieval latency as the index grows: dense (Chroma's HNSW), BM25, and fused (the
assistant's HybridRetriever, query embedding included), p50/p95 over the eval questions.
Prints one JSON object.

Sizes beyond the real corpus are built from a built index's own chunks, replicated: the
vectors with a little noise, the texts with a marker word, so 100k chunks need no
embedding on 2 cores. BM25 is built over the same replicated texts.

    .venv/bin/python benchmarks/retrieval.py --index /path/to/index [--sizes 1000,10000,100000]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from assistant.container import build_services
from assistant.retrieval import HybridRetriever, RetrievalConfig, load_lexical
from assistant.settings import REPO_ROOT, load_settings
from assistant.store import IndexStore

QUESTIONS = REPO_ROOT / "eval" / "dev.jsonl"


def percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {"p50": round(statistics.median(ordered), 2), "p95": round(ordered[int(0.95 * (len(ordered) - 1))], 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--index", type=Path, help="a built index to take chunks and vectors from "
                                                   "(default: the settings' index_dir)")
    parser.add_argument("--sizes", default="1000,10000,100000")
    args = parser.parse_args()

    settings = load_settings()
    if args.index:
        settings = settings.model_copy(update={"index_dir": args.index})
    services = build_services(settings)
    with services.store.reader() as source:
        got = source.collection.get(include=["documents", "metadatas", "embeddings"])
    texts, metas, vectors = got["documents"], got["metadatas"], np.asarray(got["embeddings"], dtype=np.float32)
    questions = [json.loads(line)["question"] for line in QUESTIONS.read_text(encoding="utf-8").splitlines()]
    rng = np.random.default_rng(7)
    results = {"source_chunks": len(texts), "queries": len(questions), "sizes": {}}

    for size in (int(s) for s in args.sizes.split(",")):
        with tempfile.TemporaryDirectory() as folder:
            store = IndexStore(Path(folder), collection=settings.collection, embedder=services.embedder)
            started = time.perf_counter()
            with store.locked(), store.writer() as generation:
                for start in range(0, size, 4000):
                    rows = range(start, min(size, start + 4000))
                    copies = [i // len(texts) for i in rows]
                    sources = [i % len(texts) for i in rows]
                    noisy = vectors[sources] + 0.01 * np.array(copies, dtype=np.float32)[:, None] * \
                        rng.standard_normal((len(sources), vectors.shape[1]), dtype=np.float32)
                    noisy /= np.linalg.norm(noisy, axis=1, keepdims=True)
                    generation.collection.add(
                        ids=[f"b{i}" for i in rows],
                        embeddings=noisy.tolist(),
                        documents=[texts[s] + (f" copy{c}" if c else "") for s, c in zip(sources, copies)],
                        metadatas=[{**metas[s], "doc_id": f"{metas[s]['doc_id']}~{c}"} for s, c in zip(sources, copies)],
                    )
            store_s = time.perf_counter() - started
            with store.reader() as generation:
                started = time.perf_counter()
                lexical = load_lexical(generation)
                bm25_s = time.perf_counter() - started
                retriever = HybridRetriever(generation, services.embedder, lexical, RetrievalConfig(
                    k=settings.retrieval_k, candidates=settings.retrieval_candidates))
                for question in questions[:3]:  # warm up caches and the model
                    retriever.retrieve(question)
                timings: dict[str, list[float]] = {"embed_ms": [], "dense_ms": [], "bm25_ms": [], "fused_ms": []}
                for question in questions:
                    t0 = time.perf_counter()
                    vector = services.embedder.embed_batch([question])[0]
                    t1 = time.perf_counter()
                    generation.collection.query(query_embeddings=[vector], n_results=settings.retrieval_candidates,
                                                include=["distances"])
                    t2 = time.perf_counter()
                    np.argsort(-lexical.scores(question))[: settings.retrieval_candidates]
                    t3 = time.perf_counter()
                    retriever.retrieve(question)
                    t4 = time.perf_counter()
                    for key, value in (("embed_ms", t1 - t0), ("dense_ms", t2 - t1), ("bm25_ms", t3 - t2),
                                       ("fused_ms", t4 - t3)):
                        timings[key].append(value * 1000)
            results["sizes"][str(size)] = {
                "store_build_s": round(store_s, 1), "bm25_build_s": round(bm25_s, 1),
                **{key: percentiles(values) for key, values in timings.items()},
            }
            print(json.dumps({str(size): results["sizes"][str(size)]}), flush=True)
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
