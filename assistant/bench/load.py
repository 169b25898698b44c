"""A bounded load test of a running server: concurrent users asking questions through
POST /api/chat. Prints one JSON object: throughput, latency percentiles, errors.

    bash scripts/run &        # or any server on 127.0.0.1
    .venv/bin/python -m assistant.bench.load --users 20 --requests 10 --backend extractive
    .venv/bin/python -m assistant.bench.load --users 4 --requests 2 --backend local
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
from urllib.parse import urlsplit

import httpx

from assistant.bench.answers import questions as development_questions


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(share * len(ordered)))], 3) if ordered else 0.0


async def user(client: httpx.AsyncClient, url: str, questions: list[str], offset: int, requests: int,
               backend: str, latencies: list[float], errors: list[str]) -> None:
    for i in range(requests):
        question = questions[(offset + i) % len(questions)]
        started = time.perf_counter()
        try:
            response = await client.post(f"{url}/api/chat", json={"message": question, "backend": backend})
            if response.status_code != 200:
                errors.append(f"{response.status_code}: {response.text[:200]}")
                continue
            response.json()["answer"]
        except (httpx.HTTPError, KeyError, ValueError) as exc:
            errors.append(f"{type(exc).__name__}: {exc}")
            continue
        latencies.append(time.perf_counter() - started)


async def run(url: str, users: int, requests: int, backend: str, timeout: float) -> dict[str, object]:
    if urlsplit(url).hostname not in ("127.0.0.1", "localhost"):
        raise SystemExit("load tests only run against 127.0.0.1")
    questions = development_questions()
    latencies: list[float] = []
    errors: list[str] = []
    limits = httpx.Limits(max_connections=users, max_keepalive_connections=users)
    async with httpx.AsyncClient(timeout=timeout, limits=limits) as client:
        started = time.perf_counter()
        await asyncio.gather(*(user(client, url, questions, u * 7, requests, backend, latencies, errors)
                               for u in range(users)))
        elapsed = time.perf_counter() - started
    return {
        "url": url, "backend": backend, "users": users, "requests": users * requests,
        "ok": len(latencies), "errors": len(errors), "error_samples": errors[:5],
        "seconds": round(elapsed, 2), "throughput_rps": round(len(latencies) / elapsed, 2),
        "latency_s": {"p50": percentile(latencies, 0.5), "p95": percentile(latencies, 0.95),
                      "p99": percentile(latencies, 0.99), "mean": round(statistics.fmean(latencies), 3) if latencies else 0},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:7860")
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--requests", type=int, default=10, help="per user")
    parser.add_argument("--backend", default="extractive", choices=["extractive", "local", "openai"])
    parser.add_argument("--timeout", type=float, default=600.0)
    args = parser.parse_args()
    print(json.dumps(asyncio.run(run(args.url.rstrip("/"), args.users, args.requests, args.backend, args.timeout)),
                     indent=2))


if __name__ == "__main__":
    main()
