"""End-to-end answer latency per backend, in process: retrieval, the first token and the
whole answer, over the development questions."""

from __future__ import annotations

import json
import time
from typing import Any

from assistant.container import Services
from assistant.errors import AssistantError
from assistant.settings import REPO_ROOT

QUESTIONS = REPO_ROOT / "eval" / "dev.jsonl"


def questions() -> list[str]:
    return [json.loads(line)["question"] for line in QUESTIONS.read_text(encoding="utf-8").splitlines()]


def percentiles(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    if not ordered:
        return {}
    return {"p50": round(ordered[len(ordered) // 2], 1), "p95": round(ordered[int(0.95 * (len(ordered) - 1))], 1)}


def answer_figures(services: Services, backend: str, count: int) -> dict[str, Any]:
    """Latency of `count` questions answered by `backend` over the published index (ms)."""
    asked = questions()[:count]
    totals: list[float] = []
    first_tokens: list[float] = []
    try:
        with services.store.reader() as generation:
            assistant = services.assistant(generation, backend)
            assistant.ask("warm up")
            for question in asked:
                started = time.perf_counter()
                answer = assistant.ask(question)
                totals.append((time.perf_counter() - started) * 1000)
                if "first_token_ms" in answer.timings:
                    first_tokens.append(answer.timings["retrieve_ms"] + answer.timings["first_token_ms"])
    except AssistantError as exc:
        return {"skipped": str(exc)}
    return {"questions": len(asked), "answer_ms": percentiles(totals), "first_token_ms": percentiles(first_tokens)}
