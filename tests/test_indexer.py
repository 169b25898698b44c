"""Refresh semantics with a fake embedder and a real Chroma store, in the three modes: embedded
in a temporary folder; on a Chroma server; on a Chroma server with the generations in
PostgreSQL (the tests of a damaged CURRENT file run where there is one)."""

from __future__ import annotations

import secrets
import threading
from pathlib import Path

import pytest
from pydantic import SecretStr

from assistant.container import Services, build_services
from assistant.errors import IndexBusy, IndexCorrupt, IndexMismatch, IndexNotBuilt
from assistant.indexer import refresh
from assistant.search import search
from assistant.settings import Settings
from assistant.sources import load_paths
from assistant.types import Document
from tests.conftest import posting, write_jsonl
from tests.fakes import HashingEmbedder


@pytest.fixture(params=["embedded", "server", "postgres"])
def settings(tmp_path: Path, request: pytest.FixtureRequest) -> Settings:
    servers: dict[str, object] = {}
    if request.param != "embedded":
        servers["chroma_url"] = request.getfixturevalue("chroma_server")
    if request.param == "postgres":
        servers["database_url"] = SecretStr(request.getfixturevalue("database_url"))
    # A collection name of its own, so the server's collections can be checked per test.
    return Settings(index_dir=tmp_path / "index", data_dir=tmp_path / "data", collection=f"t{secrets.token_hex(6)}",
                    **servers)  # type: ignore[arg-type]


def with_current_file(services: Services) -> None:
    """Tests of the CURRENT file and the folders beside it: not where the database has the pointer."""
    if services.catalog is not None:
        pytest.skip("the pointer is a row of the database there (tests/test_shared_catalog.py)")


def stray_vectors(services: Services) -> set[str]:
    """Collections on the server that belong to no generation on disk (none, embedded)."""
    if not services.settings.chroma_url:
        return set()
    base = services.settings.collection
    client = services.store.vectors.client(services.store.root)
    try:
        held = {c.name for c in client.list_collections() if c.name.startswith(f"{base}-")}
    finally:
        client.close()
    return held - {f"{base}-{path.name}" for path in services.store.generations()}


def docs_from(path: Path) -> list[Document]:
    loaded = load_paths([path], max_record_bytes=1_000_000)
    assert loaded.rejections == []
    return loaded.documents


def ingest(services: Services, docs: list[Document], **kwargs):
    return refresh(services.store, services.chunker, docs, progress=False, **kwargs)


def test_first_ingest_then_status_and_search(services: Services, tmp_path: Path) -> None:
    records = [posting(i) for i in range(5)]
    records.append(posting(9, title="Data Engineer", description="Build Spark and Kafka pipelines.\nAirflow too."))
    report = ingest(services, docs_from(write_jsonl(tmp_path / "a.jsonl", records)))
    assert (len(report.added), report.published) == (6, True)
    manifest = services.pointer.manifest()
    assert manifest["documents"] == 6 and manifest["kind"] == {"posting": 6}
    assert manifest["chunks"] == report.chunks_added
    assert manifest["role_family"] == {"data_scientist": 5, "data_engineer": 1}
    on_server = bool(services.settings.chroma_url)
    assert (services.store.current_path() / "chroma").is_dir() is not on_server  # the vectors live on the server
    with services.store.reader() as generation:
        [hit] = search(generation, services.embedder, "Spark Kafka pipelines", k=1)
        assert (hit.doc_id, hit.kind, hit.role_family) == ("p9", "posting", "data_engineer")
        assert hit.chunk_id == "p9#0" and 0 < hit.score <= 1
        only = search(generation, services.embedder, "Spark", k=10, filters={"role_family": "data_scientist"})
        assert only and {h.role_family for h in only} == {"data_scientist"}


