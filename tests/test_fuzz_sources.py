"""Property-based tests of the loaders: whatever bytes a file holds, every record becomes a
document or a rejection that names the file and line; nothing crashes, nothing is half-read."""

from __future__ import annotations

import csv
import json
import re
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assistant.sources import load_paths

FIELDS = st.sampled_from(["id", "title", "description", "company", "Job Title", "Job Description", "kind",
                          "location", "tasks", "posted", "", "\x00", "title\n"])
VALUES = st.one_of(
    st.text(max_size=60), st.integers(), st.floats(allow_nan=True), st.none(), st.booleans(),
    st.lists(st.text(max_size=10), max_size=3), st.dictionaries(st.text(max_size=5), st.text(max_size=5), max_size=2),
    st.sampled_from(["<script>alert(1)</script>", "x" * 3000, "\ufeff", "\u202e", "é\u0301", "\r\n"]),
)
# Shapes that crashed the loaders once: deep nesting, a number past Python's digit limit,
# lone surrogates, a field that opens a quote and never closes.
HOSTILE = [b"[" * 50_000, b'{"a": ' * 3000, b'{"title": "T", "description": "d", "n": ' + b"7" * 5000 + b"}",
           b'{"title": "\\ud800", "description": "d"}', b'{"title": "T", "description": "\\udfff x"}',
           b'"unterminated, quote', b'x,"y\n']
RECORDS = st.one_of(st.dictionaries(FIELDS, VALUES, max_size=6), VALUES)
LINES = st.one_of(
    RECORDS.map(lambda r: json.dumps(r).encode()),
    st.binary(max_size=80),
    st.text(max_size=80).map(lambda t: t.encode("utf-8", "surrogatepass")),
    st.sampled_from([b"", b"{", b'{"title": "x"', b"\xff\xfe", b"\x00\x00", b"[1, 2]", b"null"]),
    st.sampled_from(HOSTILE),
)
LIMIT = 2_000  # small, so the oversize path is exercised too
CHECKED = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _check(path: Path, loaded) -> None:  # type: ignore[no-untyped-def]
    for rejection in loaded.rejections:
        assert rejection.where.startswith(str(path)), rejection
        assert rejection.reason.strip()
    for doc in loaded.documents:
        assert doc.title.strip() and doc.text.strip() and doc.doc_id
    ids = [d.doc_id for d in loaded.documents]
    assert len(ids) == len(set(ids))


@CHECKED
@given(st.lists(LINES, max_size=8))
def test_any_jsonl_file_loads_or_names_each_bad_line(lines: list[bytes]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "feed.jsonl"
        path.write_bytes(b"\n".join(lines))
        loaded = load_paths([path], max_record_bytes=LIMIT)
        _check(path, loaded)
        for rejection in loaded.rejections:
            assert re.match(re.escape(str(path)) + r"(:\d+)?$", rejection.where), rejection
        # Every line is accounted for: a document or a rejection, and a file without a single
        # record says so.
        raw = path.read_bytes().splitlines()
        undecodable = sum(1 for number, line in enumerate(raw, 1) if not _decodes(line, number))
        records = sum(1 for number, line in enumerate(raw, 1) if _decodes(line, number) and _text(line, number).strip())
        expected = undecodable + records + (0 if records else 1)
        assert len(loaded.documents) + len(loaded.rejections) == expected


def _decodes(line: bytes, number: int) -> bool:
    try:
        _text(line, number)
    except UnicodeDecodeError:
        return False
    return True


def _text(line: bytes, number: int) -> str:
    return line.decode("utf-8-sig" if number == 1 else "utf-8")


@CHECKED
@given(st.lists(st.lists(st.one_of(st.text(max_size=30), st.sampled_from(['"', '""', "\n", ",", "\x00", '"open', 'x"'])),
                         min_size=0, max_size=5), max_size=6),
       st.sampled_from([b"", b"\xef\xbb\xbf"]), st.binary(max_size=20))
def test_any_csv_file_loads_or_names_each_bad_row(rows: list[list[str]], bom: bytes, tail: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "feed.csv"
        header = "title,description,company\n"
        body = "\n".join(",".join(cell.replace("\n", " ") for cell in row) for row in rows)
        path.write_bytes(bom + (header + body).encode("utf-8", "surrogatepass") + tail)
        _check(path, load_paths([path], max_record_bytes=LIMIT))


@CHECKED
@given(st.one_of(RECORDS.map(lambda r: json.dumps(r).encode()), st.binary(max_size=200), st.sampled_from(HOSTILE),
                 st.lists(RECORDS, max_size=5).map(lambda rs: json.dumps(rs).encode())))
def test_any_json_file_loads_or_says_what_is_wrong(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "feed.json"
        path.write_bytes(data)
        _check(path, load_paths([path], max_record_bytes=LIMIT))


# Valid records must be read, every one: a loader that refused every row would pass the
# properties above. Cells hold commas, quotes and line breaks, quoted as CSV writers do.
CELL = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")) | st.sampled_from([",", '"', "\n"]),
               min_size=1, max_size=40).filter(str.strip)
VALID = st.lists(st.tuples(CELL, CELL, st.text("abcdefghij", max_size=10)), min_size=1, max_size=6)


@CHECKED
@given(VALID)
def test_valid_csv_rows_are_all_read(rows: list[tuple[str, str, str]]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "feed.csv"
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["id", "title", "description", "company"])
            writer.writerows([f"r{i}", title, text, company] for i, (title, text, company) in enumerate(rows))
        loaded = load_paths([path], max_record_bytes=1_000_000)
        assert loaded.rejections == []
        assert [(d.doc_id, d.title, d.text, d.company) for d in loaded.documents] == [
            (f"r{i}", title.strip(), text.strip(), company) for i, (title, text, company) in enumerate(rows)]


@CHECKED
@given(VALID)
def test_valid_json_records_are_all_read(rows: list[tuple[str, str, str]]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "feed.json"
        path.write_text(json.dumps([{"id": f"r{i}", "title": title, "description": text, "company": company}
                                    for i, (title, text, company) in enumerate(rows)]), encoding="utf-8")
        loaded = load_paths([path], max_record_bytes=1_000_000)
        assert loaded.rejections == []
        assert [(d.doc_id, d.title, d.text, d.company) for d in loaded.documents] == [
            (f"r{i}", title.strip(), text.strip(), company) for i, (title, text, company) in enumerate(rows)]
