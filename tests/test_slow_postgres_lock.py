"""The PostgreSQL refresh lock raced for by processes of their own, as two machines would:
two index folders, one database. Slow only because each process imports the assistant
(about 5 s, more on a loaded machine); they use the fake embedder (tests/fake_cli.py).
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from assistant.settings import REPO_ROOT
from tests.conftest import posting, write_jsonl

pytestmark = pytest.mark.slow


def process_env(index_dir: Path, database_url: str, **settings: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    env.update(ASSISTANT_INDEX_DIR=str(index_dir), ASSISTANT_DATA_DIR=str(index_dir.parent / "data"),
               ASSISTANT_DATABASE_URL=database_url, HF_HUB_OFFLINE="1", PYTHONPATH=str(REPO_ROOT))
    env.update({f"ASSISTANT_{name.upper()}": value for name, value in settings.items()})
    return env


@pytest.fixture
def holder(tmp_path: Path, database_url: str) -> Iterator[subprocess.Popen[str]]:
    """A process on machine A holding the refresh lock until a line on its stdin (120 s at most)."""
    process = subprocess.Popen([sys.executable, "-m", "tests.fake_cli", "hold", "120"], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO_ROOT,
                               env=process_env(tmp_path / "a" / "index", database_url))
    try:
        assert process.stdout is not None and process.stderr is not None
        if process.stdout.readline().strip() != "held":
            raise AssertionError(f"the holder did not take the lock: {process.stderr.read()[-2000:]}")
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


def lock_attempts(database_url: str) -> int:
    """Sessions of this test's database whose last statement tried the advisory lock."""
    with psycopg.connect(database_url) as connection:
        row = connection.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                                 "AND query LIKE 'SELECT pg_try_advisory_lock%' AND pid <> pg_backend_pid()").fetchone()
    return int(row[0]) if row else 0


def test_with_the_lock_timeout_the_second_refresh_waits_and_then_succeeds(
        tmp_path: Path, database_url: str, holder: subprocess.Popen[str]) -> None:
    feed = write_jsonl(tmp_path / "feed.jsonl", [posting(1), posting(2)])
    waiting = subprocess.Popen([sys.executable, "-m", "tests.fake_cli", "ingest", str(feed), "--json"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO_ROOT,
                               env=process_env(tmp_path / "b" / "index", database_url, lock_timeout_s="60"))
    try:
        deadline = time.monotonic() + 120
        while lock_attempts(database_url) < 2 and waiting.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)  # the holder's session is the first; the second is the waiting ingest's
        assert lock_attempts(database_url) == 2, waiting.stderr.read() if waiting.poll() is not None else "no attempt"
        time.sleep(1.0)
        assert waiting.poll() is None  # still retrying, not refused
        assert holder.stdin is not None
        released = time.monotonic()
        holder.stdin.write("release\n")
        holder.stdin.flush()
        assert holder.wait(30) == 0
        out, err = waiting.communicate(timeout=120)
        print(f"waiting ingest: exit {waiting.returncode}, done {time.monotonic() - released:.2f} s after the "
              f"holder released the lock")
        assert waiting.returncode == 0, err
        assert json.loads(out)["added"] == 2
    finally:
        waiting.kill()
        waiting.wait(30)


def test_feedback_given_on_one_machine_is_exported_on_another(tmp_path: Path, database_url: str) -> None:
    feedback = json.dumps({"rating": "up", "question": "Do ML engineers need statistics?", "answer": "Yes [1]."})
    given = subprocess.run([sys.executable, "-c", FEEDBACK_ON_A, feedback], capture_output=True, text=True,
                           timeout=120, cwd=REPO_ROOT, env=process_env(tmp_path / "a" / "index", database_url))
    assert given.returncode == 0, given.stderr
    exported = subprocess.run([sys.executable, "-m", "tests.fake_cli", "feedback", "export"], capture_output=True,
                              text=True, timeout=120, cwd=REPO_ROOT, env=process_env(tmp_path / "b" / "index", database_url))
    assert exported.returncode == 0, exported.stderr
    assert [(r["id"], r["rating"], r["question"]) for r in map(json.loads, exported.stdout.splitlines())] == [
        (1, "up", "Do ML engineers need statistics?")]
    assert not (tmp_path / "a" / "data").exists() and not (tmp_path / "b" / "data").exists()


FEEDBACK_ON_A = """
import json, sys
from assistant.container import build_services
from assistant.feedback import Feedback
from assistant.settings import load_settings
print(build_services(load_settings()).feedback.add(Feedback(sources=[], **json.loads(sys.argv[1]))))
"""
