"""Time to first token on the local model: the whole article as a saved, reused prompt
prefix against the conventional prompt (system, four ~700-character passages, the
question), both in the same run on the same questions.

    .venv/bin/python benchmarks/article_prefix.py [--questions 8] [--index-dir DIR]

The conventional prompt is read cold each time, as it always is (the passages differ per
question). The prefix is evaluated once (its one-time cost is printed), saved to disk,
and loaded into a fresh model to show what a restart pays. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

QUESTIONS = [
    "What's the difference between an ML engineer and a data scientist?",
    "Do ML engineers need to know statistics?",
    "Which cloud platforms should an ML engineer know?",
    "What is technical architecture, according to the author?",
    "Why did the author leave data engineering out of the skillsets?",
    "What general software engineering practices must ML engineers know?",
    "What do data science students spend most of their time on?",
    "Where does the author think the industry is heading?",
    "Which languages besides Python might an ML engineer need?",
    "How has the insurance industry built predictive models without machine learning?",
]


def _timed(chat, messages: list[dict[str, str]], max_tokens: int) -> tuple[float, float, str]:  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    first = 0.0
    pieces = []
    for piece in chat.stream(messages, max_tokens=max_tokens):
        if not first:
            first = time.perf_counter() - started
        pieces.append(piece)
    return first, time.perf_counter() - started, "".join(pieces)


def _summary(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {"p50": round(statistics.median(ordered), 2),
            "p95": round(ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))], 2)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--questions", type=int, default=8)
    parser.add_argument("--max-tokens", type=int, default=96)
    parser.add_argument("--index-dir", type=Path, default=None)
    args = parser.parse_args()

    from assistant.answer import build_core_messages, build_messages, core_prefix, sources_from
    from assistant.container import build_services
    from assistant.llm import LlamaCppChat
    from assistant.local_model import assemble
    from assistant.settings import Settings

    if args.index_dir:  # the environment outranks constructor arguments in Settings
        os.environ["ASSISTANT_INDEX_DIR"] = str(args.index_dir)
    settings = Settings()
    services = build_services(settings)
    model = assemble(settings.models_dir)
    questions = QUESTIONS[: args.questions]
    with services.store.reader() as generation, tempfile.TemporaryDirectory() as states:
        retriever = services.retriever(generation)
        core = services.core(retriever)
        assert core, "the article does not fit core_context_tokens"
        passages = {q: sources_from(retriever.retrieve(q, k=4, filters={"kind": "article"})) for q in questions}
        chat = LlamaCppChat(model, threads=settings.llm_threads, context=settings.llm_context,
                            state_dir=Path(states))
        prefix_s = chat.prepare(core_prefix(core))
        rows = []
        for question in questions:
            # Alternate so that a change in the machine's load hits both prompts alike.
            conventional = _timed(chat, build_messages(question, passages[question]), args.max_tokens)
            chat.prepare(core_prefix(core))  # the conventional prompt evicted it: reload from disk
            prefixed = _timed(chat, build_core_messages(question, core, []), args.max_tokens)
            rows.append({"question": question, "conventional_first_s": round(conventional[0], 2),
                         "prefix_first_s": round(prefixed[0], 2), "conventional_total_s": round(conventional[1], 2),
                         "prefix_total_s": round(prefixed[1], 2), "prefix_answer": prefixed[2]})
        del chat
        restarted = LlamaCppChat(model, threads=settings.llm_threads, context=settings.llm_context,
                                 state_dir=Path(states))
        load_s = restarted.prepare(core_prefix(core))
        after_restart = _timed(restarted, build_core_messages(questions[0], core, []), args.max_tokens)[0]
    conventional_first = [r["conventional_first_s"] for r in rows]
    prefix_first = [r["prefix_first_s"] for r in rows]
    print(json.dumps({
        "questions": len(rows),
        "prefix_one_time_s": round(prefix_s, 1),
        "prefix_load_after_restart_s": round(load_s, 2),
        "first_token_after_restart_s": round(after_restart, 2),
        "first_token_s": {"conventional": _summary(conventional_first), "prefix": _summary(prefix_first)},
        "answer_s": {"conventional": _summary([r["conventional_total_s"] for r in rows]),
                     "prefix": _summary([r["prefix_total_s"] for r in rows])},
        "first_token_ratio_p50": round(statistics.median(prefix_first) / statistics.median(conventional_first), 3),
        "rows": rows,
    }, indent=1, ensure_ascii=False))


if __name__ == "__main__":
    main()
