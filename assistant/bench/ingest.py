"""Ingest speed: the pipeline's rate next to the embedding model's raw encode rate on the
same chunks in the same run, and the cost of a refresh in which nothing changed."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from assistant.container import Services
from assistant.indexer import refresh
from assistant.sources import load_paths


def ingest_figures(services: Services, postings: Path, *, limit: int | None = None) -> dict[str, Any]:
    """Ingest `postings` (the first `limit` records) into `services`' (empty) index."""
    loaded = load_paths([postings], max_record_bytes=services.settings.max_record_bytes)
    documents = loaded.documents[:limit] if limit else loaded.documents
    started = time.perf_counter()
    services.chunker  # noqa: B018 - loads the model, timed apart from the ingest
    model_load_s = time.perf_counter() - started
    services.embedder.embed_batch(["warm up the model"])

    started = time.perf_counter()
    report = refresh(services.store, services.chunker, documents, progress=False)
    ingest_s = time.perf_counter() - started

    texts = [chunk.text for doc in documents for chunk in services.chunker.chunk(doc)]
    started = time.perf_counter()
    services.embedder.embed_batch(texts)
    encode_s = time.perf_counter() - started

    started = time.perf_counter()
    again = refresh(services.store, services.chunker, documents, progress=False)
    nochange_s = time.perf_counter() - started
    assert not again.published, "a refresh with no change published a generation"

    pipeline_rate = report.chunks_added / ingest_s
    raw_rate = len(texts) / encode_s
    return {
        "postings_file": str(postings),
        "postings": len(report.added),
        "chunks": report.chunks_added,
        "model_load_s": round(model_load_s, 2),
        "ingest_s": round(ingest_s, 2),
        "ingest_postings_per_s": round(len(report.added) / ingest_s, 2),
        "ingest_chunks_per_s": round(pipeline_rate, 2),
        "raw_encode_chunks_per_s": round(raw_rate, 2),
        "ingest_ratio_to_raw_encode": round(pipeline_rate / raw_rate, 3),
        "nochange_refresh_s": round(nochange_s, 3),
        "nochange_refresh_ratio_to_full": round(nochange_s / ingest_s, 4),
    }
