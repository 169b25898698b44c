import pytest

from assistant.roles import role_family


@pytest.mark.parametrize(
    ("title", "family"),
    [
        ("Senior Data Scientist", "data_scientist"),
        ("Machine Learning Engineer", "ml_engineer"),
        ("Sr. ML Engineer - Recommendations", "ml_engineer"),
        ("Data Scientist / Machine Learning Engineer", "ml_engineer"),
        ("Big Data Engineer", "data_engineer"),
        ("Analytics Engineer", "data_engineer"),
        ("Data Analyst II", "data_analyst"),
        ("Business Intelligence Analyst", "business_analyst"),
        ("MLOps Engineer", "mlops_ai_engineer"),
        ("AI Engineer, LLM Applications", "mlops_ai_engineer"),
        ("Research Scientist, NLP", "research_scientist"),
        ("Food Scientist", "other"),
        ("Statisticians", "data_scientist"),
    ],
)
def test_role_family_from_title(title: str, family: str) -> None:
    assert role_family(title) == family
