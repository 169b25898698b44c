"""Generations in PostgreSQL and vectors on a Chroma server: app servers with empty folders
of their own, on a real PostgreSQL and a real Chroma server ("machines" are Services with
folders of their own; separate processes: test_slow_two_machines.py).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import chromadb
import psycopg
import pytest
from chromadb.config import Settings as ChromaSettings
from pydantic import SecretStr

from assistant.catalog import PostgresCatalog
from assistant.container import Services, build_services
from assistant.errors import IndexCorrupt, IndexNotBuilt
from assistant.indexer import refresh
from assistant.settings import Settings
from assistant.sources import load_paths
from tests.conftest import build_index, cli_in_process, posting, write_jsonl
from tests.fakes import HashingEmbedder
from ui.served import ServedIndex


@pytest.fixture
def machine(tmp_path: Path, database_url: str, chroma_server: str):  # type: ignore[no-untyped-def]
    """A machine's services: an index folder of its own, the shared servers."""
    collection = f"shared{time.time_ns()}"

    def make(name: str) -> Services:
        # model_copy: the environment (ASSISTANT_INDEX_DIR) outranks constructor arguments.
        settings = Settings().model_copy(update={
            "index_dir": tmp_path / name / "index", "data_dir": tmp_path / name / "data",
            "database_url": SecretStr(database_url), "chroma_url": chroma_server, "collection": collection})
        return build_services(settings, embedder=HashingEmbedder())

    return make


def chroma(url: str) -> chromadb.ClientAPI:
    host, port = url.removeprefix("http://").split(":")
    return chromadb.HttpClient(host=host, port=int(port), settings=ChromaSettings(anonymized_telemetry=False))


def server_collections(url: str, base: str) -> list[str]:
    client = chroma(url)
    try:
        return sorted(c.name for c in client.list_collections() if c.name.startswith(base + "-"))
    finally:
        client.close()


def ingest(services: Services, tmp_path: Path, records: list[dict]) -> None:
    loaded = load_paths([write_jsonl(tmp_path / f"feed{time.time_ns()}.jsonl", records)], max_record_bytes=100_000)
    refresh(services.store, services.chunker, loaded.documents, progress=False)


def test_a_machine_with_an_empty_folder_answers_from_the_published_generation(machine, tmp_path: Path) -> None:
    first, second = machine("a"), machine("b")
    assert second.pointer.path() is None
    with pytest.raises(IndexNotBuilt, match="no index 'shared\\d+' in the database"):
        second.pointer.manifest()

    build_index(first)
    built = first.pointer.manifest()
    assert not (first.settings.index_dir / "CURRENT").exists()  # the pointer is the database's

    assert not second.settings.index_dir.exists()
    seen = second.pointer.manifest()
    assert (seen["generation"], seen["documents"], seen["chunks"]) == (built["generation"], built["documents"],
                                                                       built["chunks"])
    fetched = second.settings.index_dir / seen["generation"]
    assert sorted(p.name for p in fetched.iterdir()) == ["documents.sqlite", "lexical", "manifest.json",
                                                         "records.sqlite"]
    with second.store.reader() as generation:
        assert generation.collection.count() == built["chunks"]
    answer = ServedIndex(second).assistant("extractive").ask("Do ML engineers need to know statistics?")
    assert answer.sources and any(s.kind == "article" for s in answer.sources)


def test_the_figures_of_a_machine_with_an_empty_folder_are_the_builders(machine, monkeypatch: pytest.MonkeyPatch,
                                                                         capsys: pytest.CaptureFixture[str]) -> None:
    first, second = machine("a"), machine("b")
    build_index(first)
    stats = [cli_in_process(services, monkeypatch, capsys, "stats", "--json") for services in (first, second)]
    assert stats[0][0] == 0 and stats[0] == stats[1]
    counted = json.loads(stats[1][1])
    assert counted and second.published_corpus().figures("ml_engineer").n == first.published_corpus().figures(
        "ml_engineer").n > 0
    status = [json.loads(cli_in_process(s, monkeypatch, capsys, "status", "--json")[1]) for s in (first, second)]
    assert {k: v for k, v in status[0].items() if k != "index_dir"} == {
        k: v for k, v in status[1].items() if k != "index_dir"}


def test_a_refresh_on_one_machine_is_seen_by_another_at_its_next_request(machine, tmp_path: Path) -> None:
    first, server, refresher = machine("a"), machine("b"), machine("c")
    build_index(first)
    served = ServedIndex(server)
    before = served.assistant("extractive")
    old = server.pointer.path()

    ingest(refresher, tmp_path, [posting(1, title="Quantum Data Wrangler", description="Zebulonic pipelines in Rust.")])

    new = server.pointer.path()
    assert new is not None and old is not None and new.name > old.name
    after = served.assistant("extractive")
    assert after is not before
    hits = after.retriever.retrieve("Zebulonic pipelines quantum wrangler", k=5)
    assert "p1" in {h.doc_id for h in hits}
    assert "p1" not in {h.doc_id for h in before.retriever.retrieve("Zebulonic pipelines quantum wrangler", k=5)}
    assert server.pointer.manifest()["documents"] == first.pointer.manifest()["documents"]


def test_a_server_that_never_refreshes_drops_its_copies_of_pruned_generations(machine, tmp_path: Path) -> None:
    builder, server = machine("a"), machine("b")
    build_index(builder)
    fetched = [server.pointer.path()]
    for i in range(4):
        ingest(builder, tmp_path, [posting(30 + i)])
        fetched.append(server.pointer.path())
    kept = {p.name for p in server.settings.index_dir.glob("gen-*")}
    assert kept == set(builder.catalog.names()) & {p.name for p in fetched if p}  # type: ignore[union-attr]
    assert fetched[0] is not None and not fetched[0].exists() and fetched[-1] is not None and fetched[-1].is_dir()


