"""The OpenAI-compatible backend against a fake server on 127.0.0.1."""

import pytest

from assistant.container import build_services
from assistant.errors import BackendUnavailable
from assistant.llm import OpenAIChat
from assistant.settings import Settings
from tests.fakes import FakeOpenAIServer


def test_streams_from_an_openai_compatible_server() -> None:
    with FakeOpenAIServer("Data scientists need statistics [1].") as server:
        chat = OpenAIChat(base_url=server.url, model="tiny", api_key="test-key", timeout_s=10)
        pieces = list(chat.stream([{"role": "user", "content": "hi"}], max_tokens=50))
    assert "".join(pieces) == "Data scientists need statistics [1]."
    assert len(pieces) > 1  # streamed, not one blob
    [request] = server.requests
    assert request["path"] == "/v1/chat/completions" and request["stream"] is True
    assert request["model"] == "tiny" and request["max_tokens"] == 50 and request["temperature"] == 0.0


def test_settings_wire_url_model_and_key_from_the_environment(monkeypatch: pytest.MonkeyPatch,
                                                              settings: Settings) -> None:
    with FakeOpenAIServer("ok [1]") as server:
        monkeypatch.setenv("ASSISTANT_OPENAI_API_KEY", "test-key")
        configured = Settings(openai_base_url=server.url, openai_model="served-model", backend="openai")
        chat = build_services(configured).chat_model()
        assert chat is not None and chat.name == "openai:served-model"
        assert "".join(chat.stream([{"role": "user", "content": "q"}], max_tokens=5)) == "ok [1]"
        assert server.requests[0]["auth"] == "Bearer test-key"


def test_a_refused_key_is_a_clear_backend_error() -> None:
    with FakeOpenAIServer("never") as server:
        chat = OpenAIChat(base_url=server.url, model="tiny", api_key="wrong", timeout_s=10)
        with pytest.raises(BackendUnavailable, match=r"OpenAI-compatible server at .*127\.0\.0\.1.* failed"):
            list(chat.stream([{"role": "user", "content": "hi"}], max_tokens=5))
