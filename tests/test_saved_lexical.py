"""The BM25 index a refresh saves in each generation: written once, memory-mapped by every
reader, giving the same results as building it in memory, and rebuilt (with a warning)
whenever it is missing, stale or damaged."""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path

import numpy as np
import pytest

from assistant.container import Services, build_services
from assistant.errors import IndexCorrupt
from assistant.indexer import refresh
from assistant.lexical import TOKENIZER, LexicalIndex
from assistant.retrieval import HybridRetriever
from assistant.saved_lexical import STAMP, index_chunks, lexical_folder, load_lexical
from assistant.sources import load_paths
from assistant.store import Generation
from tests.conftest import build_index, posting, write_jsonl
from tests.fakes import HashingEmbedder

QUESTIONS = [("What skills do ML engineers need?", {}), ("Why read job postings?", {}),
             ("statistics and experiments", {"kind": "posting"}), ("cloud platforms and Kubernetes", {}),
             ("What is a data scientist, according to the author?", {"kind": "article"}),
             ("how many postings ask for Spark", {}), ("models", {"role_family": "data_scientist"}),
             ("airflw pipelnes", {})]

# What the retriever returned for QUESTIONS over the shipped corpus and the hashing embedder
# before the lexical index was saved (it was rebuilt from every chunk's text at start-up).
BEFORE = [
    ["article#1", "article#0", "article#10", "sample-047#1", "sample-038#2"],
    ["article#15", "sample-017#1", "sample-009#0", "sample-006#1", "sample-038#0"],
    ["sample-046#2", "sample-008#0", "sample-019#0", "sample-033#1", "sample-039#0"],
    ["article#7", "article#9", "article#1", "sample-020#0", "sample-018#0"],
    ["article#8", "article#1", "article#11"],
    ["article#7", "role-note-machine-learning-engineer#1", "sample-018#0", "sample-029#0", "sample-017#1"],
    ["sample-046#1", "sample-028#0", "sample-009#1", "sample-034#2", "sample-046#2"],
    ["article#5", "article#11", "article#4", "sample-003#0", "role-note-data-engineer#0"],
]


@pytest.fixture
def built(services: Services) -> Services:
    build_index(services)
    return services


def ingest(services: Services, records: list[dict], path: Path) -> None:
    documents = load_paths([write_jsonl(path, records)], max_record_bytes=1_000_000).documents
    refresh(services.store, services.chunker, documents, progress=False)


def ranked(generation: Generation, services: Services, lexical: LexicalIndex) -> list[list[tuple]]:
    retriever = HybridRetriever(generation, services.embedder, lexical)
    return [[(h.chunk_id, h.score, h.text, h.metadata) for h in retriever.retrieve(question, filters=filters)]
            for question, filters in QUESTIONS]


def warned(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]


def memory_mapped(lexical: LexicalIndex) -> bool:
    return lexical.bm25 is not None and isinstance(lexical.bm25.scores["data"], np.memmap)


def test_a_refresh_saves_the_index_of_exactly_its_chunks(services: Services, tmp_path: Path) -> None:
    ingest(services, [posting(i, description=f"Short posting {i}.") for i in range(3)], tmp_path / "a.jsonl")
    published = services.store.current_path()
    assert published is not None
    stamp = json.loads((lexical_folder(published) / STAMP).read_text())
    assert (stamp["generation"], stamp["chunks"], stamp["tokenizer"]) == (published.name, 3, TOKENIZER)
    with services.store.reader() as generation:
        lexical = load_lexical(generation)
        assert sorted(lexical.ids) == sorted(generation.collection.get(include=[])["ids"])
        assert sorted(m["doc_id"] for m in lexical.metadatas) == ["p0", "p1", "p2"]
        assert memory_mapped(lexical)


def test_the_saved_index_answers_as_the_one_built_before_did(built: Services, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING), built.store.reader() as generation:
        lexical = load_lexical(generation)
        assert memory_mapped(lexical)
        results = ranked(generation, built, lexical)
        assert [[chunk_id for chunk_id, *_ in hits] for hits in results] == BEFORE
        assert results == ranked(generation, built, index_chunks(generation))
        # Texts and the metadata the index does not keep come from the store, by id.
        first = HybridRetriever(generation, built.embedder, lexical).retrieve("cloud platforms and Kubernetes")[0]
        stored = generation.collection.get(ids=[first.metadata["store_id"]], include=["documents", "metadatas"])
        assert first.text == stored["documents"][0] and first.title == stored["metadatas"][0]["title"]
    assert warned(caplog) == []


