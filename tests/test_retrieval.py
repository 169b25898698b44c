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


def role_hit(doc_id: str, role: str, kind: str = "posting") -> Hit:
    return Hit.from_store(f"s-{doc_id}-0", "", {"doc_id": doc_id, "position": 0, "kind": kind, "role_family": role}, 1.0)


def test_a_comparison_gets_evidence_for_each_role_it_names() -> None:
    from assistant.retrieval import _each_role

    a1, a2, other = role_hit("a1", "data_analyst"), role_hit("a2", "data_analyst"), role_hit("o", "other")
    engineer, note = role_hit("e", "data_engineer"), role_hit("n", "data_engineer", "role")
    ranked = [a1, a2, other, engineer, note]
    ids = lambda hits: [h.doc_id for h in hits]  # noqa: E731
    # The role note of the missing role, in the place of the last chunk it can spare: a
    # role the question does not name, then the second of a role that has two.
    assert ids(_each_role([a1, a2, other], ranked, ["data_engineer", "data_analyst"])) == ["a1", "a2", "n"]
    assert ids(_each_role([a1, a2], ranked, ["data_engineer", "data_analyst"])) == ["a1", "n"]
    # Without a note, the role's best posting; one role named, or none to spare: unchanged.
    assert ids(_each_role([a1, a2], [a1, a2, engineer], ["data_analyst", "data_engineer"])) == ["a1", "e"]
    assert ids(_each_role([a1, a2], ranked, ["data_engineer"])) == ["a1", "a2"]
    assert ids(_each_role([a1, engineer], ranked, ["data_analyst", "data_engineer", "ml_engineer"])) == ["a1", "e"]
    assert ids(_each_role([a1], [a1], ["data_analyst", "data_engineer"])) == ["a1"]