def test_readers_opening_the_index_at_once_all_get_it(services: Services, tmp_path: Path) -> None:
    # As when an upload's refresh opens the index while a request reopens the new generation.
    ingest(services, docs_from(write_jsonl(tmp_path / "a.jsonl", [posting(i) for i in range(3)])))
    start = threading.Barrier(8, timeout=60)
    found: list[int] = []
    failed: list[str] = []

    def read() -> None:
        try:
            start.wait()
            with services.store.reader() as generation:
                found.append(len(search(generation, services.embedder, "data scientist", k=3)))
        except Exception as exc:
            failed.append(repr(exc))

    threads = [threading.Thread(target=read) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert failed == [] and found == [3] * 8


def test_unchanged_input_costs_nothing_and_publishes_nothing(services: Services, tmp_path: Path,
                                                             embedder: HashingEmbedder) -> None:
    docs = docs_from(write_jsonl(tmp_path / "a.jsonl", [posting(i) for i in range(4)]))
    ingest(services, docs)
    generation = services.store.current_path()
    embedded = len(embedder.texts)
    report = ingest(services, docs)
    assert (len(report.unchanged), report.added, report.updated, report.published) == (4, [], [], False)
    assert len(embedder.texts) == embedded
    assert services.store.current_path() == generation


def test_a_changed_posting_is_the_only_one_re_embedded(services: Services, tmp_path: Path,
                                                        embedder: HashingEmbedder) -> None:
    records = [posting(i) for i in range(4)]
    ingest(services, docs_from(write_jsonl(tmp_path / "a.jsonl", records)))
    before = services.pointer.manifest()["chunks"]
    embedder.texts.clear()
    records[2]["description"] += "\n- Kubernetes experience is a plus"
    report = ingest(services, docs_from(write_jsonl(tmp_path / "a.jsonl", records)))
    assert (report.updated, len(report.unchanged)) == (["p2"], 3)
    assert embedder.texts and all(text.startswith("Data Scientist at Company 2") for text in embedder.texts)
    assert services.pointer.manifest()["chunks"] == before  # old chunks replaced, not kept
    with services.store.reader() as generation:
        texts = [h.text for h in search(generation, services.embedder, "Kubernetes", k=20,
                                        filters={"doc_id": "p2"})]
        assert any("Kubernetes" in t for t in texts)


def test_duplicates_are_reported_and_not_indexed_twice(services: Services, tmp_path: Path) -> None:
    first = write_jsonl(tmp_path / "a.jsonl", [posting(1), posting(2)])
    ingest(services, docs_from(first))
    same_text = posting(7, description=posting(1)["description"], company="Company 1")
    again = [posting(8), dict(posting(8), id="p8-copy", location="Paris"), same_text]
    report = ingest(services, docs_from(write_jsonl(tmp_path / "b.jsonl", again)))
    assert report.added == ["p8"]
    assert sorted(report.duplicates) == [("p7", "p1"), ("p8-copy", "p8")]
    assert services.pointer.manifest()["documents"] == 3


def test_sync_removes_postings_that_left_the_source(services: Services, tmp_path: Path) -> None:
    source = write_jsonl(tmp_path / "feed.jsonl", [posting(i) for i in range(4)])
    other = write_jsonl(tmp_path / "other.jsonl", [posting(10)])
    ingest(services, docs_from(source) + docs_from(other))
    write_jsonl(source, [posting(0), posting(2)])
    kept = ingest(services, docs_from(source))
    assert kept.removed == [] and services.pointer.manifest()["documents"] == 5
    report = ingest(services, docs_from(source), sync_sources={str(source.resolve())})
    assert sorted(report.removed) == ["p1", "p3"]
    manifest = services.pointer.manifest()
    assert manifest["documents"] == 3 and manifest["sources"] == {str(source.resolve()): 2,
                                                                  str(other.resolve()): 1}
    with services.store.reader() as generation:
        assert search(generation, services.embedder, "problem", k=10, filters={"doc_id": "p1"}) == []


def test_a_crash_mid_refresh_leaves_the_previous_index_answering(settings, tmp_path: Path) -> None:
    good = build_services(settings, embedder=HashingEmbedder())
    ingest(good, docs_from(write_jsonl(tmp_path / "a.jsonl", [posting(i) for i in range(3)])))
    published = good.store.current_path()
    before = good.pointer.manifest()

    crashing = build_services(settings, embedder=HashingEmbedder(fail_after_batches=1))
    many = [posting(i, description=f"New text {i}.\n" + "- line\n" * 40) for i in range(100, 400)]
    with pytest.raises(RuntimeError, match="simulated crash"):
        ingest(crashing, docs_from(write_jsonl(tmp_path / "b.jsonl", many)))

    assert good.store.current_path() == published
    assert good.store.generations() == [published]  # the half-written copy is gone
    assert stray_vectors(good) == set()
    assert good.pointer.manifest()["documents"] == before["documents"] == 3
    with good.store.reader() as generation:
        assert search(generation, good.embedder, "problem 1", k=1)[0].doc_id == "p1"


def test_a_killed_refresh_leaves_an_orphan_that_the_next_refresh_removes(services: Services, tmp_path: Path) -> None:
    with_current_file(services)
    ingest(services, docs_from(write_jsonl(tmp_path / "a.jsonl", [posting(1)])))
    orphan = services.store.root / "gen-999999-20260101T000000-dead00"
    (orphan / "chroma").mkdir(parents=True)
    services.store.vectors.client(orphan).get_or_create_collection(f"{services.settings.collection}-{orphan.name}")
    assert services.store.current_path() != orphan
    assert len(stray_vectors(services)) == 0  # while its folder is there, the orphan is a generation
    ingest(services, docs_from(write_jsonl(tmp_path / "b.jsonl", [posting(2)])))
    assert not orphan.exists()
    assert stray_vectors(services) == set()
    with services.store.reader() as generation:
        assert {h.doc_id for h in search(generation, services.embedder, "Posting number", k=5)} == {"p1", "p2"}


def _three_generations(services: Services, tmp_path: Path) -> list[Path]:
    for i in range(3):
        ingest(services, docs_from(write_jsonl(tmp_path / f"g{i}.jsonl", [posting(j) for j in range(i + 1)])))
    return services.store.generations()


@pytest.mark.parametrize("damage", ["dangling", "empty", "missing", "outside", "binary"])
def test_a_broken_pointer_is_refused_and_nothing_is_deleted(services: Services, tmp_path: Path, damage: str) -> None:
    with_current_file(services)
    generations = _three_generations(services, tmp_path)
    pointer = services.store.root / "CURRENT"
    if damage == "missing":
        pointer.unlink()
    else:
        pointer.write_bytes({"dangling": b"gen-999999-missing\n", "empty": b"", "outside": b"../../etc\n",
                             "binary": b"\xff\xfe\x00"}[damage])
    with pytest.raises(IndexCorrupt, match=r"nothing was changed or deleted.*repair") as refused:
        ingest(services, docs_from(write_jsonl(tmp_path / "one.jsonl", [posting(99)])))
    assert generations[-1].name in str(refused.value)
    assert services.store.generations() == generations  # before the fix: every one deleted as an orphan
    with pytest.raises(IndexCorrupt):
        services.pointer.manifest()

    assert services.store.repair() == generations[-1]
    assert services.pointer.manifest()["documents"] == 3
    with services.store.reader() as generation:
        assert {h.doc_id for h in search(generation, services.embedder, "Posting number", k=5)} == {"p0", "p1", "p2"}


def test_repair_can_republish_an_older_generation_and_refuses_a_broken_one(services: Services, tmp_path: Path) -> None:
    with_current_file(services)
    generations = _three_generations(services, tmp_path)
    (services.store.root / "CURRENT").write_text("gen-999999-missing\n")
    assert services.store.repair(generations[0].name) == generations[0]
    assert services.pointer.manifest()["documents"] == 1
    (generations[1] / "manifest.json").write_text("{not json")
    with pytest.raises(IndexCorrupt, match=r"not an intact generation.*intact: "):
        services.store.repair(generations[1].name)
    with pytest.raises(IndexCorrupt, match="not an intact generation"):
        services.store.repair("../outside")
    assert services.store.generations() == generations


def test_a_corrupt_manifest_is_a_clear_error_not_a_traceback(services: Services, tmp_path: Path) -> None:
    with_current_file(services)
    generations = _three_generations(services, tmp_path)
    (generations[-1] / "manifest.json").write_text('{"documents": 3')
    with pytest.raises(IndexCorrupt, match=r"manifest.json is unreadable.*gen-.*\(2 documents\).*repair"):
        services.pointer.manifest()
    with pytest.raises(IndexCorrupt):
        ingest(services, docs_from(write_jsonl(tmp_path / "one.jsonl", [posting(99)])))
    assert services.store.generations() == generations
    assert services.store.repair() == generations[1]  # the newest intact one


def test_a_killed_first_build_without_a_pointer_is_cleaned_up(services: Services, tmp_path: Path) -> None:
    with_current_file(services)
    unfinished = services.store.root / "gen-000001-20260101T000000-dead00"
    (unfinished / "chroma").mkdir(parents=True)  # no manifest: killed before it was finished
    assert services.store.current_path() is None
    ingest(services, docs_from(write_jsonl(tmp_path / "a.jsonl", [posting(1)])))
    assert not unfinished.exists() and services.pointer.manifest()["documents"] == 1


def test_pruning_keeps_the_generations_around_an_older_published_one(settings, tmp_path: Path) -> None:
    services = build_services(settings, embedder=HashingEmbedder())
    generations = _three_generations(services, tmp_path)
    services.store.repair(generations[0].name)
    ingest(services, docs_from(write_jsonl(tmp_path / "more.jsonl", [posting(50)])))
    kept = services.store.generations()
    assert generations[0] in kept and kept[-1] == services.store.current_path()
    assert services.pointer.manifest()["documents"] == 2


def test_a_second_refresh_at_the_same_time_is_refused(services: Services, tmp_path: Path) -> None:
    docs = docs_from(write_jsonl(tmp_path / "a.jsonl", [posting(1)]))
    with services.store.locked():
        with pytest.raises(IndexBusy, match="another process is refreshing"):
            ingest(services, docs)


def test_old_generations_are_pruned_but_recent_ones_kept_for_readers(settings, tmp_path: Path) -> None:
    services = build_services(settings, embedder=HashingEmbedder())
    for i in range(5):
        ingest(services, docs_from(write_jsonl(tmp_path / f"{i}.jsonl", [posting(i)])))
    generations = services.store.generations()
    assert len(generations) == settings.keep_generations
    assert generations[-1] == services.store.current_path()
    assert stray_vectors(services) == set()


def test_reading_before_anything_was_built_says_how_to_build(services: Services) -> None:
    with pytest.raises(IndexNotBuilt, match="python -m assistant build"):
        with services.store.reader():
            pass
    with pytest.raises(IndexNotBuilt):
        services.pointer.manifest()


def test_an_index_built_with_another_model_is_refused(services: Services, settings, tmp_path: Path) -> None:
    ingest(services, docs_from(write_jsonl(tmp_path / "a.jsonl", [posting(1)])))
    other = HashingEmbedder()
    other.name = "another-model"
    with pytest.raises(IndexMismatch, match="built with embedding model 'fake-hashing-64'"):
        with build_services(settings, embedder=other).store.reader():
            pass


def test_sync_on_a_folder_removes_postings_of_deleted_files(services: Services, tmp_path: Path) -> None:
    folder = tmp_path / "feed"
    folder.mkdir()
    for name in ("a", "b", "c"):
        (folder / f"{name}.txt").write_text(f"Data Analyst\nDashboards and SQL for team {name}.\n")
    loaded = load_paths([folder], max_record_bytes=10_000)
    ingest(services, loaded.documents)
    (folder / "b.txt").unlink()
    loaded = load_paths([folder], max_record_bytes=10_000)
    report = ingest(services, loaded.documents, sync_sources={str(folder.resolve())})
    assert (report.removed, sorted(report.unchanged)) == (["b"], ["a", "c"])


@pytest.mark.parametrize("fail_at", ["copy", "manifest", "publish"])
def test_a_full_disk_is_a_clear_error_and_the_old_index_still_answers(
        services: Services, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fail_at: str) -> None:
    import errno
    import shutil

    import assistant.store as store_module
    from assistant.errors import IndexWriteError

    if fail_at == "publish":
        with_current_file(services)
    ingest(services, docs_from(write_jsonl(tmp_path / "a.jsonl", [posting(i) for i in range(3)])))
    before = services.pointer.path()

    def full(*args: object, **kwargs: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device", str(services.store.root / "gen-new"))

    target = {"copy": (shutil, "copytree"), "manifest": (store_module, "_write_manifest"),
              "publish": (store_module, "_fsync_tree")}[fail_at]
    monkeypatch.setattr(*target, full)
    with pytest.raises(IndexWriteError, match=r"No space left on device .*gen-new\); the published index is "
                                              r"unchanged and still answers"):
        ingest(services, docs_from(write_jsonl(tmp_path / "b.jsonl", [posting(7, title="Data Engineer")])))
    monkeypatch.undo()
    assert services.pointer.path() == before
    assert [p.name for p in services.store.generations()] == [before.name]  # nothing half-written left
    assert stray_vectors(services) == set()
    with services.store.reader() as generation:
        assert {h.doc_id for h in search(generation, services.embedder, "Posting number", k=5)} == {"p0", "p1", "p2"}


def test_hybrid_retrieval_reads_the_same_from_either_store(services: Services, tmp_path: Path) -> None:
    records = [posting(i) for i in range(6)]
    records.append(posting(20, title="Data Engineer", description="Build Spark and Kafka pipelines.\nAirflow daily."))
    records.append(posting(21, title="Machine Learning Engineer",
                           description="Serve PyTorch models with Kubernetes.\nMLOps and monitoring."))
    ingest(services, docs_from(write_jsonl(tmp_path / "a.jsonl", records)))
    with services.store.reader() as generation:
        retriever = services.retriever(generation)
        assert retriever.retrieve("Kubernetes PyTorch serving", k=1)[0].doc_id == "p21"
        assert retriever.retrieve("airflw pipelnes", k=1)[0].doc_id == "p20"  # both typos are repaired
        only = retriever.retrieve("models", k=5, filters={"role_family": "data_scientist"})
        assert only and {h.role_family for h in only} == {"data_scientist"}


@pytest.mark.parametrize("failure", ["chroma", "copy_many_files"])
def test_a_full_disk_in_any_layer_is_one_short_error(services: Services, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch, failure: str) -> None:
    """Chroma's core reports a full disk as InternalError, copytree as a list of every file
    it could not copy: both are one line naming the index folder, not a traceback or 3 KB."""
    import shutil

    from chromadb.api.models.Collection import Collection
    from chromadb.errors import InternalError

    from assistant.errors import IndexWriteError

    ingest(services, docs_from(write_jsonl(tmp_path / "a.jsonl", [posting(i) for i in range(3)])))
    before = services.pointer.path()
    if failure == "chroma":
        def full(*args: object, **kwargs: object) -> None:
            raise InternalError("Query error: Database error: error returned from database: (code: 13) "
                                "database or disk is full")
        monkeypatch.setattr(Collection, "upsert", full)
        monkeypatch.setattr(Collection, "add", full)
        expected = "database or disk is full"
    else:
        def copy_failed(source: object, target: object, **kwargs: object) -> None:
            raise shutil.Error([(f"/src/file{i}", f"/dst/file{i}", "[Errno 28] No space left on device")
                                for i in range(40)])
        monkeypatch.setattr(shutil, "copytree", copy_failed)
        expected = r"\[Errno 28\] No space left on device \(and 39 more files\)"
    with pytest.raises(IndexWriteError, match=f"could not write a new index generation in .*: {expected}; the "
                                              f"published index is unchanged") as refused:
        ingest(services, docs_from(write_jsonl(tmp_path / "b.jsonl", [posting(7, title="Data Engineer")])))
    assert len(str(refused.value)) < 400
    monkeypatch.undo()
    assert services.pointer.path() == before
    assert [p.name for p in services.store.generations()] == [before.name]
