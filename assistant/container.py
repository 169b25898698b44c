"""The one place that constructs components from settings."""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

from assistant.chunking import Chunker
from assistant.corpus_answerer import CorpusAnswerer
from assistant.embeddings import Embedder, SentenceTransformerEmbedder
from assistant.errors import BackendUnavailable
from assistant.feedback import FeedbackLog, FeedbackStore, PostgresFeedback
from assistant.kept_uploads import KeptUploads, PostgresUploads, UploadFolder
from assistant.llm import ChatModel
from assistant.locks import RefreshLock
from assistant.onnx_embedder import OnnxEmbedder
from assistant.pipeline import Assistant
from assistant.settings import BACKENDS, Backend, Settings
from assistant.store import Generation, IndexStore, Pointer
from assistant.vectorspace import vector_space

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from assistant.analytics import Corpus
    from assistant.answer import Source
    from assistant.catalog import PostgresCatalog
    from assistant.closeness import Closeness
    from assistant.retrieval import HybridRetriever
    from assistant.skills import Taxonomy


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
    chat_override: ChatModel | None = None
    _chat_models: dict[str, ChatModel] = field(default_factory=dict)
    _corpora: dict[tuple[str, str], Corpus] = field(default_factory=dict)
    _corpus_lock: threading.Lock = field(default_factory=threading.Lock)

    @cached_property
    def embedder(self) -> Embedder:
        if self.embedder_override is not None:
            return self.embedder_override
        settings = self.settings
        if settings.embedding_runtime == "onnx":
            return OnnxEmbedder(settings.embedding_model, models_dir=settings.models_dir,
                                batch_size=settings.embedding_batch_size, threads=settings.embedding_threads)
        return SentenceTransformerEmbedder(
            settings.embedding_model, batch_size=settings.embedding_batch_size, threads=settings.embedding_threads
        )

    @cached_property
    def store(self) -> IndexStore:
        return IndexStore(
            self.settings.index_dir,
            collection=self.settings.collection,
            embedder=self.embedder,
            keep_generations=self.settings.keep_generations,
            lock_timeout_s=self.settings.lock_timeout_s,
            vectors=vector_space(self.settings.chroma_url),
            refresh_lock=self._advisory_lock(),
            catalog=self.catalog,
        )

    @cached_property
    def catalog(self) -> PostgresCatalog | None:
        """The generations in PostgreSQL, when the vectors are on a Chroma server too: then
        an app server needs nothing in its index folder. None: they are the folder's."""
        if self.database is None or not self.settings.chroma_url:
            return None
        from assistant.catalog import PostgresCatalog

        return PostgresCatalog(self.database, self.settings.collection)

    @cached_property
    def pointer(self) -> Pointer:
        """The published generation, found without loading a model."""
        return Pointer(self.settings.index_dir, self.catalog)

    @cached_property
    def database(self) -> Engine | None:
        """The shared PostgreSQL database (`database_url`); None: bookkeeping on disk."""
        url = self.settings.database_url.get_secret_value()
        if not url:
            return None
        from assistant.database import engine

        return engine(url)

    def _advisory_lock(self) -> RefreshLock | None:
        """With PostgreSQL, the refresh lock every machine sees; None: the store's lock file."""
        if self.database is None:
            return None
        from assistant.locks import AdvisoryRefreshLock

        return AdvisoryRefreshLock(self.database, self.settings.collection, self.settings.lock_timeout_s)

    @cached_property
    def chunker(self) -> Chunker:
        max_tokens = min(self.settings.chunk_tokens, self.embedder.max_tokens)
        return Chunker(
            self.embedder.count_tokens, max_tokens, self.settings.chunk_overlap, self.settings.article_chunk_tokens
        )

    def chat_model(self, backend: str | None = None) -> ChatModel | None:
        """The chat model of a backend; None for the extractive one. Loaded once per backend."""
        backend = backend or self.settings.backend
        if backend == "extractive":
            return None
        if backend not in self._chat_models:
            if self.chat_override is not None:
                self._chat_models[backend] = self.chat_override
            elif backend == "local":
                from assistant.llm import LlamaCppChat
                from assistant.local_model import assemble

                path = self.settings.local_model_path
                if path is None:
                    path = assemble(self.settings.models_dir)
                elif not path.is_file():
                    raise BackendUnavailable(f"local model {path} does not exist")
                self._chat_models[backend] = LlamaCppChat(
                    path, threads=self.settings.llm_threads, context=self.settings.llm_context,
                    state_dir=self.settings.models_dir / "prefix-cache",
                )
            elif backend == "openai":
                from assistant.llm import OpenAIChat

                self._chat_models[backend] = OpenAIChat(
                    base_url=self.settings.openai_base_url,
                    model=self.settings.openai_model,
                    api_key=self.settings.openai_api_key.get_secret_value(),
                    timeout_s=self.settings.openai_timeout_s,
                )
            else:
                raise BackendUnavailable(f"unknown backend {backend!r}: expected local, openai or extractive")
        return self._chat_models[backend]

    def backends(self) -> list[Backend]:
        """The backends this server can answer with, judged without loading a model: the
        configured one (when it cannot load, a question says why); extractive, which needs
        none; local when llama-cpp-python and the model are installed; openai when a server
        is set for it (an address or key other than the defaults). A chat model given to
        `build_services` (the tests' scripted one) answers for every backend."""
        settings = self.settings

        def available(backend: Backend) -> bool:
            if backend in (settings.backend, "extractive", *self._chat_models) or self.chat_override is not None:
                return True
            if backend == "local":
                from assistant.local_model import installed

                return installed(settings.models_dir, settings.local_model_path)
            return bool(settings.openai_api_key.get_secret_value()) or (
                settings.openai_base_url != Settings.model_fields["openai_base_url"].default)

        return [backend for backend in BACKENDS if available(backend)]

    @cached_property
    def taxonomy(self) -> Taxonomy:
        from assistant.skills import load_taxonomy

        return load_taxonomy(self.settings.corpus_dir / "skills.tsv")

    def corpus(self, generation: Generation) -> Corpus:
        """The postings of a generation with their skills, profiled once per generation."""
        from assistant.analytics import load_corpus

        key = (str(generation.path), self.taxonomy.version)
        # One thread profiles it (about 1 s for 1,000 postings); the requests that arrive
        # meanwhile wait for that one instead of each doing the same work on 2 cores.
        with self._corpus_lock:
            if key not in self._corpora:
                self._corpora = {key: load_corpus(generation.path, self.taxonomy,
                                                  lambda: generation.scan(with_texts=True))}
            return self._corpora[key]

    def published_corpus(self) -> Corpus:
        """The published generation's postings, without loading the embedding model when
        the generation has its document table (every index refreshed since it existed)."""
        from assistant.analytics import load_corpus
        from assistant.documents import FILE

        path = self.pointer.path()
        if path is None or not (path / FILE).is_file():
            with self.store.reader() as generation:  # says how to build an index when there is none
                return self.corpus(generation)
        return load_corpus(path, self.taxonomy)

    @cached_property
    def closeness(self) -> Closeness:
        from assistant.closeness import Closeness

        return Closeness(self.embedder)

    @cached_property
    def feedback(self) -> FeedbackLog:
        if self.database is not None:
            return PostgresFeedback(self.database)
        return FeedbackStore(self.settings.data_dir / "feedback.sqlite")

    @cached_property
    def uploads(self) -> KeptUploads:
        if self.database is not None:
            return PostgresUploads(self.database)
        return UploadFolder(self.settings.data_dir / "uploads")

    def tools_in(self, text: str) -> set[str]:
        """The tools and platforms a text names (Rust, Kubernetes, PyTorch, LLMs), not concepts
        such as statistics or model deployment (ids with "_"), which the article says in words
        the taxonomy does not list."""
        return {skill for skill in self.taxonomy.find(text)
                if "_" not in skill and self.taxonomy.skills[skill].category in ("software", "cloud", "data_eng", "ml")}

    def core(self, retriever: HybridRetriever) -> list[Source] | None:
        """The article's passages numbered 1..N, when the whole of it fits the budget."""
        from assistant.answer import sources_from

        core = sources_from(retriever.core_passages())
        # About four characters a token in English prose, for the model's own tokenizer.
        if not core or sum(len(s.text) for s in core) / 4 > self.settings.core_context_tokens:
            return None
        return core

    def retriever(self, generation: Generation) -> HybridRetriever:
        from assistant.retrieval import HybridRetriever, RetrievalConfig
        from assistant.saved_lexical import load_lexical

        reranker = None
        if self.settings.reranker_model:
            from assistant.rerank import CrossEncoderReranker

            reranker = CrossEncoderReranker(self.settings.reranker_model)
        config = RetrievalConfig(
            k=self.settings.retrieval_k,
            candidates=self.settings.retrieval_candidates,
            max_chunks_per_document=self.settings.max_chunks_per_document,
            max_article_chunks=self.settings.max_article_chunks,
        )
        return HybridRetriever(generation, self.embedder, load_lexical(generation), config, reranker)

    def assistant(
        self, generation: Generation, backend: str | None = None, retriever: HybridRetriever | None = None
    ) -> Assistant:
        backend = backend or self.settings.backend
        retriever = retriever or self.retriever(generation)
        chat = self.chat_model(backend)
        answerer = self.corpus_answerer(generation, retriever, chat, backend)
        sections = [str(h.metadata.get("section") or "") for h in retriever.core_passages()]
        return Assistant(
            retriever=retriever,
            chat=chat,
            core=self.core(retriever) if chat is not None else None,
            skills_in=self.tools_in,
            closeness=self.closeness,
            backend=backend,
            min_relevance=self.settings.min_relevance,
            prompt_sources=self.settings.prompt_sources,
            max_answer_tokens=self.settings.max_answer_tokens,
            corpus_answers=answerer,
            coverage=lambda: answerer.coverage(sections),
        )

    def corpus_answerer(self, generation: Generation, retriever: HybridRetriever | None = None,
                        chat: ChatModel | None = None, backend: str = "extractive") -> CorpusAnswerer:
        return CorpusAnswerer(lambda: self.corpus(generation), retriever or self.retriever(generation), chat,
                              backend, self.settings.max_answer_tokens)


def build_services(
    settings: Settings, *, embedder: Embedder | None = None, chat: ChatModel | None = None
) -> Services:
    offline_environment()
    return Services(settings, embedder, chat)
