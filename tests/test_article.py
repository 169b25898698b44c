"""The article ships verbatim and is restored for the index by an explicit mapping."""

import hashlib
import re

from assistant.corpus import (
    ARTICLE_ORIGINAL,
    ARTICLE_RESTORED,
    RESTORE_MAP,
    SECTIONS,
    article_document,
    load_sections,
    restored_article_text,
)
from assistant.restore import Rule, load_rules, restore, surviving_phrases
from assistant.settings import REPO_ROOT
from tests.conftest import SHARED

CORPUS = REPO_ROOT / "corpus"


def test_the_original_is_kept_verbatim() -> None:
    shipped = (CORPUS / ARTICLE_ORIGINAL).read_bytes()
    # The hash of ../shared/seed/article.txt, the article as published: checked on every
    # machine, with or without the shared folder.
    assert hashlib.sha256(shipped).hexdigest() == "a064a20077551da49e9bcc20c7f78bedfc57c620f06ef80605ed25b100a6eb77"
    seed = SHARED / "seed" / "article.txt"
    assert not seed.is_file() or shipped == seed.read_bytes()
    assert "knowledge scientist" in shipped.decode("utf-8")


def test_no_mapped_phrase_survives_restoration() -> None:
    rules = load_rules(CORPUS / RESTORE_MAP)
    restored = restored_article_text(CORPUS)
    assert len(rules) > 100
    assert surviving_phrases(restored, rules) == []


def test_every_rule_is_used_by_the_article() -> None:
    original = (CORPUS / ARTICLE_ORIGINAL).read_text(encoding="utf-8")
    unused = [r.source for r in load_rules(CORPUS / RESTORE_MAP)
              if not re.search(r"(?<!\w)" + re.escape(r.source) + r"(?!\w)", original, re.I)]
    assert unused == []


def test_restoration_keeps_every_paragraph_and_restores_domain_terms() -> None:
    original = (CORPUS / ARTICLE_ORIGINAL).read_text(encoding="utf-8").splitlines()
    restored = restored_article_text(CORPUS).splitlines()
    assert len(restored) == len(original)
    assert all(bool(a.strip()) == bool(b.strip()) for a, b in zip(original, restored, strict=True))
    text = "\n".join(restored)
    for term in ("data scientist", "machine learning", "deep learning", "computer vision",
                 "natural language processing", "Amazon Web Services", "Company A",
                 "support vector machine", "gradient boosted trees", "generalized linear models"):
        assert term in text, term
    for leftover in ("knowledge scientist", "machine studying", "Amazon Net Providers", "Firm A"):
        assert leftover not in text


def test_the_committed_restored_edition_is_up_to_date() -> None:
    assert (CORPUS / ARTICLE_RESTORED).read_text(encoding="utf-8") == restored_article_text(CORPUS)


def test_rules_apply_longest_first_on_whole_words_and_capitalised() -> None:
    rules = [Rule("knowledge", "information", 1), Rule("knowledge scientist", "data scientist", 2)]
    text = "Knowledge scientist and a knowledge scientist use knowledge; acknowledge it."
    assert restore(text, rules) == "Data scientist and a data scientist use information; acknowledge it."


def test_the_indexed_article_has_sections_from_the_reviewed_file() -> None:
    doc = article_document(CORPUS)
    assert doc.kind == "article"
    assert doc.title == "Trying to understand an ambiguously defined role in the AI/ML industry"
    for _, heading in load_sections(CORPUS / SECTIONS):
        assert f"## {heading}" in doc.text
