"""Ingest benchmark: prints one JSON object.

Full ingest of the shared postings into a fresh index (postings/s, chunks/s), the raw
sentence-transformers encode rate of the same chunks in the same run (their ratio is the
pipeline's overhead), and the time of a refresh in which nothing changed.

    .venv/bin/python benchmarks/ingest.py [--postings ../shared/data/postings.jsonl]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from assistant.container import build_services
from assistant.indexer import refresh
from assistant.settings import REPO_ROOT, load_settings
from assistant.sources import load_paths


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--postings", type=Path, default=REPO_ROOT.parent / "shared" / "data" / "postings.jsonl")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings().model_copy(update={"index_dir": Path(tmp) / "index"})
        services = build_services(settings)
        started = time.perf_counter()
        services.chunker  # loads the model; timed apart from the ingest
        model_load_s = time.perf_counter() - started

        started = time.perf_counter()
        loaded = load_paths([args.postings], max_record_bytes=settings.max_record_bytes)
        load_s = time.perf_counter() - started
        started = time.perf_counter()
        report = refresh(services.store, services.chunker, loaded.documents, progress=False)
        ingest_s = time.perf_counter() - started

        started = time.perf_counter()
        texts = [c.text for d in loaded.documents for c in services.chunker.chunk(d)]
        chunk_s = time.perf_counter() - started
        started = time.perf_counter()
        services.embedder.embed_batch(texts)
        encode_s = time.perf_counter() - started

        started = time.perf_counter()
        again = refresh(services.store, services.chunker, loaded.documents, progress=False)
        no_change_s = time.perf_counter() - started

        postings = len(report.added)
        print(json.dumps({
            "postings_file": str(args.postings),
            "postings": postings,
            "duplicates": len(report.duplicates),
            "chunks": report.chunks_added,
            "model_load_s": round(model_load_s, 2),
            "read_s": round(load_s, 3),
            "ingest_s": round(ingest_s, 2),
            "ingest_postings_per_s": round(postings / ingest_s, 2),
            "ingest_chunks_per_s": round(report.chunks_added / ingest_s, 2),
            "chunking_only_s": round(chunk_s, 2),
            "raw_encode_s": round(encode_s, 2),
            "raw_encode_chunks_per_s": round(len(texts) / encode_s, 2),
            "pipeline_overhead_ratio": round(ingest_s / encode_s, 3),
            "no_change_refresh_s": round(no_change_s, 3),
            "no_change_published": again.published,
            "embedding_model": settings.embedding_model,
            "batch_size": settings.embedding_batch_size,
            "threads": settings.embedding_threads,
        }, indent=2))


if __name__ == "__main__":
    main()
