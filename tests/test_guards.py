"""What the server refuses before the app runs: foreign Host names, bodies over the limit
however they are sent, uploads without a token, and Gradio's upload route when nothing on
the page takes files. Also the method and origin checks."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from assistant.container import Services
from tests.conftest import free_port
from ui.api import make_app
from ui.guards import host_name, served_hosts
from ui.origins import same_origin


@pytest.fixture
def server(api_services: Services) -> Iterator[tuple[int, Services]]:
    """The app under uvicorn on 127.0.0.1: only a real server shows when it stops reading."""
    import uvicorn

    api_services.settings = api_services.settings.model_copy(update={"admin_token": SecretStr("t0ken")})
    port = free_port()
    running = uvicorn.Server(uvicorn.Config(make_app(api_services, chat_page=False), host="127.0.0.1", port=port,
                                            log_level="warning"))
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not running.started and time.monotonic() < deadline:
        time.sleep(0.05)
    yield port, api_services
    running.should_exit = True
    thread.join(10)


def send_chunked(port: int, path: str, total: int, headers: dict[str, str] | None = None,
                 first: bytes = b"") -> tuple[int, int]:
    """POST `total` bytes chunked (no Content-Length); the status and how much was sent
    before the server answered or closed."""
    headers = {"Content-Type": "application/json", **(headers or {})}
    lines = [f"POST {path} HTTP/1.1", f"Host: 127.0.0.1:{port}", "Transfer-Encoding: chunked",
             *(f"{k}: {v}" for k, v in headers.items())]
    sent = 0
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        if first:
            sock.sendall(b"%x\r\n" % len(first) + first + b"\r\n")
        chunk = b"%x\r\n" % 65536 + b" " * 65536 + b"\r\n"
        try:
            while sent < total:
                sock.sendall(chunk)
                sent += 65536
        except OSError:  # the server answered and closed, or stopped reading
            pass
        try:
            reply = sock.recv(4096)
        except OSError:
            reply = b""
    return int(reply.split(b" ", 2)[1]) if reply.startswith(b"HTTP/") else 0, sent


def test_a_chunked_body_over_the_limit_is_refused_as_it_arrives(server: tuple[int, Services]) -> None:
    port, _ = server
    status, sent = send_chunked(port, "/api/chat", 30_000_000)
    assert status == 413 and sent < 10_000_000  # it stopped reading near 1 MB; before, it took all 30


def test_an_upload_without_a_token_is_refused_before_its_body_is_read(server: tuple[int, Services]) -> None:
    port, _ = server
    status, sent = send_chunked(port, "/api/postings", 60_000_000)
    assert status == 401 and sent < 10_000_000  # before: read in full, then 401
    status, sent = send_chunked(port, "/api/postings", 80_000_000, {"X-Admin-Token": "t0ken", "Content-Type": "multipart/form-data; boundary=xyz"},
                                b'--xyz\r\nContent-Disposition: form-data; name="file"; filename="a.jsonl"\r\n\r\n')
    assert status == 413 and sent < 70_000_000


@pytest.mark.parametrize("path", ["/api/chat", "/api/feedback", "/", "/api/health"])
def test_a_foreign_host_name_is_refused(client: TestClient, path: str) -> None:
    """DNS rebinding: a page on evil.example whose name now resolves to this server."""
    headers = {"Host": "evil.example:7860", "Origin": "http://evil.example:7860"}
    response = client.post(path, json={"message": "hi"}, headers=headers) if path != "/api/health" else \
        client.get(path, headers=headers)
    assert response.status_code == 400 and "evil.example" in response.json()["error"]
    assert client.get("/api/health", headers={"Host": "localhost:7860"}).status_code == 200
    assert client.get("/api/health", headers={"Host": "127.0.0.1:7860"}).status_code == 200


def test_allowed_hosts_setting_adds_a_public_name(api_services: Services) -> None:
    api_services.settings = api_services.settings.model_copy(update={"allowed_hosts": ["assistant.example.com"]})
    with TestClient(make_app(api_services, chat_page=False)) as client:
        assert client.get("/api/health", headers={"Host": "assistant.example.com"}).status_code == 200
        assert client.get("/api/health", headers={"Host": "other.example.com"}).status_code == 400


def test_served_hosts_and_host_names() -> None:
    assert served_hosts("127.0.0.1", []) == {"localhost", "127.0.0.1", "::1"}
    assert "wiki-box" in served_hosts("wiki-box", ["a.example"]) and "a.example" in served_hosts("x", ["a.example"])
    assert (host_name("Example.COM:80"), host_name("[::1]:7860"), host_name("::1"), host_name("")) == (
        "example.com", "::1", "::1", "")


def test_same_origin_compares_scheme_host_and_port() -> None:
    assert same_origin("http://localhost:7860", "http", "localhost:7860")
    assert same_origin("http://localhost", "http", "localhost:80")
    assert not same_origin("https://localhost:7860", "http", "localhost:7860")  # the scheme counts
    assert not same_origin("http://localhost:7861", "http", "localhost:7860")
    assert not same_origin("http://evil.localhost:7860", "http", "localhost:7860")
    assert not same_origin("null", "http", "localhost:7860")
    assert not same_origin("http://localhost:x", "http", "localhost:x")


def test_an_origin_with_another_scheme_is_refused(client: TestClient) -> None:
    response = client.post("/api/chat", json={"message": "hi"},
                           headers={"Host": "localhost:7860", "Origin": "https://localhost:7860"})
    assert response.status_code == 403


def test_gradio_upload_route_is_closed_when_uploads_are_off(client: TestClient, api_services: Services) -> None:
    files = {"files": ("x.jsonl", b"{}\n")}
    assert client.post("/gradio_api/upload", files=files).status_code == 403
    assert client.post("/embed/gradio_api/upload", files=files).status_code == 403
    api_services.settings = api_services.settings.model_copy(update={"admin_token": SecretStr("t0ken")})
    with TestClient(make_app(api_services)) as admin_page:
        assert admin_page.post("/embed/gradio_api/upload", files=files).status_code == 403  # never a file input there
        assert admin_page.post("/gradio_api/upload", files=files).status_code == 200  # the Admin tab's file input


@pytest.mark.parametrize(("method", "path", "allow"), [
    ("GET", "/api/chat", "POST"), ("PUT", "/api/search", "POST"), ("GET", "/v1/chat/completions", "POST"),
    ("DELETE", "/api/health", "GET"),
])
def test_a_wrong_method_is_405_with_allow(client: TestClient, method: str, path: str, allow: str) -> None:
    response = client.request(method, path)
    assert response.status_code == 405 and response.headers["allow"] == allow
    error = response.json()["error"]  # /v1 answers in OpenAI's shape (tests/test_openai_api.py)
    assert method in (error["message"] if path.startswith("/v1/") else error)


def test_an_unknown_api_path_is_404_json(client: TestClient) -> None:
    response = client.get("/api/nope")
    assert response.status_code == 404 and "no such endpoint" in response.json()["error"]


def test_an_upload_name_over_255_bytes_is_shortened_not_a_500(api_services: Services, tmp_path: Path) -> None:
    api_services.settings = api_services.settings.model_copy(update={"admin_token": SecretStr("t0ken")})
    record = {"id": "long-1", "title": "Data Engineer", "description": "Build Spark pipelines.", "company": "X"}
    with TestClient(make_app(api_services, chat_page=False)) as client:
        response = client.post("/api/postings", files={"file": ("é" * 300 + ".jsonl", json.dumps(record).encode())},
                               headers={"X-Admin-Token": "t0ken"})
    assert response.status_code == 200, response.text
    uploads = api_services.settings.data_dir / "uploads"
    assert [p.name for p in uploads.iterdir()] == ["_" + ".jsonl"] or all(len(p.name) <= 110 for p in uploads.iterdir())
    assert not list(uploads.glob(".staging-*"))
