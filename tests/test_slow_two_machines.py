"""Two "machines" with no shared disk: two `serve` processes with empty index folders of
their own, and refreshes from a third folder, on a real PostgreSQL and Chroma server with
the real embedding model.

- both servers answer from a generation another process publishes, without a restart;
- a refresh killed with SIGKILL leaves both answering from the published one, and the
  next refresh drops what it left;
- two refreshes from different processes at once: one is refused (exit 5).
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg
import pytest

from tests.conftest import _cli_env, cli, cli_json, free_port, kill_refresh_midway, write_jsonl

pytestmark = pytest.mark.slow

NEW_POSTING = {"id": "zz-2", "title": "Quantum Data Wrangler", "company": "Zebulon Widgets", "location": "Remote",
               "description": "Wrangle quantum telemetry with Zebulonic pipelines.\nRequirements:\n- Rust and Kafka"}
QUERY = "Zebulonic quantum telemetry"


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory, chroma_server: str, postgres_server: str) -> Iterator[dict]:
    """The two URLs, a collection of this module's own, and the shipped corpus built from a folder
    no server uses."""
    from sqlalchemy.engine import make_url

    name = f"machines_{time.time_ns()}"
    with psycopg.connect(postgres_server, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = make_url(postgres_server).set(database=name).render_as_string(hide_password=False)
    settings = {"chroma_url": chroma_server, "database_url": url, "collection": name, "backend": "extractive"}
    root = tmp_path_factory.mktemp("machines")
    cli(root / "builder" / "index", "build", settings=settings)
    try:
        yield {"settings": settings, "root": root, "url": url}
    finally:
        with psycopg.connect(postgres_server, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def serve(index_dir: Path, settings: dict[str, str]) -> tuple[subprocess.Popen, str]:
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "assistant", "serve", "--port", str(port)],
                               env=_cli_env(index_dir, **settings), stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    return process, f"http://127.0.0.1:{port}"


def wait_ready(process: subprocess.Popen, url: str, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, f"serve at {url} exited with {process.returncode}"
        try:
            if httpx.get(f"{url}/api/health", timeout=5).json()["ready"]:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise AssertionError(f"serve at {url} not ready after {timeout} s")


@pytest.fixture(scope="module")
def servers(shared: dict) -> Iterator[list[str]]:
    started = [serve(shared["root"] / f"server-{i}" / "index", shared["settings"]) for i in (1, 2)]
    try:
        for process, url in started:
            wait_ready(process, url)
        yield [url for _, url in started]
    finally:
        for process, _ in started:
            process.terminate()
        for process, _ in started:
            process.wait(timeout=60)


def generation_of(url: str) -> str:
    return httpx.get(f"{url}/api/status", timeout=30).json()["generation"]


def top_hit(url: str) -> str:
    hits = httpx.post(f"{url}/api/search", json={"query": QUERY, "k": 1}, timeout=60).json()["results"]
    return hits[0]["doc_id"]


def test_both_servers_answer_from_a_generation_another_process_publishes(shared: dict, servers: list[str],
                                                                          feeds, tmp_path: Path) -> None:
    settings, refresher = shared["settings"], shared["root"] / "refresher" / "index"
    before = {generation_of(url) for url in servers}
    assert len(before) == 1
    for i, _ in enumerate(servers, start=1):  # nothing of an index but the fetched generation's files
        folder = shared["root"] / f"server-{i}" / "index"
        assert [p.name for p in folder.iterdir()] == list(before)
        assert not (folder / next(iter(before)) / "chroma").exists()

    report = cli_json(refresher, "ingest", str(feeds["incoming"]), "--skip-invalid", settings=settings)
    cli(refresher, "ingest", str(write_jsonl(tmp_path / "new.jsonl", [NEW_POSTING])), settings=settings)

    published = cli_json(refresher, "status", settings=settings)
    assert published["generation"] not in before
    for url in servers:
        assert generation_of(url) == published["generation"]
        assert top_hit(url) == "zz-2"
        reply = httpx.post(f"{url}/api/chat", json={"message": "Which postings ask for Zebulonic pipelines?"},
                           timeout=120)
        assert reply.status_code == 200
    assert report["added"] > 50
    print(json.dumps({"two_machines": {"published": published["generation"], "documents": published["documents"],
                                       "chunks": published["chunks"], "servers": servers}}))


def test_a_killed_refresh_leaves_both_servers_on_the_published_generation(shared: dict, servers: list[str],
                                                                          feeds, tmp_path: Path) -> None:
    settings, refresher = shared["settings"], shared["root"] / "killed" / "index"
    before = cli_json(refresher, "status", settings=settings)
    lines = feeds["postings"].read_text(encoding="utf-8").splitlines()[:150]
    batch = write_jsonl(tmp_path / "batch.jsonl", [json.loads(line) for line in lines])
    kill_refresh_midway(refresher, batch, settings, lambda: _writing(shared["url"]), wait=180, past=8)
    assert _writing(shared["url"]), "the killed refresh left no trace to clean up"
    for url in servers:
        assert generation_of(url) == before["generation"]
        assert top_hit(url) == "zz-2"

    # Another folder's refresh drops what the killed one left, and both servers move on.
    report = cli_json(shared["root"] / "rerun" / "index", "ingest", str(batch), settings=settings)
    assert report["added"] + report["duplicates"] == 150
    assert not _writing(shared["url"])
    after = cli_json(refresher, "status", settings=settings)
    assert after["documents"] == before["documents"] + report["added"]
    for url in servers:
        assert generation_of(url) == after["generation"]


def test_two_refreshes_from_different_processes_one_is_refused(shared: dict, tmp_path: Path) -> None:
    settings = shared["settings"]
    # Enough new text that the first refresh is still embedding when the second asks for the lock.
    feed = write_jsonl(tmp_path / "one.jsonl", [
        {**NEW_POSTING, "id": f"zz-{i}", "title": f"Wrangler {i}",
         "description": f"Posting {i}: " + " ".join(f"skill{i}x{j} with tool{j}" for j in range(60))}
        for i in range(3, 200)])
    runs = [subprocess.Popen([sys.executable, "-m", "assistant", "ingest", str(feed)],
                             env=_cli_env(shared["root"] / f"racer-{i}" / "index", **settings),
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True) for i in (1, 2)]
    results = [(run.wait(timeout=600), run.stderr.read() if run.stderr else "") for run in runs]
    codes = sorted(code for code, _ in results)
    assert codes == [0, 5], results
    refused = next(err for code, err in results if code == 5)
    assert "another process is refreshing" in refused


def _writing(url: str) -> bool:
    with psycopg.connect(url) as connection:
        return bool(connection.execute("SELECT count(*) FROM index_generations WHERE state = 'writing'").fetchone()[0])
