"""Titles against content, and skills asked for together, on a corpus counted by hand."""

from __future__ import annotations

import math

import pytest

from assistant.analytics import Corpus, profile
from assistant.corpus_answerer import CorpusAnswerer
from assistant.documents import StoredDocument
from assistant.mismatch import UNCLEAR, mismatch_json, read_postings, readings
from assistant.reading_answers import mismatch_request, related_request
from assistant.related import related_json, related_skills
from assistant.skills import load_taxonomy

ML = "Kubernetes, Docker, PyTorch and Python."
DS = "Statistics, SQL, A/B testing and Python."


def _corpus() -> Corpus:
    """Ten ML engineer titles (nine ask for the ML stack, m10 only for Docker and Python:
    two skills, too few to judge) and ten data scientist titles (eight ask for the data
    science set, d9 for three of it, and d10 asks for the ML stack). Ten postings is the
    least a role needs to be a model of content."""
    taxonomy = load_taxonomy()
    rows = [(f"m{i}", "Machine Learning Engineer", "ml_engineer", ML) for i in range(1, 10)]
    rows += [("m10", "Machine Learning Engineer", "ml_engineer", "Docker and Python.")]
    rows += [(f"d{i}", "Data Scientist", "data_scientist", DS) for i in range(1, 9)]
    rows += [("d9", "Data Scientist", "data_scientist", "Statistics, SQL and Python."),
             ("d10", "Data Scientist", "data_scientist", ML)]
    docs = [StoredDocument(i, "posting", title, f"Co {i}", role, text) for i, title, role, text in rows]
    return Corpus(taxonomy, [profile(d, taxonomy) for d in docs])


def test_each_title_role_is_split_by_what_its_postings_read_like() -> None:
    corpus = _corpus()
    result = read_postings(corpus)
    assert result.candidates == ("data_scientist", "ml_engineer")
    by_title = result.by_title()
    assert by_title["ml_engineer"]["counts"] == {"ml_engineer": 9, UNCLEAR: 1}
    assert by_title["data_scientist"]["counts"] == {"data_scientist": 9, "ml_engineer": 1}
    assert by_title["data_scientist"]["reads_like"] == {"data_scientist": 0.9, "ml_engineer": 0.1}
    assert all(math.isclose(sum(row["reads_like"].values()), 1.0) for row in by_title.values())
    assert result.count("data_scientist", "ml_engineer") == (1, 10)
    # d9 names exactly three skills: enough to judge; m10 names two: not.
    judged = {r.profile.doc_id: r.reads_like for r in result.readings}
    assert (judged["d9"], judged["m10"]) == ("data_scientist", UNCLEAR)


def test_a_role_with_fewer_than_ten_postings_is_no_model_of_content() -> None:
    corpus = _corpus()
    corpus.profiles = [p for p in corpus.profiles if p.doc_id != "m1"]
    result = read_postings(corpus)
    assert result.candidates == ("data_scientist",)
    assert {r.reads_like for r in result.readings} == {UNCLEAR}


def test_a_posting_is_judged_without_its_own_counts() -> None:
    """d10's confidence, worked out by hand: under ML engineer (n=10: Docker 10, Kubernetes 9,
    PyTorch 9, Python 10, none of the data science set) and under data scientist without d10
    (n=9: Statistics 9, SQL 9, A/B testing 8, Python 9, none of the ML stack), each chance
    Laplace-smoothed as (count + 1) / (n + 2)."""
    ml = math.log((11 / 12) * (10 / 12) * (10 / 12) * (11 / 12) * (11 / 12) ** 3)
    ds = math.log((1 / 11) ** 3 * (10 / 11) * (1 / 11) * (1 / 11) * (2 / 11))
    expected = 1 / (1 + math.exp(ds - ml))
    (d10,) = [r for r in read_postings(_corpus()).readings if r.profile.doc_id == "d10"]
    assert d10.reads_like == "ml_engineer" and d10.mismatched
    assert d10.confidence == pytest.approx(expected, abs=1e-4)
    assert d10.margin == pytest.approx(ml - ds, abs=1e-3)
    # Docker is 121/12 times as likely under ML engineer, Kubernetes and PyTorch 110/12, Python 121/120.
    assert d10.evidence == ("docker", "kubernetes", "pytorch", "python")