def test_a_server_memory_maps_the_saved_index(built: Services) -> None:
    from ui.served import ServedIndex

    served = ServedIndex(built)
    try:
        assert memory_mapped(served.assistant("extractive").retriever.lexical)
    finally:
        served.close()


def test_a_generation_from_before_saved_indexes_answers_and_the_next_refresh_saves_one(
        built: Services, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    with built.store.reader() as generation:
        expected = ranked(generation, built, load_lexical(generation))
        shutil.rmtree(lexical_folder(generation.path))
        with caplog.at_level(logging.WARNING):
            lexical = load_lexical(generation)
        assert not memory_mapped(lexical)
        assert ranked(generation, built, lexical) == expected
    assert "there is none (a generation from before they were saved)" in caplog.text
    ingest(built, [posting(7, title="Data Engineer", description="Spark and Airflow pipelines.")], tmp_path / "b.jsonl")
    with built.store.reader() as generation:
        assert memory_mapped(load_lexical(generation))


def _truncate(folder: Path) -> None:
    data = folder / "bm25" / "data.csc.index.npy"
    data.write_bytes(data.read_bytes()[:100])


def _edit_chunks(folder: Path) -> None:
    chunks = json.loads((folder / "chunks.json").read_text())
    chunks["fields"]["kind"][0] = "posting" if chunks["fields"]["kind"][0] == "article" else "article"
    (folder / "chunks.json").write_text(json.dumps(chunks))


def _restamp(folder: Path, **changes: object) -> None:
    stamp = json.loads((folder / STAMP).read_text())
    (folder / STAMP).write_text(json.dumps({**stamp, **changes}))


DAMAGE = {
    "a truncated score file": (_truncate, "its files differ from the ones its stamp lists"),
    "an edited routing field": (_edit_chunks, "its files differ from the ones its stamp lists"),
    "another generation's index": (lambda f: _restamp(f, generation="gen-000001-20260101T000000-abcdef"),
                                   "it was made for generation 'gen-000001-20260101T000000-abcdef'"),
    "one chunk fewer": (lambda f: _restamp(f, chunks=158), "it was made for chunks 158, not 159"),
    "another stemmer": (lambda f: _restamp(f, tokenizer={**TOKENIZER, "stemmer": "porter"}),
                        "it was made for tokenizer"),
    "an unreadable stamp": (lambda f: (f / STAMP).write_bytes(b"\xff{"), "its stamp is unreadable"),
}


@pytest.mark.parametrize("damage", DAMAGE)
def test_a_stale_or_damaged_index_is_rebuilt_with_a_warning(built: Services, damage: str,
                                                           caplog: pytest.LogCaptureFixture) -> None:
    harm, reason = DAMAGE[damage]
    with built.store.reader() as generation:
        expected = ranked(generation, built, index_chunks(generation))
        assert generation.collection.count() == 159  # the article, the role notes and the 50 sample postings
        harm(lexical_folder(generation.path))
        with caplog.at_level(logging.WARNING):
            lexical = load_lexical(generation)
        assert ranked(generation, built, lexical) == expected
    assert len(warned(caplog)) == 1
    assert reason in caplog.text and "building it from the chunks" in caplog.text


def test_an_index_copied_from_the_previous_generation_is_not_used(services: Services, tmp_path: Path,
                                                                  caplog: pytest.LogCaptureFixture) -> None:
    """What a refresh by a version that did not save indexes leaves: the copy's old one."""
    ingest(services, [posting(1)], tmp_path / "a.jsonl")
    first = services.store.current_path()
    assert first is not None
    ingest(services, [posting(1), posting(2, title="Data Engineer", description="Kafka streams.")], tmp_path / "b.jsonl")
    second = services.store.current_path()
    assert second is not None and second != first
    shutil.rmtree(lexical_folder(second))
    shutil.copytree(lexical_folder(first), lexical_folder(second))
    with caplog.at_level(logging.WARNING), services.store.reader() as generation:
        lexical = load_lexical(generation)
        assert sorted(m["doc_id"] for m in lexical.metadatas) == ["p1", "p2"]
        hits = HybridRetriever(generation, services.embedder, lexical).retrieve("Kafka streams", k=1)
        assert hits[0].doc_id == "p2"
    assert f"it was made for generation {first.name!r}, not {second.name!r}" in caplog.text


def test_a_crashed_refresh_leaves_the_published_index_intact(settings, tmp_path: Path,
                                                            caplog: pytest.LogCaptureFixture) -> None:
    good = build_services(settings, embedder=HashingEmbedder())
    ingest(good, [posting(i) for i in range(3)], tmp_path / "a.jsonl")
    published = good.store.current_path()
    assert published is not None
    saved = {p.relative_to(published): p.read_bytes() for p in lexical_folder(published).rglob("*") if p.is_file()}
    crashing = build_services(settings, embedder=HashingEmbedder(fail_after_batches=1))
    many = [posting(i, description=f"New text {i}.\n" + "- line\n" * 40) for i in range(100, 400)]
    with pytest.raises(RuntimeError, match="simulated crash"):
        ingest(crashing, many, tmp_path / "b.jsonl")
    assert good.store.current_path() == published
    assert {p.relative_to(published): p.read_bytes() for p in lexical_folder(published).rglob("*")
            if p.is_file()} == saved
    with caplog.at_level(logging.WARNING), good.store.reader() as generation:
        lexical = load_lexical(generation)
        assert memory_mapped(lexical) and len(lexical) == 3
    assert warned(caplog) == []


def test_an_empty_generation_saves_an_empty_index(services: Services, caplog: pytest.LogCaptureFixture) -> None:
    refresh(services.store, services.chunker, [], progress=False)
    with caplog.at_level(logging.WARNING), services.store.reader() as generation:
        lexical = load_lexical(generation)
        assert (len(lexical), lexical.bm25) == (0, None)
        assert HybridRetriever(generation, services.embedder, lexical).retrieve("anything") == []
    assert warned(caplog) == []


def test_a_lexical_hit_the_store_lacks_is_a_clear_error(built: Services) -> None:
    with built.store.reader() as generation:
        retriever = HybridRetriever(generation, built.embedder, load_lexical(generation))
        gone = retriever.core_passages()[2].metadata["store_id"]
        generation.collection.delete(ids=[gone])
        with pytest.raises(IndexCorrupt, match=f"chunk '{gone}' is in the lexical index of .* but not in its "
                                               f"vector store"):
            retriever.core_passages()


def test_a_full_disk_while_saving_the_index_leaves_the_published_one_answering(
        services: Services, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import errno

    import assistant.saved_lexical as saved
    from assistant.errors import IndexWriteError

    ingest(services, [posting(i) for i in range(3)], tmp_path / "a.jsonl")
    published = services.store.current_path()
    assert published is not None
    real_save = saved.save_lexical

    def half_written(index: LexicalIndex, folder: Path, *, generation: str) -> None:
        real_save(index, folder, generation=generation)
        (folder / STAMP).unlink()  # killed before the stamp, the last file, was written
        raise OSError(errno.ENOSPC, "No space left on device", str(folder / STAMP))

    monkeypatch.setattr(saved, "save_lexical", half_written)
    with pytest.raises(IndexWriteError, match=r"No space left on device .*stamp.json\); the published index is "
                                              r"unchanged and still answers"):
        ingest(services, [posting(i) for i in range(5)], tmp_path / "b.jsonl")
    monkeypatch.undo()
    assert services.store.current_path() == published and services.store.generations() == [published]
    with services.store.reader() as generation:
        lexical = load_lexical(generation)
        assert memory_mapped(lexical) and sorted(m["doc_id"] for m in lexical.metadatas) == ["p0", "p1", "p2"]


def test_the_index_keeps_every_field_a_filter_can_name() -> None:
    """Filtering happens on the routing fields alone: a filter on a field they lacked would
    silently match nothing."""
    from assistant.lexical import ROUTING_FIELDS
    from assistant.search import FILTER_FIELDS

    assert set(FILTER_FIELDS) <= set(ROUTING_FIELDS)
