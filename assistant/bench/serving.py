"""The server as a user starts it: time until ready, memory at rest and under load, and
the load test's throughput and latency. Linux only (memory from /proc)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from assistant.bench.load import run as load_run


def memory_mb(pid: int) -> dict[str, float]:
    """Resident memory now and its peak so far (VmRSS, VmHWM)."""
    fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line)
    return {"rss_mb": round(int(fields["VmRSS"].split()[0]) / 1024, 1),
            "peak_rss_mb": round(int(fields["VmHWM"].split()[0]) / 1024, 1)}


def serve_figures(index_dir: Path, port: int, *, users: int, requests: int, local_users: int,
                  local_requests: int, env: dict[str, str] | None = None) -> dict[str, Any]:
    """Start `serve` on 127.0.0.1 over `index_dir`, measure it, stop it."""
    environment = {**os.environ, **(env or {}), "ASSISTANT_INDEX_DIR": str(index_dir), "HF_HUB_OFFLINE": "1"}
    url = f"http://127.0.0.1:{port}"
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-m", "assistant", "serve", "--host", "127.0.0.1", "--port", str(port)],
                               env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        ready_s = _wait_ready(url, process, started)
        figures: dict[str, Any] = {"cold_start_s": round(ready_s, 2), "at_rest": memory_mb(process.pid)}
        figures["load_extractive"] = asyncio.run(load_run(url, users, requests, "extractive", 600))
        figures["after_extractive_load"] = memory_mb(process.pid)
        if local_users:
            figures["load_local"] = asyncio.run(load_run(url, local_users, local_requests, "local", 1800))
            figures["after_local_load"] = memory_mb(process.pid)
        return figures
    finally:
        process.terminate()
        process.wait(timeout=60)


def _wait_ready(url: str, process: subprocess.Popen, started: float, timeout: float = 600) -> float:
    while time.perf_counter() - started < timeout:
        if process.poll() is not None:
            raise RuntimeError(f"serve exited with {process.returncode}")
        try:
            if httpx.get(f"{url}/api/health", timeout=2).json().get("ready"):
                return time.perf_counter() - started
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"serve was not ready after {timeout} s")
