"""The served app over the real index: the real embedding model, the shared postings, an
upload of the incoming postings through the API."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from assistant.container import build_services
from assistant.settings import Settings
from tests.conftest import copy_index
from ui.api import make_app

pytestmark = pytest.mark.slow


def test_upload_refresh_and_answer_over_the_real_index(answer_index: Path, feeds, tmp_path: Path) -> None:
    index_dir = copy_index(answer_index, tmp_path)
    settings = Settings(index_dir=index_dir, data_dir=tmp_path / "data", backend="extractive",
                        admin_token=SecretStr("t0ken"))
    headers = {"X-Admin-Token": "t0ken"}
    with TestClient(make_app(build_services(settings), chat_page=False)) as client:
        assert client.get("/api/health").json()["ready"] is True
        before = client.get("/api/status").json()

        answer = client.post("/api/chat", json={
            "message": "What's the difference between an ML engineer and a data scientist?"}).json()
        kinds = {s["kind"] for s in answer["sources"]}
        assert not answer["declined"] and {"article", "posting"} <= kinds

        broken = feeds["incoming"].read_bytes() + b'{"id": "x", "title": "Data Scientist", "description": ""}\n'
        refused = client.post("/api/postings", files={"file": ("incoming.jsonl", broken)}, headers=headers)
        assert refused.status_code == 400 and refused.json()["problems"] == [
            "incoming.jsonl:100: description is empty"]
        assert client.get("/api/status").json() == before

        summary = client.post("/api/postings", files={"file": ("incoming.jsonl", feeds["incoming"].read_bytes())},
                              headers=headers).json()
        assert summary["added"] + summary["duplicates"] == 99 and summary["published"]
        after = client.get("/api/status").json()
        assert after["documents"] == before["documents"] + summary["added"]

        records = [json.loads(line) for line in feeds["incoming"].read_text(encoding="utf-8").splitlines()]
        record = next(r for r in records if r["id"] not in summary["duplicate_of"])
        found = client.post("/api/search", json={"query": f"{record['title']} {record['company']}", "k": 5,
                                                 "filters": {"kind": "posting"}}).json()["results"]
        assert record["id"] in {hit["doc_id"] for hit in found}
