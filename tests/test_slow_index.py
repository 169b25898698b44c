"""The real embedding model, a real Chroma store on disk, and the CLI as a user runs it.

Ingests the shared postings once per session (a few minutes on 2 cores) and works on
copies of that index.
"""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from filelock import FileLock

from tests.conftest import _cli_env, cli, cli_json, copy_index

pytestmark = pytest.mark.slow


def test_ingest_refresh_and_change_cycle(built_index, feeds, tmp_path: Path) -> None:
    built, first = built_index
    index_dir = copy_index(built, tmp_path)
    assert first["rejected"] == 0
    assert first["added"] + first["duplicates"] == 943 and first["added"] > 900
    status = cli_json(index_dir, "status")
    assert status["documents"] == first["added"] and status["kind"] == {"posting": first["added"]}
    assert status["chunks"] == first["chunks_added"] > 3 * first["added"]
    # Near-duplicates are indexed (counted in documents above) and folded in the figures.
    assert (first["near_duplicates"], first["near_duplicates_folded"], status["near_duplicates_folded"]) == (36, 36, 36)

    incoming = cli_json(index_dir, "ingest", str(feeds["incoming"]))
    assert incoming["added"] + incoming["duplicates"] == 99 and incoming["updated"] == 0
    assert (incoming["near_duplicates"], incoming["near_duplicates_folded"]) == (0, 36)  # none among or against them

    again = cli_json(index_dir, "ingest", str(feeds["postings"]), str(feeds["incoming"]))
    assert again["unchanged"] == first["added"] + incoming["added"]
    assert (again["added"], again["updated"], again["chunks_added"], again["published"]) == (0, 0, 0, False)

    records = [json.loads(line) for line in feeds["incoming"].read_text(encoding="utf-8").splitlines()]
    changed = records[10]
    changed["description"] += "\nNice to have:\n- Experience with Kubernetes and feature stores"
    edited = tmp_path / "incoming.jsonl"
    shutil.copy(feeds["incoming"], edited)
    # The same source path, one record changed.
    feeds_copy = feeds["incoming"].read_text(encoding="utf-8")
    try:
        feeds["incoming"].write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
        one = cli_json(index_dir, "ingest", str(feeds["incoming"]))
    finally:
        feeds["incoming"].write_text(feeds_copy, encoding="utf-8")
    assert (one["updated"], one["added"], one["unchanged"]) == (1, 0, incoming["added"] - 1)
    after = cli_json(index_dir, "status")
    hits = cli_json(index_dir, "search", "Kubernetes feature stores", "--k", "3")["results"]
    assert hits[0]["doc_id"] == changed["id"]
    # Only the changed posting's chunks were embedded, and its old chunks are gone.
    assert 0 < one["chunks_added"] == one["chunks_deleted"] + (after["chunks"] - status["chunks"]
                                                                - incoming["chunks_added"])


def test_role_definitions_ingest_as_roles(built_index, feeds, tmp_path: Path) -> None:
    index_dir = copy_index(built_index[0], tmp_path)
    report = cli_json(index_dir, "ingest", str(feeds["roles"]))
    assert report["added"] == 29
    status = cli_json(index_dir, "status")
    assert status["kind"]["role"] == 29
    hits = cli_json(index_dir, "search", "official definition of a statistician", "--kind", "role", "--k", "3")
    assert all(h["kind"] == "role" for h in hits["results"])


