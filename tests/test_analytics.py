"""Exact figures over a small hand-counted corpus, kept right through refreshes."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.analytics import Corpus, StatsError, load_corpus, newcombe_interval, profile, resolve_roles
from assistant.classify import classify
from assistant.container import Services
from assistant.documents import FILE, StoredDocument, read_documents
from assistant.figures import comparison_sentence, stats_json
from assistant.indexer import refresh
from assistant.roles import roles_in
from assistant.sources import load_paths
from assistant.store import published_generation
from tests.conftest import write_jsonl
from tests.fakes import ten_and_ten

# Hand-counted: role from the title, skills from the description.
POSTINGS = [
    {"id": "ds1", "title": "Data Scientist", "company": "A", "description": "Python, SQL and statistics. A/B testing."},
    {"id": "ds2", "title": "Senior Data Scientist", "company": "B", "description": "R and statistics. Tableau."},
    {"id": "ds3", "title": "Data Scientist, Marketing", "company": "C", "description": "Python and A/B testing."},
    {"id": "ds4", "title": "Lead Data Scientist", "company": "D", "description": "SQL every day."},
    {"id": "ml1", "title": "Machine Learning Engineer", "company": "E",
     "description": "Python, PyTorch, Docker and Kubernetes."},
    {"id": "ml2", "title": "ML Engineer", "company": "F", "description": "Python and Kubernetes on AWS."},
    {"id": "ml3", "title": "Senior ML Engineer", "company": "G", "description": "Spark and Python."},
    {"id": "de1", "title": "Data Engineer", "company": "H", "description": "Spark, SQL and Airflow."},
]


def ingest(services: Services, tmp_path: Path, records: list[dict], name: str = "feed.jsonl", sync: bool = False) -> None:
    path = write_jsonl(tmp_path / name, records)
    docs = load_paths([path], max_record_bytes=1_000_000).documents
    refresh(services.store, services.chunker, docs, progress=False,
            sync_sources={str(path.resolve())} if sync else set())


def corpus_of(services: Services) -> Corpus:
    return load_corpus(published_generation(services.settings.index_dir), services.taxonomy)


@pytest.fixture
def counted(services: Services, tmp_path: Path) -> Services:
    ingest(services, tmp_path, POSTINGS)
    return services


def test_counts_and_shares_match_the_hand_count(counted: Services) -> None:
    corpus = corpus_of(counted)
    figures = stats_json(corpus, ["data_scientist", "ml_engineer", "data_engineer"])
    ds, ml, de = (figures["roles"][r] for r in ("data_scientist", "ml_engineer", "data_engineer"))
    assert (figures["postings"], figures["exact"], ds["n"], ml["n"], de["n"]) == (8, True, 4, 3, 1)
    assert (ds["skill_counts"]["python"], ds["skill_counts"]["sql"], ds["skill_counts"]["statistics"]) == (2, 2, 2)
    assert (ds["skill_counts"]["ab_testing"], ds["skill_counts"]["r"], ds["skill_counts"]["tableau"]) == (2, 1, 1)
    assert ds["skills"]["python"] == 0.5 and ml["skills"]["python"] == 1.0 and ml["skills"]["kubernetes"] == 0.6667
    assert ml["skill_counts"]["spark"] == 1 and de["skill_counts"]["airflow"] == 1 and ds["skill_counts"]["spark"] == 0
    # Categories: share of postings with any skill of the category.
    assert ds["categories"]["stats"] == 0.75  # ds1, ds2 (statistics, R), ds3 (A/B testing)
    assert ml["categories"]["cloud"] == 0.6667  # ml1 (Docker, Kubernetes), ml2 (Kubernetes, AWS)
    # ds4 mentions only SQL: its whole profile is data engineering.
    assert corpus.figures("data_scientist").profile["data_eng"] == pytest.approx((1 / 4 + 0 + 0 + 1) / 4)


def test_contrast_ranks_skills_whose_interval_is_above_zero(services: Services) -> None:
    def posting(doc_id: str, role: str, text: str) -> StoredDocument:
        return StoredDocument(doc_id, "posting", role, "", role, text)

    docs, corpus = ten_and_ten(services.taxonomy)
    (kubernetes,) = corpus.contrast("ml_engineer", "data_scientist")
    assert (kubernetes.skill, kubernetes.count_a, kubernetes.n_a, kubernetes.count_b) == ("kubernetes", 8, 10, 1)
    assert kubernetes.diff == pytest.approx(0.7) and 0 < kubernetes.ci95[0] < 0.7 < kubernetes.ci95[1]
    assert kubernetes.examples == ("ml0", "ml1", "ml2")
    assert [c.skill for c in corpus.contrast("data_scientist", "ml_engineer")] == ["statistics"]
    # 2 of 3 against 0 of 4 is too few postings to be sure.
    small = Corpus(services.taxonomy, [profile(d, services.taxonomy) for d in [*docs[:2], docs[8], *docs[11:15]]])
    assert small.contrast("ml_engineer", "data_scientist") == []
    # What a comparison answer says of the postings: each side's clear differences, in plain words.
    assert comparison_sentence(corpus, "ml_engineer", "data_scientist") == (
        "Of the 20 job postings in the index, ML engineer postings (n=10) ask more often for Kubernetes (80% vs 10%); "
        "data scientist postings (n=10) ask more often for Statistics (90% vs 0%).")
    assert comparison_sentence(corpus, "ml_engineer", "data_engineer") is None  # no data engineer postings
    plain = [posting(f"ds{i}", "data_scientist", "Python.") for i in range(10)]
    one_sided = Corpus(services.taxonomy, [profile(d, services.taxonomy) for d in [*docs[:10], *plain]])
    assert comparison_sentence(one_sided, "data_scientist", "ml_engineer") == (
        "Of the 20 job postings in the index, data scientist postings (n=10) ask for no skill clearly more often; "
        "ML engineer postings (n=10) ask more often for Kubernetes (80% vs 0%).")
    alike = [*plain, *(posting(f"ml{i}", "ml_engineer", "Python.") for i in range(10))]
    assert comparison_sentence(Corpus(services.taxonomy, [profile(d, services.taxonomy) for d in alike]),
                               "data_scientist", "ml_engineer") is None


def test_newcombe_interval_matches_the_published_example() -> None:
    # Newcombe (1998), Table II, example (a): 56/70 vs 48/80 -> 0.0524 to 0.3339.
    low, high = newcombe_interval(56, 70, 48, 80)
    assert (round(low, 4), round(high, 4)) == (0.0524, 0.3339)


def test_a_refresh_changes_the_counts_exactly(counted: Services, tmp_path: Path) -> None:
    changed = [dict(p) for p in POSTINGS if p["id"] != "ds4"]  # ds4 removed
    changed[0]["description"] = "Python, SQL, Spark and statistics. A/B testing."  # ds1 now asks for Spark
    changed.append({"id": "ds5", "title": "Data Scientist", "company": "I", "description": "Spark and R."})
    ingest(counted, tmp_path, changed, sync=True)
    ds = stats_json(corpus_of(counted), ["data_scientist"])["roles"]["data_scientist"]
    assert ds["n"] == 4  # ds1, ds2, ds3, ds5
    assert (ds["skill_counts"]["spark"], ds["skill_counts"]["sql"], ds["skill_counts"]["r"]) == (2, 1, 2)
    docs = {d.doc_id: d for d in read_documents(published_generation(counted.settings.index_dir))}
    assert "ds4" not in docs and "Spark" in docs["ds1"].text and docs["ds5"].exact


def test_an_index_from_before_the_document_table_is_backfilled(counted: Services, tmp_path: Path) -> None:
    (published_generation(counted.settings.index_dir) / FILE).unlink()
    approximate = load_corpus(published_generation(counted.settings.index_dir), counted.taxonomy,
                              lambda: counted.store.open_published().scan(with_texts=True))
    assert not approximate.exact and approximate.figures("ml_engineer").counts["kubernetes"] == 2
    ingest(counted, tmp_path, [{"id": "x1", "title": "Data Analyst", "company": "J", "description": "Excel."}],
           name="more.jsonl")
    docs = read_documents(published_generation(counted.settings.index_dir))
    assert len(docs) == 9 and {d.doc_id for d in docs if d.exact} == {"x1"}


def test_a_document_table_from_before_locations_is_read_and_then_upgraded(tmp_path: Path) -> None:
    import sqlite3

    from assistant.documents import DocumentTable

    old = sqlite3.connect(tmp_path / FILE)
    old.execute("CREATE TABLE documents (doc_id TEXT PRIMARY KEY, kind TEXT NOT NULL, title TEXT NOT NULL, "
                "company TEXT NOT NULL, role_family TEXT NOT NULL, text TEXT NOT NULL, exact INTEGER NOT NULL)")
    old.execute("INSERT INTO documents VALUES ('a', 'posting', 'Data Scientist', 'A', 'data_scientist', 'SQL.', 1)")
    old.commit()
    old.close()
    assert [(d.doc_id, d.location) for d in read_documents(tmp_path)] == [("a", "")]
    table = DocumentTable(tmp_path)
    table.upsert([StoredDocument("b", "posting", "ML Engineer", "B", "ml_engineer", "Python.", location="Pune")])
    table.close()
    assert {d.doc_id: d.location for d in read_documents(tmp_path)} == {"a": "", "b": "Pune"}


def test_an_index_from_before_locations_gets_them_back_from_its_chunks(services: Services, tmp_path: Path) -> None:
    import sqlite3

    placed = [{**p, "location": "Pune" if p["id"].startswith("ds") else "Austin, TX"} for p in POSTINGS]
    ingest(services, tmp_path, placed)
    table = published_generation(services.settings.index_dir) / FILE
    old = sqlite3.connect(table)
    old.execute("ALTER TABLE documents DROP COLUMN location")
    old.commit()
    old.close()
    ingest(services, tmp_path, [{"id": "x1", "title": "Data Analyst", "company": "J", "description": "Excel.",
                                 "location": "Chennai"}], name="more.jsonl")
    places = {d.doc_id: d.location for d in read_documents(published_generation(services.settings.index_dir))
              if d.kind == "posting"}
    assert (places["ds1"], places["ml1"], places["x1"]) == ("Pune", "Austin, TX", "Chennai")
    regions = {p.doc_id: p.region for p in corpus_of(services).profiles}
    assert (regions["ds1"], regions["ml1"]) == ("IN", "US")


def test_roles_are_read_from_questions_and_arguments() -> None:
    assert roles_in("Which skills separate ML engineers from data scientists?") == ["ml_engineer", "data_scientist"]
    assert roles_in("MLOps engineers vs machine learning engineers") == ["mlops_ai_engineer", "ml_engineer"]
    assert resolve_roles(["ml_engineer", "Data Scientists", "data engineer"]) == [
        "ml_engineer", "data_scientist", "data_engineer"]
    with pytest.raises(StatsError, match="unknown role 'astronaut'"):
        resolve_roles(["astronaut"])


def test_a_posting_is_judged_by_its_content_not_its_title(counted: Services) -> None:
    corpus = corpus_of(counted)
    result = classify("Data Scientist wanted. You will deploy PyTorch models with Docker and Kubernetes, in Python.",
                      corpus)
    assert result.best.role == "ml_engineer" and {"pytorch", "docker", "kubernetes"} <= set(result.skills)
    assert "kubernetes" in {s for s, _, _ in result.distinctive}
    assert "ML engineer" in result.why(corpus)


def test_separating_skills_are_held_to_a_false_discovery_rate(services: Services) -> None:
    def corpus(last_ml: str, last_ds: str) -> Corpus:
        ml = ["Kubernetes and Python."] * 6 + ["Python."] * 13 + [last_ml]
        ds = ["Python."] * 19 + [last_ds]
        docs = [StoredDocument(f"ml{i}", "posting", "ML Engineer", "", "ml_engineer", t) for i, t in enumerate(ml)]
        docs += [StoredDocument(f"ds{i}", "posting", "Data Scientist", "", "data_scientist", t) for i, t in enumerate(ds)]
        return Corpus(services.taxonomy, [profile(d, services.taxonomy) for d in docs])

    # Kubernetes 6/20 vs 0/20: Fisher p = 2 * C(20,6) / C(40,6); Python (20/20 each) has p = 1.
    p = 2 * 38760 / 3838380
    skills = list(services.taxonomy.skills)
    alone = corpus("Python.", "Python.")
    # Only the two skills either role mentions are tested: q = p * 2 / 1.
    assert alone.q_values("ml_engineer", "data_scientist", skills) == pytest.approx({"kubernetes": 2 * p, "python": 1.0})
    (kubernetes,) = alone.contrast("ml_engineer", "data_scientist")
    assert kubernetes.q == pytest.approx(2 * p) and 0 < kubernetes.ci95[0] < 0.1
    # One posting of each role also names a skill the other lacks (Docker, Tableau: p = 1):
    # four tests, q = p * 4 > 0.05, so Kubernetes is dropped though its interval is still above zero.
    crowded = corpus("Docker and Python.", "Tableau and Python.")
    assert crowded.q_values("ml_engineer", "data_scientist", skills) == pytest.approx(
        {"kubernetes": 4 * p, "python": 1.0, "docker": 1.0, "tableau": 1.0})
    assert crowded.contrast("ml_engineer", "data_scientist") == []
    (unchecked,) = crowded.contrast("ml_engineer", "data_scientist", fdr=1.0)
    assert unchecked.skill == "kubernetes" and unchecked.ci95 == kubernetes.ci95
    # Asked about Kubernetes alone, it is one test (q = p) and separates again.
    assert [c.q for c in crowded.contrast("ml_engineer", "data_scientist", ["kubernetes"])] == pytest.approx([p])


def test_the_comparison_json_gives_each_skill_its_q(services: Services) -> None:
    _, corpus = ten_and_ten(services.taxonomy)
    comparison = stats_json(corpus, ["ml_engineer", "data_scientist"])["comparison"]
    # Kubernetes 8/10 vs 1/10, statistics 0/10 vs 9/10, Python 10/10 each: three tests, exact
    # p = 1012 / C(20,10) and 22 / C(20,10), so q = p * 3 / 2 and p * 3 / 1.
    assert [(c["skill"], c["q"]) for c in comparison["a_over_b"]] == [("kubernetes", 0.00822)]
    assert [(c["skill"], c["q"]) for c in comparison["b_over_a"]] == [("statistics", 0.000357)]
    assert "Benjamini-Hochberg" in comparison["statistic"] and "false discovery rate 5%" in comparison["statistic"]
