import hashlib
import re
from pathlib import Path

import pytest

from assistant.errors import CorpusError
from assistant.settings import REPO_ROOT
from assistant.skills import CATEGORIES, Mention, Taxonomy, _load, load_taxonomy

SHIPPED = REPO_ROOT / "corpus" / "skills.tsv"


@pytest.fixture(scope="module")
def taxonomy() -> Taxonomy:
    # Compiled afresh, not taken from load_taxonomy's cache: a taxonomy compiled earlier in
    # the process (mutmut forks one per mutant) would hide a bug in the compiling.
    _load.cache_clear()
    return load_taxonomy()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Experience with R&D and JavaScript", {"javascript"}),
        # "R&ML" and "AT&ML" are names like "R&D": no ML in them; with spaces, both skills.
        ("An R&ML group, AT&ML", set()),
        ("R & ML", {"r", "machine_learning"}),
        ("Python, R, SQL and Spark.", {"python", "r", "sql", "spark"}),
        ("Python or R.", {"python", "r"}),
        ("statistical software (R) and R/Python notebooks", {"statistics", "r", "python"}),
        ("Q&R sessions, r/datascience, R-squared", set()),
        ("NoSQL stores like MongoDB", {"nosql", "mongodb"}),
        ("MySQL, PostgreSQL and SQLAlchemy", {"mysql", "postgresql"}),
        ("T-SQL and PL/SQL", {"sql"}),
        ("SQL Server", {"sql_server"}),
        ("Spark SQL", {"spark", "sql"}),
        ("we go fast", set()),
        ("Go and Rust", {"go", "rust"}),
        ("Golang services", {"go"}),
        ("Go-to-market plans, a Go/No Go decision. Go to our site", set()),
        ("Google", set()),
        ("excel at communication", {"communication"}),
        ("Excel at communication", {"communication"}),
        ("Microsoft Excel", {"excel"}),
        ("Excel, Word", {"excel"}),
        ("A/B tests", {"ab_testing"}),
        ("AB testing", {"ab_testing"}),
        ("split testing", {"ab_testing"}),
        ("A/B-testing", {"ab_testing"}),
        ("sklearn", {"scikit_learn"}),
        ("scikit learn", {"scikit_learn"}),
        ("C++ and C#", {"cpp", "csharp"}),
        ("C++17", {"cpp"}),
        ("C/C++", {"c", "cpp"}),
        ("C-suite in Washington, D.C., Objective-C, P&C insurance", set()),
        ("Java, not JavaScript", {"java", "javascript"}),
        ("JavaScript", {"javascript"}),
        ("machine-learning", {"machine_learning"}),
        ("machine   learning", {"machine_learning"}),
        ("Spark, Spark/Hadoop (Spark) PySpark", {"spark", "hadoop"}),
        ("sparkling water", set()),
        ("AWS-certified", {"aws"}),
        ("ETL/ELT", {"etl"}),
        ("CI/CD", {"ci_cd"}),
        ("CI / CD", {"ci_cd"}),
        ("continuous integration", {"ci_cd"}),
        ("Node.js and .NET", {"nodejs", "dotnet"}),
        ("see www.example.net", set()),
        ("Power BI", {"power_bi"}),
        ("snowflake schema", {"data_modeling"}),
        ("Snowflake", {"snowflake"}),
        ("reporting to the CTO", set()),
        ("reporting and dashboards", {"reporting", "dashboards"}),
        # Found by the hand-labelled sample (tests/data/skill_labels.jsonl):
        ("create reports and dashboards", {"reporting", "dashboards"}),  # "reports" no longer swallows dashboards
        ("she reports to the CFO and has two direct reports", set()),
        ("present findings to leadership, approved by leadership", set()),
        ("leadership skills and people management", {"leadership"}),
        ("work both independently and collaboratively; collaborates with product", {"collaboration"}),
        ("Analyze data using state-of-the-art methods", {"data_analysis"}),
        ("micro services on Amazon Web Service", {"microservices", "aws"}),
        ("a hive of activity", set()),
        ("", set()),
    ],
)
def test_find(taxonomy: Taxonomy, text: str, expected: set[str]) -> None:
    assert taxonomy.find(text) == expected


def test_mentions_are_positions_in_the_text(taxonomy: Taxonomy) -> None:
    text = "Use Apache Spark, machine-learning and R."
    assert taxonomy.mentions(text) == [
        Mention("spark", 4, 16, "Apache Spark"),
        Mention("machine_learning", 18, 34, "machine-learning"),
        Mention("r", 39, 40, "R"),
    ]
    assert all(text[m.start:m.end] == m.text for m in taxonomy.mentions(text))


