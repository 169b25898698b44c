"""Deterministic stand-ins for the slow parts (no mocks)."""

from __future__ import annotations

import hashlib
import math
import re

_TOKEN = re.compile(r"\w+|[^\w\s]")


class HashingEmbedder:
    """Bag of hashed words, normalized: similar texts get similar vectors, instantly.

    Counts what it embeds, and can be told to fail after a number of batches to
    simulate a crash in the middle of a refresh.
    """

    name = "fake-hashing-64"
    max_tokens = 256

    def __init__(self, dim: int = 64, fail_after_batches: int | None = None) -> None:
        self.dim = dim
        self.fail_after_batches = fail_after_batches
        self.batches = 0
        self.texts: list[str] = []

    def embed_batch(self, texts: list[str]) -> list[list[float]]:
        if self.fail_after_batches is not None and self.batches >= self.fail_after_batches:
            raise RuntimeError("simulated crash while embedding")
        self.batches += 1
        self.texts.extend(texts)
        return [self._vector(text) for text in texts]

    def count_tokens(self, text: str) -> int:
        return len(_TOKEN.findall(text))

    def _vector(self, text: str) -> list[float]:
        vector = [0.0] * self.dim
        for word in _TOKEN.findall(text.lower()):
            digest = hashlib.blake2b(word.encode("utf-8"), digest_size=4).digest()
            vector[int.from_bytes(digest, "big") % self.dim] += 1.0
        norm = math.sqrt(sum(v * v for v in vector)) or 1.0
        return [v / norm for v in vector]


class ScriptedChat:
    """A chat model that streams the replies it was given, in order, word by word,
    and keeps the messages it was sent."""

    name = "scripted"

    def __init__(self, *replies: str) -> None:
        self.replies = list(replies)
        self.calls: list[list[dict[str, str]]] = []

    def enqueue(self, reply: str) -> None:
        self.replies.append(reply)

    def stream(self, messages: list[dict[str, str]], *, max_tokens: int):
        self.calls.append(messages)
        reply = self.replies.pop(0)
        for index, word in enumerate(reply.split(" ")):
            yield word if index == 0 else " " + word
