"""How the retriever spreads its places over documents: at most two chunks of one posting,
at most three of the article (`HybridRetriever._diverse`), counted by hand."""

from __future__ import annotations

from assistant.retrieval import HybridRetriever, RetrievalConfig
from assistant.types import Hit


def hit(doc_id: str, position: int, kind: str = "posting") -> Hit:
    return Hit.from_store(f"s-{doc_id}-{position}", "", {"doc_id": doc_id, "position": position, "kind": kind}, 1.0)


def spread(hits: list[Hit], k: int, config: RetrievalConfig | None = None) -> list[str]:
    # Only the configuration matters here: no index or store behind it.
    retriever = object.__new__(HybridRetriever)
    retriever.config = config or RetrievalConfig()
    return [h.chunk_id for h in retriever._diverse(hits, k)]


# Best first: an article passage, three chunks of p1, four more passages, three of p2, one more passage.
RANKED = [hit("a", 0, "article"), hit("p1", 0), hit("p1", 1), hit("p1", 2),
          hit("a", 1, "article"), hit("a", 2, "article"), hit("a", 3, "article"),
          hit("p2", 0), hit("p2", 1), hit("p2", 2), hit("a", 4, "article")]


def test_two_chunks_per_posting_and_three_of_the_article() -> None:
    assert spread(RANKED, 10) == ["a#0", "p1#0", "p1#1", "a#1", "a#2", "p2#0", "p2#1"]


def test_k_places_at_most() -> None:
    assert spread(RANKED, 4) == ["a#0", "p1#0", "p1#1", "a#1"]
    assert spread(RANKED, 7) == ["a#0", "p1#0", "p1#1", "a#1", "a#2", "p2#0", "p2#1"]
    assert spread(RANKED, 1) == ["a#0"]


def test_the_caps_come_from_the_configuration() -> None:
    config = RetrievalConfig(max_chunks_per_document=1, max_article_chunks=2)
    assert spread(RANKED, 10, config) == ["a#0", "p1#0", "a#1", "p2#0"]
