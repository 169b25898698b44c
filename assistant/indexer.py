"""Refresh the index from documents: incremental, keyed by content hash, atomic.

LangChain's indexing API with a SQL record manager does the chunk bookkeeping (what is
stored, what to skip, what an updated document replaces). This module decides at the
document level what is new, changed, unchanged, a duplicate or gone, so unchanged
documents cost nothing, not even chunking. Near-duplicate postings are indexed like any
other and marked in the document table, so the figures count each cluster once.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from langchain_core.documents import Document as LCDocument
from langchain_core.indexing import index
from tqdm import tqdm

from assistant.chunking import Chunker, content_hash, fingerprint
from assistant.documents import DocumentTable, from_chunks
from assistant.near_duplicates import refold
from assistant.store import Generation, IndexStore
from assistant.types import Document, IngestReport, Rejection

# Chunks per call to the embedder: large batches let it sort by length across more
# texts (less padding).
BATCH = 256


@dataclass
class Plan:
    write: list[Document] = field(default_factory=list)
    remove: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.write and not self.remove


def plan_refresh(
    existing: Iterable[dict[str, object]],
    documents: list[Document],
    *,
    sync_sources: set[str],
    report: IngestReport,
    chunking: str = "",
) -> Plan:
    """Compare incoming documents with what the index holds (its chunk metadata)."""
    held: dict[str, dict[str, object]] = {}
    for meta in existing:
        held.setdefault(str(meta["doc_id"]), meta)
    incoming_ids = {doc.doc_id for doc in documents}

    # A text belongs to the first id that had it: documents that stay in the index
    # first, then incoming documents in order.
    owner: dict[str, str] = {
        str(meta["content_hash"]): doc_id
        for doc_id, meta in held.items()
        if doc_id not in incoming_ids and not _within(meta.get("source"), sync_sources)
    }
    plan = Plan()
    for doc in documents:
        digest = content_hash(doc)
        first = owner.setdefault(digest, doc.doc_id)
        if first != doc.doc_id:
            report.duplicates.append((doc.doc_id, first))
            if doc.doc_id in held:
                plan.remove.append(doc.doc_id)
            continue
        previous = held.get(doc.doc_id)
        if previous is None:
            report.added.append(doc.doc_id)
            plan.write.append(doc)
        elif previous.get("fingerprint") != fingerprint(doc, chunking):
            report.updated.append(doc.doc_id)
            plan.write.append(doc)
        else:
            report.unchanged.append(doc.doc_id)

    duplicate_ids = {dup for dup, _ in report.duplicates}
    for doc_id, meta in held.items():
        if _within(meta.get("source"), sync_sources) and doc_id not in incoming_ids and doc_id not in duplicate_ids:
            report.removed.append(doc_id)
            plan.remove.append(doc_id)
    return plan


def _within(source: object, roots: set[str]) -> bool:
    """A document's source is one of the synced files, or a file inside a synced folder."""
    text = str(source)
    return any(text == root or text.startswith(root.rstrip(os.sep) + os.sep) for root in roots)


def refresh(
    store: IndexStore,
    chunker: Chunker,
    documents: list[Document],
    *,
    sync_sources: Iterable[str] = (),
    rejected: Iterable[Rejection] = (),
    progress: bool = True,
    on_progress: Callable[[int, int], None] | None = None,
) -> IngestReport:
    """Bring the index in line with `documents`; publish only if something changed."""
    started = time.perf_counter()
    report = IngestReport(rejected=list(rejected))
    with store.locked():
        existing: list[dict[str, object]] = []
        if store.exists():
            with store.reader() as current:
                existing = current.all_metadatas()
        plan = plan_refresh(
            existing, documents, sync_sources=set(sync_sources), report=report, chunking=chunker.signature
        )
        if not plan.empty or not store.exists():
            with store.writer() as generation:
                table = DocumentTable(generation.path)
                try:
                    if not len(table) and generation.collection.count():
                        table.upsert(from_chunks(*generation.scan(with_texts=True)))
                    elif "location" in table.added:
                        table.backfill_locations(generation.scan()[2])
                    _apply(generation, chunker, plan, report, progress=progress, on_progress=on_progress)
                    table.delete(plan.remove)
                    table.upsert(plan.write)
                    _fold_near_duplicates(table, report)
                finally:
                    table.close()
            report.published = True
    report.seconds = time.perf_counter() - started
    return report


def _fold_near_duplicates(table: DocumentTable, report: IngestReport) -> None:
    started = time.perf_counter()
    changed, report.near_duplicates_folded = refold(table)
    report.near_duplicates = [(d.doc_id, d.of, d.similarity) for d in changed]
    report.near_duplicate_seconds = time.perf_counter() - started


def _apply(generation: Generation, chunker: Chunker, plan: Plan, report: IngestReport, *, progress: bool,
           on_progress: Callable[[int, int], None] | None) -> None:
    if plan.remove:
        keys = generation.records.list_keys(group_ids=plan.remove)
        if keys:
            generation.vectorstore.delete(keys)
            generation.records.delete_keys(keys)
        report.chunks_deleted += len(keys)
    if not plan.write:
        return
    chunks = [
        LCDocument(page_content=chunk.text, metadata=dict(chunk.metadata))
        for doc in plan.write
        for chunk in chunker.chunk(doc)
    ]
    bar = tqdm(chunks, unit="chunk", desc=f"indexing {len(plan.write)} documents", disable=not progress or None)
    result = index(
        _reporting(bar, len(chunks), on_progress) if on_progress else bar,
        generation.records,
        generation.vectorstore,
        cleanup="incremental",
        source_id_key="doc_id",
        key_encoder="sha256",
        batch_size=BATCH,
    )
    bar.close()
    if on_progress:
        on_progress(len(chunks), len(chunks))
    report.chunks_added += result["num_added"]
    report.chunks_skipped += result["num_skipped"]
    report.chunks_deleted += result["num_deleted"]


def _reporting(chunks: Iterable[LCDocument], total: int, on_progress: Callable[[int, int], None]) -> Iterator[LCDocument]:
    """Pass chunks through, telling `on_progress` (done, total) each time `index()` comes
    back for another batch, which means the previous one is embedded and stored."""
    for position, chunk in enumerate(chunks):
        if position % BATCH == 0:
            on_progress(position, total)
        yield chunk
