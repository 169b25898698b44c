"""Answers with the real embedding model over the shared postings plus the shipped corpus."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from assistant.settings import REPO_ROOT
from tests.conftest import _cli_env, cli

pytestmark = pytest.mark.slow

# Floors set a little under what the extractive backend measured on eval/dev.jsonl (108
# questions) with the 943 shared postings indexed (6 December 2026): recall@5 0.865, MRR 0.694,
# refusals 1.0, terms 0.674, supported sentences 0.995, wrong claims 0, unanswerable declined
# 1.0, answerable declined 0.0 (dev-73 at times: 0.011), comparisons answered for both roles
# 0.9, evidence in the answer 0.742.
FLOORS = {"--min-recall": "0.82", "--min-mrr": "0.64", "--min-refusal": "0.95", "--min-terms": "0.64",
          "--min-supported": "0.97", "--max-wrong-claims": "0"}


def test_extractive_eval_stays_above_its_floors(answer_index: Path) -> None:
    args = [arg for pair in FLOORS.items() for arg in pair]
    result = cli(answer_index, "eval", str(REPO_ROOT / "eval" / "dev.jsonl"), "--backend", "extractive", *args,
                 check=False)
    report = json.loads(result.stdout)
    assert result.returncode == 0, (result.stderr, {k: v for k, v in report.items() if k != "rows"})
    assert report["questions"] >= 100 and report["recall_by_category"]["article"] >= 0.9
    assert report["unanswerable_declined"] >= 0.95 and report["answerable_declined"] <= 0.03
    assert report["comparisons_both_sides"] >= 0.85 and report["evidence_in_answer"] >= 0.70


def test_the_local_model_cites_what_it_was_given_and_declines_off_topic(answer_index: Path) -> None:
    env_cmd = [sys.executable, "-m", "assistant", "ask", "--jsonl", "--backend", "local"]
    questions = "what's the difference between an ML engineer and a data scientist?\n" \
                "What's a good recipe for banana bread?\n"
    result = subprocess.run(env_cmd, input=questions, env=_cli_env(answer_index), capture_output=True, text=True,
                            timeout=600, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    main, off = (json.loads(line) for line in result.stdout.splitlines())
    assert not main["declined"] and main["backend"] == "local"
    cited = {int(n) for n in re.findall(r"\[(\d+)\]", main["answer"])}
    assert cited and cited <= {s["n"] for s in main["sources"]}
    assert any(s["kind"] == "article" for s in main["sources"])
    assert main["timings"]["first_token_ms"] > 0
    assert off["declined"] and off["sources"] == []


# The questions a careful reader checks first, asked of the local model: the product's
# headline question must not give the article's claim about data scientists to ML
# engineers, must answer for both roles, and questions the article cannot answer are
# declined instead of answered from a posting.
LOCAL_CHECKS = [
    ("What's the difference between an ML engineer and a data scientist?",
     {"both": ["ml_engineer", "data_scientist"], "must_not": [r"ML engineers?[^.]{0,80}stronger mathematical"]}),
    ("Do ML engineers need to know statistics?", {"must_not": [r"\bno\b[^.]{0,20}statistic"]}),
    ("How old is the author?", {"declined": True}),
    ("What salary does the author earn?", {"declined": True, "must_not": [r"\$\s?\d"]}),
    ("Which Fortune 50 company does the author work for?", {"declined": True}),
    ("The Fortune 50 company the author works at — that's Amazon, right?", {"declined": True}),
    ("Does data science always require machine learning?", {"must_not": [r"^\s*yes\b"]}),
    # Right but incomplete answers the model gave ("Python"; "a stronger mathematical
    # background" for GLMs) get the sentence that answers.
    ("Which general software engineering practices are ML engineers expected to know?", {"has": [r"unit test"]}),
    ("What does the article say about GLMs?", {"has": [r"insurance"]}),
    ("Do ML engineers ever build predictive models on tabular data?",
     {"has": [r"tabular"], "must_not": [r"ML engineers?[^.]{0,80}C\+\+"]}),
]


def test_the_local_model_answers_the_questions_a_reader_checks_first(answer_index: Path) -> None:
    from assistant.roles import roles_named

    env_cmd = [sys.executable, "-m", "assistant", "ask", "--jsonl", "--backend", "local"]
    questions = "".join(q + "\n" for q, _ in LOCAL_CHECKS)
    result = subprocess.run(env_cmd, input=questions, env=_cli_env(answer_index), capture_output=True, text=True,
                            timeout=1200, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    for (question, want), line in zip(LOCAL_CHECKS, result.stdout.splitlines(), strict=True):
        answer = json.loads(line)
        assert answer["declined"] is want.get("declined", False), (question, answer["answer"])
        for pattern in want.get("must_not", []):
            assert not re.search(pattern, answer["answer"], re.I), (question, answer["answer"])
        assert set(want.get("both", [])) <= set(roles_named(answer["answer"])), (question, answer["answer"])
        for pattern in want.get("has", []):
            assert re.search(pattern, answer["answer"], re.I), (question, answer["answer"])


def test_the_article_prefix_is_evaluated_once_and_loaded_after_a_restart(answer_index: Path, tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    from assistant.answer import build_core_messages, build_messages, core_prefix
    from assistant.container import build_services
    from assistant.llm import LlamaCppChat
    from assistant.local_model import assemble
    from assistant.settings import Settings

    monkeypatch.setenv("ASSISTANT_INDEX_DIR", str(answer_index))  # the environment outranks arguments
    settings = Settings()
    services = build_services(settings)
    model = assemble(settings.models_dir)
    with services.store.reader() as generation:
        retriever = services.retriever(generation)
        core = services.core(retriever)
        assert core
        first = LlamaCppChat(model, threads=2, context=settings.llm_context, state_dir=tmp_path)
        evaluated = first.prepare(core_prefix(core))
        assert len(list(tmp_path.glob("prefix-*.npz"))) == 1 and first.prepare(core_prefix(core)) == 0.0
        del first
        restarted = LlamaCppChat(model, threads=2, context=settings.llm_context, state_dir=tmp_path)
        loaded = restarted.prepare(core_prefix(core))
        assert 0 < loaded < evaluated / 5, (loaded, evaluated)
        answer = "".join(restarted.stream(build_core_messages("Which cloud platforms should an ML engineer know?",
                                                              core, []), max_tokens=48))
        assert re.search(r"AWS|Amazon|Azure|Google Cloud|GCP", answer), answer
        # /v1 usage counts with the model's own tokenizer: the answer is no more than the 48 tokens it was written in.
        assert 0 < restarted.count_tokens(answer) <= 50, answer
        # Another prompt replaces the cached prefix: the next prepare loads it again.
        list(restarted.stream(build_messages("cloud?", []), max_tokens=4))
        assert restarted.prepare(core_prefix(core)) > 0
