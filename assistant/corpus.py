"""The corpus the project ships: the article (restored for the index) and illustrative samples."""

from __future__ import annotations

from pathlib import Path

from assistant.errors import CorpusError
from assistant.restore import load_rules, restore
from assistant.types import Document

ARTICLE_ORIGINAL = Path("article/article.original.txt")
ARTICLE_RESTORED = Path("article/article.restored.txt")
RESTORE_MAP = Path("article/restore_map.tsv")
SECTIONS = Path("article/sections.tsv")
SAMPLE_FILES = (Path("samples/postings.jsonl"), Path("samples/roles.jsonl"))


def restored_article_text(corpus_dir: Path) -> str:
    original = (corpus_dir / ARTICLE_ORIGINAL).read_text(encoding="utf-8")
    return restore(original, load_rules(corpus_dir / RESTORE_MAP))


def load_sections(path: Path) -> list[tuple[str, str]]:
    """(first words of a paragraph, heading) pairs from the editorial sections file."""
    sections = []
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not raw.strip() or raw.startswith("#"):
            continue
        start, sep, heading = raw.partition("\t")
        if not sep or not start.strip() or not heading.strip():
            raise CorpusError(f"{path}:{number}: expected 'first words<TAB>heading', got {raw!r}")
        sections.append((start.strip(), heading.strip()))
    return sections


def with_sections(paragraphs: list[str], sections: list[tuple[str, str]], where: Path) -> list[str]:
    """Insert each heading (as a Markdown heading, so the chunker knows it for one)
    before the one paragraph that starts with its words."""
    out = list(paragraphs)
    for start, heading in sections:
        matches = [i for i, p in enumerate(out) if p.startswith(start)]
        if len(matches) != 1:
            raise CorpusError(f"{where}: {start!r} starts {len(matches)} paragraphs, expected exactly 1")
        out.insert(matches[0], f"## {heading}")
    return out


def article_document(corpus_dir: Path) -> Document:
    """The restored article: its first line is a label ("Opinion"), its second the title."""
    lines = restored_article_text(corpus_dir).splitlines()
    label, title = lines[0].strip(), lines[1].strip()
    body = "\n".join(with_sections(lines[2:], load_sections(corpus_dir / SECTIONS), corpus_dir / SECTIONS))
    return Document(
        doc_id="article",
        kind="article",
        title=title,
        text=body,
        source=str(ARTICLE_ORIGINAL),
        role_family="ml_engineer",
        extra={"label": label, "restored_with": str(RESTORE_MAP)},
    )


def sample_paths(corpus_dir: Path) -> list[Path]:
    return [corpus_dir / name for name in SAMPLE_FILES]
