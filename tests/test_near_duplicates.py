"""Near-duplicate postings: found with MinHash LSH and checked exactly, kept in the index,
counted once in the figures, and right across refreshes."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from assistant.container import Services
from assistant.documents import FILE, DocumentTable, StoredDocument, read_documents
from assistant.figures import figures_sentences, stats_json, stats_lines
from assistant.indexer import refresh
from assistant.near_duplicates import (
    NearDuplicate,
    candidate_pairs,
    current,
    jaccard,
    near_duplicates,
    representatives,
    shingles,
    signatures,
)
from assistant.sources import load_paths
from assistant.store import published_generation, read_manifest
from assistant.types import IngestReport
from tests.conftest import write_jsonl
from tests.test_analytics import corpus_of

# 97 words, so 93 runs of five words, all different.
BASE = """Acme Retail is hiring a Data Scientist in Pune to join its forecasting team.
You will build demand forecasting models for four hundred stores, run experiments with the product managers and \
explain the results to leadership every month.
Requirements:
- Three years of Python and SQL in production
- Solid statistics and experiment design
- Experience with Spark or another distributed engine
- Clear writing and patient communication
About Acme Retail: we plan stock for shops across India, employ two hundred engineers and publish our research openly.
We offer hybrid work, a yearly learning budget and health cover for your family."""
# The same job in another city: one word changed takes away the 5 runs that hold it and
# brings 5 new ones, so 88 of 98 runs are shared.
CHENNAI = BASE.replace("Pune", "Chennai")
# And with one line of five words changed as well: 9 runs go and 9 come, 84 of 102
# shared with CHENNAI; against BASE, 79 of 107.
CHENNAI_CHANGED_LINE = CHENNAI.replace("Solid statistics and experiment design", "Knowledge of causal inference methods")
# Another job of the same company: its boilerplate and two lines of requirements are the
# same, 33 of the 128 runs of the two.
OTHER_JOB = """Acme Retail is hiring a Machine Learning Engineer to put our recommendation models into production.
You will package PyTorch models with Docker, deploy them on Kubernetes and watch their latency and drift.
Requirements:
- Three years of Python and SQL in production
- Experience with Spark or another distributed engine
- Clear writing and patient communication
About Acme Retail: we plan stock for shops across India, employ two hundred engineers and publish our research openly."""
DATA_ENGINEER = "Data engineer for a logistics firm: build Airflow pipelines and keep the Kafka cluster healthy."


def record(doc_id: str, description: str, title: str = "Data Scientist", location: str = "Pune") -> dict:
    return {"id": doc_id, "title": title, "company": "Acme Retail", "location": location, "description": description}


def ingest(services: Services, tmp_path: Path, records: list[dict], name: str = "feed.jsonl",
           sync: bool = False) -> IngestReport:
    path = write_jsonl(tmp_path / name, records)
    docs = load_paths([path], max_record_bytes=1_000_000).documents
    return refresh(services.store, services.chunker, docs, progress=False,
                   sync_sources={str(path.resolve())} if sync else set())


def test_shingles_are_runs_of_five_words_whatever_the_case_and_punctuation() -> None:
    assert shingles("Python, SQL and Spark; then AWS!") == {"python sql and spark then", "sql and spark then aws"}
    assert shingles("- Python\n- SQL") == {"python sql"}  # shorter than five words: the words themselves
    assert shingles("...") == set()
    assert jaccard({"a", "b", "c"}, {"b", "c", "d"}) == 0.5 and jaccard(set(), set()) == 0.0


def test_a_repost_in_another_city_or_with_a_changed_line_is_a_near_duplicate() -> None:
    assert jaccard(shingles(BASE), shingles(CHENNAI)) == 88 / 98
    assert jaccard(shingles(CHENNAI), shingles(CHENNAI_CHANGED_LINE)) == 84 / 102
    assert jaccard(shingles(BASE), shingles(CHENNAI_CHANGED_LINE)) == 79 / 107  # below 0.8 on its own
    assert jaccard(shingles(BASE), shingles(OTHER_JOB)) == 33 / 128
    found = near_duplicates({"a1": BASE, "a2": CHENNAI, "b1": OTHER_JOB, "c1": DATA_ENGINEER})
    assert found == [NearDuplicate("a2", "a1", round(88 / 98, 4))]
    # A chain is one cluster: a3 is counted as a1 through a2, and says how like a1 it is.
    found = near_duplicates({"a3": CHENNAI_CHANGED_LINE, "a1": BASE, "a2": CHENNAI, "b1": OTHER_JOB})
    assert found == [NearDuplicate("a2", "a1", round(88 / 98, 4)), NearDuplicate("a3", "a1", round(79 / 107, 4))]
    # The line changed alone is enough against the posting it was changed from.
    assert near_duplicates({"x": CHENNAI, "y": CHENNAI_CHANGED_LINE}) == [NearDuplicate("y", "x", round(84 / 102, 4))]


def test_the_threshold_is_more_than_80_percent_of_runs_in_common() -> None:
    words = [f"w{i}" for i in range(50)]

    def changed(n: int) -> tuple[str, str]:  # n distinct words, and the same with the middle one changed
        text = words[:n]
        return " ".join(text), " ".join([*text[:24], "changed", *text[25:]])

    # 49 words: 45 runs, 40 shared, 50 in all: exactly 0.8, which is not more than 0.8.
    a, b = changed(49)
    assert jaccard(shingles(a), shingles(b)) == 0.8
    assert ("a", "b") in candidate_pairs(dict(zip("ab", signatures([a, b]), strict=True)))  # LSH proposes it
    assert near_duplicates({"a": a, "b": b}) == []
    # 50 words: 46 runs, 41 shared, 51 in all.
    a, b = changed(50)
    assert near_duplicates({"a": a, "b": b}) == [NearDuplicate("b", "a", round(41 / 51, 4))]
    assert near_duplicates({"a": a, "b": b}, threshold=0.81) == []


def test_lsh_false_positives_are_dropped_by_the_exact_check() -> None:
    # Candidates come from the MinHash estimate; what folds is the exact similarity.
    from assistant.near_duplicates import fold

    texts = {"a1": BASE, "b1": OTHER_JOB, "a2": CHENNAI}
    assert fold([("a1", "b1"), ("a1", "a2")], texts) == [NearDuplicate("a2", "a1", round(88 / 98, 4))]


def test_each_cluster_is_counted_as_its_smallest_id_whatever_the_order() -> None:
    assert representatives([("b", "c"), ("a", "b"), ("x", "y")]) == {"b": "a", "c": "a", "y": "x"}
    assert representatives([("x", "y"), ("a", "b"), ("b", "c")]) == {"b": "a", "c": "a", "y": "x"}
    assert representatives([("c", "d"), ("a", "b"), ("b", "d")]) == {"b": "a", "c": "a", "d": "a"}
    texts = {"p2": BASE, "p10": CHENNAI, "p3": CHENNAI_CHANGED_LINE}
    first = near_duplicates(texts)
    assert near_duplicates(dict(reversed(texts.items()))) == first
    assert {d.of for d in first} == {"p10"}  # ids compare as text: "p10" < "p2"


def test_ingest_reports_near_duplicates_and_figures_count_them_once(services: Services, tmp_path: Path) -> None:
    report = ingest(services, tmp_path, [
        record("a1", BASE), record("a2", CHENNAI, location="Chennai"),
        record("b1", OTHER_JOB, title="Machine Learning Engineer"),
        record("c1", DATA_ENGINEER, title="Data Engineer", location="Delhi"),
    ])
    assert report.added == ["a1", "a2", "b1", "c1"] and report.duplicates == []
    assert report.near_duplicates == [("a2", "a1", 0.898)] and report.near_duplicates_folded == 1
    summary = report.summary()
    assert (summary["near_duplicates"], summary["near_duplicates_folded"]) == (1, 1)
    assert summary["near_duplicate_of"] == {"a2": "a1"} and summary["near_duplicate_similarity"] == {"a2": 0.898}
    assert summary["near_duplicate_seconds"] >= 0
    lines = report.lines()
    assert "  near-duplicate: a2 is counted once with a1 in the figures (90% of their text in common)" in lines
    assert "  near-duplicates in the index: 1, each counted once in the figures with the posting it repeats" in lines
    # Still indexed: retrieval can show it.
    assert read_manifest(services.store.root)["documents"] == 4
    docs = {d.doc_id: d for d in read_documents(published_generation(services.settings.index_dir))}
    assert docs["a2"].duplicate_of == "a1" and docs["a1"].duplicate_of == "" and docs["b1"].duplicate_of == ""

    corpus = corpus_of(services)
    assert sorted(p.doc_id for p in corpus.profiles) == ["a1", "b1", "c1"] and corpus.folded == {"a2": "a1"}
    figures = stats_json(corpus, ["data_scientist", "ml_engineer"], ["python", "statistics"])
    assert (figures["postings"], figures["duplicates_folded"]) == (3, 1)
    assert figures["roles"]["data_scientist"]["n"] == 1 and figures["roles"]["data_scientist"]["skill_counts"] == {
        "python": 1, "statistics": 1}
    assert stats_lines(corpus, ["data_scientist"], ["python"])[0] == "3 distinct postings (1 near-duplicate folded)"
    assert figures_sentences(corpus, ["data_scientist"], ["python"])[0] == (
        "Exact counts over all 3 distinct job postings in the index (1 near-duplicate posting, the same job posted "
        "again, is counted once with the posting it repeats; a posting counts when its text mentions the skill; "
        "its role comes from its title).")


def test_a_refresh_that_adds_a_near_duplicate_leaves_n_unchanged(services: Services, tmp_path: Path) -> None:
    ingest(services, tmp_path, [record("a1", BASE), record("b1", OTHER_JOB, title="Machine Learning Engineer")])
    before = stats_json(corpus_of(services), ["data_scientist"])
    assert (before["postings"], before["duplicates_folded"], before["roles"]["data_scientist"]["n"]) == (2, 0, 1)

    report = ingest(services, tmp_path, [record("a2", CHENNAI, location="Chennai")], name="more.jsonl")
    assert report.added == ["a2"] and report.near_duplicates == [("a2", "a1", 0.898)]
    after = stats_json(corpus_of(services), ["data_scientist"])
    assert (after["postings"], after["duplicates_folded"], after["roles"]["data_scientist"]["n"]) == (2, 1, 1)

    # A third of the cluster, like a2 only: the cluster grows, the count stays.
    report = ingest(services, tmp_path, [record("a3", CHENNAI_CHANGED_LINE)], name="third.jsonl")
    assert report.near_duplicates == [("a3", "a1", 0.7383)] and report.near_duplicates_folded == 2
    assert stats_json(corpus_of(services), ["data_scientist"])["roles"]["data_scientist"]["n"] == 1

    # The representative goes: a2 is counted in its place, a3 is still folded into it.
    report = ingest(services, tmp_path, [record("b1", OTHER_JOB, title="Machine Learning Engineer")], sync=True)
    assert report.removed == ["a1"] and report.near_duplicates == [("a3", "a2", 0.8235)]
    corpus = corpus_of(services)
    assert sorted(p.doc_id for p in corpus.profiles) == ["a2", "b1"] and corpus.folded == {"a3": "a2"}
    assert stats_json(corpus, ["data_scientist"])["roles"]["data_scientist"]["n"] == 1

    # a2 goes too: a3 stands alone and counts.
    report = ingest(services, tmp_path, [], name="more.jsonl", sync=True)
    assert report.removed == ["a2"] and report.near_duplicates == [] and report.near_duplicates_folded == 0
    corpus = corpus_of(services)
    assert sorted(p.doc_id for p in corpus.profiles) == ["a3", "b1"] and corpus.folded == {}


def test_a_smaller_id_takes_over_as_representative(services: Services, tmp_path: Path) -> None:
    ingest(services, tmp_path, [record("a2", BASE)])
    report = ingest(services, tmp_path, [record("a1", CHENNAI, location="Chennai")], name="more.jsonl")
    # The cluster's membership changed for a2: it is now the one folded.
    assert report.near_duplicates == [("a2", "a1", 0.898)]
    corpus = corpus_of(services)
    assert sorted(p.doc_id for p in corpus.profiles) == ["a1"] and corpus.folded == {"a2": "a1"}


def test_a_posting_changed_to_another_job_is_counted_again(services: Services, tmp_path: Path) -> None:
    ingest(services, tmp_path, [record("a1", BASE), record("a2", CHENNAI)])
    assert corpus_of(services).folded == {"a2": "a1"}
    report = ingest(services, tmp_path, [record("a2", OTHER_JOB)], name="more.jsonl")
    assert report.updated == ["a2"] and report.near_duplicates == [] and report.near_duplicates_folded == 0
    assert sorted(p.doc_id for p in corpus_of(services).profiles) == ["a1", "a2"]


def test_a_document_table_from_before_near_duplicates_is_read_and_then_upgraded(tmp_path: Path) -> None:
    old = sqlite3.connect(tmp_path / FILE)
    old.execute("CREATE TABLE documents (doc_id TEXT PRIMARY KEY, kind TEXT NOT NULL, title TEXT NOT NULL, "
                "company TEXT NOT NULL, role_family TEXT NOT NULL, text TEXT NOT NULL, exact INTEGER NOT NULL, "
                "location TEXT NOT NULL DEFAULT '')")
    old.execute("INSERT INTO documents VALUES ('a1', 'posting', 'Data Scientist', 'A', 'data_scientist', ?, 1, '')",
                (BASE,))
    old.commit()
    old.close()
    assert [(d.doc_id, d.duplicate_of) for d in read_documents(tmp_path)] == [("a1", "")]
    from assistant.near_duplicates import refold

    table = DocumentTable(tmp_path)
    assert table.unsigned_postings() == {"a1": BASE}  # its MinHash is made at the next refresh
    table.upsert([StoredDocument("a2", "posting", "Data Scientist", "A", "data_scientist", CHENNAI)])
    changed, folded = refold(table)
    assert [(d.doc_id, d.of) for d in changed] == [("a2", "a1")] and folded == 1
    assert {d.doc_id: d.duplicate_of for d in read_documents(tmp_path)} == {"a1": "", "a2": "a1"}
    # A MinHash that cannot be read (or was made another way) is made again, not trusted.
    table.set_signatures({"a1": b"not a minhash"})
    assert table.unsigned_postings() == {} and refold(table) == ([], 1)
    assert current(table.signatures()["a1"]) is not None
    table.close()


def test_about_this_corpus_says_how_many_were_folded(services: Services, tmp_path: Path) -> None:
    from ui.chat import about_markdown
    from ui.served import ServedIndex

    ingest(services, tmp_path, [record("a1", BASE), record("a2", CHENNAI), record("a3", CHENNAI_CHANGED_LINE)])
    served = ServedIndex(services)
    about = about_markdown(served)
    served.close()
    assert "Data scientist 1 (2 near-duplicate postings, the same job posted again, counted once)" in about


def test_ingest_and_status_commands_say_how_many_are_folded(run, tmp_path: Path) -> None:
    feed = write_jsonl(tmp_path / "feed.jsonl", [record("a1", BASE), record("b1", OTHER_JOB)])
    code, out, _ = run("ingest", str(feed), "--json")
    assert code == 0 and json.loads(out)["near_duplicates"] == 0
    assert json.loads(run("status", "--json")[1])["near_duplicates_folded"] == 0
    more = write_jsonl(tmp_path / "more.jsonl", [record("a2", CHENNAI, location="Chennai")])
    code, out, _ = run("ingest", str(more))
    assert code == 0 and "near-duplicate: a2 is counted once with a1 in the figures (90% of" in out
    code, out, _ = run("status", "--json")
    assert code == 0 and json.loads(out)["near_duplicates_folded"] == 1 and json.loads(out)["documents"] == 3
    code, out, _ = run("status")
    assert "folded:     1 near-duplicate posting(s), indexed but counted once in the figures" in out
    code, out, _ = run("stats", "--json")
    assert json.loads(out)["postings"] == 2 and json.loads(out)["duplicates_folded"] == 1
