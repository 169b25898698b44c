"""Chat models behind one small interface: `stream(messages)` yields text pieces."""

from __future__ import annotations

import ctypes
import hashlib
import json
import math
import os
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, cast

import numpy as np

from assistant.errors import BackendUnavailable


class ChatModel(Protocol):
    name: str

    def stream(self, messages: list[dict[str, str]], *, max_tokens: int, temperature: float = 0.0) -> Iterator[str]: ...


@dataclass(frozen=True)
class Sampling:
    """How a caller wants an answer written: at most `max_tokens` (it can lower the
    server's limit, never raise it: one long answer holds the local model for everyone)
    at `temperature` (0 unless asked: the same question gets the same answer)."""

    max_tokens: int | None = None
    temperature: float = 0.0

    def tokens(self, limit: int) -> int:
        return min(limit, self.max_tokens) if self.max_tokens else limit


def estimated_tokens(text: str) -> int:
    """About four characters a token in English prose, for a model whose tokenizer is not here."""
    return math.ceil(len(text) / 4)


def token_counter(chat: ChatModel | None) -> Callable[[str], int]:
    """The model's own tokenizer when it has one here (the local model), else the estimate."""
    count = getattr(chat, "count_tokens", None)
    return count if callable(count) else estimated_tokens


# "<|im_start|>user\nQuestion: ?<|im_end|>\n<|im_start|>assistant\n" and the one token
# answered: the end of a saved prefix state that a real question replaces.
_PLACEHOLDER_TOKENS = 16


class LlamaCppChat:
    """A local GGUF model through llama-cpp-python, on the CPU.

    llama.cpp reuses the evaluated start of the previous prompt, so a prompt that always
    begins with the same article pays for it once. `prepare` pays that once per machine:
    the evaluated state is saved under `state_dir`, keyed by model, context and prefix, and
    a restart or another worker loads it in a fraction of a second."""

    def __init__(self, model_path: Path, *, threads: int, context: int, state_dir: Path | None = None) -> None:
        try:
            from llama_cpp import Llama
        except ImportError:
            raise BackendUnavailable(
                "the local backend needs llama-cpp-python: run `bash scripts/bootstrap` "
                "(it builds it with the CPU flags this machine needs)"
            ) from None
        self.name = f"local:{model_path.name}"
        self._context = context
        self._state_dir = state_dir
        self._prepared = ""
        self._prefix_ids = np.zeros(0, dtype=np.intc)
        self._llm = Llama(model_path=str(model_path), n_ctx=context, n_threads=threads, verbose=False)

    def prepare(self, prefix: list[dict[str, str]]) -> float:
        """Have `prefix` evaluated and in the cache, from disk when it was saved before.
        Returns the seconds it took (the one-time cost, or the load)."""
        started = time.perf_counter()
        key = hashlib.sha256(json.dumps([self.name, self._context, prefix]).encode()).hexdigest()[:20]
        if key == self._prepared and self._holds_prefix():
            return 0.0
        path = self._state_dir / f"prefix-{key}.npz" if self._state_dir else None
        if path is not None and path.is_file() and self._load_state(path):
            self._prefix_ids = np.array(self._llm.input_ids[: self._llm.n_tokens], dtype=np.intc)
            self._prepared = key
            return time.perf_counter() - started
        # One token of answer to a placeholder question evaluates the whole prefix.
        list(self.stream([*prefix, {"role": "user", "content": "Question: ?"}], max_tokens=1))
        if path is not None:
            self._save_state(path)
        self._prefix_ids = np.array(self._llm.input_ids[: self._llm.n_tokens], dtype=np.intc)
        self._prepared = key
        return time.perf_counter() - started

    def _holds_prefix(self) -> bool:
        """Whether the cache still starts with the prepared prefix: another prompt (the
        figures answer's) replaces it, and it is then loaded again from disk. The saved
        tokens end with a placeholder question, which a real one replaces."""
        ids = self._prefix_ids
        n = min(len(ids), self._llm.n_tokens)
        common = int(np.argmin(np.append(self._llm.input_ids[:n] == ids[:n], False)))
        return common >= len(ids) - _PLACEHOLDER_TOKENS

    def _save_state(self, path: Path) -> None:
        import llama_cpp

        ctx = self._llm._ctx.ctx
        size = llama_cpp.llama_state_get_size(ctx)
        buffer = (ctypes.c_uint8 * size)()
        used = llama_cpp.llama_state_get_data(ctx, buffer, size)
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(path.name + ".partial")
        with open(partial, "wb") as out:
            np.savez(out, state=np.frombuffer(buffer, dtype=np.uint8, count=used),
                     ids=np.array(self._llm.input_ids[: self._llm.n_tokens], dtype=np.intc))
        os.replace(partial, path)

    def _load_state(self, path: Path) -> bool:
        """False when the file does not fit this build of llama.cpp (it is then rebuilt)."""
        import llama_cpp

        try:
            with np.load(path) as saved:
                state, ids = saved["state"], saved["ids"]
        except (OSError, ValueError, KeyError):
            return False
        buffer = (ctypes.c_uint8 * len(state)).from_buffer_copy(state.tobytes())
        if llama_cpp.llama_state_set_data(self._llm._ctx.ctx, buffer, len(state)) != len(state):
            return False
        self._llm.input_ids[: len(ids)] = ids
        self._llm.n_tokens = len(ids)
        self._llm._requires_eval = True
        return True

    def count_tokens(self, text: str) -> int:
        return len(self._llm.tokenize(text.encode("utf-8"), add_bos=False, special=False)) if text else 0

    def stream(self, messages: list[dict[str, str]], *, max_tokens: int, temperature: float = 0.0) -> Iterator[str]:
        for part in self._llm.create_chat_completion(
            messages=messages, stream=True, temperature=temperature, max_tokens=max_tokens  # type: ignore[arg-type]
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

    def stream(self, messages: list[dict[str, str]], *, max_tokens: int, temperature: float = 0.0) -> Iterator[str]:
        from openai import OpenAIError
        from openai.types.chat import ChatCompletionChunk

        try:
            response = self._client.chat.completions.create(
                model=self._model, messages=messages, stream=True, temperature=temperature,  # type: ignore[arg-type]
                max_tokens=max_tokens,
            )
            for chunk in cast("Iterable[ChatCompletionChunk]", response):
                if chunk.choices and chunk.choices[0].delta.content:
                    yield chunk.choices[0].delta.content
        except OpenAIError as exc:
            raise BackendUnavailable(f"the OpenAI-compatible server at {self._client.base_url} failed: {exc}") from exc
