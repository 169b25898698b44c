"""The figures of assistant.analytics counted by hand over small corpora built in memory
(no index, no store), for the mutation tests: a posting's profile, category shares, a role's
figures, the log odds ratio, role names, and the Corpus's tests, contrasts and examples."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

import pytest

from assistant.analytics import (
    Contrast,
    Corpus,
    Profile,
    RoleFigures,
    SkillTest,
    StatsError,
    category_shares,
    log_odds_ratio,
    profile,
    resolve_roles,
    role_figures,
)
from assistant.documents import StoredDocument
from assistant.roles import ROLE_FAMILIES
from assistant.skills import CATEGORIES, Taxonomy, load_taxonomy
from tests.test_proportions_mutants import newcombe10

C20_10 = math.comb(20, 10)  # 184756


@pytest.fixture(scope="module")
def taxonomy() -> Taxonomy:
    return load_taxonomy()


def posting(doc_id: str, role: str, text: str) -> StoredDocument:
    return StoredDocument(doc_id, "posting", role, "", role, text)


def counted(taxonomy: Taxonomy, extra: Sequence[StoredDocument] = ()) -> Corpus:
    """Ten ML engineers (eight ask for Kubernetes), ten data scientists (nine ask for
    statistics, the first for Kubernetes), all for Python; and any `extra` postings."""
    docs = [posting(f"ml{i}", "ml_engineer", "Kubernetes and Python." if i < 8 else "Python.") for i in range(10)]
    docs += [posting(f"ds{i}", "data_scientist", "Statistics and Python." if i else "Kubernetes, Python.")
             for i in range(10)]
    docs += list(extra)
    return Corpus(taxonomy, [profile(d, taxonomy) for d in docs])


def bare(doc_id: str, role: str, skills: set[str], mentions: dict[str, int]) -> Profile:
    return Profile(doc_id, "", "", role, frozenset(skills), Counter(mentions), "")


# --- profile, category_shares, role_figures, log_odds_ratio -----------------------------------

def test_a_profile_keeps_every_field_of_the_posting(taxonomy: Taxonomy) -> None:
    text = "Python, SQL and Python again. Kubernetes."
    doc = StoredDocument("d1", "posting", "Senior Data Scientist", "Acme", "data_scientist", text,
                         location="Berlin, Germany")
    assert profile(doc, taxonomy) == Profile(
        "d1", "Senior Data Scientist", "Acme", "data_scientist", frozenset({"python", "sql", "kubernetes"}),
        Counter({"software": 2, "data_eng": 1, "cloud": 1}), text, seniority="senior", region="DE")


def test_category_shares_are_shares_of_the_mentions() -> None:
    shares = category_shares(Counter({"software": 2, "data_eng": 1, "cloud": 1}))
    assert list(shares) == list(CATEGORIES)
    assert shares == {c: {"software": 0.5, "data_eng": 0.25, "cloud": 0.25}.get(c, 0.0) for c in CATEGORIES}
    assert category_shares(Counter()) == dict.fromkeys(CATEGORIES, 0.0)
    assert category_shares(Counter({"stats": 3})) == {c: (1.0 if c == "stats" else 0.0) for c in CATEGORIES}


def test_role_figures_count_postings_not_mentions(taxonomy: Taxonomy) -> None:
    profiles = [
        # SQL and Spark are both data engineering: the category is counted once for the posting.
        bare("a", "data_engineer", {"sql", "spark", "python"}, {"data_eng": 3, "software": 1}),
        bare("b", "data_engineer", {"sql"}, {"data_eng": 1}),
        bare("c", "data_engineer", set(), {}),  # no skills: counted in n, not in the profile
    ]
    figures = role_figures("data_engineer", profiles, taxonomy)
    assert figures == RoleFigures(
        "data_engineer", 3, {"sql": 2, "spark": 1, "python": 1}, {"data_eng": 2, "software": 1},
        {c: {"data_eng": (0.75 + 1.0) / 2, "software": 0.25 / 2}.get(c, 0.0) for c in CATEGORIES})
    assert (figures.share("sql"), figures.share("python"), figures.share("tableau")) == (2 / 3, 1 / 3, 0.0)


def test_role_figures_of_no_postings(taxonomy: Taxonomy) -> None:
    figures = role_figures("other", [], taxonomy)
    assert figures == RoleFigures("other", 0, {}, {}, dict.fromkeys(CATEGORIES, 0.0))
    assert figures.share("python") == 0.0
    assert RoleFigures("x", 4, {"python": 1}, {}, {}).share("python") == 0.25


def test_log_odds_ratio_adds_a_half_to_every_cell() -> None:
    # 8/10 vs 1/10: (8.5 / 2.5) / (1.5 / 9.5) = 21.5333...
    assert log_odds_ratio(8, 10, 1, 10) == pytest.approx(math.log(8.5 * 9.5 / (2.5 * 1.5)))
    assert log_odds_ratio(8, 10, 1, 10) == pytest.approx(3.069602, abs=1e-6)
    # Unequal sizes: (3.5 / 4.5) / (1.5 / 11.5).
    assert log_odds_ratio(3, 7, 1, 12) == pytest.approx(math.log(3.5 * 11.5 / (4.5 * 1.5)))
    # None of one role: finite, (0.5 / 10.5) / (5.5 / 5.5).
    assert log_odds_ratio(0, 10, 5, 10) == pytest.approx(math.log(0.5 / 10.5))
    assert log_odds_ratio(4, 8, 4, 8) == 0.0


# --- resolve_roles --------------------------------------------------------------------------

def test_role_names_as_ids_and_as_people_write_them() -> None:
    # Only the id rule reads these: a hyphen, and a space among underscores.
    assert resolve_roles(["Data-Engineer"]) == ["data_engineer"]
    assert resolve_roles(["mlops_ai engineer"]) == ["mlops_ai_engineer"]
    assert resolve_roles(["  other "]) == ["other"]
    assert resolve_roles(["DATA_ANALYST", "research scientist", "MLOps / AI engineer"]) == [
        "data_analyst", "research_scientist", "mlops_ai_engineer"]
    # The first role a phrase names; a role named twice is listed once, where it came first.
    assert resolve_roles(["ML engineers and data scientists", "data_scientist", "ml-engineer"]) == [
        "ml_engineer", "data_scientist"]
    assert resolve_roles(["data scientists", "", "   ", "ml_engineer", "Data Scientist"]) == [
        "data_scientist", "ml_engineer"]
    assert resolve_roles([]) == [] and resolve_roles(["", " "]) == []


def test_an_unknown_role_is_named_with_the_known_ones() -> None:
    with pytest.raises(StatsError) as error:
        resolve_roles(["data_scientist", "  astronaut "])
    assert str(error.value) == "unknown role 'astronaut'; known: " + ", ".join(ROLE_FAMILIES)
    assert error.value.exit_code == 2


# --- the Corpus: figures, skill tests, q values, examples -----------------------------------------

def test_figures_are_counted_per_role_and_kept(taxonomy: Taxonomy) -> None:
    corpus = counted(taxonomy)
    ml = corpus.figures("ml_engineer")
    assert (ml.role, ml.n, ml.counts) == ("ml_engineer", 10, {"kubernetes": 8, "python": 10})
    assert corpus.figures("ml_engineer") is ml
    ds = corpus.figures("data_scientist")
    assert (ds.n, ds.counts) == (10, {"kubernetes": 1, "statistics": 9, "python": 10})
    assert corpus.figures("data_engineer").n == 0
    assert corpus.roles_present == ["data_scientist", "ml_engineer"]


def test_skill_tests_by_hand(taxonomy: Taxonomy) -> None:
    corpus = counted(taxonomy)
    skills = list(taxonomy.skills)
    tests = corpus.skill_tests("ml_engineer", "data_scientist", skills)
    # Only the skills either role mentions, in the taxonomy's order; three tests.
    order = [s for s in skills if s in {"kubernetes", "python", "statistics"}]
    assert list(tests) == order
    # Fisher: Kubernetes 8 vs 1 of 10, p = 1012 / C(20,10); statistics 0 vs 9, p = 22 / C(20,10).
    # BH over three: statistics 22 * 3 / 1, Kubernetes 1012 * 3 / 2, Python 1.
    assert tests["statistics"].q == pytest.approx(66 / C20_10)
    assert tests["kubernetes"].q == pytest.approx(1518 / C20_10)
    assert tests["python"].q == pytest.approx(1.0)
    # The interval is of the first role in name order (data scientist) minus the other.
    assert tests["kubernetes"].ci95 == pytest.approx(newcombe10(1, 10, 8, 10), abs=1e-12)
    assert tests["statistics"].ci95 == pytest.approx(newcombe10(9, 10, 0, 10), abs=1e-12)
    assert tests["python"].ci95 == pytest.approx(newcombe10(10, 10, 10, 10), abs=1e-12)
    # Either order of the roles is the same computation, done once.
    assert corpus.skill_tests("data_scientist", "ml_engineer", skills) is tests
    assert corpus.q_values("data_scientist", "ml_engineer", skills) == {s: t.q for s, t in tests.items()}


def test_skill_tests_count_each_skill_once_and_only_those_mentioned(taxonomy: Taxonomy) -> None:
    corpus = counted(taxonomy)
    tests = corpus.skill_tests("ml_engineer", "data_scientist", ["statistics", "kubernetes", "statistics", "docker"])
    # Docker is mentioned by neither: two tests. Statistics 22 * 2 / 1, Kubernetes 1012 * 2 / 2.
    assert list(tests) == ["statistics", "kubernetes"]
    assert tests["statistics"] == SkillTest(pytest.approx(44 / C20_10), pytest.approx(newcombe10(9, 10, 0, 10)))
    assert tests["kubernetes"].q == pytest.approx(1012 / C20_10)
    # A skill only one role mentions is tested: statistics alone, one test, q = p.
    assert corpus.q_values("ml_engineer", "data_scientist", ["statistics"]) == {
        "statistics": pytest.approx(22 / C20_10)}
    assert corpus.skill_tests("ml_engineer", "data_scientist", ["docker"]) == {}


def test_a_skill_only_the_second_role_mentions_is_tested(taxonomy: Taxonomy) -> None:
    docs = [posting(f"ds{i}", "data_scientist", "Python.") for i in range(3)]
    docs += [posting(f"ml{i}", "ml_engineer", "Docker.") for i in range(3)]
    corpus = Corpus(taxonomy, [profile(d, taxonomy) for d in docs])
    # data_scientist comes first: 0/3 Docker against 3/3, Fisher p = 2 / C(6,3) = 0.1; Python
    # 3/3 against 0/3 the same. BH over two: 0.1 * 2 / 2 for the second, and the first is no larger.
    tests = corpus.skill_tests("ml_engineer", "data_scientist", ["docker", "python", "sql"])
    assert list(tests) == ["docker", "python"]
    assert tests["docker"].q == pytest.approx(0.1) and tests["python"].q == pytest.approx(0.1)
    assert tests["docker"].ci95 == pytest.approx(newcombe10(0, 3, 3, 3), abs=1e-12)
    assert corpus.q_values("ml_engineer", "data_scientist", ["docker"]) == {"docker": pytest.approx(0.1)}


def test_skill_tests_of_another_pair_are_their_own(taxonomy: Taxonomy) -> None:
    extra = [posting(f"de{i}", "data_engineer", "Kubernetes and Python.") for i in range(4)]
    corpus = counted(taxonomy, extra)
    skills = ["kubernetes"]
    ml_ds = corpus.skill_tests("ml_engineer", "data_scientist", skills)
    ml_de = corpus.skill_tests("ml_engineer", "data_engineer", skills)
    ds_de = corpus.skill_tests("data_scientist", "data_engineer", skills)
    # data_engineer < ml_engineer: 4/4 minus 8/10; data_engineer < data_scientist: 4/4 minus 1/10.
    assert ml_de["kubernetes"].ci95 == pytest.approx(newcombe10(4, 4, 8, 10), abs=1e-12)
    assert ds_de["kubernetes"].ci95 == pytest.approx(newcombe10(4, 4, 1, 10), abs=1e-12)
    assert ml_ds["kubernetes"].ci95 == pytest.approx(newcombe10(1, 10, 8, 10), abs=1e-12)
    assert corpus.skill_tests("ml_engineer", "data_scientist", ["kubernetes", "python"]) is not ml_ds


def test_examples_are_the_first_postings_of_the_role_with_the_skill(taxonomy: Taxonomy) -> None:
    corpus = counted(taxonomy)
    assert [p.doc_id for p in corpus.examples("ml_engineer", "kubernetes")] == ["ml0", "ml1", "ml2"]
    assert [p.doc_id for p in corpus.examples("ml_engineer", "kubernetes", limit=5)] == [f"ml{i}" for i in range(5)]
    assert [p.doc_id for p in corpus.examples("data_scientist", "kubernetes")] == ["ds0"]
    assert corpus.examples("ml_engineer", "statistics") == []


# --- contrast ---------------------------------------------------------------------------------

def test_contrast_by_hand(taxonomy: Taxonomy) -> None:
    corpus = counted(taxonomy)
    (kubernetes,) = corpus.contrast("ml_engineer", "data_scientist")
    # ml minus ds: the other side of the stored interval (ds minus ml).
    low, high = newcombe10(8, 10, 1, 10)
    assert kubernetes == Contrast("kubernetes", 8, 10, 1, 10, pytest.approx(0.7), pytest.approx((low, high)),
                                  pytest.approx(log_odds_ratio(8, 10, 1, 10)), ("ml0", "ml1", "ml2"),
                                  pytest.approx(1518 / C20_10))
    assert kubernetes.ci95[0] == pytest.approx(low, abs=1e-12) and kubernetes.ci95[1] == pytest.approx(high, abs=1e-12)
    (statistics,) = corpus.contrast("data_scientist", "ml_engineer")
    assert statistics == Contrast("statistics", 9, 10, 0, 10, pytest.approx(0.9),
                                  pytest.approx(newcombe10(9, 10, 0, 10)),
                                  pytest.approx(log_odds_ratio(9, 10, 0, 10)), ("ds1", "ds2", "ds3"),
                                  pytest.approx(66 / C20_10))
    # Chosen skills: statistics alone never favours the ML engineers.
    assert corpus.contrast("ml_engineer", "data_scientist", ["statistics"]) == []
    assert [c.skill for c in corpus.contrast("ml_engineer", "data_scientist", ["kubernetes"])] == ["kubernetes"]


def test_contrast_with_a_role_that_has_no_postings_is_empty(taxonomy: Taxonomy) -> None:
    corpus = counted(taxonomy)
    assert corpus.contrast("ml_engineer", "data_engineer") == []
    assert corpus.contrast("data_engineer", "ml_engineer") == []


class FixedTests(Corpus):
    """A corpus whose skill tests are given, to put q and the interval exactly at the bounds."""

    given: dict[str, SkillTest]
    asked: list[tuple[str, str, tuple[str, ...]]]

    def skill_tests(self, a: str, b: str, skills: Sequence[str]) -> dict[str, SkillTest]:
        self.asked.append((a, b, tuple(skills)))
        return self.given


def fixed(taxonomy: Taxonomy, given: dict[str, SkillTest]) -> FixedTests:
    corpus = FixedTests(taxonomy, counted(taxonomy).profiles)
    corpus.given, corpus.asked = given, []
    return corpus


def test_contrast_bounds_of_q_and_of_the_interval(taxonomy: Taxonomy) -> None:
    # Stored with data_scientist first, so asked for data_scientist over ml_engineer they are as given.
    corpus = fixed(taxonomy, {
        "at_fdr": SkillTest(0.05, (0.1, 0.2)),
        "past_fdr": SkillTest(0.05000001, (0.3, 0.4)),
        "low_at_zero": SkillTest(0.001, (0.0, 0.5)),
        "low_just_above": SkillTest(0.001, (1e-9, 0.5)),
    })
    assert [c.skill for c in corpus.contrast("data_scientist", "ml_engineer")] == ["at_fdr", "low_just_above"]
    assert [c.skill for c in corpus.contrast("data_scientist", "ml_engineer", fdr=0.04)] == ["low_just_above"]
    assert [c.skill for c in corpus.contrast("data_scientist", "ml_engineer", fdr=1.0)] == [
        "past_fdr", "at_fdr", "low_just_above"]
    # The other way round the intervals are (-high, -low): all below zero.
    assert corpus.contrast("ml_engineer", "data_scientist", fdr=1.0) == []
    skills = tuple(taxonomy.skills)
    assert corpus.asked == [("data_scientist", "ml_engineer", skills)] * 3 + [("ml_engineer", "data_scientist", skills)]
    corpus.contrast("ml_engineer", "data_scientist", ["python", "sql"])
    assert corpus.asked[-1] == ("ml_engineer", "data_scientist", ("python", "sql"))


def test_contrast_the_other_way_round_flips_the_interval(taxonomy: Taxonomy) -> None:
    corpus = fixed(taxonomy, {"kubernetes": SkillTest(0.01, (-0.5, -0.2))})
    (kubernetes,) = corpus.contrast("ml_engineer", "data_scientist")
    assert kubernetes.ci95 == (0.2, 0.5)
    assert (kubernetes.count_a, kubernetes.n_a, kubernetes.count_b, kubernetes.n_b) == (8, 10, 1, 10)
    assert kubernetes.q == 0.01
    assert corpus.contrast("data_scientist", "ml_engineer") == []


def test_contrast_order_ties_and_top(taxonomy: Taxonomy) -> None:
    names = [f"s{i:02d}" for i in range(12)]
    # Lower ends 0.12, 0.11, ..., 0.01; s10 and s11 share theirs with s00 and s01.
    lows = {name: round(0.12 - 0.01 * i, 2) for i, name in enumerate(names[:10])}
    lows |= {"s10": 0.12, "s11": 0.11}
    corpus = fixed(taxonomy, {name: SkillTest(0.01, (low, 0.9)) for name, low in reversed(lows.items())})
    ranked = [c.skill for c in corpus.contrast("data_scientist", "ml_engineer")]
    assert ranked == ["s00", "s10", "s01", "s11", "s02", "s03", "s04", "s05", "s06", "s07"]
    assert [c.skill for c in corpus.contrast("data_scientist", "ml_engineer", top=1)] == ["s00"]
    assert len(corpus.contrast("data_scientist", "ml_engineer", top=12)) == 12
    only = corpus.contrast("data_scientist", "ml_engineer", top=1)[0]
    assert only == Contrast("s00", 0, 10, 0, 10, 0.0, (0.12, 0.9), log_odds_ratio(0, 10, 0, 10), (), 0.01)
