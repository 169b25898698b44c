"""Refresh time in each storage mode: the same postings ingested into a new index as
embedded Chroma, on a Chroma server, and on a Chroma server with the generations in
PostgreSQL, then a no-change refresh, with the real embedding model (a CLI process each).

    PYTHONPATH=$PWD .venv/bin/python benchmarks/refresh_modes.py \
        --chroma-url http://127.0.0.1:8000 --database-url postgresql://... [--postings FILE]

Prints one JSON line per mode: first ingest and no-change refresh in seconds (wall clock,
model loading included), documents and chunks.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from assistant.settings import REPO_ROOT

DEFAULT_POSTINGS = REPO_ROOT.parent / "shared" / "data" / "postings.jsonl"


def timed_ingest(env: dict[str, str], postings: Path) -> tuple[float, dict]:
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "assistant", "ingest", str(postings), "--skip-invalid", "--json"],
                          env=env, capture_output=True, text=True, check=True)
    return time.perf_counter() - started, json.loads(done.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postings", type=Path, default=DEFAULT_POSTINGS)
    parser.add_argument("--chroma-url", required=True)
    parser.add_argument("--database-url", required=True)
    args = parser.parse_args()
    modes = {"embedded": {}, "chroma server": {"ASSISTANT_CHROMA_URL": args.chroma_url},
             "postgres + chroma server": {"ASSISTANT_CHROMA_URL": args.chroma_url,
                                          "ASSISTANT_DATABASE_URL": args.database_url}}
    with tempfile.TemporaryDirectory() as folder:
        for mode, servers in modes.items():
            base = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
            env = {**base, **servers, "HF_HUB_OFFLINE": "1", "ASSISTANT_COLLECTION": f"modes{time.time_ns()}",
                   "ASSISTANT_INDEX_DIR": str(Path(folder) / mode.replace(" ", "-") / "index"),
                   "ASSISTANT_DATA_DIR": str(Path(folder) / mode.replace(" ", "-") / "data")}
            first_s, report = timed_ingest(env, args.postings)
            again_s, _ = timed_ingest(env, args.postings)
            print(json.dumps({"mode": mode, "ingest_s": round(first_s, 1), "nochange_s": round(again_s, 1),
                              "added": len(report.get("added", [])) if isinstance(report.get("added"), list)
                              else report.get("added"), "chunks": report.get("chunks")}), flush=True)


if __name__ == "__main__":
    main()
