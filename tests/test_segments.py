"""Figures by seniority and region over a hand-counted corpus, the chat answers that
compare two groups, and `stats --by`.

The counts are chosen to match Newcombe (1998), Table II, method 10, so the intervals in
the answers are the published ones: (b) 9/10 vs 3/10 -> 0.1705 to 0.8090, (d) 5/56 vs
0/29 -> -0.0381 to 0.1926, (a) 56/70 vs 48/80 -> 0.0524 to 0.3339.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.analytics import Corpus, StatsError, profile
from assistant.corpus_answerer import CorpusAnswerer
from assistant.documents import StoredDocument
from assistant.segment_answers import GroupQuestion, group_question, group_sentences
from assistant.segments import MIN_GROUP_POSTINGS, groups_of, segments_json, segments_lines, separating
from assistant.skills import Taxonomy, load_taxonomy
from tests.conftest import write_jsonl


def _docs(prefix: str, count: int, title: str, role: str, locations: list[str], text: str) -> list[StoredDocument]:
    return [StoredDocument(f"{prefix}{i}", "posting", title, "", role, text, location=locations[i % len(locations)])
            for i in range(count)]


def hand_counted(taxonomy: Taxonomy) -> Corpus:
    """ML engineers, all remote: 10 senior (9 ask for AWS), 10 junior (3 for Docker), 4
    staff, 9 managers. Data scientists: 70 in India (56 ask for SQL), 80 in the US (48).
    Data engineers: 56 in India (5 ask for Spark), 29 in the US (none). All ask for Python."""
    remote = ["Remote"]
    india, us = ["Bengaluru", "Hyderabad", "Pune", "Gurgaon"], ["New York, NY", "Cambridge, MA", "Indianapolis, IN"]
    docs = [
        *_docs("sml", 9, "Senior Machine Learning Engineer", "ml_engineer", remote, "AWS and Python."),
        *_docs("sml-plain", 1, "Senior Machine Learning Engineer", "ml_engineer", remote, "Python."),
        *_docs("jml", 3, "Junior ML Engineer", "ml_engineer", remote, "Docker and Python."),
        *_docs("jml-plain", 7, "Junior ML Engineer", "ml_engineer", remote, "Python."),
        *_docs("lml", 4, "Staff Machine Learning Engineer", "ml_engineer", remote, "Kubernetes and Python."),
        *_docs("mml", 9, "Machine Learning Engineering Manager", "ml_engineer", remote, "Python."),
        *_docs("ds-in", 56, "Data Scientist", "data_scientist", india, "SQL and Python."),
        *_docs("ds-in-plain", 14, "Data Scientist", "data_scientist", india, "Python."),
        *_docs("ds-us", 48, "Data Scientist", "data_scientist", us, "SQL and Python."),
        *_docs("ds-us-plain", 32, "Data Scientist", "data_scientist", us, "Python."),
        *_docs("de-in", 5, "Data Engineer", "data_engineer", ["Chennai"], "Spark and Python."),
        *_docs("de-in-plain", 51, "Data Engineer", "data_engineer", ["Chennai"], "Python."),
        *_docs("de-us", 29, "Data Engineer", "data_engineer", ["Chicago, IL"], "Python."),
    ]
    return Corpus(taxonomy, [profile(d, taxonomy) for d in docs])


@pytest.fixture(scope="module")
def corpus() -> Corpus:
    return hand_counted(load_taxonomy())


def test_groups_and_their_counts(corpus: Corpus) -> None:
    assert groups_of(corpus, "seniority") == ["junior", "mid", "senior", "lead", "manager"]
    assert groups_of(corpus, "region") == ["IN", "US", "remote"]  # 126 in India, 109 in the US, 33 remote
    by_region = segments_json(corpus, "region", ["data_scientist", "data_engineer", "ml_engineer"], ["sql", "spark"])
    assert by_region["by"] == "region" and by_region["postings"] == 268
    assert by_region["labels"] == {"IN": "India", "US": "United States", "remote": "remote"}
    ds_in, ds_us = by_region["groups"]["IN"]["data_scientist"], by_region["groups"]["US"]["data_scientist"]
    assert (ds_in["n"], ds_in["skill_counts"], ds_in["skills"]) == (70, {"sql": 56, "spark": 0}, {"sql": 0.8, "spark": 0.0})
    assert (ds_us["n"], ds_us["skill_counts"]["sql"], ds_us["skills"]["sql"]) == (80, 48, 0.6)
    assert by_region["groups"]["IN"]["data_engineer"]["skill_counts"] == {"sql": 0, "spark": 5}
    assert by_region["groups"]["US"]["data_engineer"]["n"] == 29
    assert by_region["groups"]["remote"]["ml_engineer"]["n"] == 33 and by_region["groups"]["IN"]["ml_engineer"]["n"] == 0
    by_level = segments_json(corpus, "seniority", ["ml_engineer", "data_scientist"])["groups"]
    assert [by_level[g]["ml_engineer"]["n"] for g in ("junior", "mid", "senior", "lead", "manager")] == [10, 0, 10, 4, 9]
    assert by_level["mid"]["data_scientist"]["n"] == 150
    assert by_level["senior"]["ml_engineer"]["category_counts"]["cloud"] == 9  # AWS
    assert by_level["junior"]["ml_engineer"]["categories"]["cloud"] == 0.3  # Docker
    assert by_level["lead"]["ml_engineer"]["skill_counts"]["kubernetes"] == 4


def test_the_text_table_has_a_column_per_group(corpus: Corpus) -> None:
    lines = segments_lines(corpus, "region", ["data_scientist"], ["sql"])
    assert lines[0] == "268 postings by region"
    assert lines[1] == "  IN = India, US = United States, remote = remote"
    n_row = next(line for line in lines if "postings (n)" in line)
    assert n_row.split() == ["postings", "(n)", "70", "80"]  # no remote data scientists: no column
    sql_row = next(line for line in lines if line.strip().startswith("SQL"))
    assert sql_row.split() == ["SQL", "80%", "(56)", "60%", "(48)"]
    assert lines[-1] == f"groups of fewer than {MIN_GROUP_POSTINGS} postings are too small to compare"
    with pytest.raises(StatsError, match="--by 'colour': expected one of seniority, region"):
        segments_json(corpus, "colour", ["data_scientist"])


def test_group_questions_are_recognised_and_others_are_not(corpus: Corpus) -> None:
    assert group_question("Do senior ML engineer postings ask for more cloud skills than junior ones?", corpus) == (
        GroupQuestion("seniority", "senior", "junior", "ml_engineer", category="cloud"))
    assert group_question("How do data scientist postings in India differ from those in the US?", corpus) == (
        GroupQuestion("region", "IN", "US", "data_scientist"))
    assert group_question("Do data engineer jobs in the United States require more Spark than Indian ones?",
                          corpus) == GroupQuestion("region", "US", "IN", "data_engineer", skills=("spark",))
    # "us" is a pronoun; without a role, every posting counts.
    assert group_question("Tell us: do remote postings ask for more SQL than American ones?", corpus) == (
        GroupQuestion("region", "remote", "US", None, skills=("sql",)))
    for other in ("What's the difference between a senior and a junior ML engineer?",  # the job, not postings
                  "Do senior data scientist postings ask for more SQL than senior ML engineer postings?",  # two roles
                  "Which skills separate ML engineers from data scientists?",
                  "Do senior ML engineer postings ask for cloud skills?"):  # one group
        assert group_question(other, corpus) is None, other


def sentence(corpus: Corpus, question: str) -> str:
    asked = group_question(question, corpus)
    assert asked is not None, question
    return " ".join(group_sentences(corpus, asked))


def test_two_groups_compared_with_the_published_intervals(corpus: Corpus) -> None:
    assert sentence(corpus, "Do senior ML engineer postings ask for more cloud skills than junior ones?") == (
        "Of 10 senior ML engineer postings, 90% (9) ask for an architecture or cloud skill (such as AWS, GCP or "
        "Azure), against 30% (3) of 10 junior ones: a difference of 60 points (95% interval 17 to 81).")
    assert sentence(corpus, "Do junior ML engineer postings ask for fewer cloud skills than senior ones?") == (
        "Of 10 junior ML engineer postings, 30% (3) ask for an architecture or cloud skill (such as AWS, GCP or "
        "Azure), against 90% (9) of 10 senior ones: a difference of -60 points (95% interval -81 to -17).")
    assert sentence(corpus, "Do data engineer postings in India ask for more Spark than those in the US?") == (
        "Of 56 data engineer postings in India, 9% (5) ask for Spark, against 0% (0) of 29 in the United States: "
        "a difference of 9 points, but its 95% interval (-4 to 19) includes zero: too few postings to tell.")


def test_a_group_under_the_minimum_is_too_small_to_tell(corpus: Corpus) -> None:
    assert sentence(corpus, "Do senior ML engineer postings ask for more cloud skills than staff ones?") == (
        "Only 4 lead, staff or principal ML engineer postings are in the index: too few to tell. Of the 10 senior "
        "ML engineer postings, 90% (9) ask for an architecture or cloud skill (such as AWS, GCP or Azure).")
    # 9 is one short of the minimum, 10 (above) is enough: 9 of 10 senior postings ask for AWS, none of
    # the 9 managers', yet that is not reported as a difference.
    assert [c.skill for c in separating(corpus, "seniority", "ml_engineer", "senior", "junior")] == ["aws"]
    assert separating(corpus, "seniority", "ml_engineer", "senior", "manager") == []
    assert sentence(corpus, "How do ML engineer postings for managers differ from senior ones?") == (
        "Only 9 manager or director ML engineer postings are in the index: too few to tell.")
    assert sentence(corpus, "How do ML engineer postings for managers differ from staff ones?") == (
        "Only 9 manager or director ML engineer postings and 4 lead, staff or principal ML engineer postings are in "
        "the index: too few to tell.")
    assert sentence(corpus, "Do mid-level ML engineer postings ask for more Python than senior ones?") == (
        "No mid-level ML engineer postings are in the index: nothing to compare. Of the 10 senior ML engineer "
        "postings, 100% (10) ask for Python.")


def test_what_separates_two_groups(corpus: Corpus) -> None:
    assert sentence(corpus, "How do data scientist postings in India differ from those in the US?") == (
        "Of 70 data scientist postings in India and 80 in the United States, those in India ask more often for SQL "
        "(80% vs 60%, 20 points more, 95% interval 5 to 33); those in the United States ask for no skill clearly "
        "more often.")
    assert sentence(corpus, "How do data engineer postings in the US differ from Indian ones?") == (
        "Of 29 data engineer postings in the United States and 56 in India, neither group asks for any skill clearly "
        "more often than the other: no difference stands out once every skill tested is taken into account "
        "(95% intervals, false discovery rate 5%).")


class NoRetrieval:
    """A retriever that must not be asked: group answers come from the figures alone."""

    def retrieve(self, *args: object, **kwargs: object) -> list:
        raise AssertionError("a group comparison retrieved passages")


def test_the_chat_answers_a_group_question_from_the_figures(corpus: Corpus) -> None:
    answerer = CorpusAnswerer(lambda: corpus, NoRetrieval(), None, "extractive")  # type: ignore[arg-type]
    events = list(answerer.answer("Do senior ML engineer postings ask for more cloud skills than junior ones?") or [])
    answer = events[-1].answer
    assert answer is not None and not answer.declined
    assert answer.answer.startswith("Of 10 senior ML engineer postings, 90% (9) ask for") and answer.answer.endswith(
        "(95% interval 17 to 81). [1]")
    (source,) = answer.sources
    assert (source.n, source.kind, source.role) == (1, "figures", "ml_engineer")
    assert source.title == "Corpus figures: ML engineer postings by seniority, senior vs junior"
    assert "Exact counts over all 268 job postings in the index" in source.text and "fewer than 10" in source.text
    assert answerer.answer("What does an ML engineer do?") is None


def test_stats_by_region_on_the_command_line(run, tmp_path: Path) -> None:
    feed = write_jsonl(tmp_path / "feed.jsonl", [
        {"id": "a", "title": "Data Scientist", "company": "A", "location": "Bengaluru", "description": "SQL and Python."},
        {"id": "b", "title": "Senior Data Scientist", "company": "B", "location": "Austin, TX", "description": "Python."},
        {"id": "c", "title": "Data Scientist", "company": "C", "location": "Cambridge, MA", "description": "SQL."},
        {"id": "d", "title": "Data Engineer", "company": "D", "location": "Remote", "description": "Spark and SQL."},
    ])
    assert run("ingest", str(feed))[0] == 0
    code, out, _ = run("stats", "--by", "region", "--roles", "data_scientist,data_engineer", "--skills", "sql,spark",
                       "--json")
    figures = json.loads(out)
    assert code == 0 and figures["by"] == "region" and list(figures["groups"]) == ["US", "IN", "remote"]
    assert figures["groups"]["US"]["data_scientist"] == {
        "n": 2, "skills": {"sql": 0.5, "spark": 0.0}, "skill_counts": {"sql": 1, "spark": 0},
        "categories": figures["groups"]["US"]["data_scientist"]["categories"],
        "category_counts": figures["groups"]["US"]["data_scientist"]["category_counts"]}
    assert figures["groups"]["US"]["data_scientist"]["category_counts"]["data_eng"] == 1  # SQL
    assert figures["groups"]["IN"]["data_scientist"]["skill_counts"] == {"sql": 1, "spark": 0}
    assert figures["groups"]["remote"]["data_engineer"]["skill_counts"] == {"sql": 1, "spark": 1}
    assert figures["groups"]["remote"]["data_scientist"]["n"] == 0
    code, out, _ = run("stats", "--by", "seniority", "--roles", "data_scientist")
    assert code == 0 and next(line for line in out.splitlines() if "postings (n)" in line).split() == [
        "postings", "(n)", "2", "1"]  # mid: a and c, senior: b
    code, _, err = run("stats", "--by", "colour")
    assert code == 2 and "error: --by 'colour': expected one of seniority, region" in err


def test_a_gap_that_multiple_testing_does_not_let_through_is_named_as_possibly_chance() -> None:
    """SQL in 10 of 20 Indian and 3 of 20 US postings: the interval of the difference is
    above zero, but Fisher's p (0.041) times the two skills tested is above 0.05."""
    from scipy.stats import fisher_exact

    assert round(float(fisher_exact([[10, 10], [3, 17]])[1]), 3) == 0.041
    taxonomy = load_taxonomy()
    docs = [*_docs("in", 10, "Data Scientist", "data_scientist", ["Pune"], "SQL and Python."),
            *_docs("in-plain", 10, "Data Scientist", "data_scientist", ["Pune"], "Python."),
            *_docs("us", 3, "Data Scientist", "data_scientist", ["Austin, TX"], "SQL and Python."),
            *_docs("us-plain", 17, "Data Scientist", "data_scientist", ["Austin, TX"], "Python.")]
    corpus = Corpus(taxonomy, [profile(d, taxonomy) for d in docs])
    assert sentence(corpus, "How do data scientist postings in India differ from those in the US?") == (
        "Of 20 data scientist postings in India and 20 in the United States, neither group asks for any skill clearly "
        "more often than the other: no difference stands out once every skill tested is taken into account "
        "(95% intervals, false discovery rate 5%). The largest gap, SQL for India (50% vs 15%), is not clear enough "
        "to rule out chance.")
