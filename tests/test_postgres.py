"""The bookkeeping in PostgreSQL (`database_url`), against a real server: feedback, kept
uploads, and the refresh lock raced for by processes of their own.

Each test has a database of its own (the `database_url` fixture). Processes racing for the
lock: test_slow_postgres_lock.py.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from assistant.bench import free_port
from assistant.container import Services, build_services
from assistant.database import engine
from assistant.errors import BackendUnavailable, IndexBusy
from assistant.feedback import Feedback, FeedbackStore, PostgresFeedback
from assistant.locks import AdvisoryRefreshLock
from assistant.settings import Settings
from assistant.store import read_manifest
from tests.conftest import build_index, cli_in_process, posting
from tests.fakes import HashingEmbedder
from ui.api import make_app

TOKEN = "admin-s3cret"


def on_postgres(settings: Settings, url: str, **update: object) -> Services:
    return build_services(settings.model_copy(update={"database_url": SecretStr(url), **update}),
                          embedder=HashingEmbedder())


# Feedback


def test_feedback_round_trip_and_export_in_postgres(settings: Settings, database_url: str, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    services = on_postgres(settings, database_url)
    assert isinstance(services.feedback, PostgresFeedback)
    before = datetime.now(UTC).replace(microsecond=0)
    first = services.feedback.add(Feedback("up", "Do ML engineers need statistics?", "Yes [1].",
                                           [{"n": 1, "title": "The article"}], "local", "clear"))
    second = services.feedback.add(Feedback("down", "Which cloud?", "AWS [2].", [], "extractive"))
    assert (first, second) == (1, 2)

    rows = services.feedback.export()
    created = [datetime.fromisoformat(row.pop("created")) for row in rows]
    assert rows == [
        {"id": 1, "rating": "up", "comment": "clear", "question": "Do ML engineers need statistics?",
         "answer": "Yes [1].", "sources": [{"n": 1, "title": "The article"}], "backend": "local"},
        {"id": 2, "rating": "down", "comment": "", "question": "Which cloud?", "answer": "AWS [2].",
         "sources": [], "backend": "extractive"},
    ]
    assert all(before <= c <= datetime.now(UTC) and c.utcoffset() is not None for c in created)
    assert not (settings.data_dir / "feedback.sqlite").exists()

    # The same shape as the SQLite export, so `feedback export` reads the same in both modes.
    sqlite = FeedbackStore(tmp_path / "local.sqlite")
    sqlite.add(Feedback("up", "q", "a", [], "local"))
    assert list(sqlite.export()[0]) == list(services.feedback.export()[0])
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00", services.feedback.export()[0]["created"])

    code, out, _ = cli_in_process(services, monkeypatch, capsys, "feedback", "export", "--format", "csv")
    assert code == 0
    assert out.splitlines()[0] == "id,created,rating,comment,question,answer,sources,backend"
    assert len(out.splitlines()) == 3


def test_feedback_through_the_api_lands_in_postgres(settings: Settings, database_url: str) -> None:
    services = on_postgres(settings, database_url)
    with TestClient(make_app(services, chat_page=False)) as client:
        saved = client.post("/api/feedback", json={"rating": "down", "question": "Why?", "answer": "Because [1]."})
    assert saved.status_code == 200 and saved.json() == {"id": 1}
    with psycopg.connect(database_url) as connection:
        assert connection.execute("SELECT rating, question, sources FROM feedback").fetchall() == [
            ("down", "Why?", [])]


# Uploads


def upload(client: TestClient, name: str, data: bytes, **form: str):
    return client.post("/api/postings", files={"file": (name, data)}, data=form, headers={"X-Admin-Token": TOKEN})


@pytest.mark.parametrize("vectors", ["embedded", "server"])
def test_an_upload_is_kept_in_postgres_under_a_source_every_machine_shares(settings: Settings, database_url: str,
                                                                           vectors: str,
                                                                           request: pytest.FixtureRequest) -> None:
    # With a Chroma server too, the generations are the database's as well (catalog.py).
    chroma_url = request.getfixturevalue("chroma_server") if vectors == "server" else ""
    services = on_postgres(settings, database_url, admin_token=SecretStr(TOKEN), min_relevance=0.2,
                           chroma_url=chroma_url, collection=f"up{time.time_ns()}")
    build_index(services)
    assert (services.catalog is not None) == (vectors == "server")
    first = "".join(json.dumps(p) + "\n" for p in (posting(1), posting(2))).encode()
    second = (json.dumps(posting(1)) + "\n").encode()
    with TestClient(make_app(services, chat_page=False)) as client:
        added = upload(client, "feed.jsonl", first).json()
        assert (added["added"], added["published"]) == (2, True)
        assert services.pointer.manifest()["sources"]["uploads/feed.jsonl"] == 2
        assert services.uploads.kept() == [
            {"name": "feed.jsonl", "bytes": len(first), "sha256": hashlib.sha256(first).hexdigest()}]

        synced = upload(client, "feed.jsonl", second, sync="true").json()
        assert (synced["unchanged"], synced["removed"]) == (1, 1)
        assert services.pointer.manifest()["sources"]["uploads/feed.jsonl"] == 1

    with psycopg.connect(database_url) as connection:
        rows = connection.execute("SELECT name, bytes, source, content, report->>'removed' FROM uploads").fetchall()
    assert rows == [("feed.jsonl", len(second), "uploads/feed.jsonl", second, "1")]
    assert not (settings.data_dir / "uploads" / "feed.jsonl").exists()


def test_without_a_database_an_upload_is_a_file_in_the_data_folder(settings: Settings) -> None:
    services = build_services(settings.model_copy(update={"admin_token": SecretStr(TOKEN), "min_relevance": 0.2}),
                              embedder=HashingEmbedder())
    build_index(services)
    data = (json.dumps(posting(7)) + "\n").encode()
    with TestClient(make_app(services, chat_page=False)) as client:
        assert upload(client, "feed.jsonl", data).json()["added"] == 1
    kept = settings.data_dir / "uploads" / "feed.jsonl"
    assert kept.read_bytes() == data
    assert read_manifest(settings.index_dir)["sources"][str(kept.resolve())] == 1


# The refresh lock, in one process


def test_the_advisory_lock_refuses_a_second_holder_of_the_same_collection_only(database_url: str) -> None:
    made = engine(database_url)
    with AdvisoryRefreshLock(made, "postings").hold():
        with pytest.raises(IndexBusy, match=r"another process is refreshing the index 'postings' \(its lock is "
                                            r"held in PostgreSQL at 127\.0\.0\.1:\d+/test_"):
            with AdvisoryRefreshLock(made, "postings").hold():
                pass
        with AdvisoryRefreshLock(made, "postings-2").hold():
            pass  # another index on the same database is not blocked
    with AdvisoryRefreshLock(made, "postings").hold():
        pass  # released on leaving the block


def test_the_lock_timeout_waits_for_the_holder_until_the_deadline(database_url: str) -> None:
    made = engine(database_url)
    held, release = threading.Event(), threading.Event()

    def holder() -> None:
        with AdvisoryRefreshLock(made, "postings").hold():
            held.set()
            release.wait(30)

    thread = threading.Thread(target=holder)
    thread.start()
    try:
        assert held.wait(30)
        start = time.monotonic()
        with pytest.raises(IndexBusy):
            with AdvisoryRefreshLock(made, "postings", timeout_s=0.5).hold():
                pass
        refused_after = time.monotonic() - start
        assert 0.5 <= refused_after < 2.0

        threading.Timer(0.5, release.set).start()
        start = time.monotonic()
        with AdvisoryRefreshLock(made, "postings", timeout_s=10).hold():
            waited = time.monotonic() - start
        assert 0.4 <= waited < 5.0
    finally:
        release.set()
        thread.join(30)


def test_an_error_inside_the_lock_passes_through_and_frees_it(database_url: str) -> None:
    made = engine(database_url)
    with pytest.raises(ValueError, match="the refresh itself failed"):
        with AdvisoryRefreshLock(made, "postings").hold():
            raise ValueError("the refresh itself failed")
    with AdvisoryRefreshLock(made, "postings").hold():
        pass


# A server that cannot be reached


def test_an_unreachable_database_is_a_clear_error_and_a_503(settings: Settings, monkeypatch: pytest.MonkeyPatch,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    port = free_port()  # nothing listens there
    services = on_postgres(settings, f"postgresql://assistant:pw@127.0.0.1:{port}/assistant")
    expected = rf"the PostgreSQL server at 127\.0\.0\.1:{port} \(database 'assistant'\) does not answer"
    with pytest.raises(BackendUnavailable, match=expected) as raised:
        services.feedback.add(Feedback("up", "q", "a", []))
    assert "pw" not in str(raised.value)
    with pytest.raises(BackendUnavailable, match=expected):
        with services.store.locked():
            pass

    code, _, err = cli_in_process(services, monkeypatch, capsys, "feedback", "export")
    assert code == 6 and re.match("error: " + expected, err)

    with TestClient(make_app(services, chat_page=False)) as client:
        refused = client.post("/api/feedback", json={"rating": "up", "question": "q", "answer": "a"})
    assert refused.status_code == 503
    assert re.match(expected, refused.json()["error"])
