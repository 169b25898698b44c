"""PostgreSQL going away under a running app server and coming back: requests fail with a
503 that names the server while it is down, and answer again once it is up, without a
restart of the app. A cluster of this test's own (the other tests share one)."""

from __future__ import annotations

import re
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from assistant.container import build_services
from assistant.database import dispose_all
from assistant.settings import Settings
from tests.conftest import NO_POSTGRES_BINARIES, REQUIRE_POSTGRES, TEST_POSTGRES, build_index
from tests.fakes import HashingEmbedder
from ui.api import make_app


def postgres(action: str, folder: str) -> str:
    done = subprocess.run(["bash", str(TEST_POSTGRES), action, folder], capture_output=True, text=True,
                          timeout=120, check=False)
    if done.returncode == NO_POSTGRES_BINARIES and action == "start" and not REQUIRE_POSTGRES:
        pytest.skip(f"no PostgreSQL for this test: {done.stderr.strip()}")
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


@pytest.fixture
def own_cluster() -> Iterator[tuple[str, str]]:
    folder = tempfile.mkdtemp(prefix="assistant-test-restart-")
    url = postgres("start", folder)
    try:
        yield url, folder
    finally:
        dispose_all()
        subprocess.run(["bash", str(TEST_POSTGRES), "stop", folder], timeout=120, check=False)


def test_requests_get_a_503_while_postgres_is_down_and_answer_again_after(
        settings: Settings, own_cluster: tuple[str, str], chroma_server: str) -> None:
    url, folder = own_cluster
    services = build_services(settings.model_copy(update={
        "database_url": SecretStr(url), "chroma_url": chroma_server, "collection": f"restart{time.time_ns()}"}),
        embedder=HashingEmbedder())
    build_index(services)
    port = re.search(r":(\d+)/", url).group(1)  # type: ignore[union-attr]
    search = {"query": "Do ML engineers need statistics?", "k": 2}
    with TestClient(make_app(services, chat_page=False)) as client:
        assert client.post("/api/search", json=search).status_code == 200

        postgres("down", folder)
        for path, body in (("/api/search", search), ("/api/chat", {"message": "What is MLOps?"})):
            down = client.post(path, json=body)
            assert down.status_code == 503, (path, down.text)
            assert re.match(rf"the PostgreSQL server at 127\.0\.0\.1:{port} \(database 'postgres'\) does not answer",
                            down.json()["error"])
        assert client.get("/api/status").status_code == 503
        assert client.get("/api/health").status_code == 200  # the process itself is alive

        postgres("up", folder)
        back = client.post("/api/search", json=search)
        assert back.status_code == 200 and back.json()["results"]
        assert client.get("/api/status").json()["documents"] == services.pointer.manifest()["documents"]
