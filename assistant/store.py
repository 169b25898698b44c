"""The on-disk index: immutable generations published by an atomic pointer swap.

Layout under the index directory:

    CURRENT              name of the published generation (replaced atomically)
    .refresh.lock        held by the one process allowed to refresh (with database_url:
                         a PostgreSQL advisory lock instead, locks.py)
    gen-<seq>-<time>-<r>/ chroma/ (PersistentClient), records.sqlite (LangChain record
                         manager), documents.sqlite (full texts), manifest.json (counts,
                         model, last refresh)

With a Chroma server (`chroma_url`), a generation's vectors are instead the server's
collection `<collection>-<generation>`; everything else stays in the folder. With PostgreSQL
as well (`database_url`), the pointer and the rest of each generation are in the database
(catalog.py) and the folder is only this machine's cache of the generations it opened.

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
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from langchain_chroma import Chroma
from langchain_classic.indexes import SQLRecordManager

from assistant.catalog import VECTORS_FOLDER, PostgresCatalog
from assistant.embeddings import ChromaEmbeddingFunction, Embedder, LangChainEmbeddings
from assistant.errors import IndexCorrupt, IndexMismatch, IndexNotBuilt, IndexWriteError
from assistant.locks import FileRefreshLock, RefreshLock
from assistant.vectorspace import EmbeddedChroma, VectorSpace

SCHEMA_VERSION = 1
CURRENT = "CURRENT"
# Also what keeps a pointer from naming a path outside the index folder.
_GENERATION_NAME = re.compile(r"gen-\d+-[0-9A-Za-z]+-[0-9a-f]+")


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


class Pointer:
    """Which generation is published, and its folder on this machine: the CURRENT file of the
    index folder, or with a catalog the database's row (its files fetched into the folder).
    Needs no model, so status and the page's corpus panel stay cheap."""

    def __init__(self, root: Path, catalog: PostgresCatalog | None = None) -> None:
        self.root = Path(root)
        self.catalog = catalog

    def path(self) -> Path | None:
        if self.catalog is None:
            return published_generation(self.root)
        name = self.catalog.published()
        return None if name is None else self.catalog.fetch(name, self.root)

    def manifest(self) -> dict[str, Any]:
        """The published generation's manifest, without opening Chroma or loading a model."""
        if self.catalog is None:
            return read_manifest(self.root)
        path = self.path()
        if path is None:
            raise IndexNotBuilt(f"no index {self.catalog.collection!r} in the database: run `python -m assistant build`")
        return {**_manifest_at(path), "index_dir": str(self.root), "generation": path.name}


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
        refresh_lock: RefreshLock | None = None,
        catalog: PostgresCatalog | None = None,
    ) -> None:
        self.root = Path(root)
        self.catalog = catalog
        self.pointer = Pointer(self.root, catalog)
        self.vectors = vectors or EmbeddedChroma()
        self.collection_name = collection
        self.embedder = embedder
        self.keep_generations = keep_generations
        self.lock_timeout_s = lock_timeout_s
        self.refresh_lock = refresh_lock or FileRefreshLock(self.root, lock_timeout_s)

    def current_path(self) -> Path | None:
        return self.pointer.path()

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
    def _exclusive(self) -> Iterator[None]:
        self.root.mkdir(parents=True, exist_ok=True)
        with self.refresh_lock.hold():
            yield

    @contextmanager
    def locked(self) -> Iterator[None]:
        """Exclusive right to refresh this index, across processes. Refused, before anything
        is removed, when the published pointer is broken (IndexCorrupt)."""
        with self._exclusive():
            self._remove_orphans()
            yield

    def repair(self, use_generation: str | None = None) -> Path:
        """Republish an intact generation: the one named, or the newest. Deletes nothing."""
        with self._exclusive():
            if self.catalog is not None:
                return self._repair_catalog(use_generation)
            intact = intact_generations(self.root)
            if use_generation is None:
                if not intact:
                    raise IndexCorrupt(f"no intact generation in {self.root}: " + _REBUILD)
                chosen = intact[-1]
            else:
                chosen = self.root / use_generation
                if chosen not in intact:
                    names = ", ".join(p.name for p in intact) or "none"
                    raise IndexCorrupt(
                        f"{use_generation!r} is not an intact generation in {self.root} (intact: {names})"
                    )
            self._publish(chosen)
            return chosen

    def _repair_catalog(self, use_generation: str | None) -> Path:
        assert self.catalog is not None
        ready = self.catalog.names("ready")
        chosen = use_generation or (ready[-1] if ready else None)
        if chosen is None or chosen not in ready:
            names = ", ".join(ready) or "none"
            raise IndexCorrupt(f"{chosen!r} is not a finished generation of {self.collection_name!r} in the "
                               f"database (finished: {names})" if chosen else
                               f"no finished generation of {self.collection_name!r} in the database: " + _REBUILD)
        self.catalog.republish(chosen)
        return self.catalog.fetch(chosen, self.root)

    @contextmanager
    def writer(self) -> Iterator[Generation]:
        """A writable copy of the published index, published when the block exits
        without error and discarded otherwise. Call inside `locked()`."""
        new_path = self.root / self._next_generation_name()
        source = self.current_path()
        try:
            if self.catalog is not None:
                # Registered before its collection exists: whichever machine refreshes next can drop it.
                self.catalog.begin(new_path.name)
            if source is not None:
                # With a catalog the vectors are the server's: a migrated folder's own are not copied.
                ignore = shutil.ignore_patterns(VECTORS_FOLDER) if self.catalog is not None else None
                shutil.copytree(source, new_path, ignore=ignore)
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
            from assistant.saved_lexical import save_for  # imports bm25s, which only a writer needs here

            save_for(generation)  # BM25 built once here, not by every worker that opens the generation
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
        """Disk full or no permission, from whichever layer hit it (a file copy, SQLite,
        Chroma's Rust core), becomes one short error; anything else passes through."""
        reason = write_failure(exc)
        if reason:
            raise IndexWriteError(
                f"could not write a new index generation in {self.root}: {reason}; "
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
        if self.catalog is not None:
            self.catalog.publish(path.name, path)
            return
        _fsync_tree(path)
        tmp = self.root / f".{CURRENT}.{os.getpid()}.tmp"
        with open(tmp, "w", encoding="utf-8") as handle:
            handle.write(path.name + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, self.root / CURRENT)
        _fsync_dir(self.root)

    def generations(self) -> list[Path]:
        """Generations, oldest first (their names start with a sequence number): the folders,
        or with a catalog the database's (their folders here are fetched when opened)."""
        if self.catalog is not None:
            # Only the database's: a folder here that it does not list (an embedded index being
            # migrated, a cache of a dropped generation) is never taken for an orphan.
            return [self.root / name for name in self.catalog.names()]
        return sorted(p for p in self.root.glob("gen-*") if p.is_dir())

    def _next_generation_name(self) -> str:
        # A sequence number, not the clock, orders generations: a clock set back must
        # not make a new generation look older than the one it replaces.
        numbers = [int(p.name.split("-")[1]) for p in self.generations() if p.name.split("-")[1].isdigit()]
        return f"gen-{max(numbers, default=0) + 1:06d}-{datetime.now(UTC):%Y%m%dT%H%M%S}-{secrets.token_hex(3)}"

    def _remove_orphans(self) -> None:
        """Generations newer than the published one were left by a killed refresh. With no
        pointer at all, only unfinished generations can be here: `current_path` refuses
        when an intact one is, so a lost pointer never deletes an index."""
        current = self.current_path()
        for path in self.generations():
            if current is None or path.name > current.name:
                self._discard(path)
        if self.catalog is not None:  # a refresh killed on any machine left it, even one older than ours
            for name in self.catalog.names("writing"):
                self._discard(self.root / name)

    def _prune(self) -> None:
        """Keep the last few published generations for readers that opened them earlier:
        only ever generations older than the intact published one go."""
        current = self.current_path()
        if current is None:
            return
        older = [path for path in self.generations() if path.name < current.name]
        for path in older[: max(len(older) - (self.keep_generations - 1), 0)]:
            self._discard(path)

    def destroy(self) -> None:
        """Remove every generation, vectors included (a scratch index, a benchmark's)."""
        with self._exclusive():
            (self.root / CURRENT).unlink(missing_ok=True)
            generations = self.generations()
            if self.catalog is not None:
                self.catalog.forget()
            for path in generations:
                self._discard(path)

    def _discard(self, path: Path) -> None:
        self.vectors.drop(self.collection_name, path)
        if self.catalog is not None:
            self.catalog.drop(path.name)
        shutil.rmtree(path, ignore_errors=True)


_STORAGE_FAILURE = re.compile(
    r"database or disk is full|disk i/o error|no space left on device|disk quota exceeded|"
    r"readonly database|read-only file system|permission denied", re.I)


def write_failure(exc: BaseException) -> str:
    """What went wrong if `exc` (or what caused it) is the storage refusing a write, else ''."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, shutil.Error) and current.args and isinstance(current.args[0], list):
            failures = current.args[0]  # (source, destination, why) for each file copytree could not copy
            first = str(failures[0][2]) if failures and len(failures[0]) == 3 else str(current)
            more = f" (and {len(failures) - 1} more files)" if len(failures) > 1 else ""
            return _short(first) + more
        if isinstance(current, OSError) and current.errno is not None:
            where = f" ({current.filename})" if current.filename else ""
            return (current.strerror or str(current)) + where
        if match := _STORAGE_FAILURE.search(str(current)):
            return match.group(0)
        current = current.__cause__ or current.__context__
    return ""


def _short(text: str) -> str:
    return text if len(text) <= 300 else text[:300] + "..."


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
    try:
        return _load_manifest(path)
    except ValueError as exc:
        raise IndexCorrupt(f"{path / 'manifest.json'} {exc}; " + _recovery(path.parent)) from None


def _load_manifest(path: Path) -> dict[str, Any]:
    file = path / "manifest.json"
    if not file.is_file():
        return {}
    try:
        manifest = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise ValueError(f"is unreadable ({exc})") from None
    if not isinstance(manifest, dict):
        raise ValueError("is not a JSON object")
    return manifest


def _intact(path: Path) -> bool:
    """Finished by a refresh: the manifest is written last, after every chunk."""
    try:
        return bool(_GENERATION_NAME.fullmatch(path.name)) and bool(_load_manifest(path).get("embedding_model"))
    except ValueError:
        return False


def intact_generations(root: Path) -> list[Path]:
    """Finished generations, oldest first."""
    return [p for p in sorted(Path(root).glob("gen-*")) if p.is_dir() and _intact(p)]


_REBUILD = "rebuild with `python -m assistant build` (and ingest your postings again), or restore the folder from a backup"


def _recovery(root: Path) -> str:
    """How to get a published index back, naming what is still there."""
    intact = intact_generations(root)
    if not intact:
        return "no intact generation is left: " + _REBUILD
    listed = ", ".join(
        f"{p.name} ({_load_manifest(p).get('documents', '?')} documents)" for p in reversed(intact)
    )
    return (
        f"nothing was changed or deleted. Intact generations, newest first: {listed}. "
        f"Run `python -m assistant repair` to republish the newest ({intact[-1].name}), "
        f"or `python -m assistant repair --use-generation NAME`"
    )


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
    """The published generation; None only for an index never published. A pointer that is
    missing while finished generations exist, empty, unreadable or dangling raises
    IndexCorrupt: treating it as "no index" is what let a refresh delete every generation."""
    root = Path(root)
    pointer = root / CURRENT
    try:
        name = pointer.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        if intact_generations(root):
            raise IndexCorrupt(f"{pointer} is missing; " + _recovery(root)) from None
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise IndexCorrupt(f"{pointer} is unreadable ({exc}); " + _recovery(root)) from None
    if not name:
        raise IndexCorrupt(f"{pointer} is empty; " + _recovery(root))
    path = root / name
    if not _GENERATION_NAME.fullmatch(name) or not path.is_dir():
        raise IndexCorrupt(f"{pointer} names {name[:80]!r}, which is not a generation in {root}; " + _recovery(root))
    _manifest_at(path)
    return path


def read_manifest(root: Path) -> dict[str, Any]:
    """The published generation's manifest, without opening Chroma or loading a model."""
    path = published_generation(root)
    if path is None:
        raise IndexNotBuilt(f"no index in {root}: run `python -m assistant build`")
    return {**_manifest_at(path), "index_dir": str(root), "generation": path.name}
