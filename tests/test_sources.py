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


def _csv_rows(n: int, broken: dict[int, str] | None = None, *, multiline: bool = True) -> str:
    """A CSV export with `n` rows; `broken` replaces a row's description with raw CSV text."""
    lines = ["id,title,company,description,posted"]
    for i in range(1, n + 1):
        usual = f'"Build models, row {i}.\nShip them."' if multiline else f"Build models for row {i}"
        description = (broken or {}).get(i, usual)
        lines.append(f"job-{i:03d},ML Engineer {i},Acme,{description},2026-01-{i % 28 + 1:02d}")
    return "\n".join(lines) + "\n"


def test_a_csv_quote_that_never_closes_is_refused_at_its_row_not_swallowing_the_rest(tmp_path: Path) -> None:
    file = tmp_path / "jobs.csv"
    file.write_text(_csv_rows(50, {10: '"Open quote, never closed'}, multiline=False), encoding="utf-8")
    loaded = load(file)
    [rejection] = loaded.rejections  # before: rows 11-50 vanished into row 10's description
    assert rejection.where == f"{file}:11 (row 10)" and "quoted field opens on this line" in rejection.reason
    with pytest.raises(CorpusError, match="never closes"):
        require_clean(loaded, skip_invalid=False)
    # Skipping: the row is rejected and every row after it is read as itself.
    assert [d.doc_id for d in loaded.documents] == [f"job-{i:03d}" for i in range(1, 51) if i != 10]
    assert all("ML Engineer" not in d.text for d in loaded.documents)


def test_a_csv_quote_that_closes_much_later_is_refused_when_it_took_in_rows(tmp_path: Path) -> None:
    file = tmp_path / "jobs.csv"
    file.write_text(_csv_rows(40, {10: '"Stray quote here', 30: 'closes here" by accident'}), encoding="utf-8")
    loaded = load(file)
    # Row 10 starts on physical line 20: each row before it spans two lines.
    assert loaded.rejections and loaded.rejections[0].where == f"{file}:20 (row 10)"
    assert "looks like a row of its own" in loaded.rejections[0].reason
    ids = {d.doc_id for d in loaded.documents}
    assert {f"job-{i:03d}" for i in range(11, 30)} <= ids  # the rows inside the runaway quote
    assert len(ids) + len(loaded.rejections) >= 39
    assert all("ML Engineer 1" not in d.text for d in loaded.documents)


def test_a_quote_open_at_the_end_of_the_file_is_refused(tmp_path: Path) -> None:
    file = tmp_path / "jobs.csv"
    file.write_text(_csv_rows(5, {5: '"The last row, open'}), encoding="utf-8")
    loaded = load(file)
    assert [(r.where, r.reason) for r in loaded.rejections] == [
        (f"{file}:10 (row 5)", "a quoted field opens on this line and never closes (it runs to the end of the file)")]
    assert len(loaded.documents) == 4


def test_quoted_multi_line_descriptions_with_commas_are_still_one_field(tmp_path: Path) -> None:
    file = tmp_path / "jobs.csv"
    body = '"Requirements:\nPython, SQL, Spark\nAWS, GCP, Azure\n- 3+ years, remote, full time"'
    file.write_text(_csv_rows(12, {5: body}), encoding="utf-8")
    loaded = load(file)
    assert loaded.rejections == [] and len(loaded.documents) == 12
    assert "AWS, GCP, Azure" in loaded.documents[4].text


def test_csv_header_with_the_same_column_twice_is_refused(tmp_path: Path) -> None:
    file = tmp_path / "jobs.csv"
    file.write_text("title,Description,description\nA,b,c\n", encoding="utf-8")
    [rejection] = load(file).rejections
    assert rejection.where == f"{file}:1" and "'Description' and 'description'" in rejection.reason


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le"])
def test_utf16_input_gets_a_hint(tmp_path: Path, encoding: str) -> None:
    for name, text in (("jobs.csv", "title,description\nA,b\n"), ("p.jsonl", json.dumps(posting(1)) + "\n")):
        file = tmp_path / name
        file.write_bytes(text.encode(encoding))
        assert "looks like UTF-16" in load(file).rejections[0].reason


@pytest.mark.parametrize(("line", "expected"), [
    (b"[" * 100_000, "nested too deeply"),
    (b'{"id": 1, "title": "T", "description": "d", "n": ' + b"9" * 5000 + b"}", "a number is too long"),
    (b'{"title": "T\\ud800", "description": "d"}', "unpaired surrogate (\\ud800)"),
])
def test_hostile_json_shapes_are_rejections_not_crashes(tmp_path: Path, line: bytes, expected: str) -> None:
    for name, content in (("p.jsonl", line + b"\n" + json.dumps(posting(2)).encode()),
                          ("p.json", line)):
        file = tmp_path / name
        file.write_bytes(content)
        loaded = load(file, limit=10_000_000)
        assert any(expected in r.reason for r in loaded.rejections), loaded.rejections
        assert loaded.rejections[0].where.startswith(str(file))
        if name.endswith(".jsonl"):
            assert [d.doc_id for d in loaded.documents] == ["p2"]


def test_an_unreadable_file_in_a_folder_and_a_fifo_are_rejections(tmp_path: Path) -> None:
    import os

    folder = tmp_path / "postings"
    folder.mkdir()
    (folder / "ok.txt").write_text("Data Engineer\nBuild pipelines.", encoding="utf-8")
    locked = folder / "locked.txt"
    locked.write_text("ML Engineer\nShip models.", encoding="utf-8")
    locked.chmod(0)
    fifo = tmp_path / "x.jsonl"
    os.mkfifo(fifo)
    try:
        loaded = load(folder, fifo)
    finally:
        locked.chmod(0o644)
    reasons = {r.where: r.reason for r in loaded.rejections}
    assert reasons[str(fifo)] == "not a regular file"  # before: the read blocked forever
    if os.geteuid() != 0:  # root reads the file anyway
        assert "Permission denied" in reasons[str(locked)]
    assert "ok" in {d.doc_id for d in loaded.documents}


