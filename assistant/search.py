"""Raw dense retrieval over the published index."""

from __future__ import annotations

from typing import Any

from assistant.embeddings import Embedder
from assistant.store import Generation
from assistant.types import Hit

FILTER_FIELDS = ("kind", "role_family", "company", "doc_id", "source")


def where_clause(filters: dict[str, str] | None) -> dict[str, Any] | None:
    terms = [{key: value} for key, value in (filters or {}).items() if value]
    unknown = [key for key, _ in (filters or {}).items() if key not in FILTER_FIELDS]
    if unknown:
        raise ValueError(f"unknown filter {unknown[0]!r}: expected one of {', '.join(FILTER_FIELDS)}")
    if not terms:
        return None
    return terms[0] if len(terms) == 1 else {"$and": terms}


def search(
    generation: Generation,
    embedder: Embedder,
    query: str,
    *,
    k: int = 5,
    filters: dict[str, str] | None = None,
) -> list[Hit]:
    if generation.collection.count() == 0:
        return []
    vector = embedder.embed_batch([query])[0]
    result = generation.collection.query(
        query_embeddings=[vector],
        n_results=k,
        where=where_clause(filters),
        include=["documents", "metadatas", "distances"],
    )
    return [
        Hit.from_store(store_id, text or "", dict(meta or {}), 1.0 - float(distance))  # cosine distance
        for store_id, text, meta, distance in zip(
            result["ids"][0], result["documents"][0], result["metadatas"][0], result["distances"][0], strict=True
        )
    ]