def test_mentions_repeat_and_keep_case(taxonomy: Taxonomy) -> None:
    assert [(m.skill, m.text) for m in taxonomy.mentions("PYTHON then python")] == [
        ("python", "PYTHON"), ("python", "python"),
    ]


def test_resolve_by_id_name_and_spelling(taxonomy: Taxonomy) -> None:
    assert taxonomy.resolve(["pytorch", "A/B testing", "SKLEARN", "Machine-Learning", "r", "ci_cd", "PyTorch"]) == [
        "pytorch", "ab_testing", "scikit_learn", "machine_learning", "r", "ci_cd",
    ]


def test_resolve_names_the_unknown(taxonomy: Taxonomy) -> None:
    with pytest.raises(CorpusError, match=r"^unknown skill 'xyz'; known: machine_learning, .*pytorch"):
        taxonomy.resolve(["python", "xyz"])
    with pytest.raises(CorpusError, match=r"^unknown skills 'xyz', 'go to'; known: "):
        taxonomy.resolve(["xyz", "go to"])


def test_shipped_taxonomy_covers_every_category(taxonomy: Taxonomy) -> None:
    assert len(taxonomy.skills) >= 80
    groups = taxonomy.by_category()
    assert list(groups) == list(CATEGORIES)
    assert {category: len(ids) for category, ids in groups.items() if len(ids) < 5} == {}
    assert sum(map(len, groups.values())) == len(taxonomy.skills)


def test_shipped_taxonomy_has_the_skills_other_code_asks_for(taxonomy: Taxonomy) -> None:
    names = [
        "PyTorch", "TensorFlow", "Keras", "scikit-learn", "XGBoost", "deep learning", "machine learning",
        "computer vision", "NLP", "LLMs", "reinforcement learning", "MLOps", "MLflow", "feature engineering",
        "model deployment", "statistics", "probability", "linear algebra", "calculus", "Bayesian", "hypothesis testing",
        "A/B testing", "experimental design", "regression", "time series", "causal inference", "optimization",
        "SQL", "NoSQL", "PostgreSQL", "MySQL", "MongoDB", "Spark", "Hadoop", "Hive", "Kafka", "Airflow", "dbt",
        "ETL", "data warehousing", "Snowflake", "BigQuery", "Redshift", "Databricks", "data modeling",
        "data pipelines", "Docker", "Kubernetes", "CI/CD", "Git", "Linux", "REST APIs", "microservices",
        "unit testing", "Python", "Java", "Scala", "C++", "Go", "R", "SAS", "SPSS", "MATLAB", "Julia", "JavaScript",
        "AWS", "GCP", "Azure", "SageMaker", "Terraform", "distributed systems", "system design", "Tableau",
        "Power BI", "Looker", "Excel", "dashboards", "data visualization", "reporting", "communication",
        "stakeholder management", "storytelling", "product sense", "business acumen", "project management",
        "Agile", "leadership", "mentoring",
    ]
    assert len(set(taxonomy.resolve(names))) == len(names) - 1  # leadership and mentoring are one skill
    assert {taxonomy.skills[i].category for i in taxonomy.resolve(["python", "java", "scala", "cpp", "go"])} == {
        "software"}
    assert {taxonomy.skills[i].category for i in taxonomy.resolve(["r", "sas", "spss", "matlab", "julia"])} == {
        "stats"}


def test_every_name_and_spelling_finds_its_own_skill(taxonomy: Taxonomy) -> None:
    # A reviewer reading the file should never meet a spelling that counts for another skill.
    misses = [
        (skill.id, written)
        for skill in taxonomy.skills.values()
        for written in (skill.name, *(p.removeprefix("=") for p in skill.patterns))
        if skill.id not in taxonomy.find(written)
    ]
    assert misses == []


def test_version_is_the_file_hash(taxonomy: Taxonomy) -> None:
    assert taxonomy.version == hashlib.sha256(SHIPPED.read_bytes()).hexdigest()[:12]


# Small taxonomy files


def write(path: Path, *rows: str) -> Path:
    path.write_text("\n".join(["# a comment", "", "id\tname\tcategory\tpatterns", *rows]) + "\n", encoding="utf-8")
    return path


