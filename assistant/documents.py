"""The full text of every indexed document, kept beside its chunks in each generation.

Chunks overlap and drop section headings, so counts over them would be approximate;
corpus-wide figures (skills per role) are computed from these whole texts instead. The
table lives in the generation (`documents.sqlite`), so it is copied, changed and
published together with the chunks: it always describes exactly the published index.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.types import Document

FILE = "documents.sqlite"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS documents (
    doc_id TEXT PRIMARY KEY, kind TEXT NOT NULL, title TEXT NOT NULL, company TEXT NOT NULL,
    role_family TEXT NOT NULL, text TEXT NOT NULL,
    exact INTEGER NOT NULL,  -- 0: rebuilt from chunks of an index made before this table
    location TEXT NOT NULL DEFAULT '',
    minhash BLOB,  -- the text's MinHash (assistant/near_duplicates.py); NULL until the next refresh computes it
    duplicate_of TEXT NOT NULL DEFAULT ''  -- a near-duplicate: the posting it is counted as in the figures
)
"""
# Columns added after the first release: a table from an older generation gains them
# (with their defaults) when it is next refreshed, and is read without them until then.
_ADDED = {
    "location": "ALTER TABLE documents ADD COLUMN location TEXT NOT NULL DEFAULT ''",
    "minhash": "ALTER TABLE documents ADD COLUMN minhash BLOB",
    "duplicate_of": "ALTER TABLE documents ADD COLUMN duplicate_of TEXT NOT NULL DEFAULT ''",
}


@dataclass(frozen=True)
class StoredDocument:
    doc_id: str
    kind: str
    title: str
    company: str
    role_family: str
    text: str
    exact: bool = True
    location: str = ""
    duplicate_of: str = ""  # a near-duplicate of this posting, which the figures count instead


class DocumentTable:
    """Writable table of a generation being refreshed."""

    def __init__(self, generation_path: Path) -> None:
        self._db = sqlite3.connect(generation_path / FILE)
        self._db.execute(_SCHEMA)
        present = _columns(self._db)
        self.added = [column for column in _ADDED if column not in present]  # by this upgrade
        for column in self.added:
            self._db.execute(_ADDED[column])

    def __len__(self) -> int:
        return int(self._db.execute("SELECT COUNT(*) FROM documents").fetchone()[0])

    def upsert(self, documents: Iterable[Document | StoredDocument]) -> None:
        with self._db:
            self._db.executemany(
                "INSERT OR REPLACE INTO documents (doc_id, kind, title, company, role_family, text, exact, location)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [(d.doc_id, d.kind, d.title, d.company, d.role_family, d.text, int(getattr(d, "exact", True)),
                  d.location) for d in documents],
            )

    def backfill_locations(self, metadatas: Iterable[dict[str, Any]]) -> None:
        """Locations for a table that predates them, from its chunks (which always had them)."""
        places = {str(m.get("doc_id")): str(m.get("location") or "") for m in metadatas}
        with self._db:
            self._db.executemany("UPDATE documents SET location = ? WHERE doc_id = ? AND location = ''",
                                 [(place, doc_id) for doc_id, place in places.items() if place])

    def delete(self, doc_ids: Iterable[str]) -> None:
        with self._db:
            self._db.executemany("DELETE FROM documents WHERE doc_id = ?", [(i,) for i in doc_ids])

    def unsigned_postings(self) -> dict[str, str]:
        """Postings written since the last refresh (or before MinHashes were kept): id -> text."""
        rows = self._db.execute("SELECT doc_id, text FROM documents WHERE kind = 'posting' AND minhash IS NULL")
        return dict(rows.fetchall())

    def set_signatures(self, signatures: Mapping[str, bytes]) -> None:
        with self._db:
            self._db.executemany("UPDATE documents SET minhash = ? WHERE doc_id = ?",
                                 [(sig, doc_id) for doc_id, sig in signatures.items()])

    def signatures(self) -> dict[str, bytes]:
        rows = self._db.execute("SELECT doc_id, minhash FROM documents WHERE kind = 'posting' AND minhash IS NOT NULL")
        return dict(rows.fetchall())

    def texts(self, doc_ids: Iterable[str]) -> dict[str, str]:
        wanted = sorted(set(doc_ids))
        found: dict[str, str] = {}
        for start in range(0, len(wanted), 500):  # SQLite's limit on parameters is 999 in older builds
            batch = wanted[start:start + 500]
            marks = ", ".join("?" * len(batch))
            found.update(self._db.execute(f"SELECT doc_id, text FROM documents WHERE doc_id IN ({marks})", batch))
        return found

    def duplicate_of(self) -> dict[str, str]:
        return dict(self._db.execute("SELECT doc_id, duplicate_of FROM documents WHERE duplicate_of != ''"))

    def set_duplicate_of(self, folded: Mapping[str, str]) -> None:
        """Replace every posting's cluster membership with `folded` (near-duplicate -> representative)."""
        with self._db:
            self._db.execute("UPDATE documents SET duplicate_of = '' WHERE duplicate_of != ''")
            self._db.executemany("UPDATE documents SET duplicate_of = ? WHERE doc_id = ?",
                                 [(rep, doc_id) for doc_id, rep in folded.items()])

    def close(self) -> None:
        self._db.close()


def read_documents(generation_path: Path, kind: str | None = None) -> list[StoredDocument]:
    """Every document of a published generation (read-only; an empty list if it has none)."""
    path = generation_path / FILE
    if not path.is_file():
        return []
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        present = _columns(db)
        location, duplicate_of = (name if name in present else "''" for name in ("location", "duplicate_of"))
        query = (f"SELECT doc_id, kind, title, company, role_family, text, exact, {location}, {duplicate_of}"
                 " FROM documents")
        rows = db.execute(query + " WHERE kind = ?", (kind,)) if kind else db.execute(query)
        return [StoredDocument(doc_id, kind_, title, company, role, text, exact=bool(exact), location=place,
                               duplicate_of=of)
                for doc_id, kind_, title, company, role, text, exact, place, of in rows]
    finally:
        db.close()


def folded_count(generation_path: Path) -> int:
    """How many postings of a published generation are near-duplicates counted as another."""
    path = generation_path / FILE
    if not path.is_file():
        return 0
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        if "duplicate_of" not in _columns(db):
            return 0
        return int(db.execute("SELECT COUNT(*) FROM documents WHERE duplicate_of != ''").fetchone()[0])
    finally:
        db.close()


def _columns(db: sqlite3.Connection) -> set[str]:
    return {row[1] for row in db.execute("PRAGMA table_info(documents)")}


def from_chunks(ids: list[str], texts: list[str], metadatas: list[dict[str, Any]]) -> Iterator[StoredDocument]:
    """Documents pieced together from their chunks, for an index made before the table
    existed. Each chunk's first line is its "title at company" prefix, dropped here."""
    by_doc: dict[str, list[tuple[int, str, dict[str, Any]]]] = {}
    for _id, text, meta in zip(ids, texts, metadatas, strict=True):
        body = text.partition("\n")[2] or text
        by_doc.setdefault(str(meta.get("doc_id")), []).append((int(meta.get("position", 0)), body, meta))
    for doc_id, pieces in by_doc.items():
        pieces.sort(key=lambda piece: piece[0])
        meta = pieces[0][2]
        yield StoredDocument(doc_id, str(meta.get("kind", "")), str(meta.get("title", "")),
                             str(meta.get("company", "")), str(meta.get("role_family", "other")),
                             "\n".join(body for _, body, _ in pieces), exact=False,
                             location=str(meta.get("location", "")))
