"""Optional reranking with a local sentence-transformers CrossEncoder (off by default:
none ships with its weights on PyPI, so a user points `reranker_model` at their own)."""

from __future__ import annotations

import dataclasses

from assistant.embeddings import resolve_model_path
from assistant.types import Hit


class CrossEncoderReranker:
    def __init__(self, model: str) -> None:
        from sentence_transformers import CrossEncoder

        self._model = CrossEncoder(str(resolve_model_path(model)), device="cpu", local_files_only=True)

    def __call__(self, query: str, hits: list[Hit]) -> list[Hit]:
        if not hits:
            return hits
        scores = self._model.predict([(query, h.text) for h in hits], show_progress_bar=False)
        rescored = [dataclasses.replace(h, score=round(float(s), 5)) for h, s in zip(hits, scores, strict=True)]
        return sorted(rescored, key=lambda h: h.score, reverse=True)