def test_a_killed_refresh_leaves_the_old_index_answering(built_index, feeds, tmp_path: Path) -> None:
    index_dir = copy_index(built_index[0], tmp_path)
    before = cli_json(index_dir, "status")
    changed = tmp_path / "postings.jsonl"
    changed.write_text(
        "".join(json.dumps({**json.loads(line), "description": json.loads(line)["description"] + "\nRevised."}) + "\n"
                for line in feeds["postings"].read_text(encoding="utf-8").splitlines()),
        encoding="utf-8",
    )
    refresh = subprocess.Popen([sys.executable, "-m", "assistant", "ingest", str(changed)], env=_cli_env(index_dir),
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while len(list(index_dir.glob("gen-*"))) < 2 and time.monotonic() < deadline:
            time.sleep(0.5)
        time.sleep(15)  # well into embedding
        assert refresh.poll() is None, "the refresh finished before it could be killed"
        # A reader in another process is served from the published generation meanwhile.
        during = cli_json(index_dir, "search", "data engineer Spark pipelines")
        assert len(during["results"]) == 5
        refresh.send_signal(signal.SIGKILL)
        refresh.wait(timeout=30)
    finally:
        if refresh.poll() is None:
            refresh.kill()
    status = cli_json(index_dir, "status")
    assert (status["generation"], status["documents"], status["chunks"]) == (
        before["generation"], before["documents"], before["chunks"])
    hits = cli_json(index_dir, "search", "data engineer Spark pipelines")["results"]
    assert [h["id"] for h in hits] == [h["id"] for h in during["results"]]
    assert len(list(index_dir.glob("gen-*"))) == 2  # the orphan, until the next refresh
    cli(index_dir, "ingest", str(feeds["incoming"]))
    assert not any(p.name > cli_json(index_dir, "status")["generation"] for p in index_dir.glob("gen-*"))


def test_a_refresh_while_another_runs_is_refused(built_index, feeds, tmp_path: Path) -> None:
    index_dir = copy_index(built_index[0], tmp_path)
    with FileLock(str(index_dir / ".refresh.lock")):
        result = cli(index_dir, "ingest", str(feeds["incoming"]), check=False)
    assert result.returncode == 5
    assert "another process is refreshing the index" in result.stderr


BAD_INPUTS = {
    "invalid.jsonl": (b'{"id": "x1", "title": "Data Scientist", "description": "fine"}\n{"id": "x2", "title"\n',
                      "invalid.jsonl:2: invalid JSON"),
    "nodesc.jsonl": (b'{"id": "x1", "title": "Data Scientist"}\n', "nodesc.jsonl:1: missing description"),
    "empty.jsonl": (b'{"id": "x1", "title": "Data Scientist", "description": ""}\n',
                    "empty.jsonl:1: description is empty"),
    "bytes.jsonl": (b'{"id": "x1", "title": "Data Scientist", "description": "caf\xe9"}\n',
                    "bytes.jsonl:1: not valid UTF-8 (byte 0xe9"),
    "postings.xlsx": (b"PK\x03\x04", "postings.xlsx: unknown format '.xlsx'"),
    "huge.jsonl": (b'{"id": "x1", "title": "Data Scientist", "description": "' + b"word " * 250_000 + b'"}\n',
                   "huge.jsonl:1: record is 1,250,0"),
    "bad.csv": (b"title,description\nData Scientist,ok,extra\n", "bad.csv:2 (row 1): row has 3 fields"),
}


def test_every_bad_input_is_refused_precisely_and_changes_nothing(built_index, tmp_path: Path) -> None:
    index_dir = copy_index(built_index[0], tmp_path)
    before = cli_json(index_dir, "status")
    for name, (content, expected) in BAD_INPUTS.items():
        path = tmp_path / name
        path.write_bytes(content)
        result = cli(index_dir, "ingest", str(path), check=False)
        assert result.returncode == 3, (name, result.stderr)
        assert expected in result.stderr, (name, result.stderr)
        assert str(path) in result.stderr
    after = cli_json(index_dir, "status")
    assert (after["generation"], after["documents"]) == (before["generation"], before["documents"])
    # With --skip-invalid the valid record of a mixed file goes in and the bad one is reported.
    mixed = tmp_path / "invalid.jsonl"
    report = cli_json(index_dir, "ingest", str(mixed), "--skip-invalid")
    assert (report["added"], report["rejected"]) == (1, 1)
    assert "invalid.jsonl:2: invalid JSON" in report["rejections"][0]


def test_a_question_is_embedded_on_one_thread_and_the_model_keeps_its_threads(monkeypatch) -> None:
    import numpy as np
    import torch

    from assistant.embeddings import SentenceTransformerEmbedder

    embedder = SentenceTransformerEmbedder("packaged:all-MiniLM-L6-v2", threads=2)
    question = "What does an ML engineer do that a data scientist does not?"
    batch = np.array(embedder.embed_batch([question] + ["a passage about Spark pipelines"] * 7))
    seen: list[int] = []
    monkeypatch.setattr(torch, "set_num_threads", lambda n, real=torch.set_num_threads: (seen.append(n), real(n)))
    single = np.array(embedder.embed_batch([question]))
    assert seen == [1, 2] and torch.get_num_threads() == 2
    assert float(single[0] @ batch[0]) > 0.99999  # the same vector either way
