"""The Chroma server mode with the real embedding model: `serve --workers 2` answers while
another process refreshes, and a refresh killed with SIGKILL leaves the old index whole.

Works on `incoming.jsonl` (99 postings), so the index builds in about a minute.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import _cli_env, cli, cli_json, free_port, kill_refresh_midway, write_jsonl

pytestmark = pytest.mark.slow

NEW_POSTING = {"id": "zz-1", "title": "Quantum Data Wrangler", "company": "Zebulon Widgets", "location": "Remote",
               "description": "Wrangle quantum telemetry with Zebulonic pipelines.\nRequirements:\n- Rust and Kafka"}


@pytest.fixture(scope="module")
def server_index(tmp_path_factory: pytest.TempPathFactory, chroma_server: str, feeds) -> tuple[Path, dict[str, str]]:
    settings = {"chroma_url": chroma_server, "collection": f"slow{time.time_ns()}"}
    index_dir = tmp_path_factory.mktemp("server-mode") / "index"
    cli(index_dir, "ingest", str(feeds["incoming"]), "--skip-invalid", settings=settings)
    return index_dir, settings


@pytest.fixture
def workers(server_index) -> Iterator[str]:
    index_dir, settings = server_index
    port = free_port()
    env = _cli_env(index_dir, backend="extractive", **settings)
    process = subprocess.Popen([sys.executable, "-m", "assistant", "serve", "--workers", "2", "--port", str(port)],
                               env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        pids: set[int] = set()
        deadline = time.monotonic() + 240
        while len(pids) < 2 and time.monotonic() < deadline:
            assert process.poll() is None, "serve --workers 2 exited"
            try:
                health = httpx.get(f"{url}/api/health", timeout=5).json()
                if health["ready"]:
                    pids.add(health["pid"])
            except httpx.HTTPError:
                time.sleep(0.5)
        assert len(pids) == 2, f"expected two ready workers, saw {pids}"
        yield url
    finally:
        process.terminate()
        process.wait(timeout=60)


def test_workers_keep_answering_while_another_process_refreshes(server_index, workers: str,
                                                                 tmp_path: Path) -> None:
    index_dir, settings = server_index
    before = cli_json(index_dir, "status", settings=settings)
    statuses: list[int] = []
    answered_by: set[int] = set()
    stop = threading.Event()

    def chat() -> None:
        with httpx.Client(base_url=workers, timeout=60) as client:
            while not stop.is_set():
                reply = client.post("/api/chat", json={"message": "What does a data engineer do?"})
                statuses.append(reply.status_code)
                answered_by.add(client.get("/api/health").json()["pid"])

    users = [threading.Thread(target=chat) for _ in range(4)]
    for user in users:
        user.start()
    try:
        cli(index_dir, "ingest", str(write_jsonl(tmp_path / "new.jsonl", [NEW_POSTING])), settings=settings)
        time.sleep(2)
    finally:
        stop.set()
        for user in users:
            user.join(timeout=120)
    assert statuses and set(statuses) == {200}, f"errors during the refresh: {statuses}"
    assert len(answered_by) == 2
    after = cli_json(index_dir, "status", settings=settings)
    assert after["documents"] == before["documents"] + 1
    # Every worker answers from the new generation: each request finds the new posting.
    with httpx.Client(base_url=workers, timeout=60) as client:
        for _ in range(8):
            hits = client.post("/api/search", json={"query": "Zebulonic quantum telemetry", "k": 1}).json()["results"]
            assert hits[0]["doc_id"] == "zz-1"


def test_a_killed_refresh_leaves_the_old_index_whole_and_a_rerun_finishes(server_index, feeds,
                                                                         tmp_path: Path) -> None:
    index_dir, settings = server_index
    before = cli_json(index_dir, "status", settings=settings)
    query = "data engineer Spark pipelines"
    hits_before = [h["id"] for h in cli_json(index_dir, "search", query, settings=settings)["results"]]
    lines = feeds["postings"].read_text(encoding="utf-8").splitlines()[:120]
    batch = write_jsonl(tmp_path / "batch.jsonl", [json.loads(line) for line in lines])
    kill_refresh_midway(index_dir, batch, settings, lambda: len(list(index_dir.glob("gen-*"))) >= 2,
                        wait=120, past=10)
    status = cli_json(index_dir, "status", settings=settings)
    assert (status["generation"], status["documents"], status["chunks"]) == (
        before["generation"], before["documents"], before["chunks"])
    assert [h["id"] for h in cli_json(index_dir, "search", query, settings=settings)["results"]] == hits_before

    report = cli_json(index_dir, "ingest", str(batch), settings=settings)
    assert report["added"] + report["duplicates"] == 120
    status = cli_json(index_dir, "status", settings=settings)
    assert status["documents"] == before["documents"] + report["added"]
    assert not any(p.name > status["generation"] for p in index_dir.glob("gen-*"))  # the orphan is gone
    collections = httpx.get(f"{settings['chroma_url']}/api/v2/tenants/default_tenant/databases/default_database"
                            f"/collections", params={"limit": 1000}).json()
    ours = {c["name"] for c in collections if c["name"].startswith(settings["collection"] + "-")}
    assert ours == {f"{settings['collection']}-{p.name}" for p in index_dir.glob("gen-*")}  # no stray vectors
