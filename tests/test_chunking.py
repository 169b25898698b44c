import pytest

from assistant.chunking import Chunker, is_heading, split_sections
from assistant.corpus import article_document
from assistant.settings import REPO_ROOT
from assistant.types import Document
from tests.fakes import HashingEmbedder

COUNT = HashingEmbedder().count_tokens


def doc(text: str, **fields: str) -> Document:
    return Document(doc_id="d1", kind=fields.pop("kind", "posting"), title="ML Engineer",  # type: ignore[arg-type]
                    text=text, source="s.jsonl", company="Acme", **fields)


def test_headings_are_short_standalone_lines() -> None:
    for line in ("Responsibilities:", "About Us", "WHAT YOU'LL DO", "## Nice to have", "Requirements"):
        assert is_heading(line), line
    for line in ("- Python", "We build models.", "Experience with Spark, Kafka and Airflow in production systems:"
                 " at least five years of it", "3. Docker", ""):
        assert not is_heading(line), line


def test_sections_split_at_headings() -> None:
    text = "Intro line.\nResponsibilities:\n- Build\n- Ship\nRequirements\n- Python"
    assert split_sections(text) == [
        ("", "Intro line."),
        ("Responsibilities", "Responsibilities:\n- Build\n- Ship"),
        ("Requirements", "Requirements\n- Python"),
    ]


def test_small_sections_are_packed_and_every_chunk_fits_and_stands_alone() -> None:
    body = "\n".join(
        [f"Section {i}:\n" + "\n".join(f"- duty number {i}.{j} with several words here" for j in range(12))
         for i in range(6)]
    )
    chunker = Chunker(COUNT, max_tokens=120, overlap=10)
    chunks = chunker.chunk(doc("Short intro.\nAbout us:\nSmall team.\n" + body))
    assert len(chunks) > 3
    for position, chunk in enumerate(chunks):
        assert COUNT(chunk.text) + 2 <= 120
        assert chunk.text.startswith("ML Engineer at Acme\n")
        assert chunk.position == position
        assert chunk.metadata["chunks"] == len(chunks)
        assert {"doc_id", "kind", "title", "company", "location", "posted", "role_family",
                "source", "position", "section", "content_hash", "fingerprint"} <= set(chunk.metadata)
    assert chunks[0].metadata["section"] == "About us"  # the intro and "About us" share a chunk
    assert "Short intro." in chunks[0].text and "Small team." in chunks[0].text


def test_long_paragraph_splits_into_even_pieces() -> None:
    sentence = "Data scientists build models and test hypotheses with care. "
    chunks = Chunker(COUNT, max_tokens=100, overlap=0).chunk(doc(sentence * 20))
    sizes = [COUNT(c.text) for c in chunks]
    assert len(chunks) >= 3 and max(sizes) + 2 <= 100
    assert min(sizes) > max(sizes) / 2  # no stub at the end


def test_article_is_chunked_by_paragraph_under_its_heading() -> None:
    article = article_document(REPO_ROOT / "corpus")
    chunks = Chunker(COUNT, max_tokens=256, overlap=0).chunk(article)
    paragraphs = [p for p in article.text.splitlines() if p.strip() and not p.startswith("## ")
                  and p.strip() not in ("Machine Learning / Deep Learning", "Software Engineering",
                                        "Technical Architecture")]
    assert len(chunks) >= len(paragraphs)
    sections = [c.metadata["section"] for c in chunks]
    assert sections[0] == "Introduction: what is an ML engineer?"
    assert "Software Engineering" in sections and "Data scientist vs. ML engineer" in sections
    for chunk in chunks:
        assert chunk.text.startswith(f"{article.title} | {chunk.metadata['section']}\n")
    glm = [c for c in chunks if "generalized linear models" in c.text]
    assert len(glm) == 1 and glm[0].metadata["section"] == "Data scientist vs. ML engineer"


@pytest.mark.parametrize("budget", [60, 120, 200])
def test_no_article_passage_is_cut_at_eg(budget: int) -> None:
    """The article's list of algorithms was cut at "(e.g." into two passages."""
    article = article_document(REPO_ROOT / "corpus")
    chunks = Chunker(COUNT, max_tokens=256, overlap=0, article_max_tokens=budget).chunk(article)
    assert not [c.text[-40:] for c in chunks if c.text.rstrip().endswith(("e.g.", "i.e.", "(e.g", "e.g"))]
    assert any("(e.g. support vector machine" in c.text for c in chunks)
