"""The on-disk index: immutable generations published by an atomic pointer swap.

Layout under the index directory:

    CURRENT              name of the published generation (replaced atomically)
    .refresh.lock        held by the one process allowed to refresh
    gen-<seq>-<time>-<r>/ chroma/ (PersistentClient), records.sqlite (LangChain record
                         manager), documents.sqlite (full texts), manifest.json (counts,
                         model, last refresh)

With a Chroma server (`chroma_url`), a generation's vectors are instead the server's
collection `<collection>-<generation>`; everything else stays in the folder.

A refresh copies the published generation, changes the copy, and only then points
CURRENT at it. Readers keep using the generation they opened, so a failed or killed
refresh leaves the previous index intact and answering, and Chroma's PersistentClient,
which is not process-safe, never has a writer and a reader on the same files.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import sqlite3
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from filelock import FileLock, Timeout
from langchain_chroma import Chroma
from langchain_classic.indexes import SQLRecordManager

from assistant.embeddings import ChromaEmbeddingFunction, Embedder, LangChainEmbeddings
from assistant.errors import IndexBusy, IndexMismatch, IndexNotBuilt, IndexWriteError
from assistant.vectorspace import EmbeddedChroma, VectorSpace

SCHEMA_VERSION = 1
CURRENT = "CURRENT"


@dataclass
class Generation:
    """One opened generation of the index."""

    path: Path
    client: Any
    collection: Any
    vectorstore: Chroma
    records: SQLRecordManager
    embeddings: LangChainEmbeddings

    @property
    def manifest_path(self) -> Path:
        return self.path / "manifest.json"

    def manifest(self) -> dict[str, Any]:
        return _manifest_at(self.path)

    def scan(self, *, with_texts: bool = False) -> tuple[list[str], list[str], list[dict[str, Any]]]:
        """Every chunk's store id, text (empty unless asked for) and metadata, page by page."""
        include = ["documents", "metadatas"] if with_texts else ["metadatas"]
        ids: list[str] = []
        texts: list[str] = []
        metadatas: list[dict[str, Any]] = []
        for offset in range(0, self.collection.count(), 5000):
            got = self.collection.get(include=include, limit=5000, offset=offset)
            ids.extend(got["ids"])
            texts.extend(got["documents"] if with_texts else [""] * len(got["ids"]))
            metadatas.extend(m or {} for m in got["metadatas"])
        return ids, texts, metadatas

    def all_metadatas(self) -> list[dict[str, Any]]:
        return self.scan()[2]

    def close(self) -> None:
        self.records.engine.dispose()
        self.client.close()


