"""Postings uploads: `POST /api/postings` and the Admin tab, with the fake embedder."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from assistant.container import Services
from assistant.store import published_generation, read_manifest
from tests.conftest import posting
from tests.fakes import HashingEmbedder
from ui.admin import upload_markdown
from ui.api import make_app
from ui.served import ServedIndex

TOKEN = "admin-s3cret"


def jsonl(*records: dict) -> bytes:
    return "".join(json.dumps(r) + "\n" for r in records).encode()


@pytest.fixture
def admin_services(api_services: Services) -> Services:
    api_services.settings = api_services.settings.model_copy(update={"admin_token": SecretStr(TOKEN)})
    return api_services


@pytest.fixture
def admin_client(admin_services: Services):
    with TestClient(make_app(admin_services, chat_page=False)) as client:
        yield client


def upload(client: TestClient, name: str, data: bytes, token: str | None = TOKEN, **form: str):
    headers = {"X-Admin-Token": token} if token else {}
    return client.post("/api/postings", files={"file": (name, data)}, data=form, headers=headers)


def test_an_upload_is_indexed_and_answers_at_once(admin_client: TestClient) -> None:
    data = jsonl(posting(1, title="Zephyr Pipeline Engineer", company="Quokka Labs",
                         description="Maintain Zephyr pipelines.\nRequirements:\n- Airflow"), posting(2))
    summary = upload(admin_client, "feed.jsonl", data).json()
    assert (summary["added"], summary["rejected"], summary["published"]) == (2, 0, True)
    hits = admin_client.post("/api/search", json={"query": "Zephyr pipelines Quokka", "k": 1}).json()["results"]
    assert hits[0]["doc_id"] == "p1"
    again = upload(admin_client, "feed.jsonl", data).json()
    assert (again["unchanged"], again["added"], again["published"]) == (2, 0, False)


def test_csv_uploads_use_the_column_aliases(admin_client: TestClient) -> None:
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(["Job Title", "Company Name", "Job Description"])
    writer.writerow(["MLOps Engineer", "Kiwi Ltd", "Run model serving on Kubernetes.\nRequirements:\n- Docker"])
    summary = upload(admin_client, "export.csv", text.getvalue().encode()).json()
    assert summary["added"] == 1


def test_admin_token_is_required(admin_client: TestClient, api_services: Services) -> None:
    missing = upload(admin_client, "feed.jsonl", jsonl(posting(1)), token=None)
    wrong = upload(admin_client, "feed.jsonl", jsonl(posting(1)), token="admin-s3creT")
    assert missing.status_code == wrong.status_code == 401 and "admin token" in wrong.json()["error"]
    bearer = admin_client.post("/api/postings", files={"file": ("feed.jsonl", jsonl(posting(1)))},
                               headers={"Authorization": f"Bearer {TOKEN}"})
    assert bearer.status_code == 200


def test_uploads_are_off_without_an_admin_token(client: TestClient) -> None:
    refused = upload(client, "feed.jsonl", jsonl(posting(1)), token="anything")
    assert refused.status_code == 403 and "ASSISTANT_ADMIN_TOKEN" in refused.json()["error"]


def test_a_bad_file_is_refused_with_every_reason_and_the_index_unchanged(
        admin_client: TestClient, admin_services: Services) -> None:
    index_dir = admin_services.settings.index_dir
    before = (published_generation(index_dir), read_manifest(index_dir)["documents"])
    data = jsonl(posting(1), {"id": "p2", "title": "", "description": "x"}) + b'{"id": "p3", "title": \n'
    response = upload(admin_client, "feed.jsonl", data)
    body = response.json()
    assert response.status_code == 400
    assert body["problems"] == ["feed.jsonl:2: missing title",
                                "feed.jsonl:3: invalid JSON: Expecting value (column 23)"]
    assert "nothing was ingested; skip_invalid ingests the valid records" in body["error"]
    assert (published_generation(index_dir), read_manifest(index_dir)["documents"]) == before
    assert not (admin_services.settings.data_dir / "uploads" / "feed.jsonl").exists()

    skipped = upload(admin_client, "feed.jsonl", data, skip_invalid="true").json()
    assert skipped["added"] == 1 and skipped["rejections"] == body["problems"]


def test_wrong_type_empty_and_oversized_files(admin_client: TestClient, admin_services: Services) -> None:
    exe = upload(admin_client, "../../tool.exe", b"MZ")
    assert exe.status_code == 415 and "unsupported file type '.exe'" in exe.json()["error"]
    empty = upload(admin_client, "feed.jsonl", b"")
    assert empty.status_code == 400 and "feed.jsonl: file has no records" in empty.json()["error"]
    admin_services.settings = admin_services.settings.model_copy(update={"max_upload_bytes": 2000})
    big = upload(admin_client, "feed.jsonl", jsonl(*[posting(i) for i in range(20)]))
    assert big.status_code == 413 and "over the 2,000-byte upload limit" in big.json()["error"]


def test_sync_removes_postings_gone_from_the_new_version(admin_client: TestClient) -> None:
    upload(admin_client, "feed.jsonl", jsonl(posting(1), posting(2), posting(3)))
    summary = upload(admin_client, "feed.jsonl", jsonl(posting(1), posting(3)), sync="true").json()
    assert (summary["removed"], summary["unchanged"]) == (1, 2)
    ids = {r["doc_id"] for r in admin_client.post("/api/search", json={"query": "Posting number 2", "k": 50})
           .json()["results"]}
    assert "p2" not in ids and "p1" in ids


def test_admin_tab_reports_progress_and_the_summary(admin_services: Services, tmp_path: Path) -> None:
    served = ServedIndex(admin_services)
    file = tmp_path / "feed.jsonl"
    file.write_bytes(jsonl(*[posting(i) for i in range(300)]) + b'{"id": "bad", "title": "x"}\n')
    assert upload_markdown(served, "wrong", str(file), False, False).startswith("**Refused:**")
    refused = upload_markdown(served, TOKEN, str(file), False, False)
    assert refused.startswith("**Not ingested; the index is unchanged.**")
    assert "`feed.jsonl:301: missing description`" in refused

    seen: list[tuple[int, int]] = []
    done = upload_markdown(served, TOKEN, str(file), True, False, lambda pair, **_: seen.append(pair))
    assert done.startswith("**Published a new index:** added 300, updated 0")
    assert "`rejected: feed.jsonl:301: missing description`" in done
    assert seen[0] == (0, 300) and seen[-1] == (300, 300) and len(seen) >= 3
    served.close()


def test_admin_messages_show_file_text_as_text(admin_services: Services, tmp_path: Path) -> None:
    file = tmp_path / "feed.jsonl"
    evil = {"id": "<img src=x onerror=alert(1)>`", "title": "x", "description": "y"}
    file.write_bytes(jsonl(evil, evil))
    shown = upload_markdown(ServedIndex(admin_services), TOKEN, str(file), False, False)
    # Inline code shows HTML as text; a backtick in the file cannot close it early.
    assert "`feed.jsonl:2: id '<img src=x onerror=alert(1)>'' is already used at feed.jsonl:1`" in shown
    assert all(line.count("`") == 2 for line in shown.splitlines())


def test_upload_progress_counts_embedded_chunks(api_services: Services) -> None:
    from assistant.indexer import refresh
    from assistant.sources import load_paths
    from tests.conftest import write_jsonl

    api_services.embedder_override = HashingEmbedder()
    path = write_jsonl(api_services.settings.data_dir.parent / "many.jsonl", [posting(i) for i in range(600)])
    docs = load_paths([path], max_record_bytes=1_000_000).documents
    seen: list[tuple[int, int]] = []
    report = refresh(api_services.store, api_services.chunker, docs, progress=False,
                     on_progress=lambda done, total: seen.append((done, total)))
    total = report.chunks_added
    assert total > 512 and seen == [(0, total), (256, total), (512, total), (total, total)]


@pytest.mark.parametrize(("name", "data", "says"), [
    ("jobs.csv", b"id,title,description\n" + b"".join(b"j%d,T %d,D %d\n" % (i, i, i) for i in range(1, 10))
     + b'j10,T 10,"open quote\n' + b"".join(b"j%d,T %d,D %d\n" % (i, i, i) for i in range(11, 51)),
     "quoted field opens on this line"),
    ("deep.jsonl", b"[" * 100_000 + b"\n", "nested too deeply"),
    ("big.jsonl", b'{"title": "T", "description": "d", "n": ' + b"9" * 5000 + b"}\n", "a number is too long"),
    ("lone.jsonl", b'{"title": "T\\ud800", "description": "d"}\n', "unpaired surrogate"),
])
def test_hostile_uploads_are_400_with_problems_and_the_index_unchanged(
        admin_client: TestClient, admin_services: Services, name: str, data: bytes, says: str) -> None:
    before = read_manifest(admin_services.settings.index_dir)
    response = upload(admin_client, name, data)
    assert response.status_code == 400, response.text
    body = response.json()
    assert says in body["error"] and f"{name}:" in body["error"]
    assert read_manifest(admin_services.settings.index_dir)["generation"] == before["generation"]
    skipped = upload(admin_client, name, data, skip_invalid="true")
    if name == "jobs.csv":  # the rows after the broken one are read as rows, not swallowed
        assert skipped.status_code == 200 and skipped.json()["added"] == 49 and skipped.json()["rejected"] == 1
