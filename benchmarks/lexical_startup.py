"""Worker start-up with the lexical index saved by the refresh, against building it in memory.

    PYTHONPATH=$PWD HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/lexical_startup.py \
        [--postings ../shared/data/postings.jsonl] [--sizes 1000 10000 100000]

The article and the postings are indexed with the tests' hashing embedder (no model to
load), then replicated to each size the way `bench` does it (`assistant/bench/retrieval.py`).
For each size it prints, in seconds:

- refresh_save_s: what the refresh adds to write the generation (build_s: reading the texts
  back and indexing them; write_s: writing the files);
- in_memory_ready_s: retriever ready by reading every text back and indexing them, as a
  worker did before, and as it still does for a generation without a saved index;
- saved_ready_s: retriever ready from the saved index, memory-mapped (load_s of it);
- first_query_ms and query p50/p95 ms after the saved load, and whether both retrievers
  return the same hits for every question;
- with --database-url (a PostgreSQL server): the generation's files published in the
  catalog (publish_s, catalog_mb), then what a worker with an empty index folder pays: fetching
  them (fetch_s) and loading the lexical index from the fetched copy (fetched_load_s).
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

import assistant.saved_lexical as saved
from assistant.bench.answers import percentiles, questions
from assistant.bench.retrieval import _fill
from assistant.catalog import PostgresCatalog
from assistant.chunking import Chunker
from assistant.corpus import article_document
from assistant.database import engine
from assistant.indexer import refresh
from assistant.retrieval import HybridRetriever
from assistant.settings import REPO_ROOT, Settings
from assistant.sources import load_paths
from assistant.store import Generation, IndexStore
from tests.fakes import HashingEmbedder

DEFAULT_POSTINGS = REPO_ROOT.parent / "shared" / "data" / "postings.jsonl"


def seed(folder: Path, postings: Path, embedder: HashingEmbedder) -> tuple[list[str], list[dict], np.ndarray]:
    settings = Settings(index_dir=folder / "seed", data_dir=folder / "data")
    store = IndexStore(settings.index_dir, collection="seed", embedder=embedder)
    chunker = Chunker(embedder.count_tokens, min(settings.chunk_tokens, embedder.max_tokens), settings.chunk_overlap,
                      settings.article_chunk_tokens)
    documents = [article_document(settings.corpus_dir), *load_paths([postings], max_record_bytes=1_000_000).documents]
    refresh(store, chunker, documents, progress=False)
    with store.reader() as generation:
        got = generation.collection.get(include=["documents", "metadatas", "embeddings"])
    return got["documents"], got["metadatas"], np.asarray(got["embeddings"], dtype=np.float32)


def measure(folder: Path, size: int, rows: tuple[list[str], list[dict], np.ndarray], embedder: HashingEmbedder,
            asked: list[str], database_url: str = "") -> dict[str, Any]:
    store = IndexStore(folder / f"index-{size}", collection=f"lex{size}", embedder=embedder)
    timed: dict[str, float] = {}
    save_lexical = saved.save_lexical

    def timed_save_for(generation: Generation) -> None:  # the writer's own step, timed in its parts
        started = time.perf_counter()
        index = saved.index_chunks(generation)
        built = time.perf_counter()
        save_lexical(index, saved.lexical_folder(generation.path), generation=generation.path.name)
        timed.update(build_s=built - started, write_s=time.perf_counter() - built)

    saved.save_for = timed_save_for  # store.writer imports it when it finishes a generation
    with store.locked(), store.writer() as generation:
        _fill(generation, rows, size)
    lexical_mb = sum(p.stat().st_size for p in saved.lexical_folder(store.current_path()).rglob("*")) / 2**20

    with store.reader() as generation:
        started = time.perf_counter()
        lexical = saved.load_saved(saved.lexical_folder(generation.path), generation=generation.path.name,
                                   chunks=generation.collection.count())
        loaded = time.perf_counter()
        retriever = HybridRetriever(generation, embedder, lexical)
        ready = time.perf_counter()
        retriever.retrieve(asked[0])
        first_ms = (time.perf_counter() - ready) * 1000
        latencies = []
        for question in asked:
            t0 = time.perf_counter()
            retriever.retrieve(question)
            latencies.append((time.perf_counter() - t0) * 1000)
        t0 = time.perf_counter()
        memory = HybridRetriever(generation, embedder, saved.index_chunks(generation))
        in_memory_s = time.perf_counter() - t0
        same = all(retriever.retrieve(q) == memory.retrieve(q) for q in asked)
    fetched = from_catalog(database_url, store, folder / f"empty-{size}") if database_url else {}
    store.destroy()
    return {**fetched, "refresh_save_s": round(timed["build_s"] + timed["write_s"], 2), "build_s": round(timed["build_s"], 2),
            "write_s": round(timed["write_s"], 2), "lexical_mb": round(lexical_mb, 1),
            "in_memory_ready_s": round(in_memory_s, 2), "saved_ready_s": round(ready - started, 3),
            "load_s": round(loaded - started, 3), "first_query_ms": round(first_ms, 1),
            "query_ms": percentiles(latencies), "same_hits": same}


def from_catalog(database_url: str, store: IndexStore, empty: Path) -> dict[str, float]:
    """Publish the generation's files in PostgreSQL, then time a worker with an empty folder."""
    path = store.current_path()
    assert path is not None
    catalog = PostgresCatalog(engine(database_url), f"{store.collection_name}-{time.time_ns()}")
    catalog.begin(path.name)
    t0 = time.perf_counter()
    catalog.publish(path.name, path)
    t1 = time.perf_counter()
    fetched = catalog.fetch(path.name, empty)
    t2 = time.perf_counter()
    with store.reader() as generation:
        chunks = generation.collection.count()
    t3 = time.perf_counter()
    saved.load_saved(saved.lexical_folder(fetched), generation=path.name, chunks=chunks)
    t4 = time.perf_counter()
    mb = sum(p.stat().st_size for p in fetched.rglob("*") if p.is_file()) / 2**20
    catalog.forget()
    return {"publish_s": round(t1 - t0, 2), "catalog_mb": round(mb, 1), "fetch_s": round(t2 - t1, 2),
            "fetched_load_s": round(t4 - t3, 3)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postings", type=Path, default=DEFAULT_POSTINGS)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000])
    parser.add_argument("--database-url", default="", help="Also time the files through PostgreSQL.")
    args = parser.parse_args()
    embedder = HashingEmbedder()
    asked = questions()
    with tempfile.TemporaryDirectory() as folder:
        rows = seed(Path(folder), args.postings, embedder)
        print(json.dumps({"seed_chunks": len(rows[0])}), flush=True)
        for size in args.sizes:
            measured = measure(Path(folder), size, rows, embedder, asked, args.database_url)
            print(json.dumps({"chunks": size, **measured}), flush=True)


if __name__ == "__main__":
    main()
