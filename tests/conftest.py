from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from assistant.bench import free_port
from assistant.container import Services, build_services
from assistant.corpus import article_document, sample_paths
from assistant.indexer import refresh
from assistant.settings import REPO_ROOT, Settings
from assistant.sources import load_paths
from tests.fakes import HashingEmbedder, ScriptedChat

# The browser tests' server and Chromium, for every test module that asks for them.
pytest_plugins = ["tests.browser_support"]

SHARED = REPO_ROOT.parent / "shared"
SHARED_DATA = SHARED / "data"
# `.ci/run` starts a Chroma server and names it here; without it the tests start their own.
CI_CHROMA_URL = os.environ.get("ASSISTANT_TEST_CHROMA_URL", "")
# Likewise a PostgreSQL server (scripts/test-postgres); read here, before `_isolated` clears
# every ASSISTANT_ variable.
CI_DATABASE_URL = os.environ.get("ASSISTANT_TEST_DATABASE_URL", "")
REQUIRE_POSTGRES = os.environ.get("ASSISTANT_REQUIRE_POSTGRES") == "1"
TEST_POSTGRES = REPO_ROOT / "scripts" / "test-postgres"
NO_POSTGRES_BINARIES = 3  # scripts/test-postgres's exit code when there is no server to start


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test gets its own data directory and never writes into the repo."""
    for key in list(os.environ):
        if key.startswith("ASSISTANT_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("ASSISTANT_INDEX_DIR", str(tmp_path / "index"))
    monkeypatch.setenv("ASSISTANT_DATA_DIR", str(tmp_path / "data"))
    # Starlette's TestClient sends `Host: testserver`.
    monkeypatch.setenv("ASSISTANT_ALLOWED_HOSTS", "testserver")
    monkeypatch.chdir(tmp_path)


@pytest.fixture(scope="session")
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The URL of a Chroma server on 127.0.0.1, for the tests of the server mode."""
    if CI_CHROMA_URL:
        yield CI_CHROMA_URL
        return
    folder = tmp_path_factory.mktemp("chroma-server")
    port = free_port()
    chroma = Path(sys.executable).with_name("chroma")
    log = open(folder / "server.log", "wb")
    process = subprocess.Popen(
        [str(chroma), "run", "--path", str(folder / "data"), "--host", "127.0.0.1", "--port", str(port)],
        stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "ANONYMIZED_TELEMETRY": "False"},
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for_chroma(url, process)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


def wait_for_chroma(url: str, process: subprocess.Popen | None = None, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"the Chroma server exited with {process.returncode}")
        try:
            urllib.request.urlopen(f"{url}/api/v2/heartbeat", timeout=2).close()
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"no Chroma server at {url} after {timeout} s")


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """The URL of a PostgreSQL server's `postgres` database: CI's, or a throwaway cluster
    started here. Skipped without the server binaries, unless ASSISTANT_REQUIRE_POSTGRES=1."""
    if CI_DATABASE_URL:
        yield CI_DATABASE_URL
        return
    # Under /tmp, not pytest's private folders: under root the server runs as `postgres`.
    folder = tempfile.mkdtemp(prefix="assistant-test-postgres-")
    started = subprocess.run(["bash", str(TEST_POSTGRES), "start", folder], capture_output=True, text=True,
                             timeout=120, check=False)
    if started.returncode != 0:
        shutil.rmtree(folder, ignore_errors=True)
        reason = f"no PostgreSQL for these tests: {started.stderr.strip()[-1000:]}"
        if started.returncode != NO_POSTGRES_BINARIES or REQUIRE_POSTGRES:
            pytest.fail(reason + ("" if started.returncode != NO_POSTGRES_BINARIES
                                  else " (ASSISTANT_REQUIRE_POSTGRES=1: not skipped)"))
        pytest.skip(reason)
    try:
        yield started.stdout.strip()
    finally:
        subprocess.run(["bash", str(TEST_POSTGRES), "stop", folder], timeout=120, check=False)


