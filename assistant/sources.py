"""Read postings and role definitions from JSONL, JSON, CSV and folders of text files.

Every record becomes a `Document` or a `Rejection` that names the file, the line or row,
and what is wrong. Nothing here touches the index.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bs4 import BeautifulSoup

from assistant.errors import CorpusError
from assistant.roles import role_family
from assistant.types import KINDS, Document, Kind, Rejection

# A long description is one field; the record limit (max_record_bytes) is what bounds it.
csv.field_size_limit(2**31 - 1)

TEXT_SUFFIXES = (".txt", ".md", ".html", ".htm")
RECORD_SUFFIXES = (".jsonl", ".ndjson", ".json", ".csv")

# Common spellings of each field in exported job data, compared after normalizing
# ("Job Description" -> "job_description").
FIELD_ALIASES: dict[str, tuple[str, ...]] = {
    "id": ("id", "job_id", "jobid", "posting_id", "job_key", "uid", "code"),
    "title": ("title", "job_title", "jobtitle", "position", "position_title", "role", "job_name"),
    "description": (
        "description", "job_description", "jobdescription", "desc", "text", "body",
        "content", "details", "job_details",
    ),
    "company": ("company", "company_name", "employer", "organization", "organisation", "hiring_company"),
    "location": ("location", "job_location", "city", "place"),
    "posted": ("posted", "date", "posted_date", "date_posted", "posting_date", "published", "created_at"),
    "url": ("url", "link", "job_url", "apply_url", "job_link"),
    "kind": ("kind", "type_of_document"),
}
_ROLE_LIST_FIELDS = ("tasks", "technology", "hot_technology", "skills")


@dataclass
class Loaded:
    documents: list[Document] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)


def normalize_key(key: str) -> str:
    return re.sub(r"[^0-9a-z]+", "_", key.strip().lower()).strip("_")


def load_paths(
    paths: list[Path],
    *,
    max_record_bytes: int,
    kind: Kind | None = None,
    column_map: dict[str, str] | None = None,
) -> Loaded:
    """Read every path; a file that cannot be read at all is one rejection for that file."""
    loaded = Loaded()
    seen: dict[str, str] = {}
    for path in paths:
        for item in _read_path(path, max_record_bytes, kind, column_map or {}):
            if isinstance(item, Rejection):
                loaded.rejections.append(item)
            elif item.doc_id in seen:
                loaded.rejections.append(
                    Rejection(item.source_where, f"id {item.doc.doc_id!r} is already used at {seen[item.doc_id]}")
                )
            else:
                seen[item.doc_id] = item.source_where
                loaded.documents.append(item.doc)
    return loaded


@dataclass(frozen=True)
class _Read:
    doc: Document
    source_where: str

    @property
    def doc_id(self) -> str:
        return self.doc.doc_id


def _read_path(
    path: Path, limit: int, kind: Kind | None, column_map: dict[str, str]
) -> Iterator[_Read | Rejection]:
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in TEXT_SUFFIXES)
        if not files:
            yield Rejection(str(path), f"folder has no {'/'.join(TEXT_SUFFIXES)} files")
        for file in files:
            yield from _read_text_file(file, limit, kind)
        return
    if not path.exists():
        yield Rejection(str(path), "no such file or folder")
        return
    if not path.is_file():  # a FIFO or a device would block the read or never end
        yield Rejection(str(path), "not a regular file")
        return
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".ndjson"):
        yield from _read_jsonl(path, limit, kind, column_map)
    elif suffix == ".json":
        yield from _read_json(path, limit, kind, column_map)
    elif suffix == ".csv":
        yield from _read_csv(path, limit, kind, column_map)
    elif suffix in TEXT_SUFFIXES:
        yield from _read_text_file(path, limit, kind)
    else:
        yield Rejection(
            str(path),
            f"unknown format {suffix or '(no extension)'!r}: expected .jsonl, .json, .csv, "
            f"or a .txt/.md/.html file or folder",
        )


def _source(path: Path) -> str:
    """Where a document came from, stable whatever the working directory (`--sync` keys on it)."""
    return str(path.resolve())


def _read_bytes(path: Path) -> bytes | Rejection:
    try:
        return path.read_bytes()
    except OSError as exc:
        return Rejection(str(path), f"cannot read the file: {exc.strerror or exc}")


def _utf16_hint(data: bytes) -> str:
    """UTF-16 (what Excel's "Unicode text" and some Windows tools write) fails as UTF-8 on
    its first byte; say so instead of naming a byte."""
    if data[:2] in (b"\xff\xfe", b"\xfe\xff") or data[:200].count(b"\x00") > len(data[:200]) // 4:
        return "; the file looks like UTF-16: save or convert it as UTF-8 (e.g. iconv -f UTF-16 -t UTF-8)"
    return ""


def _decode_lines(path: Path) -> Iterator[tuple[int, str] | Rejection]:
    data = _read_bytes(path)
    if isinstance(data, Rejection):
        yield data
        return
    for number, raw in enumerate(data.splitlines(), start=1):
        try:
            text = raw.decode("utf-8-sig" if number == 1 else "utf-8")
        except UnicodeDecodeError as exc:
            yield Rejection(
                f"{path}:{number}",
                f"not valid UTF-8 (byte 0x{raw[exc.start]:02x} at column {exc.start + 1})" + _utf16_hint(data),
            )
            continue
        yield number, text


def _decode_whole(path: Path) -> str | Rejection:
    data = _read_bytes(path)
    if isinstance(data, Rejection):
        return data
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        return Rejection(f"{path}:{line}", f"not valid UTF-8 (byte 0x{data[exc.start]:02x} at column {column})"
                         + _utf16_hint(data))
    if "\x00" in text and (hint := _utf16_hint(data)):  # UTF-16 without a BOM decodes, NULs and all
        return Rejection(f"{path}:1", "not valid UTF-8 text" + hint)
    return text


class _BadJSON(ValueError):
    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.line = line


def _parse_json(text: str) -> Any:
    """json.loads, with the hostile shapes it raises other errors for (deep nesting, a
    number past Python's 4,300-digit limit) given a message a user can act on."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise _BadJSON(f"invalid JSON: {exc.msg} (column {exc.colno})", exc.lineno) from None
    except RecursionError:
        raise _BadJSON("invalid JSON: nested too deeply") from None
    except ValueError as exc:
        raise _BadJSON(f"invalid JSON: a number is too long ({str(exc).split(';')[0]})") from None


def _record_bytes(record: Any) -> int | str:
    """The record's size in UTF-8, or what makes it impossible to store."""
    try:
        return len(json.dumps(record, ensure_ascii=False).encode("utf-8"))
    except UnicodeEncodeError as exc:
        bad = exc.object[exc.start:exc.end] if isinstance(exc.object, str) else ""
        escaped = bad.encode("unicode_escape").decode() or "escape"
        return f"text contains an unpaired surrogate ({escaped}), which is not valid Unicode"
    except (RecursionError, ValueError) as exc:
        return f"record cannot be stored: {exc}"


def _read_jsonl(path: Path, limit: int, kind: Kind | None, column_map: dict[str, str]) -> Iterator[_Read | Rejection]:
    any_record = False
    for item in _decode_lines(path):
        if isinstance(item, Rejection):
            yield item
            continue
        number, line = item
        if not line.strip():
            continue
        any_record = True
        where = f"{path}:{number}"
        if len(line.encode("utf-8")) > limit:
            yield Rejection(where, f"record is {len(line.encode('utf-8')):,} bytes, over the {limit:,}-byte limit")
            continue
        try:
            record = _parse_json(line)
        except _BadJSON as exc:
            # UTF-16 without a BOM decodes as UTF-8, NULs and all.
            yield Rejection(where, str(exc) + (_utf16_hint(line.encode("utf-8")) if "\x00" in line else ""))
            continue
        yield _from_record(record, where, _source(path), kind, column_map)
    if not any_record:
        yield Rejection(str(path), "file has no records")


def _read_json(path: Path, limit: int, kind: Kind | None, column_map: dict[str, str]) -> Iterator[_Read | Rejection]:
    text = _decode_whole(path)
    if isinstance(text, Rejection):
        yield text
        return
    try:
        data = _parse_json(text)
    except _BadJSON as exc:
        yield Rejection(f"{path}:{exc.line}" if exc.line else str(path), str(exc))
        return
    records = data if isinstance(data, list) else [data]
    if not records:
        yield Rejection(str(path), "file has no records")
    for index, record in enumerate(records, start=1):
        where = f"{path}: item {index}"
        size = _record_bytes(record)
        if isinstance(size, str):
            yield Rejection(where, size)
            continue
        if size > limit:
            yield Rejection(where, f"record is {size:,} bytes, over the {limit:,}-byte limit")
            continue
        yield _from_record(record, where, _source(path), kind, column_map)


def _read_csv(path: Path, limit: int, kind: Kind | None, column_map: dict[str, str]) -> Iterator[_Read | Rejection]:
    text = _decode_whole(path)
    if isinstance(text, Rejection):
        yield text
        return
    records = _csv_records(text.splitlines(keepends=True))
    first = next(records, None)
    if first is None:
        yield Rejection(str(path), "file is empty")
        return
    if first.problem:
        yield Rejection(f"{path}:{first.line}", first.problem)
        return
    header = first.cells
    keys: dict[str, str] = {}
    for name in header:
        if (key := normalize_key(name)) in keys:
            yield Rejection(f"{path}:1", f"the header names the same column twice: {keys[key]!r} and {name!r}")
            return
        keys[key] = name
    rows = 0
    for item in records:
        where = f"{path}:{item.line} (row {rows + 1})"
        if item.problem:
            rows += 1
            yield Rejection(where, item.problem)
            continue
        if not any(cell.strip() for cell in item.cells):
            continue
        rows += 1
        if len(item.cells) != len(header):
            yield Rejection(where, f"row has {len(item.cells)} fields, the header has {len(header)}")
            continue
        size = sum(len(cell.encode("utf-8")) for cell in item.cells)
        if size > limit:
            yield Rejection(where, f"record is {size:,} bytes, over the {limit:,}-byte limit")
            continue
        # The field count was checked above, so strict= changes nothing: its mutants are equivalent.
        record = dict(zip(header, item.cells, strict=True))  # pragma: no mutate
        yield _from_record(record, where, _source(path), kind, column_map)
    if rows == 0:
        yield Rejection(str(path), "file has a header but no rows")


@dataclass(frozen=True)
class _CsvRecord:
    line: int  # the physical lines it spans, 1-based
    last: int
    cells: list[str]
    problem: str = ""  # why the record starting on `line` was not read


def _csv_records(lines: list[str]) -> Iterator[_CsvRecord]:
    """CSV records with the lines they span. A quoted field that never closes, or that
    takes in lines which look like rows of their own (a stray quote in an export), would
    silently swallow those rows: it is rejected at the line where it opened, and reading
    resumes on the next line."""
    start, shapes = 0, None
    while start < len(lines):
        records = _parse_from(lines, start)
        if shapes is None:
            shapes = _column_shapes(records[1:])
        for record in records:
            problem = record.problem or _broken_quote(record, lines, shapes, at_end=record is records[-1])
            if problem:
                yield _CsvRecord(record.line, record.line, [], problem)
                start = record.line
                break
            yield record
        else:
            return


def _parse_from(lines: list[str], start: int) -> list[_CsvRecord]:
    reader = csv.reader(lines[start:])
    records, first = [], start + 1
    try:
        for cells in reader:
            records.append(_CsvRecord(first, start + reader.line_num, cells))
            first = start + reader.line_num + 1
    except csv.Error as exc:
        records.append(_CsvRecord(first, first, [], f"invalid CSV: {exc}"))
    return records


def _shape(cell: str) -> str:
    return re.sub(r"[^\W\d_]+", "a", re.sub(r"\d+", "9", cell.strip()))


def _column_shapes(records: list[_CsvRecord]) -> tuple[int, dict[int, str]]:
    """The row width and the columns whose cells all but always share one shape (an id,
    a date, a URL): what a swallowed row still looks like inside another's field."""
    if len(records) < 3:
        return 0, {}
    width = Counter(len(r.cells) for r in records).most_common(1)[0][0]
    rows = [r.cells for r in records if len(r.cells) == width]
    regular = {}
    for column in range(width):
        shape, count = Counter(_shape(cells[column]) for cells in rows).most_common(1)[0]
        if shape and "\n" not in shape and count >= max(3, 0.9 * len(rows)):
            regular[column] = shape
    return width, regular


def _broken_quote(record: _CsvRecord, lines: list[str], shapes: tuple[int, dict[int, str]], *, at_end: bool) -> str:
    if at_end:
        try:
            list(csv.reader(lines[record.line - 1:record.last], strict=True))
        except csv.Error as exc:
            if "unexpected end of data" in str(exc):
                return "a quoted field opens on this line and never closes (it runs to the end of the file)"
    width, regular = shapes
    for index in range(record.line, record.last):  # the lines inside the record after its first
        if _looks_like_row(lines[index], width, regular):
            return (f"a quoted field opens on this line and takes in line {index + 1}, which looks like a "
                    f"row of its own (through line {record.last}): a quote is probably missing")
    return ""


def _looks_like_row(line: str, width: int, regular: dict[int, str]) -> bool:
    """The line read alone starts like a row: its complete cells (the last may be a quoted
    field it opens) have the shapes of the regular columns, two of them at least."""
    cells = next(csv.reader([line]), [])
    if not 2 <= len(cells) <= width:
        return False
    checked = [c for c in regular if c < len(cells) - 1 or len(cells) == width]
    return len(checked) >= min(2, len(regular)) > 0 and all(_shape(cells[c]) == regular[c] for c in checked)


def _read_text_file(path: Path, limit: int, kind: Kind | None) -> Iterator[_Read | Rejection]:
    size = path.stat().st_size
    if size > limit:
        yield Rejection(str(path), f"file is {size:,} bytes, over the {limit:,}-byte limit")
        return
    text = _decode_whole(path)
    if isinstance(text, Rejection):
        yield text
        return
    if path.suffix.lower() in (".html", ".htm"):
        record = _html_record(text)
    else:
        record = _text_record(text, markdown=path.suffix.lower() == ".md")
    record.setdefault("id", path.stem)
    yield _from_record(record, str(path), _source(path), kind, {})


def html_to_text(html: str) -> str:
    soup = BeautifulSoup(html, "html.parser")
    for tag in soup(["script", "style", "noscript", "template"]):
        tag.decompose()
    for br in soup.find_all("br"):
        br.replace_with("\n")
    text = soup.get_text("\n")
    lines = (re.sub(r"[ \t\u00a0]+", " ", line).strip() for line in text.splitlines())
    return "\n".join(line for line in lines if line)


def _html_record(html: str) -> dict[str, Any]:
    soup = BeautifulSoup(html, "html.parser")
    heading = soup.find(["h1", "title"])
    title = heading.get_text(" ", strip=True) if heading else ""
    if heading is not None and heading.name == "h1":
        heading.decompose()
    if soup.title is not None:
        soup.title.decompose()
    return {"title": title, "description": html_to_text(str(soup))}


_HEADER = re.compile(r"^(title|company|location|posted|date|url|kind)\s*:\s*(.*)$", re.I)


def _text_record(text: str, *, markdown: bool) -> dict[str, Any]:
    """`Key: value` lines at the top are metadata; otherwise the first line is the title."""
    record: dict[str, Any] = {}
    lines = text.strip().splitlines()
    while lines and (match := _HEADER.match(lines[0].strip())):
        record[match.group(1).lower()] = match.group(2).strip()
        lines.pop(0)
    if "title" not in record and lines:
        first = lines.pop(0).strip()
        record["title"] = first.lstrip("#").strip() if markdown else first
    record["description"] = "\n".join(lines).strip()
    return record


def _from_record(
    record: Any, where: str, source: str, kind: Kind | None, column_map: dict[str, str]
) -> _Read | Rejection:
    if not isinstance(record, dict):
        return Rejection(where, f"expected a JSON object, got {type(record).__name__}")
    if isinstance(unstorable := _record_bytes(record), str):
        return Rejection(where, unstorable)
    fields: dict[str, Any] = {}
    extra: dict[str, str] = {}
    by_key = {normalize_key(str(k)): v for k, v in record.items()}
    wanted = {name: (normalize_key(column_map[name]),) if name in column_map else aliases
              for name, aliases in FIELD_ALIASES.items()}
    used: set[str] = set()
    present: set[str] = set()
    for name, aliases in wanted.items():
        present.update(name for alias in aliases if alias in by_key)
        for alias in aliases:
            if alias in by_key and by_key[alias] not in (None, ""):
                fields[name] = by_key[alias]
                used.add(alias)
                break
    for key, value in by_key.items():
        if key not in used and value not in (None, "", [], {}):
            extra[key] = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)

    record_kind = kind or _kind_of(fields, by_key)
    if record_kind not in KINDS:
        return Rejection(where, f"unknown kind {record_kind!r} (expected one of {', '.join(KINDS)})")
    title = _as_text(fields.get("title"))
    if not title:
        return Rejection(where, "missing title")
    description = _as_text(fields.get("description"))
    if record_kind == "role":
        description = _role_text(description, by_key)
    if "description" not in present and record_kind != "role":
        return Rejection(where, "missing description")
    if not description:
        return Rejection(where, "description is empty")
    if record_kind == "role":
        extra = {k: v for k, v in extra.items() if k not in _ROLE_LIST_FIELDS}
    doc_id = _as_text(fields.get("id")) or _derived_id(record_kind, title, fields)
    doc = Document(
        doc_id=doc_id,
        kind=record_kind,
        title=title,
        text=description,
        source=source,
        company=_as_text(fields.get("company")),
        location=_as_text(fields.get("location")),
        posted=_as_text(fields.get("posted")),
        url=_as_text(fields.get("url")),
        role_family=role_family(title),
        extra={k: v for k, v in extra.items() if k not in ("kind",)},
    )
    return _Read(doc, where)


def _kind_of(fields: dict[str, Any], by_key: dict[str, Any]) -> str:
    if "kind" in fields:
        return str(fields["kind"]).strip().lower()
    if "company" not in fields and any(key in by_key for key in ("tasks", "technology", "alternate_titles")):
        return "role"
    return "posting"


def _role_text(description: str, by_key: dict[str, Any]) -> str:
    parts = [description] if description else []
    for key, heading in (("tasks", "Tasks"), ("technology", "Technology"), ("skills", "Skills")):
        values = by_key.get(key)
        if isinstance(values, list) and values:
            items = [_as_text(v) for v in values if _as_text(v)]
            parts.append(heading + ":\n" + "\n".join(f"- {item}" for item in items))
    return "\n\n".join(parts)


def _as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, (int, float)):
        return str(value)
    return ""


def _derived_id(kind: str, title: str, fields: dict[str, Any]) -> str:
    if fields.get("url"):
        key = _as_text(fields["url"])
    else:
        key = "|".join(_as_text(fields.get(name)) for name in ("company", "location")) + "|" + title
    return f"{kind}-{hashlib.sha256(key.encode('utf-8')).hexdigest()[:16]}"


def require_clean(loaded: Loaded, *, skip_invalid: bool, skip_option: str = "--skip-invalid") -> None:
    """Refuse the whole input when anything was rejected, unless asked to skip."""
    if loaded.rejections and not skip_invalid:
        shown = [str(r) for r in loaded.rejections]
        head = shown[0] if len(shown) == 1 else f"{len(shown)} invalid records, first: {shown[0]}"
        raise CorpusError(head + f" (nothing was ingested; {skip_option} ingests the valid records)", shown)
    if not loaded.documents:
        raise CorpusError("no valid records to ingest", [str(r) for r in loaded.rejections])