def test_a_failed_refresh_leaves_the_published_generation_and_nothing_behind(machine, tmp_path: Path,
                                                                             chroma_server: str) -> None:
    first = machine("a")
    build_index(first)
    published = first.pointer.manifest()
    catalog = first.catalog
    assert isinstance(catalog, PostgresCatalog)

    with pytest.raises(RuntimeError, match="disk on fire"), first.store.locked(), first.store.writer() as generation:
        generation.collection.add(ids=["x"], documents=["half-written"])
        raise RuntimeError("disk on fire")

    assert first.pointer.manifest()["generation"] == published["generation"]
    assert catalog.names() == [published["generation"]]
    assert server_collections(chroma_server, first.settings.collection) == [
        f"{first.settings.collection}-{published['generation']}"]


def test_what_a_killed_refresh_left_is_dropped_by_the_next_refresh_on_another_machine(
        machine, tmp_path: Path, chroma_server: str) -> None:
    first, other = machine("a"), machine("b")
    build_index(first)
    published = first.pointer.manifest()["generation"]
    # What a refresh killed on machine a leaves: its row, and its half-filled collection on the server.
    dead = first.store.root / first.store._next_generation_name()
    first.catalog.begin(dead.name)  # type: ignore[union-attr]
    client = chroma(chroma_server)
    client.create_collection(f"{first.settings.collection}-{dead.name}").add(
        ids=["x"], documents=["half"], embeddings=[[1.0] * 8])
    client.close()
    assert len(server_collections(chroma_server, first.settings.collection)) == 2

    ingest(other, tmp_path, [posting(2)])

    now = other.pointer.path()
    assert now is not None and now.name > published and now.name != dead.name
    names = other.catalog.names()  # type: ignore[union-attr]
    assert dead.name not in names and now.name in names
    assert f"{first.settings.collection}-{dead.name}" not in server_collections(chroma_server,
                                                                               first.settings.collection)


def test_old_generations_are_pruned_from_the_database_and_the_server(machine, tmp_path: Path,
                                                                     chroma_server: str) -> None:
    first = machine("a")
    build_index(first)
    for i in range(3):
        ingest(first, tmp_path, [posting(10 + i)])
    names = first.catalog.names()  # type: ignore[union-attr]
    assert len(names) == first.settings.keep_generations == 3
    assert server_collections(chroma_server, first.settings.collection) == sorted(
        f"{first.settings.collection}-{name}" for name in names)
    with psycopg.connect(first.settings.database_url.get_secret_value()) as connection:
        kept = {row[0] for row in connection.execute("SELECT DISTINCT generation FROM index_files")}
    assert kept == set(names)


def test_repair_republishes_a_named_finished_generation(machine, tmp_path: Path) -> None:
    first, other = machine("a"), machine("b")
    build_index(first)
    older = first.pointer.manifest()["generation"]
    ingest(first, tmp_path, [posting(3)])

    assert other.store.repair(older).name == older
    assert other.pointer.manifest()["generation"] == older
    with pytest.raises(IndexCorrupt, match="'gen-9' is not a finished generation"):
        other.store.repair("gen-9")


def test_destroy_forgets_every_generation(machine, chroma_server: str) -> None:
    first = machine("a")
    build_index(first)
    first.store.destroy()
    assert first.pointer.path() is None
    assert server_collections(chroma_server, first.settings.collection) == []


def test_without_a_chroma_server_the_generations_stay_in_the_folder(settings: Settings, database_url: str) -> None:
    services = build_services(settings.model_copy(update={"database_url": SecretStr(database_url)}),
                              embedder=HashingEmbedder())
    assert services.catalog is None
    build_index(services)
    assert (settings.index_dir / "CURRENT").is_file()


def test_migrate_moves_an_embedded_index_without_embedding_again(machine, settings: Settings, tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    embedded = build_services(settings, embedder=HashingEmbedder())
    build_index(embedded)
    before = embedded.pointer.manifest()
    other = machine("b")
    target = build_services(other.settings.model_copy(update={"index_dir": settings.index_dir}),
                            embedder=HashingEmbedder())

    code, out, err = cli_in_process(target, monkeypatch, capsys, "migrate", "--to-server", "--json")
    assert code == 0, err
    result = json.loads(out)
    assert (result["generation"], result["chunks"]) == (before["generation"], before["chunks"])
    assert result["documents"] == before["documents"] and result["records"] == before["chunks"]
    assert target.embedder.texts == []  # type: ignore[attr-defined]

    assert other.pointer.manifest()["generation"] == before["generation"]
    answer = ServedIndex(other).assistant("extractive").ask("Do ML engineers need to know statistics?")
    assert any(s.kind == "article" for s in answer.sources)
    # The folder is as it was, and still answers on its own.
    assert embedded.pointer.manifest() == before
    assert ServedIndex(build_services(settings, embedder=HashingEmbedder())).assistant("extractive").ask(
        "Do ML engineers need to know statistics?").sources

    code, _, err = cli_in_process(target, monkeypatch, capsys, "migrate", "--to-server")
    assert code != 0 and "already has an index" in err and "nothing was changed" in err


def test_migrate_refuses_without_both_servers(settings: Settings, monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    services = build_services(settings, embedder=HashingEmbedder())
    build_index(services)
    code, _, err = cli_in_process(services, monkeypatch, capsys, "migrate", "--to-server")
    assert code != 0 and "needs both ASSISTANT_DATABASE_URL and ASSISTANT_CHROMA_URL" in err
