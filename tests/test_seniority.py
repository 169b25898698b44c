"""The seniority level of real-looking titles (most are titles of the shared postings)."""

from __future__ import annotations

import pytest

from assistant.seniority import seniority

TITLES = [
    # No level named: mid.
    ("Data Scientist", "mid"),
    ("Machine Learning Engineer (NLP)", "mid"),
    ("Business Intelligence Analyst", "mid"),
    ("Data Entry Analyst", "mid"),  # data entry is the work, not entry level
    ("AI/Machine Learning Engineer (Premium Colleges only)", "mid"),
    ("Staffing Data Analyst", "mid"),  # "staff" only as a word
    ("Data Management Specialist", "mid"),  # management is not manager
    ("Expert Machine Learning Engineer", "mid"),
    # Grades after the job's noun.
    ("Data Engineer I - Azure", "junior"),
    ("Business Analyst-I", "junior"),
    ("Data Analyst 1, full-time contract worker for up to 12 months", "junior"),
    ("Machine Learning Engineer II", "mid"),
    ("Data Analyst 2", "mid"),
    ("Data Analyst Level III", "senior"),
    ("Data Engineer 4 - Contract", "senior"),
    ("Data Engineer IV", "senior"),
    ("AI Engineer", "mid"),  # the I of AI is no grade
    # Junior.
    ("Jr. Data Scientist", "junior"),
    ("Jr Machine Learning Engineer (Hybrid - Remote, Utah)", "junior"),
    ("Junior Data Analyst", "junior"),
    ("Associate Data Engineer", "junior"),
    ("Data Analyst - Associate", "junior"),
    ("Data Scientist Intern", "junior"),
    ("Machine Learning Engineer (Entry Level)", "junior"),
    ("Marketing Data Analyst, May 2020 Undergrad", "junior"),
    ("College Hire - Data Scientist - Open to December 2019 Graduates", "junior"),
    ("Co-Op - Machine Learning Engineer (NLP & Vision)", "junior"),
    ("Data Scientist in Artificial Intelligence Early Career", "junior"),
    # Senior.
    ("Senior Data Scientist", "senior"),
    ("Sr. Machine Learning Engineer", "senior"),
    ("Data Scientist, Senior", "senior"),
    ("Data Scientist SR", "senior"),
    ("Senior Machine Learning Engineer I/II", "senior"),
    ("Data Engineer II / Sr Data Engineer", "senior"),
    ("Sr Expert Data Science, Advanced Visual Analytics (Associate level)", "senior"),
    ("Sr. Data Scientist II", "senior"),
    # Lead, staff, principal.
    ("Lead Data Scientist", "lead"),
    ("Data Operations Lead", "lead"),
    ("Staff Machine Learning Engineer, Search Relevance", "lead"),
    ("Senior Staff Machine Learning Engineer, Perception", "lead"),
    ("Senior/Principal NLP Engineer", "lead"),
    ("Principal, Data Science - Advanced Analytics", "lead"),
    ("Distinguished Engineer, Machine Learning", "lead"),
    ("Managing Data Scientist/ML Engineer", "lead"),
    # Manager, head, director, VP.
    ("Senior Manager, Epidemiologic Data Scientist", "manager"),
    ("Associate Director, Platform and DevOps- Data Engineering", "manager"),
    ("Assistant Director/Director, Office of Data Science", "manager"),
    ("Director II, Data Science - GRM Actuarial", "manager"),
    ("Head Data Scientist – NLP lead, Novartis AI Innovation Lab", "manager"),
    ("VP, Data Science", "manager"),
    ("Vice President - Machine Learning Engineer", "manager"),
    ("Chief Data Scientist", "manager"),
    ("Data Science Manager", "manager"),
]


@pytest.mark.parametrize(("title", "level"), TITLES)
def test_the_level_a_title_names(title: str, level: str) -> None:
    assert seniority(title) == level