@pytest.fixture
def database_url(postgres_server: str) -> Iterator[str]:
    """A database of this test's own on the PostgreSQL server, dropped afterwards."""
    import psycopg
    from sqlalchemy.engine import make_url

    from assistant.database import dispose_all

    name = f"test_{secrets.token_hex(6)}"
    with psycopg.connect(postgres_server, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(postgres_server).set(database=name).render_as_string(hide_password=False)
    finally:
        dispose_all()
        with psycopg.connect(postgres_server, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["embedded", "server"])
def vector_mode(request: pytest.FixtureRequest) -> str:
    """Chroma embedded in the index folder, or a Chroma server: the value of chroma_url."""
    return request.getfixturevalue("chroma_server") if request.param == "server" else ""


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(index_dir=tmp_path / "index", data_dir=tmp_path / "data")


@pytest.fixture
def embedder() -> HashingEmbedder:
    return HashingEmbedder()


@pytest.fixture
def services(settings: Settings, embedder: HashingEmbedder) -> Services:
    return build_services(settings, embedder=embedder)


# The shipped corpus indexed with the fakes, for the API and chat page tests.


def build_index(services: Services, extra: list[dict] | None = None, tmp_path: Path | None = None) -> None:
    paths = sample_paths(services.settings.corpus_dir)
    if extra and tmp_path:
        paths.append(write_jsonl(tmp_path / "extra.jsonl", extra))
    loaded = load_paths(paths, max_record_bytes=1_000_000)
    refresh(services.store, services.chunker, [article_document(services.settings.corpus_dir), *loaded.documents],
            progress=False)


@pytest.fixture
def chat() -> ScriptedChat:
    return ScriptedChat()


@pytest.fixture
def api_services(settings: Settings, chat: ScriptedChat) -> Services:
    services = build_services(settings.model_copy(update={"min_relevance": 0.2}), embedder=HashingEmbedder(),
                              chat=chat)
    build_index(services)
    return services


@pytest.fixture
def client(api_services: Services):
    from fastapi.testclient import TestClient

    from ui.api import make_app

    with TestClient(make_app(api_services)) as client:
        yield client


def write_jsonl(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def posting(i: int, **fields: str) -> dict:
    record = {
        "id": f"p{i}",
        "title": fields.pop("title", "Data Scientist"),
        "company": fields.pop("company", f"Company {i}"),
        "location": "Remote",
        "description": fields.pop(
            "description",
            f"Posting number {i}.\nResponsibilities:\n- Build models for problem {i}\n"
            f"- Run A/B tests\nRequirements:\n- Python and SQL\n- Statistics, item {i}",
        ),
    }
    record.update(fields)
    return record


def shared_file(name: str) -> Path:
    path = SHARED_DATA / name
    if not path.is_file():
        pytest.skip(f"{path} is not available")
    return path


# Slow-test helpers: the CLI in a subprocess, and one real index shared by the session.


def _cli_env(index_dir: Path, **settings: str) -> dict[str, str]:
    """The environment of a CLI run on `index_dir`, with more settings as ASSISTANT_<NAME>."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    env.update(ASSISTANT_INDEX_DIR=str(index_dir), ASSISTANT_DATA_DIR=str(index_dir.parent / "data"),
               HF_HUB_OFFLINE="1")
    env.update({f"ASSISTANT_{name.upper()}": value for name, value in settings.items()})
    return env


def cli(index_dir: Path, *args: str, check: bool = True, timeout: float = 900,
        settings: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [sys.executable, "-m", "assistant", *args],
        env=_cli_env(index_dir, **(settings or {})), capture_output=True, text=True, timeout=timeout, check=False,
    )
    if check and result.returncode != 0:
        raise AssertionError(f"{args} exited {result.returncode}:\n{result.stderr[-3000:]}")
    return result


def cli_json(index_dir: Path, *args: str, settings: dict[str, str] | None = None) -> dict:
    return json.loads(cli(index_dir, *args, "--json", settings=settings).stdout)


def kill_refresh_midway(index_dir: Path, batch: Path, settings: dict[str, str], started: Callable[[], bool],
                        *, wait: float, past: float) -> None:
    """Run `ingest batch` as a CLI subprocess and SIGKILL it once `started()` says it is
    writing and `past` seconds more have gone (past the copy of the vectors, into embedding)."""
    refresh = subprocess.Popen([sys.executable, "-m", "assistant", "ingest", str(batch)],
                               env=_cli_env(index_dir, **settings), stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + wait
        while not started() and time.monotonic() < deadline:
            time.sleep(0.5)
        time.sleep(past)
        assert refresh.poll() is None, "the refresh finished before it could be killed"
        refresh.send_signal(signal.SIGKILL)
        refresh.wait(timeout=30)
    finally:
        if refresh.poll() is None:
            refresh.kill()


@pytest.fixture(scope="session")
def feeds(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Working copies of the shared files, so a test can edit one in place."""
    folder = tmp_path_factory.mktemp("feeds")
    return {name: Path(shutil.copy(shared_file(f"{name}.jsonl"), folder / f"{name}.jsonl"))
            for name in ("postings", "incoming", "roles")}


@pytest.fixture(scope="session")
def built_index(tmp_path_factory: pytest.TempPathFactory, feeds: dict[str, Path]) -> tuple[Path, dict]:
    index_dir = tmp_path_factory.mktemp("built") / "index"
    first = cli_json(index_dir, "ingest", str(feeds["postings"]))
    return index_dir, first


def copy_index(built: Path, tmp_path: Path) -> Path:
    target = tmp_path / "index"
    shutil.copytree(built, target, ignore=shutil.ignore_patterns(".refresh.lock"))
    return target


@pytest.fixture(scope="session")
def answer_index(built_index, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shared postings plus the shipped corpus (article, samples, role notes)."""
    index_dir = copy_index(built_index[0], tmp_path_factory.mktemp("answers"))
    cli(index_dir, "build")
    return index_dir


def cli_in_process(services: Services, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
                   *args: str) -> tuple[int, str, str]:
    """The CLI as a user runs it, on these services: (exit code, stdout, stderr)."""
    from assistant import cli

    monkeypatch.setattr(cli, "_state", {"services": services})
    monkeypatch.setattr(sys, "argv", ["assistant", *args])
    try:
        cli.main()
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def run(services: Services, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """`cli_in_process` on the test's services."""
    return lambda *args: cli_in_process(services, monkeypatch, capsys, *args)
