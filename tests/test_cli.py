"""The command line, in process, with the fake embedder."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from assistant.container import Services
from tests.conftest import posting, write_jsonl


def test_build_status_and_search(run) -> None:
    code, out, _ = run("build", "--json")
    summary = json.loads(out)
    # 50 sample postings, 6 role notes and the article
    assert code == 0 and summary["added"] == 57 and summary["rejected"] == 0
    code, out, _ = run("build", "--if-missing")
    assert code == 0 and "already built" in out
    code, out, _ = run("status", "--json")
    status = json.loads(out)
    assert status["documents"] == summary["added"]
    assert status["kind"]["article"] == 1 and status["kind"]["posting"] >= 40 and status["kind"]["role"] >= 6
    assert status["chunks"] > status["documents"]
    assert status["embedding_model"] == "fake-hashing-64" and status["last_refresh"]
    code, out, _ = run("search", "generalized linear models insurance", "--kind", "article", "--json")
    results = json.loads(out)["results"]
    assert code == 0 and len(results) == 5
    assert {r["kind"] for r in results} == {"article"}
    assert set(results[0]) >= {"id", "title", "kind", "text", "score"}
    code, out, _ = run("status")
    assert "documents:" in out and "samples/postings.jsonl" in out


def test_ingest_reports_and_a_bad_file_changes_nothing(run, tmp_path: Path) -> None:
    good = write_jsonl(tmp_path / "good.jsonl", [posting(1), posting(2)])
    code, out, _ = run("ingest", str(good), "--json")
    assert code == 0 and json.loads(out)["added"] == 2
    _, before, _ = run("status", "--json")

    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps(posting(3)) + "\n" + '{"id": "p4", "title": "DS"}\n')
    code, out, err = run("ingest", str(bad))
    assert code == 3
    assert f"error: {bad}:2: missing description" in err and "nothing was ingested" in err
    _, after, _ = run("status", "--json")
    assert json.loads(after)["generation"] == json.loads(before)["generation"]

    code, out, err = run("ingest", str(bad), "--skip-invalid")
    assert code == 0
    assert "added 1," in out and f"rejected: {bad}:2: missing description" in out


def test_ingest_sync_and_csv_mapping(run, tmp_path: Path) -> None:
    feed = write_jsonl(tmp_path / "feed.jsonl", [posting(1), posting(2)])
    run("ingest", str(feed))
    write_jsonl(feed, [posting(2)])
    code, out, _ = run("ingest", str(feed), "--sync", "--json")
    assert code == 0 and json.loads(out)["removed"] == 1
    csv = tmp_path / "jobs.csv"
    csv.write_text("Headline,Blurb\nData Engineer,Spark pipelines\n")
    code, _, err = run("ingest", str(csv))
    assert code == 3 and "missing title" in err
    code, out, _ = run("ingest", str(csv), "--map", "title=Headline", "--map", "description=Blurb")
    assert code == 0 and "added 1," in out
    code, _, err = run("ingest", str(csv), "--map", "title")
    assert code == 3 and "expected FIELD=COLUMN" in err


def test_commands_before_a_build_explain_what_to_do(run) -> None:
    code, _, err = run("status")
    assert code == 4 and "python -m assistant build" in err
    code, _, err = run("search", "anything")
    assert code == 4 and "python -m assistant build" in err


def test_restore_article_check_passes_on_the_committed_edition(run) -> None:
    code, out, _ = run("restore-article", "--check")
    assert code == 0 and "up to date" in out


def test_ask_json_and_jsonl(run, services: Services, monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    from tests.fakes import ScriptedChat

    run("build")
    chat = ScriptedChat("ML engineers must have a software engineering skillset [{n:=absolute}].", "Companies ask that an ML engineer understand cloud services like Amazon Web Services (AWS) [{n:=Amazon Web Services}].")
    services.chat_override = chat
    code, out, _ = run("ask", "What skills do ML engineers need?", "--json")
    answer = json.loads(out)
    assert code == 0 and answer["answer"] == chat.sent[0]
    assert set(answer) == {"question", "answer", "sources", "backend", "declined", "timings", "query", "supports",
                           "dropped", "figures"}
    assert set(answer["sources"][0]) == {"n", "id", "title", "kind", "role", "company", "text", "score", "url"}
    assert set(answer["timings"]) == {"retrieve_ms", "generate_ms", "first_token_ms", "first_shown_ms"}

    monkeypatch.setattr("sys.stdin", io.StringIO("What cloud skills do ML engineers need?\n\nBanana bread recipe?\n"))
    code, out, _ = run("ask", "--jsonl", "--backend", "local")
    first, second = (json.loads(line) for line in out.splitlines())
    assert code == 0 and first["answer"] == chat.sent[1] and second["declined"]

    code, out, _ = run("ask", "What skills do ML engineers need?", "--backend", "extractive")
    assert code == 0 and "[1]" in out and "Sources:" in out


def test_eval_prints_metrics_and_fails_below_a_floor(run, tmp_path: Path) -> None:
    run("build")
    questions = tmp_path / "q.jsonl"
    questions.write_text(
        json.dumps({"id": "a", "question": "Which tool does the author call the industry favorite?",
                    "evidence": ["industry favorite SAS tool"], "answer_terms": ["sas"]}) + "\n"
        + json.dumps({"id": "b", "question": "Will it rain in Seattle tomorrow?", "refuse": True}) + "\n"
    )
    code, out, _ = run("eval", str(questions), "--backend", "extractive")
    report = json.loads(out)
    assert code == 0 and report["questions"] == 2 and report["recall_at_5"] == 1.0
    assert report["refusal_accuracy"] == 1.0 and report["answer_term_hit_rate"] == 1.0
    assert set(report["latency_ms"]) == {"p50", "p95", "first_token_p50", "first_token_p95", "first_shown_p50",
                                         "first_shown_p95"}
    code, _, err = run("eval", str(questions), "--backend", "extractive", "--min-recall", "1.1")
    assert code == 7 and "below the floor" in err
    questions.write_text("{not json\n")
    code, _, err = run("eval", str(questions))
    assert code == 3 and "q.jsonl:1: invalid JSON" in err


def test_chat_keeps_the_conversation(run, services: Services, monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    from tests.fakes import ScriptedChat

    run("build")
    chat = ScriptedChat("ML engineers must have a software engineering skillset [{n:=absolute}].", "Companies ask that an ML engineer understand cloud services like Amazon Web Services (AWS) [{n:=Amazon Web Services}].")
    services.chat_override = chat
    monkeypatch.setattr("sys.stdin", io.StringIO("What skills do ML engineers need?\nand what about cloud skills?\n"))
    code, out, _ = run("chat", "--backend", "local")
    assert code == 0
    assert chat.sent[0] in out and chat.sent[1] in out
    second = chat.calls[1]
    assert {"role": "user", "content": "What skills do ML engineers need?"} in second
    assert {"role": "assistant", "content": chat.sent[0]} in second


def test_ask_says_what_the_checks_changed(run, services: Services) -> None:
    from tests.fakes import ScriptedChat

    run("build")
    services.chat_override = ScriptedChat(
        "ML engineers are expected to know the Python coding language specifically [{n:=Python coding}].",
        "ML engineers mostly use Google Cloud Vertex AI [9].",
        "The author has very much enjoyed their time in the ML engineer role [{n:=enjoyed my time}].")
    # A sentence the checks added follows what was streamed, with no label.
    code, out, _ = run("ask", "Which general software engineering practices are ML engineers expected to know?",
                       "--backend", "local")
    streamed, added = out.splitlines()[:2]
    assert code == 0 and streamed.startswith("ML engineers are expected to know the Python coding language")
    assert "unit testing, security scanning, CI/CD pipelining" in added and "(" not in added[:1]
    # An invented claim is never streamed; what the sources say comes under a label that says so.
    code, out, _ = run("ask", "What skills do ML engineers need?", "--backend", "local")
    assert "Vertex" not in out and out.splitlines()[0] == ""
    assert "cited nothing" not in out and "checked against" not in out
    # A streamed sentence that, on checking the whole answer, does not answer the question.
    code, out, _ = run("ask", "What salary does the author earn as an ML engineer?", "--backend", "local")
    lines = out.splitlines()
    assert lines[0].startswith("The author has very much enjoyed their time")
    assert lines[1] == "(on checking, the sources do not answer this)" and lines[2].startswith("I can't answer that")


def test_feedback_export(run, services: Services) -> None:
    from assistant.feedback import Feedback

    services.feedback.add(Feedback("up", "Do ML engineers need statistics?", "Yes [1].", [{"n": 1}], "local", "ok"))
    code, out, _ = run("feedback", "export")
    [row] = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and (row["rating"], row["comment"], row["sources"]) == ("up", "ok", [{"n": 1}])
    code, out, _ = run("feedback", "export", "--format", "csv")
    assert code == 0 and out.splitlines()[0] == "id,created,rating,comment,question,answer,sources,backend"
    code, _, err = run("feedback", "export", "--format", "xml")
    assert code == 3 and "expected jsonl or csv" in err


def test_stats_and_classify_commands(run, tmp_path: Path) -> None:
    from tests.test_analytics import POSTINGS

    code, _, err = run("stats")
    assert code == 4 and "python -m assistant build" in err
    run("ingest", str(write_jsonl(tmp_path / "feed.jsonl", POSTINGS)))
    code, out, _ = run("stats", "--roles", "data scientist,ml_engineer", "--skills", "python,SQL", "--json")
    figures = json.loads(out)
    assert code == 0 and figures["postings"] == 8 and figures["exact"] is True
    assert figures["roles"]["data_scientist"]["skills"] == {"python": 0.5, "sql": 0.5}
    assert figures["roles"]["ml_engineer"]["skill_counts"] == {"python": 3, "sql": 0}
    assert figures["comparison"]["a"] == "data_scientist" and "Newcombe" in figures["comparison"]["statistic"]
    code, out, _ = run("stats", "--roles", "ml_engineer,data_scientist")
    assert code == 0 and "postings (n)" in out and "Python" in out and "asked for more by ml_engineer" in out
    code, _, err = run("stats", "--skills", "cobolx")
    assert code == 3 and "unknown skill" in err

    job = tmp_path / "job.txt"
    job.write_text("We need someone to deploy PyTorch models with Docker and Kubernetes, in Python.", encoding="utf-8")
    code, out, _ = run("classify", str(job), "--json")
    checked = json.loads(out)
    assert code == 0 and checked["role"] == "ml_engineer"
    # the three closest of the 50 sample postings, no article passage among them
    assert len(checked["closest"]) == 3 and {s["kind"] for s in checked["closest"]} == {"posting"}
    code, out, _ = run("classify", str(job))
    assert code == 0 and out.startswith("It reads most like an ML engineer posting")
    code, _, err = run("classify", str(tmp_path / "missing.txt"))
    assert code == 3 and "missing.txt: no such file" in err


def test_mismatch_and_related_commands(run, tmp_path: Path) -> None:
    from tests.test_mismatch import DS, ML

    def own(doc_id: str) -> str:  # words no other posting has, so none is a copy of another
        return " ".join(f"{doc_id}w{j}" for j in range(12)) + ". "

    rows = [{"id": f"m{i}", "title": "Machine Learning Engineer", "company": f"Co m{i}",
             "description": own(f"m{i}") + (ML if i < 10 else "Docker and Python.")} for i in range(1, 11)]
    rows += [{"id": f"d{i}", "title": "Data Scientist", "company": f"Co d{i}",
              "description": own(f"d{i}") + (DS if i < 9 else "Statistics, SQL and Python." if i == 9 else ML)}
             for i in range(1, 11)]
    run("ingest", str(write_jsonl(tmp_path / "twenty.jsonl", rows)))
    code, out, _ = run("mismatch", "--json")
    data = json.loads(out)
    assert code == 0 and data["by_title"]["data_scientist"] == {
        "n": 10, "counts": {"data_scientist": 9, "ml_engineer": 1}, "reads_like": {"data_scientist": 0.9, "ml_engineer": 0.1}}
    assert [(e["id"], e["reads_like"]) for e in data["examples"]] == [("d10", "ml_engineer")]
    code, out, _ = run("mismatch", "--title", "ML engineer", "--json")
    assert code == 0 and list(json.loads(out)["by_title"]) == ["ml_engineer"] and json.loads(out)["examples"] == []
    code, out, _ = run("mismatch")
    assert code == 0 and "d10  Data Scientist · Co d10: titled data scientist, reads like ML engineer" in out
    code, out, _ = run("stats", "--related", "Kubernetes", "--roles", "ml engineer", "--json")
    related = json.loads(out)
    assert code == 0 and (related["postings"], related["count"]) == (10, 9)
    assert [(r["skill"], r["together"], r["lift"]) for r in related["related"]] == [
        ("pytorch", 9, 1.111), ("docker", 9, 1.0), ("python", 9, 1.0)]
    code, out, _ = run("stats", "--related", "kubernetes")
    assert code == 0 and out.startswith("Kubernetes: 10 of 20 postings ask for it")
    code, _, err = run("stats", "--related", "cobolx")
    assert code == 3 and "unknown skill 'cobolx'" in err
    code, _, err = run("mismatch", "--title", "astronaut")
    assert code == 2 and "unknown role 'astronaut'" in err


def test_several_workers_need_a_chroma_server(run) -> None:
    code, _, err = run("serve", "--workers", "2")
    assert code == 2
    assert "--workers 2 needs a Chroma server" in err and "ASSISTANT_CHROMA_URL" in err


def test_a_chroma_server_that_does_not_answer_is_named(services: Services, tmp_path: Path) -> None:
    from assistant.container import build_services
    from assistant.errors import BackendUnavailable
    from tests.conftest import free_port

    url = f"http://127.0.0.1:{free_port()}"
    down = build_services(services.settings.model_copy(update={"chroma_url": url}), embedder=services.embedder)
    with pytest.raises(BackendUnavailable, match=rf"the Chroma server at {url} does not answer .*chroma run --path"):
        down.store.vectors.client(tmp_path)


def test_bench_quick_prints_the_figures_and_leaves_no_trace(services: Services, monkeypatch: pytest.MonkeyPatch,
                                                             tmp_path: Path) -> None:
    import assistant.bench as bench

    monkeypatch.setattr(bench, "QUICK_SIZES", [300])
    result = bench.run_bench(services.settings, services.settings.corpus_dir / "samples" / "postings.jsonl",
                             quick=True, embedder=services.embedder)
    ingest = result["ingest"]
    assert ingest["postings"] == 50 and ingest["chunks"] > 50
    assert 0 < result["ingest_ratio_to_raw_encode"] and 0 < result["nochange_refresh_ratio_to_full"] < 1
    assert set(result["retrieval_p95_ms"]) == {"300"}
    assert set(result["retrieval_p95_ms"]["300"]) == {"dense", "bm25", "fused"}
    assert all(value > 0 for value in result["retrieval_p95_ms"]["300"].values())
    assert not services.store.exists()  # the user's index was never touched
    assert result["machine"]["cores"] and json.dumps(result)


@pytest.mark.parametrize(("args", "says"), [
    (["ingest", "--bogus"], "No such option: --bogus"),
    (["search", "x", "--k", "0"], "Invalid value for '--k'"),
    (["nosuchcmd"], "No such command 'nosuchcmd'"),
])
def test_usage_errors_print_usage_and_exit_2_without_a_traceback(args: list[str], says: str, tmp_path: Path) -> None:
    import subprocess

    result = subprocess.run([sys.executable, "-m", "assistant", *args], capture_output=True, text=True, timeout=120,
                            check=False, cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert says in result.stderr and "Usage:" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_dangling_pointer_is_refused_with_exit_8_and_repair_republishes(run, services: Services,
                                                                          tmp_path: Path) -> None:
    assert run("ingest", str(write_jsonl(tmp_path / "a.jsonl", [posting(1), posting(2)])))[0] == 0
    assert run("ingest", str(write_jsonl(tmp_path / "b.jsonl", [posting(3)])))[0] == 0
    generations = services.store.generations()
    (services.store.root / "CURRENT").write_text("gen-999999-missing\n")
    code, _, err = run("ingest", str(write_jsonl(tmp_path / "one.jsonl", [posting(9)])))
    assert code == 8 and "repair" in err and generations[-1].name in err and "Traceback" not in err
    assert services.store.generations() == generations
    assert run("status")[0] == 8
    code, out, _ = run("repair")
    assert code == 0 and f"published {generations[-1].name}: 3 documents" in out
    assert json.loads(run("status", "--json")[1])["documents"] == 3


def test_stats_official_command(run, tmp_path: Path) -> None:
    from tests.test_analytics import POSTINGS as COUNTED
    from tests.test_official import ROLES

    run("ingest", str(write_jsonl(tmp_path / "feed.jsonl", COUNTED)))
    code, _, err = run("stats", "--official", "data scientist")
    assert code == 2 and "no official role definitions" in err and "roles.jsonl" in err
    run("ingest", str(write_jsonl(tmp_path / "roles.jsonl", ROLES)))
    code, out, _ = run("stats", "--official", "data scientist", "--json")
    data = json.loads(out)
    # The hand-counted corpus of test_analytics: Python in ds1 and ds3, SQL in ds1 and ds4.
    assert code == 0 and data["n"] == 4 and {e["skill"]: e["count"] for e in data["listed"]}["python"] == 2
    assert {e["skill"]: e["share"] for e in data["listed"]}["sql"] == 0.5
    code, out, _ = run("stats", "--official", "data_scientist")
    assert code == 0 and "listed by the definitions" in out and "O*NET 15-2051.00 Data Scientists" in out