def test_small_file_rules(tmp_path: Path) -> None:
    taxonomy = load_taxonomy(write(
        tmp_path / "skills.tsv",
        "# Languages",
        "r\tR\tstats\t=R|R programming",
        "",
        "go\tGo\tsoftware\t=Go|Golang|!go to",
        "ml\tMachine learning\tml\tmachine learning|ML",
    ))
    assert list(taxonomy.skills) == ["r", "go", "ml"]
    assert taxonomy.skills["r"].patterns == ("=R", "R programming")
    assert taxonomy.skills["go"].exclusions == ("go to",)
    assert taxonomy.by_category()["stats"] == ["r"]
    assert taxonomy.by_category()["cloud"] == []
    assert taxonomy.find("r programming, Go to ML in Go") == {"r", "ml", "go"}
    assert [m.text for m in taxonomy.mentions("Go to ML in Go")] == ["ML", "Go"]


def test_load_is_cached_until_the_file_changes(tmp_path: Path) -> None:
    path = write(tmp_path / "skills.tsv", "sql\tSQL\tdata_eng\tSQL")
    first = load_taxonomy(path)
    assert load_taxonomy(path) is first
    write(path, "sql\tSQL\tdata_eng\tSQL|structured query language")
    second = load_taxonomy(path)
    assert second.version != first.version
    assert second.find("Structured Query Language") == {"sql"}


@pytest.mark.parametrize(
    ("rows", "problem"),
    [
        (["sql\tSQL\tdata_eng"], r":4: expected 4 tab-separated columns \(id, name, category, patterns\), found 3"),
        (["sql\tSQL\tdata_eng\tSQL\textra"], r":4: expected 4 tab-separated columns .*found 5"),
        (["sql\tSQL\tdatabases\tSQL"],
         r":4: unknown category 'databases'; valid: ml, software, cloud, stats, data_eng, analytics, business"),
        (["sql\tSQL\tdata_eng\tSQL", "sql\tSQL again\tdata_eng\tstructured query language"],
         r":5: duplicate id 'sql' \(first on line 4\)"),
        (["sql\tSQL\tdata_eng\t"], r":4: skill 'sql' has no patterns"),
        (["sql\tSQL\tdata_eng\tSQL||TSQL"], r":4: empty pattern"),
        (["sql\tSQL\tdata_eng\tSQL", "nosql\tNoSQL\tdata_eng\tNoSQL|sql"],
         r":5: pattern 'sql' of 'nosql' is also used by 'sql' \(line 4: 'SQL'\)"),
        (["ml\tML\tml\tmachine learning", "ml2\tML two\tml\tMachine-Learning"],
         r":5: pattern 'Machine-Learning' of 'ml2' is also used by 'ml' \(line 4"),
        (["r\tR\tstats\t=R", "r2\tR two\tstats\tr"], r":5: pattern 'r' of 'r2' is also used by 'r'"),
        (["SQL\tSQL\tdata_eng\tSQL"], r":4: id 'SQL' is not lower_snake_case"),
    ],
)
def test_load_errors_name_file_and_line(tmp_path: Path, rows: list[str], problem: str) -> None:
    path = write(tmp_path / "bad.tsv", *rows)
    with pytest.raises(CorpusError, match=re.escape(str(path)) + problem):
        load_taxonomy(path)


def test_case_sensitive_spellings_differing_in_case_do_not_clash(tmp_path: Path) -> None:
    taxonomy = load_taxonomy(write(tmp_path / "skills.tsv", "go\tGo\tsoftware\t=Go", "gox\tGO\tsoftware\t=GO"))
    assert taxonomy.find("Go GO go") == {"go", "gox"}


def test_load_reports_every_problem(tmp_path: Path) -> None:
    path = write(tmp_path / "bad.tsv", "a\tA\tnope\tA", "b\tB", "c\tC\tml\tC")
    with pytest.raises(CorpusError) as raised:
        load_taxonomy(path)
    assert str(raised.value).endswith("(and 1 more)")
    assert [p.split(": ", 1)[0] for p in raised.value.problems] == [f"{path}:4", f"{path}:5"]


def test_load_wants_the_header(tmp_path: Path) -> None:
    path = tmp_path / "skills.tsv"
    path.write_text("# only comments\nsql\tSQL\tdata_eng\tSQL\n", encoding="utf-8")
    with pytest.raises(CorpusError, match=re.escape(f"{path}:2: expected the header line")):
        load_taxonomy(path)
    with pytest.raises(CorpusError, match="cannot read the skill taxonomy"):
        load_taxonomy(tmp_path / "missing.tsv")
