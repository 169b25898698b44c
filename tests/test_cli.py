"""The command line, in process, with the fake embedder."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from assistant import cli
from assistant.container import Services
from tests.conftest import posting, write_jsonl


@pytest.fixture
def run(services: Services, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch):
    def run(*args: str) -> tuple[int, str, str]:
        monkeypatch.setattr(cli, "_state", {"services": services})
        monkeypatch.setattr(sys, "argv", ["assistant", *args])
        try:
            cli.main()
            code = 0
        except SystemExit as exc:
            code = int(exc.code or 0)
        out, err = capsys.readouterr()
        return code, out, err

    return run


def test_build_status_and_search(run) -> None:
    code, out, _ = run("build", "--json")
    summary = json.loads(out)
    assert code == 0 and summary["added"] >= 57 and summary["rejected"] == 0
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
