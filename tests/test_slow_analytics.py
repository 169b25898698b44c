"""Corpus figures over the 943 shared postings, checked against a plain regex count."""

from __future__ import annotations

import json
import re

import pytest

from assistant.documents import read_documents
from assistant.roles import role_family
from assistant.store import published_generation
from tests.conftest import cli_json

pytestmark = pytest.mark.slow

# The taxonomy's spellings of these skills, written out as plain regular expressions.
PLAIN = {
    "python": r"\bpython3?\b",
    "spark": r"\b(py)?spark\b",
    "tableau": r"\btableau\b",
    "pytorch": r"\b(py)?torch\b",
    "kubernetes": r"\b(kubernetes|k8s|eks|gke|openshift)\b",
}
ROLES = ("ml_engineer", "data_scientist", "data_engineer")


def test_stats_agree_with_a_plain_regex_count(built_index, feeds) -> None:
    index_dir, _ = built_index
    figures = cli_json(index_dir, "stats", "--roles", ",".join(ROLES), "--skills", ",".join(PLAIN))
    postings = read_documents(published_generation(index_dir), kind="posting")
    counted = {d.doc_id for d in postings if not d.duplicate_of}
    records = [json.loads(line) for line in feeds["postings"].read_text(encoding="utf-8").splitlines()]
    records = [r for r in records if r["id"] in counted]  # exact duplicates are not indexed, near ones not counted
    assert figures["postings"] == len(records) > 900 and figures["exact"] is True
    # 40 pairs in 32 clusters share more than 80% of their 5-word runs (every pair compared
    # exactly in benchmarks/near_duplicates.py): 36 postings are folded, 907 counted.
    assert (len(postings), figures["duplicates_folded"], figures["postings"]) == (943, 36, 907)
    for role in ROLES:
        mine = [r for r in records if role_family(r["title"]) == role]
        got = figures["roles"][role]
        assert got["n"] == len(mine) > 50, role
        for skill, pattern in PLAIN.items():
            expected = sum(bool(re.search(pattern, r["description"], re.I)) for r in mine)
            assert got["skill_counts"][skill] == expected, (role, skill)
            assert got["skills"][skill] == round(expected / len(mine), 4)
    assert "comparison" not in figures  # only for two roles


def test_ml_engineers_and_data_scientists_differ_as_the_article_says(built_index) -> None:
    figures = cli_json(built_index[0], "stats", "--roles", "ml_engineer,data_scientist")
    ml_over_ds = [c["skill"] for c in figures["comparison"]["a_over_b"]]
    ds_over_ml = [c["skill"] for c in figures["comparison"]["b_over_a"]]
    # The article: ML engineers lean on software engineering and deep learning frameworks,
    # data scientists on statistics and analysis.
    assert {"pytorch", "deep_learning"} & set(ml_over_ds[:5])
    assert {"statistics", "r", "sql"} & set(ds_over_ml[:5])
    for contrast in figures["comparison"]["a_over_b"]:
        assert contrast["ci95"][0] > 0 and contrast["share_a"] > contrast["share_b"] and contrast["examples"]
