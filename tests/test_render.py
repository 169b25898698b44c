"""What every page shows: readable labels, and answers whose [n] open their own sources."""

from __future__ import annotations

import re

from markdown_it import MarkdownIt

from assistant.answer import Source, Support
from ui.render import answer_html, answer_text, figures_table_html, model_label, passage_html, role_label, roles_label, \
    source_note, source_title

ARTICLE = Source(2, "article#3", "Data scientist vs. ML engineer — Software Engineering", "article", "ml_engineer", "",
                 "Data scientist vs. ML engineer — Software Engineering\nIt is an absolute must. Unit testing too.", 0.5)
POSTING = Source(5, "p9#0", "MLOps Engineer", "posting", "mlops_ai_engineer", "Contoso <Health>",
                 "MLOps Engineer at Contoso\nUse ![x](http://127.0.0.1:9/t.png) Terraform.\n\nAnd MLflow.", 0.4)
FIGURES = Source(7, "figures", "Corpus figures: ML engineer postings vs data scientist postings", "figures",
                 "ml_engineer,data_scientist", "", "Corpus figures\nOf the 20 job postings…", 1.0)


def test_labels_read_as_people_write_them() -> None:
    assert (role_label("ml_engineer"), role_label("data_scientist"), role_label("new_role")) == (
        "ML engineer", "Data scientist", "New role")
    assert roles_label("ml_engineer,data_scientist") == "ML engineer vs Data scientist"
    assert model_label("packaged:all-MiniLM-L6-v2") == "all-MiniLM-L6-v2" == model_label("sentence-transformers/all-MiniLM-L6-v2")
    assert source_title(ARTICLE) == "Software Engineering" and source_note(ARTICLE) == "Article · ML engineer"
    assert source_title(POSTING) == "MLOps Engineer · Contoso <Health>"
    assert source_note(POSTING) == "Job posting · MLOps / AI engineer" and source_note(FIGURES) == "Corpus figures"


def test_chips_open_the_answers_own_sources_with_the_supporting_sentence_marked() -> None:
    text = "It is an absolute must [2]. Terraform runs it [5].\n\nThe postings differ [7]. Unknown [9]."
    supports = [Support("It is an absolute must [2].", 2, "It is an absolute must.", "supported"),
                Support("Terraform runs it [5].", 5, "Use ![x](http://127.0.0.1:9/t.png) Terraform.", "supported")]
    uncited = Source(3, "article#4", "Title — Technical Architecture", "article", "ml_engineer", "", "T\nBlueprints.", 0.3)
    html = answer_html(text, [ARTICLE, uncited, POSTING, FIGURES], supports, turn=3)
    # Each [n] is a chip to this answer's passage n; a number with no source is dropped.
    assert re.findall(r'<a class="chip" href="#t3-s(\d+)"', html) == ["2", "5", "7"] and "[9]" not in html
    assert 'aria-label="Source 2: Software Engineering"' in html and 'title="Software Engineering: It is an' in html
    # Cited passages first and marked as cited, the rest folded away; the sentence that backs a claim is marked.
    assert html.index('id="t3-s2"') < html.index('id="t3-s5"') < html.index('id="t3-s7"') < html.index('id="t3-s3"')
    assert '<details class="src cited" id="t3-s2">' in html and '<details class="src" id="t3-s3">' in html
    assert "Sources: 3 cited, 1 more" in html and '<details class="uncited"><summary>1 more retrieved' in html
    assert "<mark>It is an absolute must.</mark> Unit testing too." in html
    assert "<mark>Use ![x](http://127.0.0.1:9/t.png) Terraform.</mark>" in html
    # One HTML block (no blank line), everything from the corpus escaped: nothing loads.
    assert "\n" not in html and "Contoso &lt;Health&gt;" in html
    rendered = MarkdownIt("commonmark").render(html)
    assert "<img" not in rendered and not re.search(r'<a (?!class="chip" href="#t3-s\d")', rendered)
    # The plain answer comes back out for the conversation history and feedback.
    assert answer_text(html) == "It is an absolute must [2]. Terraform runs it [5].\n\nThe postings differ [7]. Unknown."
    assert answer_text("A streamed, unfinished answer [1]") == "A streamed, unfinished answer [1]"
    assert answer_html("I can't answer that.", [], [], 1) == '<div class="answer"><p>I can&#x27;t answer that.</p></div>'


def test_a_passage_marks_only_what_it_contains() -> None:
    html = passage_html("h", "n", "Title\nFirst one. Second one.", marks=["Second one.", "Not in it."], anchor="t1-s1")
    assert html.count("<mark>") == 1 and "First one. <mark>Second one.</mark>" in html and 'id="t1-s1"' in html
    two = passage_html("h", "n", "Title\nFirst one. Second one. Third.", marks=["First one. Second one."])
    assert "<mark>First one. Second one.</mark> Third." in two


def test_a_figures_answer_gets_a_table_of_the_shares_that_reads_back_as_its_text(services) -> None:  # type: ignore[no-untyped-def]
    from tests.fakes import ten_and_ten

    _, corpus = ten_and_ten(services.taxonomy)
    two = figures_table_html(corpus, ["ml_engineer", "data_scientist"])
    rows = re.findall(r"<tr><td>([^<]+)</td>.*?</tr>", two)
    assert rows == ["Kubernetes", "Statistics"]  # what separates them, each direction
    assert ('<th class="share">ML engineer <small>n=10</small></th>'
            '<th class="share">Data scientist <small>n=10</small></th>') in two
    kubernetes = two[two.index("<td>Kubernetes"):two.index("</tr>", two.index("<td>Kubernetes"))]
    assert re.findall(r'class="value">(\d+%)', kubernetes) == ["80%", "10%"] and "+70 pts for ML engineer" in kubernetes
    statistics = two[two.index("<td>Statistics"):]
    assert re.findall(r'class="value">(\d+%)', statistics)[:2] == ["0%", "90%"] and "+90 pts for Data scientist" in statistics
    one = figures_table_html(corpus, ["data_scientist"], ["python", "statistics"])
    assert re.findall(r"<tr><td>([^<]+)</td>", one) == ["Python", "Statistics"] and 'width:90%' in one
    assert figures_table_html(corpus, ["data_engineer"]) == ""  # no postings of that role: no table
    html = answer_html("Statistics 90% [1].", [FIGURES.__class__(1, "figures", "F", "figures", "", "", "F\nx", 1.0)],
                       [], 2, table=one)
    assert "<table" in html and answer_text(html) == "Statistics 90% [1]."


def test_a_figures_table_links_to_the_compare_tab_on_its_roles(services) -> None:  # type: ignore[no-untyped-def]
    from tests.fakes import ten_and_ten

    _, corpus = ten_and_ten(services.taxonomy)
    table = figures_table_html(corpus, ["ml_engineer", "data_scientist"], compare_href="/?compare=ml_engineer,data_scientist")
    assert table.endswith('<p class="to-compare"><a href="/?compare=ml_engineer,data_scientist" target="_blank" '
                          'rel="noopener">Compare ML engineer vs Data scientist in full</a></p>')
    assert "to-compare" not in figures_table_html(corpus, ["ml_engineer", "data_scientist"])
    source = FIGURES.__class__(1, "figures", "F", "figures", "", "", "F\nx", 1.0)
    html = answer_html("Kubernetes 80% vs 10% [1].", [source], [], 2, table=table)
    assert answer_text(html) == "Kubernetes 80% vs 10% [1]."  # the link is not part of what the answer says

