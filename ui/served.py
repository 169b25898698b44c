"""What a running server answers from: the published index generation, reopened when a
refresh publishes a new one, and a fair queue in front of the (single) chat model."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from assistant.analytics import Corpus
from assistant.container import Services
from assistant.corpus_answerer import CorpusAnswerer, PostingCheck
from assistant.pipeline import Assistant
from assistant.store import Generation


class ServedIndex:
    def __init__(self, services: Services) -> None:
        self.services = services
        self._lock = threading.Lock()
        self._path: Path | None = None
        self._generation: Generation | None = None
        self._retiring: list[Generation] = []
        self._assistants: dict[str, Assistant] = {}

    def assistant(self, backend: str | None = None) -> Assistant:
        """The assistant for a backend over the newest published generation."""
        backend = backend or self.services.settings.backend
        with self._lock:
            current = self.services.pointer.path()
            if current != self._path or self._generation is None:
                self._reopen()
            if backend not in self._assistants:
                # Backends share one retriever: the BM25 index is built once per generation.
                shared = next(iter(self._assistants.values())).retriever if self._assistants else None
                self._assistants[backend] = self.services.assistant(
                    self._generation, backend, shared  # type: ignore[arg-type]
                )
            return self._assistants[backend]

    def corpus(self) -> Corpus:
        """Every posting of the newest published generation, with its skills."""
        return self._corpus_answers().corpus()

    def posting_check(self, text: str) -> PostingCheck:
        """The role a pasted job description reads like, with its closest postings."""
        return self._corpus_answers().check_posting(text)

    def _corpus_answers(self) -> CorpusAnswerer:
        shared = self.assistant("extractive").retriever  # also opens the published generation
        return self.services.corpus_answerer(self._generation, shared)  # type: ignore[arg-type]

    def _reopen(self) -> None:
        # Requests still running keep the previous generation; it is closed one swap later.
        for old in self._retiring:
            old.close()
        self._retiring = [self._generation] if self._generation is not None else []
        self._generation = self.services.store.open_published()
        self._path = self._generation.path
        self._assistants.clear()

    def close(self) -> None:
        with self._lock:
            for generation in [*self._retiring, self._generation]:
                if generation is not None:
                    generation.close()
            self._generation = None
            self._retiring = []


class FairQueue:
    """First come, first served access to one resource (the local model runs one answer
    at a time); callers can see their place in the queue while they wait."""

    def __init__(self) -> None:
        self._condition = threading.Condition()
        self._next = 0
        self._serving = 0
        self._abandoned: set[int] = set()

    def ticket(self) -> int:
        with self._condition:
            ticket = self._next
            self._next += 1
            return ticket

    def ahead_of(self, ticket: int) -> int:
        with self._condition:
            return max(0, ticket - self._serving)

    def wait(self, ticket: int, timeout: float) -> bool:
        """Wait up to `timeout` seconds for this ticket's turn; True when it has come."""
        with self._condition:
            return self._condition.wait_for(lambda: self._serving == ticket, timeout=timeout)

    def done(self, ticket: int) -> None:
        """Release a turn, or give up a place not yet reached (a client that left)."""
        with self._condition:
            if self._serving != ticket:
                self._abandoned.add(ticket)
                return
            self._serving += 1
            while self._serving in self._abandoned:
                self._abandoned.discard(self._serving)
                self._serving += 1
            self._condition.notify_all()

    @contextmanager
    def turn(self) -> Iterator[None]:
        ticket = self.ticket()
        try:
            while not self.wait(ticket, timeout=1.0):
                pass
            yield
        finally:
            self.done(ticket)


class NoQueue(FairQueue):
    """For answers that need no chat model (the extractive backend): never waits, so they
    are not held up behind the local model."""

    def ticket(self) -> int:
        return 0

    def ahead_of(self, ticket: int) -> int:
        return 0

    def wait(self, ticket: int, timeout: float) -> bool:
        return True

    def done(self, ticket: int) -> None:
        pass


def waiting(queue: FairQueue, ticket: int) -> Iterator[int]:
    """Yields the number of requests ahead while this one waits for its turn."""
    ahead = queue.ahead_of(ticket)
    if ahead:
        yield ahead
    while not queue.wait(ticket, timeout=2.0):
        yield queue.ahead_of(ticket)


def queue_for(assistant: Assistant, queue: FairQueue) -> FairQueue:
    return queue if assistant.chat is not None else NoQueue()
