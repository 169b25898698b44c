"""Official definitions (O*NET, ESCO) against postings, on a hand-counted fixture."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.analytics import Corpus, StatsError, profile
from assistant.container import Services
from assistant.documents import StoredDocument
from assistant.official import Definition, Listing, compare_official, definition, official_json
from assistant.sources import load_paths
from tests.conftest import write_jsonl

ROLES = [
    # Shaped like ../shared/data/roles.jsonl: O*NET with lists, ESCO with a description only.
    {"code": "15-2051.00", "title": "Data Scientists", "description": "Apply machine learning to data.",
     "tasks": ["Communicate results to stakeholders."], "technology": ["Python", "Structured query language SQL",
                                                                  "Oracle Java", "Atlassian Confluence"],
     "skills": ["Critical Thinking"], "alternate_titles": ["Machine Learning Engineer"]},
    {"code": "http://data.europa.eu/esco/occupation/35", "title": "artificial intelligence engineer",
     "description": "Artificial intelligence engineers apply artificial intelligence to problem solving.",
     "tasks": [], "technology": [], "skills": [], "alternate_titles_raw": "machine learning engineer"},
    {"code": "15-1252.00", "title": "Software Developers", "description": "Develop software.", "technology": ["Go"]},
]
# Hand-counted: four data scientist postings, two ML engineer postings.
POSTINGS = [
    ("ds1", "data_scientist", "Python, SQL and statistics."),
    ("ds2", "data_scientist", "Python and statistics; communicate with stakeholders."),
    ("ds3", "data_scientist", "R and statistics."),
    ("ds4", "data_scientist", "Java."),
    ("ml1", "ml_engineer", "Python and PyTorch."),
    ("ml2", "ml_engineer", "Python, AI."),
]


def definitions(tmp_path: Path) -> list[Definition]:
    docs = load_paths([write_jsonl(tmp_path / "roles.jsonl", ROLES)], max_record_bytes=1_000_000).documents
    # Through the document table's shape, as the CLI reads them.
    return [definition(StoredDocument(d.doc_id, d.kind, d.title, d.company, d.role_family, d.text)) for d in docs]


@pytest.fixture
def corpus(services: Services) -> Corpus:
    docs = [StoredDocument(i, "posting", role, "", role, text) for i, role, text in POSTINGS]
    return Corpus(services.taxonomy, [profile(d, services.taxonomy) for d in docs])


def test_definitions_are_read_back_from_the_document_text(tmp_path: Path) -> None:
    onet, esco, developers = definitions(tmp_path)
    assert (onet.name, onet.role, onet.description) == (
        "O*NET 15-2051.00 Data Scientists", "data_scientist", "Apply machine learning to data.")
    assert onet.lists == {"tasks": ("Communicate results to stakeholders.",),
                          "technology": ("Python", "Structured query language SQL", "Oracle Java", "Atlassian Confluence"),
                          "skills": ("Critical Thinking",)}
    assert (esco.name, esco.role, esco.lists) == ("ESCO artificial intelligence engineer", "ml_engineer", {})
    assert developers.role == ""  # not one of the postings' role families


def test_official_skills_with_the_share_of_postings_asking_for_each(corpus: Corpus, tmp_path: Path) -> None:
    result = compare_official(corpus, definitions(tmp_path), "data_scientist", min_share=0.5)
    onet = "O*NET 15-2051.00 Data Scientists"
    listed = {o.skill: (o.count, o.n) for o in result.listed}
    # Python ds1, ds2; SQL ds1; Java ds4; "Oracle Java" also names Oracle (no posting);
    # communication and stakeholders from the task (ds2); machine learning, problem solving: none.
    assert listed == {"python": (2, 4), "sql": (1, 4), "java": (1, 4), "oracle": (0, 4), "communication": (1, 4),
                      "stakeholder_management": (1, 4), "machine_learning": (0, 4), "problem_solving": (0, 4)}
    assert [o.skill for o in result.listed[:2]] == ["python", "communication"]  # most asked for, then by id
    assert dict((o.skill, o.listings) for o in result.listed)["sql"] == (
        Listing(onet, "technology", "Structured query language SQL"),)
    assert dict((o.skill, o.listings) for o in result.listed)["problem_solving"] == (
        Listing(onet, "skills", "Critical Thinking"),)
    # Statistics: ds1, ds2, ds3 = 75% >= 50%, listed by no definition; R (25%) is below the bar.
    assert [(o.skill, o.count) for o in result.unlisted] == [("statistics", 3)]
    assert result.unmatched == ("Atlassian Confluence",)
    data = official_json(result, corpus)
    assert data["n"] == 4 and data["definitions"] == [onet]
    assert data["not_listed"] == [{"skill": "statistics", "name": "Statistics", "share": 0.75, "count": 3,
                                   "listed_by": []}]


def test_the_ml_engineer_is_defined_by_esco_only(corpus: Corpus, tmp_path: Path) -> None:
    result = compare_official(corpus, definitions(tmp_path), "ml_engineer", min_share=0.5)
    assert result.definitions == ("ESCO artificial intelligence engineer",)
    assert [(o.skill, o.count, o.listings) for o in result.listed] == [
        ("artificial_intelligence", 1, (Listing("ESCO artificial intelligence engineer", "description",
                                                 "Artificial intelligence"),)),
        ("problem_solving", 0, (Listing("ESCO artificial intelligence engineer", "description", "problem solving"),))]
    assert [(o.skill, o.count) for o in result.unlisted] == [("python", 2), ("pytorch", 1)]
    with pytest.raises(StatsError, match="no official definition .* of data_engineer in the index; "
                                         "defined roles: data_scientist, ml_engineer"):
        compare_official(corpus, definitions(tmp_path), "data_engineer")

