"""Retrieval latency as the index grows: dense (Chroma's HNSW), BM25, and fused (the
assistant's HybridRetriever, query embedding included), p50/p95 over the development
questions.

Sizes beyond a real index are built from its own chunks, replicated: the vectors with a
little noise, the texts with a marker word, so 100k chunks need no embedding on 2 cores.
BM25 is built over the same replicated texts, and saved, by the writer (in store_build_s);
bm25_load_s is what a worker then takes to load it.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from assistant.bench.answers import percentiles
from assistant.container import Services
from assistant.embeddings import unit_vectors
from assistant.retrieval import HybridRetriever, RetrievalConfig, _best
from assistant.saved_lexical import load_lexical
from assistant.store import Generation, IndexStore
from assistant.vectorspace import vector_space

PAGE = 4000


def retrieval_figures(services: Services, sizes: list[int], questions: list[str]) -> dict[str, dict[str, Any]]:
    """Latencies (ms) at each size, replicating the chunks of `services`' published index."""
    with services.store.reader() as source:
        got = source.collection.get(include=["documents", "metadatas", "embeddings"])
    seed = (got["documents"], got["metadatas"], np.asarray(got["embeddings"], dtype=np.float32))
    settings = services.settings
    figures = {}
    for size in sizes:
        with tempfile.TemporaryDirectory() as folder:
            store = IndexStore(Path(folder), collection=f"{settings.collection}-bench", embedder=services.embedder,
                               vectors=vector_space(settings.chroma_url))
            started = time.perf_counter()
            with store.locked(), store.writer() as generation:
                _fill(generation, seed, size)
            store_s = time.perf_counter() - started
            with store.reader() as generation:
                figures[str(size)] = {"store_build_s": round(store_s, 1),
                                      **_time_queries(services, generation, questions)}
            store.destroy()  # a Chroma server keeps no benchmark collections
    return figures


def _fill(generation: Generation, seed: tuple[list[str], list[dict], np.ndarray], size: int) -> None:
    texts, metas, vectors = seed
    rng = np.random.default_rng(7)
    for start in range(0, size, PAGE):
        rows = range(start, min(size, start + PAGE))
        copies = [i // len(texts) for i in rows]
        sources = [i % len(texts) for i in rows]
        noisy = vectors[sources] + 0.01 * np.array(copies, dtype=np.float32)[:, None] * \
            rng.standard_normal((len(sources), vectors.shape[1]), dtype=np.float32)
        noisy = unit_vectors(noisy)
        generation.collection.add(
            ids=[f"b{i}" for i in rows],
            embeddings=noisy.tolist(),
            documents=[texts[s] + (f" copy{c}" if c else "") for s, c in zip(sources, copies, strict=True)],
            metadatas=[{**metas[s], "doc_id": f"{metas[s]['doc_id']}~{c}"} for s, c in zip(sources, copies, strict=True)],
        )


def _time_queries(services: Services, generation: Generation, questions: list[str]) -> dict[str, Any]:
    settings = services.settings
    started = time.perf_counter()
    lexical = load_lexical(generation)
    bm25_s = time.perf_counter() - started
    retriever = HybridRetriever(generation, services.embedder, lexical, RetrievalConfig(
        k=settings.retrieval_k, candidates=settings.retrieval_candidates))
    for question in questions[:3]:  # warm up caches and the model
        retriever.retrieve(question)
    timings: dict[str, list[float]] = {"embed_ms": [], "dense_ms": [], "repair_ms": [], "bm25_ms": [], "fused_ms": []}
    for question in questions:
        t0 = time.perf_counter()
        vector = services.embedder.embed_batch([question])[0]
        t1 = time.perf_counter()
        generation.collection.query(query_embeddings=[vector], n_results=settings.retrieval_candidates,
                                    include=["distances"])
        t2 = time.perf_counter()
        lexical.repair(question)
        t3 = time.perf_counter()
        _best(lexical.scores(question), settings.retrieval_candidates)  # the retriever's own BM25 cut
        t4 = time.perf_counter()
        retriever.retrieve(question)
        t5 = time.perf_counter()
        for key, value in (("embed_ms", t1 - t0), ("dense_ms", t2 - t1), ("repair_ms", t3 - t2),
                           ("bm25_ms", t4 - t3), ("fused_ms", t5 - t4)):
            timings[key].append(value * 1000)
    return {"bm25_load_s": round(bm25_s, 2), **{key: percentiles(values) for key, values in timings.items()}}