class IndexStore:
    def __init__(
        self,
        root: Path,
        *,
        collection: str,
        embedder: Embedder,
        keep_generations: int = 3,
        lock_timeout_s: float = 0.0,
        vectors: VectorSpace | None = None,
    ) -> None:
        self.root = Path(root)
        self.vectors = vectors or EmbeddedChroma()
        self.collection_name = collection
        self.embedder = embedder
        self.keep_generations = keep_generations
        self.lock_timeout_s = lock_timeout_s

    def current_path(self) -> Path | None:
        return published_generation(self.root)

    def exists(self) -> bool:
        return self.current_path() is not None

    @contextmanager
    def reader(self) -> Iterator[Generation]:
        path = self.current_path()
        if path is None:
            raise IndexNotBuilt(
                f"no index in {self.root}: run `python -m assistant build` "
                f"or `python -m assistant ingest PATH`"
            )
        generation = self._open(path)
        try:
            yield generation
        finally:
            generation.close()

    def open_published(self) -> Generation:
        """The published generation, opened for a long-lived reader (a server) that closes it."""
        path = self.current_path()
        if path is None:
            raise IndexNotBuilt(f"no index in {self.root}: run `python -m assistant build`")
        return self._open(path)

    @contextmanager
    def locked(self) -> Iterator[None]:
        """Exclusive right to refresh this index, across processes."""
        self.root.mkdir(parents=True, exist_ok=True)
        lock = FileLock(str(self.root / ".refresh.lock"), timeout=self.lock_timeout_s)
        try:
            lock.acquire()
        except Timeout:
            raise IndexBusy(
                f"another process is refreshing the index in {self.root}; "
                f"try again when it finishes (or set ASSISTANT_LOCK_TIMEOUT_S to wait)"
            ) from None
        try:
            self._remove_orphans()
            yield
        finally:
            lock.release()

    @contextmanager
    def writer(self) -> Iterator[Generation]:
        """A writable copy of the published index, published when the block exits
        without error and discarded otherwise. Call inside `locked()`."""
        new_path = self.root / self._next_generation_name()
        source = self.current_path()
        try:
            if source is not None:
                shutil.copytree(source, new_path)
            else:
                new_path.mkdir(parents=True)
            generation = self._open(new_path)
        except BaseException as exc:
            self._discard(new_path)
            self._raise_write_error(exc)
            raise
        try:
            if source is not None:
                self.vectors.copy(self.collection_name, source, generation.collection)
            yield generation
            _write_manifest(generation, self.embedder.name)
        except BaseException as exc:
            generation.close()
            self._discard(new_path)
            self._raise_write_error(exc)
            raise
        generation.close()
        try:
            self._publish(new_path)
        except OSError as exc:
            if self.current_path() != new_path:  # failed before the pointer moved
                self._discard(new_path)
            self._raise_write_error(exc)
            raise
        self._prune()

    def _raise_write_error(self, exc: BaseException) -> None:
        """Disk full or no permission becomes one clear error; anything else passes through."""
        if isinstance(exc, OSError) or (isinstance(exc, sqlite3.OperationalError)
                                        and re.search(r"disk|full|readonly|read-only|permission", str(exc), re.I)):
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            where = f" ({exc.filename})" if isinstance(exc, OSError) and exc.filename else ""
            raise IndexWriteError(
                f"could not write a new index generation in {self.root}: {reason}{where}; "
                f"the published index is unchanged and still answers"
            ) from exc

    def _open(self, path: Path) -> Generation:
        built_with = _manifest_at(path).get("embedding_model")
        if built_with and built_with != self.embedder.name:
            raise IndexMismatch(
                f"the index in {self.root} was built with embedding model {built_with!r}, but the "
                f"settings ask for {self.embedder.name!r}: set ASSISTANT_EMBEDDING_MODEL={built_with} "
                f"or use a new ASSISTANT_INDEX_DIR and rebuild"
            )
        name = self.vectors.collection_name(self.collection_name, path)
        client = self.vectors.client(path)
        collection = client.get_or_create_collection(
            name,
            embedding_function=ChromaEmbeddingFunction(self.embedder),
            configuration={"hnsw": {"space": "cosine"}},
            metadata={"schema_version": SCHEMA_VERSION},
        )
        embeddings = LangChainEmbeddings(self.embedder)
        vectorstore = Chroma(client=client, collection_name=name, embedding_function=embeddings)
        records = SQLRecordManager(
            f"chroma/{self.collection_name}", db_url=f"sqlite:///{path / 'records.sqlite'}"
        )
        records.create_schema()
        return Generation(path, client, collection, vectorstore, records, embeddings)

    def _publish(self, path: Path) -> None:
        _fsync_tree(path)
        tmp = self.root / f".{CURRENT}.{os.getpid()}.tmp"
        with open(tmp, "w", encoding="utf-8") as handle:
            handle.write(path.name + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, self.root / CURRENT)
        _fsync_dir(self.root)

    def generations(self) -> list[Path]:
        """On-disk generations, oldest first (their names start with a sequence number)."""
        return sorted(p for p in self.root.glob("gen-*") if p.is_dir())

    def _next_generation_name(self) -> str:
        # A sequence number, not the clock, orders generations: a clock set back must
        # not make a new generation look older than the one it replaces.
        numbers = [int(p.name.split("-")[1]) for p in self.generations() if p.name.split("-")[1].isdigit()]
        return f"gen-{max(numbers, default=0) + 1:06d}-{datetime.now(UTC):%Y%m%dT%H%M%S}-{secrets.token_hex(3)}"

    def _remove_orphans(self) -> None:
        """Generations newer than the published one were left by a killed refresh."""
        current = self.current_path()
        for path in self.generations():
            if current is None or path.name > current.name:
                self._discard(path)

    def _prune(self) -> None:
        """Keep the last few published generations for readers that opened them earlier."""
        current = self.current_path()
        for path in self.generations()[: -self.keep_generations]:
            if path != current:
                self._discard(path)

    def destroy(self) -> None:
        """Remove every generation, vectors included (a scratch index, a benchmark's)."""
        with self.locked():
            (self.root / CURRENT).unlink(missing_ok=True)
            for path in self.generations():
                self._discard(path)

    def _discard(self, path: Path) -> None:
        self.vectors.drop(self.collection_name, path)
        shutil.rmtree(path, ignore_errors=True)


def summarize(metadatas: list[dict[str, Any]]) -> dict[str, Any]:
    docs: dict[str, dict[str, Any]] = {}
    for meta in metadatas:
        docs.setdefault(str(meta.get("doc_id")), meta)
    return {
        "documents": len(docs),
        "chunks": len(metadatas),
        "kind": dict(Counter(str(m.get("kind")) for m in docs.values())),
        "chunks_by_kind": dict(Counter(str(m.get("kind")) for m in metadatas)),
        "role_family": dict(Counter(str(m.get("role_family")) for m in docs.values())),
        "sources": dict(Counter(str(m.get("source")) for m in docs.values())),
    }


def _manifest_at(path: Path) -> dict[str, Any]:
    file = path / "manifest.json"
    return json.loads(file.read_text(encoding="utf-8")) if file.is_file() else {}


def _write_manifest(generation: Generation, model: str) -> None:
    manifest = {
        "schema_version": SCHEMA_VERSION,
        "embedding_model": model,
        "collection": generation.collection.name,
        "last_refresh": datetime.now(UTC).isoformat(timespec="seconds"),
        "last_refresh_unix": time.time(),
        **summarize(generation.all_metadatas()),
    }
    generation.manifest_path.write_text(json.dumps(manifest, indent=2, sort_keys=True), encoding="utf-8")


def _fsync_tree(path: Path) -> None:
    for root, _dirs, files in os.walk(path):
        for name in files:
            fd = os.open(os.path.join(root, name), os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        _fsync_dir(Path(root))


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def published_generation(root: Path) -> Path | None:
    pointer = Path(root) / CURRENT
    if not pointer.is_file():
        return None
    path = Path(root) / pointer.read_text(encoding="utf-8").strip()
    return path if path.is_dir() else None


def read_manifest(root: Path) -> dict[str, Any]:
    """The published generation's manifest, without opening Chroma or loading a model."""
    path = published_generation(root)
    if path is None:
        raise IndexNotBuilt(f"no index in {root}: run `python -m assistant build`")
    return {**_manifest_at(path), "index_dir": str(root), "generation": path.name}
