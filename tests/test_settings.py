from pathlib import Path

import pytest

from assistant.errors import SettingsError
from assistant.settings import load_settings


def test_environment_sets_the_index_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASSISTANT_INDEX_DIR", str(tmp_path / "elsewhere"))
    assert load_settings().index_dir == tmp_path / "elsewhere"


def test_settings_file_is_read_and_the_environment_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    file = tmp_path / "custom.toml"
    file.write_text('chunk_tokens = 150\nindex_dir = "from-file"\nembedding_batch_size = 8\n')
    monkeypatch.setenv("ASSISTANT_EMBEDDING_BATCH_SIZE", "4")
    settings = load_settings(file)
    assert settings.chunk_tokens == 150
    assert settings.embedding_batch_size == 4
    # ASSISTANT_INDEX_DIR from the autouse fixture beats the file.
    assert settings.index_dir == tmp_path / "index"


def test_assistant_toml_in_the_working_directory_is_picked_up(tmp_path: Path) -> None:
    (tmp_path / "assistant.toml").write_text("keep_generations = 5\n")
    assert load_settings().keep_generations == 5


def test_unknown_setting_names_the_file_and_key(tmp_path: Path) -> None:
    file = tmp_path / "bad.toml"
    file.write_text("chunk_tokenz = 150\n")
    with pytest.raises(SettingsError, match=r"bad.toml: invalid settings: chunk_tokenz"):
        load_settings(file)


def test_invalid_value_and_invalid_toml_are_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASSISTANT_CHUNK_TOKENS", "10000")
    with pytest.raises(SettingsError, match="chunk_tokens"):
        load_settings()
    monkeypatch.delenv("ASSISTANT_CHUNK_TOKENS")
    broken = tmp_path / "broken.toml"
    broken.write_text("chunk_tokens = \n")
    with pytest.raises(SettingsError, match="broken.toml: not valid TOML"):
        load_settings(broken)
    with pytest.raises(SettingsError, match="missing.toml: settings file not found"):
        load_settings(tmp_path / "missing.toml")


def test_a_chroma_url_must_be_a_server_address(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASSISTANT_CHROMA_URL", "127.0.0.1:8000")
    with pytest.raises(SettingsError, match="chroma_url: .*not a Chroma server address"):
        load_settings()
    monkeypatch.setenv("ASSISTANT_CHROMA_URL", "http://127.0.0.1:8000/")
    assert load_settings().chroma_url == "http://127.0.0.1:8000"


def test_a_database_url_must_be_postgresql_and_is_off_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    from assistant.container import build_services
    from assistant.feedback import FeedbackStore
    from assistant.kept_uploads import UploadFolder
    from assistant.locks import FileRefreshLock
    from tests.fakes import HashingEmbedder

    unset = load_settings()
    assert unset.database_url.get_secret_value() == ""
    services = build_services(unset, embedder=HashingEmbedder())
    assert services.database is None
    assert isinstance(services.feedback, FeedbackStore) and isinstance(services.uploads, UploadFolder)
    assert isinstance(services.store.refresh_lock, FileRefreshLock)

    monkeypatch.setenv("ASSISTANT_DATABASE_URL", "mysql://app:s3cret@db.example.com/assistant")
    with pytest.raises(SettingsError, match=r"database_url: .*expected a PostgreSQL URL such as "
                                            r"postgresql://user@127\.0\.0\.1:5432/assistant, not a mysql:// address") as raised:
        load_settings()
    assert "s3cret" not in str(raised.value)
    for url, problem in [("db.example.com:5432/assistant", "not a schemeless address"),
                         ("postgresql:///assistant", "names no host"),
                         ("postgresql://db.example.com:5432", "names no database"),
                         ("postgresql://db.example.com:port/assistant", "not a valid PostgreSQL URL")]:
        monkeypatch.setenv("ASSISTANT_DATABASE_URL", url)
        with pytest.raises(SettingsError, match=f"database_url: .*{problem}"):
            load_settings()
    for url in ("postgresql://app:pw@db.example.com:5432/assistant", "postgres://db.example.com/assistant"):
        monkeypatch.setenv("ASSISTANT_DATABASE_URL", f" {url} ")
        assert load_settings().database_url.get_secret_value() == url
