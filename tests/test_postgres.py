"""The bookkeeping in PostgreSQL (`database_url`), against a real server: feedback, kept
uploads, and the refresh lock raced for by processes of their own.

Each test has a database of its own (the `database_url` fixture); the processes use the
fake embedder (tests/fake_cli.py), so none of this loads a model.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from assistant import cli
from assistant.bench import free_port
from assistant.container import Services, build_services
from assistant.database import engine
from assistant.errors import BackendUnavailable, IndexBusy
from assistant.feedback import Feedback, FeedbackStore, PostgresFeedback
from assistant.locks import AdvisoryRefreshLock
from assistant.settings import REPO_ROOT, Settings
from assistant.store import read_manifest
from tests.conftest import build_index, posting, write_jsonl
from tests.fakes import HashingEmbedder
from ui.api import make_app

TOKEN = "admin-s3cret"


def on_postgres(settings: Settings, url: str, **update: object) -> Services:
    return build_services(settings.model_copy(update={"database_url": SecretStr(url), **update}),
                          embedder=HashingEmbedder())


def cli_in_process(services: Services, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
                   *args: str) -> tuple[int, str, str]:
    monkeypatch.setattr(cli, "_state", {"services": services})
    monkeypatch.setattr(sys, "argv", ["assistant", *args])
    try:
        cli.main()
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


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

    # Another process with another data folder sees it: it is in the server, not on disk.
    other = subprocess.run([sys.executable, "-m", "tests.fake_cli", "feedback", "export"], capture_output=True,
                           text=True, timeout=120, env=process_env(tmp_path / "elsewhere", database_url), cwd=REPO_ROOT)
    assert other.returncode == 0, other.stderr
    assert [json.loads(line)["question"] for line in other.stdout.splitlines()] == [
        "Do ML engineers need statistics?", "Which cloud?"]

    code, out, _ = cli_in_process(services, monkeypatch, capsys, "feedback", "export", "--format", "csv")
    assert code == 0
    assert out.splitlines()[0] == "id,created,rating,comment,question,answer,sources,backend"
    assert len(out.splitlines()) == 3


def test_feedback_through_the_api_lands_in_postgres(settings: Settings, database_url: str) -> None:
    services = on_postgres(settings, database_url, min_relevance=0.2)
    build_index(services)
    with TestClient(make_app(services, chat_page=False)) as client:
        saved = client.post("/api/feedback", json={"rating": "down", "question": "Why?", "answer": "Because [1]."})
    assert saved.status_code == 200 and saved.json() == {"id": 1}
    with psycopg.connect(database_url) as connection:
        assert connection.execute("SELECT rating, question, sources FROM feedback").fetchall() == [
            ("down", "Why?", [])]


# Uploads


def upload(client: TestClient, name: str, data: bytes, **form: str):
    return client.post("/api/postings", files={"file": (name, data)}, data=form, headers={"X-Admin-Token": TOKEN})


def test_an_upload_is_kept_in_postgres_under_a_source_every_machine_shares(settings: Settings,
                                                                           database_url: str) -> None:
    services = on_postgres(settings, database_url, admin_token=SecretStr(TOKEN), min_relevance=0.2)
    build_index(services)
    first = "".join(json.dumps(p) + "\n" for p in (posting(1), posting(2))).encode()
    second = (json.dumps(posting(1)) + "\n").encode()
    with TestClient(make_app(services, chat_page=False)) as client:
        added = upload(client, "feed.jsonl", first).json()
        assert (added["added"], added["published"]) == (2, True)
        assert read_manifest(settings.index_dir)["sources"]["uploads/feed.jsonl"] == 2
        assert services.uploads.kept() == [
            {"name": "feed.jsonl", "bytes": len(first), "sha256": hashlib.sha256(first).hexdigest()}]

        synced = upload(client, "feed.jsonl", second, sync="true").json()
        assert (synced["unchanged"], synced["removed"]) == (1, 1)
        assert read_manifest(settings.index_dir)["sources"]["uploads/feed.jsonl"] == 1

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


# The refresh lock, raced for by processes (two "machines": two index folders, one database)


def process_env(index_dir: Path, database_url: str, **settings: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    env.update(ASSISTANT_INDEX_DIR=str(index_dir), ASSISTANT_DATA_DIR=str(index_dir.parent / "data"),
               ASSISTANT_DATABASE_URL=database_url, HF_HUB_OFFLINE="1", PYTHONPATH=str(REPO_ROOT))
    env.update({f"ASSISTANT_{name.upper()}": value for name, value in settings.items()})
    return env


@pytest.fixture
def holder(tmp_path: Path, database_url: str) -> Iterator[subprocess.Popen[str]]:
    """A process on machine A holding the refresh lock for up to 60 s."""
    process = subprocess.Popen([sys.executable, "-m", "tests.fake_cli", "hold", "60"], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, env=process_env(tmp_path / "a" / "index", database_url),
                               cwd=REPO_ROOT)
    try:
        assert process.stdout is not None and process.stdout.readline().strip() == "held", process.stderr
        yield process
    finally:
        process.kill()
        process.wait(30)


def ingest_on_b(tmp_path: Path, database_url: str, **settings: str) -> subprocess.CompletedProcess[str]:
    feed = write_jsonl(tmp_path / "feed.jsonl", [posting(1), posting(2)])
    return subprocess.run([sys.executable, "-m", "tests.fake_cli", "ingest", str(feed), "--json"],
                          capture_output=True, text=True, timeout=120, cwd=REPO_ROOT,
                          env=process_env(tmp_path / "b" / "index", database_url, **settings))


def advisory_locks_held(database_url: str) -> int:
    with psycopg.connect(database_url) as connection:
        row = connection.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted").fetchone()
    return int(row[0]) if row else 0


def test_a_second_refresh_from_another_process_is_refused_with_exit_5(
        tmp_path: Path, database_url: str, holder: subprocess.Popen[str]) -> None:
    refused = ingest_on_b(tmp_path, database_url)
    print(f"refused ingest: exit {refused.returncode}: {refused.stderr.strip()}")
    assert refused.returncode == 5
    assert re.fullmatch(r"error: another process is refreshing the index 'role_assistant' \(its lock is held in "
                        r"PostgreSQL at 127\.0\.0\.1:\d+/test_[0-9a-f]+\); try again when it finishes \(or set "
                        r"ASSISTANT_LOCK_TIMEOUT_S to wait\)", refused.stderr.strip())
    assert not (tmp_path / "b" / "index" / "CURRENT").exists()
    assert holder.poll() is None


def test_a_killed_holder_frees_the_lock(tmp_path: Path, database_url: str, holder: subprocess.Popen[str]) -> None:
    assert advisory_locks_held(database_url) == 1
    holder.send_signal(signal.SIGKILL)
    holder.wait(30)
    killed = time.monotonic()
    while advisory_locks_held(database_url) and time.monotonic() - killed < 10:
        time.sleep(0.02)
    freed_after = time.monotonic() - killed
    print(f"lock freed {freed_after * 1000:.0f} ms after SIGKILL")
    assert advisory_locks_held(database_url) == 0
    done = ingest_on_b(tmp_path, database_url)  # no timeout: it must not wait for anything
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["added"] == 2


def test_with_the_lock_timeout_the_second_refresh_waits_and_then_succeeds(tmp_path: Path, database_url: str) -> None:
    holder = subprocess.Popen([sys.executable, "-m", "tests.fake_cli", "hold", "3"], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, cwd=REPO_ROOT,
                              env=process_env(tmp_path / "a" / "index", database_url))
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        start = time.monotonic()
        waited = ingest_on_b(tmp_path, database_url, lock_timeout_s="60")
        elapsed = time.monotonic() - start
        print(f"waiting ingest: exit {waited.returncode} after {elapsed:.2f} s (holder kept the lock 3 s)")
        assert waited.returncode == 0, waited.stderr
        assert json.loads(waited.stdout)["added"] == 2
        assert holder.wait(30) == 0
        assert elapsed >= 2.0  # it waited for the holder (3 s, minus its own start-up)
    finally:
        holder.kill()
        holder.wait(30)


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
