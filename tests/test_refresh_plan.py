"""What a refresh adds, updates, leaves, reports as a duplicate and removes, decided by
`plan_refresh` from the index's chunk metadata alone (no store), and which sources a sync
covers (`_within`)."""

from __future__ import annotations

import os

from assistant.chunking import content_hash, fingerprint
from assistant.indexer import Plan, _within, plan_refresh
from assistant.types import Document, IngestReport

FEEDS = os.path.join(os.sep, "data", "feeds")
FEED = os.path.join(FEEDS, "a.jsonl")
OTHER = os.path.join(os.sep, "data", "other.jsonl")


def doc(doc_id: str, text: str, source: str = FEED, title: str = "Data Scientist") -> Document:
    return Document(doc_id, "posting", title, text, source)


def chunks(document: Document, chunking: str = "", n: int = 2) -> list[dict[str, object]]:
    """The metadata the index holds for a document: one entry per chunk."""
    meta = {"doc_id": document.doc_id, "content_hash": content_hash(document),
            "fingerprint": fingerprint(document, chunking), "source": document.source}
    return [dict(meta, position=i) for i in range(n)]


def plan(existing: list[dict[str, object]], documents: list[Document], sync: set[str] | None = None,
         **kwargs: str) -> tuple[Plan, IngestReport]:
    report = IngestReport()
    result = plan_refresh(existing, documents, sync_sources=sync or set(), report=report, **kwargs)
    return result, report


def outcome(report: IngestReport) -> tuple[list[str], list[str], list[str], list[tuple[str, str]], list[str]]:
    return report.added, report.updated, report.unchanged, report.duplicates, report.removed


def test_a_first_refresh_adds_everything() -> None:
    docs = [doc("a", "Python."), doc("b", "SQL.")]
    result, report = plan([], docs)
    assert result.write == docs and result.remove == [] and not result.empty
    assert outcome(report) == (["a", "b"], [], [], [], [])


def test_new_changed_and_unchanged_documents() -> None:
    a, b, c = doc("a", "Python."), doc("b", "SQL."), doc("c", "Spark.")
    b2 = doc("b", "SQL and dbt.")
    result, report = plan(chunks(a) + chunks(b), [a, b2, c])
    assert result.write == [b2, c] and result.remove == []
    assert outcome(report) == (["c"], ["b"], ["a"], [], [])


def test_the_same_text_under_a_new_title_or_location_is_an_update() -> None:
    # Not a content change for the duplicate check (same text), but a change of its chunks.
    a = doc("a", "Python.")
    moved = Document("a", "posting", "Data Scientist", "Python.", FEED, location="Berlin")
    result, report = plan(chunks(a), [moved])
    assert result.write == [moved] and outcome(report) == ([], ["a"], [], [], [])


def test_nothing_changed_is_an_empty_plan() -> None:
    a, b = doc("a", "Python."), doc("b", "SQL.")
    result, report = plan(chunks(a) + chunks(b), [a, b], sync={FEED})
    assert result.empty and result.write == [] and result.remove == []
    assert outcome(report) == ([], [], ["a", "b"], [], [])


def test_new_chunk_settings_update_every_document() -> None:
    a, b = doc("a", "Python."), doc("b", "SQL.")
    existing = chunks(a, "v3") + chunks(b, "v3")
    result, report = plan(existing, [a, b], chunking="v4")
    assert result.write == [a, b] and outcome(report) == ([], ["a", "b"], [], [], [])
    result, report = plan(existing, [a, b], chunking="v3")
    assert result.empty and report.unchanged == ["a", "b"]
    # Without a signature the fingerprint is of the document alone.
    result, report = plan(chunks(a), [a])
    assert result.empty and report.unchanged == ["a"]


def test_a_repeated_text_belongs_to_the_first_incoming_id() -> None:
    # Case and spacing do not make a text new.
    a, again, b, after = doc("a", "Python  and SQL."), doc("a2", "python and sql."), doc("b", "Spark."), doc("c", "Go.")
    result, report = plan([], [a, again, b, after])
    assert result.write == [a, b, after] and result.remove == []
    assert outcome(report) == (["a", "b", "c"], [], [], [("a2", "a")], [])


def test_a_text_the_index_keeps_belongs_to_its_id() -> None:
    kept = doc("old", "Python.", source=OTHER)
    copy = doc("new", "Python.")
    result, report = plan(chunks(kept), [copy], sync={FEED})
    assert result.empty
    assert outcome(report) == ([], [], [], [("new", "old")], [])


