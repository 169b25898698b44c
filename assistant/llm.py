"""Chat models behind one small interface: `stream(messages)` yields text pieces."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, Protocol, cast

from assistant.errors import BackendUnavailable


class ChatModel(Protocol):
    name: str

    def stream(self, messages: list[dict[str, str]], *, max_tokens: int) -> Iterator[str]: ...


class LlamaCppChat:
    """A local GGUF model through llama-cpp-python, on the CPU."""

    def __init__(self, model_path: Path, *, threads: int, context: int) -> None:
        try:
            from llama_cpp import Llama
        except ImportError:
            raise BackendUnavailable(
                "the local backend needs llama-cpp-python: run `bash scripts/bootstrap` "
                "(it builds it with the CPU flags this machine needs)"
            ) from None
        self.name = f"local:{model_path.name}"
        self._llm = Llama(model_path=str(model_path), n_ctx=context, n_threads=threads, verbose=False)

    def stream(self, messages: list[dict[str, str]], *, max_tokens: int) -> Iterator[str]:
        for part in self._llm.create_chat_completion(
            messages=messages, stream=True, temperature=0.0, max_tokens=max_tokens  # type: ignore[arg-type]
        ):
            # llama-cpp types a streamed chunk as a union with the non-streamed response.
            piece = cast("dict[str, Any]", part)["choices"][0]["delta"].get("content")
            if piece:
                yield piece


class OpenAIChat:
    """Any OpenAI-compatible server: vLLM, Ollama, LM Studio, llama.cpp server, OpenAI."""

    def __init__(self, *, base_url: str, model: str, api_key: str, timeout_s: float) -> None:
        from openai import OpenAI

        self.name = f"openai:{model}"
        self._model = model
        self._client = OpenAI(base_url=base_url, api_key=api_key or "not-needed", timeout=timeout_s, max_retries=1)

    def stream(self, messages: list[dict[str, str]], *, max_tokens: int) -> Iterator[str]:
        from openai import OpenAIError
        from openai.types.chat import ChatCompletionChunk

        try:
            response = self._client.chat.completions.create(
                model=self._model, messages=messages, stream=True, temperature=0.0, max_tokens=max_tokens  # type: ignore[arg-type]
            )
            for chunk in cast("Iterable[ChatCompletionChunk]", response):
                if chunk.choices and chunk.choices[0].delta.content:
                    yield chunk.choices[0].delta.content
        except OpenAIError as exc:
            raise BackendUnavailable(f"the OpenAI-compatible server at {self._client.base_url} failed: {exc}") from exc
