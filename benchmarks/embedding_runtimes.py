"""The two embedding runtimes side by side: encode rate, a question's latency, and `serve`
(cold start, memory, extractive load) with each. Prints one JSON object.

    .venv/bin/python benchmarks/embedding_runtimes.py --postings ../shared/data/postings.jsonl --index index

The runtimes alternate round by round, so a change in the machine's load hits both.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from assistant.bench import free_port, machine  # noqa: E402
from assistant.bench.answers import percentiles, questions  # noqa: E402
from assistant.bench.serving import serve_figures  # noqa: E402
from assistant.embeddings import SentenceTransformerEmbedder  # noqa: E402
from assistant.onnx_embedder import OnnxEmbedder  # noqa: E402
from assistant.settings import Settings  # noqa: E402

RUNTIMES = ("torch", "onnx")


def encode_figures(postings: Path, count: int, rounds: int) -> dict:
    settings = Settings()
    texts = [json.loads(line)["description"] for line in postings.read_text(encoding="utf-8").splitlines()[:count]]
    embedders = {
        "torch": SentenceTransformerEmbedder(settings.embedding_model, batch_size=settings.embedding_batch_size),
        "onnx": OnnxEmbedder(settings.embedding_model, models_dir=settings.models_dir,
                             batch_size=settings.embedding_batch_size),
    }
    rates: dict[str, list[float]] = {name: [] for name in RUNTIMES}
    for embedder in embedders.values():
        embedder.embed_batch(texts[:32])
    for _ in range(rounds):
        for name, embedder in embedders.items():
            started = time.perf_counter()
            embedder.embed_batch(texts)
            rates[name].append(len(texts) / (time.perf_counter() - started))
    asked = questions()
    figures = {}
    for name, embedder in embedders.items():
        latencies = []
        for question in asked:
            started = time.perf_counter()
            embedder.embed_batch([question])
            latencies.append((time.perf_counter() - started) * 1000)
        figures[name] = {"passages_per_s": round(statistics.median(rates[name]), 1),
                         "passages_per_s_rounds": [round(r, 1) for r in rates[name]],
                         "question_ms": percentiles(latencies)}
    return {"passages": len(texts), "rounds": rounds, **figures}


def serve_rounds(index_dir: Path, rounds: int) -> dict:
    runs: dict[str, list[dict]] = {name: [] for name in RUNTIMES}
    for _ in range(rounds):
        for name in RUNTIMES:
            figures = serve_figures(index_dir, free_port(), users=20, requests=10, local_users=0, local_requests=0,
                                    env={"ASSISTANT_BACKEND": "extractive", "ASSISTANT_EMBEDDING_RUNTIME": name})
            load = figures["load_extractive"]
            runs[name].append({"cold_start_s": figures["cold_start_s"], "rss_at_rest_mb": figures["at_rest"]["rss_mb"],
                               "rss_after_load_mb": figures["after_extractive_load"]["rss_mb"],
                               "ok": load["ok"], "errors": load["errors"], "throughput_rps": load["throughput_rps"],
                               "latency_s": load["latency_s"]})
    return runs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postings", type=Path, required=True)
    parser.add_argument("--index", type=Path, required=True, help="A built index for `serve`.")
    parser.add_argument("--passages", type=int, default=160)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--serve-rounds", type=int, default=2)
    args = parser.parse_args()
    result = {"machine": machine(), "encode": encode_figures(args.postings, args.passages, args.rounds),
              "serve_extractive_20x10": serve_rounds(args.index.resolve(), args.serve_rounds)}
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
