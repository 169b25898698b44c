"""The corpus the project ships: the article (restored for the index) and illustrative samples."""

from __future__ import annotations

from pathlib import Path

from assistant.restore import load_rules, restore
from assistant.types import Document

ARTICLE_ORIGINAL = Path("article/article.original.txt")
ARTICLE_RESTORED = Path("article/article.restored.txt")
RESTORE_MAP = Path("article/restore_map.tsv")
SAMPLE_FILES = (Path("samples/postings.jsonl"), Path("samples/roles.jsonl"))


def restored_article_text(corpus_dir: Path) -> str:
    original = (corpus_dir / ARTICLE_ORIGINAL).read_text(encoding="utf-8")
    return restore(original, load_rules(corpus_dir / RESTORE_MAP))


def article_document(corpus_dir: Path) -> Document:
    """The restored article: its first line is a label ("Opinion"), its second the title."""
    lines = restored_article_text(corpus_dir).splitlines()
    label, title, body = lines[0].strip(), lines[1].strip(), "\n".join(lines[2:])
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
