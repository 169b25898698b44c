"""Where a generation's vectors live: Chroma embedded in the generation's folder, or a
collection of its own on a Chroma server.

The store's generation scheme (copy, change the copy, publish by pointer) is the same
for both; only opening, copying and dropping a generation's vectors differ.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

import chromadb
from chromadb.config import Settings as ChromaSettings
from chromadb.errors import NotFoundError

from assistant.errors import BackendUnavailable

COPY_PAGE = 2000
# Chroma's clients share a per-process cache of systems. Made in several threads at once,
# some fail with "Could not connect to tenant default_tenant" (4 of 8 threads here), as
# when an upload's refresh opens the index while a request reopens the new generation.
_OPENING = threading.Lock()


class VectorSpace(Protocol):
    def client(self, generation: Path) -> Any: ...

    def collection_name(self, base: str, generation: Path) -> str: ...

    def copy(self, base: str, source: Path, target: Any) -> None:
        """Fill `target`, the empty collection of a new generation, from generation `source`."""

    def drop(self, base: str, generation: Path) -> None:
        """Remove what a discarded generation holds outside its folder."""


class EmbeddedChroma:
    """A PersistentClient in each generation's `chroma/` folder: copied and removed with
    the folder. One machine; one server process."""

    def client(self, generation: Path) -> Any:
        with _OPENING:
            return chromadb.PersistentClient(
                path=str(generation / "chroma"),
                settings=ChromaSettings(anonymized_telemetry=False, allow_reset=False),
            )

    def collection_name(self, base: str, generation: Path) -> str:
        return base

    def copy(self, base: str, source: Path, target: Any) -> None:
        pass  # the folder copy has it

    def drop(self, base: str, generation: Path) -> None:
        pass  # removing the folder removes it


class ChromaServer:
    """A Chroma server (`chroma run`) holding one collection per generation, so several
    server workers, a refresh job in another process, or other machines can read it."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)  # checked by the settings
        self.url = url
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or (443 if parts.scheme == "https" else 8000)
        self.ssl = parts.scheme == "https"

    def client(self, generation: Path) -> Any:
        try:
            with _OPENING:
                client = chromadb.HttpClient(
                    host=self.host, port=self.port, ssl=self.ssl,
                    settings=ChromaSettings(anonymized_telemetry=False, allow_reset=False),
                )
            client.heartbeat()
        except Exception as exc:  # the client raises plain ValueError/ConnectError here
            raise BackendUnavailable(
                f"the Chroma server at {self.url} does not answer ({exc}): start it with "
                f"`chroma run --path DIR --host {self.host} --port {self.port}` or unset ASSISTANT_CHROMA_URL"
            ) from None
        return client

    def collection_name(self, base: str, generation: Path) -> str:
        return f"{base}-{generation.name}"

    def copy(self, base: str, source: Path, target: Any) -> None:
        client = self.client(source)
        try:
            published = client.get_collection(self.collection_name(base, source))
            ids = published.get(include=[])["ids"]
            for start in range(0, len(ids), COPY_PAGE):
                page = published.get(ids=ids[start:start + COPY_PAGE], include=["embeddings", "documents", "metadatas"])
                target.add(ids=page["ids"], embeddings=page["embeddings"], documents=page["documents"],
                           metadatas=page["metadatas"])
        finally:
            client.close()

    def drop(self, base: str, generation: Path) -> None:
        try:
            client = self.client(generation)
        except BackendUnavailable:
            return  # a server that is down cannot be cleaned; the folder still goes
        try:
            client.delete_collection(self.collection_name(base, generation))
        except NotFoundError:
            pass  # the generation failed before its collection was made
        finally:
            client.close()


def vector_space(chroma_url: str) -> VectorSpace:
    return ChromaServer(chroma_url) if chroma_url else EmbeddedChroma()
