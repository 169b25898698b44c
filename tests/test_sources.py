"""Reading postings and roles from every supported format, and refusing bad input precisely."""

import json
from pathlib import Path

import pytest

from assistant.errors import CorpusError
from assistant.sources import load_paths, require_clean
from tests.conftest import posting, write_jsonl

LIMIT = 100_000


def load(*paths: Path, **kwargs: object):
    return load_paths(list(paths), max_record_bytes=kwargs.pop("limit", LIMIT), **kwargs)  # type: ignore[arg-type]


def test_jsonl_keeps_metadata_and_unknown_fields(tmp_path: Path) -> None:
    file = write_jsonl(tmp_path / "p.jsonl", [posting(1, posted="2026-01-02", url="https://x/1", salary="100k")])
    [doc] = load(file).documents
    assert (doc.doc_id, doc.kind, doc.title, doc.company) == ("p1", "posting", "Data Scientist", "Company 1")
    assert (doc.posted, doc.url, doc.location) == ("2026-01-02", "https://x/1", "Remote")
    assert doc.extra == {"salary": "100k"}
    assert doc.role_family == "data_scientist"
    assert doc.source == str(file.resolve())


def test_csv_maps_common_column_names(tmp_path: Path) -> None:
    file = tmp_path / "jobs.csv"
    file.write_text(
        "Job Title,Company Name,Location,Job Description,Rating\n"
        'ML Engineer,Acme,"Austin, TX","Build models.\nShip them.",4.1\n'
        "Data Analyst,Beta,Remote,Dashboards in Tableau,3.9\n",
        encoding="utf-8",
    )
    loaded = load(file)
    assert loaded.rejections == []
    first, second = loaded.documents
    assert (first.title, first.company, first.location) == ("ML Engineer", "Acme", "Austin, TX")
    assert first.text == "Build models.\nShip them."
    assert first.extra == {"rating": "4.1"}
    assert second.role_family == "data_analyst"
    assert first.doc_id != second.doc_id


def test_column_map_names_unusual_columns(tmp_path: Path) -> None:
    file = tmp_path / "jobs.csv"
    file.write_text("Headline,Blurb\nData Engineer,Spark and Airflow pipelines\n", encoding="utf-8")
    assert [str(r) for r in load(file).rejections] == [f"{file}:2 (row 1): missing title"]
    [doc] = load(file, column_map={"title": "Headline", "description": "Blurb"}).documents
    assert (doc.title, doc.text) == ("Data Engineer", "Spark and Airflow pipelines")


def test_folder_of_text_markdown_and_html(tmp_path: Path) -> None:
    folder = tmp_path / "postings"
    folder.mkdir()
    (folder / "a.txt").write_text("Data Engineer\nBuild pipelines with Spark.\n", encoding="utf-8")
    (folder / "b.md").write_text("Company: Acme\nLocation: Remote\n# ML Engineer\nDeploy with Kubernetes.\n")
    (folder / "c.html").write_text(
        "<html><head><title>Data Analyst</title><script>alert(1)</script></head>"
        "<body><p>Build <b>dashboards</b>.</p><ul><li>SQL</li><li>Tableau</li></ul></body></html>"
    )
    (folder / "ignored.pdf").write_bytes(b"%PDF")
    docs = {d.doc_id: d for d in load(folder).documents}
    assert set(docs) == {"a", "b", "c"}
    assert (docs["a"].title, docs["a"].text) == ("Data Engineer", "Build pipelines with Spark.")
    assert (docs["b"].title, docs["b"].company, docs["b"].location) == ("ML Engineer", "Acme", "Remote")
    assert docs["c"].title == "Data Analyst"
    assert "alert" not in docs["c"].text and "<" not in docs["c"].text
    assert docs["c"].text == "Build\ndashboards\n.\nSQL\nTableau"