def test_a_held_document_that_becomes_a_duplicate_is_removed() -> None:
    kept, dup = doc("old", "Python.", source=OTHER), doc("dup", "SQL.")
    dup_now = doc("dup", "Python.")  # its text is now the kept posting's
    result, report = plan(chunks(kept) + chunks(dup), [dup_now, doc("z", "Go.")], sync={FEED})
    assert result.remove == ["dup"] and [d.doc_id for d in result.write] == ["z"]
    assert outcome(report) == (["z"], [], [], [("dup", "old")], [])


def test_a_text_whose_holder_is_synced_away_goes_to_the_incoming_id() -> None:
    # "old" is in the synced file and no longer in it: it will be removed, so it owns nothing.
    old, new = doc("old", "Python."), doc("new", "Python.")
    result, report = plan(chunks(old), [new], sync={FEED})
    assert result.write == [new] and result.remove == ["old"]
    assert outcome(report) == (["new"], [], [], [], ["old"])


def test_a_text_whose_holder_is_incoming_goes_by_the_incoming_order() -> None:
    # "a" is held and incoming, after "b" with the same text: "b" comes first and owns it.
    a, b = doc("a", "Python.", source=OTHER), doc("b", "Python.", source=OTHER)
    result, report = plan(chunks(a), [b, a])
    assert result.write == [b] and result.remove == ["a"]
    assert outcome(report) == (["b"], [], [], [("a", "b")], [])


def test_only_documents_of_the_synced_sources_are_removed() -> None:
    gone, kept, inside = doc("gone", "Python."), doc("kept", "SQL.", source=OTHER), doc(
        "inside", "Spark.", source=os.path.join(FEEDS, "sub", "b.jsonl"))
    stays = doc("stays", "Go.")
    existing = chunks(gone) + chunks(kept) + chunks(inside) + chunks(stays)
    result, report = plan(existing, [stays], sync={FEEDS})
    assert result.remove == ["gone", "inside"] and result.write == []
    assert outcome(report) == ([], [], ["stays"], [], ["gone", "inside"])
    # Without a sync nothing is removed, whatever is missing.
    result, report = plan(existing, [stays])
    assert result.empty and report.removed == []


def test_an_incoming_duplicate_of_a_synced_document_is_not_removed_twice() -> None:
    a, b = doc("a", "Python."), doc("b", "SQL.")
    b_now = doc("b", "Python.")  # now a duplicate of "a", which is also incoming
    result, report = plan(chunks(a) + chunks(b), [a, b_now], sync={FEED})
    assert result.remove == ["b"] and result.write == []
    assert outcome(report) == ([], [], ["a"], [("b", "a")], [])


def test_the_first_chunk_of_a_held_document_speaks_for_it() -> None:
    a = doc("a", "Python.")
    first = chunks(a, n=1)[0]
    stale = dict(first, fingerprint="stale", content_hash="stale")
    result, report = plan([first, stale], [a])
    assert result.empty and report.unchanged == ["a"]
    result, report = plan([stale, first], [a])
    assert result.write == [a] and report.updated == ["a"]


def test_held_ids_are_read_as_text() -> None:
    a = Document("7", "posting", "Data Scientist", "Python.", FEED)
    meta = dict(chunks(a, n=1)[0], doc_id=7)
    result, report = plan([meta], [a], sync={FEED})
    assert result.empty and report.unchanged == ["7"] and report.removed == []


def test_plan_empty_means_nothing_to_write_and_nothing_to_remove() -> None:
    assert Plan().empty
    assert not Plan(write=[doc("a", "x")]).empty
    assert not Plan(remove=["a"]).empty
    assert not Plan(write=[doc("a", "x")], remove=["b"]).empty


def test_within_a_synced_file_or_folder() -> None:
    assert _within(FEED, {FEED})
    assert _within(FEED, {FEEDS})
    assert _within(FEED, {FEEDS + os.sep})  # a folder given with its separator
    assert _within(os.path.join(FEEDS, "sub", "b.jsonl"), {FEEDS})
    assert _within(FEED, {OTHER, FEEDS})
    assert _within(FEED, {os.sep})  # the root holds everything
    assert not _within(FEED, set())
    assert not _within(FEED, {OTHER})
    assert not _within(FEEDS + "2" + os.sep + "a.jsonl", {FEEDS})  # a sibling with a longer name
    assert not _within(FEEDS, {FEED})  # the folder is not inside its file
    assert not _within(FEED[:-1], {FEED})
    assert not _within(None, {FEEDS})
