"""Split documents into chunks that fit the embedding model and stand on their own.

The article is chunked by paragraph under its section heading; postings and role
definitions by section, small sections packed together. Every chunk starts with a short
prefix (title, company, section) so a reader, or the embedder, knows where it comes from.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Callable
from dataclasses import asdict
from functools import lru_cache

from langchain_text_splitters import RecursiveCharacterTextSplitter

from assistant.types import Chunk, Document

TokenCounter = Callable[[str], int]

_BULLET = re.compile(r"^\s*([-*•·–—▪●◦]|\d+[.)]|[a-z][.)])\s")
_MD_HEADING = re.compile(r"^\s*#{1,6}\s+\S")
_TERMINAL = (".", "!", "?", ",", ";")


def is_heading(line: str) -> bool:
    """A short standalone line that introduces a section ("Responsibilities:", "About Us")."""
    text = line.strip()
    if not text or _BULLET.match(text):
        return False
    if _MD_HEADING.match(text):
        return True
    words = text.rstrip(":").split()
    if len(text) > 60 or not 1 <= len(words) <= 7:
        return False
    if text.endswith(":"):
        return True
    if text.endswith(_TERMINAL):
        return False
    capitalised = sum(1 for w in words if w[:1].isupper() or not w[:1].isalpha())
    return text.isupper() or capitalised == len(words)


def split_sections(text: str) -> list[tuple[str, str]]:
    """(heading, body) pairs in order; text before the first heading has heading ''."""
    sections: list[tuple[str, list[str]]] = [("", [])]
    lines = [line.rstrip() for line in text.splitlines()]
    for index, line in enumerate(lines):
        has_body_after = any(rest.strip() for rest in lines[index + 1 :])
        if has_body_after and is_heading(line):
            sections.append((line.strip().lstrip("#").strip().rstrip(":").strip(), [line.strip()]))
        elif line.strip():
            sections[-1][1].append(line.strip())
    return [(heading, "\n".join(body)) for heading, body in sections if body]


def content_hash(doc: Document) -> str:
    """Identity of a document's text, for spotting the same posting under another id."""
    normalized = re.sub(r"\s+", " ", f"{doc.kind}\n{doc.title}\n{doc.text}").strip().lower()
    return hashlib.sha256(normalized.encode("utf-8")).hexdigest()


def fingerprint(doc: Document, chunking: str = "") -> str:
    """Identity of everything that ends up in a document's chunks: the document and the
    way it is chunked, so new chunk settings re-chunk on the next refresh."""
    payload = json.dumps([asdict(doc), chunking], sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


CHUNKING_VERSION = 3


class Chunker:
    def __init__(
        self, count_tokens: TokenCounter, max_tokens: int, overlap: int, article_max_tokens: int | None = None
    ) -> None:
        # The splitter measures the same pieces many times over; tokenizing is the cost.
        self._count = lru_cache(maxsize=65_536)(count_tokens)
        self._max = max_tokens
        self._overlap = overlap
        # The article is what most questions are about: shorter passages match a specific
        # question better and keep a small model's prompt short.
        self._article_max = min(article_max_tokens or max_tokens, max_tokens)
        self.signature = f"v{CHUNKING_VERSION}:{max_tokens}:{overlap}:{self._article_max}"

    @lru_cache(maxsize=64)  # noqa: B019 - one splitter per body budget, the chunker lives as long as the index
    def _splitter(self, budget: int) -> RecursiveCharacterTextSplitter:
        return RecursiveCharacterTextSplitter(
            chunk_size=budget,
            chunk_overlap=min(self._overlap, budget // 4),
            length_function=self._count,
            # A full stop ends a sentence unless it closes "e.g." or "i.e." (the article's
            # list of algorithms was cut there).
            separators=["\n\n", "\n", r"(?<!\be\.g)(?<!\bi\.e)\. ", "; ", ", ", " ", ""],
            is_separator_regex=True,
            keep_separator="end",
        )

    def chunk(self, doc: Document) -> list[Chunk]:
        if doc.kind == "article":
            pieces = self._article_pieces(doc)
        else:
            pieces = self._section_pieces(doc)
        base = _base_metadata(doc, self.signature)
        chunks = []
        for position, (section, text) in enumerate(pieces):
            metadata: dict[str, str | int] = {
                **base,
                "section": section,
                "position": position,
                "chunks": len(pieces),
            }
            chunks.append(Chunk(f"{doc.doc_id}#{position}", doc.doc_id, position, text, metadata))
        return chunks

    def _prefix(self, doc: Document, section: str) -> str:
        head = doc.title + (f" at {doc.company}" if doc.company else "")
        return f"{head} | {section}" if section and doc.kind == "article" else head

    def _fit(self, prefix: str, body: str, max_tokens: int | None = None) -> list[str]:
        budget = (max_tokens or self._max) - self._count(prefix) - 3  # [CLS], [SEP] and the joining newline
        total = self._count(body)
        if total <= budget:
            return [f"{prefix}\n{body}"]
        # Aim for pieces of even size: greedy splitting at the full budget leaves a
        # stub of a sentence or two at the end, which retrieves poorly.
        pieces = math.ceil(total / budget)
        size = min(budget, math.ceil(total / pieces * 1.15))
        return [f"{prefix}\n{part.strip()}" for part in self._splitter(max(size, 16)).split_text(body)]

    def _article_pieces(self, doc: Document) -> list[tuple[str, str]]:
        pieces: list[tuple[str, str]] = []
        section = ""
        for paragraph in (p.strip() for p in doc.text.splitlines()):
            if not paragraph:
                continue
            if is_heading(paragraph):
                section = paragraph.lstrip("#").strip().rstrip(":")
                continue
            pieces.extend(
                (section, text) for text in self._fit(self._prefix(doc, section), paragraph, self._article_max)
            )
        return pieces

    def _section_pieces(self, doc: Document) -> list[tuple[str, str]]:
        prefix = self._prefix(doc, "")
        budget = self._max - self._count(prefix) - 3
        pieces: list[tuple[str, str]] = []
        headings: list[str] = []
        bodies: list[str] = []
        used = 0

        def flush() -> None:
            nonlocal used
            if bodies:
                pieces.append((" / ".join(h for h in headings if h), f"{prefix}\n" + "\n".join(bodies)))
            headings.clear()
            bodies.clear()
            used = 0

        for heading, body in split_sections(doc.text):
            size = self._count(body)
            if size > budget:
                flush()
                pieces.extend((heading, text) for text in self._fit(prefix, body))
                continue
            if bodies and used + size + 1 > budget:  # +1: the newline between sections
                flush()
            headings.append(heading)
            bodies.append(body)
            used += size + 1
        flush()
        return pieces


def _base_metadata(doc: Document, signature: str) -> dict[str, str | int]:
    metadata: dict[str, str | int] = {
        "doc_id": doc.doc_id,
        "kind": doc.kind,
        "title": doc.title,
        "company": doc.company,
        "location": doc.location,
        "posted": doc.posted,
        "url": doc.url,
        "role_family": doc.role_family,
        "source": doc.source,
        "content_hash": content_hash(doc),
        "fingerprint": fingerprint(doc, signature),
    }
    if doc.extra:
        metadata["extra"] = json.dumps(doc.extra, ensure_ascii=False, sort_keys=True)
    return metadata
