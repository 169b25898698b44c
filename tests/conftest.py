from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from assistant.container import Services, build_services
from assistant.settings import REPO_ROOT, Settings
from tests.fakes import HashingEmbedder

SHARED = REPO_ROOT.parent / "shared"
SHARED_DATA = SHARED / "data"


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test gets its own data directory and never writes into the repo."""
    for key in list(os.environ):
        if key.startswith("ASSISTANT_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("ASSISTANT_INDEX_DIR", str(tmp_path / "index"))
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(index_dir=tmp_path / "index")


@pytest.fixture
def embedder() -> HashingEmbedder:
    return HashingEmbedder()


@pytest.fixture
def services(settings: Settings, embedder: HashingEmbedder) -> Services:
    return build_services(settings, embedder=embedder)


def write_jsonl(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def posting(i: int, **fields: str) -> dict:
    record = {
        "id": f"p{i}",
        "title": fields.pop("title", "Data Scientist"),
        "company": fields.pop("company", f"Company {i}"),
        "location": "Remote",
        "description": fields.pop(
            "description",
            f"Posting number {i}.\nResponsibilities:\n- Build models for problem {i}\n"
            f"- Run A/B tests\nRequirements:\n- Python and SQL\n- Statistics, item {i}",
        ),
    }
    record.update(fields)
    return record


def shared_file(name: str) -> Path:
    path = SHARED_DATA / name
    if not path.is_file():
        pytest.skip(f"{path} is not available")
    return path