def test_the_json_lists_the_mismatched_postings_surest_first() -> None:
    corpus = _corpus()
    data = mismatch_json(read_postings(corpus), corpus)
    assert [e["id"] for e in data["examples"]] == ["d10"]
    example = data["examples"][0]
    assert (example["title_role"], example["reads_like"], example["title"]) == (
        "data_scientist", "ml_engineer", "Data Scientist")
    assert example["evidence"][:2] == ["Docker", "Kubernetes"]
    assert set(mismatch_json(read_postings(corpus), corpus, title="ml_engineer")["by_title"]) == {"ml_engineer"}
    assert mismatch_json(read_postings(corpus), corpus, title="ml_engineer")["examples"] == []


def test_related_skills_are_ranked_by_lift_among_those_seen_together_often_enough() -> None:
    corpus = _corpus()
    # Kubernetes: m1-m9 and d10 (10 of 20). Together with it: PyTorch 10 (of 10 postings),
    # Docker 10 (of 11), Python 10 (of 20); lift = (10 / 10) / (count / 20). All ten postings
    # with Kubernetes share each: the Wilson interval of 10/10 starts at 10 / (10 + 1.96²).
    low = 10 / (10 + 1.959964**2)
    overall = related_skills(corpus, "kubernetes")
    assert (overall.n, overall.count) == (10 + 10, 10)
    assert [(r.skill, r.together, r.count, r.lift) for r in overall.related] == [
        ("pytorch", 10, 10, 2.0), ("docker", 10, 11, 1.818), ("python", 10, 20, 1.0)]
    assert [r.lift_low for r in overall.related] == pytest.approx([low / 0.5, low / 0.55, low], abs=1e-3)
    # Within ML engineer titles (n=10, Kubernetes in 9): PyTorch 9 of 9 gives 10/9, then the ties by id.
    ml = related_skills(corpus, "kubernetes", ["ml_engineer"])
    assert [(r.skill, r.lift) for r in ml.related] == [("pytorch", 1.111), ("docker", 1.0), ("python", 1.0)]
    # Within data scientist titles only d10 asks for Kubernetes: nothing is together often enough.
    assert related_skills(corpus, "kubernetes", ["data_scientist"]).related == ()
    assert len(related_skills(corpus, "kubernetes", min_together=10).related) == 3
    assert related_skills(corpus, "kubernetes", min_together=11).related == ()
    data = related_json(overall, corpus)
    assert data["related"][0] == {"skill": "pytorch", "name": "PyTorch", "together": 10, "count": 10,
                                  "share": 1.0, "lift": 2.0, "lift_low": round(low / 0.5, 3)}


def test_a_common_pairing_outranks_a_rare_one_with_a_higher_lift() -> None:
    """Among 100 postings, Kubernetes in 40. Docker is in 30 of those and 35 overall (lift
    2.14); Terraform in 3 of them and 3 overall (lift 2.5, but three postings)."""
    taxonomy = load_taxonomy()
    texts = ["Kubernetes, Docker."] * 27 + ["Kubernetes, Docker, Terraform."] * 3 + ["Kubernetes."] * 10
    texts += ["Docker."] * 5 + ["SQL."] * 55
    docs = [StoredDocument(f"p{i}", "posting", "Engineer", "", "other", t) for i, t in enumerate(texts)]
    corpus = Corpus(taxonomy, [profile(d, taxonomy) for d in docs])
    result = related_skills(corpus, "kubernetes")
    assert [(r.skill, r.lift) for r in result.related] == [("docker", 2.143), ("terraform", 2.5)]


@pytest.mark.parametrize(("question", "expected"), [
    ("How many data scientist postings read like ML engineering jobs?", ("data_scientist", "ml_engineer")),
    ("Which ML engineer postings are really data scientist jobs?", ("ml_engineer", "data_scientist")),
    ("Do data scientist job titles look like what the postings ask for?", ("data_scientist", None)),
    ("Do data analyst titles match what the postings ask for?", ("data_analyst", None)),
    ("What does a data scientist do?", None),
    ("How many data scientist postings ask for Spark?", None),
])
def test_mismatch_questions_are_recognised(question: str, expected: tuple[str, str | None] | None) -> None:
    asked = mismatch_request(question, _corpus())
    assert (None if asked is None else (asked.title, asked.reads_like)) == expected


@pytest.mark.parametrize(("question", "expected"), [
    ("What goes with Kubernetes?", ("kubernetes", ())),
    ("Which skills do data scientists ask for alongside Python?", ("python", ("data_scientist",))),
    ("Which skills are asked for together with Docker in ML engineer postings?", ("docker", ("ml_engineer",))),
    ("Does Kubernetes go with Docker?", None),  # two skills: not a question about one skill's neighbours
    ("What is Kubernetes?", None),
])
def test_related_questions_are_recognised(question: str, expected: tuple[str, tuple[str, ...]] | None) -> None:
    asked = related_request(question, _corpus())
    assert (None if asked is None else (asked.skill, asked.roles)) == expected