def test_every_format_names_its_source_by_the_resolved_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`--sync` matches sources: a CSV given as a relative path must match its absolute one."""
    (tmp_path / "feed").mkdir()
    monkeypatch.chdir(tmp_path)
    (tmp_path / "feed" / "jobs.csv").write_text("id,title,description\nc1,A,b\n", encoding="utf-8")
    write_jsonl(tmp_path / "feed" / "p.jsonl", [posting(1)])
    (tmp_path / "feed" / "p.json").write_text(json.dumps([posting(2)]), encoding="utf-8")
    (tmp_path / "feed" / "t.txt").write_text("Data Engineer\nBuild pipelines.", encoding="utf-8")
    for name in ("jobs.csv", "p.jsonl", "p.json", "t.txt"):
        relative = load(Path("feed") / name).documents[0].source
        absolute = load(tmp_path / "feed" / name).documents[0].source
        assert relative == absolute == str((tmp_path / "feed" / name).resolve())


def test_csv_rows_with_fewer_or_more_fields_than_the_header_are_refused(tmp_path: Path) -> None:
    file = tmp_path / "feed.csv"
    file.write_text("id,title,description\n1,Data Engineer\n2,Analyst,SQL,extra\n3,ML Engineer,Models.\n",
                    encoding="utf-8")
    loaded = load(file)
    assert [str(r) for r in loaded.rejections] == [
        f"{file}:2 (row 1): row has 2 fields, the header has 3",
        f"{file}:3 (row 2): row has 4 fields, the header has 3",
    ]
    assert [(d.doc_id, d.title, d.text) for d in loaded.documents] == [("3", "ML Engineer", "Models.")]


def test_an_empty_field_falls_through_to_the_next_spelling(tmp_path: Path) -> None:
    file = write_jsonl(tmp_path / "feed.jsonl", [
        {"title": "", "job_title": "Data Engineer", "description": None, "text": "Builds pipelines."},
        {"title": "Analyst", "job_title": "Ignored", "description": "SQL.", "text": "Also kept as extra."},
    ])
    first, second = load(file).documents
    assert (first.title, first.text) == ("Data Engineer", "Builds pipelines.")
    assert (second.title, second.text) == ("Analyst", "SQL.")  # the first spelling that has a value wins
    assert second.extra == {"job_title": "Ignored", "text": "Also kept as extra."}


def test_csv_edges_empty_file_broken_header_and_rows_after_a_bad_one(tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    assert [(r.where, r.reason) for r in load(empty).rejections] == [(str(empty), "file is empty")]
    header = tmp_path / "header.csv"
    header.write_text('"title,description\nDS,fine\n', encoding="utf-8")
    [rejection] = load(header).rejections
    assert rejection.where == f"{header}:1" and "never closes" in rejection.reason
    # Two rows refused one after the other, then rows that are fine: each numbered, all read.
    rows = tmp_path / "rows.csv"
    rows.write_text('title,description\n"DS,open\nDE,x\nDA,y,z\nMLE,models\nBA,reports\n', encoding="utf-8")
    loaded = load(rows)
    assert [r.where for r in loaded.rejections] == [f"{rows}:2 (row 1)", f"{rows}:4 (row 3)"]
    assert [d.title for d in loaded.documents] == ["DE", "MLE", "BA"]


def test_a_csv_record_at_the_byte_limit_is_read_and_one_byte_more_is_not(tmp_path: Path) -> None:
    file = tmp_path / "feed.csv"
    file.write_text("title,description\nDS,12345678\nDE,123456789\nDA,1234\n", encoding="utf-8")  # 10, 11, 6 bytes
    loaded = load(file, limit=10)
    assert [d.title for d in loaded.documents] == ["DS", "DA"]  # the row after the refused one is read
    assert [(r.where, r.reason) for r in loaded.rejections] == [
        (f"{file}:3 (row 2)", "record is 11 bytes, over the 10-byte limit")]


def test_csv_blank_rows_are_skipped_and_rows_are_numbered_past_a_refused_one(tmp_path: Path) -> None:
    file = tmp_path / "feed.csv"
    file.write_text('title,description\nDS,a\n\n,\nDE,"open\nDA,y,z\nBA,b\n', encoding="utf-8")
    loaded = load(file)
    # Lines 3 and 4 are blank rows, not counted; DE (line 5) is row 2, DA (line 6) row 3.
    assert [r.where for r in loaded.rejections] == [f"{file}:5 (row 2)", f"{file}:6 (row 3)"]
    assert [d.title for d in loaded.documents] == ["DS", "BA"]
    header_only = tmp_path / "header.csv"
    header_only.write_text("title,description\n\n", encoding="utf-8")
    assert [(r.where, r.reason) for r in load(header_only).rejections] == [
        (str(header_only), "file has a header but no rows")]


def test_a_csv_file_can_be_read_as_one_kind(tmp_path: Path) -> None:
    file = tmp_path / "roles.csv"
    file.write_text("title,description\nData Engineer,Builds pipelines.\n", encoding="utf-8")
    assert [d.kind for d in load(file).documents] == ["posting"]
    assert [d.kind for d in load(file, kind="role").documents] == ["role"]
