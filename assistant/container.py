"""The one place that constructs components from settings."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cached_property

from assistant.chunking import Chunker
from assistant.embeddings import Embedder, SentenceTransformerEmbedder
from assistant.settings import Settings
from assistant.store import IndexStore


def offline_environment() -> None:
    """Nothing may reach a model hub or a telemetry endpoint. Set before any import of
    huggingface_hub, transformers or gradio, which read these at import time."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


@dataclass
class Services:
    settings: Settings
    embedder_override: Embedder | None = None

    @cached_property
    def embedder(self) -> Embedder:
        if self.embedder_override is not None:
            return self.embedder_override
        return SentenceTransformerEmbedder(
            self.settings.embedding_model,
            batch_size=self.settings.embedding_batch_size,
            threads=self.settings.embedding_threads,
        )

    @cached_property
    def store(self) -> IndexStore:
        return IndexStore(
            self.settings.index_dir,
            collection=self.settings.collection,
            embedder=self.embedder,
            keep_generations=self.settings.keep_generations,
            lock_timeout_s=self.settings.lock_timeout_s,
        )

    @cached_property
    def chunker(self) -> Chunker:
        max_tokens = min(self.settings.chunk_tokens, self.embedder.max_tokens)
        return Chunker(self.embedder.count_tokens, max_tokens, self.settings.chunk_overlap)


def build_services(settings: Settings, *, embedder: Embedder | None = None) -> Services:
    offline_environment()
    return Services(settings, embedder)
