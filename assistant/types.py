"""The project's own types at its boundaries."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

Kind = Literal["article", "posting", "role"]
KINDS: tuple[Kind, ...] = ("article", "posting", "role")


@dataclass(frozen=True)
class Document:
    """One source document, normalized from any input format."""

    doc_id: str
    kind: Kind
    title: str
    text: str
    source: str
    company: str = ""
    location: str = ""
    posted: str = ""
    url: str = ""
    role_family: str = "other"
    extra: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Chunk:
    """A piece of a document small enough for the embedding model, standing on its own."""

    chunk_id: str
    doc_id: str
    position: int
    text: str
    metadata: dict[str, str | int]


@dataclass(frozen=True)
class Hit:
    chunk_id: str
    doc_id: str
    kind: str
    title: str
    company: str
    role_family: str
    text: str
    score: float
    metadata: dict[str, str | int | float | bool]

    @classmethod
    def from_store(cls, store_id: str, text: str, meta: dict[str, Any], score: float) -> Hit:
        """A stored chunk, named by its document and position rather than the store's key."""
        return cls(
            chunk_id=f"{meta.get('doc_id')}#{meta.get('position')}",
            doc_id=str(meta.get("doc_id", "")),
            kind=str(meta.get("kind", "")),
            title=str(meta.get("title", "")),
            company=str(meta.get("company", "")),
            role_family=str(meta.get("role_family", "")),
            text=text,
            score=round(score, 5),
            metadata={**meta, "store_id": store_id},
        )

    @property
    def similarity(self) -> float:
        """Cosine similarity of the chunk to the query, 0 when dense search did not find it."""
        return float(self.metadata.get("dense", 0.0))


@dataclass(frozen=True)
class Rejection:
    """A record that was not ingested, and why."""

    where: str
    reason: str

    def __str__(self) -> str:
        return f"{self.where}: {self.reason}"


@dataclass
class IngestReport:
    """What a refresh did, counted in documents (chunks where named so)."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    duplicates: list[tuple[str, str]] = field(default_factory=list)  # (doc id, id it duplicates)
    removed: list[str] = field(default_factory=list)
    rejected: list[Rejection] = field(default_factory=list)
    # Postings that nearly repeat another (assistant/near_duplicates.py): still indexed, but
    # counted once in the figures. Those whose cluster this refresh changed, as (doc id, the
    # posting the figures count instead, share of text in common); and how many in all.
    near_duplicates: list[tuple[str, str, float]] = field(default_factory=list)
    near_duplicates_folded: int = 0
    near_duplicate_seconds: float = 0.0
    chunks_added: int = 0
    chunks_deleted: int = 0
    chunks_skipped: int = 0
    seconds: float = 0.0
    published: bool = False

    def summary(self) -> dict[str, object]:
        return {
            "added": len(self.added),
            "updated": len(self.updated),
            "unchanged": len(self.unchanged),
            "duplicates": len(self.duplicates),
            "removed": len(self.removed),
            "rejected": len(self.rejected),
            "chunks_added": self.chunks_added,
            "chunks_deleted": self.chunks_deleted,
            "chunks_skipped": self.chunks_skipped,
            "seconds": round(self.seconds, 3),
            "published": self.published,
            "duplicate_of": {dup: orig for dup, orig in self.duplicates},
            "near_duplicates": len(self.near_duplicates),
            "near_duplicates_folded": self.near_duplicates_folded,
            "near_duplicate_of": {dup: rep for dup, rep, _ in self.near_duplicates},
            "near_duplicate_similarity": {dup: similarity for dup, _, similarity in self.near_duplicates},
            "near_duplicate_seconds": round(self.near_duplicate_seconds, 3),
            "rejections": [str(r) for r in self.rejected],
        }

    def lines(self) -> list[str]:
        """The summary as a person reads it: counts, then each duplicate and rejection."""
        summary = self.summary()
        lines = [
            "added {added}, updated {updated}, unchanged {unchanged}, duplicates {duplicates}, "
            "removed {removed}, rejected {rejected} ({seconds}s; chunks: +{chunks_added} -{chunks_deleted})".format(
                **summary
            )
        ]
        lines += [f"  duplicate: {dup} has the same text as {orig}" for dup, orig in self.duplicates]
        lines += [f"  near-duplicate: {dup} is counted once with {rep} in the figures ({similarity:.0%} of their "
                  "text in common)" for dup, rep, similarity in self.near_duplicates]
        if self.near_duplicates_folded:
            lines.append(f"  near-duplicates in the index: {self.near_duplicates_folded}, each counted once in the "
                         "figures with the posting it repeats")
        lines += [f"  rejected: {rejection}" for rejection in self.rejected]
        if not self.published:
            lines.append("  nothing changed; the index was left as it was")
        return lines


class Retriever(Protocol):
    def retrieve(self, query: str, *, k: int | None = None, filters: dict[str, str] | None = None) -> list[Hit]: ...