class _NoRetrieval:
    def retrieve(self, query: str, k: int | None = None, filters: dict[str, str] | None = None) -> list:  # type: ignore[type-arg]
        raise AssertionError("a corpus-wide answer needs no passages")


def _answer(question: str) -> tuple[str, list]:  # type: ignore[type-arg]
    corpus = _corpus()
    answerer = CorpusAnswerer(lambda: corpus, _NoRetrieval(), None, "extractive")  # type: ignore[arg-type]
    events = answerer.answer(question)
    assert events is not None
    done = [e for e in events if e.kind == "done"][0].answer
    assert done is not None
    return done.answer, done.sources


def test_the_chat_answers_a_mismatch_question_with_the_count_and_the_posting() -> None:
    text, sources = _answer("How many data scientist postings read like ML engineering jobs?")
    assert text.startswith("Of the 10 postings titled data scientist, 1 (10%) reads like ML engineer postings")
    assert "Data Scientist at Co d10 reads like ML engineer (Docker, Kubernetes, PyTorch) [2]" in text
    assert [s.id for s in sources] == ["figures", "d10"]
    assert "Kubernetes" in sources[1].text
    assert readings(_corpus()) is not readings(_corpus())  # computed per corpus, not shared


def test_the_chat_answers_what_goes_with_a_skill() -> None:
    text, sources = _answer("What goes with Kubernetes?")
    assert text.startswith("Of the 20 job postings in the index, 10 ask for Kubernetes.")
    assert ("beside it, relative to how common they are: PyTorch (in 10 of the 10, 100%: 2.0 times its share of "
            "all job postings), Docker (10 of 10, 100%: 1.8 times) and Python (10 of 10, 100%: 1.0 times) [1].") in text
    assert [s.id for s in sources][:1] == ["figures"] and sources[1].kind == "posting"
    scoped, _ = _answer("Which skills do data scientists ask for alongside Kubernetes?")
    assert scoped.startswith("Of the 10 data scientist postings in the index, 1 asks for Kubernetes.")
    assert "too few to tell" in scoped


def test_a_pasted_posting_whose_title_names_another_role_says_so() -> None:
    from assistant.classify import classify
    from tests.fakes import ten_and_ten

    _, corpus = ten_and_ten(load_taxonomy())
    mismatched = classify("Data Scientist\nYou will run Kubernetes and write Python.", corpus)
    assert (mismatched.title, mismatched.title_role, mismatched.best.role) == (
        "Data Scientist", "data_scientist", "ml_engineer")
    assert mismatched.why(corpus).startswith(
        "Titled Data Scientist, it reads like an ML engineer posting (of 10 in the corpus), not a data scientist one")
    matched = classify("Job title: Data Scientist\nStatistics and Python.", corpus)
    assert not matched.title_mismatch and matched.why(corpus).startswith(
        "Titled Data Scientist, it also reads like a data scientist posting")
    untitled = classify("We need someone for statistics and Python, and a lot more besides that, for a long time "
                        "in a team that works on forecasting for the whole company and its many products.", corpus)
    assert (untitled.title, untitled.title_role) == ("", "other")
    assert untitled.why(corpus).startswith("It reads most like a data scientist posting")


def test_the_heat_map_has_every_cell_and_each_row_adds_up() -> None:
    from ui.analytics_tabs import mismatch_cells, mismatch_html

    cells = mismatch_cells(read_postings(_corpus()))
    grid = {(row.title, row.reads_like): (row.share, row.count) for row in cells.itertuples()}
    assert grid == {
        ("Data scientist (n=10)", "Data scientist"): (90, 9), ("Data scientist (n=10)", "ML engineer"): (10, 1),
        ("Data scientist (n=10)", "Too few skills"): (0, 0),
        ("ML engineer (n=10)", "Data scientist"): (0, 0), ("ML engineer (n=10)", "ML engineer"): (90, 9),
        ("ML engineer (n=10)", "Too few skills"): (10, 1),
    }
    page = mismatch_html(cells)
    assert page.count("<tr><th scope='row'>") == 2 and page.count("<td ") == 6
    assert "rgba(37, 99, 235, 0.63)' title='Data scientist (n=10), reads like Data scientist: 9'>90%" in page
