"""The document table of a generation, field by field and counted by hand: upserts, the
columns an older table gains, locations backfilled from chunks, MinHash signatures of
postings only, texts read in batches, near-duplicate membership, and documents pieced
together from chunks (issue 18, mutation testing). SQLite in a temporary folder, no store."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from assistant.documents import FILE, DocumentTable, StoredDocument, folded_count, from_chunks, read_documents
from assistant.types import Document

# The columns of the first release, before location, minhash and duplicate_of.
_FIRST_SCHEMA = ("CREATE TABLE documents (doc_id TEXT PRIMARY KEY, kind TEXT NOT NULL, title TEXT NOT NULL, "
                 "company TEXT NOT NULL, role_family TEXT NOT NULL, text TEXT NOT NULL, exact INTEGER NOT NULL)")


def _first_release_table(folder: Path, *rows: tuple[str, str, str, str, str, str, int]) -> None:
    db = sqlite3.connect(folder / FILE)
    db.execute(_FIRST_SCHEMA)
    db.executemany("INSERT INTO documents VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
    db.commit()
    db.close()


def _posting(doc_id: str, kind: str = "posting", text: str = "SQL.") -> StoredDocument:
    return StoredDocument(doc_id, kind, f"Title {doc_id}", f"Company {doc_id}", "data_scientist", text)


def _by_id(folder: Path, kind: str | None = None) -> dict[str, StoredDocument]:
    return {d.doc_id: d for d in read_documents(folder, kind)}


def test_a_new_table_has_every_column_and_an_old_one_gains_them_in_order(tmp_path: Path) -> None:
    new = DocumentTable(tmp_path)
    assert new.added == [] and len(new) == 0
    new.close()
    old = tmp_path / "old"
    old.mkdir()
    _first_release_table(old, ("a", "posting", "T", "C", "other", "SQL.", 1))
    table = DocumentTable(old)
    assert table.added == ["location", "minhash", "duplicate_of"]
    assert len(table) == 1
    table.close()
    # Upgraded once: opening it again adds nothing.
    again = DocumentTable(old)
    assert again.added == []
    again.close()


def test_every_field_is_written_and_read_back(tmp_path: Path) -> None:
    table = DocumentTable(tmp_path)
    # A Document from a source has no `exact`: it is the exact text.
    table.upsert([Document("p1", "posting", "Data Scientist", "We use SQL.", "feed.jsonl", company="Acme",
                           location="Pune", role_family="data_scientist")])
    table.upsert([StoredDocument("r1", "role", "Data engineer", "O*NET", "data_engineer", "Builds pipelines.",
                                 exact=False, location="")])
    assert len(table) == 2
    table.close()
    assert _by_id(tmp_path) == {
        "p1": StoredDocument("p1", "posting", "Data Scientist", "Acme", "data_scientist", "We use SQL.",
                             exact=True, location="Pune", duplicate_of=""),
        "r1": StoredDocument("r1", "role", "Data engineer", "O*NET", "data_engineer", "Builds pipelines.",
                             exact=False, location="", duplicate_of=""),
    }


def test_an_upsert_replaces_a_document_of_the_same_id(tmp_path: Path) -> None:
    table = DocumentTable(tmp_path)
    table.upsert([_posting("a", text="Old."), _posting("b")])
    table.upsert([_posting("a", text="New.")])
    assert len(table) == 2 and table.texts(["a", "b"]) == {"a": "New.", "b": "SQL."}
    table.close()


def test_read_documents_keeps_to_the_kind_asked_for(tmp_path: Path) -> None:
    table = DocumentTable(tmp_path)
    table.upsert([_posting("p1"), _posting("p2"), _posting("r1", kind="role"), _posting("x1", kind="article")])
    table.close()
    assert sorted(_by_id(tmp_path, "posting")) == ["p1", "p2"]
    assert sorted(_by_id(tmp_path, "role")) == ["r1"]
    assert _by_id(tmp_path, "nothing") == {}
    # No kind, or an empty one, is every document.
    assert sorted(_by_id(tmp_path)) == sorted(_by_id(tmp_path, "")) == ["p1", "p2", "r1", "x1"]


def test_a_folder_without_a_table_has_no_documents_and_none_folded(tmp_path: Path) -> None:
    assert read_documents(tmp_path) == [] and read_documents(tmp_path, "posting") == []
    assert folded_count(tmp_path) == 0
    assert not (tmp_path / FILE).exists()  # reading never creates the file


def test_a_first_release_table_is_read_with_empty_locations_and_none_folded(tmp_path: Path) -> None:
    _first_release_table(tmp_path, ("a", "posting", "Data Scientist", "A", "data_scientist", "SQL.", 0))
    assert read_documents(tmp_path) == [StoredDocument("a", "posting", "Data Scientist", "A", "data_scientist",
                                                       "SQL.", exact=False, location="", duplicate_of="")]
    assert folded_count(tmp_path) == 0


def test_locations_are_backfilled_only_where_a_chunk_has_one_and_the_table_has_none(tmp_path: Path) -> None:
    table = DocumentTable(tmp_path)
    table.upsert([_posting("a"), _posting("b"), _posting("c"),
                  StoredDocument("d", "posting", "T", "C", "other", "SQL.", location="Berlin")])
    table.backfill_locations([{"doc_id": "a", "location": "Pune"}, {"doc_id": "a", "location": "Pune"},
                              {"doc_id": "b", "location": None}, {"doc_id": "c"},
                              {"doc_id": "d", "location": "Oslo"}, {"doc_id": "zz", "location": "Lima"}])
    table.close()
    assert {d.doc_id: d.location for d in read_documents(tmp_path)} == {"a": "Pune", "b": "", "c": "", "d": "Berlin"}


def test_deleted_documents_are_gone_and_the_others_stay(tmp_path: Path) -> None:
    table = DocumentTable(tmp_path)
    table.upsert([_posting("a"), _posting("b"), _posting("c")])
    table.delete(["a", "c", "not there"])
    assert len(table) == 1
    table.delete([])
    table.close()
    assert sorted(_by_id(tmp_path)) == ["b"]


def test_signatures_are_kept_for_postings_only(tmp_path: Path) -> None:
    table = DocumentTable(tmp_path)
    table.upsert([_posting("p1", text="One."), _posting("p2", text="Two."), _posting("r1", kind="role"),
                  _posting("x1", kind="article")])
    # Roles and the article are never compared as near-duplicates.
    assert table.unsigned_postings() == {"p1": "One.", "p2": "Two."}
    assert table.signatures() == {}
    table.set_signatures({"p1": b"\x01\x02", "x1": b"\x03"})
    assert table.unsigned_postings() == {"p2": "Two."}
    assert table.signatures() == {"p1": b"\x01\x02"}
    table.close()


def test_texts_are_read_in_batches_whatever_their_number(tmp_path: Path) -> None:
    # 1,201 ids: three batches of 500, 500 and 201, more than SQLite's old limit of 999 parameters.
    ids = [f"d{i:04d}" for i in range(1201)]
    table = DocumentTable(tmp_path)
    table.upsert([_posting(i, text=f"text of {i}") for i in ids])
    assert table.texts([]) == {}
    found = table.texts([*reversed(ids), "d0000", "unknown"])
    assert found == {i: f"text of {i}" for i in ids}
    # Exactly at the batch size, and one past it.
    assert table.texts(ids[:500]) == {i: f"text of {i}" for i in ids[:500]}
    assert table.texts(ids[:501]) == {i: f"text of {i}" for i in ids[:501]}
    table.close()


def test_near_duplicate_membership_is_replaced_as_a_whole(tmp_path: Path) -> None:
    table = DocumentTable(tmp_path)
    table.upsert([_posting("a"), _posting("b"), _posting("c")])
    assert table.duplicate_of() == {}
    table.set_duplicate_of({"b": "a", "c": "a"})
    assert table.duplicate_of() == {"b": "a", "c": "a"}
    assert folded_count(tmp_path) == 2
    # "b" is no longer in a cluster: its old membership is cleared.
    table.set_duplicate_of({"c": "b"})
    assert table.duplicate_of() == {"c": "b"}
    table.close()
    assert folded_count(tmp_path) == 1
    assert {d.doc_id: d.duplicate_of for d in read_documents(tmp_path)} == {"a": "", "b": "", "c": "b"}


def test_documents_are_pieced_together_from_their_chunks_in_position_order() -> None:
    ids = ["a-2", "a-0", "b-0", "a-1"]
    texts = ["Data Scientist at Acme\nAlpha closing.", "Data Scientist at Acme\nZulu opening.\nSecond line.",
             "Only line, no prefix", "Data Scientist at Acme\nMiddle."]
    acme = {"doc_id": "a", "kind": "posting", "title": "Data Scientist", "company": "Acme",
            "role_family": "data_scientist", "location": "Pune"}
    metadatas = [{**acme, "position": 2}, {**acme, "position": 0}, {"doc_id": "b", "position": 0},
                 {**acme, "position": 1}]
    assert list(from_chunks(ids, texts, metadatas)) == [
        # Sorted by position, not by text; the first line of each chunk (its prefix) dropped.
        StoredDocument("a", "posting", "Data Scientist", "Acme", "data_scientist",
                       "Zulu opening.\nSecond line.\nMiddle.\nAlpha closing.", exact=False, location="Pune"),
        # A chunk of one line is kept whole; missing fields are empty, the family "other".
        StoredDocument("b", "", "", "", "other", "Only line, no prefix", exact=False, location=""),
    ]


def test_a_chunk_without_a_position_comes_first_and_a_bare_prefix_is_kept() -> None:
    ids = ["c-1", "c-x"]
    texts = ["Heading\nSecond.", "Heading only\n"]
    metadatas = [{"doc_id": "c", "position": 1}, {"doc_id": "c"}]  # no position: 0
    [document] = from_chunks(ids, texts, metadatas)
    assert document.text == "Heading only\n\nSecond."


def test_chunks_and_their_metadata_must_pair_up() -> None:
    with pytest.raises(ValueError, match="zip"):
        list(from_chunks(["a", "b"], ["x\ny"], [{"doc_id": "a"}, {"doc_id": "b"}]))
    with pytest.raises(ValueError, match="zip"):
        list(from_chunks(["a"], ["x\ny"], [{"doc_id": "a"}, {"doc_id": "b"}]))


def test_chunks_at_the_same_position_keep_their_order_even_when_repeated() -> None:
    # Sorted by position alone: a repeated chunk neither moves nor compares its metadata.
    ids = ["d-0", "d-0b", "d-1", "d-1b"]
    texts = ["Prefix\nZeta.", "Prefix\nAlpha.", "Prefix\nSame.", "Prefix\nSame."]
    metadatas = [{"doc_id": "d", "position": 0}, {"doc_id": "d", "position": 0}, {"doc_id": "d", "position": 1},
                 {"doc_id": "d", "position": 1}]
    [document] = from_chunks(ids, texts, metadatas)
    assert document.text == "Zeta.\nAlpha.\nSame.\nSame."