def test_role_definitions_are_their_own_kind(tmp_path: Path) -> None:
    file = write_jsonl(tmp_path / "roles.jsonl", [{
        "code": "15-2051.00", "title": "Data Scientists", "description": "Develop and implement analytics.",
        "tasks": ["Analyze large data sets."], "technology": ["Python", "R"],
    }])
    [doc] = load(file).documents
    assert (doc.kind, doc.doc_id, doc.role_family) == ("role", "15-2051.00", "data_scientist")
    assert "Tasks:\n- Analyze large data sets." in doc.text and "- Python" in doc.text


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b'{"id": "a", "title": "DS", "description": "ok"}\n{"id": "b", "title": "DS" "description": "x"}\n',
         ":2: invalid JSON: Expecting ',' delimiter (column 27)"),
        (b'{"id": "a", "title": "DS"}\n', ":1: missing description"),
        (b'{"id": "a", "title": "DS", "description": "   "}\n', ":1: description is empty"),
        (b'{"id": "a", "description": "text"}\n', ":1: missing title"),
        (b'{"id": "a", "title": "DS", "description": "ok"}\n{"id": "b", "title": "DS", "description": "caf\xe9"}\n',
         ":2: not valid UTF-8 (byte 0xe9 at column 47)"),
        (b'["not", "an", "object"]\n', ":1: expected a JSON object, got list"),
        (b'{"id": "a", "title": "DS", "description": "ok", "kind": "memo"}\n', ":1: unknown kind 'memo'"),
        (b"\n\n", ": file has no records"),
    ],
)
def test_bad_jsonl_records_name_file_line_and_problem(tmp_path: Path, content: bytes, expected: str) -> None:
    file = tmp_path / "bad.jsonl"
    file.write_bytes(content)
    rejections = [str(r) for r in load(file).rejections]
    assert len(rejections) == 1
    assert rejections[0].startswith(str(file)) and expected in rejections[0]


def test_oversized_record_is_rejected(tmp_path: Path) -> None:
    file = write_jsonl(tmp_path / "big.jsonl", [posting(1), posting(2, description="x " * 3000)])
    loaded = load(file, limit=2_000)
    assert [d.doc_id for d in loaded.documents] == ["p1"]
    assert "big.jsonl:2: record is 6,1" in str(loaded.rejections[0])
    assert "over the 2,000-byte limit" in str(loaded.rejections[0])


def test_unknown_format_missing_file_and_duplicate_ids(tmp_path: Path) -> None:
    (tmp_path / "notes.xlsx").write_bytes(b"PK")
    file = write_jsonl(tmp_path / "dup.jsonl", [posting(1), posting(1, description="other text")])
    rejections = [str(r) for r in load(tmp_path / "notes.xlsx", tmp_path / "nope.jsonl", file).rejections]
    assert rejections == [
        f"{tmp_path / 'notes.xlsx'}: unknown format '.xlsx': expected .jsonl, .json, .csv, "
        "or a .txt/.md/.html file or folder",
        f"{tmp_path / 'nope.jsonl'}: no such file or folder",
        f"{file}:2: id 'p1' is already used at {file}:1",
    ]


def test_csv_problems_name_the_row(tmp_path: Path) -> None:
    file = tmp_path / "bad.csv"
    file.write_text("title,description\nDS,fine\nDE,too,many\nDA,\n", encoding="utf-8")
    assert [str(r) for r in load(file).rejections] == [
        f"{file}:3 (row 2): row has 3 fields, the header has 2",
        f"{file}:4 (row 3): description is empty",
    ]
    latin = tmp_path / "latin.csv"
    latin.write_bytes(b"title,description\nDS,ok\nDE,caf\xe9\n")
    assert [str(r) for r in load(latin).rejections] == [f"{latin}:3: not valid UTF-8 (byte 0xe9 at column 7)"]


def test_json_array_file(tmp_path: Path) -> None:
    file = tmp_path / "p.json"
    file.write_text(json.dumps([posting(1), {"title": "x"}]))
    loaded = load(file)
    assert [d.doc_id for d in loaded.documents] == ["p1"]
    assert [str(r) for r in loaded.rejections] == [f"{file}: item 2: missing description"]


def test_require_clean_refuses_everything_unless_skipping(tmp_path: Path) -> None:
    file = tmp_path / "mixed.jsonl"
    file.write_text(json.dumps(posting(1)) + "\n{broken\n")
    loaded = load(file)
    with pytest.raises(CorpusError, match=r"mixed.jsonl:2: invalid JSON.*nothing was ingested"):
        require_clean(loaded, skip_invalid=False)
    require_clean(loaded, skip_invalid=True)
    empty = load(tmp_path / "missing.jsonl")
    with pytest.raises(CorpusError, match="no valid records"):
        require_clean(empty, skip_invalid=True)
