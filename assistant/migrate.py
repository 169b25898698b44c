"""`migrate --to-server`: an embedded index (its folder's published generation) moved to
PostgreSQL and the Chroma server, vectors copied as they are (nothing is embedded again),
then counted on both sides before the generation is published there.

The folder is only read: a migration that fails leaves it as it was, still answering, and
publishes nothing in the database.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import tempfile
from pathlib import Path
from typing import Any

import chromadb
from chromadb.config import Settings as ChromaSettings

from assistant.catalog import VECTORS_FOLDER
from assistant.documents import FILE as DOCUMENTS_FILE
from assistant.errors import IndexNotBuilt, SettingsError
from assistant.store import IndexStore, published_generation

PAGE = 2000


class MigrationFailed(SettingsError):
    """The copy does not match the embedded index; nothing was published."""


def migrate_to_server(source_root: Path, store: IndexStore) -> dict[str, Any]:
    catalog = store.catalog
    if catalog is None:
        raise SettingsError("migrate --to-server needs both ASSISTANT_DATABASE_URL and ASSISTANT_CHROMA_URL set")
    source = published_generation(source_root)
    if source is None:
        raise IndexNotBuilt(f"no embedded index in {source_root} to migrate")
    with store.locked():
        if catalog.published() is not None:
            raise SettingsError(
                f"the database already has an index {store.collection_name!r} ({catalog.published()}): nothing "
                f"was changed; migrate into another ASSISTANT_COLLECTION")
        embedded: Any = chromadb.PersistentClient(path=str(source / VECTORS_FOLDER),
                                             settings=ChromaSettings(anonymized_telemetry=False))
        with tempfile.TemporaryDirectory(dir=store.root.parent if store.root.parent.exists() else None) as staging:
            # The folder's files without its vectors, staged under the generation's own name: the
            # saved BM25 index's stamp names it.
            target = Path(staging) / source.name
            shutil.copytree(source, target, ignore=shutil.ignore_patterns(VECTORS_FOLDER))
            catalog.begin(source.name)
            try:
                # The folder's own collection name, which may differ from the one migrated into.
                named = json.loads((source / "manifest.json").read_text(encoding="utf-8")).get("collection")
                copied = _copy_vectors(embedded.get_collection(named or store.collection_name), store, target)
                counts = _verify(source, target, copied)
                manifest = json.loads((target / "manifest.json").read_text(encoding="utf-8"))
                manifest["collection"] = store.vectors.collection_name(store.collection_name, target)
                (target / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True), "utf-8")
                catalog.publish(source.name, target)
            except BaseException:
                store.vectors.drop(store.collection_name, target)
                catalog.drop(source.name)
                raise
            finally:
                embedded.close()
    return {"generation": source.name, "from": str(source_root), **counts}


def _copy_vectors(embedded: Any, store: IndexStore, target: Path) -> int:
    generation = store._open(target)  # makes the server collection exactly as a refresh would
    try:
        ids = embedded.get(include=[])["ids"]
        for start in range(0, len(ids), PAGE):
            page = embedded.get(ids=ids[start:start + PAGE], include=["embeddings", "documents", "metadatas"])
            generation.collection.add(ids=page["ids"], embeddings=page["embeddings"], documents=page["documents"],
                                      metadatas=page["metadatas"])
        return int(generation.collection.count())
    finally:
        generation.close()


def _verify(source: Path, target: Path, copied: int) -> dict[str, int]:
    chunks = int(json.loads((source / "manifest.json").read_text(encoding="utf-8"))["chunks"])
    counts = {"chunks": copied, "documents": _rows(target / DOCUMENTS_FILE, "documents"),
              "records": _rows(target / "records.sqlite", "upsertion_record")}
    expected = {"chunks": chunks, "documents": _rows(source / DOCUMENTS_FILE, "documents"),
                "records": _rows(source / "records.sqlite", "upsertion_record")}
    if counts != expected:
        raise MigrationFailed(f"the copy holds {counts}, the embedded index {expected}: nothing was published")
    return counts


def _rows(path: Path, table: str) -> int:
    if not path.is_file():
        return 0
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
        return int(db.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
