"""`python -m assistant bench`: the speed figures of issue 6 in one JSON object.

Everything runs on a scratch index in a temporary folder (or scratch collections on the
Chroma server, when one is set), never on the user's index.
"""

from __future__ import annotations

import os
import platform
import socket
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from assistant.container import build_services
from assistant.embeddings import Embedder
from assistant.settings import Settings

QUICK_POSTINGS = 60
QUICK_SIZES = [1000, 10000]
FULL_SIZES = [1000, 10000, 100000]


def run_bench(settings: Settings, postings: Path, *, quick: bool, local: bool = True,
              embedder: Embedder | None = None) -> dict[str, Any]:
    from assistant.bench.answers import answer_figures, questions
    from assistant.bench.ingest import ingest_figures
    from assistant.bench.retrieval import retrieval_figures

    result: dict[str, Any] = {"quick": quick, "machine": machine(), "settings": {
        "embedding_model": settings.embedding_model, "embedding_runtime": settings.embedding_runtime,
        "embedding_threads": settings.embedding_threads,
        "batch_size": settings.embedding_batch_size, "vectors": settings.chroma_url or "embedded"}}
    with tempfile.TemporaryDirectory() as folder:
        scratch = settings.model_copy(update={"index_dir": Path(folder) / "index", "data_dir": Path(folder) / "data",
                                              "collection": f"bench{datetime.now(UTC):%Y%m%d%H%M%S}"})
        services = build_services(scratch, embedder=embedder)
        try:
            result["ingest"] = ingest_figures(services, postings, limit=QUICK_POSTINGS if quick else None)
            asked = questions()[:20] if quick else questions()
            sizes = QUICK_SIZES if quick else FULL_SIZES
            result["retrieval"] = retrieval_figures(services, sizes, asked)
            if not quick:
                result["answers"] = {"extractive": answer_figures(services, "extractive", len(asked))}
                if local:
                    result["answers"]["local"] = answer_figures(services, "local", 5)
                from assistant.bench.serving import serve_figures

                result["serve"] = serve_figures(
                    scratch.index_dir, free_port(), users=20, requests=10,
                    local_users=4 if local else 0, local_requests=2,
                    env={"ASSISTANT_BACKEND": "local" if local else "extractive",
                         "ASSISTANT_CHROMA_URL": scratch.chroma_url, "ASSISTANT_COLLECTION": scratch.collection,
                         "ASSISTANT_DATA_DIR": str(scratch.data_dir)})
        finally:
            services.store.destroy()
    result["ingest_ratio_to_raw_encode"] = result["ingest"]["ingest_ratio_to_raw_encode"]
    result["nochange_refresh_ratio_to_full"] = result["ingest"]["nochange_refresh_ratio_to_full"]
    result["retrieval_p95_ms"] = {size: {kind: figures[f"{kind}_ms"]["p95"] for kind in ("dense", "bm25", "fused")}
                                  for size, figures in result["retrieval"].items()}
    return result


def machine() -> dict[str, Any]:
    return {"cpu": _proc_field("/proc/cpuinfo", "model name") or platform.processor(), "cores": os.cpu_count(),
            "memory": _proc_field("/proc/meminfo", "MemTotal"), "python": platform.python_version(),
            "when": datetime.now(UTC).isoformat(timespec="seconds")}


def _proc_field(path: str, name: str) -> str:
    if not Path(path).is_file():
        return ""
    return next((line.split(":", 1)[1].strip() for line in Path(path).read_text().splitlines()
                 if line.startswith(name)), "")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
